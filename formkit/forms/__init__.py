"""Self-assessment forms: one protected, signed workbook per unit, recorded in the ledger.

Units that share a catalogue and an applicability pattern share one template, built once;
each unit's workbook is that template stamped with its name, form id, identity and signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from formkit.errors import WorkspaceError
from formkit.fileio import atomic_write_bytes
from formkit.forms.identity import SELF_ASSESSMENT, FormIdentity, form_id_for, sign
from formkit.forms.layout import (
    COLUMNS,
    INPUT_FIELDS,
    SCORING_SHEET,
    SheetLayout,
    layout_for,
    not_applicable_for,
)
from formkit.forms.stamp import Template
from formkit.forms.workbook import Placeholder, TemplateSpec, build_template
from formkit.units import Unit
from formkit.workspace import Workspace

FORMS_DIR = "forms"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IssuedForm:
    unit_code: str
    form_id: str
    path: Path
    sha256: str
    changed: bool  # False when the file on disk was already exactly this

    def to_dict(self) -> dict:
        return {"unit": self.unit_code, "form_id": self.form_id, "path": str(self.path),
                "sha256": self.sha256, "changed": self.changed}


class FormFactory:
    """Builds each template once and stamps unit workbooks from it (no file or ledger I/O)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.secret = workspace.secret()
        self._templates: dict[tuple[str, frozenset[str]], tuple[Template, SheetLayout]] = {}

    def _template(self, unit: Unit) -> tuple[Template, SheetLayout]:
        catalog = self.workspace.catalogs[unit.unit_type]
        key = (unit.unit_type, not_applicable_for(catalog, unit.code))
        if key not in self._templates:
            layout = layout_for(catalog, key[1])
            workbook = build_template(TemplateSpec(self.workspace.settings, catalog, layout))
            self._templates[key] = (Template(workbook, self.workspace.settings.form_password),
                                    layout)
        return self._templates[key]

    def identity(self, unit: Unit, layout: SheetLayout) -> FormIdentity:
        campaign = self.workspace.settings.campaign
        catalog = self.workspace.catalogs[unit.unit_type]
        return FormIdentity(
            campaign=campaign.id, year=campaign.year, unit=unit.code, unit_type=unit.unit_type,
            kind=SELF_ASSESSMENT,
            form_id=form_id_for(self.secret, campaign.id, campaign.year, unit.code,
                                SELF_ASSESSMENT, catalog.content_hash),
            catalog_hash=catalog.content_hash, issued=campaign.issue_date.isoformat(),
            sheet=SCORING_SHEET, columns={f: COLUMNS[f] for f in INPUT_FIELDS},
            rows={r.item.code: r.row for r in layout.rows if r.item.is_leaf},
            inputs=tuple(r.item.code for r in layout.inputs()),
            not_applicable=tuple(sorted(layout.not_applicable)))

    def workbook(self, unit: Unit) -> tuple[FormIdentity, bytes]:
        template, layout = self._template(unit)
        identity = self.identity(unit, layout)
        payload = identity.payload()
        return identity, template.stamp({
            Placeholder.UNIT_NAME: unit.name, Placeholder.UNIT_DOCUMENT_NAME: unit.document_name,
            Placeholder.UNIT_SHORT_NAME: unit.short_name, Placeholder.UNIT_CODE: unit.code,
            Placeholder.FORM_ID: identity.form_id, Placeholder.IDENTITY: payload,
            Placeholder.SIGNATURE: sign(payload, self.secret)})


def form_filename(workspace: Workspace, unit: Unit) -> str:
    """A readable name with Vietnamese letters and nothing Windows forbids in file names."""
    name = f"{unit.code} - {unit.short_name} - Tự đánh giá CCHC {workspace.settings.campaign.year}"
    return "".join("-" if c in '<>:"/\\|?*' else c for c in name) + ".xlsx"


def generate_forms(workspace: Workspace, unit_codes: Iterable[str] | None = None,
                   progress: Progress | None = None) -> list[IssuedForm]:
    """Write the forms of the given units (all by default) and record them in the ledger.

    Safe to re-run: unchanged files are not rewritten and the ledger gets no duplicate rows.
    """
    units = _select(workspace, unit_codes)
    factory = FormFactory(workspace)
    issued = []
    with workspace.ledger() as ledger:
        for done, unit in enumerate(units, start=1):
            identity, data = factory.workbook(unit)
            relative = Path(workspace.out_dir.name, FORMS_DIR, unit.unit_type,
                            form_filename(workspace, unit))
            path = workspace.root / relative
            digest = hashlib.sha256(data).hexdigest()
            changed = not path.exists() or path.read_bytes() != data
            if changed:
                atomic_write_bytes(path, data)
            _record(ledger, unit, identity, relative, digest)
            issued.append(IssuedForm(unit.code, identity.form_id, path, digest, changed))
            if progress:
                progress(done, len(units))
    return issued


def _select(workspace: Workspace, unit_codes: Iterable[str] | None) -> list[Unit]:
    if unit_codes is None:
        return workspace.sorted_units()
    codes = list(dict.fromkeys(unit_codes))
    unknown = [c for c in codes if c not in {u.code for u in workspace.units}]
    if unknown:
        raise WorkspaceError(f"Không có đơn vị mã {', '.join(unknown)} trong danh sách đơn vị. "
                             "Xem danh sách bằng: formkit units")
    return [workspace.unit(code) for code in codes]


def _record(ledger, unit: Unit, identity: FormIdentity, relative: Path, digest: str) -> None:
    ledger.record_issued(unit.code, identity.kind, identity.form_id, identity.catalog_hash,
                         relative.as_posix(), digest, "form.issued")

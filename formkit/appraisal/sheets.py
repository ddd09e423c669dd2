"""`formkit appraise sheets`: the council's workbooks, one per unit or one per unit type.

Only units with a current accepted self-assessment get a sheet; the others are listed with the
rule that will score them (settings `appraisal.missing`). Each unit sheet is recorded in
issued_files (kind 'appraisal') under its own form id, which changes when the unit sends a newer
return, so the ledger shows which return every issued appraisal sheet was made from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formkit.appraisal.identity import APPRAISAL, AppraisalIdentity, SourceReturn, appraisal_form_id
from formkit.appraisal.workbook import COLUMNS, UnitSheet, build_workbook, sheet_name
from formkit.fileio import atomic_write_bytes
from formkit.forms.layout import layout_for, not_applicable_for
from formkit.intake.current import CurrentReturn, current_returns
from formkit.ledger import Ledger
from formkit.units import UNIT_TYPES, Unit
from formkit.workspace import Workspace

APPRAISAL_DIR = "appraisal"
PER_UNIT, PER_UNIT_TYPE = "per-unit", "per-unit-type"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IssuedSheet:
    unit_code: str
    form_id: str
    sheet: str
    source: SourceReturn

    def to_dict(self) -> dict:
        return {"unit": self.unit_code, "form_id": self.form_id, "sheet": self.sheet,
                "source": {"received_file_id": self.source.received_file_id,
                           "sha256": self.source.sha256, "form_id": self.source.form_id}}


@dataclass(frozen=True)
class IssuedWorkbook:
    path: Path
    sha256: str
    changed: bool  # False when the file on disk was already exactly this
    unit_type: str
    sheets: tuple[IssuedSheet, ...]

    def to_dict(self) -> dict:
        return {"path": str(self.path), "sha256": self.sha256, "changed": self.changed,
                "unit_type": self.unit_type, "units": [s.to_dict() for s in self.sheets]}


@dataclass(frozen=True)
class MissingUnit:
    """A unit with no accepted self-assessment: no sheet; consolidation applies `rule`."""

    unit_code: str
    short_name: str
    unit_type: str
    rule: str  # settings appraisal.missing: "zero" or "exclude"

    def to_dict(self) -> dict:
        return {"unit": self.unit_code, "short_name": self.short_name,
                "unit_type": self.unit_type, "rule": self.rule}


@dataclass(frozen=True)
class SheetsReport:
    mode: str  # settings appraisal.workbooks
    missing_rule: str  # settings appraisal.missing
    workbooks: tuple[IssuedWorkbook, ...]
    missing: tuple[MissingUnit, ...]

    def to_dict(self) -> dict:
        return {"mode": self.mode, "missing_rule": self.missing_rule,
                "workbooks": [w.to_dict() for w in self.workbooks],
                "missing": [m.to_dict() for m in self.missing]}


def generate_appraisal_sheets(workspace: Workspace, progress: Progress | None = None) -> SheetsReport:
    """Write the council's workbooks and record each unit sheet; safe to re-run (unchanged files
    are not rewritten, the ledger gets no duplicate rows)."""
    settings = workspace.settings.appraisal
    returns = {r.unit: r for r in current_returns(workspace)}
    units = workspace.sorted_units()
    missing = tuple(MissingUnit(u.code, u.short_name, u.unit_type, settings.missing)
                    for u in units if u.code not in returns)
    groups = _groups(workspace, [u for u in units if u.code in returns], settings.workbooks)
    issued, secret = [], workspace.secret()
    with workspace.ledger() as ledger:
        sources = _source_hashes(ledger, returns.values())
        for done, (relative, title, members) in enumerate(groups, start=1):
            sheets = [_unit_sheet(workspace, secret, unit, returns[unit.code], sources)
                      for unit in members]
            skipped = ([u for u in workspace.sorted_units(members[0].unit_type)
                        if u.code not in returns] if settings.workbooks == PER_UNIT_TYPE else [])
            data = build_workbook(workspace.settings, sheets, secret, title, skipped)
            issued.append(_write(workspace, ledger, relative, data, sheets))
            if progress:
                progress(done, len(groups))
    return SheetsReport(settings.workbooks, settings.missing, tuple(issued), missing)


def _groups(workspace: Workspace, units: list[Unit], mode: str) -> list[tuple[Path, str, list[Unit]]]:
    """(relative path, title, units) of every workbook to write."""
    year, out = workspace.settings.campaign.year, Path(workspace.out_dir.name, APPRAISAL_DIR)
    if mode == PER_UNIT_TYPE:
        return [(out / _safe(f"Thẩm định CCHC {year} - {label}.xlsx"), label, members)
                for unit_type, label in UNIT_TYPES.items()
                if (members := [u for u in units if u.unit_type == unit_type])]
    return [(out / unit.unit_type / _safe(f"{unit.code} - {unit.short_name} - Thẩm định CCHC "
                                          f"{year}.xlsx"), unit.document_name, [unit])
            for unit in units]


def _safe(name: str) -> str:
    """Nothing Windows forbids in a file name."""
    return "".join("-" if c in '<>:"/\\|?*' else c for c in name)


def _source_hashes(ledger: Ledger, returns) -> dict[int, str]:
    ids = [r.received_file_id for r in returns]
    rows = ledger.conn.execute(
        f"SELECT id, sha256 FROM received_files WHERE id IN ({','.join('?' * len(ids))})", ids)
    return {row["id"]: row["sha256"] for row in rows}


def _unit_sheet(workspace: Workspace, secret: bytes, unit: Unit, current: CurrentReturn,
                sources: dict[int, str]) -> UnitSheet:
    campaign = workspace.settings.campaign
    catalog = workspace.catalogs[unit.unit_type]
    layout = layout_for(catalog, not_applicable_for(catalog, unit.code))
    source = SourceReturn(current.received_file_id, sources[current.received_file_id],
                          current.form_id)
    identity = AppraisalIdentity(
        campaign=campaign.id, year=campaign.year, unit=unit.code, unit_type=unit.unit_type,
        form_id=appraisal_form_id(secret, campaign.id, campaign.year, unit.code,
                                  catalog.content_hash, source.sha256),
        catalog_hash=catalog.content_hash, sheet=sheet_name(unit), columns=dict(COLUMNS),
        rows={r.item.code: r.row for r in layout.rows if r.item.is_leaf},
        inputs=tuple(r.item.code for r in layout.inputs()),
        not_applicable=tuple(sorted(layout.not_applicable)), source=source)
    return UnitSheet(unit, identity, layout, catalog, {s.leaf: s for s in current.scores},
                     current.original_name, current.received_at)


def _write(workspace: Workspace, ledger: Ledger, relative: Path, data: bytes,
           sheets: list[UnitSheet]) -> IssuedWorkbook:
    path = workspace.root / relative
    digest = hashlib.sha256(data).hexdigest()
    changed = not path.exists() or path.read_bytes() != data
    if changed:
        atomic_write_bytes(path, data)
    for sheet in sheets:
        _record(ledger, sheet.identity, relative, digest)
    issued = tuple(IssuedSheet(s.unit.code, s.identity.form_id, s.identity.sheet, s.identity.source)
                   for s in sheets)
    return IssuedWorkbook(path, digest, changed, sheets[0].unit.unit_type, issued)


def _record(ledger: Ledger, identity: AppraisalIdentity, relative: Path, digest: str) -> None:
    ledger.record_issued(identity.unit, APPRAISAL, identity.form_id, identity.catalog_hash,
                         relative.as_posix(), digest, "appraisal.issued",
                         {"sheet": identity.sheet,
                          "source_file": identity.source.received_file_id})

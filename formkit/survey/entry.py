"""Keyed-entry workbooks: the clerks type the paper questionnaires' answers into these.

One workbook per unit (or per batch of N serials of a unit) and per entry copy. There are two
copies of every workbook, "bản nhập 1" and "bản nhập 2", with their own form ids: double entry
means two clerks key the same questionnaires independently, each in their own copy, and the
collect step compares the copies cell by cell. Which copy a value came from is then a fact of
the signed file, not a guess from the name a clerk typed. With `survey.double_entry: optional`
copy 2 is simply left unused where a unit is keyed once.

Inside a workbook there is one sheet per respondent group, not one sheet with a group column:
the questionnaires of a group are identical paper forms that arrive as one stack, every group
has its own questions and answer scales, and a sheet per group lets the header show that
group's question codes with the allowed option codes under them and the question text in a
comment, while every dropdown offers only that question's codes.

Like the self-assessment forms, a workbook carries a signed identity (kind "survey-entry") whose
layout says which row holds which serial and which column which question, so a returned file is
read by that layout and anything moved is found.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from openpyxl.utils.cell import get_column_letter

from formkit.errors import WorkspaceError
from formkit.fileio import atomic_write_bytes
from formkit.forms.identity import sign
from formkit.survey.questionnaire import Survey
from formkit.survey.serials import issued_serials
from formkit.units import Unit
from formkit.workspace import Workspace

SURVEY_ENTRY = "survey-entry"  # FormIdentity.kind and issued_files.kind
ENTRY_VERSION = 1
ENTRY_DIR = "survey-entry"
COPIES = (1, 2)
HEADER_ROW = 4  # 1-based: question codes
CODES_ROW = 5  # the allowed option codes under each question code
FIRST_ROW = 6  # the first serial
NUMBER_COLUMN, SERIAL_COLUMN = "A", "B"
FIRST_QUESTION_COLUMN = 3  # 1-based: C
NOT_RETURNED = "Không thu về"  # the one value of the status column
COVER_SHEET, LISTS_SHEET = "Hướng dẫn", "_lists"  # instructions; dropdown lists (hidden)
SHEET_FORBIDDEN = set('[]:*?/\\')
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EntrySheet:
    """Where one respondent group's questionnaires sit: a row per serial, a column per question."""

    group: str
    sheet: str
    first_row: int
    serials: tuple[str, ...]  # in row order, from first_row down
    columns: dict[str, str]  # question code -> column letter
    keyed_by: str  # column letter of "Người nhập"
    status: str  # column letter of "Tình trạng phiếu"

    def rows(self) -> dict[str, int]:
        return {serial: self.first_row + i for i, serial in enumerate(self.serials)}

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.serials) - 1


@dataclass(frozen=True)
class EntryIdentity:
    """Who an entry workbook is for and its layout; signed like the self-assessment forms."""

    campaign: str
    year: int
    unit: str
    unit_type: str
    kind: str
    form_id: str
    survey_hash: str  # content hash of the questionnaire the columns were laid out from
    issued: str
    copy: int  # 1 or 2: which of the two independent entries
    batch: int  # 1-based
    batches: int
    sheets: tuple[EntrySheet, ...]
    version: int = ENTRY_VERSION

    def payload(self) -> str:
        """Canonical JSON: the exact text that is signed and stored in the workbook."""
        data = asdict(self)
        data["sheets"] = [{**asdict(s), "serials": list(s.serials)} for s in self.sheets]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_payload(cls, text: str) -> EntryIdentity:
        """Parse a stored payload; ValueError when it is not an entry workbook's identity."""
        try:
            data = json.loads(text)
            if data.get("kind") != SURVEY_ENTRY:
                raise ValueError(f"kind {data.get('kind')!r}")
            data["sheets"] = tuple(EntrySheet(**{**s, "serials": tuple(s["serials"])})
                                   for s in data["sheets"])
            return cls(**data)
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a survey entry identity: {exc}") from exc

    @property
    def serial_count(self) -> int:
        return sum(len(s.serials) for s in self.sheets)


@dataclass(frozen=True)
class IssuedEntry:
    unit_code: str
    form_id: str
    copy: int
    batch: int
    serials: int
    path: Path
    sha256: str
    changed: bool  # False when the file on disk was already exactly this

    def to_dict(self) -> dict:
        return {"unit": self.unit_code, "form_id": self.form_id, "copy": self.copy,
                "batch": self.batch, "serials": self.serials, "path": str(self.path),
                "sha256": self.sha256, "changed": self.changed}


def entry_form_id(secret: bytes, identity_key: str, year: int, unit: str, batch: int, copy: int) -> str:
    """Readable and stable: the same unit, serials, questionnaire and copy give the same id."""
    digest = hmac.new(secret, identity_key.encode(), hashlib.sha256).hexdigest()
    return f"{year}-{unit}-NP{batch:02d}.{copy}-{digest[:8].upper()}"


def sheet_names(codes: Iterable[str]) -> dict[str, str]:
    """Group code -> sheet name: what Excel allows (31 characters, no []:*?/\\), unique."""
    names: dict[str, str] = {}
    for code in codes:
        base = "".join("-" if c in SHEET_FORBIDDEN else c for c in code)[:31]
        name, n = base, 2
        while name.casefold() in {v.casefold() for v in names.values()}:
            name, n = f"{base[:28]}~{n}", n + 1
        names[code] = name
    return names


def layout_sheets(survey: Survey, serials: list[tuple[str, str]]) -> tuple[EntrySheet, ...]:
    """One sheet per group present in `serials` ((group, serial) pairs), in questionnaire order."""
    by_group: dict[str, list[str]] = {}
    for group, serial in serials:
        by_group.setdefault(group, []).append(serial)
    groups = [g for g in survey.groups if g.code in by_group]
    names = sheet_names(g.code for g in groups)
    sheets = []
    for group in groups:
        columns = {q.code: get_column_letter(FIRST_QUESTION_COLUMN + i)
                   for i, q in enumerate(group.questions)}
        after = FIRST_QUESTION_COLUMN + len(group.questions)
        sheets.append(EntrySheet(group.code, names[group.code], FIRST_ROW, tuple(by_group[group.code]),
                                 columns, get_column_letter(after), get_column_letter(after + 1)))
    return tuple(sheets)


def issued_pairs(workspace: Workspace, unit: Unit) -> list[tuple[str, str]]:
    """(group, serial text) of the unit's issued questionnaires, in issue order."""
    return [(serial.group, serial.text) for serial in issued_serials(workspace, unit=unit.code)]


class EntryFactory:
    """Lays out, signs and writes entry workbooks (no file or ledger I/O)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.secret = workspace.secret()

    def identities(self, unit: Unit, batch_size: int | None = None) -> list[EntryIdentity]:
        """Every (batch, copy) identity of a unit; none when its type has no questionnaire."""
        survey = self.workspace.surveys.get(unit.unit_type)
        pairs = issued_pairs(self.workspace, unit) if survey else []
        if not pairs:
            return []
        size = batch_size or len(pairs)
        chunks = [pairs[start:start + size] for start in range(0, len(pairs), size)]
        return [self.identity(unit, survey, chunk, number, len(chunks), copy)
                for number, chunk in enumerate(chunks, start=1) for copy in COPIES]

    def identity(self, unit: Unit, survey: Survey, pairs: list[tuple[str, str]], batch: int,
                 batches: int, copy: int) -> EntryIdentity:
        campaign = self.workspace.settings.campaign
        serial_digest = hashlib.sha256("\n".join(s for _, s in pairs).encode()).hexdigest()
        key = f"{campaign.id}|{unit.code}|{SURVEY_ENTRY}|{survey.content_hash}|{serial_digest}|{copy}"
        return EntryIdentity(
            campaign=campaign.id, year=campaign.year, unit=unit.code, unit_type=unit.unit_type,
            kind=SURVEY_ENTRY, form_id=entry_form_id(self.secret, key, campaign.year, unit.code,
                                                     batch, copy),
            survey_hash=survey.content_hash, issued=campaign.issue_date.isoformat(), copy=copy,
            batch=batch, batches=batches, sheets=layout_sheets(survey, pairs))

    def workbook(self, unit: Unit, identity: EntryIdentity) -> bytes:
        from formkit.survey.entry_workbook import EntryBookSpec, build_entry_workbook

        payload = identity.payload()
        return build_entry_workbook(EntryBookSpec(
            self.workspace.settings, unit, self.workspace.surveys[unit.unit_type], identity, payload,
            sign(payload, self.secret)))


def entry_filename(workspace: Workspace, unit: Unit, identity: EntryIdentity) -> str:
    """Readable, Vietnamese, nothing Windows forbids; batch and copy visible at a glance."""
    batch = f" - lô {identity.batch:02d}" if identity.batches > 1 else ""
    name = (f"{unit.code} - {unit.short_name} - Nhập phiếu khảo sát {workspace.settings.campaign.year}"
            f"{batch} - bản nhập {identity.copy}")
    return "".join("-" if c in '<>:"/\\|?*' else c for c in name) + ".xlsx"


def generate_entry_workbooks(workspace: Workspace, unit_codes: Iterable[str] | None = None,
                             batch_size: int | None = None, progress: Progress | None = None
                             ) -> list[IssuedEntry]:
    """Write the entry workbooks of the given units (all with a questionnaire by default) and
    record them in issued_files. Safe to re-run: unchanged files are not rewritten and the
    ledger gets no duplicate rows."""
    if batch_size is not None and batch_size < 1:
        raise WorkspaceError("Số phiếu mỗi lô (--batch) phải từ 1 trở lên.")
    units = _select(workspace, unit_codes)
    factory = EntryFactory(workspace)
    issued: list[IssuedEntry] = []
    with workspace.ledger() as ledger:
        for done, unit in enumerate(units, start=1):
            for identity in factory.identities(unit, batch_size):
                data = factory.workbook(unit, identity)
                relative = Path(workspace.out_dir.name, ENTRY_DIR, unit.unit_type,
                                entry_filename(workspace, unit, identity))
                path = workspace.root / relative
                digest = hashlib.sha256(data).hexdigest()
                changed = not path.exists() or path.read_bytes() != data
                if changed:
                    atomic_write_bytes(path, data)
                _record(ledger, identity, relative, digest)
                issued.append(IssuedEntry(unit.code, identity.form_id, identity.copy, identity.batch,
                                          identity.serial_count, path, digest, changed))
            if progress:
                progress(done, len(units))
    return issued


def _select(workspace: Workspace, unit_codes: Iterable[str] | None) -> list[Unit]:
    if unit_codes is None:
        return [u for u in workspace.sorted_units() if u.unit_type in workspace.surveys]
    codes = list(dict.fromkeys(unit_codes))
    known = {u.code for u in workspace.units}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise WorkspaceError(f"Không có đơn vị mã {', '.join(unknown)} trong danh sách đơn vị. "
                             "Xem danh sách bằng: formkit units")
    units = [workspace.unit(code) for code in codes]
    without = [u.code for u in units if u.unit_type not in workspace.surveys]
    if without:
        raise WorkspaceError(f"Đơn vị {', '.join(without)} thuộc loại chưa có bộ phiếu khảo sát "
                             "(khóa 'surveys' trong campaign.yaml).")
    return units


def _record(ledger, identity: EntryIdentity, relative: Path, digest: str) -> None:
    ledger.record_issued(identity.unit, SURVEY_ENTRY, identity.form_id, identity.survey_hash,
                         relative.as_posix(), digest, "survey.entry_issued",
                         {"copy": identity.copy, "batch": identity.batch,
                          "serials": identity.serial_count})

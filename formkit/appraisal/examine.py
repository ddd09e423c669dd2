"""Examining one returned appraisal workbook: open safely, identify each unit sheet, validate.

A pure function of the file's bytes and the context (no ledger, no exceptions for anything in
the file), so it runs in worker processes and in tests alike. Each unit sheet gets its own
verdict: a workbook for twenty units with one missing reason loses only that unit's sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from formkit.appraisal.codes import AppraisalCode
from formkit.appraisal.identity import (
    APPRAISAL,
    IDENTITY_SHEET,
    AppraisalIdentity,
    SourceReturn,
    identity_cells,
    payload_kind,
    verify,
)
from formkit.catalog import Catalog
from formkit.findings import Code, Finding, Severity
from formkit.forms.identity import SELF_ASSESSMENT
from formkit.intake.examine import ACCEPTED, REJECTED, WARNINGS
from formkit.intake.identify import cached_layout
from formkit.intake.validate import Where, read_score, read_text
from formkit.intake.xlsx import Sheet, Workbook, read_workbook
from formkit.text import canonical_name, nfc
from formkit.units import Unit

MAX_UNIT_SHEETS = 1000  # identity pairs read from one workbook, far above any real campaign


@dataclass(frozen=True)
class CurrentSource:
    """A unit's current accepted return as the ledger knows it when the batch starts."""

    received_file_id: int
    sha256: str
    scores: dict[str, Decimal]  # self-scores by leaf


@dataclass(frozen=True)
class AppraisalContext:
    """What examining needs from the workspace; plain data, so it crosses processes."""

    secret: bytes
    campaign_id: str
    year: int
    catalogs: dict[str, Catalog]
    units: dict[str, Unit]
    current: dict[str, CurrentSource]


@dataclass(frozen=True)
class AppraisedEntry:
    leaf: str
    appraised: Decimal
    self_score: Decimal | None
    reason: str
    sheet: str
    cell: str  # the appraised-score cell


def _status(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return REJECTED
    return WARNINGS if Severity.WARNING in severities else ACCEPTED


@dataclass
class UnitVerdict:
    """One unit sheet: its identity, what was wrong with it, and the scores when it is accepted."""

    unit: str
    form_id: str
    sheet: str
    source: SourceReturn
    findings: list[Finding] = field(default_factory=list)
    scores: list[AppraisedEntry] = field(default_factory=list)

    @property
    def status(self) -> str:
        return _status(self.findings)


@dataclass
class AppraisalExamination:
    findings: list[Finding] = field(default_factory=list)  # about the file, not one unit sheet
    units: list[UnitVerdict] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The worst verdict in the file; a file with no readable unit sheet is rejected."""
        if not self.units:
            return REJECTED
        return _status(self.all_findings())

    @property
    def other_kind(self) -> bool:
        """A form of another kind (a self-assessment, a survey entry): not for this command."""
        return any(f.code == AppraisalCode.NOT_APPRAISAL.code for f in self.findings)

    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for unit in self.units for f in unit.findings)]


def examine_appraisal(data: bytes, name: str, ctx: AppraisalContext) -> AppraisalExamination:
    result = AppraisalExamination()
    workbook, findings = read_workbook(data, name)
    result.findings += findings
    if workbook is None:
        return result
    identity_sheet = workbook.sheets.get(IDENTITY_SHEET)
    if identity_sheet is None:
        result.findings.append(Code.NO_IDENTITY(file=name))
        return result
    for index in range(MAX_UNIT_SHEETS):
        payload_cell, signature_cell = identity_cells(index)
        payload = _text(identity_sheet, payload_cell)
        if not payload:
            if index == 0:
                result.findings.append(Code.NO_IDENTITY(file=name))
            break
        identity, problem = _identify(payload, _text(identity_sheet, signature_cell), name,
                                      (payload_cell, signature_cell), ctx)
        if problem is not None:
            result.findings.append(problem)
            if problem.code == AppraisalCode.NOT_APPRAISAL.code:
                break
            continue
        if any(unit.unit == identity.unit for unit in result.units):
            result.findings.append(AppraisalCode.UNIT_TWICE(file=name, sheet=identity.sheet,
                                                            unit=identity.unit))
            continue
        result.units.append(_examine_unit(workbook, name, identity, ctx))
    return result


def _identify(payload: str, signature: str, name: str, cells: tuple[str, str],
              ctx: AppraisalContext) -> tuple[AppraisalIdentity | None, Finding | None]:
    """The verified identity of one unit sheet, or the finding that says why it is not."""
    where = {"file": name, "sheet": IDENTITY_SHEET}
    kind = payload_kind(payload)
    if kind is not None and kind != APPRAISAL:
        return None, not_appraisal(name, kind)
    try:
        identity = AppraisalIdentity.from_payload(payload)
    except ValueError:
        return None, Code.BAD_SIGNATURE(cell=cells[0], detail="không đọc được thông tin nhận dạng",
                                        **where)
    if not verify(payload, signature, ctx.secret):
        return None, Code.BAD_SIGNATURE(cell=cells[1], detail="chữ ký sai hoặc của đợt khác", **where)
    if identity.campaign != ctx.campaign_id or identity.year != ctx.year:
        return None, Code.WRONG_CAMPAIGN(campaign=identity.campaign, year=identity.year,
                                         expected_year=ctx.year, **where)
    unit = ctx.units.get(identity.unit)
    if unit is None:
        return None, Code.UNKNOWN_FORM_UNIT(unit=identity.unit, **where)
    catalog = ctx.catalogs[unit.unit_type]
    if identity.catalog_hash != catalog.content_hash:
        return None, Code.CATALOG_CHANGED(old=identity.catalog_hash[:12],
                                          new=catalog.content_hash[:12], **where)
    return identity, None


OTHER_KINDS = {SELF_ASSESSMENT: ("biểu tự đánh giá của đơn vị", "formkit collect"),
               "survey-entry": ("tệp nhập phiếu khảo sát", "formkit survey collect")}


def not_appraisal(name: str, kind: str) -> Finding:
    what, command = OTHER_KINDS.get(kind, (f"biểu loại '{kind}' của formkit", "lệnh tương ứng"))
    return AppraisalCode.NOT_APPRAISAL(file=name, what=what, command=command)


def _examine_unit(workbook: Workbook, name: str, identity: AppraisalIdentity,
                  ctx: AppraisalContext) -> UnitVerdict:
    verdict = UnitVerdict(identity.unit, identity.form_id, identity.sheet, identity.source)
    current = ctx.current.get(identity.unit)
    if current is None or (current.received_file_id, current.sha256) != (
            identity.source.received_file_id, identity.source.sha256):
        new = f"tệp số {current.received_file_id}" if current else "không còn"
        verdict.findings.append(AppraisalCode.STALE(
            file=name, sheet=identity.sheet, unit=identity.unit,
            old=identity.source.received_file_id, new=new))
        return verdict
    sheet = _find_sheet(workbook, identity.sheet)
    if sheet is None:
        verdict.findings.append(Code.SHEET_MISSING(file=name, sheet=identity.sheet))
        return verdict
    if not sheet.protected:
        verdict.findings.append(Code.PROTECTION_REMOVED(file=name, sheet=identity.sheet))
    catalog = ctx.catalogs[ctx.units[identity.unit].unit_type]
    structure = _check_structure(sheet, name, identity, catalog, current.scores)
    verdict.findings += structure
    if any(f.code == Code.ROWS_MOVED.code for f in structure):
        return verdict
    scores, findings = _read_inputs(sheet, name, identity, catalog, current.scores)
    verdict.findings += findings
    if verdict.status != REJECTED:
        verdict.scores = scores
    return verdict


def _find_sheet(workbook: Workbook, sheet_name: str) -> Sheet | None:
    """The sheet by name; a program that re-saved the file may have re-normalised the name."""
    if sheet_name in workbook.sheets:
        return workbook.sheets[sheet_name]
    return next((s for n, s in workbook.sheets.items() if nfc(n) == nfc(sheet_name)), None)


def _check_structure(sheet: Sheet, name: str, identity: AppraisalIdentity, catalog: Catalog,
                     self_scores: dict[str, Decimal]) -> list[Finding]:
    """Every row where the identity puts it, with its text, maximum and self-score unchanged."""
    layout = cached_layout(catalog, frozenset(identity.not_applicable))
    columns, findings = identity.columns, []
    for item_row in layout.rows:
        item, row = item_row.item, item_row.row
        found = _text(sheet, f"{columns['code']}{row}")
        if found != item.code:
            findings.append(Code.ROWS_MOVED(file=name, sheet=identity.sheet, cell=f"{columns['code']}"
                                            f"{row}", item=item.code, code=item.code, expected=row,
                                            found=f"dòng {row} có '{found}'"))
            continue
        where = {"file": name, "sheet": identity.sheet, "item": item.code, "code": item.code}
        text = _text(sheet, f"{columns['text']}{row}")
        if text != item.text and canonical_name(text) != canonical_name(item.text):
            findings.append(Code.LOCKED_CHANGED(cell=f"{columns['text']}{row}", what="nội dung",
                                                found=_short(text), expected=_short(item.text),
                                                **where))
        if not item.is_leaf:
            continue
        cell = f"{columns['appraisal']}{row}"
        if _number(sheet, cell) != item.appraisal:
            findings.append(Code.LOCKED_CHANGED(cell=cell, what="điểm tối đa thẩm định",
                                                found=_text(sheet, cell),
                                                expected=_shown(item.appraisal), **where))
        if item_row.is_input and item.code in self_scores:
            cell = f"{columns['self']}{row}"
            if _number(sheet, cell) != self_scores[item.code]:
                findings.append(AppraisalCode.SELF_SCORE_CHANGED(
                    file=name, sheet=identity.sheet, cell=cell, item=item.code, code=item.code,
                    found=_text(sheet, cell), expected=self_scores[item.code]))
    return findings


def _read_inputs(sheet: Sheet, name: str, identity: AppraisalIdentity, catalog: Catalog,
                 self_scores: dict[str, Decimal]) -> tuple[list[AppraisedEntry], list[Finding]]:
    scores, findings = [], []
    for code in identity.inputs:
        leaf = catalog[code]
        score_cell, reason_cell = identity.cell(code, "appraised"), identity.cell(code, "reason")
        appraised, more = read_score(sheet.cells.get(score_cell), leaf,
                                     Where(name, identity.sheet, score_cell, code))
        findings += more
        reason, more = read_text(sheet.cells.get(reason_cell), "explanation", leaf,
                                 Where(name, identity.sheet, reason_cell, code))
        findings += more
        if appraised is None:
            continue
        self_score = self_scores.get(code)
        if appraised != self_score and not reason:
            findings.append(AppraisalCode.REASON_MISSING(
                file=name, sheet=identity.sheet, cell=reason_cell, item=code, code=code,
                value=appraised, self_score=self_score if self_score is not None else "(trống)",
                reason_cell=reason_cell))
        scores.append(AppraisedEntry(code, appraised, self_score, reason, identity.sheet, score_cell))
    return scores, findings


def _text(sheet: Sheet, ref: str) -> str:
    cell = sheet.cells.get(ref)
    if cell is None or cell.value is None:
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value)).strip()


def _number(sheet: Sheet, ref: str) -> Decimal | None:
    cell = sheet.cells.get(ref)
    if cell is None or cell.value is None or isinstance(cell.value, bool):
        return None
    try:
        return Decimal(cell.raw or str(cell.value)).quantize(Decimal("1e-9")).normalize()
    except InvalidOperation:
        return None


def _shown(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

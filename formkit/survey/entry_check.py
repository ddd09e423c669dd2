"""Examining one returned entry workbook: open safely, identify, check the layout, read every row.

A pure function of the file's bytes and a context, like `formkit.intake.examine`: it never raises
for anything in the file and never touches the ledger. Problems with the file as a whole (not a
workbook, not an entry workbook, a bad signature, another questionnaire, a missing sheet, moved
columns) reject the file. Problems of one row (a serial out of place, an invalid code) only keep
that questionnaire out, because a file holds many independent questionnaires and the others are
fine; the clerk corrects the row and sends the file again (rows: `formkit.survey.entry_rows`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from formkit.findings import Code, Finding, Severity
from formkit.forms.identity import IDENTITY_SHEET, verify
from formkit.survey.entry import (
    COVER_SHEET,
    HEADER_ROW,
    LISTS_SHEET,
    SURVEY_ENTRY,
    EntryIdentity,
    EntrySheet,
)
from formkit.survey.entry_read import SheetValues, read_entry_sheets
from formkit.survey.entry_rows import STATUS_HEADER, EntryContext, KeyedRow, cell_text, read_rows
from formkit.survey.questionnaire import RespondentGroup

ACCEPTED, WARNINGS, REJECTED = "accepted", "accepted-with-warnings", "rejected"
HEADERS = {"keyed_by": "Người nhập", "status": STATUS_HEADER}
UNREAD_SHEETS = frozenset({COVER_SHEET, LISTS_SHEET})  # nothing in them is read


@dataclass
class EntryExamination:
    findings: list[Finding] = field(default_factory=list)
    identity: EntryIdentity | None = None
    rows: list[KeyedRow] = field(default_factory=list)
    rejected: bool = False  # a problem of the whole file: nothing in it is stored
    other_kind: str | None = None  # a valid formkit file of another kind (e.g. a self-assessment)

    @property
    def status(self) -> str:
        if self.rejected:
            return REJECTED
        severities = {f.severity for f in self.findings}
        return WARNINGS if severities & {Severity.ERROR, Severity.WARNING} else ACCEPTED


def examine_entry(data: bytes, name: str, ctx: EntryContext) -> EntryExamination:
    result = EntryExamination()
    sheets, findings = read_entry_sheets(data, name, skip=UNREAD_SHEETS)
    result.findings += findings
    if sheets is None or any(f.is_error for f in findings):
        result.rejected = True
        return result
    identity = _identify(sheets, name, ctx, result)
    if identity is None:
        result.rejected = True
        return result
    result.identity = identity
    survey = ctx.surveys[ctx.units[identity.unit].unit_type]
    for layout in identity.sheets:
        sheet = sheets.get(layout.sheet)
        problems = _structure(sheet, layout, name, survey.group(layout.group))
        result.findings += problems
        if any(f.is_error for f in problems):
            result.rejected = True
    if result.rejected:
        return result
    for layout in identity.sheets:
        rows, findings = read_rows(sheets[layout.sheet], layout, name, identity, survey, ctx)
        result.rows += rows
        result.findings += findings
    return result


# --- identity and structure ---------------------------------------------------------------------

def identity_text(sheet: SheetValues) -> tuple[str, str]:
    """(payload, signature): A2 then A4, A5, ... for payloads longer than one cell; A3."""
    parts, row = [cell_text(sheet.values.get("A2"))], 4
    while part := cell_text(sheet.values.get(f"A{row}")):
        parts.append(part)
        row += 1
    return "".join(parts), cell_text(sheet.values.get("A3"))


def _identify(sheets: dict[str, SheetValues], name: str, ctx: EntryContext, result: EntryExamination
              ) -> EntryIdentity | None:
    sheet = sheets.get(IDENTITY_SHEET)
    where = {"file": name, "sheet": IDENTITY_SHEET}
    if sheet is None:
        result.findings.append(Code.NO_IDENTITY(file=name))
        return None
    payload, signature = identity_text(sheet)
    try:
        identity = EntryIdentity.from_payload(payload)
    except ValueError:
        kind = _other_kind(payload)
        if kind and verify(payload, signature, ctx.secret):
            result.other_kind = kind
            result.findings.append(Code.ENTRY_NOT_ENTRY_FILE(
                file=name, what="biểu tự đánh giá CCHC" if kind == "self-assessment" else kind,
                hint="Nhận tệp này bằng lệnh: formkit collect."))
        else:
            result.findings.append(Code.BAD_SIGNATURE(cell="A2", detail="không đọc được thông tin "
                                                      "nhận dạng của tệp nhập phiếu", **where))
        return None
    if not verify(payload, signature, ctx.secret):
        result.findings.append(Code.BAD_SIGNATURE(cell="A3", detail="chữ ký sai hoặc của đợt khác",
                                                  **where))
        return None
    if identity.campaign != ctx.campaign_id or identity.year != ctx.year:
        result.findings.append(Code.WRONG_CAMPAIGN(campaign=identity.campaign, year=identity.year,
                                                   expected_year=ctx.year, **where))
        return None
    unit = ctx.units.get(identity.unit)
    survey = ctx.surveys.get(unit.unit_type) if unit else None
    if unit is None or survey is None:
        result.findings.append(Code.UNKNOWN_FORM_UNIT(unit=identity.unit, **where))
        return None
    if identity.survey_hash != survey.content_hash:
        result.findings.append(Code.ENTRY_SURVEY_CHANGED(old=identity.survey_hash[:12],
                                                         new=survey.content_hash[:12], **where))
        return None
    return identity


def _other_kind(payload: str) -> str | None:
    try:
        kind = json.loads(payload).get("kind")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) and kind != SURVEY_ENTRY else None


def _structure(sheet: SheetValues | None, layout: EntrySheet, name: str, group: RespondentGroup
               ) -> list[Finding]:
    """The sheet is there and every header still sits in its column."""
    if sheet is None:
        return [Code.SHEET_MISSING(file=name, sheet=layout.sheet)]
    findings = []
    if not sheet.protected:
        findings.append(Code.PROTECTION_REMOVED(file=name, sheet=layout.sheet))
    expected = {layout.columns[q.code]: q.code for q in group.questions}
    expected |= {layout.keyed_by: HEADERS["keyed_by"], layout.status: HEADERS["status"]}
    for column, header in expected.items():
        found = cell_text(sheet.values.get(f"{column}{HEADER_ROW}"))
        if found != header:
            findings.append(Code.ENTRY_COLUMNS_MOVED(file=name, sheet=layout.sheet,
                                                     cell=f"{column}{HEADER_ROW}", column=column,
                                                     expected=header, found=found))
    return findings

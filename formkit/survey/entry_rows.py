"""Reading the rows of an entry workbook's group sheet: one questionnaire per row, by the layout.

Decisions on what a row means:
- a row with no answer and no status is a questionnaire not (yet) returned: reported as info and
  not stored, so it never replaces anything keyed earlier;
- "Không thu về" in the status column states that it was not returned, and is stored as such;
- in a row with answers, a blank question counts as the scale's no-answer option (the first
  option with `no_answer: true`; on a scale without one, the option "" = missing): on paper a
  blank is a skipped question, and for scoring both leave the denominator. It is reported as a
  warning (the clerk may have skipped the cell), and in double entry blank and the no-answer code
  agree, so only real differences are listed;
- an option typed in another case ("a" for "A") is read with a warning; spaces are ignored; any
  other value (a number, a formula, a pasted word) is an error that keeps the questionnaire out;
- a row whose serial cell does not hold its serial (rows moved, sorted, overwritten) is not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from formkit.findings import Code, Finding
from formkit.survey.entry import NOT_RETURNED, SERIAL_COLUMN, EntryIdentity, EntrySheet
from formkit.survey.entry_read import ErrorValue, Formula, SheetValues, Value
from formkit.survey.questionnaire import RespondentGroup, Scale, Survey
from formkit.text import canonical_name, nfc
from formkit.units import Unit

ANSWERED, NOT_RETURNED_STATE, INVALID = "answered", "not-returned", "invalid"  # entry states
STATUS_HEADER = "Tình trạng phiếu"
BLANK_SHOWN = "(để trống)"
_LETTERS, _DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"


@dataclass(frozen=True)
class EntryContext:
    """What examining needs from the workspace; plain data, so it crosses processes."""

    secret: bytes
    campaign_id: str
    year: int
    surveys: dict[str, Survey]  # unit type -> questionnaire
    units: dict[str, Unit]
    issued: dict[str, tuple[str, str]]  # serial -> (unit, group) of every issued questionnaire


class KeyedAnswer(NamedTuple):
    """One question's keyed option, traced to its cell."""

    question: str
    option: str  # a code of the question's scale; "" = left blank on a scale without no-answer
    cell: str
    blank: bool = False  # left blank in a questionnaire with answers: option is the no-answer code


@dataclass(frozen=True)
class KeyedRow:
    """One questionnaire as a file states it."""

    serial: str
    group: str
    state: str  # ANSWERED, NOT_RETURNED_STATE or INVALID (kept out until a corrected file comes)
    keyed_by: str
    sheet: str
    row: int
    options: tuple[str, ...] = ()  # one per question in `questions` (answered rows only)
    blanks: frozenset[str] = frozenset()  # questions left blank, stored as the no-answer code
    questions: tuple[tuple[str, str], ...] = ()  # (question, column), shared by a sheet's rows

    @property
    def answers(self) -> tuple[KeyedAnswer, ...]:
        return tuple(KeyedAnswer(q, option, f"{column}{self.row}", q in self.blanks)
                     for (q, column), option in zip(self.questions, self.options, strict=True))


@dataclass(frozen=True)
class _SheetReader:
    sheet: SheetValues
    layout: EntrySheet
    name: str
    group: RespondentGroup
    scales: dict[str, Scale]  # question -> scale
    ctx: EntryContext
    unit: str
    plan: tuple[tuple[str, str, frozenset[str], str], ...]  # question, column, codes, no-answer
    questions: tuple[tuple[str, str], ...]  # (question, column)
    valid: tuple[frozenset[str], ...]  # each question's option codes, in question order

    def finding(self, kind: Code, cell: str, item: str | None = None, /, **params) -> Finding:
        return kind(file=self.name, sheet=self.layout.sheet, cell=cell, item=item, **params)


def read_rows(sheet: SheetValues, layout: EntrySheet, name: str, identity: EntryIdentity, survey: Survey,
              ctx: EntryContext) -> tuple[list[KeyedRow], list[Finding]]:
    """The questionnaires one group sheet states, and the findings of every row."""
    group = survey.group(layout.group)
    scales, plan, questions = _plan(survey, layout)
    reader = _SheetReader(sheet, layout, name, group, scales, ctx, identity.unit, plan, questions,
                          tuple(p[2] for p in plan))
    rows: list[KeyedRow] = []
    findings: list[Finding] = []
    expected = layout.rows()
    values = sheet.values
    for serial, row in expected.items():
        value = values.get(f"{SERIAL_COLUMN}{row}")
        found = serial if value == serial else cell_text(value)
        if found != serial:
            findings.append(_misplaced(reader, row, serial, found, expected))
        elif serial not in ctx.issued:
            findings.append(reader.finding(Code.ENTRY_UNKNOWN_SERIAL, f"{SERIAL_COLUMN}{row}", serial,
                                           serial=serial))
        else:
            keyed, more = _read_row(reader, serial, row)
            findings += more
            if keyed is not None:
                rows.append(keyed)
    if sheet.max_row > layout.last_row:
        findings += _extra_rows(reader, expected)
    return rows, findings


_PLANS: dict[tuple, tuple] = {}


def _plan(survey: Survey, layout: EntrySheet) -> tuple:
    """Per question: scale, allowed codes, no-answer code; the same for every file of a batch."""
    key = (survey.content_hash, layout.group, tuple(layout.columns.items()))
    if key not in _PLANS:
        group = survey.group(layout.group)
        scales = {q.code: survey.scale(q.scale) for q in group.questions}
        plan = tuple((q.code, layout.columns[q.code], frozenset(o.code for o in scales[q.code].options),
                      no_answer_code(scales[q.code])) for q in group.questions)
        _PLANS[key] = (scales, plan, tuple((q.code, layout.columns[q.code]) for q in group.questions))
    return _PLANS[key]


def _misplaced(reader: _SheetReader, row: int, serial: str, found: str, expected: dict[str, int]
               ) -> Finding:
    cell = f"{SERIAL_COLUMN}{row}"
    own_row = expected.get(found)
    if own_row is not None and cell_text(reader.sheet.values.get(f"{SERIAL_COLUMN}{own_row}")) == found:
        return reader.finding(Code.ENTRY_DUPLICATE_SERIAL, cell, found, serial=found, row=row,
                              first_row=own_row)
    return reader.finding(Code.ENTRY_SERIAL_MOVED, cell, serial, row=row, expected=serial,
                          found=found or BLANK_SHOWN)


def _extra_rows(reader: _SheetReader, expected: dict[str, int]) -> list[Finding]:
    """Rows below the layout that hold anything: pasted or added questionnaires, never read."""
    last = reader.layout.last_row
    columns = {SERIAL_COLUMN, reader.layout.keyed_by, reader.layout.status,
               *reader.layout.columns.values()}
    extra = sorted({row for ref, value in reader.sheet.values.items()
                    if (row := int(ref.lstrip(_LETTERS))) > last and ref.rstrip(_DIGITS) in columns
                    and cell_text(value)})
    findings = []
    for row in extra:
        found = cell_text(reader.sheet.values.get(f"{SERIAL_COLUMN}{row}"))
        cell = f"{SERIAL_COLUMN}{row}"
        if found in expected:
            findings.append(reader.finding(Code.ENTRY_DUPLICATE_SERIAL, cell, found, serial=found,
                                           row=row, first_row=expected[found]))
        elif found in reader.ctx.issued:
            unit, group = reader.ctx.issued[found]
            findings.append(reader.finding(Code.ENTRY_SERIAL_NOT_IN_FILE, cell, found, serial=found,
                                           unit=unit, group=group))
        else:
            findings.append(reader.finding(Code.ENTRY_UNKNOWN_SERIAL, cell, found or None,
                                           serial=found or BLANK_SHOWN))
    return findings


def _read_row(reader: _SheetReader, serial: str, row: int) -> tuple[KeyedRow | None, list[Finding]]:
    layout, get, suffix = reader.layout, reader.sheet.values.get, str(row)
    keyed_by = get(layout.keyed_by + suffix)
    keyed_by = "" if keyed_by is None else " ".join(cell_text(keyed_by).split())
    status = get(layout.status + suffix)
    status = "" if status is None else cell_text(status)
    findings: list[Finding] = []
    blanks: list[str] = []
    invalid = False
    options: list = [get(column + suffix) for _, column in reader.questions]
    if not all(map(frozenset.__contains__, reader.valid, options)):  # else: every cell a valid code
        options, invalid = _check_cells(reader, serial, suffix, options, blanks, findings)
    typed = len(reader.plan) - len(blanks)
    status_cell = layout.status + suffix
    not_returned = status == NOT_RETURNED or (
        bool(status) and canonical_name(status) == canonical_name(NOT_RETURNED))
    if status and not not_returned:
        invalid = True
        findings.append(reader.finding(Code.ENTRY_INVALID_CODE, status_cell, serial, serial=serial,
                                       question=f"cột {STATUS_HEADER}", value=status,
                                       allowed=f"“{NOT_RETURNED}” hoặc để trống"))
    elif not_returned and typed:
        invalid = True
        findings.append(reader.finding(Code.ENTRY_STATUS_CONFLICT, status_cell, serial, serial=serial,
                                       status=NOT_RETURNED, count=typed))
    base = (serial, layout.group)
    if invalid:
        return KeyedRow(*base, INVALID, keyed_by, layout.sheet, row), findings
    if not_returned or not typed:
        why = f"ghi “{NOT_RETURNED}”" if not_returned else "dòng để trống"
        findings.append(reader.finding(Code.ENTRY_NOT_RETURNED, f"{SERIAL_COLUMN}{row}", serial,
                                       serial=serial, why=why))
        return (KeyedRow(*base, NOT_RETURNED_STATE, keyed_by, layout.sheet, row) if not_returned
                else None), findings
    if blanks:
        findings.append(reader.finding(Code.ENTRY_PARTLY_ANSWERED, f"{SERIAL_COLUMN}{row}", serial,
                                       serial=serial, count=len(blanks), questions=", ".join(blanks),
                                       treated=_treated(reader, blanks, options)))
    return KeyedRow(*base, ANSWERED, keyed_by, layout.sheet, row, tuple(options), frozenset(blanks),
                    reader.questions), findings


def _check_cells(reader: _SheetReader, serial: str, suffix: str, values: list, blanks: list[str],
                 findings: list[Finding]) -> tuple[list[str], bool]:
    """Options of a row with a blank, a code to normalise or an invalid value (the slow road)."""
    options: list[str] = []
    invalid = False
    for (question, column, valid, no_answer), value in zip(reader.plan, values, strict=True):
        if value in valid:
            options.append(value)
            continue
        raw = _code_text(value)
        if raw is None:
            blanks.append(question)
            options.append(no_answer)
            continue
        option, finding = _option(reader, reader.scales[question], raw, serial, question,
                                  column + suffix)
        if finding is not None:
            findings.append(finding)
        invalid = invalid or option is None
        options.append(option or "")
    return options, invalid


def no_answer_code(scale: Scale) -> str:
    """What a blank question in an answered questionnaire is stored as ("" when the scale has no
    no-answer option: scoring then counts it as missing)."""
    return next((o.code for o in scale.options if o.is_no_answer), "")


def _treated(reader: _SheetReader, blanks: list[str], options: list[str]) -> str:
    stored = dict(zip((q for q, _ in reader.questions), options, strict=True))
    codes = sorted({stored[q] for q in blanks})
    shown = ", ".join(f"'{c}'" for c in codes if c)
    return f"không trả lời (mã {shown})" if shown else "không trả lời"


def _option(reader: _SheetReader, scale: Scale, raw: str, serial: str, question: str, cell: str
            ) -> tuple[str | None, Finding | None]:
    """The option code a typed value means; pasting bypasses the dropdown, so check everything."""
    codes = [o.code for o in scale.options]
    compact = "".join(raw.split())
    if compact in codes:
        return compact, None
    folded = [c for c in codes if c.casefold() == compact.casefold()]
    if len(folded) == 1:
        return folded[0], reader.finding(Code.ENTRY_CODE_CASE, cell, serial, serial=serial,
                                         question=f"câu {question}", value=raw, code=folded[0])
    return None, reader.finding(Code.ENTRY_INVALID_CODE, cell, serial, serial=serial,
                                question=f"câu {question}", value=raw, allowed=", ".join(codes))


def _code_text(value: Value | None) -> str | None:
    """A typed cell as text; None when blank. Formulas and error values keep their text, to be
    reported, never evaluated."""
    if value is None:
        return None
    if isinstance(value, (Formula, ErrorValue)):
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = nfc(value).strip()
    return text or None


def cell_text(value: Value | None) -> str:
    """A cell as trimmed NFC text ("" when empty); whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value)).strip()

"""Validating the input cells of a returned form, whatever Excel's own validation let through.

Pure functions over cell values: each returns what it read and the findings it raised, so the
same rules serve the batch intake, the tests (including property-based ones) and later stages.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple, Protocol

from formkit.catalog import Criterion
from formkit.findings import Code, Finding
from formkit.forms.workbook import EVIDENCE_MAX_CHARS, EXPLANATION_MAX_CHARS
from formkit.legacy_text import encoding_for_font, is_uppercase_font, looks_legacy, repair
from formkit.text import nfc, parse_number

FORMULA_TRIGGERS = ("=", "+", "-", "@")
TEXT_LIMITS = {"evidence": EVIDENCE_MAX_CHARS, "explanation": EXPLANATION_MAX_CHARS}
ENCODING_NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI"}
_NANO = Decimal("1e-9")
_encoding = lru_cache(maxsize=256)(encoding_for_font)  # a few fonts, tens of thousands of cells


class CellLike(Protocol):
    value: object
    raw: str | None
    formula: str | None
    font: str | None


class Where(NamedTuple):
    """The location every finding of one cell carries; a tuple, as one is made per input cell."""

    file: str
    sheet: str
    cell: str
    item: str

    def finding(self, kind: Code, /, **params: object) -> Finding:
        return kind(file=self.file, sheet=self.sheet, cell=self.cell, item=self.item, **params)


def _shown(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def read_score(cell: CellLike | None, leaf: Criterion, where: Where
               ) -> tuple[Decimal | None, list[Finding]]:
    """The self-score of a leaf: a number within 0..appraisal max and on the leaf's step."""
    if cell is not None and cell.formula:
        return None, [where.finding(Code.FORMULA_IN_INPUT, code=leaf.code, formula="=" + cell.formula)]
    value = None if cell is None else cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, [where.finding(Code.SCORE_MISSING, code=leaf.code, maximum=_shown(leaf.appraisal))]
    findings: list[Finding] = []
    number = _as_decimal(cell)
    if number is None and isinstance(value, str):
        try:
            number = parse_number(value)
        except ValueError:
            number = None
        else:
            findings.append(where.finding(Code.SCORE_AS_TEXT, code=leaf.code, value=value.strip(),
                                          number=_shown(number)))
    if number is None:
        return None, [where.finding(Code.SCORE_NOT_NUMBER, code=leaf.code, value=str(value).strip(),
                                    maximum=_shown(leaf.appraisal))]
    if number < 0 or number > leaf.appraisal:
        return None, [*findings, where.finding(Code.SCORE_OUT_OF_RANGE, code=leaf.code,
                                               value=_shown(number), maximum=_shown(leaf.appraisal))]
    if leaf.step and number % leaf.step != 0:
        return None, [*findings, where.finding(Code.SCORE_OFF_STEP, code=leaf.code,
                                               value=_shown(number), step=_shown(leaf.step))]
    return number, findings


def _as_decimal(cell: CellLike) -> Decimal | None:
    """A numeric cell as an exact Decimal, from the stored text rather than through float."""
    if isinstance(cell.value, bool) or not isinstance(cell.value, (int, float)):
        return None
    try:
        number = Decimal(cell.raw) if cell.raw else Decimal(repr(cell.value))
    except InvalidOperation:
        return None
    # Spreadsheet programs store 0.1 as 0.1000000000000000055...; keep what the user typed.
    return number.quantize(_NANO).normalize() if number.is_finite() else None


def read_text(cell: CellLike | None, field_name: str, leaf: Criterion, where: Where
              ) -> tuple[str, list[Finding]]:
    """An evidence or explanation text: NFC, legacy encodings repaired, length checked."""
    if cell is None or cell.value is None:
        return "", []
    if cell.formula:
        return "", [where.finding(Code.FORMULA_IN_INPUT, code=leaf.code, formula="=" + cell.formula)]
    value = cell.value
    if not isinstance(value, str):
        value = ("Có" if value else "Không") if isinstance(value, bool) else _plain(value)
    text = nfc(value).strip()
    findings: list[Finding] = []
    encoding = _encoding(cell.font)
    if encoding and looks_legacy(text, encoding):
        text = repair(text, encoding, uppercase=is_uppercase_font(cell.font))
        findings.append(where.finding(Code.LEGACY_TEXT, encoding=ENCODING_NAMES[encoding],
                                      font=cell.font))
    if text.startswith(FORMULA_TRIGGERS):
        findings.append(where.finding(Code.FORMULA_LIKE_TEXT, char=text[0]))
    limit = TEXT_LIMITS[field_name]
    if len(text) > limit:
        findings.append(where.finding(Code.TEXT_TOO_LONG, code=leaf.code, length=len(text),
                                      limit=limit))
    return text, findings


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_justification(score: Decimal | None, evidence: str, explanation: str, leaf: Criterion,
                        where: Where) -> list[Finding]:
    """A score above zero needs its evidence documents or an explanation."""
    if score and score > 0 and leaf.evidence and not evidence and not explanation:
        return [where.finding(Code.NO_JUSTIFICATION, code=leaf.code, value=_shown(score))]
    return []


def neutralise(text: str) -> str:
    """Text safe to put in a spreadsheet export: a leading = + - @ no longer makes a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text

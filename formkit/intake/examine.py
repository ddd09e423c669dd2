"""Examining one returned file: open safely, identify, verify the structure, validate every cell.

`examine` is a pure function of the file's bytes and the workspace context; it never raises for
anything in the file (every problem is a finding) and never touches the ledger, so it can run in
worker processes and be tested without a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from formkit.catalog import Catalog
from formkit.findings import Code, Finding, Severity
from formkit.forms.identity import IDENTITY_SHEET, FormIdentity
from formkit.forms.layout import COLUMNS, INPUT_FIELDS, SCORING_SHEET, SheetLayout
from formkit.intake.identify import IntakeContext, check_structure, identify
from formkit.intake.validate import Where, check_justification, read_score, read_text
from formkit.intake.xlsx import Cell, read_workbook

ACCEPTED, WARNINGS, REJECTED = "accepted", "accepted-with-warnings", "rejected"


class ScoreEntry(NamedTuple):
    """One self-score read; a tuple, as a batch reads tens of thousands of them."""

    leaf: str
    score: Decimal
    evidence: str
    explanation: str
    sheet: str
    cell: str  # the score cell


@dataclass
class Examination:
    findings: list[Finding] = field(default_factory=list)
    unit: str | None = None
    form_id: str | None = None
    scores: list[ScoreEntry] = field(default_factory=list)

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        if Severity.ERROR in severities:
            return REJECTED
        return WARNINGS if Severity.WARNING in severities else ACCEPTED


# The columns the checks look at: identity (A2, A3), codes, texts, maxima and the inputs.
READ_COLUMNS = frozenset(COLUMNS[f] for f in ("code", "text", "appraisal", *INPUT_FIELDS))


def examine(data: bytes, name: str, ctx: IntakeContext, sender: str | None = None) -> Examination:
    result = Examination()
    sheets = (SCORING_SHEET, IDENTITY_SHEET)
    workbook, findings = read_workbook(data, name, sheets, columns=READ_COLUMNS)
    result.findings += findings
    if workbook is None:
        return result
    identity, findings = identify(workbook, name, ctx, sender)
    result.findings += findings
    if identity is None:
        return result
    if not READ_COLUMNS.issuperset(identity.columns.values()):  # issued with other input columns
        workbook, _ = read_workbook(data, name, sheets)  # the same file: findings already kept
    result.unit, result.form_id = identity.unit, identity.form_id
    catalog = ctx.catalogs[ctx.units[identity.unit].unit_type]
    layout, findings = check_structure(workbook, name, identity, catalog)
    result.findings += findings
    if layout is None:
        return result
    sheet = workbook.sheets[identity.sheet]
    scores, findings = _read_inputs(sheet, name, identity, catalog)
    result.findings += findings
    result.findings += _check_totals(sheet, name, identity.sheet, layout, scores)
    if result.status != REJECTED:
        result.scores = list(scores.values())
    return result


def _read_inputs(sheet, name: str, identity: FormIdentity, catalog: Catalog
                 ) -> tuple[dict[str, ScoreEntry], list[Finding]]:
    scores: dict[str, ScoreEntry] = {}
    findings: list[Finding] = []
    get, rows, sheet_name, quiet = sheet.cells.get, identity.rows, identity.sheet, _quiet_scores(catalog)
    score_column, evidence_column, explanation_column = (identity.columns[f] for f in INPUT_FIELDS)
    for code in identity.inputs:
        leaf, row = catalog[code], rows[code]
        score_cell = f"{score_column}{row}"
        cell = get(score_cell)
        score = None
        if cell is not None and type(cell.value) is float and not cell.formula:
            score = quiet[code].get(cell.raw)
        if score is None:
            score, more = read_score(cell, leaf, Where(name, sheet_name, score_cell, code))
            findings += more
        evidence, explanation = "", ""  # an empty cell reads as no text, with nothing to say
        if (cell := get(evidence_cell := f"{evidence_column}{row}")) is not None:
            evidence, more = read_text(cell, "evidence", leaf, Where(name, sheet_name, evidence_cell, code))
            findings += more
        if (cell := get(explanation_cell := f"{explanation_column}{row}")) is not None:
            explanation, more = read_text(cell, "explanation", leaf,
                                          Where(name, sheet_name, explanation_cell, code))
            findings += more
        if score and not (evidence or explanation):  # otherwise there is nothing to justify
            findings += check_justification(score, evidence, explanation, leaf,
                                            Where(name, sheet_name, explanation_cell, code))
        if score is not None:
            scores[code] = ScoreEntry(code, score, evidence, explanation, sheet_name, score_cell)
    return scores, findings


_QUIET: dict[str, dict[str, dict[str, Decimal]]] = {}
_MAX_STEPS = 400


def _quiet_scores(catalog: Catalog) -> dict[str, dict[str, Decimal]]:
    """Item -> stored number text -> score, for every score read_score accepts without a finding
    as spreadsheet programs store it ("0.75", "1", "1.0"): most cells then need one look-up."""
    if catalog.content_hash not in _QUIET:
        tables: dict[str, dict[str, Decimal]] = {}
        for item in catalog.items:
            tables[item.code] = table = {}
            steps = item.appraisal / item.step if item.step else Decimal(-1)
            if 0 <= steps <= _MAX_STEPS and steps == steps.to_integral_value():
                for k in range(int(steps) + 1):
                    value = item.step * k
                    for text in (format(value.normalize(), "f"), repr(float(value))):
                        score, found = read_score(Cell(float(text), text), item, _NOWHERE)
                        if score is not None and not found:
                            table[text] = score
        _QUIET[catalog.content_hash] = tables
    return _QUIET[catalog.content_hash]


_NOWHERE = Where("", "", "", "")


def _check_totals(sheet, name: str, sheet_name: str, layout: SheetLayout,
                  scores: dict[str, ScoreEntry]) -> list[Finding]:
    """Totals are recomputed from the inputs; a stored total that disagrees is only a warning."""
    findings = []
    get, score_of = sheet.cells.get, {code: entry.score for code, entry in scores.items()}.__getitem__
    for code, cell, leaves in total_cells(layout):
        stored = get(cell)
        if stored is None or isinstance(stored.value, bool) or not isinstance(stored.value, (int, float)):
            continue
        try:
            computed = sum(map(score_of, leaves), _ZERO)
        except KeyError:
            continue  # a score is missing or invalid: that finding says enough
        cached = Decimal(repr(stored.value))
        if abs(cached - computed) > _TOLERANCE:
            findings.append(Code.CACHED_TOTAL(file=name, sheet=sheet_name, cell=cell,
                                              item=code if code != TOTAL_LABEL else None, code=code,
                                              cached=_shown(cached), computed=_shown(computed)))
    return findings


_ZERO, _TOLERANCE = Decimal(0), Decimal("1e-6")
TOTAL_LABEL = "TỔNG CỘNG"
_TOTALS: dict[int, list[tuple[str, str, tuple[str, ...]]]] = {}


def total_cells(layout: SheetLayout) -> list[tuple[str, str, tuple[str, ...]]]:
    """(code, score cell, input leaves under it) for every subtotal and the grand total."""
    if id(layout) not in _TOTALS:
        inputs = [r.item.code for r in layout.inputs()]
        rows = [(r.item.code, r.cell("score"), tuple(c for c in inputs if c.startswith(r.item.code + ".")))
                for r in layout.rows if not r.item.is_leaf and r.applicable]
        rows.append((TOTAL_LABEL, f"{COLUMNS['score']}{layout.total_row}", tuple(inputs)))
        _TOTALS[id(layout)] = rows
    return _TOTALS[id(layout)]


def _shown(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")

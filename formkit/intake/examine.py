"""Examining one returned file: open safely, identify, verify the structure, validate every cell.

`examine` is a pure function of the file's bytes and the workspace context; it never raises for
anything in the file (every problem is a finding) and never touches the ledger, so it can run in
worker processes and be tested without a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from formkit.catalog import Catalog
from formkit.findings import Code, Finding, Severity
from formkit.forms.identity import IDENTITY_SHEET, FormIdentity
from formkit.forms.layout import COLUMNS, SCORING_SHEET, SheetLayout
from formkit.intake.identify import IntakeContext, check_structure, identify
from formkit.intake.validate import Where, check_justification, read_score, read_text
from formkit.intake.xlsx import read_workbook

ACCEPTED, WARNINGS, REJECTED = "accepted", "accepted-with-warnings", "rejected"


@dataclass(frozen=True)
class ScoreEntry:
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


def examine(data: bytes, name: str, ctx: IntakeContext, sender: str | None = None) -> Examination:
    result = Examination()
    workbook, findings = read_workbook(data, name, sheets=(SCORING_SHEET, IDENTITY_SHEET))
    result.findings += findings
    if workbook is None:
        return result
    identity, findings = identify(workbook, name, ctx, sender)
    result.findings += findings
    if identity is None:
        return result
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
    for code in identity.inputs:
        leaf = catalog[code]
        cells = {f: identity.cell(code, f) for f in ("score", "evidence", "explanation")}
        where = {f: Where(name, identity.sheet, cell, code) for f, cell in cells.items()}
        score, more = read_score(sheet.cells.get(cells["score"]), leaf, where["score"])
        findings += more
        evidence, more = read_text(sheet.cells.get(cells["evidence"]), "evidence", leaf,
                                   where["evidence"])
        findings += more
        explanation, more = read_text(sheet.cells.get(cells["explanation"]), "explanation", leaf,
                                      where["explanation"])
        findings += more
        findings += check_justification(score, evidence, explanation, leaf, where["explanation"])
        if score is not None:
            scores[code] = ScoreEntry(code, score, evidence, explanation, identity.sheet,
                                      cells["score"])
    return scores, findings


def _check_totals(sheet, name: str, sheet_name: str, layout: SheetLayout,
                  scores: dict[str, ScoreEntry]) -> list[Finding]:
    """Totals are recomputed from the inputs; a stored total that disagrees is only a warning."""
    findings = []
    for code, cell, leaves in total_cells(layout):
        stored = sheet.cells.get(cell)
        if stored is None or isinstance(stored.value, bool) or not isinstance(stored.value, (int, float)):
            continue
        if any(leaf not in scores for leaf in leaves):
            continue  # a score is missing or invalid: that finding says enough
        computed = sum((scores[leaf].score for leaf in leaves), Decimal(0))
        cached = Decimal(repr(stored.value))
        if abs(cached - computed) > Decimal("1e-6"):
            findings.append(Code.CACHED_TOTAL(file=name, sheet=sheet_name, cell=cell,
                                              item=code if code != TOTAL_LABEL else None, code=code,
                                              cached=_shown(cached), computed=_shown(computed)))
    return findings


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

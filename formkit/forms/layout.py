"""Where each item of the catalogue sits on the scoring sheet, for one unit's applicability.

Pure arithmetic over the catalogue: the writer uses it to place rows, the identity records it,
and the intake reads returns through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from formkit.catalog import Catalog, Criterion

SCORING_SHEET = "Tự đánh giá"
FIRST_ITEM_ROW = 7  # 1-based; rows 1-6 hold the titles and the column headers
HEADER_ROWS = (5, 6)  # 1-based rows repeated on every printed page
COLUMNS = {"code": "A", "text": "B", "guidance": "C", "max": "D", "survey": "E", "appraisal": "F",
           "score": "G", "evidence": "H", "explanation": "I"}
INPUT_FIELDS = ("score", "evidence", "explanation")


@dataclass(frozen=True)
class ItemRow:
    item: Criterion
    row: int  # 1-based
    applicable: bool
    is_input: bool  # the unit scores this leaf itself

    def cell(self, field_name: str) -> str:
        return f"{COLUMNS[field_name]}{self.row}"


@dataclass(frozen=True)
class SheetLayout:
    rows: tuple[ItemRow, ...]
    total_row: int
    not_applicable: frozenset[str]

    def row_of(self, code: str) -> ItemRow:
        return next(r for r in self.rows if r.item.code == code)

    def inputs(self) -> list[ItemRow]:
        return [r for r in self.rows if r.is_input]

    def children(self, row: ItemRow) -> list[ItemRow]:
        return [self.row_of(code) for code in row.item.children]

    @property
    def last_row(self) -> int:
        return self.total_row


def layout_for(catalog: Catalog, not_applicable: frozenset[str]) -> SheetLayout:
    """Rows for every item in catalogue order; a leaf is an input when it applies and has
    appraisal points."""
    rows = []
    for offset, item in enumerate(catalog.items):
        applicable = _applicable(catalog, item, not_applicable)
        rows.append(ItemRow(item, FIRST_ITEM_ROW + offset, applicable,
                            item.is_leaf and applicable and item.appraisal > 0))
    return SheetLayout(tuple(rows), FIRST_ITEM_ROW + len(rows), frozenset(not_applicable))


def not_applicable_for(catalog: Catalog, unit_code: str) -> frozenset[str]:
    return frozenset(leaf.code for leaf in catalog.leaves() if not leaf.applies_to(unit_code))


def _applicable(catalog: Catalog, item: Criterion, not_applicable: frozenset[str]) -> bool:
    if item.is_leaf:
        return item.code not in not_applicable
    return any(leaf.code not in not_applicable for leaf in catalog.leaves_under(item.code))

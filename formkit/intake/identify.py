"""Identifying a returned form by its content, and checking that its structure is intact.

The identity sheet says who the form is for and where every leaf sits; its HMAC says nobody
changed that. The scoring sheet must still have every code, text and maximum where the layout
puts them: inserted, deleted or moved rows are found and located, because reading scores
through a shifted layout would credit points to the wrong criterion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import repeat
from math import isfinite
from operator import itemgetter
from typing import NamedTuple

from formkit.catalog import Catalog, Criterion
from formkit.findings import Code, Finding
from formkit.forms.identity import IDENTITY_SHEET, FormIdentity, verify
from formkit.forms.layout import COLUMNS, SheetLayout, layout_for
from formkit.text import canonical_name, nfc
from formkit.units import Unit


@dataclass(frozen=True)
class IntakeContext:
    """What examining a file needs from the workspace; plain data, so it crosses processes."""

    secret: bytes
    campaign_id: str
    year: int
    catalogs: dict[str, Catalog]
    units: dict[str, Unit]


def identify(workbook, name: str, ctx: IntakeContext, sender: str | None
             ) -> tuple[FormIdentity | None, list[Finding]]:
    """The verified identity of the form, or None with the reason as a finding."""
    sheet = workbook.sheets.get(IDENTITY_SHEET)
    if sheet is None:
        return None, [Code.NO_IDENTITY(file=name)]
    payload, signature = (_text(sheet.cells.get(cell)) for cell in ("A2", "A3"))
    where = {"file": name, "sheet": IDENTITY_SHEET}
    try:
        identity: FormIdentity | None = FormIdentity.from_payload(payload)
    except ValueError:
        identity = None
    other = _other_kind(payload, identity)
    if other:
        return None, [Code.WRONG_KIND(what=other[0], command=other[1], cell="A2", **where)]
    if identity is None:
        return None, [Code.BAD_SIGNATURE(cell="A2", detail="không đọc được thông tin nhận dạng",
                                         **where)]
    if not verify(payload, signature, ctx.secret):
        return None, [Code.BAD_SIGNATURE(cell="A3", detail="chữ ký sai hoặc của đợt khác", **where)]
    if identity.campaign != ctx.campaign_id or identity.year != ctx.year:
        return None, [Code.WRONG_CAMPAIGN(campaign=identity.campaign, year=identity.year,
                                          expected_year=ctx.year, **where)]
    unit = ctx.units.get(identity.unit)
    if unit is None:
        return None, [Code.UNKNOWN_FORM_UNIT(unit=identity.unit, **where)]
    catalog = ctx.catalogs[unit.unit_type]
    if identity.catalog_hash != catalog.content_hash:
        return None, [Code.CATALOG_CHANGED(old=identity.catalog_hash[:12],
                                           new=catalog.content_hash[:12], **where)]
    findings = []
    if sender and unit.email and sender.lower() != unit.email.lower():
        findings.append(Code.SENDER_MISMATCH(file=name, sender=sender, expected=unit.email))
    return identity, findings


OTHER_KINDS = {  # identity kind -> (what it is, the command that reads it)
    "survey-entry": ("tệp nhập phiếu khảo sát", "formkit survey collect"),
    "appraisal": ("biểu thẩm định của hội đồng", "formkit appraise collect"),
}


def _other_kind(payload: str, identity: FormIdentity | None) -> tuple[str, str] | None:
    """A formkit file of another kind (survey entry, appraisal) deserves a pointer, not 'bad
    signature': the clerk only used the wrong command."""
    if identity is not None:
        kind = identity.kind  # the payload, already parsed
    else:
        try:
            kind = json.loads(payload).get("kind")
        except (ValueError, AttributeError):
            return None
    return OTHER_KINDS.get(kind) if isinstance(kind, str) else None


def check_structure(workbook, name: str, identity: FormIdentity, catalog: Catalog
                    ) -> tuple[SheetLayout | None, list[Finding]]:
    """The layout the form was issued with, if its fixed content is still where it belongs."""
    layout, fixed, intact = _cached(catalog, frozenset(identity.not_applicable))
    sheet = workbook.sheets.get(identity.sheet)
    if sheet is None:
        return None, [Code.SHEET_MISSING(file=name, sheet=identity.sheet)]
    findings: list[Finding] = []
    if not sheet.protected:
        findings.append(Code.PROTECTION_REMOVED(file=name, sheet=identity.sheet))
    get = sheet.cells.get
    if (intact is not None
            and list(map(_VALUE, map(get, intact.texts, repeat(_NO_CELL)))) == intact.held_texts
            and list(map(_RAW, map(get, intact.maxima, repeat(_NO_CELL)))) == intact.held_maxima):
        return layout, findings  # every code, text and maximum as issued: nothing to look into
    code_rows: dict[str, int] | None = None  # built only when a row is out of place
    moved = False
    for row in fixed:
        code = row.item.code
        if _text(get(row.code_cell)) != code:
            moved = True
            code_rows = code_rows if code_rows is not None else _code_rows(sheet)
            elsewhere = code_rows.get(code)
            where = f"đang ở dòng {elsewhere}" if elsewhere else "không còn trong trang tính"
            findings.append(Code.ROWS_MOVED(file=name, sheet=identity.sheet, cell=row.code_cell,
                                            item=code, code=code, expected=row.row, found=where))
            continue
        findings += _changed_text(_text(get(row.text_cell)), name, identity.sheet, row)
        if row.max_cell:
            findings += _changed_max(get(row.max_cell), name, identity.sheet, row)
    return (None if moved else layout), findings


class _Fixed(NamedTuple):
    """Where one row's locked content sits, worked out once per layout."""

    item: Criterion
    row: int
    code_cell: str
    text_cell: str
    max_cell: str | None  # the appraisal maximum, for a leaf


class _Intact(NamedTuple):
    """The locked cells of a layout and what they hold as issued, to check an intact sheet at
    once: the code and text cells' values, the maximum cells' stored number texts."""

    texts: list[str]
    held_texts: list[str]
    maxima: list[str]
    held_maxima: list[str]


class _Locked(NamedTuple):
    layout: SheetLayout
    rows: list[_Fixed]
    intact: _Intact | None  # None when reading cells one by one could differ (see _cached)


_LAYOUTS: dict[tuple[str, frozenset[str]], _Locked] = {}
_VALUE, _RAW, _NO_CELL = itemgetter(0), itemgetter(1), (None, None)  # a cell's value, raw; none


def cached_layout(catalog: Catalog, not_applicable: frozenset[str]) -> SheetLayout:
    """Layouts repeat across a batch (a few per unit type): compute each once per process."""
    return _cached(catalog, not_applicable).layout


def _cached(catalog: Catalog, not_applicable: frozenset[str]) -> _Locked:
    """The layout, its rows, and what an intact sheet holds. Cells are compared stripped and NFC,
    so a cell holding exactly its code or text is intact only if those already are; a maximum,
    if it is stored exactly as issued (and is a number a float can hold)."""
    key = (catalog.content_hash, not_applicable)
    if key not in _LAYOUTS:
        layout = layout_for(catalog, not_applicable)
        rows = [_Fixed(r.item, r.row, r.cell("code"), r.cell("text"),
                       r.cell("appraisal") if r.item.is_leaf else None) for r in layout.rows]
        maxima = [(r.max_cell, _stored(r.item.appraisal)) for r in rows if r.max_cell]
        intact = _Intact([r.code_cell for r in rows] + [r.text_cell for r in rows],
                         [r.item.code for r in rows] + [r.item.text for r in rows],
                         [cell for cell, _ in maxima], [text for _, text in maxima])
        usable = all(_plain(r.item.code) and _plain(r.item.text) for r in rows) and all(
            isfinite(float(text)) for text in intact.held_maxima)
        _LAYOUTS[key] = _Locked(layout, rows, intact if usable else None)
    return _LAYOUTS[key]


def _stored(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _plain(text: str) -> bool:
    return nfc(text).strip() == text


def _changed_text(found: str, name: str, sheet_name: str, row: _Fixed) -> list[Finding]:
    item = row.item
    if found == item.text or canonical_name(found) == canonical_name(item.text):
        return []
    return [Code.LOCKED_CHANGED(file=name, sheet=sheet_name, cell=row.text_cell, item=item.code,
                                code=item.code, what="nội dung", found=_short(found),
                                expected=_short(item.text))]


def _changed_max(cell, name: str, sheet_name: str, row: _Fixed) -> list[Finding]:
    item = row.item
    if _number(cell) == item.appraisal:
        return []
    return [Code.LOCKED_CHANGED(file=name, sheet=sheet_name, cell=row.max_cell, item=item.code,
                                code=item.code, what="điểm tối đa tự chấm", found=_text(cell),
                                expected=_stored(item.appraisal))]


def _code_rows(sheet) -> dict[str, int]:
    rows: dict[str, int] = {}
    for coordinate, cell in sheet.cells.items():
        if coordinate.startswith(COLUMNS["code"]) and coordinate[1:].isdigit():
            rows.setdefault(_text(cell), int(coordinate[1:]))
    return rows


def _text(cell) -> str:
    if cell is None or cell.value is None:
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value)).strip()


def _number(cell) -> Decimal | None:
    if cell is None or cell.value is None or isinstance(cell.value, bool):
        return None
    try:
        return Decimal(cell.raw or str(cell.value))
    except InvalidOperation:
        return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

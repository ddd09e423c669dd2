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

from formkit.catalog import Catalog
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
    other = _other_kind(payload)
    if other:
        return None, [Code.WRONG_KIND(what=other[0], command=other[1], cell="A2", **where)]
    try:
        identity = FormIdentity.from_payload(payload)
    except ValueError:
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


def _other_kind(payload: str) -> tuple[str, str] | None:
    """A formkit file of another kind (survey entry, appraisal) deserves a pointer, not 'bad
    signature': the clerk only used the wrong command."""
    try:
        kind = json.loads(payload).get("kind")
    except (ValueError, AttributeError):
        return None
    return OTHER_KINDS.get(kind) if isinstance(kind, str) else None


def check_structure(workbook, name: str, identity: FormIdentity, catalog: Catalog
                    ) -> tuple[SheetLayout | None, list[Finding]]:
    """The layout the form was issued with, if its fixed content is still where it belongs."""
    layout = cached_layout(catalog, frozenset(identity.not_applicable))
    sheet = workbook.sheets.get(identity.sheet)
    if sheet is None:
        return None, [Code.SHEET_MISSING(file=name, sheet=identity.sheet)]
    findings: list[Finding] = []
    if not sheet.protected:
        findings.append(Code.PROTECTION_REMOVED(file=name, sheet=identity.sheet))
    code_rows: dict[str, int] | None = None  # built only when a row is out of place
    moved = False
    for item_row in layout.rows:
        code, row = item_row.item.code, item_row.row
        found = _text(sheet.cells.get(f"{COLUMNS['code']}{row}"))
        if found != code:
            moved = True
            code_rows = code_rows if code_rows is not None else _code_rows(sheet)
            elsewhere = code_rows.get(code)
            where = f"đang ở dòng {elsewhere}" if elsewhere else "không còn trong trang tính"
            findings.append(Code.ROWS_MOVED(file=name, sheet=identity.sheet, cell=f"A{row}",
                                            item=code, code=code, expected=row, found=where))
            continue
        findings += _locked_content(sheet, name, identity.sheet, item_row)
    return (None if moved else layout), findings


_LAYOUTS: dict[tuple[str, frozenset[str]], SheetLayout] = {}


def cached_layout(catalog: Catalog, not_applicable: frozenset[str]) -> SheetLayout:
    """Layouts repeat across a batch (a few per unit type): compute each once per process."""
    key = (catalog.content_hash, not_applicable)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = layout_for(catalog, not_applicable)
    return _LAYOUTS[key]


def _locked_content(sheet, name: str, sheet_name: str, item_row) -> list[Finding]:
    item, row = item_row.item, item_row.row
    cell = f"{COLUMNS['text']}{row}"
    found = _text(sheet.cells.get(cell))
    findings = []
    if found != item.text and canonical_name(found) != canonical_name(item.text):
        findings.append(Code.LOCKED_CHANGED(file=name, sheet=sheet_name, cell=cell, item=item.code,
                                           code=item.code, what="nội dung", found=_short(found),
                                           expected=_short(item.text)))
    if item.is_leaf:
        cell = f"{COLUMNS['appraisal']}{row}"
        found_max = _number(sheet.cells.get(cell))
        if found_max != item.appraisal:
            findings.append(Code.LOCKED_CHANGED(
                file=name, sheet=sheet_name, cell=cell, item=item.code, code=item.code,
                what="điểm tối đa tự chấm", found=_text(sheet.cells.get(cell)),
                expected=format(item.appraisal.normalize(), "f")))
    return findings


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

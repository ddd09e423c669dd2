"""Reading the cells of an entry workbook: a values-only scan, with the intake's reader behind it.

An entry workbook is almost nothing but short shared strings (the option codes), about two
thousand cells a file; building the intake reader's full cell (formula, error, font) for each one
costs twice what python-calamine needs to read the file, so sheets come back as plain values.
Excel, LibreOffice, WPS and xlsxwriter save such sheets in one plain form, and for that form this
module scans the values directly. The package is still opened by `formkit.intake.container`
(content sniffing, zip-bomb limits, no DTD in any part read). Anything the scan does not
recognise (formulas, inline or rich text, escapes, other cell types or attributes, comments,
non-UTF-8 parts) makes it give up, and `formkit.intake.xlsx.read_workbook` reads the file
instead, so both roads give the same values; tests compare them cell by cell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from formkit.findings import Finding
from formkit.intake.container import PackageError, open_package, refuse_dtd, root_position
from formkit.intake.xlsx import Cell, Sheet, read_workbook

Value = str | float | bool  # text (NFC), number, boolean; Formula and ErrorValue are text too


class Formula(str):
    """A formula's text ("=..."): kept to be reported, never evaluated."""


class ErrorValue(str):
    """An error value such as "#N/A"."""


@dataclass
class SheetValues:
    name: str
    protected: bool
    values: dict[str, Value]  # "C6" -> value; empty cells are absent
    max_row: int = 0  # the row of the last cell holding anything

# A cell holding a shared-string index or a number, exactly as spreadsheet programs write it.
_VALUE = re.compile(r'<c r="([A-Z]{1,3}[0-9]{1,7})"(?: s="[0-9]{1,6}")?'
                    r'(?: t="s"><v>(0|[1-9][0-9]{0,8})</v>|(?: t="n")?><v>(-?[0-9]{1,15}(?:\.[0-9]{1,17})?'
                    r'(?:[Ee][+-]?[0-9]{1,2})?)</v>)</c>')  # numbers always finite
_STRING = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_PROTECTION = re.compile(r"""\ssheet\s*=\s*(["'])(1|true)\1""")
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}  # &amp; last
_NAMESPACE_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def read_entry_sheets(data: bytes, name: str, skip: frozenset[str] = frozenset()
                      ) -> tuple[dict[str, SheetValues] | None, list[Finding]]:
    """The workbook's sheets by name (None, with the findings, when it cannot be read); the scan
    leaves out the sheets named in `skip` (the full reader, when it takes over, reads them all)."""
    sheets = _scan(data, name, skip)
    if sheets is not None:
        return sheets, []
    workbook, findings = read_workbook(data, name)
    if workbook is None:
        return None, findings
    return {sheet_name: _values(sheet) for sheet_name, sheet in workbook.sheets.items()}, findings


def _values(sheet: Sheet) -> SheetValues:
    return SheetValues(sheet.name, sheet.protected,
                       {ref: value for ref, cell in sheet.cells.items()
                        if (value := _value(cell)) is not None}, sheet.max_row)


def _value(cell: Cell) -> Value | None:
    if cell.formula:
        return Formula("=" + cell.formula)
    if cell.error:
        return ErrorValue(cell.error)
    return cell.value


def _scan(data: bytes, name: str, skip: frozenset[str]) -> dict[str, SheetValues] | None:
    """The sheets read by the values-only scan, or None to let read_workbook decide."""
    package, findings = open_package(data, name)
    if package is None or findings:
        return None  # refused, or a note (macros): read_workbook reports it the same way
    try:
        root = package.xml(package.workbook_part)
        rels = {rel.id: rel for rel in package.relationships(package.workbook_part)}
        strings_rel = next((r for r in rels.values() if r.type.endswith("/sharedStrings")), None)
        strings = _strings(package.read(strings_rel.target)) if strings_rel else []
        if strings is None:
            return None
        lookup = {str(index): text for index, text in enumerate(strings)}  # index text -> string
        sheets = {}
        for sheet_name, rel_id in _entries(root):
            if sheet_name in skip:
                continue
            rel = rels.get(rel_id or "")
            if rel is None or not package.has(rel.target):
                return None
            part = package.read(rel.target)
            refuse_dtd(part, rel.target, name)
            sheet = _sheet(part, sheet_name, lookup)
            if sheet is None:
                return None
            sheets[sheet_name] = sheet
        return sheets
    except PackageError:
        return None  # read_workbook turns it into its finding
    finally:
        package.close()


def _entries(root) -> list[tuple[str, str | None]]:
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    container = root.find(ns + "sheets")
    return [(unicodedata.normalize("NFC", s.get("name", "")), s.get(_NAMESPACE_R))
            for s in ([] if container is None else container)]


def _utf8_text(data: bytes, tag: bytes) -> str | None:
    """The part as text when it is UTF-8 with an unprefixed root `tag` (the callers check that
    no comment or CDATA hides where they look)."""
    pos = root_position(data)
    if pos == -1 or not data.startswith(b"<" + tag, pos):
        return None
    if b"encoding" in data[:pos] and not _UTF8.search(data[:pos]):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _strings(data: bytes) -> list[str] | None:
    text = _utf8_text(data, b"sst")
    if text is None:
        return None
    start, end = text.find(">", text.find("<sst")) + 1, text.rfind("</sst>")
    if end == -1:
        return [] if text.rstrip().endswith("/>") else None
    region = unicodedata.normalize("NFC", text[start:end])  # at once: markup is ASCII
    texts = _STRING.findall(region)
    # Exactly four "<" per plain string item: no comment, CDATA, rich text or phonetic run.
    if region.count("<") != 4 * len(texts) or "&#" in region or "_x" in region or "\r" in region:
        return None  # rich text, character references, escapes: the full reader decides
    if "&" in region:
        texts = [_entities(t) for t in texts]
        if None in texts:
            return None
    return texts


def _entities(text: str) -> str | None:
    if "&" not in text:
        return text
    if sum(text.count(e) for e in _ENTITIES) != text.count("&"):
        return None
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


def _sheet(data: bytes, sheet_name: str, strings: dict[str, str]) -> SheetValues | None:
    text = _utf8_text(data, b"worksheet")
    if text is None:
        return None
    start, end = text.find("<sheetData>"), text.find("</sheetData>")
    if start == -1 or end == -1 or "<!" in text[:start] or "<!" in text[end:]:
        return None  # no cells (rare: the full reader says so), or a comment that could hide a decoy
    region = text[start + 11:end]
    found = _VALUE.findall(region)
    # Every "<" must be a row tag, a cell's start, or one of the three inner tags of a value cell
    # matched above (these occurrences never overlap, so equal counts mean nothing else is there):
    # formulas, inline text, other types or attributes all add a "<" the scan does not know.
    if region.count("<") != (region.count("<row") + region.count("</row>") + region.count("<c ")
                             + 3 * len(found)):
        return None
    try:
        values: dict[str, Value] = {ref: strings[index] if index else float(number)
                                    for ref, index, number in found}
    except KeyError:  # a string index beyond the table
        return None
    last = next(reversed(values), "A0")
    return SheetValues(sheet_name, _protected(text, start, end), values,
                       int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))


def _protected(text: str, start: int, end: int) -> bool:
    """Whether <sheetProtection sheet="1"> is there (after the cells, or before them)."""
    pos = text.find("<sheetProtection", end)
    if pos == -1:
        pos = text.find("<sheetProtection", 0, start)
    return pos != -1 and _PROTECTION.search(text[pos:text.find(">", pos) + 1]) is not None

"""Reading the cell data intake needs from an .xlsx or .xlsm, fast and without trusting it.

Only what intake uses is read: sheet names and states, protection, defined names, custom
properties, and for the requested sheets each cell's value, exact number text, formula, error and
font, optionally only in the columns the caller looks at. Intake reads thousands of files, so the
parts that Excel, LibreOffice and WPS write are scanned as text (`formkit.intake.xlsx_scan`).
Anything the scan does not recognise (prefixed namespaces, cells without coordinates, rich inline
text, comments) is parsed by the C XML parser and rewritten in the plain form first
(`formkit.intake.xlsx_tree`), so both roads end in the same cell builder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from math import isfinite
from typing import NamedTuple
from xml.etree.ElementTree import Element

from formkit.findings import Code, Finding
from formkit.intake.container import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    PackageError,
    open_package,
    parse_xml,
    refuse_dtd,
)
from formkit.intake.xlsx_scan import Unusual, cells_pattern, clean, xml_text
from formkit.intake.xlsx_scan import scan_sheet as _scan_sheet  # each road's entry points are
from formkit.intake.xlsx_scan import scan_strings as _scan_strings  # looked up here at call time,
from formkit.intake.xlsx_scan import scan_style_fonts as _scan_style_fonts  # so that tests can
from formkit.intake.xlsx_tree import TRUE, namespace, number_of
from formkit.intake.xlsx_tree import rewrite_sheet as _rewrite_sheet  # close either road
from formkit.intake.xlsx_tree import string_item as _string_item
from formkit.intake.xlsx_tree import tree_style_fonts as _tree_style_fonts

UNKNOWN_FORMULA = "?"  # a cell marked as a formula whose text the file does not hold
_ATTRIBUTE = re.compile(r'([\w:]+)="([^"]*)"')
_INDEX_TEXTS = tuple(map(str, range(4096)))  # made once: most workbooks hold fewer strings
_STRING_CELL = re.compile(r't="s"><v>[^<]')  # only a cell's markup holds this: texts hold no "<"


class Cell(NamedTuple):
    """One cell as stored; a tuple so that building thousands of them stays cheap and immutable."""

    value: str | float | bool | None  # text, number, boolean; None for empty or an error
    raw: str | None = None  # the stored number text, for an exact Decimal
    formula: str | None = None  # without "="; "?" when the file marks a formula but stores no text
    error: str | None = None  # e.g. "#DIV/0!"
    font: str | None = None  # font name of the cell's style, for text cells only


@dataclass
class Sheet:
    name: str
    state: str = "visible"  # "visible", "hidden" or "veryHidden"
    protected: bool = False
    cells: dict[str, Cell] = field(default_factory=dict)  # "G12" -> Cell; empty cells are absent
    max_row: int = 0  # the row of the last cell read holding a value or formula


@dataclass
class Workbook:
    kind: str  # "xlsx" or "xlsm"
    sheet_names: list[str]  # every sheet, in workbook order
    sheets: dict[str, Sheet]  # the requested sheets that exist and could be read
    structure_locked: bool = False
    defined_names: dict[str, str] = field(default_factory=dict)  # sheet-scoped: "Sheet!Name"
    custom_properties: dict[str, str] = field(default_factory=dict)


def read_workbook(data: bytes, name: str, sheets: Iterable[str] | None = None,
                  limits: Limits = DEFAULT_LIMITS, columns: Collection[str] | None = None
                  ) -> tuple[Workbook | None, list[Finding]]:
    """The workbook with the given sheets (all when None), or None with the findings saying why.

    With `columns` (letters such as "G"), only the cells of those columns are kept: a caller that
    looks at a few columns does not pay for building the others. Every cell is still checked, so
    the findings are the same either way. Nothing in the file raises: refusals, damaged parts and
    bad cells all come back as findings.
    """
    package, findings = open_package(data, name, limits)
    if package is None:
        return None, findings
    keep = None if columns is None else frozenset(c.upper() for c in columns)
    try:
        return _Reader(package, findings, keep).workbook(sheets), findings
    except PackageError as exc:
        findings.append(exc.finding)
        return None, findings
    finally:
        package.close()


class _Fonts(dict):
    """Style index (as written in s="...") -> font name, or None. The styles part is read on the
    first look-up, that is at the first text cell: a workbook without text never needs it."""

    def __init__(self, package: Package, part: str | None, findings: list[Finding]) -> None:
        super().__init__()
        self.unread: tuple[Package, str | None, list[Finding]] | None = (package, part, findings)

    def __missing__(self, style: str) -> str | None:
        self.read()
        return self.get(style)

    def read(self) -> None:
        if self.unread is None:
            return
        package, part, findings = self.unread
        self.unread = None
        if part and package.has(part):
            try:
                self.update(_read_fonts(package, part))
            except PackageError as exc:  # reported; the text cells just have no font
                findings.append(exc.finding)


class _Numbers(dict):
    """Stored number text -> its cell: a sheet repeats a few numbers many times, and cells are
    immutable. ValueError for a text that is no finite number."""

    def __missing__(self, text: str) -> Cell:
        value = float(text)
        if not isfinite(value):
            raise ValueError(text)
        self[text] = cell = Cell(value, text)
        return cell


class _Reader:
    def __init__(self, package: Package, findings: list[Finding], keep: frozenset[str] | None) -> None:
        self.package, self.name, self.findings, self.keep = package, package.name, findings, keep
        self.max_chars = package.limits.max_cell_chars
        self.strings: list[str] = []
        self._indexed: dict[str, str] = {}  # index as written -> string, for the quick road
        self._fonts = _Fonts(package, None, findings)

    def workbook(self, wanted: Iterable[str] | None) -> Workbook:
        part = self.package.workbook_part
        root = self.package.xml(part)
        ns = namespace(root.tag)
        rels = {rel.id: rel for rel in self.package.relationships(part)}
        self._fonts = _Fonts(self.package, _target(rels.values(), "/styles"), self.findings)
        shared = _target(rels.values(), "/sharedStrings")
        if shared and self.package.has(shared):
            self.strings = self._shared_strings(shared)
            self._indexed = _indexed(self.strings, self.max_chars)
        entries = _sheet_entries(root, ns)
        names = [entry[0] for entry in entries]
        wanted_names = None if wanted is None else {unicodedata.normalize("NFC", s) for s in wanted}
        sheets = {}
        for sheet_name, state, rel_id in entries:
            if wanted_names is None or sheet_name in wanted_names:
                sheet = self._sheet_or_finding(sheet_name, state, rels.get(rel_id or ""))
                if sheet is not None:
                    sheets[sheet_name] = sheet
        protection = root.find(ns + "workbookProtection")
        locked = protection is not None and protection.get("lockStructure") in TRUE
        return Workbook(self.package.kind, names, sheets, locked, _defined_names(root, ns, names),
                        self._custom_properties())

    def _sheet_or_finding(self, sheet_name: str, state: str, rel) -> Sheet | None:
        """A damaged sheet part is reported and skipped; the other sheets are still read."""
        if rel is None or not self.package.has(rel.target):
            detail = f"thiếu phần dữ liệu của trang tính '{sheet_name}'"
            self.findings.append(Code.CORRUPT(file=self.name, sheet=sheet_name, detail=detail))
            return None
        try:
            return self._sheet(sheet_name, state, rel.target)
        except PackageError as exc:
            self.findings.append(exc.finding)
            return None

    def _sheet(self, sheet_name: str, state: str, part: str) -> Sheet:
        data = self.package.read(part)
        refuse_dtd(data, part, self.name)
        scanned = _scan_sheet(data)
        if scanned is not None:
            try:
                return self._build(sheet_name, state, *scanned)
            except Unusual:
                pass
        region, protected = _rewrite_sheet(parse_xml(data, part, self.name))
        try:
            return self._build(sheet_name, state, region, protected)
        except Unusual as exc:  # cannot happen for rewritten text; never let it escape
            raise PackageError(Code.CORRUPT(file=self.name, sheet=sheet_name,
                                            detail="không đọc được dữ liệu ô")) from exc

    def _build(self, sheet_name: str, state: str, region: str, protected: bool) -> Sheet:
        findings: list[Finding] = []
        cells, last = self._cells(region, sheet_name, findings)
        self.findings += findings  # only once the scan went through to the end
        return Sheet(sheet_name, state, protected, cells, int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))

    def _cells(self, region: str, sheet: str, findings: list[Finding]) -> tuple[dict[str, Cell], str]:
        """The cells kept, in document order; the quick road first, cell by cell if it stumbles."""
        quiet = len(self.strings) if len(self._indexed) == len(self.strings) else 0  # none too long
        found = cells_pattern(self.keep, quiet).findall(region)
        attempt: list[Finding] = []
        try:
            cells = self._each_cell(found, sheet, attempt, self._indexed)
        except (ValueError, KeyError):  # a number or string index that needs a closer look
            attempt = []
            cells = self._each_cell(found, sheet, attempt, None)
        findings += attempt
        if self.keep is not None and self._fonts.unread and _STRING_CELL.search(region):
            self._fonts.read()  # as at the first text cell: here one passed over as quiet
        return cells, next(reversed(cells), "A0")

    def _each_cell(self, found: list[tuple[str, ...]], sheet: str, findings: list[Finding],
                   indexed: dict[str, str] | None) -> dict[str, Cell]:
        """The hot loop, one comprehension. With `indexed` (the quick road), shared strings and
        numbers are built inline, raising KeyError or ValueError for what needs a finding;
        every other cell, and all of them without it, go through _cell. Dropped cells (columns not
        kept) are read for their findings only."""
        shared: dict[str, tuple[str, str]] = {}
        new, fonts, cell, aside, formula = tuple.__new__, self._fonts, self._cell, self._aside, _formula
        quick, numbers = indexed is not None, _Numbers()
        return {
            ref: new(Cell, (indexed[v], None, None, None, fonts[s or "0"])) if quick and t == "s" and not f
            else numbers[v] if quick and v and not (t or f)
            else new(Cell, (x, v, formula(f, ref, shared), None, None))
            if quick and v and not t and isfinite(x := float(v))
            else cell(ref, s, t, f, v, inline, shared, sheet, findings)
            for ref, dropped, s, t, f, v, inline, other in found
            if (ref and (v or f or inline))
            or ((dropped or other) and aside(dropped, s, t, f, v, inline, other, shared, sheet, findings))}

    def _aside(self, ref: str, s: str, t: str, f: str, v: str, inline: str, other: str,
               shared: dict[str, tuple[str, str]], sheet: str, findings: list[Finding]) -> bool:
        """A dropped cell is read for its findings and left out; any other markup ends the scan."""
        if other:
            raise Unusual
        if v or f or inline:
            self._cell(ref, s, t, f, v, inline, shared, sheet, findings)
        return False

    def _cell(self, ref: str, s: str, t: str, f: str, v: str, inline: str,
              shared: dict[str, tuple[str, str]], sheet: str, findings: list[Finding]) -> Cell:
        """One cell, whatever it holds; what cannot be read is reported and left empty."""
        formula = _formula(f, ref, shared) if f else None
        if not t or t == "n":
            try:
                value = float(v) if v else None
                if value is not None and not isfinite(value):
                    raise ValueError(v)
            except ValueError:
                value = _bad(findings, self.name, sheet, ref, "giá trị số không đọc được")
            return Cell(value, v or None, formula)
        if t == "s" or t == "str" or t == "inlineStr":
            try:
                text = self.strings[_index(v)] if t == "s" else self._inline(t, v, inline)
            except (ValueError, IndexError):
                text = _bad(findings, self.name, sheet, ref, "tham chiếu chuỗi không tồn tại")
            if text is not None and len(text) > self.max_chars:
                text = self._truncate(text, findings, sheet, ref)
            return Cell(text, None, formula, None, self._fonts[s or "0"])
        return _other_cell(t, v, formula)

    @staticmethod
    def _inline(t: str, v: str, inline: str) -> str | None:
        """Cached text of a formula (t="str", None when there is none) or an inline string."""
        if t == "str":
            return clean(xml_text(v)) if v else None
        return clean(xml_text(inline))

    def _truncate(self, text: str, findings: list[Finding], sheet: str, ref: str) -> str:
        detail = (f"ô {ref} của trang tính '{sheet}' dài {len(text)} ký tự, vượt giới hạn "
                  f"{self.max_chars}")
        findings.append(Code.TOO_LARGE(file=self.name, sheet=sheet, cell=ref, detail=detail))
        return text[: self.max_chars]

    def _shared_strings(self, part: str) -> list[str]:
        data = self.package.read(part)
        refuse_dtd(data, part, self.name)
        try:
            texts = _scan_strings(data)
        except Unusual:
            texts = None
        if texts is None:
            root = parse_xml(data, part, self.name)
            ns = namespace(root.tag)
            texts = [clean(_string_item(si, ns)) for si in root if si.tag == ns + "si"]
        return texts

    def _custom_properties(self) -> dict[str, str]:
        part = _target(self.package.relationships(""), "/custom-properties")
        if part is None or not self.package.has(part):
            return {}
        try:
            root = self.package.xml(part)
        except PackageError as exc:
            self.findings.append(exc.finding)
            return {}
        found = {}
        for prop in root:
            value = next(iter(prop), None)
            if prop.get("name") and value is not None:
                found[clean(prop.get("name", ""))] = clean(value.text or "")
        return found


# --- Building cells ----------------------------------------------------------------------------

def _formula(f: str, ref: str, shared: dict[str, tuple[str, str]]) -> str:
    """The formula text; a shared formula's followers get the leader's text moved to them."""
    if f.startswith("<f>"):  # the plain form, by far the commonest
        return xml_text(f[3:-4]) or UNKNOWN_FORMULA
    end = f.find(">") + 1
    text = "" if f[end - 2] == "/" else xml_text(f[end:-4])
    if 't="shared"' not in f[:end]:
        return text or UNKNOWN_FORMULA
    index = dict(_ATTRIBUTE.findall(f[:end])).get("si", "")
    if text:
        shared[index] = (ref, text)
        return text
    if index not in shared:
        return UNKNOWN_FORMULA
    origin, leader = shared[index]
    return _translate(leader, origin, ref)


def _other_cell(t: str, v: str, formula: str | None) -> Cell:
    """Booleans, errors and ISO dates (t="d"); an unknown type keeps its text."""
    if t == "b":
        return Cell(v in TRUE, None, formula)
    if t == "e":
        return Cell(None, None, formula, xml_text(v) or "#N/A")
    text = xml_text(v) or None
    return Cell(text, text if t == "d" else None, formula)


def _indexed(strings: list[str], max_chars: int) -> dict[str, str]:
    """Index as written in a cell ("12") -> shared string, leaving out the ones too long."""
    texts = _INDEX_TEXTS if len(strings) <= len(_INDEX_TEXTS) else map(str, range(len(strings)))
    indexed = dict(zip(texts, strings, strict=False))  # as many as there are strings
    if strings and max(map(len, strings)) > max_chars:
        indexed = {index: text for index, text in indexed.items() if len(text) <= max_chars}
    return indexed


def _index(text: str) -> int:
    """A shared-string index; ValueError for anything but a non-negative integer."""
    index = int(text)
    if index < 0:
        raise ValueError(text)
    return index


def _bad(findings: list[Finding], name: str, sheet: str, ref: str, what: str) -> None:
    findings.append(Code.CORRUPT(file=name, sheet=sheet, cell=ref, detail=f"ô {ref}: {what}"))


# --- Workbook-level parts ----------------------------------------------------------------------

def _read_fonts(package: Package, part: str) -> dict[str, str | None]:
    data = package.read(part)
    refuse_dtd(data, part, package.name)
    try:
        scanned = _scan_style_fonts(data)
    except Unusual:
        scanned = None
    return _font_map(*(scanned or _tree_style_fonts(parse_xml(data, part, package.name))))


def _font_map(names: list[str | None], font_ids: list[str]) -> dict[str, str | None]:
    """Style index (as written in s="...") -> font name."""
    result: dict[str, str | None] = {}
    for index, font_id in enumerate(font_ids):
        position = max(number_of(font_id), 0)
        result[str(index)] = names[position] if position < len(names) else None
    return result


def _sheet_entries(root: Element, ns: str) -> list[tuple[str, str, str | None]]:
    sheets = root.find(ns + "sheets")
    return [(unicodedata.normalize("NFC", s.get("name", "")), s.get("state", "visible"), _rel_id(s))
            for s in ([] if sheets is None else sheets)]


def _rel_id(element: Element) -> str | None:
    return next((value for key, value in element.attrib.items() if key.endswith("}id")), None)


def _defined_names(root: Element, ns: str, sheet_names: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    container = root.find(ns + "definedNames")
    for element in [] if container is None else container:
        name, local = element.get("name", ""), element.get("localSheetId", "")
        if 0 <= number_of(local) < len(sheet_names):
            name = f"{sheet_names[int(local)]}!{name}"
        names.setdefault(name, element.text or "")
    return names


def _target(rels: Iterable, type_suffix: str) -> str | None:
    return next((rel.target for rel in rels if rel.type.endswith(type_suffix)), None)


def _translate(formula: str, origin: str, target: str) -> str:
    """A shared formula's text as it reads in another cell (openpyxl's translator; rare path)."""
    from openpyxl.formula.translate import Translator

    try:
        return Translator("=" + formula, origin=origin).translate_formula(target)[1:]
    except Exception:  # a formula the translator cannot tokenise: still report the leader's text
        return formula

"""Reading the cell data intake needs from an .xlsx or .xlsm, fast and without trusting it.

Only what intake uses is read: sheet names and states, protection, defined names, custom
properties, and for the requested sheets each cell's value, exact number text, formula, error and
font. Intake reads thousands of files, so the cells and shared strings of what Excel, LibreOffice
and WPS write are scanned by one regular expression over the part: tree building is what makes
openpyxl 15 times slower than calamine. Anything the scan does not recognise (prefixed
namespaces, cells without coordinates, rich inline text, comments) is parsed by the C XML parser
and rewritten in the plain form first, so both roads end in the same cell builder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from math import isfinite
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError, fromstring

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from formkit.findings import Code, Finding
from formkit.intake.container import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    PackageError,
    open_package,
    parse_xml,
    refuse_dtd,
    root_position,
)

_TRUE = ("1", "true")
MAX_COLUMN = 16384  # XFD
UNKNOWN_FORMULA = "?"  # a cell marked as a formula whose text the file does not hold
# One cell holding a value or formula as Excel, LibreOffice, WPS, xlsxwriter and openpyxl write it,
# after any row tags and empty cells; "(<)" catches any other markup, which sends the part to the
# tree parser. Groups: ref, s, t, f, v, inline, other. Possessive quantifiers (Python 3.11) keep
# the scan from backtracking.
_CELLS = re.compile(
    r'(?:</?row(?: [^>]*+)?>|<c r="[A-Z]{1,3}[0-9]{1,7}"(?: [\w:.-]++="[^"]*+")*+/>)*+'
    r'(?:<c r="([A-Z]{1,3}[0-9]{1,7})"(?: s="([0-9]++)")?+(?: t="([a-zA-Z]++)")?+'
    r'(?: (?![st]=)[\w:.-]++="[^"]*+")*+>(<f(?:/>|>[^<]*+</f>| [^>]*+>(?:[^<]*+</f>)?+))?+'
    r'(?:<v>([^<]*+)</v>|<v/>|<is><t(?: xml:space="preserve")?>([^<]*+)</t></is>)?+</c>|(<)|\Z)')
# A plain shared string; a part made only of these has exactly four "<" per string.
_STRINGS = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*+)</t></si>')
_FONT = re.compile(r"<font\b[^>]*?(?:/>|>(.*?)</font>)", re.DOTALL)
_FONT_NAME = re.compile(r'<name val="([^"]*)"\s*/>')
_XF = re.compile(r"<xf\b([^>]*)>")
_FONT_ID = re.compile(r'\sfontId="([0-9]+)"')
_REF = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")
_ATTRIBUTE = re.compile(r'([\w:]+)="([^"]*)"')
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}  # &amp; last
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's escape for control characters: _x000D_
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_PROTECTION = re.compile(rb"""<sheetProtection((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")
_ATTRIBUTES = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


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
    max_row: int = 0  # the row of the last cell holding a value or formula


@dataclass
class Workbook:
    kind: str  # "xlsx" or "xlsm"
    sheet_names: list[str]  # every sheet, in workbook order
    sheets: dict[str, Sheet]  # the requested sheets that exist and could be read
    structure_locked: bool = False
    defined_names: dict[str, str] = field(default_factory=dict)  # sheet-scoped: "Sheet!Name"
    custom_properties: dict[str, str] = field(default_factory=dict)


def read_workbook(data: bytes, name: str, sheets: Iterable[str] | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> tuple[Workbook | None, list[Finding]]:
    """The workbook with the given sheets (all when None), or None with the findings saying why.

    Nothing in the file raises: refusals, damaged parts and bad cells all come back as findings.
    """
    package, findings = open_package(data, name, limits)
    if package is None:
        return None, findings
    try:
        return _Reader(package, findings).workbook(sheets), findings
    except PackageError as exc:
        findings.append(exc.finding)
        return None, findings
    finally:
        package.close()


class _Unusual(Exception):
    """The fast scan met markup it does not know; the tree parser takes over."""


class _Reader:
    def __init__(self, package: Package, findings: list[Finding]) -> None:
        self.package, self.name, self.findings = package, package.name, findings
        self.max_chars = package.limits.max_cell_chars
        self.strings: list[str] = []
        self._fonts: dict[str, str | None] | None = None
        self._styles_part: str | None = None

    def workbook(self, wanted: Iterable[str] | None) -> Workbook:
        part = self.package.workbook_part
        root = self.package.xml(part)
        ns = _namespace(root.tag)
        rels = {rel.id: rel for rel in self.package.relationships(part)}
        self._styles_part = _target(rels.values(), "/styles")
        shared = _target(rels.values(), "/sharedStrings")
        if shared and self.package.has(shared):
            self.strings = self._shared_strings(shared)
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
        locked = protection is not None and protection.get("lockStructure") in _TRUE
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
            except _Unusual:
                pass
        region, protected = _rewrite_sheet(parse_xml(data, part, self.name))
        try:
            return self._build(sheet_name, state, region, protected)
        except _Unusual as exc:  # cannot happen for rewritten text; never let it escape
            raise PackageError(Code.CORRUPT(file=self.name, sheet=sheet_name,
                                            detail="không đọc được dữ liệu ô")) from exc

    def _build(self, sheet_name: str, state: str, region: str, protected: bool) -> Sheet:
        findings: list[Finding] = []
        cells, last = self._cells(region, sheet_name, findings)
        self.findings += findings  # only once the scan went through to the end
        return Sheet(sheet_name, state, protected, cells, int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))

    def _cells(self, region: str, sheet: str, findings: list[Finding]) -> tuple[dict[str, Cell], str]:
        """The hot loop: numbers and shared strings inline, everything rarer in helpers."""
        cells: dict[str, Cell] = {}
        strings, new, shared, fonts, limit = self.strings, tuple.__new__, {}, None, self.max_chars
        for ref, s, t, f, v, inline, other in _CELLS.findall(region):
            if not (v or f or inline):
                if other:
                    raise _Unusual
                continue
            formula = _formula(f, ref, shared) if f else None
            if t == "s" or t == "str" or t == "inlineStr":
                try:
                    text = self._inline(t, v, inline) if t != "s" else strings[_index(v)]
                except (ValueError, IndexError):
                    text = _bad(findings, self.name, sheet, ref, "tham chiếu chuỗi không tồn tại")
                if text is not None and len(text) > limit:
                    text = self._truncate(text, findings, sheet, ref)
                if fonts is None:
                    fonts = self._style_fonts()
                cell = new(Cell, (text, None, formula, None, fonts.get(s or "0")))
            elif not t or t == "n":
                try:
                    value = float(v) if v else None
                    if value is not None and not isfinite(value):
                        raise ValueError(v)
                except ValueError:
                    value = _bad(findings, self.name, sheet, ref, "giá trị số không đọc được")
                cell = new(Cell, (value, v or None, formula, None, None))
            else:
                cell = _other_cell(t, v, formula)
            cells[ref] = cell
        return cells, next(reversed(cells), "A0")

    @staticmethod
    def _inline(t: str, v: str, inline: str) -> str | None:
        """Cached text of a formula (t="str", None when there is none) or an inline string."""
        if t == "str":
            return _clean(_xml_text(v)) if v else None
        return _clean(_xml_text(inline))

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
        except _Unusual:
            texts = None
        if texts is None:
            root = parse_xml(data, part, self.name)
            ns = _namespace(root.tag)
            texts = [_clean(_string_item(si, ns)) for si in root if si.tag == ns + "si"]
        return texts

    def _style_fonts(self) -> dict[str, str | None]:
        """Style index (as written in s="...") -> font name, read on the first text cell."""
        if self._fonts is None:
            self._fonts = {}
            if self._styles_part and self.package.has(self._styles_part):
                try:
                    self._fonts = self._read_fonts(self._styles_part)
                except PackageError as exc:
                    self.findings.append(exc.finding)
        return self._fonts

    def _read_fonts(self, part: str) -> dict[str, str | None]:
        data = self.package.read(part)
        refuse_dtd(data, part, self.name)
        try:
            scanned = _scan_style_fonts(data)
        except _Unusual:
            scanned = None
        return _font_map(*(scanned or _tree_style_fonts(parse_xml(data, part, self.name))))

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
                found[_clean(prop.get("name", ""))] = _clean(value.text or "")
        return found


# --- The fast scan -----------------------------------------------------------------------------

def _utf8_root(data: bytes, root: bytes) -> int:
    """Where an unprefixed <root> starts in a UTF-8 part; -1 when the scan should not be tried."""
    pos = root_position(data)
    tag = b"<" + root
    if pos == -1 or not data.startswith(tag, pos) or data[pos + len(tag):pos + len(tag) + 1] not in b" >":
        return -1
    prolog = data[:pos]
    return -1 if b"encoding" in prolog and not _UTF8.search(prolog) else pos


def _scan_sheet(data: bytes) -> tuple[str, bool] | None:
    """The text inside <sheetData> and whether the sheet is protected, or None to parse instead."""
    if _utf8_root(data, b"worksheet") == -1:
        return None
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>", start)
    if start == -1 or end == -1 or b"<!" in data[:start]:  # a comment or CDATA could hide a decoy
        return None
    protected = _scan_protection(data, start, end)
    try:
        return (str(memoryview(data)[start + 11:end], "utf-8"), protected) if protected is not None else None
    except UnicodeDecodeError:
        return None


def _scan_protection(data: bytes, start: int, end: int) -> bool | None:
    """Whether <sheetProtection sheet="1"> is there; None when a comment or CDATA is in the way."""
    pos, low = data.find(b"<sheetProtection", end), end
    if pos == -1:
        pos, low = data.find(b"<sheetProtection", 0, start), 0
    if pos == -1:
        return False
    tag = _PROTECTION.match(data, pos)
    if tag is None or b"<!" in data[low:pos]:
        return None
    attributes = {name: double or single for name, double, single in _ATTRIBUTES.findall(tag.group(1))}
    return attributes.get(b"sheet") in (b"1", b"true")


def _scan_strings(data: bytes) -> list[str] | None:
    pos = _utf8_root(data, b"sst")
    start, end = data.find(b">", pos) + 1, data.rfind(b"</sst>")
    if pos == -1 or end < start:
        return [] if pos != -1 and data[start - 2:start] == b"/>" else None
    try:
        region = str(memoryview(data)[start:end], "utf-8")
    except UnicodeDecodeError:
        return None
    region = unicodedata.normalize("NFC", region)  # at once: markup is ASCII, texts stay apart
    texts = _STRINGS.findall(region)
    if region.count("<") != 4 * len(texts):
        return None  # rich text, phonetic runs, comments...: parse instead
    if "&" in region or "\r" in region or "_x" in region:
        texts = [_clean(_xml_text(t)) if "&" in t or "\r" in t or "_x" in t else t for t in texts]
    return texts


def _scan_style_fonts(data: bytes) -> tuple[list[str | None], list[str]] | None:
    """Font names (fonts/font/name/@val) and each cell style's fontId, or None to parse instead."""
    if _utf8_root(data, b"styleSheet") == -1 or b"<!" in data:
        return None
    fonts, xfs = _element_text(data, b"fonts"), _element_text(data, b"cellXfs")
    if fonts is None or xfs is None:
        return None
    names: list[str | None] = []
    for body in _FONT.findall(fonts):
        found = _FONT_NAME.findall(body)
        if len(found) != body.count("<name"):
            return None
        names.append(_xml_attribute(found[0]) if found else None)
    return names, [(_FONT_ID.findall(attributes) or ["0"])[0] for attributes in _XF.findall(xfs)]


def _element_text(data: bytes, tag: bytes) -> str | None:
    start = data.find(b"<" + tag)
    end = data.find(b"</" + tag + b">", start)
    if start == -1 or end == -1 or data[start + len(tag) + 1:start + len(tag) + 2] not in b" >":
        return None
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _xml_text(text: str) -> str:
    """What the XML parser would give: line ends normalised, the five entities and char refs.

    openpyxl writes every non-ASCII letter as a character reference; text with such references
    goes through the C parser in one call rather than one Python call per reference.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" not in text:
        return text
    if "&#" not in text:
        known = sum(text.count(entity) for entity in _ENTITIES)
        if known != text.count("&"):
            raise _Unusual  # an undefined entity: let the parser reject the part
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
        return text
    try:
        return fromstring(f"<t>{text}</t>").text or ""
    except ParseError as exc:
        raise _Unusual from exc


def _xml_attribute(value: str) -> str:
    """An attribute value as the parser gives it: references decoded, whitespace made spaces."""
    if "&" in value or "\t" in value or "\n" in value or "\r" in value:
        try:
            return fromstring(f'<a v="{value}"/>').get("v", "")
        except ParseError as exc:
            raise _Unusual from exc
    return value


def _clean(text: str) -> str:
    """NFC, with OOXML's _xHHHH_ escapes undone; legacy encodings are left to the caller."""
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _formula(f: str, ref: str, shared: dict[str, tuple[str, str]]) -> str:
    """The formula text; a shared formula's followers get the leader's text moved to them."""
    end = f.find(">") + 1
    text = "" if f[end - 2] == "/" else _xml_text(f[end:-4])
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
        return Cell(v in _TRUE, None, formula)
    if t == "e":
        return Cell(None, None, formula, _xml_text(v) or "#N/A")
    text = _xml_text(v) or None
    return Cell(text, text if t == "d" else None, formula)


def _index(text: str) -> int:
    """A shared-string index; ValueError for anything but a non-negative integer."""
    index = int(text)
    if index < 0:
        raise ValueError(text)
    return index


def _number_of(text: str) -> int:
    """A small non-negative integer written in ASCII digits, or -1."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


def _bad(findings: list[Finding], name: str, sheet: str, ref: str, what: str) -> None:
    findings.append(Code.CORRUPT(file=name, sheet=sheet, cell=ref, detail=f"ô {ref}: {what}"))


# --- The tree road: parts the scan does not recognise -------------------------------------------

def _rewrite_sheet(root: Element) -> tuple[str, bool]:
    """The parsed sheet's cells written back in the plain form the scan reads."""
    ns = _namespace(root.tag)
    protection = root.find(ns + "sheetProtection")
    protected = protection is not None and protection.get("sheet") in _TRUE
    sheet_data = root.find(ns + "sheetData")
    return ("" if sheet_data is None else "".join(_rewrite_cells(sheet_data, ns))), protected


def _rewrite_cells(sheet_data: Element, ns: str) -> Iterator[str]:
    """Cells without (or with malformed) coordinates get them by counting rows and columns."""
    row_number = 0
    for row in sheet_data.iterfind(ns + "row"):
        r = row.get("r", "")
        row_number = number if (number := _number_of(r)) >= 0 else row_number + 1
        column = 0
        for c in row.iterfind(ns + "c"):
            ref = c.get("r", "").upper()
            if _REF.fullmatch(ref):
                column = column_index_from_string(ref.rstrip("0123456789"))
            else:
                column += 1
                if column > MAX_COLUMN:
                    continue
                ref = f"{get_column_letter(column)}{row_number}"
            yield _rewrite_cell(c, ns, ref)


def _rewrite_cell(c: Element, ns: str, ref: str) -> str:
    s, t = c.get("s", ""), c.get("t", "")
    head = (f'<c r="{ref}"' + (f' s="{s}"' if _number_of(s) >= 0 else "")
            + (f' t="{t}"' if t.isascii() and t.isalpha() else ""))
    body = ""
    f = c.find(ns + "f")
    if f is not None:
        attributes = "".join(f' {key}="{_escape(f.get(key, ""))}"' for key in ("t", "ref", "si")
                             if key in f.attrib)
        body = f"<f{attributes}>{_escape(f.text or '')}</f>"
    v, inline = c.find(ns + "v"), c.find(ns + "is")
    if v is not None and v.text:
        body += f"<v>{_escape(v.text)}</v>"
    elif inline is not None:
        body += f"<is><t>{_escape(_string_item(inline, ns))}</t></is>"
    return f"{head}>{body}</c>" if body else f"{head}/>"


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\r", "&#13;"))


def _string_item(item: Element, ns: str) -> str:
    """Text of a shared or inline string: plain <t>, or rich-text runs; phonetic <rPh> ignored."""
    t = item.find(ns + "t")
    if t is not None:
        return t.text or ""
    return "".join(run.findtext(ns + "t") or "" for run in item.iterfind(ns + "r"))


# --- Workbook-level parts ----------------------------------------------------------------------

def _namespace(tag: str) -> str:
    """"{uri}" of an element (transitional or strict OOXML, prefixed or not), or ""."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _tree_style_fonts(root: Element) -> tuple[list[str | None], list[str]]:
    ns = _namespace(root.tag)
    fonts, xfs = root.find(ns + "fonts"), root.find(ns + "cellXfs")
    names = [font.find(ns + "name") for font in ([] if fonts is None else fonts)]
    return ([None if name is None else name.get("val") for name in names],
            [xf.get("fontId", "0") for xf in ([] if xfs is None else xfs)])


def _font_map(names: list[str | None], font_ids: list[str]) -> dict[str, str | None]:
    """Style index (as written in s="...") -> font name."""
    result: dict[str, str | None] = {}
    for index, font_id in enumerate(font_ids):
        position = max(_number_of(font_id), 0)
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
        if 0 <= _number_of(local) < len(sheet_names):
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

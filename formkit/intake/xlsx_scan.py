"""The fast scan behind `formkit.intake.xlsx`: the parts spreadsheet programs write, read as text.

Tree building is what makes openpyxl 15 times slower than calamine, so the cells, shared strings
and style fonts of what Excel, LibreOffice, WPS, xlsxwriter and openpyxl write are read by regular
expressions over the part's text. Every scanner gives up (None, or `Unusual` from deeper down) on
markup it does not know, and the reader then parses the part with the C XML parser instead, so
the scan never has to be right about anything unusual: it only has to recognise the usual.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from xml.etree.ElementTree import ParseError, fromstring

from formkit.intake.container import root_position

# Row tags and empty cells, passed over; then one cell holding a value or formula, or "(<)" for any
# other markup, which sends the part to the tree parser. Groups: ref, dropped (see cells_pattern),
# s, t, f, v, inline, other. Possessive quantifiers (Python 3.11) keep the scan from backtracking.
_PASSED = r'</?row(?: [^>]*+)?>|<c r="[A-Z]{1,3}[0-9]{1,7}"(?: [\w:.-]++="[^"]*+")*+/>'
_REF = "[A-Z]{1,3}[0-9]{1,7}"
_CELL = (r'(?:<c r="{ref}"(?: s="([0-9]++)")?+(?: t="([a-zA-Z]++)")?+'
         r'(?: (?![st]=)[\w:.-]++="[^"]*+")*+>(<f(?:/>|>[^<]*+</f>| [^>]*+>(?:[^<]*+</f>)?+))?+'
         r'(?:<v>([^<]*+)</v>|<v/>|<is><t(?: xml:space="preserve")?>([^<]*+)</t></is>)?+</c>|(<)|\Z)')
# A cell of a column not kept that reads without a finding: a finite number, maybe with a plain
# formula (no entity to decode, not shared with other cells), or an existing shared string.
_QUIET = (r'|<c r="(?!(?:{kept})[0-9])[A-Z]{{1,3}}[0-9]{{1,7}}"(?: s="[0-9]++")?+(?:(?: t="n")?+>'
          r'(?:<f>[^<&]*+</f>)?+<v>-?[0-9]{{1,15}}+(?:\.[0-9]{{1,17}}+)?+(?:[Ee][+-]?[0-9]{{1,2}}+)?+</v>'
          r'| t="s"><v>{index}</v>)</c>')
# A plain shared string; a part made only of these has exactly four "<" per string.
_STRINGS = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*+)</t></si>')
_FONT = re.compile(r"<font\b[^>]*?(?:/>|>(.*?)</font>)", re.DOTALL)
_FONT_NAME = re.compile(r'<name val="([^"]*)"\s*/>')
_XF = re.compile(r"<xf\b([^>]*)>")
_FONT_ID = re.compile(r'\sfontId="([0-9]+)"')
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}  # &amp; last
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's escape for control characters: _x000D_
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_PROTECTION = re.compile(rb"""<sheetProtection((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")
_ATTRIBUTES = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class Unusual(Exception):
    """The fast scan met markup it does not know; the tree parser takes over."""


def cells_pattern(keep: frozenset[str] | None = None, strings: int = 0) -> re.Pattern[str]:
    """The cell scan. With `keep` (column letters), a cell of another column comes as `dropped`
    rather than `ref`, or is passed over like an empty one when it is quiet: a number, or one of
    the first `strings` shared strings (none of which may be too long), read without a finding."""
    if keep is None:
        return _pattern(None, 0)
    digits = str(strings)  # rounded down to two significant digits: few patterns for a batch
    return _pattern(keep, int(digits[:2].ljust(len(digits), "0")))


@lru_cache(maxsize=64)
def _pattern(keep: frozenset[str] | None, strings: int) -> re.Pattern[str]:
    if keep is None:
        return re.compile(f"(?:{_PASSED})*+" + _CELL.format(ref=f"({_REF})()"))
    kept = "|".join(map(re.escape, sorted(keep)))
    quiet = _QUIET.format(kept=kept, index=_below(strings) if strings else "(?!)")
    ref = f"(?:(?=(?:{kept})[0-9])({_REF})|({_REF}))"
    return re.compile(f"(?:{_PASSED}{quiet})*+" + _CELL.format(ref=ref))


def _below(bound: int) -> str:
    """A pattern for the decimal numbers below `bound` (at least 1), leading zeros allowed."""
    digits = str(bound)
    parts = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    parts += [f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}"
              for i, d in enumerate(digits) if d != "0"]
    return f"(?:{'|'.join(parts)})"


def _utf8_root(data: bytes, root: bytes) -> int:
    """Where an unprefixed <root> starts in a UTF-8 part; -1 when the scan should not be tried."""
    pos = root_position(data)
    tag = b"<" + root
    if pos == -1 or not data.startswith(tag, pos) or data[pos + len(tag):pos + len(tag) + 1] not in b" >":
        return -1
    prolog = data[:pos]
    return -1 if b"encoding" in prolog and not _UTF8.search(prolog) else pos


def scan_sheet(data: bytes) -> tuple[str, bool] | None:
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


def scan_strings(data: bytes) -> list[str] | None:
    """The shared strings, NFC; None to parse instead. Unusual: an entity the parser must judge."""
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
        texts = [clean(xml_text(t)) if "&" in t or "\r" in t or "_x" in t else t for t in texts]
    return texts


def scan_style_fonts(data: bytes) -> tuple[list[str | None], list[str]] | None:
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


def xml_text(text: str) -> str:
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
            raise Unusual  # an undefined entity: let the parser reject the part
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
        return text
    try:
        return fromstring(f"<t>{text}</t>").text or ""
    except ParseError as exc:
        raise Unusual from exc


def _xml_attribute(value: str) -> str:
    """An attribute value as the parser gives it: references decoded, whitespace made spaces."""
    if "&" in value or "\t" in value or "\n" in value or "\r" in value:
        try:
            return fromstring(f'<a v="{value}"/>').get("v", "")
        except ParseError as exc:
            raise Unusual from exc
    return value


def clean(text: str) -> str:
    """NFC, with OOXML's _xHHHH_ escapes undone; legacy encodings are left to the caller."""
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)

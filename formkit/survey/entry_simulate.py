"""Simulated keying: an entry workbook filled the way a clerk fills it, for the demo, the tests
and the benchmark.

Values are written straight into the group sheets' XML (as `formkit.simulate` does for the
forms), text through the shared-string table as Excel and LibreOffice save it, so a simulated file
is the issued workbook plus the typed cells and nothing else.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from formkit.forms.stamp import FIXED_ZIP_TIME
from formkit.survey.entry import NOT_RETURNED, EntryIdentity
from formkit.survey.questionnaire import Survey

Value = str | int | float | None
_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')
_STRING = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
SHARED_STRINGS = "xl/sharedStrings.xml"
_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")?(?: t="[a-zA-Z]+")?(?:/>|>.*?</c>)')


@dataclass(frozen=True)
class Keyed:
    """What a clerk typed for one questionnaire: question -> text (None or absent: left blank)."""

    answers: dict[str, Value] = field(default_factory=dict)
    keyed_by: str = ""
    status: str = ""  # NOT_RETURNED, or "" for a returned questionnaire


def simulate_entry(data: bytes, identity: EntryIdentity, keyed: dict[str, Keyed],
                   cells: dict[str, dict[str, Value]] | None = None) -> bytes:
    """The workbook with each serial's row typed in; `cells` (sheet -> cell -> value) sets any
    other cell too, e.g. a row below the layout or an overwritten serial."""
    values: dict[str, dict[str, Value]] = {}
    for layout in identity.sheets:
        sheet_values = values.setdefault(layout.sheet, {})
        for serial, row in layout.rows().items():
            entry = keyed.get(serial)
            if entry is None:
                continue
            for question, value in entry.answers.items():
                sheet_values[f"{layout.columns[question]}{row}"] = value
            sheet_values[f"{layout.keyed_by}{row}"] = entry.keyed_by or None
            sheet_values[f"{layout.status}{row}"] = entry.status or None
    for sheet, more in (cells or {}).items():
        values.setdefault(sheet, {}).update(more)
    return _rewrite(data, {name: v for name, v in values.items() if v})


def simulated_keying(identity: EntryIdentity, survey: Survey, rng: random.Random,
                     returned: float = 0.9, skipped: float = 0.01, clerk: str = "Nguyễn Thị Lan"
                     ) -> dict[str, Keyed]:
    """Plausible answers: most questionnaires returned, mostly favourable, a few blanks."""
    keyed = {}
    for layout in identity.sheets:
        group = survey.group(layout.group)
        for serial in layout.serials:
            if rng.random() >= returned:
                keyed[serial] = Keyed(keyed_by=clerk, status=NOT_RETURNED)
                continue
            answers: dict[str, Value] = {}
            for question in group.questions:
                options = survey.scale(question.scale).options
                if rng.random() < skipped:
                    continue
                weights = [1 if o.is_no_answer else 2 + len(options) - i for i, o in enumerate(options)]
                answers[question.code] = rng.choices(options, weights)[0].code
            keyed[serial] = Keyed(answers, keyed_by=clerk)
    return keyed


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part, from workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml")
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = dict(_REL.findall(rels)) | {rid: target for target, rid in _REL_REVERSED.findall(rels)}
    parts = {}
    for name, rid in _SHEET.findall(workbook):
        target = targets[rid].decode()
        parts[name.decode("utf-8").replace("&amp;", "&")] = (
            target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


def _rewrite(data: bytes, values: dict[str, dict[str, Value]]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        contents = {info.filename: source.read(info) for info in infos}
        parts = {part: values[name] for name, part in _sheet_parts(source).items() if name in values}
    strings = _SharedStrings(contents.get(SHARED_STRINGS))
    for part, sheet_values in parts.items():
        contents[part] = _set_cells(contents[part], sheet_values, strings)
    if strings.changed:
        contents[SHARED_STRINGS] = strings.xml()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            copy = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            copy.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(copy, contents[info.filename])
    return out.getvalue()


class _SharedStrings:
    """Typed text goes to the shared-string table, as Excel and LibreOffice save it."""

    def __init__(self, xml: bytes | None) -> None:
        self.source = xml
        texts = _STRING.findall(xml) if xml else []
        self.usable = bool(xml) and len(texts) == xml.count(b"<si>")
        self.index = {text: n for n, text in reversed(list(enumerate(texts)))}
        self.added: list[bytes] = []
        self.references = 0

    @property
    def changed(self) -> bool:
        return self.references > 0

    def ref(self, text: str) -> int | None:
        """The index of text, added when new; None when the table cannot be extended safely."""
        if not self.usable or text != text.strip():
            return None
        escaped = escape(text).encode()
        if escaped not in self.index:
            self.index[escaped] = len(self.index)
            self.added.append(escaped)
        self.references += 1
        return self.index[escaped]

    def xml(self) -> bytes:
        body = b"".join(b"<si><t>%s</t></si>" % text for text in self.added)
        xml = self.source.replace(b"</sst>", body + b"</sst>")
        xml = re.sub(rb'uniqueCount="[0-9]+"', b'uniqueCount="%d"' % len(self.index), xml, count=1)
        return re.sub(rb' count="([0-9]+)"', lambda m: b' count="%d"' % (int(m.group(1)) + self.references),
                      xml, count=1)


def _set_cells(xml: bytes, values: dict[str, Value], strings: _SharedStrings) -> bytes:
    seen: set[str] = set()

    def replace(match: re.Match) -> bytes:
        ref = match.group(1).decode()
        if ref not in values:
            return match.group(0)
        seen.add(ref)
        return _cell(ref, match.group(2) or b"", values[ref], strings)

    xml = _CELL.sub(replace, xml)
    missing = {ref: v for ref, v in values.items() if ref not in seen and v is not None}
    return _add_rows(xml, missing, strings) if missing else xml


def _add_rows(xml: bytes, values: dict[str, Value], strings: _SharedStrings) -> bytes:
    """Cells of rows the sheet does not have yet, appended as new rows (below every row)."""
    last = max((int(r) for r in re.findall(rb'<row r="([0-9]+)"', xml)), default=0)
    rows: dict[int, list[tuple[int, str]]] = {}
    for ref, _ in values.items():
        letters = ref.rstrip("0123456789")
        row = int(ref[len(letters):])
        if row <= last:
            raise ValueError(f"cell {ref} is in an existing row without being written there")
        column = 0
        for char in letters:
            column = column * 26 + ord(char) - 64
        rows.setdefault(row, []).append((column, ref))
    added = b"".join(b'<row r="%d">%s</row>' % (row, b"".join(_cell(ref, b"", values[ref], strings)
                                                             for _, ref in sorted(cells)))
                     for row, cells in sorted(rows.items()))
    return xml.replace(b"</sheetData>", added + b"</sheetData>")


def _cell(ref: str, style: bytes, value: Value, strings: _SharedStrings) -> bytes:
    if value is None:
        return b'<c r="%s"%s/>' % (ref.encode(), style)
    if isinstance(value, str) and (index := strings.ref(value)) is not None:
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (ref.encode(), style, index)
    if isinstance(value, str):
        space = b' xml:space="preserve"' if value != value.strip() else b""
        return b'<c r="%s"%s t="inlineStr"><is><t%s>%s</t></is></c>' % (
            ref.encode(), style, space, escape(value).encode())
    return b'<c r="%s"%s><v>%s</v></c>' % (ref.encode(), style, repr(float(value)).encode())

"""Reading returned workbooks' cells: exact values from every writer, and no surprises.

Forms are generated, filled by editing their sheet XML (what a unit's spreadsheet program does),
by openpyxl and by LibreOffice; the odd things other writers do are written by hand into a copy.
"""

from __future__ import annotations

import io
import random
import re
import time
import unicodedata
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

import openpyxl
import pytest

from formkit.findings import Code
from formkit.forms import generate_forms
from formkit.forms.identity import IDENTITY_SHEET, FormIdentity
from formkit.forms.layout import SCORING_SHEET
from formkit.forms.verify import read_identity
from formkit.intake import xlsx
from formkit.intake.container import DEFAULT_LIMITS, Limits
from formkit.intake.xlsx import UNKNOWN_FORMULA, read_workbook
from formkit.office import convert, find_libreoffice
from formkit.workspace import init_workspace, open_workspace

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
GUIDE_PART, SCORING_PART, STRINGS_PART = ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                                          "xl/sharedStrings.xml")
GUIDE = "Hướng dẫn"
EVIDENCE = "Kế hoạch số 12/KH-UBND ngày 05/01/2020 & báo cáo <quý IV>"


@pytest.fixture(scope="session")
def issued(tmp_path_factory) -> tuple[bytes, FormIdentity]:
    root = tmp_path_factory.mktemp("intake-xlsx") / "ws"
    init_workspace(root)
    workspace = open_workspace(root)
    path = generate_forms(workspace, ["005"])[0].path
    return path.read_bytes(), read_identity(path, workspace.secret()).identity


@pytest.fixture(scope="session")
def answers(issued) -> dict[str, str | float]:
    """A unit's answers: a score for every input, some evidence and explanations."""
    _, identity = issued
    values: dict[str, str | float] = {}
    for index, leaf in enumerate(identity.inputs):
        values[identity.cell(leaf, "score")] = (0.25, 0.5, 1.0, 0.0)[index % 4]
        values[identity.cell(leaf, "evidence")] = f"{EVIDENCE} ({index})"
        if index % 3 == 0:
            values[identity.cell(leaf, "explanation")] = "Đang hoàn thiện hồ sơ"
    return values


@pytest.fixture(scope="session")
def filled(issued, answers) -> bytes:
    return fill(issued[0], answers)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    content = {**parts(data), **replace}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in content.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def fill(data: bytes, values: dict[str, str | float]) -> bytes:
    """Type values into the scoring sheet's empty input cells: numbers, and texts as inline strings."""
    sheet = parts(data)[SCORING_PART].decode()
    for ref, value in values.items():
        if isinstance(value, float):
            body, kind = f"<v>{value!r}</v>", ""
        else:
            body, kind = f'<is><t xml:space="preserve">{escape(value)}</t></is>', ' t="inlineStr"'
        sheet, count = re.subn(rf'<c r="{ref}" s="(\d+)"/>', rf'<c r="{ref}" s="\1"{kind}>{body}</c>',
                               sheet)
        assert count == 1, ref
    return rezip(data, {SCORING_PART: sheet.encode()})


def with_guide_sheet(data: bytes, sheet_data: str, root: str = f'<worksheet xmlns="{MAIN}">',
                     end: str = "</worksheet>") -> bytes:
    """The form with its first sheet replaced by hand-written XML."""
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{root}{sheet_data}{end}'
    return rezip(data, {GUIDE_PART: xml.encode()})


def scan_only(monkeypatch) -> None:
    """Make the tree road fail, to show that the fast scan alone read a file."""
    def refuse(*args):
        raise AssertionError("the scan fell back to the XML parser")
    for name in ("_rewrite_sheet", "_string_item", "_tree_style_fonts"):
        monkeypatch.setattr(xlsx, name, refuse)


def read(data: bytes, sheets=None, limits: Limits = DEFAULT_LIMITS):
    workbook, findings = read_workbook(data, "return.xlsx", sheets, limits)
    assert workbook is not None, findings
    return workbook, findings


def values(sheet) -> dict[str, object]:
    return {ref: cell.value for ref, cell in sheet.cells.items()}


def assert_same_as_openpyxl(data: bytes) -> None:
    """Every value, formula and text font as openpyxl reads them (empty text counts as empty)."""
    workbook, _ = read(data)
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    for name, sheet in workbook.sheets.items():
        for row in cached[name].iter_rows():
            for expected in row:
                cell = sheet.cells.get(expected.coordinate)
                value = None if cell is None else cell.value
                assert (value or None) == (expected.value or None), (name, expected.coordinate)
                formula = formulas[name][expected.coordinate].value
                if isinstance(formula, str) and formula.startswith("="):
                    assert "=" + cell.formula == formula
                if isinstance(value, str) and value:
                    assert cell.font == expected.font.name


# --- Genuine forms -----------------------------------------------------------------------------------

def test_an_issued_form_reads_like_openpyxl(issued):
    assert_same_as_openpyxl(issued[0])


def test_workbook_level_facts(issued):
    data, identity = issued
    workbook, findings = read(data)
    assert findings == [] and workbook.kind == "xlsx"
    assert workbook.sheet_names == [GUIDE, SCORING_SHEET, IDENTITY_SHEET]
    assert [s.state for s in workbook.sheets.values()] == ["visible", "visible", "veryHidden"]
    assert all(s.protected for s in workbook.sheets.values()) and workbook.structure_locked
    assert workbook.defined_names["FK_FormId"] == f'"{identity.form_id}"'
    assert workbook.defined_names[f"{SCORING_SHEET}!_xlnm.Print_Titles"] == f"'{SCORING_SHEET}'!$5:$6"
    assert workbook.custom_properties["formkit_form_id"] == identity.form_id
    scoring = workbook.sheets[SCORING_SHEET]
    total_row = max(identity.rows.values()) + 1
    assert scoring.cells[f"B{total_row}"].value == "TỔNG CỘNG"  # the sign-off block comes after
    assert workbook.sheets[IDENTITY_SHEET].cells["A2"].value == identity.payload()


def test_only_the_requested_sheets_are_read(issued):
    workbook, findings = read(issued[0], sheets=[IDENTITY_SHEET, "Không có"])
    assert list(workbook.sheets) == [IDENTITY_SHEET] and findings == []
    assert len(workbook.sheet_names) == 3
    nfd = unicodedata.normalize("NFD", SCORING_SHEET)
    assert list(read(issued[0], sheets=[nfd])[0].sheets) == [SCORING_SHEET]


def test_filled_values_are_exact(filled, answers, monkeypatch):
    scan_only(monkeypatch)
    scoring = read(filled, sheets=[SCORING_SHEET])[0].sheets[SCORING_SHEET]
    for ref, expected in answers.items():
        cell = scoring.cells[ref]
        if isinstance(expected, float):
            assert cell.value == expected and Decimal(cell.raw) == Decimal(repr(expected))
            assert cell.font is None and cell.formula is None
        else:
            assert cell.value == expected and cell.font == "Times New Roman"
    total = next(scoring.cells[f"G{row}"] for row in range(scoring.max_row, 0, -1)
                 if scoring.cells.get(f"B{row}") and scoring.cells[f"B{row}"].value == "TỔNG CỘNG")
    assert total.formula.startswith("SUM(") and total.raw is not None


def test_an_openpyxl_saved_return_reads_the_same(filled, answers):
    book = openpyxl.load_workbook(io.BytesIO(filled))
    buffer = io.BytesIO()
    book.save(buffer)
    scoring = read(buffer.getvalue())[0].sheets[SCORING_SHEET]
    assert {ref: scoring.cells[ref].value for ref in answers} == answers
    assert_same_as_openpyxl(buffer.getvalue())


needs_office = pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")


@needs_office
def test_a_return_saved_by_libreoffice_reads_the_same(filled, answers, tmp_path, monkeypatch):
    source = tmp_path / "in" / "return.xlsx"
    source.parent.mkdir()
    source.write_bytes(filled)
    saved = convert(source, "xlsx", tmp_path / "out").read_bytes()
    assert saved != filled
    before = read(filled)[0]
    with monkeypatch.context() as patched:
        scan_only(patched)
        after = read(saved)[0]
    for name in (SCORING_SHEET, IDENTITY_SHEET):
        assert values(after.sheets[name]) == {ref: v for ref, v in values(before.sheets[name]).items()
                                             if v != ""}
        assert after.sheets[name].protected
    scoring = after.sheets[SCORING_SHEET]
    assert all(Decimal(scoring.cells[ref].raw) == Decimal(repr(v))
               for ref, v in answers.items() if isinstance(v, float))
    assert after.sheets[IDENTITY_SHEET].state in ("hidden", "veryHidden")
    assert_same_as_openpyxl(saved)


# --- What other writers do ----------------------------------------------------------------------------

VARIANTS = {
    "types and inline strings": (
        '<sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve">  Hà Nội </t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>Sở </t></r><r><rPr><b/></rPr><t>Nội vụ</t></r></is></c>'
        '<c r="C1" t="str"><f>"a"&amp;"b"</f><v>a&amp;b</v></c><c r="D1" t="b"><v>1</v></c>'
        '<c r="E1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F1" t="d"><v>2020-12-22</v></c>'
        '<c r="G1" s="0" t="n"><v>1.5E-3</v></c><c r="H1" t="inlineStr"><is><t>a_x000D_b</t></is></c>'
        '<c r="I1" t="inlineStr"><is><t>&#7874;&#x1EF0;</t></is></c></row></sheetData>',
        {"A1": "  Hà Nội ", "B1": "Sở Nội vụ", "C1": "a&b", "D1": True, "E1": None, "F1": "2020-12-22",
         "G1": 0.0015, "H1": "a\rb", "I1": "ỂỰ"}),
    "cells and rows without coordinates": (
        '<sheetData><row><c><v>1</v></c><c t="inlineStr"><is><t>b</t></is></c></row>'
        '<row r="5"><c r="C5"><v>3</v></c><c><v>4</v></c></row><row><c r="B6"><v>5</v></c></row>'
        "</sheetData>",
        {"A1": 1.0, "B1": "b", "C5": 3.0, "D5": 4.0, "B6": 5.0}),
    "attribute order, spaces and comments": (
        '<sheetData>\n  <row r="1">\n    <c r="A1" t="inlineStr" s="1"><is><t>x</t></is></c>\n'
        '    <!-- a comment --><c r="B1" ><v>2</v></c>\n  </row>\n</sheetData>',
        {"A1": "x", "B1": 2.0}),
    "shared formulas": (
        '<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2'
        '</f><v>2</v></c></row><row r="2"><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="B3"><f t="shared" si="0"/><v>6</v></c><c r="C3"><f t="shared" si="9"/></c>'
        "</row></sheetData>",
        {"A1": 1.0, "B1": 2.0, "B2": 4.0, "B3": 6.0, "C3": None}),
    "decomposed Vietnamese": (
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + unicodedata.normalize("NFD", "Tự đánh giá") + "</t></is></c></row></sheetData>",
        {"A1": "Tự đánh giá"}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_what_other_writers_write(issued, variant):
    sheet_data, expected = VARIANTS[variant]
    workbook, findings = read(with_guide_sheet(issued[0], sheet_data), sheets=[GUIDE])
    assert findings == [] and values(workbook.sheets[GUIDE]) == expected


@pytest.mark.parametrize(("root", "end"), [
    ('<x:worksheet xmlns:x="{ns}">', "</x:worksheet>"),
    ('<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main">', "</worksheet>"),
])
def test_prefixed_and_strict_namespaces(issued, root, end):
    sheet_data = VARIANTS["types and inline strings"][0]
    if root.startswith("<x:"):
        sheet_data = re.sub(r"<(/?)(?!/)", r"<\1x:", sheet_data).replace("<x:/", "</x:")
        sheet_data += '<x:sheetProtection sheet="1"/>'
    workbook, findings = read(with_guide_sheet(issued[0], sheet_data, root.format(ns=MAIN), end))
    guide = workbook.sheets[GUIDE]
    assert findings == [] and values(guide) == VARIANTS["types and inline strings"][1]
    assert guide.protected == root.startswith("<x:")


def test_formulas_and_errors(issued):
    sheet_data, _ = VARIANTS["types and inline strings"]
    guide = read(with_guide_sheet(issued[0], sheet_data), sheets=[GUIDE])[0].sheets[GUIDE]
    assert guide.cells["C1"].formula == '"a"&"b"'
    assert guide.cells["E1"].error == "#DIV/0!" and guide.cells["E1"].formula == "1/0"
    assert guide.cells["F1"].raw == "2020-12-22" and guide.cells["G1"].raw == "1.5E-3"
    shared = read(with_guide_sheet(issued[0], VARIANTS["shared formulas"][0]), sheets=[GUIDE])[0]
    cells = shared.sheets[GUIDE].cells
    assert [cells[ref].formula for ref in ("B1", "B2", "B3")] == ["A1*2", "A2*2", "A3*2"]
    assert cells["C3"].formula == UNKNOWN_FORMULA  # a follower whose leader is missing


def test_rich_and_phonetic_shared_strings(issued):
    data = issued[0]
    strings = parts(data)[STRINGS_PART].decode()
    count = strings.count("<si>")
    extra = ('<si><r><t xml:space="preserve">Hà </t></r><r><rPr><b/></rPr><t>Nội</t></r>'
             '<rPh sb="0" eb="1"><t>ハ</t></rPh></si><si><t>Ba</t><rPh sb="0" eb="1"><t>バ</t></rPh></si>')
    strings = strings.replace("</sst>", extra + "</sst>")
    sheet_data = (f'<sheetData><row r="1"><c r="A1" t="s"><v>{count}</v></c>'
                  f'<c r="B1" t="s"><v>{count + 1}</v></c></row></sheetData>')
    changed = rezip(with_guide_sheet(data, sheet_data), {STRINGS_PART: strings.encode()})
    workbook, findings = read(changed)
    assert findings == [] and values(workbook.sheets[GUIDE]) == {"A1": "Hà Nội", "B1": "Ba"}
    original = read(data)[0]
    assert workbook.sheets[SCORING_SHEET] == original.sheets[SCORING_SHEET]


def test_absolute_relationship_targets(issued):
    rels = parts(issued[0])["xl/_rels/workbook.xml.rels"]
    absolute = rels.replace(b'Target="worksheets/', b'Target="/xl/worksheets/')
    workbook, _ = read(rezip(issued[0], {"xl/_rels/workbook.xml.rels": absolute}))
    assert workbook.sheets == read(issued[0])[0].sheets


def test_scan_and_tree_parser_agree(issued, filled, monkeypatch):
    """The fast scan must give exactly what the XML parser gives, for every corpus file."""
    corpus = [issued[0], filled] + [with_guide_sheet(issued[0], xml) for xml, _ in VARIANTS.values()]
    scanned = [read_workbook(data, "x.xlsx") for data in corpus]
    for name in ("_scan_sheet", "_scan_strings", "_scan_style_fonts"):
        monkeypatch.setattr(xlsx, name, lambda data: None)
    assert [read_workbook(data, "x.xlsx") for data in corpus] == scanned


# --- Bad and hostile content ----------------------------------------------------------------------------

def test_oversized_cells_are_truncated_and_reported(issued):
    huge = "Đ" * 40_000
    sheet_data = (f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{huge}</t></is></c>'
                  '<c r="B1"><v>7</v></c></row></sheetData>')
    workbook, findings = read_workbook(with_guide_sheet(issued[0], sheet_data), "big.xlsx")
    guide = workbook.sheets[GUIDE]
    assert len(guide.cells["A1"].value) == 32767 and guide.cells["B1"].value == 7.0
    assert [(f.code, f.sheet, f.cell) for f in findings] == [(Code.TOO_LARGE.code, GUIDE, "A1")]
    small = read_workbook(issued[0], "x.xlsx", [GUIDE], Limits(max_cell_chars=20))
    assert {f.cell for f in small[1]}
    assert all(len(c.value) <= 20 for c in small[0].sheets[GUIDE].cells.values())


def test_a_bad_cell_is_reported_and_the_rest_is_read(issued):
    sheet_data = ('<sheetData><row r="1"><c r="A1"><v>abc</v></c><c r="B1" t="s"><v>99999</v></c>'
                  '<c r="C1"><v>1e999</v></c><c r="D1" t="s"><v>-1</v></c><c r="E1"><v>2</v></c>'
                  "</row></sheetData>")
    workbook, findings = read_workbook(with_guide_sheet(issued[0], sheet_data), "bad.xlsx")
    bad = ("A1", "B1", "C1", "D1")
    assert [(f.code, f.cell) for f in findings] == [(Code.CORRUPT.code, ref) for ref in bad]
    assert values(workbook.sheets[GUIDE]) == {"A1": None, "B1": None, "C1": None, "D1": None, "E1": 2.0}


def test_absurd_coordinates_and_indexes(issued):
    huge = "9" * 5000
    sheet_data = (f'<sheetData><row r="{huge}"><c><v>1</v></c></row><row r="2"><c r="ZZZ2"><v>2</v></c>'
                  f'<c><v>3</v></c></row><row r="3"><c r="A3" t="s"><v>{huge}</v></c>'
                  '<c r="B3" t="s"><v>²</v></c></row></sheetData>')
    workbook, findings = read_workbook(with_guide_sheet(issued[0], sheet_data), "absurd.xlsx")
    assert values(workbook.sheets[GUIDE]) == {"A1": 1.0, "ZZZ2": 2.0, "A3": None, "B3": None}
    assert [(f.code, f.cell) for f in findings] == [(Code.CORRUPT.code, "A3"), (Code.CORRUPT.code, "B3")]


def test_billion_laughs_in_shared_strings(issued):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>'
              b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<si><t>&lol2;</t></si></sst>")
    start = time.perf_counter()
    workbook, findings = read_workbook(rezip(issued[0], {STRINGS_PART: laughs}), "laughs.xlsx")
    assert time.perf_counter() - start < 0.5
    assert workbook is None and [f.code for f in findings] == [Code.UNSAFE_XML.code]


def test_a_damaged_sheet_part_is_skipped_with_a_finding(issued):
    data = issued[0]
    broken = bytearray(data)
    record = data.find(SCORING_PART.encode(), data.find(b"PK\x01\x02")) - 46  # its directory entry
    broken[record + 16:record + 20] = b"\x00\x00\x00\x00"  # a wrong CRC
    workbook, findings = read_workbook(bytes(broken), "crc.xlsx")
    assert [f.code for f in findings] == [Code.CORRUPT.code]
    assert SCORING_SHEET not in workbook.sheets and IDENTITY_SHEET in workbook.sheets


def test_macro_enabled_returns_are_read(issued):
    types = parts(issued[0])["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    data = rezip(issued[0], {"[Content_Types].xml": types, "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    workbook, findings = read_workbook(data, "005.xlsm")
    assert workbook.kind == "xlsm" and [f.code for f in findings] == [Code.MACROS.code]
    assert workbook.sheets[IDENTITY_SHEET].cells["A2"].value == issued[1].payload()


def test_refusals_pass_through(issued):
    for data, code in ((b"%PDF-1.7\n", Code.NOT_SPREADSHEET), (issued[0][:5000], Code.CORRUPT)):
        workbook, findings = read_workbook(data, "return.xlsx")
        assert workbook is None and [f.code for f in findings] == [code.code]


def test_mangled_xml_never_raises(issued):
    rng = random.Random(7)
    originals = parts(issued[0])
    for _ in range(60):
        name = rng.choice([SCORING_PART, STRINGS_PART, "xl/styles.xml", "xl/workbook.xml",
                           "xl/worksheets/sheet3.xml"])
        text = bytearray(originals[name])
        for _ in range(rng.randint(1, 8)):
            text[rng.randrange(len(text))] = rng.choice(b"<>&\"'/=x0 \x00\xff")
        workbook, findings = read_workbook(rezip(issued[0], {name: bytes(text)}), "mangled.xlsx")
        assert workbook is not None or findings


def test_reading_is_fast(filled):
    """A loose guard against accidental slow paths (the bench compares with calamine)."""
    read_workbook(filled, "x.xlsx")
    start = time.perf_counter()
    for _ in range(20):
        read_workbook(filled, "x.xlsx", (SCORING_SHEET, IDENTITY_SHEET))
    assert (time.perf_counter() - start) / 20 < 0.02

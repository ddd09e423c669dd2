"""The results files: workbook (sheets, bands, print setup, charts, same bytes, words an official
reads, what LibreOffice prints), CSV, Parquet, and the previous year's workbook or CSV."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import unicodedata
import zipfile
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

from formkit.consolidate import LeafSpec, TreeSpec, UnitInput, compute, consolidate
from formkit.errors import FormkitError
from formkit.office import convert, find_libreoffice
from formkit.results import CSV_COLUMNS, csv_text, workbook_bytes, write_results
from formkit.results_method import LEAF_SHEET, TECHNICAL_SHEET
from formkit.results_parquet import LEAF_COLUMNS, leaves_parquet_bytes, units_parquet_bytes
from formkit.results_previous import DATA_SHEET, read_previous
from formkit.settings_outputs import Band, RankingSettings
from formkit.workspace import open_workspace

BANDS = RankingSettings(basis="total", bands=(Band(Decimal(90), "Xuất sắc"),
                                              Band(Decimal(70), "Khá"), Band(Decimal(0), "Yếu")))
MACHINE_SHEETS = {DATA_SHEET, LEAF_SHEET, TECHNICAL_SHEET}
HAS_OFFICE = find_libreoffice() is not None and shutil.which("pdftotext") is not None


@pytest.fixture(scope="module")
def provisional(example_workspace):
    """The shipped example before anything came back: every unit lacks data, survey included."""
    return consolidate(open_workspace(example_workspace), allow_incomplete=True)


@pytest.fixture(scope="module")
def demo(demo_campaign):
    """The demo campaign's results (returns, appraisal, survey; units without a return)."""
    return consolidate(open_workspace(demo_campaign), allow_incomplete=True)


@pytest.fixture(scope="module")
def demo_book(demo, tmp_path_factory):
    path = write_results(demo, tmp_path_factory.mktemp("demo-results"))["workbook"]
    return path, openpyxl.load_workbook(path)


def small(ranking: RankingSettings = BANDS, previous=None):
    """Two unit types, a tie on two decimals, a unit without return, a leaf not applicable."""
    leaves = (LeafSpec("1.1", "1", "1.1", Decimal(60), Decimal(60), Decimal(0),
                       text="Ban hành kế hoạch cải cách hành chính năm"),
              LeafSpec("2.1", "2", "2.1", Decimal(40), Decimal(20), Decimal(20),
                       frozenset({"S3"}), text="Công khai thủ tục hành chính"))
    trees = {"so": TreeSpec("so", (("1", "Chỉ đạo"), ("2", "Thủ tục")), leaves),
             "district": TreeSpec("district", (("1", "Chỉ đạo"), ("2", "Thủ tục")), leaves)}

    def unit(code, kind, a1, a2, survey, self1=None):
        return UnitInput(code, f"Đơn vị {code}", kind, True,
                         {"1.1": Decimal(a1), "2.1": Decimal(a2)},
                         {"1.1": Decimal(self1 if self1 is not None else a1), "2.1": Decimal(a2)},
                         {"2.1": survey}, document_name=f"Cơ quan {code} Thành phố")
    units = [unit("S1", "so", "55.5", "18", Fraction(37, 3), self1="58"),
             unit("S2", "so", "55.5", "18", Fraction(37003, 3000)),  # 85.8343... vs 85.8333...
             unit("S3", "so", "57", "0", Fraction(0)),
             UnitInput("S4", "Đơn vị S4", "so", False, None, survey={"2.1": Fraction(10)}),
             unit("D1", "district", "59", "20", Fraction(19)),
             UnitInput("D2", "=D2", "district", True, {"1.1": Decimal(40), "2.1": Decimal(10)},
                       {}, {"2.1": Fraction(5)})]  # a name that looks like a formula
    return compute(trees, units, "zero", meta={"year": 2021}, previous=previous, ranking=ranking)


def test_bands_ties_and_rule_in_the_results():
    results = small()
    by = {u.code: u for u in results.units}
    assert by["S1"].rank == by["S2"].rank == 1 and by["S3"].rank == 3  # 85.83 both
    assert by["S3"].index == 95 and by["S3"].band == "Xuất sắc"  # 57 of the applicable 60
    assert by["S1"].band == "Khá" and by["S4"].band == "Yếu"
    assert results.meta["has_bands"]
    assert "theo tổng điểm, làm tròn đến hai chữ số" in results.meta["rank_rule"]
    on_index = small(RankingSettings(basis="index", places=0))
    assert [u.rank for u in on_index.units if u.unit_type == "so"] == [2, 2, 1, 4]
    assert "theo Chỉ số (%), làm tròn đến số nguyên" in on_index.meta["rank_rule"]
    assert all(u.band == "" for u in on_index.units) and not on_index.meta["has_bands"]


def _header(sheet) -> list:
    """The (last) header row: the one repeated on every printed page."""
    row = int(re.match(r"\$(\d+):\$(\d+)", sheet.print_title_rows).group(2))
    return [c.value for c in sheet[row]]


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(text.splitlines()))


def _texts(sheet) -> list[str]:
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def _people_sheets(book) -> list:
    return [s for s in book.worksheets if s.title not in MACHINE_SHEETS]


@pytest.mark.parametrize("which", ["small", "provisional"])
def test_parquet_has_the_documented_types_and_the_csv_values(which, provisional, tmp_path):
    results = small() if which == "small" else provisional
    files = write_results(results, tmp_path)
    rows = _csv_rows(files["csv"].read_text(encoding="utf-8"))
    frame = pd.read_parquet(files["parquet"])
    assert tuple(frame.columns) == CSV_COLUMNS and len(frame) == len(rows) == len(results.units)
    for name in CSV_COLUMNS:
        dtype = frame[name].dtype
        if name in ("unit", "name", "unit_type", "status", "band", "missing"):
            assert pd.api.types.is_string_dtype(dtype), name
            assert [v.lstrip("'") for v in frame[name]] == [r[name].lstrip("'") for r in rows]
        elif name in ("rank", "previous_rank", "rank_change"):
            assert str(dtype) == "Int64", name
            assert [None if pd.isna(v) else int(v) for v in frame[name]] == [
                int(r[name]) if r[name] else None for r in rows]
        else:
            assert dtype == "float64", name
            for value, row in zip(frame[name], rows, strict=True):
                assert (pd.isna(value) and row[name] == "") or abs(value - float(row[name])) < 5e-11
    assert list(frame["total"]) == [float(u.total) for u in results.units]  # correctly rounded
    leaves = pd.read_parquet(files["leaves_parquet"])
    assert tuple(leaves.columns) == LEAF_COLUMNS
    assert len(leaves) == sum(len(u.leaves) for u in results.units)
    assert all(leaves[c].dtype == "float64" for c in LEAF_COLUMNS[5:])
    assert all(pd.api.types.is_string_dtype(leaves[c].dtype) for c in LEAF_COLUMNS[:5])
    parts = leaves["appraised"].fillna(0) + leaves["survey"].fillna(0)
    assert (parts - leaves["total"]).abs().max() < 1e-9
    sums = leaves.groupby("unit", sort=False)["total"].sum()
    assert all(abs(sums[u.code] - float(u.total)) < 1e-9 for u in results.units)


def test_same_results_same_bytes(provisional, tmp_path):
    files = write_results(provisional, tmp_path)
    assert files["workbook"].read_bytes() == workbook_bytes(provisional)
    assert files["parquet"].read_bytes() == units_parquet_bytes(provisional)
    assert files["leaves_parquet"].read_bytes() == leaves_parquet_bytes(provisional)
    assert files["csv"].read_text(encoding="utf-8") == csv_text(provisional)
    assert workbook_bytes(small()) == workbook_bytes(small())


def test_workbook_sheets_bands_and_print_setup(provisional, tmp_path):
    path = write_results(provisional, tmp_path)["workbook"]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Xếp hạng Sở", "Xếp hạng Quận, huyện", "Lĩnh vực Sở",
                               "Lĩnh vực Quận, huyện", "Chi tiết Sở", "Chi tiết Quận, huyện",
                               "Điều tra XHH Sở", "Điều tra XHH Quận, huyện", "Câu hỏi XHH",
                               "Phương pháp", DATA_SHEET, LEAF_SHEET, TECHNICAL_SHEET]
    for sheet in book.worksheets:
        if sheet.title in MACHINE_SHEETS:  # for programs: hidden, so never printed
            assert sheet.sheet_state == "hidden", sheet.title
            continue
        assert sheet.sheet_state == "visible"
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9"), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (1, None)
        assert sheet.print_area and "&P" in sheet.oddFooter.right.text
        assert sheet.print_title_rows or sheet.title in ("Tổng hợp", "Phương pháp")
    texts = {s.title: _texts(s) for s in book.worksheets}
    header = _header(book["Xếp hạng Sở"])
    assert "Xếp loại" in header and "Xếp hạng" in header and "Ghi chú" in header
    summary = " ".join(texts["Tổng hợp"])
    assert "KẾT QUẢ TẠM THỜI" in summary and "Khá" in texts["Tổng hợp"]
    assert "chưa có đơn vị nào có đủ kết quả" in summary  # no statistics over nobody
    assert "Ban Dân tộc" in texts["Tổng hợp"]  # listed among the units without complete data
    method = " ".join(texts["Phương pháp"])
    assert provisional.meta["rank_rule"] in method and "Xuất sắc: từ 90% trở lên" in method
    groups = book["Điều tra XHH Sở"]
    units = [row[1] for row in groups.iter_rows(values_only=True) if row[1]]
    assert units[0] == "Đơn vị" and len(units) == len(provisional.of_type("so")) + 1
    assert [c.value for c in book[DATA_SHEET][1]] == list(CSV_COLUMNS)
    assert [c.value for c in book[LEAF_SHEET][1]] == list(LEAF_COLUMNS)
    no_bands = openpyxl.load_workbook(write_results(small(RankingSettings()), tmp_path / "b")[
        "workbook"])
    assert "Xếp loại" not in _header(no_bands["Xếp hạng Sở"])
    assert "Không xếp loại." in " ".join(_texts(no_bands["Phương pháp"]))


def test_data_sheet_holds_the_csv_values(tmp_path):
    results = small()
    files = write_results(results, tmp_path)
    sheet = openpyxl.load_workbook(files["workbook"], read_only=True)[DATA_SHEET]
    values = list(sheet.iter_rows(values_only=True))
    rows = _csv_rows(files["csv"].read_text(encoding="utf-8"))
    for got, row in zip(values[1:], rows, strict=True):
        for name, value in zip(CSV_COLUMNS, got, strict=True):
            if isinstance(value, float | int) and name not in ("rank", "previous_rank",
                                                               "rank_change"):
                assert abs(value - float(row[name])) < 5e-11
            else:
                assert ("" if value is None else str(value)) == row[name], name


def test_chart_parts_and_types(provisional, tmp_path):
    path = write_results(provisional, tmp_path)["workbook"]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        charts = sorted(n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        kinds = sorted(re.search(r'<c:barDir val="(\w+)"/>', archive.read(n).decode()).group(1)
                       for n in charts)
        drawings = [n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]
    assert kinds == ["bar", "bar"]  # a ranking per unit type; no profile without statistics
    assert len(drawings) == 2
    assert len(re.findall(r"xl/charts/chart\d+\.xml", " ".join(zipfile.ZipFile(
        write_results(small(), tmp_path / "s")["workbook"]).namelist()))) == 3  # and the profile


def _anchors(path) -> dict[str, list[tuple[int, int]]]:
    """Sheet name -> (row, column) of each chart's top-left corner, 0-based."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        sheets = dict(re.findall(r'<sheet name="([^"]+)" sheetId="\d+"(?: state="\w+")? r:id="(rId\d+)"',
                                 book))
        targets = dict((i, t) for t, i in re.findall(r'Target="([^"]+)"[^>]*Id="(rId\d+)"', rels))
        targets.update(dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels)))
        out = {}
        for name, rid in sheets.items():
            sheet = targets[rid].split("/")[-1]
            rel = f"xl/worksheets/_rels/{sheet}.rels"
            if rel not in archive.namelist():
                continue
            drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"',
                                archive.read(rel).decode())
            if drawing:
                xml = archive.read(f"xl/drawings/{drawing.group(1)}").decode()
                out[unicodedata.normalize("NFC", name)] = [
                    (int(r), int(c)) for c, r in re.findall(
                        r"<xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>-?\d+</xdr:colOff>"
                        r"<xdr:row>(\d+)</xdr:row>", xml)]
    return out


def _area(sheet) -> tuple[int, int, int, int]:
    """A sheet's print area as 0-based (first row, first col, last row, last col)."""
    ref = str(sheet.print_area).split("!")[-1].replace("$", "")
    first, last = ref.split(":")
    (c1, r1), (c2, r2) = (openpyxl.utils.cell.coordinate_from_string(x) for x in (first, last))
    return (r1 - 1, openpyxl.utils.column_index_from_string(c1) - 1, r2 - 1,
            openpyxl.utils.column_index_from_string(c2) - 1)


def test_every_chart_sits_in_the_print_area_beside_its_table(demo_book):
    path, book = demo_book
    anchors = _anchors(path)
    assert set(anchors) == {"Tổng hợp", "Xếp hạng Sở", "Xếp hạng Quận, huyện"}
    for name, corners in anchors.items():
        first_row, first_col, last_row, last_col = _area(book[name])
        for row, col in corners:
            assert first_row <= row <= last_row and first_col <= col <= last_col, name
    for name in ("Xếp hạng Sở", "Xếp hạng Quận, huyện"):
        header_row = int(re.match(r"\$(\d+):", book[name].print_title_rows).group(1)) - 1
        [(row, col)] = anchors[name]
        table_columns = _header(book[name]).index(None)  # then a gap, the chart, its data
        assert row == header_row and col > table_columns  # beside the table, at its top


# ---- what an official reads ---------------------------------------------------------------------

ACRONYMS = {"CCHC", "UBND", "HĐND", "TTHC", "XHH", "STT", "KCN", "CX", "NQ", "TW", "XII", "NĐ", "CP",
            "QĐ", "TTg", "BNV", "KH", "CNTT", "ISO", "TCVN"}
FORBIDDEN = ("formkit", "missing", "excluded", "incomplete", "sha256", "bước điểm", "TODO", "láº",
             "thư mục đợt đánh giá", ".csv", ".xlsx", "--")
# An unaccented Vietnamese syllable: initial, one to three vowels, a final (c, ch, p, t need a tone
# mark, so they cannot end an unaccented syllable).
SYLLABLE = re.compile(r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}"
                      r"(ng|nh|[mn])?|gi(ng|nh|[mn])?")


def foreign_words(text: str) -> list[str]:
    """Words in `text` an official would not write: English, software words, machine values."""
    found = [w for w in FORBIDDEN if w.lower() in text.lower()]
    for word in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text)):
        if word in ("None", "nan", "NaN", "True", "False"):
            found.append(word)
        elif len(word) < 2 or not word.isascii():
            continue  # a letter (a, b, x) or a word with Vietnamese letters
        elif word.isupper():
            if word not in ACRONYMS:
                found.append(word)
        elif not SYLLABLE.fullmatch(word.lower()) and word not in ACRONYMS:
            found.append(word)
    return found


def test_the_word_check_catches_what_officials_should_never_see():
    assert foreign_words("Đơn vị missing-zero, hạng None, điểm nan") == [
        "missing", "missing", "zero", "None", "nan"]
    assert foreign_words("status ok; total index; excluded") == [
        "excluded", "status", "ok", "total", "index", "excluded"]
    assert foreign_words("Sở Tư pháp; UBND huyện Ba Vì; Thanh tra Thành phố; CCHC; XHH; KCN") == []
    assert foreign_words("Ban Quản lý các KCN và CX Hà Nội; Nghị quyết số 18-NQ/TW") == []


def _chart_texts(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [re.sub(r"<[^>]+>", " ", archive.read(n).decode())
                for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]


@pytest.mark.parametrize("which", ["demo", "provisional", "small"])
def test_no_software_word_or_english_in_sheets_people_read(which, request, tmp_path):
    results = small() if which == "small" else request.getfixturevalue(which)
    path = write_results(results, tmp_path)["workbook"]
    book = openpyxl.load_workbook(path)
    for sheet in _people_sheets(book):
        footer = " ".join(str(p.text or "") for p in (sheet.oddFooter.left, sheet.oddFooter.right))
        for text in [*_texts(sheet), re.sub(r"&[A-Z\"]\S*", " ", footer)]:
            assert not foreign_words(text), (sheet.title, text, foreign_words(text))
    for text in _chart_texts(path):
        titles = " ".join(re.findall(r"<c:v>([^<]*)</c:v>", text)) or ""
        assert not foreign_words(titles), titles


def test_criteria_are_named_units_in_full_and_short_names_only_in_charts(demo_book, demo):
    path, book = demo_book
    for unit_type, tree in demo.trees.items():
        sheet = book["Chi tiết Sở" if unit_type == "so" else "Chi tiết Quận, huyện"]
        named = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
        for leaf in tree.leaves:
            assert leaf.text and named[leaf.code] == leaf.text, leaf.code
        for code, text in tree.areas:
            assert named[code] == text
        header = _header(sheet)
        assert header[3:] == [u.name + ("" if u.complete else " (*)")
                              for u in demo.of_type(unit_type)]
    ranking = book["Xếp hạng Quận, huyện"]
    listed = {row[1] for row in ranking.iter_rows(values_only=True) if isinstance(row[0], int)}
    district = demo.of_type("district")
    assert listed == {u.document_name + ("" if u.complete else " (*)") for u in district}
    assert all(u.document_name.startswith("UBND ") for u in district)
    charts = " ".join(_chart_texts(path))
    assert "Ba Đình" in charts and "UBND quận Ba Đình" not in charts


def _ranking_rows(sheet) -> dict[str, dict]:
    header = _header(sheet)
    return {row[1].removesuffix(" (*)"): dict(zip(header, row, strict=False))
            for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)}


def test_coverage_marks_reasons_and_the_adjustment_sign(demo_book, demo):
    _, book = demo_book
    summary = " ".join(_texts(book["Tổng hợp"]))
    for s in demo.summaries:
        assert s.count < s.units  # the demo has units without complete data
        assert f"tính trên {s.count}/{s.units} đơn vị có đủ kết quả" in summary
    sheet = book["Xếp hạng Sở"]
    rows = _ranking_rows(sheet)
    notes = " ".join(_texts(sheet))
    so = demo.of_type("so")
    summary_so = next(s for s in demo.summaries if s.unit_type == "so")
    assert f"tính trên {summary_so.count}/{summary_so.units} đơn vị có đủ kết quả" in notes
    adjustment = next(h for h in _header(sheet) if h and h.startswith("Điểm điều chỉnh"))
    assert "+ tăng" in adjustment and "− giảm" in adjustment
    assert "Điểm tối đa áp dụng" in _header(sheet)  # maxima differ among the Sở (96,5 / 100)
    for u in so:
        row = rows[u.document_name]
        assert (row["Ghi chú"] or "") == ("" if u.complete else row["Ghi chú"])
        if not u.complete:
            assert row["Ghi chú"] and all(n[:20].lower() in row["Ghi chú"].lower() for n in u.notes)
            assert u.document_name in summary
        assert row["Xếp hạng"] == u.rank
        if u.adjustment is None:
            assert row[adjustment] is None
        else:  # appraised minus self-assessed: negative where the council deducted, as documents
            assert row[adjustment] == pytest.approx(float(u.appraised - u.self_total))
    deducted = [u for u in so if u.adjustment is not None and u.adjustment < 0]
    assert deducted and all(rows[u.document_name][adjustment] < 0 for u in deducted)
    no_return = [u for u in so if u.status == "missing-zero"]
    assert no_return and all("được tính 0 điểm các tiêu chí thẩm định và vẫn được xếp hạng"
                             in rows[u.document_name]["Ghi chú"] for u in no_return)
    method = " ".join(_texts(book["Phương pháp"]))
    assert "tổng điểm / tổng điểm tối đa áp dụng × 100" in method
    assert "chỉ tính trên các đơn vị có đủ kết quả" in method
    assert "được tính 0 điểm phần thẩm định" in method  # the demo's appraisal.missing: zero
    assert all(line in method for line in demo.meta["band_rule"])
    technical = " ".join(_texts(book[TECHNICAL_SHEET]))
    assert all(digest in technical for _, digest in demo.meta["catalogs"].values())


def test_units_left_out_of_ranking_are_said_so(tmp_path):
    leaves = (LeafSpec("1.1", "1", "1.1", Decimal(10), Decimal(10), Decimal(0), text="Kế hoạch"),)
    tree = {"so": TreeSpec("so", (("1", "Chỉ đạo"),), leaves)}
    units = [UnitInput("A", "A", "so", True, {"1.1": Decimal(8)}, {"1.1": Decimal(9)}, {}),
             UnitInput("B", "B", "so", False, None, survey={})]
    results = compute(tree, units, "exclude", meta={"year": 2021})
    book = openpyxl.load_workbook(write_results(results, tmp_path)["workbook"])
    rows = _ranking_rows(book["Xếp hạng Sở"])
    assert rows["B"]["Xếp hạng"] is None and "không được xếp hạng" in rows["B"]["Ghi chú"]
    assert rows["A"]["Xếp hạng"] == 1
    assert "không được xếp hạng" in " ".join(_texts(book["Phương pháp"]))


@pytest.mark.skipif(not HAS_OFFICE, reason="LibreOffice or pdftotext is not installed")
def test_libreoffice_prints_the_demo_workbook_in_at_most_30_pages(demo_book, tmp_path):
    path, book = demo_book
    pdf = convert(path, "pdf", tmp_path)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           check=True).stdout.decode("utf-8").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) <= 30
    footers = [re.findall(r"(\S.*?)\s{2,}Trang (\d+)/(\d+)", page)[-1] for page in pages]
    assert [int(n) for _, n, _ in footers] == list(range(1, len(pages) + 1))
    printed = {title for title, _, _ in footers}
    for sheet in _people_sheets(book):  # every sheet for people prints; the data sheets do not
        assert sheet.oddFooter.left.text.split("&9")[-1] in printed, sheet.title
    assert not any("unit_type" in page or "sha256" in page for page in pages)
    for name in ("Xếp hạng Sở", "Xếp hạng Quận, huyện"):  # table and chart on one page
        title = book[name].oddFooter.left.text.split("&9")[-1]
        assert sum(t == title for t, _, _ in footers) == 1, name
    text = "\n".join(pages)
    assert "Ban hành kế hoạch cải cách hành chính năm" in text  # criteria printed with names
    assert re.search(r"\d+,\d\d", text) and not re.search(r"\b\d+\.\d\d\b", text)  # 75,44


# ---- the previous year --------------------------------------------------------------------------

def test_previous_from_the_workbook_or_the_csv(tmp_path):
    first = write_results(small(), tmp_path)
    from_csv, from_book = read_previous(first["csv"]), read_previous(first["workbook"])
    assert from_csv.keys() == from_book.keys() == {u.code for u in small().units}
    for code, (total, rank) in from_book.items():
        assert rank == from_csv[code][1] and abs(total - from_csv[code][0]) < Fraction(1, 10 ** 9)
    again = small(previous=from_book)
    assert all(u.rank_change == 0 and abs(u.change) < 1e-9 for u in again.units if u.rank)
    assert "Tổng điểm năm trước" in _header(openpyxl.load_workbook(
        write_results(again, tmp_path / "2")["workbook"])["Xếp hạng Sở"])


def test_previous_refuses_what_it_cannot_read(tmp_path):
    cases = {}
    cases["notes.txt"] = ("unit,total,rank\n", "phải là results.csv hoặc tệp Excel")
    cases["broken.xlsx"] = (b"not a zip", "tệp hỏng")
    cases["columns.csv"] = ("unit,points\nS1,3\n", "cần các cột unit, total, rank")
    cases["value.csv"] = ("unit,total,rank\nS1,abc,1\n", "dòng 2 (đơn vị S1)")
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(FormkitError, match=re.escape(reason)) as caught:
            read_previous(path)
        assert str(path) in caught.value.message
    other = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Xếp hạng"
    book.save(other)
    with pytest.raises(FormkitError, match=f"không có trang '{DATA_SHEET}'"):
        read_previous(other)

"""The results files: workbook (sheets, bands, print setup, charts, same bytes), CSV, Parquet, and
the previous year's workbook or CSV. (LibreOffice rendering: tests/test_consolidate.py.)"""

from __future__ import annotations

import csv
import re
import zipfile
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

from formkit.consolidate import LeafSpec, TreeSpec, UnitInput, compute, consolidate
from formkit.errors import FormkitError
from formkit.results import CSV_COLUMNS, csv_text, workbook_bytes, write_results
from formkit.results_parquet import LEAF_COLUMNS, leaves_parquet_bytes, units_parquet_bytes
from formkit.results_previous import DATA_SHEET, read_previous
from formkit.settings_outputs import Band, RankingSettings
from formkit.workspace import open_workspace

BANDS = RankingSettings(bands=(Band(Decimal(90), "Xuất sắc"), Band(Decimal(70), "Khá"),
                               Band(Decimal(0), "Yếu")))


@pytest.fixture(scope="module")
def provisional(example_workspace):
    """The shipped example before anything came back: every unit lacks data, survey included."""
    return consolidate(open_workspace(example_workspace), allow_incomplete=True)


def small(ranking: RankingSettings = BANDS, previous=None):
    """Two unit types, a tie on two decimals, a unit without return, a leaf not applicable."""
    leaves = (LeafSpec("1.1", "1", "1.1", Decimal(60), Decimal(60), Decimal(0)),
              LeafSpec("2.1", "2", "2.1", Decimal(40), Decimal(20), Decimal(20),
                       frozenset({"S3"})))
    trees = {"so": TreeSpec("so", (("1", "Chỉ đạo"), ("2", "Thủ tục")), leaves),
             "district": TreeSpec("district", (("1", "Chỉ đạo"), ("2", "Thủ tục")), leaves)}

    def unit(code, kind, a1, a2, survey, self1=None):
        return UnitInput(code, f"Đơn vị {code}", kind, True,
                         {"1.1": Decimal(a1), "2.1": Decimal(a2)},
                         {"1.1": Decimal(self1 if self1 is not None else a1), "2.1": Decimal(a2)},
                         {"2.1": survey})
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
    assert results.meta["has_bands"] and "tổng điểm làm tròn 2" in results.meta["rank_rule"]
    on_index = small(RankingSettings(basis="index", places=0))
    assert [u.rank for u in on_index.units if u.unit_type == "so"] == [2, 2, 1, 4]
    assert "Chỉ số % (tổng điểm / điểm tối đa áp dụng) làm tròn 0" in on_index.meta["rank_rule"]
    assert all(u.band == "" for u in on_index.units) and not on_index.meta["has_bands"]


def _header(sheet) -> list:
    """The header row: the one repeated on every printed page."""
    row = int(re.match(r"\$(\d+):", sheet.print_title_rows).group(1))
    return [c.value for c in sheet[row]]


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(text.splitlines()))


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
    assert book.sheetnames == ["Tổng hợp", "Xếp hạng Sở, ban, ngành",
                               "Xếp hạng Quận, huyện, thị xã", "Lĩnh vực", "Chi tiết tiêu chí",
                               "Điều tra XHH", "Câu hỏi XHH", "Phương pháp", DATA_SHEET]
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9"), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToHeight == 0
        assert sheet.print_area and "&P" in sheet.oddFooter.right.text
        assert sheet.print_title_rows or sheet.title == "Phương pháp"
    texts = {s.title: [str(v) for row in s.iter_rows(values_only=True) for v in row if v]
             for s in book.worksheets}
    header = _header(book["Xếp hạng Sở, ban, ngành"])
    assert "Xếp loại" in header and "Hạng" in header
    assert "KẾT QUẢ TẠM" in " ".join(texts["Tổng hợp"])
    assert any(t.startswith("Thiếu: BDT Ban Dân tộc") for t in texts["Tổng hợp"])
    assert "Xếp loại Khá" in texts["Tổng hợp"]
    method = " ".join(texts["Phương pháp"])
    assert provisional.meta["rank_rule"] in method and "từ 90%: Xuất sắc" in method
    groups = [row[2] for row in book["Điều tra XHH"].iter_rows(values_only=True) if row[2]]
    assert groups[0] == "Nhóm đối tượng" and len(groups) == len(provisional.survey_groups) + 1
    assert [c.value for c in book[DATA_SHEET][1]] == list(CSV_COLUMNS)
    no_bands = openpyxl.load_workbook(write_results(small(RankingSettings()), tmp_path / "b")[
        "workbook"])
    assert "Xếp loại" not in _header(no_bands["Xếp hạng Sở, ban, ngành"])
    assert "Không xếp loại." in " ".join(
        str(v) for row in no_bands["Phương pháp"].iter_rows(values_only=True) for v in row if v)


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
    assert kinds == ["bar", "bar", "col"]  # a ranking per unit type, the per-area profile
    assert len(drawings) == 3


def test_previous_from_the_workbook_or_the_csv(tmp_path):
    first = write_results(small(), tmp_path)
    from_csv, from_book = read_previous(first["csv"]), read_previous(first["workbook"])
    assert from_csv.keys() == from_book.keys() == {u.code for u in small().units}
    for code, (total, rank) in from_book.items():
        assert rank == from_csv[code][1] and abs(total - from_csv[code][0]) < Fraction(1, 10 ** 9)
    again = small(previous=from_book)
    assert all(u.rank_change == 0 and abs(u.change) < 1e-9 for u in again.units if u.rank)
    assert "Tổng điểm năm trước" in _header(openpyxl.load_workbook(
        write_results(again, tmp_path / "2")["workbook"])["Xếp hạng Sở, ban, ngành"])


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

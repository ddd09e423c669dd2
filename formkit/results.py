"""The consolidated results as files: the results workbook (native charts), CSV and Parquet.

`out/results/results.csv` (UTF-8, comma, "\\n", one row per unit, in unit order) has the stable
schema CSV_COLUMNS; numbers are plain decimals with a dot and 10 decimals (exact values are
rationals; this is their rounding), `rank` is empty for a unit left out of ranking, `band` is the
classification label (empty without bands), `missing` says what the unit lacked when
consolidated with --allow-incomplete. The Parquet files beside it are described in
formkit.results_parquet.

The workbook "Kết quả Chỉ số CCHC <năm>.xlsx": Tổng hợp (per unit type figures, bands, the
per-area profile with its column chart, the ranking rule, what is missing), one ranking sheet per
unit type (with its bar chart), Lĩnh vực, Chi tiết tiêu chí, Điều tra XHH, Câu hỏi XHH, Phương
pháp, and Dữ liệu: the CSV's columns and values as a plain sheet, which `consolidate --previous`
reads next year (formkit.results_previous). Every sheet is set up for A4 landscape printing
(formkit.results_sheet). The workbook and the CSV have fixed document properties and no clock:
the same results give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from formkit.consolidate import Results, UnitResult
from formkit.fileio import atomic_write_bytes
from formkit.intake.validate import neutralise
from formkit.results_previous import DATA_SHEET
from formkit.results_sheet import (
    POINTS,
    ROW_PX,
    cell,
    formats,
    lines,
    note,
    print_setup,
    table,
    width_px,
)
from formkit.units import UNIT_TYPES

RESULTS_DIR = "results"
CSV_COLUMNS = ("unit", "name", "unit_type", "status", "appraised", "survey", "total",
               "applicable_max", "index_pct", "rank", "band", "self_total", "adjustment",
               "previous_total", "change", "previous_rank", "rank_change", "missing")
TEXT_COLUMNS = frozenset({"unit", "name", "unit_type", "status", "band", "missing"})
INT_COLUMNS = frozenset({"rank", "previous_rank", "rank_change"})


def unit_records(results: Results) -> list[tuple]:
    """One tuple per unit in CSV_COLUMNS order: text, exact numbers (or None), integers (or None)."""
    return [(u.code, u.name, u.unit_type, u.status, u.appraised, u.survey, u.total,
             u.applicable_max, u.index, u.rank, u.band, u.self_total, u.adjustment,
             u.previous_total, u.change, u.previous_rank, u.rank_change,
             "; ".join(u.notes) if u.status != "ok" else "") for u in results.units]


def _num(value: Fraction | Decimal | None, places: int = 10) -> str:
    if value is None:
        return ""
    value = Fraction(value)
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.{places}f}"


def csv_text(results: Results) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in unit_records(results):
        writer.writerow([neutralise(v) if name in TEXT_COLUMNS else
                         ("" if v is None else v) if name in INT_COLUMNS else _num(v)
                         for name, v in zip(CSV_COLUMNS, record, strict=True)])
    return buffer.getvalue()


def write_results(results: Results, out_dir: Path) -> dict[str, Path]:
    """Write the workbook, the CSV and the Parquet files under out_dir/results; return their paths."""
    from formkit.results_parquet import leaves_parquet_bytes, units_parquet_bytes

    folder = out_dir / RESULTS_DIR
    year = results.meta.get("year", "")
    files = {"workbook": folder / f"Kết quả Chỉ số CCHC {year}.xlsx",
             "csv": folder / "results.csv", "parquet": folder / "results.parquet",
             "leaves_parquet": folder / "results_leaves.parquet"}
    atomic_write_bytes(files["csv"], csv_text(results).encode("utf-8"))
    atomic_write_bytes(files["parquet"], units_parquet_bytes(results))
    atomic_write_bytes(files["leaves_parquet"], leaves_parquet_bytes(results))
    atomic_write_bytes(files["workbook"], workbook_bytes(results))
    return files


def workbook_bytes(results: Results) -> bytes:
    from formkit.results_detail import (
        write_areas,
        write_data,
        write_leaves,
        write_method,
        write_survey_groups,
        write_survey_questions,
    )

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": title(results), "author": "formkit",
                         "created": dt.datetime(2000, 1, 1)})
    f = formats(book)
    _summary(book, results, f)
    for unit_type in results.trees:
        units = results.of_type(unit_type)
        if units:
            _ranking(book, results, unit_type, units, f)
    write_areas(book, results, f)
    write_leaves(book, results, f)
    if results.survey_groups:
        write_survey_groups(book, results, f)
        write_survey_questions(book, results, f)
    write_method(book, results, f)
    write_data(book, results, unit_records(results), CSV_COLUMNS, DATA_SHEET, f)
    book.close()
    return buffer.getvalue()


def title(results: Results) -> str:
    return f"Kết quả Chỉ số CCHC năm {results.meta.get('year', '')}"


def type_label(unit_type: str) -> str:
    return UNIT_TYPES.get(unit_type, unit_type)


def banner(sheet, results: Results, f: dict, row: int, last_col: int, chars: float) -> int:
    """The provisional-results warning under a sheet's title, when something is missing."""
    if results.missing:
        return note(sheet, row, "KẾT QUẢ TẠM: còn thiếu dữ liệu (xem cột Ghi chú và trang Tổng "
                    "hợp).", last_col, chars, f["warn"])
    return row


def bands_text(results: Results) -> str:
    bands = results.meta.get("bands") or []
    if not bands:
        return "Không xếp loại."
    places = results.meta.get("rank_places", 2)
    return (f"Xếp loại theo Chỉ số % làm tròn {places} chữ số thập phân: "
            + "; ".join(f"từ {_decimal_vi(m)}%: {label}" for m, label in bands) + ".")


def _decimal_vi(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


# ---- Tổng hợp ---------------------------------------------------------------------------------

def _summary(book, results: Results, f: dict) -> None:
    sheet = book.add_worksheet("Tổng hợp")
    labels = [label for _, label in results.meta.get("bands") or []]
    headers = [("Loại đơn vị", 30), ("Số đơn vị", 10), ("Điểm trung bình", 11), ("Trung vị", 11),
               ("Cao nhất", 24), ("Thấp nhất", 24), ("Trên TB", 9), ("Dưới TB", 9),
               *((f"Xếp loại {label}", 10) for label in labels)]
    last_col = len(headers) - 1
    chars = sum(w for _, w in headers)
    sheet.write_string(0, 0, title(results), f["title"])
    row = banner(sheet, results, f, 1, last_col, chars) + 1
    names = {u.code: u.name for u in results.units}
    rows = []
    for s in results.summaries:
        bands = [u.band for u in results.of_type(s.unit_type) if u.ranked]
        rows.append([type_label(s.unit_type), s.count, s.mean, s.median, names[s.highest],
                     names[s.lowest], s.above_mean, s.below_mean,
                     *(bands.count(label) for label in labels)])
    header_row = row
    row = table(sheet, row, headers, rows, f, filtered=False) + 1
    row = note(sheet, row, results.meta["rank_rule"], last_col, chars, f["note"])
    row = note(sheet, row, bands_text(results), last_col, chars, f["note"]) + 1
    row = _profile(book, sheet, results, row, f, width_px([w for _, w in headers]))
    for line in results.missing:
        row = note(sheet, row, "Thiếu: " + line, last_col, chars, f["warn"])
    print_setup(sheet, row, last_col, (header_row, header_row), title(results))


def _profile(book, sheet, results: Results, top: int, f: dict, width: int) -> int:
    """Mean % per area and unit type (the rows under the summary), and its column chart."""
    types = [s.unit_type for s in results.summaries]
    areas: dict[str, str] = {}
    for unit_type in types:
        areas.update({code: text for code, text in results.trees[unit_type].areas
                      if code not in areas})
    if not areas:
        return top
    means = {s.unit_type: s.area_mean_percent for s in results.summaries}
    sheet.write_string(top, 0, "Tỉ lệ điểm trung bình theo lĩnh vực (% điểm tối đa áp dụng)",
                       f["title"])
    headers = ["Lĩnh vực", "Ký hiệu", *(type_label(t) for t in types)]
    rows = [[f"{code}. {text}", f"LV{code}", *(means[t].get(code) for t in types)]
            for code, text in areas.items()]
    for col, header in enumerate(headers):
        sheet.write_string(top + 1, col, header, f["header"])
    sheet.set_row(top + 1, 15 * max(lines(h, 11) for h in headers[2:]))
    for r, values in enumerate(rows, start=top + 2):
        sheet.set_row(r, 15 * lines(values[0], 30))
        sheet.write_string(r, 0, neutralise(values[0]), f["wrap"])
        for col, value in enumerate(values[1:], start=1):
            cell(sheet, r, col, value, f, "pct")
    last = top + 1 + len(rows)
    chart = book.add_chart({"type": "column"})
    for col, unit_type in enumerate(types, start=2):
        chart.add_series({"name": type_label(unit_type),
                          "categories": [sheet.get_name(), top + 2, 1, last, 1],
                          "values": [sheet.get_name(), top + 2, col, last, col],
                          "data_labels": {"value": True, "num_format": "0.0"}})
    chart.set_title({"name": "Tỉ lệ điểm trung bình theo lĩnh vực (%)"})
    chart.set_y_axis({"min": 0, "max": 100, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": width, "height": 340})
    sheet.insert_chart(last + 2, 0, chart)
    return last + 2 + 340 // ROW_PX + 1


# ---- Xếp hạng ---------------------------------------------------------------------------------

def _ranking(book, results: Results, unit_type: str, units: list[UnitResult], f: dict) -> None:
    sheet = book.add_worksheet(f"Xếp hạng {type_label(unit_type)}"[:31])
    heading = f"Xếp hạng Chỉ số CCHC năm {results.meta.get('year', '')}: {type_label(unit_type)}"
    with_bands = results.meta.get("has_bands", False)
    with_previous = any(u.previous_total is not None for u in units)
    columns = [("Mã", 8, lambda u: u.code), ("Đơn vị", 30, lambda u: u.name),
               ("Điểm thẩm định", 10, lambda u: u.appraised),
               ("Điểm điều tra XHH", 10, lambda u: u.survey),
               ("Tổng điểm", 10, lambda u: u.total),
               ("Điểm tối đa áp dụng", 10, lambda u: u.applicable_max),
               ("Chỉ số %", 9, lambda u: u.index), ("Hạng", 7, lambda u: u.rank)]
    if with_bands:
        columns.append(("Xếp loại", 11, lambda u: u.band))
    columns.append(("Điều chỉnh (tự chấm - thẩm định)", 11, lambda u: u.adjustment))
    if with_previous:
        columns += [("Tổng điểm năm trước", 10, lambda u: u.previous_total),
                    ("Thay đổi điểm", 9, lambda u: u.change),
                    ("Hạng năm trước", 8, lambda u: u.previous_rank),
                    ("Thay đổi hạng", 8, lambda u: u.rank_change)]
    columns.append(("Ghi chú", 30, lambda u: "; ".join(u.notes)))
    headers = [(name, width) for name, width, _ in columns]
    last_col, chars = len(headers) - 1, sum(w for _, w in headers)
    sheet.write_string(0, 0, heading, f["title"])
    top = banner(sheet, results, f, 1, last_col, chars) + 1
    ordered = sorted(units, key=lambda u: (u.rank is None, u.rank or 0))
    rows = [[get(u) for _, _, get in columns] for u in ordered]
    end = table(sheet, top, headers, rows, f, styles={6: "pct", last_col: "wrap"})
    end = note(sheet, end + 1, results.meta["rank_rule"], last_col, chars, f["note"])
    by_index = results.meta.get("rank_basis") == "index"
    value_col = 6 if by_index else 4
    chart = book.add_chart({"type": "bar"})
    name = sheet.get_name()
    chart.add_series({"name": headers[value_col][0],
                      "categories": [name, top + 1, 1, top + len(rows), 1],
                      "values": [name, top + 1, value_col, top + len(rows), value_col],
                      "data_labels": {"value": True, "num_format": POINTS}})
    chart.set_title({"name": heading})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    height = min(18 * len(rows) + 110, 720)
    chart.set_size({"width": width_px([w for _, w in headers]), "height": height})
    chart_row = end + 1
    sheet.insert_chart(chart_row, 0, chart)
    sheet.set_h_pagebreaks([chart_row])
    print_setup(sheet, chart_row + height // ROW_PX + 1, last_col, (top, top), heading)

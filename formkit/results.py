"""The consolidated results as files: the results workbook (xlsxwriter, with native charts) and CSV.

`out/results/results.csv` (UTF-8, comma, "\\n", one row per unit, in unit order) has the stable
schema CSV_COLUMNS; numbers are plain decimals with a dot and 10 decimals (exact values are
rationals; this is their rounding), `rank` is empty for a unit left out of ranking, `missing` says
what the unit lacked when consolidated with --allow-incomplete. A previous year's results.csv is
what `consolidate --previous` reads. No Parquet export: pyarrow is not a dependency of formkit.
The workbook and the CSV have fixed document properties: the same results give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from formkit.consolidate import RANK_RULE, STATUS_LABELS, Results, UnitResult
from formkit.fileio import atomic_write_bytes
from formkit.intake.validate import neutralise
from formkit.units import UNIT_TYPES

RESULTS_DIR = "results"
FONT = "Times New Roman"
POINTS = "#,##0.00"
CSV_COLUMNS = ("unit", "name", "unit_type", "status", "appraised", "survey", "total",
               "applicable_max", "index_pct", "rank", "self_total", "adjustment",
               "previous_total", "change", "previous_rank", "rank_change", "missing")


def _num(value: Fraction | Decimal | None, places: int = 10) -> str:
    if value is None:
        return ""
    value = Fraction(value)
    text = f"{Decimal(value.numerator) / Decimal(value.denominator):.{places}f}"
    return text


def csv_text(results: Results) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for u in results.units:
        writer.writerow([u.code, neutralise(u.name), u.unit_type, u.status, _num(u.appraised),
                         _num(u.survey), _num(u.total), _num(u.applicable_max), _num(u.index),
                         "" if u.rank is None else u.rank, _num(u.self_total), _num(u.adjustment),
                         _num(u.previous_total), _num(u.change),
                         "" if u.previous_rank is None else u.previous_rank,
                         "" if u.rank_change is None else u.rank_change,
                         neutralise("; ".join(u.notes)) if u.status != "ok" else ""])
    return buffer.getvalue()


def write_results(results: Results, out_dir: Path) -> dict[str, Path]:
    """Write the workbook and the CSV under out_dir/results; return their paths."""
    folder = out_dir / RESULTS_DIR
    year = results.meta.get("year", "")
    files = {"workbook": folder / f"Kết quả Chỉ số CCHC {year}.xlsx",
             "csv": folder / "results.csv"}
    atomic_write_bytes(files["csv"], csv_text(results).encode("utf-8"))
    atomic_write_bytes(files["workbook"], workbook_bytes(results))
    return files


def workbook_bytes(results: Results) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": f"Kết quả Chỉ số CCHC {results.meta.get('year', '')}",
                         "author": "formkit", "created": dt.datetime(2000, 1, 1)})
    f = _formats(book)
    _summary(book.add_worksheet("Tổng hợp"), results, f)
    for unit_type in results.trees:
        units = results.of_type(unit_type)
        if units:
            _ranking(book, unit_type, units, f)
    _areas(book.add_worksheet("Lĩnh vực"), results, f)
    _leaves(book.add_worksheet("Chi tiết tiêu chí"), results, f)
    _method(book.add_worksheet("Phương pháp"), results, f)
    book.close()
    return buffer.getvalue()


def _formats(book) -> dict:
    base = {"font_name": FONT, "font_size": 11, "border": 1, "valign": "top"}
    return {"title": book.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
            "warn": book.add_format({"font_name": FONT, "bold": True, "font_color": "#C00000"}),
            "header": book.add_format({**base, "bold": True, "bg_color": "#D9E1F2",
                                       "text_wrap": True, "align": "center"}),
            "text": book.add_format(base), "wrap": book.add_format({**base, "text_wrap": True}),
            "num": book.add_format({**base, "num_format": POINTS}),
            "int": book.add_format({**base, "num_format": "0"})}


def _cell(sheet, row: int, col: int, value, f: dict) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None, f["text"])
    elif isinstance(value, int) and not isinstance(value, bool):
        sheet.write_number(row, col, value, f["int"])
    elif isinstance(value, Fraction | Decimal | float):
        sheet.write_number(row, col, float(value), f["num"])
    else:
        sheet.write_string(row, col, neutralise(str(value)), f["text"])


def _table(sheet, top: int, headers: list[tuple[str, int]], rows: list[list], f: dict) -> int:
    for col, (header, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(top, col, header, f["header"])
    for r, values in enumerate(rows, start=top + 1):
        for col, value in enumerate(values):
            _cell(sheet, r, col, value, f)
    sheet.freeze_panes(top + 1, 2)
    sheet.autofilter(top, 0, top + max(len(rows), 1), len(headers) - 1)
    return top + len(rows) + 1


def _banner(sheet, results: Results, f: dict, row: int = 1) -> int:
    if results.missing:
        sheet.write_string(row, 0, "KẾT QUẢ TẠM: còn thiếu dữ liệu (xem cột Ghi chú và trang "
                           "Tổng hợp).", f["warn"])
        return row + 1
    return row


def _summary(sheet, results: Results, f: dict) -> None:
    sheet.write_string(0, 0, f"Kết quả Chỉ số CCHC năm {results.meta.get('year', '')}", f["title"])
    row = _banner(sheet, results, f) + 1
    names = {u.code: u.name for u in results.units}
    headers = [("Loại đơn vị", 22), ("Số đơn vị", 10), ("Điểm trung bình", 12),
               ("Trung vị", 12), ("Cao nhất", 24), ("Thấp nhất", 24), ("Trên TB", 9),
               ("Dưới TB", 9)]
    rows = [[UNIT_TYPES.get(s.unit_type, s.unit_type), s.count, s.mean, s.median,
             names[s.highest], names[s.lowest], s.above_mean, s.below_mean]
            for s in results.summaries]
    row = _table(sheet, row, headers, rows, f) + 1
    sheet.write_string(row, 0, RANK_RULE, f["text"])
    for line in results.missing:
        row += 1
        sheet.write_string(row, 0, "Thiếu: " + neutralise(line), f["warn"])


def _ranking(book, unit_type: str, units: list[UnitResult], f: dict) -> None:
    sheet = book.add_worksheet(f"Xếp hạng {unit_type}")
    sheet.write_string(0, 0, f"Xếp hạng: {UNIT_TYPES.get(unit_type, unit_type)}", f["title"])
    headers = [("Mã", 9), ("Đơn vị", 32), ("Điểm thẩm định", 11), ("Điểm điều tra XHH", 11),
               ("Tổng điểm", 10), ("Điểm tối đa áp dụng", 10), ("Chỉ số %", 10), ("Hạng", 7),
               ("Điều chỉnh (tự chấm - thẩm định)", 12), ("Thay đổi điểm", 10),
               ("Thay đổi hạng", 9), ("Ghi chú", 50)]
    ordered = sorted(units, key=lambda u: (u.rank is None, u.rank or 0))
    rows = [[u.code, u.name, u.appraised, u.survey, u.total, u.applicable_max, u.index, u.rank,
             u.adjustment, u.change, u.rank_change, "; ".join(u.notes)] for u in ordered]
    _table(sheet, 2, headers, rows, f)
    chart = book.add_chart({"type": "bar"})
    name = sheet.get_name()
    last = 2 + len(rows)
    chart.add_series({"name": "Tổng điểm", "categories": [name, 3, 1, last, 1],
                      "values": [name, 3, 4, last, 4], "data_labels": {"value": True,
                                                                        "num_format": POINTS}})
    chart.set_title({"name": f"Chỉ số CCHC: {UNIT_TYPES.get(unit_type, unit_type)}"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 24 * len(rows) + 120})
    sheet.insert_chart(2, 13, chart)


def _areas(sheet, results: Results, f: dict) -> None:
    sheet.write_string(0, 0, "Điểm theo lĩnh vực", f["title"])
    headers = [("Mã", 9), ("Đơn vị", 32), ("Lĩnh vực", 8), ("Điểm tối đa áp dụng", 10),
               ("Tự chấm", 10), ("Thẩm định", 10), ("Điều tra XHH", 10), ("Tổng", 10),
               ("Tỉ lệ %", 10), ("Điều chỉnh", 10)]
    rows = [[u.code, u.name, a.code, a.max_points, a.self_score, a.appraised, a.survey, a.total,
             a.percent, a.adjustment] for u in results.units for a in u.areas]
    row = _table(sheet, _banner(sheet, results, f) + 1, headers, rows, f) + 1
    for s in results.summaries:
        means = ", ".join(f"LV {c}: {float(p):.2f}%" for c, p in s.area_mean_percent.items())
        sheet.write_string(row, 0, f"Trung bình {UNIT_TYPES.get(s.unit_type, s.unit_type)}: "
                           + means, f["text"])
        row += 1


def _leaves(sheet, results: Results, f: dict) -> None:
    sheet.write_string(0, 0, "Chi tiết theo tiêu chí thành phần", f["title"])
    headers = [("Mã", 9), ("Đơn vị", 32), ("Tiêu chí", 9), ("Điểm tối đa", 9), ("Tự chấm", 9),
               ("Thẩm định", 9), ("Điều tra XHH", 9), ("Tổng", 9)]
    rows = [[u.code, u.name, leaf.code, leaf.max_points, leaf.self_score, leaf.appraised,
             leaf.survey, leaf.total] for u in results.units for leaf in u.leaves]
    _table(sheet, _banner(sheet, results, f) + 1, headers, rows, f)


def _method(sheet, results: Results, f: dict) -> None:
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 110)
    meta = results.meta
    lines = [
        ("Tổng điểm", "Điểm thẩm định (phần chấm qua thẩm định của các tiêu chí thành phần, theo "
         "Hội đồng thẩm định) + điểm điều tra XHH (phần chấm qua điều tra xã hội học)."),
        ("Chỉ số %", "Tổng điểm / điểm tối đa áp dụng cho đơn vị x 100; tiêu chí không áp dụng "
         "cho đơn vị không tính vào cả hai."),
        ("Xếp hạng", RANK_RULE),
        ("Điều chỉnh", "Điểm tự chấm - điểm thẩm định (dương: Hội đồng trừ điểm)."),
        ("Độ chính xác", "Tính chính xác (phân số); chỉ làm tròn khi trình bày (2 chữ số)."),
        ("Đơn vị không có biểu", {"zero": "tính 0 điểm thẩm định, vẫn xếp hạng",
                                  "exclude": "không xếp hạng"}.get(results.missing_rule,
                                                                   results.missing_rule)),
        ("Nhóm không có phiếu", str(meta.get("empty_group", ""))),
        ("Kết quả năm trước", str(meta.get("previous", "")) or "không dùng"),
        ("Tình trạng", "KẾT QUẢ TẠM: còn thiếu dữ liệu" if results.missing else "Đủ dữ liệu"),
    ]
    for unit_type, (cid, digest) in sorted(meta.get("catalogs", {}).items()):
        lines.append((f"Bộ tiêu chí {unit_type}", f"{cid} (sha256 {digest})"))
    lines += [(STATUS_LABELS.get(k, k), k) for k in STATUS_LABELS]
    sheet.write_string(0, 0, "Phương pháp tính", f["title"])
    for row, (label, text) in enumerate(lines, start=2):
        sheet.write_string(row, 0, label, f["header"])
        sheet.write_string(row, 1, neutralise(text), f["wrap"])

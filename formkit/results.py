"""The consolidated results as files: the results workbook (native charts), CSV and Parquet.

`out/results/results.csv` (UTF-8, comma, "\\n", one row per unit, in unit order) has the stable
schema CSV_COLUMNS; numbers are plain decimals with a dot and 10 decimals (exact values are
rationals; this is their rounding), `rank` is empty for a unit left out of ranking, `band` is the
classification label (empty without bands), `missing` says why the unit's data are incomplete
(every reason, also for a ranked unit with a survey shortfall; empty: complete). The Parquet
files beside it are described in formkit.results_parquet.

The workbook "Kết quả Chỉ số CCHC <năm>.xlsx" prints (LibreOffice, A4 landscape) in some 21 pages
for Hanoi's 52 units. For people: Tổng hợp (per unit type figures over the units with complete
data, bands, the units without complete data with their reasons, the per-area profile with its
column chart), then per unit type: Xếp hạng (full names, reasons in Ghi chú, the bar chart beside
the table on the same page, short names), Lĩnh vực (units x areas), Chi tiết (criteria named, as
rows; units as columns), Điều tra XHH (units x respondent groups); Câu hỏi XHH, Phương pháp (in
official Vietnamese). A unit without complete data is marked (*) in every table and chart. For
programs, hidden and never printed: Dữ liệu (the CSV's columns and values as a plain sheet,
column names in row 1, which `consolidate --previous` reads next year, formkit.results_previous),
Dữ liệu tiêu chí (results_leaves.parquet as a sheet) and Dữ liệu kỹ thuật (catalogue ids and
hashes, the previous-year file, settings, status codes). The workbook and the CSV have fixed
document properties and no clock: the same results give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from formkit.consolidate import (
    GAP_TEXTS,
    MISSING_ZERO,
    SURVEY_SHORT,
    Gap,
    Results,
    UnitResult,
    round_half_up,
)
from formkit.fileio import atomic_write_bytes
from formkit.intake.validate import neutralise
from formkit.results_previous import DATA_SHEET
from formkit.results_sheet import (
    FONT,
    LINE_PT,
    PAGE_HEIGHT_PX,
    PAGE_WIDTH_PX,
    PERCENT,
    POINTS,
    ROW_PX,
    VI,
    chars_of,
    formats,
    grid_table,
    lines,
    note,
    print_setup,
    row_lines,
    table,
    width_px,
)
from formkit.text import format_number
from formkit.units import GROUP_WORDS, UNIT_TYPES

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
             "; ".join(u.notes)) for u in results.units]


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
    from formkit.results_detail import write_areas, write_criteria, write_questions, write_survey
    from formkit.results_method import write_data, write_leaf_data, write_method, write_technical

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": title(results), "author": "Sở Nội vụ",
                         "created": dt.datetime(2000, 1, 1)})
    f = formats(book)
    types = [t for t in results.trees if results.of_type(t)]
    _summary(book, results, types, f)
    for unit_type in types:
        _ranking(book, results, unit_type, f)
    for unit_type in types:
        write_areas(book, results, unit_type, f)
    for unit_type in types:
        write_criteria(book, results, unit_type, f)
    if results.survey_groups:
        for unit_type in types:
            write_survey(book, results, unit_type, f)
        write_questions(book, results, f)
    write_method(book, results, f)
    # Machine data, hidden (never printed): next year's --previous reads DATA_SHEET.
    write_data(book, unit_records(results), CSV_COLUMNS, DATA_SHEET, f)
    write_leaf_data(book, results, f)
    write_technical(book, results, f)
    book.close()
    return buffer.getvalue()


# ---- words every sheet shares -------------------------------------------------------------------

MARK = " (*)"  # after the name of a unit without complete data, in every table and chart
SHEET_WORDS = {"so": "Sở", "district": "Quận, huyện"}  # sheet names are at most 31 characters

def title(results: Results) -> str:
    return f"Kết quả Chỉ số CCHC năm {results.meta.get('year', '')}"


def type_label(unit_type: str) -> str:
    """How a table's row or column names the units of a type: 'UBND quận, huyện, thị xã'."""
    if unit_type in GROUP_WORDS:
        counted = GROUP_WORDS[unit_type].counted
        return counted[:1].upper() + counted[1:]
    return UNIT_TYPES.get(unit_type, unit_type)


def group_heading(unit_type: str) -> str:
    """'các sở, cơ quan tương đương Sở': how a heading names the units of a type."""
    return GROUP_WORDS[unit_type].label if unit_type in GROUP_WORDS else type_label(unit_type)


def sheet_name(prefix: str, unit_type: str) -> str:
    return f"{prefix} {SHEET_WORDS.get(unit_type, type_label(unit_type))}"[:31]


def official(unit: UnitResult) -> str:
    """The full official name, as tables print it (charts use the short name)."""
    return unit.document_name or unit.name


def marked(name: str, unit: UnitResult) -> str:
    return name if unit.complete else name + MARK


def reasons(unit: UnitResult) -> str:
    """'Không gửi biểu tự đánh giá, chấm điểm; điểm các tiêu chí thẩm định được tính bằng 0, vẫn xếp
    hạng.' ('' if complete)."""
    if unit.complete:
        return ""
    text = "; ".join([*(_gap_text(g) for g in unit.gaps), unit.treatment])
    return text[:1].upper() + text[1:] + "."


def _gap_text(gap: Gap) -> str:
    """A reason as consolidation words it; a survey shortfall in many groups is summed up (the
    sheet Điều tra XHH shows each group's questionnaires against its minimum)."""
    groups = gap.detail.count("; ") + 1 if gap.detail else 0
    if gap.code == SURVEY_SHORT and groups > 2:
        return f"{GAP_TEXTS[gap.code]} ở {groups} nhóm đối tượng (chi tiết tại trang Điều tra XHH)"
    return gap.text


def vi_number(value: Fraction | Decimal | int, places: int = 2) -> str:
    if isinstance(value, int):
        return format_number(value, 0)
    return format_number(round_half_up(Fraction(value), places), places)


def coverage(results: Results, unit_type: str, where: str = "") -> str:
    """Which units a type's statistics cover, in one sentence; `where` says where the units
    without complete data are listed (default: marked (*) in the table above)."""
    units = results.of_type(unit_type)
    complete = sum(u.complete for u in units)
    label = type_label(unit_type)
    if not complete:
        return (f"{label}: chưa có đơn vị nào có đủ kết quả nên chưa tính giá trị trung bình và "
                "các số liệu thống kê.")
    if complete == len(units):
        return f"{label}: số liệu thống kê tính trên tất cả {len(units)} đơn vị."
    return (f"{label}: giá trị trung bình, trung vị, cao nhất, thấp nhất và số đơn vị trên, dưới "
            f"trung bình tính trên {complete}/{len(units)} đơn vị có đủ kết quả; "
            f"{len(units) - complete} đơn vị chưa đủ kết quả không tính vào "
            f"({where or 'đánh dấu (*)'}).")


def mark_note(units: list[UnitResult], where: str = "cột Ghi chú") -> str:
    """The footnote of the (*) mark, '' when every unit has complete data."""
    if all(u.complete for u in units):
        return ""
    return f"(*) Đơn vị chưa đủ kết quả; lý do ghi tại {where}."


def maxima_differ(units: list[UnitResult]) -> bool:
    return len({u.applicable_max for u in units}) > 1


def maximum_note(units: list[UnitResult]) -> str:
    """When every unit has the same maximum, say it once (the column is then left out)."""
    if not units or maxima_differ(units):
        return ""
    return f"Điểm tối đa áp dụng của các đơn vị: {vi_number(units[0].applicable_max)} điểm."


def bands_text(results: Results) -> str:
    lines_ = results.meta.get("band_rule") or []
    if not lines_:
        return "Không xếp loại."
    places = results.meta.get("rank_places", 2)
    return (f"Xếp loại theo Chỉ số CCHC (%) làm tròn đến {places} chữ số thập phân: "
            + "; ".join(lines_) + ".")


def banner(sheet, results: Results, f: dict, row: int, last_col: int, chars: float) -> int:
    """The provisional-results warning under a sheet's title, when data can still change."""
    if results.missing:
        return note(sheet, row, "KẾT QUẢ TẠM THỜI: còn đơn vị chưa có kết quả thẩm định hoặc chưa "
                    "có điểm điều tra xã hội học (xem trang Tổng hợp); số liệu sẽ thay đổi khi bổ "
                    "sung dữ liệu.", last_col, chars, f["warn"])
    return row


def heading_rows(sheet, results: Results, f: dict, heading: str, last_col: int,
                 chars: float) -> int:
    """Title (and the provisional warning); returns the first free row."""
    sheet.write_string(0, 0, heading, f["title"])
    return banner(sheet, results, f, 1, last_col, chars) + 1


def notes(sheet, row: int, texts: list[str], last_col: int, chars: float, f: dict) -> int:
    for text in texts:
        if text:
            row = note(sheet, row, text, last_col, chars, f["note"])
    return row


# ---- Tổng hợp ---------------------------------------------------------------------------------

GRID = 12  # the summary sheet's columns, each GRID_WIDTH characters wide
GRID_WIDTH = 9.5


def _summary(book, results: Results, types: list[str], f: dict) -> None:
    sheet = book.add_worksheet("Tổng hợp")
    sheet.set_column(0, GRID - 1, GRID_WIDTH)
    last_col, chars = GRID - 1, GRID * GRID_WIDTH
    row = heading_rows(sheet, results, f, title(results), last_col, chars)
    if results.meta.get("title"):
        row = note(sheet, row, str(results.meta["title"]), last_col, chars, f["subtitle"]) + 1
    has_bands = bool(results.meta.get("bands"))
    listed = f"danh sách tại mục {3 if has_bands else 2}"
    row = _figures(sheet, results, types, row, f, listed)
    if has_bands:
        row = _band_counts(sheet, results, types, row, f)
    breaks, page = [], 0
    section = _incomplete(sheet, results, types, row, f, 3 if has_bands else 2)
    if rows_px(sheet, page, section) > PAGE_HEIGHT_PX:  # the list starts a page rather than split
        breaks.append(row)
        page = row
    row = section
    profile = _profile(book, sheet, results, types, row, f, 4 if has_bands else 3, listed)
    if rows_px(sheet, page, profile) > PAGE_HEIGHT_PX:  # the profile's table and chart together
        breaks.append(row)
    sheet.set_h_pagebreaks(breaks)
    print_setup(sheet, profile, last_col, None, title(results))


def rows_px(sheet, first: int, last: int) -> int:
    """The height in pixels of rows first..last-1 as set on the sheet (default 15 pt)."""
    sizes = getattr(sheet, "row_sizes", {})
    return round(sum((sizes[r][0] if r in sizes and sizes[r][0] is not None else LINE_PT)
                     for r in range(first, last)) * 4 / 3)


def _figures(sheet, results: Results, types: list[str], row: int, f: dict, listed: str) -> int:
    """Per unit type: units, how many have complete data, mean, median, highest, lowest, and how
    many are above and below the mean, judged on the ranking basis (the index or the total)."""
    names = {u.code: u for u in results.units}
    summaries = {s.unit_type: s for s in results.summaries}
    by_index = results.meta.get("rank_basis") == "index"
    sheet.write_string(row, 0, "1. Số liệu chung", f["section"])
    columns = [("Nhóm đơn vị", 2), ("Số đơn vị", 1), ("Số đơn vị có đủ kết quả", 1),
               ("Chỉ số CCHC trung bình (%)" if by_index else "Tổng điểm trung bình", 1),
               ("Trung vị (%)" if by_index else "Trung vị (điểm)", 1), ("Cao nhất", 2),
               ("Thấp nhất", 2), ("Số đơn vị trên trung bình", 1),
               ("Số đơn vị dưới trung bình", 1)]
    rows = []
    for unit_type in types:
        units, s = results.of_type(unit_type), summaries.get(unit_type)
        if s is None:
            rows.append([type_label(unit_type), len(units), 0, None, None, "", "", None, None])
            continue
        top, low = names[s.highest], names[s.lowest]
        rows.append([type_label(unit_type), s.units, s.count,
                     s.mean_index if by_index else s.mean, s.median_index if by_index else s.median,
                     f"{official(top)} ({judged(top, by_index)})",
                     f"{official(low)} ({judged(low, by_index)})", s.above_mean, s.below_mean])
    styles = {0: "wrap", 5: "wrap", 6: "wrap", **({3: "pct", 4: "pct"} if by_index else {})}
    row = grid_table(sheet, row + 1, columns, rows, f, GRID_WIDTH, styles)
    return notes(sheet, row, [coverage(results, t, listed) for t in types]
                 + [results.meta["rank_rule"]], GRID - 1, GRID * GRID_WIDTH, f) + 1


def judged(unit: UnitResult, by_index: bool) -> str:
    """'77,40%' or '77,40 điểm': the figure the ranking is on."""
    return f"{vi_number(unit.index)}%" if by_index else f"{vi_number(unit.total)} điểm"


def _band_counts(sheet, results: Results, types: list[str], row: int, f: dict) -> int:
    labels = [label for _, label in results.meta["bands"]]
    excluded = any(not u.ranked for u in results.units)
    sheet.write_string(row, 0, "2. Số đơn vị theo xếp loại", f["section"])
    columns = [("Nhóm đơn vị", 2), *((label, 1) for label in labels),
               *([("Không xếp hạng", 1)] if excluded else []), ("Cộng", 1)]
    rows = []
    for unit_type in types:
        units = results.of_type(unit_type)
        bands = [u.band for u in units if u.ranked]
        rows.append([type_label(unit_type), *(bands.count(label) for label in labels),
                     *([sum(not u.ranked for u in units)] if excluded else []), len(units)])
    row = grid_table(sheet, row + 1, columns, rows, f, GRID_WIDTH, {0: "wrap"})
    texts = [bands_text(results) + " Số đơn vị theo xếp loại tính trên tất cả các đơn vị được "
             "xếp hạng."]
    for unit_type in types:
        zero = [u for u in results.of_type(unit_type) if u.status == MISSING_ZERO]
        if zero:
            bands = sorted({u.band for u in zero if u.band})
            texts.append(f"{type_label(unit_type)}: {len(zero)} đơn vị không có biểu tự đánh "
                         "giá hợp lệ được tính 0 điểm phần thẩm định"
                         + (f" và được xếp loại {', '.join(bands)}" if bands else "") + ".")
    return notes(sheet, row, texts, GRID - 1, GRID * GRID_WIDTH, f) + 1


def _incomplete(sheet, results: Results, types: list[str], row: int, f: dict, number: int) -> int:
    units = [u for t in types for u in results.of_type(t) if not u.complete]
    sheet.write_string(row, 0, f"{number}. Đơn vị chưa đủ kết quả", f["section"])
    if not units:
        sheet.write_string(row + 1, 0, "Tất cả các đơn vị có đủ kết quả.", f["note"])
        return row + 3
    columns = [("STT", 1), ("Đơn vị", 3), ("Lý do, cách tính", 8)]
    rows = [[n, official(u), reasons(u)] for n, u in enumerate(units, start=1)]
    return grid_table(sheet, row + 1, columns, rows, f, GRID_WIDTH, {1: "wrap", 2: "wrap"}) + 1


PROFILE_CHART_PX = 300


def _profile(book, sheet, results: Results, types: list[str], top: int, f: dict, number: int,
             listed: str) -> int:
    """Mean % per area and unit type (over units with complete data), and its column chart."""
    summaries = [s for s in results.summaries if s.unit_type in types]
    areas: dict[str, str] = {}
    for s in summaries:
        areas.update({code: text for code, text in results.trees[s.unit_type].areas
                      if code not in areas})
    if not areas:
        return top
    sheet.write_string(top, 0, f"{number}. Tỷ lệ điểm trung bình theo lĩnh vực (% so với điểm "
                       "tối đa áp dụng)", f["section"])
    columns = [("Lĩnh vực", 1), ("Nội dung", 7),
               *((type_label(s.unit_type) + " (%)", 2) for s in summaries)]
    rows = [[f"Lĩnh vực {code}", text, *(s.area_mean_percent.get(code) for s in summaries)]
            for code, text in areas.items()]
    end = grid_table(sheet, top + 1, columns, rows, f, GRID_WIDTH,
                     {1: "wrap", **{2 + n: "pct" for n in range(len(summaries))}})
    chart = book.add_chart({"type": "column"})
    for n, s in enumerate(summaries):
        col = 8 + 2 * n  # the first grid column of the type's merged cells
        chart.add_series({"name": type_label(s.unit_type),
                          "categories": [sheet.get_name(), top + 2, 0, end - 1, 0],
                          "values": [sheet.get_name(), top + 2, col, end - 1, col],
                          "data_labels": {"value": True, "num_format": VI + "0.0",
                                          "font": {"name": FONT, "size": 9}}})
    chart.set_title({"name": "Tỷ lệ điểm trung bình theo lĩnh vực (%)",
                     "name_font": {"size": 12, "name": FONT}})
    chart.set_x_axis({"num_font": {"name": FONT}})
    chart.set_y_axis({"min": 0, "max": 100, "major_gridlines": {"visible": True},
                      "num_font": {"name": FONT}, "num_format": VI + "0"})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": width_px([GRID_WIDTH] * GRID), "height": PROFILE_CHART_PX})
    sheet.insert_chart(end + 1, 0, chart)
    row = end + 1 + math.ceil(PROFILE_CHART_PX / ROW_PX) + 1
    return notes(sheet, row, [coverage(results, s.unit_type, listed) for s in summaries], GRID - 1,
                 GRID * GRID_WIDTH, f)


# ---- Xếp hạng ---------------------------------------------------------------------------------

CHART_PX = 430  # the ranking chart beside its table


def _ranking(book, results: Results, unit_type: str, f: dict) -> None:
    units = results.of_type(unit_type)
    sheet = book.add_worksheet(sheet_name("Xếp hạng", unit_type))
    year = results.meta.get("year", "")
    heading = f"Kết quả xếp hạng Chỉ số CCHC năm {year} của {group_heading(unit_type)}"
    by_index = results.meta.get("rank_basis") == "index"
    with_previous = any(u.previous_total is not None for u in units)
    ordered = sorted(units, key=lambda u: (u.rank is None, u.rank or 0))
    columns = [("STT", 5, None, "int"), ("Đơn vị", 28, lambda u: marked(official(u), u), "wrap"),
               ("Điểm thẩm định", 9, lambda u: u.appraised, "num"),
               ("Điểm điều tra XHH", 9, lambda u: u.survey, "num"),
               ("Tổng điểm", 9, lambda u: u.total, "num")]
    if maxima_differ(units):
        columns.append(("Điểm tối đa áp dụng", 9, lambda u: u.applicable_max, "num"))
    columns += [("Chỉ số CCHC (%)", 9, lambda u: u.index, "pct"),
                ("Xếp hạng", 7, lambda u: u.rank, "int")]
    if results.meta.get("has_bands"):
        columns.append(("Xếp loại", 9, lambda u: u.band, "text"))
    columns.append(("Điểm điều chỉnh khi thẩm định (+ tăng, − giảm)", 11,
                    lambda u: u.adjustment, "signed"))
    if with_previous:
        columns += [("Tổng điểm năm trước", 9, lambda u: u.previous_total, "num"),
                    ("Tổng điểm tăng (+), giảm (−) so với năm trước", 11, lambda u: u.change,
                     "signed"),
                    ("Xếp hạng năm trước", 8, lambda u: u.previous_rank, "int"),
                    ("Số bậc tăng (+), giảm (−)", 9, lambda u: u.rank_change, "signed_int")]
    columns.append(("Ghi chú", 30, reasons, "wrap"))
    headers = [(name, width) for name, width, _, _ in columns]
    last_col = len(headers) - 1
    chars = sum(w for _, w in headers)
    top = heading_rows(sheet, results, f, heading, last_col, chars)
    rows = [[n if get is None else get(u) for _, _, get, _ in columns]
            for n, u in enumerate(ordered, start=1)]
    styles = {n: style for n, (_, _, _, style) in enumerate(columns)}
    end = table(sheet, top, headers, rows, f, styles=styles)
    summary = next((s for s in results.summaries if s.unit_type == unit_type), None)
    mean = (f"Chỉ số CCHC trung bình: {vi_number(summary.mean_index)}%; tổng điểm trung bình: "
            f"{vi_number(summary.mean)} điểm; tính trên {summary.count}/{summary.units} đơn vị có "
            "đủ kết quả." if summary else coverage(results, unit_type))
    row = notes(sheet, end, [mark_note(units), mean, maximum_note(units),
                             "Điểm điều chỉnh khi thẩm định = điểm thẩm định − điểm tự đánh giá "
                             "(số âm: Hội đồng thẩm định giảm điểm so với điểm tự đánh giá); để "
                             "trống đối với đơn vị chưa được thẩm định.",
                             results.meta["rank_rule"],
                             bands_text(results) if results.meta.get("has_bands") else ""],
                last_col, chars, f)
    value_header = "Chỉ số CCHC (%)" if by_index else "Tổng điểm"
    chart_col = last_col + 2
    sheet.set_column(last_col + 1, last_col + 1, 1.5)
    sheet.set_column(chart_col, chart_col, chars_of(CHART_PX))
    ranked = [u for u in ordered if u.rank is not None]
    helper = chart_col + 2  # the chart's data, outside the print area
    sheet.set_column(helper, helper, 28)
    sheet.write_string(top, helper, "Số liệu cho biểu đồ (tên gọi tắt)", f["header"])
    sheet.write_string(top, helper + 1, value_header, f["header"])
    for n, u in enumerate(ranked, start=top + 1):
        sheet.write_string(n, helper, marked(u.name, u), f["text"])
        sheet.write_number(n, helper + 1, float(u.index if by_index else u.total),
                           f["pct" if by_index else "num"])
    if ranked:  # as tall as the table, at most what one printed page holds below the title
        scale = min(1, PAGE_WIDTH_PX / (width_px([*(w for _, w in headers), 1.5]) + CHART_PX))
        room = int(PAGE_HEIGHT_PX / scale) - rows_px(sheet, 0, top) - ROW_PX
        height = min(max(_table_px(rows, headers, styles, f), 14 * len(ranked) + 80), room)
        _ranking_chart(book, sheet, top, helper, len(ranked), value_header, by_index, height,
                       chart_col)
    print_setup(sheet, row - 1, chart_col, (top, top), heading)


def _table_px(rows: list[list], headers: list[tuple[str, float]], styles: dict, f: dict) -> int:
    widths = [w for _, w in headers]
    wrapped = {n for n, s in styles.items() if s in ("wrap", "text")}
    header = max(lines(h, w) for h, w in headers)
    return round((header + sum(row_lines(r, widths, wrapped) for r in rows)) * LINE_PT * 4 / 3)


def _ranking_chart(book, sheet, top: int, helper: int, count: int, header: str, by_index: bool,
                   height: int, col: int) -> None:
    name = sheet.get_name()
    chart = book.add_chart({"type": "bar"})
    chart.add_series({"name": header,
                      "categories": [name, top + 1, helper, top + count, helper],
                      "values": [name, top + 1, helper + 1, top + count, helper + 1],
                      "fill": {"color": "#4472C4"}, "gap": 40,
                      "data_labels": {"value": True, "num_format": PERCENT if by_index else POINTS,
                                      "font": {"name": FONT, "size": 8}}})
    chart.set_title({"name": header, "name_font": {"size": 11, "name": FONT}})
    chart.set_y_axis({"reverse": True, "num_font": {"name": FONT, "size": 8}})
    axis = {"min": 0, "major_gridlines": {"visible": True}, "num_font": {"name": FONT, "size": 8},
            "num_format": VI + "0"}
    chart.set_x_axis({**axis, "max": 100} if by_index else axis)
    chart.set_legend({"none": True})
    chart.set_size({"width": CHART_PX, "height": height})
    sheet.insert_chart(top, col, chart)

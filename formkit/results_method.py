"""The methodology sheet of the results workbook, and its machine-data sheets.

"Phương pháp" says, in the words of a Sở Nội vụ, how the index, the ranking, the bands, the survey
points and the adjustments are computed and how units without complete data are treated. The
data sheets are for programs and are hidden (LibreOffice and Excel print no hidden sheet):
- DATA_SHEET "Dữ liệu": results.csv as a plain sheet, its column names in row 1 (what
  `consolidate --previous` reads next year, formkit.results_previous), machine codes allowed;
- "Dữ liệu tiêu chí": results_leaves.parquet as a plain sheet (one row per unit x leaf);
- "Dữ liệu kỹ thuật": labelled as machine data: catalogue ids and hashes, the previous-year file,
  the settings behind the figures, the status codes and their meaning.
"""

from __future__ import annotations

from formkit.consolidate import STATUS_LABELS, Results
from formkit.intake.validate import neutralise
from formkit.results import (
    bands_text,
    heading_rows,
    maxima_differ,
    title,
    type_label,
)
from formkit.results_parquet import LEAF_COLUMNS
from formkit.results_sheet import LINE_PT, lines, print_setup, table

TECHNICAL_SHEET = "Dữ liệu kỹ thuật"
LEAF_SHEET = "Dữ liệu tiêu chí"
MISSING_WORDS = {
    "zero": "thì được tính 0 điểm phần thẩm định; điểm điều tra xã hội học vẫn được tính và đơn "
            "vị vẫn được xếp hạng.",
    "exclude": "thì không được xếp hạng (cột Xếp hạng để trống) và không tính vào các số liệu "
               "thống kê; điểm điều tra xã hội học vẫn được ghi để tham khảo.",
}
EMPTY_GROUP_WORDS = {
    "renormalise": "Nhóm đối tượng không có câu trả lời hợp lệ đối với một tiêu chí thành phần thì "
                   "không tính vào tiêu chí đó; trọng số được phân bổ lại cho các nhóm còn lại.",
    "zero": "Nhóm đối tượng không có câu trả lời hợp lệ đối với một tiêu chí thành phần được tính "
            "0 điểm ở tiêu chí đó.",
}


def method_entries(results: Results) -> list[tuple[str, str]]:
    """(heading, text) of the methodology, in official Vietnamese."""
    meta = results.meta
    year = meta.get("year", "")
    differ = any(maxima_differ(results.of_type(t)) for t in results.trees)
    entries = [
        ("Điểm đánh giá", "Điểm của mỗi đơn vị gồm điểm thẩm định (điểm các tiêu chí, tiêu chí "
         "thành phần đánh giá qua thẩm định, theo kết quả thẩm định của Hội đồng thẩm định) và "
         "điểm điều tra xã hội học (điểm các tiêu chí, tiêu chí thành phần đánh giá qua điều tra "
         "xã hội học). Tổng điểm = điểm thẩm định + điểm điều tra xã hội học."),
        ("Chỉ số CCHC (%)", "Chỉ số CCHC (%) = tổng điểm / tổng điểm tối đa áp dụng × 100. Tổng "
         "điểm tối đa áp dụng là tổng điểm tối đa của các tiêu chí áp dụng đối với đơn vị; tiêu "
         "chí không áp dụng đối với đơn vị không tính vào tổng điểm và tổng điểm tối đa áp dụng."
         + (" Tổng điểm tối đa áp dụng của các đơn vị không bằng nhau (xem cột Điểm tối đa áp "
            "dụng tại trang Xếp hạng)." if differ else "")),
        ("Xếp hạng", meta["rank_rule"]),
        ("Xếp loại", bands_text(results)),
        ("Đơn vị không có biểu tự đánh giá hợp lệ", "Đơn vị không gửi biểu tự đánh giá, chấm "
         "điểm, có biểu chưa được chấp nhận mà chưa gửi lại hoặc gửi văn bản khác thay cho biểu "
         "tự đánh giá " + MISSING_WORDS.get(results.missing_rule, MISSING_WORDS["zero"])),
        ("Đơn vị chưa đủ kết quả", "Đơn vị chưa đủ kết quả (không có biểu tự đánh giá "
         "hợp lệ, chưa có kết quả thẩm định, chưa có điểm điều tra xã hội học hoặc số phiếu điều "
         "tra hợp lệ dưới mức tối thiểu) được đánh dấu (*) và ghi rõ lý do tại trang Tổng hợp và "
         "cột Ghi chú của trang Xếp hạng. Giá trị trung bình, trung vị, cao nhất, thấp nhất, số "
         "đơn vị trên, dưới trung bình và tỷ lệ điểm trung bình theo lĩnh vực chỉ tính trên các "
         "đơn vị có đủ kết quả; mỗi bảng ghi rõ số đơn vị được tính."),
        ("Điểm điều tra xã hội học", "Với mỗi tiêu chí thành phần đánh giá qua điều tra xã hội "
         "học: tính bình quân điểm các câu trả lời hợp lệ của từng nhóm đối tượng điều tra, sau "
         "đó tính bình quân gia quyền giữa các nhóm theo trọng số của nhóm (trọng số ghi tại "
         "trang Điều tra XHH). Câu trả lời để trống hoặc chọn “Không biết” không tính "
         "vào số câu trả lời hợp lệ. " + EMPTY_GROUP_WORDS.get(str(meta.get("empty_group", "")),
                                                    EMPTY_GROUP_WORDS["renormalise"])),
        ("Điểm điều chỉnh khi thẩm định", "Điểm điều chỉnh = điểm thẩm định − điểm tự đánh giá "
         "của đơn vị (phần đánh giá qua thẩm định): số dương (+) là Hội đồng thẩm định tăng "
         "điểm, số âm (−) là giảm điểm so với điểm tự đánh giá; để trống đối với đơn vị chưa "
         "được thẩm định."),
        ("Làm tròn số", "Các phép tính sử dụng giá trị đầy đủ, không làm tròn ở bước trung "
         "gian; số liệu trình bày được làm tròn đến 2 chữ số thập phân."),
        ("So sánh với năm trước",
         f"Tổng điểm và xếp hạng năm trước lấy từ kết quả Chỉ số CCHC năm "
         f"{_previous_year(year)}; đơn vị không có kết quả năm trước để trống."
         if any(u.previous_total is not None for u in results.units)
         else "Không so sánh với kết quả năm trước."),
        ("Tình trạng số liệu", "Kết quả tạm thời: còn đơn vị chưa có kết quả thẩm định hoặc chưa "
         "có điểm điều tra xã hội học (xem trang Tổng hợp); số liệu sẽ thay đổi khi bổ sung dữ "
         "liệu." if results.missing else "Đã tổng hợp đầy đủ kết quả thẩm định và điều tra xã "
         "hội học; các đơn vị chưa đủ kết quả được liệt kê tại trang Tổng hợp."),
        ("Ký hiệu", "(*): đơn vị chưa đủ kết quả; (-): tiêu chí không áp dụng đối với đơn vị; "
         "ô để trống: không có số liệu."),
    ]
    return entries


def _previous_year(year) -> str:
    return str(year - 1) if isinstance(year, int) else "trước"


def write_method(book, results: Results, f: dict) -> None:
    sheet = book.add_worksheet("Phương pháp")
    widths = (5, 26, 100)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    heading = f"Phương pháp xác định Chỉ số CCHC năm {results.meta.get('year', '')}"
    row = heading_rows(sheet, results, f, heading, 2, sum(widths))
    for n, (label, text) in enumerate(method_entries(results), start=1):
        sheet.set_row(row, LINE_PT * max(lines(text, widths[2]), lines(label, widths[1])))
        sheet.write_string(row, 0, f"{n}.", f["label"])
        sheet.write_string(row, 1, label, f["label"])
        sheet.write_string(row, 2, neutralise(text), f["para"])
        row += 1
    print_setup(sheet, row - 1, 2, None, f"{title(results)}: phương pháp")


# ---- machine data (hidden) ----------------------------------------------------------------------

def write_data(book, records: list[tuple], columns: tuple[str, ...], name: str, f: dict) -> None:
    """The CSV as a plain sheet: header in row 1, numbers as numbers, for programs and --previous."""
    sheet = book.add_worksheet(name)
    headers = [(column, 9 if column not in ("name", "missing") else 28) for column in columns]
    table(sheet, 0, headers, [list(r) for r in records], f)
    sheet.hide()


def write_leaf_data(book, results: Results, f: dict) -> None:
    """results_leaves.parquet as a plain sheet (column names in row 1)."""
    sheet = book.add_worksheet(LEAF_SHEET)
    rows = [[u.code, u.unit_type, leaf.area, leaf.criterion, leaf.code, leaf.max_points,
             leaf.self_score, leaf.appraised, leaf.survey, leaf.total]
            for u in results.units for leaf in u.leaves]
    table(sheet, 0, [(c, 10) for c in LEAF_COLUMNS], rows, f)
    sheet.hide()


def write_technical(book, results: Results, f: dict) -> None:
    """What the figures were computed from, for programs and for checking; never printed."""
    sheet = book.add_worksheet(TECHNICAL_SHEET)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 90)
    meta = results.meta
    sheet.write_string(0, 0, "Dữ liệu kỹ thuật, dành cho chương trình đọc (trang ẩn, không in)",
                       f["title"])
    entries = [("campaign", str(meta.get("campaign", ""))), ("year", str(meta.get("year", ""))),
               ("missing_rule", results.missing_rule),
               ("empty_group", str(meta.get("empty_group", ""))),
               ("rank_basis", str(meta.get("rank_basis", ""))),
               ("rank_places", str(meta.get("rank_places", ""))),
               ("previous", str(meta.get("previous", "")))]
    for unit_type, (cid, digest) in sorted(meta.get("catalogs", {}).items()):
        entries.append((f"catalog {unit_type}", f"{cid} sha256 {digest}"))
    entries += [(f"status {code}", label) for code, label in STATUS_LABELS.items()]
    entries += [(f"unit_type {code}", type_label(code)) for code in results.trees]
    entries += [("sheet Dữ liệu", "results.csv: same columns and values; row 1 holds the column "
                 "names; read by consolidate --previous"),
                ("sheet Dữ liệu tiêu chí", "results_leaves.parquet: one row per unit and leaf")]
    for row, (key, value) in enumerate(entries, start=2):
        sheet.write_string(row, 0, key, f["text"])
        sheet.write_string(row, 1, neutralise(value), f["text"])
    sheet.hide()

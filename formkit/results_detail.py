"""The long sheets of the results workbook: per area, per leaf, the survey, the method, the data.

Split from formkit.results (summary and rankings) to keep each module to one concern; both build
on formkit.results_sheet.
"""

from __future__ import annotations

from formkit.consolidate import STATUS_LABELS, Results
from formkit.intake.validate import neutralise
from formkit.results import bands_text, banner, title, type_label
from formkit.results_sheet import lines, print_setup, table


def _sheet(book, name: str, heading: str, results: Results, f: dict, headers: list) -> tuple:
    """A sheet with its title and banner; returns (sheet, header row, last column, chars)."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, heading, f["title"])
    last_col, chars = len(headers) - 1, sum(w for _, w in headers)
    return sheet, banner(sheet, results, f, 1, last_col, chars) + 1, last_col


def write_areas(book, results: Results, f: dict) -> None:
    heading = "Điểm theo lĩnh vực"
    headers = [("Mã", 8), ("Đơn vị", 30), ("Lĩnh vực", 8), ("Điểm tối đa áp dụng", 10),
               ("Tự chấm", 10), ("Thẩm định", 10), ("Điều tra XHH", 10), ("Tổng", 10),
               ("Tỉ lệ %", 9), ("Điều chỉnh (tự chấm - thẩm định)", 11)]
    sheet, top, last_col = _sheet(book, "Lĩnh vực", heading, results, f, headers)
    rows = [[u.code, u.name, a.code, a.max_points, a.self_score, a.appraised, a.survey, a.total,
             a.percent, a.adjustment] for u in results.units for a in u.areas]
    end = table(sheet, top, headers, rows, f, styles={8: "pct"})
    print_setup(sheet, end - 1, last_col, (top, top), f"{title(results)}: {heading}")


def write_leaves(book, results: Results, f: dict) -> None:
    heading = "Chi tiết theo tiêu chí thành phần"
    headers = [("Mã", 8), ("Đơn vị", 30), ("Tiêu chí", 9), ("Điểm tối đa", 9), ("Tự chấm", 9),
               ("Thẩm định", 9), ("Điều tra XHH", 9), ("Tổng", 9)]
    sheet, top, last_col = _sheet(book, "Chi tiết tiêu chí", heading, results, f, headers)
    rows = [[u.code, u.name, leaf.code, leaf.max_points, leaf.self_score, leaf.appraised,
             leaf.survey, leaf.total] for u in results.units for leaf in u.leaves]
    end = table(sheet, top, headers, rows, f)
    print_setup(sheet, end - 1, last_col, (top, top), f"{title(results)}: {heading}")


def write_survey_groups(book, results: Results, f: dict) -> None:
    heading = "Điều tra xã hội học: phiếu và điểm theo đơn vị và nhóm đối tượng"
    headers = [("Mã", 8), ("Đơn vị", 26), ("Nhóm đối tượng", 36), ("Trọng số", 7),
               ("Phiếu hợp lệ", 8), ("Phiếu tối thiểu", 8), ("Thiếu mẫu", 7),
               ("Câu trả lời hợp lệ", 9), ("Không trả lời / không biết", 10),
               ("Tiêu chí được hỏi", 8), ("Tiêu chí có trả lời", 8), ("Điểm của nhóm", 9),
               ("Điểm tối đa", 9), ("Tỉ lệ điểm %", 9)]
    sheet, top, last_col = _sheet(book, "Điều tra XHH", heading, results, f, headers)
    names = {u.code: u.name for u in results.units}
    rows = [[g.unit, names.get(g.unit, g.unit), g.group_name, g.weight, g.questionnaires,
             g.min_valid, g.shortfall, g.answers, g.no_answer, g.leaves_fed, g.leaves_answered,
             g.points, g.max_points, g.percent] for g in results.survey_groups]
    end = table(sheet, top, headers, rows, f, styles={2: "wrap", 13: "pct"})
    sheet.write_string(end + 1, 0, "Điểm của nhóm: tổng điểm bình quân của nhóm trên các tiêu chí "
                       "thành phần nhóm có trả lời (trước khi bình quân gia quyền giữa các nhóm).",
                       f["text"])
    print_setup(sheet, end + 1, last_col, (top, top), f"{title(results)}: Điều tra XHH")


def write_survey_questions(book, results: Results, f: dict) -> None:
    heading = "Điều tra xã hội học: kết quả theo câu hỏi (tất cả đơn vị cùng loại)"
    headers = [("Loại đơn vị", 14), ("Nhóm đối tượng", 28), ("Câu", 6), ("Nội dung câu hỏi", 80),
               ("Tiêu chí", 9), ("Câu trả lời hợp lệ", 9), ("Không trả lời / không biết", 10),
               ("Mức đánh giá bình quân %", 10)]
    sheet, top, last_col = _sheet(book, "Câu hỏi XHH", heading, results, f, headers)
    rows = [[type_label(q.unit_type), q.group_name, q.question, q.text, ", ".join(q.feeds),
             q.answers, q.no_answer, q.percent] for q in results.survey_questions]
    end = table(sheet, top, headers, rows, f, styles={1: "wrap", 3: "wrap", 7: "pct"})
    print_setup(sheet, end - 1, last_col, (top, top), f"{title(results)}: câu hỏi XHH")


def write_method(book, results: Results, f: dict) -> None:
    sheet = book.add_worksheet("Phương pháp")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 110)
    meta = results.meta
    entries = [
        ("Tổng điểm", "Điểm thẩm định (phần chấm qua thẩm định của các tiêu chí thành phần, theo "
         "Hội đồng thẩm định) + điểm điều tra XHH (phần chấm qua điều tra xã hội học)."),
        ("Chỉ số %", "Tổng điểm / điểm tối đa áp dụng cho đơn vị x 100; tiêu chí không áp dụng "
         "cho đơn vị không tính vào cả hai."),
        ("Xếp hạng", meta["rank_rule"]),
        ("Xếp loại", bands_text(results)),
        ("Điểm điều tra XHH", "Mỗi tiêu chí thành phần: bình quân điểm các câu trả lời hợp lệ "
         "trong từng nhóm đối tượng, rồi bình quân gia quyền giữa các nhóm (trọng số ở trang "
         "Điều tra XHH); câu 'không trả lời/không biết' không tính vào mẫu số."),
        ("Nhóm không có phiếu", {"renormalise": "bỏ nhóm, chia lại trọng số cho các nhóm còn lại",
                                 "zero": "tính 0 điểm cho nhóm"}.get(
                                     str(meta.get("empty_group", "")),
                                     str(meta.get("empty_group", "")))),
        ("Điều chỉnh", "Điểm tự chấm - điểm thẩm định (dương: Hội đồng trừ điểm)."),
        ("Độ chính xác", "Tính chính xác (phân số); chỉ làm tròn khi trình bày (2 chữ số)."),
        ("Đơn vị không có biểu", {"zero": "tính 0 điểm thẩm định, vẫn xếp hạng",
                                  "exclude": "không xếp hạng"}.get(results.missing_rule,
                                                                   results.missing_rule)),
        ("Kết quả năm trước", str(meta.get("previous", "")) or "không dùng"),
        ("Tình trạng", "KẾT QUẢ TẠM: còn thiếu dữ liệu" if results.missing else "Đủ dữ liệu"),
        ("Trang Dữ liệu", "Cùng các cột và giá trị với results.csv (tên cột tiếng Anh, cho chương "
         "trình đọc); năm sau dùng tệp này với formkit consolidate --previous."),
    ]
    for unit_type, (cid, digest) in sorted(meta.get("catalogs", {}).items()):
        entries.append((f"Bộ tiêu chí {type_label(unit_type)}", f"{cid} (sha256 {digest})"))
    entries += [(f"Tình trạng '{k}'", label) for k, label in STATUS_LABELS.items()]
    sheet.write_string(0, 0, "Phương pháp tính", f["title"])
    for row, (label, text) in enumerate(entries, start=2):
        sheet.set_row(row, 15 * lines(text, 110))
        sheet.write_string(row, 0, label, f["header"])
        sheet.write_string(row, 1, neutralise(text), f["wrap"])
    print_setup(sheet, len(entries) + 1, 1, None, f"{title(results)}: phương pháp tính")


def write_data(book, results: Results, records: list[tuple], columns: tuple[str, ...], name: str,
               f: dict) -> None:
    """The CSV as a plain sheet: header in row 1, numbers as numbers, for programs and --previous."""
    sheet = book.add_worksheet(name)
    headers = [(column, 9 if column not in ("name", "missing") else 28) for column in columns]
    end = table(sheet, 0, headers, [list(r) for r in records], f, filtered=False)
    print_setup(sheet, end - 1, len(columns) - 1, (0, 0), f"{title(results)}: dữ liệu")

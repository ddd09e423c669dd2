"""The detail sheets of the results workbook, one per unit type: points per area, points per
criterion (criteria as rows, units as columns), the survey per respondent group; and the survey
per question.

Split from formkit.results (summary and rankings) to keep each module to one concern; both build
on formkit.results_sheet. Every table names units in full (short names only in the narrow column
headers of the criteria grid) and marks with (*) a unit without complete data.
"""

from __future__ import annotations

import math
from decimal import Decimal

from formkit.consolidate import ZERO, Results
from formkit.intake.validate import neutralise
from formkit.results import (
    group_heading,
    heading_rows,
    mark_note,
    marked,
    maxima_differ,
    maximum_note,
    notes,
    official,
    sheet_name,
    title,
    vi_number,
)
from formkit.results_sheet import LINE_PT, cell, lines, print_setup, table

NOT_APPLICABLE = "-"
RANKING_NOTES = "cột Ghi chú của trang Xếp hạng"


def _year(results: Results) -> str:
    return str(results.meta.get("year", ""))


def _area_maxima(results: Results, unit_type: str) -> dict[str, Decimal]:
    maxima: dict[str, Decimal] = {}
    for leaf in results.trees[unit_type].leaves:
        maxima[leaf.area] = maxima.get(leaf.area, ZERO) + leaf.max_points
    return maxima


# ---- Lĩnh vực -----------------------------------------------------------------------------------

def write_areas(book, results: Results, unit_type: str, f: dict) -> None:
    units = results.of_type(unit_type)
    tree = results.trees[unit_type]
    maxima = _area_maxima(results, unit_type)
    sheet = book.add_worksheet(sheet_name("Lĩnh vực", unit_type))
    heading = f"Điểm theo lĩnh vực năm {_year(results)} của {group_heading(unit_type)}"
    headers = [("STT", 5), ("Đơn vị", 28),
               *((f"{code}. {text} ({vi_number(maxima.get(code, ZERO))} điểm)", 10.5)
                 for code, text in tree.areas),
               ("Tổng điểm", 9)]
    differ = maxima_differ(units)
    if differ:
        headers.append(("Điểm tối đa áp dụng", 9))
    headers.append(("Chỉ số CCHC (%)", 9))
    last_col, chars = len(headers) - 1, sum(w for _, w in headers)
    top = heading_rows(sheet, results, f, heading, last_col, chars)
    rows, exceptions = [], {}
    for n, u in enumerate(units, start=1):
        by_area = {a.code: a for a in u.areas}
        rows.append([n, marked(official(u), u),
                     *(by_area[code].total if code in by_area else NOT_APPLICABLE
                       for code, _ in tree.areas),
                     u.total, *([u.applicable_max] if differ else []), u.index])
        for a in u.areas:
            if a.max_points != maxima.get(a.code):
                exceptions.setdefault((a.code, a.max_points), []).append(official(u))
    end = table(sheet, top, headers, rows, f, styles={1: "wrap", last_col: "pct"})
    texts = [mark_note(units, RANKING_NOTES), maximum_note(units)]
    for (code, maximum), names in sorted(exceptions.items()):
        texts.append(f"Lĩnh vực {code} có tiêu chí không áp dụng, điểm tối đa áp dụng "
                     f"{vi_number(maximum)} điểm (thay vì {vi_number(maxima[code])} điểm): "
                     + ", ".join(names) + ".")
    row = notes(sheet, end, texts, last_col, chars, f)
    print_setup(sheet, row - 1, last_col, (top, top),
                f"{title(results)}: điểm theo lĩnh vực của {group_heading(unit_type)}")


# ---- Chi tiết tiêu chí --------------------------------------------------------------------------

UNIT_COLUMN = 5.2  # characters: "10,00" at 11 pt
TEXT_COLUMN = 54


def write_criteria(book, results: Results, unit_type: str, f: dict) -> None:
    """Criteria as rows (code, wording, maximum), units as columns (short names, upright)."""
    units = results.of_type(unit_type)
    tree = results.trees[unit_type]
    maxima = _area_maxima(results, unit_type)
    sheet = book.add_worksheet(sheet_name("Chi tiết", unit_type))
    heading = (f"Điểm từng tiêu chí, tiêu chí thành phần năm {_year(results)} của "
               f"{group_heading(unit_type)}")
    first = 3  # the first unit column
    widths = [6.5, TEXT_COLUMN, 6.5] + [UNIT_COLUMN] * len(units)
    last_col, chars = len(widths) - 1, sum(widths)
    top = heading_rows(sheet, results, f, heading, last_col, chars)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    names = [marked(u.name, u) for u in units]
    for col, header in enumerate(["STT", "Tiêu chí, tiêu chí thành phần", "Điểm tối đa"]):
        sheet.write_string(top, col, header, f["header"])
    for col, name in enumerate(names, start=first):
        sheet.write_string(top, col, neutralise(name), f["header_up"])
    longest = max((len(n) for n in names), default=8)
    sheet.set_row(top, max(3 * LINE_PT, 6 * math.ceil(longest / 2) + 12))
    leaves = [{leaf.code: leaf.total for leaf in u.leaves} for u in units]
    areas = [{a.code: a.total for a in u.areas} for u in units]
    row = top + 1
    for code, text in tree.areas:
        _grid_row(sheet, row, [code, text, maxima.get(code, ZERO)],
                  [a.get(code, NOT_APPLICABLE) for a in areas], f, strong=True)
        row += 1
        for leaf in (x for x in tree.leaves if x.area == code):
            _grid_row(sheet, row, [leaf.code, leaf.text or leaf.code, leaf.max_points],
                      [p.get(leaf.code, NOT_APPLICABLE) for p in leaves], f)
            row += 1
    total_max = sum(maxima.values(), ZERO)
    _grid_row(sheet, row, ["", "Tổng điểm", total_max], [u.total for u in units], f, strong=True)
    row += 1
    if maxima_differ(units):
        _grid_row(sheet, row, ["", "Điểm tối đa áp dụng", None],
                  [u.applicable_max for u in units], f, strong=True)
        row += 1
    _grid_row(sheet, row, ["", "Chỉ số CCHC (%)", None], [u.index for u in units], f,
              strong=True, number="pct")
    row += 1
    texts = ["Điểm của mỗi tiêu chí thành phần gồm điểm thẩm định và điểm điều tra xã hội học "
             "(nếu có); dòng lĩnh vực là tổng điểm các tiêu chí của lĩnh vực.",
             f"({NOT_APPLICABLE}) Tiêu chí không áp dụng đối với đơn vị."
             if any(len(u.leaves) < len(tree.leaves) for u in units) else "",
             mark_note(units, RANKING_NOTES), maximum_note(units)]
    row = notes(sheet, row, texts, last_col, chars, f)
    sheet.freeze_panes(top + 1, first)
    print_setup(sheet, row - 1, last_col, (top, top),
                f"{title(results)}: điểm từng tiêu chí của {group_heading(unit_type)}")


def _grid_row(sheet, row: int, head: list, values: list, f: dict, strong: bool = False,
              number: str = "num") -> None:
    code, text, maximum = head
    sheet.set_row(row, LINE_PT * lines(text, TEXT_COLUMN))
    sheet.write_string(row, 0, code, f["strong"] if strong else f["center"])
    sheet.write_string(row, 1, neutralise(text), f["strong"] if strong else f["wrap"])
    if strong:
        sheet.write(row, 2, "" if maximum is None else float(maximum), f["strong_num"])
        for col, value in enumerate(values, start=3):
            if isinstance(value, str):
                sheet.write_string(row, col, value, f["strong_center"])
            else:
                sheet.write_number(row, col, float(value), f[f"strong_{number}"])
        return
    cell(sheet, row, 2, maximum, f)
    for col, value in enumerate(values, start=3):
        cell(sheet, row, col, value, f, number)


# ---- Điều tra XHH ---------------------------------------------------------------------------

GROUP_COLUMN = 6.5


def write_survey(book, results: Results, unit_type: str, f: dict) -> None:
    """Per unit: valid questionnaires against the minimum and the rating, per respondent group."""
    units = results.of_type(unit_type)
    details = [g for g in results.survey_groups if g.unit_type == unit_type]
    if not details:
        return
    groups = list(dict.fromkeys((g.group, g.group_name, g.weight) for g in details))
    by = {(g.unit, g.group): g for g in details}
    survey_max = {leaf.code: leaf.survey for leaf in results.trees[unit_type].leaves}
    sheet = book.add_worksheet(sheet_name("Điều tra XHH", unit_type))
    heading = (f"Kết quả điều tra xã hội học năm {_year(results)} theo nhóm đối tượng: "
               f"{group_heading(unit_type)}")
    widths = [5, 28] + [GROUP_COLUMN] * (3 * len(groups)) + [9, 9]
    last_col, chars = len(widths) - 1, sum(widths)
    top = heading_rows(sheet, results, f, heading, last_col, chars)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    upper, lower = top, top + 1
    for col, text in ((0, "STT"), (1, "Đơn vị"), (last_col - 1, "Điểm điều tra XHH"),
                      (last_col, "Điểm tối đa điều tra XHH")):
        sheet.merge_range(upper, col, lower, col, text, f["header"])
    group_lines = 1
    for n, (_, name, weight) in enumerate(groups):
        col = 2 + 3 * n
        text = f"{name} (trọng số {vi_number(weight, 2).rstrip('0').rstrip(',')})"
        group_lines = max(group_lines, lines(text, 3 * GROUP_COLUMN))
        sheet.merge_range(upper, col, upper, col + 2, neutralise(text), f["header"])
        for k, sub in enumerate(("Phiếu hợp lệ", "Phiếu tối thiểu", "Tỷ lệ điểm (%)")):
            sheet.write_string(lower, col + k, sub, f["header"])
    sheet.set_row(upper, LINE_PT * group_lines)
    sheet.set_row(lower, LINE_PT * 3)
    short = False
    for r, u in enumerate(units, start=lower + 1):
        name = marked(official(u), u)
        sheet.set_row(r, LINE_PT * lines(name, 28))
        cell(sheet, r, 0, r - lower, f, "int")
        sheet.write_string(r, 1, neutralise(name), f["wrap"])
        for n, (code, _, _) in enumerate(groups):
            g, col = by.get((u.code, code)), 2 + 3 * n
            if g is None:
                for k in range(3):
                    cell(sheet, r, col + k, None, f)
                continue
            short = short or g.shortfall
            sheet.write_number(r, col, g.questionnaires, f["short" if g.shortfall else "int"])
            cell(sheet, r, col + 1, g.min_valid, f)
            cell(sheet, r, col + 2, g.percent, f, "pct")
        cell(sheet, r, last_col - 1, u.survey, f)
        cell(sheet, r, last_col, sum((survey_max.get(x.code, ZERO) for x in u.leaves
                                      if x.survey is not None), ZERO), f)
    row = lower + 1 + len(units)
    texts = ["Số phiếu hợp lệ in đậm, màu đỏ: dưới số phiếu tối thiểu của nhóm." if short else "",
             "Tỷ lệ điểm của nhóm: tổng điểm bình quân của nhóm trên các tiêu chí thành phần mà "
             "nhóm có câu trả lời hợp lệ, so với điểm tối đa điều tra xã hội học của các tiêu chí "
             "đó (trước khi tính bình quân gia quyền giữa các nhóm theo trọng số).",
             mark_note(units, RANKING_NOTES)]
    row = notes(sheet, row, texts, last_col, chars, f)
    print_setup(sheet, row - 1, last_col, (upper, lower),
                f"{title(results)}: điều tra xã hội học, {group_heading(unit_type)}")


def write_questions(book, results: Results, f: dict) -> None:
    """Per unit type and respondent group, each question: answers and the mean rating."""
    sheet = book.add_worksheet("Câu hỏi XHH")
    heading = (f"Kết quả điều tra xã hội học năm {_year(results)} theo câu hỏi (tổng hợp các đơn "
               "vị cùng nhóm)")
    headers = [("Câu", 6), ("Nội dung câu hỏi", 100), ("Tiêu chí thành phần", 10),
               ("Số câu trả lời hợp lệ", 9), ("Không trả lời, không biết", 9),
               ("Mức đánh giá bình quân (%)", 10)]
    last_col, chars = len(headers) - 1, sum(w for _, w in headers)
    top = heading_rows(sheet, results, f, heading, last_col, chars)
    table(sheet, top, headers, [], f)
    row = top + 1
    sections: dict[tuple[str, str], list] = {}
    for q in results.survey_questions:
        sections.setdefault((q.unit_type, q.group_name), []).append(q)
    current = None
    for (unit_type, group_name), questions in sections.items():
        if unit_type != current:
            current = unit_type
            sheet.merge_range(row, 0, row, last_col, group_heading(unit_type)[:1].upper()
                              + group_heading(unit_type)[1:], f["strong"])
            row += 1
        text = f"Nhóm đối tượng: {group_name}"
        sheet.merge_range(row, 0, row, last_col, neutralise(text), f["label"])
        row += 1
        for n, q in enumerate(questions, start=1):
            sheet.set_row(row, LINE_PT * lines(q.text, 100))
            sheet.write_string(row, 0, f"Câu {n}", f["center"])
            sheet.write_string(row, 1, neutralise(q.text), f["wrap"])
            cell(sheet, row, 2, ", ".join(q.feeds), f)
            cell(sheet, row, 3, q.answers, f)
            cell(sheet, row, 4, q.no_answer, f)
            cell(sheet, row, 5, q.percent, f, "pct")
            row += 1
    row = notes(sheet, row, ["Mức đánh giá bình quân: bình quân mức đánh giá của các câu trả lời "
                             "hợp lệ (mức cao nhất của thang đánh giá tương ứng 100%); câu trả "
                             "lời để trống hoặc chọn “Không biết” không tính vào số câu "
                             "trả lời hợp lệ."], last_col, chars, f)
    print_setup(sheet, row - 1, last_col, (top, top), f"{title(results)}: điều tra xã hội học "
                "theo câu hỏi")

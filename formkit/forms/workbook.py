"""The self-assessment workbook, written with xlsxwriter as a template with placeholders.

Everything that is the same for all units sharing a catalogue and an applicability pattern is
written once here; the few unit-specific strings (unit name, form id, identity, signature) are
placeholders that `stamp` fills in the zip parts. That is what makes 2,000 forms cheap.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter

from formkit.catalog import Catalog
from formkit.forms.identity import IDENTITY_SHEET
from formkit.forms.layout import COLUMNS, FIRST_ITEM_ROW, HEADER_ROWS, SCORING_SHEET, ItemRow, SheetLayout
from formkit.forms.wording import (
    SIGN_OFF_LEFT,
    SIGN_OFF_PLACE_DATE,
    SIGN_OFF_RIGHT,
    contact_line,
    deadline_line,
    form_title_lines,
)
from formkit.settings import Settings
from formkit.text import format_number

# Scores follow the levels each criterion's guidance states, printed with the form (column 3).
SCORE_LEVELS = "chấm theo đúng các mức điểm quy định ở cột 3 “Hướng dẫn chấm điểm”."

COVER_SHEET = "Hướng dẫn"
FONT = "Times New Roman"
INPUT_FILL, SURVEY_FILL, NA_FILL = "#FFF2CC", "#DDEBF7", "#D9D9D9"
EVIDENCE_MAX_CHARS, EXPLANATION_MAX_CHARS = 2000, 1000
COVER_WIDTH = 72  # fits A4 portrait, whatever font the application measures widths in
SIGN_OFF_GAP, SIGN_OFF_ROOM = 1, 72  # blank rows between the total and the block; points to sign
CHARS_PER_WIDTH = 1.05  # Times New Roman 11 pt characters per unit of Excel column width
HEADERS = {  # field -> (header, column width)
    "code": ("Mã", 7), "text": ("Tiêu chí, tiêu chí thành phần", 44),
    "guidance": ("Hướng dẫn chấm điểm", 38), "max": ("Điểm tối đa", 9),
    "survey": ("Trong đó: điểm điều tra XHH", 10), "appraisal": ("Điểm tối đa tự chấm", 10),
    "score": ("Điểm tự đánh giá", 10),
    "evidence": ("Tài liệu kiểm chứng (số, ngày, trích yếu văn bản)", 34),
    "explanation": ("Giải trình (bắt buộc khi không có tài liệu kiểm chứng)", 28),
}


class Placeholder:
    """Unit-specific strings, written as tokens and replaced per unit by `stamp`."""

    UNIT_NAME = "@@FK.UNIT_NAME@@"
    UNIT_DOCUMENT_NAME = "@@FK.UNIT_DOC@@"
    UNIT_SHORT_NAME = "@@FK.UNIT_SHORT@@"
    UNIT_CODE = "@@FK.UNIT_CODE@@"
    FORM_ID = "@@FK.FORM_ID@@"
    IDENTITY = "@@FK.IDENTITY@@"
    SIGNATURE = "@@FK.SIGNATURE@@"


@dataclass(frozen=True)
class TemplateSpec:
    settings: Settings
    catalog: Catalog
    layout: SheetLayout


def build_template(spec: TemplateSpec) -> bytes:
    """The workbook for one catalogue and applicability pattern, with placeholders."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    campaign = spec.settings.campaign
    issued = dt.datetime.combine(campaign.issue_date, dt.time())
    book.set_properties({"title": f"Biểu tự đánh giá Chỉ số CCHC năm {campaign.year}",
                         "subject": Placeholder.UNIT_NAME, "author": campaign.issuing_body,
                         "company": campaign.parent_body, "created": issued,
                         "comments": Placeholder.FORM_ID})
    for name, value in (("campaign", campaign.id), ("unit", Placeholder.UNIT_CODE),
                        ("form_id", Placeholder.FORM_ID),
                        ("catalog_hash", spec.catalog.content_hash),
                        ("signature", Placeholder.SIGNATURE)):
        book.set_custom_property(f"formkit_{name}", value)
    book.define_name("FK_FormId", f'="{Placeholder.FORM_ID}"')
    book.define_name("FK_Unit", f'="{Placeholder.UNIT_CODE}"')
    book.define_name("FK_Signature", f'="{Placeholder.SIGNATURE}"')
    book.formats[0].set_font_name(FONT)  # the Normal style: also what users type elsewhere
    styles = FormStyles(book)
    password = spec.settings.form_password
    _write_cover(book.add_worksheet(COVER_SHEET), spec, styles, password)
    _write_scoring(book.add_worksheet(SCORING_SHEET), spec, styles, password)
    _write_identity(book.add_worksheet(IDENTITY_SHEET), styles, password)
    book.worksheets()[0].activate()
    book.close()
    return buffer.getvalue()


class FormStyles:
    """The formats of a scoring workbook (self-assessment form, appraisal sheet), created once
    per workbook."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True}
        cell = {**base, "border": 1}
        points = {**cell, "num_format": "0.00", "align": "center"}
        self.title = book.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
        self.subtitle = book.add_format({**base, "font_size": 12, "align": "center"})
        self.subtitle_bold = book.add_format({**base, "font_size": 12, "align": "center",
                                              "bold": True})
        self.text = book.add_format(base)
        self.bold = book.add_format({**base, "bold": True})
        self.italic = book.add_format({**base, "italic": True})
        self.header = book.add_format({**cell, "bold": True, "align": "center",
                                       "valign": "vcenter", "bg_color": "#D9E1F2"})
        self.number = book.add_format({**cell, "italic": True, "align": "center",
                                       "font_size": 9})
        self.level = {1: book.add_format({**cell, "bold": True, "bg_color": "#FCE4D6"}),
                      2: book.add_format({**cell, "bold": True, "bg_color": "#F2F2F2"}),
                      3: book.add_format(cell)}
        self.level_points = {1: book.add_format({**points, "bold": True, "bg_color": "#FCE4D6"}),
                             2: book.add_format({**points, "bold": True, "bg_color": "#F2F2F2"}),
                             3: book.add_format(points)}
        self.input_score = book.add_format({**points, "locked": False, "bg_color": INPUT_FILL})
        self.input_text = book.add_format({**cell, "locked": False, "bg_color": INPUT_FILL})
        self.survey_only = book.add_format({**cell, "align": "center", "italic": True,
                                            "bg_color": SURVEY_FILL, "font_size": 9})
        na = {"bg_color": NA_FILL, "font_color": "#595959"}
        self.na_text = book.add_format({**cell, **na})
        self.na_points = book.add_format({**points, **na})
        self.na_mark = book.add_format({**cell, **na, "italic": True, "align": "center",
                                        "font_size": 9})
        self.total = book.add_format({**cell, "bold": True, "top": 6})
        self.total_points = book.add_format({**points, "bold": True, "top": 6})
        self.flag_red = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.sign_title = book.add_format({**base, "bold": True, "align": "center"})
        self.sign_note = book.add_format({**base, "italic": True, "align": "center"})
        self.flag_orange = book.add_format({"bg_color": "#F8CBAD"})


def _protect(sheet, password: str) -> None:
    sheet.protect(password, {"format_columns": True, "format_rows": True})


def _write_cover(sheet, spec: TemplateSpec, styles: FormStyles, password: str) -> None:
    settings, campaign = spec.settings, spec.settings.campaign
    contact = contact_line(settings.contact)
    lines = [
        (campaign.parent_body.upper(), styles.subtitle),
        (campaign.issuing_body.upper(), styles.subtitle_bold),
        ("", styles.text),
        ("\n".join(form_title_lines(campaign.year)), styles.title),
        (f"Đơn vị: {Placeholder.UNIT_DOCUMENT_NAME}", styles.subtitle_bold),
        (f"Mã biểu mẫu: {Placeholder.FORM_ID}", styles.subtitle),
        (deadline_line(campaign.issuing_body, settings.deadlines.self_assessment) + ".",
         styles.subtitle_bold),
        ("", styles.text),
        ("Hướng dẫn điền biểu", styles.bold),
        ("1. Chỉ nhập vào các ô nền vàng ở trang tính “Tự đánh giá”: điểm tự đánh giá (cột 7), "
         "tài liệu kiểm chứng (cột 8) và giải trình (cột 9).", styles.text),
        ("2. Điểm tự đánh giá từ 0 đến điểm tối đa tự chấm (cột 6), "
         f"{SCORE_LEVELS} Số thập phân gõ theo cài đặt của máy tính (dấu phẩy hoặc "
         "dấu chấm).", styles.text),
        ("3. Mỗi điểm đã chấm phải ghi tài liệu kiểm chứng (số, ngày, trích yếu văn bản). Nếu không "
         "có tài liệu kiểm chứng, bắt buộc giải trình lý do ở cột 9.", styles.text),
        ("4. Ô nền xanh “Điều tra XHH” do Sở Nội vụ chấm qua điều tra xã hội học; ô nền xám “Không "
         "áp dụng” là tiêu chí không áp dụng với đơn vị, không tính vào điểm tối đa.", styles.text),
        ("5. Không đổi tên, thêm hoặc xóa trang tính, hàng, cột; không sao chép, dán làm thay đổi định "
         "dạng ô. Các dòng tổng cộng được tính tự động; Sở Nội vụ kiểm tra và tính lại toàn bộ khi "
         "nhận biểu.", styles.text),
        ("6. Lưu tệp dưới dạng Excel (.xlsx) và gửi lại bằng cách trả lời thư điện tử đã nhận.",
         styles.text),
        ("7. Phần ký ở cuối trang tính “Tự đánh giá” dành cho bản in: người lập biểu ký, ghi rõ họ "
         "tên; thủ trưởng đơn vị ký, ghi rõ họ tên và đóng dấu.", styles.text),
        ("", styles.text),
        *([(f"Liên hệ: {contact}.", styles.italic)] if contact else []),
    ]
    sheet.set_column(0, 0, COVER_WIDTH)
    for row, (text, style) in enumerate(lines):
        sheet.write_string(row, 0, text, style)
        title = style is styles.title  # 14 pt bold: about 0.7 as many characters per line
        sheet.set_row(row, _height(text, COVER_WIDTH * CHARS_PER_WIDTH * (0.7 if title else 1),
                                   19 if title else 15.5))
    sheet.set_paper(9)
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)
    _protect(sheet, password)


def _write_scoring(sheet, spec: TemplateSpec, styles: FormStyles, password: str) -> None:
    campaign, layout = spec.settings.campaign, spec.layout
    last_col = len(COLUMNS) - 1
    for index, (_, width) in enumerate(HEADERS.values()):
        sheet.set_column(index, index, width)
    # One line on the landscape sheet (wrapping between words if an application measures wider).
    sheet.merge_range(0, 0, 0, last_col, " ".join(form_title_lines(campaign.year)), styles.title)
    sheet.set_row(0, 21)
    sheet.merge_range(1, 0, 1, last_col, f"Đơn vị: {Placeholder.UNIT_DOCUMENT_NAME}",
                      styles.subtitle_bold)
    sheet.merge_range(2, 0, 2, last_col, f"Mã biểu mẫu: {Placeholder.FORM_ID}", styles.subtitle)
    header_row, number_row = HEADER_ROWS[0] - 1, HEADER_ROWS[1] - 1
    for index, (header, _) in enumerate(HEADERS.values()):
        sheet.write_string(header_row, index, header, styles.header)
        sheet.write_string(number_row, index, f"({index + 1})", styles.number)
    sheet.set_row(header_row, 48)
    for item_row in layout.rows:
        _write_item(sheet, item_row, layout, styles)
    _write_total(sheet, layout, styles)
    _write_sign_off(sheet, layout, styles)
    _add_validations(sheet, layout)
    _add_flags(sheet, layout, styles)
    sheet.freeze_panes(FIRST_ITEM_ROW - 1, 2)
    sheet.repeat_rows(header_row, number_row)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    font = f'&"{FONT},Regular"&9'
    sheet.set_footer(f"&L{font}{Placeholder.UNIT_DOCUMENT_NAME}&C{font}Mã biểu mẫu: "
                     f"{Placeholder.FORM_ID}&R{font}Trang &P/&N")
    _protect(sheet, password)


def _write_item(sheet, item_row: ItemRow, layout: SheetLayout, styles: FormStyles) -> None:
    item, row = item_row.item, item_row.row - 1
    depth = min(item.depth, 3) if not item.is_leaf else 3
    text_style = styles.level[depth] if item_row.applicable else styles.na_text
    points_style = styles.level_points[depth] if item_row.applicable else styles.na_points
    sheet.write_string(row, 0, item.code, text_style)
    sheet.write_string(row, 1, item.text, text_style)
    sheet.write_string(row, 2, item.guidance, text_style)
    if item.is_leaf:
        for col, value in ((3, item.max_points), (4, item.survey), (5, item.appraisal)):
            sheet.write_number(row, col, float(value), points_style)
        _write_leaf_inputs(sheet, item_row, styles)
    else:
        _write_subtotals(sheet, item_row, layout, points_style, text_style)
    sheet.set_row(row, _row_height(item_row))


def _write_leaf_inputs(sheet, item_row: ItemRow, styles: FormStyles) -> None:
    row = item_row.row - 1
    if item_row.is_input:
        sheet.write_blank(row, 6, None, styles.input_score)
        sheet.write_blank(row, 7, None, styles.input_text)
        sheet.write_blank(row, 8, None, styles.input_text)
    elif not item_row.applicable:
        sheet.write_string(row, 6, "Không áp dụng", styles.na_mark)
        sheet.write_blank(row, 7, None, styles.na_text)
        sheet.write_blank(row, 8, None, styles.na_text)
    else:
        sheet.write_string(row, 6, "Điều tra XHH", styles.survey_only)
        sheet.write_blank(row, 7, None, styles.survey_only)
        sheet.write_blank(row, 8, None, styles.survey_only)


def _sum_formula(column: str, rows: list[int]) -> str:
    return f"=SUM({','.join(f'{column}{r}' for r in rows)})" if rows else "=0"


def _write_subtotals(sheet, item_row: ItemRow, layout: SheetLayout, points_style, text_style) -> None:
    """Formulas over the applicable children, with the computed values stored for any reader."""
    row = item_row.row - 1
    children = [child for child in layout.children(item_row) if child.applicable]
    rows = [child.row for child in children]
    sums = {"max": Decimal(0), "survey": Decimal(0), "appraisal": Decimal(0)}
    for leaf in (leaf for child in children for leaf in _applicable_leaves(child, layout)):
        sums["max"] += leaf.max_points
        sums["survey"] += leaf.survey
        sums["appraisal"] += leaf.appraisal
    for col, field_name in ((3, "max"), (4, "survey"), (5, "appraisal")):
        sheet.write_formula(row, col, _sum_formula(COLUMNS[field_name], rows), points_style,
                            float(sums[field_name]))
    sheet.write_formula(row, 6, _sum_formula(COLUMNS["score"], rows), points_style, 0)
    sheet.write_blank(row, 7, None, text_style)
    sheet.write_blank(row, 8, None, text_style)


def _applicable_leaves(item_row: ItemRow, layout: SheetLayout):
    if item_row.item.is_leaf:
        return [item_row.item] if item_row.applicable else []
    return [leaf for child in layout.children(item_row) if child.applicable
            for leaf in _applicable_leaves(child, layout)]


def _write_total(sheet, layout: SheetLayout, styles: FormStyles) -> None:
    row = layout.total_row - 1
    areas = [r for r in layout.rows if r.item.depth == 1 and r.applicable]
    sheet.write_string(row, 0, "", styles.total)
    sheet.write_string(row, 1, "TỔNG CỘNG", styles.total)
    sheet.write_string(row, 2, "", styles.total)
    leaves = [leaf for area in areas for leaf in _applicable_leaves(area, layout)]
    for col, field_name in ((3, "max_points"), (4, "survey"), (5, "appraisal")):
        total = sum((getattr(leaf, field_name) for leaf in leaves), Decimal(0))
        sheet.write_formula(row, col, _sum_formula("DEF"[col - 3], [a.row for a in areas]),
                            styles.total_points, float(total))
    sheet.write_formula(row, 6, _sum_formula(COLUMNS["score"], [a.row for a in areas]),
                        styles.total_points, 0)
    sheet.write_string(row, 7, "", styles.total)
    sheet.write_string(row, 8, "", styles.total)


def _write_sign_off(sheet, layout: SheetLayout, styles: FormStyles) -> None:
    """Below the total, for the printed copy: who drew up the form and the head of the unit, with
    room to sign. Locked like every cell that is not an input, and outside the rows the intake
    checks (the layout ends at the total row)."""
    first = layout.total_row + SIGN_OFF_GAP  # 0-based index of the place-and-date row
    left, right = (0, 2), (5, len(COLUMNS) - 1)  # under the criteria; under the scores and evidence
    sheet.merge_range(first, right[0], first, right[1], SIGN_OFF_PLACE_DATE, styles.sign_note)
    for row, (left_text, right_text, style) in (
            (first + 1, (SIGN_OFF_LEFT[0], SIGN_OFF_RIGHT[0], styles.sign_title)),
            (first + 2, (SIGN_OFF_LEFT[1], SIGN_OFF_RIGHT[1], styles.sign_note))):
        sheet.merge_range(row, left[0], row, left[1], left_text, style)
        sheet.merge_range(row, right[0], row, right[1], right_text, style)
    sheet.set_row(first + 3, SIGN_OFF_ROOM)


def _points(value: Decimal) -> str:
    """A number of points as a Vietnamese official writes it: 0; 0,25; 0,5; 1."""
    text = format_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _add_validations(sheet, layout: SheetLayout) -> None:
    """Excel-side checks with Vietnamese messages; every value is re-validated on return."""
    by_rule: dict[tuple[Decimal, Decimal], list[ItemRow]] = {}
    for item_row in layout.inputs():
        by_rule.setdefault((item_row.item.appraisal, item_row.item.step), []).append(item_row)
    for (maximum, step), rows in sorted(by_rule.items()):
        first = rows[0].cell("score")
        ticks = int(step * 10000)
        sheet.data_validation(first, {
            "validate": "custom",
            "value": f"=AND(ISNUMBER({first}),{first}>=0,{first}<={maximum},"
                     f"MOD(ROUND({first}*10000,0),{ticks})=0)",
            "multi_range": " ".join(r.cell("score") for r in rows),
            "input_title": "Điểm tự đánh giá",
            "input_message": f"Nhập điểm từ 0 đến {_points(maximum)}, chấm theo mức "
                             f"{_points(step)} điểm. Ghi tài liệu kiểm chứng ở cột 8 hoặc "
                             "giải trình ở cột 9.",
            "error_title": "Điểm không hợp lệ",
            "error_message": f"Điểm phải là số từ 0 đến {_points(maximum)}, chấm theo mức "
                             f"{_points(step)} điểm. Hãy nhập lại.",
        })
    for field_name, limit, title in (("evidence", EVIDENCE_MAX_CHARS, "Tài liệu kiểm chứng"),
                                      ("explanation", EXPLANATION_MAX_CHARS, "Giải trình")):
        cells = [r.cell(field_name) for r in layout.inputs()]
        if not cells:
            continue
        sheet.data_validation(cells[0], {
            "validate": "length", "criteria": "<=", "value": limit, "multi_range": " ".join(cells),
            "input_title": title,
            "input_message": f"Tối đa {format_number(limit, 0)} ký tự." + (
                " Ghi số, ngày, trích yếu của từng văn bản, mỗi văn bản một dòng (Alt+Enter)."
                if field_name == "evidence" else " Bắt buộc khi điểm không có tài liệu kiểm chứng."),
            "error_title": "Nội dung quá dài",
            "error_message": f"Nội dung không quá {format_number(limit, 0)} ký tự; hãy rút gọn.",
        })


def _add_flags(sheet, layout: SheetLayout, styles: FormStyles) -> None:
    """Conditional formats that show a score above its max and a score without justification."""
    inputs = layout.inputs()
    if not inputs:
        return
    first = inputs[0].row
    score_cells = " ".join(r.cell("score") for r in inputs)
    sheet.conditional_format(inputs[0].cell("score"), {
        "type": "formula", "criteria": f"=AND(ISNUMBER(G{first}),G{first}>F{first})",
        "multi_range": score_cells, "format": styles.flag_red})
    sheet.conditional_format(inputs[0].cell("explanation"), {
        "type": "formula",
        "criteria": f'=AND(ISNUMBER(G{first}),LEN(TRIM(H{first}))=0,LEN(TRIM(I{first}))=0)',
        "multi_range": " ".join(r.cell("explanation") for r in inputs),
        "format": styles.flag_orange})


def _write_identity(sheet, styles: FormStyles, password: str) -> None:
    sheet.write_string(0, 0, "formkit", styles.text)  # very hidden: never shown to a unit
    sheet.write_string(1, 0, Placeholder.IDENTITY, styles.text)
    sheet.write_string(2, 0, Placeholder.SIGNATURE, styles.text)
    sheet.very_hidden()
    _protect(sheet, password)


def _height(text: str, chars_per_line: float, line_height: float) -> float:
    lines = sum(max(1, math.ceil(len(part) / chars_per_line)) for part in text.split("\n"))
    return round(max(1, lines) * line_height + 3, 1)


def _row_height(item_row: ItemRow) -> float:
    """Excel does not grow rows for wrapped text in files it did not write: size them here."""
    item = item_row.item
    widths = (HEADERS["text"][1], HEADERS["guidance"][1])
    lines = max(max(1, math.ceil(len(text) / (width * CHARS_PER_WIDTH)))
                for text, width in zip((item.text, item.guidance), widths, strict=True))
    return round(lines * 14.5 + 4, 1)

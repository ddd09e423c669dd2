"""The appraisal council's workbook, written with xlsxwriter: one protected sheet per unit.

Every figure the council compares is on the sheet (max points, the unit's self-score, its
evidence and explanation), locked; the council types only the appraised score and, where it
differs from the self-score, the reason. Group rows carry subtotal formulas with their values
stored, so any reader sees correct numbers before a spreadsheet program recalculates.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter

from formkit.appraisal.identity import IDENTITY_SHEET, AppraisalIdentity, identity_cells, sign
from formkit.catalog import Catalog
from formkit.forms.layout import FIRST_ITEM_ROW, HEADER_ROWS, ItemRow, SheetLayout
from formkit.forms.stamp import lock_structure
from formkit.forms.workbook import EXPLANATION_MAX_CHARS, FONT, FormStyles
from formkit.intake.current import SourcedScore
from formkit.intake.validate import neutralise
from formkit.settings import Settings
from formkit.status import local_time
from formkit.text import format_date, format_number
from formkit.units import Unit

COVER_SHEET = "Hướng dẫn"
COVER_WIDTH = 90
COLUMNS = {"code": "A", "text": "B", "max": "C", "survey": "D", "appraisal": "E", "self": "F",
           "evidence": "G", "explanation": "H", "appraised": "I", "reason": "J", "status": "K"}
INPUT_FIELDS = ("appraised", "reason")
HEADERS = {  # field -> (header, column width)
    "code": ("Mã", 7), "text": ("Tiêu chí, tiêu chí thành phần", 44), "max": ("Điểm tối đa", 8),
    "survey": ("Trong đó: điểm điều tra XHH", 10), "appraisal": ("Điểm tối đa thẩm định", 10),
    "self": ("Điểm tự đánh giá", 9), "evidence": ("Tài liệu kiểm chứng của đơn vị", 34),
    "explanation": ("Giải trình của đơn vị", 28), "appraised": ("Điểm thẩm định", 10),
    "reason": ("Lý do điều chỉnh (bắt buộc khi khác điểm tự đánh giá)", 30),
    "status": ("Trạng thái", 14),
}
NOT_SCORED, KEPT, ADJUSTED, NO_REASON, INVALID = ("Chưa thẩm định", "Giữ nguyên", "Điều chỉnh",
                                                  "Thiếu lý do", "Không hợp lệ")
SURVEY_MARK, NA_MARK = "Điều tra XHH", "Không áp dụng"
CHARS_PER_WIDTH = 1.05  # Times New Roman 11 pt characters per unit of column width
MAX_ROW_HEIGHT = 409  # Excel's limit, in points
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")


@dataclass(frozen=True)
class UnitSheet:
    """Everything one unit's sheet shows: the unit, its signed identity, its current return."""

    unit: Unit
    identity: AppraisalIdentity
    layout: SheetLayout
    catalog: Catalog
    scores: dict[str, SourcedScore]  # the return's self-scores by leaf
    return_name: str
    return_received_at: str


def sheet_name(unit: Unit) -> str:
    """'005 Cầu Giấy': the code keeps names unique, Excel allows 31 characters."""
    return SHEET_NAME_FORBIDDEN.sub("-", f"{unit.code} {unit.short_name}")[:31].strip()


def build_workbook(settings: Settings, sheets: list[UnitSheet], secret: bytes, title: str,
                   missing: list[Unit] = ()) -> bytes:
    """The council's workbook for the given units, signed, protected and byte-for-byte stable."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    campaign = settings.campaign
    book.set_properties({"title": f"Biểu thẩm định Chỉ số CCHC năm {campaign.year}",
                         "subject": title, "author": campaign.issuing_body,
                         "company": campaign.parent_body,
                         "created": dt.datetime.combine(campaign.issue_date, dt.time())})
    book.set_custom_property("formkit_kind", "appraisal")
    book.set_custom_property("formkit_campaign", campaign.id)
    book.formats[0].set_font_name(FONT)
    styles = _Styles(book)
    password = settings.form_password
    _write_cover(book.add_worksheet(COVER_SHEET), settings, sheets, title, missing, styles)
    for unit_sheet in sheets:
        _write_unit(book.add_worksheet(unit_sheet.identity.sheet), settings, unit_sheet, styles)
    identity_sheet = book.add_worksheet(IDENTITY_SHEET)
    identity_sheet.write_string(0, 0, "formkit", styles.text)
    for index, unit_sheet in enumerate(sheets):
        payload = unit_sheet.identity.payload()
        for cell, text in zip(identity_cells(index), (payload, sign(payload, secret)), strict=True):
            identity_sheet.write_string(cell, text, styles.text)
    identity_sheet.very_hidden()
    for sheet in book.worksheets():
        sheet.protect(password, {"format_columns": True, "format_rows": True})
    book.worksheets()[0].activate()
    book.close()
    return lock_structure(buffer.getvalue(), password)


class _Styles(FormStyles):
    """The form's formats plus the few the council's sheet adds."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        super().__init__(book)
        cell = {"font_name": FONT, "font_size": 10, "valign": "top", "text_wrap": True, "border": 1}
        self.locked_text = book.add_format(cell)
        self.status = book.add_format({**cell, "align": "center"})
        self.survey = self.survey_only


def _write_cover(sheet, settings: Settings, sheets: list[UnitSheet], title: str,
                 missing: list[Unit], styles: _Styles) -> None:
    campaign = settings.campaign
    deadline = settings.deadlines.appraisal
    rule = ("tính 0 điểm" if settings.appraisal.missing == "zero"
            else "không tính điểm, không xếp hạng")
    lines = [
        (campaign.parent_body.upper(), styles.subtitle),
        (campaign.issuing_body.upper(), styles.subtitle_bold), ("", styles.text),
        ("BIỂU THẨM ĐỊNH KẾT QUẢ TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM "
         f"{campaign.year}", styles.title),
        (f"Hội đồng thẩm định · {title}", styles.subtitle_bold),
        *([(f"Hạn hoàn thành thẩm định: {format_date(deadline)}", styles.subtitle_bold)]
          if deadline else []),
        ("", styles.text), ("Hướng dẫn", styles.bold),
        ("1. Mỗi đơn vị một trang tính. Chỉ nhập vào ô nền vàng: điểm thẩm định (cột I) và lý do "
         "điều chỉnh (cột J).", styles.text),
        ("2. Nhập điểm thẩm định cho mọi tiêu chí có ô nền vàng, kể cả khi giữ nguyên điểm tự đánh "
         "giá; điểm từ 0 đến điểm tối đa thẩm định (cột E), chấm theo mức điểm ghi ở lời nhắc của ô.",
         styles.text),
        ("3. Khi điểm thẩm định khác điểm tự đánh giá (cột F), bắt buộc ghi lý do ở cột J; ô lý do "
         "tô đỏ khi còn thiếu. Cột K cho biết trạng thái từng tiêu chí.", styles.text),
        ("4. Ô nền xanh “Điều tra XHH” được chấm qua điều tra xã hội học; ô nền xám “Không áp dụng” "
         "không tính vào điểm tối đa của đơn vị.", styles.text),
        ("5. Biểu gắn với đúng biểu tự đánh giá đơn vị đã gửi (ghi ở dòng 3 mỗi trang). Nếu đơn vị "
         "gửi biểu mới hơn, phải lập lại biểu thẩm định. Không đổi tên, thêm, xóa trang tính, hàng, "
         "cột; lưu dưới dạng Excel (.xlsx).", styles.text),
        ("", styles.text), (f"Các đơn vị trong tệp ({len(sheets)}):", styles.bold),
        *[(f"{s.identity.sheet} — {s.unit.document_name}", styles.text) for s in sheets],
    ]
    if missing:
        lines += [("", styles.text),
                  (f"Đơn vị chưa có biểu tự đánh giá hợp lệ ({len(missing)}, {rule}):", styles.bold),
                  *[(f"{u.code} {u.short_name}", styles.text) for u in missing]]
    sheet.set_column(0, 0, COVER_WIDTH)
    for row, (text, style) in enumerate(lines):
        sheet.write_string(row, 0, text, style)
        title = style is styles.title  # 14 pt bold: about 0.7 as many characters per line
        sheet.set_row(row, _height([(text, COVER_WIDTH * CHARS_PER_WIDTH * (0.7 if title else 1))],
                                   19 if title else 15.5))
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)


def _write_unit(sheet, settings: Settings, unit_sheet: UnitSheet, styles: _Styles) -> None:
    identity, layout = unit_sheet.identity, unit_sheet.layout
    last_col = len(COLUMNS) - 1
    for index, (_, width) in enumerate(HEADERS.values()):
        sheet.set_column(index, index, width)
    sheet.merge_range(0, 0, 0, last_col, "BIỂU THẨM ĐỊNH KẾT QUẢ TỰ ĐÁNH GIÁ CHỈ SỐ CCHC NĂM "
                      f"{settings.campaign.year}", styles.title)
    sheet.merge_range(1, 0, 1, last_col, f"Đơn vị: {unit_sheet.unit.document_name}",
                      styles.subtitle_bold)
    received = local_time(unit_sheet.return_received_at, "%d/%m/%Y")
    sheet.merge_range(2, 0, 2, last_col, f"Mã biểu thẩm định: {identity.form_id} · Theo biểu tự "
                      f"đánh giá “{neutralise(unit_sheet.return_name)}” (tệp số "
                      f"{identity.source.received_file_id}, nhận ngày {received}, SHA-256 "
                      f"{identity.source.sha256[:12]})", styles.subtitle)
    sheet.set_row(2, 33)
    header_row, number_row = HEADER_ROWS[0] - 1, HEADER_ROWS[1] - 1
    for index, (header, _) in enumerate(HEADERS.values()):
        sheet.write_string(header_row, index, header, styles.header)
        sheet.write_string(number_row, index, f"({index + 1})", styles.number)
    sheet.set_row(header_row, 62)
    for item_row in layout.rows:
        if item_row.item.is_leaf:
            _write_leaf(sheet, item_row, unit_sheet.scores.get(item_row.item.code), styles)
        else:
            _write_group(sheet, item_row, layout, unit_sheet.scores, styles)
    _write_total(sheet, layout, unit_sheet.scores, styles)
    _add_validations(sheet, layout)
    _add_flags(sheet, layout, styles)
    sheet.freeze_panes(FIRST_ITEM_ROW - 1, 2)
    sheet.repeat_rows(header_row, number_row)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    font = f'&"{FONT},Regular"&9'
    sheet.set_footer(f"&L{font}{_footer(unit_sheet.unit.short_name)}&C{font}Mã biểu thẩm định: "
                     f"{identity.form_id}&R{font}Trang &P/&N")


def _cell(field_name: str, item_row: ItemRow) -> str:
    return f"{COLUMNS[field_name]}{item_row.row}"


def _col(field_name: str) -> int:
    return list(COLUMNS).index(field_name)


def _write_leaf(sheet, item_row: ItemRow, score: SourcedScore | None, styles: _Styles) -> None:
    item, row = item_row.item, item_row.row - 1
    applicable = item_row.applicable
    text_style = styles.level[3] if applicable else styles.na_text
    points_style = styles.level_points[3] if applicable else styles.na_points
    sheet.write_string(row, _col("code"), item.code, text_style)
    sheet.write_string(row, _col("text"), item.text, text_style)
    for field_name, value in (("max", item.max_points), ("survey", item.survey),
                              ("appraisal", item.appraisal)):
        sheet.write_number(row, _col(field_name), float(value), points_style)
    texts = [(item.text, HEADERS["text"][1])]
    if item_row.is_input:
        if score is not None:
            sheet.write_number(row, _col("self"), float(score.score), points_style)
        else:
            sheet.write_blank(row, _col("self"), None, points_style)
        for field_name in ("evidence", "explanation"):
            text = neutralise(getattr(score, field_name)) if score else ""
            if text:
                sheet.write_string(row, _col(field_name), text, styles.locked_text)
            else:
                sheet.write_blank(row, _col(field_name), None, styles.locked_text)
            texts.append((text, HEADERS[field_name][1]))
        sheet.write_blank(row, _col("appraised"), None, styles.input_score)
        sheet.write_blank(row, _col("reason"), None, styles.input_text)
        sheet.write_formula(row, _col("status"), _status_formula(item_row), styles.status,
                            NOT_SCORED)
        texts.append(("x" * 60, HEADERS["reason"][1]))  # room for a two-line reason
    else:
        mark, style, fill = ((SURVEY_MARK, styles.survey, styles.survey) if applicable
                             else (NA_MARK, styles.na_mark, styles.na_text))
        sheet.write_string(row, _col("self"), mark, style)
        for field_name in ("evidence", "explanation", "appraised", "reason"):
            sheet.write_blank(row, _col(field_name), None, fill)
        sheet.write_string(row, _col("status"), mark, style)
    sheet.set_row(row, _height([(t, w * CHARS_PER_WIDTH) for t, w in texts], 14.5))


def _status_formula(item_row: ItemRow) -> str:
    appraised, self_score, reason = (_cell(f, item_row) for f in ("appraised", "self", "reason"))
    return (f'=IF(LEN({appraised}&"")=0,"{NOT_SCORED}",IF(NOT(ISNUMBER({appraised})),"{INVALID}",'
            f'IF({appraised}={self_score},"{KEPT}",IF(LEN(TRIM({reason}))=0,"{NO_REASON}",'
            f'"{ADJUSTED}"))))')


def _sum_formula(column: str, rows: list[int]) -> str:
    return f"=SUM({','.join(f'{column}{r}' for r in rows)})" if rows else "=0"


def _leaves(item_row: ItemRow, layout: SheetLayout) -> list[ItemRow]:
    """The applicable leaf rows under a row (itself, for a leaf)."""
    if item_row.item.is_leaf:
        return [item_row] if item_row.applicable else []
    return [leaf for child in layout.children(item_row) if child.applicable
            for leaf in _leaves(child, layout)]


def _sums(leaves: list[ItemRow], scores: dict[str, SourcedScore]) -> dict[str, Decimal]:
    return {"max": sum((r.item.max_points for r in leaves), Decimal(0)),
            "survey": sum((r.item.survey for r in leaves), Decimal(0)),
            "appraisal": sum((r.item.appraisal for r in leaves), Decimal(0)),
            "self": sum((scores[r.item.code].score for r in leaves if r.is_input
                         and r.item.code in scores), Decimal(0)),
            "appraised": Decimal(0)}  # nothing typed yet


def _write_sums(sheet, row: int, rows: list[int], sums: dict[str, Decimal], style) -> None:
    for field_name, value in sums.items():
        sheet.write_formula(row, _col(field_name), _sum_formula(COLUMNS[field_name], rows), style,
                            float(value))


def _write_group(sheet, item_row: ItemRow, layout: SheetLayout, scores: dict[str, SourcedScore],
                 styles: _Styles) -> None:
    """Subtotals over the applicable children, with the computed values stored for any reader."""
    row, depth = item_row.row - 1, min(item_row.item.depth, 3)
    text_style = styles.level[depth] if item_row.applicable else styles.na_text
    points_style = styles.level_points[depth] if item_row.applicable else styles.na_points
    sheet.write_string(row, _col("code"), item_row.item.code, text_style)
    sheet.write_string(row, _col("text"), item_row.item.text, text_style)
    children = [child.row for child in layout.children(item_row) if child.applicable]
    _write_sums(sheet, row, children, _sums(_leaves(item_row, layout), scores), points_style)
    for field_name in ("evidence", "explanation", "reason", "status"):
        sheet.write_blank(row, _col(field_name), None, text_style)
    sheet.set_row(row, _height([(item_row.item.text, HEADERS["text"][1] * CHARS_PER_WIDTH)], 14.5))


def _write_total(sheet, layout: SheetLayout, scores: dict[str, SourcedScore], styles: _Styles) -> None:
    row = layout.total_row - 1
    areas = [r for r in layout.rows if r.item.depth == 1 and r.applicable]
    for field_name in ("code", "text", "evidence", "explanation", "reason", "status"):
        sheet.write_string(row, _col(field_name), "TỔNG CỘNG" if field_name == "text" else "",
                           styles.total)
    leaves = [leaf for area in areas for leaf in _leaves(area, layout)]
    _write_sums(sheet, row, [a.row for a in areas], _sums(leaves, scores), styles.total_points)


def _add_validations(sheet, layout: SheetLayout) -> None:
    """Excel-side checks with Vietnamese messages; every value is checked again on return."""
    by_rule: dict[tuple[Decimal, Decimal], list[ItemRow]] = {}
    for item_row in layout.inputs():
        by_rule.setdefault((item_row.item.appraisal, item_row.item.step), []).append(item_row)
    for (maximum, step), rows in sorted(by_rule.items()):
        first = _cell("appraised", rows[0])
        sheet.data_validation(first, {
            "validate": "custom",
            "value": f"=AND(ISNUMBER({first}),{first}>=0,{first}<={maximum},"
                     f"MOD(ROUND({first}*10000,0),{int(step * 10000)})=0)",
            "multi_range": " ".join(_cell("appraised", r) for r in rows),
            "input_title": "Điểm thẩm định",
            "input_message": f"Nhập điểm từ 0 đến {format_number(maximum)}, chấm theo mức "
                             f"{format_number(step)} điểm. Khác điểm tự đánh giá thì ghi lý do ở "
                             "cột J.",
            "error_title": "Điểm không hợp lệ",
            "error_message": f"Điểm thẩm định phải là số từ 0 đến {format_number(maximum)} và là "
                             f"bội số của {format_number(step)}. Hãy nhập lại.",
        })
    cells = [_cell("reason", r) for r in layout.inputs()]
    if cells:
        sheet.data_validation(cells[0], {
            "validate": "length", "criteria": "<=", "value": EXPLANATION_MAX_CHARS,
            "multi_range": " ".join(cells), "input_title": "Lý do điều chỉnh",
            "input_message": f"Bắt buộc khi điểm thẩm định khác điểm tự đánh giá. Tối đa "
                             f"{format_number(EXPLANATION_MAX_CHARS, 0)} ký tự.",
            "error_title": "Nội dung quá dài",
            "error_message": f"Lý do không quá {format_number(EXPLANATION_MAX_CHARS, 0)} ký tự; "
                             "hãy rút gọn.",
        })


def _add_flags(sheet, layout: SheetLayout, styles: _Styles) -> None:
    """A score outside 0..max and a changed score without its reason show red; a change orange."""
    inputs = layout.inputs()
    if not inputs:
        return
    n = inputs[0].row
    appraised, maximum, self_score, reason, status = (f"{COLUMNS[f]}{n}" for f in (
        "appraised", "appraisal", "self", "reason", "status"))
    for field_name, criteria, style in (
            ("appraised", f"=AND(ISNUMBER({appraised}),OR({appraised}<0,{appraised}>{maximum}))",
             styles.flag_red),
            ("appraised", f"=AND(ISNUMBER({appraised}),{appraised}<>{self_score})", styles.flag_orange),
            ("reason", f"=AND(ISNUMBER({appraised}),{appraised}<>{self_score},"
                       f"LEN(TRIM({reason}))=0)", styles.flag_red),
            ("status", f'=OR({status}="{NO_REASON}",{status}="{INVALID}")', styles.flag_red)):
        sheet.conditional_format(_cell(field_name, inputs[0]), {
            "type": "formula", "criteria": criteria, "format": style,
            "multi_range": " ".join(_cell(field_name, r) for r in inputs)})


def _footer(text: str) -> str:
    """Header/footer codes start with '&': double it so a unit name prints as written."""
    return text.replace("&", "&&")


def _height(texts: list[tuple[str, float]], line_height: float) -> float:
    """Excel does not grow rows for wrapped text in files it did not write: size them here."""
    lines = max(sum(max(1, math.ceil(len(part) / chars)) for part in text.split("\n"))
                for text, chars in texts)
    return min(MAX_ROW_HEIGHT, round(max(1, lines) * line_height + 4, 1))

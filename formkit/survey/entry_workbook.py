"""The entry workbook itself, written with xlsxwriter: cover, one sheet per group, lists, identity.

Deterministic: the same identity gives the same bytes (fixed creation date from the settings,
xlsxwriter's fixed zip timestamps, the structure lock added the way the forms add it).
Dropdown lists sit on a hidden sheet behind defined names, because a literal list over 255
characters corrupts the file in Excel, and one list per answer scale keeps them short anyway.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import xlsxwriter
from openpyxl.utils.cell import column_index_from_string

from formkit.forms.identity import IDENTITY_SHEET
from formkit.forms.stamp import lock_structure
from formkit.settings import Settings
from formkit.survey.entry import (
    CODES_ROW,
    COVER_SHEET,
    HEADER_ROW,
    LISTS_SHEET,
    NOT_RETURNED,
    NUMBER_COLUMN,
    SERIAL_COLUMN,
    EntryIdentity,
    EntrySheet,
)
from formkit.survey.questionnaire import RespondentGroup, Scale, Survey
from formkit.text import format_date
from formkit.units import Unit

FONT = "Times New Roman"
INPUT_FILL = "#FFF2CC"
KEYED_BY_MAX_CHARS = 100
PAYLOAD_CHUNK = 32000  # an Excel cell holds at most 32,767 characters
COVER_WIDTH = 96


@dataclass(frozen=True)
class EntryBookSpec:
    settings: Settings
    unit: Unit
    survey: Survey
    identity: EntryIdentity
    payload: str
    signature: str


def build_entry_workbook(spec: EntryBookSpec) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    _properties(book, spec)
    book.formats[0].set_font_name(FONT)
    styles = _Styles(book)
    password = spec.settings.form_password
    _write_cover(book.add_worksheet(COVER_SHEET), spec, styles, password)
    sheets = [book.add_worksheet(s.sheet) for s in spec.identity.sheets]
    lists = _write_lists(book, book.add_worksheet(LISTS_SHEET), spec.survey, styles, password)
    for sheet, layout in zip(sheets, spec.identity.sheets, strict=True):
        _write_group(sheet, spec, layout, lists, styles, password)
    _write_identity(book.add_worksheet(IDENTITY_SHEET), spec, styles, password)
    sheets[0].activate()
    book.close()
    return lock_structure(buffer.getvalue(), password)


def _properties(book: xlsxwriter.Workbook, spec: EntryBookSpec) -> None:
    campaign, identity = spec.settings.campaign, spec.identity
    book.set_properties({"title": f"Tệp nhập phiếu khảo sát năm {campaign.year}",
                         "subject": spec.unit.name, "author": campaign.issuing_body,
                         "company": campaign.parent_body, "comments": identity.form_id,
                         "created": dt.datetime.combine(campaign.issue_date, dt.time())})
    for name, value in (("campaign", identity.campaign), ("kind", identity.kind),
                        ("unit", identity.unit), ("form_id", identity.form_id),
                        ("survey_hash", identity.survey_hash), ("copy", str(identity.copy)),
                        ("batch", f"{identity.batch}/{identity.batches}"),
                        ("signature", spec.signature)):
        book.set_custom_property(f"formkit_{name}", value)
    book.define_name("FK_FormId", f'="{identity.form_id}"')
    book.define_name("FK_Unit", f'="{identity.unit}"')
    book.define_name("FK_Signature", f'="{spec.signature}"')


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
        cell = {**base, "border": 1}
        self.text = book.add_format({**base, "text_wrap": True, "valign": "top"})
        self.bold = book.add_format({**base, "bold": True, "text_wrap": True, "valign": "top"})
        self.title = book.add_format({**base, "bold": True, "font_size": 13, "align": "center",
                                      "text_wrap": True})
        self.subtitle = book.add_format({**base, "align": "center", "text_wrap": True})
        self.note = book.add_format({**base, "italic": True, "text_wrap": True, "valign": "top"})
        self.header = book.add_format({**cell, "bold": True, "align": "center", "text_wrap": True,
                                       "bg_color": "#D9E1F2"})
        self.codes = book.add_format({**cell, "italic": True, "align": "center", "font_size": 9,
                                      "bg_color": "#D9E1F2"})
        self.number = book.add_format({**cell, "align": "center"})
        self.serial = book.add_format({**cell, "bold": True})
        self.answer = book.add_format({**cell, "align": "center", "locked": False,
                                       "bg_color": INPUT_FILL})
        self.free = book.add_format({**cell, "locked": False, "bg_color": INPUT_FILL})


def _protect(sheet, password: str) -> None:
    sheet.protect(password, {"format_columns": True, "format_rows": True})


def _legend(scale: Scale) -> str:
    return "; ".join(f"{o.code} = {o.text}" for o in scale.options)


def _no_answer(scale: Scale) -> str:
    return ", ".join(o.code for o in scale.options if o.is_no_answer)


def _write_cover(sheet, spec: EntryBookSpec, styles: _Styles, password: str) -> None:
    campaign, identity = spec.settings.campaign, spec.identity
    batch = f", lô {identity.batch}/{identity.batches}" if identity.batches > 1 else ""
    groups = {g.code: g for g in spec.survey.groups}
    lines: list[tuple[str, object]] = [
        (campaign.issuing_body.upper(), styles.subtitle),
        (f"TỆP NHẬP PHIẾU KHẢO SÁT (ĐIỀU TRA XÃ HỘI HỌC) NĂM {campaign.year}", styles.title),
        (f"Đơn vị được đánh giá: {spec.unit.document_name}", styles.subtitle),
        (f"Mã tệp: {identity.form_id} · Bản nhập {identity.copy}{batch} · Phát hành "
         f"{format_date(campaign.issue_date)}", styles.subtitle),
        ("", styles.text),
        ("Các trang tính nhập phiếu", styles.bold),
        *((f"- Trang “{s.sheet}”: {groups[s.group].name}, {len(s.serials)} phiếu "
           f"(số {s.serials[0]} đến {s.serials[-1]}).", styles.text) for s in identity.sheets),
        ("", styles.text),
        ("Hướng dẫn nhập", styles.bold),
        ("1. Mỗi dòng là một phiếu, theo số phiếu in trên phiếu giấy. Tìm đúng dòng có số phiếu rồi "
         "nhập từ trái sang phải; chỉ nhập vào các ô nền vàng.", styles.text),
        ("2. Mỗi câu hỏi: chọn mã phương án người trả lời đã đánh dấu (Alt+↓ mở danh sách, hoặc gõ "
         "mã). Dòng dưới mã câu hỏi ghi các mã được dùng; rê chuột lên mã câu hỏi để xem nội dung "
         "câu hỏi. Câu bỏ trống hoặc đánh dấu nhiều phương án: chọn mã “không trả lời”.", styles.text),
        ("3. Cột “Người nhập”: ghi họ tên người nhập phiếu.", styles.text),
        (f"4. Phiếu không thu về: chọn “{NOT_RETURNED}” ở cột “Tình trạng phiếu” và để trống các "
         "câu. Dòng để trống hoàn toàn cũng được tính là phiếu không thu về.", styles.text),
        ("5. Nhập hai lần để đối chiếu: bản nhập 1 và bản nhập 2 của cùng một tệp do hai người nhập "
         "độc lập. Mọi ô khác nhau giữa hai bản được liệt kê; phiếu chỉ được tính khi hai bản khớp. "
         "Sửa trên đúng bản nhập của mình rồi gửi lại cả tệp.", styles.text),
        ("6. Không chèn, xóa, sắp xếp hàng hoặc cột; không dán đè định dạng; không đổi tên trang "
         "tính. Sở Nội vụ kiểm tra lại mọi mã khi nhận tệp.", styles.text),
        ("", styles.text),
        ("Mã phương án của các thang trả lời", styles.bold),
        *((f"- {s.title}: {_legend(s)}.", styles.text) for s in spec.survey.scales),
    ]
    sheet.set_column(0, 0, COVER_WIDTH)
    for row, (text, style) in enumerate(lines):
        sheet.write_string(row, 0, text, style)
        sheet.set_row(row, 15.5 * max(1, -(-len(text) // COVER_WIDTH)) + 3)
    sheet.set_paper(9)
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)
    _protect(sheet, password)


def _write_lists(book: xlsxwriter.Workbook, sheet, survey: Survey, styles: _Styles,
                 password: str) -> dict[str, str]:
    """Scale code (and "" for the status column) -> defined name of its dropdown list."""
    names: dict[str, str] = {}
    columns = [(scale.code, [o.code for o in scale.options]) for scale in survey.scales]
    columns.append(("", [NOT_RETURNED]))
    for col, (code, values) in enumerate(columns):
        for row, value in enumerate(values):
            sheet.write_string(row, col, value, styles.text)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        name = f"FK_Scale_{col + 1}" if code else "FK_Status"
        book.define_name(name, f"='{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}")
        names[code] = name
    sheet.hide()
    _protect(sheet, password)
    return names


def _write_group(sheet, spec: EntryBookSpec, layout: EntrySheet, lists: dict[str, str],
                 styles: _Styles, password: str) -> None:
    group = spec.survey.group(layout.group)
    scales = {q.code: spec.survey.scale(q.scale) for q in group.questions}
    last_col = column_index_from_string(layout.status) - 1
    _write_heading(sheet, spec, group, last_col, styles)
    header, codes = HEADER_ROW - 1, CODES_ROW - 1
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, max(12, round(max(len(s) for s in layout.serials) * 1.25) + 2))  # bold
    for title, letter, width in (("STT", NUMBER_COLUMN, None), ("Số phiếu", SERIAL_COLUMN, None),
                                 ("Người nhập", layout.keyed_by, 22),
                                 ("Tình trạng phiếu", layout.status, 16)):
        col = column_index_from_string(letter) - 1
        sheet.write_string(header, col, title, styles.header)
        sheet.write_string(codes, col, "", styles.codes)
        if width:
            sheet.set_column(col, col, width)
    for question in group.questions:
        col = column_index_from_string(layout.columns[question.code]) - 1
        scale = scales[question.code]
        allowed = " ".join(o.code for o in scale.options)
        sheet.set_column(col, col, max(6, len(question.code) + 2, len(allowed) + 1))
        sheet.write_string(header, col, question.code, styles.header)
        sheet.write_string(codes, col, allowed, styles.codes)
        sheet.write_comment(header, col, f"{question.code}. {question.text}\n\n{_legend(scale)}",
                            {"x_scale": 3.2, "y_scale": 2.2, "font_name": FONT, "font_size": 10})
    sheet.set_row(header, 30)
    _write_rows(sheet, layout, len(group.questions), styles)
    _add_validations(sheet, layout, group, scales, lists)
    sheet.freeze_panes(CODES_ROW, 2)
    sheet.repeat_rows(header, codes)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    font = f'&"{FONT},Regular"&9'
    sheet.set_footer(f"&L{font}{spec.unit.short_name} · {group.code}&C{font}Mã tệp: "
                     f"{spec.identity.form_id}&R{font}Trang &P/&N")
    _protect(sheet, password)


def _write_heading(sheet, spec: EntryBookSpec, group: RespondentGroup, last_col: int,
                   styles: _Styles) -> None:
    identity = spec.identity
    batch = f" · Lô {identity.batch}/{identity.batches}" if identity.batches > 1 else ""
    sheet.merge_range(0, 0, 0, last_col, f"NHẬP PHIẾU KHẢO SÁT: {group.name.upper()}", styles.title)
    sheet.merge_range(1, 0, 1, last_col, f"Đơn vị được đánh giá: {spec.unit.document_name} · Mã tệp: "
                      f"{identity.form_id} · Bản nhập {identity.copy}{batch}", styles.subtitle)
    sheet.merge_range(2, 0, 2, last_col,
                      "Mỗi dòng một phiếu, đúng số phiếu. Chọn mã phương án ở mỗi câu (Alt+↓); câu bỏ "
                      "trống hoặc đánh nhiều phương án: chọn mã không trả lời. Phiếu không thu về: "
                      f"chọn “{NOT_RETURNED}” ở cột Tình trạng phiếu.", styles.note)
    sheet.set_row(0, 20)
    sheet.set_row(2, 30)


def _write_rows(sheet, layout: EntrySheet, questions: int, styles: _Styles) -> None:
    for index, serial in enumerate(layout.serials):
        row = layout.first_row - 1 + index
        sheet.write_number(row, 0, index + 1, styles.number)
        sheet.write_string(row, 1, serial, styles.serial)
        for col in range(2, 2 + questions):
            sheet.write_blank(row, col, None, styles.answer)
        sheet.write_blank(row, 2 + questions, None, styles.free)
        sheet.write_blank(row, 3 + questions, None, styles.answer)


def _add_validations(sheet, layout: EntrySheet, group: RespondentGroup, scales: dict[str, Scale],
                     lists: dict[str, str]) -> None:
    """Dropdowns with Vietnamese messages; paste bypasses them, so collect re-checks every cell."""
    first, last = layout.first_row, layout.last_row
    by_scale: dict[str, list[str]] = {}
    for question in group.questions:
        by_scale.setdefault(question.scale, []).append(layout.columns[question.code])
    for scale_code, letters in by_scale.items():
        scale = scales[next(q.code for q in group.questions if q.scale == scale_code)]
        ranges = [f"{letter}{first}:{letter}{last}" for letter in letters]
        codes = ", ".join(o.code for o in scale.options)
        no_answer = _no_answer(scale)
        sheet.data_validation(ranges[0], {
            "validate": "list", "source": f"={lists[scale_code]}", "multi_range": " ".join(ranges),
            "input_title": "Mã phương án", "input_message": _legend(scale)[:255],
            "error_title": "Mã không hợp lệ",
            "error_message": (f"Chỉ chọn một trong các mã: {codes}."
                              + (f" Không trả lời: {no_answer}." if no_answer else ""))[:255]})
    sheet.data_validation(f"{layout.keyed_by}{first}:{layout.keyed_by}{last}", {
        "validate": "length", "criteria": "<=", "value": KEYED_BY_MAX_CHARS,
        "input_title": "Người nhập", "input_message": "Họ tên người nhập phiếu này.",
        "error_title": "Quá dài", "error_message": f"Tối đa {KEYED_BY_MAX_CHARS} ký tự."})
    sheet.data_validation(f"{layout.status}{first}:{layout.status}{last}", {
        "validate": "list", "source": f"={lists['']}", "input_title": "Tình trạng phiếu",
        "input_message": f"Chọn “{NOT_RETURNED}” nếu phiếu không thu về; để trống nếu đã nhận phiếu.",
        "error_title": "Giá trị không hợp lệ",
        "error_message": f"Chỉ chọn “{NOT_RETURNED}” hoặc để trống."})


def _write_identity(sheet, spec: EntryBookSpec, styles: _Styles, password: str) -> None:
    """A1 'formkit', A2 the payload, A3 the signature, as on the forms; a payload longer than one
    cell holds continues in A4, A5, ..."""
    chunks = [spec.payload[i:i + PAYLOAD_CHUNK] for i in range(0, len(spec.payload), PAYLOAD_CHUNK)]
    sheet.write_string(0, 0, "formkit", styles.text)
    sheet.write_string(1, 0, chunks[0], styles.text)
    sheet.write_string(2, 0, spec.signature, styles.text)
    for row, chunk in enumerate(chunks[1:], start=3):
        sheet.write_string(row, 0, chunk, styles.text)
    sheet.very_hidden()
    _protect(sheet, password)

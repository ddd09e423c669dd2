"""The editable .docx of a paper questionnaire, for offices that adjust the text before printing.

Same content and numbered copies as the PDF, but Word decides the pagination, so it carries no
machine-readable geometry: its QR codes hold the copy's serial without a page number. Times New
Roman is set in all four font slots (python-docx's font.name sets only two) so that no text falls
back to another font, and dates and zip timestamps are fixed so that the bytes never change.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import segno
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from formkit.survey.paper import Questionnaire
from formkit.survey.paper_layout import CLOSING, DEFAULT_INSTRUCTIONS, SIZE, columns_for, single_row
from formkit.survey.serials import Serial

FONT = "Times New Roman"
BOX = "□"  # U+25A1, in Times New Roman and Liberation Serif: one glyph, so one size for all
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TEXT_WIDTH_CM, INDENT_CM = 17.0, 0.6  # A4 less 2.5 cm and 1.5 cm margins; option indent


def questionnaire_docx(q: Questionnaire) -> bytes:
    document = Document()
    _set_fonts(document)
    _set_properties(document, q)
    for number, serial in enumerate(q.serials):
        section = document.sections[0] if number == 0 else document.add_section(
            WD_SECTION.NEW_PAGE)
        _page_setup(section, serial)
        _copy(document, q, serial)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _set_fonts(document) -> None:
    """Times New Roman in the document defaults and the Normal style, every slot, no theme font."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for rpr in (defaults, document.styles["Normal"].element.get_or_add_rPr()):
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attribute}"), None)
        for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{slot}"), FONT)
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.1


def _set_properties(document, q: Questionnaire) -> None:
    campaign = q.workspace.settings.campaign
    stamp = dt.datetime.combine(campaign.issue_date, dt.time(0, 0))
    props = document.core_properties
    props.title, props.subject = q.title, f"{campaign.title} - {q.group.name}"
    props.author = props.last_modified_by = campaign.issuing_body
    props.comments, props.keywords, props.category = "", "", ""
    props.created = props.modified = props.last_printed = stamp
    props.revision = 1


def _page_setup(section, serial: Serial) -> None:
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.8)
    section.left_margin, section.right_margin = Cm(2.5), Cm(21 - 2.5 - TEXT_WIDTH_CM)
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.text = ""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(f"Số phiếu: {serial.text}")
    run.bold, run.font.size = True, Pt(10)


def _copy(document, q: Questionnaire, serial: Serial) -> None:
    _heading_table(document, q, serial)
    _para(document, [(q.group.title or f"PHIẾU KHẢO SÁT (DÀNH CHO {q.group.name.upper()})", "b")],
          center=True, before=8)
    _para(document, [("Đơn vị được đánh giá: ", "b"), (q.unit.document_name, "")], before=6)
    _para(document, [("Nhóm đối tượng khảo sát: ", "b"), (q.group.name, "")])
    _para(document, [("Hướng dẫn: ", "bi"), (q.group.instructions or DEFAULT_INSTRUCTIONS, "i")],
          before=6)
    if q.group.respondent_fields:
        _para(document, [("I. THÔNG TIN VỀ NGƯỜI TRẢ LỜI", "b")], before=8)
        for number, fld in enumerate(q.group.respondent_fields, start=1):
            _para(document, [(f"{number}. {fld.text}: ", "")] + (
                [] if fld.options else [("." * 60, "")]), before=3)
            if fld.options:
                _options(document, fld.options)
    heading = "II. Ý KIẾN ĐÁNH GIÁ CỦA ÔNG/BÀ" if q.group.respondent_fields else \
        "Ý KIẾN ĐÁNH GIÁ CỦA ÔNG/BÀ"
    _para(document, [(heading, "b")], before=8)
    for number, question in enumerate(q.group.questions, start=1):
        _para(document, [(f"Câu {number}. ", "b"), (question.text, "")], before=5, keep=True)
        _options(document, [o.text for o in q.survey.scale(question.scale).options])
    _para(document, [(CLOSING, "bi")], center=True, before=10)


def _heading_table(document, q: Questionnaire, serial: Serial) -> None:
    campaign = q.workspace.settings.campaign
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Cm(11), Cm(6)
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    left.paragraphs[0].add_run(campaign.parent_body.upper())
    body = left.add_paragraph()
    body.alignment = WD_ALIGN_PARAGRAPH.CENTER
    body.add_run(campaign.issuing_body.upper()).bold = True
    picture = right.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    png = io.BytesIO()
    segno.make(serial.payload, error="m", micro=False, boost_error=False).save(
        png, kind="png", scale=8, border=2)
    picture.add_run().add_picture(io.BytesIO(png.getvalue()), width=Cm(2.6))
    text = right.add_paragraph()
    text.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = text.add_run(f"Số phiếu: {serial.text}")
    run.bold, run.font.size = True, Pt(10)


def _para(document, runs: list[tuple[str, str]], center: bool = False, before: float = 0,
          keep: bool = False):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(before)
    paragraph.paragraph_format.keep_with_next = keep
    for text, style in runs:
        run = paragraph.add_run(text)
        run.bold, run.italic = "b" in style or None, "i" in style or None
    return paragraph


def _options(document, texts: list[str] | tuple[str, ...]) -> None:
    """Tick boxes on tab stops placed like the PDF's: one line when they fit, else even columns."""
    width = Cm(TEXT_WIDTH_CM - INDENT_CM).pt
    offsets = single_row(texts, width, SIZE)
    count = len(texts) if offsets else columns_for(texts, width, SIZE)
    offsets = offsets or [i * width / count for i in range(count)]
    for start in range(0, len(texts), count):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(INDENT_CM)
        paragraph.paragraph_format.keep_together = True
        for offset in offsets[1:]:
            paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(INDENT_CM) + Pt(offset))
        for index, text in enumerate(texts[start:start + count]):
            if index:
                paragraph.add_run("\t")
            paragraph.add_run(f"{BOX} {text}")


def _fixed_zip(data: bytes) -> bytes:
    """Re-pack with a fixed timestamp on every member: python-docx stamps the current time."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return output.getvalue()

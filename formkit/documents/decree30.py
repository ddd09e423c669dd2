"""The layout of Decree 30/2020/NĐ-CP, written with python-docx.

The three Word templates are built from these helpers, so they share one layout and one test of
its facts covers them all. A text argument may carry docxtpl tags: each text becomes exactly one
run, which is what keeps Word's formatting from splitting a tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Mm, Pt, Twips
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT = "Times New Roman"
FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
BODY_STYLE = "Body Text"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
LEFT, CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
# What may follow a paragraph border in a rule's w:pPr (the schema orders the children).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr", "w:pPrChange")


@dataclass(frozen=True)
class PageSetup:
    """Paper and margins in millimetres."""

    width: float
    height: float
    top: float
    bottom: float
    left: float
    right: float

    @property
    def text_width(self) -> float:
        return self.width - self.left - self.right


PORTRAIT = PageSetup(210, 297, top=20, bottom=20, left=30, right=15)
# Landscape pages are bound by their top edge: the 30 mm binding margin moves there.
LANDSCAPE = PageSetup(297, 210, top=30, bottom=15, left=20, right=20)


def new_document() -> Document:
    """A blank A4 portrait document in Times New Roman 14 pt, page numbers from page 2."""
    document = docx.Document()
    _drop_stale_parts(document)
    _set_fonts_everywhere(document)
    _set_body_style(document)
    section = document.sections[0]
    apply_page_setup(section, PORTRAIT)
    number_pages(section, skip_first=True)
    return document


def _drop_stale_parts(document: Document) -> None:
    """python-docx's blank document carries a thumbnail and Word 2010 styles that would lie."""
    for rels, reltype in ((document.part.package.rels, RT.THUMBNAIL),
                          (document.part.rels, STYLES_WITH_EFFECTS)):
        for rid in [rid for rid, rel in rels.items() if rel.reltype == reltype]:
            rels.pop(rid)


def _set_fonts_everywhere(document: Document) -> None:
    """Times New Roman in all four font slots of the defaults and of every style.

    Theme attributes win over named fonts, so they are removed, else East Asian or complex-script
    text (and Word's own fallback) would use Calibri or MS Mincho.
    """
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.find(qn("w:sz")).set(qn("w:val"), "28")
    defaults.find(qn("w:szCs")).set(qn("w:val"), "28")
    defaults.find(qn("w:lang")).set(qn("w:val"), "vi-VN")
    paragraph_defaults = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = paragraph_defaults.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    document.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts()
    for fonts in styles.iter(qn("w:rFonts")):
        for theme in THEME_SLOTS:
            fonts.attrib.pop(qn(theme), None)
        for slot in FONT_SLOTS:
            fonts.set(qn(slot), FONT)


def _set_body_style(document: Document) -> None:
    """Body text: justified, first line indented 1 cm, 6 pt after, single line spacing.

    The decree allows single to 1,5 lines; single keeps a decision and its signature on one page.
    """
    fmt = document.styles[BODY_STYLE].paragraph_format
    fmt.alignment = JUSTIFY
    fmt.first_line_indent = Cm(1)
    fmt.space_before, fmt.space_after = Pt(0), Pt(6)
    fmt.line_spacing = 1.0
    fmt.widow_control = True


def apply_page_setup(section: Section, setup: PageSetup) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if setup.width > setup.height else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(setup.width), Mm(setup.height)
    section.top_margin, section.bottom_margin = Mm(setup.top), Mm(setup.bottom)
    section.left_margin, section.right_margin = Mm(setup.left), Mm(setup.right)
    section.header_distance = section.footer_distance = Mm(10)
    section.gutter = Mm(0)


def number_pages(section: Section, *, skip_first: bool) -> None:
    """The page number centred in the top margin; with skip_first, none on the section's first page."""
    section.different_first_page_header_footer = skip_first
    if skip_first:
        section.first_page_header.is_linked_to_previous = False
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = CENTER
    for kind, text in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("text", "2"), ("end", "")):
        _field_run(paragraph, kind, text)


def _field_run(paragraph: Paragraph, kind: str, text: str) -> None:
    run = paragraph.add_run(text if kind == "text" else None)
    run.font.size = Pt(14)
    if kind == "instr":
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = text
        run._r.append(instr)
    elif kind != "text":
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        run._r.append(mark)


def landscape_section(document: Document) -> Section:
    """A new landscape section for wide appendices; page numbers continue on every page."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _shrink(document.paragraphs[-1])
    apply_page_setup(section, LANDSCAPE)
    number_pages(section, skip_first=False)
    return section


def _shrink(paragraph: Paragraph) -> None:
    """Make the empty paragraph that ends a section 1 pt high, so it never spills onto a page."""
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), Pt(1)
    mark = OxmlElement("w:rPr")
    for tag in ("w:sz", "w:szCs"):
        size = OxmlElement(tag)
        size.set(qn("w:val"), "2")
        mark.append(size)
    paragraph._p.get_or_add_pPr().insert_element_before(mark, "w:sectPr", "w:pPrChange")


def add_run(paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False,
            size: float | None = None, caps: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    if caps:
        run.font.all_caps = True
    return run


def _new_paragraph(container: Document | _Cell) -> Paragraph:
    """A fresh paragraph; a new table cell's own empty paragraph is used first."""
    paragraphs = container.paragraphs
    if isinstance(container, _Cell) and len(paragraphs) == 1 and paragraphs[0]._p.pPr is None \
            and not paragraphs[0].runs:
        return paragraphs[0]
    return container.add_paragraph()


def line(container: Document | _Cell, text: str = "", *, align: WD_ALIGN_PARAGRAPH = CENTER,
         size: float | None = None, bold: bool = False, italic: bool = False, caps: bool = False,
         before: float = 0, after: float = 0) -> Paragraph:
    """A one-run line without indent: header, titles, signature, table cells."""
    paragraph = _new_paragraph(container)
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if text:
        add_run(paragraph, text, bold=bold, italic=italic, size=size, caps=caps)
    return paragraph


def body(container: Document | _Cell, *spans: str | tuple[str, str], keep_with_next: bool = False,
         before: float = 0) -> Paragraph:
    """A body paragraph of plain or styled spans, e.g. body(doc, ("Điều 1.", "b"), " Phê duyệt …")."""
    paragraph = container.add_paragraph(style=BODY_STYLE)
    paragraph.paragraph_format.keep_with_next = keep_with_next or None
    if before:
        paragraph.paragraph_format.space_before = Pt(before)
    for span in spans:
        text, style = (span, "") if isinstance(span, str) else span
        add_run(paragraph, text, bold="b" in style, italic="i" in style)
    return paragraph


def heading(container: Document | _Cell, text: str) -> Paragraph:
    """A bold section heading ("I. CĂN CỨ …") kept with the paragraph that follows it."""
    return body(container, (text, "b"), keep_with_next=True)


def rule(container: Document | _Cell, length_mm: float, box_mm: float) -> Paragraph:
    """A short centred horizontal line under the previous line.

    It is the top border of an empty paragraph narrowed by its indents: Word and LibreOffice
    both draw paragraph borders, and nothing floats that could drift away from the text.
    """
    paragraph = line(container, before=3)
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Mm((box_mm - length_mm) / 2)
    fmt.line_spacing = Pt(4)
    border = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        border.set(qn(key), value)
    borders = OxmlElement("w:pBdr")
    borders.append(border)
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)
    return paragraph


def layout_table(document: Document, widths_mm: Sequence[float], rows: int = 1) -> Table:
    """A borderless table that only places blocks side by side (header, signatures).

    Its rows never split across pages: a signature block stays whole.
    """
    table = document.add_table(rows=rows, cols=len(widths_mm))
    set_widths(table, widths_mm)
    _cell_margins(table, 0)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return table


def grid_table(document: Document, widths_mm: Sequence[float]) -> Table:
    """A bordered table of figures with fixed column widths; rows come from table_row()."""
    table = document.add_table(rows=0, cols=len(widths_mm))
    table.style = document.styles["Table Grid"]
    set_widths(table, widths_mm)
    _cell_margins(table, 1)
    return table


def _cell_margins(table: Table, side_mm: float) -> None:
    """Left and right cell margins: narrow columns of figures need the room."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(Mm(side_mm).twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                           "w:tblPrChange")


def set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Fixed layout, the grid and the declared table width, all from the same column widths."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        column.w = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    declared = table._tbl.tblPr.find(qn("w:tblW"))
    declared.set(qn("w:type"), "dxa")
    declared.set(qn("w:w"), str(Mm(sum(widths_mm)).twips))


def table_row(table: Table, texts: Sequence[str], *, size: float, bold: bool = False,
              align: Sequence[WD_ALIGN_PARAGRAPH] | None = None, header: bool = False) -> _Row:
    """One row, one single-run line per cell, never split across pages; a header row repeats.

    A header row is at least 8 mm high: LibreOffice squeezes a repeated header row to its first
    line when cells span two header rows, unless the rows have room of their own.
    """
    row = table.add_row()
    if header:
        row.height, row.height_rule = Mm(8), WD_ROW_HEIGHT_RULE.AT_LEAST
    for index, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        line(cell, text, align=align[index] if align else CENTER, size=size, bold=bold, before=2, after=2)
    properties = row._tr.get_or_add_trPr()
    properties.insert(0, OxmlElement("w:cantSplit"))  # never split across pages; first in w:trPr
    if header:
        properties.append(OxmlElement("w:tblHeader"))
    return row


def header_table(document: Document, *, above: Sequence[str], issuing: str, number: str,
                 place_date: str) -> Table:
    """The two-column header: bodies and number left; national name, motto and date right.

    `above` are the lines over the issuing body (the parent body, with its docxtpl condition).
    The number and the date share the second row, so they stand on the same baseline.
    """
    widths = (65, PORTRAIT.text_width - 65)
    table = layout_table(document, widths, rows=2)
    (top_left, top_right), (bottom_left, bottom_right) = (row.cells for row in table.rows)
    for text in above:
        line(top_left, text, size=13, caps=True)
    line(top_left, issuing, size=13, bold=True, caps=True)
    rule(top_left, 22, widths[0])
    line(top_right, NATIONAL_NAME, size=13, bold=True)
    line(top_right, MOTTO, size=14, bold=True)
    rule(top_right, 60, widths[1])
    line(bottom_left, number, size=13, before=2)
    line(bottom_right, place_date, size=14, italic=True, before=2)
    return table


def title_block(document: Document, type_name: str, summary: str) -> None:
    """Type name (caps bold) over the summary line (bold), with the short rule under it."""
    line(document, type_name, size=14, bold=True, caps=True, before=18)
    line(document, summary, size=14, bold=True)
    rule(document, 40, PORTRAIT.text_width)
    line(document, after=6)


def signature(cell: _Cell, titles: Sequence[str], name: str, room: float = 72) -> None:
    """Authority, position and title (caps bold), `room` points to sign, then the name (bold)."""
    for text in titles:
        line(cell, text, size=14, bold=True, caps=True)
    line(cell, name, size=14, bold=True, before=room)


def closing_table(document: Document, recipients: Sequence[str], titles: Sequence[str],
                  name: str) -> Table:
    """'Nơi nhận:' and its list (left), the signature block (right)."""
    table = layout_table(document, (75, PORTRAIT.text_width - 75))
    left, right = table.rows[0].cells
    recipients_block(left, recipients)
    signature(right, titles, name)
    return table


def recipients_block(container: Document | _Cell, recipients: Sequence[str]) -> None:
    """'Nơi nhận:' (12 pt bold italic) over the list ("- …;" lines, 11 pt)."""
    line(container, "Nơi nhận:", align=LEFT, size=12, bold=True, italic=True, before=6)
    for text in recipients:
        line(container, text, align=LEFT, size=11)


def signatures_table(document: Document, blocks: Sequence[tuple[Sequence[str], str]]) -> Table:
    """Signature blocks side by side (the minutes: secretary and chair), 2 cm to sign in."""
    width = PORTRAIT.text_width / len(blocks)
    table = layout_table(document, [width] * len(blocks))
    for cell, (titles, name) in zip(table.rows[0].cells, blocks, strict=True):
        signature(cell, titles, name, room=56)
    properties = table.rows[0]._tr.get_or_add_trPr()
    if properties.find(qn("w:cantSplit")) is None:  # one block, on one page
        properties.insert(0, OxmlElement("w:cantSplit"))
    return table


def fit_table_grids(document: Document) -> None:
    """Rebuild every table's grid from its cells' widths; call it after rendering.

    docxtpl's column loops ({%tc %}) add or drop cells but leave the grid stale, and LibreOffice
    lays a table out by its grid. The widest row without merged cells gives the widths, scaled to
    the table's declared width. Cells spanned by docxtpl's colspan get their XML in schema order.
    """
    for tbl in document.element.body.iter(qn("w:tbl")):
        widths = _reference_widths(tbl)
        if widths:
            _write_grid(tbl, _scaled(widths, _declared_width(tbl) or sum(widths)))


def _reference_widths(tbl) -> list[int]:
    plain = [tr.tc_lst for tr in tbl.tr_lst
             if all(tc.grid_span == 1 and tc.width is not None for tc in tr.tc_lst)]
    widest = max(plain, key=len, default=[])
    return [tc.width.twips for tc in widest]


def _declared_width(tbl) -> int | None:
    declared = tbl.tblPr.find(qn("w:tblW"))
    if declared is None or declared.get(qn("w:type")) != "dxa":
        return None
    return int(declared.get(qn("w:w"), "0")) or None


def _scaled(widths: list[int], total: int) -> list[int]:
    scaled = [width * total // sum(widths) for width in widths]
    scaled[-1] += total - sum(scaled)
    return scaled


def _write_grid(tbl, widths: list[int]) -> None:
    for column in tbl.tblGrid.gridCol_lst:
        tbl.tblGrid.remove(column)
    for width in widths:
        tbl.tblGrid.add_gridCol().w = Twips(width)
    for tr in tbl.tr_lst:
        position = tr.grid_before
        for tc in tr.tc_lst:
            if position + tc.grid_span <= len(widths):
                tc.width = Twips(sum(widths[position:position + tc.grid_span]))
            position += tc.grid_span
            _order_grid_span(tc)


def _order_grid_span(tc) -> None:
    """docxtpl's colspan writes w:gridSpan first in w:tcPr; the schema (and Word) want it after w:tcW."""
    span = tc.tcPr.find(qn("w:gridSpan")) if tc.tcPr is not None else None
    if span is not None:
        tc.tcPr.remove(span)
        tc.tcPr._insert_gridSpan(span)

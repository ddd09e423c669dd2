"""Decree 30 layout facts in the shipped templates and in documents rendered from them.

Each template is rendered here with docxtpl from a small hand-made context that follows
report_templates/README.md (escaping on, undefined variables fatal, as formkit renders), and the
facts are read back from the .docx XML; one rendered document also goes through LibreOffice.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined
from PIL import Image

from formkit.documents.decree30 import FONT, fit_table_grids
from formkit.documents.schema import KINDS, context_gaps
from formkit.office import convert, find_libreoffice

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "report_templates"
AREAS = [{"code": str(n), "name": f"Lĩnh vực {n}"} for n in range(1, 9)]
SHARED = {
    "year": 2020,
    "header": {"parent_body": "UBND THÀNH PHỐ HÀ NỘI", "issuing_body": "SỞ NỘI VỤ",
               "number_line": "Số: 05/BC-SNV", "place_date": "Hà Nội, ngày 25 tháng 02 năm 2021"},
    "signer": {"authority": "", "position": "KT. GIÁM ĐỐC", "title": "PHÓ GIÁM ĐỐC", "name": "Trần Văn Bình"},
    "recipients": ["UBND Thành phố (để báo cáo)", "Các sở, cơ quan tương đương Sở", "Lưu: VT, CCHC"],
    "rank_rule": "Xếp hạng theo Chỉ số (%); các đơn vị bằng nhau được xếp đồng hạng (1, 2, 2, 4).",
    "has_bands": True,
    "band_rule": "Xếp loại theo Chỉ số (%): Xuất sắc: từ 90% trở lên; Tốt: dưới 90%.",
    "rounding_note": "Điểm số được làm tròn đến hai chữ số thập phân.",
}


def unit_row(n: int) -> dict:
    return {"stt": str(n), "name": f"Sở Kế hoạch & Đầu tư {n}", "areas": [f"{n},{a}0" for a in range(8)],
            "appraised": "70,25", "survey": "20,50", "total": "90,75", "max": "100,00", "index": "90,75",
            "rank": str(n), "band": "Xuất sắc"}


DECISION = {
    **SHARED,
    "header": {"parent_body": "", "issuing_body": "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HÀ NỘI",
               "number_line": "Số:      /QĐ-UBND", "place_date": "Hà Nội, ngày 05 tháng 3 năm 2021"},
    "signer": {"authority": "TM. ỦY BAN NHÂN DÂN", "position": "KT. CHỦ TỊCH", "title": "PHÓ CHỦ TỊCH",
               "name": "Nguyễn Văn A"},
    "authority": "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
    "summary": "Về việc phê duyệt và công bố Chỉ số cải cách hành chính năm 2020 của các sở",
    "approval": "Phê duyệt và công bố Chỉ số cải cách hành chính năm 2020 của các sở",
    "basis": ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
              "Căn cứ Kế hoạch số 178/KH-UBND ngày 04 tháng 9 năm 2020 của UBND Thành phố"],
    "proposal": "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 12/TTr-SNV ngày 01 tháng 3 năm 2021",
    "reference": "số      /QĐ-UBND ngày 05 tháng 3 năm 2021",
    "appendices": [{"numeral": numeral, "title": f"CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020 ({numeral})",
                    "areas": AREAS, "rows": [unit_row(n) for n in range(1, 4)], "show_max": numeral == "I",
                    "notes": ["(1) Sở A: không gửi biểu tự đánh giá."],
                    "coverage": "Có 1/3 đơn vị chưa đủ dữ liệu."}
                   for numeral in ("I", "II")],
}
MINUTES = {
    **SHARED,
    "header": {**SHARED["header"], "parent_body": "SỞ NỘI VỤ", "issuing_body": "HỘI ĐỒNG THẨM ĐỊNH",
               "number_line": "Số:      /BB-HĐTĐ"},
    "unit": {"code": "005", "name": "Cầu Giấy", "document_name": "UBND quận Cầu Giấy",
             "type_label": "Quận, huyện, thị xã"},
    "meeting": {"date": "ngày 20 tháng 01 năm 2021", "start": "08 giờ 00", "end": "11 giờ 30",
                "place": "Phòng họp tầng 3", "chair": {"name": "Trần Văn Bình", "position": "Phó Giám đốc"},
                "secretary": {"name": "Lê Thị Cúc", "position": ""},
                "members": [{"name": "Phạm Văn Dũng", "position": "Trưởng phòng"}],
                "council_basis": "Quyết định số 12/QĐ-UBND ngày 05 tháng 01 năm 2021 của UBND Thành phố",
                "attendance": "03/03", "copies": "03"},
    "survey_only": True,
    "rows": [{"code": "1", "text": "Công tác chỉ đạo, điều hành", "level": 1, "heading": True, "max": "2,00",
              "self": "2,00",
              "appraised": "1,50", "difference": "-0,50", "reason": ""},
             {"code": "1.1", "text": "Kế hoạch <năm> & báo cáo", "level": 2, "heading": False, "max": "2,00",
              "self": "2,00",
              "appraised": "1,50", "difference": "-0,50", "reason": "Ban hành chậm"}],
    "totals": {"max": "70,00", "self": "60,00", "appraised": "58,50", "difference": "-1,50"},
    "survey_points": "25,00",
    "conclusion": ["Tổng điểm tự đánh giá: 60,00 điểm; tổng điểm sau thẩm định: 58,50 điểm."],
    "facts": "",
    "missing": "",
    "has_return": True,
    "appraised": True,
}


def report_context(template: DocxTemplate, *, previous: bool, bands: bool) -> dict:
    def chart() -> InlineImage:
        picture = io.BytesIO()
        Image.new("RGB", (300, 150), (40, 90, 160)).save(picture, "PNG")
        return InlineImage(template, io.BytesIO(picture.getvalue()), width=Mm(120))

    group = {"label": "các sở", "heading": "Các sở", "count": "3", "mean": "85,00",
             "median": "84,00", "highest": {"name": "Sở A", "total": "92,76"},
             "lowest": {"name": "Sở C", "total": "70,00"}, "above": "2", "below": "1",
             "show_max": True,
             "notes": ["(1) Sở D: không gửi biểu tự đánh giá."],
             "table": "Bảng 1. Kết quả xếp hạng", "chart_note": "(*) Đơn vị chưa đủ kết quả.",
             "caption_ranking": "Biểu đồ 1. Chỉ số", "caption_areas": "Biểu đồ 2. Lĩnh vực",
             "caption_change": "Biểu đồ 3. Thay đổi" if previous else "",
             "sentences": ["Sở A đạt cao nhất với 92,76 điểm."],
             "area_means": [{"code": "1", "name": "Chỉ đạo, điều hành", "percent": "85,30"}],
             "adjustment_sentences": ["Điểm sau thẩm định giảm bình quân 2,50 điểm."],
             "change_sentences": ["Điểm trung bình tăng 1,20 điểm so với năm 2019."] if previous else [],
             "ranking": [{"rank": "1", "name": "Sở A", "appraised": "70,00", "survey": "22,76",
                          "total": "92,76", "max": "100,00", "index": "92,76", "band": "Xuất sắc",
                          "change": "+1,20",
                          "rank_change": "+2"}],
             "chart_ranking": chart(), "chart_areas": chart(), "chart_change": chart() if previous else ""}
    return {**SHARED, "has_bands": bands, "title_line": "Kết quả xác định Chỉ số CCHC năm 2020",
            "basis": ["Căn cứ Kế hoạch số 178/KH-UBND"],
            "process": {"units_total": "42", "forms_sent": "42", "returns_accepted": "41",
                        "self_deadline": "ngày 15 tháng 01 năm 2021", "survey_issued": "2.100",
                        "survey_valid": "1.987", "survey_groups": [{"name": "Người dân", "issued": "1.000",
                                                                    "valid": "950"}],
                        "appraisal_units": "42", "appraisal_changed": "30",
                        "self_sentences": ["Sở Nội vụ đã gửi biểu tới 42 cơ quan, đơn vị."],
                        "appraisal_sentences": ["Hội đồng đã thẩm định 42 cơ quan, đơn vị."],
                        "survey_sentence": "Đã phát ra 2.100 phiếu, thu về 1.987 phiếu hợp lệ:"},
            "groups": [group], "missing": [], "has_previous": previous,
            "assessment": {"achieved": ["Tất cả 42 cơ quan, đơn vị đã tự đánh giá."],
                           "limits": ["Một số lĩnh vực đạt thấp."]}}


def render(kind: str, out: Path, context: dict | None = None, **report_flags) -> docx.document.Document:
    """Render a shipped template as formkit does; return the saved document, re-opened."""
    template = DocxTemplate(SHIPPED / KINDS[kind].file)
    if context is None:
        context = report_context(template, **report_flags)
    template.render(context, jinja_env=Environment(undefined=StrictUndefined), autoescape=True)
    fit_table_grids(template.docx)
    template.save(out)
    return docx.Document(str(out))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rendered")
    paths = {kind: folder / f"{kind}.docx" for kind in ("minutes", "decision", "report")}
    render("minutes", paths["minutes"], MINUTES)
    render("decision", paths["decision"], DECISION)
    render("report", paths["report"], previous=True, bands=True)
    return paths


def runs(document) -> list[Run]:
    return [Run(r, document._body) for r in document.element.body.iter(qn("w:r"))]


def run_with(document, text: str) -> Run:
    return next(run for run in runs(document) if text in run.text)


def paragraphs(document):
    """Every paragraph of the body, table cells included, in reading order."""
    return [Paragraph(p, document._body) for p in document.element.body.iter(qn("w:p"))]


def style(run: Run) -> tuple:
    """(bold, italic, size in pt, caps) as set on the run."""
    size = run.font.size.pt if run.font.size else None
    return bool(run.bold), bool(run.italic), size, bool(run.font.all_caps)


def has_page_field(part) -> bool:
    return any((i.text or "").strip() == "PAGE" for i in part._element.iter(qn("w:instrText")))


def test_the_sample_contexts_follow_the_contract(tmp_path):
    assert context_gaps("minutes", MINUTES) == []
    assert context_gaps("decision", DECISION) == []
    assert context_gaps("report", report_context(DocxTemplate(SHIPPED / KINDS["report"].file),
                                                 previous=True, bands=True)) == []


@pytest.mark.parametrize("kind", ["minutes", "decision", "report"])
def test_a4_portrait_margins_and_page_numbers_from_page_two(rendered, kind):
    for document in (docx.Document(str(SHIPPED / KINDS[kind].file)), docx.Document(str(rendered[kind]))):
        first = document.sections[0]
        assert (first.orientation, round(first.page_width.mm), round(first.page_height.mm)) == \
            (WD_ORIENT.PORTRAIT, 210, 297)
        assert [round(m.mm) for m in (first.top_margin, first.bottom_margin, first.left_margin,
                                      first.right_margin)] == [20, 20, 30, 15]
        assert first.different_first_page_header_footer
        assert has_page_field(first.header) and not has_page_field(first.first_page_header)
        assert first.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_times_new_roman_in_all_four_slots_and_body_text(rendered):
    document = docx.Document(str(rendered["report"]))
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    assert [fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "eastAsia", "cs")] == [FONT] * 4
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == "28"
    every = list(styles.iter(qn("w:rFonts"))) + list(document.element.iter(qn("w:rFonts")))
    assert all(set(f.attrib.values()) == {FONT} for f in every)  # no theme font, no other font
    body = document.styles["Body Text"].paragraph_format
    assert (body.alignment, round(body.first_line_indent.mm, 1), body.space_after, body.line_spacing) == \
        (WD_ALIGN_PARAGRAPH.JUSTIFY, 10, Pt(6), 1.0)
    first_body = next(p for p in paragraphs(document) if p.text.startswith("Xác định Chỉ số"))
    assert first_body.style.name == "Body Text"


@pytest.mark.parametrize("kind", ["minutes", "decision"])
def test_header_block(rendered, kind):
    document = docx.Document(str(rendered[kind]))
    context = MINUTES if kind == "minutes" else DECISION
    table = document.tables[0]
    assert table._tbl.tblPr.find(qn("w:tblStyle")) is None  # the default table style: no borders
    assert table._tbl.tblPr.find(qn("w:tblBorders")) is None
    (top_left, top_right), (bottom_left, bottom_right) = (row.cells for row in table.rows)
    issuing = context["header"]["issuing_body"]
    assert top_left.paragraphs[-2].text == issuing  # a line break in the value becomes a w:br
    assert style(run_with(document, issuing.split("\n")[0])) == (True, False, 13, True)
    if context["header"]["parent_body"]:
        assert top_left.paragraphs[0].text == context["header"]["parent_body"]
        assert style(top_left.paragraphs[0].runs[0]) == (False, False, 13, True)
    assert [p.text for p in top_right.paragraphs[:2]] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                        "Độc lập - Tự do - Hạnh phúc"]
    assert [style(p.runs[0])[:3] for p in top_right.paragraphs[:2]] == [(True, False, 13), (True, False, 14)]
    for cell in (top_left, top_right):  # the short rules under the issuing body and the motto
        assert cell.paragraphs[-1]._p.pPr.find(qn("w:pBdr")).find(qn("w:top")) is not None
    assert bottom_left.text == context["header"]["number_line"]
    assert style(bottom_left.paragraphs[0].runs[0])[2] == 13
    assert bottom_right.text == context["header"]["place_date"]
    assert style(bottom_right.paragraphs[0].runs[0]) == (False, True, 14, False)


def test_decision_body_closing_and_escaping(rendered):
    document = docx.Document(str(rendered["decision"]))
    texts = [p.text for p in paragraphs(document)]
    assert style(run_with(document, "QUYẾT ĐỊNH")) == (True, False, 14, True)
    assert style(run_with(document, "Về việc phê duyệt và công bố"))[:3] == (True, False, 14)
    basis = [p for p in paragraphs(document) if p.text.startswith(("Căn cứ ", "Theo đề nghị"))]
    assert [p.text[-1] for p in basis] == [";", ";", "."] and all(p.runs[0].italic for p in basis)
    assert style(run_with(document, "Điều 1."))[0] and "Phụ lục I và Phụ lục II" in texts[texts.index(
        next(t for t in texts if t.startswith("Điều 1.")))]
    assert style(run_with(document, "Nơi nhận:")) == (True, True, 12, False)
    recipients = [t for t in texts if t.startswith("- ")]
    assert recipients == ["- UBND Thành phố (để báo cáo);", "- Các sở, cơ quan tương đương Sở;",
                          "- Lưu: VT, CCHC."]
    assert style(run_with(document, "- Lưu: VT, CCHC."))[2] == 11
    for text in ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"):
        assert style(run_with(document, text)) == (True, False, 14, True)
    assert style(run_with(document, "Nguyễn Văn A"))[:3] == (True, False, 14)
    assert "Sở Kế hoạch & Đầu tư 1" in texts  # "&" in a unit's name, escaped on the way in


def test_appendices_in_a_landscape_section_with_page_numbers(rendered):
    document = docx.Document(str(rendered["decision"]))
    assert len(document.sections) == 2
    wide = document.sections[1]
    assert (wide.orientation, round(wide.page_width.mm), round(wide.page_height.mm)) == \
        (WD_ORIENT.LANDSCAPE, 297, 210)
    assert [round(m.mm) for m in (wide.top_margin, wide.bottom_margin, wide.left_margin,
                                  wide.right_margin)] == [30, 15, 20, 20]
    assert not wide.different_first_page_header_footer and has_page_field(wide.header)
    assert wide._sectPr.find(qn("w:pgNumType")) is None  # numbering continues from the decision
    titles = [p for p in paragraphs(document) if p.text.startswith("Phụ lục ")]
    assert [p.text for p in titles] == ["Phụ lục I", "Phụ lục II"]
    assert style(titles[0].runs[-1])[:3] == (True, False, 14)
    assert not titles[0]._p.findall(".//" + qn("w:br")) and titles[1]._p.findall(".//" + qn("w:br"))
    subtitle = run_with(document, "(Kèm theo Quyết định số      /QĐ-UBND ngày 05 tháng 3 năm 2021 của UBND")
    assert style(subtitle)[:2] == (False, True)
    for n, table in enumerate(document.tables[2:]):
        cells = len(table.rows[-1].cells)
        with_max = n == 0  # the sample's first appendix shows the applicable maximum
        assert cells == 2 + 8 + 5 + 1 + with_max and len(table._tbl.tblGrid.gridCol_lst) == cells
        assert abs(sum(col.w.mm for col in table._tbl.tblGrid.gridCol_lst) - 257) < 0.2
        assert table.rows[-1].cells[1].text == "Sở Kế hoạch & Đầu tư 3"


def test_minutes_table_and_signatures(rendered):
    document = docx.Document(str(rendered["minutes"]))
    table = document.tables[1]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    area, criterion, totals = table.rows[1], table.rows[2], table.rows[3]
    assert area.cells[0].paragraphs[0].runs[0].bold and not criterion.cells[0].paragraphs[0].runs[0].bold
    assert criterion.cells[1].text == "Kế hoạch <năm> & báo cáo"
    assert [c.text for c in totals.cells[1:]] == ["Tổng cộng", "70,00", "60,00", "58,50", "-1,50", ""]
    signatures = document.tables[2].rows[0].cells
    assert [c.paragraphs[0].text for c in signatures] == ["THƯ KÝ HỘI ĐỒNG", "CHỦ TỊCH HỘI ĐỒNG"]
    texts = [[p.text for p in c.paragraphs] for c in signatures]
    assert texts[0][1] == "Lê Thị Cúc" and texts[1][-1] == "Trần Văn Bình"
    assert texts[0][2] == "Nơi nhận:" and texts[0][-1] == "- Lưu: VT, CCHC."  # under the secretary
    assert document.tables[2].rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
    body = [p.text for p in paragraphs(document)]
    assert any("(thành lập theo Quyết định số 12/QĐ-UBND" in t for t in body)
    assert "3. Các thành viên Hội đồng (có mặt 03/03 thành viên):" in body
    assert any("Biên bản được lập thành 03 bản" in t for t in body)


def test_report_columns_follow_bands_and_previous_year(rendered, tmp_path):
    full = docx.Document(str(rendered["report"]))
    plain = render("report", tmp_path / "plain.docx", previous=False, bands=False)
    headers = [[c.text for c in doc.tables[1].rows[0].cells] for doc in (full, plain)]
    assert "Xếp loại" in headers[0] and len(headers[0]) == 10 and "Điểm tối đa áp dụng" in headers[0]
    assert "Xếp loại" not in headers[1] and len(headers[1]) == 7
    assert len(plain.tables[1]._tbl.tblGrid.gridCol_lst) == 7
    texts = [p.text for p in paragraphs(plain)]
    assert not any(t.startswith("d) So sánh") for t in texts)
    assert [t for t in texts if t[:3] in ("I. ", "II.", "III", "IV.", "V. ")] == [
        "I. CĂN CỨ VÀ MỤC ĐÍCH", "II. QUÁ TRÌNH TRIỂN KHAI",
        "III. KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020", "IV. ĐÁNH GIÁ CHUNG",
        "V. ĐỀ XUẤT, KIẾN NGHỊ"]
    assert len(full.inline_shapes) == 3 and len(plain.inline_shapes) == 2


def test_without_escaping_an_ampersand_loses_text(tmp_path):
    template = DocxTemplate(SHIPPED / KINDS["minutes"].file)
    template.render(MINUTES)  # autoescape off: the XML breaks and the parser drops what follows
    template.save(tmp_path / "raw.docx")
    texts = [p.text for p in paragraphs(docx.Document(str(tmp_path / "raw.docx")))]
    assert "Kế hoạch <năm> & báo cáo" not in texts


def build(out: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_report_templates.py"), str(out)],
                   check=True, capture_output=True)


def test_build_is_reproducible_and_the_shipped_templates_are_current(tmp_path):
    build(tmp_path / "a")
    build(tmp_path / "b")
    for kind in KINDS.values():
        first, second = (tmp_path / run / kind.file for run in ("a", "b"))
        assert first.read_bytes() == second.read_bytes()
        with zipfile.ZipFile(first) as fresh, zipfile.ZipFile(SHIPPED / kind.file) as shipped:
            assert {i.date_time for i in fresh.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            # the shipped file is the script's output: regenerate it, never edit it by hand
            assert fresh.read("word/document.xml") == shipped.read("word/document.xml")


def pdf_tool(name: str, *args: str) -> str:
    return subprocess.run([name, *args], check=True, capture_output=True, text=True).stdout


def page_size(pdf: str, page: int) -> tuple[int, int]:
    """(width, height) in points, rounded, of one page (A4 is 595 x 842)."""
    line = next(x for x in pdf_tool("pdfinfo", "-f", str(page), "-l", str(page), pdf).splitlines()
                if x.startswith("Page") and "size" in x)
    width, height = re.search(r"size:\s+([\d.]+) x ([\d.]+)", line).groups()
    return round(float(width)), round(float(height))


@pytest.mark.skipif(find_libreoffice() is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice or poppler-utils not installed")
def test_libreoffice_pdf_of_the_decision(rendered, tmp_path):
    pdf = str(convert(rendered["decision"], "pdf", tmp_path))
    assert (page_size(pdf, 1), page_size(pdf, 2)) == ((595, 842), (842, 595))
    fonts = pdf_tool("pdffonts", pdf).splitlines()[2:]
    assert fonts and all("TimesNewRoman" in f or "LiberationSerif" in f for f in fonts)
    first, second = (pdf_tool("pdftotext", "-f", str(n), "-l", str(n), pdf, "-").strip() for n in (1, 2))
    for text in ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Hà Nội, ngày 05 tháng 3 năm 2021", "QUYẾT ĐỊNH", "Nguyễn Văn A"):
        assert text in first
    assert not first.splitlines()[0].strip().isdigit()  # no page number on page 1
    assert second.splitlines()[0].strip() == "2" and "Phụ lục I" in second

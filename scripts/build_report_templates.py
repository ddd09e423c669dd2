"""Build the three Word templates of report_templates/ (run it after changing them; never edit by hand).

    python scripts/build_report_templates.py [OUT_DIR]

Layout comes from formkit.documents.decree30; variables follow report_templates/README.md. Each
tag is written as one run, so Word's formatting never splits it. The output is reproducible: the
same code gives the same bytes (fixed core properties, fixed zip entry times).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from docx.document import Document
from docx.enum.text import WD_BREAK
from docx.shared import Mm, Pt
from docx.table import Table, _Row

from formkit.documents import decree30 as d30
from formkit.documents.decree30 import CENTER, LEFT, body, heading, line
from formkit.documents.schema import KINDS
from formkit.documents.template import stable_zip

OUT = Path(__file__).resolve().parent.parent / "report_templates"
BUILT = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
END = "{% if loop.last %}.{% else %};{% endif %}"  # "- x;" lines, the last one "- x."
TAG_SIZE = 7  # pt: the text of docxtpl's column-tag cells, which never reach a document
PARENT_BODY = ("{%p if header.parent_body %}", "{{ header.parent_body }}", "{%p endif %}")


def optional(expression: str) -> list[str]:
    """A line that disappears, paragraph and all, when the value is empty."""
    return [f"{{%p if {expression} %}}", f"{{{{ {expression} }}}}", "{%p endif %}"]


SIGNER = [*optional("signer.authority"), *optional("signer.position"), *optional("signer.title")]
RECIPIENTS = ["{%p for x in recipients %}", "- {{ x }}" + END, "{%p endfor %}"]


def each(document: Document, loop: str, *spans: str | tuple[str, str]) -> None:
    """A body paragraph repeated by a docxtpl paragraph loop ("x in xs")."""
    body(document, f"{{%p for {loop} %}}")
    body(document, *spans)
    body(document, "{%p endfor %}")


def start(type_name: str, summary: str) -> Document:
    """A document with the Decree 30 header, type name and summary line."""
    document = d30.new_document()
    d30.header_table(document, above=PARENT_BODY, issuing="{{ header.issuing_body }}",
                     number="{{ header.number_line }}", place_date="{{ header.place_date }}")
    d30.title_block(document, type_name, summary)
    return document


def figures_table(document: Document, widths: Sequence[float], total: float) -> Table:
    """A table whose widths (docxtpl tag columns included) are scaled to add up to `total` mm."""
    return d30.grid_table(document, [width * total / sum(widths) for width in widths])


def row(table: Table, texts: Sequence[str], *, size: float, bold: bool = False, header: bool = False,
        align: Sequence = ()) -> _Row:
    """A table row; docxtpl's column-tag cells get small print so the template stays legible."""
    new = d30.table_row(table, texts, size=size, bold=bold, header=header, align=align or None)
    for cell, text in zip(new.cells, texts, strict=True):
        if text.startswith("{%tc"):
            cell.paragraphs[0].runs[0].font.size = Pt(TAG_SIZE)
    return new


def tag_row(table: Table, tag: str) -> None:
    """A row holding only a docxtpl row tag ({%tr … %}); docxtpl replaces the whole row by it."""
    row(table, [tag] + [""] * (len(table.columns) - 1), size=TAG_SIZE)


def loop_rows(table: Table, loop: str, rows: Sequence[str | tuple[Sequence[str], bool | str]], *,
              size: float, align: Sequence = ()) -> None:
    """Rows repeated by a docxtpl row loop: (cells, style) rows, style True (bold), False, "heading"
    (bold, kept with the next row) or "subheading" (kept with the next row); {%tr if %} tags between."""
    tag_row(table, f"{{%tr for {loop} %}}")
    for item in rows:
        if isinstance(item, str):
            tag_row(table, item)
        else:
            cells, style = item[0], item[1]
            new = row(table, cells, size=size, bold=style in (True, "heading"), align=align)
            if style in ("heading", "subheading"):  # a heading row stays on the page of its first item
                for paragraph in (p for c in new.cells for p in c.paragraphs):
                    paragraph.paragraph_format.keep_with_next = True
    tag_row(table, "{%tr endfor %}")


# ---- Biên bản thẩm định -----------------------------------------------------------------------

MINUTES_COLUMNS = (("TT", 13), ("Lĩnh vực, tiêu chí, tiêu chí thành phần", 62), ("Điểm tối đa", 14),
                   ("Điểm tự đánh giá", 14), ("Điểm thẩm định", 14), ("Điểm điều chỉnh (+/-)", 15),
                   ("Lý do điều chỉnh", 30))
MINUTES_CELLS = ["{{ r.code }}", "{{ r.text }}", "{{ r.max }}", "{{ r.self }}", "{{ r.appraised }}",
                 "{{ r.difference }}", "{{ r.reason }}"]
MINUTES_ALIGN = (CENTER, LEFT, CENTER, CENTER, CENTER, CENTER, LEFT)


def minutes() -> Document:
    document = start("BIÊN BẢN", "Thẩm định kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính "
                                 "năm {{ year }} của {{ unit.document_name }}")
    body(document, "Vào hồi {{ meeting.start }}, {{ meeting.date }}, tại {{ meeting.place }}, Hội đồng thẩm "
                   "định Chỉ số cải cách hành chính năm {{ year }}{% if meeting.council_basis %} (thành lập "
                   "theo {{ meeting.council_basis }}){% endif %} họp thẩm định kết quả tự đánh giá, chấm "
                   "điểm của {{ unit.document_name }}.")
    heading(document, "I. THÀNH PHẦN THAM DỰ")
    for label, who in (("1. Chủ trì", "meeting.chair"), ("2. Thư ký", "meeting.secretary")):
        body(document, f"{label}: {{{{ {who}.name }}}}{{% if {who}.position %}}, {{{{ {who}.position }}}}"
                       "{% endif %}.")
    body(document, "3. Các thành viên Hội đồng (có mặt {{ meeting.attendance }} thành viên):")
    each(document, "m in meeting.members", "- {{ m.name }}{% if m.position %}, {{ m.position }}{% endif %}"
         + END)
    heading(document, "II. NỘI DUNG THẨM ĐỊNH")
    body(document, "{%p if has_return %}")
    body(document, "Hội đồng đã xem xét biểu tự đánh giá, chấm điểm và tài liệu kiểm chứng của "
                   "{{ unit.document_name }}, đối chiếu với Bộ Chỉ số cải cách hành chính và hướng dẫn chấm "
                   "điểm. Kết quả thẩm định từng lĩnh vực, tiêu chí, tiêu chí thành phần như sau:")
    minutes_table(document)
    body(document, "{%p if survey_only %}")
    line(document, "Ghi chú: các tiêu chí, tiêu chí thành phần đánh giá qua điều tra xã hội học không có "
                   "trong bảng.", align=LEFT, size=12, italic=True, before=3)
    body(document, "{%p endif %}")
    body(document, "Điểm điều tra xã hội học của {{ unit.document_name }} ({{ survey_points }} điểm) không "
                   "thuộc phạm vi thẩm định của Hội đồng.", before=6)
    body(document, "{%p else %}")
    body(document, "{{ facts }}")
    body(document, "{%p endif %}")
    heading(document, "III. KẾT LUẬN")
    each(document, "s in conclusion", "{{ s }}")
    body(document, "{%p if missing %}")
    body(document, "Lưu ý: {{ missing }}.")
    body(document, "{%p endif %}")
    body(document, "Cuộc họp kết thúc vào hồi {{ meeting.end }} cùng ngày. Biên bản được lập thành "
                   "{{ meeting.copies }} bản, đã được đọc lại cho các thành viên dự họp cùng nghe và nhất "
                   "trí thông qua./.", keep_with_next=True)
    table = d30.signatures_table(document, [(["THƯ KÝ HỘI ĐỒNG"], "{{ meeting.secretary.name }}"),
                                            (["CHỦ TỊCH HỘI ĐỒNG"], "{{ meeting.chair.name }}")])
    left = table.cell(0, 0)  # Nơi nhận under the secretary's name: one row, never split from it
    d30.recipients_block(left, RECIPIENTS)
    return document


def minutes_table(document: Document) -> None:
    table = figures_table(document, [w for _, w in MINUTES_COLUMNS], d30.PORTRAIT.text_width)
    row(table, [name for name, _ in MINUTES_COLUMNS], size=12, bold=True, header=True)
    loop_rows(table, "r in rows", ["{%tr if r.level == 1 %}", (MINUTES_CELLS, "heading"),
                                   "{%tr elif r.heading %}", (MINUTES_CELLS, "subheading"), "{%tr else %}",
                                   (MINUTES_CELLS, False), "{%tr endif %}"], size=12, align=MINUTES_ALIGN)
    row(table, ["Tổng cộng", "", "{{ totals.max }}", "{{ totals.self }}", "{{ totals.appraised }}",
                "{{ totals.difference }}", ""], size=12, bold=True)
    table.cell(len(table.rows) - 1, 0).merge(table.cell(len(table.rows) - 1, 1))


# ---- Báo cáo kết quả ---------------------------------------------------------------------------

RANKING_COLUMNS = (("Xếp hạng", 12), ("Cơ quan, đơn vị", 50), ("Điểm thẩm định", 16),
                   ("Điểm điều tra XHH", 16), ("Tổng điểm", 15), ("{%tc if g.show_max %}", 5),
                   ("Điểm tối đa áp dụng", 15), ("{%tc endif %}", 5), ("Chỉ số (%)", 14),
                   ("{%tc if has_bands %}", 5), ("Xếp loại", 19), ("{%tc endif %}", 5),
                   ("{%tc if has_previous %}", 5), ("Điểm tăng, giảm so với năm trước", 16),
                   ("Hạng tăng, giảm so với năm trước", 16), ("{%tc endif %}", 5))
RANKING_CELLS = ["{{ r.rank }}", "{{ r.name }}", "{{ r.appraised }}", "{{ r.survey }}", "{{ r.total }}",
                 "{%tc if g.show_max %}", "{{ r.max }}", "{%tc endif %}", "{{ r.index }}",
                 "{%tc if has_bands %}", "{{ r.band }}", "{%tc endif %}",
                 "{%tc if has_previous %}", "{{ r.change }}", "{{ r.rank_change }}", "{%tc endif %}"]


def subheading(document: Document, text: str, style: str = "b") -> None:
    body(document, (text, style), keep_with_next=True)


def report() -> Document:
    document = start("BÁO CÁO", "{{ title_line }}")
    heading(document, "I. CĂN CỨ VÀ MỤC ĐÍCH")
    subheading(document, "1. Căn cứ")
    each(document, "b in basis", "- {{ b }}" + END)
    subheading(document, "2. Mục đích")
    body(document, "Xác định Chỉ số cải cách hành chính nhằm theo dõi, đánh giá thực chất, khách quan, công "
                   "bằng kết quả thực hiện nhiệm vụ cải cách hành chính hằng năm của các cơ quan, đơn vị; "
                   "qua đó chỉ rõ những kết quả đạt được, những tồn tại, hạn chế để có giải pháp nâng cao "
                   "hiệu quả công tác cải cách hành chính trong thời gian tới.")
    heading(document, "II. QUÁ TRÌNH TRIỂN KHAI")
    report_process(document)
    heading(document, "III. KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {{ year }}")
    body(document, "{{ rank_rule }} {{ rounding_note }}")
    body(document, "{%p if band_rule %}")
    body(document, "{{ band_rule }}")
    body(document, "{%p endif %}")
    body(document, "{%p for g in groups %}")
    report_group(document)
    body(document, "{%p endfor %}")
    report_assessment(document)
    d30.closing_table(document, RECIPIENTS, SIGNER, "{{ signer.name }}")
    return document


def report_process(document: Document) -> None:
    subheading(document, "1. Tự đánh giá, chấm điểm")
    each(document, "s in process.self_sentences", "{{ s }}")
    subheading(document, "2. Thẩm định kết quả tự đánh giá")
    each(document, "s in process.appraisal_sentences", "{{ s }}")
    subheading(document, "3. Điều tra xã hội học")
    body(document, "{{ process.survey_sentence }}")
    each(document, "s in process.survey_groups", "- {{ s.name }}: phát ra {{ s.issued }} phiếu, thu về "
                                                 "{{ s.valid }} phiếu hợp lệ" + END)


def report_group(document: Document) -> None:
    """One unit type's results: figures in words, ranking table, charts, areas, appraisal, change."""
    subheading(document, "{{ loop.index }}. {{ g.heading }}")
    subheading(document, "a) Kết quả chung", "i")
    each(document, "s in g.sentences", "{{ s }}")
    caption = line(document, "{{ g.table }}", size=13, bold=True, before=6, after=6)
    caption.paragraph_format.keep_with_next = True  # the caption starts the page of its table
    table = figures_table(document, [w for _, w in RANKING_COLUMNS], d30.PORTRAIT.text_width)
    row(table, [name for name, _ in RANKING_COLUMNS], size=12, bold=True, header=True)
    align = [LEFT if cell == "{{ r.name }}" else CENTER for cell in RANKING_CELLS]
    loop_rows(table, "r in g.ranking", [(RANKING_CELLS, False)], size=12, align=align)
    notes(document, "g.notes")
    chart(document, "g.chart_ranking", "g.caption_ranking", "g.chart_note")
    subheading(document, "b) Kết quả theo từng lĩnh vực", "i")
    body(document, "Tỷ lệ điểm đạt được bình quân so với điểm tối đa của từng lĩnh vực như sau:")
    each(document, "a in g.area_means", "- {{ a.name }}: {{ a.percent }}%" + END)
    chart(document, "g.chart_areas", "g.caption_areas")
    subheading(document, "c) Kết quả thẩm định", "i")
    each(document, "s in g.adjustment_sentences", "{{ s }}")
    body(document, "{%p if has_previous %}")
    subheading(document, "d) So sánh với kết quả năm trước", "i")
    each(document, "s in g.change_sentences", "{{ s }}")
    chart(document, "g.chart_change", "g.caption_change")
    body(document, "{%p endif %}")


def chart(document: Document, image: str, caption: str, note: str = "") -> None:
    """A chart, its numbered caption under it, and an optional note."""
    line(document, f"{{{{ {image} }}}}", before=12, after=3)
    line(document, f"{{{{ {caption} }}}}", size=13, bold=True, after=3)
    if note:
        note_line(document, note)


def notes(document: Document, items: str) -> None:
    """Numbered notes under a table: each unit without complete data and why."""
    body(document, f"{{%p for n in {items} %}}")
    line(document, "{{ n }}", align=LEFT, size=11, italic=True)
    body(document, "{%p endfor %}")


def note_line(document: Document, expression: str) -> None:
    """An italic note under a table, left out when the value is empty."""
    body(document, f"{{%p if {expression} %}}")
    line(document, f"{{{{ {expression} }}}}", align=LEFT, size=11, italic=True)
    body(document, "{%p endif %}")


def report_assessment(document: Document) -> None:
    """Section IV from the figures; section V: proposals the Sở may edit in Word before signing."""
    heading(document, "IV. ĐÁNH GIÁ CHUNG")
    subheading(document, "1. Kết quả đạt được")
    each(document, "s in assessment.achieved", "{{ s }}")
    subheading(document, "2. Tồn tại, hạn chế")
    each(document, "s in assessment.limits", "{{ s }}")
    heading(document, "V. ĐỀ XUẤT, KIẾN NGHỊ")
    body(document, "1. Đề nghị Ủy ban nhân dân Thành phố phê duyệt và công bố Chỉ số cải cách hành chính "
                   "năm {{ year }} của các cơ quan, đơn vị.")
    body(document, "2. Đề nghị các cơ quan, đơn vị căn cứ kết quả Chỉ số cải cách hành chính năm {{ year }}, "
                   "phân tích những tồn tại, hạn chế ở từng lĩnh vực, tiêu chí để có giải pháp khắc phục, "
                   "nâng cao hiệu quả công tác cải cách hành chính trong năm tiếp theo.")
    body(document, "Trên đây là kết quả xác định Chỉ số cải cách hành chính năm {{ year }}, kính báo cáo Ủy "
                   "ban nhân dân Thành phố xem xét, quyết định./.", keep_with_next=True)


# ---- Quyết định công bố -----------------------------------------------------------------------

APPENDIX_WIDTHS = (12, 50, 6, 12, 6, 15, 15, 14, 6, 14, 6, 14, 13, 6, 19, 6)  # mm, scaled to the page
SHOW_MAX = ("{%tc if ap.show_max %}", "{%tc endif %}")  # the applicable maximum, when units' differ
APPENDIX_TOP = ["STT", "Cơ quan, đơn vị", "Điểm các lĩnh vực", "", "", "Điểm thẩm định", "Điểm điều tra XHH",
                "Tổng điểm", SHOW_MAX[0], "Điểm tối đa áp dụng", SHOW_MAX[1], "Chỉ số (%)", "Xếp hạng",
                "{%tc if has_bands %}", "Xếp loại", "{%tc endif %}"]
APPENDIX_UNDER = ["", "", "{%tc for a in ap.areas %}", "{{ a.code }}", "{%tc endfor %}", "", "", "",
                  SHOW_MAX[0], "", SHOW_MAX[1], "", "", "{%tc if has_bands %}", "", "{%tc endif %}"]
APPENDIX_CELLS = ["{{ r.stt }}", "{{ r.name }}", "{%tc for v in r.areas %}", "{{ v }}", "{%tc endfor %}",
                  "{{ r.appraised }}", "{{ r.survey }}", "{{ r.total }}", SHOW_MAX[0], "{{ r.max }}",
                  SHOW_MAX[1], "{{ r.index }}", "{{ r.rank }}", "{%tc if has_bands %}", "{{ r.band }}",
                  "{%tc endif %}"]
AREA_SPAN = (2, 4)  # "Điểm các lĩnh vực" spans the area loop's columns (tag, area, tag)
SPANNED = (0, 1, 5, 6, 7, 9, 11, 12, 14)  # header cells that stand over both header rows


ARTICLE_2 = ("Căn cứ kết quả Chỉ số cải cách hành chính năm {{ year }}, Thủ trưởng các sở, cơ quan "
             "tương đương Sở, Chủ tịch Ủy ban nhân dân các quận, huyện, thị xã có trách nhiệm phân tích, "
             "đánh giá những tồn tại, hạn chế ở từng lĩnh vực, tiêu chí, tiêu chí thành phần bị trừ điểm; "
             "xác định rõ nguyên nhân và đề ra giải pháp khắc phục, nâng cao hiệu quả công tác cải cách "
             "hành chính của cơ quan, đơn vị trong năm tiếp theo.")
ARTICLE_3 = ("Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân Thành phố, Giám đốc "
             "Sở Nội vụ, Thủ trưởng các sở, cơ quan tương đương Sở, Chủ tịch Ủy ban nhân dân các quận, "
             "huyện, thị xã và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định "
             "này./.")


def decision() -> Document:
    document = start("QUYẾT ĐỊNH", "{{ summary }}")
    line(document, "{{ authority }}", size=14, bold=True, caps=True, after=12)
    each(document, "b in basis", ("{{ b }}{% if loop.last and not proposal %}.{% else %};{% endif %}", "i"))
    body(document, "{%p if proposal %}")
    body(document, ("{{ proposal }}.", "i"))
    body(document, "{%p endif %}")
    line(document, "QUYẾT ĐỊNH:", size=14, bold=True, before=6, after=12)
    body(document, ("Điều 1.", "b"), " {{ approval }} (chi tiết tại {% for ap in appendices %}Phụ lục "
                                     "{{ ap.numeral }}{% if not loop.last %} và {% endif %}{% endfor %} "
                                     "kèm theo Quyết định này).")
    body(document, "{{ rank_rule }}")
    body(document, "{%p if band_rule %}")
    body(document, "{{ band_rule }}")
    body(document, "{%p endif %}")
    body(document, ("Điều 2.", "b"), " " + ARTICLE_2)
    body(document, ("Điều 3.", "b"), " " + ARTICLE_3, keep_with_next=True)
    d30.closing_table(document, RECIPIENTS, SIGNER, "{{ signer.name }}")
    d30.landscape_section(document)
    body(document, "{%p for ap in appendices %}")
    appendix(document)
    body(document, "{%p endfor %}")
    return document


def appendix(document: Document) -> None:
    """One appendix: from the second on, it starts on a new page (a run-level page break)."""
    title = line(document, size=14)
    d30.add_run(title, "{%r if not loop.first %}")
    title.add_run().add_break(WD_BREAK.PAGE)
    d30.add_run(title, "{%r endif %}")
    d30.add_run(title, "Phụ lục {{ ap.numeral }}", bold=True, size=14)
    line(document, "{{ ap.title }}", size=14, bold=True, caps=True)
    line(document, "(Kèm theo Quyết định {{ reference }} của UBND Thành phố)", size=14, italic=True)
    d30.rule(document, 40, d30.LANDSCAPE.text_width)
    line(document, after=6)
    appendix_table(document)
    line(document, "Ghi chú: các lĩnh vực {% for a in ap.areas %}{{ a.code }}. {{ a.name }}"
                   "{% if not loop.last %}; {% else %}.{% endif %}{% endfor %}", align=LEFT, size=12,
         italic=True, before=6)
    notes(document, "ap.notes")
    note_line(document, "ap.coverage")
    line(document, "{{ rounding_note }}", align=LEFT, size=11, italic=True)


def appendix_table(document: Document) -> None:
    table = figures_table(document, APPENDIX_WIDTHS, d30.LANDSCAPE.text_width)
    row(table, APPENDIX_TOP, size=11, bold=True, header=True)
    row(table, APPENDIX_UNDER, size=11, bold=True, header=True)
    for header_row in table.rows[:2]:  # room for four-line headings where the header repeats
        header_row.height = Mm(10)
    span = table.cell(0, AREA_SPAN[0]).merge(table.cell(0, AREA_SPAN[1]))
    d30.add_run(span.paragraphs[0], "{% colspan ap.areas|length %}", size=TAG_SIZE)
    for column in SPANNED:
        table.cell(0, column).merge(table.cell(1, column))
    align = [LEFT if cell == "{{ r.name }}" else CENTER for cell in APPENDIX_CELLS]
    loop_rows(table, "r in ap.rows", [(APPENDIX_CELLS, False)], size=11, align=align)


BUILDERS: dict[str, Callable[[], Document]] = {"minutes": minutes, "report": report, "decision": decision}


def save(document: Document, path: Path, title: str) -> None:
    """Fixed core properties and zip entry times: the same code always gives the same bytes."""
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = title, "formkit", "formkit"
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.created = properties.modified = BUILT
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(stable_zip(buffer.getvalue()))


def main(argv: Sequence[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    for kind, build in BUILDERS.items():
        save(build(), out / KINDS[kind].file, KINDS[kind].title.capitalize())
        print(out / KINDS[kind].file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

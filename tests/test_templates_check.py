"""formkit.documents.lint: each seeded template defect is found at its paragraph; shipped ones pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from formkit.documents.lint import check_template
from formkit.documents.schema import KINDS, context_gaps, lookup, split_path
from formkit.findings import Severity

SHIPPED = Path(__file__).resolve().parent.parent / "report_templates"


def projection(findings) -> list[tuple]:
    return [(f.code, f.item) for f in findings]


def paragraph_number(document, paragraph) -> int:
    """The paragraph's number as the checker counts: every w:p of the body, in reading order."""
    return list(document.element.body.iter(qn("w:p"))).index(paragraph._p) + 1


def find(document, text: str):
    """The first paragraph of the body (cells included) whose text contains `text`."""
    return next(p for p in _all_paragraphs(document) if text in p.text)


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def seeded(tmp_path: Path, kind: str, change) -> tuple[Path, object]:
    """A copy of a shipped template, changed by `change(document)`, under the shipped file name."""
    document = docx.Document(str(SHIPPED / KINDS[kind].file))
    result = change(document)
    path = tmp_path / KINDS[kind].file
    document.save(str(path))
    return path, result


def test_shipped_templates_pass():
    assert check_template(SHIPPED) == []


def test_a_tag_split_across_runs_is_found_in_its_table_cell(tmp_path):
    def split(document):
        paragraph = find(document, "{{ header.number_line }}")
        paragraph.runs[0].text = "{{ header.num"
        paragraph.add_run("ber_line }}")
        return paragraph_number(document, paragraph)

    path, number = seeded(tmp_path, "report", split)
    findings = check_template(path)
    assert projection(findings) == [("template.split_tag", f"bảng 1, hàng 2, cột 1 (đoạn {number})")]
    assert findings[0].severity is Severity.WARNING and findings[0].file == str(path)


def test_curly_quotes_inside_a_tag_are_found(tmp_path):
    def curl(document):
        paragraph = document.add_paragraph("{% if unit.name == “Cầu Giấy” %}Quận trung tâm.{% endif %}")
        return paragraph_number(document, paragraph)

    path, number = seeded(tmp_path, "minutes", curl)
    assert projection(check_template(path)) == [("template.curly_quotes", f"đoạn {number}")]


def test_split_tags_and_curly_quotes_are_warnings_because_docxtpl_repairs_them(tmp_path):
    def seed(document):
        paragraph = document.add_paragraph("{{ unit.na")
        paragraph.add_run("me }}{% if unit.code == “005” %} (mã 005){% endif %}")

    path, _ = seeded(tmp_path, "minutes", seed)
    assert {(f.code, f.severity) for f in check_template(path)} == {
        ("template.split_tag", Severity.WARNING), ("template.curly_quotes", Severity.WARNING)}
    small = docx.Document()
    seed(small)
    small.save(str(tmp_path / "small.docx"))
    template = DocxTemplate(tmp_path / "small.docx")
    template.render({"unit": {"name": "Cầu Giấy", "code": "005"}})
    assert template.docx.paragraphs[-1].text == "Cầu Giấy (mã 005)"


def test_unknown_variables_are_named_with_their_paragraph(tmp_path):
    def typos(document):
        paragraph = find(document, "Vào hồi {{ meeting.start }}")
        paragraph.runs[0].text = paragraph.runs[0].text.replace("meeting.start", "meeting.begin")
        added = document.add_paragraph("Đơn vị: {{ unit_name }}; khối {{ unit.type_label }}.")
        return paragraph_number(document, paragraph), paragraph_number(document, added)

    path, (edited, added) = seeded(tmp_path, "minutes", typos)
    findings = check_template(path)
    assert projection(findings) == [("template.unknown_variable", f"đoạn {edited}"),
                                    ("template.unknown_variable", f"đoạn {added}")]
    assert "'meeting.begin'" in findings[0].message and "start" in findings[0].message
    assert "'unit_name'" in findings[1].message


def test_a_loop_variable_is_checked_against_its_list_items(tmp_path):
    def typo(document):
        paragraph = find(document, "{{ r.reason }}")
        paragraph.runs[0].text = "{{ r.reasons }}"
        return paragraph_number(document, paragraph)

    path, number = seeded(tmp_path, "minutes", typo)
    findings = check_template(path)
    assert projection(findings)[0][0] == "template.unknown_variable"
    assert "rows[].reasons" in findings[0].message and findings[0].item.endswith(f"(đoạn {number})")


def test_required_variables_missing_from_the_template(tmp_path):
    def strip(document):
        find(document, "{{ signer.name }}").runs[0].text = "Nguyễn Văn A"
        find(document, "{{ header.place_date }}").runs[0].text = "Hà Nội, ngày … tháng … năm …"
        table = document.tables[-1]  # the appendix table
        table._tbl.getparent().remove(table._tbl)

    path, _ = seeded(tmp_path, "decision", strip)
    missing = {f.message.split("'")[1] for f in check_template(path) if f.code == "template.missing_variable"}
    assert missing == {"header.place_date", "signer.name", "appendices[].rows", "appendices[].rows[].areas",
                       "appendices[].rows[].appraised", "appendices[].rows[].survey",
                       "appendices[].rows[].total", "appendices[].rows[].index", "appendices[].rows[].rank",
                       "appendices[].rows[].band"}


def test_an_unclosed_loop_is_reported_where_it_opens(tmp_path):
    def unclose(document):
        closing = [p for p in document.paragraphs if p.text == "{%p endfor %}"][-1]
        opening = find(document, "{%p for ap in appendices %}")
        closing._p.getparent().remove(closing._p)
        return paragraph_number(document, opening)

    path, number = seeded(tmp_path, "decision", unclose)
    findings = check_template(path)
    assert projection(findings) == [("template.syntax", f"đoạn {number}")]
    assert "endfor" in findings[0].message


def test_a_stray_end_tag_and_a_bad_expression_are_reported(tmp_path):
    def break_(document):
        stray = document.add_paragraph("{% endif %}")
        return paragraph_number(document, stray)

    path, number = seeded(tmp_path, "report", break_)
    assert projection(check_template(path)) == [("template.syntax", f"đoạn {number}")]

    def bad(document):
        paragraph = document.add_paragraph("Tổng: {{ year + }}")
        return paragraph_number(document, paragraph)

    path, number = seeded(tmp_path, "report", bad)
    findings = check_template(path)
    assert projection(findings) == [("template.syntax", f"đoạn {number}")]
    assert "Tổng: {{ year + }}" in findings[0].message


def test_a_tag_left_open_in_its_paragraph(tmp_path):
    def cut(document):
        paragraph = document.add_paragraph("Tên: {{ unit.name }")
        return paragraph_number(document, paragraph)

    path, number = seeded(tmp_path, "minutes", cut)
    assert projection(check_template(path)) == [("template.unclosed_tag", f"đoạn {number}")]


def test_kind_from_the_file_name_or_given(tmp_path):
    own = tmp_path / "mau_rieng.docx"
    shutil.copy(SHIPPED / KINDS["minutes"].file, own)
    assert projection(check_template(own)) == [("template.unknown_kind", None)]
    assert check_template(own, kind="minutes") == []
    assert {f.code for f in check_template(own, kind="decision")} == {"template.missing_variable",
                                                                       "template.unknown_variable"}


def test_a_file_that_is_not_a_word_document(tmp_path):
    fake = tmp_path / KINDS["report"].file
    fake.write_bytes(b"not a zip")
    assert [f.code for f in check_template(fake)] == ["template.not_docx"]
    assert [f.code for f in check_template(tmp_path / "missing.docx")] == ["file.missing"]


def test_context_gaps_name_every_missing_variable():
    context = {**dict.fromkeys(KINDS["minutes"].variables, ""), "rows": [{"code": "1"}],
               "header": {"parent_body": "", "issuing_body": "", "number_line": ""}}
    gaps = context_gaps("minutes", context)
    assert "header.place_date" in gaps and "rows[].reason" in gaps and "rows[].code" not in gaps
    assert context_gaps("report", object()) == list(KINDS["report"].variables)  # attributes count too


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_required_variable_is_in_the_contract(kind):
    assert all(lookup(KINDS[kind].variables, split_path(name))[0] for name in KINDS[kind].required)

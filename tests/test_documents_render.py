"""Rendering the documents: the Word files' figures, escaping, determinism, overrides, charts, PDF, CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import warnings
import zipfile
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import run_cli
from docx import Document
from docxtpl import DocxTemplate
from lxml import etree
from test_documents_context import fmt, in_rank_order

from formkit.appraisal import current_appraisal
from formkit.consolidate import EXCLUDED, MISSING_ZERO, consolidate, round_half_up
from formkit.documents.charts import FALLBACK_FAMILY, area_chart, chart_font, ranking_chart
from formkit.documents.common import count
from formkit.documents.render import convert_to_pdf, render_documents
from formkit.documents.template import PreparedTemplate, find_template
from formkit.errors import FormkitError
from formkit.fonts import VIETNAMESE
from formkit.office import find_libreoffice
from formkit.resources import report_templates_root
from formkit.survey.status import survey_status
from formkit.workspace import open_workspace


@pytest.fixture(scope="module")
def workspace(demo_campaign):
    return open_workspace(demo_campaign)


@pytest.fixture(scope="module")
def results(workspace):
    return consolidate(workspace)


@pytest.fixture(scope="module")
def demo_bytes(workspace):
    """The documents as `formkit demo` wrote them, read before anything renders them again."""
    return {p: p.read_bytes() for p in (workspace.out_dir / "documents").rglob("*.docx")}


@pytest.fixture(scope="module")
def documents(workspace, demo_bytes):
    return render_documents(workspace)


@pytest.fixture
def own_copy(workspace, tmp_path):
    """A copy of the demo workspace a test may change."""
    shutil.copytree(workspace.root, tmp_path / "ws", ignore=shutil.ignore_patterns("out"))
    return tmp_path / "ws"


def tables_starting(path, first: str) -> list:
    return [t for t in Document(str(path)).tables if t.rows[0].cells[0].text == first]


def text_of(path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def tiny_template(path, *lines: str, table_loop: str = "") -> None:
    """A template built with python-docx: one run per paragraph, an optional docxtpl row loop."""
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    if table_loop:
        table = document.add_table(rows=3, cols=2)
        table.cell(0, 0).text = "{%tr for " + table_loop + " %}"
        table.cell(1, 0).text, table.cell(1, 1).text = "{{ r.name }}", "{{ r.total }}"
        table.cell(2, 0).text = "{%tr endfor %}"
        document.add_paragraph("Kết thúc văn bản.")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def test_appendix_tables_are_the_consolidation(workspace, results, documents):
    names = {u.code: u.document_name for u in workspace.units}
    tables = tables_starting(documents.decision, "STT")
    assert len(tables) == 2  # Phụ lục I (Sở) and II (districts)
    for unit_type, table in zip(("so", "district"), tables, strict=True):
        rows = [[c.text for c in row.cells] for row in table.rows[2:]]
        codes = [code for code, _ in results.trees[unit_type].areas]
        expected = []
        marks = 0
        for n, unit in enumerate(in_rank_order(results.of_type(unit_type)), start=1):
            areas = {a.code: fmt(a.total) for a in unit.areas}
            marks += bool(unit.gaps)
            expected.append([str(n), names[unit.code] + (f" ({marks})" if unit.gaps else ""),
                             *(areas.get(c, "") for c in codes), fmt(unit.appraised), fmt(unit.survey),
                             fmt(unit.total), fmt(unit.applicable_max), fmt(unit.index), str(unit.rank),
                             unit.band])
        assert rows == expected  # the applicable maximum shows: the example's maxima differ


def test_report_tables_and_sentences_are_the_consolidation(workspace, results, documents):
    """Tables as consolidated; statistics on the index over the units with complete data."""
    names = {u.code: u.document_name for u in workspace.units}
    tables = tables_starting(documents.report, "Xếp hạng")
    text = " ".join(text_of(documents.report).split())
    for summary, table in zip(results.summaries, tables, strict=True):
        units = in_rank_order(results.of_type(summary.unit_type))
        marks, expected = 0, []
        for u in units:
            marks += bool(u.gaps)
            expected.append([str(u.rank), names[u.code] + (f" ({marks})" if u.gaps else ""), fmt(u.appraised),
                             fmt(u.survey), fmt(u.total), fmt(u.applicable_max), fmt(u.index), u.band])
        assert [[c.text for c in row.cells] for row in table.rows[1:]] == expected
        complete = [u for u in units if u.complete]
        best = max(complete, key=lambda u: round_half_up(u.index))
        worst = min(complete, key=lambda u: round_half_up(u.index))
        assert f"là {fmt(summary.mean_index)}%;" in text
        assert f"{names[best.code]} đạt cao nhất với Chỉ số {fmt(best.index)}%" in text
        assert f"thấp nhất là {names[worst.code]} với Chỉ số {fmt(worst.index)}%" in text
        assert (f"có {count(summary.above_mean)} đơn vị đạt trên mức trung bình và "
                f"{count(summary.below_mean)} đơn vị dưới mức trung bình") in text
        for code, name in results.trees[summary.unit_type].areas:
            assert f"{name}: {fmt(summary.area_mean_percent[code])}%" in text
        appraised = [u for u in complete if u.appraised_by_council]
        mean_self = sum(Fraction(u.self_total) for u in appraised) / len(appraised)
        mean_appraised = sum(Fraction(u.appraised) for u in appraised) / len(appraised)
        assert f"là {fmt(mean_self)} điểm; sau thẩm định còn {fmt(mean_appraised)} điểm" in text
        for unit in units:
            if unit.gaps:
                assert all(note in text for note in unit.notes), unit.code
    everything = survey_status(workspace).totals()[-1]
    issued, valid = count(everything.issued), count(everything.valid)
    assert f"phát ra {issued} phiếu điều tra xã hội học, thu về {valid}" in text
    media = [n for n in zipfile.ZipFile(documents.report).namelist() if n.startswith("word/media/")]
    assert len(media) == 2 * len(results.summaries)  # ranking and area charts per unit type
    assert "Biểu đồ 3. Chỉ số cải cách hành chính năm 2020" in text  # numbered across unit types


def test_minutes_of_a_unit_without_a_return_say_so(workspace, results, documents):
    paths = {p.name.split(" ")[0]: p for p in documents.minutes}
    for unit in results.units:
        text = text_of(paths[unit.code])
        reviewed = "Hội đồng đã xem xét biểu tự đánh giá" in text
        assert reviewed == (unit.status not in (MISSING_ZERO, EXCLUDED)), unit.code
        assert reviewed != ("tính điểm các tiêu chí thẩm định của" in text), unit.code
        if not reviewed:  # what happened, then the council's decision, each said once
            assert text.count("Hội đồng thống nhất") == 1 and "Điểm tự đánh giá" not in text


def test_minutes_totals_are_the_councils(workspace, documents):
    paths = {p.name.split(" ")[0]: p for p in documents.minutes}
    assert len(paths) == len(workspace.units) == 52
    for appraisal in current_appraisal(workspace):
        table = tables_starting(paths[appraisal.unit], "TT")[0]
        rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
        assert rows["Tổng cộng"][3:5] == [fmt(appraisal.self_total), fmt(appraisal.total)]
        for score in appraisal.scores:
            assert rows[score.leaf][4] == fmt(score.appraised)
            assert rows[score.leaf][6] == score.reason


def test_same_inputs_give_identical_bytes(demo_bytes, documents):
    assert len(demo_bytes) == len(documents.documents) == 54
    assert {p: p.read_bytes() for p in documents.documents} == demo_bytes


def test_values_are_escaped(tmp_path):
    path = tmp_path / "t.docx"
    tiny_template(path, "Đơn vị: {{ name }}", table_loop="r in rows")
    name = 'Sở "A" & B <C>'
    context = {"name": name, "rows": [{"name": name, "total": "92,76"}]}
    data = PreparedTemplate(path).render(context, date(2021, 1, 5))
    etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))  # well-formed
    document = Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == [f"Đơn vị: {name}", "Kết thúc văn bản."]
    assert [c.text for c in document.tables[0].rows[0].cells] == [name, "92,76"]
    unescaped = DocxTemplate(str(path))  # what docxtpl does by default: the rest of the text is lost
    unescaped.render(context)
    buffer = io.BytesIO()
    unescaped.save(buffer)
    assert "Kết thúc văn bản." not in [p.text for p in Document(buffer).paragraphs]


def test_a_line_break_in_a_value_stays_a_line_break(tmp_path):
    path = tmp_path / "t.docx"
    tiny_template(path, "Lý do: {{ reason }}")
    data = PreparedTemplate(path).render({"reason": "Thiếu tài liệu\nkiểm chứng"}, date(2021, 1, 5))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert "Thiếu tài liệu</w:t><w:br/>" in xml
    assert Document(io.BytesIO(data)).paragraphs[0].text == "Lý do: Thiếu tài liệu\nkiểm chứng"


def test_workspace_templates_override_the_shipped_ones(own_copy):
    tiny_template(own_copy / "templates" / "bao_cao_ket_qua.docx", "MẪU RIÊNG {{ title_line }}")
    result = render_documents(open_workspace(own_copy))
    assert result.templates["report"] == own_copy / "templates" / "bao_cao_ket_qua.docx"
    assert result.templates["decision"] == report_templates_root() / "quyet_dinh_cong_bo.docx"
    assert text_of(result.report).startswith("MẪU RIÊNG Kết quả xác định Chỉ số cải cách hành chính")
    settings = own_copy / "campaign.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "  # templates: mau_van_ban", "  templates: mau_van_ban"), encoding="utf-8")
    tiny_template(own_copy / "mau_van_ban" / "quyet_dinh_cong_bo.docx", "QĐ RIÊNG {{ authority }}")
    moved = open_workspace(own_copy)
    assert find_template(moved, "report") == report_templates_root() / "bao_cao_ket_qua.docx"
    assert find_template(moved, "decision") == own_copy / "mau_van_ban" / "quyet_dinh_cong_bo.docx"


def test_a_broken_template_is_reported_and_checked(own_copy):
    tiny_template(own_copy / "templates" / "bien_ban_tham_dinh.docx", "{{ khong_co_bien }}")
    with pytest.raises(FormkitError, match="khong_co_bien"):
        render_documents(open_workspace(own_copy))
    assert run_cli("report", own_copy).exit_code == 2
    checked = run_cli("templates", "check", own_copy, "--json")
    assert checked.exit_code == 1
    found = {(Path(r["path"]).name, f["code"]) for r in json.loads(checked.stdout) for f in r["findings"]}
    assert ("bien_ban_tham_dinh.docx", "template.unknown_variable") in found
    assert run_cli("templates", "check", report_templates_root()).exit_code == 0


def test_incomplete_data_stops_the_report_unless_allowed(own_copy):
    with sqlite3.connect(own_copy / "ledger.sqlite") as ledger:  # the council's sheet for 005 rejected
        ledger.execute("UPDATE appraisals SET status = 'rejected' WHERE unit_code = '005'")
    refused = run_cli("report", own_copy)
    assert refused.exit_code == 2 and "005" in refused.output
    drafted = run_cli("report", own_copy, "--allow-incomplete", "--json")
    assert drafted.exit_code == 1
    summary = json.loads(drafted.stdout)
    assert not summary["ok"] and any(line.startswith("005 ") for line in summary["missing"])
    minutes = Path(next(p for p in summary["minutes"] if Path(p).name.startswith("005 ")))
    assert "Hội đồng chưa thẩm định kết quả tự đánh giá của UBND quận Cầu Giấy" in text_of(minutes)
    assert "UBND quận Cầu Giấy: chưa có kết quả thẩm định" in text_of(summary["report"])
    # provisional outputs show the unit's own scores, as `formkit scores` does, not zeros
    scores = json.loads(run_cli("scores", own_copy, "--unit", "005", "--json").stdout)
    own = Decimal(scores[0]["total"])
    assert own > 0
    assert run_cli("consolidate", own_copy, "--allow-incomplete").exit_code == 1
    rows = {r["unit"]: r for r in csv.DictReader(
        (own_copy / "out" / "results" / "results.csv").read_text("utf-8").splitlines())}
    assert Decimal(rows["005"]["self_total"]) == own and rows["005"]["adjustment"] == ""
    table = tables_starting(minutes, "TT")[0]
    total = [c.text for c in table.rows[-1].cells]
    assert total[3] == fmt(own) and total[4] == "" and total[5] == ""  # self-score shown, not appraised


def test_charts_have_every_vietnamese_glyph_and_fixed_bytes():
    assert chart_font() != FALLBACK_FAMILY  # .ci/run installs Liberation Serif 2
    words = [VIETNAMESE[i:i + 20] for i in range(0, len(VIETNAMESE), 20)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font"
        first = ranking_chart([(w, Decimal(90 - n)) for n, w in enumerate(words)], "Chỉ số: ữ ặ ỹ Ỵ đ Đ")
        area_chart([("Cải cách thủ tục hành chính", Decimal("68.06"))])
    again = ranking_chart([(w, Decimal(90 - n)) for n, w in enumerate(words)], "Chỉ số: ữ ặ ỹ Ỵ đ Đ")
    assert first.png == again.png and first.png.startswith(b"\x89PNG")
    assert b"matplotlib" not in first.png  # no software tag: the bytes depend on the data only


@pytest.mark.skipif(find_libreoffice() is None or shutil.which("pdffonts") is None,
                    reason="LibreOffice or poppler-utils is not installed")
def test_every_kind_of_document_converts_to_pdf_in_times_new_roman(documents, results, tmp_path):
    chosen = (documents.minutes[0], documents.report, documents.decision)
    sources = [tmp_path / p.name for p in chosen]
    for path, source in zip(chosen, sources, strict=True):
        shutil.copy(path, source)
    pdfs, errors = convert_to_pdf(sources)
    assert errors == []
    assert sorted(p.name for p in pdfs) == sorted(p.with_suffix(".pdf").name for p in sources)
    for pdf in pdfs:
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        families = {line.split()[0].split("+")[-1].split("-")[0] for line in listing.stdout.splitlines()[2:]}
        assert families <= {"TimesNewRomanPSMT", "TimesNewRoman", "LiberationSerif"}, (pdf.name, families)
    decision_text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "quyet-dinh-cong-bo-2020.pdf"),
                                    "-"], capture_output=True, text=True, check=True).stdout
    first = next(u for u in results.units if u.unit_type == "so" and u.rank == 1)
    assert "Phụ lục I" in decision_text and first.name in decision_text
    assert fmt(first.total) in decision_text


def test_documents_settings_left_out_are_warned_about(own_copy):
    """A workspace made before the documents section existed still renders, and says what is blank."""
    settings = own_copy / "campaign.yaml"
    text = settings.read_text(encoding="utf-8")
    start, end = text.index("# Văn bản (formkit report)"), text.index("contact:")
    settings.write_text(text[:start] + text[end:], encoding="utf-8")
    done = run_cli("report", own_copy, "--json")
    assert done.exit_code == 0
    gaps = [gap.split(":")[0] for gap in json.loads(done.stdout)["settings_gaps"]]
    assert gaps == ["documents.minutes.date", "documents.minutes.start", "documents.minutes.end",
                    "documents.minutes.place", "documents.minutes.chair", "documents.minutes.secretary",
                    "documents.report.signer", "documents.report.date", "documents.report.recipients",
                    "documents.decision.date", "documents.decision.recipients",
                    "documents.decision.legal_basis"]
    assert "Cảnh báo: chưa khai báo documents.minutes.chair" in run_cli("report", own_copy).stdout


def test_report_command(workspace, monkeypatch, tmp_path):
    done = run_cli("report", workspace.root)
    assert done.exit_code == 0
    assert f"Báo cáo kết quả: {workspace.out_dir / 'documents' / 'bao-cao-ket-qua-2020.docx'}" in done.stdout
    monkeypatch.delenv("FORMKIT_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without LibreOffice
    if find_libreoffice() is not None:
        pytest.skip("LibreOffice is installed outside PATH here")
    without = run_cli("report", workspace.root, "--pdf", "--json")
    assert without.exit_code == 2  # a program missing on the machine: a configuration error
    summary = json.loads(without.stdout)
    assert summary["pdf"] == "no-libreoffice" and "LibreOffice" in summary["pdf_errors"][0]
    assert summary["counts"] == {"minutes": 52, "report": 1, "decision": 1, "pdf": 0}
    assert all(Path(p).is_file() for p in [*summary["minutes"], summary["report"], summary["decision"]])

"""The documents' contexts on the demo campaign: every contract variable, every figure the consolidation's."""

from __future__ import annotations

import csv
import dataclasses
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from formkit.appraisal import current_appraisal
from formkit.consolidate import OK, LeafSpec, TreeSpec, UnitInput, compute, consolidate, round_half_up
from formkit.documents.charts import Chart
from formkit.documents.common import GROUP_WORDS, count, document_dates, number_line, short_caps
from formkit.documents.context import build_contexts, proposal_text
from formkit.documents.report_groups import group
from formkit.documents.schema import context_gaps
from formkit.results import csv_text
from formkit.text import collation_key, format_number, parse_number
from formkit.workspace import open_workspace


def fmt(value) -> str:
    """How a published figure reads: rounded half-up to 2 places, decimal comma."""
    return format_number(round_half_up(Fraction(value)), 2)


def in_rank_order(units):
    return sorted(units, key=lambda u: (u.rank is None, u.rank or 0, collation_key(u.name)))


@pytest.fixture(scope="module")
def workspace(demo_campaign):
    return open_workspace(demo_campaign)


@pytest.fixture(scope="module")
def results(workspace):
    return consolidate(workspace)


@pytest.fixture(scope="module")
def contexts(workspace, results):
    return build_contexts(workspace, results)


def test_every_contract_variable_is_provided(contexts, results):
    assert len(contexts.minutes) == len(results.units) == 52
    for context in contexts.minutes.values():
        assert context_gaps("minutes", context) == []
    assert context_gaps("report", contexts.report) == []
    assert context_gaps("decision", contexts.decision) == []


def test_ranking_tables_are_the_consolidation(workspace, results, contexts):
    names = {u.code: u.document_name for u in workspace.units}
    groups = {g["label"]: g for g in contexts.report["groups"]}
    appendices = contexts.decision["appendices"]
    assert [a["numeral"] for a in appendices] == ["I", "II"]
    for unit_type, appendix, label in (("so", appendices[0], "các sở, cơ quan tương đương Sở"),
                                       ("district", appendices[1], "UBND các quận, huyện, thị xã")):
        expected = in_rank_order(results.of_type(unit_type))
        ranking = groups[label]["ranking"]
        marked = [names[u.code] + (" (" if u.gaps else "") for u in expected]
        assert [r["name"] for r in ranking] == [r["name"] for r in appendix["rows"]]
        assert all(r["name"].startswith(m) for r, m in zip(ranking, marked, strict=True))
        numbered = [n for n in groups[label]["notes"] if n.startswith("(")]
        assert len(appendix["notes"]) == sum(1 for u in expected if u.gaps) == len(numbered)
        area_codes = [a["code"] for a in appendix["areas"]]
        for n, (unit, row, line) in enumerate(zip(expected, appendix["rows"], ranking, strict=True), 1):
            figures = {"appraised": fmt(unit.appraised), "survey": fmt(unit.survey),
                       "total": fmt(unit.total), "index": fmt(unit.index), "rank": str(unit.rank),
                       "band": unit.band, "max": fmt(unit.applicable_max)}
            assert {k: row[k] for k in figures} == figures == {k: line[k] for k in figures}
            assert row["stt"] == str(n)
            by_area = {a.code: fmt(a.total) for a in unit.areas}
            assert row["areas"] == [by_area.get(code, "") for code in area_codes]


def test_group_sentences_state_the_consolidation_figures(workspace, results, contexts):
    """On the index (the example's basis), over the units with complete data only."""
    names = {u.code: u.document_name for u in workspace.units}
    for summary, context in zip(results.summaries, contexts.report["groups"], strict=True):
        complete = [u for u in results.of_type(summary.unit_type) if u.ranked and u.complete]
        best = max(round_half_up(u.index) for u in complete)
        worst = min(round_half_up(u.index) for u in complete)
        top = [u for u in complete if round_half_up(u.index) == best]
        bottom = [u for u in complete if round_half_up(u.index) == worst]
        assert context["mean"] == fmt(summary.mean_index) and context["median"] == fmt(summary.median_index)
        assert context["highest"]["name"] == " và ".join(names[u.code] for u in top)
        assert context["lowest"]["total"] == fmt(bottom[0].total)
        assert context["count"] == count(summary.count) == count(len(complete))
        left_out = count(summary.units - summary.count)
        assert f"không tính {left_out} đơn vị chưa đủ kết quả" in context["sentences"][0]
        assert "vẫn được xếp hạng" in context["notes"][-1]  # how the ranking treats them, said once
        mean = sum(u.index for u in complete) / len(complete)
        above = sum(1 for u in complete if u.index > mean)
        below = sum(1 for u in complete if u.index < mean)
        assert (context["above"], context["below"]) == (count(above), count(below))
        first = context["sentences"][0]
        for text in (f"là {fmt(mean)}%", f"cao nhất với Chỉ số {fmt(best)}%",
                     f"thấp nhất là {' và '.join(names[u.code] for u in bottom)} với Chỉ số {fmt(worst)}%",
                     f"có {count(above)} đơn vị đạt trên mức trung bình và {count(below)} đơn vị dưới",
                     f"{count(summary.count)}/{count(summary.units)} "
                     f"{GROUP_WORDS[summary.unit_type].counted} có đủ kết quả"):
            assert text in first
        assert [a["percent"] for a in context["area_means"]] == [
            fmt(summary.area_mean_percent[a["code"]]) for a in context["area_means"]]
        assert isinstance(context["chart_ranking"], Chart) and isinstance(context["chart_areas"], Chart)
        means = re.search(r"là ([\d.,]+) điểm; sau thẩm định (?:còn|là) ([\d.,]+) điểm "
                          r"\((giảm|tăng) bình quân ([\d.,]+) điểm",
                          context["adjustment_sentences"][0])
        before, after, change = (parse_number(means[n]) for n in (1, 2, 4))
        assert abs(after - before) == change  # the sentence adds up as printed
        assert f"thẩm định của {count(sum(1 for u in complete if u.appraised_by_council))} " in \
            context["adjustment_sentences"][0]
        assert context["chart_change"] == "" and context["change_sentences"] == []


def test_minutes_figures_are_the_councils(workspace, results, contexts):
    appraisals = {a.unit: a for a in current_appraisal(workspace)}
    for unit in results.units:
        context = contexts.minutes[unit.code]
        appraisal = appraisals.get(unit.code)
        if appraisal is None:
            assert not context["has_return"] and context["facts"] and len(context["conclusion"]) == 1
            assert "Hội đồng thống nhất tính điểm các tiêu chí thẩm định" in context["conclusion"][0]
            continue
        assert context["totals"]["appraised"] == fmt(appraisal.total)
        assert context["totals"]["self"] == fmt(appraisal.self_total)
        assert context["totals"]["difference"].lstrip("+") == fmt(appraisal.total - appraisal.self_total)
        rows = {r["code"]: r for r in context["rows"]}
        for score in appraisal.scores:
            row = rows[score.leaf]
            assert (row["appraised"], row["self"], row["reason"]) == (
                fmt(score.appraised), "" if score.self_score is None else fmt(score.self_score),
                score.reason)
        for area in unit.areas:
            assert rows[area.code]["appraised"] == fmt(area.appraised)
            assert rows[area.code]["level"] == 1
        assert f"tổng điểm sau thẩm định là {fmt(appraisal.total)}/" in context["conclusion"][0]
        assert context["survey_points"] == fmt(unit.survey)


def test_header_lines_signers_and_dates(contexts):
    decision, report = contexts.decision, contexts.report
    minutes = contexts.minutes["005"]
    assert decision["header"] == {"parent_body": "", "issuing_body": "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HÀ NỘI",
                                  "number_line": "Số:      /QĐ-UBND",
                                  "place_date": "Hà Nội, ngày      tháng 3 năm 2021"}  # not numbered yet
    assert decision["reference"] == "số      /QĐ-UBND ngày      tháng 3 năm 2021"
    assert decision["signer"]["position"] == "KT. CHỦ TỊCH" and decision["recipients"][-1] == "Lưu: VT, SNV"
    assert report["header"]["parent_body"] == "UBND THÀNH PHỐ HÀ NỘI"
    assert report["header"]["issuing_body"] == "SỞ NỘI VỤ"
    assert report["header"]["place_date"] == "Hà Nội, ngày      tháng 02 năm 2021"  # not numbered yet
    assert report["signer"]["position"] == "GIÁM ĐỐC" and report["signer"]["title"] == ""
    assert minutes["header"]["place_date"] == "Hà Nội, ngày 13 tháng 01 năm 2021"  # its session
    assert minutes["header"]["number_line"] == "Số: 26/BB-HĐTĐ"
    assert decision["recipients"][0] == "Như Điều 3"
    assert decision["summary"].startswith("Về việc phê duyệt và công bố")
    assert minutes["unit"]["document_name"] == "UBND quận Cầu Giấy"
    assert all(b.startswith("Căn cứ ") and not b.endswith(";") for b in decision["basis"])
    assert any("Quyết định số 6677/QĐ-UBND ngày 25 tháng 9 năm 2017" in b for b in decision["basis"])
    assert any("Kế hoạch số 178/KH-UBND ngày 04 tháng 9 năm 2020" in b for b in decision["basis"])
    assert decision["proposal"].startswith("Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số")
    assert number_line("5", "QĐ-UBND") == "Số: 05/QĐ-UBND"
    assert number_line("123", "BC-SNV") == "Số: 123/BC-SNV"
    assert short_caps("Uỷ ban nhân dân tỉnh Bắc Ninh") == "UBND TỈNH BẮC NINH"
    assert short_caps("Bộ Nội vụ") == "BỘ NỘI VỤ"
    assert proposal_text("Tờ trình số 12/TTr-SNV;") == (
        "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 12/TTr-SNV")


def test_dates_fall_back_to_campaign_dates_never_today(workspace):
    settings = workspace.settings
    undated = dataclasses.replace(settings, documents=dataclasses.replace(
        settings.documents, minutes=dataclasses.replace(settings.documents.minutes, date=None),
        report=dataclasses.replace(settings.documents.report, date=None),
        decision=dataclasses.replace(settings.documents.decision, date=None)))
    assert set(document_dates(undated).values()) == {settings.deadlines.appraisal}
    no_deadline = dataclasses.replace(undated, deadlines=dataclasses.replace(settings.deadlines,
                                                                             appraisal=None))
    assert set(document_dates(no_deadline).values()) == {settings.campaign.issue_date}


def test_units_with_incomplete_data_are_listed(workspace, results, contexts):
    names = {u.code: u.document_name for u in workspace.units}
    lacking = [u for u in results.units if u.gaps]
    assert any(u.status != OK for u in lacking)  # the demo has units that sent nothing
    assert [m.split(": ", 1)[0] for m in contexts.report["missing"]] == [names[u.code] for u in lacking]
    for line, unit in zip(contexts.report["missing"], lacking, strict=True):
        assert all(note in line for note in unit.notes)
    notes = [n for g in contexts.report["groups"] for n in g["notes"] if n.startswith("(")]
    assert len(notes) == len(lacking) and all(n.endswith(".") for n in notes)


def test_year_on_year_sentences_and_chart(workspace, results, tmp_path):
    rows = list(csv.DictReader(csv_text(results).splitlines()))
    improved = next(u for u in results.units if u.unit_type == "district" and u.rank)
    for row in rows:
        if row["unit"] == improved.code:
            row["total"] = str(Decimal(row["total"]) - 1)
    previous = tmp_path / "results.csv"
    with open(previous, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = build_contexts(workspace, consolidate(workspace, previous))
    assert again.report["has_previous"] is True
    districts = again.report["groups"][1]
    name = workspace.unit(improved.code).document_name
    assert isinstance(districts["chart_change"], Chart)
    assert "01 đơn vị tăng điểm, 0 đơn vị giảm điểm" in districts["change_sentences"][0]
    assert f"{name} tăng nhiều nhất (+1,00 điểm)." in districts["change_sentences"]
    assert next(r for r in districts["ranking"] if r["name"] == name)["change"] == "+1,00"


def test_ties_are_named_together_in_vietnamese_order():
    leaves = (LeafSpec("1.1", "1", "1.1", Decimal(10), Decimal(10), Decimal(0)),)
    tree = {"district": TreeSpec("district", (("1", "Lĩnh vực"),), leaves)}
    scores = {"ĐĐ": ("Đống Đa", 8), "BĐ": ("Ba Đình", 8), "TH": ("Tây Hồ", 5)}
    results = compute(tree, [UnitInput(code, name, "district", True, {"1.1": Decimal(points)},
                                       {"1.1": Decimal(points)}, {})
                             for code, (name, points) in scores.items()])
    display = {code: name for code, (name, _) in scores.items()}
    context = group(results, results.summaries[0], display, has_previous=False, table=1, first_chart=1)
    assert context["highest"] == {"name": "Ba Đình và Đống Đa", "total": "8,00"}
    assert "Ba Đình và Đống Đa cùng đạt cao nhất với Chỉ số 80,00% (8,00 điểm)" in context["sentences"][0]
    assert [(r["rank"], r["name"]) for r in context["ranking"]] == [
        ("1", "Ba Đình"), ("1", "Đống Đa"), ("3", "Tây Hồ")]

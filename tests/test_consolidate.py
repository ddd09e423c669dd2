"""Consolidation on the demo campaign (library, `formkit consolidate`, LibreOffice rendering), and
the ranking rule on hand-made values."""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from conftest import run_cli

from formkit.appraisal import current_appraisal
from formkit.consolidate import (
    EXCLUDED,
    MISSING_ZERO,
    TreeSpec,
    UnitInput,
    competition_ranks,
    compute,
    consolidate,
    round_half_up,
)
from formkit.errors import FormkitError
from formkit.results import csv_text, workbook_bytes, write_results
from formkit.results_previous import DATA_SHEET
from formkit.survey.doubleentry import valid_answers
from formkit.survey.status import score_workspace
from formkit.workspace import open_workspace


@pytest.fixture(scope="module")
def workspace(demo_campaign):
    return open_workspace(demo_campaign)


@pytest.fixture(scope="module")
def results(workspace):
    return consolidate(workspace)


def test_ranking_ties_on_two_decimals():
    values = [Fraction("92.765"), Fraction("92.77"), Fraction("92.764"), Fraction("95"), None]
    assert round_half_up(Fraction("92.765")) == Decimal("92.77")
    assert competition_ranks(values) == [2, 2, 4, 1, None]
    assert competition_ranks([Decimal(1), Decimal(1), Decimal(1), Decimal(0)]) == [1, 1, 1, 4]


def test_totals_are_sums_of_parts(results):
    for unit in results.units:
        assert unit.total == sum((a.total for a in unit.areas), Fraction(0))
        assert unit.total == sum((leaf.total for leaf in unit.leaves), Fraction(0))
        assert unit.total == sum(unit.criteria.values(), Fraction(0))
        assert unit.appraised == sum((a.appraised for a in unit.areas), Decimal(0))
        assert unit.index == unit.total / Fraction(unit.applicable_max) * 100
        for area in unit.areas:
            under = [leaf for leaf in unit.leaves if leaf.code.split(".")[0] == area.code]
            assert area.total == sum((leaf.total for leaf in under), Fraction(0))


def test_independent_recomputation(workspace, results):
    appraisals = {a.unit: a for a in current_appraisal(workspace)}
    survey = score_workspace(workspace).points()
    for unit in results.units:
        catalog = workspace.catalogs[unit.unit_type]
        expected = 0.0
        for leaf in catalog.leaves():
            if not leaf.applies_to(unit.code):
                continue
            if leaf.appraisal and unit.code in appraisals:
                scores = {s.leaf: s.appraised for s in appraisals[unit.code].scores}
                expected += float(scores.get(leaf.code, 0))
            if leaf.survey:
                expected += float(survey.get((unit.code, leaf.code)) or 0)
        assert abs(float(unit.total) - expected) < 1e-9
        assert unit.applicable_max == catalog.applicable_max(unit.code)


def test_ranks_and_summaries(results):
    for summary in results.summaries:
        units = [u for u in results.of_type(summary.unit_type) if u.status != EXCLUDED]
        ranks = competition_ranks([u.index for u in units])  # the example ranks on the index
        assert [u.rank for u in units] == ranks
        complete = [u for u in units if u.complete]
        assert summary.count == len(complete) < summary.units == len(results.of_type(summary.unit_type))
        assert summary.mean_index == sum(u.index for u in complete) / len(complete)
        assert summary.above_mean == sum(1 for u in complete if u.index > summary.mean_index)
        assert summary.above_mean + summary.below_mean <= summary.count
        assert min(ranks) == 1
    assert any(u.status == MISSING_ZERO for u in results.units)  # the demo has units without return
    reasons = {g.code for u in results.units for g in u.gaps}
    assert {"no_return", "rejected", "survey_short"} <= reasons


def test_workbook_csv_and_determinism(workspace, results, tmp_path):
    files = write_results(results, tmp_path)
    names = zipfile.ZipFile(files["workbook"]).namelist()
    assert sum(n.startswith("xl/charts/chart") for n in names) == len(results.summaries) + 1
    book = openpyxl.load_workbook(files["workbook"])
    assert "Phương pháp" in book.sheetnames
    assert workbook_bytes(results) == workbook_bytes(consolidate(workspace))
    assert csv_text(results) == files["csv"].read_text(encoding="utf-8")


def test_year_on_year(workspace, results, tmp_path):
    previous = tmp_path / "previous.csv"
    rows = list(csv.DictReader(csv_text(results).splitlines()))
    first = rows[1]["unit"]
    rows[1]["total"] = str(Fraction(rows[1]["total"]) - 1)
    rows[1]["rank"] = "30"
    with open(previous, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = {u.code: u for u in consolidate(workspace, previous).units}
    assert abs(float(again[first].change) - 1) < 1e-9
    assert again[first].rank_change == 30 - again[first].rank
    assert abs(float(again[rows[0]["unit"]].change)) < 1e-9
    for row in rows:  # another campaign's file: no unit in common, nothing could be compared
        row["unit"] = "X" + row["unit"]
    with open(previous, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(FormkitError, match="không có đơn vị nào trùng mã"):
        consolidate(workspace, previous)


def _tree() -> dict[str, TreeSpec]:
    from formkit.consolidate import LeafSpec

    leaves = (LeafSpec("1.1", "1", "1.1", Decimal(6), Decimal(6), Decimal(0)),
              LeafSpec("1.2", "1", "1.2", Decimal(4), Decimal(2), Decimal(2)))
    return {"so": TreeSpec("so", (("1", "A"),), leaves)}


def test_refuses_when_incomplete_and_says_so():
    units = [UnitInput("A", "A", "so", True, {"1.1": Decimal(5), "1.2": Decimal(1)},
                       survey={"1.2": Fraction(3, 2)}),
             UnitInput("B", "B", "so", True, None, survey={"1.2": Fraction(1)}),
             UnitInput("C", "C", "so", False, None, survey={"1.2": Fraction(1)})]
    with pytest.raises(FormkitError, match="B B"):
        compute(_tree(), units)
    results = compute(_tree(), units, allow_incomplete=True)
    assert results.missing and "B B" in results.missing[0]
    row_b = list(csv.DictReader(csv_text(results).splitlines()))[1]
    assert "chưa có kết quả thẩm định" in row_b["missing"]
    by = {u.code: u for u in results.units}
    assert by["A"].total == Fraction(15, 2) and by["A"].rank == 1
    assert by["B"].status == "incomplete" and "thẩm định" in csv_text(results)
    assert by["C"].status == MISSING_ZERO and by["C"].rank == 2
    excluded = compute(_tree(), units, "exclude", allow_incomplete=True)
    assert {u.code: u.rank for u in excluded.units}["C"] is None
    assert not by["B"].appraised_by_council and by["A"].appraised_by_council


def test_bands_only_for_ranked_units_and_ranking_on_the_index():
    from formkit.settings_outputs import Band, RankingSettings

    bands = (Band(Decimal(50), "Đạt"), Band(Decimal(0), "Chưa đạt"))
    units = [UnitInput("A", "A", "so", True, {"1.1": Decimal(5), "1.2": Decimal(1)},
                       survey={"1.2": Fraction(3, 2)}),
             UnitInput("C", "C", "so", False, None, survey={"1.2": Fraction(1)})]
    by = {u.code: u for u in compute(_tree(), units, "exclude", allow_incomplete=True,
                                     ranking=RankingSettings("total", 2, bands)).units}
    assert (by["A"].band, by["A"].rank) == ("Đạt", 1)  # 7,5 of 10 points: 75 %
    assert (by["C"].band, by["C"].rank) == ("", None)  # left out of ranking: no classification
    # On the index, a unit with fewer applicable points can outrank one with more points.
    first, second = _tree()["so"].leaves
    tree = {"so": TreeSpec("so", (("1", "A"),), (first, replace(second, not_applicable_to=frozenset({"Y"}))))}
    units = [UnitInput("X", "X", "so", True, {"1.1": Decimal(5), "1.2": Decimal(2)},
                       survey={"1.2": Fraction(0)}),
             UnitInput("Y", "Y", "so", True, {"1.1": Decimal(6)}, survey={})]
    on_total = {u.code: u.rank for u in compute(tree, units, ranking=RankingSettings("total")).units}
    on_index = {u.code: u.rank for u in compute(tree, units).units}  # the default
    assert on_total == {"X": 1, "Y": 2} and on_index == {"X": 2, "Y": 1}


def test_year_on_year_from_last_years_workbook(workspace, results, tmp_path):
    path = write_results(results, tmp_path)["workbook"]
    book = openpyxl.load_workbook(path)
    data = book[DATA_SHEET]
    columns = [c.value for c in data[1]]
    row = data[3]
    unit = row[columns.index("unit")].value
    row[columns.index("total")].value -= 2
    row[columns.index("rank")].value = 40
    book.save(path)
    again = {u.code: u for u in consolidate(workspace, path).units}
    assert abs(float(again[unit].change) - 2) < 1e-9 and again[unit].rank_change == 40 - again[
        unit].rank
    others = [u for code, u in again.items() if code != unit]
    assert all(abs(float(u.change)) < 1e-9 and u.rank_change == 0 for u in others)


def test_survey_detail_accounts_for_every_answer(workspace, results):
    answers = valid_answers(workspace)
    groups = results.survey_groups
    assert sum(g.answers + g.no_answer for g in groups) == len(answers)
    assert sum(q.answers + q.no_answer for q in results.survey_questions) == len(answers)
    samples = score_workspace(workspace, answers).samples
    expected = {(r.unit, r.group): (r.questionnaires, bool(r.shortfall))
                for r in samples.itertuples(index=False)}
    assert {(g.unit, g.group): (g.questionnaires, g.shortfall) for g in groups} == expected
    assert all(g.percent is None or 0 <= g.percent <= 100 for g in groups)
    assert any(g.shortfall for g in groups) and all(g.leaves_answered <= g.leaves_fed for g in groups)


def test_cli_consolidate_complete_json(workspace, results):
    outcome = run_cli("consolidate", workspace.root, "--json")
    assert outcome.exit_code == 0, outcome.output
    payload = json.loads(outcome.stdout)
    assert payload["ok"] and payload["incomplete"] == [] and payload["rank_rule"]
    assert set(payload["files"]) == {"workbook", "csv", "parquet", "leaves_parquet"}
    by = {u.code: u for u in results.units}
    for unit in payload["units"]:
        expected = by[unit["code"]]
        assert {"code", "name", "type", "appraised", "survey", "total", "index", "rank", "band",
                "status", "missing"} <= set(unit)
        assert (unit["name"], unit["type"], unit["rank"], unit["band"], unit["status"]) == (
            expected.name, expected.unit_type, expected.rank, expected.band, expected.status)
        assert Fraction(unit["total_exact"]) == expected.total
        assert abs(unit["index"] - float(expected.index)) < 1e-12
        assert unit["missing"] == list(expected.notes) and unit["complete"] == expected.complete
    assert {u["band"] for u in payload["units"]} <= {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"}


def test_cli_consolidate_incomplete_exits_2_then_1_with_what_is_missing(tmp_path):
    from formkit.workspace import init_workspace

    root = tmp_path / "cchc"
    init_workspace(root, "hanoi-2020")
    refused = run_cli("consolidate", root)
    assert refused.exit_code == 2
    assert "Chưa thể tổng hợp" in refused.output and "BDT Ban Dân tộc: chưa có điểm điều tra xã hội học" \
        in refused.output and "--allow-incomplete" in refused.output
    assert not (root / "out" / "results").exists()
    provisional = run_cli("consolidate", root, "--allow-incomplete")
    assert provisional.exit_code == 1
    assert "THIẾU: 001 Ba Đình: chưa có điểm điều tra xã hội học" in provisional.stdout
    assert "KẾT QUẢ TẠM" in provisional.stdout
    rows = list(csv.DictReader((root / "out/results/results.csv").read_text("utf-8").splitlines()))
    assert all("chưa có điểm điều tra xã hội học" in row["missing"] for row in rows)
    payload = json.loads(run_cli("consolidate", root, "--allow-incomplete", "--json").stdout)
    assert payload["ok"] is False and len(payload["incomplete"]) == len(payload["units"]) == 52
    assert all(u["missing"] for u in payload["units"])



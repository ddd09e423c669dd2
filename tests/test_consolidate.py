"""Consolidation on the demo campaign, and the ranking rule on hand-made values."""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest

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
from formkit.demo import run_demo
from formkit.errors import FormkitError
from formkit.results import csv_text, workbook_bytes, write_results
from formkit.survey.status import score_workspace
from formkit.workspace import open_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "d"
    run_demo(root)
    return open_workspace(root)


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
        ranks = competition_ranks([u.total for u in units])
        assert [u.rank for u in units] == ranks
        assert summary.count == len(units)
        assert summary.above_mean + summary.below_mean <= summary.count
        assert min(ranks) == 1
    assert any(u.status == MISSING_ZERO for u in results.units)  # the demo has units without return


def test_workbook_csv_and_determinism(workspace, results, tmp_path):
    files = write_results(results, tmp_path)
    names = zipfile.ZipFile(files["workbook"]).namelist()
    assert sum(n.startswith("xl/charts/chart") for n in names) == len(results.summaries)
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

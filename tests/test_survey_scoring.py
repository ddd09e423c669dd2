"""Survey scores: a small case computed by hand, every rule, and the vectorised scorer against the
answer-by-answer reference on random answer sets."""

from __future__ import annotations

import math
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formkit.errors import InvalidDataError
from formkit.settings import SurveySettings
from formkit.survey.questionnaire import load_survey
from formkit.survey.scoring import (
    GROUP_COLUMNS,
    LEAF_COLUMNS,
    SAMPLE_COLUMNS,
    TOTAL_COLUMNS,
    SurveyScores,
    decimal_text,
    reference_scores,
    score_survey,
)
from formkit.survey.serials import parse_serial

CATALOG = """\
catalog:
  id: mini
  title: Bộ tiêu chí nhỏ
  year: 2020
  unit_type: district
  source: kiểm thử
  total_points: 4
items:
  - {code: "1", text: Chỉ đạo điều hành, max: 2}
  - {code: "1.1", text: Kế hoạch, appraisal: 1}
  - {code: "1.2", text: Hiệu quả chỉ đạo, appraisal: 0.5, survey: 0.5}
  - {code: "2", text: Sự hài lòng, max: 2}
  - {code: "2.1", text: Hài lòng về TTHC, survey: 1}
  - {code: "2.2", text: Hài lòng về thái độ, survey: 1, not_applicable_to: [U2]}
"""

SURVEY = """\
survey:
  id: mini-dtxhh
  title: Điều tra xã hội học thử
  year: 2020
  unit_type: district
  catalog: ../catalogs/mini.yaml
scales:
  - code: muc-do-4
    title: Tốt / Khá / Trung bình / Kém
    options:
      - {code: A, text: Tốt, fraction: 1}
      - {code: B, text: Khá, fraction: 0.6}
      - {code: C, text: Trung bình, fraction: 0.2}
      - {code: D, text: Kém, fraction: 0}
      - {code: X, text: Không biết, no_answer: true}
  - code: hai-long-5
    title: Mức độ hài lòng
    options:
      - {code: A, text: Rất hài lòng, fraction: 1}
      - {code: B, text: Hài lòng, fraction: 0.75}
      - {code: C, text: Bình thường, fraction: 0.5}
      - {code: D, text: Không hài lòng, fraction: 0.25}
      - {code: E, text: Rất không hài lòng, fraction: 0}
      - {code: X, text: Không trả lời, no_answer: true}
groups:
  - code: DAN
    name: Người dân
    weight: 2
    questions:
      - {code: Q1, text: "Hài lòng về TTHC?", scale: muc-do-4, feeds: ["2.1"]}
      - {code: Q2, text: "Thái độ của công chức?", scale: muc-do-4, feeds: ["2.2"]}
      - {code: Q3, text: "Mức độ hài lòng chung?", scale: hai-long-5, feeds: ["2.1"]}
  - code: HDND
    name: Đại biểu HĐND
    weight: 1
    questions:
      - {code: Q1, text: "Hiệu quả chỉ đạo CCHC?", scale: muc-do-4, feeds: ["1.2", "2.1"]}
"""

# (unit, group, serial, {question: option}); None = the clerk keyed no option.
QUESTIONNAIRES = [
    ("U1", "DAN", "d1", {"Q1": "A", "Q2": "B", "Q3": "B"}),
    ("U1", "DAN", "d2", {"Q1": "B", "Q2": "X", "Q3": "E"}),
    ("U1", "DAN", "d3", {"Q1": "X", "Q2": "C", "Q3": "X"}),
    ("U1", "HDND", "h1", {"Q1": "C"}),
    ("U1", "HDND", "h2", {"Q1": "A"}),
    ("U2", "DAN", "e1", {"Q1": "C", "Q2": "A", "Q3": "A"}),
    ("U2", "DAN", "e2", {"Q1": "D", "Q2": None, "Q3": "C"}),
    # U2 has no HDND questionnaire at all; U3 has none of either group.
]
UNITS = ["U1", "U2", "U3"]


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    write(root / "catalogs" / "mini.yaml", CATALOG)
    return load_survey(write(root / "surveys" / "mini.yaml", SURVEY))


def answer_frame(questionnaires=QUESTIONNAIRES) -> pd.DataFrame:
    return pd.DataFrame([(unit, group, serial, question, option)
                         for unit, group, serial, answers in questionnaires
                         for question, option in answers.items()],
                        columns=["unit", "group", "serial", "question", "option"])


def rule(empty_group: str, minimum: int = 2) -> SurveySettings:
    return SurveySettings(min_valid_per_group=minimum, empty_group=empty_group)


def leaf_row(scores: SurveyScores, unit: str, leaf: str) -> dict:
    frame = scores.leaves
    return frame[(frame["unit"] == unit) & (frame["leaf"] == leaf)].iloc[0].to_dict()


def group_row(scores: SurveyScores, unit: str, group: str, leaf: str) -> dict:
    frame = scores.groups
    return frame[(frame["unit"] == unit) & (frame["group"] == group)
                 & (frame["leaf"] == leaf)].iloc[0].to_dict()


# ---- the case computed by hand ------------------------------------------------------------------
# Scales: muc-do-4 A=1 B=0.6 C=0.2 D=0 (X no answer); hai-long-5 A=1 B=0.75 C=0.5 D=0.25 E=0.
# Survey points: 1.2 -> 0.5 (fed by HDND/Q1), 2.1 -> 1 (DAN/Q1, DAN/Q3, HDND/Q1), 2.2 -> 1 (DAN/Q2).
# Weights DAN 2, HDND 1.
#
# U1, leaf 2.1:
#   DAN  answers Q1: A=1, B=0.6, X;  Q3: B=0.75, E=0, X      -> valid 4, no-answer 2
#        mean = (1 + 0.6 + 0.75 + 0) / 4 x 1 = 2.35 / 4 = 47/80
#   HDND answers Q1: C=0.2, A=1                               -> valid 2, mean 1.2 / 2 = 3/5
#   points = (2 x 47/80 + 1 x 3/5) / (2 + 1) = (94/80 + 48/80) / 3 = 142/240 = 71/120
# U1, leaf 2.2: DAN Q2: B=0.6, X, C=0.2 -> valid 2, no-answer 1, mean 0.8 / 2 = 2/5 = points
#   (HDND does not feed 2.2: it is not an empty group of that leaf)
# U1, leaf 1.2: HDND Q1 (the question that also feeds 2.1): 1.2 / 2 x 0.5 = 3/10
# U1 total: 71/120 + 48/120 + 36/120 = 155/120 = 31/24
#
# U2, leaf 2.1: DAN Q1: C=0.2, D=0; Q3: A=1, C=0.5 -> valid 4, mean 1.7 / 4 = 17/40;
#   HDND has no answers:  renormalise -> 17/40;   zero -> (2 x 17/40 + 1 x 0) / 3 = 17/60
# U2, leaf 2.2: does not apply to U2 -> no points (DAN's mean is still reported: Q2 A=1, one
#   answer keyed without an option = a no-answer -> valid 1, no-answer 1, mean 1)
# U2, leaf 1.2: only HDND feeds it, no answers -> 0 under both rules, flagged
# U2 total: renormalise 17/40, zero 17/60
# U3: no questionnaire -> every leaf 0, flagged; total 0
HAND = {
    "renormalise": {("U1", "1.2"): F(3, 10), ("U1", "2.1"): F(71, 120), ("U1", "2.2"): F(2, 5),
                    ("U2", "1.2"): F(0), ("U2", "2.1"): F(17, 40), ("U2", "2.2"): None,
                    ("U3", "1.2"): F(0), ("U3", "2.1"): F(0), ("U3", "2.2"): F(0)},
    "zero": {("U1", "1.2"): F(3, 10), ("U1", "2.1"): F(71, 120), ("U1", "2.2"): F(2, 5),
             ("U2", "1.2"): F(0), ("U2", "2.1"): F(17, 60), ("U2", "2.2"): None,
             ("U3", "1.2"): F(0), ("U3", "2.1"): F(0), ("U3", "2.2"): F(0)},
}
HAND_TOTALS = {"renormalise": {"U1": F(31, 24), "U2": F(17, 40), "U3": F(0)},
               "zero": {"U1": F(31, 24), "U2": F(17, 60), "U3": F(0)}}


@pytest.mark.parametrize("empty_group", ["renormalise", "zero"])
def test_points_equal_the_hand_computation_exactly(survey, empty_group):
    scores = score_survey(survey, answer_frame(), rule(empty_group), units=UNITS)
    assert scores.points() == HAND[empty_group]
    reference = reference_scores(survey, answer_frame(), rule(empty_group), units=UNITS)
    assert reference["points"] == HAND[empty_group]
    for (unit, leaf), exact in HAND[empty_group].items():
        points = leaf_row(scores, unit, leaf)["points"]
        assert (math.isnan(points) if exact is None else points == float(exact))
    totals = scores.totals().set_index("unit")
    assert list(scores.totals().columns) == list(TOTAL_COLUMNS)
    assert totals["points_exact"].to_dict() == HAND_TOTALS[empty_group]
    assert totals.loc["U2", "survey_max"] == 1.5  # 2.2 does not apply to U2
    assert totals.loc["U1", "survey_max"] == 2.5


def test_group_counts_exclude_no_answers_from_the_denominator(survey):
    scores = score_survey(survey, answer_frame(), rule("renormalise"), units=UNITS)
    dan = group_row(scores, "U1", "DAN", "2.1")
    assert (dan["valid"], dan["no_answer"], dan["mean_exact"], dan["used"]) == (4, 2, F(47, 80), True)
    assert dan["weight"] == 2.0 and dan["mean"] == float(F(47, 80))
    hdnd = group_row(scores, "U1", "HDND", "2.1")
    assert (hdnd["valid"], hdnd["no_answer"], hdnd["mean_exact"]) == (2, 0, F(3, 5))
    assert group_row(scores, "U1", "HDND", "1.2")["mean_exact"] == F(3, 10)
    keyed_blank = group_row(scores, "U2", "DAN", "2.2")
    assert (keyed_blank["valid"], keyed_blank["no_answer"], keyed_blank["mean_exact"]) == (1, 1, F(1))
    row = leaf_row(scores, "U1", "2.1")
    assert (row["valid"], row["no_answer"], row["groups_fed"], row["groups_used"]) == (6, 2, 2, 2)
    assert {k: row[k] for k in ("no_answers", "shortfall", "applicable")} == {
        "no_answers": False, "shortfall": False, "applicable": True}


def test_a_group_without_answers_is_dropped_or_counts_zero(survey):
    renormalised = score_survey(survey, answer_frame(), rule("renormalise"), units=UNITS)
    zeroed = score_survey(survey, answer_frame(), rule("zero"), units=UNITS)
    empty = group_row(renormalised, "U2", "HDND", "2.1")
    assert (empty["valid"], empty["no_answer"], empty["mean_exact"], empty["used"]) == (0, 0, None, False)
    assert math.isnan(empty["mean"])
    assert group_row(zeroed, "U2", "HDND", "2.1")["used"] is True
    assert (leaf_row(renormalised, "U2", "2.1")["groups_used"],
            leaf_row(zeroed, "U2", "2.1")["groups_used"]) == (1, 2)
    for scores in (renormalised, zeroed):  # no group has answers: 0 and flagged, both rules
        nothing = leaf_row(scores, "U2", "1.2")
        assert (nothing["points_exact"], nothing["no_answers"], nothing["groups_used"]) == (0, True, 0)
        assert leaf_row(scores, "U3", "2.1")["no_answers"] is True
        assert leaf_row(scores, "U1", "2.1")["no_answers"] is False


def test_a_leaf_not_applicable_to_a_unit_has_no_points_and_no_flags(survey):
    scores = score_survey(survey, answer_frame(), rule("renormalise"), units=UNITS)
    row = leaf_row(scores, "U2", "2.2")
    assert row["applicable"] is False and row["points_exact"] is None and math.isnan(row["points"])
    assert row["no_answers"] is False and row["shortfall"] is False
    assert leaf_row(scores, "U3", "2.2")["applicable"] is True


def test_minimum_sample_flags_unit_group_shortfalls(survey):
    scores = score_survey(survey, answer_frame(), rule("renormalise", minimum=2), units=UNITS)
    samples = scores.samples.set_index(["unit", "group"])
    assert list(scores.samples.columns) == list(SAMPLE_COLUMNS)
    assert samples["questionnaires"].to_dict() == {
        ("U1", "DAN"): 3, ("U1", "HDND"): 2, ("U2", "DAN"): 2, ("U2", "HDND"): 0,
        ("U3", "DAN"): 0, ("U3", "HDND"): 0}
    assert samples["shortfall"].to_dict() == {
        ("U1", "DAN"): False, ("U1", "HDND"): False, ("U2", "DAN"): False, ("U2", "HDND"): True,
        ("U3", "DAN"): True, ("U3", "HDND"): True}
    # U2's 2.1 is fed by the short HDND group; its 2.2 does not apply; U1 is fine
    assert [leaf_row(scores, "U2", leaf)["shortfall"] for leaf in ("1.2", "2.1", "2.2")] == [
        True, True, False]
    assert not scores.leaves[scores.leaves["unit"] == "U1"]["shortfall"].any()
    # the plan's minimum for one unit x group wins over the settings' default
    planned = score_survey(survey, answer_frame(), rule("renormalise", minimum=2),
                           {("U1", "DAN"): 4}, units=UNITS)
    flags = planned.samples.set_index(["unit", "group"])["shortfall"]
    assert flags[("U1", "DAN")] and not flags[("U1", "HDND")]
    assert planned.samples.set_index(["unit", "group"])["min_valid"][("U1", "DAN")] == 4
    assert leaf_row(planned, "U1", "2.1")["shortfall"] and not leaf_row(planned, "U1", "1.2")["shortfall"]
    assert planned.totals().set_index("unit")["groups_short"].to_dict() == {"U1": 1, "U2": 1, "U3": 2}
    assert reference_scores(survey, answer_frame(), rule("renormalise", minimum=2), {("U1", "DAN"): 4},
                            units=UNITS)["shortfall"] == flags.to_dict()


def test_frames_have_the_documented_columns_and_to_dict_is_json_ready(survey):
    import json

    scores = score_survey(survey, answer_frame(), rule("renormalise"), units=UNITS)
    assert list(scores.leaves.columns) == list(LEAF_COLUMNS)
    assert list(scores.groups.columns) == list(GROUP_COLUMNS)
    data = json.loads(json.dumps(scores.to_dict()))
    assert data["empty_group"] == "renormalise"
    u1 = data["units"][0]
    assert (u1["unit"], u1["points_exact"], u1["survey_max"]) == ("U1", "31/24", 2.5)
    leaf = next(x for x in u1["leaves"] if x["leaf"] == "2.1")
    assert leaf["points_exact"] == "71/120" and leaf["points"] == float(F(71, 120))
    assert [(g["group"], g["valid"], g["no_answer"], g["mean_exact"]) for g in leaf["groups"]] == [
        ("DAN", 4, 2, "47/80"), ("HDND", 2, 0, "3/5")]
    u2 = data["units"][1]
    assert next(x for x in u2["leaves"] if x["leaf"] == "2.2")["points"] is None
    assert [s["questionnaires"] for s in u2["samples"]] == [2, 0]


def test_categorical_columns_give_the_same_scores(survey):
    frame = answer_frame()
    categorical = frame.astype({c: "category" for c in ("unit", "group", "question", "option")})
    plain = score_survey(survey, frame, rule("zero"), units=UNITS)
    assert score_survey(survey, categorical, rule("zero"), units=UNITS).points() == plain.points()


def test_units_without_answers_and_empty_answers(survey):
    empty = answer_frame([])
    scores = score_survey(survey, empty, rule("renormalise"), units=["U1"])
    assert scores.points() == {("U1", "1.2"): 0, ("U1", "2.1"): 0, ("U1", "2.2"): 0}
    assert scores.leaves["no_answers"].all()
    assert score_survey(survey, empty, rule("renormalise")).leaves.empty


@pytest.mark.parametrize("row, message", [
    (("U1", "NOPE", "z1", "Q1", "A"), "nhóm 'NOPE'"),
    (("U1", "HDND", "z1", "Q2", "A"), "câu 'Q2'"),
    (("U1", "HDND", "z1", "Q1", "E"), "'E'"),  # E is on the 5-level scale, not on muc-do-4
    (("U1", "HDND", "z1", "Q1", "ZZ"), "(mã lạ)"),
])
def test_codes_the_survey_does_not_know_are_refused(survey, row, message):
    frame = pd.concat([answer_frame(), pd.DataFrame([row], columns=answer_frame().columns)])
    with pytest.raises(InvalidDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        score_survey(survey, frame, rule("renormalise"))


def test_decimal_text_rounds_exact_values_half_up():
    assert decimal_text(F(71, 120)) == "0.591666666667"
    assert decimal_text(F(1, 8), 2) == "0.13"
    assert decimal_text(None) == ""


# ---- the vectorised scorer against the reference, on random answer sets -----------------------
OPTIONS = {"DAN": {"Q1": "ABCDX", "Q2": "ABCDX", "Q3": "ABCDEX"}, "HDND": {"Q1": "ABCDX"}}


@st.composite
def answer_sets(draw):
    rows = []
    for n in range(draw(st.integers(0, 25))):
        unit = draw(st.sampled_from(["U1", "U2", "U3"]))
        group = draw(st.sampled_from(["DAN", "HDND"]))
        questions = draw(st.lists(st.sampled_from(sorted(OPTIONS[group])), unique=True, max_size=3))
        for question in questions:
            option = draw(st.one_of(st.sampled_from(OPTIONS[group][question]), st.none()))
            rows.append((unit, group, f"s{n}", question, option))
    return pd.DataFrame(rows, columns=["unit", "group", "serial", "question", "option"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answer_sets(), empty_group=st.sampled_from(["renormalise", "zero"]),
       minimum=st.integers(0, 3), planned=st.dictionaries(
           st.tuples(st.sampled_from(["U1", "U2"]), st.sampled_from(["DAN", "HDND"])),
           st.integers(0, 4)))
def test_vectorised_scores_equal_the_reference(survey, answers, empty_group, minimum, planned):
    config = rule(empty_group, minimum)
    scores = score_survey(survey, answers, config, planned, units=["U2"])
    reference = reference_scores(survey, answers, config, planned, units=["U2"])
    assert scores.points() == reference["points"]
    for (unit, leaf), exact in reference["points"].items():
        points = leaf_row(scores, unit, leaf)["points"]
        assert math.isnan(points) if exact is None else abs(points - float(exact)) <= 1e-12
    groups = {(r.unit, r.group, r.leaf): (r.valid, r.no_answer, r.mean_exact)
              for r in scores.groups.itertuples()}
    assert groups == reference["groups"]
    assert scores.samples.set_index(["unit", "group"])["shortfall"].to_dict() == reference["shortfall"]


def test_large_denominators_stay_exact(tmp_path):
    """Fractions with many decimals make the integer sums overflow int64: Python ints take over."""
    write(tmp_path / "catalogs" / "mini.yaml", CATALOG)
    text = SURVEY.replace("fraction: 0.6}", "fraction: 0.123456789012345678}")
    survey = load_survey(write(tmp_path / "surveys" / "mini.yaml", text))
    frame = answer_frame([("U1", "HDND", f"h{n}", {"Q1": "B"}) for n in range(50)])
    frame = pd.concat([frame] * 2000, ignore_index=True)
    scores = score_survey(survey, frame, rule("renormalise"))
    assert scores.points()[("U1", "1.2")] == F("0.123456789012345678") / 2
    assert int(np.int64(scores.samples["questionnaires"].max())) == 50


# ---- real flows: plan -> entry workbooks -> keyed -> collect -> score / status ----------------
def keyed_files(root, folder, unit_code: str, seed: int, change: str | None = None):
    """Both entry copies of a unit keyed alike (a simulated clerk); with `change`, copy 2 keys
    that serial's first answered question differently. Returns (paths, keyed, survey)."""
    import random

    from formkit.survey.entry import EntryFactory
    from formkit.survey.entry_simulate import Keyed, simulate_entry, simulated_keying
    from formkit.workspace import open_workspace

    workspace = open_workspace(root)
    unit = workspace.unit(unit_code)
    survey = workspace.surveys[unit.unit_type]
    factory = EntryFactory(workspace)
    first, second = factory.identities(unit)
    keyed = simulated_keying(first, survey, random.Random(seed))
    other = dict(keyed)
    if change is not None:
        answers = dict(keyed[change].answers)
        question = next(iter(answers))
        answers[question] = "A" if answers[question] != "A" else "B"
        other[change] = Keyed(answers, keyed_by="Trần Văn Bình")
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    for identity, typed in ((first, keyed), (second, other)):
        path = folder / f"{unit_code}-{identity.copy}.xlsx"
        path.write_bytes(simulate_entry(factory.workbook(unit, identity), identity, typed))
        paths.append(path)
    return paths, keyed, survey


def expected_frame(keyed, survey, unit_code: str, leave_out=()) -> pd.DataFrame:
    """The answers scoring should see, straight from what the clerk typed (blank -> None)."""
    rows = []
    for serial, entry in keyed.items():
        if entry.status or serial in leave_out:
            continue
        group = survey.group(parse_serial(serial).group)
        for question in group.questions:
            rows.append((unit_code, group.code, serial, question.code,
                         entry.answers.get(question.code)))
    return pd.DataFrame(rows, columns=["unit", "group", "serial", "question", "option"])


def test_score_and_status_after_collecting_double_entered_workbooks(workspace, tmp_path):
    import json

    from conftest import run_cli

    from formkit.survey.answers import collect_entries
    from formkit.survey.status import GROUP_CSV_COLUMNS, SCORES_CSV_COLUMNS, plan_minimums
    from formkit.workspace import open_workspace

    ws = open_workspace(workspace)
    _, keyed, _ = keyed_files(workspace, tmp_path / "probe", "005", seed=3)
    disputed = next(s for s, k in keyed.items() if not k.status and k.answers)
    paths, keyed, survey = keyed_files(workspace, tmp_path / "keyed", "005", seed=3, change=disputed)
    report = collect_entries(ws, paths)
    assert [d.serial for d in report.disagreements] == [disputed]

    result = run_cli("survey", "score", workspace, "--json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    units = [u.code for u in ws.sorted_units("district")]
    reference = reference_scores(survey, expected_frame(keyed, survey, "005", [disputed]),
                                 ws.settings.survey, plan_minimums(ws), units=units)
    got = {(u["unit"], leaf["leaf"]): leaf["points_exact"] for u in data["units"]
           for leaf in u["leaves"] if u["unit"] in units}
    assert got == {k: (None if v is None else str(v)) for k, v in reference["points"].items()}
    u005 = next(u for u in data["units"] if u["unit"] == "005")
    assert F(u005["points_exact"]) > 0 and u005["leaves_without_answers"] == 0
    assert data["questionnaires"] == sum(1 for s, k in keyed.items()
                                         if not k.status and s != disputed)

    scores_csv = pd.read_csv(workspace / "out" / "survey" / "scores.csv", dtype=str)
    assert tuple(scores_csv.columns) == SCORES_CSV_COLUMNS
    assert len(scores_csv) == sum(len(u["leaves"]) for u in data["units"])
    row = scores_csv[(scores_csv["unit"] == "005")].iloc[0]
    assert row["points"] == decimal_text(reference["points"][("005", row["leaf"])])
    by_group = pd.read_csv(workspace / "out" / "survey" / "scores_by_group.csv", dtype=str)
    assert tuple(by_group.columns) == GROUP_CSV_COLUMNS
    log = run_cli("log", workspace, "--kind", "survey.scored", "--json")
    assert json.loads(log.stdout)[-1]["detail"]["questionnaires"] == data["questionnaires"]

    status = json.loads(run_cli("survey", "status", workspace, "--json").stdout)
    mine = {r["group"]: r for r in status["rows"] if r["unit"] == "005"}
    disputed_group = parse_serial(disputed).group
    for group in survey.groups:
        serials = {s: k for s, k in keyed.items() if parse_serial(s).group == group.code}
        returned = sum(1 for k in serials.values() if not k.status)
        row = mine[group.code]
        assert row["issued"] == row["quota"] == len(serials)
        assert row["keyed"] == returned
        assert row["not_returned"] == len(serials) - returned
        assert row["valid"] == returned - (group.code == disputed_group)
        assert row["shortfall"] == (row["valid"] < row["min_valid"])
    others = [r for r in status["rows"] if r["unit"] != "005"]
    assert all(r["keyed"] == 0 and r["shortfall"] for r in others)
    overall = status["totals"][-1]
    assert (overall["unit_type"], overall["group"]) == (None, None)
    assert overall["valid"] == data["questionnaires"]
    assert overall["issued"] == sum(r["issued"] for r in status["rows"])

    human = run_cli("survey", "status", workspace)
    assert human.exit_code == 0 and "THIẾU MẪU" in human.stdout and "Cầu Giấy" in human.stdout

    # the second clerk corrects the file: the questionnaire joins the scores
    fixed, _, _ = keyed_files(workspace, tmp_path / "fixed", "005", seed=3)
    collect_entries(open_workspace(workspace), fixed[1:])
    again = json.loads(run_cli("survey", "score", workspace, "--json").stdout)
    assert again["questionnaires"] == data["questionnaires"] + 1
    reference = reference_scores(survey, expected_frame(keyed, survey, "005"), ws.settings.survey,
                                 plan_minimums(ws), units=units)
    assert {(u["unit"], leaf["leaf"]): leaf["points_exact"] for u in again["units"]
            for leaf in u["leaves"] if u["unit"] == "005"} == {
        k: str(v) for k, v in reference["points"].items() if k[0] == "005"}
    human = run_cli("survey", "score", workspace)
    assert human.exit_code == 0 and "Cầu Giấy" in human.stdout and "scores.csv" in human.stdout


def test_status_and_score_without_a_sampling_plan(workspace):
    import json

    from conftest import run_cli

    settings_file = workspace / "campaign.yaml"
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text("\n".join(line for line in text.splitlines()
                                       if not line.startswith("sampling:")) + "\n", encoding="utf-8")
    status = json.loads(run_cli("survey", "status", workspace, "--json").stdout)
    assert status["planned"] is False
    assert {(r["quota"], r["issued"], r["min_valid"]) for r in status["rows"]} == {(None, None, 30)}
    assert "Chưa có kế hoạch mẫu" in run_cli("survey", "status", workspace).stdout
    scores = json.loads(run_cli("survey", "score", workspace, "--json").stdout)
    assert {s["min_valid"] for u in scores["units"] for s in u["samples"]} == {30}
    assert all(u["points_exact"] == "0" for u in scores["units"])


def test_the_scoring_benchmark_runs_small_and_agrees_with_the_reference(capsys):
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "bench_survey.py"
    spec = importlib.util.spec_from_file_location("bench_survey", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.bench_scoring(questionnaires=1500, questions=30, units=4, repeats=1)
    assert result["answers"] == 45_000 and result["agrees_with_reference"]
    assert "answers/s" in capsys.readouterr().out

"""Benchmark the survey (issue 5): scoring answers, and reading keyed-entry workbooks.

Scoring: 100,000 questionnaires x 30 questions (3,000,000 answers, no-answers included, several
units and groups) through `score_survey`; target at least 1,000,000 answers per second. The
baseline, measured in the same run on the same answers, is the least any scorer must do: one
`np.bincount` pass over the answers' integer codes (and, for scale, a pandas groupby mean).

    python scripts/bench_survey.py [--questionnaires 100000] [--questions 30] [--only scoring]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from formkit.catalog import Catalog, Criterion
from formkit.settings import SurveySettings
from formkit.survey.questionnaire import AnswerOption, Question, RespondentGroup, Scale, Survey
from formkit.survey.scoring import reference_scores, score_survey


# ---- scoring ---------------------------------------------------------------------------------
def synthetic_survey(questions: int, groups: int = 5, leaves: int = 20) -> Survey:
    """`groups` groups of `questions` questions each, every question feeding one or two of
    `leaves` survey-scored leaves, on a 4-level and a 5-level scale with a no-answer option."""
    items = [Criterion("1", "Khảo sát", Decimal(leaves), Decimal(0), Decimal(leaves),
                       children=tuple(f"1.{n}" for n in range(1, leaves + 1)))]
    items += [Criterion(f"1.{n}", f"Tiêu chí {n}", Decimal(1), Decimal(0), Decimal(1))
              for n in range(1, leaves + 1)]
    catalog = Catalog("bench", "Bench", 2020, "district", "synthetic", Decimal(leaves),
                      Decimal("0.25"), tuple(items))
    def scale(code: str, fractions: str) -> Scale:
        options = [AnswerOption(chr(65 + i), chr(65 + i), Decimal(f))
                   for i, f in enumerate(fractions.split())]
        return Scale(code, code, (*options, AnswerOption("X", "không trả lời", None)))

    four, five = scale("muc-do-4", "1 0.6 0.2 0"), scale("hai-long-5", "1 0.75 0.5 0.25 0")
    group_list = []
    for g in range(groups):
        qs = []
        for q in range(questions):
            first = (g * questions + q) % leaves + 1
            feeds = (f"1.{first}",) if q % 3 else (f"1.{first}", f"1.{first % leaves + 1}")
            qs.append(Question(f"Q{q + 1:02d}", "?", "hai-long-5" if q % 2 else "muc-do-4", feeds))
        group_list.append(RespondentGroup(f"G{g + 1}", f"Nhóm {g + 1}", Decimal(g + 1), "", "", (),
                                          tuple(qs)))
    return Survey("bench", "Bench", 2020, "district", "synthetic", catalog, (four, five),
                  tuple(group_list))


def synthetic_answers(survey: Survey, questionnaires: int, units: int, seed: int = 1
                      ) -> pd.DataFrame:
    """One row per answer; options drawn at random, about 8% of them no-answers."""
    rng = np.random.default_rng(seed)
    n_q = len(survey.groups[0].questions)
    serial = np.repeat(np.arange(questionnaires), n_q)
    unit = np.repeat(rng.integers(0, units, questionnaires), n_q)
    group = np.repeat(rng.integers(0, len(survey.groups), questionnaires), n_q)
    question = np.tile(np.arange(n_q), questionnaires)
    five_level = (question % 2).astype(bool)
    option = np.where(five_level, rng.integers(0, 5, len(serial)), rng.integers(0, 4, len(serial)))
    option[rng.random(len(serial)) < 0.08] = 5  # "X"
    option_codes = ["A", "B", "C", "D", "E", "X"]
    return pd.DataFrame({
        "unit": pd.Categorical.from_codes(unit, [f"U{n:03d}" for n in range(units)]),
        "group": pd.Categorical.from_codes(group, [g.code for g in survey.groups]),
        "serial": serial,
        "question": pd.Categorical.from_codes(question, [q.code for q in survey.groups[0].questions]),
        "option": pd.Categorical.from_codes(option, option_codes)})


def best_of(repeats: int, func, *args) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_bincount(answers: pd.DataFrame) -> None:
    """One pass over the answers: counts per (unit, question, option) from the integer codes."""
    codes = [answers[c].cat.codes.to_numpy(np.intp) for c in ("unit", "question", "option")]
    np.bincount((codes[0] * 64 + codes[1]) * 8 + codes[2])


def baseline_groupby(answers: pd.DataFrame) -> None:
    """pandas' own aggregation: the mean option code per unit x group x question."""
    frame = answers.assign(value=answers["option"].cat.codes)
    frame.groupby(["unit", "group", "question"], observed=True)["value"].mean()


def bench_scoring(questionnaires: int = 100_000, questions: int = 30, units: int = 50,
                  repeats: int = 3) -> dict:
    survey = synthetic_survey(questions)
    answers = synthetic_answers(survey, questionnaires, units)
    as_text = answers.astype({c: object for c in ("unit", "group", "question", "option")})
    as_text["serial"] = np.char.add("S", answers["serial"].to_numpy().astype(str)).astype(object)
    settings = SurveySettings(min_valid_per_group=30)
    n = len(answers)
    scored = best_of(repeats, score_survey, survey, answers, settings)
    scored_text = best_of(repeats, score_survey, survey, as_text, settings)
    floor = best_of(repeats, baseline_bincount, answers)
    groupby = best_of(repeats, baseline_groupby, answers)
    result = {"answers": n, "questionnaires": questionnaires, "questions": questions,
              "units": units, "groups": len(survey.groups), "score_s": scored,
              "score_text_s": scored_text, "bincount_s": floor, "groupby_s": groupby,
              "answers_per_s": n / scored, "answers_per_s_text": n / scored_text}
    print(f"Scoring {n:,} answers ({questionnaires:,} questionnaires x {questions} questions, "
          f"{units} units x {len(survey.groups)} groups, {len(survey.catalog.leaves())} leaves):")
    print(f"  score_survey, categorical columns  {scored:8.3f} s  {n / scored:>14,.0f} answers/s"
          f"  ({scored / floor:5.1f}x one np.bincount pass, {scored / groupby:4.2f}x a pandas "
          f"groupby mean)")
    print(f"  score_survey, string columns       {scored_text:8.3f} s  {n / scored_text:>14,.0f} "
          f"answers/s")
    print(f"  baseline np.bincount pass          {floor:8.3f} s")
    print(f"  baseline pandas groupby mean       {groupby:8.3f} s")
    sample = answers[answers["serial"] < 1000]
    agrees = (score_survey(survey, sample, settings).points()
              == reference_scores(survey, sample, settings)["points"])
    print(f"  exact agreement with reference_scores on the first 1,000 questionnaires: "
          f"{'yes' if agrees else 'NO'}")
    result["agrees_with_reference"] = agrees
    verdict = "met" if n / scored >= 1_000_000 else "MISSED"
    print(f"  target >= 1,000,000 answers/s: {verdict}")
    return result


# ---- reading (survey entry & collect) ----------------------------------------------------------
def make_entry_files(workspace, folder, files: int, rows: int) -> list:
    """`files` keyed entry workbooks of `rows` questionnaires each: batches of the units' serials,
    each keyed twice (copies 1 and 2) alike but for one cell in every 50th questionnaire."""
    import random

    from formkit.survey.entry import EntryFactory
    from formkit.survey.entry_simulate import Keyed, simulate_entry, simulated_keying

    folder.mkdir(parents=True)
    factory = EntryFactory(workspace)
    units = [u for u in workspace.sorted_units() if u.unit_type in workspace.surveys]
    batches = [(unit, identity) for unit in units for identity in factory.identities(unit, rows)]
    paths = []
    for unit, identity in batches[:files]:
        assert identity.serial_count == rows
        keyed = simulated_keying(identity, workspace.surveys[unit.unit_type],
                                 random.Random(f"{unit.code}-{identity.batch}"))
        if identity.copy == 2:
            for serial in list(keyed)[::50]:
                answers = keyed[serial].answers
                if answers:
                    first = next(iter(answers))
                    answers = {**answers, first: "D" if answers[first] != "D" else "A"}
                keyed[serial] = Keyed(answers, "Trần Văn Minh", keyed[serial].status)
        path = folder / f"{len(paths):04d} {unit.code} lô {identity.batch} bản {identity.copy}.xlsx"
        path.write_bytes(simulate_entry(factory.workbook(unit, identity), identity, keyed))
        paths.append(path)
    return paths


def bench_reading(files: int = 200, rows: int = 100, repeats: int = 3) -> dict:
    """Reading entry workbooks with every check (examine_entry) against python-calamine reading
    the values of every sheet of the same files, in the same run; target within 2x."""
    import io
    import tempfile
    from pathlib import Path

    from python_calamine import CalamineWorkbook

    from formkit.survey.answers import collect_entries, entry_context
    from formkit.survey.entry_check import examine_entry
    from formkit.workspace import init_workspace, open_workspace

    def calamine(paths: list) -> None:
        for path in paths:
            book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()

    def examine_all(paths: list, ctx) -> None:
        for path in paths:
            result = examine_entry(path.read_bytes(), path.name, ctx)
            assert result.status != "rejected", [f.describe() for f in result.findings]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "workspace"
        init_workspace(root)
        groups = 5  # both example questionnaires have five respondent groups
        per_unit = 2 * rows  # two batches of `rows` serials per unit: enough distinct files
        (root / "sampling" / "hanoi-2020.yaml").write_text(
            f"sampling:\n  quota: {per_unit // groups}\n  min_valid: 1\n", encoding="utf-8")
        workspace = open_workspace(root)
        paths = make_entry_files(workspace, Path(tmp) / "keyed", files, rows)
        ctx = entry_context(workspace)
        baseline = best_of(repeats, calamine, paths)
        checked = best_of(repeats, examine_all, paths, ctx)
        start = time.perf_counter()
        report = collect_entries(workspace, [Path(tmp) / "keyed"])
        collected = time.perf_counter() - start
        assert not report.rejected
    n = len(paths)
    print(f"Reading {n} entry workbooks of {rows} questionnaires ({n * rows:,} rows):")
    print(f"  python-calamine, values of every sheet     {baseline:7.3f} s  {n / baseline:7.1f} files/s")
    print(f"  examine_entry, every check                 {checked:7.3f} s  {n / checked:7.1f} files/s"
          f"  ({checked / baseline:.2f}x calamine)")
    print(f"  survey collect (archive, ledger, compare)  {collected:7.3f} s  {n / collected:7.1f} files/s"
          f"  ({len(report.disagreements)} disagreements listed)")
    verdict = "met" if checked / baseline <= 2 else "MISSED"
    print(f"  target within 2x of python-calamine: {verdict}")
    return {"files": n, "rows": rows, "calamine_s": baseline, "examine_s": checked,
            "collect_s": collected, "ratio": checked / baseline}
# ---- end reading ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questionnaires", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--only", choices=("scoring", "reading"))
    args = parser.parse_args()
    if args.only in (None, "scoring"):
        bench_scoring(args.questionnaires, args.questions)
    reading = globals().get("bench_reading")
    if args.only in (None, "reading") and reading is not None:
        reading()


if __name__ == "__main__":
    main()

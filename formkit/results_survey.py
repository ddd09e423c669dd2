"""The survey behind the index, for the results workbook: answers per unit x group and per question.

`survey_detail` turns the valid answers (formkit.survey.doubleentry.valid_answers) and their
scores (formkit.survey.status.score_workspace) into two tables the report shows:
- `GroupDetail`, per unit x respondent group: valid questionnaires against the minimum, valid
  answers and no-answers ("không trả lời/không biết", a blank), and the group's rating: the sum of
  its mean points over the survey leaves that apply to the unit and that it answered, against
  those leaves' survey points (the scorer's per-group means, before weighting across groups);
- `QuestionDetail`, per unit type x group x question (all units of the type together): valid
  answers, no-answers, and the mean fraction of the valid answers (A = 100% ... as the scale says).
Counts are integers and means exact fractions; they are rounded only where they are shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from formkit.survey.scoring import SurveyScores


@dataclass(frozen=True)
class GroupDetail:
    unit: str
    unit_type: str
    group: str
    group_name: str
    weight: Decimal
    questionnaires: int  # valid questionnaires
    min_valid: int
    shortfall: bool
    answers: int  # valid answers (an option with a fraction)
    no_answer: int
    leaves_fed: int  # applicable survey leaves the group's questions feed
    leaves_answered: int
    points: Fraction  # sum of the group's mean points over the answered leaves
    max_points: Decimal  # survey points of those leaves

    @property
    def percent(self) -> Fraction | None:
        return self.points / Fraction(self.max_points) * 100 if self.max_points else None


@dataclass(frozen=True)
class QuestionDetail:
    unit_type: str
    group: str
    group_name: str
    question: str
    text: str
    feeds: tuple[str, ...]
    answers: int
    no_answer: int
    mean_fraction: Fraction | None  # None: no valid answer

    @property
    def percent(self) -> Fraction | None:
        return None if self.mean_fraction is None else self.mean_fraction * 100


def survey_detail(workspace, answers: pd.DataFrame, scores: SurveyScores
                  ) -> tuple[tuple[GroupDetail, ...], tuple[QuestionDetail, ...]]:
    """Per unit x group and per unit type x question, in the units' order then the survey's."""
    groups, questions = [], []
    samples = {(r.unit, r.group): r for r in scores.samples.itertuples(index=False)}
    ratings = _ratings(scores)
    for unit_type, survey in workspace.surveys.items():
        units = [u.code for u in workspace.sorted_units(unit_type)]
        tallies = _tallies(survey, answers[answers["unit"].isin(units)])
        survey_points = {leaf.code: leaf.survey for leaf in survey.catalog.leaves()}
        for unit in units:
            for group in survey.groups:
                sample = samples.get((unit, group.code))
                fed, points, leaves = ratings.get((unit, group.code), (0, [], []))
                valid, no_answer, _ = tallies["unit"].get((unit, group.code), (0, 0, 0))
                groups.append(GroupDetail(
                    unit, unit_type, group.code, group.name, group.weight,
                    int(sample.questionnaires) if sample else 0,
                    int(sample.min_valid) if sample else 0, bool(sample and sample.shortfall),
                    valid, no_answer, fed, len(points), sum(points, Fraction(0)),
                    sum((survey_points[leaf] for leaf in leaves), Decimal(0))))
        for group in survey.groups:
            for question in group.questions:
                valid, no_answer, numerator = tallies["question"].get((group.code, question.code),
                                                                      (0, 0, 0))
                mean = Fraction(numerator, valid * tallies["denominator"]) if valid else None
                questions.append(QuestionDetail(unit_type, group.code, group.name, question.code,
                                                question.text, question.feeds, valid, no_answer,
                                                mean))
    return tuple(groups), tuple(questions)


def _ratings(scores: SurveyScores) -> dict[tuple[str, str], tuple[int, list, list]]:
    """(unit, group) -> (applicable leaves fed, mean points of the answered ones, those leaves)."""
    leaves = scores.leaves
    applicable = {key for key, ok in zip(zip(leaves["unit"], leaves["leaf"], strict=True),
                                         leaves["applicable"], strict=True) if ok}
    out: dict[tuple[str, str], list] = {}
    g = scores.groups
    for unit, group, leaf, mean in zip(g["unit"], g["group"], g["leaf"], g["mean_exact"],
                                       strict=True):
        if (unit, leaf) in applicable:
            entry = out.setdefault((unit, group), [0, [], []])
            entry[0] += 1
            if mean is not None:
                entry[1].append(mean)
                entry[2].append(leaf)
    return {key: (fed, points, codes) for key, (fed, points, codes) in out.items()}


def _tallies(survey, answers: pd.DataFrame) -> dict:
    """Valid answers, no-answers and the sum of fraction numerators, per unit x group and per
    group x question; fractions as integers over one common denominator, so sums are exact."""
    scales = {s.code: s for s in survey.scales}
    fractions = {(g.code, q.code, o.code): Fraction(o.fraction)
                 for g in survey.groups for q in g.questions
                 for o in scales[q.scale].options if o.fraction is not None}
    denominator = math.lcm(1, *(f.denominator for f in fractions.values()))
    lookup = pd.DataFrame([(g, q, o, f.numerator * (denominator // f.denominator))
                           for (g, q, o), f in fractions.items()],
                          columns=["group", "question", "option", "numerator"])
    frame = answers[["unit", "group", "question", "option"]].merge(
        lookup, how="left", on=["group", "question", "option"])
    frame["valid"] = frame["numerator"].notna()
    frame["numerator"] = frame["numerator"].fillna(0).astype("int64")
    out: dict = {"denominator": denominator}
    for name, keys in (("unit", ["unit", "group"]), ("question", ["group", "question"])):
        sums = frame.groupby(keys, sort=False).agg(rows=("valid", "size"), valid=("valid", "sum"),
                                                    numerator=("numerator", "sum"))
        out[name] = {key: (int(r.valid), int(r.rows - r.valid), int(r.numerator))
                     for key, r in zip(sums.index, sums.itertuples(index=False), strict=True)}
    return out

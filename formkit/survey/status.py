"""Where the survey stands in a workspace, and the scores its valid answers give.

`survey_status`: per unit x respondent group, the questionnaires issued (the plan's serials),
keyed (a clerk entered it with answers), not returned, and valid for scoring, against the plan's
quota and minimum. `score_workspace` scores the valid answers of every unit type with
`formkit.survey.scoring.score_survey`; `run_scoring` also writes them out and records an event.

Files written by `run_scoring` (UTF-8, comma-separated, header row, dot decimals, booleans 1/0,
rows in the units' Vietnamese order then catalogue order; the columns are a stable interface):
- out/survey/scores.csv, one row per unit x survey-scored leaf (SCORES_CSV_COLUMNS):
  unit_type, unit, leaf, applicable (0: the leaf does not apply to the unit, points empty),
  survey_points (the leaf's survey maximum), points (exact value rounded half-up to 12 decimals),
  groups_fed (groups with a question feeding the leaf), groups_answered (those with a valid
  answer), groups_used (in the weighted mean: answered ones, or all fed ones with
  `empty_group: zero`), valid, no_answer (answers over those groups), no_answers (1: no group
  has a valid answer, points 0), shortfall (1: a feeding group is short of its minimum);
- out/survey/scores_by_group.csv, one row per unit x group x leaf the group feeds
  (GROUP_CSV_COLUMNS): unit_type, unit, group, leaf, weight, valid, no_answer, mean (mean of
  fraction x survey points over the valid answers; empty without one), used.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pandas as pd

from formkit.fileio import atomic_write_bytes
from formkit.survey.scoring import SurveyScores, decimal_text, score_survey
from formkit.units import UNIT_TYPES
from formkit.workspace import Workspace

SCORES_DIR = "survey"
SCORES_CSV_COLUMNS = ("unit_type", "unit", "leaf", "applicable", "survey_points", "points",
                      "groups_fed", "groups_answered", "groups_used", "valid", "no_answer",
                      "no_answers", "shortfall")
GROUP_CSV_COLUMNS = ("unit_type", "unit", "group", "leaf", "weight", "valid", "no_answer", "mean",
                     "used")


# ---- scores ----------------------------------------------------------------------------------
def plan_minimums(workspace: Workspace) -> dict[tuple[str, str], int] | None:
    """The sampling plan's minimum per (unit, group), or None when the campaign has no plan."""
    if not workspace.settings.sampling_file:
        return None
    from formkit.survey.plan import sampling_plan

    return {(row.unit, row.group): row.min_valid for row in sampling_plan(workspace).rows}


def score_workspace(workspace: Workspace, answers: pd.DataFrame | None = None) -> SurveyScores:
    """Survey scores of every unit of every unit type that has a questionnaire."""
    if answers is None:
        from formkit.survey.doubleentry import valid_answers

        answers = valid_answers(workspace)
    minimums = plan_minimums(workspace)
    parts = []
    for unit_type, survey in workspace.surveys.items():
        units = [u.code for u in workspace.sorted_units(unit_type)]
        mine = answers[answers["unit"].isin(units)]
        parts.append(score_survey(survey, mine, workspace.settings.survey, minimums, units=units))
    return SurveyScores.concat(parts, workspace.settings.survey.empty_group)


@dataclass(frozen=True)
class ScoreRun:
    scores: SurveyScores
    answers: int
    questionnaires: int
    files: dict[str, Path]

    def to_dict(self) -> dict:
        return {"answers": self.answers, "questionnaires": self.questionnaires,
                "files": {k: str(v) for k, v in self.files.items()}, **self.scores.to_dict()}


def run_scoring(workspace: Workspace) -> ScoreRun:
    """Score the valid answers, write the CSV files and record a `survey.scored` event."""
    from formkit.survey.doubleentry import valid_answers

    answers = valid_answers(workspace)
    scores = score_workspace(workspace, answers)
    unit_types = {u.code: u.unit_type for u in workspace.units}
    folder = workspace.out_dir / SCORES_DIR
    files = {"scores": folder / "scores.csv", "by_group": folder / "scores_by_group.csv"}
    digests = {}
    for key, frame in (("scores", scores_csv_frame(scores, unit_types)),
                       ("by_group", groups_csv_frame(scores, unit_types))):
        data = csv_bytes(frame)
        atomic_write_bytes(files[key], data)
        digests[key] = hashlib.sha256(data).hexdigest()
    questionnaires = int(answers[["unit", "group", "serial"]].drop_duplicates().shape[0])
    totals = scores.totals()
    with workspace.ledger() as ledger, ledger.transaction():
        ledger.log("survey.scored", {
            "empty_group": scores.empty_group, "answers": len(answers),
            "questionnaires": questionnaires, "units": len(totals),
            "leaves_without_answers": int(totals["leaves_without_answers"].sum()),
            "groups_short": int(totals["groups_short"].sum()),
            "files": {k: p.relative_to(workspace.root).as_posix() for k, p in files.items()},
            "sha256": digests})
    return ScoreRun(scores, len(answers), questionnaires, files)


def _flag(values: pd.Series) -> pd.Series:
    return values.astype(bool).astype(int)


def _number(value: float) -> str:
    return "" if pd.isna(value) else decimal_text(Fraction(value).limit_denominator(10 ** 9), 12
                                                   ).rstrip("0").rstrip(".")


def scores_csv_frame(scores: SurveyScores, unit_types: dict[str, str]) -> pd.DataFrame:
    leaves = scores.leaves
    frame = pd.DataFrame({
        "unit_type": leaves["unit"].map(unit_types), "unit": leaves["unit"], "leaf": leaves["leaf"],
        "applicable": _flag(leaves["applicable"]),
        "survey_points": leaves["survey_points"].map(_number),
        "points": leaves["points_exact"].map(decimal_text),
        **{c: leaves[c] for c in ("groups_fed", "groups_answered", "groups_used", "valid",
                                  "no_answer")},
        "no_answers": _flag(leaves["no_answers"]), "shortfall": _flag(leaves["shortfall"])})
    return frame[list(SCORES_CSV_COLUMNS)]


def groups_csv_frame(scores: SurveyScores, unit_types: dict[str, str]) -> pd.DataFrame:
    groups = scores.groups
    frame = pd.DataFrame({
        "unit_type": groups["unit"].map(unit_types), "unit": groups["unit"],
        "group": groups["group"], "leaf": groups["leaf"], "weight": groups["weight"].map(_number),
        "valid": groups["valid"], "no_answer": groups["no_answer"],
        "mean": groups["mean_exact"].map(decimal_text), "used": _flag(groups["used"])})
    return frame[list(GROUP_CSV_COLUMNS)]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


# ---- status ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleStatus:
    """One unit x group: questionnaires at each stage against the plan."""

    unit: str
    unit_type: str
    group: str
    quota: int | None  # None: the campaign has no sampling plan
    issued: int | None
    keyed: int  # keyed with answers (valid or not)
    not_returned: int  # keyed as not returned
    valid: int  # valid for scoring
    min_valid: int
    states: dict[str, int]  # keyed questionnaires by state (formkit.survey.doubleentry)

    @property
    def shortfall(self) -> bool:
        return self.valid < self.min_valid

    def to_dict(self) -> dict:
        return {"unit": self.unit, "unit_type": self.unit_type, "group": self.group,
                "quota": self.quota, "issued": self.issued, "keyed": self.keyed,
                "not_returned": self.not_returned, "valid": self.valid,
                "min_valid": self.min_valid, "shortfall": self.shortfall, "states": self.states}


@dataclass(frozen=True)
class StatusTotal:
    unit_type: str | None  # None: every unit type
    group: str | None  # None: every group
    cells: int  # unit x group pairs
    quota: int | None
    issued: int | None
    keyed: int
    not_returned: int
    valid: int
    min_valid: int
    short: int  # unit x group pairs short of their minimum

    def to_dict(self) -> dict:
        return {"unit_type": self.unit_type, "group": self.group, "cells": self.cells,
                "quota": self.quota, "issued": self.issued, "keyed": self.keyed,
                "not_returned": self.not_returned, "valid": self.valid,
                "min_valid": self.min_valid, "short": self.short}


@dataclass(frozen=True)
class SurveyStatus:
    rows: tuple[SampleStatus, ...]
    planned: bool

    def totals(self) -> list[StatusTotal]:
        """Per unit type: each group, then the unit type; last, everything."""
        result = []
        for unit_type in UNIT_TYPES:
            rows = [r for r in self.rows if r.unit_type == unit_type]
            groups = list(dict.fromkeys(r.group for r in rows))
            result += [_total(unit_type, g, [r for r in rows if r.group == g]) for g in groups]
            if rows:
                result.append(_total(unit_type, None, rows))
        result.append(_total(None, None, list(self.rows)))
        return result

    def to_dict(self) -> dict:
        return {"planned": self.planned, "rows": [r.to_dict() for r in self.rows],
                "totals": [t.to_dict() for t in self.totals()],
                "short": sum(r.shortfall for r in self.rows)}


def _total(unit_type: str | None, group: str | None, rows: list[SampleStatus]) -> StatusTotal:
    def total(key: str) -> int | None:
        values = [getattr(r, key) for r in rows]
        return None if any(v is None for v in values) else sum(values)

    return StatusTotal(unit_type, group, len(rows), total("quota"), total("issued"),
                       total("keyed"), total("not_returned"), total("valid"), total("min_valid"),
                       sum(r.shortfall for r in rows))


def survey_status(workspace: Workspace) -> SurveyStatus:
    """Issued / keyed / valid questionnaires per unit x group, against quota and minimum."""
    from formkit.survey.doubleentry import NOT_RETURNED, VALID, questionnaire_states

    quotas, issued, minimums = {}, {}, plan_minimums(workspace) or {}
    if workspace.settings.sampling_file:
        from formkit.survey.plan import sampling_plan
        from formkit.survey.serials import plan_serials

        plan = sampling_plan(workspace)
        quotas = {(r.unit, r.group): r.quota for r in plan.rows}
        for serial in plan_serials(plan):
            issued[serial.unit, serial.group] = issued.get((serial.unit, serial.group), 0) + 1
    states = questionnaire_states(workspace)
    counts = (states.groupby(["unit", "group", "state"]).size().to_dict() if len(states) else {})
    default = workspace.settings.survey.min_valid_per_group
    rows = []
    for unit_type, survey in workspace.surveys.items():
        for unit in workspace.sorted_units(unit_type):
            for group in survey.groups:
                key = (unit.code, group.code)
                by_state = {s: int(n) for (u, g, s), n in counts.items() if (u, g) == key}
                rows.append(SampleStatus(
                    unit.code, unit_type, group.code, quotas.get(key) if quotas else None,
                    issued.get(key, 0) if quotas else None,
                    sum(n for s, n in by_state.items() if s != NOT_RETURNED),
                    by_state.get(NOT_RETURNED, 0), by_state.get(VALID, 0),
                    minimums.get(key, default), by_state))
    return SurveyStatus(tuple(rows), bool(quotas))

"""Survey scores: from valid answers to the points of every survey-scored leaf, per unit.

The rule (DOMAIN.md §3, issue 5 point 5), for one leaf and one unit:

1. within each respondent group whose questions feed the leaf, the mean over the group's VALID
   answers (options with a fraction) to all of those questions of `fraction x leaf.survey`;
   no-answer options (and a missing option) leave the denominator and are counted apart;
2. across those groups, the mean weighted by the groups' weights. A group with no valid answer
   for the leaf is dropped and the weights renormalised (`empty_group: renormalise`) or counts as
   0 (`empty_group: zero`); when no group has a valid answer the leaf scores 0 and is flagged;
3. a unit's survey total is the sum over the leaves that apply to it (`leaf.applies_to(unit)`).

A unit x group has a shortfall when it has fewer valid questionnaires (distinct serials in the
answers) than its minimum: the sampling plan's, else `survey.min_valid_per_group`.

`score_survey` is the production path: one pass of integer `np.bincount` over the answers gives
the count of every (unit, question, option); everything after works on that small table (units x
questions x options), so the time grows with the answers only through that one pass. Counts and
fraction numerators are integers, so the group sums are exact, and the last step (group means and
the weighted mean, one small loop per unit x leaf) is done in `Fraction`: the points are exact
rationals, and the float columns are their correctly rounded values. `reference_scores` restates
the rule answer by answer, in fractions, as the specification the tests hold the scorer to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from formkit.catalog import Criterion
from formkit.errors import InvalidDataError
from formkit.settings import EMPTY_GROUP_RULES, SurveySettings
from formkit.survey.questionnaire import Survey

ANSWER_COLUMNS = ("unit", "group", "serial", "question", "option")
# Column order of the frames SurveyScores holds (and of the CSV files written from them).
LEAF_COLUMNS = ("unit", "leaf", "applicable", "survey_points", "points", "points_exact",
                "groups_fed", "groups_answered", "groups_used", "valid", "no_answer",
                "no_answers", "shortfall")
GROUP_COLUMNS = ("unit", "group", "leaf", "weight", "valid", "no_answer", "mean", "mean_exact",
                 "used")
SAMPLE_COLUMNS = ("unit", "group", "questionnaires", "min_valid", "shortfall")
TOTAL_COLUMNS = ("unit", "points", "points_exact", "survey_max", "leaves", "leaves_without_answers",
                 "groups_short")
VALID, NO_ANSWER, UNKNOWN = 0, 1, 2  # what an option code means for a question


@dataclass(frozen=True)
class SurveyScores:
    """Survey points of one or more surveys' units, as tidy frames (columns: *_COLUMNS).

    `leaves`: one row per unit x survey-scored leaf; `groups`: per unit x group x leaf the group
    feeds; `samples`: per unit x group, valid questionnaires against the minimum. Points are
    floats in `points`/`mean` and exact `Fraction`s in `points_exact`/`mean_exact`; a leaf that
    does not apply to a unit has no points (NaN / None) and counts in no total.
    """

    leaves: pd.DataFrame
    groups: pd.DataFrame
    samples: pd.DataFrame
    empty_group: str

    def totals(self) -> pd.DataFrame:
        """Per unit: survey points (applicable leaves), their maximum, and what is flagged."""
        rows = []
        short = self.samples.groupby("unit", sort=False)["shortfall"].sum()
        for unit, leaves in self.leaves.groupby("unit", sort=False):
            applicable = leaves[leaves["applicable"]]
            exact = sum(applicable["points_exact"], Fraction(0))
            rows.append((unit, float(exact), exact, float(applicable["survey_points"].sum()),
                         len(applicable), int(applicable["no_answers"].sum()),
                         int(short.get(unit, 0))))
        return pd.DataFrame(rows, columns=list(TOTAL_COLUMNS))

    def points(self) -> dict[tuple[str, str], Fraction | None]:
        """Exact points per (unit, leaf); None where the leaf does not apply to the unit."""
        return dict(zip(zip(self.leaves["unit"], self.leaves["leaf"], strict=True),
                        self.leaves["points_exact"], strict=True))

    def to_dict(self) -> dict:
        """JSON-ready: per unit its total, leaves (with the groups feeding each) and samples."""
        groups = {key: frame for key, frame in self.groups.groupby(["unit", "leaf"], sort=False)}
        samples = {unit: frame for unit, frame in self.samples.groupby("unit", sort=False)}
        leaves = {unit: frame for unit, frame in self.leaves.groupby("unit", sort=False)}
        units = []
        for total in self.totals().itertuples(index=False):
            units.append({
                "unit": total.unit, "points": total.points,
                "points_exact": exact_text(total.points_exact), "survey_max": total.survey_max,
                "leaves_without_answers": total.leaves_without_answers,
                "groups_short": total.groups_short,
                "leaves": [_leaf_dict(row, groups.get((total.unit, row["leaf"])))
                           for row in _records(leaves[total.unit])],
                "samples": _records(samples.get(total.unit, self.samples.iloc[:0]))})
        return {"empty_group": self.empty_group, "units": units}

    @classmethod
    def concat(cls, parts: Sequence[SurveyScores], empty_group: str) -> SurveyScores:
        """One result from several surveys (one per unit type)."""
        def join(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
            frames = [f for f in frames if len(f)]
            return (pd.concat(frames, ignore_index=True) if frames
                    else pd.DataFrame(columns=list(columns)))
        return cls(join([p.leaves for p in parts], LEAF_COLUMNS),
                   join([p.groups for p in parts], GROUP_COLUMNS),
                   join([p.samples for p in parts], SAMPLE_COLUMNS), empty_group)


def exact_text(value: Fraction | None) -> str | None:
    """'p/q' (or 'p'): an exact value as text for JSON; never for CSV (spreadsheets read dates)."""
    return None if value is None else str(value)


def rounded(value: Fraction, places: int) -> Decimal:
    """An exact value rounded half-up (away from zero) to `places` decimals, in one step."""
    scaled = abs(value) * 10 ** places
    units = math.floor(scaled + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)


def decimal_text(value: Fraction | None, places: int = 12) -> str:
    """A fraction rounded half-up to `places` decimals, with a dot: the CSV form of points."""
    return "" if value is None else format(rounded(value, places), "f")


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: object) -> object:
    if isinstance(value, Fraction):
        return exact_text(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _leaf_dict(row: dict, groups: pd.DataFrame | None) -> dict:
    row = {k: v for k, v in row.items() if k != "unit"}
    row["groups"] = [] if groups is None else [
        {k: v for k, v in g.items() if k not in ("unit", "leaf")} for g in _records(groups)]
    return row


# ---- the survey as lookup tables ---------------------------------------------------------------
@dataclass(frozen=True)
class _Tables:
    """A survey compiled for vectorised lookups. Questions are numbered across all groups; an
    option code is a column of `kinds`/`numerators`, with two more columns for a missing option
    and for a code no scale knows."""

    groups: tuple[str, ...]
    weights: tuple[Fraction, ...]
    questions: tuple[tuple[int, str], ...]  # (group index, question code)
    options: dict[str, int]
    kinds: np.ndarray  # [questions, options + 2] int8: VALID, NO_ANSWER or UNKNOWN
    numerators: np.ndarray  # [questions, options + 2] int64: fraction x denominator, 0 if not valid
    denominator: int
    leaves: tuple[Criterion, ...]  # the survey-scored leaves, in catalogue order
    combos: tuple[tuple[int, int], ...]  # (group, leaf) pairs where the group feeds the leaf
    pair_question: np.ndarray  # question -> combo incidence, as two parallel index arrays
    pair_combo: np.ndarray

    @property
    def missing(self) -> int:
        return len(self.options)

    @property
    def foreign(self) -> int:
        return len(self.options) + 1


def _compile(survey: Survey) -> _Tables:
    leaves = tuple(leaf for leaf in survey.catalog.leaves() if leaf.survey > 0)
    leaf_index = {leaf.code: i for i, leaf in enumerate(leaves)}
    options = {code: i for i, code in enumerate(sorted({o.code for s in survey.scales
                                                        for o in s.options}))}
    denominator = math.lcm(*(Fraction(o.fraction).denominator for s in survey.scales
                             for o in s.options if o.fraction is not None))
    questions, kinds, numerators, pairs = [], [], [], []
    for gi, group in enumerate(survey.groups):
        for question in group.questions:
            kind = np.full(len(options) + 2, UNKNOWN, dtype=np.int8)
            numerator = np.zeros(len(options) + 2, dtype=np.int64)
            kind[len(options)] = NO_ANSWER  # an answer keyed without an option
            for option in survey.scale(question.scale).options:
                j = options[option.code]
                kind[j] = NO_ANSWER if option.is_no_answer else VALID
                if not option.is_no_answer:
                    numerator[j] = int(Fraction(option.fraction) * denominator)
            pairs += [(len(questions), gi, leaf_index[code]) for code in dict.fromkeys(question.feeds)]
            questions.append((gi, question.code))
            kinds.append(kind)
            numerators.append(numerator)
    combos = sorted({(gi, li) for _, gi, li in pairs}, key=lambda c: (c[1], c[0]))
    combo_index = {c: i for i, c in enumerate(combos)}
    width = len(options) + 2
    return _Tables(tuple(g.code for g in survey.groups),
                   tuple(Fraction(g.weight) for g in survey.groups), tuple(questions), options,
                   np.array(kinds, dtype=np.int8).reshape(-1, width),
                   np.array(numerators, dtype=np.int64).reshape(-1, width), denominator, leaves,
                   tuple(combos), np.array([q for q, _, _ in pairs], dtype=np.intp),
                   np.array([combo_index[(g, li)] for _, g, li in pairs], dtype=np.intp))


# ---- the vectorised scorer ---------------------------------------------------------------------
def score_survey(survey: Survey, answers: pd.DataFrame, settings: SurveySettings,
                 min_valid: Mapping[tuple[str, str], int] | None = None, *,
                 units: Iterable[str] | None = None) -> SurveyScores:
    """Score the valid answers of one survey's units (see the module docstring for the rule).

    `answers` has the columns ANSWER_COLUMNS, one row per answer of a questionnaire valid for
    scoring (strings or categoricals; a missing option counts as a no-answer). `min_valid` maps
    (unit, group) to its minimum of valid questionnaires (default: the settings'). `units` are
    scored even without answers (all their leaves then score 0, flagged); units that only appear
    in the answers follow them. Raises InvalidDataError on a group, question or option code the
    survey does not know.
    """
    if settings.empty_group not in EMPTY_GROUP_RULES:
        raise ValueError(f"empty_group must be one of {EMPTY_GROUP_RULES}: {settings.empty_group!r}")
    absent = [c for c in ANSWER_COLUMNS if c not in answers.columns]
    if absent:
        raise ValueError(f"answers lack the columns {absent}")
    tables = _compile(survey)
    unit_codes, u = _unit_codes(answers["unit"], units)
    g, q, o = _answer_codes(tables, answers)
    counts = _option_counts(tables, len(unit_codes), u, q, o)
    _check_options(tables, unit_codes, counts)
    valid, no_answer, sums = _per_combo(tables, counts)
    questionnaires = _questionnaires(len(unit_codes), len(tables.groups), u, g, answers["serial"])
    default = settings.min_valid_per_group
    minimum = np.array([[int((min_valid or {}).get((unit, group), default))
                         for group in tables.groups] for unit in unit_codes],
                       dtype=np.int64).reshape(len(unit_codes), len(tables.groups))
    leaves, groups = _combine(tables, unit_codes, valid, no_answer, sums, questionnaires < minimum,
                              settings.empty_group)
    samples = pd.DataFrame({
        "unit": np.repeat(np.array(unit_codes, dtype=object), len(tables.groups)),
        "group": np.tile(np.array(tables.groups, dtype=object), len(unit_codes)),
        "questionnaires": questionnaires.ravel(), "min_valid": minimum.ravel(),
        "shortfall": (questionnaires < minimum).ravel()}, columns=list(SAMPLE_COLUMNS))
    return SurveyScores(leaves, groups, samples, settings.empty_group)


def _factorize(column: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (-1 for a missing value) and the distinct values, for any column dtype."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(np.intp), list(column.cat.categories)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.intp, copy=False), list(uniques)


def _recode(codes: np.ndarray, uniques: list, mapping: Mapping, unknown: int, missing: int
            ) -> np.ndarray:
    """Codes of one vocabulary to another through a lookup array (the last slot: missing)."""
    lookup = np.array([mapping.get(_text(v), unknown) for v in uniques] + [missing], dtype=np.intp)
    return lookup[codes]  # code -1 (missing) picks the last slot


def _text(value: object) -> str:
    return str(value).strip()


def _unit_codes(column: pd.Series, units: Iterable[str] | None) -> tuple[list[str], np.ndarray]:
    codes, uniques = _factorize(column)
    if (codes < 0).any():
        raise InvalidDataError("Có câu trả lời không ghi đơn vị.")
    listed = list(dict.fromkeys(units or ()))
    seen = set(listed)
    listed += sorted({_text(v) for v in uniques} - seen)
    index = {code: i for i, code in enumerate(listed)}
    return listed, _recode(codes, uniques, index, -1, -1)


def _answer_codes(tables: _Tables, answers: pd.DataFrame
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per answer: group index, question index (numbered across groups), option column."""
    g_codes, g_uniques = _factorize(answers["group"])
    g = _recode(g_codes, g_uniques, {c: i for i, c in enumerate(tables.groups)}, -1, -1)
    q_codes, q_uniques = _factorize(answers["question"])
    by_code = {(gi, code): qi for qi, (gi, code) in enumerate(tables.questions)}
    lookup = np.array([[by_code.get((gi, _text(v)), -1) for v in q_uniques] + [-1]
                       for gi in range(len(tables.groups))], dtype=np.intp)
    bad = g < 0
    q = np.full(len(g), -1, dtype=np.intp)
    q[~bad] = lookup[g[~bad], q_codes[~bad]]
    if (q < 0).any():
        row = answers.iloc[int(np.flatnonzero(q < 0)[0])]
        raise InvalidDataError(
            f"Câu trả lời không khớp bộ phiếu: {(q < 0).sum()} câu, ví dụ đơn vị {row['unit']}, "
            f"nhóm '{row['group']}', câu '{row['question']}' (phiếu {row['serial']}).")
    o_codes, o_uniques = _factorize(answers["option"])
    options = dict(tables.options)
    options[""] = tables.missing
    o = _recode(o_codes, o_uniques, options, tables.foreign, tables.missing)
    return g, q, o


def _option_counts(tables: _Tables, n_units: int, u: np.ndarray, q: np.ndarray, o: np.ndarray
                   ) -> np.ndarray:
    """The one pass over the answers: how many times each (unit, question, option) occurs."""
    n_q, width = tables.kinds.shape
    key = (u * n_q + q) * width + o
    return np.bincount(key, minlength=n_units * n_q * width).reshape(n_units, n_q, width)


def _check_options(tables: _Tables, unit_codes: list[str], counts: np.ndarray) -> None:
    bad = counts * (tables.kinds == UNKNOWN)
    if not bad.any():
        return
    ui, qi, oi = (int(x[0]) for x in np.nonzero(bad))
    names = {i: c for c, i in tables.options.items()}
    gi, code = tables.questions[qi]
    raise InvalidDataError(
        f"Có {int(bad.sum())} câu trả lời chọn phương án không có trong thang đo, ví dụ đơn vị "
        f"{unit_codes[ui]}, nhóm '{tables.groups[gi]}', câu '{code}': "
        f"'{names.get(oi, '(mã lạ)')}'.")


def _per_combo(tables: _Tables, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Valid answers, no-answers and the sum of numerators per unit x (group, leaf)."""
    n_units = counts.shape[0]
    dtype = np.int64 if tables.denominator * max(int(counts.sum()), 1) < 2 ** 62 else object
    valid_q = (counts * (tables.kinds == VALID)).sum(axis=2)
    no_answer_q = (counts * (tables.kinds == NO_ANSWER)).sum(axis=2)
    sums_q = (counts.astype(dtype) * tables.numerators.astype(dtype)).sum(axis=2)
    out = []
    for per_question, kind in ((valid_q, np.int64), (no_answer_q, np.int64), (sums_q, dtype)):
        per_combo = np.zeros((n_units, len(tables.combos)), dtype=kind)
        np.add.at(per_combo, (slice(None), tables.pair_combo), per_question[:, tables.pair_question])
        out.append(per_combo)
    return tuple(out)


def _questionnaires(n_units: int, n_groups: int, u: np.ndarray, g: np.ndarray,
                    serials: pd.Series) -> np.ndarray:
    """Distinct serials per unit x group: the valid questionnaires."""
    s, uniques = _factorize(serials)
    if (s < 0).any():
        raise InvalidDataError("Có câu trả lời không ghi số phiếu.")
    cell = u * n_groups + g
    distinct = pd.unique(cell.astype(np.int64) * max(len(uniques), 1) + s) // max(len(uniques), 1)
    return np.bincount(distinct, minlength=n_units * n_groups).reshape(n_units, n_groups)


def _combine(tables: _Tables, unit_codes: list[str], valid: np.ndarray, no_answer: np.ndarray,
             sums: np.ndarray, short: np.ndarray, rule: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group means and weighted means, exact; small loops over units x (group, leaf) only."""
    by_leaf: dict[int, list[int]] = {}
    for c, (_, li) in enumerate(tables.combos):
        by_leaf.setdefault(li, []).append(c)
    points_of = [Fraction(leaf.survey) for leaf in tables.leaves]
    leaf_rows, group_rows = [], []
    valid_l, no_answer_l, sums_l, short_l = (valid.tolist(), no_answer.tolist(), sums.tolist(),
                                             short.tolist())
    for ui, unit in enumerate(unit_codes):
        for li, leaf in enumerate(tables.leaves):
            fed = by_leaf.get(li, [])
            means = {}
            for c in fed:
                n = valid_l[ui][c]
                means[c] = (points_of[li] * Fraction(sums_l[ui][c], n * tables.denominator)
                            if n else None)
            answered = [c for c in fed if means[c] is not None]
            used = (answered if rule == "renormalise" else fed) if answered else []
            weight = sum((tables.weights[tables.combos[c][0]] for c in used), Fraction(0))
            points = (sum((tables.weights[tables.combos[c][0]] * means[c] for c in answered),
                          Fraction(0)) / weight) if used else Fraction(0)
            applicable = leaf.applies_to(unit)
            leaf_rows.append((
                unit, leaf.code, applicable, float(leaf.survey),
                float(points) if applicable else math.nan, points if applicable else None,
                len(fed), len(answered), len(used), sum(valid_l[ui][c] for c in fed),
                sum(no_answer_l[ui][c] for c in fed), applicable and not answered,
                applicable and any(short_l[ui][tables.combos[c][0]] for c in fed)))
            for c in fed:
                gi = tables.combos[c][0]
                group_rows.append((unit, tables.groups[gi], leaf.code, float(tables.weights[gi]),
                                   valid_l[ui][c], no_answer_l[ui][c],
                                   math.nan if means[c] is None else float(means[c]), means[c],
                                   c in used))
    return (pd.DataFrame(leaf_rows, columns=list(LEAF_COLUMNS)),
            pd.DataFrame(group_rows, columns=list(GROUP_COLUMNS)))


# ---- the reference ---------------------------------------------------------------------------
def reference_scores(survey: Survey, answers: pd.DataFrame, settings: SurveySettings,
                     min_valid: Mapping[tuple[str, str], int] | None = None,
                     units: Iterable[str] = ()) -> dict:
    """The rule restated answer by answer in exact fractions (slow; the tests' specification).

    Returns {"points": {(unit, leaf): Fraction | None}, "groups": {(unit, group, leaf): (valid,
    no_answer, mean | None)}, "shortfall": {(unit, group): bool}}.
    """
    tally: dict[tuple[str, str, str], list] = {}
    serials: dict[tuple[str, str], set] = {}
    for row in answers.itertuples(index=False):
        unit, group = _text(row.unit), _text(row.group)
        question = next(q for q in survey.group(group).questions if q.code == _text(row.question))
        code = "" if pd.isna(row.option) else _text(row.option)
        option = survey.scale(question.scale).option(code) if code else None
        serials.setdefault((unit, group), set()).add(row.serial)
        for leaf in dict.fromkeys(question.feeds):
            entry = tally.setdefault((unit, group, leaf), [[], 0])
            if option is None or option.is_no_answer:
                entry[1] += 1
            else:
                entry[0].append(Fraction(option.fraction))
    all_units = list(dict.fromkeys([*units, *sorted({u for u, _ in serials})]))
    result: dict = {"points": {}, "groups": {}, "shortfall": {}}
    for unit in all_units:
        for group in survey.groups:
            floor = (min_valid or {}).get((unit, group.code), settings.min_valid_per_group)
            result["shortfall"][unit, group.code] = len(serials.get((unit, group.code), ())) < floor
        for leaf in survey.catalog.leaves():
            if leaf.survey > 0:
                result["points"][unit, leaf.code] = _reference_leaf(survey, settings, unit, leaf,
                                                                    tally, result["groups"])
    return result


def _reference_leaf(survey: Survey, settings: SurveySettings, unit: str, leaf: Criterion,
                    tally: dict, groups_out: dict) -> Fraction | None:
    weighted, weights, answered = Fraction(0), Fraction(0), False
    for group in survey.groups:
        if not any(leaf.code in q.feeds for q in group.questions):
            continue
        fractions, no_answer = tally.get((unit, group.code, leaf.code), ([], 0))
        mean = (sum(fractions, Fraction(0)) / len(fractions) * Fraction(leaf.survey)
                if fractions else None)
        groups_out[unit, group.code, leaf.code] = (len(fractions), no_answer, mean)
        if mean is not None:
            answered = True
            weighted += Fraction(group.weight) * mean
            weights += Fraction(group.weight)
        elif settings.empty_group == "zero":
            weights += Fraction(group.weight)
    if not leaf.applies_to(unit):
        return None
    return weighted / weights if answered else Fraction(0)

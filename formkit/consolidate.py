"""Consolidation (DOMAIN.md §1 step 4, §4): the index of every unit, its rank, per-type figures.

index points = appraised points (appraisal-scored parts of the leaves, as the council set them)
             + survey points (survey-scored parts, from the survey scores);
index %      = index points / the unit's applicable maximum x 100 (leaves that do not apply to the
               unit are left out of both);
rank         = competition ranking (1, 2, 2, 4) within the unit type on the total rounded to
               2 decimals half-up (RANK_RULE, stated in every output).

`compute` is the pure core over plain data (`UnitInput`, `TreeSpec`): appraised points stay
`Decimal`, survey points `Fraction`, their sums `Fraction`; nothing is rounded except for
presentation and for the ranking key. `consolidate` gathers the inputs from a workspace (ledger,
current appraisal, survey scores), computes, and reads the previous year's CSV when given.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from formkit.catalog import Catalog
from formkit.errors import FormkitError

ZERO = Decimal(0)
RANK_PLACES = 2
RANK_RULE = ("Xếp hạng theo từng loại đơn vị, trên tổng điểm làm tròn 2 chữ số thập phân "
             "(làm tròn nửa lên); các đơn vị bằng điểm cùng hạng, hạng kế tiếp bỏ qua "
             "số hạng đã dùng (1, 2, 2, 4).")
OK, MISSING_ZERO, EXCLUDED, INCOMPLETE = "ok", "missing-zero", "excluded", "incomplete"
STATUS_LABELS = {OK: "Đủ dữ liệu", MISSING_ZERO: "Không có biểu: tính 0 điểm thẩm định",
                 EXCLUDED: "Không có biểu: không xếp hạng", INCOMPLETE: "Thiếu dữ liệu"}


# ---- plain inputs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeafSpec:
    code: str
    area: str
    criterion: str  # the depth-2 item holding the leaf (the leaf itself when it sits at depth 2)
    max_points: Decimal
    appraisal: Decimal  # appraisal-scored part of the max
    survey: Decimal  # survey-scored part of the max
    not_applicable_to: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TreeSpec:
    unit_type: str
    areas: tuple[tuple[str, str], ...]  # (code, text)
    leaves: tuple[LeafSpec, ...]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> TreeSpec:
        leaves = tuple(LeafSpec(
            leaf.code, leaf.code.split(".")[0], ".".join(leaf.code.split(".")[:2]),
            leaf.max_points, leaf.appraisal, leaf.survey, frozenset(leaf.not_applicable_to))
            for leaf in catalog.leaves())
        return cls(catalog.unit_type, tuple((a.code, a.text) for a in catalog.areas()), leaves)


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    unit_type: str
    has_return: bool
    appraised: dict[str, Decimal] | None  # None: no (current) appraisal
    self_scores: dict[str, Decimal | None] = field(default_factory=dict)
    survey: dict[str, Fraction | None] | None = None  # None: no survey data for the unit
    stale_appraisal: bool = False
    survey_gaps: tuple[str, ...] = ()  # leaves with no valid survey answer at all


# ---- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeafResult:
    code: str
    max_points: Decimal
    self_score: Decimal | None
    appraised: Decimal | None  # None: the leaf has no appraisal part
    survey: Fraction | None  # None: the leaf has no survey part

    @property
    def total(self) -> Fraction:
        return Fraction(self.appraised or ZERO) + (self.survey or 0)


@dataclass(frozen=True)
class AreaResult:
    code: str
    max_points: Decimal  # applicable to the unit
    appraised: Decimal
    survey: Fraction
    self_score: Decimal

    @property
    def total(self) -> Fraction:
        return Fraction(self.appraised) + self.survey

    @property
    def adjustment(self) -> Decimal:
        return self.self_score - self.appraised

    @property
    def percent(self) -> Fraction | None:
        return self.total / Fraction(self.max_points) * 100 if self.max_points else None


@dataclass(frozen=True)
class UnitResult:
    code: str
    name: str
    unit_type: str
    status: str
    notes: tuple[str, ...]
    applicable_max: Decimal
    appraised: Decimal
    survey: Fraction
    self_total: Decimal
    areas: tuple[AreaResult, ...]
    criteria: dict[str, Fraction]
    leaves: tuple[LeafResult, ...]
    rank: int | None = None
    previous_total: Fraction | None = None
    previous_rank: int | None = None

    @property
    def total(self) -> Fraction:
        return Fraction(self.appraised) + self.survey

    @property
    def index(self) -> Fraction:
        return self.total / Fraction(self.applicable_max) * 100 if self.applicable_max else Fraction(0)

    @property
    def adjustment(self) -> Decimal:
        return self.self_total - self.appraised

    @property
    def ranked(self) -> bool:
        return self.status != EXCLUDED

    @property
    def change(self) -> Fraction | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) since the previous year."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass(frozen=True)
class TypeSummary:
    unit_type: str
    count: int
    mean: Fraction
    median: Fraction
    highest: str
    lowest: str
    above_mean: int
    below_mean: int
    area_mean_percent: dict[str, Fraction]


@dataclass(frozen=True)
class Results:
    units: tuple[UnitResult, ...]
    summaries: tuple[TypeSummary, ...]
    trees: dict[str, TreeSpec]
    missing: tuple[str, ...]  # what is missing, one line per unit (empty when complete)
    missing_rule: str
    meta: dict = field(default_factory=dict)  # year, title, catalogue hashes, settings

    def of_type(self, unit_type: str) -> list[UnitResult]:
        return [u for u in self.units if u.unit_type == unit_type]


# ---- the pure core ------------------------------------------------------------------------------

def round_half_up(value: Fraction | Decimal, places: int = RANK_PLACES) -> Decimal:
    value = Fraction(value)
    scale = 10 ** places
    scaled = value * scale
    whole = scaled.numerator // scaled.denominator  # floor
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


def competition_ranks(values: Sequence[Fraction | Decimal | float | None],
                      places: int = RANK_PLACES) -> list[int | None]:
    """Ranks 1, 2, 2, 4 (highest first) on the values rounded half-up; None stays unranked."""
    keys = [None if v is None else round_half_up(Fraction(v), places) for v in values]
    ordered = sorted((k for k in keys if k is not None), reverse=True)
    first = {}
    for position, key in enumerate(ordered, start=1):
        first.setdefault(key, position)
    return [None if k is None else first[k] for k in keys]


def compute(trees: dict[str, TreeSpec], units: Iterable[UnitInput], missing_rule: str = "zero",
            allow_incomplete: bool = False, meta: dict | None = None,
            previous: dict[str, tuple[Fraction, int | None]] | None = None) -> Results:
    """Index, ranks and per-type figures; FormkitError when data are missing (unless allowed)."""
    units = list(units)
    missing = [line for unit in units for line in _missing(unit)]
    if missing and not allow_incomplete:
        raise FormkitError("Chưa thể tổng hợp: còn đơn vị thiếu dữ liệu (" + "; ".join(missing)
                           + "). Bổ sung dữ liệu, hoặc dùng --allow-incomplete để tổng hợp tạm.")
    results = [_unit_result(trees[u.unit_type], u, missing_rule) for u in units]
    ranked = _rank(results)
    if previous:
        ranked = [_with_previous(r, previous.get(r.code)) for r in ranked]
    summaries = tuple(_summary(trees[t], [r for r in ranked if r.unit_type == t and r.ranked])
                      for t in trees if any(r.unit_type == t and r.ranked for r in ranked))
    return Results(tuple(ranked), summaries, trees, tuple(missing), missing_rule, dict(meta or {}))


def _missing(unit: UnitInput) -> list[str]:
    gaps = []
    if unit.has_return and unit.appraised is None:
        gaps.append("chưa có kết quả thẩm định")
    if unit.stale_appraisal:
        gaps.append("kết quả thẩm định làm trên biểu cũ (đơn vị đã gửi biểu mới)")
    if unit.survey is None:
        gaps.append("chưa có điểm điều tra XHH")
    elif unit.survey_gaps:
        gaps.append("tiêu chí điều tra XHH không có phiếu hợp lệ: " + ", ".join(unit.survey_gaps))
    return [f"{unit.code} {unit.name}: {g}" for g in gaps]


def _unit_result(tree: TreeSpec, unit: UnitInput, missing_rule: str) -> UnitResult:
    appraised = unit.appraised or {}
    survey = unit.survey or {}
    status, notes = OK, []
    if _missing(unit):
        status, notes = INCOMPLETE, [line.split(": ", 1)[1] for line in _missing(unit)]
    if not unit.has_return:
        status = EXCLUDED if missing_rule == "exclude" else MISSING_ZERO
        notes.insert(0, "không có biểu tự đánh giá được nhận: "
                     + ("không xếp hạng" if status == EXCLUDED else "điểm thẩm định tính 0"))
    leaves, area_sums, criteria = [], {}, {}
    for spec in tree.leaves:
        if unit.code in spec.not_applicable_to:
            continue
        a_part = (appraised.get(spec.code) or ZERO) if spec.appraisal else None
        s_part = (survey.get(spec.code) or Fraction(0)) if spec.survey else None
        self_score = unit.self_scores.get(spec.code)
        leaves.append(LeafResult(spec.code, spec.max_points, self_score, a_part, s_part))
        sums = area_sums.setdefault(spec.area, [ZERO, [], ZERO, ZERO])
        sums[0] += spec.max_points
        if a_part is not None:
            sums[2] += a_part
            sums[3] += self_score or ZERO
        if s_part is not None:
            sums[1].append(s_part)
        crit = criteria.setdefault(spec.criterion, [ZERO, []])
        crit[0] += a_part or ZERO
        if s_part:
            crit[1].append(s_part)
    areas = tuple(AreaResult(code, s[0], s[2], sum(s[1], Fraction(0)), s[3])
                  for code, _ in tree.areas if (s := area_sums.get(code)))
    return UnitResult(
        unit.code, unit.name, unit.unit_type, status, tuple(notes),
        sum((a.max_points for a in areas), ZERO), sum((a.appraised for a in areas), ZERO),
        sum((a.survey for a in areas), Fraction(0)), sum((a.self_score for a in areas), ZERO),
        areas, {c: Fraction(v[0]) + sum(v[1], Fraction(0)) for c, v in criteria.items()},
        tuple(leaves))


def _rank(results: list[UnitResult]) -> list[UnitResult]:
    out = list(results)
    for unit_type in dict.fromkeys(r.unit_type for r in results):
        idx = [i for i, r in enumerate(results) if r.unit_type == unit_type and r.ranked]
        for i, rank in zip(idx, competition_ranks([results[i].total for i in idx]), strict=True):
            out[i] = _replace(results[i], rank=rank)
    return out


def _replace(result: UnitResult, **changes) -> UnitResult:
    from dataclasses import replace

    return replace(result, **changes)


def _with_previous(result: UnitResult, previous: tuple[Fraction, int | None] | None) -> UnitResult:
    if previous is None:
        return result
    return _replace(result, previous_total=previous[0], previous_rank=previous[1])


def _summary(tree: TreeSpec, units: list[UnitResult]) -> TypeSummary:
    totals = [u.total for u in units]
    mean = sum(totals, Fraction(0)) / len(totals)
    ordered = sorted(totals)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    highest = max(units, key=lambda u: u.total)  # first in unit order on a tie
    lowest = min(units, key=lambda u: u.total)
    area_means = {}
    for code, _ in tree.areas:
        shares = [a.percent for u in units for a in u.areas if a.code == code and a.max_points]
        if shares:
            area_means[code] = sum(shares, Fraction(0)) / len(shares)
    return TypeSummary(tree.unit_type, len(units), mean, median, highest.code, lowest.code,
                       sum(1 for t in totals if t > mean), sum(1 for t in totals if t < mean),
                       area_means)


# ---- previous year's CSV ------------------------------------------------------------------------

def read_previous(path: Path) -> dict[str, tuple[Fraction, int | None]]:
    """unit -> (total, rank) from a results.csv written by a previous run (CSV_COLUMNS)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise FormkitError(f"Không đọc được tệp kết quả năm trước {path}: {exc}") from exc
    if not rows or not {"unit", "total", "rank"} <= set(rows[0]):
        raise FormkitError(f"Tệp {path} không phải results.csv của formkit (cần các cột unit, "
                           "total, rank).")
    try:
        return {row["unit"]: (Fraction(row["total"]), int(row["rank"]) if row["rank"] else None)
                for row in rows}
    except ValueError as exc:
        raise FormkitError(f"Tệp {path} có giá trị không hợp lệ: {exc}") from exc


# ---- from a workspace ---------------------------------------------------------------------------

def consolidate(workspace, previous: Path | None = None, allow_incomplete: bool = False
                ) -> Results:
    """Consolidate a campaign workspace (ledger, current appraisal, survey scores)."""
    from formkit.appraisal import current_appraisal
    from formkit.intake.examine import ACCEPTED, WARNINGS
    from formkit.survey.status import score_workspace

    with workspace.ledger() as ledger:
        with_return = {row[0] for row in ledger.conn.execute(
            "SELECT unit_code FROM received_files WHERE status IN (?, ?) AND kind = '' AND "
            "superseded_by IS NULL AND unit_code IS NOT NULL", (ACCEPTED, WARNINGS))}
    appraisals = {a.unit: a for a in current_appraisal(workspace)}
    scores = score_workspace(workspace)
    survey: dict[str, dict] = {}
    gaps: dict[str, list[str]] = {}
    leaves = scores.leaves
    for unit, leaf, points, applicable, no_answers in zip(
            leaves["unit"], leaves["leaf"], leaves["points_exact"], leaves["applicable"],
            leaves["no_answers"], strict=True):
        survey.setdefault(unit, {})[leaf] = points
        if applicable and no_answers:
            gaps.setdefault(unit, []).append(leaf)
    inputs = []
    for unit in workspace.sorted_units():
        if unit.unit_type not in workspace.catalogs:
            continue
        appraisal = appraisals.get(unit.code)
        inputs.append(UnitInput(
            unit.code, unit.short_name, unit.unit_type, unit.code in with_return,
            None if appraisal is None else {s.leaf: s.appraised for s in appraisal.scores},
            {} if appraisal is None else {s.leaf: s.self_score for s in appraisal.scores},
            survey.get(unit.code), bool(appraisal and appraisal.stale),
            tuple(gaps.get(unit.code, ()))))
    trees = {t: TreeSpec.from_catalog(c) for t, c in workspace.catalogs.items()}
    settings = workspace.settings
    meta = {"year": settings.campaign.year, "title": settings.campaign.title,
            "campaign": settings.campaign.id,
            "catalogs": {t: (c.id, c.content_hash) for t, c in workspace.catalogs.items()},
            "missing_rule": settings.appraisal.missing,
            "empty_group": settings.survey.empty_group,
            "previous": str(previous) if previous else ""}
    return compute(trees, inputs, settings.appraisal.missing, allow_incomplete, meta,
                   read_previous(previous) if previous else None)

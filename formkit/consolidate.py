"""Consolidation (DOMAIN.md §1 step 4, §4): the index of every unit, its rank, per-type figures.

index points = appraised points (appraisal-scored parts of the leaves, as the council set them)
             + survey points (survey-scored parts, from the survey scores);
index %      = index points / the unit's applicable maximum x 100 (leaves that do not apply to the
               unit are left out of both);
rank         = competition ranking (1, 2, 2, 4) within the unit type on the total (or the index %,
               settings `ranking.basis`) rounded half-up to `ranking.places` decimals; the rule
               text (`rank_rule`) is stated in every output;
band         = the classification label of the index % rounded to the same places (optional
               settings `ranking.bands`; empty without bands).

`compute` is the pure core over plain data (`UnitInput`, `TreeSpec`): appraised points stay
`Decimal`, survey points `Fraction`, their sums `Fraction`; nothing is rounded except for
presentation and for the ranking key. `consolidate` gathers the inputs from a workspace (ledger,
current appraisal, survey answers and scores), computes, adds the survey detail
(formkit.results_survey) and reads the previous year's results (formkit.results_previous).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from formkit.catalog import Catalog
from formkit.errors import FormkitError
from formkit.results_previous import Previous, read_previous
from formkit.settings_outputs import RankingSettings
from formkit.text import sentence_case

if TYPE_CHECKING:
    from formkit.results_survey import GroupDetail, QuestionDetail

ZERO = Decimal(0)
FRACTION_ZERO = Fraction(0)
RANK_PLACES = 2
DEFAULT_RANKING = RankingSettings()
OK, MISSING_ZERO, EXCLUDED, INCOMPLETE = "ok", "missing-zero", "excluded", "incomplete"
STATUS_LABELS = {OK: "Đủ dữ liệu", MISSING_ZERO: "Không có biểu hợp lệ: tính 0 điểm thẩm định",
                 EXCLUDED: "Không có biểu hợp lệ: không xếp hạng", INCOMPLETE: "Thiếu dữ liệu"}

# Why a unit's data are not complete (DOMAIN.md §4): each reason is carried into every output.
# Blocking reasons can still be mended before publishing, so consolidation refuses them unless
# --allow-incomplete; the others are final (the unit sent nothing valid, the survey is closed).
NO_RETURN, REJECTED, WRONG_FILE = "no_return", "rejected", "wrong_file"
NOT_APPRAISED, STALE_APPRAISAL = "not_appraised", "stale_appraisal"
NO_SURVEY, SURVEY_GAPS, SURVEY_SHORT = "no_survey", "survey_gaps", "survey_short"
GAP_TEXTS = {
    NO_RETURN: "không gửi biểu tự đánh giá, chấm điểm",
    REJECTED: ("biểu tự đánh giá, chấm điểm chưa được chấp nhận; đơn vị đã được đề nghị chỉnh sửa, bổ "
               "sung nhưng chưa gửi lại"),
    WRONG_FILE: "gửi văn bản khác thay cho biểu tự đánh giá, chấm điểm, chưa gửi biểu",
    NOT_APPRAISED: "chưa có kết quả thẩm định",
    STALE_APPRAISAL: "kết quả thẩm định làm trên biểu cũ (đơn vị đã gửi biểu mới)",
    NO_SURVEY: "chưa có điểm điều tra xã hội học",
    SURVEY_GAPS: "có tiêu chí điều tra xã hội học không có phiếu hợp lệ",
    SURVEY_SHORT: "số phiếu điều tra xã hội học hợp lệ thấp hơn mức tối thiểu",
}
# How the ranking treats a unit with gaps, said after its reasons in every output (by its status).
TREATMENT_TEXTS = {MISSING_ZERO: "được tính 0 điểm các tiêu chí thẩm định và vẫn được xếp hạng",
                   EXCLUDED: "không được xếp hạng", INCOMPLETE: "kết quả tạm thời, chờ bổ sung dữ liệu",
                   OK: "vẫn được tính điểm và xếp hạng"}
BLOCKING_GAPS = frozenset({NOT_APPRAISED, STALE_APPRAISAL, NO_SURVEY, SURVEY_GAPS})
NO_RETURN_GAPS = (NO_RETURN, REJECTED, WRONG_FILE)


@dataclass(frozen=True)
class Gap:
    """One reason a unit's data are incomplete: a stable code and the sentence outputs print."""

    code: str
    detail: str = ""  # e.g. the groups below the minimum, the leaves without answers

    @property
    def text(self) -> str:
        return GAP_TEXTS[self.code] + (f" ({self.detail})" if self.detail else "")

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING_GAPS


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
    text: str = ""  # the criterion's wording in the catalogue, for the results workbook


@dataclass(frozen=True)
class TreeSpec:
    unit_type: str
    areas: tuple[tuple[str, str], ...]  # (code, text)
    leaves: tuple[LeafSpec, ...]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> TreeSpec:
        leaves = tuple(LeafSpec(
            leaf.code, leaf.code.split(".")[0], ".".join(leaf.code.split(".")[:2]),
            leaf.max_points, leaf.appraisal, leaf.survey, frozenset(leaf.not_applicable_to),
            leaf.text) for leaf in catalog.leaves())
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
    no_return: str = NO_RETURN  # without a return: NO_RETURN, REJECTED or WRONG_FILE
    survey_short: tuple[str, ...] = ()  # respondent groups below the minimum, e.g. "Người dân: 12/30"
    document_name: str = ""  # the official name documents and tables print ('': the name)


# ---- results ------------------------------------------------------------------------------------

class LeafResult(NamedTuple):
    """One applicable leaf of one unit (a named tuple: the core builds 200,000 of them)."""

    code: str
    area: str
    criterion: str
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
        """Appraised minus self-assessed points: negative when the council deducted."""
        return self.appraised - self.self_score

    @property
    def percent(self) -> Fraction | None:
        return self.total / Fraction(self.max_points) * 100 if self.max_points else None


@dataclass(frozen=True)
class UnitResult:
    code: str
    name: str
    unit_type: str
    status: str
    gaps: tuple[Gap, ...]  # why the data are incomplete; empty: complete
    applicable_max: Decimal
    appraised: Decimal
    survey: Fraction
    self_total: Decimal
    areas: tuple[AreaResult, ...]
    leaves: tuple[LeafResult, ...]
    rank: int | None = None
    band: str = ""  # classification label of the index % as published ('' without bands)
    previous_total: Fraction | None = None
    previous_rank: int | None = None
    document_name: str = ""  # the official name for tables (name: the short name, for charts)

    @property
    def total(self) -> Fraction:
        return Fraction(self.appraised) + self.survey

    @property
    def index(self) -> Fraction:
        return self.total / Fraction(self.applicable_max) * 100 if self.applicable_max else Fraction(0)

    @property
    def adjustment(self) -> Decimal | None:
        """Appraised minus self-assessed points (negative: the council deducted); None before the
        council scored the unit."""
        return self.appraised - self.self_total if self.appraised_by_council else None

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(g.text for g in self.gaps)

    @property
    def complete(self) -> bool:
        """Every datum is in: the unit counts in the statistics."""
        return not self.gaps

    @property
    def treatment(self) -> str:
        """How the ranking treats the unit's gaps ('' when complete)."""
        return TREATMENT_TEXTS[self.status] if self.gaps else ""

    @property
    def criteria(self) -> dict[str, Fraction]:
        """Points per criterion (the depth-2 item holding the leaves), exact."""
        parts: dict[str, list[LeafResult]] = {}
        for leaf in self.leaves:
            parts.setdefault(leaf.criterion, []).append(leaf)
        return {c: Fraction(sum((x.appraised or ZERO for x in leaves), ZERO))
                + fraction_sum([x.survey for x in leaves if x.survey is not None])
                for c, leaves in parts.items()}

    @property
    def ranked(self) -> bool:
        return self.status != EXCLUDED

    @property
    def appraised_by_council(self) -> bool:
        """The council scored this unit's return (not: no return, or appraisal still missing)."""
        return self.status not in (MISSING_ZERO, EXCLUDED) and not any(
            g.code == NOT_APPRAISED for g in self.gaps)

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
    """Statistics of one unit type over its units with complete data (`count` of `units`)."""

    unit_type: str
    count: int
    mean: Fraction
    median: Fraction
    highest: str
    lowest: str
    above_mean: int
    below_mean: int
    area_mean_percent: dict[str, Fraction]
    units: int = 0  # every unit of the type
    mean_index: Fraction = Fraction(0)  # of the index %
    median_index: Fraction = Fraction(0)
    basis: str = "index"  # what highest, lowest, above and below the mean are judged on

    @property
    def covers_all(self) -> bool:
        return self.count == self.units


@dataclass(frozen=True)
class Results:
    units: tuple[UnitResult, ...]
    summaries: tuple[TypeSummary, ...]
    trees: dict[str, TreeSpec]
    missing: tuple[str, ...]  # what is missing, one line per unit (empty when complete)
    missing_rule: str
    meta: dict = field(default_factory=dict)  # year, title, catalogue hashes, settings, rank_rule
    survey_groups: tuple[GroupDetail, ...] = ()  # per unit x respondent group (results_survey)
    survey_questions: tuple[QuestionDetail, ...] = ()  # per unit type x group x question

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


def rank_rule(ranking: RankingSettings = DEFAULT_RANKING) -> str:
    """The ranking rule in words, as every output states it."""
    basis = "tổng điểm" if ranking.basis == "total" else "Chỉ số (%)"
    places = {1: "một", 2: "hai", 3: "ba", 4: "bốn"}
    rounding = (f"làm tròn đến {places[ranking.places]} chữ số thập phân" if ranking.places
                else "làm tròn đến số nguyên")
    return (f"Các sở, cơ quan tương đương Sở và UBND các quận, huyện, thị xã được xếp hạng riêng theo "
            f"{basis}, {rounding}; các đơn vị có {'Chỉ số' if ranking.basis == 'index' else 'tổng điểm'} "
            "bằng nhau được xếp đồng hạng, đơn vị liền sau xếp theo thứ tự kế tiếp.")


def band_rule(ranking: RankingSettings = DEFAULT_RANKING) -> list[str]:
    """Each classification band in words, highest first: 'Tốt: từ 80% đến dưới 90%'."""
    lines, above = [], None
    for n, band in enumerate(ranking.bands):
        low = format_percent(band.minimum)
        if n == len(ranking.bands) - 1 and band.minimum <= 0 and above is not None:
            lines.append(f"{band.label}: dưới {above}")
        elif above is None:
            lines.append(f"{band.label}: từ {low} trở lên")
        else:
            lines.append(f"{band.label}: từ {low} đến dưới {above}")
        above = low
    return lines


def format_percent(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return text.replace(".", ",") + "%"


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
            previous: Previous | None = None,
            ranking: RankingSettings = DEFAULT_RANKING) -> Results:
    """Index, ranks, bands and per-type figures; FormkitError when data are missing (unless allowed)."""
    units = list(units)
    missing = [f"{unit.code} {unit.name}: {gap.text}" for unit in units for gap in gaps_of(unit)
               if gap.blocking]
    if missing and not allow_incomplete:
        raise FormkitError("Chưa thể tổng hợp: còn đơn vị thiếu dữ liệu (" + "; ".join(missing)
                           + "). Bổ sung dữ liệu, hoặc dùng --allow-incomplete để tổng hợp tạm.")
    results = [_unit_result(trees[u.unit_type], u, missing_rule) for u in units]
    if ranking.bands:
        results = [replace(r, band=ranking.band(round_half_up(r.index, ranking.places)))
                   if r.ranked else r for r in results]
    ranked = _rank(results, ranking)
    if previous:
        ranked = [replace(r, previous_total=previous[r.code][0], previous_rank=previous[r.code][1])
                  if r.code in previous else r for r in ranked]
    summaries = tuple(_summary(trees[t], [r for r in ranked if r.unit_type == t and r.complete],
                               sum(1 for r in ranked if r.unit_type == t), ranking.basis)
                      for t in trees if any(r.unit_type == t and r.complete for r in ranked))
    meta = {**(meta or {}), "rank_rule": rank_rule(ranking), "has_bands": bool(ranking.bands),
            "band_rule": band_rule(ranking),
            "rank_basis": ranking.basis, "rank_places": ranking.places,
            "bands": [(b.minimum, b.label) for b in ranking.bands]}
    return Results(tuple(ranked), summaries, trees, tuple(missing), missing_rule, meta)


def gaps_of(unit: UnitInput) -> list[Gap]:
    """Why the unit's data are incomplete, in the order outputs state them."""
    gaps = []
    if not unit.has_return:
        gaps.append(Gap(unit.no_return if unit.no_return in NO_RETURN_GAPS else NO_RETURN))
    elif unit.appraised is None:
        gaps.append(Gap(NOT_APPRAISED))
    if unit.stale_appraisal:
        gaps.append(Gap(STALE_APPRAISAL))
    if unit.survey is None:
        gaps.append(Gap(NO_SURVEY))
    elif unit.survey_gaps:
        gaps.append(Gap(SURVEY_GAPS, "tiêu chí " + ", ".join(unit.survey_gaps)))
    if unit.survey_short:
        gaps.append(Gap(SURVEY_SHORT, "; ".join(unit.survey_short)))
    return gaps


def _unit_result(tree: TreeSpec, unit: UnitInput, missing_rule: str) -> UnitResult:
    gaps = tuple(gaps_of(unit))
    status = INCOMPLETE if any(g.blocking for g in gaps) else OK
    if not unit.has_return:
        status = EXCLUDED if missing_rule == "exclude" else MISSING_ZERO
    appraised, survey, self_scores = unit.appraised or {}, unit.survey or {}, unit.self_scores
    leaves, by_area = [], {}
    for spec in tree.leaves:
        if unit.code in spec.not_applicable_to:
            continue
        code = spec.code
        leaf = LeafResult(code, spec.area, spec.criterion, spec.max_points, self_scores.get(code),
                          (appraised.get(code) or ZERO) if spec.appraisal else None,
                          (survey.get(code) or FRACTION_ZERO) if spec.survey else None)
        leaves.append(leaf)
        by_area.setdefault(spec.area, []).append(leaf)
    areas = tuple(_area(code, by_area[code]) for code, _ in tree.areas if code in by_area)
    return UnitResult(
        unit.code, unit.name, unit.unit_type, status, gaps,
        sum((a.max_points for a in areas), ZERO), sum((a.appraised for a in areas), ZERO),
        fraction_sum([a.survey for a in areas]), sum((a.self_score for a in areas), ZERO),
        areas, tuple(leaves), document_name=unit.document_name or unit.name)


def _area(code: str, leaves: list[LeafResult]) -> AreaResult:
    scored = [leaf for leaf in leaves if leaf.appraised is not None]
    return AreaResult(code, sum((leaf.max_points for leaf in leaves), ZERO),
                      sum((leaf.appraised for leaf in scored), ZERO),
                      fraction_sum([leaf.survey for leaf in leaves if leaf.survey is not None]),
                      sum((leaf.self_score or ZERO for leaf in scored), ZERO))


def fraction_sum(values: Sequence[Fraction]) -> Fraction:
    """Exact sum over one common denominator: one reduction instead of one per addition."""
    if not values:
        return Fraction(0)
    common = math.lcm(*(v.denominator for v in values))
    return Fraction(sum(v.numerator * (common // v.denominator) for v in values), common)


def _rank(results: list[UnitResult], ranking: RankingSettings) -> list[UnitResult]:
    out = list(results)
    for unit_type in dict.fromkeys(r.unit_type for r in results):
        idx = [i for i, r in enumerate(results) if r.unit_type == unit_type and r.ranked]
        keys = [results[i].total if ranking.basis == "total" else results[i].index for i in idx]
        for i, rank in zip(idx, competition_ranks(keys, ranking.places), strict=True):
            out[i] = replace(results[i], rank=rank)
    return out


def _summary(tree: TreeSpec, units: list[UnitResult], of_type: int, basis: str) -> TypeSummary:
    totals = [u.total for u in units]
    indexes = [u.index for u in units]
    judged = indexes if basis == "index" else totals
    mean = fraction_sum(judged) / len(judged)
    positions = range(len(units))
    highest = units[max(positions, key=judged.__getitem__)]  # first in unit order on a tie
    lowest = units[min(positions, key=judged.__getitem__)]
    shares: dict[str, list[Fraction]] = {}
    for unit in units:
        for area in unit.areas:
            if area.max_points:
                total = area.total
                top, bottom = area.max_points.as_integer_ratio()
                shares.setdefault(area.code, []).append(
                    Fraction(total.numerator * bottom * 100, total.denominator * top))
    area_means = {code: fraction_sum(shares[code]) / len(shares[code])
                  for code, _ in tree.areas if code in shares}
    return TypeSummary(tree.unit_type, len(units), fraction_sum(totals) / len(totals), _median(totals),
                       highest.code, lowest.code, sum(1 for v in judged if v > mean),
                       sum(1 for v in judged if v < mean), area_means, of_type,
                       fraction_sum(indexes) / len(indexes), _median(indexes), basis)


def _median(values: list[Fraction]) -> Fraction:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---- from a workspace ---------------------------------------------------------------------------

def consolidate(workspace, previous: Path | None = None, allow_incomplete: bool = False
                ) -> Results:
    """Consolidate a campaign workspace (ledger, current appraisal, survey answers and scores);
    `previous`: last year's results.csv or results workbook, read first so a bad file fails fast."""
    from formkit.appraisal import current_appraisal
    from formkit.intake.current import current_returns
    from formkit.results_survey import survey_detail
    from formkit.status import campaign_status
    from formkit.survey.doubleentry import valid_answers
    from formkit.survey.status import score_workspace

    previous = previous or workspace.previous_results  # campaign.yaml: previous_results (init --from)
    prior = read_previous(previous) if previous else None
    if prior is not None and not prior.keys() & {unit.code for unit in workspace.units}:
        raise FormkitError(f"Tệp kết quả năm trước {previous} không có đơn vị nào trùng mã với danh sách "
                           "đơn vị năm nay, nên không so sánh được. Kiểm tra lại tệp (đúng tệp "
                           "results.csv hoặc tệp Excel kết quả năm trước?).")

    deadline = workspace.settings.deadlines.self_assessment
    states = {u.unit.code: u for u in campaign_status(workspace, deadline).units}
    returned = {r.unit: r for r in current_returns(workspace)}
    appraisals = {a.unit: a for a in current_appraisal(workspace)}
    answers = valid_answers(workspace)
    scores = score_workspace(workspace, answers)
    groups, questions = survey_detail(workspace, answers, scores)
    short: dict[str, list[str]] = {}
    for g in groups:
        if g.shortfall:
            short.setdefault(g.unit, []).append(f"nhóm {sentence_case(g.group_name)}: "
                                                f"{g.questionnaires:02d} phiếu hợp lệ, tối thiểu "
                                                f"{g.min_valid:02d} phiếu")
    survey: dict[str, dict] = {}
    gaps: dict[str, list[str]] = {}
    leaves = scores.leaves
    asked, answered = set(), set()  # units with an applicable survey leaf; with an answered one
    for unit, leaf, points, applicable, no_answers in zip(
            leaves["unit"], leaves["leaf"], leaves["points_exact"], leaves["applicable"],
            leaves["no_answers"], strict=True):
        survey.setdefault(unit, {})[leaf] = points
        if applicable:
            asked.add(unit)
            if no_answers:
                gaps.setdefault(unit, []).append(leaf)
            else:
                answered.add(unit)
    silent = asked - answered  # survey leaves to score, not one valid answer: no survey data
    inputs = []
    for unit in workspace.sorted_units():
        if unit.unit_type not in workspace.catalogs:
            continue
        appraisal = appraisals.get(unit.code)
        if appraisal is not None:
            self_scores = {s.leaf: s.self_score for s in appraisal.scores}
        elif unit.code in returned:  # provisional: the unit's own scores, before the council's
            self_scores = {s.leaf: s.score for s in returned[unit.code].scores}
        else:
            self_scores = {}
        inputs.append(UnitInput(
            unit.code, unit.short_name, unit.unit_type, unit.code in returned,
            None if appraisal is None else {s.leaf: s.appraised for s in appraisal.scores},
            self_scores, None if unit.code in silent else survey.get(unit.code),
            bool(appraisal and appraisal.stale), tuple(gaps.get(unit.code, ())),
            _no_return_reason(states.get(unit.code)), tuple(short.get(unit.code, ())),
            unit.document_name))
    trees = {t: TreeSpec.from_catalog(c) for t, c in workspace.catalogs.items()}
    settings = workspace.settings
    meta = {"year": settings.campaign.year, "title": settings.campaign.title,
            "campaign": settings.campaign.id,
            "catalogs": {t: (c.id, c.content_hash) for t, c in workspace.catalogs.items()},
            "missing_rule": settings.appraisal.missing,
            "empty_group": settings.survey.empty_group,
            "previous": str(previous) if previous else ""}
    results = compute(trees, inputs, settings.appraisal.missing, allow_incomplete, meta, prior,
                      settings.ranking)
    return replace(results, survey_groups=groups, survey_questions=questions)


def _no_return_reason(state) -> str:
    """Never sent, rejected and not corrected, or only other files (a cover letter) sent."""
    from formkit.status import REJECTED as FILE_REJECTED

    if state is None or not state.files:
        return NO_RETURN
    if any(f.status == FILE_REJECTED and not f.by_sender for f in state.files):
        return REJECTED
    return WRONG_FILE if any(f.status == FILE_REJECTED for f in state.files) else NO_RETURN

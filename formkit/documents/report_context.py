"""The synthesis report's context: how the campaign ran, and each unit type's results in words.

Every sentence is built from the consolidation's figures (mean, median, highest and lowest with
ties named together, above and below the mean, area means, appraisal adjustments, change since
last year), so the report states exactly what the results workbook holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from formkit.appraisal import CurrentAppraisal
from formkit.consolidate import EXCLUDED, MISSING_ZERO, Results, TypeSummary, UnitResult, round_half_up
from formkit.documents.charts import Chart, area_chart, change_chart, ranking_chart
from formkit.documents.common import (
    GROUP_WORDS,
    basis_lines,
    caps,
    count,
    document_dates,
    header,
    names,
    points,
    ranking_order,
    sentence_case,
    shared,
    short_caps,
    signed,
    signed_int,
    signer,
    subject,
)
from formkit.status import campaign_status
from formkit.survey.status import StatusTotal, survey_status
from formkit.text import collation_key, format_date
from formkit.workspace import Workspace


def report_context(workspace: Workspace, results: Results, appraisals: list[CurrentAppraisal]) -> dict:
    """The Báo cáo kết quả of the campaign, signed for the Sở that ran it."""
    settings = workspace.settings
    report = settings.documents.report
    head = header(short_caps(settings.campaign.parent_body), caps(settings.campaign.issuing_body),
                  report.number, report.symbol, settings.campaign.place,
                  document_dates(settings)["report"])
    summaries = {s.unit_type: s for s in results.summaries}
    display = {u.code: u.document_name for u in workspace.units}
    has_previous = any(u.previous_total is not None for u in results.units)
    return {**shared(settings, results, head, signer(report.signer, settings), report.recipients),
            "title_line": f"Kết quả xác định Chỉ số cải cách hành chính năm {settings.campaign.year} "
                          f"của {subject(results)}",
            "basis": basis_lines(settings.documents.decision.legal_basis),
            "process": process(workspace, appraisals),
            "groups": [group(results, summaries[t], display, has_previous)
                       for t in GROUP_WORDS if t in summaries],
            "missing": [f"{display[u.code]}: {treatment(u)}" for u in results.units if u.gaps],
            "has_previous": has_previous}


def process(workspace: Workspace, appraisals: list[CurrentAppraisal]) -> dict:
    """Forms issued and returned, questionnaires issued and valid, units appraised."""
    settings = workspace.settings
    totals = campaign_status(workspace, settings.deadlines.self_assessment).totals()["all"]
    survey = survey_status(workspace)
    everything = survey.totals()[-1]
    group_names = {(t, g.code): g.name for t, s in workspace.surveys.items() for g in s.groups}
    return {"units_total": count(totals.units), "forms_sent": count(totals.issued),
            "returns_accepted": count(totals.units - totals.missing),
            "self_deadline": format_date(settings.deadlines.self_assessment),
            "survey_issued": count(_issued(everything)), "survey_valid": count(everything.valid),
            "survey_groups": [{"name": f"{group_names[t.unit_type, t.group]} (đánh giá "
                                       f"{GROUP_WORDS[t.unit_type][0]})",
                               "issued": count(_issued(t)), "valid": count(t.valid)}
                              for t in survey.totals() if t.group is not None],
            "appraisal_units": count(len(appraisals)),
            "appraisal_changed": count(sum(1 for a in appraisals if any(
                s.appraised != (s.self_score or 0) for s in a.scores)))}


def _council_changed(unit: UnitResult) -> bool:
    """The council changed at least one self-score (the net total may still be the same)."""
    return any(leaf.appraised is not None and leaf.appraised != (leaf.self_score or 0)
               for leaf in unit.leaves)


def _issued(total: StatusTotal) -> int:
    """Questionnaires issued by the sampling plan; without a plan, those keyed in."""
    return total.issued if total.issued is not None else total.keyed + total.not_returned


def group(results: Results, summary: TypeSummary, display: dict[str, str], has_previous: bool) -> dict:
    """One unit type's figures, sentences, ranking and charts; statistics over complete units."""
    label, heading = GROUP_WORDS[summary.unit_type]
    everyone = ranking_order(results.of_type(summary.unit_type))
    ranked = [u for u in everyone if u.ranked]
    complete = [u for u in ranked if u.complete]
    by_index = results.meta.get("rank_basis") == "index"
    ranked_on = (lambda u: u.index) if by_index else (lambda u: u.total)
    top, bottom = extremes(complete, max, ranked_on), extremes(complete, min, ranked_on)
    tree = results.trees[summary.unit_type]
    area_means = [{"code": code, "name": text, "percent": points(summary.area_mean_percent[code])}
                  for code, text in tree.areas if code in summary.area_mean_percent]
    year = results.meta.get("year", "")
    notes = coverage_notes(everyone, display)
    return {"label": label, "heading": heading, "count": count(summary.count),
            "mean": points(summary.mean_index if by_index else summary.mean),
            "median": points(summary.median_index if by_index else summary.median),
            "highest": {"name": names([display[u.code] for u in top]), "total": points(top[0].total)},
            "lowest": {"name": names([display[u.code] for u in bottom]),
                       "total": points(bottom[0].total)},
            "above": count(summary.above_mean), "below": count(summary.below_mean),
            "coverage": coverage_sentence(summary, label),
            "sentences": summary_sentences(results, summary, (top, bottom), complete, display,
                                           area_means),
            "area_means": area_means,
            "adjustment_sentences": adjustment_sentences(label, complete, display),
            "change_sentences": change_sentences(label, [u for u in complete], display, year),
            "ranking": [_ranking_row(u, display, notes) for u in everyone],
            "show_max": len({u.applicable_max for u in everyone}) > 1,
            "notes": [f"({n}) {text}" for n, text in notes.values()],
            "chart_ranking": ranking_chart(
                f"{'Chỉ số CCHC (%)' if by_index else 'Tổng điểm Chỉ số CCHC'} năm {year} – "
                f"{label}", [(u.name, round_half_up(ranked_on(u))) for u in ranked]),
            "chart_areas": area_chart(f"Tỷ lệ điểm đạt trung bình theo lĩnh vực – {label}",
                                      [(f"{a['code']}. {a['name']}",
                                        round_half_up(summary.area_mean_percent[a['code']]))
                                       for a in area_means]),
            "chart_change": _change_chart(complete, label) if has_previous else ""}


def coverage_notes(units: Sequence[UnitResult], display: dict[str, str], in_statistics: bool = True
                   ) -> dict[str, tuple[int, str]]:
    """Unit code -> (note number, 'Sở X: reasons; how it is scored.') for units with gaps."""
    notes = {}
    for unit in units:
        if unit.gaps:
            text = treatment(unit, in_statistics)
            notes[unit.code] = (len(notes) + 1, f"{display[unit.code]}: {text}.")
    return notes


def treatment(unit: UnitResult, in_statistics: bool = True) -> str:
    """The unit's reasons, then how the ranking (and the statistics) treat it."""
    text = "; ".join(unit.notes)
    if unit.status == MISSING_ZERO:
        text += "; phần điểm thẩm định tính 0 điểm, đơn vị vẫn được xếp hạng"
    elif unit.status == EXCLUDED:
        text += "; đơn vị không được xếp hạng"
    elif not unit.appraised_by_council:
        text += "; điểm là kết quả tạm, chưa qua thẩm định"
    return text + ("; không tính vào các số liệu trung bình" if in_statistics else "")


def coverage_sentence(summary: TypeSummary, label: str) -> str:
    """What the statistics cover: all units, or n of m with complete data."""
    if summary.covers_all:
        return f"Các số liệu dưới đây tính trên toàn bộ {count(summary.units)} {label}."
    return (f"Các số liệu trung bình, cao nhất, thấp nhất dưới đây tính trên {count(summary.count)}/"
            f"{count(summary.units)} {label} có đủ dữ liệu; các đơn vị chưa đủ dữ liệu được ghi chú "
            "dưới bảng xếp hạng.")


def extremes(units: Sequence[UnitResult], pick: Callable = max,
             value: Callable[[UnitResult], Fraction] = lambda u: u.total) -> list[UnitResult]:
    """The units sharing the highest (or lowest) value as published, in Vietnamese name order."""
    best = pick(round_half_up(value(u)) for u in units)
    return sorted((u for u in units if round_half_up(value(u)) == best),
                  key=lambda u: collation_key(u.name))


def summary_sentences(results: Results, summary: TypeSummary,
                      ends: tuple[list[UnitResult], list[UnitResult]], complete: list[UnitResult],
                      display: dict[str, str], area_means: list[dict]) -> list[str]:
    """Mean, median, highest and lowest, above and below the mean; area means; bands."""
    label = GROUP_WORDS[summary.unit_type][0]
    top, bottom = ends
    both = "cùng " if len(top) > 1 else ""
    by_index = results.meta.get("rank_basis") == "index"

    def score(unit: UnitResult) -> str:
        if by_index:
            return f"Chỉ số {points(unit.index)}% ({points(unit.total)} điểm)"
        return f"{points(unit.total)} điểm"

    extremes_text = (f"{names([display[u.code] for u in top])} {both}đạt cao nhất với {score(top[0])}, "
                     f"thấp nhất là {names([display[u.code] for u in bottom])} với {score(bottom[0])}")
    if summary.count == 1:
        extremes_text = f"đơn vị duy nhất là {display[top[0].code]}"
    whom = label if summary.covers_all else f"{count(summary.count)} {label} có đủ dữ liệu"
    if by_index:
        mean = (f"Chỉ số trung bình của {whom} là {points(summary.mean_index)}% (trung vị "
                f"{points(summary.median_index)}%)")
    else:
        mean = (f"Điểm trung bình của {whom} là {points(summary.mean)} điểm (trung vị "
                f"{points(summary.median)} điểm)")
    sentences = [f"{mean}; {extremes_text}; có {count(summary.above_mean)} đơn vị đạt trên mức trung "
                 f"bình và {count(summary.below_mean)} đơn vị dưới mức trung bình."]
    if area_means:
        high = max(area_means, key=lambda a: summary.area_mean_percent[a["code"]])
        low = min(area_means, key=lambda a: summary.area_mean_percent[a["code"]])
        sentences.append(f"Theo lĩnh vực, tỷ lệ điểm đạt trung bình cao nhất ở lĩnh vực "
                         f"{sentence_case(high['name'])} ({high['percent']}%), thấp nhất ở lĩnh vực "
                         f"{sentence_case(low['name'])} ({low['percent']}%).")
    if results.meta.get("has_bands"):
        ranked = [u for u in results.of_type(summary.unit_type) if u.ranked]
        bands = [(label, sum(1 for u in ranked if u.band == label))
                 for _, label in results.meta.get("bands", ())]
        if any(n for _, n in bands):
            sentences.append("Xếp loại theo Chỉ số (tính cả đơn vị chưa đủ dữ liệu được xếp hạng): "
                             + "; ".join(f"{count(n)} đơn vị {label}" for label, n in bands if n) + ".")
    return sentences


def adjustment_sentences(label: str, complete: list[UnitResult], display: dict[str, str]) -> list[str]:
    """What the appraisal changed: mean self and appraised points, the largest adjustment."""
    appraised = [u for u in complete if u.appraised_by_council]
    if not appraised:
        return []
    mean_self = sum((Fraction(u.self_total) for u in appraised), Fraction(0)) / len(appraised)
    mean_appraised = sum((Fraction(u.appraised) for u in appraised), Fraction(0)) / len(appraised)
    difference = round_half_up(mean_appraised) - round_half_up(mean_self)  # as the two figures read
    direction = "giảm" if difference < 0 else "tăng"
    sentences = [f"Qua thẩm định {count(len(appraised))} {label} có đủ dữ liệu, điểm tự đánh giá "
                 f"trung bình (phần thẩm định) là {points(mean_self)} điểm, sau thẩm định là "
                 f"{points(mean_appraised)} điểm ({direction} {points(abs(difference))} điểm)."]
    changed = [u for u in appraised if _council_changed(u)]
    if not changed:
        return [*sentences, "Hội đồng thẩm định giữ nguyên điểm tự đánh giá của tất cả các đơn vị."]
    most = extremes(changed, max, lambda u: abs(u.adjustment))
    sentences.append(f"Có {count(len(changed))}/{count(len(appraised))} đơn vị được điều chỉnh điểm; "
                     "mức điều chỉnh lớn nhất là " + names([
                         f"{display[u.code]} ({'giảm' if u.adjustment < 0 else 'tăng'} "
                         f"{points(abs(u.adjustment))} điểm)" for u in most]) + ".")
    return sentences


def change_sentences(label: str, ranked: list[UnitResult], display: dict[str, str],
                     year: int | str) -> list[str]:
    """Year-on-year change of the units that were also ranked last year."""
    compared = [u for u in ranked if u.change is not None]
    if not compared:
        return []
    mean = sum((u.change for u in compared), Fraction(0)) / len(compared)
    up = [u for u in compared if round_half_up(u.change) > 0]
    down = [u for u in compared if round_half_up(u.change) < 0]
    previous = f"năm {int(year) - 1}" if str(year).isdigit() else "năm trước"
    sentences = [f"So với {previous}, tổng điểm của {label} thay đổi bình quân {signed(mean)} "
                 f"điểm mỗi đơn vị; {count(len(up))} đơn vị tăng điểm, {count(len(down))} đơn vị "
                 "giảm điểm."]
    if up:
        best = extremes(up, max, lambda u: u.change)
        sentences.append(f"{names([display[u.code] for u in best])} tăng nhiều nhất "
                         f"({signed(best[0].change)} điểm).")
    if down:
        worst = extremes(down, min, lambda u: u.change)
        sentences.append(f"{names([display[u.code] for u in worst])} giảm nhiều nhất "
                         f"({signed(worst[0].change)} điểm).")
    moved = [u for u in compared if u.rank_change]
    if moved:
        sentences.append(f"{count(sum(1 for u in moved if u.rank_change > 0))} đơn vị tăng hạng, "
                         f"{count(sum(1 for u in moved if u.rank_change < 0))} đơn vị giảm hạng.")
    return sentences


def _ranking_row(unit: UnitResult, display: dict[str, str], notes: dict[str, tuple[int, str]]) -> dict:
    mark = f" ({notes[unit.code][0]})" if unit.code in notes else ""
    return {"rank": "" if unit.rank is None else str(unit.rank), "name": display[unit.code] + mark,
            "appraised": points(unit.appraised), "survey": points(unit.survey),
            "total": points(unit.total), "max": points(unit.applicable_max), "index": points(unit.index),
            "band": unit.band,
            "change": "" if unit.change is None else signed(unit.change),
            "rank_change": "" if unit.rank_change is None else signed_int(unit.rank_change)}


def _change_chart(ranked: list[UnitResult], label: str) -> Chart | str:
    compared = sorted((u for u in ranked if u.change is not None),
                      key=lambda u: (-round_half_up(u.change), collation_key(u.name)))
    if not compared:
        return ""
    return change_chart(f"Thay đổi tổng điểm so với năm trước – {label}",
                        [(u.name, round_half_up(u.change)) for u in compared])

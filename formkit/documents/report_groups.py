"""One unit type's part of the synthesis report: figures in words, ranking table, notes and charts.

Every sentence is built from the consolidation's figures, judged on the ranking basis (the Chỉ số
or the total) and over the units with complete data only; units without complete data are marked
in the table and the charts and explained in numbered notes under the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from formkit.consolidate import EXCLUDED, MISSING_ZERO, Results, TypeSummary, UnitResult, round_half_up
from formkit.documents.charts import Chart, area_chart, change_chart, ranking_chart
from formkit.documents.common import (
    GROUP_WORDS,
    count,
    names,
    points,
    ranking_order,
    signed,
    signed_int,
)
from formkit.text import collation_key, sentence_case

NAMED_UP_TO = 3  # a band or a list of units is named in full up to this many units
MARK = " (*)"  # a unit without complete data, in the charts


def group(results: Results, summary: TypeSummary, display: dict[str, str], has_previous: bool,
          table: int, first_chart: int) -> dict:
    """One unit type's figures, sentences, ranking and charts; `table` and `first_chart` number
    its table and charts in the report."""
    words = GROUP_WORDS[summary.unit_type]
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
    marked = [(u.name + (MARK if u.gaps else ""), u) for u in ranked]
    charts = [f"Biểu đồ {first_chart}. {'Chỉ số' if by_index else 'Tổng điểm Chỉ số'} cải cách hành chính "
              f"năm {year} của {words.label}",
              f"Biểu đồ {first_chart + 1}. Tỷ lệ điểm đạt trung bình theo lĩnh vực của {words.label}",
              f"Biểu đồ {first_chart + 2}. Thay đổi tổng điểm so với năm trước của {words.label}"]
    return {"label": words.label, "heading": words.heading, "count": count(summary.count),
            "mean": points(summary.mean_index if by_index else summary.mean),
            "median": points(summary.median_index if by_index else summary.median),
            "highest": {"name": names([display[u.code] for u in top]), "total": points(top[0].total)},
            "lowest": {"name": names([display[u.code] for u in bottom]),
                       "total": points(bottom[0].total)},
            "above": count(summary.above_mean), "below": count(summary.below_mean),
            "sentences": summary_sentences(results, summary, (top, bottom), display, area_means, table),
            "area_means": area_means,
            "adjustment_sentences": adjustment_sentences(words.counted, complete, display),
            "change_sentences": change_sentences(words.label, complete, display, year),
            "table": f"Bảng {table}. Kết quả xếp hạng Chỉ số cải cách hành chính năm {year} của "
                     f"{words.label}",
            "ranking": [_ranking_row(u, display, notes) for u in everyone],
            "show_max": len({u.applicable_max for u in everyone}) > 1,
            "notes": [f"({n}) {text}" for n, text in notes.values()]
            + ([coverage_rule(results, summary.unit_type)] if notes else []),
            "chart_note": (f"(*) Đơn vị chưa đủ kết quả, xem ghi chú dưới Bảng {table}."
                           if any(u.gaps for u in ranked) else ""),
            "chart_ranking": ranking_chart([(label, round_half_up(ranked_on(u))) for label, u in marked],
                                           "Chỉ số (%)" if by_index else "Tổng điểm (điểm)"),
            "caption_ranking": charts[0],
            "chart_areas": area_chart([(f"{a['code']}. {a['name']}",
                                        round_half_up(summary.area_mean_percent[a['code']]))
                                       for a in area_means]),
            "caption_areas": charts[1],
            "chart_change": _change_chart(complete) if has_previous else "",
            "caption_change": charts[2] if has_previous else ""}


def coverage_notes(units: Sequence[UnitResult], display: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Unit code -> (note number, 'Sở X: its reasons.') for units with gaps; how they are treated
    is said once, under the notes (`coverage_rule`)."""
    notes = {}
    for unit in units:
        if unit.gaps:
            notes[unit.code] = (len(notes) + 1, f"{display[unit.code]}: {'; '.join(unit.notes)}.")
    return notes


def coverage_rule(results: Results, unit_type: str) -> str:
    """Under the notes: how many units lack results and how the ranking treats them ('' if none)."""
    units = results.of_type(unit_type)
    gaps = [u for u in units if u.gaps]
    if not gaps:
        return ""
    ranked = all(u.ranked for u in gaps)
    text = (f"{count(len(gaps))}/{count(len(units))} cơ quan, đơn vị chưa đủ kết quả (ghi chú (1) đến "
            f"({len(gaps)})); Chỉ số của các đơn vị này được xác định trên số liệu hiện có"
            + (" và vẫn được xếp hạng." if ranked else "."))
    if any(u.status in (MISSING_ZERO, EXCLUDED) for u in gaps):
        text += (" Đơn vị không gửi biểu tự đánh giá, chấm điểm hoặc chưa gửi lại biểu hợp lệ được tính 0 "
                 "điểm đối với các tiêu chí thẩm định." if results.missing_rule == "zero" else
                 " Đơn vị không gửi biểu tự đánh giá, chấm điểm hoặc chưa gửi lại biểu hợp lệ không được "
                 "xếp hạng.")
    return text


def treatment(unit: UnitResult) -> str:
    """The unit's reasons, then how the ranking treats it (one line of a list)."""
    return "; ".join([*unit.notes, unit.treatment])


def extremes(units: Sequence[UnitResult], pick: Callable = max,
             value: Callable[[UnitResult], Fraction] = lambda u: u.total) -> list[UnitResult]:
    """The units sharing the highest (or lowest) value as published, in Vietnamese name order."""
    best = pick(round_half_up(value(u)) for u in units)
    return sorted((u for u in units if round_half_up(value(u)) == best),
                  key=lambda u: collation_key(u.name))


def summary_sentences(results: Results, summary: TypeSummary,
                      ends: tuple[list[UnitResult], list[UnitResult]], display: dict[str, str],
                      area_means: list[dict], table: int = 1) -> list[str]:
    """Mean, highest and lowest, above and below the mean; area means; bands."""
    words = GROUP_WORDS[summary.unit_type]
    top, bottom = ends
    both = "cùng " if len(top) > 1 else ""
    by_index = results.meta.get("rank_basis") == "index"

    def score(unit: UnitResult) -> str:
        return f"Chỉ số {points(unit.index)}% ({points(unit.total)} điểm)" if by_index \
            else f"{points(unit.total)} điểm"

    left_out = summary.units - summary.count
    whom = (f"{count(summary.count)}/{count(summary.units)} {words.counted} có đủ kết quả thẩm định và "
            f"điều tra xã hội học (không tính {count(left_out)} đơn vị chưa đủ kết quả, ghi chú dưới Bảng "
            f"{table})" if not summary.covers_all else f"{count(summary.units)} {words.counted}")
    mean = (f"Chỉ số trung bình của {whom} là {points(summary.mean_index)}%" if by_index
            else f"Điểm trung bình của {whom} là {points(summary.mean)} điểm")
    if summary.count == 1:
        ranking = f"đơn vị duy nhất là {display[top[0].code]}"
    else:
        ranking = (f"{names([display[u.code] for u in top])} {both}đạt cao nhất với {score(top[0])}, thấp "
                   f"nhất là {names([display[u.code] for u in bottom])} với {score(bottom[0])}; có "
                   f"{count(summary.above_mean)} đơn vị đạt trên mức trung bình và "
                   f"{count(summary.below_mean)} đơn vị dưới mức trung bình")
    sentences = [f"{mean}; {ranking}."]
    if area_means:
        high = max(area_means, key=lambda a: summary.area_mean_percent[a["code"]])
        low = min(area_means, key=lambda a: summary.area_mean_percent[a["code"]])
        sentences.append(f"Theo lĩnh vực, tỷ lệ điểm đạt trung bình cao nhất ở lĩnh vực "
                         f"{sentence_case(high['name'])} ({high['percent']}%), thấp nhất ở lĩnh vực "
                         f"{sentence_case(low['name'])} ({low['percent']}%).")
    bands = band_sentence(results, summary.unit_type, display)
    return [*sentences, bands] if bands else sentences


def band_sentence(results: Results, unit_type: str, display: dict[str, str]) -> str:
    """'Về xếp loại: 20/22 cơ quan, đơn vị đạt loại Khá; 02 đơn vị xếp loại Yếu (A, B).'"""
    if not results.meta.get("has_bands"):
        return ""
    ranked = [u for u in results.of_type(unit_type) if u.ranked]
    parts = []
    for _, label in results.meta.get("bands", ()):
        members = [u for u in ranked if u.band == label]
        if not members:
            continue
        named = (f" ({names([display[u.code] for u in members])})"
                 if len(members) <= NAMED_UP_TO and len(members) < len(ranked) else "")
        parts.append(f"{count(len(members))}/{count(len(ranked))} đơn vị xếp loại {label}{named}")
    return "Về xếp loại: " + "; ".join(parts) + "." if parts else ""


def adjustment_sentences(counted: str, complete: list[UnitResult], display: dict[str, str]) -> list[str]:
    """What the appraisal changed: mean self and appraised points, the largest adjustment."""
    appraised = [u for u in complete if u.appraised_by_council]
    if not appraised:
        return []
    mean_self = sum((Fraction(u.self_total) for u in appraised), Fraction(0)) / len(appraised)
    mean_appraised = sum((Fraction(u.appraised) for u in appraised), Fraction(0)) / len(appraised)
    difference = round_half_up(mean_appraised) - round_half_up(mean_self)  # as the two figures read
    after = "còn" if difference < 0 else "là"
    change = (f"giảm bình quân {points(-difference)} điểm" if difference < 0
              else f"tăng bình quân {points(difference)} điểm" if difference else "không thay đổi")
    sentences = [f"Điểm tự đánh giá bình quân các tiêu chí thẩm định của {count(len(appraised))} {counted} "
                 "có đủ kết quả "
                 f"là {points(mean_self)} điểm; sau thẩm định {after} {points(mean_appraised)} điểm "
                 f"({change})."]
    changed = [u for u in appraised if _council_changed(u)]
    if not changed:
        return [*sentences, "Hội đồng thẩm định giữ nguyên điểm tự đánh giá của tất cả các đơn vị."]
    lowered = [u for u in changed if u.adjustment < 0]
    raised = [u for u in changed if u.adjustment > 0]
    if len(lowered) == len(appraised):
        who = f"Cả {count(len(appraised))} đơn vị này đều bị điều chỉnh giảm điểm"
    else:
        who = (f"Có {count(len(changed))}/{count(len(appraised))} đơn vị được điều chỉnh điểm ("
               f"{count(len(lowered))} đơn vị giảm, {count(len(raised))} đơn vị tăng)")
    sentences.append(who + _largest("giảm", lowered, display) + _largest("tăng", raised, display) + ".")
    return sentences


def _largest(direction: str, units: list[UnitResult], display: dict[str, str]) -> str:
    if not units:
        return ""
    most = extremes(units, max, lambda u: abs(u.adjustment))
    return (f"; đơn vị bị điều chỉnh {direction} nhiều nhất là " if direction == "giảm" else
            f"; đơn vị được điều chỉnh {direction} nhiều nhất là ") + names(
        [display[u.code] for u in most]) + f" ({direction} {points(abs(most[0].adjustment))} điểm)"


def _council_changed(unit: UnitResult) -> bool:
    """The council changed at least one self-score (the net total may still be the same)."""
    return any(leaf.appraised is not None and leaf.appraised != (leaf.self_score or 0)
               for leaf in unit.leaves)


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


def _change_chart(ranked: list[UnitResult]) -> Chart | str:
    compared = sorted((u for u in ranked if u.change is not None),
                      key=lambda u: (-round_half_up(u.change), collation_key(u.name)))
    if not compared:
        return ""
    return change_chart([(u.name, round_half_up(u.change)) for u in compared])

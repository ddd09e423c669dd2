"""The synthesis report's context: how the campaign ran, each unit type's results, the assessment.

Every sentence is built from the ledger and the consolidation (forms issued and returns received,
the council's sessions, questionnaires, the figures of formkit.documents.report_groups), so the
report states exactly what the results workbook holds and names the units it must name.
"""

from __future__ import annotations

from fractions import Fraction

from formkit.appraisal import CurrentAppraisal
from formkit.consolidate import NO_RETURN, NO_RETURN_GAPS, REJECTED, SURVEY_SHORT, WRONG_FILE, Results
from formkit.documents.common import (
    GROUP_WORDS,
    caps,
    count,
    document_dates,
    header,
    listed,
    names,
    points,
    shared,
    short_caps,
    signer,
    subject,
)
from formkit.documents.report_groups import group, treatment
from formkit.documents.sessions import council_period
from formkit.status import StatusReport, campaign_status
from formkit.survey.status import StatusTotal, survey_status
from formkit.text import deadline_phrase, format_short_date, sentence_case
from formkit.workspace import Workspace


def report_context(workspace: Workspace, results: Results, appraisals: list[CurrentAppraisal],
                   status: StatusReport | None = None) -> dict:
    """The Báo cáo kết quả of the campaign, signed for the Sở that ran it (`status`: the campaign's
    status at the self-assessment deadline, when the caller has it)."""
    settings = workspace.settings
    report = settings.documents.report
    head = header(short_caps(settings.campaign.parent_body), caps(settings.campaign.issuing_body),
                  report.number, report.symbol, settings.campaign.place,
                  document_dates(settings)["report"], draft_date=True)
    summaries = {s.unit_type: s for s in results.summaries}
    display = {u.code: u.document_name for u in workspace.units}
    has_previous = any(u.previous_total is not None for u in results.units)
    types = [t for t in GROUP_WORDS if t in summaries]
    charts = 3 if has_previous else 2  # per unit type: ranking, areas (and change since last year)
    groups = [group(results, summaries[t], display, has_previous, n, 1 + (n - 1) * charts)
              for n, t in enumerate(types, start=1)]
    return {**shared(settings, results, head, signer(report.signer, settings), report.recipients),
            "title_line": f"Kết quả xác định Chỉ số cải cách hành chính năm {settings.campaign.year} "
                          f"của {subject(results)}",
            "basis": [line[len("Căn cứ "):] if line.lower().startswith("căn cứ ") else line
                      for line in listed(settings.documents.decision.legal_basis)],
            "process": process(workspace, results, appraisals, status),
            "groups": groups,
            "assessment": assessment(workspace, results),
            "missing": [f"{display[u.code]}: {treatment(u)}" for u in results.units if u.gaps],
            "has_previous": has_previous}


def process(workspace: Workspace, results: Results, appraisals: list[CurrentAppraisal],
            status: StatusReport | None = None) -> dict:
    """Forms issued and returns received, the council's work, questionnaires issued and valid."""
    settings = workspace.settings
    status = status or campaign_status(workspace, settings.deadlines.self_assessment)
    totals = status.totals()["all"]
    survey = survey_status(workspace)
    everything = survey.totals()[-1]
    group_names = {(t, g.code): g.name for t, s in workspace.surveys.items() for g in s.groups}
    changed = sum(1 for a in appraisals if any(s.appraised != (s.self_score or 0) for s in a.scores))
    return {"units_total": count(totals.units), "forms_sent": count(totals.issued),
            "returns_accepted": count(totals.units - totals.missing),
            "self_deadline": deadline_phrase(settings.deadlines.self_assessment),
            "self_sentences": self_assessment_sentences(workspace, results, totals.units - totals.missing),
            "appraisal_sentences": appraisal_sentences(workspace, results, len(appraisals), changed),
            "survey_sentence": survey_sentence(workspace, _issued(everything), everything.valid),
            "survey_issued": count(_issued(everything)), "survey_valid": count(everything.valid),
            "survey_groups": [{"name": f"{group_names[t.unit_type, t.group]} (đánh giá "
                                       f"{GROUP_WORDS[t.unit_type].label})",
                               "issued": count(_issued(t)), "valid": count(t.valid)}
                              for t in survey.totals() if t.group is not None],
            "appraisal_units": count(len(appraisals)), "appraisal_changed": count(changed)}


def self_assessment_sentences(workspace: Workspace, results: Results, accepted: int) -> list[str]:
    """Who was asked, by when, and who sent a valid return (the others named, by reason)."""
    settings = workspace.settings
    body = settings.campaign.issuing_body
    per_type = [f"{count(len(results.of_type(t)))} {GROUP_WORDS[t].counted}" for t in GROUP_WORDS
                if results.of_type(t)]
    total = len(results.units)
    deadline = deadline_phrase(settings.deadlines.self_assessment)
    sentences = [f"{body} đã gửi biểu tự đánh giá, chấm điểm tới {count(total)} cơ quan, đơn vị "
                 f"({names(per_type)}), đề nghị gửi kết quả {deadline}."]
    display = {u.code: u.document_name for u in workspace.units}
    by_reason = {code: [display[u.code] for u in results.units
                        if any(g.code == code for g in u.gaps)] for code in NO_RETURN_GAPS}
    parts = [f"{body} đã nhận biểu hợp lệ của {count(accepted)}/{count(total)} cơ quan, đơn vị"]
    for code, words in ((NO_RETURN, "không gửi biểu"),
                        (REJECTED, "có biểu chưa được chấp nhận, đã được đề nghị chỉnh sửa, bổ sung "
                                   "nhưng chưa gửi lại"),
                        (WRONG_FILE, "gửi văn bản khác thay cho biểu tự đánh giá")):
        if by_reason[code]:
            parts.append(f"{count(len(by_reason[code]))} đơn vị {words} ({names(by_reason[code])})")
    sentences.append("; ".join(parts) + ".")
    return sentences


def appraisal_sentences(workspace: Workspace, results: Results, appraised: int, changed: int) -> list[str]:
    """When the council sat, how many returns it appraised and changed, the units without one."""
    period = council_period(workspace.settings)
    when = ""
    if period:
        first, last = (format_short_date(d) for d in period)
        when = f"Ngày {first}, " if first == last else f"Từ ngày {first} đến ngày {last}, "
    changes = f"{count(changed)} cơ quan, đơn vị được điều chỉnh điểm"
    if changed == appraised and appraised:
        changes = f"tất cả {count(appraised)} cơ quan, đơn vị đều được điều chỉnh điểm"
    sentences = [f"{when}Hội đồng thẩm định đã thẩm định kết quả tự đánh giá, chấm điểm của "
                 f"{count(appraised)} cơ quan, đơn vị; {changes}."]
    without = sum(1 for u in results.units if any(g.code in NO_RETURN_GAPS for g in u.gaps))
    if without:
        rule = ("tính điểm các tiêu chí thẩm định bằng 0" if results.missing_rule == "zero"
                else "không chấm điểm thẩm định, không xếp hạng")
        sentences.append(f"Đối với {count(without)} đơn vị không có biểu hợp lệ, Hội đồng lập biên bản "
                         f"và {rule}.")
    return [s[0].upper() + s[1:] for s in sentences]


def survey_sentence(workspace: Workspace, issued: int, valid: int) -> str:
    """'Đến ngày 30/11/2020, Sở Nội vụ đã phát ra 887 phiếu …, thu về 799 phiếu hợp lệ (đạt 90,08%)'."""
    settings = workspace.settings
    end = settings.deadlines.survey_end
    when = f"Đến ngày {format_short_date(end)}, " if end else ""
    share = f" (đạt {points(Fraction(valid, issued) * 100)}%)" if issued else ""
    body = settings.campaign.issuing_body
    return (f"{when}{body} đã phát ra {count(issued)} phiếu điều tra xã hội học, thu về {count(valid)} "
            f"phiếu hợp lệ{share}; cụ thể theo từng nhóm đối tượng:")


def assessment(workspace: Workspace, results: Results) -> dict:
    """Section IV: what went well and what did not, from the figures (the Sở adds its judgement)."""
    display = {u.code: u.document_name for u in workspace.units}
    total = len(results.units)
    without = [u for u in results.units if any(g.code in NO_RETURN_GAPS for g in u.gaps)]
    returned = total - len(without)
    who = (f"Tất cả {count(total)} cơ quan, đơn vị" if not without
           else f"Phần lớn cơ quan, đơn vị ({count(returned)}/{count(total)})")
    achieved = [f"{who} đã tự đánh giá, chấm điểm theo hướng dẫn và gửi kèm tài liệu kiểm chứng, tạo "
                "thuận lợi cho công tác thẩm định. Kết quả Chỉ số phản ánh tương đối toàn diện, khách "
                "quan tình hình thực hiện nhiệm vụ cải cách hành chính của từng cơ quan, đơn vị trên các "
                "lĩnh vực."]
    limits = []
    if without:
        limits.append(f"Còn {count(len(without))} đơn vị không gửi biểu hoặc chưa gửi lại biểu hợp lệ "
                      f"({names([display[u.code] for u in without])}) nên không có điểm thẩm định.")
    appraised = [u for u in results.units if u.appraised_by_council]
    lowered = [u for u in appraised if u.adjustment is not None and u.adjustment < 0]
    if lowered:
        who = "đơn vị bị điều chỉnh giảm điểm"
        if len(lowered) == len(appraised):
            who = "các cơ quan, đơn vị được thẩm định đều bị điều chỉnh giảm điểm"
        limits.append("Việc tự đánh giá, chấm điểm của nhiều cơ quan, đơn vị còn chưa sát với kết quả thực "
                      f"hiện, tài liệu kiểm chứng chưa đầy đủ: qua thẩm định, {count(len(lowered))}/"
                      f"{count(len(appraised))} {who}.")
    limits += _lowest_areas(results)
    short = [u for u in results.units if any(g.code == SURVEY_SHORT for g in u.gaps)]
    if short:
        limits.append(f"Tại {count(len(short))} cơ quan, đơn vị, số phiếu điều tra xã hội học hợp lệ của "
                      "một số nhóm đối tượng thấp hơn mức tối thiểu; cần bố trí mẫu điều tra đầy đủ hơn "
                      "trong năm tới.")
    return {"achieved": achieved, "limits": limits}


def _lowest_areas(results: Results) -> list[str]:
    """The area with the lowest mean share of its maximum, per unit type."""
    lows = []
    for summary in results.summaries:
        if not summary.area_mean_percent:
            continue
        code = min(summary.area_mean_percent, key=summary.area_mean_percent.__getitem__)
        name = dict(results.trees[summary.unit_type].areas)[code]
        lows.append((name, GROUP_WORDS[summary.unit_type].label, points(summary.area_mean_percent[code])))
    if not lows:
        return []
    if len(lows) > 1 and len({name for name, _, _ in lows}) == 1:
        figures = " và ".join(f"{share}%" for _, _, share in lows)
        return [f"Lĩnh vực {sentence_case(lows[0][0])} đạt tỷ lệ điểm thấp nhất ở cả hai khối ({figures}), "
                "cần được quan tâm chỉ đạo trong thời gian tới."]
    return [f"Ở {label}, lĩnh vực {sentence_case(name)} đạt tỷ lệ điểm thấp nhất ({share}%), cần được quan "
            "tâm chỉ đạo trong thời gian tới." for name, label, share in lows]


def _issued(total: StatusTotal) -> int:
    """Questionnaires issued by the sampling plan; without a plan, those keyed in."""
    return total.issued if total.issued is not None else total.keyed + total.not_returned

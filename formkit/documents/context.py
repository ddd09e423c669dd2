"""The contexts of the three documents (report_templates/README.md), as plain dicts.

Built from the consolidation (`Results`) and the workspace: the council's meeting and reasons
for the minutes, the campaign's and the survey's figures for the report, the ranking for the
decision. Only the report's charts are not plain data: they are `Chart` images, which the
renderer turns into pictures of the document being rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from formkit.appraisal import CurrentAppraisal, current_appraisal
from formkit.catalog import Catalog
from formkit.consolidate import (
    EXCLUDED,
    MISSING_ZERO,
    NO_RETURN,
    NO_RETURN_GAPS,
    REJECTED,
    STALE_APPRAISAL,
    WRONG_FILE,
    LeafResult,
    Results,
    UnitResult,
)
from formkit.documents.common import (
    GROUP_WORDS,
    NUMERALS,
    basis_lines,
    caps,
    count,
    document_dates,
    header,
    header_caps,
    listed,
    number_text,
    points,
    ranking_order,
    sentence_start,
    shared,
    signed,
    signer,
    subject,
    type_groups,
)
from formkit.documents.report_context import coverage_notes, report_context
from formkit.documents.sessions import Sitting, hearings
from formkit.settings_outputs import Person
from formkit.text import format_date
from formkit.workspace import Workspace

COUNCIL = "HỘI ĐỒNG THẨM ĐỊNH"
NO_RETURN_FACTS = {  # why the council had nothing to appraise, as the minutes state it
    NO_RETURN: "{start} không gửi báo cáo tự đánh giá, chấm điểm Chỉ số cải cách hành chính về {body}.",
    REJECTED: "Báo cáo tự đánh giá, chấm điểm của {name} không hợp lệ; {body} đã đề nghị đơn vị sửa "
              "và gửi lại nhưng đến thời điểm thẩm định đơn vị chưa gửi lại.",
    WRONG_FILE: "{start} gửi văn bản, tệp khác thay cho biểu tự đánh giá, chấm điểm; đến thời điểm thẩm "
                "định đơn vị chưa gửi biểu tự đánh giá, chấm điểm.",
}
DEFAULT_RECIPIENT = "Như Điều 3"  # comes first in a decision's Nơi nhận


@dataclass(frozen=True)
class DocumentContexts:
    minutes: dict[str, dict]  # unit code -> context, in unit order
    report: dict
    decision: dict


def build_contexts(workspace: Workspace, results: Results) -> DocumentContexts:
    """Every document's context for a consolidated workspace."""
    appraisals = {a.unit: a for a in current_appraisal(workspace)}
    order = {u.code: i for i, u in enumerate(workspace.sorted_units())}
    units = sorted(results.units, key=lambda u: order[u.code])
    sittings = hearings(workspace.settings, [u.code for u in units])
    minutes = {u.code: minutes_context(workspace, results, u, appraisals.get(u.code), sittings[u.code])
               for u in units}
    return DocumentContexts(minutes, report_context(workspace, results, list(appraisals.values())),
                            decision_context(workspace, results))


# ---- Biên bản thẩm định ----------------------------------------------------------------------

def minutes_context(workspace: Workspace, results: Results, result: UnitResult,
                    appraisal: CurrentAppraisal | None, sitting: Sitting | None = None) -> dict:
    """The appraisal minutes of one unit: its hearing, per-item table, totals, conclusion."""
    settings = workspace.settings
    meeting = settings.documents.minutes
    sitting = sitting or hearings(settings, [result.code])[result.code]
    date = sitting.date or document_dates(settings)["minutes"]
    unit = workspace.unit(result.code)
    catalog = workspace.catalogs[result.unit_type]
    reasons = {s.leaf: s.reason for s in appraisal.scores} if appraisal else {}
    rows = minutes_rows(catalog, result, reasons)
    head = header(caps(settings.campaign.issuing_body), COUNCIL, sitting.number, meeting.symbol,
                  settings.campaign.place, date)
    sign = {"authority": "", "position": "CHỦ TỊCH HỘI ĐỒNG", "title": "", "name": meeting.chair.name}
    appraisal_max = sum(_appraisal_parts(catalog, result).values(), Decimal(0))
    return {**shared(settings, results, head, sign, [unit.document_name, "Lưu: VT, Hội đồng thẩm định"]),
            "unit": {"code": unit.code, "name": unit.short_name,
                     "document_name": unit.document_name, "type_label": unit.type_label},
            "meeting": {"date": format_date(date), "start": sitting.start, "end": sitting.end,
                        "place": sitting.place, "chair": _person(meeting.chair),
                        "secretary": _person(meeting.secretary),
                        "members": [_person(p) for p in meeting.members]},
            "rows": rows,
            "totals": {"max": points(appraisal_max), "self": points(result.self_total),
                       "appraised": points(result.appraised) if result.appraised_by_council else "",
                       "difference": "" if result.adjustment is None else signed(result.adjustment)},
            "survey_points": points(result.survey),
            "conclusion": _conclusion(result, unit.document_name, rows, appraisal_max),
            "facts": _facts(result, unit.document_name, settings.campaign.issuing_body),
            "missing": "; ".join(g.text for g in result.gaps if g.code == STALE_APPRAISAL),
            "has_return": result.status not in (MISSING_ZERO, EXCLUDED),
            "appraised": result.appraised_by_council}


def minutes_rows(catalog: Catalog, result: UnitResult, reasons: dict[str, str]) -> list[dict]:
    """Areas, criteria and sub-criteria with an appraisal part that applies to the unit."""
    parts = _appraisal_parts(catalog, result)
    appraised_by_council = result.appraised_by_council
    below: dict[str, list[LeafResult]] = {}  # item -> the unit's appraised leaves under it
    for leaf in result.leaves:
        if leaf.code in parts:
            steps = leaf.code.split(".")
            for depth in range(1, len(steps) + 1):
                below.setdefault(".".join(steps[:depth]), []).append(leaf)
    rows = []
    for item in catalog.items:
        under = below.get(item.code)
        if not under:
            continue
        scored = [leaf.self_score for leaf in under if leaf.self_score is not None]
        self_sum = sum(scored, Decimal(0)) if scored else None
        appraised = sum((leaf.appraised for leaf in under), Decimal(0))
        rows.append({"code": item.code, "text": item.text, "level": item.depth,
                     "max": points(sum((parts[leaf.code] for leaf in under), Decimal(0))),
                     "self": "" if self_sum is None else points(self_sum),
                     "appraised": points(appraised) if appraised_by_council else "",
                     "difference": "" if self_sum is None or not appraised_by_council
                     else signed(appraised - self_sum),
                     "reason": reasons.get(item.code, "") if item.is_leaf else ""})
    return rows


def _appraisal_parts(catalog: Catalog, result: UnitResult) -> dict[str, Decimal]:
    """Leaf -> its appraisal-scored maximum, for the leaves of the unit that have one."""
    applicable = {leaf.code for leaf in result.leaves if leaf.appraised is not None}
    return {leaf.code: leaf.appraisal for leaf in catalog.leaves() if leaf.code in applicable}


def _facts(result: UnitResult, name: str, body: str) -> str:
    """Why the council had nothing to appraise ('' when the unit's return was received)."""
    why = next((g.code for g in result.gaps if g.code in NO_RETURN_GAPS), None)
    if why is None or result.status not in (MISSING_ZERO, EXCLUDED):
        return ""
    return NO_RETURN_FACTS[why].format(name=name, start=sentence_start(name), body=body)


def _conclusion(result: UnitResult, name: str, rows: list[dict], appraisal_max: Decimal) -> list[str]:
    if result.status in (MISSING_ZERO, EXCLUDED):
        outcome = ("phần điểm thẩm định của đơn vị được tính 0 điểm" if result.status == MISSING_ZERO
                   else "đơn vị không được chấm điểm thẩm định và không được xếp hạng")
        return [f"Hội đồng không có cơ sở để thẩm định kết quả tự đánh giá của {name}; {outcome}."]
    if not result.appraised_by_council:
        return [f"Hội đồng chưa thẩm định kết quả tự đánh giá của {name}; bảng trên ghi điểm tự đánh "
                f"giá của đơn vị (tổng {points(result.self_total)} điểm). Biên bản này là bản dự thảo."]
    codes = {leaf.code for leaf in result.leaves}
    leaves = [r for r in rows if r["self"] and r["code"] in codes]
    changed = sum(1 for r in leaves if r["difference"] != "0,00")
    sentences = [f"Tổng điểm tự đánh giá: {points(result.self_total)} điểm; tổng điểm sau thẩm định: "
                 f"{points(result.appraised)} điểm (trên tổng số {points(appraisal_max)} điểm "
                 "thẩm định)."]
    difference = result.appraised - result.self_total
    if changed or difference:
        direction = "giảm" if difference < 0 else "tăng"
        effect = (f"điểm sau thẩm định {direction} {points(abs(difference))} điểm so với điểm tự đánh giá"
                  if difference else "tổng điểm sau thẩm định không đổi so với điểm tự đánh giá")
        sentences.append(f"Hội đồng điều chỉnh điểm {changed}/{len(leaves)} tiêu chí thành phần; "
                         f"{effect}.")
    else:
        sentences.append("Hội đồng thống nhất giữ nguyên điểm tự đánh giá của đơn vị.")
    return sentences


def _person(person: Person) -> dict:
    return {"name": person.name, "position": person.position}


# ---- Quyết định công bố ----------------------------------------------------------------------

def decision_context(workspace: Workspace, results: Results) -> dict:
    """The People's Committee's decision approving and announcing the index, with its appendices."""
    settings = workspace.settings
    decision = settings.documents.decision
    date = document_dates(settings)["decision"]
    authority = caps(settings.campaign.parent_body)
    head = header("", header_caps(settings.campaign.parent_body), decision.number, decision.symbol,
                  settings.campaign.place, date)
    year = settings.campaign.year
    return {**shared(settings, results, head, signer(decision.signer, settings), decision.recipients),
            "recipients": recipients_first(listed(decision.recipients, ("Lưu: VT",))),
            "authority": authority,
            "summary": f"Về việc phê duyệt và công bố Chỉ số cải cách hành chính năm {year} của "
                       f"{subject(results)}",
            "approval": f"Phê duyệt và công bố Chỉ số cải cách hành chính năm {year} của "
                        f"{subject(results)}",
            "basis": basis_lines(settings.documents.decision.legal_basis),
            "proposal": proposal_text(decision.proposal, settings.campaign.issuing_body),
            "reference": f"số {number_text(decision.number)}/{decision.symbol} {format_date(date)}",
            "appendices": [_appendix(workspace, results, unit_type, NUMERALS[n])
                           for n, unit_type in enumerate(type_groups(results))]}


def proposal_text(proposal: str, issuing_body: str = "Sở Nội vụ") -> str:
    """'Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số …' ('' when none)."""
    text = proposal.strip().rstrip(";.").strip()
    if not text or text.lower().startswith(("theo đề nghị", "xét")):
        return text
    return f"Theo đề nghị của Giám đốc {issuing_body} tại {text}"


def recipients_first(recipients: list[str]) -> list[str]:
    """'Như Điều 3' first, as a decision's Nơi nhận always begins."""
    first = [r for r in recipients if r.lower() == DEFAULT_RECIPIENT.lower()]
    return first + [r for r in recipients if r not in first]


def _appendix(workspace: Workspace, results: Results, unit_type: str, numeral: str) -> dict:
    tree = results.trees[unit_type]
    display = {u.code: u.document_name for u in workspace.units}
    units = ranking_order(results.of_type(unit_type))
    notes = coverage_notes(units, display, in_statistics=False)
    rows = []
    for n, unit in enumerate(units, start=1):
        areas = {a.code: a for a in unit.areas}
        mark = f" ({notes[unit.code][0]})" if unit.code in notes else ""
        rows.append({"stt": str(n), "name": display[unit.code] + mark,
                     "areas": [points(areas[code].total) if code in areas else ""
                               for code, _ in tree.areas],
                     "appraised": points(unit.appraised), "survey": points(unit.survey),
                     "total": points(unit.total), "max": points(unit.applicable_max),
                     "index": points(unit.index),
                     "rank": "" if unit.rank is None else str(unit.rank), "band": unit.band})
    label = GROUP_WORDS[unit_type][0]
    return {"numeral": numeral,
            "title": caps(f"Chỉ số cải cách hành chính năm {results.meta.get('year', '')} của {label}"),
            "areas": [{"code": code, "name": text} for code, text in tree.areas],
            "rows": rows,
            "show_max": len({u.applicable_max for u in units}) > 1,
            "notes": [f"({n}) {text}" for n, text in notes.values()],
            "coverage": appendix_coverage(results, unit_type)}


def appendix_coverage(results: Results, unit_type: str) -> str:
    """How many units the appendix ranks, and how units without a valid return are treated."""
    units = results.of_type(unit_type)
    gaps = [u for u in units if u.gaps]
    if not gaps:
        return ""
    rule = ("được tính 0 điểm phần thẩm định và vẫn được xếp hạng" if results.missing_rule == "zero"
            else "không được xếp hạng")
    return (f"Có {count(len(gaps))}/{count(len(units))} đơn vị chưa đủ dữ liệu (ghi chú theo số thứ "
            f"tự trên); đơn vị không có báo cáo tự đánh giá hợp lệ {rule}.")

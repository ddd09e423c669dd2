"""The contexts of the three documents (report_templates/README.md), as plain dicts.

Built from the consolidation (`Results`) and the workspace: the council's meeting and reasons
for the minutes, the campaign's and the survey's figures for the report, the ranking for the
decision. Only the report's charts are not plain data: they are `Chart` images, which the
renderer turns into pictures of the document being rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from formkit.appraisal import current_appraisal
from formkit.consolidate import Results
from formkit.documents.common import (
    GROUP_WORDS,
    NUMERALS,
    basis_lines,
    caps,
    document_dates,
    header,
    header_caps,
    issue_date_text,
    listed,
    number_text,
    points,
    ranking_order,
    shared,
    signer,
    subject,
    type_groups,
)
from formkit.documents.minutes_context import minutes_context
from formkit.documents.report_context import report_context
from formkit.documents.report_groups import coverage_notes, coverage_rule
from formkit.documents.sessions import hearings
from formkit.mail.reminders import MESSAGE_KIND as REMINDER_KIND
from formkit.status import campaign_status, messages_sent
from formkit.workspace import Workspace

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
    status = campaign_status(workspace, workspace.settings.deadlines.self_assessment)
    states = {s.unit.code: s for s in status.units}
    reminders = messages_sent(workspace, REMINDER_KIND)
    minutes = {u.code: minutes_context(workspace, results, u, appraisals.get(u.code), sittings[u.code],
                                       states.get(u.code), tuple(reminders.get(u.code, ())))
               for u in units}
    return DocumentContexts(minutes, report_context(workspace, results, list(appraisals.values()), status),
                            decision_context(workspace, results))


# ---- Quyết định công bố ----------------------------------------------------------------------

def decision_context(workspace: Workspace, results: Results) -> dict:
    """The People's Committee's decision approving and announcing the index, with its appendices."""
    settings = workspace.settings
    decision = settings.documents.decision
    date = document_dates(settings)["decision"]
    authority = caps(settings.campaign.parent_body)
    head = header("", header_caps(settings.campaign.parent_body), decision.number, decision.symbol,
                  settings.campaign.place, date, draft_date=True)
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
            "reference": f"số {number_text(decision.number)}/{decision.symbol} "
                         f"{issue_date_text(date, not decision.number)}",
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
    notes = coverage_notes(units, display)
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
    label = GROUP_WORDS[unit_type].formal
    return {"numeral": numeral,
            "title": caps(f"Chỉ số cải cách hành chính năm {results.meta.get('year', '')} của {label}"),
            "areas": [{"code": code, "name": text} for code, text in tree.areas],
            "rows": rows,
            "show_max": len({u.applicable_max for u in units}) > 1,
            "notes": [f"({n}) {text}" for n, text in notes.values()],
            "coverage": coverage_rule(results, unit_type)}

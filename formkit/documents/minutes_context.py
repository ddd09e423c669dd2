"""The context of one Biên bản thẩm định: the hearing, who sat, the per-item table, the conclusion.

Each minutes states its own hearing (formkit.documents.sessions), the council as it sat (members
absent from the session left out, attendance counted), the council's scores beside the unit's
self-scores, and in words what the council decided. A unit without a valid return gets a short
minutes that says what happened (never sent, rejected and not corrected, another file instead)
with the dates the ledger knows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from formkit.appraisal import CurrentAppraisal
from formkit.catalog import Catalog
from formkit.consolidate import (
    EXCLUDED,
    MISSING_ZERO,
    NO_RETURN_GAPS,
    REJECTED,
    STALE_APPRAISAL,
    WRONG_FILE,
    LeafResult,
    Results,
    UnitResult,
)
from formkit.documents.common import (
    caps,
    count,
    document_dates,
    header,
    listed,
    points,
    sentence_start,
    shared,
    signed,
)
from formkit.documents.sessions import Sitting, hearings
from formkit.settings_outputs import Person
from formkit.status import REJECTED as FILE_REJECTED
from formkit.status import VIETNAM_TIME, UnitStatus, local_time, moment
from formkit.text import format_date, format_short_date
from formkit.workspace import Workspace

COUNCIL = "HỘI ĐỒNG THẨM ĐỊNH"
ARCHIVE_LINE = "Lưu: VT"


def minutes_context(workspace: Workspace, results: Results, result: UnitResult,
                    appraisal: CurrentAppraisal | None, sitting: Sitting | None = None,
                    status: UnitStatus | None = None, reminders: tuple[str, ...] = ()) -> dict:
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
    members = [p for p in meeting.members if p.name]
    present = [p for p in members if p.name not in sitting.absent]
    archive = next((r for r in listed(settings.documents.report.recipients) if r.startswith("Lưu")),
                   ARCHIVE_LINE)
    name = unit.document_name
    return {**shared(settings, results, head, sign, [name, archive]),
            "unit": {"code": unit.code, "name": unit.short_name, "document_name": name,
                     "type_label": unit.type_label},
            "meeting": {"date": format_date(date), "start": sitting.start, "end": sitting.end,
                        "place": sitting.place, "chair": _person(meeting.chair),
                        "secretary": _person(meeting.secretary),
                        "members": [_person(p) for p in meeting.members if p.name not in sitting.absent],
                        "council_basis": meeting.council_basis,
                        "attendance": f"{count(len(present))}/{count(len(members))}",
                        "copies": count(meeting.copies)},
            "rows": rows,
            "survey_only": any(leaf.appraised is None for leaf in result.leaves),
            "totals": {"max": points(appraisal_max), "self": points(result.self_total),
                       "appraised": points(result.appraised) if result.appraised_by_council else "",
                       "difference": "" if result.adjustment is None else signed(result.adjustment)},
            "survey_points": points(result.survey),
            "conclusion": conclusion(result, name, rows, appraisal_max),
            "facts": facts(result, name, workspace, status, reminders, date),
            "missing": "; ".join(g.text for g in result.gaps if g.code == STALE_APPRAISAL),
            "has_return": result.status not in (MISSING_ZERO, EXCLUDED),
            "appraised": result.appraised_by_council}


def minutes_rows(catalog: Catalog, result: UnitResult, reasons: dict[str, str]) -> list[dict]:
    """Areas, criteria and sub-criteria with an appraisal part that applies to the unit."""
    parts = _appraisal_parts(catalog, result)
    by_council = result.appraised_by_council
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
        rows.append({"code": item.code, "text": item.text, "level": item.depth, "heading": not item.is_leaf,
                     "max": points(sum((parts[leaf.code] for leaf in under), Decimal(0))),
                     "self": "" if self_sum is None else points(self_sum),
                     "appraised": points(appraised) if by_council else "",
                     "difference": "" if self_sum is None or not by_council else signed(appraised - self_sum),
                     "reason": reasons.get(item.code, "") if item.is_leaf else ""})
    return rows


def _appraisal_parts(catalog: Catalog, result: UnitResult) -> dict[str, Decimal]:
    """Leaf -> its appraisal-scored maximum, for the leaves of the unit that have one."""
    applicable = {leaf.code for leaf in result.leaves if leaf.appraised is not None}
    return {leaf.code: leaf.appraisal for leaf in catalog.leaves() if leaf.code in applicable}


def facts(result: UnitResult, name: str, workspace: Workspace, status: UnitStatus | None,
          reminders: tuple[str, ...] = (), sitting_date: dt.date | None = None) -> str:
    """What happened to a unit without a valid return ('' otherwise), with the dates on record that
    precede the hearing (a file collected later, as in a rehearsal, is no fact of the hearing)."""
    why = next((g.code for g in result.gaps if g.code in NO_RETURN_GAPS), None)
    if why is None or result.status not in (MISSING_ZERO, EXCLUDED):
        return ""
    settings = workspace.settings
    body, year = settings.campaign.issuing_body, settings.campaign.year
    deadline = format_short_date(settings.deadlines.self_assessment)
    files = status.files if status else ()
    if why == REJECTED:
        bad = [f for f in files if f.status == FILE_REJECTED and not f.by_sender]
        last = bad[-1] if bad else None
        at = (last.sent_at or last.received_at) if last else None
        sent = f" ngày {local_time(at, '%d/%m/%Y')}" if at and _by(at, sitting_date) else ""
        errors = f" ({count(last.errors)} nội dung phải sửa)" if last and last.errors else ""
        return (f"{sentence_start(name)} gửi biểu tự đánh giá, chấm điểm{sent}; biểu chưa được chấp nhận"
                f"{errors}. {body} đã thông báo cho đơn vị những nội dung cần sửa và đề nghị gửi lại; "
                "đến thời điểm thẩm định, đơn vị chưa gửi lại biểu.")
    before = [at for at in reminders if _by(at, sitting_date)]
    chased = (f", mặc dù {body} đã đôn đốc ngày "
              + ", ".join(local_time(at, "%d/%m/%Y") for at in before)) if before else ""
    if why == WRONG_FILE:
        return (f"Đến hết thời hạn ngày {deadline} và đến thời điểm thẩm định{chased}, {name} chỉ gửi văn "
                f"bản khác, không gửi biểu tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {year}.")
    return (f"Đến hết thời hạn ngày {deadline} và đến thời điểm thẩm định{chased}, {name} không gửi biểu "
            f"tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {year}.")


def _by(timestamp: str, day: dt.date | None) -> bool:
    """The timestamp falls on or before the day (Hanoi time); any known time when no day is set."""
    when = moment(timestamp)
    return when is not None and (day is None or when.astimezone(VIETNAM_TIME).date() <= day)


def conclusion(result: UnitResult, name: str, rows: list[dict], appraisal_max: Decimal) -> list[str]:
    """What the council decided, in its words."""
    if result.status in (MISSING_ZERO, EXCLUDED):
        if result.status == MISSING_ZERO:
            return [f"Hội đồng thống nhất tính điểm các tiêu chí thẩm định của {name} bằng 0 "
                    f"(0/{points(appraisal_max)} điểm)."]
        return [f"Hội đồng thống nhất không chấm điểm thẩm định và không xếp hạng {name}."]
    if not result.appraised_by_council:
        return [f"Hội đồng chưa thẩm định kết quả tự đánh giá của {name}; bảng trên ghi điểm tự đánh "
                f"giá của đơn vị (tổng {points(result.self_total)}/{points(appraisal_max)} điểm). Biên bản "
                "này là bản dự thảo."]
    scored = [r for r in rows if r["self"] and r["code"] in _scored(result)]
    changed = sum(1 for r in scored if r["difference"] not in ("0,00", ""))
    totals = (f"tổng điểm tự đánh giá của {name} là {points(result.self_total)}/{points(appraisal_max)} "
              f"điểm; tổng điểm sau thẩm định là {points(result.appraised)}/{points(appraisal_max)} điểm")
    difference = result.appraised - result.self_total
    if not changed and not difference:
        return [f"Hội đồng thống nhất giữ nguyên kết quả tự đánh giá: {totals}."]
    effect = (f"{'giảm' if difference < 0 else 'tăng'} {points(abs(difference))} điểm" if difference
              else "tổng điểm không thay đổi")
    return [f"Hội đồng thống nhất: {totals}, {effect}; điều chỉnh {count(changed)}/{count(len(scored))} "
            "nội dung chấm điểm (tiêu chí, tiêu chí thành phần)."]


def _scored(result: UnitResult) -> set[str]:
    """The items the unit scores itself: its appraised leaves."""
    return {leaf.code for leaf in result.leaves if leaf.appraised is not None}


def _person(person: Person) -> dict:
    return {"name": person.name, "position": person.position}

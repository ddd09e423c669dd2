"""When and where the appraisal council heard each unit, and the number of its minutes.

The council sits over several sessions and days (settings `documents.minutes.sessions`); each
minutes carries its own date, hours, place and number. A session lists the units it heard in
order; a unit without hours of its own gets an equal share of the session, on five-minute
marks. Minutes are numbered in hearing order from `documents.minutes.first_number`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from formkit.settings import Settings
from formkit.settings_outputs import Session, clock_text, parse_clock

ROUND_TO = 5  # minutes


@dataclass(frozen=True)
class Sitting:
    """One unit's appraisal meeting as its minutes state it."""

    date: dt.date | None
    start: str
    end: str
    place: str
    number: str  # "05"; '' when minutes are not numbered
    absent: tuple[str, ...] = ()  # council members who were not there


def hearings(settings: Settings, unit_codes: Sequence[str]) -> dict[str, Sitting]:
    """Unit code -> its hearing: from its session, else the minutes' default meeting."""
    minutes = settings.documents.minutes
    known = set(unit_codes)
    slots: dict[str, tuple] = {}
    for session in sorted(minutes.sessions, key=_session_order):
        for code, (start, end) in zip(session.units, _shares(session), strict=True):
            if code in known and code not in slots:
                slots[code] = (session.date, start, end, session.place or minutes.place, session.absent)
    heard = list(slots) + [code for code in unit_codes if code not in slots]
    fallback = (minutes.date, minutes.start, minutes.end, minutes.place, ())
    return {code: _sitting(slots.get(code, fallback), _number(minutes.first_number, n))
            for n, code in enumerate(heard)}


def council_period(settings: Settings) -> tuple[dt.date, dt.date] | None:
    """The first and last day the council sat (None when no date is known)."""
    minutes = settings.documents.minutes
    days = [s.date for s in minutes.sessions if s.date] or ([minutes.date] if minutes.date else [])
    return (min(days), max(days)) if days else None


def _sitting(slot: tuple, number: str) -> Sitting:
    date, start, end, place, absent = slot
    return Sitting(date, start, end, place, number, absent)


def session_problems(settings: Settings, unit_codes: Sequence[str]) -> list[str]:
    """Sessions naming an unknown unit or a unit twice; units no session lists."""
    sessions = settings.documents.minutes.sessions
    if not sessions:
        return []
    known, seen, problems = set(unit_codes), set(), []
    for session in sessions:
        for code in session.units:
            where = f"documents.minutes.sessions (dòng {session.line})"
            if code not in known:
                problems.append(f"{where}: không có đơn vị mã '{code}' trong danh sách đơn vị")
            elif code in seen:
                problems.append(f"{where}: đơn vị '{code}' có tên trong hai phiên họp")
            seen.add(code)
    left = [code for code in unit_codes if code not in seen]
    if left:
        problems.append("documents.minutes.sessions: các đơn vị sau không có trong phiên họp nào, biên "
                        "bản ghi ngày, giờ, địa điểm chung của mục documents.minutes: " + ", ".join(left))
    return problems


def _session_order(session: Session) -> tuple:
    return (session.date or dt.date.max, parse_clock(session.start) or 0)


def _shares(session: Session) -> list[tuple[str, str]]:
    """Each unit's (start, end): its own hours, else an equal share of the session."""
    begin, finish = parse_clock(session.start), parse_clock(session.end)
    count = len(session.hearings)
    shares = []
    for n, hearing in enumerate(session.hearings):
        if hearing.start:
            shares.append((hearing.start, hearing.end))
        elif begin is None or finish is None or count == 1:
            shares.append((session.start, session.end))
        else:
            length = finish - begin
            start = begin + _rounded(length * n / count)
            end = finish if n == count - 1 else begin + _rounded(length * (n + 1) / count)
            shares.append((clock_text(start), clock_text(end)))
    return shares


def _rounded(minutes: float) -> int:
    return int(ROUND_TO * round(minutes / ROUND_TO))


def _number(first: int, position: int) -> str:
    return str(first + position).zfill(2) if first else ""

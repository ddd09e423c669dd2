"""Where the campaign stands: per unit, what was issued, sent and returned, and what is missing.

Read-only over the ledger. The intake report, the feedback workbooks, `formkit status` and the
reminders all read the same view, so a unit never shows as received in one and missing in another.
A file whose form could not be identified (a PDF, an .xls, a foreign workbook) still belongs to a
unit when it came from that unit's address, so the unit can be told what to send instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import parseaddr, parsedate_to_datetime

from formkit.forms.identity import SELF_ASSESSMENT  # issued_files.kind of the form
from formkit.ledger import Ledger
from formkit.units import UNIT_TYPES, Unit
from formkit.workspace import Workspace

# received_files.status values (formkit.intake: archive and examine)
ACCEPTED, WARNINGS, REJECTED, PENDING = "accepted", "accepted-with-warnings", "rejected", "pending"
NONE = "none"  # a unit's state when nothing came from it
FILE_STATUSES = (ACCEPTED, WARNINGS, REJECTED, PENDING)
FILE_STATUS_LABELS = {ACCEPTED: "Nhận", WARNINGS: "Nhận, có cảnh báo", REJECTED: "Trả lại",
                      PENDING: "Đang xử lý"}
UNIT_STATE_LABELS = {ACCEPTED: "Đã nhận", WARNINGS: "Nhận, có cảnh báo",
                     REJECTED: "Bị trả lại, chờ gửi lại", PENDING: "Đang xử lý", NONE: "Chưa gửi"}
FORM_MESSAGE_KIND = "form"
VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")  # what users read, on any machine


@dataclass(frozen=True)
class ReceivedFile:
    """One received file as the ledger records it, with its finding counts and its unit."""

    id: int
    sha256: str
    original_name: str
    archive_path: str
    sender: str | None
    sent_at: str | None
    received_at: str
    status: str
    unit_code: str | None  # from the form's identity, else from the sender's address
    by_sender: bool  # unit_code was inferred from the sender, the form was not identified
    form_id: str | None
    superseded_by: int | None
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @property
    def is_accepted(self) -> bool:
        return self.status in (ACCEPTED, WARNINGS)

    @property
    def is_current(self) -> bool:
        """The unit's current return: its latest accepted file, superseded by none."""
        return self.is_accepted and self.superseded_by is None and not self.by_sender

    @property
    def order(self) -> tuple:
        """When the unit sent it (else when it arrived); a form sorts after a stray file of the
        same message, so a cover letter never hides the form that came with it."""
        return (moment(self.sent_at) or moment(self.received_at) or dt.datetime.min.replace(
            tzinfo=dt.UTC), not self.by_sender and self.unit_code is not None, self.id)

    def to_dict(self) -> dict:
        return {"id": self.id, "sha256": self.sha256, "name": self.original_name,
                "archive": self.archive_path, "sender": self.sender, "sent_at": self.sent_at,
                "received_at": self.received_at, "status": self.status, "unit": self.unit_code,
                "unit_by_sender": self.by_sender, "form_id": self.form_id,
                "superseded_by": self.superseded_by,
                "findings": {"error": self.errors, "warning": self.warnings, "info": self.infos}}


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    form_id: str | None  # the latest issued form
    sent_at: str | None  # the last time the form was e-mailed (ledger time, UTC)
    files: tuple[ReceivedFile, ...]  # every file from the unit, in sending order
    days_to_deadline: int  # positive: days left; negative: days past

    @property
    def current(self) -> ReceivedFile | None:
        current = [f for f in self.files if f.is_current]
        return current[-1] if current else None

    @property
    def latest(self) -> ReceivedFile | None:
        """The last file examined (pending files are not examined yet)."""
        examined = [f for f in self.files if f.status != PENDING]
        return examined[-1] if examined else None

    @property
    def state(self) -> str:
        if self.current is not None:
            return self.current.status
        for status in (REJECTED, PENDING):
            if any(f.status == status for f in self.files):
                return status
        return NONE

    @property
    def missing(self) -> bool:
        """No valid return yet."""
        return self.current is None

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.files if f.status == s) for s in FILE_STATUSES}

    def to_dict(self) -> dict:
        current = self.current
        return {"unit": self.unit.code, "short_name": self.unit.short_name,
                "unit_type": self.unit.unit_type, "issued": self.form_id, "sent_at": self.sent_at,
                "returned": self.counts(), "state": self.state,
                "state_label": UNIT_STATE_LABELS[self.state], "missing": self.missing,
                "current": None if current is None else {
                    "id": current.id, "name": current.original_name,
                    "archive": current.archive_path, "status": current.status},
                "days_to_deadline": self.days_to_deadline}


@dataclass(frozen=True)
class Totals:
    units: int
    issued: int
    sent: int
    states: dict[str, int]  # units per state
    files: dict[str, int]  # files per status
    missing: int

    def to_dict(self) -> dict:
        return {"units": self.units, "issued": self.issued, "sent": self.sent,
                "states": self.states, "files": self.files, "missing": self.missing}


@dataclass
class StatusReport:
    today: dt.date
    deadline: dt.date
    units: list[UnitStatus]
    unattributed: list[ReceivedFile] = field(default_factory=list)  # from no known unit

    @property
    def days_to_deadline(self) -> int:
        return (self.deadline - self.today).days

    def of_type(self, unit_type: str) -> list[UnitStatus]:
        return [u for u in self.units if u.unit.unit_type == unit_type]

    def totals(self) -> dict[str, Totals]:
        """Per unit type (in UNIT_TYPES order) and 'all'."""
        groups = {t: self.of_type(t) for t in UNIT_TYPES if self.of_type(t)}
        return {**{t: _totals(units) for t, units in groups.items()}, "all": _totals(self.units)}

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "deadline": self.deadline.isoformat(),
                "days_to_deadline": self.days_to_deadline,
                "units": [u.to_dict() for u in self.units],
                "totals": {t: totals.to_dict() for t, totals in self.totals().items()},
                "unattributed": [f.to_dict() for f in self.unattributed]}


def _totals(units: list[UnitStatus]) -> Totals:
    return Totals(len(units), sum(1 for u in units if u.form_id), sum(1 for u in units if u.sent_at),
                  {s: sum(1 for u in units if u.state == s) for s in UNIT_STATE_LABELS},
                  {s: sum(u.counts()[s] for u in units) for s in FILE_STATUSES},
                  sum(1 for u in units if u.missing))


# ---- reading the ledger ----------------------------------------------------------------------

def moment(text: str | None) -> dt.datetime | None:
    """A ledger or e-mail timestamp as an aware datetime (naive ones are UTC), or None."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local_time(text: str | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A timestamp as users in Hanoi read it; '' when there is none, the raw text if unreadable."""
    value = moment(text)
    if value is None:
        return text or ""
    return value.astimezone(VIETNAM_TIME).strftime(pattern)


def received_files(workspace: Workspace, ledger: Ledger) -> list[ReceivedFile]:
    """Every received file in arrival order, each with its unit and finding counts."""
    counts: dict[int, dict[str, int]] = {}
    for row in ledger.conn.execute("SELECT received_file_id, severity, COUNT(*) AS n FROM findings "
                                   "GROUP BY received_file_id, severity"):
        counts.setdefault(row["received_file_id"], {})[row["severity"]] = row["n"]
    by_email = _units_by_email(workspace.units)
    known = {u.code for u in workspace.units}
    files = []
    for row in ledger.conn.execute(
            "SELECT id, sha256, original_name, archive_path, sender, sent_at, received_at, status, "
            "unit_code, form_id, superseded_by FROM received_files "
            "WHERE kind = '' ORDER BY id"):  # self-assessment returns; survey and appraisal files have a kind
        unit_code, by_sender = row["unit_code"], False
        if unit_code is None or unit_code not in known:
            unit_code = by_email.get(parseaddr(row["sender"] or "")[1].lower())
            by_sender = unit_code is not None
        found = counts.get(row["id"], {})
        files.append(ReceivedFile(
            row["id"], row["sha256"], row["original_name"], row["archive_path"], row["sender"],
            row["sent_at"], row["received_at"], row["status"], unit_code, by_sender, row["form_id"],
            row["superseded_by"], found.get("error", 0), found.get("warning", 0),
            found.get("info", 0)))
    return files


def _units_by_email(units: tuple[Unit, ...]) -> dict[str, str]:
    """Address -> unit code, for addresses that belong to exactly one unit."""
    owners: dict[str, list[str]] = {}
    for unit in units:
        if unit.email:
            owners.setdefault(unit.email.lower(), []).append(unit.code)
    return {email: codes[0] for email, codes in owners.items() if len(codes) == 1}


def status_from_ledger(workspace: Workspace, ledger: Ledger, today: dt.date,
                       files: list[ReceivedFile] | None = None) -> StatusReport:
    """The status over an open ledger (`files` when the caller has read them already)."""
    files = received_files(workspace, ledger) if files is None else files
    issued = {row["unit_code"]: row["form_id"] for row in ledger.conn.execute(
        "SELECT unit_code, form_id FROM issued_files WHERE kind = ? ORDER BY created_at, id",
        (SELF_ASSESSMENT,))}
    sent = {row["unit_code"]: row["at"] for row in ledger.conn.execute(
        "SELECT unit_code, max(at) AS at FROM messages WHERE kind = ? AND outcome = 'sent' "
        "GROUP BY unit_code", (FORM_MESSAGE_KIND,))}
    deadline = workspace.settings.deadlines.self_assessment
    units = []
    for unit in workspace.sorted_units():
        own = tuple(sorted((f for f in files if f.unit_code == unit.code), key=lambda f: f.order))
        units.append(UnitStatus(unit, issued.get(unit.code), sent.get(unit.code), own,
                                (deadline - today).days))
    return StatusReport(today, deadline, units, [f for f in files if f.unit_code is None])


def messages_sent(workspace: Workspace, kind: str) -> dict[str, list[str]]:
    """Unit code -> when messages of a kind (reminder, feedback) actually went out, in order."""
    with workspace.ledger() as ledger:
        rows = ledger.conn.execute("SELECT unit_code, at FROM messages WHERE kind = ? AND outcome = 'sent' "
                                   "ORDER BY at, id", (kind,)).fetchall()
    sent: dict[str, list[str]] = {}
    for row in rows:
        sent.setdefault(row["unit_code"], []).append(row["at"])
    return sent


def campaign_status(workspace: Workspace, today: dt.date | None = None) -> StatusReport:
    """Per unit (in Vietnamese unit order): issued, sent, returned, missing, days to the deadline."""
    with workspace.ledger() as ledger:
        return status_from_ledger(workspace, ledger, today or dt.date.today())

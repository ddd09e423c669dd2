"""Composing, recording and delivering messages to units, whatever they carry.

Every kind of message (the form, feedback on a return, a reminder) is an `Outgoing`: one unit,
template values, one attached workbook. Each message and its outcome is recorded in the ledger's
`messages` table (with its kind and the attachment's sha256) in the same transaction as its event;
that record is what lets a later batch skip what was sent and retry what failed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from formkit.fileio import atomic_write_bytes
from formkit.forms.wording import contact_line
from formkit.ledger import Ledger, now_text
from formkit.mail.template import MailTemplate
from formkit.mail.transport import MAIL_POLICY, Mailer
from formkit.settings import MailSettings
from formkit.text import deadline_phrase, format_short_date, nfc
from formkit.units import Unit
from formkit.workspace import Workspace

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PROBLEM_OUTCOMES = frozenset({"failed", "no-email", "no-form", "form-changed"})
OUTCOME_LABELS = {"sent": "đã gửi", "failed": "gửi lỗi", "dry-run": "đã ghi tệp .eml",
                  "already-sent": "đã gửi trước đó", "no-email": "chưa có địa chỉ thư",
                  "no-form": "chưa có biểu mẫu", "form-changed": "biểu mẫu đã bị sửa",
                  "no-feedback": "không cần phản hồi"}
Progress = Callable[[int, int], None]  # (done, total), as the CLI's progress bar takes


@dataclass(frozen=True)
class Attachment:
    path: Path
    sha256: str
    filename: str  # the name the unit sees


@dataclass(frozen=True)
class Outgoing:
    """One message to send: its kind (messages.kind), the unit, what to attach, what to say."""

    kind: str
    unit: Unit
    form_id: str
    attachment: Attachment
    values: dict[str, str]
    attempt: int


@dataclass(frozen=True)
class SendEntry:
    unit: str
    email: str
    form_id: str
    outcome: str  # sent | failed | dry-run | already-sent | no-email | no-form | form-changed | ...
    message_id: str = ""
    error: str = ""
    eml_path: Path | None = None

    @property
    def is_problem(self) -> bool:
        return self.outcome in PROBLEM_OUTCOMES

    def to_dict(self) -> dict:
        return {"unit": self.unit, "email": self.email, "form_id": self.form_id,
                "outcome": self.outcome, "message_id": self.message_id, "error": self.error,
                "eml_path": str(self.eml_path) if self.eml_path else None}


@dataclass
class SendReport:
    dry_run: bool
    template: Path
    entries: list[SendEntry] = field(default_factory=list)
    kind: str = "form"

    @property
    def ok(self) -> bool:
        """False when some unit still needs the user's attention (exit code 1 in the CLI)."""
        return not any(e.is_problem for e in self.entries)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"ok": self.ok, "kind": self.kind, "dry_run": self.dry_run,
                "template": str(self.template), "counts": self.counts(),
                "units": [e.to_dict() for e in self.entries]}


# ---- composing ---------------------------------------------------------------------------

def safe_filename(name: str) -> str:
    """A file name a clerk recognises, safe on Windows (no / \\ : * ? " < > |)."""
    return nfc(re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name)).strip()


def reply_to(mail: MailSettings) -> str:
    return mail.reply_to or mail.sender


def unit_values(workspace: Workspace, unit: Unit, form_id: str, attachment_name: str
                ) -> dict[str, str]:
    """The placeholders every template may use (formkit.mail.template.PLACEHOLDERS)."""
    settings = workspace.settings
    deadline = settings.deadlines.self_assessment
    return {"unit_name": unit.name, "unit_code": unit.code,
            "unit_document_name": unit.document_name,
            "head_title": unit.head_title or "Thủ trưởng đơn vị",
            "campaign_title": settings.campaign.title, "year": str(settings.campaign.year),
            # "chậm nhất ${deadline}" in a workspace's own template reads as deadline_phrase does
            "deadline": f"ngày {format_short_date(deadline)}",
            "deadline_short": format_short_date(deadline),
            "deadline_phrase": deadline_phrase(deadline),
            "contact": contact_line(settings.contact) or settings.campaign.issuing_body,
            "contact_name": settings.contact.name, "contact_phone": settings.contact.phone,
            "contact_email": settings.contact.email, "reply_to": reply_to(settings.mail),
            "sender": settings.mail.sender, "form_id": form_id,
            "attachment_name": attachment_name,
            "issuing_body": settings.campaign.issuing_body,
            "parent_body": settings.campaign.parent_body}


def message_id(campaign_id: str, unit_code: str, sha256: str, attempt: int, sender: str,
               kind: str = "form") -> str:
    """Deterministic per attachment, kind and attempt, so the ledger and server logs match."""
    names = ("cchc", campaign_id, unit_code) if kind == "form" else ("cchc", campaign_id, unit_code,
                                                                      kind)
    parts = [re.sub(r"[^A-Za-z0-9-]+", "-", p) for p in names]
    return f"<{'.'.join(parts)}.{sha256[:16]}.{attempt}@{sender.rpartition('@')[2]}>"


def compose(workspace: Workspace, template: MailTemplate, item: Outgoing) -> EmailMessage:
    """One message for one unit: Vietnamese text body and the workbook attached."""
    mail = workspace.settings.mail
    subject, body = template.render(item.values)
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = mail.sender
    msg["To"] = item.unit.email
    msg["Reply-To"] = reply_to(mail)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())
    msg["Message-ID"] = message_id(workspace.settings.campaign.id, item.unit.code,
                                   item.attachment.sha256, item.attempt, mail.sender, item.kind)
    msg.set_content(body, cte="base64")  # 7-bit safe without relying on 8BITMIME
    msg.add_attachment(item.attachment.path.read_bytes(), *XLSX_TYPE,
                       filename=item.attachment.filename)
    return msg


# ---- the ledger ----------------------------------------------------------------------------

def count_messages(ledger: Ledger, kind: str, unit_code: str, sha256: str,
                   outcomes: tuple[str, ...]) -> int:
    marks = ", ".join("?" * len(outcomes))
    return ledger.conn.execute(
        f"SELECT COUNT(*) FROM messages WHERE unit_code = ? AND kind = ? AND attachment_sha256 = ? "
        f"AND outcome IN ({marks})", (unit_code, kind, sha256, *outcomes)).fetchone()[0]


def next_attempt(ledger: Ledger, kind: str, unit_code: str, sha256: str) -> int:
    return count_messages(ledger, kind, unit_code, sha256, ("sent", "failed")) + 1


def record(ledger: Ledger, item: Outgoing, msg: EmailMessage, outcome: str, error: str = "") -> None:
    """The message row and its event, together or not at all."""
    with ledger.transaction():
        ledger.conn.execute(
            "INSERT INTO messages (message_id, unit_code, kind, recipients, subject, "
            "attachment_sha256, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (msg["Message-ID"], item.unit.code, item.kind, item.unit.email, msg["Subject"],
             item.attachment.sha256, outcome, error or None, now_text()))
        ledger.log(f"mail.{outcome.replace('-', '_')}",
                   {"message_id": msg["Message-ID"], "kind": item.kind, "form_id": item.form_id,
                    "to": item.unit.email, "error": error or None}, item.unit.code)


def requested_units(workspace: Workspace, unit_codes: list[str] | None) -> list[Unit]:
    if not unit_codes:
        return workspace.sorted_units()
    wanted = {workspace.unit(code).code for code in unit_codes}  # unknown code: WorkspaceError
    return [u for u in workspace.sorted_units() if u.code in wanted]


def no_email(unit: Unit, form_id: str) -> SendEntry:
    return SendEntry(unit.code, "", form_id, "no-email",
                     error="Đơn vị chưa có địa chỉ thư điện tử: bổ sung 'email' trong danh sách "
                           "đơn vị rồi chạy lại.")


# ---- delivering ------------------------------------------------------------------------------

def deliver(workspace: Workspace, ledger: Ledger, template: MailTemplate, items: list[Outgoing], *,
            dry_run: bool, eml_dir: Path, record_dry_run: bool = True,
            progress: Progress | None = None) -> dict[str, SendEntry]:
    """Send each item over one SMTP connection, or write it as eml_dir/<unit>.eml when dry_run."""
    if not items:
        return {}
    mailer = None if dry_run else Mailer(workspace.settings.mail)
    results = {}
    try:
        for done, item in enumerate(items, start=1):
            msg = compose(workspace, template, item)
            if mailer is None:
                results[item.unit.code] = _write_eml(ledger, item, msg, eml_dir, record_dry_run)
            else:
                results[item.unit.code] = _send_one(mailer, ledger, item, msg)
            if progress:
                progress(done, len(items))
    finally:
        if mailer is not None:
            mailer.close()
    return results


def _send_one(mailer: Mailer, ledger: Ledger, item: Outgoing, msg: EmailMessage) -> SendEntry:
    error = mailer.send(msg, item.unit.email)
    outcome = "failed" if error else "sent"
    record(ledger, item, msg, outcome, error)
    return SendEntry(item.unit.code, item.unit.email, item.form_id, outcome, msg["Message-ID"], error)


def _write_eml(ledger: Ledger, item: Outgoing, msg: EmailMessage, eml_dir: Path,
               record_dry_run: bool) -> SendEntry:
    path = eml_dir / f"{item.unit.code}.eml"
    atomic_write_bytes(path, msg.as_bytes())
    if record_dry_run:
        record(ledger, item, msg, "dry-run")
    return SendEntry(item.unit.code, item.unit.email, item.form_id, "dry-run", msg["Message-ID"],
                     eml_path=path)

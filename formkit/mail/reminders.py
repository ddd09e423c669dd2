"""Reminders to the units without a valid return (`formkit status --reminders [--send]`).

Without --send the messages are only prepared, as .eml files in out/mail/reminders/ (the folder
then holds exactly the current reminders) and nothing is recorded: looking at the status is
not an action. With --send each one goes out over SMTP and is recorded as kind 'reminder'.
"""

from __future__ import annotations

from pathlib import Path

from formkit.forms.wording import deadline_line
from formkit.ledger import Ledger
from formkit.mail.forms import check_form, form_attachment, require_sender
from formkit.mail.outbox import (
    Outgoing,
    Progress,
    SendEntry,
    SendReport,
    deliver,
    next_attempt,
    unit_values,
)
from formkit.mail.template import PLACEHOLDERS, load_template, template_path
from formkit.status import PENDING, REJECTED, StatusReport, UnitStatus, local_time
from formkit.workspace import MAIL_DIR, Workspace

MESSAGE_KIND = "reminder"
TEMPLATE_NAME = "reminder.yaml"
REMINDER_PLACEHOLDERS = (*PLACEHOLDERS, "deadline_status", "situation")
REMINDERS_DIR = "reminders"


def needs_reminder(unit_status: UnitStatus) -> bool:
    """No valid return, and nothing still being examined."""
    return unit_status.missing and unit_status.state != PENDING


def deadline_status(workspace: Workspace, report: StatusReport) -> str:
    """The deadline said as the form says it, then how far it is."""
    days = report.days_to_deadline
    line = deadline_line(workspace.settings.campaign.issuing_body, report.deadline)
    if days > 0:
        return f"{line} (còn {days} ngày)."
    if days == 0:
        return f"{line}, tức là hôm nay."
    return f"{line}; đến nay hạn đã qua {-days} ngày."


def situation(workspace: Workspace, unit_status: UnitStatus) -> str:
    unit, body = unit_status.unit, workspace.settings.campaign.issuing_body
    latest = unit_status.latest
    if unit_status.state == REJECTED and latest is not None:
        return (f"Biểu tự đánh giá của {unit.document_name} gửi lúc "
                f"{local_time(latest.sent_at or latest.received_at)} chưa được chấp nhận do còn lỗi "
                f"(chi tiết trong phản hồi của {body}); đến nay {body} chưa nhận được biểu đã sửa.")
    return f"Đến nay {body} chưa nhận được biểu tự đánh giá của {unit.document_name}."


def _plan(workspace: Workspace, ledger: Ledger, report: StatusReport, unit_status: UnitStatus
          ) -> SendEntry | Outgoing:
    unit = unit_status.unit
    form = check_form(workspace, ledger, unit)
    if isinstance(form, SendEntry):
        return form
    attachment = form_attachment(workspace, unit, form)
    values = {**unit_values(workspace, unit, form.form_id, attachment.filename),
              "deadline_status": deadline_status(workspace, report),
              "situation": situation(workspace, unit_status)}
    return Outgoing(MESSAGE_KIND, unit, form.form_id, attachment, values,
                    next_attempt(ledger, MESSAGE_KIND, unit.code, form.sha256))


def send_reminders(workspace: Workspace, report: StatusReport, *, send: bool = False,
                   progress: Progress | None = None) -> SendReport:
    """Prepare (or, with send, e-mail and record) a reminder for each unit without a valid return."""
    template = load_template(template_path(workspace, TEMPLATE_NAME), REMINDER_PLACEHOLDERS)
    require_sender(workspace)
    eml_dir = workspace.out_dir / MAIL_DIR / REMINDERS_DIR
    result = SendReport(not send, template.path, kind=MESSAGE_KIND)
    with workspace.ledger() as ledger:
        plans = [_plan(workspace, ledger, report, u) for u in report.units if needs_reminder(u)]
        pending = [p for p in plans if isinstance(p, Outgoing)]
        results = deliver(workspace, ledger, template, pending, dry_run=not send, eml_dir=eml_dir,
                          record_dry_run=False, progress=progress)
        result.entries = [results[p.unit.code] if isinstance(p, Outgoing) else p for p in plans]
        if not send:
            _remove_stale(eml_dir, {e.eml_path for e in result.entries if e.eml_path})
        with ledger.transaction():
            ledger.log("mail.reminders", {"sent": send, "counts": result.counts(),
                                          "today": report.today.isoformat()})
    return result


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    if folder.is_dir():
        for path in folder.glob("*.eml"):
            if path not in keep:
                path.unlink()

"""Sending each unit its self-assessment form by e-mail (or writing .eml files for a dry run).

The ledger decides what to send: a unit's latest issued form goes out unless a message with that
form's sha256 was already 'sent'; failures are recorded and so retried on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formkit.fileio import sha256_file
from formkit.forms.identity import SELF_ASSESSMENT as FORM_KIND  # issued_files.kind of the form
from formkit.ledger import Ledger
from formkit.mail.outbox import (
    Attachment,
    Outgoing,
    Progress,
    SendEntry,
    SendReport,
    count_messages,
    deliver,
    next_attempt,
    no_email,
    requested_units,
    safe_filename,
    unit_values,
)
from formkit.mail.template import load_template, template_path
from formkit.mail.transport import MailError
from formkit.units import Unit
from formkit.workspace import MAIL_DIR, Workspace

MESSAGE_KIND = "form"  # messages.kind of the message that carries it
TEMPLATE_NAME = "form.yaml"


@dataclass(frozen=True)
class IssuedRecord:
    """A unit's latest issued form, as the ledger knows it."""

    form_id: str
    path: Path
    sha256: str


def attachment_name(workspace: Workspace, unit: Unit) -> str:
    """A file name a clerk recognises, safe on Windows (no / \\ : * ? " < > |)."""
    return safe_filename(f"Biểu mẫu tự đánh giá CCHC {workspace.settings.campaign.year} - "
                         f"{unit.document_name}") + ".xlsx"


def latest_form(workspace: Workspace, ledger: Ledger, unit_code: str) -> IssuedRecord | None:
    row = ledger.conn.execute(
        "SELECT form_id, path, sha256 FROM issued_files WHERE unit_code = ? AND kind = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1", (unit_code, FORM_KIND)).fetchone()
    return IssuedRecord(row["form_id"], workspace.root / row["path"], row["sha256"]) if row else None


def check_form(workspace: Workspace, ledger: Ledger, unit: Unit) -> SendEntry | IssuedRecord:
    """The unit's form, ready to attach; or the entry that says why it cannot be."""
    form = latest_form(workspace, ledger, unit.code)
    form_id = form.form_id if form else ""
    if not unit.email:
        return no_email(unit, form_id)
    if form is None:
        return SendEntry(unit.code, unit.email, "", "no-form",
                         error="Chưa có biểu mẫu cho đơn vị này: chạy formkit forms trước.")
    if not form.path.is_file() or sha256_file(form.path) != form.sha256:
        return SendEntry(unit.code, unit.email, form_id, "form-changed",
                         error=f"Tệp {form.path} đã bị xóa hoặc sửa sau khi phát hành: chạy lại "
                               "formkit forms cho đơn vị này rồi gửi lại.")
    return form


def form_attachment(workspace: Workspace, unit: Unit, form: IssuedRecord) -> Attachment:
    return Attachment(form.path, form.sha256, attachment_name(workspace, unit))


def _plan(workspace: Workspace, ledger: Ledger, unit: Unit, resend: bool) -> SendEntry | Outgoing:
    """What to do for one unit: a final entry (nothing to send) or a message to send."""
    form = check_form(workspace, ledger, unit)
    if isinstance(form, SendEntry):
        return form
    if not resend and count_messages(ledger, MESSAGE_KIND, unit.code, form.sha256, ("sent",)):
        return SendEntry(unit.code, unit.email, form.form_id, "already-sent")
    attachment = form_attachment(workspace, unit, form)
    return Outgoing(MESSAGE_KIND, unit, form.form_id, attachment,
                    unit_values(workspace, unit, form.form_id, attachment.filename),
                    next_attempt(ledger, MESSAGE_KIND, unit.code, form.sha256))


def require_sender(workspace: Workspace) -> None:
    if not workspace.settings.mail.sender:
        raise MailError("Chưa khai báo địa chỉ gửi thư: điền mail.sender trong campaign.yaml.")


def send_forms(workspace: Workspace, unit_codes: list[str] | None = None, *, dry_run: bool = False,
               resend: bool = False, progress: Progress | None = None) -> SendReport:
    """E-mail each requested unit its latest form (or write .eml files); record every message."""
    units = requested_units(workspace, unit_codes)
    template = load_template(template_path(workspace, TEMPLATE_NAME))
    require_sender(workspace)
    report = SendReport(dry_run, template.path, kind=MESSAGE_KIND)
    with workspace.ledger() as ledger:
        plans = [_plan(workspace, ledger, unit, resend) for unit in units]
        pending = [p for p in plans if isinstance(p, Outgoing)]
        results = deliver(workspace, ledger, template, pending, dry_run=dry_run,
                          eml_dir=workspace.out_dir / MAIL_DIR, progress=progress)
        report.entries = [results[p.unit.code] if isinstance(p, Outgoing) else p for p in plans]
        with ledger.transaction():
            ledger.log("mail.batch", {"dry_run": dry_run, "resend": resend,
                                      "counts": report.counts()})
    return report

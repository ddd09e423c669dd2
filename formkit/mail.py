"""Sending each unit its self-assessment form by e-mail (or writing .eml files for a dry run).

The ledger decides what to send: a unit's latest issued form goes out unless a message with that
form's sha256 was already 'sent'; failures are recorded and so retried on the next run. Every
message and its outcome is recorded in the same transaction as its ledger event.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy
from email.utils import format_datetime
from pathlib import Path

from formkit.errors import FormkitError
from formkit.fileio import atomic_write_bytes, sha256_file
from formkit.forms.identity import SELF_ASSESSMENT as FORM_KIND  # issued_files.kind of the form
from formkit.ledger import Ledger, now_text
from formkit.resources import templates_root
from formkit.settings import MailSettings
from formkit.text import format_date, format_short_date, nfc
from formkit.units import Unit
from formkit.workspace import MAIL_DIR, Workspace
from formkit.yamlsrc import FieldReader, load_yaml

MESSAGE_KIND = "form"  # messages.kind of the message that carries it
TEMPLATE_NAME = "form.yaml"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PROBLEM_OUTCOMES = frozenset({"failed", "no-email", "no-form", "form-changed"})
OUTCOME_LABELS = {"sent": "đã gửi", "failed": "gửi lỗi", "dry-run": "đã ghi tệp .eml",
                  "already-sent": "đã gửi trước đó", "no-email": "chưa có địa chỉ thư",
                  "no-form": "chưa có biểu mẫu", "form-changed": "biểu mẫu đã bị sửa"}
PLACEHOLDERS = ("unit_name", "unit_code", "unit_document_name", "head_title", "campaign_title",
                "year", "deadline", "deadline_short", "contact_name", "contact_phone",
                "contact_email", "reply_to", "sender", "form_id", "attachment_name",
                "issuing_body", "parent_body")
SMTP_TIMEOUT = 60  # seconds; a stalled server must not hang the batch forever
Progress = Callable[[int, int], None]  # (done, total), as the CLI's progress bar takes


class MailError(FormkitError):
    """Mail cannot be composed or sent at all (template, settings or server)."""


class _MailPolicy(EmailPolicy):
    """SMTP policy that keeps Content-Disposition on one line, so an RFC 2231 file name stays
    `filename*=utf-8''...`: some mail clients do not join `filename*0*=` continuations."""

    def fold(self, name: str, value: str) -> str:
        return super(_MailPolicy, self._for(name)).fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        return super(_MailPolicy, self._for(name)).fold_binary(name, value)

    def _for(self, name: str) -> EmailPolicy:
        return self.clone(max_line_length=998) if name.lower() == "content-disposition" else self


MAIL_POLICY = _MailPolicy(linesep=SMTP.linesep)


# ---- the message template ----------------------------------------------------------------

@dataclass(frozen=True)
class MailTemplate:
    subject: string.Template
    body: string.Template
    path: Path

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(subject on one line, body); placeholders were checked when the template was loaded."""
        return " ".join(self.subject.substitute(values).split()), self.body.substitute(values)


def template_path(workspace: Workspace) -> Path:
    """The workspace's editable template; the shipped one for workspaces made before it existed."""
    own = workspace.mail_dir / TEMPLATE_NAME
    return own if own.is_file() else templates_root() / MAIL_DIR / TEMPLATE_NAME


def load_template(path: Path) -> MailTemplate:
    """Load and check a template up front, so no unit gets a half-filled message."""
    data, findings = load_yaml(path)
    reader = FieldReader(str(path))
    root = reader.mapping(data, "(tệp)", 1) if data is not None else None
    texts = {}
    if root is not None:
        reader.check_keys(root, ("subject", "body"), ("subject", "body"))
        texts = {key: reader.text(root, key) for key in ("subject", "body")}
    findings += reader.findings
    if root is None or any(f.is_error for f in findings):
        raise MailError(f"Mẫu thư {path} có lỗi.", findings)
    source = path.read_text("utf-8-sig")
    return MailTemplate(*(_checked_template(path, source, key, text) for key, text in texts.items()),
                        path=path)


def _checked_template(path: Path, source: str, key: str, text: str) -> string.Template:
    template = string.Template(text)
    if not template.is_valid():
        raise MailError(f"Mẫu thư {path}, mục '{key}': có dấu $ không đứng trước tên biến hợp lệ. "
                        "Viết biến dạng ${tên_biến}; muốn có dấu $ thì gõ $$.")
    for name in template.get_identifiers():
        if name not in PLACEHOLDERS:
            raise MailError(f"Mẫu thư {path}, mục '{key}'{_line_of(source, name)}: không có biến "
                            f"${{{name}}}. Các biến dùng được: "
                            f"{', '.join('${' + p + '}' for p in PLACEHOLDERS)}.")
    return template


def _line_of(source: str, name: str) -> str:
    pattern = re.compile(r"\$(?:\{" + re.escape(name) + r"\}|" + re.escape(name) + r"\b)")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line) and not line.lstrip().startswith("#"):
            return f", dòng {number}"
    return ""


# ---- composing ---------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedRecord:
    """A unit's latest issued form, as the ledger knows it."""

    form_id: str
    path: Path
    sha256: str


def attachment_name(workspace: Workspace, unit: Unit) -> str:
    """A file name a clerk recognises, safe on Windows (no / \\ : * ? " < > |)."""
    name = f"Biểu mẫu tự đánh giá CCHC {workspace.settings.campaign.year} - {unit.document_name}"
    return nfc(re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name)).strip() + ".xlsx"


def template_values(workspace: Workspace, unit: Unit, form: IssuedRecord) -> dict[str, str]:
    settings = workspace.settings
    deadline = settings.deadlines.self_assessment
    return {"unit_name": unit.name, "unit_code": unit.code,
            "unit_document_name": unit.document_name,
            "head_title": unit.head_title or "Thủ trưởng đơn vị",
            "campaign_title": settings.campaign.title, "year": str(settings.campaign.year),
            "deadline": format_date(deadline), "deadline_short": format_short_date(deadline),
            "contact_name": settings.contact.name, "contact_phone": settings.contact.phone,
            "contact_email": settings.contact.email, "reply_to": _reply_to(settings.mail),
            "sender": settings.mail.sender, "form_id": form.form_id,
            "attachment_name": attachment_name(workspace, unit),
            "issuing_body": settings.campaign.issuing_body,
            "parent_body": settings.campaign.parent_body}


def message_id(campaign_id: str, unit_code: str, sha256: str, attempt: int, sender: str) -> str:
    """Deterministic per form and attempt, so the ledger and the server logs can be matched."""
    parts = [re.sub(r"[^A-Za-z0-9-]+", "-", p) for p in ("cchc", campaign_id, unit_code)]
    return f"<{'.'.join(parts)}.{sha256[:16]}.{attempt}@{sender.rpartition('@')[2]}>"


def compose_message(workspace: Workspace, template: MailTemplate, unit: Unit, form: IssuedRecord,
                    attempt: int = 1) -> EmailMessage:
    """One message for one unit: Vietnamese text body and the workbook attached."""
    mail = workspace.settings.mail
    subject, body = template.render(template_values(workspace, unit, form))
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = mail.sender
    msg["To"] = unit.email
    msg["Reply-To"] = _reply_to(mail)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())
    msg["Message-ID"] = message_id(workspace.settings.campaign.id, unit.code, form.sha256, attempt,
                                   mail.sender)
    msg.set_content(body, cte="base64")  # 7-bit safe without relying on 8BITMIME
    msg.add_attachment(form.path.read_bytes(), *XLSX_TYPE,
                       filename=attachment_name(workspace, unit))
    return msg


def _reply_to(mail: MailSettings) -> str:
    return mail.reply_to or mail.sender


# ---- the report ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SendEntry:
    unit: str
    email: str
    form_id: str
    outcome: str  # sent | failed | dry-run | already-sent | no-email | no-form | form-changed
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
        return {"ok": self.ok, "dry_run": self.dry_run, "template": str(self.template),
                "counts": self.counts(), "units": [e.to_dict() for e in self.entries]}


# ---- planning from the ledger --------------------------------------------------------------

@dataclass(frozen=True)
class _Pending:
    unit: Unit
    form: IssuedRecord
    attempt: int


def _requested_units(workspace: Workspace, unit_codes: list[str] | None) -> list[Unit]:
    if not unit_codes:
        return workspace.sorted_units()
    wanted = {workspace.unit(code).code for code in unit_codes}  # unknown code: WorkspaceError
    return [u for u in workspace.sorted_units() if u.code in wanted]


def latest_form(workspace: Workspace, ledger: Ledger, unit_code: str) -> IssuedRecord | None:
    row = ledger.conn.execute(
        "SELECT form_id, path, sha256 FROM issued_files WHERE unit_code = ? AND kind = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1", (unit_code, FORM_KIND)).fetchone()
    return IssuedRecord(row["form_id"], workspace.root / row["path"], row["sha256"]) if row else None


def _count_messages(ledger: Ledger, unit_code: str, sha256: str, outcomes: tuple[str, ...]) -> int:
    marks = ", ".join("?" * len(outcomes))
    return ledger.conn.execute(
        f"SELECT COUNT(*) FROM messages WHERE unit_code = ? AND kind = ? AND attachment_sha256 = ? "
        f"AND outcome IN ({marks})", (unit_code, MESSAGE_KIND, sha256, *outcomes)).fetchone()[0]


def _plan(workspace: Workspace, ledger: Ledger, unit: Unit, resend: bool) -> SendEntry | _Pending:
    """What to do for one unit: a final entry (nothing to send) or a message to send."""
    form = latest_form(workspace, ledger, unit.code)
    form_id = form.form_id if form else ""
    if not unit.email:
        return SendEntry(unit.code, "", form_id, "no-email",
                         error="Đơn vị chưa có địa chỉ thư điện tử: bổ sung 'email' trong danh "
                               "sách đơn vị rồi chạy lại.")
    if form is None:
        return SendEntry(unit.code, unit.email, "", "no-form",
                         error="Chưa có biểu mẫu cho đơn vị này: chạy formkit forms trước.")
    if not form.path.is_file() or sha256_file(form.path) != form.sha256:
        return SendEntry(unit.code, unit.email, form_id, "form-changed",
                         error=f"Tệp {form.path} đã bị xóa hoặc sửa sau khi phát hành: chạy lại "
                               "formkit forms cho đơn vị này rồi gửi lại.")
    if not resend and _count_messages(ledger, unit.code, form.sha256, ("sent",)):
        return SendEntry(unit.code, unit.email, form_id, "already-sent")
    attempt = _count_messages(ledger, unit.code, form.sha256, ("sent", "failed")) + 1
    return _Pending(unit, form, attempt)


def _record(ledger: Ledger, item: _Pending, msg: EmailMessage, outcome: str,
            error: str = "") -> None:
    """The message row and its event, together or not at all."""
    with ledger.transaction():
        ledger.conn.execute(
            "INSERT INTO messages (message_id, unit_code, kind, recipients, subject, "
            "attachment_sha256, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (msg["Message-ID"], item.unit.code, MESSAGE_KIND, item.unit.email, msg["Subject"],
             item.form.sha256, outcome, error or None, now_text()))
        ledger.log(f"mail.{outcome.replace('-', '_')}",
                   {"message_id": msg["Message-ID"], "form_id": item.form.form_id,
                    "to": item.unit.email, "error": error or None}, item.unit.code)


# ---- SMTP -----------------------------------------------------------------------------------

class _Mailer:
    """One SMTP connection for the batch, with the rate limit; reconnects once if dropped."""

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self.interval = 60.0 / mail.rate_per_minute
        self.last_sent: float | None = None
        self.smtp: smtplib.SMTP | None = _connect(mail)

    def send(self, msg: EmailMessage, recipient: str) -> str:
        """Send one message; return '' on success, else the server's or the socket's error."""
        self._wait()
        if self.smtp is None:
            self.smtp = _connect(self.mail, dropped=True)
        try:
            self.smtp.send_message(msg, self.mail.sender, [recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            return "; ".join(f"{addr}: {_reply(code, text)}" for addr, (code, text)
                             in exc.recipients.items())
        except smtplib.SMTPResponseException as exc:
            return _reply(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:  # dropped connection, timeout
            self.close()
            return f"Mất kết nối với máy chủ thư: {exc}"
        finally:
            self.last_sent = time.monotonic()
        return ""

    def _wait(self) -> None:
        if self.last_sent is not None:
            time.sleep(max(0.0, self.last_sent + self.interval - time.monotonic()))

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(text.split())}"


def _password(mail: MailSettings) -> str:
    password = os.environ.get(mail.password_env, "")
    if not password:
        raise MailError(f"Chưa có mật khẩu thư điện tử cho tài khoản '{mail.user}': đặt biến môi "
                        f"trường {mail.password_env} (tên biến khai báo ở mail.password_env trong "
                        "campaign.yaml) rồi chạy lại.")
    return password


def _connect(mail: MailSettings, dropped: bool = False) -> smtplib.SMTP:
    password = _password(mail) if mail.user else ""
    smtp: smtplib.SMTP | None = None
    try:
        if mail.security == "ssl":
            smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=SMTP_TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=SMTP_TIMEOUT)
        if mail.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if mail.user:
            smtp.login(mail.user, password)
        return smtp
    except (smtplib.SMTPException, OSError) as exc:
        if smtp is not None:
            smtp.close()
        raise MailError(_connect_message(mail, exc, dropped)) from exc


def _connect_message(mail: MailSettings, exc: Exception, dropped: bool) -> str:
    where = f"máy chủ thư {mail.host}, cổng {mail.port} (bảo mật: {mail.security})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        hint = (f"máy chủ từ chối đăng nhập tài khoản '{mail.user}'; kiểm tra mail.user và mật "
                f"khẩu trong biến môi trường {mail.password_env}")
    else:
        hint = ("kiểm tra mail.host, mail.port và mail.security trong campaign.yaml (thường là "
                "starttls với cổng 587, ssl với cổng 465), mạng và tường lửa")
    done = " Các thư đã gửi được ghi trong sổ theo dõi; chạy lại lệnh để gửi tiếp." if dropped else ""
    return f"Không kết nối được {where}: {exc}. Hãy {hint}.{done}"


# ---- the batch -------------------------------------------------------------------------------

def send_forms(workspace: Workspace, unit_codes: list[str] | None = None, *, dry_run: bool = False,
               resend: bool = False, progress: Progress | None = None) -> SendReport:
    """E-mail each requested unit its latest form (or write .eml files); record every message."""
    units = _requested_units(workspace, unit_codes)
    template = load_template(template_path(workspace))
    if not workspace.settings.mail.sender:
        raise MailError("Chưa khai báo địa chỉ gửi thư: điền mail.sender trong campaign.yaml.")
    report = SendReport(dry_run, template.path)
    with workspace.ledger() as ledger:
        plans = [_plan(workspace, ledger, unit, resend) for unit in units]
        pending = [p for p in plans if isinstance(p, _Pending)]
        results = _deliver(workspace, ledger, template, pending, dry_run, progress)
        report.entries = [results[p.unit.code] if isinstance(p, _Pending) else p for p in plans]
        with ledger.transaction():
            ledger.log("mail.batch", {"dry_run": dry_run, "resend": resend,
                                      "counts": report.counts()})
    return report


def _deliver(workspace: Workspace, ledger: Ledger, template: MailTemplate, pending: list[_Pending],
             dry_run: bool, progress: Progress | None) -> dict[str, SendEntry]:
    if not pending:
        return {}
    mailer = None if dry_run else _Mailer(workspace.settings.mail)
    results = {}
    try:
        for done, item in enumerate(pending, start=1):
            msg = compose_message(workspace, template, item.unit, item.form, item.attempt)
            if mailer is None:
                results[item.unit.code] = _write_eml(workspace, ledger, item, msg)
            else:
                results[item.unit.code] = _send_one(mailer, ledger, item, msg)
            if progress:
                progress(done, len(pending))
    finally:
        if mailer is not None:
            mailer.close()
    return results


def _send_one(mailer: _Mailer, ledger: Ledger, item: _Pending, msg: EmailMessage) -> SendEntry:
    error = mailer.send(msg, item.unit.email)
    outcome = "failed" if error else "sent"
    _record(ledger, item, msg, outcome, error)
    return SendEntry(item.unit.code, item.unit.email, item.form.form_id, outcome,
                     msg["Message-ID"], error)


def _write_eml(workspace: Workspace, ledger: Ledger, item: _Pending, msg: EmailMessage) -> SendEntry:
    path = workspace.out_dir / MAIL_DIR / f"{item.unit.code}.eml"
    atomic_write_bytes(path, msg.as_bytes())
    _record(ledger, item, msg, "dry-run")
    return SendEntry(item.unit.code, item.unit.email, item.form.form_id, "dry-run",
                     msg["Message-ID"], eml_path=path)

"""E-mailing each unit the feedback on its latest return (`formkit send --feedback`).

The feedback workbooks are regenerated from the ledger first, so what goes out is always the
current state. A workbook is identified by its sha256: the same feedback is never sent twice
(unless asked), and a unit whose new return has other problems gets the new feedback.
"""

from __future__ import annotations

from formkit.intake.report import Feedback, write_feedback_files
from formkit.ledger import Ledger
from formkit.mail.forms import require_sender
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
from formkit.mail.template import PLACEHOLDERS, load_template, template_path
from formkit.status import local_time
from formkit.text import deadline_phrase
from formkit.workspace import MAIL_DIR, Workspace

MESSAGE_KIND = "feedback"
TEMPLATE_NAME = "feedback.yaml"
FEEDBACK_PLACEHOLDERS = (*PLACEHOLDERS, "file_name", "received_date", "problem_summary", "request",
                         "error_count", "warning_count")
MAX_LISTED = 8  # criteria named in the one-sentence summary


def feedback_attachment_name(workspace: Workspace, feedback: Feedback) -> str:
    return safe_filename(f"Phản hồi biểu tự đánh giá CCHC {workspace.settings.campaign.year} - "
                         f"{feedback.unit.document_name}") + ".xlsx"


def problem_summary(feedback: Feedback) -> str:
    """What was wrong, in one sentence."""
    errors, warnings = feedback.count("error"), feedback.count("warning")
    serious = [f for f in feedback.findings if f.severity == ("error" if feedback.rejected
                                                               else "warning")]
    criteria = list(dict.fromkeys(f.criterion for f in serious if f.criterion))
    if criteria:
        more = ", ..." if len(criteria) > MAX_LISTED else ""
        where = f" (tiêu chí {', '.join(criteria[:MAX_LISTED])}{more})"
    elif serious:
        where = f": {serious[0].message.rstrip('.')}"
    else:
        where = ""
    if feedback.rejected:
        also = f" và {warnings} điểm cần lưu ý" if warnings else ""
        return f"Biểu chưa được chấp nhận vì còn {errors} lỗi phải sửa{also}{where}."
    return f"Biểu đã được nhận, còn {warnings} điểm cần lưu ý{where}."


def request(workspace: Workspace, feedback: Feedback) -> str:
    deadline = deadline_phrase(workspace.settings.deadlines.self_assessment)
    if feedback.rejected:
        return (f"Đề nghị sửa các lỗi nêu trong tệp đính kèm và gửi lại biểu đã sửa (tệp Excel "
                f".xlsx) bằng cách trả lời thư này, {deadline}.")
    return ("Không cần gửi lại nếu các nội dung nêu trong tệp đính kèm đã đúng; nếu sửa, đề nghị gửi "
            f"lại toàn bộ biểu (tệp Excel .xlsx) bằng cách trả lời thư này, {deadline}.")


def _values(workspace: Workspace, feedback: Feedback, attachment: Attachment) -> dict[str, str]:
    file = feedback.file
    return {**unit_values(workspace, feedback.unit, file.form_id or "", attachment.filename),
            "file_name": file.original_name,
            "received_date": local_time(file.sent_at or file.received_at, "%d/%m/%Y"),
            "problem_summary": problem_summary(feedback), "request": request(workspace, feedback),
            "error_count": str(feedback.count("error")),
            "warning_count": str(feedback.count("warning"))}


def _plan(workspace: Workspace, ledger: Ledger, feedback: Feedback, resend: bool
          ) -> SendEntry | Outgoing:
    unit, form_id = feedback.unit, feedback.file.form_id or ""
    if not unit.email:
        return no_email(unit, form_id)
    if not resend and count_messages(ledger, MESSAGE_KIND, unit.code, feedback.sha256, ("sent",)):
        return SendEntry(unit.code, unit.email, form_id, "already-sent")
    attachment = Attachment(feedback.path, feedback.sha256,
                            feedback_attachment_name(workspace, feedback))
    return Outgoing(MESSAGE_KIND, unit, form_id, attachment,
                    _values(workspace, feedback, attachment),
                    next_attempt(ledger, MESSAGE_KIND, unit.code, feedback.sha256))


def send_feedback(workspace: Workspace, unit_codes: list[str] | None = None, *,
                  dry_run: bool = False, resend: bool = False,
                  progress: Progress | None = None) -> SendReport:
    """E-mail each unit with an open problem its current feedback workbook (or write .eml files).

    Units named in `unit_codes` that need no feedback are listed as 'no-feedback'.
    """
    units = requested_units(workspace, unit_codes)
    template = load_template(template_path(workspace, TEMPLATE_NAME), FEEDBACK_PLACEHOLDERS)
    require_sender(workspace)
    feedback = {f.unit.code: f for f in write_feedback_files(workspace)}
    report = SendReport(dry_run, template.path, kind=MESSAGE_KIND)
    with workspace.ledger() as ledger:
        plans: list[SendEntry | Outgoing] = []
        for unit in units:
            if unit.code in feedback:
                plans.append(_plan(workspace, ledger, feedback[unit.code], resend))
            elif unit_codes:
                plans.append(SendEntry(unit.code, unit.email, "", "no-feedback"))
        pending = [p for p in plans if isinstance(p, Outgoing)]
        results = deliver(workspace, ledger, template, pending, dry_run=dry_run,
                          eml_dir=workspace.out_dir / MAIL_DIR / "feedback", progress=progress)
        report.entries = [results[p.unit.code] if isinstance(p, Outgoing) else p for p in plans]
        with ledger.transaction():
            ledger.log("mail.feedback_batch", {"dry_run": dry_run, "resend": resend,
                                               "counts": report.counts()})
    return report

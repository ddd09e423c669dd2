"""E-mail to units: forms out, feedback on their returns, reminders; .eml files for dry runs.

`template` loads and checks the message texts, `transport` talks SMTP, `outbox` composes,
records and delivers any kind of message; `forms`, `feedback` and `reminders` decide, from the
ledger, who gets what.
"""

from formkit.mail.forms import attachment_name, latest_form, send_forms
from formkit.mail.outbox import OUTCOME_LABELS, SendEntry, SendReport, message_id
from formkit.mail.template import MailTemplate, load_template, template_path
from formkit.mail.transport import MailError

__all__ = ["OUTCOME_LABELS", "MailError", "MailTemplate", "SendEntry", "SendReport",
           "attachment_name", "latest_form", "load_template", "message_id", "send_forms",
           "template_path"]

"""SMTP transport: one connection per batch, a rate limit, and Vietnamese errors that say what to fix.

Separate from composing, so every kind of message (forms, feedback, reminders) goes out the same
way and a dropped connection or a refused recipient is handled once.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy

from formkit.errors import FormkitError
from formkit.settings import MailSettings

SMTP_TIMEOUT = 60  # seconds; a stalled server must not hang the batch forever


class MailError(FormkitError):
    """Mail cannot be composed or sent at all (template, settings or server)."""


class _MailPolicy(EmailPolicy):
    """SMTP policy that keeps Content-Disposition on one line, so an RFC 2231 file name stays
    `filename*=utf-8''...`: some mail clients do not join `filename*0*=` continuations.

    A Vietnamese Subject is folded by the legacy `email.header.Header`: the modern folder can put
    the space between two words into the fold between two encoded words, where RFC 2047 says it
    is dropped ("UBND quận" arrived as "UBNDquận")."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "subject" and not str(value).isascii():
            encoded = Header(str(value), "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}"
        return super(_MailPolicy, self._for(name)).fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "subject" and not str(value).isascii():
            return self.fold(name, value).encode("ascii")
        return super(_MailPolicy, self._for(name)).fold_binary(name, value)

    def _for(self, name: str) -> EmailPolicy:
        return self.clone(max_line_length=998) if name.lower() == "content-disposition" else self


MAIL_POLICY = _MailPolicy(linesep=SMTP.linesep)


class Mailer:
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

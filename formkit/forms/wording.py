"""Sentences shared by the form, the mails and the feedback a unit reads.

Each piece of wording that more than one text prints lives here once, so a unit never reads the
same thing said two ways.
"""

from __future__ import annotations

import datetime as dt

from formkit.settings import Contact
from formkit.text import deadline_phrase

# The sign-off block at the end of the scoring sheet, as on a unit's printed report.
SIGN_OFF_PLACE_DATE = "............, ngày ...... tháng ...... năm ........"
SIGN_OFF_LEFT = ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)")
SIGN_OFF_RIGHT = ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên, đóng dấu)")


def contact_line(contact: Contact) -> str:
    """'Phòng ..., điện thoại ..., thư điện tử ...' with exactly the settings values; a part whose
    value is blank is left out (no empty label); '' when every part is blank."""
    name, phone, email = (value.strip() for value in (contact.name, contact.phone, contact.email))
    parts = [name] if name else []
    parts += [f"điện thoại {phone}"] if phone else []
    parts += [f"thư điện tử {email}"] if email else []
    return ", ".join(parts)


def deadline_line(issuing_body: str, deadline: dt.date) -> str:
    """The deadline as the form states it and a reminder repeats it (no final stop)."""
    return f"Hạn gửi lại biểu về {issuing_body}: {deadline_phrase(deadline)}"


def form_title_lines(year: int) -> tuple[str, str]:
    """The form's title in two lines that break between words, never inside one."""
    return ("BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM", f"CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}")

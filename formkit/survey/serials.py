"""Questionnaire serial numbers: one per quota slot, readable, stable, and guarded by a check character.

A serial reads "005-NGUOI-DAN-0007-S": unit, respondent group, copy number within the unit × group
(from 1) and an ISO/IEC 7064 MOD 37,36 check character over unit, group and number. Unit and
group codes hold letters, so the digit-only schemes (MOD 11-2, Luhn) would let a mistyped letter
through; the hybrid MOD 37,36 system catches every single mistyped character and nearly every
swap of two adjacent characters, and its check character is always a digit or a letter. Serials
follow from the sampling plan alone, so every run (and every module) issues the same ones.

The QR code of page p of a copy carries "CCHC|<campaign>|<unit>|<group>|<number>|<check>|<p>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formkit.errors import WorkspaceError
from formkit.survey.plan import Plan, PlanRow, sampling_plan
from formkit.workspace import Workspace

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
QR_TAG = "CCHC"
NUMBER_WIDTH = 4
_TEXT = re.compile(r"(?P<unit>[A-Za-z0-9][A-Za-z0-9_.]*)-(?P<group>[A-Za-z0-9][A-Za-z0-9_.-]*)"
                   r"-(?P<number>\d{4,})-(?P<check>[0-9A-Za-z])")


class InvalidSerial(ValueError):
    """A serial or QR payload that is malformed or fails its check character (Vietnamese message)."""


def check_character(data: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid) over the letters and digits of data, case-insensitive."""
    modulus, product = 36, 36
    for char in data.upper():
        if char in ALPHABET:
            total = (product + ALPHABET.index(char)) % modulus or modulus
            product = (total * 2) % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


@dataclass(frozen=True, order=True)
class Serial:
    unit: str
    group: str
    number: int  # 1 .. quota
    campaign: str = ""

    @property
    def check(self) -> str:
        return check_character(f"{self.unit}{self.group}{self.number:0{NUMBER_WIDTH}d}")

    @property
    def text(self) -> str:
        """The serial as printed and keyed: '005-NGUOI-DAN-0007-S'."""
        return f"{self.unit}-{self.group}-{self.number:0{NUMBER_WIDTH}d}-{self.check}"

    @property
    def payload(self) -> str:
        return (f"{QR_TAG}|{self.campaign}|{self.unit}|{self.group}|{self.number:0{NUMBER_WIDTH}d}"
                f"|{self.check}")

    def qr_payload(self, page: int) -> str:
        """What the QR code on page `page` (1-based, within the copy) encodes."""
        return f"{self.payload}|{page}"

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        return {"serial": self.text, "campaign": self.campaign, "unit": self.unit,
                "group": self.group, "number": self.number, "check": self.check}


def parse_serial(text: str, campaign: str = "") -> Serial:
    """Read a serial as printed ('005-NGUOI-DAN-0007-S') or a QR payload; verify its check character.

    Raises InvalidSerial when the text is not a serial or the check character does not match
    (a mistyped or misread character).
    """
    text = text.strip()
    if text.startswith(QR_TAG + "|"):
        return parse_qr(text)[0]
    match = _TEXT.fullmatch(text)
    if match is None:
        raise InvalidSerial(f"'{text}' không phải số phiếu (dạng đúng: mã đơn vị-mã nhóm-số thứ "
                            "tự 4 chữ số-ký tự kiểm tra, ví dụ 005-NGUOI-DAN-0007-S).")
    return _verified(Serial(match["unit"], match["group"], int(match["number"]), campaign),
                     match["check"], text)


def parse_qr(payload: str) -> tuple[Serial, int | None]:
    """A QR payload -> (serial, page within the copy or None when the payload has no page)."""
    parts = payload.strip().split("|")
    if len(parts) not in (6, 7) or parts[0] != QR_TAG or not parts[4].isdigit() or (
            len(parts) == 7 and not parts[6].isdigit()):
        raise InvalidSerial(f"Mã QR '{payload}' không phải mã của phiếu khảo sát formkit.")
    serial = Serial(parts[2], parts[3], int(parts[4]), parts[1])
    return _verified(serial, parts[5], payload), int(parts[6]) if len(parts) == 7 else None


def _verified(serial: Serial, check: str, text: str) -> Serial:
    if check.upper() != serial.check:
        raise InvalidSerial(f"Số phiếu '{text}' sai ký tự kiểm tra (có thể gõ nhầm một ký tự): "
                            "đối chiếu lại với số in trên phiếu.")
    return serial


def serials_for(row: PlanRow, campaign: str) -> list[Serial]:
    """The serials of one unit × group: numbers 1 .. quota."""
    return [Serial(row.unit, row.group, n, campaign) for n in range(1, row.quota + 1)]


def plan_serials(plan: Plan, unit: str | None = None, group: str | None = None) -> list[Serial]:
    return [s for row in plan.select(unit, group) for s in serials_for(row, plan.campaign)]


def issued_serials(workspace: Workspace, unit: str | None = None, group: str | None = None
                   ) -> list[Serial]:
    """Every serial the plan issues (optionally of one unit and/or group), in plan order.

    Deterministic: the same plan always gives the same list, whether or not the paper
    questionnaires have been written.
    """
    if unit is not None:
        workspace.unit(unit)  # raises on an unknown code
    plan = sampling_plan(workspace)
    if group is not None and not plan.select(group=group):
        raise WorkspaceError(f"Kế hoạch mẫu không có nhóm đối tượng '{group}'.")
    return plan_serials(plan, unit, group)

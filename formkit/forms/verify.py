"""Reading a form's identity back from a workbook and checking its signature.

A spreadsheet program that saves the file may turn the very-hidden sheet into a hidden one,
re-encode strings or drop defined names; the identity sheet's two text cells survive all of that,
so they are the source of truth and the other copies are only mirrors.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from formkit.forms.identity import IDENTITY_SHEET, FormIdentity, verify


@dataclass(frozen=True)
class IdentityCheck:
    identity: FormIdentity | None
    signature_valid: bool
    problem: str | None = None  # Vietnamese reason when the identity cannot be trusted

    @property
    def ok(self) -> bool:
        return self.identity is not None and self.signature_valid


def read_identity(source: Path | bytes, secret: bytes) -> IdentityCheck:
    """Find the identity sheet, parse its payload and verify the HMAC with the secret."""
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else source
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return IdentityCheck(None, False, f"Không mở được tệp như một sổ tính Excel (.xlsx): {exc}")
    try:
        if IDENTITY_SHEET not in book.sheetnames:
            return IdentityCheck(None, False, "Tệp không có thông tin nhận dạng của formkit: không "
                                              "phải biểu mẫu do Sở Nội vụ phát hành, hoặc đã bị "
                                              "chép sang sổ tính khác.")
        cells = [row[0] for row in book[IDENTITY_SHEET].iter_rows(min_row=1, max_row=3,
                                                                  max_col=1, values_only=True)]
    finally:
        book.close()
    payload, signature = (str(cells[1] or ""), str(cells[2] or "")) if len(cells) == 3 else ("", "")
    try:
        identity = FormIdentity.from_payload(payload)
    except ValueError:
        return IdentityCheck(None, False, "Thông tin nhận dạng của biểu mẫu bị hỏng hoặc bị sửa.")
    if not verify(payload, signature, secret):
        return IdentityCheck(identity, False, "Chữ ký của biểu mẫu không khớp: thông tin nhận dạng "
                                              "đã bị sửa, hoặc biểu mẫu không thuộc đợt đánh giá "
                                              "này.")
    return IdentityCheck(identity, True)

"""Filling a template workbook's placeholders for one unit, at the zip level.

Only the parts that hold placeholders are rewritten; every part is written again with the same
compression and the fixed 1980-01-01 timestamps xlsxwriter uses, so output is deterministic.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TOKEN = re.compile(rb"@@FK\.[A-Z_]+@@")
WORKBOOK_PART = "xl/workbook.xml"


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    has_tokens: bool


class Template:
    """A template workbook held as its zip parts, ready to be stamped many times."""

    def __init__(self, workbook: bytes, structure_password: str = "") -> None:
        parts = []
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                if info.filename == WORKBOOK_PART:
                    data = _protect_structure(data, structure_password)
                parts.append(Part(info.filename, data, bool(TOKEN.search(data))))
        self.parts = tuple(parts)

    def stamp(self, values: dict[str, str]) -> bytes:
        """The workbook with every placeholder replaced by its XML-escaped value."""
        replacements = {token.encode("ascii"): escape(value).encode("utf-8")
                        for token, value in values.items()}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in self.parts:
                data = part.data
                if part.has_tokens:
                    data = TOKEN.sub(lambda m: replacements.get(m.group(0), m.group(0)), data)
                info = zipfile.ZipInfo(part.name, FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        return buffer.getvalue()


def lock_structure(workbook: bytes, password: str = "") -> bytes:
    """A finished xlsxwriter workbook with its structure locked (xlsxwriter cannot do it),
    re-zipped with the fixed timestamps."""
    return Template(workbook, password).stamp({})


def legacy_password_hash(password: str) -> str:
    """The 16-bit hash Excel stores for sheet and workbook protection passwords."""
    value = 0
    for position, char in enumerate(password, start=1):
        rotated = ord(char) << position
        value ^= (rotated & 0x7FFF) | (rotated >> 15)
    value ^= len(password) ^ 0xCE4B
    return f"{value:04X}"


def _protect_structure(workbook_xml: bytes, password: str) -> bytes:
    """xlsxwriter cannot lock the workbook structure; add <workbookProtection> after workbookPr."""
    attributes = f' workbookPassword="{legacy_password_hash(password)}"' if password else ""
    element = f'<workbookProtection{attributes} lockStructure="1"/>'.encode("ascii")
    match = re.search(rb"<workbookPr[^>]*/>", workbook_xml)
    if match is None:
        raise ValueError("workbook.xml without workbookPr: not an xlsxwriter workbook")
    return workbook_xml[:match.end()] + element + workbook_xml[match.end():]

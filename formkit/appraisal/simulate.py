"""A simulated council: appraisal workbooks filled as the council would, for the demo and tests.

Values are written straight into each unit sheet's XML, formkit.simulate's approach; stored
subtotals and statuses are left as issued, which intake never trusts anyway.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from formkit.appraisal.identity import IDENTITY_SHEET, AppraisalIdentity, identity_cells
from formkit.catalog import Catalog
from formkit.intake.xlsx import read_workbook
from formkit.simulate import Value, _cell, _rewrite
from formkit.text import format_number

_SHEET = re.compile(rb'<sheet name="([^"]*)"')
_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")?(?: t="[a-z]+")?(?:/>|>.*?</c>)')


@dataclass(frozen=True)
class Appraised:
    """What the council typed for one leaf (a score may be text, as people type "1,5")."""

    score: Value
    reason: str = ""


def read_identities(data: bytes) -> list[AppraisalIdentity]:
    """The unit identities a workbook carries, unverified: enough to know where to type."""
    workbook, _ = read_workbook(data, "appraisal.xlsx", sheets=(IDENTITY_SHEET,))
    cells = workbook.sheets[IDENTITY_SHEET].cells
    identities = []
    for index in range(len(cells)):
        cell = cells.get(identity_cells(index)[0])
        if cell is None:
            break
        identities.append(AppraisalIdentity.from_payload(str(cell.value)))
    return identities


SIMULATED_REASONS = (
    "Tài liệu kiểm chứng chưa đầy đủ, trừ {points} điểm.",
    "Không có tài liệu kiểm chứng cho nội dung tự chấm, trừ {points} điểm.",
    "Thực hiện chưa đúng thời hạn quy định, trừ {points} điểm.",
    "Kết quả thực hiện chưa đạt chỉ tiêu kế hoạch đề ra, trừ {points} điểm.",
)


def simulated_appraisal(identity: AppraisalIdentity, catalog: Catalog,
                        self_scores: dict[str, Decimal], rng: random.Random) -> dict[str, Appraised]:
    """Mostly confirmed self-scores; about one in six lowered by a step, with the reason."""
    entries = {}
    for code in identity.inputs:
        score, step = self_scores.get(code, Decimal(0)), catalog[code].step
        if score >= step and rng.random() < 1 / 6:
            entries[code] = Appraised(score - step, rng.choice(SIMULATED_REASONS).format(
                points=format_number(step, 2)))
        else:
            entries[code] = Appraised(score)
    return entries


def fill_appraisal(data: bytes, entries: dict[str, dict[str, Appraised]]) -> bytes:
    """The workbook with each unit's entries (unit code -> leaf -> Appraised) typed in."""
    names = _sheet_names(data)
    for identity in read_identities(data):
        values: dict[str, Value] = {}
        for code, entry in entries.get(identity.unit, {}).items():
            values[identity.cell(code, "appraised")] = entry.score
            values[identity.cell(code, "reason")] = entry.reason or None
        if values:
            part = f"xl/worksheets/sheet{names.index(identity.sheet) + 1}.xml"  # xlsxwriter's order
            data = _rewrite(data, part, lambda xml, v=values: _set(xml, v))
    return data


def _sheet_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/workbook.xml")
    return [name.decode() for name in _SHEET.findall(xml)]


def _set(xml: bytes, values: dict[str, Value]) -> bytes:
    def replace(match: re.Match) -> bytes:
        ref = match.group(1).decode()
        return _cell(ref, match.group(2) or b"", values[ref]) if ref in values else match.group(0)

    return _CELL.sub(replace, xml)

"""Simulated returns: a generated form filled the way a unit would fill it, for the demo,
the tests and the benchmarks.

Values are written straight into the scoring sheet's XML, and the stored totals are updated as a
spreadsheet program would on saving, so a simulated return looks like one saved by Excel.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from formkit.catalog import Catalog
from formkit.forms.identity import FormIdentity
from formkit.forms.layout import COLUMNS, layout_for
from formkit.forms.stamp import FIXED_ZIP_TIME

SCORING_PART = "xl/worksheets/sheet2.xml"  # the second sheet xlsxwriter writes: "Tự đánh giá"
Value = Decimal | float | int | str | None


@dataclass(frozen=True)
class Entry:
    """What a unit typed for one leaf (a score may be text, as people do type "1,5")."""

    score: Value
    evidence: str = ""
    explanation: str = ""


def fill_form(data: bytes, identity: FormIdentity, catalog: Catalog, entries: dict[str, Entry],
              recalculate: bool = True) -> bytes:
    """The form with the entries typed in; with recalculate, totals are stored as Excel would."""
    values: dict[str, Value] = {}
    for code, entry in entries.items():
        values[identity.cell(code, "score")] = entry.score
        values[identity.cell(code, "evidence")] = entry.evidence or None
        values[identity.cell(code, "explanation")] = entry.explanation or None
    totals = _totals(identity, catalog, entries) if recalculate else {}
    return _rewrite(data, SCORING_PART, lambda xml: _set_cells(xml, values, totals))


def simulated_entries(identity: FormIdentity, catalog: Catalog, rng: random.Random
                      ) -> dict[str, Entry]:
    """Plausible self-assessment: mostly high scores on the step, each with evidence or a reason."""
    entries = {}
    for number, code in enumerate(identity.inputs, start=1):
        leaf = catalog[code]
        steps = int(leaf.appraisal / leaf.step)
        score = leaf.step * max(0, steps - rng.choice((0, 0, 0, 1, 2)))
        if rng.random() < 0.85:
            entries[code] = Entry(score, evidence=f"Văn bản số {number}/{identity.year}/KH-UBND "
                                                  f"ngày {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"
                                                  f"/{identity.year} về thực hiện tiêu chí {code}")
        else:
            entries[code] = Entry(score, explanation="Đơn vị đang tổng hợp hồ sơ, sẽ bổ sung khi "
                                                     "thẩm định.")
    return entries


def _totals(identity: FormIdentity, catalog: Catalog, entries: dict[str, Entry]) -> dict[str, float]:
    layout = layout_for(catalog, frozenset(identity.not_applicable))
    numeric = {code: Decimal(str(e.score)) for code, e in entries.items()
               if isinstance(e.score, (int, float, Decimal)) and not isinstance(e.score, bool)}
    totals = {}
    for row in layout.rows:
        if not row.item.is_leaf and row.applicable:
            prefix = row.item.code + "."
            totals[row.cell("score")] = float(sum((v for c, v in numeric.items()
                                                   if c.startswith(prefix)), Decimal(0)))
    totals[f"{COLUMNS['score']}{layout.total_row}"] = float(sum(numeric.values(), Decimal(0)))
    return totals


def _set_cells(xml: bytes, values: dict[str, Value], totals: dict[str, float]) -> bytes:
    def replace(match: re.Match) -> bytes:
        ref = match.group(1).decode()
        style = match.group(2) or b""
        if ref in values:
            return _cell(ref, style, values[ref])
        if ref in totals and b"<f>" in match.group(0):
            formula = re.search(rb"<f>.*?</f>", match.group(0)).group(0)
            return b'<c r="%s"%s>%s<v>%s</v></c>' % (ref.encode(), style, formula,
                                                     _number(totals[ref]).encode())
        return match.group(0)

    return re.sub(rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")?(?: t="[a-z]+")?(?:/>|>.*?</c>)', replace, xml)


def _cell(ref: str, style: bytes, value: Value) -> bytes:
    if value is None:
        return b'<c r="%s"%s/>' % (ref.encode(), style)
    if isinstance(value, str):
        text = escape(value).encode()
        space = b' xml:space="preserve"' if value != value.strip() else b""
        return b'<c r="%s"%s t="inlineStr"><is><t%s>%s</t></is></c>' % (ref.encode(), style, space,
                                                                         text)
    return b'<c r="%s"%s><v>%s</v></c>' % (ref.encode(), style, _number(value).encode())


def _number(value: Decimal | float | int) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def _rewrite(data: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                content = change(content)
            copy = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            copy.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(copy, content)
    return out.getvalue()

"""Units assessed in a campaign (Sở and districts): loaded and validated like catalogues."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from formkit.errors import InvalidDataError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.text import collation_key
from formkit.yamlsrc import FieldReader, YList, load_yaml

UNIT_TYPES = {"so": "Sở, cơ quan tương đương Sở", "district": "Quận, huyện, thị xã"}


class GroupWords(NamedTuple):
    """How official texts name one unit type (the one place they are written)."""

    label: str  # in a sentence: "các sở, cơ quan tương đương Sở"
    heading: str  # a section heading
    counted: str  # after a number: "18/22 sở, cơ quan tương đương Sở"
    formal: str  # in a decision's summary and articles


GROUP_WORDS = {
    "so": GroupWords("các sở, cơ quan tương đương Sở", "Các sở, cơ quan tương đương Sở",
                     "sở, cơ quan tương đương Sở", "các sở, cơ quan tương đương Sở"),
    "district": GroupWords("UBND các quận, huyện, thị xã", "UBND các quận, huyện, thị xã",
                           "UBND quận, huyện, thị xã", "Ủy ban nhân dân các quận, huyện, thị xã"),
}
UNIT_KEYS = ("code", "name", "short_name", "unit_type", "document_name", "email", "head_title")
REQUIRED_UNIT_KEYS = ("code", "name", "short_name", "unit_type")
# Deliberately simple: one @, no spaces, a dotted domain. Deliverability is the mail server's job.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    short_name: str
    unit_type: str
    document_name: str
    email: str = ""
    head_title: str = ""

    @property
    def type_label(self) -> str:
        return UNIT_TYPES[self.unit_type]


def sort_units(units: list[Unit] | tuple[Unit, ...]) -> list[Unit]:
    """Units grouped by type (Sở first), each group in Vietnamese order of short name."""
    type_order = list(UNIT_TYPES)
    return sorted(units, key=lambda u: (type_order.index(u.unit_type),
                                        collation_key(u.short_name), u.code))


def load_units(path: Path | str) -> tuple[Unit, ...]:
    units, findings = check_units(path)
    if units is None:
        raise InvalidDataError(f"Danh sách đơn vị {path} có lỗi, chưa dùng được.", findings)
    return units


def check_units(path: Path | str) -> tuple[tuple[Unit, ...] | None, list[Finding]]:
    path = Path(path)
    data, findings = load_yaml(path)
    if data is None:
        return None, findings or [Code.MISSING_KEY(file=str(path), key="units")]
    units, more = parse_units(data, str(path))
    findings += more
    return (None if has_errors(findings) else units), sort_findings(findings)


def parse_units(data: object, name: str) -> tuple[tuple[Unit, ...], list[Finding]]:
    reader = FieldReader(name)
    root = reader.mapping(data, "(tệp)", 1)
    if root is None:
        return (), reader.findings
    reader.check_keys(root, ("units",), ("units",))
    raw_units = reader.sequence(root.get("units", YList()), "units", root.line_of("units"))
    if raw_units is None:
        return (), reader.findings
    units: list[Unit] = []
    first_line: dict[str, int] = {}
    for raw, line in zip(raw_units, raw_units.item_lines, strict=True):
        m = reader.mapping(raw, "units", line)
        if m is None:
            continue
        code = reader.text(m, "code")
        reader.check_keys(m, UNIT_KEYS, REQUIRED_UNIT_KEYS, item=code or None)
        if code in first_line:
            reader.report(Code.DUPLICATE_UNIT, m.line_of("code"), code, code=code,
                          first_line=first_line[code])
            continue
        first_line[code] = line
        unit = _read_unit(reader, m, code)
        if unit:
            units.append(unit)
    return tuple(units), reader.findings


def _read_unit(reader: FieldReader, m, code: str) -> Unit | None:
    unit_type = reader.text(m, "unit_type")
    if unit_type and unit_type not in UNIT_TYPES:
        reader.report(Code.UNKNOWN_UNIT_TYPE, m.line_of("unit_type"), code, value=unit_type,
                      allowed=", ".join(UNIT_TYPES))
    email = reader.text(m, "email")
    if email and not EMAIL_PATTERN.fullmatch(email):
        reader.report(Code.BAD_EMAIL, m.line_of("email"), code, value=email, code=code)
    elif not email:
        reader.report(Code.NO_EMAIL, m.line, code, code=code)
    name = reader.text(m, "name")
    if not code or not name or unit_type not in UNIT_TYPES:
        return None
    return Unit(code=code, name=name, short_name=reader.text(m, "short_name", default=name),
                unit_type=unit_type, document_name=reader.text(m, "document_name", default=name),
                email=email, head_title=reader.text(m, "head_title"))

"""Criteria catalogues: the tree area -> criterion -> sub-criterion, loaded and validated.

A catalogue is data edited by hand (form_templates/README.md documents the format). Loading
reports every problem at once with its line and item code, and refuses to hand out a catalogue
with errors: every later stage (forms, scoring, documents) trusts the tree's arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from formkit.errors import InvalidDataError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.units import UNIT_TYPES
from formkit.yamlsrc import FieldReader, YList, YMap, load_yaml

CATALOG_KEYS = ("id", "title", "valid_years", "year", "unit_type", "source", "total_points",
                "default_step")
ITEM_KEYS = ("code", "text", "max", "appraisal", "survey", "step", "evidence", "guidance",
             "not_applicable_to")
LEAF_ONLY_KEYS = ("appraisal", "survey", "step", "evidence", "not_applicable_to")
CODE_PATTERN = re.compile(r"[1-9][0-9]*(\.[1-9][0-9]*){0,2}")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
# valid_years: one year (2021) or a range of years (2017-2020), both ends included
VALID_YEARS_PATTERN = re.compile(r"(\d{4})(?:\s*[-–]\s*(\d{4}))?")
YEAR_LIMITS = (2000, 2100)
LEVEL_NAMES = {1: "Lĩnh vực", 2: "Tiêu chí", 3: "Tiêu chí thành phần"}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Criterion:
    """One item of the tree. Groups carry the sums of their leaves' points."""

    code: str
    text: str
    max_points: Decimal
    appraisal: Decimal
    survey: Decimal
    children: tuple[str, ...] = ()
    step: Decimal | None = None
    evidence: bool = False
    guidance: str = ""
    not_applicable_to: tuple[str, ...] = ()
    line: int | None = None

    @property
    def depth(self) -> int:
        return self.code.count(".") + 1

    @property
    def parent(self) -> str | None:
        return self.code.rpartition(".")[0] or None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.depth]

    def applies_to(self, unit_code: str) -> bool:
        return unit_code not in self.not_applicable_to


@dataclass(frozen=True)
class Catalog:
    id: str
    title: str
    year: int  # the legacy single `year` of the file, 0 when it states `valid_years` only
    unit_type: str
    source: str
    total_points: Decimal
    default_step: Decimal
    items: tuple[Criterion, ...]
    path: str = ""
    content_hash: str = ""
    valid_years: tuple[int, int] = (0, 0)  # first and last campaign year it applies to
    _by_code: dict[str, Criterion] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({item.code: item for item in self.items})

    def valid_for(self, year: int) -> bool:
        return self.valid_years[0] <= year <= self.valid_years[1]

    @property
    def years_label(self) -> str:
        return years_label(self.valid_years)

    def __getitem__(self, code: str) -> Criterion:
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def areas(self) -> list[Criterion]:
        return [item for item in self.items if item.depth == 1]

    def leaves(self) -> list[Criterion]:
        return [item for item in self.items if item.is_leaf]

    def children_of(self, code: str) -> list[Criterion]:
        return [self._by_code[child] for child in self._by_code[code].children]

    def leaves_under(self, code: str) -> list[Criterion]:
        return [leaf for leaf in self.leaves() if leaf.code == code
                or leaf.code.startswith(code + ".")]

    def applicable_max(self, unit_code: str) -> Decimal:
        """The maximum a unit can reach; leaves that do not apply to it are left out."""
        return sum((leaf.max_points for leaf in self.leaves() if leaf.applies_to(unit_code)), ZERO)


def load_catalog(path: Path | str) -> Catalog:
    """Load a catalogue, or raise InvalidDataError listing every problem."""
    catalog, findings = check_catalog(path)
    if catalog is None:
        raise InvalidDataError(f"Bộ tiêu chí {path} có lỗi, chưa dùng được.", findings)
    return catalog


def check_catalog(path: Path | str) -> tuple[Catalog | None, list[Finding]]:
    """Validate a catalogue file; the catalogue is returned only when it has no errors."""
    path = Path(path)
    data, findings = load_yaml(path)
    if data is None:
        return None, findings or [Code.EMPTY_CATALOG(file=str(path))]
    catalog, more = parse_catalog(data, str(path))
    findings += more
    return (None if has_errors(findings) else catalog), sort_findings(findings)


def parse_catalog(data: object, name: str) -> tuple[Catalog | None, list[Finding]]:
    reader = FieldReader(name)
    root = reader.mapping(data, "(tệp)", 1)
    if root is None:
        return None, reader.findings
    reader.check_keys(root, ("catalog", "items"), ("catalog", "items"))
    meta = reader.mapping(root.get("catalog", YMap()), "catalog", root.line_of("catalog"))
    raw_items = reader.sequence(root.get("items", YList()), "items", root.line_of("items"))
    if meta is None or raw_items is None:
        return None, reader.findings
    header = _read_header(reader, meta)
    entries = _read_entries(reader, raw_items)
    items = _build_tree(reader, entries, header["default_step"])
    _check_total(reader, items, header["total_points"], meta.line_of("total_points"))
    if not raw_items:
        reader.report(Code.EMPTY_CATALOG, root.line_of("items"))
    catalog = Catalog(items=tuple(items), path=name, **header)
    return _with_hash(catalog), reader.findings


def read_valid_years(reader: FieldReader, meta: YMap, legacy: int) -> tuple[int, int]:
    """The years a catalogue or questionnaire applies to: `valid_years: 2017-2020` (both ends
    included) or `valid_years: 2021`; a file that states only the older `year: 2020` applies to
    that year alone (`legacy`, read by the caller). (0, 0) when neither is stated or readable
    (reported)."""
    if "valid_years" not in meta:
        if "year" not in meta:
            reader.report(Code.MISSING_KEY, meta.line, key="valid_years")
        return (legacy, legacy)
    value = meta["valid_years"]
    line = meta.line_of("valid_years")
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = VALID_YEARS_PATTERN.fullmatch(text)
    years = (int(match[1]), int(match[2] or match[1])) if match else None
    if years is None or years[0] > years[1] or not all(
            YEAR_LIMITS[0] <= y <= YEAR_LIMITS[1] for y in years):
        reader.report(Code.BAD_VALUE, line, key="valid_years", value=text or str(value),
                      reason="ghi một năm (ví dụ 2021) hoặc một khoảng năm, năm đầu trước năm cuối "
                             "(ví dụ 2017-2020), trong khoảng 2000-2100")
        return (0, 0)
    if legacy and not years[0] <= legacy <= years[1]:
        reader.report(Code.BAD_VALUE, meta.line_of("year"), key="year", value=legacy,
                      reason=f"năm này nằm ngoài 'valid_years' ({years_label(years)})")
    return years


def years_label(years: tuple[int, int]) -> str:
    """'2017-2020', or '2021' for a single year, as written in the file."""
    first, last = years
    return str(first) if first == last else f"{first}-{last}"


def _read_header(reader: FieldReader, meta: YMap) -> dict:
    reader.check_keys(meta, CATALOG_KEYS, ("id", "title", "unit_type", "source", "total_points"))
    catalog_id = reader.text(meta, "id")
    if catalog_id and not ID_PATTERN.fullmatch(catalog_id):
        reader.report(Code.BAD_VALUE, meta.line_of("id"), key="id", value=catalog_id,
                      reason="chỉ dùng chữ thường không dấu, chữ số và dấu '-'")
    unit_type = reader.text(meta, "unit_type")
    if unit_type and unit_type not in UNIT_TYPES:
        reader.report(Code.UNKNOWN_UNIT_TYPE, meta.line_of("unit_type"), value=unit_type,
                      allowed=", ".join(UNIT_TYPES))
    total = reader.number(meta, "total_points", default=ZERO)
    step = reader.number(meta, "default_step", default=Decimal("0.25"))
    for key, value in (("total_points", total), ("default_step", step)):
        if value is not None and value <= 0:
            reader.report(Code.BAD_VALUE, meta.line_of(key), key=key, value=value,
                          reason="phải lớn hơn 0")
    year = reader.integer(meta, "year", default=0) or 0
    return {"id": catalog_id, "title": reader.text(meta, "title"), "year": year,
            "valid_years": read_valid_years(reader, meta, year), "unit_type": unit_type,
            "source": reader.text(meta, "source"), "total_points": total or ZERO,
            "default_step": step if step and step > 0 else Decimal("0.25")}


@dataclass
class _Entry:
    """An item as written, before the tree tells whether it is a group or a leaf."""

    raw: YMap
    code: str
    line: int
    children: list[str] = field(default_factory=list)


def _read_entries(reader: FieldReader, raw_items: YList) -> list[_Entry]:
    entries: list[_Entry] = []
    first_line: dict[str, int] = {}
    for raw, line in zip(raw_items, raw_items.item_lines, strict=True):
        m = reader.mapping(raw, "items", line)
        if m is None:
            continue
        code = str(m.get("code", "")).strip()
        reader.check_keys(m, ITEM_KEYS, ("code",), item=code or None)
        if not code:
            continue
        if not CODE_PATTERN.fullmatch(code):
            reader.report(Code.CODE_FORMAT, m.line_of("code"), code, code=code)
            continue
        if code in first_line:
            reader.report(Code.DUPLICATE_CODE, m.line_of("code"), code, code=code,
                          first_line=first_line[code])
            continue
        parent = code.rpartition(".")[0]
        if parent and parent not in first_line:
            reader.report(Code.ORPHAN, m.line_of("code"), code, code=code, parent=parent)
            continue
        first_line[code] = line
        entries.append(_Entry(m, code, line))
    by_code = {entry.code: entry for entry in entries}
    for entry in entries:
        parent = entry.code.rpartition(".")[0]
        if parent:
            by_code[parent].children.append(entry.code)
    return entries


def _build_tree(reader: FieldReader, entries: list[_Entry], default_step: Decimal
                ) -> list[Criterion]:
    built: dict[str, Criterion] = {}
    # Children come after their parents, so building in reverse has every child ready.
    for entry in reversed(entries):
        text = reader.text(entry.raw, "text", entry.code)
        if not text:
            reader.report(Code.MISSING_TEXT, entry.line, entry.code, code=entry.code)
        if entry.children:
            built[entry.code] = _group(reader, entry, text, [built[c] for c in entry.children])
        else:
            built[entry.code] = _leaf(reader, entry, text, default_step)
    return [built[entry.code] for entry in entries]


def _points(reader: FieldReader, entry: _Entry, key: str, step: Decimal | None) -> Decimal:
    value = reader.number(entry.raw, key, entry.code, default=ZERO) or ZERO
    line = entry.raw.line_of(key)
    if value < 0:
        reader.report(Code.NEGATIVE_POINTS, line, entry.code, key=key, code=entry.code,
                      value=value)
    elif step and value % step != 0:
        reader.report(Code.OFF_STEP, line, entry.code, key=key, code=entry.code, value=value,
                      step=step)
    return value


def _leaf(reader: FieldReader, entry: _Entry, text: str, default_step: Decimal) -> Criterion:
    m, code = entry.raw, entry.code
    step = reader.number(m, "step", code, default=default_step)
    if step is not None and step <= 0:
        reader.report(Code.BAD_VALUE, m.line_of("step"), code, key="step", value=step,
                      reason="bước điểm phải lớn hơn 0")
    if step is None or step <= 0:  # reported; check the points against the default instead
        step = default_step
    appraisal = _points(reader, entry, "appraisal", step)
    survey = _points(reader, entry, "survey", step)
    total = appraisal + survey
    if total == 0:
        reader.report(Code.LEAF_WITHOUT_POINTS, entry.line, code, code=code)
    declared = reader.number(m, "max", code)
    if declared is not None and declared != total:
        reader.report(Code.LEAF_MAX_MISMATCH, m.line_of("max"), code, code=code,
                      declared=declared, points=total)
    evidence = reader.boolean(m, "evidence", code, default=appraisal > 0)
    return Criterion(code=code, text=text, max_points=total, appraisal=appraisal, survey=survey,
                     step=step, evidence=bool(evidence), guidance=reader.text(m, "guidance", code),
                     not_applicable_to=tuple(sorted(set(reader.text_list(m, "not_applicable_to",
                                                                         code)))),
                     line=entry.line)


def _group(reader: FieldReader, entry: _Entry, text: str, children: list[Criterion]
           ) -> Criterion:
    m, code = entry.raw, entry.code
    for key in LEAF_ONLY_KEYS:
        if key in m:
            reader.report(Code.GROUP_WITH_LEAF_KEYS, m.line_of(key), code, code=code, key=key)
    children_sum = sum((child.max_points for child in children), ZERO)
    declared = reader.number(m, "max", code)
    if declared is None:
        reader.report(Code.GROUP_WITHOUT_MAX, entry.line, code, code=code)
    elif declared < 0:
        reader.report(Code.NEGATIVE_POINTS, m.line_of("max"), code, key="max", code=code,
                      value=declared)
    elif declared != children_sum:
        reader.report(Code.POINTS_MISMATCH, m.line_of("max"), code, code=code,
                      children_sum=children_sum, declared=declared)
    # A declared max stands for the group upwards, so one wrong leaf is reported once, not again
    # at every ancestor.
    max_points = declared if declared is not None and declared >= 0 else children_sum
    return Criterion(code=code, text=text, max_points=max_points,
                     appraisal=sum((c.appraisal for c in children), ZERO),
                     survey=sum((c.survey for c in children), ZERO),
                     children=tuple(c.code for c in children),
                     guidance=reader.text(m, "guidance", code), line=entry.line)


def _check_total(reader: FieldReader, items: list[Criterion], declared: Decimal, line: int
                 ) -> None:
    areas_sum = sum((item.max_points for item in items if item.depth == 1), ZERO)
    if items and declared and areas_sum != declared:
        reader.report(Code.TOTAL_MISMATCH, line, areas_sum=areas_sum, declared=declared)


def _number_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def canonical_content(catalog: Catalog) -> dict:
    """The catalogue's content with defaults applied, independent of YAML formatting."""
    # valid_years is left out on purpose: extending a catalogue's validity to another year does
    # not change its criteria, so forms already issued stay valid. A legacy `year` stays in, so
    # the hashes of older catalogues do not change.
    meta = {"id": catalog.id, "title": catalog.title, "unit_type": catalog.unit_type,
            "source": catalog.source, "total_points": _number_text(catalog.total_points),
            "default_step": _number_text(catalog.default_step)}
    if catalog.year:
        meta["year"] = catalog.year
    return {
        "catalog": meta,
        "items": [{"code": item.code, "text": item.text, "max": _number_text(item.max_points),
                   "appraisal": _number_text(item.appraisal), "survey": _number_text(item.survey),
                   "step": _number_text(item.step), "evidence": item.evidence,
                   "guidance": item.guidance, "not_applicable_to": list(item.not_applicable_to)}
                  for item in catalog.items],
    }


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _with_hash(catalog: Catalog) -> Catalog:
    return replace(catalog, content_hash=content_hash(canonical_content(catalog)),
                   _by_code={})

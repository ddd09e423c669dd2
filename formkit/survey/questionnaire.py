"""Respondent groups, answer scales and questionnaires, loaded and checked against a catalogue.

The survey file names its catalogue; loading checks both together, because a question is only
meaningful through the survey-scored leaves it feeds, and every survey point must be fed.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path

from formkit.catalog import ID_PATTERN, Catalog, check_catalog, content_hash, read_valid_years, years_label
from formkit.errors import InvalidDataError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.units import UNIT_TYPES
from formkit.yamlsrc import FieldReader, YList, YMap, load_yaml

SURVEY_KEYS = ("id", "title", "valid_years", "year", "unit_type", "catalog", "source")
SCALE_KEYS = ("code", "title", "options")
OPTION_KEYS = ("code", "text", "fraction", "no_answer")
GROUP_KEYS = ("code", "name", "weight", "title", "instructions", "respondent_fields", "questions")
FIELD_KEYS = ("code", "text", "options")
QUESTION_KEYS = ("code", "text", "scale", "feeds")
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class AnswerOption:
    code: str
    text: str
    fraction: Decimal | None  # None: a "no answer" option, left out of the denominator

    @property
    def is_no_answer(self) -> bool:
        return self.fraction is None


@dataclass(frozen=True)
class Scale:
    code: str
    title: str
    options: tuple[AnswerOption, ...]

    def option(self, code: str) -> AnswerOption | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class RespondentField:
    code: str
    text: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    scale: str
    feeds: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True)
class RespondentGroup:
    code: str
    name: str
    weight: Decimal
    title: str
    instructions: str
    respondent_fields: tuple[RespondentField, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    year: int
    unit_type: str
    source: str
    catalog: Catalog
    scales: tuple[Scale, ...]
    groups: tuple[RespondentGroup, ...]
    path: str = ""
    content_hash: str = ""
    valid_years: tuple[int, int] = (0, 0)  # first and last campaign year it applies to

    def valid_for(self, year: int) -> bool:
        return self.valid_years[0] <= year <= self.valid_years[1]

    @property
    def years_label(self) -> str:
        return years_label(self.valid_years)

    def scale(self, code: str) -> Scale:
        return next(s for s in self.scales if s.code == code)

    def group(self, code: str) -> RespondentGroup:
        return next(g for g in self.groups if g.code == code)


def load_survey(path: Path | str) -> Survey:
    survey, findings = check_survey(path)
    if survey is None:
        raise InvalidDataError(f"Bộ phiếu khảo sát {path} có lỗi, chưa dùng được.", findings)
    return survey


def check_survey(path: Path | str) -> tuple[Survey | None, list[Finding]]:
    """Validate a survey file and the catalogue it names; return it only when error-free."""
    path = Path(path)
    data, findings = load_yaml(path)
    if data is None:
        return None, findings or [Code.MISSING_KEY(file=str(path), key="survey")]
    reader = FieldReader(str(path))
    survey = _parse(reader, data, path)
    findings += reader.findings
    return (None if has_errors(findings) else survey), sort_findings(findings)


def _parse(reader: FieldReader, data: object, path: Path) -> Survey | None:
    root = reader.mapping(data, "(tệp)", 1)
    if root is None:
        return None
    reader.check_keys(root, ("survey", "scales", "groups"), ("survey", "scales", "groups"))
    meta = reader.mapping(root.get("survey", YMap()), "survey", root.line_of("survey"))
    if meta is None:
        return None
    reader.check_keys(meta, SURVEY_KEYS, ("id", "title", "unit_type", "catalog"))
    year = reader.integer(meta, "year", default=0) or 0
    valid_years = read_valid_years(reader, meta, year)
    catalog = _catalog(reader, meta, path)
    unit_type = reader.text(meta, "unit_type")
    if unit_type and unit_type not in UNIT_TYPES:
        reader.report(Code.UNKNOWN_UNIT_TYPE, meta.line_of("unit_type"), value=unit_type,
                      allowed=", ".join(UNIT_TYPES))
    elif catalog and unit_type and catalog.unit_type != unit_type:
        reader.report(Code.CATALOG_MISMATCH, meta.line_of("catalog"), survey_type=unit_type,
                      catalog=catalog.id, catalog_type=catalog.unit_type)
    survey_id = reader.text(meta, "id")
    if survey_id and not ID_PATTERN.fullmatch(survey_id):
        reader.report(Code.BAD_VALUE, meta.line_of("id"), key="id", value=survey_id,
                      reason="chỉ dùng chữ thường không dấu, chữ số và dấu '-'")
    scales = _scales(reader, root.get("scales"), root.line_of("scales"))
    groups = _groups(reader, root.get("groups"), root.line_of("groups"), scales, catalog)
    if catalog is None:
        return None
    _check_coverage(reader, catalog, groups, root.line_of("groups"))
    survey = Survey(id=survey_id, title=reader.text(meta, "title"),
                    year=year, unit_type=unit_type,
                    source=reader.text(meta, "source"), catalog=catalog,
                    scales=tuple(scales.values()), groups=tuple(groups), path=str(path),
                    valid_years=valid_years)
    return _with_hash(survey)


def _catalog(reader: FieldReader, meta: YMap, path: Path) -> Catalog | None:
    ref = reader.text(meta, "catalog")
    if not ref:
        return None
    catalog, findings = check_catalog(Path(os.path.normpath(path.parent / ref)))
    reader.findings.extend(findings)
    return catalog


def _items(reader: FieldReader, value: object, key: str, line: int):
    """(mapping, line) pairs of a list of mappings, reporting entries that are not mappings."""
    items = reader.sequence(value if value is not None else YList(), key, line)
    for raw, item_line in zip(items or [], (items.item_lines if items else []), strict=True):
        m = reader.mapping(raw, key, item_line)
        if m is not None:
            yield m


def _code(reader: FieldReader, m: YMap, keys: tuple[str, ...], required: tuple[str, ...]) -> str:
    code = reader.text(m, "code")
    reader.check_keys(m, keys, required, item=code or None)
    if code and not CODE_PATTERN.fullmatch(code):
        reader.report(Code.BAD_VALUE, m.line_of("code"), code, key="code", value=code,
                      reason="chỉ dùng chữ cái không dấu, chữ số và các dấu . _ -")
    return code


def _scales(reader: FieldReader, value: object, line: int) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    lines: dict[str, int] = {}
    for m in _items(reader, value, "scales", line):
        code = _code(reader, m, SCALE_KEYS, ("code", "options"))
        if code in lines:
            reader.report(Code.DUPLICATE_SCALE, m.line, code, code=code, first_line=lines[code])
            continue
        options = tuple(_options(reader, m, code))
        if sum(1 for o in options if not o.is_no_answer) < 2:
            reader.report(Code.TOO_FEW_OPTIONS, m.line, code, code=code)
        lines[code] = m.line
        scales[code] = Scale(code, reader.text(m, "title", code), options)
    return scales


def _options(reader: FieldReader, scale: YMap, scale_code: str):
    seen: set[str] = set()
    for m in _items(reader, scale.get("options"), "options", scale.line_of("options")):
        code = _code(reader, m, OPTION_KEYS, ("code", "text"))
        if code in seen:
            reader.report(Code.DUPLICATE_OPTION, m.line, scale_code, option=code, code=scale_code)
            continue
        seen.add(code)
        no_answer = reader.boolean(m, "no_answer", scale_code, default=False)
        fraction = reader.number(m, "fraction", scale_code)
        if no_answer and fraction is None:
            yield AnswerOption(code, reader.text(m, "text", scale_code), None)
        elif not no_answer and fraction is not None and 0 <= fraction <= 1:
            yield AnswerOption(code, reader.text(m, "text", scale_code), fraction)
        else:
            reader.report(Code.BAD_FRACTION, m.line, scale_code, option=code, code=scale_code)


def _groups(reader: FieldReader, value: object, line: int, scales: dict[str, Scale],
            catalog: Catalog | None) -> list[RespondentGroup]:
    groups: list[RespondentGroup] = []
    lines: dict[str, int] = {}
    for m in _items(reader, value, "groups", line):
        code = _code(reader, m, GROUP_KEYS, ("code", "name", "questions"))
        if code in lines:
            reader.report(Code.DUPLICATE_GROUP, m.line, code, code=code, first_line=lines[code])
            continue
        lines[code] = m.line
        weight = reader.number(m, "weight", code, default=Decimal(1))
        if weight is None or weight <= 0:
            reader.report(Code.BAD_VALUE, m.line_of("weight"), code, key="weight", value=weight,
                          reason="trọng số phải lớn hơn 0")
        fields = tuple(RespondentField(f_code, reader.text(f, "text", code),
                                       reader.text_list(f, "options", code))
                       for f in _items(reader, m.get("respondent_fields"), "respondent_fields",
                                       m.line_of("respondent_fields"))
                       if (f_code := _code(reader, f, FIELD_KEYS, ("code", "text"))))
        questions = tuple(_questions(reader, m, code, scales, catalog))
        groups.append(RespondentGroup(code, reader.text(m, "name", code), weight or Decimal(1),
                                      reader.text(m, "title", code),
                                      reader.text(m, "instructions", code), fields, questions))
    return groups


def _questions(reader: FieldReader, group: YMap, group_code: str, scales: dict[str, Scale],
               catalog: Catalog | None):
    seen: set[str] = set()
    for m in _items(reader, group.get("questions"), "questions", group.line_of("questions")):
        code = _code(reader, m, QUESTION_KEYS, ("code", "text", "scale", "feeds"))
        where = f"{group_code}/{code}"
        if code in seen:
            reader.report(Code.DUPLICATE_QUESTION, m.line, where, code=code, group=group_code)
            continue
        seen.add(code)
        if not reader.text(m, "text", where):
            reader.report(Code.MISSING_KEY, m.line, where, key="text")
        scale = reader.text(m, "scale", where)
        if scale and scale not in scales:
            reader.report(Code.UNKNOWN_SCALE, m.line_of("scale"), where, code=code, scale=scale)
        feeds = reader.text_list(m, "feeds", where)
        if not feeds:
            reader.report(Code.NO_FEEDS, m.line_of("feeds"), where, code=code)
        for leaf in feeds:
            _check_feed(reader, catalog, leaf, m.line_of("feeds"), where, code)
        yield Question(code, reader.text(m, "text", where), scale, feeds, m.line)


def _check_feed(reader: FieldReader, catalog: Catalog | None, leaf: str, line: int, where: str,
                code: str) -> None:
    if catalog is None:
        return
    if leaf not in catalog or not catalog[leaf].is_leaf:
        reader.report(Code.UNKNOWN_LEAF, line, where, code=code, leaf=leaf)
    elif catalog[leaf].survey == 0:
        reader.report(Code.NOT_SURVEY_LEAF, line, where, code=code, leaf=leaf)


def _check_coverage(reader: FieldReader, catalog: Catalog, groups: list[RespondentGroup],
                    line: int) -> None:
    fed = {leaf for group in groups for q in group.questions for leaf in q.feeds}
    for leaf in catalog.leaves():
        if leaf.survey > 0 and leaf.code not in fed:
            reader.report(Code.LEAF_NOT_FED, line, leaf.code, leaf=leaf.code, points=leaf.survey)


def _with_hash(survey: Survey) -> Survey:
    content = asdict(replace(survey, catalog=None, path=""))  # type: ignore[arg-type]
    content["catalog"] = survey.catalog.content_hash
    del content["valid_years"]  # validity is not content: extending it keeps issued files valid
    text_content = _stringify(content)
    return replace(survey, content_hash=content_hash(text_content))


def _stringify(value: object) -> object:
    """Make dataclass content JSON-safe and formatting-independent (Decimal -> normalised str)."""
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stringify(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value

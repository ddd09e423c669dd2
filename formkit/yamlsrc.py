"""YAML with line numbers, and typed field reading that reports findings instead of raising.

Every data file formkit reads is edited by hand, so every problem must point at a line. PyYAML's
composed node tree carries marks; we convert it into dicts and lists that remember their lines.
Decimal numbers are built from the source text, never through float, so 0.1 stays 0.1.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from formkit.findings import Code, Finding
from formkit.text import parse_date, parse_number


class YMap(dict):
    """A mapping from YAML that knows its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    @classmethod
    def at(cls, line: int) -> YMap:
        """An empty mapping standing for a section that is absent or not a mapping, placed at the
        line it was expected, so missing keys are reported there."""
        empty = cls()
        empty.line, empty.key_lines = line, {}
        return empty

    def line_of(self, key: str) -> int:
        # An empty YMap() made in code (an absent section) has no key lines.
        return getattr(self, "key_lines", {}).get(key, self.line)


class YList(list):
    """A sequence from YAML that knows its own line and each item's line (1-based)."""

    line: int = 0
    item_lines: list[int]


def load_yaml(path: Path) -> tuple[object | None, list[Finding]]:
    """Parse a YAML file; on failure return None and findings that name the line."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [Code.FILE_MISSING(file=name)]
    except OSError as exc:
        return None, [Code.FILE_UNREADABLE(file=name, detail=exc.strerror or str(exc))]
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Code.FILE_UNREADABLE(file=name, line=line,
                                           detail="tệp không ở mã UTF-8; hãy lưu lại với mã UTF-8")]
    return parse_yaml(source, name)


def parse_yaml(source: str, name: str) -> tuple[object | None, list[Finding]]:
    findings: list[Finding] = []
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, [Code.YAML_SYNTAX(file=name, line=line, detail=exc.problem or str(exc))]
    except yaml.reader.ReaderError as exc:  # a control character such as NUL
        line = source[:exc.position].count("\n") + 1
        detail = f"có ký tự không được phép ({_char_code(exc.character)}); xóa ký tự này"
        return None, [Code.YAML_SYNTAX(file=name, line=line, detail=detail)]
    except yaml.YAMLError as exc:
        return None, [Code.YAML_SYNTAX(file=name, line=1, detail=str(exc))]
    if node is None:
        return None, findings
    return _convert(node, yaml.SafeLoader(""), name, findings), findings


def _char_code(character: object) -> str:
    code = ord(character) if isinstance(character, str) and character else character
    return f"U+{code:04X}" if isinstance(code, int) else str(code)


def _convert(node: yaml.Node, loader: yaml.SafeLoader, name: str, findings: list[Finding],
             key: str = "(giá trị)"):
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = YMap()
        result.line, result.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, name, findings)
            key = str(key) if not isinstance(key, (YMap, YList)) else repr(key)
            key_line = key_node.start_mark.line + 1
            if key in result:
                findings.append(Code.YAML_DUPLICATE_KEY(file=name, line=key_line, key=key,
                                                        first_line=result.key_lines[key]))
                continue
            result[key] = _convert(value_node, loader, name, findings, key)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = YList()
        items.line, items.item_lines = line, []
        for child in node.value:
            items.append(_convert(child, loader, name, findings, key))
            items.item_lines.append(child.start_mark.line + 1)
        return items
    if node.tag == "tag:yaml.org,2002:float":
        try:
            return Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            pass  # .inf / .nan: let PyYAML build the float, the field readers refuse it
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:  # an unknown tag (!foo), a malformed !!binary ...
        findings.append(Code.YAML_SYNTAX(file=name, line=line,
                                         detail=f"giá trị có thẻ '{node.tag}' không đọc được "
                                                "(xóa thẻ bắt đầu bằng dấu '!' trước giá trị)"))
        return None
    except ValueError:  # a timestamp that does not exist: 2025-02-29, 2021-13-01
        findings.append(Code.IMPOSSIBLE_DATE(file=name, line=line, key=key,
                                             value=node.value,
                                             reason=impossible_date_reason(node.value)))
        return BadDate(node.value)


class BadDate(str):
    """The text of a date that does not exist; already reported where it was read."""


def impossible_date_reason(text: str) -> str:
    """Why a well-formed date does not exist, in Vietnamese: '2025 không phải năm nhuận ...'."""
    numbers = [int(n) for n in re.findall(r"\d+", text)[:3]]
    if len(numbers) < 3:
        return "không đọc được ngày"
    year, month, day = numbers if numbers[0] > 31 else numbers[::-1]
    if not 1 <= month <= 12:
        return f"không có tháng {month}"
    if month == 2 and day == 29:
        return f"năm {year} không phải năm nhuận, tháng 2 chỉ có 28 ngày"
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    return f"tháng {month} năm {year} chỉ có {last} ngày"


class FieldReader:
    """Reads typed fields from located mappings, collecting findings for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def report(self, kind: Code, line: int | None, item: str | None = None, /,
               **params: object) -> None:
        self.findings.append(kind(file=self.file, line=line, item=item, **params))

    def mapping(self, value: object, key: str, line: int, item: str | None = None) -> YMap | None:
        if isinstance(value, YMap):
            return value
        self.report(Code.WRONG_TYPE, line, item, key=key, expected="một nhóm khóa: giá trị",
                    value=_show(value))
        return None

    def sequence(self, value: object, key: str, line: int, item: str | None = None) -> YList | None:
        if isinstance(value, YList):
            return value
        self.report(Code.WRONG_TYPE, line, item, key=key, expected="một danh sách (các dòng '- ')",
                    value=_show(value))
        return None

    def check_keys(self, m: YMap, allowed: Iterable[str], required: Iterable[str] = (),
                   item: str | None = None) -> None:
        allowed = list(allowed)
        for key in m:
            if key not in allowed:
                self.report(Code.UNKNOWN_KEY, m.line_of(key), item, key=key,
                            allowed=", ".join(allowed))
        for key in required:
            if key not in m:
                self.report(Code.MISSING_KEY, m.line, item, key=key)
            elif m[key] is None:  # written but left empty ("issue_date:"): as good as missing
                self.report(Code.MISSING_KEY, m.line_of(key), item, key=key)

    def text(self, m: YMap, key: str, item: str | None = None, default: str = "") -> str:
        value = m.get(key)
        if value is None:
            return default
        if isinstance(value, (YMap, YList, bool)):
            self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key, expected="một đoạn văn bản",
                        value=_show(value))
            return default
        text = value if isinstance(value, str) else str(value)
        if not unicodedata.is_normalized("NFC", text):
            self.report(Code.TEXT_NOT_NFC, m.line_of(key), item, key=key)
            text = unicodedata.normalize("NFC", text)
        return text.strip()

    def number(self, m: YMap, key: str, item: str | None = None,
               default: Decimal | None = None) -> Decimal | None:
        value = m.get(key)
        if value is None:
            return default
        number = _to_decimal(value)
        if number is None:
            self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key, expected="một số",
                        value=_show(value))
            return default
        return number

    def integer(self, m: YMap, key: str, item: str | None = None,
                default: int | None = None) -> int | None:
        value = m.get(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key, expected="một số nguyên",
                    value=_show(value))
        return default

    def boolean(self, m: YMap, key: str, item: str | None = None,
                default: bool | None = None) -> bool | None:
        value = m.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key,
                    expected="true hoặc false", value=_show(value))
        return default

    def date(self, m: YMap, key: str, item: str | None = None) -> dt.date | None:
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, BadDate):
            return None  # reported when the file was read
        try:
            return parse_date(str(value))
        except ValueError as exc:
            if str(exc).startswith("no such date"):
                self.report(Code.IMPOSSIBLE_DATE, m.line_of(key), item, key=key,
                            value=_show(value), reason=impossible_date_reason(str(value)))
                return None
            self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key,
                        expected="một ngày (dd/mm/yyyy hoặc yyyy-mm-dd)", value=_show(value))
            return None

    def text_list(self, m: YMap, key: str, item: str | None = None) -> tuple[str, ...]:
        value = m.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, (YMap, YList)) for v in value):
            self.report(Code.WRONG_TYPE, m.line_of(key), item, key=key,
                        expected="một danh sách giá trị", value=_show(value))
            return ()
        return tuple(unicodedata.normalize("NFC", str(v)).strip() for v in value)


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError:
            return None
    return None


def _show(value: object) -> str:
    if isinstance(value, YMap):
        return "{...}"
    if isinstance(value, YList):
        return "[...]"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."

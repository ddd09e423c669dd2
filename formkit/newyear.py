"""A new year's campaign from last year's workspace (`formkit init DIR --from LAST_YEAR_DIR`).

Last year's settings are the best draft of this year's, but every date and every cited document of
the year must be looked at again. So the copy shifts dates by the years between, writes the new
year where the text speaks of the campaign year, and marks each line it changed on trust with an
end-of-line comment ("# chuyển từ năm 2020: ..."), which `formkit check` reports until the user
removes it. The YAML is edited as text, at the positions the parser gives, so the user's comments,
order and quoting survive. Received files, the ledger and the secret are never copied.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from formkit.errors import WorkspaceError
from formkit.findings import Finding
from formkit.ledger import Ledger
from formkit.settings import Settings, load_settings
from formkit.workspace import (
    LEDGER_FILE,
    MAIL_DIR,
    SETTINGS_FILE,
    backup_and_write,
    ensure_state,
    is_workspace,
)
from formkit.yamlsrc import parse_yaml

PREVIOUS_DIR = "previous"  # last year's results, copied so the workspace is self-contained
TEMPLATES_DIR = "templates"  # Word template overrides (documents.templates, default folder)
RESULTS_CSV = Path("out") / "results" / "results.csv"
# The end-of-line notes this module writes and `formkit check` reads back.
MARK_PATTERN = re.compile(r"#[^\n#]*?chuyển từ năm (\d{4})(?::\s*([^\n#]*))?")
DATE_NOTE = "đã dời ngày thêm {years} năm, kiểm tra lại rồi xóa ghi chú này"
DOCUMENT_NOTE = "văn bản của năm {old}, thay bằng văn bản của năm {year} rồi xóa ghi chú này"
TEXT_NOTE = "đã đổi năm {old} thành {year}, kiểm tra lại rồi xóa ghi chú này"
# Settings whose text is a file name, an address or a code: never rewritten.
VERBATIM_KEYS = {"units", "catalogs", "surveys", "sampling", "templates", "previous_results",
                 "phone", "email", "sender", "reply_to", "host", "user", "password_env", "number",
                 "symbol", "id", "year"}
SURVEY_TEXT_KEYS = {"title", "instructions", "text", "name"}  # what respondents read
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d)")


@dataclass(frozen=True)
class NewYearResult:
    root: Path
    source: Path
    from_year: int
    year: int
    written: list[str]
    backed_up: list[str]
    kept: list[str]
    carried_over: list[int]  # lines of campaign.yaml marked for review
    previous_results: str  # relative path of last year's results in the new workspace, or ""
    findings: list[Finding] = field(default_factory=list)  # what `formkit check` says now

    def to_dict(self) -> dict:
        return {"workspace": str(self.root), "from": str(self.source),
                "from_year": self.from_year, "year": self.year, "written": self.written,
                "backed_up": self.backed_up, "kept": self.kept,
                "carried_over_lines": self.carried_over,
                "previous_results": self.previous_results,
                "check": {"errors": sum(f.is_error for f in self.findings),
                          "warnings": sum(not f.is_error for f in self.findings),
                          "findings": [f.to_dict() for f in self.findings]}}


def init_from(root: Path | str, source: Path | str, year: int | None = None,
              force: bool = False) -> NewYearResult:
    """Create this year's workspace from last year's (see the module docstring). With force, an
    existing workspace's configuration is replaced (old files to backup/); its secret, ledger and
    received files are kept, as `formkit init --force` does."""
    root, source = Path(root), Path(source)
    settings = _source_settings(source)
    old = settings.campaign.year
    year = old + 1 if year is None else year
    if not old < year <= 2100:
        raise WorkspaceError(f"Năm của đợt mới ({year}) phải sau năm {old} của thư mục đợt đánh giá "
                             f"'{source}' (và không quá 2100).")
    if root.resolve() == source.resolve():
        raise WorkspaceError("Thư mục mới phải khác thư mục của năm trước.")
    if is_workspace(root) and not force:
        raise WorkspaceError(f"'{root}' đã là một thư mục đợt đánh giá. Dùng --force để ghi đè tệp "
                             "cấu hình (tệp cũ được lưu vào backup/; dữ liệu đã nhận, sổ theo dõi "
                             "và khóa bí mật được giữ nguyên).")
    files = _files_to_copy(source, settings)
    previous = ""
    if (source / RESULTS_CSV).is_file():
        previous = f"{PREVIOUS_DIR}/results-{old}.csv"
        files[previous] = (source / RESULTS_CSV).read_bytes()
    text = (source / SETTINGS_FILE).read_bytes().decode("utf-8-sig")
    new_text, marked = carry_settings(text, old, year, previous)
    files[SETTINGS_FILE] = new_text.encode("utf-8")
    for ref in settings.survey_files.values():
        files[ref] = carry_survey((source / ref).read_bytes().decode("utf-8-sig"), old,
                                  year).encode("utf-8")
    written, backed_up = backup_and_write(root, files)
    kept = ensure_state(root)
    with Ledger(root / LEDGER_FILE) as ledger, ledger.transaction():
        ledger.log("workspace.init_from", {"from": str(source), "from_year": old, "year": year,
                                           "force": force, "written": written,
                                           "backed_up": backed_up})
    from formkit.campaign_check import check_findings

    return NewYearResult(root, source, old, year, written, backed_up, kept, marked, previous,
                         check_findings(root))


def _source_settings(source: Path) -> Settings:
    if not (source / SETTINGS_FILE).is_file():
        raise WorkspaceError(f"Thư mục '{source}' không phải là thư mục đợt đánh giá của formkit "
                             f"(thiếu {SETTINGS_FILE}).")
    settings, findings = load_settings(source / SETTINGS_FILE)
    if settings is None:
        raise WorkspaceError(f"Tệp cấu hình năm trước {source / SETTINGS_FILE} có lỗi; sửa lỗi rồi "
                             "chạy lại.", findings)
    return settings


def _files_to_copy(source: Path, settings: Settings) -> dict[str, bytes]:
    """Units, catalogues, questionnaires (and the catalogues they name), sampling, mail texts and
    template overrides, by their path relative to the workspace."""
    refs = [settings.units_file, *settings.catalog_files.values(), *settings.survey_files.values()]
    if settings.sampling_file:
        refs.append(settings.sampling_file)
    for ref in settings.survey_files.values():
        refs += _survey_catalog(source, ref)
    files: dict[str, bytes] = {}
    for ref in refs:
        relative = _inside(source, source / ref, ref)
        if (source / relative).is_file():
            files[relative] = (source / relative).read_bytes()
    templates = settings.documents.templates or TEMPLATES_DIR
    for folder in (MAIL_DIR, templates):
        base = source / _inside(source, source / folder, folder)
        if base.is_dir():
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                files[path.relative_to(source).as_posix()] = path.read_bytes()
    return files


def _survey_catalog(source: Path, ref: str) -> list[str]:
    data, _ = parse_yaml((source / ref).read_bytes().decode("utf-8-sig", "replace"), ref)
    meta = data.get("survey") if isinstance(data, dict) else None
    name = meta.get("catalog") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        return []
    target = (source / ref).parent / name
    return [_inside(source, target, name)]


def _inside(source: Path, target: Path, ref: str) -> str:
    """The path of `target` relative to the workspace; a file outside it cannot be copied."""
    try:
        return target.resolve().relative_to(source.resolve()).as_posix()
    except ValueError:
        raise WorkspaceError(f"Tệp '{ref}' nằm ngoài thư mục của năm trước '{source}', nên không "
                             "sao chép được. Chép tệp vào trong thư mục đó, sửa đường dẫn trong "
                             f"{SETTINGS_FILE} rồi chạy lại.") from None


# ---- rewriting YAML text ---------------------------------------------------------------------

@dataclass
class _Edits:
    """Replacements at source positions, and notes to add at the end of lines."""

    text: str
    replace: list[tuple[int, int, str]] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # 0-based line -> note

    def apply(self, from_year: int) -> str:
        text = self.text
        for start, end, new in sorted(self.replace, reverse=True):
            text = text[:start] + new + text[end:]
        lines = text.split("\n")
        for line, note in self.notes.items():
            lines[line] = f"{lines[line].rstrip()}  # chuyển từ năm {from_year}: {note}"
        return "\n".join(lines)


def carry_settings(text: str, old: int, year: int, previous: str) -> tuple[str, list[int]]:
    """Last year's campaign.yaml as this year's draft: (new text, 1-based lines marked)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = _Edits(text)
    if isinstance(root, yaml.MappingNode):
        _walk_settings(root, (), edits, old, year)
        _comments(edits, old, year)
        _previous(root, edits, old, previous)
    new_text = edits.apply(old)
    return new_text, sorted(line + 1 for line in edits.notes)


def carry_survey(text: str, old: int, year: int) -> str:
    """A questionnaire with the campaign year of what respondents read (group titles,
    instructions, questions) written anew and marked; metadata and sources are kept."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = _Edits(text)
    groups = _value(root, "groups")
    if isinstance(groups, yaml.SequenceNode):
        for node, path in _scalars(groups, ("groups",)):
            if path[-1] in SURVEY_TEXT_KEYS and node.tag == "tag:yaml.org,2002:str":
                _years_in_text(node, edits, old, year, TEXT_NOTE.format(old=old, year=year),
                               pattern=rf"(?i)(?<=năm ){old}(?!\d)")
    _comments(edits, old, year)
    return edits.apply(old)


def _walk_settings(root: yaml.MappingNode, path: tuple[str, ...], edits: _Edits, old: int,
                   year: int) -> None:
    for node, key_path in _scalars(root, path):
        key = key_path[-1] if key_path else ""
        if key_path[:2] == ("campaign", "year") and node.value == str(old):
            _replace(edits, node, str(year))
        elif key_path[:2] == ("campaign", "id"):
            _replace(edits, node, _new_years(_source(edits, node), old, year))
        elif node.tag == "tag:yaml.org,2002:timestamp" or (
                node.tag == "tag:yaml.org,2002:str" and _DMY.fullmatch(node.value.strip())):
            _shift_date(node, edits, year - old, DATE_NOTE.format(years=year - old))
        elif "legal_basis" in key_path:
            if _document_year(node.value) in (old, old + 1):  # the year's plan, not the law
                edits.notes[_note_line(node)] = DOCUMENT_NOTE.format(old=old, year=year)
        elif node.tag == "tag:yaml.org,2002:str" and not VERBATIM_KEYS & set(key_path) \
                and key not in VERBATIM_KEYS:
            _replace(edits, node, _new_years(_source(edits, node), old, year))


def _document_year(text: str) -> int | None:
    """The year of the first date in a citation: 'Kế hoạch số 178/KH-UBND ngày 04 tháng 9 năm
    2020 ...' -> 2020; a law or decision of an older year is cited as it is, year after year."""
    match = re.search(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+(\d{4})", text) or \
        re.search(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](\d{4})(?!\d)", text)
    return int(match[1]) if match else None


def _scalars(node: yaml.Node, path: tuple[str, ...]):
    """(scalar node, key path) for every scalar value under node; list items keep their key."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, path)
    elif isinstance(node, yaml.ScalarNode):
        yield node, path


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def _source(edits: _Edits, node: yaml.ScalarNode) -> str:
    return edits.text[node.start_mark.index:node.end_mark.index]


def _replace(edits: _Edits, node: yaml.ScalarNode, new: str) -> None:
    if new != _source(edits, node):
        edits.replace.append((node.start_mark.index, node.end_mark.index, new))


def _new_years(text: str, old: int, year: int) -> str:
    """The campaign year and the year after it (when documents are signed), moved together."""
    moved = {str(old): str(year), str(old + 1): str(year + 1)}
    return re.sub(rf"(?<!\d)({old}|{old + 1})(?!\d)", lambda m: moved[m[1]], text)


def _years_in_text(node: yaml.ScalarNode, edits: _Edits, old: int, year: int, note: str,
                   pattern: str) -> None:
    source = _source(edits, node)
    new = re.sub(pattern, str(year), source)
    if new != source:
        _replace(edits, node, new)
        edits.notes[_note_line(node)] = note


def _shift_date(node: yaml.ScalarNode, edits: _Edits, years: int, note: str) -> None:
    source = _source(edits, node)

    def iso(m: re.Match) -> str:
        d = _shifted(int(m[1]), int(m[2]), int(m[3]), years)
        return m[0] if d is None else d.isoformat()

    def dmy(m: re.Match) -> str:
        d = _shifted(int(m[4]), int(m[3]), int(m[1]), years)
        if d is None:
            return m[0]
        return f"{d.day:0{len(m[1])}d}{m[2]}{d.month:0{len(m[3])}d}{m[2]}{d.year}"

    new = _DMY.sub(dmy, _ISO.sub(iso, source))
    if new != source:
        _replace(edits, node, new)
        edits.notes[_note_line(node)] = note


def _shifted(year: int, month: int, day: int, years: int) -> dt.date | None:
    """The same day `years` later; 29 February becomes 28 February in a common year. None for a
    date that does not exist (left as it is, for check to report)."""
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    try:
        return dt.date(year + years, month, day)
    except ValueError:
        return dt.date(year + years, month, 28)


def _note_line(node: yaml.ScalarNode) -> int:
    """Where an end-of-line comment may go: after the value, or after a block scalar's header."""
    return node.start_mark.line if node.style in ("|", ">") else node.end_mark.line


def _comments(edits: _Edits, old: int, year: int) -> None:
    """'năm 2020' in the file's own comments (its title line) becomes 'năm 2021'."""
    spans = _scalar_spans(edits.text)
    for match in re.finditer(rf"(?i)(?<=năm ){old}(?!\d)", edits.text):
        start = match.start()
        line_start = edits.text.rfind("\n", 0, start) + 1
        hash_at = edits.text.find("#", line_start, start)
        if hash_at >= 0 and not _in_spans(hash_at, spans):
            edits.replace.append((start, match.end(), str(year)))


def _previous(root: yaml.MappingNode, edits: _Edits, old: int, previous: str) -> None:
    """Point `previous_results` at last year's results copied into the workspace."""
    node = _value(root, "previous_results")
    if isinstance(node, yaml.ScalarNode):
        _replace(edits, node, previous or '""')
        return
    if previous:
        tail = "" if edits.text.endswith("\n") else "\n"
        edits.text += (f"{tail}\n# Kết quả năm {old}: formkit consolidate và formkit report so sánh "
                       "với tệp này khi không dùng --previous.\n"
                       f"previous_results: {previous}\n")


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if root is None:
        return []
    spans = []
    for node, _ in _scalars(root, ()):
        start = node.start_mark.index
        if node.style in ("|", ">"):  # the header line may carry a comment; the text starts below
            start = text.find("\n", start) + 1 or len(text)
        spans.append((start, node.end_mark.index))
    return spans


def _in_spans(index: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in spans)


def carried_over_notes(text: str) -> list[tuple[int, int, str]]:
    """(1-based line, year, note) of every 'chuyển từ năm ...' comment left in a YAML text."""
    spans = _scalar_spans(text)
    notes = []
    for match in MARK_PATTERN.finditer(text):
        if not _in_spans(match.start(), spans):
            line = text.count("\n", 0, match.start()) + 1
            notes.append((line, int(match[1]), (match[2] or "").strip()))
    return notes

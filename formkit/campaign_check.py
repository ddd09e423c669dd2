"""`formkit check`: one function computes every finding about a workspace's configuration.

`open_workspace` refuses what no command can work with (broken YAML, a wrong type, a missing
catalogue). This module adds what makes a campaign wrong for its year though every file is well
formed: dates out of the order of the campaign or outside its window, a catalogue or questionnaire
not valid for the year, lines carried over from last year and not yet confirmed, example values and
blank signers. `formkit check` lists them; `formkit forms`, `send` and `report` refuse while any is
an error (nothing goes out with last year's dates) and print the warnings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from formkit.errors import WorkspaceError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.settings import Settings, load_settings
from formkit.text import format_short_date
from formkit.workspace import SETTINGS_FILE, Workspace, open_workspace
from formkit.yamlsrc import YList, YMap, load_yaml

ORDER = ("phát hành biểu mẫu → hạn gửi biểu tự đánh giá → họp Hội đồng thẩm định → hạn hoàn "
         "thành thẩm định → báo cáo kết quả → quyết định công bố")
EXAMPLE_DOMAIN = re.compile(r"(?i)\b(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|"
                            r"invalid|localhost))\b")
FILLER = re.compile(r"(?i)x{3,}")
# "Nguyễn Văn A", "Trần Thị B": a name whose last word is one capital letter
SAMPLE_NAME = re.compile(r"^\w+(?:\s+\w+)*\s+[A-ZĐ]$")


@dataclass(frozen=True)
class CheckReport:
    workspace: Workspace
    warnings: list[Finding]  # check passed: only warnings (and information) remain

    def warnings_json(self) -> list[dict]:
        return [f.to_dict() for f in self.warnings]


def check_workspace(root: Path | str, action: str = "") -> CheckReport:
    """Open the workspace and run every check; raise WorkspaceError listing the errors (and the
    warnings) when there is any error. `action` ("tạo biểu mẫu") says what was refused."""
    root = Path(root)
    try:
        workspace = open_workspace(root)
    except WorkspaceError as exc:
        settings, _ = load_settings(root / SETTINGS_FILE) if (root / SETTINGS_FILE).is_file() \
            else (None, [])
        more = [*settings_findings(root, settings), *_references(root, settings)] \
            if settings is not None else []
        raise WorkspaceError(_refusal(exc.message, action, root),
                             sort_findings([*exc.findings, *more])) from None
    findings = sort_findings([*workspace.warnings, *year_findings(workspace)])
    if has_errors(findings):
        raise WorkspaceError(_refusal(f"Thư mục đợt đánh giá '{root}' có lỗi cấu hình.", action, root),
                             findings)
    return CheckReport(workspace, findings)


def check_findings(root: Path | str) -> list[Finding]:
    """Every finding of `formkit check`, errors included, without raising."""
    try:
        return check_workspace(root).warnings
    except WorkspaceError as exc:
        return exc.findings


def _refusal(message: str, action: str, root: Path) -> str:
    if not action:
        return message
    return (f"{message.rstrip('.')}; chưa {action}. Sửa các lỗi dưới đây rồi chạy lại "
            f"(kiểm tra bằng: formkit check {root}).")


def year_findings(workspace: Workspace) -> list[Finding]:
    """What makes a well-formed campaign wrong for its year (see the module docstring)."""
    findings = settings_findings(workspace.root, workspace.settings)
    path = str(workspace.root / SETTINGS_FILE)
    tree = _tree(workspace.root)
    year = workspace.settings.campaign.year
    for section, loaded in (("catalogs", workspace.catalogs), ("surveys", workspace.surveys)):
        kind = "Bộ tiêu chí" if section == "catalogs" else "Bộ phiếu khảo sát"
        for unit_type, item in loaded.items():
            if not item.valid_for(year):
                findings.append(Code.NOT_VALID_FOR_YEAR(
                    file=path, line=_line(tree, section, unit_type), item=f"{section}.{unit_type}",
                    kind=kind, kind_lower=kind.lower(), name=getattr(workspace.settings,
                    "catalog_files" if section == "catalogs" else "survey_files")[unit_type],
                    years=_years_phrase(item.valid_years), year=year, key=f"{section}.{unit_type}"))
    for ref in workspace.settings.survey_files.values():  # init --from marks respondents' texts
        findings += _carried_over(workspace.root / ref)
    findings += _units_placeholders(workspace)
    return findings


def settings_findings(root: Path, settings: Settings) -> list[Finding]:
    """The checks that need only campaign.yaml: dates, carried-over lines, examples, signers."""
    path = root / SETTINGS_FILE
    tree = _tree(root)
    findings = _date_findings(str(path), tree, settings)
    findings += _carried_over(path)
    findings += _placeholders(str(path), tree)
    findings += _blanks(str(path), tree, settings)
    if settings.previous_results and not (root / settings.previous_results).is_file():
        findings.append(Code.BLANK_VALUE(
            file=str(path), line=_line(tree, "previous_results"), key="previous_results",
            what=f"tệp kết quả năm trước (không tìm thấy {settings.previous_results})",
            advice="Sửa đường dẫn hoặc xóa dòng này; khi đó dùng --previous của formkit "
                   "consolidate và formkit report."))
    return findings


def _references(root: Path, settings: Settings) -> list[Finding]:
    """A file named in the settings that is not there, reported on the line that names it (the
    loader can only say which file it did not find)."""
    tree = _tree(root)
    refs = [(("units",), settings.units_file)]
    refs += [(("catalogs", t), ref) for t, ref in settings.catalog_files.items()]
    refs += [(("surveys", t), ref) for t, ref in settings.survey_files.items()]
    if settings.sampling_file:
        refs.append((("sampling",), settings.sampling_file))
    return [Code.BAD_VALUE(file=str(root / SETTINGS_FILE), line=_line(tree, *keys),
                           item=".".join(keys), key=".".join(keys), value=ref,
                           reason="không tìm thấy tệp này (đường dẫn tính từ thư mục chứa "
                                  f"{SETTINGS_FILE})" if ref else "cần ghi đường dẫn của tệp")
            for keys, ref in refs if not (root / ref).is_file() or not ref]


# ---- dates ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Date:
    key: str
    label: str
    value: dt.date
    line: int | None


def _campaign_dates(tree: YMap, settings: Settings) -> list[list[_Date]]:
    """The campaign's dates in the order of reality; dates of one stage are not ordered."""
    def one(label: str, value: dt.date | None, *keys: str) -> list[_Date]:
        return [_Date(".".join(keys), label, value, _line(tree, *keys))] if value else []

    docs, minutes = settings.documents, settings.documents.minutes
    sessions = []
    listed = _node(tree, "documents", "minutes", "sessions")
    for n, session in enumerate(getattr(minutes, "sessions", ()) or ()):
        entry = listed[n] if isinstance(listed, YList) and n < len(listed) else None
        line = entry.line_of("date") if isinstance(entry, YMap) else getattr(session, "line", None)
        if session.date:
            sessions.append(_Date(f"documents.minutes.sessions[{n + 1}].date",
                                  f"ngày họp phiên {n + 1} của Hội đồng thẩm định", session.date,
                                  line))
    meeting = sessions or one("ngày họp Hội đồng thẩm định", minutes.date,
                              "documents", "minutes", "date")
    return [one("ngày phát hành biểu mẫu", settings.campaign.issue_date, "campaign", "issue_date"),
            one("hạn gửi biểu tự đánh giá", settings.deadlines.self_assessment,
                "deadlines", "self_assessment"),
            meeting,
            one("hạn hoàn thành thẩm định", settings.deadlines.appraisal, "deadlines", "appraisal"),
            one("ngày báo cáo kết quả", docs.report.date, "documents", "report", "date"),
            one("ngày quyết định công bố", docs.decision.date, "documents", "decision", "date")]


def _date_findings(path: str, tree: YMap, settings: Settings) -> list[Finding]:
    findings = []
    stages = _campaign_dates(tree, settings)
    survey_end = settings.deadlines.survey_end
    extra = [_Date("deadlines.survey_end", "hạn kết thúc điều tra xã hội học", survey_end,
                   _line(tree, "deadlines", "survey_end"))] if survey_end else []
    year = settings.campaign.year
    first, last = dt.date(year, 1, 1), dt.date(year + 1, 12, 31)
    for date in [d for stage in stages for d in stage] + extra:
        if not first <= date.value <= last:
            findings.append(Code.DATE_OUTSIDE_YEAR(
                file=path, line=date.line, item=date.key, key=_said(date),
                value=format_short_date(date.value), year=year, first=format_short_date(first),
                last=format_short_date(last)))
    latest: _Date | None = None
    for stage in stages:
        for date in stage:
            if latest is not None and date.value < latest.value:
                findings.append(_order(path, date, latest))
        latest = max([*stage, *([latest] if latest else [])], key=lambda d: d.value, default=None)
    report = next(iter(stages[4]), None)
    if extra and report and report.value < extra[0].value:  # the report gives the survey's results
        findings.append(_order(path, report, extra[0]))
    return findings


def _order(path: str, later: _Date, earlier: _Date) -> Finding:
    return Code.DATE_ORDER(file=path, line=later.line, item=later.key,
                           later_key=_said(later),
                           later=format_short_date(later.value),
                           earlier_key=_said(earlier, capital=False),
                           earlier=format_short_date(earlier.value),
                           earlier_line=earlier.line or "?", order=ORDER)


def _said(date: _Date, capital: bool = True) -> str:
    label = date.label[0].upper() + date.label[1:] if capital else date.label
    return f"{label} ('{date.key}')"


# ---- carried over, examples, blanks -----------------------------------------------------------

def _carried_over(path: Path) -> list[Finding]:
    from formkit.newyear import carried_over_notes

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []  # reported by the settings loader
    return [Code.CARRIED_OVER(file=str(path), line=line, from_year=year,
                              what=note.rstrip(". ") or "chưa kiểm tra lại")
            for line, year, note in carried_over_notes(text)]


def _texts(node: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, int]]:
    """(dotted key, text, line) of every text value in the settings tree."""
    if isinstance(node, YMap):
        for key, value in node.items():
            if isinstance(value, str):
                yield ".".join((*path, key)), value, node.line_of(key)
            else:
                yield from _texts(value, (*path, key))
    elif isinstance(node, YList):
        for n, value in enumerate(node):
            line = node.item_lines[n] if n < len(getattr(node, "item_lines", [])) else node.line
            if isinstance(value, str):
                yield ".".join(path), value, line
            else:
                yield from _texts(value, path)


PERSON_KEYS = ("signer.name", "documents.report.signer.name", "documents.decision.signer.name",
               "documents.minutes.chair.name", "documents.minutes.secretary.name",
               "documents.minutes.chair", "documents.minutes.secretary", "documents.minutes.members",
               "documents.minutes.members.name", "contact.name")


def _placeholders(path: str, tree: YMap) -> list[Finding]:
    findings = []
    for key, text, line in _texts(tree):
        if "legal_basis" in key:
            continue
        if match := EXAMPLE_DOMAIN.search(text):
            reason = "máy chủ thư mẫu" if key == "mail.host" else \
                f"'{match[0]}' là tên miền dành cho ví dụ, không nhận được thư"
            findings.append(Code.PLACEHOLDER(file=path, line=line, item=key, key=key, value=text,
                                             reason=reason))
        elif FILLER.search(text):
            findings.append(Code.PLACEHOLDER(file=path, line=line, item=key, key=key, value=text,
                                             reason="còn các chữ 'x' giữ chỗ"))
        elif key in PERSON_KEYS and SAMPLE_NAME.match(text.partition(" - ")[0].strip()):
            findings.append(Code.PLACEHOLDER(file=path, line=line, item=key, key=key, value=text,
                                             reason="tên người mẫu"))
    return findings


def _blanks(path: str, tree: YMap, settings: Settings) -> list[Finding]:
    findings = []

    def blank(what: str, advice: str, *keys: str) -> None:
        line = _line(tree, *keys) or _line(tree, *keys[:-1]) or _line(tree, keys[0])
        findings.append(Code.BLANK_VALUE(file=path, line=line, item=".".join(keys[:-1]) or None,
                                         key=".".join(keys), what=what, advice=advice))

    if not settings.contact.phone:
        blank("số điện thoại của đầu mối liên hệ", "Biểu mẫu và thư gửi đơn vị in số này để đơn "
              "vị hỏi khi cần; điền số điện thoại cơ quan.", "contact", "phone")
    if not settings.contact.email:
        blank("thư điện tử của đầu mối liên hệ", "Điền địa chỉ thư của bộ phận theo dõi.",
              "contact", "email")
    if not settings.signer.name:
        blank("họ tên người ký", "Văn bản ký thay mặt UBND Thành phố cần họ tên người ký.",
              "signer", "name")
    docs = settings.documents
    for key, doc in (("report", docs.report), ("decision", docs.decision)):
        if doc.signer is not None and not doc.signer.name:
            blank("họ tên người ký", "Điền họ tên, hoặc xóa mục signer của văn bản này để dùng "
                  "người ký chung (mục signer).", "documents", key, "signer", "name")
    for key, label in (("chair", "Chủ tịch Hội đồng thẩm định"),
                       ("secretary", "Thư ký Hội đồng thẩm định")):
        if not getattr(docs.minutes, key).name:
            blank(f"họ tên {label}", "Biên bản thẩm định cần chữ ký của người này.",
                  "documents", "minutes", key)
    return findings


def _units_placeholders(workspace: Workspace) -> list[Finding]:
    """One warning for unit addresses at example domains (the shipped list has them all)."""
    sample = [u for u in workspace.units if u.email and EXAMPLE_DOMAIN.search(u.email)]
    if not sample:
        return []
    units_path = workspace.root / workspace.settings.units_file
    line = None
    try:
        lines = units_path.read_text("utf-8-sig").splitlines()
        line = next((n for n, text in enumerate(lines, 1) if sample[0].email in text), None)
    except (OSError, UnicodeDecodeError):
        pass
    return [Code.PLACEHOLDER(file=str(units_path), line=line, item=sample[0].code, key="email",
                             value=sample[0].email,
                             reason=f"{len(sample)} đơn vị có địa chỉ thư ở tên miền dành cho ví dụ "
                                    "(không nhận được thư); điền địa chỉ thật của từng đơn vị")]


# ---- helpers ----------------------------------------------------------------------------------

def _tree(root: Path) -> YMap:
    data, _ = load_yaml(root / SETTINGS_FILE)
    return data if isinstance(data, YMap) else YMap()


def _node(tree: YMap, *keys: str) -> object:
    node: object = tree
    for key in keys:
        if not isinstance(node, YMap) or key not in node:
            return None
        node = node[key]
    return node


def _line(tree: YMap, *keys: str) -> int | None:
    """The line of the last key of a path in the settings, or None when it is not written."""
    parent = _node(tree, *keys[:-1])
    if isinstance(parent, YMap) and keys[-1] in parent:
        return parent.line_of(keys[-1])
    return None


def _years_phrase(years: tuple[int, int]) -> str:
    first, last = years
    return f"năm {first}" if first == last else f"các năm {first}-{last}"

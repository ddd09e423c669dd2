"""What the clerk and the units read after each intake: the intake report and feedback workbooks.

Both are regenerated from the ledger alone, so they always show its current state: the same
ledger gives byte-identical files (fixed document dates, Hanoi time for every timestamp), and a
unit whose problem is solved loses its feedback file. Every text that came from a unit or a file
name is neutralised and written as a string, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from formkit.fileio import atomic_write_bytes
from formkit.findings import SEVERITY_LABELS, Severity
from formkit.forms.wording import contact_line
from formkit.intake.validate import neutralise
from formkit.ledger import Ledger
from formkit.status import (
    FILE_STATUS_LABELS,
    REJECTED,
    UNIT_STATE_LABELS,
    WARNINGS,
    ReceivedFile,
    StatusReport,
    UnitStatus,
    local_time,
    received_files,
    status_from_ledger,
)
from formkit.text import deadline_phrase
from formkit.units import UNIT_TYPES, Unit
from formkit.workspace import Workspace

REPORT_DIR = "intake"
FEEDBACK_DIR = "feedback"
FEEDBACK_SUFFIX = " - Phản hồi.xlsx"
FONT = "Times New Roman"
A4 = 9
LINE_HEIGHT = 15  # points per line of 11 pt text
STATUS_COLOURS = {"accepted": "#E2EFDA", "accepted-with-warnings": "#FFF2CC", "rejected": "#FCE4D6",
                  "pending": "#EDEDED", "none": "#FFFFFF"}


# ---- reading the ledger ----------------------------------------------------------------------

@dataclass(frozen=True)
class StoredFinding:
    received_file_id: int
    code: str
    severity: str
    sheet: str | None
    cell: str | None
    criterion: str | None
    message: str

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[Severity(self.severity)]


def _findings(ledger: Ledger, received_file_id: int | None = None) -> list[StoredFinding]:
    # Only the findings of self-assessment returns: survey and appraisal files carry a kind.
    sql = ("SELECT received_file_id, code, severity, sheet, cell, criterion, message FROM findings "
           "WHERE received_file_id IN (SELECT id FROM received_files WHERE kind = '')"
           + (" AND received_file_id = ?" if received_file_id is not None else "")
           + " ORDER BY received_file_id, id")
    params = () if received_file_id is None else (received_file_id,)
    return [StoredFinding(*row) for row in ledger.conn.execute(sql, params)]


def _reading_order(finding: StoredFinding) -> tuple:
    """File-level findings first, then by sheet, row and column."""
    match = re.fullmatch(r"\$?([A-Z]+)\$?([0-9]+)", finding.cell or "")
    row, column = (int(match[2]), (len(match[1]), match[1])) if match else (0, (0, ""))
    return (finding.sheet is not None, finding.sheet or "", row, column)


# ---- writing workbooks -----------------------------------------------------------------------

class _Book:
    """An in-memory xlsxwriter workbook with the house formats and formula-safe text cells."""

    def __init__(self, workspace: Workspace, title: str) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                      "strings_to_urls": False})
        campaign = workspace.settings.campaign
        self.book.set_properties({"title": title, "subject": campaign.title,
                                  "author": campaign.issuing_body,
                                  "company": campaign.issuing_body,
                                  "created": dt.datetime.combine(campaign.issue_date, dt.time())})
        base = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True}
        cell = {**base, "border": 1}
        self.formats = {
            "title": {"font_name": FONT, "font_size": 14, "bold": True},
            "subtitle": {"font_name": FONT, "font_size": 11, "italic": True},
            "plain": base, "bold": {**base, "bold": True}, "centre": {**base, "align": "center"},
            "centre_bold": {**base, "align": "center", "bold": True},
            "big_centre": {**base, "align": "center", "bold": True, "font_size": 14},
            "header": {**cell, "bold": True, "bg_color": "#D9E1F2", "align": "center",
                       "valign": "vcenter"},
            "text": cell, "number": {**cell, "align": "right"},
            "alert": {**base, "bold": True, "font_color": "#C00000"},
            **{f"status:{s}": {**cell, "bg_color": colour} for s, colour in STATUS_COLOURS.items()},
        }
        self._added: dict[str, Format] = {}
        self._widths: dict[str, list[int]] = {}  # column widths per sheet name
        self._lines: dict[tuple[Worksheet, int], int] = {}  # (sheet, row) -> lines of wrapped text

    def fmt(self, name: str) -> Format:
        if name not in self._added:
            self._added[name] = self.book.add_format(self.formats[name])
        return self._added[name]

    def sheet(self, name: str, columns: list[tuple[str, int]], header_row: int,
              freeze: bool = True) -> Worksheet:
        """A worksheet with its header row, widths, A4 landscape fit to width, frozen header."""
        sheet = self.book.add_worksheet(name)
        self._widths[name] = [width for _, width in columns]
        for col, (header, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            self.text(sheet, header_row, col, header, "header")
        if freeze:
            sheet.freeze_panes(header_row + 1, 0)
        sheet.set_landscape()
        sheet.set_paper(A4)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(header_row)
        sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        sheet.set_footer("&RTrang &P/&N")
        return sheet

    def text(self, sheet: Worksheet, row: int, col: int, value: object, fmt: str = "text") -> None:
        """A string cell, neutralised; an empty one stays blank (filters show it as empty)."""
        if value is None or value == "":
            sheet.write_blank(row, col, None, self.fmt(fmt))
            return
        text = neutralise(str(value))
        sheet.write_string(row, col, text, self.fmt(fmt))
        if fmt == "text" or fmt.startswith("status:"):
            lines = _lines(text, self._widths[sheet.name][col])
            self._lines[sheet, row] = max(lines, self._lines.get((sheet, row), 1))

    def number(self, sheet: Worksheet, row: int, col: int, value: int, fmt: str = "number") -> None:
        sheet.write_number(row, col, value, self.fmt(fmt))

    def merged(self, sheet: Worksheet, row: int, first: int, last: int, value: str, fmt: str,
               height: float | None = None) -> None:
        sheet.merge_range(row, first, row, last, "", self.fmt(fmt))
        self.text(sheet, row, first, value, fmt)  # write_string: a merge never makes a formula
        if height:
            sheet.set_row(row, height)

    def close(self) -> bytes:
        """The workbook's bytes; table rows get the height their wrapped text needs (xlsxwriter
        cannot autofit, and LibreOffice shows unadjusted rows clipped)."""
        for (sheet, row), lines in self._lines.items():
            if lines > 1:
                sheet.set_row(row, LINE_HEIGHT * lines)
        self.book.close()
        return self.buffer.getvalue()


def _lines(text: str, width: int) -> int:
    """About how many lines `text` takes in a wrapped cell `width` characters wide."""
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _write_if_changed(path: Path, data: bytes) -> None:
    """Atomic, and not at all when the bytes are the same (the file keeps its date)."""
    if not path.is_file() or path.read_bytes() != data:
        atomic_write_bytes(path, data)


def _unit_label(unit: Unit | None, file: ReceivedFile) -> str:
    if unit is None:
        return ""
    return f"{unit.short_name} (theo địa chỉ người gửi)" if file.by_sender else unit.short_name


# ---- the intake report -----------------------------------------------------------------------

FILE_COLUMNS = [("STT", 6), ("Tên tệp gốc", 30), ("Tệp lưu trữ", 36), ("SHA-256 (rút gọn)", 14),
                ("Người gửi", 26), ("Gửi lúc", 16), ("Nhận lúc", 16), ("Mã đơn vị", 9),
                ("Đơn vị", 24), ("Mã biểu mẫu", 24), ("Tình trạng", 14), ("Thay thế", 22),
                ("Số lỗi", 7), ("Số cảnh báo", 9)]
FINDING_COLUMNS = [("STT", 6), ("STT tệp", 7), ("Tên tệp", 28), ("Mã đơn vị", 9), ("Đơn vị", 22),
                   ("Mức độ", 10), ("Trang tính", 13), ("Ô", 7), ("Tiêu chí", 9), ("Nội dung", 78)]
UNIT_COLUMNS = [("STT", 6), ("Mã", 8), ("Đơn vị", 28), ("Loại", 18), ("Mã biểu mẫu", 24),
                ("Gửi biểu lúc", 16), ("Biểu hiện hành", 30), ("Tình trạng", 20), ("Số tệp được nhận", 10),
                ("Số tệp nhận, có cảnh báo", 11), ("Số tệp bị trả lại", 10), ("Chưa có biểu hợp lệ", 10)]
HEADER_ROW = 3


def report_path(workspace: Workspace) -> Path:
    year = workspace.settings.campaign.year
    return workspace.out_dir / REPORT_DIR / f"Báo cáo tiếp nhận biểu tự đánh giá CCHC {year}.xlsx"


def write_intake_report(workspace: Workspace) -> Path:
    """Regenerate the intake report from the ledger: files, findings, units."""
    with workspace.ledger() as ledger:
        files = received_files(workspace, ledger)
        # `today` only feeds days-to-deadline, which the report leaves out (it must be stable).
        status = status_from_ledger(workspace, ledger, workspace.settings.campaign.issue_date, files)
        findings = _findings(ledger)
    book = _Book(workspace, "Báo cáo tiếp nhận biểu tự đánh giá")
    numbers = {f.id: n for n, f in enumerate(files, start=1)}
    units = {u.code: u for u in workspace.units}
    _files_sheet(book, workspace, files, numbers, units)
    _findings_sheet(book, workspace, findings, {f.id: f for f in files}, numbers, units)
    _units_sheet(book, workspace, status, numbers)
    path = report_path(workspace)
    _write_if_changed(path, book.close())
    return path


def _heading(book: _Book, sheet: Worksheet, workspace: Workspace, title: str, summary: str) -> None:
    book.text(sheet, 0, 0, title, "title")
    book.text(sheet, 1, 0, f"{workspace.settings.campaign.title}. {summary}", "subtitle")


def _files_sheet(book: _Book, workspace: Workspace, files: list[ReceivedFile],
                 numbers: dict[int, int], units: dict[str, Unit]) -> None:
    sheet = book.sheet("Tệp đã nhận", FILE_COLUMNS, HEADER_ROW)
    counts = {label: sum(1 for f in files if FILE_STATUS_LABELS.get(f.status) == label)
              for label in FILE_STATUS_LABELS.values()}
    summary = ", ".join(f"{label.lower()} {n}" for label, n in counts.items() if n)
    _heading(book, sheet, workspace, "DANH SÁCH TỆP ĐÃ NHẬN",
             f"{len(files)} tệp" + (f": {summary}." if summary else "."))
    for row, file in enumerate(files, start=HEADER_ROW + 1):
        superseded = (f"Đã thay bằng tệp STT {numbers[file.superseded_by]}"
                      if file.superseded_by in numbers else
                      "Biểu hiện hành" if file.is_current else "")
        values = [file.original_name, file.archive_path, file.sha256[:12], file.sender,
                  local_time(file.sent_at), local_time(file.received_at), file.unit_code,
                  _unit_label(units.get(file.unit_code or ""), file), file.form_id]
        book.number(sheet, row, 0, numbers[file.id])
        for col, value in enumerate(values, start=1):
            book.text(sheet, row, col, value)
        book.text(sheet, row, 10, FILE_STATUS_LABELS.get(file.status, file.status),
                  f"status:{file.status}" if file.status in STATUS_COLOURS else "text")
        book.text(sheet, row, 11, superseded)
        book.number(sheet, row, 12, file.errors)
        book.number(sheet, row, 13, file.warnings)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(files), 1), len(FILE_COLUMNS) - 1)


def _findings_sheet(book: _Book, workspace: Workspace, findings: list[StoredFinding],
                    files: dict[int, ReceivedFile], numbers: dict[int, int],
                    units: dict[str, Unit]) -> None:
    sheet = book.sheet("Phát hiện", FINDING_COLUMNS, HEADER_ROW)
    by_severity = {label: sum(1 for f in findings if f.severity_label == label)
                   for label in SEVERITY_LABELS.values()}
    summary = ", ".join(f"{label.lower()} {n}" for label, n in by_severity.items() if n)
    _heading(book, sheet, workspace, "CÁC ĐIỂM PHÁT HIỆN KHI KIỂM TRA",
             f"{len(findings)} điểm" + (f": {summary}." if summary else "."))
    for row, finding in enumerate(findings, start=HEADER_ROW + 1):
        file = files[finding.received_file_id]
        book.number(sheet, row, 0, row - HEADER_ROW)
        book.number(sheet, row, 1, numbers[file.id])
        values = [file.original_name, file.unit_code,
                  _unit_label(units.get(file.unit_code or ""), file), finding.severity_label,
                  finding.sheet, finding.cell, finding.criterion, finding.message]  # codes: --json
        for col, value in enumerate(values, start=2):
            book.text(sheet, row, col, value)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(findings), 1), len(FINDING_COLUMNS) - 1)


def _units_sheet(book: _Book, workspace: Workspace, status: StatusReport,
                 numbers: dict[int, int]) -> None:
    sheet = book.sheet("Đơn vị", UNIT_COLUMNS, HEADER_ROW)
    missing = sum(1 for u in status.units if u.missing)
    _heading(book, sheet, workspace, "TÌNH HÌNH NHẬN BIỂU THEO ĐƠN VỊ",
             f"{len(status.units)} đơn vị, {missing} đơn vị chưa có biểu hợp lệ.")
    row = HEADER_ROW
    for row, unit_status in enumerate(status.units, start=HEADER_ROW + 1):
        _unit_row(book, sheet, row, unit_status, numbers)
    sheet.autofilter(HEADER_ROW, 0, max(row, HEADER_ROW + 1), len(UNIT_COLUMNS) - 1)
    row += 2
    for unit_type, totals in status.totals().items():
        label = UNIT_TYPES.get(unit_type, "Toàn bộ")
        states = ", ".join(f"{UNIT_STATE_LABELS[s].lower()} {n}" for s, n in totals.states.items()
                           if n)
        book.merged(sheet, row, 0, len(UNIT_COLUMNS) - 1,
                    f"{label}: {totals.units} đơn vị; {states}; chưa có biểu hợp lệ {totals.missing}.",
                    "bold")
        row += 1


def _unit_row(book: _Book, sheet: Worksheet, row: int, unit_status: UnitStatus,
              numbers: dict[int, int]) -> None:
    unit, current, counts = unit_status.unit, unit_status.current, unit_status.counts()
    shown = f"{current.original_name} (STT {numbers[current.id]})" if current else ""
    book.number(sheet, row, 0, row - HEADER_ROW)
    for col, value in enumerate([unit.code, unit.short_name, unit.type_label, unit_status.form_id,
                                 local_time(unit_status.sent_at), shown], start=1):
        book.text(sheet, row, col, value)
    book.text(sheet, row, 7, UNIT_STATE_LABELS[unit_status.state], f"status:{unit_status.state}")
    for col, key in ((8, "accepted"), (9, "accepted-with-warnings"), (10, "rejected")):
        book.number(sheet, row, col, counts[key])
    book.text(sheet, row, 11, "Thiếu" if unit_status.missing else "")


# ---- feedback to units -----------------------------------------------------------------------

@dataclass(frozen=True)
class Feedback:
    """A unit's feedback workbook and what the covering message needs to say about it."""

    unit: Unit
    path: Path
    sha256: str
    file: ReceivedFile  # the return it is about
    findings: tuple[StoredFinding, ...]
    earlier: ReceivedFile | None  # a valid earlier return that still stands

    @property
    def rejected(self) -> bool:
        return self.file.status == REJECTED

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


FEEDBACK_COLUMNS = [("STT", 6), ("Mức độ", 11), ("Tiêu chí", 10), ("Trang tính", 14), ("Ô", 8),
                    ("Nội dung cần sửa hoặc lưu ý", 82)]


def feedback_path(workspace: Workspace, unit: Unit) -> Path:
    name = "".join("-" if c in '<>:"/\\|?*' else c for c in f"{unit.code} - {unit.short_name}")
    return workspace.out_dir / FEEDBACK_DIR / (name + FEEDBACK_SUFFIX)


def needs_feedback(unit_status: UnitStatus) -> ReceivedFile | None:
    """The unit's latest examined file, when it was rejected or accepted with warnings."""
    latest = unit_status.latest
    return latest if latest is not None and latest.status in (REJECTED, WARNINGS) else None


def verdict(workspace: Workspace, file: ReceivedFile) -> str:
    if file.status == REJECTED:
        deadline = deadline_phrase(workspace.settings.deadlines.self_assessment)
        return f"Biểu chưa được chấp nhận, đề nghị sửa và gửi lại {deadline}."
    return "Biểu đã được nhận; đề nghị lưu ý các điểm sau."


def write_feedback_files(workspace: Workspace) -> list[Feedback]:
    """Write a feedback workbook for every unit with an open problem; remove the others'."""
    with workspace.ledger() as ledger:
        status = status_from_ledger(workspace, ledger, workspace.settings.campaign.issue_date)
        wanted = [(u, f) for u in status.units if (f := needs_feedback(u)) is not None]
        found = {file.id: tuple(sorted(_findings(ledger, file.id), key=_reading_order))
                 for _, file in wanted}
    written = []
    for unit_status, file in wanted:
        earlier = unit_status.current if file.status == REJECTED else None
        data = _feedback_bytes(workspace, unit_status.unit, file, found[file.id], earlier)
        path = feedback_path(workspace, unit_status.unit)
        _write_if_changed(path, data)
        written.append(Feedback(unit_status.unit, path, hashlib.sha256(data).hexdigest(), file,
                                found[file.id], earlier))
    _remove_stale(workspace.out_dir / FEEDBACK_DIR, {f.path for f in written})
    return written


def write_feedback(workspace: Workspace) -> list[Path]:
    """The current feedback workbooks (out/feedback/), in unit order; stale ones are removed."""
    return [feedback.path for feedback in write_feedback_files(workspace)]


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    if folder.is_dir():
        for path in folder.glob("*" + FEEDBACK_SUFFIX):
            if path not in keep:
                path.unlink()


def _feedback_bytes(workspace: Workspace, unit: Unit, file: ReceivedFile,
                    findings: tuple[StoredFinding, ...], earlier: ReceivedFile | None) -> bytes:
    book = _Book(workspace, f"Phản hồi biểu tự đánh giá - {unit.document_name}")
    lines = _feedback_lines(workspace, unit, file, findings, earlier)
    header_row = LETTER_FIRST_ROW + len(lines) + 1
    sheet = book.sheet("Phản hồi", FEEDBACK_COLUMNS, header_row, freeze=False)
    _letterhead(book, sheet, workspace, lines)
    for number, finding in enumerate(findings, start=1):
        row = header_row + number
        book.number(sheet, row, 0, number)
        for col, value in enumerate([finding.severity_label, finding.criterion, finding.sheet,
                                     finding.cell, finding.message], start=1):
            book.text(sheet, row, col, value)
    row = header_row + len(findings) + 2
    last = len(FEEDBACK_COLUMNS) - 1
    contact = contact_line(workspace.settings.contact)
    closing = ("Sau khi sửa, đề nghị lưu biểu dưới dạng Excel (.xlsx) và gửi lại bằng cách trả lời "
               "thư đã gửi biểu mẫu hoặc thư gửi kèm phản hồi này." if file.status == REJECTED else
               "Không cần gửi lại nếu các nội dung trên đã đúng; nếu sửa, đề nghị gửi lại toàn bộ "
               "biểu dưới dạng Excel (.xlsx).")
    book.merged(sheet, row, 0, last, closing, "plain", 32)
    if contact:
        book.merged(sheet, row + 1, 0, last, f"Mọi vướng mắc, đề nghị liên hệ: {contact}.", "plain",
                    32)
    sheet.set_footer(f"&L{_footer_text(unit.document_name)}&RTrang &P/&N")
    return book.close()


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")  # & starts a control code in Excel headers and footers


LETTER_FIRST_ROW = 6
FEEDBACK_COUNTS = (("error", "lỗi phải sửa"), ("warning", "điểm cần lưu ý"),
                   ("info", "thông tin để đơn vị biết"))


def _feedback_lines(workspace: Workspace, unit: Unit, file: ReceivedFile,
                    findings: tuple[StoredFinding, ...], earlier: ReceivedFile | None
                    ) -> list[tuple[str, str, str]]:
    """(label, text, format) of the letter-like header: who, which file, the verdict."""
    received = local_time(file.sent_at or file.received_at)
    counts = [(sum(1 for f in findings if f.severity == severity), wording)
              for severity, wording in FEEDBACK_COUNTS]
    lines = [
        ("Đơn vị", unit.document_name, "bold"),
        ("Tệp đã nhận", f"\"{file.original_name}\", {'gửi' if file.sent_at else 'nhận'} lúc "
                        f"{received}" + (f"; mã biểu mẫu {file.form_id}" if file.form_id else ""),
         "plain"),
        ("Kết luận", verdict(workspace, file), "alert" if file.status == REJECTED else "bold"),
        ("Số nội dung", "; ".join(f"{n} {wording}" for n, wording in counts if n) or "không có",
         "plain")]
    if earlier is not None:
        lines.append(("Ghi chú", f"Biểu nhận trước đó (tệp \"{earlier.original_name}\", "
                                 f"{local_time(earlier.sent_at or earlier.received_at)}) vẫn được "
                                 "dùng cho đến khi nhận được biểu sửa đúng.", "plain"))
    return lines


def _letterhead(book: _Book, sheet: Worksheet, workspace: Workspace,
                lines: list[tuple[str, str, str]]) -> None:
    campaign = workspace.settings.campaign
    last = len(FEEDBACK_COLUMNS) - 1
    book.merged(sheet, 0, 0, 3, campaign.parent_body.upper(), "centre")
    book.merged(sheet, 1, 0, 3, campaign.issuing_body.upper(), "centre_bold")
    book.merged(sheet, 3, 0, last, "PHẢN HỒI KẾT QUẢ KIỂM TRA BIỂU TỰ ĐÁNH GIÁ CHỈ SỐ CCHC NĂM "
                f"{campaign.year}", "big_centre", 22)
    book.merged(sheet, 4, 0, last, campaign.title, "centre", 32)
    for row, (label, text, fmt) in enumerate(lines, start=LETTER_FIRST_ROW):
        book.merged(sheet, row, 0, 1, label + ":", "bold")
        book.merged(sheet, row, 2, last, text, fmt, 32 if len(text) > 90 else None)

"""After collect: the intake report and the feedback workbooks, and `formkit send --feedback`.

Real flows only: issued forms, returns filled by formkit.simulate, collected by formkit collect,
mail through a real SMTP server on loopback; workbooks are read back with openpyxl.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli
from mailserver import point_mail_at

from formkit.findings import SEVERITY_LABELS, Severity
from formkit.forms import FormFactory, generate_forms
from formkit.intake.collect import collect
from formkit.intake.report import feedback_path, report_path, write_feedback, write_intake_report
from formkit.intake.validate import neutralise
from formkit.mail.feedback import send_feedback
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.workspace import init_workspace, open_workspace

UNITS = ["SNV", "005", "006", "007", "008", "009"]
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A workspace with forms issued for a few units; tests work on copies of it."""
    root = tmp_path_factory.mktemp("outputs") / "cchc-2020"
    init_workspace(root)
    generate_forms(open_workspace(root), UNITS)
    return root


@pytest.fixture
def ws(prepared: Path, tmp_path: Path):
    root = tmp_path / "ws"
    shutil.copytree(prepared, root)
    return open_workspace(root)


def filled(ws, unit_code: str, change=None) -> bytes:
    identity, data = FormFactory(ws).workbook(ws.unit(unit_code))
    catalog = ws.catalogs[ws.unit(unit_code).unit_type]
    entries = simulated_entries(identity, catalog, random.Random(unit_code))
    if change:
        change(identity, entries)
    return fill_form(data, identity, catalog, entries)


def set_entry(index: int, **fields):
    def change(identity, entries):
        code = identity.inputs[index]
        entries[code] = Entry(**{**entries[code].__dict__, **fields})
    return change


OUT_OF_RANGE = set_entry(1, score=Decimal(99))
AS_TEXT = set_entry(0, score="0,5")


def returned(ws, folder: Path, files: dict[str, bytes]):
    """Collect one batch of files, written under `folder` with the given names."""
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return collect(ws, [folder])


def email(sender: str, date: str, attachments: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "cchc.snv@hanoi.example"
    message["Subject"], message["Date"] = "Gửi biểu tự đánh giá", date
    message.set_content("Kính gửi Sở Nội vụ")
    for name, data in attachments.items():
        kind = XLSX if name.endswith(".xlsx") else ("application", "pdf")
        message.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return message.as_bytes()


def rows(path: Path, sheet: str, first: int = 5) -> list[tuple]:
    book = openpyxl.load_workbook(path)
    return [row for row in book[sheet].iter_rows(min_row=first, values_only=True)
            if row[0] is not None and isinstance(row[0], int)]


def ledger(ws, sql: str) -> list[tuple]:
    with sqlite3.connect(ws.ledger_path) as conn:
        return conn.execute(sql).fetchall()


def feedback_names(ws) -> list[str]:
    return sorted(p.name for p in (ws.out_dir / "feedback").glob("*.xlsx"))


# ---- the intake report ---------------------------------------------------------------------

def test_report_rows_are_the_ledgers_files_and_findings(ws, tmp_path):
    report = returned(ws, tmp_path / "in", {
        "Sở Nội vụ.xlsx": filled(ws, "SNV"), "Cầu Giấy.xlsx": filled(ws, "005", OUT_OF_RANGE),
        "Đống Đa.xlsx": filled(ws, "006", AS_TEXT), "công văn.pdf": PDF})
    assert report.report_path == report_path(ws) and report.report_path.is_file()
    assert report.to_dict()["report_path"] == str(report_path(ws))
    status_labels = {"accepted": "Nhận", "accepted-with-warnings": "Nhận, có cảnh báo",
                     "rejected": "Trả lại"}
    files = ledger(ws, "SELECT r.id, original_name, archive_path, status, unit_code, form_id, "
                       "(SELECT count(*) FROM findings f WHERE f.received_file_id = r.id AND "
                       "severity = 'error'), (SELECT count(*) FROM findings f WHERE "
                       "f.received_file_id = r.id AND severity = 'warning') FROM received_files r "
                       "ORDER BY r.id")
    shown = rows(report.report_path, "Tệp đã nhận")
    assert [(r[0], r[1], r[2], r[10], r[7], r[9], r[12], r[13]) for r in shown] == [
        (n, name, path, status_labels[status], unit, form_id, errors, warnings)
        for n, (_, name, path, status, unit, form_id, errors, warnings) in enumerate(files, 1)]
    by_name = {r[1]: r for r in shown}
    assert by_name["Sở Nội vụ.xlsx"][8] == "Sở Nội vụ" and by_name["Sở Nội vụ.xlsx"][11] == "Biểu hiện hành"
    findings = ledger(ws, "SELECT r.original_name, f.severity, f.code, f.sheet, f.cell, f.criterion, "
                          "f.message FROM findings f JOIN received_files r ON r.id = "
                          "f.received_file_id ORDER BY f.received_file_id, f.id")
    assert len(findings) >= 3
    assert [(r[2], r[5], r[6] or None, r[7] or None, r[8] or None, r[9])
            for r in rows(report.report_path, "Phát hiện")] == [  # codes stay in --json, not on the sheet
        (name, SEVERITY_LABELS[Severity(severity)], sheet, cell, criterion, neutralise(message))
        for name, severity, _, sheet, cell, criterion, message in findings]


def test_units_sheet_follows_the_ledger_in_vietnamese_unit_order(ws, tmp_path):
    report = returned(ws, tmp_path / "in", {"snv.xlsx": filled(ws, "SNV"),
                                            "005.xlsx": filled(ws, "005", OUT_OF_RANGE)})
    units = rows(report.report_path, "Đơn vị")
    assert [r[1] for r in units] == [u.code for u in ws.sorted_units()]
    state = {r[1]: (r[4], r[7], r[8], r[9], r[10], r[11]) for r in units}
    assert state["SNV"][1:] == ("Đã nhận", 1, 0, 0, None)
    assert state["005"][1:] == ("Bị trả lại, chờ gửi lại", 0, 0, 1, "Thiếu")
    assert state["STP"] == (None, "Chưa gửi", 0, 0, 0, "Thiếu")  # no form issued, nothing received
    assert state["006"][0] == ledger(ws, "SELECT form_id FROM issued_files WHERE unit_code = '006'")[0][0]


def test_report_sheets_have_filters_frozen_headers_and_a4_landscape(ws, tmp_path):
    report = returned(ws, tmp_path / "in", {"005.xlsx": filled(ws, "005", OUT_OF_RANGE)})
    book = openpyxl.load_workbook(report.report_path)
    assert book.sheetnames == ["Tệp đã nhận", "Phát hiện", "Đơn vị"]
    for sheet in book:
        assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref.startswith("A4:")
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet["A4"].font.name == "Times New Roman" and sheet["A4"].font.b
    assert book["Phát hiện"]["J5"].alignment.wrap_text


def test_formula_like_text_is_neutralised_in_the_report(ws, tmp_path):
    report = returned(ws, tmp_path / "in", {
        "=1+2.xlsx": filled(ws, "005", set_entry(0, evidence="=HYPERLINK(\"http://x\")")),
        "@SUM(A1).pdf": PDF, "-5.pdf": PDF + b" "})
    book = openpyxl.load_workbook(report.report_path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    names = [r[1] for r in rows(report.report_path, "Tệp đã nhận")]
    assert sorted(names) == ["'-5.pdf", "'=1+2.xlsx", "'@SUM(A1).pdf"]


def test_same_ledger_state_gives_identical_bytes(prepared, tmp_path, monkeypatch):
    """Two workspaces that received the same files at the same (pinned) times: same outputs."""
    import formkit.intake.archive
    import formkit.intake.collect

    for module in (formkit.intake.archive, formkit.intake.collect):
        monkeypatch.setattr(module, "now_text", lambda: "2020-12-15T02:30:00+00:00")
    outputs = []
    for copy in ("a", "b"):
        root = tmp_path / copy
        shutil.copytree(prepared, root)
        ws = open_workspace(root)
        report = returned(ws, tmp_path / f"in-{copy}", {
            "snv.xlsx": filled(ws, "SNV"), "005.xlsx": filled(ws, "005", OUT_OF_RANGE),
            "006.xlsx": filled(ws, "006", AS_TEXT)})
        outputs.append([report.report_path.read_bytes()]
                       + [p.read_bytes() for p in report.feedback_paths])
    assert len(outputs[0]) == 3 and outputs[0] == outputs[1]


def test_regenerating_without_changes_leaves_the_files_alone(ws, tmp_path):
    report = returned(ws, tmp_path / "in", {"005.xlsx": filled(ws, "005", OUT_OF_RANGE)})
    stamps = [p.stat().st_mtime_ns for p in (report.report_path, *report.feedback_paths)]
    data = report.report_path.read_bytes()
    assert write_intake_report(ws) == report.report_path and write_feedback(ws) == report.feedback_paths
    assert report.report_path.read_bytes() == data
    assert [p.stat().st_mtime_ns for p in (report.report_path, *report.feedback_paths)] == stamps
    assert not list(report.report_path.parent.glob(".*.tmp"))


# ---- feedback workbooks ------------------------------------------------------------------

def test_feedback_exactly_for_units_with_open_problems_until_fixed(ws, tmp_path):
    first = returned(ws, tmp_path / "1", {
        "snv.xlsx": filled(ws, "SNV"), "005.xlsx": filled(ws, "005", OUT_OF_RANGE),
        "006.xlsx": filled(ws, "006", AS_TEXT)})
    assert first.feedback_paths == [feedback_path(ws, ws.unit("005")), feedback_path(ws, ws.unit("006"))]
    assert feedback_names(ws) == ["005 - Cầu Giấy - Phản hồi.xlsx", "006 - Đống Đa - Phản hồi.xlsx"]
    assert first.to_dict()["feedback_paths"] == [str(p) for p in first.feedback_paths]
    second = returned(ws, tmp_path / "2", {"005 sửa.xlsx": filled(ws, "005")})
    assert feedback_names(ws) == ["006 - Đống Đa - Phản hồi.xlsx"]
    assert second.feedback_paths == [feedback_path(ws, ws.unit("006"))]
    returned(ws, tmp_path / "3", {"006 sửa.xlsx": filled(ws, "006")})
    assert feedback_names(ws) == []


def letter(path: Path) -> tuple[dict[str, str], list[tuple]]:
    """The feedback workbook's header lines (label -> text) and its numbered table."""
    sheet = openpyxl.load_workbook(path)["Phản hồi"]
    values = list(sheet.iter_rows(values_only=True))
    header = {row[0].rstrip(":"): row[2] for row in values if isinstance(row[0], str)
              and row[0].endswith(":")}
    return header, [row[:6] for row in values if isinstance(row[0], int)]


def test_feedback_names_the_file_the_verdict_and_every_finding_in_sheet_order(ws, tmp_path):
    change = [OUT_OF_RANGE, set_entry(0, score="0,5"), set_entry(3, score=None)]
    report = returned(ws, tmp_path / "in", {
        "Cầu Giấy gửi lại.xlsx": filled(ws, "005", lambda i, e: [c(i, e) for c in change])})
    header, table = letter(feedback_path(ws, ws.unit("005")))
    assert header["Đơn vị"] == "UBND quận Cầu Giấy"  # the name as documents write it, no code
    assert "Cầu Giấy gửi lại.xlsx" in header["Tệp đã nhận"]
    assert header["Kết luận"] == ("Biểu chưa được chấp nhận, đề nghị sửa và gửi lại chậm nhất ngày "
                                  "22/12/2020.")
    findings = ledger(ws, "SELECT severity, criterion, sheet, cell, message FROM findings")
    assert [n for n, *_ in table] == list(range(1, len(findings) + 1))
    assert sorted(row[1:5] for row in table) == sorted(
        (SEVERITY_LABELS[Severity(s)], c, sh, cell) for s, c, sh, cell, _ in findings)
    rows_in_order = [int("".join(ch for ch in row[4] if ch.isdigit())) for row in table if row[4]]
    assert rows_in_order == sorted(rows_in_order)
    book = openpyxl.load_workbook(report.feedback_paths[0])
    assert book["Phản hồi"]["A1"].value == "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI"
    assert book["Phản hồi"]["A2"].value == "SỞ NỘI VỤ"


def test_feedback_on_warnings_and_on_a_failed_correction(ws, tmp_path):
    returned(ws, tmp_path / "1", {"006.xlsx": filled(ws, "006", AS_TEXT),
                                  "007.xlsx": filled(ws, "007")})
    header, table = letter(feedback_path(ws, ws.unit("006")))
    assert header["Kết luận"] == "Biểu đã được nhận; đề nghị lưu ý các điểm sau."
    assert {row[1] for row in table} == {"Cảnh báo"}
    returned(ws, tmp_path / "2", {"007 sửa.xlsx": filled(ws, "007", OUT_OF_RANGE)})
    header, _ = letter(feedback_path(ws, ws.unit("007")))
    assert header["Kết luận"].startswith("Biểu chưa được chấp nhận")
    assert "007.xlsx" in header["Ghi chú"]  # the earlier valid return still stands


def test_a_stray_file_from_a_units_address_gets_feedback_but_a_cover_letter_does_not(ws, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "008.eml").write_bytes(email("ubnd.hoangmai@hanoi.example",
                                           "Mon, 14 Dec 2020 09:30:00 +0700",
                                           {"bao cao.pdf": PDF}))
    (folder / "009.eml").write_bytes(email("ubnd.thanhxuan@hanoi.example",
                                           "Mon, 14 Dec 2020 10:00:00 +0700",
                                           {"Công văn.pdf": PDF + b"\n", "biểu.xlsx": filled(ws, "009")}))
    assert ws.unit("008").email == "ubnd.hoangmai@hanoi.example"
    assert ws.unit("009").email == "ubnd.thanhxuan@hanoi.example"
    report = collect(ws, [folder])
    assert report.feedback_paths == [feedback_path(ws, ws.unit("008"))]
    header, table = letter(report.feedback_paths[0])
    assert "bao cao.pdf" in header["Tệp đã nhận"] and "14/12/2020 09:30" in header["Tệp đã nhận"]
    assert [row[1] for row in table] == ["Lỗi"]
    units = {r[1]: r for r in rows(report.report_path, "Tệp đã nhận")}
    assert units["bao cao.pdf"][7:9] == ("008", "Hoàng Mai (theo địa chỉ người gửi)")


# ---- formkit send --feedback --------------------------------------------------------------

@pytest.fixture
def mailing(ws, smtp_server, tmp_path):
    """A workspace sending to the loopback server, with feedback due for 005 and 006."""
    smtp_server.handler.envelopes.clear()
    point_mail_at(ws.root, smtp_server.port)
    ws = open_workspace(ws.root)
    returned(ws, tmp_path / "in", {"snv.xlsx": filled(ws, "SNV"),
                                   "005.xlsx": filled(ws, "005", OUT_OF_RANGE),
                                   "006.xlsx": filled(ws, "006", AS_TEXT)})
    return ws, smtp_server.handler


def feedback_messages(ws) -> list[tuple]:
    return ledger(ws, "SELECT unit_code, kind, outcome, attachment_sha256 FROM messages ORDER BY id")


def test_send_feedback_mails_each_unit_its_current_workbook_once(mailing):
    ws, recorder = mailing
    report = send_feedback(ws)
    assert [(e.unit, e.outcome) for e in report.entries] == [("005", "sent"), ("006", "sent")]
    messages = {m["To"]: m for m in recorder.messages()}
    assert set(messages) == {"ubnd.caugiay@hanoi.example", "ubnd.dongda@hanoi.example"}
    msg = messages["ubnd.caugiay@hanoi.example"]
    assert msg["Subject"] == ("Sở Nội vụ phản hồi về biểu tự đánh giá Chỉ số CCHC năm 2020 - "
                              "UBND quận Cầu Giấy")
    body = msg.get_body(("plain",)).get_content()
    assert "Biểu chưa được chấp nhận vì còn 1 lỗi phải sửa" in body
    assert "chậm nhất ngày 22/12/2020" in body and '"005.xlsx"' in body
    (part,) = list(msg.iter_attachments())
    path = feedback_path(ws, ws.unit("005"))
    assert part.get_content() == path.read_bytes()
    assert part.get_filename() == "Phản hồi biểu tự đánh giá CCHC 2020 - UBND quận Cầu Giấy.xlsx"
    warned = messages["ubnd.dongda@hanoi.example"].get_body(("plain",)).get_content()
    assert "Biểu đã được nhận, còn 4 điểm cần lưu ý (tiêu chí 1, 1.1, 1.1.1)" in warned, warned
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert ("005", "feedback", "sent", sha) in feedback_messages(ws)
    again = send_feedback(ws)
    assert {e.outcome for e in again.entries} == {"already-sent"} and len(recorder.envelopes) == 2
    resent = send_feedback(ws, ["005"], resend=True)
    assert [(e.unit, e.outcome) for e in resent.entries] == [("005", "sent")]
    assert resent.entries[0].message_id != report.entries[0].message_id


def test_new_feedback_is_sent_and_solved_units_get_none(mailing, tmp_path):
    ws, recorder = mailing
    send_feedback(ws)
    returned(ws, tmp_path / "later", {"005 lần 2.xlsx": filled(ws, "005", set_entry(2, score=None)),
                                      "006 sửa.xlsx": filled(ws, "006")})
    report = send_feedback(ws, ["005", "006", "SNV"])
    assert [(e.unit, e.outcome) for e in report.entries] == [
        ("SNV", "no-feedback"), ("005", "sent"), ("006", "no-feedback")]
    assert report.ok and len(recorder.envelopes) == 3
    assert "005 lần 2.xlsx" in recorder.messages()[-1].get_body(("plain",)).get_content()


def test_cli_send_feedback_dry_run_writes_eml_and_json(mailing):
    ws, recorder = mailing
    result = run_cli("send", ws.root, "--feedback", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "feedback" and data["dry_run"] and data["ok"]
    assert [(u["unit"], u["outcome"]) for u in data["units"]] == [("005", "dry-run"), ("006", "dry-run")]
    eml = Path(data["units"][0]["eml_path"])
    assert eml == ws.out_dir / "mail" / "feedback" / "005.eml"
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    (part,) = list(msg.iter_attachments())
    assert part.get_content() == feedback_path(ws, ws.unit("005")).read_bytes()
    assert recorder.envelopes == [] and {k for _, k, _, _ in feedback_messages(ws)} == {"feedback"}
    human = run_cli("send", ws.root, "--feedback")
    assert human.exit_code == 0 and "đã gửi 2" in human.stdout


def test_cli_send_feedback_unit_without_email_exits_1(mailing):
    ws, _ = mailing
    units_file = ws.root / "units" / "hanoi.yaml"
    text = units_file.read_text("utf-8")
    units_file.write_text(text.replace("    email: ubnd.dongda@hanoi.example\n", ""), "utf-8")
    result = run_cli("send", ws.root, "--feedback", "--json")
    assert result.exit_code == 1
    assert [(u["unit"], u["outcome"]) for u in json.loads(result.stdout)["units"]] == [
        ("005", "sent"), ("006", "no-email")]

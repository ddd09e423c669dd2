"""formkit status: per unit issued / sent / returned / missing, days to the deadline, reminders.

A real campaign in miniature: forms issued, some mailed through a loopback SMTP server, returns
filled by formkit.simulate and collected; `today` is fixed so the deadline arithmetic is exact.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sqlite3
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import run_cli
from mailserver import point_mail_at

from formkit.errors import FormkitError
from formkit.forms import FormFactory, generate_forms
from formkit.intake.collect import collect
from formkit.mail import send_forms
from formkit.mail.reminders import send_reminders
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.status import campaign_status
from formkit.workspace import init_workspace, open_workspace

ISSUED = ["SNV", "STP", "005", "006", "007", "008"]
MAILED = ["SNV", "005", "006", "007"]
BEFORE = dt.date(2020, 12, 20)  # two days before the deadline (22/12/2020)
AFTER = dt.date(2020, 12, 25)  # three days past it


def filled(ws, unit_code: str, change: dict | None = None) -> bytes:
    identity, data = FormFactory(ws).workbook(ws.unit(unit_code))
    catalog = ws.catalogs[ws.unit(unit_code).unit_type]
    entries = simulated_entries(identity, catalog, random.Random(unit_code))
    if change:
        code = identity.inputs[1]
        entries[code] = Entry(**{**entries[code].__dict__, **change})
    return fill_form(data, identity, catalog, entries)


def returned(ws, folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    collect(ws, [folder])


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, smtp_server) -> Path:
    """Forms for six units, four of them mailed; returns from four: one accepted, one rejected,
    one with warnings, one rejected then corrected."""
    tmp = tmp_path_factory.mktemp("status")
    root = tmp / "cchc-2020"
    init_workspace(root)
    point_mail_at(root, smtp_server.port)
    ws = open_workspace(root)
    generate_forms(ws, ISSUED)
    assert send_forms(ws, MAILED).ok
    returned(ws, tmp / "in-1", {"snv.xlsx": filled(ws, "SNV"),
                                "005.xlsx": filled(ws, "005", {"score": Decimal(99)}),
                                "006.xlsx": filled(ws, "006", {"score": "0,5"}),
                                "007.xlsx": filled(ws, "007", {"score": Decimal(99)})})
    returned(ws, tmp / "in-2", {"007 sửa.xlsx": filled(ws, "007")})
    return root


@pytest.fixture
def ws(prepared, tmp_path, smtp_server):
    root = tmp_path / "ws"
    shutil.copytree(prepared, root)
    smtp_server.handler.envelopes.clear()
    smtp_server.handler.refused.clear()
    return open_workspace(root)


def test_each_unit_issued_sent_returned_and_missing(ws):
    report = campaign_status(ws, today=BEFORE)
    assert [u.unit.code for u in report.units] == [u.code for u in ws.sorted_units()]
    units = {u.unit.code: u for u in report.units}
    summary = {code: (bool(units[code].form_id), bool(units[code].sent_at),
                      tuple(units[code].counts().values()), units[code].state, units[code].missing)
               for code in ("SNV", "STP", "005", "006", "007", "008", "BDT")}
    assert summary == {  # counts: accepted, with warnings, rejected, pending
        "SNV": (True, True, (1, 0, 0, 0), "accepted", False),
        "STP": (True, False, (0, 0, 0, 0), "none", True),
        "005": (True, True, (0, 0, 1, 0), "rejected", True),
        "006": (True, True, (0, 1, 0, 0), "accepted-with-warnings", False),
        "007": (True, True, (1, 0, 1, 0), "accepted", False),
        "008": (True, False, (0, 0, 0, 0), "none", True),
        "BDT": (False, False, (0, 0, 0, 0), "none", True)}
    assert units["007"].current.original_name == "007 sửa.xlsx"
    assert units["SNV"].form_id == ws_form_id(ws, "SNV")


def ws_form_id(ws, unit_code: str) -> str:
    with sqlite3.connect(ws.ledger_path) as conn:
        return conn.execute("SELECT form_id FROM issued_files WHERE unit_code = ?",
                            (unit_code,)).fetchone()[0]


def test_days_to_and_past_the_deadline(ws):
    assert campaign_status(ws, today=BEFORE).days_to_deadline == 2
    assert {u.days_to_deadline for u in campaign_status(ws, today=AFTER).units} == {-3}
    assert campaign_status(ws, today=dt.date(2020, 12, 22)).days_to_deadline == 0


def test_totals_per_unit_type(ws):
    totals = {t: v.to_dict() for t, v in campaign_status(ws, today=BEFORE).totals().items()}
    assert list(totals) == ["so", "district", "all"]
    so, district = totals["so"], totals["district"]
    assert (so["units"], so["issued"], so["sent"], so["missing"]) == (22, 2, 1, 21)
    assert (district["units"], district["issued"], district["sent"], district["missing"]) == (30, 4, 3, 28)
    assert {s: n for s, n in district["states"].items() if n} == {
        "accepted": 1, "accepted-with-warnings": 1, "rejected": 1, "none": 27}
    assert district["files"] == {"accepted": 1, "accepted-with-warnings": 1, "rejected": 2,
                                 "pending": 0}
    assert totals["all"]["units"] == 52 and totals["all"]["missing"] == 49


def test_cli_status_json_shape_and_exit_code_0(ws):
    result = run_cli("status", ws.root, "--json", "--today", "20/12/2020")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"today", "deadline", "days_to_deadline", "units", "totals",
                         "unattributed", "reminders"}
    assert (data["today"], data["deadline"], data["days_to_deadline"]) == ("2020-12-20",
                                                                           "2020-12-22", 2)
    assert data["reminders"] is None and len(data["units"]) == 52
    unit = next(u for u in data["units"] if u["unit"] == "005")
    assert set(unit) == {"unit", "short_name", "unit_type", "issued", "sent_at", "returned",
                         "state", "state_label", "missing", "current", "days_to_deadline"}
    assert (unit["state"], unit["state_label"], unit["missing"]) == (
        "rejected", "Bị trả lại, chờ gửi lại", True)
    assert unit["returned"] == {"accepted": 0, "accepted-with-warnings": 0, "rejected": 1,
                                "pending": 0}


def test_cli_status_human_table_per_unit_type(ws):
    result = run_cli("status", ws.root, "--today", "25/12/2020")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Hạn gửi biểu tự đánh giá: 22/12/2020 (đã quá 3 ngày)."
    assert "Sở, cơ quan tương đương Sở (22)" in lines and "Quận, huyện, thị xã (30)" in lines
    row = next(line for line in lines if line.strip().startswith("005 "))
    assert "Cầu Giấy" in row and row.endswith("Bị trả lại, chờ gửi lại")
    assert any("22 đơn vị" in line and "còn thiếu 21" in line for line in lines)
    assert lines[-1].startswith("Toàn bộ: 52 đơn vị")


def test_reminders_are_eml_files_for_units_without_a_valid_return_only(ws, tmp_path):
    report = send_reminders(ws, campaign_status(ws, today=AFTER))
    written = {e.unit: e.eml_path for e in report.entries if e.outcome == "dry-run"}
    assert set(written) == {"STP", "005", "008"}
    assert {e.outcome for e in report.entries if e.unit not in written} == {"no-form"}
    folder = ws.out_dir / "mail" / "reminders"
    assert sorted(p.name for p in folder.iterdir()) == ["005.eml", "008.eml", "STP.eml"]
    msg = message_from_bytes(written["005"].read_bytes(), policy=policy.default)
    assert msg["To"] == "ubnd.caugiay@hanoi.example"
    body = msg.get_body(("plain",)).get_content()
    assert "đã qua 3 ngày" in body and "chưa được chấp nhận" in body
    (part,) = list(msg.iter_attachments())
    assert part.get_content() == next(ws.out_dir.glob("forms/district/005 *.xlsx")).read_bytes()
    stp = message_from_bytes(written["STP"].read_bytes(), policy=policy.default)
    assert "chưa nhận được biểu tự đánh giá của Sở Tư pháp" in stp.get_body(("plain",)).get_content()
    with sqlite3.connect(ws.ledger_path) as conn:  # prepared, not sent: nothing recorded
        assert conn.execute("SELECT count(*) FROM messages WHERE kind = 'reminder'").fetchone()[0] == 0
    returned(ws, tmp_path / "fixed", {"005 sửa.xlsx": filled(ws, "005")})
    send_reminders(ws, campaign_status(ws, today=AFTER))
    assert sorted(p.name for p in folder.iterdir()) == ["008.eml", "STP.eml"]


def test_reminder_before_the_deadline_says_how_many_days_are_left(ws):
    report = send_reminders(ws, campaign_status(ws, today=BEFORE))
    path = next(e.eml_path for e in report.entries if e.unit == "008")
    body = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",))
    assert "còn 2 ngày" in body.get_content()


def test_cli_reminders_send_mails_and_records_them(ws, smtp_server):
    recorder = smtp_server.handler
    recorder.refused.add("ubnd.hoangmai@hanoi.example")  # 008
    result = run_cli("status", ws.root, "--reminders", "--send", "--json", "--today", "25/12/2020")
    assert result.exit_code == 0, result.output  # informational, even when a message failed
    reminders = json.loads(result.stdout)["reminders"]
    assert reminders["kind"] == "reminder" and reminders["dry_run"] is False
    outcomes = {u["unit"]: u["outcome"] for u in reminders["units"] if u["outcome"] != "no-form"}
    assert outcomes == {"STP": "sent", "005": "sent", "008": "failed"}
    assert sorted(r for _, rcpts, _ in recorder.envelopes for r in rcpts) == [
        "ubnd.caugiay@hanoi.example", "vanthu.sotuphap@hanoi.example"]
    assert all("Hạn gửi lại biểu" in m.get_body(("plain",)).get_content()
               for m in recorder.messages())
    with sqlite3.connect(ws.ledger_path) as conn:
        rows = conn.execute("SELECT unit_code, outcome FROM messages WHERE kind = 'reminder' "
                            "ORDER BY id").fetchall()
    assert rows == [("STP", "sent"), ("005", "sent"), ("008", "failed")]
    assert not (ws.out_dir / "mail" / "reminders").exists()
    stp = next(u for u in campaign_status(ws, today=AFTER).units if u.unit.code == "STP")
    assert stp.sent_at is None  # a reminder is not the form


def test_cli_status_usage_and_configuration_errors_exit_2(ws, tmp_path):
    assert run_cli("status", ws.root, "--send").exit_code == 2
    assert run_cli("status", tmp_path / "nowhere", "--json").exit_code == 2
    assert run_cli("status", ws.root, "--today", "31/02/2020").exit_code == 2
    template = ws.root / "mail" / "reminder.yaml"
    template.write_text(template.read_text("utf-8").replace("${situation}", "${tinh_hinh}"), "utf-8")
    with pytest.raises(FormkitError, match="tinh_hinh"):
        send_reminders(ws, campaign_status(ws, today=AFTER))
    result = run_cli("status", ws.root, "--reminders", "--json")
    assert result.exit_code == 2 and json.loads(result.stdout)["ok"] is False

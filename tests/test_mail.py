"""formkit send: real forms, a real SMTP server on loopback (aiosmtpd), the ledger as the record."""

from __future__ import annotations

import json
import sqlite3
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import run_cli
from mailserver import Recorder, free_port, point_mail_at

from formkit.errors import FormkitError
from formkit.forms import generate_forms
from formkit.mail import attachment_name, send_forms
from formkit.workspace import open_workspace

UNITS = ["SNV", "005", "006"]
REFUSED = "ubnd.caugiay@hanoi.example"  # unit 005
DEADLINE = "chậm nhất ngày 22/12/2020"  # formkit.text.deadline_phrase, as the form says it


@pytest.fixture
def recorder(smtp_server) -> Recorder:
    smtp_server.handler.envelopes.clear()
    smtp_server.handler.refused.clear()
    smtp_server.handler.peers.clear()
    return smtp_server.handler


@pytest.fixture
def campaign(workspace: Path, smtp_server) -> Path:
    """A fresh workspace sending to the loopback server, with real forms for three units."""
    point_mail_at(workspace, smtp_server.port)
    generate_forms(open_workspace(workspace), UNITS)
    return workspace


def ledger_messages(root: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(root / "ledger.sqlite") as conn:
        return conn.execute("SELECT unit_code, outcome, message_id FROM messages ORDER BY id").fetchall()


def outcomes(report) -> dict[str, str]:
    return {entry.unit: entry.outcome for entry in report.entries}


def attachment(msg: EmailMessage) -> EmailMessage:
    (part,) = list(msg.iter_attachments())
    return part


def issued_paths(root: Path) -> dict[str, Path]:
    return {form.unit_code: form.path for form in generate_forms(open_workspace(root), UNITS)}


def test_send_delivers_each_unit_its_form(campaign: Path, recorder: Recorder) -> None:
    report = send_forms(open_workspace(campaign), UNITS)
    assert outcomes(report) == {"SNV": "sent", "005": "sent", "006": "sent"} and report.ok
    assert sorted(rcpt for _, rcpts, _ in recorder.envelopes for rcpt in rcpts) == [
        "ubnd.caugiay@hanoi.example", "ubnd.dongda@hanoi.example", "vanthu.sonoivu@hanoi.example"]
    assert {sender for sender, _, _ in recorder.envelopes} == {"cchc.snv@hanoi.example"}
    assert len(set(recorder.peers)) == 1  # one SMTP connection for the batch
    paths = issued_paths(campaign)
    by_unit = {msg["To"]: msg for msg in recorder.messages()}
    msg = by_unit["ubnd.caugiay@hanoi.example"]
    assert msg["Subject"] == ("Sở Nội vụ gửi biểu mẫu tự đánh giá Chỉ số CCHC năm 2020 - "
                              "UBND quận Cầu Giấy")
    assert msg["Reply-To"] == "cchc.snv@hanoi.example"
    body = msg.get_body(("plain",)).get_content()
    assert "Kính gửi: UBND quận Cầu Giấy" in body and DEADLINE in body
    part = attachment(msg)
    assert part.get_filename() == "Biểu mẫu tự đánh giá CCHC 2020 - UBND quận Cầu Giấy.xlsx"
    assert part.get_content_type() == ("application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet")
    assert part.get_content() == paths["005"].read_bytes()
    raw = next(c for _, rcpts, c in recorder.envelopes if rcpts == ["ubnd.caugiay@hanoi.example"])
    assert b"filename*=utf-8''Bi%E1%BB%83u%20m%E1%BA%ABu" in raw
    assert [(u, o) for u, o, _ in ledger_messages(campaign)] == [
        ("SNV", "sent"), ("005", "sent"), ("006", "sent")]
    assert {e.message_id for e in report.entries} == {m["Message-ID"] for m in recorder.messages()}


def test_rerun_sends_nothing_new_and_resend_gets_a_new_message_id(campaign: Path,
                                                                   recorder: Recorder) -> None:
    first = send_forms(open_workspace(campaign), ["005"])
    again = send_forms(open_workspace(campaign), ["005"])
    assert outcomes(again) == {"005": "already-sent"} and again.ok
    assert len(recorder.envelopes) == 1
    resent = send_forms(open_workspace(campaign), ["005"], resend=True)
    assert outcomes(resent) == {"005": "sent"} and len(recorder.envelopes) == 2
    ids = [m["Message-ID"] for m in recorder.messages()]
    assert ids == [first.entries[0].message_id, resent.entries[0].message_id]
    assert ids[0] != ids[1]


def test_refused_recipient_is_recorded_failed_and_retried_next_run(campaign: Path,
                                                                   recorder: Recorder) -> None:
    recorder.refused.add(REFUSED)
    result = run_cli("send", campaign, "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    failed = [u for u in data["units"] if u["outcome"] == "failed"]
    assert [u["unit"] for u in failed] == ["005"] and "550" in failed[0]["error"]
    assert data["counts"]["sent"] == 2  # the batch went on after the refusal
    assert ("005", "failed") in [(u, o) for u, o, _ in ledger_messages(campaign)]
    recorder.refused.clear()
    retry = send_forms(open_workspace(campaign))
    assert {u: o for u, o in outcomes(retry).items() if o != "no-form"} == {
        "SNV": "already-sent", "005": "sent", "006": "already-sent"}
    assert [rcpts for _, rcpts, _ in recorder.envelopes][-1] == [REFUSED]


def test_unit_without_email_is_reported_and_exits_1(campaign: Path, recorder: Recorder) -> None:
    units_file = campaign / "units" / "hanoi.yaml"
    text = units_file.read_text("utf-8")
    units_file.write_text(text.replace("    email: ubnd.dongda@hanoi.example\n", ""), "utf-8")
    result = run_cli("send", campaign, "--unit", "006", "--unit", "SNV", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [(u["unit"], u["outcome"]) for u in data["units"]] == [("SNV", "sent"),
                                                                 ("006", "no-email")]
    assert not data["ok"] and [rcpts for _, rcpts, _ in recorder.envelopes] == [
        ["vanthu.sonoivu@hanoi.example"]]


def test_units_without_a_form_are_reported(campaign: Path, recorder: Recorder) -> None:
    result = run_cli("send", campaign, "--unit", "STP")
    assert result.exit_code == 1 and "chưa có biểu mẫu" in result.output
    assert recorder.envelopes == []


def test_form_changed_on_disk_is_not_sent(campaign: Path, recorder: Recorder) -> None:
    path = issued_paths(campaign)["006"]
    path.write_bytes(path.read_bytes() + b"\0")
    report = send_forms(open_workspace(campaign), ["006"])
    assert outcomes(report) == {"006": "form-changed"} and not report.ok
    assert "formkit forms" in report.entries[0].error and recorder.envelopes == []


def test_dry_run_writes_eml_files_that_parse_back(campaign: Path, recorder: Recorder) -> None:
    result = run_cli("send", campaign, "--dry-run", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 1  # the other 49 units have no form yet
    written = {u["unit"]: Path(u["eml_path"]) for u in data["units"] if u["outcome"] == "dry-run"}
    assert set(written) == set(UNITS) and recorder.envelopes == []
    assert written["005"] == campaign / "out" / "mail" / "005.eml"
    msg = message_from_bytes(written["005"].read_bytes(), policy=policy.default)
    assert msg["To"] == "ubnd.caugiay@hanoi.example"
    assert DEADLINE in msg.get_body(("plain",)).get_content()
    assert attachment(msg).get_content() == issued_paths(campaign)["005"].read_bytes()
    assert {o for _, o, _ in ledger_messages(campaign)} == {"dry-run"}
    sent = send_forms(open_workspace(campaign), ["005"])  # a dry run is not a send
    assert outcomes(sent) == {"005": "sent"}
    assert sent.entries[0].message_id == msg["Message-ID"]  # the preview shows the real id


def test_unknown_placeholder_in_the_template_is_a_formkit_error(campaign: Path,
                                                                recorder: Recorder) -> None:
    template = campaign / "mail" / "form.yaml"
    template.write_text(template.read_text("utf-8").replace("${deadline_phrase}.", "${han_chot}."),
                        "utf-8")
    with pytest.raises(FormkitError) as caught:
        send_forms(open_workspace(campaign))
    assert str(template) in caught.value.message and "${han_chot}" in caught.value.message
    result = run_cli("send", campaign, "--dry-run")
    assert result.exit_code == 2 and recorder.envelopes == []


def test_closed_port_is_a_formkit_error_exit_2(campaign: Path) -> None:
    path = campaign / "campaign.yaml"
    port = free_port()  # nothing listens there
    text = path.read_text("utf-8")
    path.write_text(text.replace(f"port: {text.split('port: ')[1].split()[0]}", f"port: {port}"),
                    "utf-8")
    with pytest.raises(FormkitError) as caught:
        send_forms(open_workspace(campaign), ["005"])
    assert f"cổng {port}" in caught.value.message and "127.0.0.1" in caught.value.message
    result = run_cli("send", campaign, "--json")
    assert result.exit_code == 2 and json.loads(result.output)["ok"] is False
    assert ledger_messages(campaign) == []


def test_rate_limit_spaces_the_messages(campaign: Path, recorder: Recorder) -> None:
    path = campaign / "campaign.yaml"
    path.write_text(path.read_text("utf-8").replace("rate_per_minute: 60000",
                                                    "rate_per_minute: 1200"), "utf-8")
    started = time.monotonic()
    report = send_forms(open_workspace(campaign), UNITS)
    assert report.ok and len(recorder.envelopes) == 3
    assert time.monotonic() - started >= 2 * 60 / 1200  # two waits of 50 ms between three messages


def test_login_without_password_variable_is_a_formkit_error(campaign: Path, monkeypatch) -> None:
    path = campaign / "campaign.yaml"
    path.write_text(path.read_text("utf-8").replace('user: ""', "user: cchc.snv"), "utf-8")
    monkeypatch.delenv("FORMKIT_SMTP_PASSWORD", raising=False)
    with pytest.raises(FormkitError, match="FORMKIT_SMTP_PASSWORD"):
        send_forms(open_workspace(campaign), ["005"])


def test_attachment_name_is_readable_and_safe(example_workspace: Path) -> None:
    workspace = open_workspace(example_workspace)
    assert attachment_name(workspace, workspace.unit("005")) == (
        "Biểu mẫu tự đánh giá CCHC 2020 - UBND quận Cầu Giấy.xlsx")

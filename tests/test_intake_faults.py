"""Intake under hostile file systems: undecodable names, links out of the inputs, pipes, stray
temp files, and the modes outputs are created with. Real files, a real `formkit collect`."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import stat
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from formkit.forms import FormFactory
from formkit.intake.sources import read_regular, readable
from formkit.simulate import fill_form, simulated_entries
from formkit.workspace import open_workspace

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="POSIX file names, links and modes")
WINDOWS_NAME = b"B\xe1o c\xe1o \xd0\xe1nh gi\xe1.xlsx"  # "Báo cáo Đánh giá.xlsx" in cp1258


def filled(root: Path, unit_code: str) -> bytes:
    """A unit's form filled in as the unit would return it."""
    ws = open_workspace(root)
    unit = ws.unit(unit_code)
    identity, data = FormFactory(ws).workbook(unit)
    catalog = ws.catalogs[unit.unit_type]
    return fill_form(data, identity, catalog, simulated_entries(identity, catalog, random.Random(unit_code)))


def write_raw(folder: Path, name: bytes, data: bytes) -> None:
    """A file whose name is these bytes, as unzipping a Windows archive leaves it."""
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def report_text(path: str) -> str:
    """Every cell of the intake report workbook, as text."""
    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(value) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def ledger_rows(root: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(root / "ledger.sqlite") as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("raw, shown", [
    (WINDOWS_NAME, "Báo cáo Đánh giá.xlsx"),
    ("Biểu ".encode() + b"\xd0\xe1nh gi\xe1.xlsx", "Biểu Đánh giá.xlsx"),  # part UTF-8, part cp1258
    ("Tờ khai.xlsx".encode(), "Tờ khai.xlsx"),  # valid UTF-8 stays as it is
    (b"a\x81b.xlsx", "a\ufffdb.xlsx"),  # a byte cp1258 has no letter for
])
def test_readable_names(raw, shown):
    text = raw.decode("utf-8", "surrogateescape")
    assert readable(text) == shown


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_in_place_of_a_listed_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "ống")
    with pytest.raises(OSError, match="không phải tệp thông thường"):
        read_regular(tmp_path / "ống")


@POSIX_ONLY
def test_an_undecodable_name_is_received_with_a_readable_name_and_its_bytes(workspace, tmp_path):
    folder = tmp_path / "giải nén"
    folder.mkdir()
    write_raw(folder, WINDOWS_NAME, filled(workspace, "001"))
    (folder / "Cầu Giấy.xlsx").write_bytes(filled(workspace, "005"))
    (folder / "rỗng.xlsx").write_bytes(b"")
    result = run_cli("collect", workspace, folder, "--json")
    assert result.exit_code == 1  # the empty file is rejected, as in any batch
    inputs = json.loads(result.stdout)["inputs"]
    by_name = {entry["name"]: entry for entry in inputs}
    assert set(by_name) == {"Báo cáo Đánh giá.xlsx", "Cầu Giấy.xlsx", "rỗng.xlsx"}
    assert by_name["Báo cáo Đánh giá.xlsx"]["status"] == "accepted"
    assert by_name["Báo cáo Đánh giá.xlsx"]["unit"] == "001"
    assert by_name["Báo cáo Đánh giá.xlsx"]["input"] == (folder / "Báo cáo Đánh giá.xlsx").as_posix()
    assert by_name["Cầu Giấy.xlsx"]["status"] == "accepted"
    assert by_name["rỗng.xlsx"]["status"] == "rejected"
    assert sorted(name for (name,) in ledger_rows(workspace, "SELECT name FROM receipts")) == sorted(by_name)
    [(detail,)] = ledger_rows(workspace, "SELECT detail FROM events WHERE kind = 'receipt.name_bytes'")
    assert bytes.fromhex(json.loads(detail)["name_bytes"]) == WINDOWS_NAME
    assert "Báo cáo Đánh giá.xlsx" in report_text(json.loads(result.stdout)["report_path"])

    again = run_cli("collect", workspace, folder, "--json")  # a re-run changes nothing
    assert again.exit_code == 0
    assert {e["name"]: e["status"] for e in json.loads(again.stdout)["inputs"]} == {
        "Báo cáo Đánh giá.xlsx": "duplicate", "Cầu Giấy.xlsx": "duplicate", "rỗng.xlsx": "duplicate"}
    assert len(ledger_rows(workspace, "SELECT id FROM receipts")) == 3
    assert len(ledger_rows(workspace, "SELECT id FROM events WHERE kind = 'receipt.name_bytes'")) == 1


@POSIX_ONLY
def test_links_out_of_the_folder_and_pipes_are_not_read(workspace, tmp_path):
    secret = tmp_path / "mật khẩu.txt"
    secret.write_text("SMTP_PASSWORD=hunter2\n", encoding="utf-8")
    outside = tmp_path / "ngoài"
    outside.mkdir()
    (outside / "khác.xlsx").write_bytes(filled(workspace, "005"))
    folder = tmp_path / "nhận"
    (folder / "con").mkdir(parents=True)
    (folder / "Cầu Giấy.xlsx").write_bytes(filled(workspace, "001"))
    (folder / "liên kết.xlsx").symlink_to(secret)
    (folder / "con" / "thư mục ngoài").symlink_to(outside, target_is_directory=True)
    (folder / "con" / "cùng thư mục.xlsx").symlink_to(folder / "Cầu Giấy.xlsx")  # inside: followed
    os.mkfifo(folder / "ống dẫn")
    result = run_cli("collect", workspace, folder, "--json")
    assert result.exit_code == 1  # inputs were refused
    report = json.loads(result.stdout)
    # The link inside the folder is followed: to a file already listed, so it is listed once.
    assert [(e["name"], e["status"]) for e in report["inputs"]] == [("Cầu Giấy.xlsx", "accepted")]
    problems = {Path(p["file"]).name: p for p in report["problems"]}
    assert set(problems) == {"liên kết.xlsx", "thư mục ngoài", "ống dẫn"}
    assert problems["liên kết.xlsx"]["code"] == "file.link_outside"
    assert problems["thư mục ngoài"]["code"] == "file.link_outside"
    assert "ngoài thư mục được đưa vào; không đọc" in problems["liên kết.xlsx"]["message"]
    assert str(secret) in problems["liên kết.xlsx"]["message"]
    assert problems["ống dẫn"]["code"] == "file.unreadable"
    assert len(ledger_rows(workspace, "SELECT id FROM received_files")) == 1
    for stored in (workspace / "archive").rglob("*"):
        assert not stored.is_file() or b"hunter2" not in stored.read_bytes()
    text = run_cli("collect", workspace, folder).stdout
    assert "là liên kết tới" in text and "không đọc" in text


@POSIX_ONLY
def test_a_link_named_on_the_command_line_is_followed_to_a_file_never_to_proc(workspace, tmp_path):
    (tmp_path / "biểu.xlsx").write_bytes(filled(workspace, "001"))
    (tmp_path / "lối tắt.xlsx").symlink_to(tmp_path / "biểu.xlsx")
    (tmp_path / "môi trường").symlink_to("/proc/self/environ")
    result = run_cli("collect", workspace, tmp_path / "lối tắt.xlsx", tmp_path / "môi trường",
                     "/dev/null", "--json")
    report = json.loads(result.stdout)
    assert [(e["name"], e["status"]) for e in report["inputs"]] == [("lối tắt.xlsx", "accepted")]
    assert [p["code"] for p in report["problems"]] == ["file.unreadable", "file.unreadable"]
    assert len(ledger_rows(workspace, "SELECT id FROM received_files")) == 1


def test_stale_temp_files_are_removed_on_the_next_collect_fresh_ones_kept(workspace, tmp_path):
    folder = workspace / "archive" / "ab"
    folder.mkdir(parents=True)
    stale = folder / ".ab12cd.xlsx.k2j4h5l6.tmp"  # a receive killed two hours ago (mkstemp name)
    fresh = folder / ".ab34ef.xlsx.0123456789ab.tmp"  # a receive running right now
    stale_out = workspace / "out" / "forms" / ".Biểu.xlsx.fedcba987654.tmp"
    stale_out.parent.mkdir(parents=True, exist_ok=True)
    kept = folder / "ghi chú.tmp"  # not an atomic write's temp file
    for path in (stale, fresh, stale_out, kept):
        path.write_bytes(b"half a file")
    two_hours_ago = time.time() - 7200
    for path in (stale, stale_out, kept):
        os.utime(path, (two_hours_ago, two_hours_ago))
    (tmp_path / "biểu.xlsx").write_bytes(filled(workspace, "001"))
    assert run_cli("collect", workspace, tmp_path / "biểu.xlsx").exit_code == 0
    assert not stale.exists() and not stale_out.exists()
    assert fresh.exists() and kept.exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_follow_the_umask_the_secret_stays_private(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        root = tmp_path / "cchc-2020"
        assert run_cli("init", root).exit_code == 0
        assert run_cli("forms", root, "--unit", "001").exit_code == 0
        (tmp_path / "biểu.xlsx").write_bytes(filled(root, "001"))
        assert run_cli("collect", root, tmp_path / "biểu.xlsx").exit_code == 0
    finally:
        os.umask(old)
    written = [p for folder in ("out", "archive") for p in (root / folder).rglob("*") if p.is_file()]
    assert any(p.suffix == ".xlsx" and p.is_relative_to(root / "archive") for p in written)
    assert len(written) >= 3  # the form, the archived return, the intake report
    assert {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.relative_to(root).as_posix(): expected for p in written}
    assert stat.S_IMODE((root / "secret.key").stat().st_mode) == 0o600

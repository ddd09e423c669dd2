"""Faults an operator can cause in the workspace itself: a broken, missing or changed secret.key
and an emptied or missing ledger. Each is refused with exit code 2 and a message saying what to
do, before anything is issued, re-issued, archived or rejected."""

from __future__ import annotations

import hashlib
import random
import secrets
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli

from formkit.forms import FormFactory, generate_forms
from formkit.simulate import fill_form, simulated_entries
from formkit.workspace import SECRET_FINGERPRINT, init_workspace, open_workspace


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Path:
    """A workspace with all 52 forms issued and one filled return beside it (not collected)."""
    base = tmp_path_factory.mktemp("faults")
    root = base / "cchc-2020"
    init_workspace(root)
    ws = open_workspace(root)
    generate_forms(ws)
    factory = FormFactory(ws)
    identity, data = factory.workbook(ws.unit("005"))
    catalog = ws.catalogs[ws.unit("005").unit_type]
    entries = simulated_entries(identity, catalog, random.Random(5))
    (base / "inbox").mkdir()
    (base / "inbox" / "005.xlsx").write_bytes(fill_form(data, identity, catalog, entries))
    return root


@pytest.fixture
def ws(issued, tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(issued, root)
    shutil.copytree(issued.parent / "inbox", tmp_path / "inbox")
    return root


def ledger_rows(root: Path) -> dict[str, int]:
    """Row count of every table of the ledger."""
    conn = sqlite3.connect(root / "ledger.sqlite")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def tree(root: Path, folder: str) -> dict[str, str]:
    """Every file under root/folder with its sha256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / folder).rglob("*")) if p.is_file()}


KEYS = {
    "empty": "",
    "blank-line": "\n",
    "not-hex": "this is not a hex key at all\n",
    "short": "00112233445566778899aabb\n",  # 12 bytes
    "changed": None,  # a valid key, but not the one that signed the forms
    "missing": "MISSING",
}


def break_key(root: Path, case: str) -> None:
    key = root / "secret.key"
    if case == "missing":
        key.unlink()
    elif case == "changed":
        key.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    else:
        key.write_text(KEYS[case], encoding="ascii")


@pytest.mark.parametrize("case", sorted(KEYS))
@pytest.mark.parametrize("command", ["forms", "collect", "check", "status"])
def test_a_broken_or_changed_key_is_refused_before_anything_is_written(ws, case, command):
    before_rows, before_out, before_archive = ledger_rows(ws), tree(ws, "out"), tree(ws, "archive")
    break_key(ws, case)
    args = {"collect": ("collect", ws, ws.parent / "inbox")}.get(command, (command, ws))
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "secret.key" in result.stderr
    assert "sao lưu" in result.stderr  # what to do: restore the backup
    if case == "changed":
        assert "khác với khóa đã ký" in result.stderr
    assert "Traceback" not in result.output
    assert ledger_rows(ws) == before_rows
    assert tree(ws, "out") == before_out
    assert tree(ws, "archive") == before_archive == {}


def test_restoring_the_key_makes_everything_work_again(ws):
    good = (ws / "secret.key").read_bytes()
    break_key(ws, "changed")
    assert run_cli("collect", ws, ws.parent / "inbox").exit_code == 2
    (ws / "secret.key").write_bytes(good)
    result = run_cli("collect", ws, ws.parent / "inbox", "--json")
    assert result.exit_code == 0, result.output
    assert '"accepted"' in result.stdout


def test_the_fingerprint_is_recorded_at_init_and_does_not_reveal_the_key(workspace):
    conn = sqlite3.connect(workspace / "ledger.sqlite")
    [(value,)] = conn.execute("SELECT value FROM meta WHERE key = ?", (SECRET_FINGERPRINT,))
    conn.close()
    key = (workspace / "secret.key").read_text("ascii").strip()
    assert len(value) == 64 and key not in value and value != hashlib.sha256(
        bytes.fromhex(key)).hexdigest()


def forget_fingerprint(root: Path) -> None:
    """The ledger as a formkit from before fingerprints left it."""
    conn = sqlite3.connect(root / "ledger.sqlite")
    conn.execute("DELETE FROM meta")
    conn.commit()
    conn.close()


def test_a_ledger_without_fingerprint_records_it_when_the_key_signs_its_forms(ws):
    forget_fingerprint(ws)
    assert run_cli("status", ws).exit_code == 0
    assert ledger_rows(ws)["meta"] == 1
    assert run_cli("forms", ws).exit_code == 0


def test_a_ledger_without_fingerprint_refuses_a_key_that_did_not_sign_its_forms(ws):
    forget_fingerprint(ws)
    break_key(ws, "changed")
    before = ledger_rows(ws)
    result = run_cli("forms", ws)
    assert result.exit_code == 2 and "khác với khóa đã ký" in result.stderr
    assert ledger_rows(ws) == before


def test_copying_a_workspace_copies_a_matching_fingerprint(ws, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(ws, copy)
    assert run_cli("forms", copy).exit_code == 0


# ---- the ledger

def collected(ws: Path) -> Path:
    result = run_cli("collect", ws, ws.parent / "inbox")
    assert result.exit_code == 0, result.output
    assert tree(ws, "archive")
    return ws / "ledger.sqlite"


@pytest.mark.parametrize("how", ["zero-bytes", "missing", "no-schema"])
@pytest.mark.parametrize("command", ["status", "forms", "collect"])
def test_an_emptied_ledger_is_refused_not_recreated(ws, how, command):
    ledger = collected(ws)
    ledger.unlink()
    if how == "zero-bytes":
        ledger.write_bytes(b"")
    elif how == "no-schema":
        conn = sqlite3.connect(ledger)  # an SQLite file, but with no table and version 0
        conn.executescript("CREATE TABLE t (a); DROP TABLE t;")
        conn.close()
        assert ledger.stat().st_size > 0
    before_out = tree(ws, "out")
    args = {"collect": ("collect", ws, ws.parent / "inbox")}.get(command, (command, ws))
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "ledger.sqlite" in result.stderr and "sao lưu" in result.stderr
    assert "archive" in result.stderr
    assert ledger.exists() == (how != "missing")
    if ledger.exists():
        assert ledger.stat().st_size == 0 or ledger_rows(ws) == {}
    assert tree(ws, "out") == before_out


def test_an_emptied_ledger_with_issued_forms_only_is_refused(ws):
    """No return received yet, but 52 forms went out: their ids live only in the ledger."""
    (ws / "ledger.sqlite").write_bytes(b"")
    result = run_cli("forms", ws)
    assert result.exit_code == 2 and "out" in result.stderr
    assert (ws / "ledger.sqlite").stat().st_size == 0


def test_init_force_does_not_recreate_a_lost_ledger_either(ws):
    (ws / "ledger.sqlite").unlink()
    result = run_cli("init", ws, "--force")
    assert result.exit_code == 2 and "sao lưu" in result.stderr
    assert not (ws / "ledger.sqlite").exists()


def test_a_ledger_lost_before_anything_was_issued_is_simply_created(workspace):
    (workspace / "ledger.sqlite").unlink()
    assert run_cli("status", workspace).exit_code == 0
    assert ledger_rows(workspace)["units"] == 52


OTHER_COMMANDS = {
    "send": ("send", "{ws}", "--dry-run"),
    "survey-entry": ("survey", "entry", "{ws}"),
    "survey-collect": ("survey", "collect", "{ws}", "{inbox}"),
    "appraise-sheets": ("appraise", "sheets", "{ws}"),
    "appraise-collect": ("appraise", "collect", "{ws}", "{inbox}"),
    "scores": ("scores", "{ws}"),
}


@pytest.mark.parametrize("case", ["empty", "changed"])
@pytest.mark.parametrize("command", sorted(OTHER_COMMANDS))
def test_every_command_that_signs_or_verifies_refuses_a_bad_key(ws, case, command):
    before_rows, before_out = ledger_rows(ws), tree(ws, "out")
    break_key(ws, case)
    args = [a.format(ws=ws, inbox=ws.parent / "inbox") for a in OTHER_COMMANDS[command]]
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "secret.key" in result.stderr and "Traceback" not in result.output
    assert ledger_rows(ws) == before_rows and tree(ws, "out") == before_out
    assert tree(ws, "archive") == {}

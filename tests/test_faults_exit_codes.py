"""Exit codes under faults: 2 with a Vietnamese message naming the path for what the machine did
(disk full, read-only folder), 3 with one line and a log file for a bug in formkit, never a bare
traceback. Real processes, files and file systems (a small tmpfs when running as root)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from formkit.errors import environment_error
from formkit.workspace import init_workspace


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("exit") / "cchc-2020"
    init_workspace(root)
    return root


@pytest.fixture
def ws(fresh, tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(fresh, root)
    return root


def formkit(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "formkit", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def break_schema(root: Path) -> None:
    """A ledger whose schema lacks a column the status query reads: sqlite3 raises an
    OperationalError formkit did not expect. formkit cannot tell this from a wrong query of its
    own, so it is reported as a bug (exit 3) with the traceback kept for support."""
    conn = sqlite3.connect(root / "ledger.sqlite")
    conn.execute("ALTER TABLE received_files DROP COLUMN sent_at")
    conn.commit()
    conn.close()


def test_a_bug_is_one_line_a_log_file_and_exit_3(ws, tmp_path):
    break_schema(ws)
    result = formkit("status", ws, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("Lỗi không mong đợi trong formkit")
    [log] = (ws / "logs").glob("formkit-error-*.log")
    assert str(log.resolve()) in lines[0]
    text = log.read_text("utf-8")
    assert "Traceback" in text and "OperationalError" in text and "sent_at" in text
    assert "status" in text  # the command line


def test_a_bug_under_json_says_so_on_stdout(ws):
    break_schema(ws)
    result = run_cli("status", ws, "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["bug"] is True and Path(data["log"]).is_file()


def test_a_usage_error_stays_exit_2_and_writes_no_log(tmp_path):
    result = formkit("init", tmp_path / "x", "--year", "2021", cwd=tmp_path)
    assert result.returncode == 2 and "--year" in result.stderr
    assert not list(tmp_path.glob("formkit-error-*.log"))


# ---- the machine: a full disk and a read-only folder

def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture
def mount():
    """mount(folder, options): a tmpfs on folder, unmounted at teardown; skipped unless root."""
    if not _can_mount():
        pytest.skip("needs root and mount(8) for a small tmpfs")
    mounted: list[Path] = []

    def do(folder: Path, options: str) -> None:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)

    yield do
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_exit_2_naming_the_file(ws, mount):
    mount(ws / "out", "size=64k")
    result = run_cli("forms", ws)
    assert result.exit_code == 2, result.output
    assert "Ổ đĩa đã đầy" in result.stderr and str(ws / "out" / "forms") in result.stderr
    assert "Traceback" not in result.output and not (ws / "logs").exists()


def test_a_read_only_output_folder_is_exit_2_naming_it(ws, mount):
    mount(ws / "out", "ro")
    result = run_cli("forms", ws)
    assert result.exit_code == 2, result.output
    assert "chỉ cho phép đọc" in result.stderr and str(ws / "out") in result.stderr
    assert not (ws / "logs").exists()


def test_a_real_enospc_and_erofs_are_environment_errors(tmp_path, mount):
    """The mapping on OSErrors the kernel raised, not on hand-made ones."""
    full, ro = tmp_path / "full", tmp_path / "ro"
    full.mkdir()
    ro.mkdir()
    mount(full, "size=16k")
    mount(ro, "ro")
    with pytest.raises(OSError) as no_space, open(full / "big.bin", "wb") as handle:
        handle.write(b"\0" * 65536)
        handle.flush()
        os.fsync(handle.fileno())
    error = environment_error(no_space.value, tmp_path)
    assert error is not None and "đầy" in error.message
    with pytest.raises(OSError) as read_only:
        (ro / "x.txt").write_bytes(b"x")
    error = environment_error(read_only.value)
    assert error is not None and str(ro / "x.txt") in error.message
    assert environment_error(ValueError("a bug")) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores permission bits")
def test_an_output_folder_without_write_permission_is_exit_2(ws):
    (ws / "out").chmod(0o555)
    try:
        result = run_cli("forms", ws)
    finally:
        (ws / "out").chmod(0o755)
    assert result.exit_code == 2 and "quyền ghi" in result.stderr


def test_a_ledger_locked_by_another_program_is_exit_2_not_a_damaged_file(ws):
    """Another program holds the ledger (here: an exclusive SQLite transaction) past formkit's
    wait: exit 2 saying it is in use, not 'damaged, restore the backup'."""
    holder = sqlite3.connect(ws / "ledger.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = formkit("status", ws)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2, result.stderr
    assert "bị khóa" in result.stderr and "ledger.sqlite" in result.stderr
    assert "sao lưu" not in result.stderr and "Traceback" not in result.stderr
    assert run_cli("status", ws).exit_code == 0

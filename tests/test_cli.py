"""The command line as users run it: outputs, --json, exit codes, help."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import openpyxl
import pytest
from conftest import DISTRICT_CATALOG, DISTRICT_SURVEY, SO_CATALOG, SO_SURVEY, UNITS, run_cli, write

from formkit.catalog import load_catalog
from formkit.cli import main

EXPECTED_DISTRICT_ORDER = [
    "Ba Đình", "Ba Vì", "Bắc Từ Liêm", "Cầu Giấy", "Chương Mỹ", "Đan Phượng", "Đông Anh",
    "Đống Đa", "Gia Lâm", "Hà Đông", "Hai Bà Trưng", "Hoài Đức", "Hoàn Kiếm", "Hoàng Mai",
    "Long Biên", "Mê Linh", "Mỹ Đức", "Nam Từ Liêm", "Phú Xuyên", "Phúc Thọ", "Quốc Oai",
    "Sóc Sơn", "Sơn Tây", "Tây Hồ", "Thạch Thất", "Thanh Oai", "Thanh Trì", "Thanh Xuân",
    "Thường Tín", "Ứng Hòa"]


def all_commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_units_json_lists_52_units_in_vietnamese_order_within_each_type(example_workspace):
    result = run_cli("units", example_workspace, "--json")
    assert result.exit_code == 0
    units = json.loads(result.stdout)
    assert len(units) == 52
    types = [u["unit_type"] for u in units]
    assert types == ["so"] * 22 + ["district"] * 30
    assert [u["short_name"] for u in units[22:]] == EXPECTED_DISTRICT_ORDER
    so_names = [u["short_name"] for u in units[:22]]
    assert so_names.index("Ban Dân tộc") < so_names.index("Sở Công Thương") < so_names.index(
        "Sở Y tế") < so_names.index("Thanh tra Thành phố") < so_names.index(
        "Văn phòng UBND Thành phố")
    assert set(units[0]) == {"code", "name", "short_name", "unit_type", "document_name", "email",
                             "head_title"}


def test_units_human_output_groups_by_type(example_workspace):
    result = run_cli("units", example_workspace, "--type", "district")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Quận, huyện, thị xã (30)"
    assert "Ba Đình" in result.stdout.splitlines()[1]


def test_catalog_check_passes_on_every_shipped_file():
    result = run_cli("catalog", "check", SO_CATALOG, DISTRICT_CATALOG, SO_SURVEY,
                     DISTRICT_SURVEY, UNITS, "--json")
    assert result.exit_code == 0, result.stdout
    reports = json.loads(result.stdout)
    assert [r["kind"] for r in reports] == ["catalog", "catalog", "survey", "survey", "units"]
    assert all(r["ok"] and r["findings"] == [] for r in reports)
    assert reports[0]["summary"]["total_points"] == "100"


def test_catalog_check_on_a_file_of_unknown_kind_exits_2(tmp_path):
    result = run_cli("catalog", "check", write(tmp_path / "x.yaml", "something: 1\n"))
    assert result.exit_code == 2
    assert "dòng 1" in result.stdout


def test_catalog_show_prints_the_tree_with_totals():
    result = run_cli("catalog", "show", SO_CATALOG)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("1 ") and "10,00" in line for line in lines)
    assert lines[-1].split()[:1] == ["Tổng"] and "100,00" in lines[-1]
    data = json.loads(run_cli("catalog", "show", SO_CATALOG, "--json").stdout)
    assert len(data["content_hash"]) == 64 and data["items"][0]["code"] == "1"


def test_catalog_show_of_an_invalid_catalogue_exits_2_with_findings(tmp_path):
    path = write(tmp_path / "c.yaml", "catalog: {id: x}\nitems: []\n")
    result = run_cli("catalog", "show", path, "--json")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["findings"]


def test_catalog_export_writes_a_readable_deterministic_workbook(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run_cli("catalog", "export", SO_CATALOG, first).exit_code == 0
    assert run_cli("catalog", "export", SO_CATALOG, second, "--json").exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    book = openpyxl.load_workbook(first)
    assert book.sheetnames == ["Tiêu chí", "Thông tin"]
    sheet = book["Tiêu chí"]
    codes = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True) if row[0]]
    catalog = load_catalog(SO_CATALOG)
    assert codes == [item.code for item in catalog.items]
    total_row = sheet.max_row
    assert sheet.cell(total_row, 2).value == "Tổng cộng"
    assert sheet.cell(total_row, 4).value.startswith("=SUMIF(")


def test_init_twice_exits_2_and_says_how_to_force(tmp_path):
    assert run_cli("init", tmp_path / "ws").exit_code == 0
    again = run_cli("init", tmp_path / "ws", "--json")
    assert again.exit_code == 2
    assert "--force" in json.loads(again.stdout)["error"]
    forced = run_cli("init", tmp_path / "ws", "--force", "--json")
    assert forced.exit_code == 0
    assert "secret.key" in json.loads(forced.stdout)["kept"]


def test_commands_on_a_folder_that_is_not_a_workspace_exit_2(tmp_path):
    for args in (["units"], ["log"], ["check"]):
        result = run_cli(*args, tmp_path)
        assert result.exit_code == 2
        assert "formkit init" in result.output


def test_check_and_log(example_workspace):
    result = run_cli("check", example_workspace, "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["ok"] and summary["units"] == {"so": 22, "district": 30}
    events = json.loads(run_cli("log", example_workspace, "--json").stdout)
    assert [e["kind"] for e in events][:2] == ["units.synced", "workspace.init"]
    assert "workspace.init" in run_cli("log", example_workspace).stdout


def test_demo_is_safe_to_rerun(demo_campaign, tmp_path):
    """A second `formkit demo` on a built campaign reuses it: same secret, no new file or score.

    (Receipts are not compared: the copy's returns arrive from a new path, which is a new arrival.)"""
    root = tmp_path / "demo"
    shutil.copytree(demo_campaign, root)
    secret = (root / "secret.key").read_bytes()
    counts = _ledger_counts(root)
    again = run_cli("demo", root, "--json")
    assert again.exit_code == 0
    result = json.loads(again.stdout)
    assert result["created"] is False and result["units"] == {"so": 22, "district": 30}
    for name in ("results_workbook", "documents_report", "documents_decision", "documents_minutes"):
        assert Path(result["outputs"][name]).exists()
    assert len(list(Path(result["outputs"]["documents_minutes"]).glob("*.docx"))) == 52
    assert (root / "secret.key").read_bytes() == secret
    assert _ledger_counts(root) == counts


def _ledger_counts(root: Path) -> dict[str, int]:
    with sqlite3.connect(root / "ledger.sqlite") as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("issued_files", "received_files", "scores", "appraisals", "appraised_scores",
                              "survey_files", "survey_answers")}


@pytest.mark.parametrize("path, command", list(all_commands()),
                         ids=[" ".join(p) for p, _ in all_commands()])
def test_every_command_explains_itself_and_accepts_json(path, command):
    result = run_cli(*path, "--help")
    assert result.exit_code == 0
    assert "Ví dụ: formkit " + " ".join(path) in result.stdout
    assert "--json" in [opt for param in command.params for opt in param.opts]


def test_top_level_help_and_version_through_the_installed_module():
    help_text = subprocess.run([sys.executable, "-m", "formkit", "--help"], capture_output=True,
                               text=True, encoding="utf-8", check=True).stdout
    for name in ("init", "units", "log", "catalog", "demo", "check"):
        assert name in help_text
    version = subprocess.run([sys.executable, "-m", "formkit", "--version"],
                             capture_output=True, text=True, check=True).stdout
    assert "formkit" in version

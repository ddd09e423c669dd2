"""`formkit check` guards the campaign year: dates, validity of catalogues, examples, signers; and
forms, send and report refuse while it finds errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli

from formkit.campaign_check import check_findings, check_workspace
from formkit.cli import main
from formkit.errors import WorkspaceError
from formkit.yamlsrc import YMap, load_yaml


def set_value(root: Path, dotted: str, value: str) -> int:
    """Replace the value of one key of campaign.yaml in place (keeping its comment); its line."""
    path = root / "campaign.yaml"
    tree, _ = load_yaml(path)
    *parents, key = dotted.split(".")
    node = tree
    for part in parents:
        node = node[part]
    assert isinstance(node, YMap) and key in node, dotted
    line = node.line_of(key)
    lines = path.read_text("utf-8").split("\n")
    lines[line - 1] = re.sub(rf"^(\s*{key}:)\s*[^#\n]*?(\s*#.*)?$",
                             lambda m: f"{m[1]} {value}{m[2] or ''}", lines[line - 1])
    path.write_text("\n".join(lines), "utf-8")
    return line


def codes(findings) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in findings]


def test_the_shipped_example_passes_check_without_errors(example_workspace):
    findings = check_workspace(example_workspace).warnings
    assert not any(f.is_error for f in findings)
    # its example addresses are warned about, each on its line
    assert {f.code for f in findings} <= {"campaign.placeholder", "campaign.blank", "units.no_email"}
    assert all(f.line for f in findings)


@pytest.mark.parametrize("value", ["2025-02-29", "29/02/2025", "2021-13-01", "31/04/2021"])
def test_an_impossible_date_is_a_finding_on_its_line_in_every_command(workspace, value):
    line = set_value(workspace, "campaign.issue_date", value)
    findings = check_findings(workspace)
    assert codes(findings) == [("schema.impossible_date", line)]
    assert "không có thật" in findings[0].message
    for args in (["check"], ["forms"], ["units"], ["status"], ["send", "--dry-run"]):
        result = CliRunner().invoke(main, [*args, str(workspace)])
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"dòng {line}" in result.output


def test_dates_out_of_the_order_of_the_campaign_are_errors_naming_both_lines(workspace):
    issue = set_value(workspace, "campaign.issue_date", "2020-12-23")  # after the deadline
    deadline_line = load_yaml(workspace / "campaign.yaml")[0]["deadlines"].line_of("self_assessment")
    findings = [f for f in check_findings(workspace) if f.is_error]
    assert codes(findings) == [("campaign.date_order", deadline_line)]
    assert f"dòng {issue}" in findings[0].message and "22/12/2020" in findings[0].message


def test_the_appraisal_deadline_comes_after_every_council_session(workspace):
    line = set_value(workspace, "deadlines.appraisal", "2021-01-12")  # sessions run to 15/01
    errors = [f for f in check_findings(workspace) if f.is_error]
    assert {(f.code, f.line) for f in errors} == {("campaign.date_order", line)}
    assert "phiên" in errors[0].message


def test_a_decision_before_the_report_is_an_error(workspace):
    line = set_value(workspace, "documents.decision.date", "2021-02-20")
    assert codes([f for f in check_findings(workspace) if f.is_error]) == [
        ("campaign.date_order", line)]


def test_dates_outside_the_campaign_window_are_errors(workspace):
    early = set_value(workspace, "campaign.issue_date", "2019-12-31")
    late = set_value(workspace, "deadlines.survey_end", "2022-01-01")
    errors = [f for f in check_findings(workspace) if f.is_error]
    found = {(f.code, f.line) for f in errors}
    assert {("campaign.date_outside_year", early), ("campaign.date_outside_year", late)} <= found
    # the survey's end also comes after the report that gives its results
    assert ("campaign.date_order",
            load_yaml(workspace / "campaign.yaml")[0]["documents"]["report"].line_of("date")) in found


def test_a_catalogue_not_valid_for_the_campaign_year_is_an_error(workspace):
    set_value(workspace, "campaign.year", "2021")
    errors = [f for f in check_findings(workspace) if f.code == "campaign.not_valid_for_year"]
    tree, _ = load_yaml(workspace / "campaign.yaml")
    assert {(f.item, f.line) for f in errors} == {
        ("catalogs.so", tree["catalogs"].line_of("so")),
        ("catalogs.district", tree["catalogs"].line_of("district")),
        ("surveys.so", tree["surveys"].line_of("so")),
        ("surveys.district", tree["surveys"].line_of("district"))}
    assert "2017-2020" in errors[0].message and "valid_years" in errors[0].message


def test_placeholders_and_blank_signers_are_warnings_on_their_lines(workspace):
    lines = {
        "contact.phone": set_value(workspace, "contact.phone", "024 3825 xxxx"),
        "contact.email": set_value(workspace, "contact.email", "cchc@example.com"),
        "signer.name": set_value(workspace, "signer.name", "Nguyễn Văn A"),
        "mail.host": set_value(workspace, "mail.host", "smtp.hanoi.test"),
        "documents.report.signer.name": set_value(workspace, "documents.report.signer.name", '""'),
        "documents.minutes.chair.name": set_value(workspace, "documents.minutes.chair.name",
                                                  "Trần Thị B"),
    }
    findings = check_workspace(workspace).warnings  # warnings only: check passes
    by_line = {(f.code, f.line) for f in findings if f.file.endswith("campaign.yaml")}
    for key in ("contact.phone", "contact.email", "signer.name", "mail.host",
                "documents.minutes.chair.name"):
        assert ("campaign.placeholder", lines[key]) in by_line, key
    assert ("campaign.blank", lines["documents.report.signer.name"]) in by_line


def test_forms_send_and_report_refuse_while_check_has_errors(workspace):
    set_value(workspace, "deadlines.self_assessment", "2020-11-01")  # before the issue date
    for args in (["forms"], ["send", "--dry-run"], ["report"]):
        result = CliRunner().invoke(main, [*args, str(workspace), "--json"])
        assert result.exit_code == 2, args
        answer = json.loads(result.stdout)
        assert answer["ok"] is False and "formkit check" in answer["error"]
        assert any(f["code"] == "campaign.date_order" for f in answer["findings"])
        human = CliRunner().invoke(main, [*args, str(workspace)])
        assert human.exit_code == 2 and "campaign.date_order" in human.stderr
    assert not (workspace / "out" / "forms").exists()


def test_forms_print_check_warnings_on_stderr_and_under_a_key_in_json(workspace):
    set_value(workspace, "signer.name", "Nguyễn Văn A")
    result = CliRunner().invoke(main, ["forms", str(workspace), "--unit", "005", "--json"])
    assert result.exit_code == 0
    answer = json.loads(result.stdout)  # stdout is JSON only
    assert [f["unit"] for f in answer["forms"]] == ["005"]
    assert any(w["code"] == "campaign.placeholder" for w in answer["check_warnings"])
    human = run_cli("forms", workspace, "--unit", "005")
    assert "Nguyễn Văn A" in human.stderr and "Nguyễn Văn A" not in human.stdout


def test_check_json_lists_errors_with_lines(workspace):
    line = set_value(workspace, "documents.report.date", "2021-01-01")
    result = run_cli("check", workspace, "--json")
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert ("campaign.date_order", line) in {(f["code"], f["line"]) for f in answer["findings"]}


def test_refusal_lists_warnings_too(workspace):
    set_value(workspace, "campaign.issue_date", "2020-12-30")
    set_value(workspace, "signer.name", "Nguyễn Văn A")
    with pytest.raises(WorkspaceError) as caught:
        check_workspace(workspace, "tạo biểu mẫu")
    assert "chưa tạo biểu mẫu" in caught.value.message
    assert {"campaign.date_order", "campaign.placeholder"} <= {f.code for f in caught.value.findings}

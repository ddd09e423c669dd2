"""`formkit init DIR --from LAST_YEAR_DIR`: this year's campaign from last year's workspace."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli

from formkit.campaign_check import check_findings, check_workspace
from formkit.errors import WorkspaceError
from formkit.newyear import carried_over_notes, carry_settings, init_from
from formkit.workspace import open_workspace

PLAN = "Kế hoạch số 178/KH-UBND ngày 04 tháng 9 năm 2020"
INDEX_DECISION = "Quyết định số 6677/QĐ-UBND ngày 25 tháng 9 năm 2017"


@pytest.fixture(scope="module")
def next_year(demo_campaign, tmp_path_factory) -> Path:
    """2021 from the finished 2020 demo (read only: the demo is shared by the session)."""
    root = tmp_path_factory.mktemp("new-year") / "Chỉ số CCHC 2021"
    init_from(root, demo_campaign)
    return root


def yaml_line(text: str, pattern: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line))


def test_settings_carry_the_new_year_and_shifted_dates_each_marked(next_year, demo_campaign):
    old = (demo_campaign / "campaign.yaml").read_text("utf-8")
    new = (next_year / "campaign.yaml").read_text("utf-8")
    settings = open_workspace(next_year).settings
    assert settings.campaign.year == 2021 and settings.campaign.id == "hanoi-cchc-2021"
    assert "năm 2021" in settings.campaign.title and "2020" not in settings.campaign.title
    assert settings.campaign.issue_date.isoformat() == "2021-11-20"
    assert settings.deadlines.self_assessment.isoformat() == "2021-12-22"
    assert settings.deadlines.appraisal.isoformat() == "2022-01-31"
    assert settings.documents.decision.date.isoformat() == "2022-03-05"
    assert all(s.date.year == 2022 for s in settings.documents.minutes.sessions)
    # every line with a date is marked, and nothing else but the year's plan
    dated = {n for n, line in enumerate(new.splitlines(), 1)
             if re.search(r"\b20\d\d-\d\d-\d\d\b", line.split("#")[0])}
    marked = {line for line, year, _ in carried_over_notes(new)}
    plan = yaml_line(new, re.escape(PLAN))
    assert marked == dated | {plan}
    assert len(dated) == len(re.findall(r"\b20\d\d-\d\d-\d\d\b", old)) - old.count("# 20")
    # the legal bases are cited as they are: the index decision silently, the plan marked
    assert INDEX_DECISION in new and PLAN in new
    assert yaml_line(new, re.escape(INDEX_DECISION)) not in marked
    assert "năm 2022" in settings.documents.decision.proposal  # the Tờ trình of next year
    assert "password: cchc2021" in new


def test_check_lists_every_carried_over_line_and_the_catalogues_of_another_period(next_year):
    findings = check_findings(next_year)
    text = (next_year / "campaign.yaml").read_text("utf-8")
    carried = {f.line for f in findings if f.code == "campaign.carried_over"
               and f.file.endswith("campaign.yaml")}
    assert carried == {line for line, _, _ in carried_over_notes(text)}
    assert all(not f.is_error for f in findings if f.code == "campaign.carried_over")
    invalid = {f.item for f in findings if f.code == "campaign.not_valid_for_year"}
    assert invalid == {"catalogs.so", "catalogs.district", "surveys.so", "surveys.district"}
    assert {f.code for f in findings if f.is_error} == {"campaign.not_valid_for_year"}


def test_a_fresh_secret_an_empty_ledger_and_no_received_files(next_year, demo_campaign):
    assert (next_year / "secret.key").read_text() != (demo_campaign / "secret.key").read_text()
    conn = sqlite3.connect(next_year / "ledger.sqlite")
    assert conn.execute("SELECT count(*) FROM issued_files").fetchone()[0] == 0
    kinds = [k for (k,) in conn.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds[0] == "workspace.init_from" and set(kinds) <= {"workspace.init_from", "units.synced"}
    conn.close()
    assert not any((next_year / "archive").iterdir())
    assert not any((next_year / "out").iterdir())
    for folder in ("units", "catalogs", "surveys", "sampling", "mail"):
        for path in (demo_campaign / folder).rglob("*"):
            if path.is_file() and folder != "surveys":
                assert (next_year / path.relative_to(demo_campaign)).read_bytes() == path.read_bytes()


def test_questionnaires_speak_of_the_new_year_and_keep_their_sources(next_year, demo_campaign):
    for path in (next_year / "surveys").glob("*.yaml"):
        text = path.read_text("utf-8")
        respondents = [line.split("  # chuyển")[0] for line in text.split("\ngroups:", 1)[1].splitlines()]
        assert not any(re.search(r"(?i)năm 2020", line) for line in respondents)
        assert "04/9/2020" in text  # the plan cited in `source` is left as it is
        assert "valid_years: 2020" in text
        assert carried_over_notes(text)


def test_last_years_results_are_the_default_previous(next_year, demo_campaign):
    from formkit.consolidate import consolidate

    copied = next_year / "previous" / "results-2020.csv"
    assert copied.read_bytes() == (demo_campaign / "out" / "results" / "results.csv").read_bytes()
    workspace = open_workspace(next_year)
    assert workspace.previous_results == copied
    results = consolidate(workspace, allow_incomplete=True)
    assert results.meta["previous"] == str(copied)
    assert sum(u.previous_total is not None for u in results.units) == len(results.units)


def test_forms_carry_2021_once_the_framework_is_extended_knowingly(next_year, tmp_path):
    root = tmp_path / "2021"
    shutil.copytree(next_year, root)
    result = run_cli("forms", root, "--unit", "005")
    assert result.exit_code == 2 and "valid_years" in result.output
    for path in [*(root / "catalogs").glob("*.yaml"), *(root / "surveys").glob("*.yaml")]:
        text = path.read_text("utf-8")
        text = re.sub(r"valid_years: 20\d\d(-20\d\d)?", "valid_years: 2017-2021", text)
        path.write_text(text, "utf-8")
    result = run_cli("forms", root, "--unit", "005", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert any(w["code"] == "campaign.carried_over" for w in answer["check_warnings"])
    from openpyxl import load_workbook

    book = load_workbook(answer["forms"][0]["path"], read_only=True)
    texts = " ".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True, max_row=12)
                     for c in row if c)
    assert "2021" in texts and "2020" not in texts


def test_documents_of_the_new_year_say_2021_and_never_2020(next_year, tmp_path):
    """Once the user has replaced what was marked (the year's plan, the framework of the period),
    every document speaks of 2021 (its dates in 2021 and 2022), and 2020 only where the year is
    compared with it."""
    from docx import Document

    root = tmp_path / "2021"
    shutil.copytree(next_year, root)
    for path in [*(root / "catalogs").glob("*.yaml"), *(root / "surveys").glob("*.yaml")]:
        text = re.sub(r"valid_years: 20\d\d(-20\d\d)?", "valid_years: 2021-2025", path.read_text("utf-8"))
        path.write_text(text.replace("giai đoạn 2017 - 2020", "giai đoạn 2021 - 2025"), "utf-8")
    settings = root / "campaign.yaml"
    lines = []
    for line in settings.read_text("utf-8").splitlines():
        if INDEX_DECISION in line:
            line = "      - Quyết định số 1234/QĐ-UBND ngày 10 tháng 3 năm 2021 của UBND Thành phố"
        elif PLAN in line:
            line = "      - Kế hoạch số 99/KH-UBND ngày 06 tháng 9 năm 2021 của UBND Thành phố"
        lines.append(line)
    settings.write_text("\n".join(lines) + "\n", "utf-8")
    result = run_cli("report", root, "--allow-incomplete", "--json")
    assert result.exit_code == 1, result.output  # drafts: nothing is collected yet in 2021
    summary = json.loads(result.stdout)
    for path in [summary["report"], summary["decision"], *summary["minutes"][:3]]:
        document = Document(path)
        text = "\n".join([p.text for p in document.paragraphs]
                         + [c.text for t in document.tables for r in t.rows for c in r.cells])
        assert "năm 2021" in text, path
        assert [line for line in text.splitlines() if "2020" in line and "So với năm 2020" not in line] == []


def test_29_february_becomes_28_february_and_the_date_keeps_its_form():
    text = ("campaign:\n  year: 2020\n  issue_date: 2020-02-29\n"
            "deadlines:\n  self_assessment: '29/02/2020'  # hạn\n  appraisal: 2021-02-28\n")
    new, marked = carry_settings(text, 2020, 2021, "")
    assert "issue_date: 2021-02-28  # chuyển từ năm 2020" in new
    assert "self_assessment: '28/02/2021'  # hạn  # chuyển từ năm 2020" in new
    assert "appraisal: 2022-02-28" in new
    assert marked == [3, 5, 6]
    four, _ = carry_settings(text, 2020, 2024, "")
    assert "issue_date: 2024-02-29" in four  # a leap year keeps its 29th


def test_year_option_and_refusals(demo_campaign, tmp_path):
    root = tmp_path / "Đợt 2023"
    result = run_cli("init", root, "--from", demo_campaign, "--year", "2023", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (answer["from_year"], answer["year"]) == (2020, 2023)
    assert open_workspace(root).settings.deadlines.self_assessment.isoformat() == "2023-12-22"
    again = run_cli("init", root, "--from", demo_campaign)
    assert again.exit_code == 2 and "--force" in again.output
    forced = run_cli("init", root, "--from", demo_campaign, "--year", "2023", "--force")
    assert forced.exit_code == 0
    with pytest.raises(WorkspaceError, match="phải sau năm 2020"):
        init_from(tmp_path / "back", demo_campaign, year=2019)
    with pytest.raises(WorkspaceError, match="không phải là thư mục đợt đánh giá"):
        init_from(tmp_path / "x", tmp_path / "nowhere")


def test_template_overrides_and_a_workspace_without_results(example_workspace, tmp_path):
    source = tmp_path / "năm trước"
    shutil.copytree(example_workspace, source)
    (source / "templates").mkdir()
    (source / "templates" / "quyet-dinh.docx").write_bytes(b"PK template")
    root = tmp_path / "năm nay"
    result = init_from(root, source)
    assert (root / "templates" / "quyet-dinh.docx").read_bytes() == b"PK template"
    assert result.previous_results == ""
    assert "previous_results" not in (root / "campaign.yaml").read_text("utf-8")
    with pytest.raises(WorkspaceError):
        check_workspace(root)  # the 2017-2020 catalogues are not valid for 2021

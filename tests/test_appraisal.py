"""Appraisal round end to end: returns collected, council workbooks out, appraised scores in."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import sqlite3
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from formkit.appraisal import collect_appraisals, current_appraisal, generate_appraisal_sheets
from formkit.appraisal.identity import IDENTITY_SHEET, AppraisalIdentity, verify
from formkit.appraisal.simulate import Appraised, fill_appraisal, read_identities, simulated_appraisal
from formkit.appraisal.workbook import COVER_SHEET, NA_MARK, NOT_SCORED, SURVEY_MARK
from formkit.forms import FormFactory
from formkit.intake.collect import collect
from formkit.intake.current import current_returns
from formkit.office import convert, find_libreoffice
from formkit.settings import load_settings
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.workspace import open_workspace

UNITS = ("005", "271", "SNV", "TTTP")  # districts and Sở, with and without leaves not applicable


def unit_return(ws, code: str, change=None) -> bytes:
    """A unit's self-assessment, filled as a unit would (`change` edits the entries first)."""
    identity, data = FormFactory(ws).workbook(ws.unit(code))
    catalog = ws.catalogs[ws.unit(code).unit_type]
    entries = simulated_entries(identity, catalog, random.Random(code))
    if change:
        change(identity, entries)
    return fill_form(data, identity, catalog, entries)


def send_returns(ws, folder: Path, changes: dict | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for code, change in (changes or {code: None for code in UNITS}).items():
        (folder / f"{code}.xlsx").write_bytes(unit_return(ws, code, change))
    report = collect(ws, [folder])
    assert not report.rejected


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workspace (conftest's example) with four units' returns accepted; tests use copies."""
    root = tmp_path_factory.mktemp("appraisal") / "cchc-2020"
    from formkit.workspace import init_workspace

    init_workspace(root, "hanoi-2020")
    send_returns(open_workspace(root), root.parent / "returns")
    return root


@pytest.fixture
def ws(prepared, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(prepared, root)
    return open_workspace(root)


@pytest.fixture
def issued(ws):
    report = generate_appraisal_sheets(ws)
    return ws, report, {w.sheets[0].unit_code: w for w in report.workbooks}


def self_scores(ws, code: str) -> dict[str, Decimal]:
    [current] = current_returns(ws, [code])
    return {s.leaf: s.score for s in current.scores}


def confirmed(ws, data: bytes, changes: dict | None = None) -> dict:
    """Every unit in the workbook appraised at its self-scores, except `changes` (unit -> leaf ->
    Appraised)."""
    entries = {}
    for identity in read_identities(data):
        scores = self_scores(ws, identity.unit)
        entries[identity.unit] = {leaf: Appraised(scores[leaf]) for leaf in identity.inputs}
        entries[identity.unit].update((changes or {}).get(identity.unit, {}))
    return entries


def filled(ws, workbook, changes: dict | None = None, folder: Path | None = None) -> Path:
    data = workbook.path.read_bytes()
    folder = folder or ws.root.parent / "council"
    folder.mkdir(exist_ok=True)
    path = folder / workbook.path.name
    path.write_bytes(fill_appraisal(data, confirmed(ws, data, changes)))
    return path


def other_than(ws, code: str, leaf: str) -> Decimal:
    """A valid score that differs from the unit's self-score."""
    score = self_scores(ws, code)[leaf]
    return score - ws.catalogs[ws.unit(code).unit_type][leaf].step if score else score + Decimal(
        ws.catalogs[ws.unit(code).unit_type][leaf].step)


def projection(result) -> list[tuple]:
    return [(f.sheet, f.cell, f.code) for unit in result.units for f in unit.findings]


def ledger_rows(ws, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(ws.ledger_path)
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


# ---- appraise sheets -------------------------------------------------------------------------

def test_a_workbook_per_unit_with_a_return_and_the_others_listed(issued):
    ws, report, books = issued
    assert sorted(books) == sorted(UNITS)
    assert len(report.missing) == len(ws.units) - len(UNITS)
    assert {m.rule for m in report.missing} == {"zero"} and report.mode == "per-unit"
    rows = ledger_rows(ws, "SELECT unit_code, form_id, path, sha256 FROM issued_files "
                           "WHERE kind = 'appraisal'")
    assert len(rows) == len(UNITS)
    for unit_code, form_id, path, sha256 in rows:
        book = books[unit_code]
        assert (form_id, sha256) == (book.sheets[0].form_id, book.sha256)
        assert (ws.root / path).read_bytes() == book.path.read_bytes()
        assert "-THD-" in form_id and ws.unit(unit_code).short_name in book.path.name


@pytest.mark.parametrize("code", ["005", "TTTP"])
def test_protected_and_only_the_council_cells_unlocked(issued, code):
    _, _, books = issued
    book = openpyxl.load_workbook(books[code].path)
    assert book.security.lockStructure
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "veryHidden"]
    assert all(s.protection.sheet and s.protection.password for s in book.worksheets)
    [identity] = read_identities(books[code].path.read_bytes())
    unlocked = {c.coordinate for row in book[identity.sheet].iter_rows() for c in row
                if not c.protection.locked}
    assert unlocked == {identity.cell(leaf, f) for leaf in identity.inputs
                        for f in ("appraised", "reason")}
    for sheet in (book[COVER_SHEET], book[IDENTITY_SHEET]):
        assert all(c.protection.locked for row in sheet.iter_rows() for c in row)


def test_sheet_shows_self_scores_evidence_survey_points_and_greys_what_does_not_apply(issued):
    ws, _, books = issued
    [identity] = read_identities(books["TTTP"].path.read_bytes())
    sheet = openpyxl.load_workbook(books["TTTP"].path)[identity.sheet]
    [current] = current_returns(ws, ["TTTP"])
    catalog = ws.catalogs["so"]
    for score in current.scores:
        assert Decimal(str(sheet[identity.cell(score.leaf, "self")].value)) == score.score
        assert (sheet[identity.cell(score.leaf, "evidence")].value or "") == score.evidence
        assert sheet[identity.cell(score.leaf, "appraised")].value is None
        assert sheet[identity.cell(score.leaf, "status")].value.startswith("=IF(")
    survey_only = [leaf for leaf in catalog.leaves() if leaf.appraisal == 0]
    assert survey_only and all(sheet[identity.cell(leaf.code, "self")].value == SURVEY_MARK
                               and Decimal(str(sheet[identity.cell(leaf.code, "survey")].value))
                               == leaf.survey for leaf in survey_only)
    assert identity.not_applicable
    for leaf in identity.not_applicable:
        assert sheet[identity.cell(leaf, "self")].value == NA_MARK
        assert sheet[identity.cell(leaf, "code")].fill.fgColor.rgb.endswith("D9D9D9")


def test_subtotals_are_formulas_with_their_values_stored(issued):
    ws, _, books = issued
    path = books["005"].path
    [identity] = read_identities(path.read_bytes())
    values = openpyxl.load_workbook(path, data_only=True)[identity.sheet]
    formulas = openpyxl.load_workbook(path)[identity.sheet]
    scores, catalog = self_scores(ws, "005"), ws.catalogs["district"]
    total_row = values.max_row
    assert values[f"B{total_row}"].value == "TỔNG CỘNG"
    assert Decimal(str(values[f"F{total_row}"].value)) == sum(scores.values())
    assert Decimal(str(values[f"C{total_row}"].value)) == catalog.applicable_max("005")
    for area in catalog.areas():
        row = next(r for r in range(7, total_row) if values[f"A{r}"].value == area.code)
        assert formulas[f"F{row}"].value.startswith("=SUM(")
        expected = sum(v for leaf, v in scores.items() if leaf.startswith(area.code + "."))
        assert Decimal(str(values[f"F{row}"].value)) == expected
        assert values[f"I{row}"].value == 0
    assert values[identity.cell(identity.inputs[0], "status")].value == NOT_SCORED


def test_validations_and_flags_with_vietnamese_messages(issued):
    ws, _, books = issued
    [identity] = read_identities(books["SNV"].path.read_bytes())
    sheet = openpyxl.load_workbook(books["SNV"].path)[identity.sheet]
    covered = {r.coord: v for v in sheet.data_validations.dataValidation for r in v.sqref.ranges}
    for leaf in identity.inputs:
        score = covered[identity.cell(leaf, "appraised")]
        assert score.type == "custom" and score.showErrorMessage and score.showInputMessage
        assert f"<={ws.catalogs['so'][leaf].appraisal}" in score.formula1.replace(".0,", ",")
        assert "Nhập điểm từ 0 đến" in score.prompt and score.errorTitle == "Điểm không hợp lệ"
        reason = covered[identity.cell(leaf, "reason")]
        assert reason.type == "textLength" and "Bắt buộc" in reason.prompt
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules]
    assert any("LEN(TRIM(J" in f and "<>F" in f for f in formulas)  # a changed score lacks its reason
    assert any(">E" in f for f in formulas)  # above the appraisal max


def test_identity_is_signed_and_names_the_exact_return(issued):
    ws, _, books = issued
    book = openpyxl.load_workbook(books["271"].path)
    payload, signature = book[IDENTITY_SHEET]["A2"].value, book[IDENTITY_SHEET]["A3"].value
    assert verify(payload, signature, ws.secret())
    identity = AppraisalIdentity.from_payload(payload)
    assert (identity.kind, identity.unit, identity.campaign) == ("appraisal", "271", "hanoi-cchc-2020")
    [current] = current_returns(ws, ["271"])
    [(sha256,)] = ledger_rows(ws, "SELECT sha256 FROM received_files WHERE id = ?",
                              current.received_file_id)
    assert (identity.source.received_file_id, identity.source.sha256) == (current.received_file_id,
                                                                          sha256)
    assert not verify(payload.replace('"271"', '"272"'), signature, ws.secret())


def test_evidence_that_looks_like_a_formula_stays_text(ws, tmp_path):
    def poison(identity, entries):
        first = identity.inputs[0]
        entries[first] = Entry(entries[first].score, evidence='=HYPERLINK("http://x","y")')
    send_returns(ws, tmp_path / "again", {"SNV": poison})
    [book] = [w for w in generate_appraisal_sheets(ws).workbooks if w.sheets[0].unit_code == "SNV"]
    [identity] = read_identities(book.path.read_bytes())
    cell = openpyxl.load_workbook(book.path)[identity.sheet][identity.cell(identity.inputs[0],
                                                                           "evidence")]
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(\"http://x\",\"y\")"


def test_regenerating_is_byte_identical_and_adds_no_ledger_rows(issued):
    ws, first, _ = issued
    second = generate_appraisal_sheets(ws)
    assert [w.sha256 for w in second.workbooks] == [w.sha256 for w in first.workbooks]
    assert not any(w.changed for w in second.workbooks)
    assert len(ledger_rows(ws, "SELECT id FROM issued_files WHERE kind = 'appraisal'")) == len(UNITS)


def test_one_workbook_per_unit_type_with_a_sheet_per_unit(ws):
    settings = ws.root / "campaign.yaml"
    settings.write_text(settings.read_text("utf-8").replace("workbooks: per-unit ",
                                                            "workbooks: per-unit-type "), "utf-8")
    ws = open_workspace(ws.root)
    report = generate_appraisal_sheets(ws)
    assert report.mode == "per-unit-type"
    assert [[s.unit_code for s in w.sheets] for w in report.workbooks] == [["SNV", "TTTP"],
                                                                            ["271", "005"]]
    so = report.workbooks[0]
    book = openpyxl.load_workbook(so.path)
    assert book.sheetnames == [COVER_SHEET, "SNV Sở Nội vụ", "TTTP Thanh tra Thành phố", IDENTITY_SHEET]
    assert len(ledger_rows(ws, "SELECT id FROM issued_files WHERE kind = 'appraisal' AND path = ?",
                           so.path.relative_to(ws.root).as_posix())) == 2
    # Each unit sheet has its own verdict: a missing reason on one loses only that unit.
    leaf = read_identities(so.path.read_bytes())[1].inputs[0]
    path = filled(ws, so, {"TTTP": {leaf: Appraised(other_than(ws, "TTTP", leaf))}})
    result = collect_appraisals(ws, [path])
    [file] = result.results
    assert file.status == "rejected" and result.rejected
    assert {u.unit: u.status for u in file.units} == {"SNV": "accepted", "TTTP": "rejected"}
    assert [a.unit for a in current_appraisal(ws)] == ["SNV"]


def test_missing_rule_and_bad_settings_are_reported(ws):
    settings = ws.root / "campaign.yaml"
    text = settings.read_text("utf-8")
    settings.write_text(text.replace("missing: zero ", "missing: exclude "), "utf-8")
    report = generate_appraisal_sheets(open_workspace(ws.root))
    assert {m.rule for m in report.missing} == {"exclude"}
    settings.write_text(text.replace("workbooks: per-unit ", "workbooks: per-district "), "utf-8")
    _, findings = load_settings(settings)
    assert [(f.code, f.item) for f in findings] == [("schema.bad_value", "appraisal")]


# ---- appraise collect ------------------------------------------------------------------------

def test_appraised_scores_round_trip_exactly_with_their_sources(issued):
    ws, _, books = issued
    [identity] = read_identities(books["005"].path.read_bytes())
    scores = self_scores(ws, "005")
    a, b, c = identity.inputs[:3]
    changes = {"005": {a: Appraised(Decimal(0), "Không có tài liệu kiểm chứng."),
                       b: Appraised(scores[b] - Decimal("0.25"), "Trừ 0,25 điểm: báo cáo chậm."),
                       c: Appraised(float(scores[c]))}}
    result = collect_appraisals(ws, [filled(ws, books["005"], changes)])
    assert not result.rejected and result.counts() == {"accepted": 1}
    [appraisal] = current_appraisal(ws)
    got = {s.leaf: s for s in appraisal.scores}
    assert set(got) == set(identity.inputs) and not appraisal.stale
    assert (got[a].appraised, got[a].reason, got[a].self_score) == (0, "Không có tài liệu kiểm chứng.",
                                                                    scores[a])
    assert got[b].appraised == scores[b] - Decimal("0.25") and got[b].adjustment == Decimal("0.25")
    assert all(got[leaf].appraised == scores[leaf] for leaf in identity.inputs if leaf not in (a, b))
    assert (got[a].sheet, got[a].cell) == (identity.sheet, identity.cell(a, "appraised"))
    assert appraisal.archive_path.startswith("archive/") and (ws.root / appraisal.archive_path).is_file()
    assert appraisal.total == sum(scores.values()) - scores[a] - Decimal("0.25")
    assert appraisal.self_total == sum(scores.values())


def test_missing_reason_out_of_range_off_step_and_blank_are_errors(issued):
    ws, _, books = issued
    [identity] = read_identities(books["SNV"].path.read_bytes())
    catalog = ws.catalogs["so"]
    a, b, c, d, e = identity.inputs[:5]
    changes = {"SNV": {a: Appraised(other_than(ws, "SNV", a)),
                       b: Appraised(catalog[b].appraisal + 1, "quá điểm"),
                       c: Appraised(Decimal("0.1"), "lệch bước"), d: Appraised(None),
                       e: Appraised("khá")}}
    result = collect_appraisals(ws, [filled(ws, books["SNV"], changes)])
    assert result.rejected and result.results[0].status == "rejected"
    cell = identity.cell
    assert sorted(projection(result.results[0])) == sorted([
        (identity.sheet, cell(a, "reason"), "appraisal.reason_missing"),
        (identity.sheet, cell(b, "appraised"), "score.out_of_range"),
        (identity.sheet, cell(c, "appraised"), "score.off_step"),
        (identity.sheet, cell(d, "appraised"), "score.missing"),
        (identity.sheet, cell(e, "appraised"), "score.not_a_number")])
    assert current_appraisal(ws) == []
    assert ledger_rows(ws, "SELECT status FROM appraisals") == [("rejected",)]
    assert ledger_rows(ws, "SELECT COUNT(*) FROM appraised_scores") == [(0,)]


def test_a_score_typed_as_text_is_read_with_a_warning(issued):
    ws, _, books = issued
    [identity] = read_identities(books["271"].path.read_bytes())
    leaf = identity.inputs[0]
    shown = format(self_scores(ws, "271")[leaf], "f").replace(".", ",")
    result = collect_appraisals(ws, [filled(ws, books["271"], {"271": {leaf: Appraised(shown)}})])
    assert result.counts() == {"accepted-with-warnings": 1}
    assert [f.code for f in result.results[0].units[0].findings] == ["score.number_as_text"]


def test_appraisal_of_an_older_return_is_stale(issued, tmp_path):
    ws, _, books = issued
    old_book = books["005"]
    early = collect_appraisals(ws, [filled(ws, old_book, folder=tmp_path / "early")])
    assert not early.rejected

    def lower(identity, entries):
        first = identity.inputs[0]
        entries[first] = Entry(Decimal(0), explanation="Đơn vị tự chấm lại.")
    send_returns(ws, tmp_path / "newer", {"005": lower})
    [appraisal] = current_appraisal(ws, ["005"])
    assert appraisal.stale  # recorded against a return that is no longer current
    result = collect_appraisals(ws, [_refill(ws, old_book, tmp_path / "late")])
    assert result.rejected
    assert [f.code for f in result.results[0].units[0].findings] == ["appraisal.stale"]
    renewed = {w.sheets[0].unit_code: w for w in generate_appraisal_sheets(ws).workbooks}["005"]
    assert renewed.sheets[0].form_id != old_book.sheets[0].form_id
    assert not collect_appraisals(ws, [filled(ws, renewed, folder=tmp_path / "renewed")]).rejected
    [appraisal] = current_appraisal(ws, ["005"])
    assert not appraisal.stale and appraisal.form_id == renewed.sheets[0].form_id


def _refill(ws, book, folder: Path) -> Path:
    """The old appraisal workbook filled again (different bytes: one reason more)."""
    data = book.path.read_bytes()
    [identity] = read_identities(data)
    leaf = identity.inputs[-1]
    entries = {"005": {code: Appraised(Decimal(0), "Thiếu hồ sơ.") for code in identity.inputs}}
    entries["005"][leaf] = Appraised(Decimal(0), "Thiếu hồ sơ, lần hai.")
    folder.mkdir()
    path = folder / "late.xlsx"
    path.write_bytes(fill_appraisal(data, entries))
    return path


def test_a_later_file_supersedes_and_history_is_kept(issued, tmp_path):
    ws, _, books = issued
    [identity] = read_identities(books["TTTP"].path.read_bytes())
    leaf = identity.inputs[0]
    first = filled(ws, books["TTTP"], folder=tmp_path / "one")
    second = filled(ws, books["TTTP"], {"TTTP": {leaf: Appraised(Decimal(0), "Điều chỉnh lại.")}},
                    tmp_path / "two")
    assert not collect_appraisals(ws, [first]).rejected
    assert not collect_appraisals(ws, [second]).rejected
    rows = ledger_rows(ws, "SELECT id, status, superseded_by FROM appraisals ORDER BY id")
    assert rows == [(1, "accepted", 2), (2, "accepted", None)]
    [appraisal] = current_appraisal(ws, ["TTTP"])
    assert appraisal.appraisal_id == 2
    assert {s.leaf: s.appraised for s in appraisal.scores}[leaf] == 0
    assert ledger_rows(ws, "SELECT COUNT(*) FROM appraised_scores") == [(2 * len(identity.inputs),)]


def test_a_simulated_council_is_recorded_exactly(issued, tmp_path):
    ws, report, _ = issued
    folder, expected = tmp_path / "council", {}
    folder.mkdir()
    for book in report.workbooks:
        data = book.path.read_bytes()
        [identity] = read_identities(data)
        catalog = ws.catalogs[identity.unit_type]
        entries = simulated_appraisal(identity, catalog, self_scores(ws, identity.unit),
                                      random.Random(identity.unit))
        expected[identity.unit] = {leaf: (e.score, e.reason) for leaf, e in entries.items()}
        (folder / book.path.name).write_bytes(fill_appraisal(data, {identity.unit: entries}))
    assert collect_appraisals(ws, [folder]).counts() == {"accepted": len(UNITS)}
    got = {a.unit: {s.leaf: (s.appraised, s.reason) for s in a.scores} for a in current_appraisal(ws)}
    assert got == expected
    assert any(reason for unit in got.values() for _, reason in unit.values())  # some adjusted


def test_recollecting_changes_nothing(issued, tmp_path):
    ws, _, books = issued
    path = filled(ws, books["SNV"])
    collect_appraisals(ws, [path])
    tables = ("received_files", "receipts", "appraisals", "appraised_scores", "findings")
    before = {t: ledger_rows(ws, f"SELECT COUNT(*) FROM {t}") for t in tables}
    copy = tmp_path / "copy.xlsx"
    shutil.copy(path, copy)
    again = collect_appraisals(ws, [path, copy])
    assert again.counts() == {"duplicate": 2} and not again.rejected
    assert [u.status for u in again.results[0].units] == ["accepted"]
    after = {t: ledger_rows(ws, f"SELECT COUNT(*) FROM {t}") for t in tables}
    assert after == {**before, "receipts": [(before["receipts"][0][0] + 1,)]}  # the copy's receipt


def test_tampering_and_wrong_files_are_rejected(issued, tmp_path):
    ws, _, books = issued
    data = fill_appraisal(books["005"].path.read_bytes(),
                          confirmed(ws, books["005"].path.read_bytes()))
    [identity] = read_identities(data)
    cell = identity.cell(identity.inputs[0], "self")
    tampered = _edit_part(data, "xl/worksheets/sheet2.xml",
                          lambda xml: re.sub(rf'(<c r="{cell}"[^>]*><v>)[^<]*'.encode(),
                                             rb"\g<1>9", xml))
    forged = _edit_part(data, "xl/sharedStrings.xml",
                        lambda xml: xml.replace(b'"unit":"005"', b'"unit":"001"'))
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a-tampered.xlsx").write_bytes(tampered)
    (folder / "b-forged.xlsx").write_bytes(forged)
    (folder / "c-self.xlsx").write_bytes(unit_return(ws, "271", _rescore))
    (folder / "d-notes.txt").write_text("biên bản", "utf-8")
    result = collect_appraisals(ws, [folder])
    outcome = {r.name: r for r in result.results}
    assert result.rejected and all(r.status == "rejected" for r in result.results)
    assert projection(outcome["a-tampered.xlsx"]) == [(identity.sheet, cell,
                                                       "appraisal.self_score_changed")]
    assert [f.code for f in outcome["b-forged.xlsx"].findings] == ["form.bad_signature"]
    assert [f.code for f in outcome["c-self.xlsx"].findings] == ["appraisal.not_appraisal"]
    assert [f.code for f in outcome["d-notes.txt"].findings] == ["file.not_spreadsheet"]
    assert len(list((ws.root / "archive").rglob("*.*"))) >= 4 + len(UNITS)  # everything kept
    assert current_appraisal(ws) == []
    # The unit's return was left pending for the self-assessment intake, which still takes it.
    assert ledger_rows(ws, "SELECT kind, status FROM received_files WHERE original_name = ?",
                       "c-self.xlsx") == [("", "pending")]
    assert collect(ws, [folder / "c-self.xlsx"]).counts() == {"accepted": 1}
    again = collect_appraisals(ws, [folder / "c-self.xlsx"])
    assert again.counts() == {"duplicate": 1}
    assert [f.code for f in again.results[0].findings] == ["file.duplicate", "appraisal.not_appraisal"]


def _rescore(identity, entries):
    first = identity.inputs[0]
    entries[first] = Entry(Decimal(0), explanation="Bản mới.")


def _edit_part(data: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()


def test_a_workbook_resaved_by_another_program_is_still_read_in_parallel(issued):
    ws, _, books = issued
    path = filled(ws, books["271"])
    book = openpyxl.load_workbook(path)
    book.save(path)
    result = collect_appraisals(ws, [path, filled(ws, books["SNV"])], jobs=2)
    assert [r.status for r in result.results] == ["accepted", "accepted"]
    assert [a.unit for a in current_appraisal(ws)] == ["SNV", "271"]


def test_appraisal_files_never_count_as_self_assessment_returns(issued):
    ws, _, books = issued
    before = current_returns(ws)
    collect_appraisals(ws, [filled(ws, books["SNV"])])
    assert current_returns(ws) == before
    assert ledger_rows(ws, "SELECT kind, unit_code FROM received_files WHERE kind = 'appraisal'") == [
        ("appraisal", None)]


# ---- the command line ------------------------------------------------------------------------

def test_cli_sheets_and_collect_json_and_exit_codes(ws, tmp_path):
    result = run_cli("appraise", "sheets", ws.root, "--json")
    assert result.exit_code == 0
    sheets = json.loads(result.stdout)
    assert set(sheets) == {"mode", "missing_rule", "workbooks", "missing"}
    assert {u["unit"] for w in sheets["workbooks"] for u in w["units"]} == set(UNITS)
    assert set(sheets["workbooks"][0]["units"][0]["source"]) == {"received_file_id", "sha256",
                                                                 "form_id"}
    assert set(sheets["missing"][0]) == {"unit", "short_name", "unit_type", "rule"}
    books = {w.sheets[0].unit_code: w for w in generate_appraisal_sheets(ws).workbooks}
    good = filled(ws, books["SNV"], folder=tmp_path / "good")
    result = run_cli("appraise", "collect", ws.root, good, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["counts"] == {"accepted": 1} and report["rejected"] is False
    [unit] = report["files"][0]["units"]
    assert (unit["unit"], unit["status"], unit["scores"]) == ("SNV", "accepted",
                                                              len(read_identities(good.read_bytes())[0].inputs))
    leaf = read_identities(books["005"].path.read_bytes())[0].inputs[0]
    bad = filled(ws, books["005"], {"005": {leaf: Appraised(other_than(ws, "005", leaf))}},
                 tmp_path / "bad")
    result = run_cli("appraise", "collect", ws.root, bad, "--json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["files"][0]["units"][0]["findings"]
    assert finding["code"] == "appraisal.reason_missing" and finding["item"] == leaf
    result = run_cli("appraise", "collect", ws.root, bad)
    assert result.exit_code == 0 and "đã nhận trước đó" in result.stdout  # a duplicate
    assert run_cli("appraise", "sheets", tmp_path / "nowhere").exit_code == 2


@pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")
def test_a_unit_type_workbook_resaved_by_libreoffice_keeps_every_unit_exact(ws, tmp_path):
    settings = ws.root / "campaign.yaml"
    settings.write_text(settings.read_text("utf-8").replace("workbooks: per-unit ",
                                                            "workbooks: per-unit-type "), "utf-8")
    ws = open_workspace(ws.root)
    district = generate_appraisal_sheets(ws).workbooks[1]
    changes = {}
    for identity in read_identities(district.path.read_bytes()):
        leaf = identity.inputs[1]
        changes[identity.unit] = {leaf: Appraised(other_than(ws, identity.unit, leaf),
                                                  "Lý do & <kiểm tra> “ngoặc”")}
    path = filled(ws, district, changes, tmp_path / "council")
    resaved = convert(path, "xlsx", tmp_path / "resaved")
    result = collect_appraisals(ws, [resaved])
    assert [(u.unit, u.status) for u in result.results[0].units] == [("271", "accepted"),
                                                                      ("005", "accepted")]
    for appraisal in current_appraisal(ws):
        [(leaf, change)] = changes[appraisal.unit].items()
        got = {s.leaf: s for s in appraisal.scores}
        assert (got[leaf].appraised, got[leaf].reason) == (change.score, change.reason)
        assert all(s.appraised == s.self_score for s in appraisal.scores if s.leaf != leaf)

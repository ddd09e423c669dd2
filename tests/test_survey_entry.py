"""Entry workbooks: layout, protection, dropdowns, identity, printing, determinism, round trip."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import unicodedata
import zipfile

import openpyxl
import pytest
from conftest import run_cli

from formkit.forms.identity import IDENTITY_SHEET, sign, verify
from formkit.intake.xlsx import read_workbook
from formkit.office import convert, find_libreoffice
from formkit.survey import entry_read
from formkit.survey.answers import collect_entries
from formkit.survey.doubleentry import valid_answers
from formkit.survey.entry import (
    CODES_ROW,
    FIRST_ROW,
    HEADER_ROW,
    SURVEY_ENTRY,
    EntryFactory,
    EntryIdentity,
    generate_entry_workbooks,
)
from formkit.survey.entry_check import identity_text
from formkit.survey.entry_read import read_entry_sheets
from formkit.survey.entry_simulate import Keyed, simulate_entry
from formkit.survey.entry_workbook import LISTS_SHEET, PAYLOAD_CHUNK, EntryBookSpec, build_entry_workbook
from formkit.survey.serials import issued_serials
from formkit.workspace import init_workspace, open_workspace


@pytest.fixture(scope="session")
def entries(tmp_path_factory):
    """Every unit's entry workbooks (two copies each) of the example campaign, generated once."""
    root = tmp_path_factory.mktemp("entry") / "cchc-2020"
    init_workspace(root)
    workspace = open_workspace(root)
    issued = generate_entry_workbooks(workspace)
    return workspace, {(e.unit_code, e.copy): e for e in issued}


def identity_of(path) -> EntryIdentity:
    sheets, _ = read_entry_sheets(path.read_bytes(), path.name)
    return EntryIdentity.from_payload(identity_text(sheets[IDENTITY_SHEET])[0])


def test_two_copies_per_unit_recorded_with_every_issued_serial_once(entries):
    workspace, issued = entries
    units = [u.code for u in workspace.sorted_units() if u.unit_type in workspace.surveys]
    assert sorted(issued) == sorted((u, c) for u in units for c in (1, 2))
    conn = sqlite3.connect(workspace.ledger_path)
    rows = conn.execute("SELECT unit_code, form_id, catalog_hash, path, sha256 FROM issued_files "
                        "WHERE kind = ?", (SURVEY_ENTRY,)).fetchall()
    conn.close()
    assert len(rows) == len(issued) == len({r[1] for r in rows})
    by_form = {e.form_id: e for e in issued.values()}
    for unit, form_id, survey_hash, path, sha256 in rows:
        entry = by_form[form_id]
        assert (unit, sha256) == (entry.unit_code, entry.sha256)
        assert (workspace.root / path).read_bytes() == entry.path.read_bytes()
        assert survey_hash == workspace.surveys[workspace.unit(unit).unit_type].content_hash
    for code in ("005", "SNV"):
        identity = identity_of(issued[code, 1].path)
        laid_out = [s for sheet in identity.sheets for s in sheet.serials]
        assert laid_out == [s.text for s in issued_serials(workspace, unit=code)]
        assert identity_of(issued[code, 2].path).sheets == identity.sheets  # same layout, copy 2
        assert "Nhập phiếu khảo sát 2020 - bản nhập 1" in issued[code, 1].path.name


def test_prefilled_locked_rows_and_exactly_the_input_cells_unlocked(entries):
    workspace, issued = entries
    path = issued["005", 1].path
    identity = identity_of(path)
    book = openpyxl.load_workbook(path)
    assert book.security.lockStructure
    states = {s.title: s.sheet_state for s in book.worksheets}
    assert states[LISTS_SHEET] == "hidden" and states[IDENTITY_SHEET] == "veryHidden"
    assert all(s.protection.sheet and s.protection.password for s in book.worksheets)
    survey = workspace.surveys["district"]
    for layout in identity.sheets:
        sheet = book[layout.sheet]
        group = survey.group(layout.group)
        assert [sheet.cell(HEADER_ROW, c).value for c in range(3, 3 + len(group.questions))] == [
            q.code for q in group.questions]
        expected = set()
        for serial, row in layout.rows().items():
            assert sheet[f"B{row}"].value == serial and sheet[f"B{row}"].protection.locked
            expected |= {f"{col}{row}" for col in (*layout.columns.values(), layout.keyed_by,
                                                   layout.status)}
        unlocked = {c.coordinate for row in sheet.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == expected
        assert sheet[f"{layout.keyed_by}{HEADER_ROW}"].value == "Người nhập"
        comment = sheet.cell(HEADER_ROW, 3).comment.text
        assert group.questions[0].text[:40] in comment and "Không" in comment
        codes = " ".join(o.code for o in survey.scale(group.questions[0].scale).options)
        assert sheet.cell(CODES_ROW, 3).value == codes


def test_dropdowns_use_named_lists_on_the_hidden_sheet(entries):
    workspace, issued = entries
    path = issued["SNV", 2].path
    identity = identity_of(path)
    book = openpyxl.load_workbook(path)
    lists = book[LISTS_SHEET]
    survey = workspace.surveys["so"]
    names = {}
    for name, defined in book.defined_names.items():
        names[name] = defined.value
    for layout in identity.sheets:
        sheet = book[layout.sheet]
        covered = {}
        for validation in sheet.data_validations.dataValidation:
            for cell_range in validation.sqref.ranges:
                covered[cell_range.coord] = validation
        for question in survey.group(layout.group).questions:
            column = layout.columns[question.code]
            validation = covered[f"{column}{FIRST_ROW}:{column}{layout.last_row}"]
            assert validation.type == "list" and validation.showErrorMessage
            assert validation.formula1.startswith("FK_Scale_")  # a name, never a literal list
            ref = names[validation.formula1].split("!")[1].replace("$", "")
            values = [c.value for row in lists[ref] for c in row]
            assert values == [o.code for o in survey.scale(question.scale).options]
            assert validation.errorTitle == "Mã không hợp lệ"
        status = covered[f"{layout.status}{FIRST_ROW}:{layout.status}{layout.last_row}"]
        assert status.type == "list" and status.formula1 == "FK_Status"


def test_fonts_frozen_panes_and_print_setup(entries):
    _, issued = entries
    path = issued["271", 1].path
    identity = identity_of(path)
    sheet = openpyxl.load_workbook(path)[identity.sheets[0].sheet]
    assert sheet.freeze_panes == f"C{FIRST_ROW}"
    assert sheet.print_title_rows == f"${HEADER_ROW}:${CODES_ROW}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
    assert identity.form_id in sheet.oddFooter.center.text
    assert {sheet.cell(r, c).font.name for r in range(1, 10) for c in range(1, 8)} == {"Times New Roman"}


def test_identity_is_signed_and_mirrored(entries):
    workspace, issued = entries
    path = issued["005", 2].path
    book = openpyxl.load_workbook(path)
    payload = book[IDENTITY_SHEET]["A2"].value
    signature = book[IDENTITY_SHEET]["A3"].value
    assert verify(payload, signature, workspace.secret())
    identity = EntryIdentity.from_payload(payload)
    assert (identity.kind, identity.unit, identity.copy, identity.campaign) == (
        SURVEY_ENTRY, "005", 2, "hanoi-cchc-2020")
    for position in (0, len(payload) // 2, len(payload) - 1):
        changed = payload[:position] + chr(ord(payload[position]) ^ 1) + payload[position + 1:]
        assert not verify(changed, signature, workspace.secret())
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties["formkit_form_id"] == identity.form_id
    assert properties["formkit_kind"] == SURVEY_ENTRY and properties["formkit_copy"] == "2"
    assert properties["formkit_signature"] == signature
    assert book.defined_names["FK_FormId"].value == f'"{identity.form_id}"'


def test_a_long_layout_continues_over_several_identity_cells(entries):
    workspace, _ = entries
    factory = EntryFactory(workspace)
    unit, survey = workspace.unit("005"), workspace.surveys["district"]
    pairs = [("NGUOI-DAN", f"005-NGUOI-DAN-{n:04d}-X") for n in range(1, 1500)]
    identity = factory.identity(unit, survey, pairs, 1, 1, 1)
    payload = identity.payload()
    assert len(payload) > PAYLOAD_CHUNK
    data = build_entry_workbook(EntryBookSpec(workspace.settings, unit, survey, identity, payload,
                                              sign(payload, factory.secret)))
    sheets, findings = read_entry_sheets(data, "big.xlsx")
    assert not findings
    assert identity_text(sheets[IDENTITY_SHEET]) == (payload, sign(payload, factory.secret))


def test_same_workspace_same_bytes_rerun_rewrites_nothing(entries, tmp_path):
    workspace, issued = entries
    copy = tmp_path / "copy"
    shutil.copytree(workspace.root, copy)
    shutil.rmtree(copy / "out" / "survey-entry")
    again = generate_entry_workbooks(open_workspace(copy), ["005", "SNV"])
    assert all(e.changed and e.path.read_bytes() == issued[e.unit_code, e.copy].path.read_bytes()
               for e in again)
    assert not any(e.changed for e in generate_entry_workbooks(open_workspace(copy), ["005", "SNV"]))
    conn = sqlite3.connect(copy / "ledger.sqlite")
    count = conn.execute("SELECT count(*) FROM events WHERE kind = 'survey.entry_issued'").fetchone()[0]
    conn.close()
    assert count == len(issued)


def test_batches_split_a_units_serials_in_issue_order(entries, tmp_path):
    workspace, _ = entries
    copy = tmp_path / "copy"
    shutil.copytree(workspace.root, copy)
    batched = generate_entry_workbooks(open_workspace(copy), ["005"], batch_size=7)
    serials = [s.text for s in issued_serials(workspace, unit="005")]
    assert [(e.batch, e.copy) for e in batched] == [(b, c) for b in (1, 2, 3) for c in (1, 2)]
    assert [e.serials for e in batched if e.copy == 1] == [7, 7, len(serials) - 14]
    laid_out = [s for e in batched if e.copy == 1 for sheet in identity_of(e.path).sheets
                for s in sheet.serials]
    assert laid_out == serials
    assert "lô 02 - bản nhập 1" in batched[2].path.name


def every_code(identity: EntryIdentity, survey) -> dict[str, Keyed]:
    """Each question cycles through all its scale's codes (no-answer included) over the rows."""
    keyed = {}
    for layout in identity.sheets:
        group = survey.group(layout.group)
        for index, serial in enumerate(layout.serials):
            answers = {}
            for offset, question in enumerate(group.questions):
                options = survey.scale(question.scale).options
                answers[question.code] = options[(index + offset) % len(options)].code
            keyed[serial] = Keyed(answers, keyed_by=f"Cán bộ nhập số {index + 1}")
    return keyed


def expected_rows(identity: EntryIdentity, keyed: dict[str, Keyed]) -> list[tuple]:
    return sorted((identity.unit, layout.group, serial, q, code) for layout in identity.sheets
                  for serial in layout.serials for q, code in keyed[serial].answers.items())


def test_entry_workbooks_round_trip_with_exact_values(workspace, tmp_path):
    ws = open_workspace(workspace)
    generate_entry_workbooks(ws, ["005", "SNV"])
    factory = EntryFactory(ws)
    expected, files = [], []
    for code in ("005", "SNV"):
        unit = ws.unit(code)
        identity = factory.identities(unit)[0]
        keyed = every_code(identity, ws.surveys[unit.unit_type])
        path = tmp_path / f"{code}.xlsx"
        path.write_bytes(simulate_entry(factory.workbook(unit, identity), identity, keyed))
        files.append(path)
        expected += expected_rows(identity, keyed)
    report = collect_entries(ws, files)
    assert [r.status for r in report.results] == ["accepted", "accepted"]
    assert [tuple(r) for r in valid_answers(ws).itertuples(index=False)] == sorted(expected)


def test_a_file_saved_again_by_openpyxl_reads_the_same(workspace, tmp_path):
    ws = open_workspace(workspace)
    factory = EntryFactory(ws)
    unit = ws.unit("271")
    identity = factory.identities(unit)[0]
    keyed = every_code(identity, ws.surveys["district"])
    book = openpyxl.load_workbook(io.BytesIO(factory.workbook(unit, identity)))
    for layout in identity.sheets:
        for serial, row in layout.rows().items():
            for question, code in keyed[serial].answers.items():
                book[layout.sheet][f"{layout.columns[question]}{row}"] = code
            book[layout.sheet][f"{layout.keyed_by}{row}"] = keyed[serial].keyed_by
    path = tmp_path / "resaved.xlsx"
    book.save(path)
    report = collect_entries(ws, [path])
    assert report.results[0].status == "accepted", report.results[0].findings
    assert [tuple(r) for r in valid_answers(ws).itertuples(index=False)] == expected_rows(identity, keyed)
    assert entry_read._scan(path.read_bytes(), "x.xlsx", frozenset()) is None  # inline text: full reader


@pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")
def test_a_file_saved_again_by_libreoffice_reads_the_same(workspace, tmp_path):
    ws = open_workspace(workspace)
    factory = EntryFactory(ws)
    unit = ws.unit("SNV")
    identity = factory.identities(unit)[0]
    keyed = every_code(identity, ws.surveys["so"])
    source = tmp_path / "typed" / "entry.xlsx"
    source.parent.mkdir()
    source.write_bytes(simulate_entry(factory.workbook(unit, identity), identity, keyed))
    resaved = convert(source, "xlsx", tmp_path / "lo")
    with zipfile.ZipFile(resaved) as archive:
        assert b"LibreOffice" in archive.read("docProps/app.xml")
    assert_scan_matches_full_reader(resaved.read_bytes())
    report = collect_entries(ws, [resaved])
    assert report.results[0].status == "accepted", report.results[0].findings
    assert [tuple(r) for r in valid_answers(ws).itertuples(index=False)] == expected_rows(identity, keyed)


def assert_scan_matches_full_reader(data: bytes) -> None:
    """The values-only scan took the file and read exactly what the intake's reader reads."""
    scanned = entry_read._scan(data, "x.xlsx", frozenset())
    assert scanned is not None
    workbook, findings = read_workbook(data, "x.xlsx")
    assert not findings
    assert scanned == {name: entry_read._values(sheet) for name, sheet in workbook.sheets.items()}


def test_the_values_scan_reads_what_the_full_reader_reads(entries, tmp_path):
    workspace, _ = entries
    factory = EntryFactory(workspace)
    unit = workspace.unit("SNV")
    identity = factory.identities(unit)[0]
    keyed = every_code(identity, workspace.surveys["so"])
    names = ["Lê Thị Hà & Cộng sự <nhóm 1>", unicodedata.normalize("NFD", "Nguyễn Văn Ất"), '"Bình"',
             "Trần  Văn\tMinh"]
    for n, serial in enumerate(keyed):
        keyed[serial] = Keyed(keyed[serial].answers, keyed_by=names[n % len(names)])
    data = simulate_entry(factory.workbook(unit, identity), identity, keyed)
    assert_scan_matches_full_reader(data)
    sheets, _ = read_entry_sheets(data, "x.xlsx")
    first = identity.sheets[0]
    assert sheets[first.sheet].values[f"{first.keyed_by}{first.first_row}"] == unicodedata.normalize(
        "NFC", names[0])
    book = openpyxl.load_workbook(io.BytesIO(data))
    book[first.sheet][f"C{first.first_row}"] = "=B5"
    with_formula = io.BytesIO()
    book.save(with_formula)
    assert entry_read._scan(with_formula.getvalue(), "x.xlsx", frozenset()) is None  # the full reader
    sheets, _ = read_entry_sheets(with_formula.getvalue(), "x.xlsx")
    assert sheets[first.sheet].values[f"C{first.first_row}"] == "=B5"


def test_cli_entry_json_and_unknown_unit(workspace):
    result = run_cli("survey", "entry", workspace, "--unit", "005", "--batch", "10", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert {(e["batch"], e["copy"]) for e in listed} == {(b, c) for b in (1, 2) for c in (1, 2)}
    assert set(listed[0]) == {"unit", "form_id", "copy", "batch", "serials", "path", "sha256", "changed"}
    text = run_cli("survey", "entry", workspace, "--unit", "005", "--batch", "10")
    assert text.exit_code == 0 and "0 tệp mới hoặc thay đổi" in text.output
    bad = run_cli("survey", "entry", workspace, "--unit", "999")
    assert bad.exit_code == 2 and "999" in bad.output

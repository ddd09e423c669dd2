"""Batch intake end to end: a corpus of returns generated here, every one accounted for."""

from __future__ import annotations

import io
import json
import random
import shutil
import sqlite3
import zipfile
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from formkit.forms import FormFactory, generate_forms
from formkit.forms.layout import SCORING_SHEET
from formkit.intake.collect import collect
from formkit.intake.current import current_returns
from formkit.office import convert, find_libreoffice
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.workspace import init_workspace, open_workspace


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workspace with all forms issued; tests work on copies of it."""
    root = tmp_path_factory.mktemp("intake") / "cchc-2020"
    init_workspace(root)
    generate_forms(open_workspace(root))
    return root


@pytest.fixture
def ws(prepared, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(prepared, root)
    return open_workspace(root)


def form(ws, unit_code: str):
    """(identity, catalog, bytes) of a unit's issued form."""
    factory = FormFactory(ws)
    identity, data = factory.workbook(ws.unit(unit_code))
    return identity, ws.catalogs[ws.unit(unit_code).unit_type], data


def good_entries(identity, catalog):
    return simulated_entries(identity, catalog, random.Random(identity.unit))


def filled(ws, unit_code: str, change=None, recalculate: bool = True) -> bytes:
    identity, catalog, data = form(ws, unit_code)
    entries = good_entries(identity, catalog)
    if change:
        change(identity, catalog, entries)
    return fill_form(data, identity, catalog, entries, recalculate)


def with_openpyxl(data: bytes, edit) -> bytes:
    """A return edited by a program that rewrites the whole file (here openpyxl)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book[SCORING_SHEET])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def set_entry(code_index: int, **fields):
    def change(identity, catalog, entries):
        code = identity.inputs[code_index]
        entries[code] = Entry(**{**entries[code].__dict__, **fields})
    return change


def outcome(report, name: str):
    [result] = [r for r in report.results if r.name == name]
    return result.status, sorted({f.code for f in result.findings})


def write_corpus(ws, folder: Path) -> dict[str, tuple[str, list[str]]]:
    """Files as units send them; each with its expected status and finding codes."""
    folder.mkdir()
    cases: dict[str, tuple[bytes, str, list[str]]] = {
        "005 - Cầu Giấy.xlsx": (filled(ws, "005"), "accepted", []),
        "Sở Nội vụ - số dạng chữ.xlsx": (filled(ws, "SNV", set_entry(0, score="0,5")),
                                         "accepted-with-warnings", ["score.number_as_text"]),
        "006 vượt điểm.xlsx": (filled(ws, "006", set_entry(1, score=Decimal(9))), "rejected",
                               ["score.out_of_range"]),
        "007 lệch bước.xlsx": (filled(ws, "007", set_entry(0, score=Decimal("0.3"))), "rejected",
                               ["score.off_step"]),
        "008 thiếu điểm.xlsx": (filled(ws, "008", set_entry(2, score=None)), "rejected",
                                ["score.missing"]),
        "009 không kiểm chứng.xlsx": (filled(ws, "009", set_entry(0, evidence="", explanation="")),
                                      "rejected", ["score.no_justification"]),
        "016 quá dài.xlsx": (filled(ws, "016", set_entry(0, explanation="x" * 1500)), "rejected",
                             ["text.too_long"]),
        "017 TCVN3.xlsx": (_tcvn3_return(ws), "accepted", ["text.legacy_encoding"]),
        "018 công thức chữ.xlsx": (filled(ws, "018", set_entry(0, evidence="=Quyết định 12")),
                                   "accepted", ["text.formula_like"]),
        "019 tổng sai.xlsx": (_stale_total(ws), "accepted-with-warnings", ["total.cached_mismatch"]),
        "020 công thức.xlsx": (_formula_return(ws), "rejected", ["cell.formula"]),
        "021 chèn hàng.xlsx": (with_openpyxl(filled(ws, "021"), lambda s: s.insert_rows(12)),
                               "rejected", ["form.rows_moved"]),
        "250 sửa nội dung.xlsx": (with_openpyxl(filled(ws, "250"), _edit_text), "rejected",
                                  ["form.locked_changed"]),
        "268 gỡ bảo vệ.xlsx": (with_openpyxl(filled(ws, "268"), _unprotect),
                               "accepted-with-warnings", ["form.unprotected"]),
        "bảng tính khác.xlsx": (_plain_workbook(), "rejected", ["form.no_identity"]),
        "271 sửa nhận dạng.xlsx": (_tampered(ws), "rejected", ["form.bad_signature"]),
        "rỗng.xlsx": (b"", "rejected", ["file.empty"]),
        "công văn.pdf": (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "rejected",
                         ["file.not_spreadsheet"]),
        "272 bị cắt.xlsx": (filled(ws, "272")[:5000], "rejected", ["file.corrupt"]),
    }
    for name, (data, _, _) in cases.items():
        (folder / name).write_bytes(data)
    return {name: (status, codes) for name, (_, status, codes) in cases.items()}


def _tcvn3_return(ws) -> bytes:
    def edit(sheet):
        cell = sheet["H9"]
        cell.value = "KÕ ho¹ch sè 05/KH-UBND ngµy 10/01/2020"
        cell.font = openpyxl.styles.Font(name=".VnTime")
    return with_openpyxl(filled(ws, "017"), edit)


def _stale_total(ws) -> bytes:
    """Saved by a program that does not recalculate: the stored totals are still 0."""
    return filled(ws, "019", recalculate=False)


def _formula_return(ws) -> bytes:
    identity, _, _ = form(ws, "020")
    cell = identity.cell(identity.inputs[0], "score")
    return with_openpyxl(filled(ws, "020"), lambda s: s.__setitem__(cell, "=0.5+0.5"))


def _edit_text(sheet):
    sheet["B9"] = "Nội dung đã bị sửa"


def _unprotect(sheet):
    sheet.protection.sheet = False


def _plain_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Báo cáo tự đánh giá"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _tampered(ws) -> bytes:
    return _swap_unit(filled(ws, "271"))


def _swap_unit(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, content.replace(b'"unit":"271"', b'"unit":"272"'))
    return out.getvalue()


def ledger_counts(ws) -> dict[str, int]:
    conn = sqlite3.connect(ws.ledger_path)
    counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("received_files", "receipts", "findings", "scores", "events")}
    conn.close()
    return counts


def test_every_class_gets_its_status_and_findings(ws, tmp_path):
    expected = write_corpus(ws, tmp_path / "returns")
    report = collect(ws, [tmp_path / "returns"])
    assert len(report.results) == len(expected)
    for name, (status, codes) in expected.items():
        got_status, got_codes = outcome(report, name)
        assert (name, got_status) == (name, status)
        assert set(codes) <= set(got_codes), (name, got_codes)
        if status == "accepted" and not codes:
            assert got_codes == []
    counts = ledger_counts(ws)
    assert counts["receipts"] == counts["received_files"] == len(expected)


def test_genuine_returns_read_back_with_exact_values(ws, tmp_path):
    identity, catalog, data = form(ws, "005")
    entries = good_entries(identity, catalog)
    (tmp_path / "r.xlsx").write_bytes(fill_form(data, identity, catalog, entries))
    report = collect(ws, [tmp_path / "r.xlsx"])
    assert report.results[0].status == "accepted"
    [current] = current_returns(ws, ["005"])
    got = {s.leaf: (s.score, s.evidence, s.explanation, s.cell) for s in current.scores}
    assert got == {code: (Decimal(str(e.score)), e.evidence, e.explanation,
                          identity.cell(code, "score")) for code, e in entries.items()}
    result = run_cli("scores", ws.root, "--unit", "005", "--json")
    [listed] = json.loads(result.stdout)
    assert listed["file"]["archive"].startswith("archive/")
    first = listed["scores"][0]
    assert first["source"] == {"archive": listed["file"]["archive"], "sheet": SCORING_SHEET,
                               "cell": identity.cell(first["criterion"], "score")}


def test_collecting_twice_changes_nothing_and_reports_duplicates(ws, tmp_path):
    write_corpus(ws, tmp_path / "returns")
    collect(ws, [tmp_path / "returns"])
    before = ledger_counts(ws)
    again = collect(ws, [tmp_path / "returns"])
    assert {r.status for r in again.results} == {"duplicate"}
    assert ledger_counts(ws) == before


def test_jobs_2_gives_the_same_outcomes_as_jobs_1(prepared, tmp_path):
    outcomes = []
    for jobs in (1, 2):
        root = tmp_path / f"ws{jobs}"
        shutil.copytree(prepared, root)
        ws = open_workspace(root)
        write_corpus(ws, tmp_path / f"returns{jobs}")
        report = collect(ws, [tmp_path / f"returns{jobs}"], jobs=jobs)
        outcomes.append(sorted((r.name, r.status, tuple(sorted(f.code for f in r.findings)))
                               for r in report.results))
        counts = ledger_counts(ws)
        assert counts["receipts"] == len(report.results)
    assert outcomes[0] == outcomes[1]


def test_a_later_accepted_return_supersedes_the_earlier_one(ws, tmp_path):
    first = filled(ws, "005")
    second = filled(ws, "005", set_entry(0, score=Decimal(0), evidence="", explanation="Không đạt"))
    (tmp_path / "a.xlsx").write_bytes(first)
    collect(ws, [tmp_path / "a.xlsx"])
    (tmp_path / "b.xlsx").write_bytes(second)
    collect(ws, [tmp_path / "b.xlsx"])
    [current] = current_returns(ws, ["005"])
    assert current.original_name == "b.xlsx"
    conn = sqlite3.connect(ws.ledger_path)
    rows = conn.execute("SELECT original_name, superseded_by FROM received_files ORDER BY id").fetchall()
    conn.close()
    assert rows[0][0] == "a.xlsx" and rows[0][1] is not None and rows[1][1] is None


def test_eml_attachments_are_inputs_and_a_foreign_sender_is_a_warning(ws, tmp_path):
    message = EmailMessage()
    message["From"] = "Văn thư <someone@gmail.example>"
    message["To"] = "cchc.snv@hanoi.example"
    message["Subject"] = "Gửi biểu tự đánh giá"
    message["Date"] = "Mon, 21 Dec 2020 09:30:00 +0700"
    message.set_content("Kính gửi Sở Nội vụ")
    message.add_attachment(filled(ws, "005"), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename="Biểu tự đánh giá - Cầu Giấy.xlsx")
    (tmp_path / "thu.eml").write_bytes(message.as_bytes())
    report = collect(ws, [tmp_path / "thu.eml"])
    [result] = report.results
    assert result.name == "Biểu tự đánh giá - Cầu Giấy.xlsx"
    assert (result.status, [f.code for f in result.findings]) == ("accepted-with-warnings",
                                                                  ["form.sender_mismatch"])


def test_mutated_files_are_all_accounted_for(ws, tmp_path):
    """Random damage to real returns: every file gets a status, none is lost, nothing raises."""
    rng = random.Random(7)
    data = filled(ws, "001")
    folder = tmp_path / "damaged"
    folder.mkdir()
    for n in range(25):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        (folder / f"hỏng-{n:02d}.xlsx").write_bytes(bytes(damaged))
    report = collect(ws, [folder], jobs=2)
    assert len(report.results) == 25
    assert all(r.status in {"accepted", "accepted-with-warnings", "rejected", "duplicate"}
               for r in report.results)
    assert ledger_counts(ws)["receipts"] == 25


def test_cli_collect_json_and_exit_codes(ws, tmp_path):
    (tmp_path / "ok.xlsx").write_bytes(filled(ws, "005"))
    result = run_cli("collect", ws.root, tmp_path / "ok.xlsx", "--json")
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)["inputs"]
    assert set(entry) >= {"input", "sha256", "status", "unit", "form_id", "findings"}
    assert entry["status"] == "accepted" and entry["unit"] == "005"
    (tmp_path / "bad.xlsx").write_bytes(b"")
    bad = run_cli("collect", ws.root, tmp_path / "bad.xlsx", "--json")
    assert bad.exit_code == 1
    [finding] = json.loads(bad.stdout)["inputs"][0]["findings"]
    assert set(finding) == {"code", "severity", "sheet", "cell", "criterion", "message"}


@pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")
def test_a_return_resaved_by_libreoffice_is_accepted_with_exact_values(ws, tmp_path):
    identity, catalog, data = form(ws, "SNV")
    entries = good_entries(identity, catalog)
    source = tmp_path / "in" / "snv.xlsx"
    source.parent.mkdir()
    source.write_bytes(fill_form(data, identity, catalog, entries))
    resaved = convert(source, "xlsx", tmp_path / "resaved")
    report = collect(ws, [resaved])
    [result] = report.results
    assert result.status == "accepted", [f.describe() for f in result.findings]
    [current] = current_returns(ws, ["SNV"])
    assert {s.leaf: s.score for s in current.scores} == {
        code: Decimal(str(e.score)) for code, e in entries.items()}


def _form_from_variant(prepared: Path, tmp_path: Path, unit_code: str, edit) -> bytes:
    """A form issued by a variant of the workspace (same secret), filled by the unit."""
    variant = tmp_path / "variant"
    shutil.copytree(prepared, variant)
    edit(variant)
    ws = open_workspace(variant)
    return filled(ws, unit_code)


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("case, unit_code, edit, code", [
    ("another campaign", "005",
     lambda root: _replace_in(root / "campaign.yaml", "id: hanoi-cchc-2020", "id: hanoi-cchc-2021"),
     "form.wrong_campaign"),
    ("a unit unknown here", "999",
     lambda root: _replace_in(root / "units" / "hanoi.yaml", 'code: "282"', 'code: "999"'),
     "form.unknown_unit"),
    ("an older catalogue", "005",
     lambda root: _replace_in(root / "catalogs" / "hanoi-district-2020.yaml",
                              "text: Công tác chỉ đạo, điều hành cải cách hành chính",
                              "text: Công tác chỉ đạo và điều hành cải cách hành chính"),
     "form.catalog_changed"),
], ids=["campaign", "unit", "catalogue"])
def test_forms_that_verify_but_do_not_belong_here_are_rejected(prepared, ws, tmp_path, case,
                                                                unit_code, edit, code):
    data = _form_from_variant(prepared, tmp_path, unit_code, edit)
    (tmp_path / "x.xlsx").write_bytes(data)
    report = collect(ws, [tmp_path / "x.xlsx"])
    assert outcome(report, "x.xlsx") == ("rejected", [code])


def test_a_survey_entry_workbook_given_to_collect_points_to_the_right_command(ws, tmp_path):
    from formkit.survey.entry import generate_entry_workbooks

    entry = generate_entry_workbooks(ws, ["005"])[0]
    report = collect(ws, [entry.path])
    [result] = report.results
    assert (result.status, [f.code for f in result.findings]) == ("rejected", ["form.wrong_kind"])
    assert "formkit survey collect" in result.findings[0].message

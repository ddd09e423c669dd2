"""Collecting entry workbooks: every rule with its finding code, double entry, idempotence."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from formkit.forms import FormFactory
from formkit.intake.collect import collect
from formkit.survey.answers import collect_entries
from formkit.survey.doubleentry import disagreements, questionnaire_states, valid_answers
from formkit.survey.entry import NOT_RETURNED, EntryFactory, EntryIdentity
from formkit.survey.entry_rows import no_answer_code
from formkit.survey.entry_simulate import Keyed, simulate_entry
from formkit.survey.questionnaire import AnswerOption, Scale
from formkit.survey.serials import issued_serials
from formkit.workspace import init_workspace, open_workspace


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("answers") / "cchc-2020"
    init_workspace(root)
    return root


@pytest.fixture
def ws(base, tmp_path):
    root = tmp_path / "cchc-2020"
    shutil.copytree(base, root)
    return open_workspace(root)


class Unit:
    """One unit's two entry copies, as issued, and files typed into them."""

    def __init__(self, ws, code: str = "005") -> None:
        self.ws, self.factory, self.unit = ws, EntryFactory(ws), ws.unit(code)
        self.survey = ws.surveys[self.unit.unit_type]
        self.ids = {i.copy: i for i in self.factory.identities(self.unit)}
        self.data = {c: self.factory.workbook(self.unit, i) for c, i in self.ids.items()}

    def sheet(self, group: str):
        return next(s for s in self.ids[1].sheets if s.group == group)

    def answers(self, serial_index: int, group: str) -> dict[str, str]:
        answers = {}
        for n, question in enumerate(self.survey.group(group).questions):
            codes = [o.code for o in self.survey.scale(question.scale).options if not o.is_no_answer]
            answers[question.code] = codes[(serial_index + n) % len(codes)]
        return answers

    def keyed(self, clerk: str = "Lan") -> dict[str, Keyed]:
        return {serial: Keyed(self.answers(i, s.group), keyed_by=clerk)
                for s in self.ids[1].sheets for i, serial in enumerate(s.serials)}

    def file(self, folder: Path, name: str, copy: int, keyed: dict[str, Keyed], cells=None) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(simulate_entry(self.data[copy], self.ids[copy], keyed, cells))
        return path


def where(findings, severities=("error", "warning", "info")) -> set[tuple]:
    return {(f.code, f.sheet, f.cell) for f in findings if f.severity.value in severities}


def table(ws, sql: str, *params):
    conn = sqlite3.connect(ws.ledger_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_every_row_rule_with_its_finding_code(ws, tmp_path):
    u = Unit(ws)
    d, c, x, t = (u.sheet(g) for g in ("DBHDND-HUYEN", "CBCCVC-HUYEN", "LD-UBND-XA", "TC-CN-TTHC"))
    keyed = {}
    keyed[d.serials[0]] = Keyed({**u.answers(0, d.group), "Q01": "a", "Q02": " B "}, "Lan")
    keyed[d.serials[1]] = Keyed({**u.answers(1, d.group), "Q03": "Z"}, "Lan")  # row 8 stays blank
    keyed[c.serials[0]] = Keyed({}, "Lan", NOT_RETURNED)
    keyed[c.serials[1]] = Keyed({"Q01": "A"}, "Lan", NOT_RETURNED)
    keyed[c.serials[2]] = Keyed({**u.answers(2, c.group), "Q05": None, "Q06": None}, "Lan")
    keyed[x.serials[1]] = Keyed(u.answers(1, x.group), "Lan")
    keyed[t.serials[0]] = Keyed({**u.answers(0, t.group), "Q01": 5, "Q02": "C"}, "Lan", "Đã nhận")
    other = next(s.text for s in issued_serials(ws, unit="001") if s.group == x.group)
    cells = {x.sheet: {"B6": x.serials[1], "B8": "XYZ", "C8": "A", "B9": other, "C9": "A",
                       "B10": "005-LD-UBND-XA-0099-Q", "C10": "B", "B11": x.serials[1], "D11": "C"}}
    path = u.file(tmp_path, "nhap.xlsx", 1, keyed, cells)
    result = collect_entries(ws, [path]).results[0]
    assert result.status == "accepted-with-warnings"  # row problems keep rows out, not the file
    assert where(result.findings) == {
        ("survey.code_case", d.sheet, "C6"),
        ("survey.invalid_code", d.sheet, "E7"),
        ("survey.not_returned", d.sheet, "B8"),
        ("survey.not_returned", c.sheet, "B6"),
        ("survey.status_conflict", c.sheet, f"{c.status}7"),
        ("survey.partly_answered", c.sheet, "B8"),
        ("survey.duplicate_serial", x.sheet, "B6"),
        ("survey.serial_moved", x.sheet, "B8"),
        ("survey.serial_not_in_file", x.sheet, "B9"),
        ("survey.unknown_serial", x.sheet, "B10"),
        ("survey.duplicate_serial", x.sheet, "B11"),
        ("survey.invalid_code", t.sheet, "C6"),  # a number where a code belongs
        ("survey.invalid_code", t.sheet, f"{t.status}6"),  # a status the dropdown does not offer
        ("survey.not_returned", t.sheet, "B7"), ("survey.not_returned", t.sheet, "B8"),
        ("survey.not_returned", t.sheet, "B9"),
        *(("survey.not_returned", "NGUOI-DAN", f"B{row}") for row in range(6, 12)),
    }
    states = dict(table(ws, "SELECT serial, state FROM survey_entries"))
    assert states == {d.serials[0]: "answered", d.serials[1]: "invalid", c.serials[0]: "not-returned",
                      c.serials[1]: "invalid", c.serials[2]: "answered", x.serials[1]: "answered",
                      t.serials[0]: "invalid"}
    stored = dict(table(ws, "SELECT question, option_code FROM survey_answers WHERE serial = ?",
                        d.serials[0]))
    assert (stored["Q01"], stored["Q02"]) == ("A", "B")  # case and whitespace normalised
    blanks = table(ws, "SELECT question, option_code, blank FROM survey_answers WHERE serial = ? "
                       "AND blank = 1", c.serials[2])
    assert blanks == [("Q05", "X", 1), ("Q06", "X", 1)]  # partly answered: blanks are no-answers
    valid = valid_answers(ws)
    assert set(valid["serial"]) == {d.serials[0], c.serials[2], x.serials[1]}


def test_typed_formulas_and_numbers_are_never_codes(ws, tmp_path):
    u = Unit(ws)
    layout = u.sheet("NGUOI-DAN")
    book = openpyxl.load_workbook(io.BytesIO(u.data[1]))
    sheet = book[layout.sheet]
    for question, code in u.answers(0, layout.group).items():
        sheet[f"{layout.columns[question]}6"] = code
    sheet["C6"], sheet["D6"] = "=B5", 1
    path = tmp_path / "formula.xlsx"
    book.save(path)
    result = collect_entries(ws, [path]).results[0]
    invalid = {(f.cell, f.message.split("'")[1]) for f in result.findings if f.code == "survey.invalid_code"}
    assert invalid == {("C6", "=B5"), ("D6", "1")}


def test_a_serial_the_plan_no_longer_issues_is_unknown(ws, tmp_path):
    u = Unit(ws)
    path = u.file(tmp_path, "nhap.xlsx", 1, u.keyed())
    sampling = ws.root / ws.settings.sampling_file
    text = sampling.read_text(encoding="utf-8")
    sampling.write_text(text.replace('{unit: "005", group: NGUOI-DAN, population: 6}',
                                     '{unit: "005", group: NGUOI-DAN, quota: 4}'), encoding="utf-8")
    result = collect_entries(open_workspace(ws.root), [path]).results[0]
    layout = u.sheet("NGUOI-DAN")
    assert where(result.findings, ("error",)) == {("survey.unknown_serial", layout.sheet, "B10"),
                                                  ("survey.unknown_serial", layout.sheet, "B11")}


def test_files_that_are_not_good_entry_workbooks_are_rejected_whole(ws, tmp_path):
    u = Unit(ws)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "1 công văn.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    plain = openpyxl.Workbook()
    plain.active["A1"] = "Phiếu"
    plain.save(folder / "2 chép tay.xlsx")
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(u.data[1])) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data.replace(b'"copy":1', b'"copy":2'))
    (folder / "3 sửa nhận dạng.xlsx").write_bytes(tampered.getvalue())
    _, form = FormFactory(ws).workbook(ws.unit("005"))
    (folder / "4 tự đánh giá.xlsx").write_bytes(form)
    u.file(folder, "5 chèn cột.xlsx", 1, u.keyed(), {u.sheet("NGUOI-DAN").sheet: {"D4": "Q99"}})
    report = collect_entries(ws, [folder])
    codes = [[f.code for f in r.findings if f.is_error] for r in report.results]
    assert codes == [["file.not_spreadsheet"], ["form.no_identity"], ["form.bad_signature"],
                     ["survey.not_entry_file"], ["survey.columns_moved"]]
    assert [r.status for r in report.results] == ["rejected"] * 5 and report.rejected
    assert table(ws, "SELECT count(*) FROM survey_entries") == [(0,)]
    # Nothing lost: every input archived; the self-assessment form is left for `formkit collect`.
    rows = table(ws, "SELECT original_name, status, kind FROM received_files ORDER BY id")
    assert [r[0] for r in rows] == [p.name for p in sorted(folder.iterdir())]
    assert rows[3][1:] == ("pending", "")
    assert all(r[1:] == ("rejected", "survey-entry") for r in rows[:3] + rows[4:])
    assert all((ws.root / a).exists() for (a,) in table(ws, "SELECT archive_path FROM received_files"))
    later = collect(ws, [folder / "4 tự đánh giá.xlsx"]).results[0]
    assert later.status == "rejected" and later.unit == "005"  # examined as a form: blank scores


def test_an_edited_questionnaire_makes_old_entry_files_unreadable(ws, tmp_path):
    u = Unit(ws)
    path = u.file(tmp_path, "nhap.xlsx", 1, u.keyed())
    survey_file = ws.root / ws.settings.survey_files["district"]
    text = survey_file.read_text(encoding="utf-8")
    survey_file.write_text(text.replace("Ông/Bà đánh giá thế nào về sự quan tâm",
                                        "Ông/Bà nhận xét thế nào về sự quan tâm", 1), encoding="utf-8")
    result = collect_entries(open_workspace(ws.root), [path]).results[0]
    assert [f.code for f in result.findings] == ["survey.questionnaire_changed"]


def test_a_file_the_self_assessment_intake_misread_is_collected_here(ws, tmp_path):
    u = Unit(ws)
    path = u.file(tmp_path, "nhap.xlsx", 1, u.keyed())
    pdf = tmp_path / "công văn.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert [r.status for r in collect(ws, [path, pdf]).results] == ["rejected", "rejected"]
    report = collect_entries(ws, [path, pdf])
    assert [r.status for r in report.results] == ["accepted", "rejected"]
    assert report.results[0].unit == "005"
    assert table(ws, "SELECT status, kind, unit_code FROM received_files ORDER BY id") == [
        ("accepted", "survey-entry", None), ("rejected", "", None)]  # the PDF stays the intake's
    assert table(ws, "SELECT received_file_id, code FROM findings") == [(2, "file.not_spreadsheet")]
    assert table(ws, "SELECT received_file_id FROM survey_files") == [(1,)]


def test_double_entry_disagreements_are_listed_cell_by_cell_and_kept_out(ws, tmp_path):
    u = Unit(ws)
    d = u.sheet("DBHDND-HUYEN")
    s1, s2 = d.serials[0], d.serials[1]
    first = u.keyed("Lan")
    second = u.keyed("Minh")
    second[s1] = Keyed({**first[s1].answers, "Q03": "X", "Q07": None}, "Minh")
    second[s2] = Keyed({}, "Minh", NOT_RETURNED)
    one = u.file(tmp_path, "ban1.xlsx", 1, first)
    two = u.file(tmp_path, "ban2.xlsx", 2, second)
    report = collect_entries(ws, [one, two])
    assert {w for w in where(report.results[1].findings) if w[0] == "survey.double_entry_mismatch"} == {
        ("survey.double_entry_mismatch", d.sheet, "E6"), ("survey.double_entry_mismatch", d.sheet, "I6"),
        ("survey.double_entry_mismatch", d.sheet, "B7")}
    listed = [(x.serial, x.question, x.value_a, x.value_b, x.a.file, x.cell_a, x.b.file, x.cell_b)
              for x in disagreements(ws)]
    q03, q07 = first[s1].answers["Q03"], first[s1].answers["Q07"]
    assert listed == [(s1, "Q03", q03, "X", "ban1.xlsx", "E6", "ban2.xlsx", "E6"),
                      (s1, "Q07", q07, "", "ban1.xlsx", "I6", "ban2.xlsx", "I6"),
                      (s2, None, "có trả lời", "không thu về", "ban1.xlsx", "B7", "ban2.xlsx", "B7")]
    assert [d.to_dict()["b"]["keyed_by"] for d in report.disagreements] == ["Minh"] * 3
    states = questionnaire_states(ws).set_index("serial")["state"]
    assert (states[s1], states[s2]) == ("disagreement", "disagreement")
    assert (states.drop([s1, s2]) == "valid").all()
    assert not {s1, s2} & set(valid_answers(ws)["serial"])
    # The clerk of copy 2 checks the paper questionnaires and sends the corrected file.
    second[s1], second[s2] = Keyed(first[s1].answers, "Minh"), Keyed(first[s2].answers, "Minh")
    fixed = collect_entries(ws, [u.file(tmp_path, "ban2 đã sửa.xlsx", 2, second)]).results[0]
    assert fixed.status == "accepted"
    assert [f.code for f in fixed.findings] == ["survey.supersedes"]
    assert disagreements(ws) == []
    assert (questionnaire_states(ws)["state"] == "valid").all()
    valid = valid_answers(ws)
    assert len(valid) == sum(len(u.survey.group(s.group).questions) * len(s.serials)
                             for s in u.ids[1].sheets)
    row = valid[(valid["serial"] == s1) & (valid["question"] == "Q03")]
    assert row["option"].tolist() == [q03]


def test_required_double_entry_waits_for_the_second_copy(ws, tmp_path):
    settings = ws.root / "campaign.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "double_entry: optional", "double_entry: required"), encoding="utf-8")
    ws = open_workspace(ws.root)
    assert ws.settings.survey.double_entry == "required"
    u = Unit(ws)
    collect_entries(ws, [u.file(tmp_path, "ban1.xlsx", 1, u.keyed())])
    assert valid_answers(ws).empty
    assert set(questionnaire_states(ws)["state"]) == {"awaiting-second-entry"}
    collect_entries(ws, [u.file(tmp_path, "ban2.xlsx", 2, u.keyed("Minh"))])
    assert set(questionnaire_states(ws)["state"]) == {"valid"}
    assert len(valid_answers(ws)) > 0


def test_a_later_file_of_a_copy_supersedes_only_the_serials_it_states(ws, tmp_path):
    u = Unit(ws)
    d = u.sheet("DBHDND-HUYEN")
    first = u.keyed("Lan")
    collect_entries(ws, [u.file(tmp_path, "ban1.xlsx", 1, first)])
    again = {d.serials[0]: Keyed({**first[d.serials[0]].answers, "Q01": "D"}, "Hùng")}
    result = collect_entries(ws, [u.file(tmp_path, "ban1 bổ sung.xlsx", 1, again)]).results[0]
    codes = [(f.code, f.cell) for f in result.findings if f.code != "survey.not_returned"]
    assert codes == [("survey.same_copy_other_clerk", "B6"), ("survey.supersedes", None)]
    valid = valid_answers(ws).set_index(["serial", "question"])["option"]
    assert valid[d.serials[0], "Q01"] == "D"
    assert valid[d.serials[1], "Q01"] == first[d.serials[1]].answers["Q01"]  # kept from file 1


def test_an_invalid_row_keeps_the_questionnaire_out_until_corrected(ws, tmp_path):
    u = Unit(ws)
    s1 = u.sheet("NGUOI-DAN").serials[0]
    bad = u.keyed()
    bad[s1] = Keyed({**bad[s1].answers, "Q02": "?"}, "Lan")
    collect_entries(ws, [u.file(tmp_path, "ban1.xlsx", 1, bad),
                         u.file(tmp_path, "ban2.xlsx", 2, u.keyed("Minh"))])
    assert questionnaire_states(ws).set_index("serial")["state"][s1] == "invalid"
    assert s1 not in set(valid_answers(ws)["serial"])
    collect_entries(ws, [u.file(tmp_path, "ban1 sửa.xlsx", 1, u.keyed())])
    assert s1 in set(valid_answers(ws)["serial"])


def test_recollecting_is_idempotent_and_files_in_equal_ledger_entries(ws, tmp_path):
    u = Unit(ws)
    folder = tmp_path / "in"
    u.file(folder, "a.xlsx", 1, u.keyed())
    u.file(folder, "b.xlsx", 2, u.keyed("Minh"))
    (folder / "c.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    shutil.copy(folder / "a.xlsx", folder / "a - bản sao.xlsx")
    first = collect_entries(ws, [folder])
    assert [r.status for r in first.results] == ["accepted", "duplicate", "accepted", "rejected"]
    counts = ("received_files", "receipts", "survey_files", "survey_entries", "survey_answers",
              "findings", "events")
    before = {name: table(ws, f"SELECT count(*) FROM {name}")[0][0] for name in counts}
    assert (before["received_files"], before["receipts"], before["survey_files"]) == (3, 4, 3)
    second = collect_entries(ws, [folder])
    assert [r.status for r in second.results] == ["duplicate"] * 4
    assert {name: table(ws, f"SELECT count(*) FROM {name}")[0][0] for name in counts} == before
    assert [r.unit for r in second.results] == ["005", "005", "005", None]


def test_cli_collect_exit_codes_and_json(ws, tmp_path):
    u = Unit(ws)
    good = u.file(tmp_path, "ban1.xlsx", 1, u.keyed())
    result = run_cli("survey", "collect", ws.root, good)
    assert result.exit_code == 0, result.output
    assert "nhận" in result.output and "thông tin" not in result.output
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    changed = dict(u.keyed("Minh"))
    serial = u.sheet("NGUOI-DAN").serials[0]
    changed[serial] = Keyed({**changed[serial].answers, "Q01": "D" if changed[serial].answers[
        "Q01"] != "D" else "A"}, "Minh")
    two = u.file(tmp_path, "ban2.xlsx", 2, changed)
    result = run_cli("survey", "collect", ws.root, pdf, two, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [r["status"] for r in data["inputs"]] == ["rejected", "accepted-with-warnings"]
    assert [(d["serial"], d["question"]) for d in data["disagreements"]] == [(serial, "Q01")]
    text = run_cli("survey", "collect", ws.root, two)
    assert text.exit_code == 0 and "đã nhận trước đó" in text.output and serial in text.output


def test_a_blank_on_a_scale_without_no_answer_is_missing():
    with_x = Scale("s", "", (AnswerOption("A", "Có", 1), AnswerOption("X", "Không trả lời", None)))
    without = Scale("t", "", (AnswerOption("A", "Có", 1), AnswerOption("B", "Không", 0)))
    assert (no_answer_code(with_x), no_answer_code(without)) == ("X", "")


def test_identity_payload_round_trips_and_refuses_other_kinds(ws):
    identity = Unit(ws).ids[2]
    assert EntryIdentity.from_payload(identity.payload()) == identity
    with pytest.raises(ValueError):
        EntryIdentity.from_payload(identity.payload().replace('"survey-entry"', '"self-assessment"'))

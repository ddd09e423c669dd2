"""Self-assessment workbooks: protection, validation, totals, identity, printing, determinism."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

from formkit.forms import generate_forms
from formkit.forms.identity import FormIdentity, sign, verify
from formkit.forms.layout import SCORING_SHEET
from formkit.forms.verify import read_identity
from formkit.office import convert, find_libreoffice
from formkit.workspace import init_workspace, open_workspace

SUPPORT = Path(__file__).parent / "support"
UNO_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="session")
def issued(tmp_path_factory):
    """All 52 forms of the example campaign, generated once."""
    root = tmp_path_factory.mktemp("forms") / "cchc-2020"
    init_workspace(root)
    workspace = open_workspace(root)
    return workspace, {form.unit_code: form for form in generate_forms(workspace)}


def scoring(path: Path, data_only: bool = False):
    return openpyxl.load_workbook(path, data_only=data_only)[SCORING_SHEET]


def test_a_form_for_every_unit_recorded_in_the_ledger(issued):
    workspace, forms = issued
    assert len(forms) == 52
    assert len({form.form_id for form in forms.values()}) == 52
    conn = sqlite3.connect(workspace.ledger_path)
    rows = conn.execute("SELECT unit_code, form_id, catalog_hash, path, sha256 FROM issued_files"
                        ).fetchall()
    conn.close()
    assert len(rows) == 52
    for unit_code, form_id, catalog_hash, path, sha256 in rows:
        form = forms[unit_code]
        assert (form_id, sha256) == (form.form_id, form.sha256)
        assert (workspace.root / path).read_bytes() == form.path.read_bytes()
        unit = workspace.unit(unit_code)
        assert catalog_hash == workspace.catalogs[unit.unit_type].content_hash
        assert unit.short_name in form.path.name  # readable, Vietnamese file names


@pytest.mark.parametrize("code", ["005", "SNV", "TTTP", "001"])
def test_protection_and_exactly_the_input_cells_unlocked(issued, code):
    workspace, forms = issued
    book = openpyxl.load_workbook(forms[code].path)
    assert book.security.lockStructure
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "veryHidden"]
    assert all(sheet.protection.sheet and sheet.protection.password for sheet in book.worksheets)
    identity = read_identity(forms[code].path, workspace.secret()).identity
    expected = {identity.cell(leaf, f) for leaf in identity.inputs
                for f in ("score", "evidence", "explanation")}
    sheet = book[SCORING_SHEET]
    unlocked = {cell.coordinate for row in sheet.iter_rows() for cell in row
                if not cell.protection.locked}
    assert unlocked == expected
    for sheet in book.worksheets:
        if sheet.title != SCORING_SHEET:
            assert not any(not c.protection.locked for row in sheet.iter_rows() for c in row)


def test_inputs_are_the_applicable_appraisal_leaves(issued):
    workspace, forms = issued
    for code in ("TTTP", "005", "271"):
        unit = workspace.unit(code)
        catalog = workspace.catalogs[unit.unit_type]
        identity = read_identity(forms[code].path, workspace.secret()).identity
        assert set(identity.inputs) == {leaf.code for leaf in catalog.leaves()
                                        if leaf.appraisal > 0 and leaf.applies_to(code)}
        assert set(identity.not_applicable) == {leaf.code for leaf in catalog.leaves()
                                                if not leaf.applies_to(code)}


def test_validations_cover_every_input_with_vietnamese_messages(issued):
    workspace, forms = issued
    sheet = scoring(forms["005"].path)
    identity = read_identity(forms["005"].path, workspace.secret()).identity
    catalog = workspace.catalogs["district"]
    covered: dict[str, object] = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            covered[cell_range.coord] = validation
    for leaf in identity.inputs:
        score = covered[identity.cell(leaf, "score")]
        assert score.type == "custom" and score.showErrorMessage and score.showInputMessage
        assert f"<={catalog[leaf].appraisal}" in score.formula1.replace(".0,", ",")
        assert "Nhập điểm từ 0 đến" in score.prompt and score.errorTitle == "Điểm không hợp lệ"
        for field_name in ("evidence", "explanation"):
            text = covered[identity.cell(leaf, field_name)]
            assert text.type == "textLength" and text.operator == "lessThanOrEqual"
            assert "ký tự" in text.error


def test_conditional_formats_flag_scores_above_max_and_missing_explanations(issued):
    _, forms = issued
    sheet = scoring(forms["SNV"].path)
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules]
    assert any(">F" in f for f in formulas)
    assert any("LEN(TRIM(I" in f for f in formulas)


def test_totals_show_correct_values_before_any_recalculation(issued):
    workspace, forms = issued
    for code in ("005", "271", "TTTP", "STC"):
        unit = workspace.unit(code)
        catalog = workspace.catalogs[unit.unit_type]
        identity = read_identity(forms[code].path, workspace.secret()).identity
        values = scoring(forms[code].path, data_only=True)
        formulas = scoring(forms[code].path)
        total_row = max(identity.rows.values()) + 1
        assert values.cell(total_row, 2).value == "TỔNG CỘNG"
        assert Decimal(str(values.cell(total_row, 4).value)) == catalog.applicable_max(code)
        assert formulas.cell(total_row, 4).value.startswith("=SUM(")
        for area in catalog.areas():
            row = next(r for r in range(7, total_row) if values.cell(r, 1).value == area.code)
            applicable = [leaf for leaf in catalog.leaves_under(area.code)
                          if leaf.code not in identity.not_applicable]
            assert Decimal(str(values.cell(row, 4).value)) == sum(x.max_points for x in applicable)
            assert Decimal(str(values.cell(row, 5).value)) == sum(x.survey for x in applicable)
            assert values.cell(row, 7).value == 0


def test_cover_sheet_names_the_unit_deadline_contact_and_the_evidence_rule(issued):
    workspace, forms = issued
    book = openpyxl.load_workbook(forms["005"].path)
    text = "\n".join(str(c.value) for row in book["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert "UBND quận Cầu Giấy" in text
    assert "Hạn gửi lại biểu về Sở Nội vụ: chậm nhất ngày 22/12/2020." in text
    assert "tài liệu kiểm chứng" in text and "giải trình" in text
    contact = workspace.settings.contact  # exactly the settings values, nothing made up
    parts = [contact.name, *([f"điện thoại {contact.phone}"] if contact.phone else []),
             *([f"thư điện tử {contact.email}"] if contact.email else [])]
    assert f"Liên hệ: {', '.join(parts)}." in text.splitlines()
    assert "bước điểm" not in text and "theo đúng các mức điểm quy định ở cột 3" in text
    assert "cột G" not in text and "điểm tự đánh giá (cột 7)" in text  # the printed column numbers


def test_the_deadline_is_said_once_in_the_form(issued):
    _, forms = issued
    book = openpyxl.load_workbook(forms["005"].path)
    text = "\n".join(str(c.value) for sheet in book.worksheets[:2] for row in sheet.iter_rows()
                     for c in row if c.value)
    assert text.count("22/12/2020") == 1 and "trước ngày" not in text
    assert "tháng 12 năm 2020" not in text  # no second way of writing the same date


def test_the_titles_wrap_between_words(issued):
    _, forms = issued
    book = openpyxl.load_workbook(forms["005"].path)
    cover = next(c for row in book["Hướng dẫn"].iter_rows() for c in row
                 if str(c.value).startswith("BIỂU TỰ ĐÁNH GIÁ"))
    assert cover.value == "BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM\nCHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020"
    assert cover.alignment.wrap_text
    assert book.worksheets[0].row_dimensions[cover.row].height >= 2 * 19
    title = book[SCORING_SHEET]["A1"]
    assert title.value == "BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020"
    assert title.alignment.wrap_text


def test_the_scoring_sheet_ends_with_the_locked_sign_off_block(issued):
    workspace, forms = issued
    for code in ("005", "TTTP"):
        sheet = scoring(forms[code].path)
        identity = read_identity(forms[code].path, workspace.secret()).identity
        total_row = max(identity.rows.values()) + 1
        assert sheet.cell(total_row, 2).value == "TỔNG CỘNG"
        below = [(c.coordinate, c.value) for row in sheet.iter_rows(min_row=total_row + 1)
                 for c in row if c.value]
        assert [value for _, value in below] == [
            "............, ngày ...... tháng ...... năm ........",
            "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ",
            "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu)"]
        assert [ref[0] for ref, _ in below] == ["F", "A", "F", "A", "F"]  # left and right
        assert all(sheet[ref].protection.locked for ref, _ in below)
        assert sheet.row_dimensions[total_row + 5].height >= 60  # room to sign


def test_print_setup_fonts_and_footer(issued):
    _, forms = issued
    sheet = scoring(forms["005"].path)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default, omitted by the writer
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$5:$6"
    footer = sheet.oddFooter
    assert footer.left.text == "UBND quận Cầu Giấy" and forms["005"].form_id in footer.center.text
    assert footer.right.text == "Trang &P/&N"
    assert {sheet.cell(r, c).font.name for r in range(1, 20) for c in range(1, 10)} == {
        "Times New Roman"}
    assert all(sheet.column_dimensions[col].width >= 7 for col in "ABCDEFGHI")


def test_identity_verifies_and_fails_after_a_one_byte_change(issued):
    workspace, forms = issued
    path = forms["005"].path
    check = read_identity(path, workspace.secret())
    assert check.ok and check.identity.unit == "005" and check.identity.year == 2020
    assert check.identity.catalog_hash == workspace.catalogs["district"].content_hash
    payload = check.identity.payload()
    signature = sign(payload, workspace.secret())
    assert verify(payload, signature, workspace.secret())
    for position in (0, len(payload) // 2, len(payload) - 1):
        changed = payload[:position] + chr(ord(payload[position]) ^ 1) + payload[position + 1:]
        assert not verify(changed, signature, workspace.secret())
    assert not verify(payload, signature, b"another campaign's secret")
    assert not read_identity(path, b"x" * 32).ok


def test_a_one_byte_change_inside_the_file_breaks_the_signature(issued):
    workspace, forms = issued
    source = zipfile.ZipFile(forms["005"].path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                assert b'"unit":"005"' in data
                data = data.replace(b'"unit":"005"', b'"unit":"006"')  # one byte
            target.writestr(info, data)
    check = read_identity(buffer.getvalue(), workspace.secret())
    assert not check.ok and check.identity.unit == "006"
    assert "không khớp" in check.problem


def test_identity_is_mirrored_in_properties_and_defined_names(issued):
    workspace, forms = issued
    book = openpyxl.load_workbook(forms["SNV"].path)
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties["formkit_form_id"] == forms["SNV"].form_id
    assert properties["formkit_unit"] == "SNV"
    identity = read_identity(forms["SNV"].path, workspace.secret()).identity
    assert properties["formkit_signature"] == sign(identity.payload(), workspace.secret())
    assert book.defined_names["FK_FormId"].value == f'"{forms["SNV"].form_id}"'


def test_not_a_form_is_reported_not_raised(tmp_path, issued):
    workspace, _ = issued
    plain = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "Báo cáo"
    book.save(plain)
    assert "không có thông tin nhận dạng" in read_identity(plain, workspace.secret()).problem
    assert not read_identity(b"not a zip at all", workspace.secret()).ok


def test_same_workspace_gives_byte_identical_files_and_rerun_is_idempotent(issued, tmp_path):
    workspace, forms = issued
    copy = tmp_path / "copy"
    shutil.copytree(workspace.root, copy)
    shutil.rmtree(copy / "out" / "forms")
    again = generate_forms(open_workspace(copy), ["005", "SNV"])
    for form in again:
        assert form.changed
        assert form.path.read_bytes() == forms[form.unit_code].path.read_bytes()
    rerun = generate_forms(open_workspace(copy), ["005", "SNV"])
    assert not any(form.changed for form in rerun)
    conn = sqlite3.connect(copy / "ledger.sqlite")
    assert conn.execute("SELECT count(*) FROM issued_files").fetchone()[0] == 52
    assert conn.execute("SELECT count(*) FROM events WHERE kind = 'form.issued'").fetchone()[0] == 52
    conn.close()


def test_cli_forms_json_and_unknown_unit(workspace):
    result = run_cli("forms", workspace, "--unit", "005", "--unit", "STC", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)["forms"]  # check's warnings under "check_warnings"
    assert [entry["unit"] for entry in listed] == ["005", "STC"]
    assert set(listed[0]) == {"unit", "form_id", "path", "sha256", "changed"}
    bad = run_cli("forms", workspace, "--unit", "999")
    assert bad.exit_code == 2 and "999" in bad.output


needs_office = pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")


@needs_office
def test_a_form_converts_to_pdf_in_libreoffice(issued, tmp_path):
    _, forms = issued
    source = tmp_path / "form.xlsx"
    shutil.copy(forms["005"].path, source)
    pdf = convert(source, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        return
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "UBND quận Cầu Giấy" in text and "TỔNG CỘNG" in text
    pages = text.split("\f")
    cover = [line.strip() for line in pages[0].splitlines()]
    # The title breaks between its two lines, never inside a word ("HÀNH / CHÍNH" before).
    assert "BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM" in cover
    assert "CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020" in cover
    assert "Hạn gửi lại biểu về Sở Nội vụ: chậm nhất ngày 22/12/2020." in cover
    scoring_title = "BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2020"
    assert all(scoring_title in page for page in pages[1:] if "Mã biểu mẫu" in page
               and "Đơn vị:" in page)
    # The sign-off block prints, on one page, after the total.
    (signed,) = [page for page in pages if "NGƯỜI LẬP BIỂU" in page]
    for line in ("............, ngày ...... tháng ...... năm ........", "THỦ TRƯỞNG ĐƠN VỊ",
                 "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu)"):
        assert line in signed
    total_page = next(i for i, page in enumerate(pages) if "TỔNG CỘNG" in page)
    assert pages.index(signed) > total_page or (
        pages.index(signed) == total_page and signed.index("TỔNG CỘNG") < signed.index("NGƯỜI LẬP"))


@needs_office
@pytest.mark.skipif(not UNO_PYTHON.exists(), reason="no system Python for LibreOffice's UNO")
def test_a_form_filled_and_saved_in_libreoffice_stays_verifiable(issued, tmp_path):
    workspace, forms = issued
    check = subprocess.run([str(UNO_PYTHON), "-c", "import uno"], capture_output=True)
    if check.returncode != 0:
        pytest.skip("python3-uno is not installed")
    identity: FormIdentity = read_identity(forms["005"].path, workspace.secret()).identity
    catalog = workspace.catalogs["district"]
    leaves = [catalog[code] for code in identity.inputs[:3]]
    values = {identity.cell(leaves[0].code, "score"): float(leaves[0].appraisal),
              identity.cell(leaves[0].code, "evidence"): "Kế hoạch số 12/KH-UBND ngày 05/01/2020",
              identity.cell(leaves[1].code, "score"): float(leaves[1].appraisal / 2),
              identity.cell(leaves[1].code, "explanation"): "Đang hoàn thiện hồ sơ & tài liệu",
              identity.cell(leaves[2].code, "score"): 0.0}
    filled = tmp_path / "filled.xlsx"
    subprocess.run([str(UNO_PYTHON), str(SUPPORT / "lo_fill.py"), str(find_libreoffice()),
                    str(forms["005"].path), str(filled), SCORING_SHEET, json.dumps(values)],
                   check=True, timeout=180)
    check = read_identity(filled, workspace.secret())
    assert check.ok, check.problem
    assert check.identity == identity
    sheet = scoring(filled, data_only=True)
    for cell, value in values.items():
        assert sheet[cell].value == value
    total_row = max(identity.rows.values()) + 1
    expected = float(leaves[0].appraisal + leaves[1].appraisal / 2)
    assert sheet.cell(total_row, 7).value == pytest.approx(expected)

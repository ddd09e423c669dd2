"""Paper questionnaires: every unit × group of the 2020 example, read back as a scanner would.

Pages are rendered with PyMuPDF; QR codes are decoded with zxing-cpp; the boxes recorded in the
layout files are looked for in the rendered pixels.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zipfile
from pathlib import Path

import numpy as np
import pymupdf
import pytest
import zxingcpp
from conftest import run_cli, write

from formkit.fonts import FontNotFoundError, find_serif_font, missing_glyphs
from formkit.survey.paper import write_questionnaires
from formkit.survey.plan import sampling_plan
from formkit.survey.serials import parse_qr, plan_serials
from formkit.workspace import init_workspace, open_workspace

try:
    FONT = find_serif_font()
except FontNotFoundError:
    FONT = None
pytestmark = pytest.mark.skipif(
    FONT is None, reason="no Times New Roman or Liberation Serif with Vietnamese glyphs is "
                         "installed (Debian/Ubuntu: apt install fonts-liberation2)")

# One copy per unit × group keeps the whole file fast; Cầu Giấy's residents get three copies so
# that the copies of one file are told apart too.
SAMPLING = """
    sampling: {quota: 1, min_valid: 1}
    by_unit:
      - {unit: "005", group: NGUOI-DAN, quota: 3}
    """
QR_DPI, BOX_DPI = 150, 100


def small_workspace(root: Path) -> Path:
    init_workspace(root, "hanoi-2020")
    write(root / "sampling" / "hanoi-2020.yaml", SAMPLING)
    return root


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """(workspace, written questionnaires, seconds taken), built once for the module."""
    if FONT is None:
        pytest.skip("no suitable font")
    workspace = open_workspace(small_workspace(tmp_path_factory.mktemp("paper") / "cchc-2020"))
    started = time.perf_counter()
    written = write_questionnaires(workspace)
    return workspace, written, time.perf_counter() - started


def gray(page: pymupdf.Page, dpi: int, clip: pymupdf.Rect | None = None) -> np.ndarray:
    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, clip=clip)
    return np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.stride)[
        :, :pixmap.width]


def layout_of(questionnaire) -> dict:
    return json.loads(questionnaire.layout_path.read_text("utf-8"))


def test_a_questionnaire_for_every_unit_and_group(issued):
    workspace, written, seconds = issued
    plan = sampling_plan(workspace)
    assert [(q.unit, q.group) for q in written] == [(r.unit, r.group) for r in plan.rows]
    assert len(written) == 52 * 5 and sum(q.copies for q in written) == 262
    for q in written:
        unit = workspace.unit(q.unit)
        assert q.path.parent.parent.name == unit.unit_type
        assert q.path.parent.name == f"{unit.code} - {unit.short_name}"
        assert q.path.name == f"{q.group}.pdf" and q.layout_path.name == f"{q.group}.layout.json"
        assert q.path.read_bytes().startswith(b"%PDF") and q.changed
    print(f"\n{len(written)} PDFs, {sum(q.copies * q.pages_per_copy for q in written)} pages "
          f"in {seconds:.1f} s")


def test_each_pdf_is_recorded_in_the_ledger(issued):
    workspace, written, _ = issued
    conn = sqlite3.connect(workspace.ledger_path)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT form_id, unit_code, kind, catalog_hash, path, sha256 FROM issued_files "
        "WHERE kind = 'questionnaire'")}
    assert len(rows) == len(written)
    for q in written:
        survey = workspace.surveys[workspace.unit(q.unit).unit_type]
        assert rows[f"{q.unit}|{q.group}"] == (
            q.unit, "questionnaire", survey.content_hash,
            q.path.relative_to(workspace.root).as_posix(), q.sha256)
    conn.close()


def test_the_qr_code_of_every_page_of_every_copy_decodes_to_its_serial(issued):
    workspace, written, _ = issued
    serials: dict[tuple[str, str], list] = {}
    for serial in plan_serials(sampling_plan(workspace)):
        serials.setdefault((serial.unit, serial.group), []).append(serial)
    for q in written:
        layout = layout_of(q)
        x, y, w, h = layout["qr"]
        clip = pymupdf.Rect(x - 12, y - 12, x + w + 12, y + h + 12)
        document = pymupdf.open(q.path)
        expected = serials[q.unit, q.group]
        assert document.page_count == len(expected) * q.pages_per_copy  # each copy on its own pages
        assert layout["serials"] == [s.text for s in expected]
        for index, page in enumerate(document):
            serial, number = expected[index // q.pages_per_copy], index % q.pages_per_copy + 1
            decoded = [r.text for r in zxingcpp.read_barcodes(gray(page, QR_DPI, clip))]
            assert decoded == [serial.qr_payload(number)], (q.path.name, index)
            assert parse_qr(decoded[0]) == (serial, number)
            assert serial.text in page.get_text()  # the serial in text on every page
            if number == 1:  # a copy starts on a fresh page, with its heading
                assert "Đơn vị được đánh giá" in page.get_text()


def box_pixels(image: np.ndarray, rect: list[float], scale: float) -> tuple[float, float]:
    """(lightest point of the border, darkest point of the interior) of a recorded box.

    Along each edge the darkest pixel within one pixel across the line counts (the stroke is
    centred on the recorded rectangle); a printed box has every edge dark and a blank inside.
    """
    x0, y0, w, h = (round(v * scale) for v in rect)
    x1, y1 = x0 + w, y0 + h
    edges = [image[y0 - 1:y0 + 2, x0 + 2:x1 - 1].min(axis=0), image[y1 - 1:y1 + 2, x0 + 2:x1 - 1]
             .min(axis=0), image[y0 + 2:y1 - 1, x0 - 1:x0 + 2].min(axis=1),
             image[y0 + 2:y1 - 1, x1 - 1:x1 + 2].min(axis=1)]
    border = max(int(edge.max()) for edge in edges)
    inside = int(image[y0 + 3:y1 - 2, x0 + 3:x1 - 2].min())
    return border, inside


@pytest.mark.parametrize("which", ["first", "last"])
def test_layout_boxes_and_markers_are_where_the_layout_file_says(issued, which):
    workspace, written, _ = issued
    scale = BOX_DPI / 72
    sample = [q for q in written if q.unit in ("005", "SNV", "BDT", "271")]
    for q in sample:
        layout = layout_of(q)
        assert layout["page_size"] == [595.28, 841.89] and layout["pages_per_copy"] == q.pages_per_copy
        boxes = [(owner["page"], option["box"]) for key in ("questions", "respondent_fields")
                 for owner in layout[key] for option in owner["options"]]
        assert {tuple(box[2:]) for _, box in boxes} == {(layout["box_size"],) * 2}
        questions = workspace.surveys[workspace.unit(q.unit).unit_type].group(q.group).questions
        assert [owner["code"] for owner in layout["questions"]] == [x.code for x in questions]
        document = pymupdf.open(q.path)
        copy = 0 if which == "first" else q.copies - 1
        for number in range(1, q.pages_per_copy + 1):
            image = gray(document[copy * q.pages_per_copy + number - 1], BOX_DPI)
            for x, y, w, h in layout["markers"]:
                assert image[round((y + h / 2) * scale), round((x + w / 2) * scale)] < 60
            for page, box in boxes:
                if page == number:
                    border, inside = box_pixels(image, box, scale)
                    assert border < 140 and inside > 215, (q.path.name, number, box)
                    left_of = image[round((box[1] + box[3] / 2) * scale), round(box[0] * scale) - 4]
                    assert left_of > 215  # nothing printed just outside the box


def test_vietnamese_text_extracts_as_written(issued):
    workspace, written, _ = issued
    q = next(q for q in written if (q.unit, q.group) == ("005", "NGUOI-DAN"))
    text = "".join(page.get_text() for page in pymupdf.open(q.path)[:q.pages_per_copy])
    for expected in ("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ", "Người dân trên địa bàn",
                     "UBND quận Cầu Giấy", "Không biết / Không trả lời", "Ông/Bà",
                     "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà!", "Trang 1/"):
        assert expected in text
    survey = workspace.surveys["district"]
    for question in survey.group("NGUOI-DAN").questions:
        assert question.text.split()[-1] in text


def test_only_the_serif_font_is_embedded(issued):
    _, written, _ = issued
    for q in written[:: 37]:
        fonts = {font[3].split("+")[-1] for page in pymupdf.open(q.path) for font in page.get_fonts()}
        family = "TimesNewRoman" if FONT.family == "Times New Roman" else "LiberationSerif"
        assert fonts and all(name.replace(",", "").startswith(family) for name in fonts), fonts
        assert all(font[1] == "ttf" for page in pymupdf.open(q.path) for font in page.get_fonts())


def test_same_inputs_give_identical_bytes(issued, tmp_path):
    workspace, written, _ = issued
    again = write_questionnaires(workspace, ["005", "SNV"])
    assert not any(q.changed for q in again)  # re-run: nothing rewritten
    other = open_workspace(small_workspace(tmp_path / "other"))
    copies = write_questionnaires(other, ["005", "SNV"], docx=True)
    before = {(q.unit, q.group): q for q in written}
    for q in copies:
        assert q.path.read_bytes() == before[q.unit, q.group].path.read_bytes()
        assert q.layout_path.read_bytes() == before[q.unit, q.group].layout_path.read_bytes()
    docx = [q.docx_path.read_bytes() for q in copies]
    assert [q.docx_path.read_bytes() for q in write_questionnaires(other, ["005", "SNV"],
                                                                    docx=True)] == docx


def test_docx_is_editable_times_new_roman_with_fixed_properties(tmp_path):
    workspace = open_workspace(small_workspace(tmp_path / "ws"))
    [q] = [q for q in write_questionnaires(workspace, ["005"], docx=True) if q.group == "NGUOI-DAN"]
    with zipfile.ZipFile(q.docx_path) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        styles = package.read("word/styles.xml").decode("utf-8")
        body = package.read("word/document.xml").decode("utf-8")
        core = package.read("docProps/core.xml").decode("utf-8")
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        assert f'w:{slot}="Times New Roman"' in styles
    assert "Theme" not in styles.split("<w:docDefaults>")[1].split("</w:docDefaults>")[0]
    assert "2020-11-20T00:00:00Z" in core
    for serial in layout_of(q)["serials"]:
        assert serial in body
    assert "Người dân trên địa bàn" in body and "□" in body


def test_cli_forms_json_and_unknown_unit(issued):
    workspace, _, _ = issued
    result = run_cli("survey", "forms", workspace.root, "--unit", "005", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["group"] for d in data] == [g.code for g in workspace.surveys["district"].groups]
    assert not any(d["changed"] for d in data)
    text = run_cli("survey", "forms", workspace.root, "--unit", "005").stdout
    assert "5 tệp phiếu khảo sát: 7 phiếu" in text
    assert run_cli("survey", "forms", workspace.root, "--unit", "nope").exit_code == 2


def test_a_missing_font_is_a_clear_error(tmp_path):
    with pytest.raises(FontNotFoundError, match="fonts-liberation2"):
        find_serif_font([tmp_path])
    (tmp_path / "times.ttf").write_bytes(b"not a font")
    assert missing_glyphs(tmp_path / "times.ttf")
    with pytest.raises(FontNotFoundError):
        find_serif_font([tmp_path])
    assert missing_glyphs(FONT.regular) == ""

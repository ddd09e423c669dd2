"""What people read carries no software words, internal codes, English or mojibake.

Every document (minutes, report, decision), every sheet of every workbook meant for people (the
forms, the feedback workbooks, the council's workbooks, the results workbook; machine data sheets
named "Dữ liệu…" and very hidden identity sheets aside) and every mail is read back from the demo
campaign and checked against one list of forbidden words.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from formkit.documents.render import convert_to_pdf
from formkit.office import find_libreoffice

FORBIDDEN = ("formkit", "missing", "excluded", "incomplete", "sha256", "bước điểm", "None", "nan",
             "TODO", "láº", "Ã", "thư mục đợt đánh giá", "missing-zero", "renormalise", "--")
# English words that are not also Vietnamese syllables (ASCII Vietnamese like "tin", "con", "do"
# must pass); matched as whole words, case-insensitively.
ENGLISH = frozenset((
    "the", "and", "of", "with", "from", "for", "not", "total", "rank", "ranking", "status", "error",
    "warning", "null", "true", "false", "score", "unit", "units", "file", "files", "sheet", "cell",
    "value", "basis", "zero", "exclude", "optional", "required", "pending", "accepted", "rejected",
    "index", "name", "code", "draft", "report", "minutes", "decision", "appendix", "none", "yes"))
WORD = re.compile(r"[A-Za-zÀ-ỹĐđ][\w-]*")


def problems(where: str, text: str) -> list[str]:
    found = [f"{where}: '{word}'" for word in FORBIDDEN if re.search(
        rf"(?<![\w]){re.escape(word)}(?![\w])" if word.isalpha() else re.escape(word), text)]
    found += [f"{where}: English '{w}'" for w in WORD.findall(text) if w.lower() in ENGLISH]
    return found


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def people_sheets(path: Path) -> list[tuple[str, str]]:
    """(sheet name, its text) for every visible or hidden sheet, very hidden and data sheets aside."""
    book = load_workbook(path, read_only=False, data_only=False)
    out = []
    for sheet in book.worksheets:
        if sheet.sheet_state == "veryHidden" or sheet.title.startswith("Dữ liệu"):
            continue
        texts = [str(c.value) for row in sheet.iter_rows() for c in row
                 if isinstance(c.value, str) and not c.value.startswith("=")]
        texts += [dv.prompt or "" for dv in sheet.data_validations.dataValidation]
        texts += [dv.error or "" for dv in sheet.data_validations.dataValidation]
        texts.append(sheet.title)
        out.append((sheet.title, "\n".join(texts)))
    return out


@pytest.fixture(scope="module")
def campaign(demo_campaign: Path) -> Path:
    return demo_campaign


def test_documents_have_no_software_words(campaign: Path):
    folder = campaign / "out" / "documents"
    documents = sorted(folder.rglob("*.docx"))
    assert len(documents) == 54
    found = [p for path in documents for p in problems(path.name, docx_text(path))]
    assert found == []


@pytest.mark.parametrize("folder", ["forms", "feedback", "appraisal", "results", "intake", "catalogs"])
def test_workbooks_for_people_have_no_software_words(campaign: Path, folder: str):
    books = sorted((campaign / "out" / folder).rglob("*.xlsx"))
    assert books, folder
    found = [p for path in books for sheet, text in people_sheets(path)
             for p in problems(f"{path.name} / {sheet}", text)]
    assert found == []


def test_mails_have_no_software_words(campaign: Path):
    mails = sorted((campaign / "out" / "mail").rglob("*.eml"))
    assert mails
    found = []
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = str(message["Subject"]) + "\n" + message.get_body(("plain",)).get_content()
        found += problems(path.name, text)
    assert found == []


def test_the_checker_catches_each_kind_of_fault():
    """The list above bites: a software word, English, mojibake."""
    assert problems("x", "Đơn vị missing-zero")
    assert problems("x", "Tổng điểm total")
    assert problems("x", "Sá»Ÿ Ná»™i vá»¥ láº¥y")
    assert problems("x", "Điểm: None")
    assert not problems("x", "Sở Nội vụ tổng hợp, đơn vị tin rằng con số đúng; Chỉ số 75,12%.")


def test_every_table_row_is_kept_on_one_page(campaign: Path):
    """w:cantSplit on every row of every figure table (those with a repeated header row)."""
    folder = campaign / "out" / "documents"
    for path in [*sorted(folder.glob("*.docx")), *sorted(folder.rglob("bien-ban/*.docx"))[:3]]:
        tables = [t for t in Document(str(path)).tables if t._tbl.xpath(".//w:tblHeader")]
        assert tables, path.name
        for table in tables:
            assert all(row._tr.xpath("./w:trPr/w:cantSplit") for row in table.rows), path.name


@pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice is not installed")
def test_no_table_row_is_cut_across_pages_in_the_pdfs(campaign: Path, tmp_path: Path):
    """Read back: every cell's text stands whole in one text block of one PDF page."""
    import pymupdf

    folder = campaign / "out" / "documents"
    minutes = sorted((folder / "bien-ban").glob("*.docx"))
    no_return = next(p for p in minutes if p.name.startswith("BDT "))  # the demo's Ban Dân tộc sent nothing
    chosen = [*sorted(folder.glob("*.docx")), minutes[0], minutes[-1], no_return]
    copies = []
    for path in chosen:
        copies.append(tmp_path / path.name)
        copies[-1].write_bytes(path.read_bytes())
    pdfs, errors = convert_to_pdf(copies)
    assert errors == [] and len(pdfs) == len(copies)
    for docx_path, pdf in zip(copies, sorted(pdfs, key=lambda p: copies.index(p.with_suffix(".docx"))),
                              strict=True):
        with pymupdf.open(pdf) as document:
            blocks = [_norm(b[4]) for page in document for b in page.get_text("blocks")]
            if docx_path.name == no_return.name:
                assert document.page_count == 1  # a unit without a return: a one-page minutes
        cut = [text for table in Document(str(docx_path)).tables for row in table.rows[1:]
               for text in {_norm(c.text) for c in row.cells}
               if len(text) > 20 and not any(text in block for block in blocks)]
        assert cut == [], docx_path.name


def _norm(text: str) -> str:
    """One space between words; a line broken after a hyphen ("18-" / "NQ/TW") joined again."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", text)).strip()

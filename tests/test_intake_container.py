"""Opening returned files safely: each kind of file units send gets exactly its one finding.

The corpus is generated here (no committed binaries): real forms, other documents, damaged and
hostile zips, encrypted and legacy workbooks.
"""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest

from formkit.findings import Code, Severity
from formkit.forms import generate_forms
from formkit.intake.container import (
    DEFAULT_LIMITS,
    Limits,
    PackageError,
    has_dtd,
    open_package,
    parse_xml,
    resolve_target,
    sniff,
)
from formkit.office import convert, find_libreoffice
from formkit.workspace import init_workspace, open_workspace

needs_office = pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice not installed")
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  b"<si><t>&lol3;</t></si></sst>")


@pytest.fixture(scope="session")
def form(tmp_path_factory) -> Path:
    """A real self-assessment form, as issued."""
    root = tmp_path_factory.mktemp("intake-container") / "ws"
    init_workspace(root)
    return generate_forms(open_workspace(root), ["005"])[0].path


@pytest.fixture(scope="session")
def form_bytes(form) -> bytes:
    return form.read_bytes()


def rezip(data: bytes, replace: dict[str, bytes | None] | None = None,
          add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with parts replaced (None removes them) and added."""
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = replace.get(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def patch_central_directory(data: bytes, name: str, offset: int, value: int, size: int = 4) -> bytes:
    """Overwrite one field of a part's central-directory record (16 CRC, 24 size, 8 flags)."""
    encoded = name.encode()
    position = data.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack("<H", data[position + 28:position + 30])[0]
        if data[position + 46:position + 46 + length] == encoded:
            packed = struct.pack("<I" if size == 4 else "<H", value)
            return data[:position + offset] + packed + data[position + offset + size:]
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{name} not in the central directory")


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def refused(data: bytes, name: str = "return.xlsx", limits: Limits = DEFAULT_LIMITS):
    package, findings = open_package(data, name, limits)
    assert package is None
    assert len(findings) == 1, findings  # exactly one finding per refusal
    assert findings[0].file == name and findings[0].severity is Severity.ERROR
    return findings[0]


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Báo cáo kết quả cải cách hành chính")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Genuine workbooks ---------------------------------------------------------------------------

def test_a_real_form_opens_without_findings(form_bytes):
    assert sniff(form_bytes) == "xlsx"
    package, findings = open_package(form_bytes, "005.xlsx")
    assert findings == [] and package.kind == "xlsx"
    assert package.workbook_part == "xl/workbook.xml"
    assert "xl/worksheets/sheet2.xml" in package.names()
    assert package.read("XL/SharedStrings.xml").startswith(b"<?xml")  # OPC names ignore case
    rels = package.relationships("xl/workbook.xml")
    assert {rel.target for rel in rels} >= {"xl/worksheets/sheet1.xml", "xl/styles.xml"}


def test_a_macro_enabled_workbook_opens_with_an_info_finding(form_bytes):
    with zipfile.ZipFile(io.BytesIO(form_bytes)) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    xlsm = rezip(form_bytes, {"[Content_Types].xml": types}, {"xl/vbaProject.bin": b"\xd0\xcf fake"})
    assert sniff(xlsm) == "xlsm"
    assert sniff(rezip(form_bytes, add={"xl/vbaProject.bin": b"macros"})) == "xlsm"
    package, findings = open_package(xlsm, "005.xlsm")
    assert package is not None and package.kind == "xlsm"
    assert codes(findings) == [Code.MACROS.code] and findings[0].severity is Severity.INFO


def test_relationship_targets_absolute_and_relative():
    assert resolve_target("xl", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve_target("xl", "/xl/worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve_target("xl/worksheets", "../sharedStrings.xml") == "xl/sharedStrings.xml"
    assert resolve_target("", "xl/workbook.xml") == "xl/workbook.xml"
    assert resolve_target("xl", "worksheets\\sheet%201.xml") == "xl/worksheets/sheet 1.xml"


# --- Not a spreadsheet -----------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "kind", "what"), [
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "pdf", "tệp PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02", "png", "ảnh"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg", "ảnh"),
    (b"GIF89a\x01\x00\x01\x00", "gif", "ảnh"),
    ("Mã tiêu chí;Điểm\n1.1;0,5\n1.2;1\n".encode(), "text", "tệp văn bản"),
    (random.Random(4).randbytes(2000), "unknown", "tệp không rõ định dạng"),
])
def test_other_files_are_named_in_vietnamese(content, kind, what):
    assert sniff(content) == kind
    finding = refused(content, "renamed.xlsx")  # the name says .xlsx; the content decides
    assert finding.code == Code.NOT_SPREADSHEET.code and what in finding.message


def test_word_document_and_plain_zip():
    assert sniff(docx_bytes()) == "docx"
    assert "văn bản Word (.docx)" in refused(docx_bytes()).message
    plain = rezip(rezip(docx_bytes(), {"[Content_Types].xml": None, "word/document.xml": None}))
    assert sniff(plain) == "zip"
    assert "tệp nén ZIP" in refused(plain).message


def test_empty_and_oversized_files():
    assert sniff(b"") == "empty"
    assert refused(b"").code == Code.FILE_EMPTY.code
    finding = refused(b"PK\x03\x04" + bytes(2000), limits=Limits(max_file_bytes=1000))
    assert finding.code == Code.TOO_LARGE.code


# --- Damaged zips ----------------------------------------------------------------------------------

def test_truncated_workbooks_are_corrupt_at_any_cut(form_bytes):
    for fraction in (0.1, 0.5, 0.9, 0.999):
        cut = form_bytes[:int(len(form_bytes) * fraction)]
        assert sniff(cut) == "corrupt"
        assert refused(cut).code == Code.CORRUPT.code


def test_a_bad_crc_is_a_finding_not_an_exception(form_bytes):
    broken = patch_central_directory(form_bytes, "xl/worksheets/sheet2.xml", 16, 0x12345678)
    package, findings = open_package(broken, "crc.xlsx")
    assert findings == []  # the directory is fine; the part fails when read
    with pytest.raises(PackageError) as caught:
        package.read("xl/worksheets/sheet2.xml")
    assert caught.value.finding.code == Code.CORRUPT.code
    assert package.read("xl/worksheets/sheet1.xml")  # the other parts still read


def test_a_zip_encrypted_part_is_corrupt(form_bytes):
    flagged = patch_central_directory(form_bytes, "xl/worksheets/sheet2.xml", 8, 1, size=2)
    package, _ = open_package(flagged, "zipcrypto.xlsx")
    with pytest.raises(PackageError) as caught:
        package.read("xl/worksheets/sheet2.xml")
    assert caught.value.finding.code == Code.CORRUPT.code


def test_a_spreadsheet_without_its_workbook_part_is_corrupt(form_bytes):
    finding = refused(rezip(form_bytes, {"xl/workbook.xml": None}))
    assert finding.code == Code.CORRUPT.code and "xl/workbook.xml" in finding.message


def test_random_damage_never_raises(form_bytes):
    rng = random.Random(20)
    for _ in range(40):
        damaged = bytearray(form_bytes)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        package, findings = open_package(bytes(damaged), "damaged.xlsx")
        if package is not None:
            for part in package.names():
                try:
                    package.read(part)
                except PackageError as exc:
                    assert exc.finding.code in (Code.CORRUPT.code, Code.TOO_LARGE.code)
        else:
            assert len(findings) == 1


# --- Zip bombs -------------------------------------------------------------------------------------

def bomb(size_mb: int, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    """One part of zeros, streamed into the zip so the test stays fast and small on disk."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b"spreadsheetml.sheet.main+xml")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open(name, "w", force_zip64=size_mb >= 2048) as stream:
            chunk = bytes(1 << 20)
            for _ in range(size_mb):
                stream.write(chunk)
    return buffer.getvalue()


def test_a_300_mb_part_is_refused_before_inflating():
    data = bomb(300)
    assert len(data) < 2 << 20
    start = time.perf_counter()
    finding = refused(data)
    assert time.perf_counter() - start < 0.5
    assert finding.code == Code.TOO_LARGE.code and "300 MB" in finding.message


def test_a_highly_compressed_part_is_refused_by_ratio():
    finding = refused(bomb(20))
    assert finding.code == Code.TOO_LARGE.code and ":1" in finding.message


def test_too_many_parts_and_too_much_in_total(form_bytes):
    many = rezip(form_bytes, add={f"junk/{i}.xml": b"<a/>" for i in range(5001)})
    with zipfile.ZipFile(io.BytesIO(many)) as archive:
        assert f"{len(archive.infolist())} phần" in refused(many).message
    total = refused(form_bytes, limits=Limits(max_uncompressed_bytes=100_000))
    assert total.code == Code.TOO_LARGE.code and "giải nén ra" in total.message
    entry = refused(form_bytes, limits=Limits(max_entry_bytes=40_000))
    assert "sheet2.xml" in entry.message


def test_a_huge_central_directory_is_refused_before_it_is_parsed():
    """22 bytes announcing a 40 MB directory: nothing is built for its entries."""
    end_record = b"PK\x05\x06" + bytes(6) + struct.pack("<HII", 60000, 40 << 20, 0) + bytes(2)
    data = b"PK\x03\x04" + bytes(100) + end_record
    assert refused(data).code == Code.TOO_LARGE.code and sniff(data) == "zip"


def test_a_lying_size_header_stops_inflation_at_the_declared_size():
    """The directory says 1 000 bytes; the data inflates to 64 MB: at most 1 001 are inflated."""
    with zipfile.ZipFile(io.BytesIO(bomb(64, "xl/sharedStrings.xml"))) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
        compressed = archive.fp.getvalue()
    lying = patch_central_directory(compressed, "xl/sharedStrings.xml", 24, 1000)
    package, findings = open_package(lying, "lying.xlsx")
    assert info.file_size == 64 << 20 and package is not None and findings == []
    tracemalloc.start()
    try:
        with pytest.raises(PackageError) as caught:
            package.read("xl/sharedStrings.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.finding.code == Code.CORRUPT.code
    assert peak < 4 << 20


def test_reading_stops_when_the_total_budget_is_spent(form_bytes):
    package, _ = open_package(form_bytes, "005.xlsx", Limits(max_uncompressed_bytes=120_000))
    package.read("xl/worksheets/sheet2.xml")
    package.read("xl/sharedStrings.xml")
    with pytest.raises(PackageError) as caught:
        for _ in range(3):
            package.read("xl/worksheets/sheet2.xml")
    assert caught.value.finding.code == Code.TOO_LARGE.code


# --- XML entity tricks ----------------------------------------------------------------------------

@pytest.mark.parametrize("part", [
    BILLION_LAUGHS,
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b'<?xml version="1.0"?><!-- a comment first --><?pi x?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16"),
    ' <!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16-be"),  # no byte order mark
    ' <!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16-le"),
])
def test_any_dtd_is_unsafe_and_nothing_is_expanded(part):
    assert has_dtd(part)
    start = time.perf_counter()
    with pytest.raises(PackageError) as caught:
        parse_xml(part, "xl/sharedStrings.xml", "laughs.xlsx")
    assert time.perf_counter() - start < 0.1
    assert caught.value.finding.code == Code.UNSAFE_XML.code


def test_plain_xml_parses_and_an_undeclared_entity_is_corrupt():
    assert parse_xml(b'<?xml version="1.0"?><!-- <!DOCTYPE --><x a="&lt;"/>', "p", "f").get("a") == "<"
    with pytest.raises(PackageError) as caught:
        parse_xml(b"<x>&nbsp;</x>", "p", "f")
    assert caught.value.finding.code == Code.CORRUPT.code


def test_a_dtd_in_the_package_relationships_refuses_the_file(form_bytes):
    rels = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><Relationships/>'
    finding = refused(rezip(form_bytes, {"_rels/.rels": rels}))
    assert finding.code == Code.UNSAFE_XML.code


def test_an_entity_bomb_in_the_content_types_refuses_the_file(form_bytes):
    """[Content_Types].xml is only sniffed, never parsed; a package declaring entities is refused."""
    with zipfile.ZipFile(io.BytesIO(form_bytes)) as package:
        types = package.read("[Content_Types].xml")
    dtd = BILLION_LAUGHS.split(b"?>", 1)[1].split(b"<sst", 1)[0]  # <!DOCTYPE lolz [...]>
    bomb = types.replace(b"<Types", dtd + b"<Types", 1)
    assert has_dtd(bomb) and b"spreadsheetml" in bomb
    finding = refused(rezip(form_bytes, {"[Content_Types].xml": bomb}))
    assert finding.code == Code.UNSAFE_XML.code and "[Content_Types].xml" in finding.message


# --- Encrypted and legacy workbooks (real tools) ---------------------------------------------------

def test_a_password_encrypted_workbook(form_bytes):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    encrypted = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(form_bytes)).encrypt("matkhau", encrypted)
    assert sniff(encrypted.getvalue()) == "encrypted"
    assert refused(encrypted.getvalue()).code == Code.ENCRYPTED.code


def test_a_damaged_ole_file_is_told_apart_by_its_stream_names():
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
    assert sniff(head + "EncryptedPackage".encode("utf-16-le")) == "encrypted"
    assert sniff(head + "Workbook".encode("utf-16-le")) == "xls"
    assert sniff(head + "WordDocument".encode("utf-16-le")) == "doc"


@needs_office
@pytest.mark.parametrize(("target", "kind", "code"), [("xls", "xls", Code.LEGACY_XLS),
                                                       ("ods", "ods", Code.ODS)])
def test_legacy_and_opendocument_workbooks_from_libreoffice(form, tmp_path, target, kind, code):
    converted = convert(form, target, tmp_path).read_bytes()
    assert sniff(converted) == kind
    assert refused(converted, f"005.{target}").code == code.code

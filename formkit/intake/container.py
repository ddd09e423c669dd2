"""Opening a returned file safely: what it really is, and its zip parts within fixed limits.

Units send anything: PDFs, Word files, renamed or truncated files, encrypted or legacy workbooks,
and a hostile file may be a zip bomb or carry XML entity tricks. Everything here works on bytes
already in memory, decides by content never by name, checks the zip's central directory before
inflating anything, and turns every problem into one finding, never an exception or a hang.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError, fromstring

from formkit.findings import Code, Finding

MB = 1 << 20
CHUNK = MB  # inflate this much at a time, counting, so a lying size header cannot blow up memory
SNIFF_CAP = MB  # at most this much of [Content_Types].xml or mimetype is read to tell the kind
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Everything zipfile and zlib raise on damaged or hostile archives (RuntimeError: encrypted entry,
# NotImplementedError: unsupported compression method, struct.error: truncated headers).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
              RuntimeError, NotImplementedError, KeyError, IndexError, UnicodeDecodeError)
SPREADSHEETS = ("xlsx", "xlsm")
NOT_SPREADSHEET = {
    "pdf": "tệp PDF", "docx": "văn bản Word (.docx)", "doc": "văn bản Word (.doc)",
    "pptx": "bản trình chiếu PowerPoint (.pptx)", "ppt": "bản trình chiếu PowerPoint (.ppt)",
    "odf": "tài liệu OpenDocument (không phải bảng tính)", "xlsb": "sổ tính Excel dạng nhị phân (.xlsb)",
    "png": "ảnh", "jpeg": "ảnh", "gif": "ảnh", "text": "tệp văn bản", "zip": "tệp nén ZIP",
    "unknown": "tệp không rõ định dạng",
}
# Main content types in [Content_Types].xml, checked in this order.
CONTENT_KINDS = (
    (b"ms-excel.sheet.macroEnabled", "xlsm"), (b"ms-excel.template.macroEnabled", "xlsm"),
    (b"ms-excel.sheet.binary", "xlsb"), (b"spreadsheetml.sheet.main", "xlsx"),
    (b"spreadsheetml.template.main", "xlsx"), (b"wordprocessingml.document", "docx"),
    (b"ms-word.document", "docx"), (b"presentationml", "pptx"), (b"ms-powerpoint", "pptx"),
)
NAME_KINDS = (("xl/workbook.xml", "xlsx"), ("xl/workbook.bin", "xlsb"), ("word/document.xml", "docx"),
              ("ppt/presentation.xml", "pptx"))
OFFICE_DOCUMENT = "/officeDocument"
DIRECTORY_BYTES_PER_ENTRY = 1024  # central-directory room per allowed entry (46 bytes + the name)


@dataclass(frozen=True)
class Limits:
    """What a returned form may weigh; a real filled form is well under 1 MB."""

    max_file_bytes: int = 50 * MB
    max_entries: int = 5000
    max_uncompressed_bytes: int = 200 * MB  # all parts together
    max_entry_bytes: int = 100 * MB
    max_ratio: int = 200  # uncompressed : compressed, for parts bigger than ratio_floor
    ratio_floor: int = MB
    max_cell_chars: int = 32767


DEFAULT_LIMITS = Limits()


class PackageError(Exception):
    """A part cannot be used; carries the finding the reader reports instead of crashing."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # the full relationship type URI
    target: str  # a part name inside the package, resolved against the source part


# --- What the bytes are ------------------------------------------------------------------------

def sniff(data: bytes) -> str:
    """The kind of file, by content: see NOT_SPREADSHEET and SPREADSHEETS for the names.

    Also "empty", "ods", "xls", "encrypted", and "corrupt" (a zip whose directory is unreadable).
    """
    if not data:
        return "empty"
    if data.startswith(ZIP_MAGICS):
        if _directory_size(data) > DEFAULT_LIMITS.max_entries * DIRECTORY_BYTES_PER_ENTRY:
            return "zip"  # not worth parsing: open_package refuses it as too large
        archive = _open_zip(data)
        return "corrupt" if archive is None else _zip_kind(data, archive)
    if data.startswith(OLE_MAGIC):
        return _ole_kind(data)
    return _magic_kind(data[:4096])


def _magic_kind(head: bytes) -> str:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    return "text" if _looks_like_text(head) else "unknown"


def _looks_like_text(head: bytes) -> bool:
    """Mostly printable UTF-8 (or UTF-16 with a byte order mark): a CSV, HTML or plain text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return False
        text = head[:exc.start].decode("utf-8")
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return bool(text) and printable >= 0.95 * len(text)


def _ole_kind(data: bytes) -> str:
    """Encrypted OOXML and legacy Office files share the OLE2 container; its streams tell them apart."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # olefile raises many types on damaged input; fall back to a byte search
        streams = {name.lower() for name in ("EncryptionInfo", "EncryptedPackage", "Workbook",
                                             "WordDocument") if name.encode("utf-16-le") in data}
    if {"encryptioninfo", "encryptedpackage"} & streams:
        return "encrypted"
    if "worddocument" in streams:
        return "doc"
    if "powerpoint document" in streams:
        return "ppt"
    return "xls"


def _open_zip(data: bytes) -> zipfile.ZipFile | None:
    """The archive with its central directory read (nothing inflated), or None when unreadable."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        return None


def _zip_kind(data: bytes, archive: zipfile.ZipFile) -> str:
    index = _index(archive)
    mimetype = _peek(data, archive, index.get("mimetype"))
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "odf"
    types = _peek(data, archive, index.get("[content_types].xml"))
    kind = next((k for marker, k in CONTENT_KINDS if marker in types), None)
    kind = kind or next((k for part, k in NAME_KINDS if part in index), "zip")
    if kind == "xlsx" and any(name.endswith("vbaproject.bin") for name in index):
        return "xlsm"
    return kind


def _peek(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> bytes:
    """A small part's bytes for sniffing; b"" when missing, damaged or suspiciously large."""
    if info is None or info.file_size > SNIFF_CAP:
        return b""
    try:
        return _inflate(data, archive, info, SNIFF_CAP)
    except (OverflowError, *ZIP_ERRORS):
        return b""


def _inflate(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """One part's bytes, inflating at most min(cap, declared size) + 1 bytes whatever the headers say.

    Stored and deflated parts (all that Office writes) are inflated straight from the buffer,
    which is several times cheaper than zipfile's stream per part; OverflowError past `cap`.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
        return _inflate_stream(archive, info, cap)
    start = info.header_offset
    header = data[start:start + 30]
    if len(header) != 30 or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    begin = start + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    packed = memoryview(data)[begin:begin + info.compress_size]
    limit = min(cap, info.file_size)
    if info.compress_type == zipfile.ZIP_STORED:
        out = bytes(packed[:limit + 1])
    else:
        out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(packed, limit + 1)
    if len(out) > cap:
        raise OverflowError(len(out))
    if len(packed) != info.compress_size or len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise zipfile.BadZipFile(f"size or CRC mismatch in {info.filename}")  # truncated or lying
    return out


def _inflate_stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Other compression methods through zipfile, in counted chunks."""
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > cap:
                raise OverflowError(size)
            chunks.append(chunk)
    return b"".join(chunks)


def _index(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Part names are case-insensitive in OPC; some writers also use backslashes."""
    return {_key(info.filename): info for info in archive.infolist() if not info.is_dir()}


def _key(part: str) -> str:
    return part.replace("\\", "/").lstrip("/").lower()


# --- Opening a workbook package ----------------------------------------------------------------

def open_package(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS
                 ) -> tuple[Package | None, list[Finding]]:
    """The workbook's zip package, or None with exactly one finding saying why it was refused."""
    if not data:
        return None, [Code.FILE_EMPTY(file=name)]
    if len(data) > limits.max_file_bytes:
        detail = f"tệp {_size(len(data))}, vượt giới hạn {_size(limits.max_file_bytes)}"
        return None, [Code.TOO_LARGE(file=name, detail=detail)]
    if not data.startswith(ZIP_MAGICS):
        return None, [_refusal(sniff(data), name)]
    directory = _directory_size(data)
    if directory > limits.max_entries * DIRECTORY_BYTES_PER_ENTRY:
        detail = f"danh mục tệp nén {_size(directory)}, quá nhiều phần"
        return None, [Code.TOO_LARGE(file=name, detail=detail)]
    archive = _open_zip(data)
    if archive is None:
        return None, [Code.CORRUPT(file=name, detail="tệp nén bị cắt cụt hoặc hỏng")]
    too_large = _check_limits(archive, limits)
    if too_large:
        return None, [Code.TOO_LARGE(file=name, detail=too_large)]
    kind = _zip_kind(data, archive)
    if kind not in SPREADSHEETS:
        return None, [_refusal(kind, name)]
    types = _peek(data, archive, _index(archive).get("[content_types].xml"))
    if has_dtd(types):  # never parsed, but a package that declares entities is hostile: refused
        detail = "phần [Content_Types].xml có khai báo DOCTYPE/ENTITY"
        return None, [Code.UNSAFE_XML(file=name, detail=detail)]
    package = Package(data, archive, name, kind, limits)
    try:
        package.workbook_part = package.find_workbook()
    except PackageError as exc:
        return None, [exc.finding]
    return package, [Code.MACROS(file=name)] if kind == "xlsm" else []


def _refusal(kind: str, name: str) -> Finding:
    if kind == "empty":
        return Code.FILE_EMPTY(file=name)
    if kind == "encrypted":
        return Code.ENCRYPTED(file=name)
    if kind == "xls":
        return Code.LEGACY_XLS(file=name)
    if kind == "ods":
        return Code.ODS(file=name)
    if kind == "corrupt":
        return Code.CORRUPT(file=name, detail="tệp nén bị cắt cụt hoặc hỏng")
    return Code.NOT_SPREADSHEET(file=name, what=NOT_SPREADSHEET.get(kind, NOT_SPREADSHEET["unknown"]))


def _directory_size(data: bytes) -> int:
    """The central directory's size as the end record declares it (zip64 too), read before
    zipfile builds an object per entry: a small file can announce a million empty entries."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end == -1:
        return 0
    size = int.from_bytes(data[end + 12:end + 16], "little")
    locator = end - 20
    if size == 0xFFFFFFFF and data[locator:locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(data[locator + 8:locator + 16], "little")
        size = int.from_bytes(data[record + 40:record + 48], "little")
    return size


def _check_limits(archive: zipfile.ZipFile, limits: Limits) -> str | None:
    """Zip-bomb checks on the central directory alone, before anything is inflated."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        return f"{len(infos)} phần trong tệp nén, vượt giới hạn {limits.max_entries}"
    total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.max_entry_bytes:
            return (f"phần '{info.filename}' giải nén ra {_size(size)}, vượt giới hạn "
                    f"{_size(limits.max_entry_bytes)}")
        if size > limits.ratio_floor and size > limits.max_ratio * packed:
            return (f"phần '{info.filename}' nén với tỉ lệ {size // packed}:1, vượt giới hạn "
                    f"{limits.max_ratio}:1")
        total += size
    if total > limits.max_uncompressed_bytes:
        return f"giải nén ra {_size(total)}, vượt giới hạn {_size(limits.max_uncompressed_bytes)}"
    return None


def _size(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{max(size // 1024, 1)} KB"


class Package:
    """The parts of a workbook zip, read within the limits; failures raise PackageError."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, name: str, kind: str, limits: Limits
                 ) -> None:
        self.name, self.kind, self.limits = name, kind, limits
        self.workbook_part = "xl/workbook.xml"
        self._data, self._archive = data, archive
        self._index = _index(archive)
        self._inflated = 0  # bytes inflated so far, against limits.max_uncompressed_bytes
        self._relationships: dict[str, list[Relationship]] = {}

    def names(self) -> list[str]:
        return [info.filename for info in self._archive.infolist() if not info.is_dir()]

    def has(self, part: str) -> bool:
        return _key(part) in self._index

    def read(self, part: str) -> bytes:
        """The part's bytes; PackageError (CORRUPT or TOO_LARGE) when missing, damaged or too big."""
        info = self._index.get(_key(part))
        if info is None:
            raise PackageError(Code.CORRUPT(file=self.name, detail=f"thiếu phần {part}"))
        budget = min(self.limits.max_entry_bytes, self.limits.max_uncompressed_bytes - self._inflated)
        try:
            data = _inflate(self._data, self._archive, info, budget)
        except OverflowError as exc:
            detail = f"phần '{part}' giải nén ra hơn {_size(budget)}"
            raise PackageError(Code.TOO_LARGE(file=self.name, detail=detail)) from exc
        except ZIP_ERRORS as exc:
            detail = f"phần {part} bị hỏng ({type(exc).__name__})"
            raise PackageError(Code.CORRUPT(file=self.name, detail=detail)) from exc
        self._inflated += len(data)
        return data

    def xml(self, part: str) -> Element:
        """The part parsed as XML, refusing DTDs (so no entity expansion, no external fetch)."""
        return parse_xml(self.read(part), part, self.name)

    def relationships(self, source: str) -> list[Relationship]:
        """The internal relationships of a part ("" for the package), targets resolved."""
        if source not in self._relationships:
            self._relationships[source] = self._read_relationships(source)
        return self._relationships[source]

    def _read_relationships(self, source: str) -> list[Relationship]:
        folder, base = posixpath.split(source)
        rels_part = posixpath.join(folder, "_rels", f"{base}.rels")
        if not self.has(rels_part):
            return []
        found = []
        for element in self.xml(rels_part):
            target = element.get("Target")
            if target is None or element.get("TargetMode") == "External":
                continue
            found.append(Relationship(element.get("Id", ""), element.get("Type", ""),
                                      resolve_target(folder, target)))
        return found

    def find_workbook(self) -> str:
        """The main workbook part: the package's officeDocument relationship, or the usual path."""
        for rel in self.relationships(""):
            if rel.type.endswith(OFFICE_DOCUMENT) and self.has(rel.target):
                return rel.target
        if self.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise PackageError(Code.CORRUPT(file=self.name, detail="thiếu phần sổ tính xl/workbook.xml"))

    def close(self) -> None:
        self._archive.close()


def resolve_target(folder: str, target: str) -> str:
    """A relationship target as a part name: absolute ("/xl/...") or relative to the source."""
    target = unquote(target.replace("\\", "/"))
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path).lstrip("/")


# --- Safe XML ----------------------------------------------------------------------------------

def parse_xml(data: bytes, part: str, name: str) -> Element:
    """Parse with the C parser after refusing any DTD (see refuse_dtd)."""
    refuse_dtd(data, part, name)
    try:
        return fromstring(data)
    except (ParseError, ValueError, LookupError) as exc:
        raise PackageError(Code.CORRUPT(file=name, detail=f"phần {part} không đúng XML")) from exc


def refuse_dtd(data: bytes, part: str, name: str) -> None:
    """UNSAFE_XML for a part with a DOCTYPE.

    Entities can only be declared in a DTD, and a DTD can only come before the root element: a
    part without one cannot expand or fetch entities, so checking the prolog is enough and keeps
    the fast C parser (defusedxml's pure-Python tree builder is several times slower).
    """
    if has_dtd(data):
        detail = f"phần {part} có khai báo DOCTYPE/ENTITY"
        raise PackageError(Code.UNSAFE_XML(file=name, detail=detail))


def has_dtd(data: bytes) -> bool:
    """Whether a DOCTYPE (or any other <! declaration) comes before the root element.

    The parser also reads UTF-16 without a byte order mark (a NUL among the first bytes), so the
    check decodes that too; text that will not decode is refused rather than guessed at.
    """
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-be" if head[:1] == b"\x00" else "utf-16-le")
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            return True
    pos = root_position(data)
    return pos != -1 and data.startswith(b"<!", pos)


def root_position(data: bytes) -> int:
    """Where the first markup after the XML declaration, comments and instructions starts."""
    pos = 0
    while (pos := data.find(b"<", pos)) != -1:
        if data.startswith(b"<!--", pos):
            pos = data.find(b"-->", pos + 4)
        elif data.startswith(b"<?", pos):
            pos = data.find(b"?>", pos + 2)
        else:
            return pos
        if pos == -1:
            return -1  # unterminated comment or instruction: not well-formed, parsing fails
    return -1

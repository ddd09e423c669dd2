"""Word templates: found (the workspace's override first), prepared once, rendered deterministically.

docxtpl re-reads its template file, re-patches its XML for Jinja and recompiles it on every
render. A `PreparedTemplate` keeps the file's bytes, the patched XML and the compiled Jinja
templates, so the 52 minutes cost one read, one patch and one compilation. Every value is
escaped (`autoescape=True`): a "&" or "<" in a unit's text stays text instead of breaking the
document's XML. The .docx bytes depend only on the template and the context: core properties
and zip entry times are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from pathlib import Path

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError, UndefinedError

from formkit.documents.charts import Chart
from formkit.documents.decree30 import fit_table_grids
from formkit.documents.schema import KINDS
from formkit.errors import FormkitError
from formkit.resources import report_templates_root
from formkit.workspace import Workspace

TEMPLATE_FILES = {kind.name: kind.file for kind in KINDS.values()}  # minutes, report, decision
OVERRIDE_DIR = "templates"  # in the workspace, unless settings `documents.templates` names another
ZIP_TIME = (0, (0 << 9) | (1 << 5) | 1)  # MS-DOS time and date of 1980-01-01 00:00
LISTING_MARKS = "\t\a\n\f"  # what docxtpl turns into a tab, a paragraph, a line or a page break


def override_dir(workspace: Workspace) -> Path:
    return workspace.root / (workspace.settings.documents.templates or OVERRIDE_DIR)


def find_template(workspace: Workspace, kind: str) -> Path:
    """The workspace's own template of that kind when it has one, else the shipped one."""
    name = TEMPLATE_FILES[kind]
    own = override_dir(workspace) / name
    if own.is_file():
        return own
    shipped = report_templates_root() / name
    if not shipped.is_file():
        raise FormkitError(f"Không tìm thấy mẫu văn bản {name} (trong {override_dir(workspace)} hoặc "
                           f"{report_templates_root()}). Cài lại formkit hoặc đặt mẫu vào "
                           f"{override_dir(workspace)}.")
    return shipped


class _CompilingOnce(Environment):
    """A Jinja environment that compiles each distinct source once (docxtpl asks on every render)."""

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            self._compiled[source] = super().from_string(source)
        return self._compiled[source]


class _Copy(DocxTemplate):
    """docxtpl over an in-memory copy, sharing the XML it already patched for Jinja."""

    def __init__(self, data: bytes, patched: dict[str, str], breaks: bool) -> None:
        super().__init__(io.BytesIO(data))
        self.patched = patched
        self.breaks = breaks  # some value holds a tab, line break or page break

    def patch_xml(self, src_xml: str) -> str:
        if src_xml not in self.patched:
            self.patched[src_xml] = super().patch_xml(src_xml)
        return self.patched[src_xml]

    def resolve_listing(self, xml: str) -> str:
        """docxtpl turns tabs and breaks inside values into Word's; without any, there is nothing to do."""
        return super().resolve_listing(xml) if self.breaks else xml


class PreparedTemplate:
    """A template read, patched and compiled once; each render starts from an in-memory copy."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.env = _CompilingOnce()
        self.patched: dict[str, str] = {}
        try:
            self.column_tags = _has_column_tags(self.data)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise FormkitError(f"Mẫu văn bản {path} không phải tệp Word .docx đọc được ({exc}). Lưu lại "
                               f"mẫu bằng Word dưới dạng .docx rồi kiểm tra: formkit templates check "
                               f"{path}") from exc

    def render(self, context: dict, when: dt.date, author: str = "", title: str = "") -> bytes:
        """The filled document as deterministic .docx bytes; `when`, its date, is its file time;
        `author` and `title` fill its properties (what Word and a PDF show as its origin)."""
        template = _Copy(self.data, self.patched, _has_breaks(context))
        try:
            template.render(_with_images(template, context), jinja_env=self.env, autoescape=True)
        except UndefinedError as exc:
            raise FormkitError(f"Mẫu văn bản {self.path} dùng biến không có: {exc.message}. Kiểm "
                               f"tra mẫu bằng: formkit templates check {self.path}") from exc
        except TemplateError as exc:
            raise FormkitError(f"Mẫu văn bản {self.path} có lỗi thẻ: {exc}. Kiểm tra mẫu bằng: "
                               f"formkit templates check {self.path}") from exc
        if self.column_tags:
            fit_table_grids(template.docx)  # column tags leave the grid stale; LibreOffice lays out by it
        return _docx_bytes(template, when, author, title)


def _has_column_tags(data: bytes) -> bool:
    """Whether the template adds or drops table cells ({%tc ...%}, colspan), so grids need refitting."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("word/document.xml").decode("utf-8", "replace")
    return bool(re.search(r"\{%-?\s*tc\s|colspan", xml))


def _docx_bytes(template: DocxTemplate, when: dt.date, author: str, title: str) -> bytes:
    moment = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    properties = template.docx.core_properties
    properties.created = properties.modified = moment
    properties.last_printed = moment
    properties.author = properties.last_modified_by = author
    if title:
        properties.title = title
    properties.revision = 1
    buffer = io.BytesIO()
    template.save(buffer)
    return stable_zip(buffer.getvalue())


def _has_breaks(value) -> bool:
    if isinstance(value, str):
        return any(mark in value for mark in LISTING_MARKS)
    if isinstance(value, dict):
        return any(_has_breaks(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_breaks(v) for v in value)
    return False


def _with_images(template: DocxTemplate, value):
    """A copy of the context with each Chart as a picture of this document."""
    if isinstance(value, Chart):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {k: _with_images(template, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_images(template, v) for v in value]
    return value


def stable_zip(data: bytes) -> bytes:
    """The same zip with every entry's time set to 1980-01-01 and its host system to MS-DOS.

    python-docx stamps entries with the current time; patching the headers in place (ZIP format:
    local headers hold the time at +10, central headers the host at +5, time at +12, attributes at
    +38) keeps the compressed data as it is, so nothing is compressed twice.
    """
    out = bytearray(data)
    end = out.rfind(b"PK\x05\x06")
    entries, central = struct.unpack_from("<H", out, end + 10)[0], struct.unpack_from("<I", out, end + 16)[0]
    for _ in range(entries):
        if out[central:central + 4] != b"PK\x01\x02":
            raise ValueError("not a zip central directory entry")
        local = struct.unpack_from("<I", out, central + 42)[0]
        struct.pack_into("<HH", out, local + 10, *ZIP_TIME)
        out[central + 5] = 0
        struct.pack_into("<HH", out, central + 12, *ZIP_TIME)
        struct.pack_into("<I", out, central + 38, 0)
        names, extra, comment = struct.unpack_from("<HHH", out, central + 28)
        central += 46 + names + extra + comment
    return bytes(out)

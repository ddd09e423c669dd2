"""The tree road behind `formkit.intake.xlsx`: parts the fast scan does not recognise.

They are parsed by the C XML parser (after `formkit.intake.container` has refused any DTD), and
a sheet's cells are written back in the plain form the scan reads, so both roads end in the same
cell builder. Prefixed or strict namespaces, cells and rows without coordinates, rich text and
comments all come this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from openpyxl.utils.cell import column_index_from_string, get_column_letter

TRUE = ("1", "true")  # how XML writes a true boolean attribute
MAX_COLUMN = 16384  # XFD
_REF = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")


def rewrite_sheet(root: Element) -> tuple[str, bool]:
    """The parsed sheet's cells written back in the plain form the scan reads."""
    ns = namespace(root.tag)
    protection = root.find(ns + "sheetProtection")
    protected = protection is not None and protection.get("sheet") in TRUE
    sheet_data = root.find(ns + "sheetData")
    return ("" if sheet_data is None else "".join(_rewrite_cells(sheet_data, ns))), protected


def _rewrite_cells(sheet_data: Element, ns: str) -> Iterator[str]:
    """Cells without (or with malformed) coordinates get them by counting rows and columns."""
    row_number = 0
    for row in sheet_data.iterfind(ns + "row"):
        r = row.get("r", "")
        row_number = number if (number := number_of(r)) >= 0 else row_number + 1
        column = 0
        for c in row.iterfind(ns + "c"):
            ref = c.get("r", "").upper()
            if _REF.fullmatch(ref):
                column = column_index_from_string(ref.rstrip("0123456789"))
            else:
                column += 1
                if column > MAX_COLUMN:
                    continue
                ref = f"{get_column_letter(column)}{row_number}"
            yield _rewrite_cell(c, ns, ref)


def _rewrite_cell(c: Element, ns: str, ref: str) -> str:
    s, t = c.get("s", ""), c.get("t", "")
    head = (f'<c r="{ref}"' + (f' s="{s}"' if number_of(s) >= 0 else "")
            + (f' t="{t}"' if t.isascii() and t.isalpha() else ""))
    body = ""
    f = c.find(ns + "f")
    if f is not None:
        attributes = "".join(f' {key}="{_escape(f.get(key, ""))}"' for key in ("t", "ref", "si")
                             if key in f.attrib)
        body = f"<f{attributes}>{_escape(f.text or '')}</f>"
    v, inline = c.find(ns + "v"), c.find(ns + "is")
    if v is not None and v.text:
        body += f"<v>{_escape(v.text)}</v>"
    elif inline is not None:
        body += f"<is><t>{_escape(string_item(inline, ns))}</t></is>"
    return f"{head}>{body}</c>" if body else f"{head}/>"


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\r", "&#13;"))


def string_item(item: Element, ns: str) -> str:
    """Text of a shared or inline string: plain <t>, or rich-text runs; phonetic <rPh> ignored."""
    t = item.find(ns + "t")
    if t is not None:
        return t.text or ""
    return "".join(run.findtext(ns + "t") or "" for run in item.iterfind(ns + "r"))


def namespace(tag: str) -> str:
    """"{uri}" of an element (transitional or strict OOXML, prefixed or not), or ""."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def tree_style_fonts(root: Element) -> tuple[list[str | None], list[str]]:
    ns = namespace(root.tag)
    fonts, xfs = root.find(ns + "fonts"), root.find(ns + "cellXfs")
    names = [font.find(ns + "name") for font in ([] if fonts is None else fonts)]
    return ([None if name is None else name.get("val") for name in names],
            [xf.get("fontId", "0") for xf in ([] if xfs is None else xfs)])


def number_of(text: str) -> int:
    """A small non-negative integer written in ASCII digits, or -1."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1

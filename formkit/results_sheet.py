"""Building blocks of the results workbook's sheets (xlsxwriter): formats, tables, print setup.

Every sheet prints on A4 landscape, one page wide (as many pages tall as needed), with its header
rows repeated on each page, a print area around what it holds and "Trang n/m" in the footer; long
notes are merged over the table's width and wrapped, with a row height that fits them (neither
Excel nor LibreOffice sizes a merged row by itself).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from formkit.intake.validate import neutralise

FONT = "Times New Roman"
POINTS = "#,##0.00"
PERCENT = "0.00"
A4 = 9  # xlsxwriter paper code
ROW_PX = 20  # default row height (15 pt) in pixels


def formats(book) -> dict:
    """The workbook's cell formats, by role."""
    base = {"font_name": FONT, "font_size": 11, "border": 1, "valign": "top"}
    plain = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True}
    return {"title": book.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
            "warn": book.add_format({**plain, "bold": True, "font_color": "#C00000"}),
            "note": book.add_format(plain),
            "header": book.add_format({**base, "bold": True, "bg_color": "#D9E1F2",
                                       "text_wrap": True, "align": "center"}),
            "text": book.add_format(base), "wrap": book.add_format({**base, "text_wrap": True}),
            "num": book.add_format({**base, "num_format": POINTS}),
            "pct": book.add_format({**base, "num_format": PERCENT}),
            "int": book.add_format({**base, "num_format": "0"})}


def cell(sheet, row: int, col: int, value, f: dict, number: str = "num") -> None:
    """One value: blank, integer, exact number (shown rounded) or text made formula-safe."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, f["text"])
    elif isinstance(value, bool):
        sheet.write_string(row, col, "Có" if value else "", f["text"])
    elif isinstance(value, int):
        sheet.write_number(row, col, value, f["int"])
    elif isinstance(value, Fraction | Decimal | float):
        sheet.write_number(row, col, float(value), f[number])
    else:
        sheet.write_string(row, col, neutralise(str(value)), f["text"])


def table(sheet, top: int, headers: list[tuple[str, float]], rows: list[list], f: dict,
          filtered: bool = True, styles: dict[int, str] | None = None) -> int:
    """Headers (text, column width) at row `top`, then the rows; returns the row after the table.

    `styles` maps a column to the format of its numbers ("pct", "wrap"); a filtered table also
    gets frozen headers (and the first two columns) and an autofilter.
    """
    styles = styles or {}
    for col, (header, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(top, col, header, f["header"])
    sheet.set_row(top, 15 * max(lines(header, width) for header, width in headers))
    wrapped = [col for col, style in styles.items() if style == "wrap"]
    for r, values in enumerate(rows, start=top + 1):
        height = max((lines(values[col], headers[col][1]) for col in wrapped
                      if isinstance(values[col], str)), default=1)
        if height > 1:
            sheet.set_row(r, 15 * height)
        for col, value in enumerate(values):
            style = styles.get(col, "num")
            if style == "wrap" and isinstance(value, str) and value:
                sheet.write_string(r, col, neutralise(value), f["wrap"])
            else:
                cell(sheet, r, col, value, f, style if style != "wrap" else "num")
    if filtered:
        sheet.freeze_panes(top + 1, 2)
        sheet.autofilter(top, 0, top + max(len(rows), 1), len(headers) - 1)
    return top + len(rows) + 1


def lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (a generous estimate:
    LibreOffice does not size rows to wrapped text on its own)."""
    return sum(max(1, math.ceil(len(part) * 0.9 / max(width - 0.5, 1))) for part in text.split("\n"))


def note(sheet, row: int, text: str, last_col: int, chars: float, fmt) -> int:
    """A note merged over columns 0..last_col (about `chars` characters wide); returns next row."""
    sheet.set_row(row, 15 * lines(text, chars))
    if last_col:
        sheet.merge_range(row, 0, row, last_col, neutralise(text), fmt)
    else:
        sheet.write_string(row, 0, neutralise(text), fmt)
    return row + 1


def print_setup(sheet, last_row: int, last_col: int, header: tuple[int, int] | None,
                title: str) -> None:
    """A4 landscape, one page wide, header rows repeated, print area, title and page numbers."""
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 0)
    sheet.print_area(0, 0, max(last_row, 0), max(last_col, 0))
    if header is not None:
        sheet.repeat_rows(*header)
    safe = title.replace("&", "&&")
    sheet.set_footer(f'&L&"{FONT}"&9{safe}&R&"{FONT}"&9Trang &P/&N')


def width_px(widths: list[float]) -> int:
    """Pixels spanned by columns of these character widths (Excel's default font metrics)."""
    return sum(int(w * 7 + 5) for w in widths)

"""Building blocks of the results workbook's sheets (xlsxwriter): formats, tables, print setup.

Every sheet meant for people prints on A4 landscape, one page wide (as many pages tall as needed),
with its header rows repeated on each page, a print area around what it holds and "Trang n/m" in
the footer; long notes are merged over the table's width and wrapped, with a row height that fits
them (neither Excel nor LibreOffice sizes a merged row by itself). Numbers carry the Vietnamese
number format (decimal comma), so LibreOffice prints 75,44 whatever the machine's locale.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from formkit.intake.validate import neutralise

FONT = "Times New Roman"
VI = "[$-42A]"  # the Vietnamese locale of a number format: 1.234,56
POINTS = VI + "#,##0.00"
PERCENT = VI + "0.00"
SIGNED = VI + "+#,##0.00;-#,##0.00;0.00"  # adjustments: + raised, - deducted
A4 = 9  # xlsxwriter paper code
ROW_PX = 20  # default row height (15 pt) in pixels
LINE_PT = 15  # one line of 11 pt text
# The printable width of A4 landscape between the margins below, in Excel's 96-dpi pixels.
PAGE_WIDTH_PX = int((11.69 - 0.5 - 0.4) * 96)
PAGE_HEIGHT_PX = int((8.27 - 0.6 - 0.6 - 0.6) * 96)  # less the footer


def formats(book) -> dict:
    """The workbook's cell formats, by role."""
    base = {"font_name": FONT, "font_size": 11, "border": 1, "valign": "top"}
    plain = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True}
    header = {**base, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center",
              "valign": "vcenter"}
    strong = {**base, "bold": True, "bg_color": "#F2F2F2"}
    return {"title": book.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
            "subtitle": book.add_format({**plain, "italic": True}),
            "warn": book.add_format({**plain, "bold": True, "font_color": "#C00000"}),
            "note": book.add_format(plain),
            "label": book.add_format({**plain, "bold": True, "border": 1}),
            "para": book.add_format({**plain, "border": 1}),
            "header": book.add_format(header),
            "header_up": book.add_format({**header, "rotation": 90, "valign": "bottom"}),
            "text": book.add_format(base), "wrap": book.add_format({**base, "text_wrap": True}),
            "center": book.add_format({**base, "align": "center"}),
            "num": book.add_format({**base, "num_format": POINTS}),
            "pct": book.add_format({**base, "num_format": PERCENT}),
            "signed": book.add_format({**base, "num_format": SIGNED}),
            "int": book.add_format({**base, "num_format": "0", "align": "center"}),
            "signed_int": book.add_format({**base, "num_format": "+0;-0;0", "align": "center"}),
            "short": book.add_format({**base, "bold": True, "font_color": "#C00000",
                                      "align": "center"}),
            "strong": book.add_format({**strong, "text_wrap": True}),
            "strong_center": book.add_format({**strong, "align": "center"}),
            "strong_num": book.add_format({**strong, "num_format": POINTS}),
            "strong_pct": book.add_format({**strong, "num_format": PERCENT}),
            "section": book.add_format({"font_name": FONT, "font_size": 12, "bold": True})}


def cell(sheet, row: int, col: int, value, f: dict, number: str = "num") -> None:
    """One value: blank, integer, exact number (shown rounded) or text made formula-safe."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, f["text"])
    elif isinstance(value, bool):
        sheet.write_string(row, col, "Có" if value else "", f["text"])
    elif isinstance(value, int):
        sheet.write_number(row, col, value, f["signed_int" if number == "signed_int" else "int"])
    elif isinstance(value, Fraction | Decimal | float):
        sheet.write_number(row, col, float(value), f[number])
    else:
        text = str(value)  # a lone dash (not applicable) cannot be a formula: kept as it is
        sheet.write_string(row, col, text if text == "-" else neutralise(text), f["center"])


def table(sheet, top: int, headers: list[tuple[str, float]], rows: list[list], f: dict,
          filtered: bool = False, styles: dict[int, str] | None = None) -> int:
    """Headers (text, column width) at row `top`, then the rows; returns the row after the table.

    `styles` maps a column to the format of its values ("pct", "signed", "wrap", "text"); a
    filtered table also gets frozen headers and an autofilter. Row heights fit the wrapped texts.
    """
    styles = styles or {}
    for col, (header, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(top, col, header, f["header"])
    sheet.set_row(top, LINE_PT * max(lines(header, width) for header, width in headers))
    wrapped = [col for col, style in styles.items() if style in ("wrap", "text")]
    for r, values in enumerate(rows, start=top + 1):
        height = max((lines(values[col], headers[col][1]) for col in wrapped
                      if isinstance(values[col], str)), default=1)
        if height > 1:
            sheet.set_row(r, LINE_PT * height)
        for col, value in enumerate(values):
            style = styles.get(col, "num")
            if style in ("wrap", "text") and isinstance(value, str) and value:
                sheet.write_string(r, col, neutralise(value), f["wrap"])
            else:
                cell(sheet, r, col, value, f, style if style not in ("wrap", "text") else "num")
    if filtered:
        sheet.freeze_panes(top + 1, 0)
        sheet.autofilter(top, 0, top + max(len(rows), 1), len(headers) - 1)
    return top + len(rows) + 1


def row_lines(values: list, widths: list[float], wrapped: set[int]) -> int:
    """Lines the tallest wrapped cell of a row takes."""
    return max((lines(v, widths[c]) for c, v in enumerate(values)
                if c in wrapped and isinstance(v, str)), default=1)


def lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (a generous estimate:
    LibreOffice does not size rows to wrapped text on its own; a Times New Roman character is
    about 0.66 of a width unit, and words do not break)."""
    return sum(max(1, math.ceil(len(part) * 0.7 / max(width - 1, 1))) for part in text.split("\n"))


def note(sheet, row: int, text: str, last_col: int, chars: float, fmt) -> int:
    """A note merged over columns 0..last_col (about `chars` characters wide); returns next row."""
    sheet.set_row(row, LINE_PT * lines(text, chars))
    if last_col:
        sheet.merge_range(row, 0, row, last_col, neutralise(text), fmt)
    else:
        sheet.write_string(row, 0, neutralise(text), fmt)
    return row + 1


def print_setup(sheet, last_row: int, last_col: int, header: tuple[int, int] | None,
                title: str, tall: int = 0) -> None:
    """A4 landscape, one page wide (`tall` pages high; 0: as many as needed), header rows
    repeated, print area, title and page numbers."""
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, tall)
    sheet.print_area(0, 0, max(last_row, 0), max(last_col, 0))
    if header is not None:
        sheet.repeat_rows(*header)
    safe = title.replace("&", "&&")
    sheet.set_footer(f'&L&"{FONT}"&9{safe}&R&"{FONT}"&9Trang &P/&N')


def width_px(widths: list[float]) -> int:
    """Pixels spanned by columns of these character widths (Excel's default font metrics)."""
    return sum(int(w * 7 + 5) for w in widths)


def chars_of(px: int) -> float:
    """The column width (characters) that spans `px` pixels."""
    return max((px - 5) / 7, 1)


def grid_table(sheet, top: int, columns: list[tuple[str, int]], rows: list[list], f: dict,
               unit: float, styles: dict[int, str] | None = None) -> int:
    """A table on a grid of equal columns `unit` characters wide: each column (header, span)
    covers `span` grid columns, merged. Returns the row after the table."""
    styles = styles or {}
    starts = [sum(span for _, span in columns[:n]) for n in range(len(columns))]
    widths = [span * unit for _, span in columns]

    def put(row: int, n: int, value, fmt) -> None:
        first, last = starts[n], starts[n] + columns[n][1] - 1
        if isinstance(value, Fraction | Decimal | float) and not isinstance(value, bool):
            value = float(value)
        elif isinstance(value, str):
            value = neutralise(value)
        elif value is None:
            value = ""
        if first == last:
            if value == "":
                sheet.write_blank(row, first, None, fmt)
            else:
                sheet.write(row, first, value, fmt)
        else:
            sheet.merge_range(row, first, row, last, value, fmt)

    sheet.set_row(top, LINE_PT * max(lines(h, w) for (h, _), w in zip(columns, widths, strict=True)))
    for n, (header, _) in enumerate(columns):
        put(top, n, header, f["header"])
    wrapped = {n for n, style in styles.items() if style == "wrap"}
    for r, values in enumerate(rows, start=top + 1):
        height = row_lines(values, widths, wrapped)
        if height > 1:
            sheet.set_row(r, LINE_PT * height)
        for n, value in enumerate(values):
            style = styles.get(n, "num")
            if isinstance(value, str) or value is None:
                role = "wrap" if style == "wrap" else "center"
            elif isinstance(value, int) and not isinstance(value, bool):
                role = "int"
            else:
                role = style
            put(r, n, value, f[role])
    return top + len(rows) + 1

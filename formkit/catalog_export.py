"""A readable workbook of a criteria catalogue, for staff to review the tree before a campaign.

Written with xlsxwriter and fixed document properties, so the same catalogue always gives the
same bytes (reviewers can tell at a glance whether anything changed).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from formkit.catalog import LEVEL_NAMES, Catalog, Criterion
from formkit.fileio import atomic_write_bytes
from formkit.units import UNIT_TYPES

FONT = "Times New Roman"
COLUMNS = (  # header, width
    ("Mã", 9), ("Nội dung", 60), ("Cấp", 14), ("Điểm tối đa", 10), ("Điểm thẩm định", 11),
    ("Điểm điều tra XHH", 11), ("Bước điểm", 8), ("Cần tài liệu kiểm chứng", 11),
    ("Hướng dẫn chấm điểm", 50), ("Không áp dụng cho đơn vị", 16),
)
POINTS_FORMAT = "#,##0.00"


def export_catalog_workbook(catalog: Catalog, out: Path) -> Path:
    """Write the catalogue as an .xlsx review workbook at `out` (atomically)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    created = dt.datetime(catalog.valid_years[0] or 2000, 1, 1)
    workbook.set_properties({"title": catalog.title, "subject": catalog.id,
                             "author": "formkit", "created": created,
                             "comments": f"content hash {catalog.content_hash}"})
    formats = _formats(workbook)
    _write_tree(workbook.add_worksheet("Tiêu chí"), catalog, formats)
    _write_info(workbook.add_worksheet("Thông tin"), catalog, formats)
    workbook.close()
    atomic_write_bytes(out, buffer.getvalue())
    return out


def _formats(workbook: xlsxwriter.Workbook) -> dict:
    base = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True, "border": 1}
    points = {**base, "num_format": POINTS_FORMAT}
    return {
        "title": workbook.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
        "header": workbook.add_format({**base, "bold": True, "bg_color": "#D9E1F2",
                                       "align": "center", "valign": "vcenter"}),
        1: workbook.add_format({**base, "bold": True, "bg_color": "#FCE4D6"}),
        2: workbook.add_format({**base, "bold": True, "bg_color": "#F2F2F2"}),
        3: workbook.add_format(base),
        "points1": workbook.add_format({**points, "bold": True, "bg_color": "#FCE4D6"}),
        "points2": workbook.add_format({**points, "bold": True, "bg_color": "#F2F2F2"}),
        "points3": workbook.add_format(points),
        "total": workbook.add_format({**points, "bold": True}),
        "label": workbook.add_format({**base, "bold": True}),
        "text": workbook.add_format(base),
    }


def _row_values(item: Criterion) -> list:
    leaf = item.is_leaf
    return [item.code, item.text, item.level_name, item.max_points, item.appraisal, item.survey,
            item.step if leaf else "", ("Có" if item.evidence else "Không") if leaf else "",
            item.guidance, ", ".join(item.not_applicable_to)]


def _write_tree(sheet, catalog: Catalog, formats: dict) -> None:
    sheet.write(0, 0, catalog.title, formats["title"])
    for col, (header, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write(2, col, header, formats["header"])
    row = 3
    for item in catalog.items:
        depth = min(item.depth, 3)
        for col, value in enumerate(_row_values(item)):
            if isinstance(value, Decimal):
                sheet.write_number(row, col, float(value), formats[f"points{depth}"])
            else:
                sheet.write_string(row, col, str(value), formats[depth])
        if depth > 1:
            sheet.set_row(row, None, None, {"level": depth - 1})
        row += 1
    sheet.write_string(row, 1, "Tổng cộng", formats["label"])
    for col, attr in ((3, "max_points"), (4, "appraisal"), (5, "survey")):
        total = sum((getattr(a, attr) for a in catalog.areas()), Decimal(0))
        column = "ABCDEF"[col]
        sheet.write_formula(row, col, f'=SUMIF(C4:C{row},"{LEVEL_NAMES[1]}",{column}4:{column}{row})',
                            formats["total"], float(total))
    sheet.freeze_panes(3, 2)
    sheet.autofilter(2, 0, row - 1, len(COLUMNS) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(2)
    sheet.set_footer(f"&L{catalog.id}&RTrang &P/&N")


def _write_info(sheet, catalog: Catalog, formats: dict) -> None:
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 90)
    leaves = catalog.leaves()
    rows = [("Mã bộ tiêu chí", catalog.id), ("Tên", catalog.title), ("Năm áp dụng", catalog.years_label),
            ("Loại đơn vị", UNIT_TYPES.get(catalog.unit_type, catalog.unit_type)),
            ("Nguồn", catalog.source), ("Tổng điểm", str(catalog.total_points)),
            ("Số lĩnh vực", str(len(catalog.areas()))), ("Số tiêu chí thành phần", str(len(leaves))),
            ("Mã kiểm tra nội dung", catalog.content_hash)]
    for row, (label, value) in enumerate(rows):
        sheet.write_string(row, 0, label, formats["label"])
        sheet.write_string(row, 1, value, formats["text"])

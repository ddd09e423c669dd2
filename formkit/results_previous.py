"""Last year's results for `consolidate --previous`: its results.csv or its results workbook.

Both carry the CSV_COLUMNS of formkit.results: the CSV as text, the workbook in its plain data
sheet DATA_SHEET (a hidden sheet; header in row 1, one row per unit). Only `unit`, `total` and
`rank` are read.
Anything else (another format, a workbook without that sheet, a missing column, a bad value)
is a FormkitError naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from formkit.errors import FormkitError

DATA_SHEET = "Dữ liệu"
NEEDED = ("unit", "total", "rank")
Previous = dict[str, tuple[Fraction, int | None]]


def read_previous(path: Path) -> Previous:
    """unit -> (total, rank) from a previous run's results.csv or results workbook (.xlsx)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _workbook_rows(path)
    else:
        raise FormkitError(f"Tệp kết quả năm trước {path} phải là results.csv hoặc tệp Excel kết "
                           "quả (.xlsx) do formkit consolidate ghi.")
    if not rows or not set(NEEDED) <= set(rows[0]):
        raise FormkitError(f"Tệp {path} không phải kết quả của formkit consolidate (cần các cột "
                           + ", ".join(NEEDED) + ").")
    previous = {}
    for number, row in enumerate(rows, start=2):
        unit = _text(row["unit"])
        if not unit:
            continue
        try:
            previous[unit] = (_exact(row["total"]), _rank(row["rank"]))
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            raise FormkitError(f"Tệp {path}, dòng {number} (đơn vị {unit}): tổng điểm hoặc hạng "
                               f"không hợp lệ ({row['total']!r}, {row['rank']!r}).") from exc
    return previous


def _csv_rows(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FormkitError(f"Không đọc được tệp kết quả năm trước {path}: {exc}") from exc


def _workbook_rows(path: Path) -> list[dict]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FormkitError(f"Không mở được tệp Excel kết quả năm trước {path}: tệp hỏng hoặc không "
                           "phải .xlsx.") from exc
    try:
        if DATA_SHEET not in book.sheetnames:
            raise FormkitError(f"Tệp {path} không có trang '{DATA_SHEET}': chỉ đọc được tệp kết quả "
                               "do formkit consolidate ghi (hoặc dùng results.csv của năm trước).")
        values = book[DATA_SHEET].iter_rows(values_only=True)
        header = [_text(v) for v in next(values, ())]
        return [dict(zip(header, row, strict=False)) for row in values]
    finally:
        book.close()


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _exact(value: object) -> Fraction:
    """A total as written: decimal text in the CSV, a number in the workbook (its shortest repr)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Fraction(Decimal(repr(value)))
    return Fraction(_text(value))


def _rank(value: object) -> int | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value) if isinstance(value, int | float) else int(_text(value))

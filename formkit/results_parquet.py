"""Parquet exports of the results, beside results.csv, for analysis tools (pandas, R, Power BI).

Schema (stable; Arrow types, and what `pandas.read_parquet` gives with its default backend):

`out/results/results.parquet`: one row per unit, in unit order, the columns of results.csv
(formkit.results.CSV_COLUMNS) in the same order:
- text, never null ("" where the CSV is empty): unit, name, unit_type, status, band, missing
  -> Arrow string; pandas `str` (pandas >= 3) or `object` (pandas 2);
- numbers, never null: appraised, survey, total, applicable_max, index_pct, self_total,
  adjustment -> Arrow float64; pandas float64;
- numbers, null without a previous year: previous_total, change -> float64 (NaN);
- integers, null where the CSV is empty: rank, previous_rank, rank_change -> Arrow int64;
  pandas nullable `Int64` (the file carries pandas metadata saying so).

`out/results/results_leaves.parquet`: one row per unit x leaf that applies to the unit, in unit
order then catalogue order: unit, unit_type, area, criterion, leaf (text, never null);
max_points, total (float64, never null); self_score (float64, null: no self-score), appraised
(float64, null: the leaf has no appraisal-scored part), survey (float64, null: the leaf has no
survey-scored part). total = appraised + survey (a null part counts 0).

Numbers are float64 rather than decimal128 on purpose: every tool reads them as plain numbers
(decimal128 becomes Python objects in pandas). Each is the exact rational value correctly rounded
to float64, so it agrees with the CSV's 10-decimal text to within 5e-11 and is never further from
the exact value than the CSV; the exact values stay in the CSV (10 decimals) and in
`consolidate --json` (total_exact). The same results give the same bytes.
"""

from __future__ import annotations

import io
from fractions import Fraction

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from formkit.consolidate import Results
from formkit.results import CSV_COLUMNS, INT_COLUMNS, TEXT_COLUMNS, unit_records

LEAF_COLUMNS = ("unit", "unit_type", "area", "criterion", "leaf", "max_points", "self_score",
                "appraised", "survey", "total")
LEAF_TEXT = frozenset(LEAF_COLUMNS[:5])


def _float(value) -> float | None:
    return None if value is None else float(Fraction(value))


def _bytes(frame: pd.DataFrame, schema: pa.Schema) -> bytes:
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)  # snappy, the default every Parquet reader knows
    return buffer.getvalue()


def _frame(columns: tuple[str, ...], rows: list[tuple], text: frozenset[str],
           integers: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, pa.Schema]:
    data, fields = {}, []
    for n, name in enumerate(columns):
        values = [row[n] for row in rows]
        if name in text:
            data[name] = pd.Series(["" if v is None else str(v) for v in values], dtype=object)
            fields.append(pa.field(name, pa.string(), nullable=False))
        elif name in integers:
            data[name] = pd.array(values, dtype="Int64")
            fields.append(pa.field(name, pa.int64()))
        else:
            data[name] = pd.Series([_float(v) for v in values], dtype="float64")
            fields.append(pa.field(name, pa.float64()))
    return pd.DataFrame(data, columns=list(columns)), pa.schema(fields)


def units_parquet_bytes(results: Results) -> bytes:
    """results.parquet: the CSV's rows and columns, typed."""
    return _bytes(*_frame(CSV_COLUMNS, unit_records(results), TEXT_COLUMNS, INT_COLUMNS))


def leaves_parquet_bytes(results: Results) -> bytes:
    """results_leaves.parquet: per unit x applicable leaf, self, appraised, survey, max, total."""
    rows = [(u.code, u.unit_type, leaf.area, leaf.criterion, leaf.code, leaf.max_points,
             leaf.self_score, leaf.appraised, leaf.survey, leaf.total)
            for u in results.units for leaf in u.leaves]
    return _bytes(*_frame(LEAF_COLUMNS, rows, LEAF_TEXT))

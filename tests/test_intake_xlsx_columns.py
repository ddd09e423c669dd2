"""Reading only some columns: the same cells there, and the same findings, as reading them all.

`read_workbook(columns=...)` is what intake uses (it looks at a few columns of the scoring sheet),
so a return must be judged exactly as a full read would judge it, bad cells in the other columns
included.
"""

from __future__ import annotations

import random
import re

import pytest
from test_intake_xlsx import parts, rezip

from formkit.forms import FormFactory, generate_forms
from formkit.intake import examine as examine_module
from formkit.intake.collect import intake_context
from formkit.intake.container import Limits
from formkit.intake.examine import READ_COLUMNS, examine
from formkit.intake.xlsx import read_workbook
from formkit.simulate import fill_form, simulated_entries
from formkit.workspace import init_workspace, open_workspace

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
GUIDE_PART, SCORING_PART, STRINGS_PART = ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                                          "xl/sharedStrings.xml")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("columns") / "ws"
    init_workspace(root)
    workspace = open_workspace(root)
    generate_forms(workspace, ["005"])
    return workspace


@pytest.fixture(scope="module")
def returned(workspace) -> bytes:
    unit = workspace.unit("005")
    identity, data = FormFactory(workspace).workbook(unit)
    catalog = workspace.catalogs[unit.unit_type]
    return fill_form(data, identity, catalog, simulated_entries(identity, catalog, random.Random(5)))


def with_guide(data: bytes, cells: str) -> bytes:
    """The return with its first sheet's cells replaced by hand-written ones."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN}">'
           f"<sheetData>{cells}</sheetData></worksheet>")
    return rezip(data, {GUIDE_PART: xml.encode()})


def string_count(data: bytes) -> int:
    return parts(data)[STRINGS_PART].count(b"<si>")


def odd_rows(data: bytes, first: int) -> list[str]:
    """Rows with cells of every kind in kept and dropped columns, bad ones included."""
    n = string_count(data)
    rows = [  # (column, attributes, content) of each cell
        [("A", ' t="s"', "<v>0</v>"), ("C", ' t="s"', f"<v>{n - 1}</v>"), ("D", ' t="s"', f"<v>{n}</v>"),
         ("E", "", "<v>abc</v>"), ("F", "", "<v>1e999</v>"), ("G", ' s="3"', "<v>0.75</v>")],
        [("C", "", '<f t="shared" ref="C{r}:H{r}" si="0">A1*2</f><v>2</v>'),
         ("D", "", '<f t="shared" si="0"/><v>2</v>'), ("G", "", '<f t="shared" si="0"/><v>2</v>'),
         ("H", ' t="inlineStr"', "<is><t>x &amp; y</t></is>"), ("I", ' t="s"', "<v>-1</v>")],
        [("C", ' t="inlineStr"', "<is><t>a_x000D_b</t></is>"), ("D", ' t="b"', "<v>1</v>"),
         ("E", ' t="e"', "<v>#N/A</v>"), ("AA", "", "<v>7</v>"), ("AB", ' t="s"', "<v>2</v>"),
         ("B", "", "<v>007</v>")],
        [("A", ' t="s"', f"<v>00{n - 1}</v>"), ("C", "", "<f>SUM(A1:A4)</f><v>3</v>"),
         ("H", "", "<v>-0</v>")],
        [("D", ' t="inlineStr"', "<is><t>&bogus;</t></is>"), ("A", "", "<v>1</v>")],  # for the parser
    ]
    return [f'<row r="{r}">' + "".join(f'<c r="{column}{r}"{attributes}>{content.format(r=r)}</c>'
                                       for column, attributes, content in row) + "</row>"
            for r, row in enumerate(rows, start=first)]


def odd_variants(data: bytes) -> list[bytes]:
    """The odd rows one by one, and the first four together, in the first sheet or at the end of
    the scoring sheet."""
    scoring = parts(data)[SCORING_PART].decode()
    at_end = [scoring.replace("</sheetData>", rows + "</sheetData>").encode()
              for rows in combinations(odd_rows(data, 300))]
    return ([with_guide(data, rows) for rows in combinations(odd_rows(data, 1))]
            + [rezip(data, {SCORING_PART: sheet}) for sheet in at_end])


def combinations(rows: list[str]) -> list[str]:
    return [*rows, "".join(rows[:4])]


@pytest.mark.parametrize("columns", [READ_COLUMNS, {"A", "AA"}, {"g"}, set()])
def test_the_columns_read_hold_the_same_cells_and_findings(workspace, returned, columns):
    corpus = [returned, *odd_variants(returned)]
    for limits in (Limits(), Limits(max_cell_chars=40)):  # some shared strings too long
        for data in corpus:
            full, full_findings = read_workbook(data, "r.xlsx", limits=limits)
            some, some_findings = read_workbook(data, "r.xlsx", limits=limits, columns=columns)
            assert some_findings == full_findings
            assert full is not None and some is not None
            for name, sheet in full.sheets.items():
                kept = {ref: cell for ref, cell in sheet.cells.items()
                        if ref.rstrip("0123456789") in {c.upper() for c in columns}}
                assert list(some.sheets[name].cells.items()) == list(kept.items()), name


def full_read(data, name, sheets=None, limits=None, columns=None):
    return read_workbook(data, name, sheets)


def tampered(returned: bytes) -> list[bytes]:
    """Returns a unit might send: changed texts, maxima and scores, moved rows, formulas."""
    sheet = parts(returned)[SCORING_PART].decode()
    row = re.search(r'<c r="F(\d+)" s="\d+"><v>[^<]*</v></c><c r="G\1"', sheet).group(1)
    score = rf'(<c r="G{row}" s="\d+")><v>[^<]*</v>'
    changes = [  # (pattern, replacement)
        (rf'(<c r="F{row}" s="\d+"><v>)[^<]*', r"\g<1>9"),  # a maximum
        (score, r'\1 t="inlineStr"><is><t>1,5</t></is>'),  # a score typed as text
        (score, r"\1><f>1+1</f><v>2</v>"),  # a formula
        (score, r"\1><v>0.3</v>"),  # off the step
        (r'(<c r="B9" s="\d+" t="s"><v>)\d+', r"\g<1>0"),  # a criterion's text
        (r'(<c r="A9" s="\d+" t="s"><v>)\d+', r"\g<1>0"),  # a code: rows moved
        (r'(<c r="D9" s="\d+")><v>[^<]*</v>', r"\1><v>x</v>"),  # a bad cell in a column not kept
        ("<sheetProtection", "<sheetProtectio"),  # protection removed
    ]
    return [rezip(returned, {SCORING_PART: re.sub(pattern, replacement, sheet, count=1).encode()})
            for pattern, replacement in changes]


def test_examine_judges_as_with_a_full_read(workspace, returned, monkeypatch):
    ctx = intake_context(workspace)
    corpus = [returned, *tampered(returned), *odd_variants(returned)]
    lean = [examine(data, "r.xlsx", ctx) for data in corpus]
    monkeypatch.setattr(examine_module, "read_workbook", full_read)
    full = [examine(data, "r.xlsx", ctx) for data in corpus]
    assert lean == full
    assert len({tuple(f.code for f in result.findings) for result in full}) > 5  # the variants differ
    assert lean[0].status == "accepted" and lean[0].scores


def test_a_form_issued_with_other_input_columns_is_read_in_full(workspace, returned, monkeypatch):
    ctx = intake_context(workspace)
    expected = examine(returned, "r.xlsx", ctx)
    monkeypatch.setattr(examine_module, "READ_COLUMNS", frozenset("ABF"))  # no input column read
    assert examine(returned, "r.xlsx", ctx) == expected
    assert expected.status == "accepted" and expected.scores


def test_a_damaged_styles_part_is_reported_as_when_reading_every_column(returned):
    """The styles part is read at the first text cell, whether that cell is kept or not."""
    guide = "Hướng dẫn"
    for cells in ('<c r="C1" t="s"><v>0</v></c>', '<c r="C1"><v>1</v></c>', '<c r="A1" t="s"><v>0</v></c>'):
        data = rezip(with_guide(returned, f'<row r="1">{cells}</row>'), {"xl/styles.xml": b"<styleSheet>"})
        full = read_workbook(data, "r.xlsx", [guide])
        some = read_workbook(data, "r.xlsx", [guide], columns="AB")
        assert some[1] == full[1]
        assert [f.code for f in full[1]] == (["file.corrupt"] if 't="s"' in cells else [])

"""Cell validators of returned forms: examples and property-based tests (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formkit.catalog import Criterion
from formkit.intake.validate import Where, check_justification, neutralise, read_score, read_text
from formkit.text import format_number

LEAF = Criterion(code="3.2.1", text="Công khai TTHC", max_points=Decimal("1.5"),
                 appraisal=Decimal("1.5"), survey=Decimal(0), step=Decimal("0.25"), evidence=True)
WHERE = Where("bao-cao.xlsx", "Tự đánh giá", "G20", "3.2.1")


@dataclass(frozen=True)
class Cell:
    value: object
    raw: str | None = None
    formula: str | None = None
    font: str | None = None


def codes(findings) -> list[str]:
    return [f.code for f in findings]


@pytest.mark.parametrize("cell, expected, found", [
    (Cell(1.25, "1.25"), Decimal("1.25"), []),
    (Cell(0.0, "0"), Decimal(0), []),
    (Cell(1.5, "1.5"), Decimal("1.5"), []),
    (Cell(0.30000000000000004, "0.30000000000000004"), None, ["score.off_step"]),
    (Cell(0.1 + 0.15, "0.25"), Decimal("0.25"), []),
    (Cell("1,5"), Decimal("1.5"), ["score.number_as_text"]),
    (Cell(" 1 "), Decimal(1), ["score.number_as_text"]),
    (Cell("1.5"), Decimal("1.5"), ["score.number_as_text"]),
    (Cell("một"), None, ["score.not_a_number"]),
    (Cell(True), None, ["score.not_a_number"]),
    (Cell(None), None, ["score.missing"]),
    (None, None, ["score.missing"]),
    (Cell("   "), None, ["score.missing"]),
    (Cell(1.75, "1.75"), None, ["score.out_of_range"]),
    (Cell(-0.25, "-0.25"), None, ["score.out_of_range"]),
    (Cell(1.1, "1.1"), None, ["score.off_step"]),
    (Cell("2"), None, ["score.number_as_text", "score.out_of_range"]),
    (Cell(1.0, "1", formula="0.5+0.5"), None, ["cell.formula"]),
])
def test_read_score(cell, expected, found):
    score, findings = read_score(cell, LEAF, WHERE)
    assert score == expected
    assert codes(findings) == found
    assert all((f.sheet, f.cell, f.item, f.file) == ("Tự đánh giá", "G20", "3.2.1", "bao-cao.xlsx")
               for f in findings)


def test_messages_name_the_criterion_and_the_range_in_vietnamese():
    _, [finding] = read_score(Cell(1.75, "1.75"), LEAF, WHERE)
    assert "3.2.1" in finding.message and "1,75" in finding.message and "1,5" in finding.message


ON_STEP = st.integers(min_value=0, max_value=6).map(lambda n: Decimal("0.25") * n)


@given(ON_STEP)
def test_any_score_on_the_step_within_range_is_accepted_exactly(score):
    value, findings = read_score(Cell(float(score), repr(float(score))), LEAF, WHERE)
    assert value == score and findings == []


@given(ON_STEP)
def test_a_score_typed_as_vietnamese_text_reads_the_same_with_a_warning(score):
    typed = format_number(score, 2)
    value, findings = read_score(Cell(typed), LEAF, WHERE)
    assert value == score
    assert codes(findings) == ["score.number_as_text"]


@given(st.decimals(min_value=Decimal("-100"), max_value=Decimal("100"), places=3))
def test_every_number_is_either_accepted_on_step_or_rejected_with_a_finding(number):
    value, findings = read_score(Cell(float(number), str(number)), LEAF, WHERE)
    valid = 0 <= number <= Decimal("1.5") and number % Decimal("0.25") == 0
    if valid:
        assert value == number and findings == []
    else:
        assert value is None
        assert codes(findings) in (["score.out_of_range"], ["score.off_step"])


@given(st.text(max_size=30))
def test_arbitrary_text_never_raises(text):
    value, findings = read_score(Cell(text), LEAF, WHERE)
    assert (value is None) == any(f.is_error for f in findings)


def test_read_text_normalises_repairs_and_limits():
    text, findings = read_text(Cell("Ke\u0302\u0301 hoa\u0323ch so\u0302\u0301 12"), "evidence",
                               LEAF, WHERE)
    assert text == "Kế hoạch số 12" and findings == []
    text, findings = read_text(Cell("KÕ ho¹ch sè 12/KH-UBND", font=".VnTime"), "evidence", LEAF,
                               WHERE)
    assert text == "Kế hoạch số 12/KH-UBND"
    assert codes(findings) == ["text.legacy_encoding"]
    _, findings = read_text(Cell("=HYPERLINK(\"http://x\")"), "evidence", LEAF, WHERE)
    assert codes(findings) == ["text.formula_like"]
    _, findings = read_text(Cell("x" * 1001), "explanation", LEAF, WHERE)
    assert codes(findings) == ["text.too_long"]
    assert read_text(Cell(12.0), "evidence", LEAF, WHERE) == ("12", [])
    assert read_text(None, "evidence", LEAF, WHERE) == ("", [])


@pytest.mark.parametrize("score, evidence, explanation, found", [
    (Decimal(1), "", "", ["score.no_justification"]),
    (Decimal(1), "QĐ 12/QĐ-UBND", "", []),
    (Decimal(1), "", "Chưa có văn bản", []),
    (Decimal(0), "", "", []),
    (None, "", "", []),
])
def test_justification(score, evidence, explanation, found):
    assert codes(check_justification(score, evidence, explanation, LEAF, WHERE)) == found


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text):
    safe = neutralise(text)
    assert not safe.startswith(("=", "+", "-", "@"))
    assert safe.endswith(text)

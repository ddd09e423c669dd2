"""Criteria catalogues: the shipped trees, every validation rule, and the content hash."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

import pytest
from conftest import DISTRICT_CATALOG, SO_CATALOG, projection, run_cli, write

from formkit.catalog import check_catalog, load_catalog
from formkit.errors import InvalidDataError

HEADER = """\
catalog:
  id: test-catalog
  title: Bộ tiêu chí thử
  year: 2020
  unit_type: so
  source: Dữ liệu kiểm thử
  total_points: 10
items:
"""

VALID = HEADER + """\
  - {code: "1", text: Công tác chỉ đạo, max: 6}
  - {code: "1.1", text: Kế hoạch CCHC, max: 4}
  - {code: "1.1.1", text: Ban hành kế hoạch, appraisal: 1.5, survey: 0.5}
  - {code: "1.1.2", text: Thực hiện kế hoạch, appraisal: 2}
  - {code: "1.2", text: Tuyên truyền CCHC, appraisal: 1, survey: 1, step: 0.5}
  - {code: "2", text: Hiện đại hóa hành chính, max: 4}
  - {code: "2.1", text: Ứng dụng CNTT, appraisal: 3.75, survey: 0.25, guidance: Có phần mềm,
     not_applicable_to: [BDT, SNV]}
"""


def check_text(tmp_path, text: str, name: str = "catalog.yaml"):
    return check_catalog(write(tmp_path / name, text))


@pytest.mark.parametrize("path", [SO_CATALOG, DISTRICT_CATALOG], ids=["so", "district"])
def test_shipped_catalogues_are_valid_and_shaped_like_the_national_tree(path):
    catalog, findings = check_catalog(path)
    assert findings == []
    assert catalog is not None
    areas = catalog.areas()
    assert [a.code for a in areas] == [str(n) for n in range(1, 9)]
    assert [a.max_points for a in areas] == [Decimal(x) for x in
                                             ("10", "10", "14.5", "11", "16", "7", "16", "15.5")]
    leaves = catalog.leaves()
    assert len(leaves) >= 60
    appraisal = sum(leaf.appraisal for leaf in leaves)
    survey = sum(leaf.survey for leaf in leaves)
    assert appraisal + survey == catalog.total_points == 100
    assert 60 <= appraisal <= 70 and 30 <= survey <= 40
    assert all(unicodedata.is_normalized("NFC", item.text) for item in catalog.items)
    assert "2948/QĐ-BNV" in catalog.source and "thay" in catalog.source


def test_valid_catalogue_builds_the_tree_with_sums_and_defaults(tmp_path):
    catalog, findings = check_text(tmp_path, VALID)
    assert findings == []
    assert [leaf.code for leaf in catalog.leaves()] == ["1.1.1", "1.1.2", "1.2", "2.1"]
    assert catalog["1.1"].children == ("1.1.1", "1.1.2")
    assert catalog["1"].appraisal == Decimal("4.5") and catalog["1"].survey == Decimal("1.5")
    assert catalog["1.1.1"].step == Decimal("0.25") and catalog["1.2"].step == Decimal("0.5")
    assert catalog["1.1.1"].evidence is True
    assert catalog["2.1"].not_applicable_to == ("BDT", "SNV")
    assert catalog.applicable_max("BDT") == Decimal(6)
    assert catalog.applicable_max("STC") == Decimal(10)
    assert catalog["1.1.1"].level_name == "Tiêu chí thành phần"
    assert catalog["1.1.1"].parent == "1.1"


RULE_CASES = {
    "duplicate code": ("""\
  - {code: "1", text: A, max: 10}
  - {code: "1.1", text: B, appraisal: 5}
  - {code: "1.1", text: C, appraisal: 5}
""", [("catalog.duplicate_code", 11, "1.1"), ("catalog.points_mismatch", 9, "1")]),
    "children do not add up": ("""\
  - {code: "1", text: A, max: 10}
  - {code: "1.1", text: B, appraisal: 4}
  - {code: "1.2", text: C, appraisal: 5}
""", [("catalog.points_mismatch", 9, "1")]),
    "areas do not add up to the total": ("""\
  - {code: "1", text: A, appraisal: 4}
  - {code: "2", text: B, appraisal: 5}
""", [("catalog.total_mismatch", 7, None)]),
    "unknown key": ("""\
  - {code: "1", text: A, appraisal: 10, evidense: true}
""", [("schema.unknown_key", 9, "1")]),
    "negative maximum": ("""\
  - {code: "1", text: A, appraisal: 11, survey: -1}
""", [("catalog.negative_points", 9, "1")]),
    "maximum off the step": ("""\
  - {code: "1", text: A, appraisal: 9.9, survey: 0.1}
""", [("catalog.off_step", 9, "1"), ("catalog.off_step", 9, "1")]),
    "missing text": ("""\
  - {code: "1", max: 10}
  - {code: "1.1", text: "  ", appraisal: 10}
""", [("catalog.missing_text", 9, "1"), ("catalog.missing_text", 10, "1.1")]),
    "orphan": ("""\
  - {code: "1", text: A, appraisal: 10}
  - {code: "2.1", text: B, appraisal: 1}
""", [("catalog.orphan", 10, "2.1")]),
    "malformed code": ("""\
  - {code: "1", text: A, appraisal: 10}
  - {code: "1.0", text: B, appraisal: 1}
  - {code: "1.1.1.1", text: C, appraisal: 1}
""", [("catalog.code_format", 10, "1.0"), ("catalog.code_format", 11, "1.1.1.1")]),
    "group without max": ("""\
  - {code: "1", text: A}
  - {code: "1.1", text: B, appraisal: 10}
""", [("catalog.group_without_max", 9, "1")]),
    "group with leaf keys": ("""\
  - {code: "1", text: A, max: 10, appraisal: 10}
  - {code: "1.1", text: B, appraisal: 10}
""", [("catalog.group_with_leaf_keys", 9, "1")]),
    "leaf without points": ("""\
  - {code: "1", text: A, max: 10}
  - {code: "1.1", text: B, appraisal: 10}
  - {code: "1.2", text: C}
""", [("catalog.leaf_without_points", 11, "1.2")]),
    "leaf max differs": ("""\
  - {code: "1", text: A, appraisal: 6, survey: 4, max: 9}
""", [("catalog.leaf_max_mismatch", 9, "1")]),
    "wrong type": ("""\
  - {code: "1", text: A, appraisal: mười}
""", [("catalog.total_mismatch", 7, None), ("schema.wrong_type", 9, "1"),
      ("catalog.leaf_without_points", 9, "1")]),
    "bad step": ("""\
  - {code: "1", text: A, appraisal: 10, step: 0}
""", [("schema.bad_value", 9, "1")]),
}


@pytest.mark.parametrize("items, expected", RULE_CASES.values(), ids=RULE_CASES.keys())
def test_each_rule_is_reported_with_line_and_item(tmp_path, items, expected):
    catalog, findings = check_text(tmp_path, HEADER + items)
    assert catalog is None
    assert sorted(projection(findings), key=str) == sorted(expected, key=str)


def test_metadata_problems_are_reported(tmp_path):
    text = VALID.replace("unit_type: so", "unit_type: ward").replace("id: test-catalog",
                                                                     "id: Test Catalog")
    text = text.replace("  year: 2020\n", "")
    _, findings = check_text(tmp_path, text)
    assert sorted(projection(findings)) == [("schema.bad_value", 2, None),
                                            ("schema.missing_key", 2, None),
                                            ("units.unknown_type", 4, None)]


def test_five_seeded_mistakes_are_all_listed_by_the_cli_with_exit_2(tmp_path):
    path = write(tmp_path / "broken.yaml", HEADER + """\
  - {code: "1", text: Công tác chỉ đạo, max: 6}
  - {code: "1.1", text: Kế hoạch CCHC, appraisal: 3}
  - {code: "1.1", text: Trùng mã, appraisal: 1}
  - {code: "1.2", text: "", appraisal: 3}
  - {code: "2", text: Hiện đại hóa, max: 4}
  - {code: "2.1", text: Phần mềm, appraisal: 4.1, survey: -0.1}
  - {code: "2.2", text: Thừa khóa, appraisal: 0, ghi_chu: x}
""")
    result = run_cli("catalog", "check", path, "--json")
    assert result.exit_code == 2
    [report] = json.loads(result.stdout)
    found = {(f["code"], f["line"]) for f in report["findings"]}
    assert found >= {("catalog.duplicate_code", 11), ("catalog.missing_text", 12),
                     ("catalog.off_step", 14), ("catalog.negative_points", 14),
                     ("schema.unknown_key", 15)}
    human = run_cli("catalog", "check", path)
    assert human.exit_code == 2
    for line in ("dòng 11", "dòng 12", "dòng 14", "dòng 15"):
        assert line in human.stdout


def test_yaml_syntax_error_names_the_line(tmp_path):
    catalog, findings = check_text(tmp_path, HEADER + '  - {code: "1", text: A\n  - x: [\n')
    assert catalog is None
    assert [(f.code, f.line is not None) for f in findings] == [("yaml.syntax", True)]


def test_duplicate_yaml_key_is_an_error(tmp_path):
    _, findings = check_text(tmp_path, VALID.replace("  year: 2020\n", "  year: 2020\n  year: 2021\n"))
    assert projection(findings) == [("yaml.duplicate_key", 5, None)]


def test_missing_file_and_non_utf8_are_reported_not_raised(tmp_path):
    _, findings = check_catalog(tmp_path / "absent.yaml")
    assert [f.code for f in findings] == ["file.missing"]
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.encode("utf-8").replace(b"title:", b"title: \xff", 1))
    _, findings = check_catalog(path)
    assert [(f.code, f.line) for f in findings] == [("file.unreadable", 3)]


def test_text_not_in_nfc_is_normalised_with_a_warning(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Ứng dụng công nghệ thông tin")
    catalog, findings = check_text(tmp_path, VALID.replace("Ứng dụng CNTT", decomposed))
    assert catalog is not None
    assert projection(findings) == [("text.not_nfc", 15, "2.1")]
    assert catalog["2.1"].text == "Ứng dụng công nghệ thông tin"
    assert unicodedata.is_normalized("NFC", catalog["2.1"].text)


def test_points_are_exact_decimals_and_accept_a_decimal_comma(tmp_path):
    text = VALID.replace("appraisal: 3.75", 'appraisal: "3,75"')
    catalog, findings = check_text(tmp_path, text)
    assert findings == []
    assert catalog["2.1"].appraisal == Decimal("3.75")
    assert sum(leaf.max_points for leaf in catalog.leaves()) == Decimal(10)


def test_load_catalog_raises_with_every_finding(tmp_path):
    path = write(tmp_path / "c.yaml", HEADER + '  - {code: "1", text: A, appraisal: 9}\n')
    with pytest.raises(InvalidDataError) as raised:
        load_catalog(path)
    assert [f.code for f in raised.value.findings] == ["catalog.total_mismatch"]


# The content hash ----------------------------------------------------------------------------

def test_hash_is_stable_across_loads_and_ignores_formatting(tmp_path):
    first, _ = check_text(tmp_path, VALID, "a.yaml")
    again, _ = check_text(tmp_path, VALID, "b.yaml")
    reformatted = VALID.replace("  - {code: \"1\", text: Công tác chỉ đạo, max: 6}",
                                "  # a comment\n  - max: 6.00\n    text: Công tác chỉ đạo\n"
                                "    code: '1'")
    other, findings = check_text(tmp_path, reformatted, "c.yaml")
    assert findings == []
    assert first.content_hash == again.content_hash == other.content_hash
    assert len(first.content_hash) == 64


def test_hash_of_shipped_catalogue_is_the_same_in_a_fresh_process():
    import subprocess
    import sys

    code = ("from formkit.catalog import load_catalog; "
            f"print(load_catalog(r'{SO_CATALOG}').content_hash)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == load_catalog(SO_CATALOG).content_hash


@pytest.mark.parametrize("old, new", [
    ("Thực hiện kế hoạch", "Thực hiện kế hoạcH"),      # one character of one leaf's text
    ("appraisal: 2}", "appraisal: 1.75, survey: 0.25}"),  # the split of one leaf
    ("guidance: Có phần mềm", "guidance: Có phần mềm."),
    ("not_applicable_to: [BDT, SNV]", "not_applicable_to: [BDT]"),
    ("title: Bộ tiêu chí thử", "title: Bộ tiêu chí thử 2"),
])
def test_hash_changes_when_content_changes(tmp_path, old, new):
    base, _ = check_text(tmp_path, VALID, "a.yaml")
    assert old in VALID
    changed, findings = check_text(tmp_path, VALID.replace(old, new), "b.yaml")
    assert not [f for f in findings if f.is_error]
    assert changed.content_hash != base.content_hash


def test_hash_changes_with_one_character_of_a_shipped_leaf(tmp_path):
    original = load_catalog(SO_CATALOG)
    leaf = original.leaves()[10]
    text = SO_CATALOG.read_text(encoding="utf-8")
    assert text.count(leaf.text) >= 1
    changed_text = text.replace(leaf.text, leaf.text[:-1] + ("x" if leaf.text[-1] != "x" else "y"),
                                1)
    changed = load_catalog(write(tmp_path / "so.yaml", changed_text))
    assert changed.content_hash != original.content_hash

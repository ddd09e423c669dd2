"""The years a catalogue or questionnaire applies to (`valid_years`), and the legacy single `year`."""

from __future__ import annotations

import pytest
from conftest import DISTRICT_CATALOG, DISTRICT_SURVEY, SO_CATALOG, SO_SURVEY, projection, write

from formkit.catalog import check_catalog
from formkit.survey.questionnaire import check_survey

CATALOG = """\
catalog:
  id: test-catalog
  title: Bộ tiêu chí thử
{years}
  unit_type: so
  source: Dữ liệu kiểm thử
  total_points: 2
items:
  - {{code: "1", text: Công tác chỉ đạo, max: 2}}
  - {{code: "1.1", text: Kế hoạch CCHC, appraisal: 1, survey: 1}}
"""


def catalog(tmp_path, years: str):
    return check_catalog(write(tmp_path / "catalog.yaml", CATALOG.format(years=years)))


@pytest.mark.parametrize(("years", "expected"), [
    ("  valid_years: 2017-2020", (2017, 2020)),
    ("  valid_years: 2017 – 2020", (2017, 2020)),
    ("  valid_years: 2021", (2021, 2021)),
    ("  valid_years: '2021'", (2021, 2021)),
    ("  year: 2020", (2020, 2020)),  # a catalogue written before valid_years
    ("  year: 2019\n  valid_years: 2017-2020", (2017, 2020)),
])
def test_valid_years_are_read_in_both_forms_and_from_a_legacy_year(tmp_path, years, expected):
    tree, findings = catalog(tmp_path, years)
    assert findings == []
    assert tree.valid_years == expected
    assert tree.valid_for(expected[0]) and tree.valid_for(expected[1])
    assert not tree.valid_for(expected[1] + 1) and not tree.valid_for(expected[0] - 1)


@pytest.mark.parametrize(("years", "line"), [
    ("  valid_years: 2020-2017", 4),
    ("  valid_years: năm 2020", 4),
    ("  valid_years: [2017, 2020]", 4),
    ("  valid_years: 1990-2020", 4),
    ("  valid_years: 2017-2020\n  year: 2021", 5),  # year outside valid_years: on the year line
])
def test_malformed_valid_years_is_an_error_on_its_line(tmp_path, years, line):
    tree, findings = catalog(tmp_path, years)
    assert tree is None
    assert projection(findings) == [("schema.bad_value", line, None)]
    assert "valid_years" in findings[0].message or "year" in findings[0].message


def test_a_catalogue_without_years_names_valid_years_as_missing(tmp_path):
    tree, findings = catalog(tmp_path, "")
    assert tree is None
    assert [(f.code, f.line) for f in findings] == [("schema.missing_key", 2)]
    assert "valid_years" in findings[0].message


def test_extending_valid_years_keeps_the_content_hash(tmp_path):
    first, _ = catalog(tmp_path, "  valid_years: 2017-2020")
    second, _ = catalog(tmp_path, "  valid_years: 2017-2021")
    assert first.content_hash == second.content_hash


def test_a_legacy_year_keeps_its_hash_in_the_content():
    """Catalogues of older workspaces must keep the hash their issued forms carry."""
    from formkit.catalog import canonical_content

    tree, _ = check_catalog(SO_CATALOG)
    assert "year" not in canonical_content(tree)["catalog"]


@pytest.mark.parametrize(("path", "years"), [(SO_CATALOG, (2017, 2020)),
                                             (DISTRICT_CATALOG, (2017, 2020)),
                                             (SO_SURVEY, (2020, 2020)),
                                             (DISTRICT_SURVEY, (2020, 2020))],
                         ids=["so-catalog", "district-catalog", "so-survey", "district-survey"])
def test_shipped_files_state_their_years(path, years):
    loaded, findings = (check_survey if "surveys" in str(path) else check_catalog)(path)
    assert findings == []
    assert loaded.valid_years == years


def test_a_questionnaire_states_its_years_too(tmp_path):
    write(tmp_path / "catalogs" / "mini.yaml", CATALOG.format(years="  valid_years: 2017-2020"))
    survey = """\
survey:
  id: mini-dtxhh
  title: Điều tra thử
{years}
  unit_type: so
  catalog: ../catalogs/mini.yaml
scales:
  - code: cd
    title: Có / Không
    options:
      - {{code: A, text: Có, fraction: 1}}
      - {{code: B, text: Không, fraction: 0}}
groups:
  - code: NGUOI-DAN
    name: Người dân
    questions:
      - {{code: Q1, text: "Hài lòng?", scale: cd, feeds: ["1.1"]}}
"""
    path = tmp_path / "surveys" / "mini.yaml"
    write(path, survey.format(years="  valid_years: 2021"))
    loaded, findings = check_survey(path)
    assert findings == [] and loaded.valid_years == (2021, 2021)
    hashed = loaded.content_hash
    write(path, survey.format(years="  valid_years: 2021-2022"))
    assert check_survey(path)[0].content_hash == hashed
    write(path, survey.format(years="  valid_years: 21"))
    loaded, findings = check_survey(path)
    assert loaded is None and projection(findings) == [("schema.bad_value", 4, None)]

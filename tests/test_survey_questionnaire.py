"""Respondent groups, scales and questionnaires: the shipped 2020 sets and every rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import DISTRICT_SURVEY, SO_SURVEY, projection, write

from formkit.survey.questionnaire import check_survey, load_survey

CATALOG = """\
catalog:
  id: mini
  title: Bộ tiêu chí nhỏ
  year: 2020
  unit_type: district
  source: kiểm thử
  total_points: 4
items:
  - {code: "1", text: Chỉ đạo điều hành, max: 2}
  - {code: "1.1", text: Kế hoạch, appraisal: 1}
  - {code: "1.2", text: Hiệu quả chỉ đạo, appraisal: 0.5, survey: 0.5}
  - {code: "2", text: Sự hài lòng, max: 2}
  - {code: "2.1", text: Hài lòng về TTHC, survey: 1}
  - {code: "2.2", text: Hài lòng về thái độ, survey: 1}
"""

SURVEY = """\
survey:
  id: mini-dtxhh
  title: Điều tra xã hội học thử
  year: 2020
  unit_type: district
  catalog: ../catalogs/mini.yaml
scales:
  - code: muc-do-4
    title: Tốt / Khá / Trung bình / Kém
    options:
      - {code: A, text: Tốt, fraction: 1}
      - {code: B, text: Khá, fraction: 0.6}
      - {code: C, text: Trung bình, fraction: 0.2}
      - {code: D, text: Kém, fraction: 0}
      - {code: X, text: Không biết, no_answer: true}
groups:
  - code: NGUOI-DAN
    name: Người dân trên địa bàn
    weight: 2
    respondent_fields:
      - {code: gioi_tinh, text: Giới tính, options: [Nam, Nữ]}
    questions:
      - {code: Q1, text: "Ông/Bà hài lòng về TTHC?", scale: muc-do-4, feeds: ["2.1"]}
      - {code: Q2, text: "Thái độ của công chức?", scale: muc-do-4, feeds: ["2.2"]}
  - code: DB-HDND
    name: Đại biểu HĐND cấp huyện
    questions:
      - {code: Q1, text: "Hiệu quả chỉ đạo CCHC?", scale: muc-do-4, feeds: ["1.2", "2.1"]}
"""


def make(tmp_path, survey: str = SURVEY, catalog: str = CATALOG):
    write(tmp_path / "catalogs" / "mini.yaml", catalog)
    return write(tmp_path / "surveys" / "mini.yaml", survey)


@pytest.mark.parametrize("path", [SO_SURVEY, DISTRICT_SURVEY], ids=["so", "district"])
def test_shipped_surveys_have_five_groups_and_cover_every_survey_point(path):
    survey, findings = check_survey(path)
    assert findings == []
    assert len(survey.groups) == 5
    fed = {leaf for g in survey.groups for q in g.questions for leaf in q.feeds}
    assert fed == {leaf.code for leaf in survey.catalog.leaves() if leaf.survey > 0}
    assert all(len(g.questions) >= 8 for g in survey.groups)
    for scale in survey.scales:
        assert any(o.is_no_answer for o in scale.options)


def test_valid_survey_loads_with_scales_groups_and_weights(tmp_path):
    survey, findings = check_survey(make(tmp_path))
    assert findings == []
    assert survey.catalog.id == "mini"
    scale = survey.scale("muc-do-4")
    assert scale.option("B").fraction == Decimal("0.6")
    assert scale.option("X").is_no_answer
    assert survey.group("NGUOI-DAN").weight == Decimal(2)
    assert survey.group("DB-HDND").weight == Decimal(1)
    assert survey.group("NGUOI-DAN").respondent_fields[0].options == ("Nam", "Nữ")
    assert len(survey.content_hash) == 64


RULES = {
    "unknown scale": ("scale: muc-do-4, feeds: [\"2.2\"]", "scale: muc-do-5, feeds: [\"2.2\"]",
                      [("survey.unknown_scale", 24, "NGUOI-DAN/Q2")]),
    "unknown leaf": ('feeds: ["1.2", "2.1"]', 'feeds: ["1.2", "2.1", "9.9"]',
                     [("survey.unknown_leaf", 28, "DB-HDND/Q1")]),
    "leaf without survey points": ('feeds: ["1.2", "2.1"]', 'feeds: ["1.2", "2.1", "1.1"]',
                                   [("survey.not_survey_leaf", 28, "DB-HDND/Q1")]),
    "survey leaf fed by nothing": ('feeds: ["1.2", "2.1"]', 'feeds: ["2.1"]',
                                   [("survey.leaf_not_fed", 16, "1.2")]),
    "duplicate question": ("{code: Q2,", "{code: Q1,",
                           [("survey.duplicate_question", 24, "NGUOI-DAN/Q1"),
                            ("survey.leaf_not_fed", 16, "2.2")]),
    "duplicate group": ("code: DB-HDND", "code: NGUOI-DAN",
                        [("survey.duplicate_group", 25, "NGUOI-DAN"),
                         ("survey.leaf_not_fed", 16, "1.2")]),
    "fraction above 1": ("fraction: 0.6", "fraction: 1.6",
                         [("survey.bad_fraction", 12, "muc-do-4")]),
    "no-answer option with a fraction": ("no_answer: true", "no_answer: true, fraction: 0",
                                         [("survey.bad_fraction", 15, "muc-do-4")]),
    "duplicate option": ("{code: C,", "{code: B,", [("survey.duplicate_option", 13, "muc-do-4")]),
    "non-positive weight": ("weight: 2", "weight: 0", [("schema.bad_value", 19, "NGUOI-DAN")]),
    "unknown key": ("    name: Đại biểu", "    nhom: x\n    name: Đại biểu",
                    [("schema.unknown_key", 26, "DB-HDND")]),
}


@pytest.mark.parametrize("old, new, expected", RULES.values(), ids=RULES.keys())
def test_each_survey_rule_is_reported_with_line_and_item(tmp_path, old, new, expected):
    assert old in SURVEY
    survey, findings = check_survey(make(tmp_path, SURVEY.replace(old, new, 1)))
    assert survey is None
    assert sorted(projection(findings), key=str) == sorted(expected, key=str)


def test_scale_with_one_scored_option_is_refused(tmp_path):
    text = SURVEY
    for option in ("B", "C", "D"):
        text = "\n".join(line for line in text.splitlines() if f"{{code: {option}," not in line)
    _, findings = check_survey(make(tmp_path, text + "\n"))
    assert ("survey.too_few_options", 8, "muc-do-4") in projection(findings)


def test_survey_and_catalogue_must_share_the_unit_type(tmp_path):
    _, findings = check_survey(make(tmp_path, SURVEY.replace("unit_type: district", "unit_type: so")))
    assert projection(findings) == [("survey.catalog_mismatch", 6, None)]


def test_errors_in_the_catalogue_are_reported_with_the_catalogue_file(tmp_path):
    path = make(tmp_path, catalog=CATALOG.replace("appraisal: 1}", "appraisal: 1.1}"))
    survey, findings = check_survey(path)
    assert survey is None
    assert [(f.code, "catalogs" in f.file) for f in findings] == [
        ("catalog.points_mismatch", True), ("catalog.off_step", True)]


def test_survey_hash_changes_with_a_question_and_with_the_catalogue(tmp_path):
    base = load_survey(make(tmp_path / "a")).content_hash
    assert load_survey(make(tmp_path / "b")).content_hash == base
    reworded = SURVEY.replace("Thái độ của công chức?", "Thái độ của cán bộ?")
    assert load_survey(make(tmp_path / "c", reworded)).content_hash != base
    retitled = CATALOG.replace("Kế hoạch,", "Kế hoạch năm,")
    assert load_survey(make(tmp_path / "d", catalog=retitled)).content_hash != base

"""The survey sampling plan (layers, derivation from N, totals, validation) and serial numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import projection, run_cli, write

from formkit.errors import InvalidDataError, WorkspaceError
from formkit.survey.plan import check_sampling, derived_quota, sampling_plan
from formkit.survey.serials import (
    ALPHABET,
    InvalidSerial,
    Serial,
    check_character,
    issued_serials,
    parse_qr,
    parse_serial,
)
from formkit.workspace import open_workspace

SAMPLING = "sampling/hanoi-2020.yaml"


@pytest.mark.parametrize("population, margin, expected", [
    (1, "0.05", 1),  # 1 / 1.0025 = 0.9975 -> 1
    (50, "0.05", 45),  # 50 / 1.125 = 44.44 -> 45
    (100, "0.05", 80),  # 100 / 1.25 = 80 exactly: no rounding up past an exact quotient
    (400, "0.05", 200),  # 400 / 2 = 200 exactly
    (1000, "0.05", 286),  # 1000 / 3.5 = 285.71 -> 286
    (10000, "0.05", 385),  # 10000 / 26 = 384.6 -> 385
    (100, "0.1", 50),  # 100 / 2 = 50 exactly
    (2550, "0.03", 774),  # 2550 / (1 + 2550 × 0.0009) = 2550 / 3.295 = 773.9 -> 774
])
def test_quota_from_population_follows_n_equals_n_over_1_plus_n_e_squared(population, margin,
                                                                           expected):
    assert derived_quota(population, Decimal(margin)) == expected


def test_example_plan_layers_defaults_groups_and_units(example_workspace):
    plan = sampling_plan(open_workspace(example_workspace))
    assert len(plan.rows) == 22 * 5 + 30 * 5
    by_key = {(r.unit, r.group): r for r in plan.rows}
    assert (by_key["VPUB", "DBHDND-TP"].quota, by_key["VPUB", "DBHDND-TP"].min_valid) == (3, 2)
    assert (by_key["VPUB", "NGUOI-DAN"].quota, by_key["VPUB", "NGUOI-DAN"].min_valid) == (4, 3)
    assert (by_key["001", "NGUOI-DAN"].quota, by_key["001", "NGUOI-DAN"].min_valid) == (4, 3)
    assert by_key["VPUB", "DN-TC"].quota == 4 and by_key["001", "TC-CN-TTHC"].quota == 4
    assert (by_key["250", "LD-UBND-XA"].quota, by_key["250", "LD-UBND-XA"].min_valid) == (2, 1)
    derived = {(r.unit, r.group): (r.population, r.quota) for r in plan.rows if r.derived}
    assert derived == {("SNV", "CBCCVC-SO"): (5, 5), ("005", "NGUOI-DAN"): (6, 6)}
    assert by_key["005", "NGUOI-DAN"].min_valid == 3  # the group's minimum still applies


def test_totals_per_unit_type_and_group(example_workspace):
    plan = sampling_plan(open_workspace(example_workspace))
    totals = {(t.unit_type, t.group): t for t in plan.totals()}
    assert (totals["so", "DBHDND-TP"].units, totals["so", "DBHDND-TP"].quota) == (22, 66)
    assert totals["so", "CBCCVC-SO"].quota == 21 * 3 + 5
    assert totals["so", "NGUOI-DAN"].quota == 88 and totals["so", "NGUOI-DAN"].min_valid == 66
    assert totals["district", "LD-UBND-XA"].quota == 29 * 3 + 2
    assert totals["district", "NGUOI-DAN"].quota == 29 * 4 + 6
    for unit_type in ("so", "district"):
        groups = [t for (kind, group), t in totals.items() if kind == unit_type and group]
        assert totals[unit_type, None].quota == sum(t.quota for t in groups)
        assert totals[unit_type, None].min_valid == sum(t.min_valid for t in groups)
    assert plan.quota == totals["so", None].quota + totals["district", None].quota == 887


def test_min_valid_defaults_to_the_campaign_setting(workspace):
    write(workspace / SAMPLING, "sampling: {quota: 40}\n")
    plan = sampling_plan(open_workspace(workspace))
    assert {r.min_valid for r in plan.rows} == {30} and plan.quota == 260 * 40


def test_population_uses_the_campaign_margin_of_error(workspace):
    settings = workspace / "campaign.yaml"
    settings.write_text(settings.read_text("utf-8").replace("margin_of_error: 0.05",
                                                            "margin_of_error: 0.1"), "utf-8")
    write(workspace / SAMPLING, """
        sampling: {quota: 3, min_valid: 2}
        by_unit:
          - {unit: "005", group: NGUOI-DAN, population: 100}
        """)
    plan = sampling_plan(open_workspace(workspace))
    row = plan.row("005", "NGUOI-DAN")
    assert (row.quota, row.population, row.derived) == (50, 100, True)


def test_every_problem_is_reported_with_its_line(workspace):
    path = write(workspace / SAMPLING, """
        sampling:
          quota: 3
          min_valid: 2
          spare: 1
        by_group:
          - {group: NOBODY, quota: 2}
          - {group: DN-TC, unit_type: district, quota: 2}
          - {group: NGUOI-DAN, unit_type: province}
          - {group: NGUOI-DAN, quota: -1}
          - {group: DBHDND-TP, quota: 5}
          - {group: DBHDND-TP, quota: 6}
        by_unit:
          - {unit: "999", group: NGUOI-DAN, quota: 2}
          - {unit: "005", group: DN-TC, quota: 2}
          - {unit: "005", group: NGUOI-DAN, quota: 2, population: 50}
          - {unit: SNV, group: NGUOI-DAN, quota: 1}
          - {unit: SNV, group: DBHDND-TP, quota: "nhiều"}
        """)
    plan, findings = check_sampling(open_workspace(workspace))
    assert plan is None
    assert projection(findings) == [
        ("schema.unknown_key", 4, "sampling"),
        ("schema.bad_value", 6, "NOBODY"),  # no such group in any questionnaire
        ("schema.bad_value", 7, "DN-TC"),  # the district questionnaire has no DN-TC
        ("schema.bad_value", 8, "NGUOI-DAN"),  # no such unit type
        ("schema.bad_value", 9, "NGUOI-DAN"),  # negative quota
        ("schema.bad_value", 11, "DBHDND-TP"),  # given twice
        ("schema.bad_value", 13, "999/NGUOI-DAN"),  # unknown unit
        ("schema.bad_value", 14, "005/DN-TC"),  # group not in the unit's questionnaire
        ("schema.bad_value", 15, "005/NGUOI-DAN"),  # quota and population together
        ("schema.bad_value", 16, "SNV/NGUOI-DAN"),  # minimum 3 (group) above quota 1
        ("schema.wrong_type", 17, "SNV/DBHDND-TP"),
    ]
    assert all(f.file == str(path) for f in findings)
    with pytest.raises(InvalidDataError) as raised:
        sampling_plan(open_workspace(workspace))
    assert len(raised.value.findings) == len(findings)


def test_a_minimum_above_the_quota_is_reported_once_per_line(workspace):
    write(workspace / SAMPLING, "sampling: {quota: 3}\n")  # minimum 30 from campaign.yaml
    plan, findings = check_sampling(open_workspace(workspace))
    assert plan is None and projection(findings) == [("schema.bad_value", 1, "BDT/DBHDND-TP")]


def test_missing_file_and_missing_setting(workspace):
    (workspace / SAMPLING).unlink()
    assert [f.code for f in check_sampling(open_workspace(workspace))[1]] == ["file.missing"]
    settings = workspace / "campaign.yaml"
    settings.write_text(settings.read_text("utf-8").replace("sampling: sampling/hanoi-2020.yaml",
                                                            ""), "utf-8")
    with pytest.raises(WorkspaceError, match="Chưa khai báo kế hoạch mẫu"):
        sampling_plan(open_workspace(workspace))


def test_unit_codes_that_would_break_a_serial_are_refused(workspace):
    units = workspace / "units" / "hanoi.yaml"
    units.write_text(units.read_text("utf-8").replace('code: "250"', 'code: "25-0"'), "utf-8")
    write(workspace / SAMPLING, "sampling: {quota: 3, min_valid: 2}\n")
    plan, findings = check_sampling(open_workspace(workspace))
    assert plan is None and projection(findings) == [("schema.bad_value", None, "25-0")]
    assert findings[0].file.endswith("hanoi.yaml")


def test_init_copies_the_sampling_file(example_workspace):
    assert (example_workspace / SAMPLING).is_file()
    assert open_workspace(example_workspace).settings.sampling_file == SAMPLING


def test_cli_plan_text_and_json(example_workspace):
    result = run_cli("survey", "plan", example_workspace)
    assert result.exit_code == 0
    assert "Toàn bộ: 260 đơn vị × nhóm, 887 phiếu phát ra" in result.stdout
    assert "5/2*" in result.stdout and "Cầu Giấy" in result.stdout
    data = json.loads(run_cli("survey", "plan", example_workspace, "--json").stdout)
    assert data["quota"] == 887 and len(data["rows"]) == 260
    assert {"unit_type": "so", "group": None, "units": 22, "quota": 376, "min_valid": 242} in \
        data["totals"]


def test_cli_plan_reports_errors_with_exit_code_2(workspace):
    write(workspace / SAMPLING, "sampling: {quota: 3, min_valid: 2}\nby_unit: [{unit: X, group: Y}]\n")
    result = run_cli("survey", "plan", workspace, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["findings"][0]["item"] == "X/Y"


# ---- serial numbers ---------------------------------------------------------------------------
def test_serial_text_payload_and_round_trip():
    serial = Serial("005", "NGUOI-DAN", 7, "hanoi-cchc-2020")
    assert serial.text == f"005-NGUOI-DAN-0007-{serial.check}"
    assert serial.payload == f"CCHC|hanoi-cchc-2020|005|NGUOI-DAN|0007|{serial.check}"
    assert serial.qr_payload(2) == serial.payload + "|2"
    assert parse_serial(serial.text, "hanoi-cchc-2020") == serial
    assert parse_serial(serial.payload) == serial
    assert parse_qr(serial.qr_payload(2)) == (serial, 2)
    assert parse_qr(serial.payload) == (serial, None)
    assert parse_serial(serial.text.lower()[:-1] + serial.check.lower()).number == 7


def test_check_character_is_iso_7064_mod_37_36():
    # Worked by hand with the hybrid system (M = 36): P0 = 36; for each character,
    # S = (P + value) mod 36 (0 -> 36), P = 2S mod 37; check = (37 - P) mod 36.
    # "A1": S = (36 + 10) mod 36 = 10, P = 20; S = 21, P = 42 mod 37 = 5; check = 32 -> "W".
    assert check_character("A1") == "W"
    for data in ("005NGUOIDAN0007", "SNVCBCCVCSO0123"):  # data + check always ends at P = 1
        product = 36
        for char in data + check_character(data):
            product = (((product + ALPHABET.index(char)) % 36 or 36) * 2) % 37
        assert product == 2  # i.e. the last S was 1


@pytest.mark.parametrize("serial", [Serial("005", "NGUOI-DAN", 7), Serial("SNV", "CBCCVC-SO", 123),
                                    Serial("250", "LD-UBND-XA", 9999)])
def test_every_single_mistyped_character_is_detected(serial):
    text = serial.text
    for position, original in enumerate(text):
        if original == "-":
            continue
        for typo in ALPHABET:
            if typo == original.upper():
                continue
            mistyped = text[:position] + typo + text[position + 1:]
            with pytest.raises(InvalidSerial):
                parse_serial(mistyped)


@pytest.mark.parametrize("bad", ["", "005-NGUOI-DAN-7-1", "005_NGUOI", "CCHC|x|005|G|00a7|1",
                                 "CCHC|x|005|G|0007", "XXXX|x|005|G|0007|1"])
def test_malformed_serials_are_refused(bad):
    with pytest.raises(InvalidSerial):
        parse_serial(bad)


def test_issued_serials_follow_the_plan_deterministically(example_workspace):
    workspace = open_workspace(example_workspace)
    serials = issued_serials(workspace)
    assert len(serials) == len(set(serials)) == 887
    assert serials == issued_serials(workspace)
    mine = issued_serials(workspace, unit="005", group="NGUOI-DAN")
    assert [s.text for s in mine] == [f"005-NGUOI-DAN-{n:04d}-{Serial('005', 'NGUOI-DAN', n).check}"
                                      for n in range(1, 7)]
    assert {s.campaign for s in serials} == {"hanoi-cchc-2020"}
    assert len(issued_serials(workspace, unit="005")) == 19
    assert len(issued_serials(workspace, group="NGUOI-DAN")) == 88 + 122
    with pytest.raises(WorkspaceError):
        issued_serials(workspace, unit="nope")
    with pytest.raises(WorkspaceError):
        issued_serials(workspace, group="nope")

"""Units: the shipped Hanoi list and the rules for unit files."""

from __future__ import annotations

import pytest
from conftest import UNITS, projection, write

from formkit.errors import InvalidDataError
from formkit.units import check_units, load_units, sort_units

DISTRICTS = """001 Ba Đình, 002 Hoàn Kiếm, 003 Tây Hồ, 004 Long Biên, 005 Cầu Giấy, 006 Đống Đa,
007 Hai Bà Trưng, 008 Hoàng Mai, 009 Thanh Xuân, 019 Nam Từ Liêm, 021 Bắc Từ Liêm, 268 Hà Đông,
269 Sơn Tây, 016 Sóc Sơn, 017 Đông Anh, 018 Gia Lâm, 020 Thanh Trì, 250 Mê Linh, 271 Ba Vì,
272 Phúc Thọ, 273 Đan Phượng, 274 Hoài Đức, 275 Quốc Oai, 276 Thạch Thất, 277 Chương Mỹ,
278 Thanh Oai, 279 Thường Tín, 280 Phú Xuyên, 281 Ứng Hòa, 282 Mỹ Đức"""


def test_shipped_units_are_the_22_so_and_30_districts_of_hanoi():
    units = load_units(UNITS)
    so = [u for u in units if u.unit_type == "so"]
    districts = {u.code: u.short_name for u in units if u.unit_type == "district"}
    assert len(so) == 22
    expected = dict(item.strip().split(" ", 1) for item in DISTRICTS.replace("\n", " ").split(","))
    assert districts == expected
    assert all(u.email.endswith("@hanoi.example") for u in units)
    cau_giay = next(u for u in units if u.code == "005")
    assert cau_giay.document_name == "UBND quận Cầu Giấy"
    assert next(u for u in units if u.code == "269").document_name == "UBND thị xã Sơn Tây"
    assert {u.name for u in so} >= {"Sở Tài chính", "Sở Nội vụ", "Thanh tra Thành phố",
                                    "Ban Dân tộc", "Văn phòng UBND Thành phố"}


def test_sort_units_uses_vietnamese_order_within_each_type():
    ordered = [u.short_name for u in sort_units(load_units(UNITS)) if u.unit_type == "district"]
    assert ordered[:8] == ["Ba Đình", "Ba Vì", "Bắc Từ Liêm", "Cầu Giấy", "Chương Mỹ",
                           "Đan Phượng", "Đông Anh", "Đống Đa"]
    assert ordered[-1] == "Ứng Hòa"


UNIT = """\
  - code: "{code}"
    name: Ủy ban nhân dân quận Ba Đình
    short_name: Ba Đình
    unit_type: {unit_type}
    document_name: UBND quận Ba Đình
    email: {email}
"""


def units_file(tmp_path, *entries: dict):
    body = "units:\n" + "".join(UNIT.format(**{"code": "001", "unit_type": "district",
                                               "email": "a@hanoi.example", **e}) for e in entries)
    return write(tmp_path / "units.yaml", body)


@pytest.mark.parametrize("entries, expected", [
    ([{}, {}], [("units.duplicate_code", 8, "001")]),
    ([{"unit_type": "phuong"}], [("units.unknown_type", 5, "001")]),
    ([{"email": "ubnd badinh@hanoi"}], [("units.bad_email", 7, "001")]),
    ([{"email": "ubnd@"}], [("units.bad_email", 7, "001")]),
], ids=["duplicate code", "unknown type", "malformed e-mail", "e-mail without domain"])
def test_unit_rules(tmp_path, entries, expected):
    units, findings = check_units(units_file(tmp_path, *entries))
    assert units is None
    assert projection(findings) == expected


def test_missing_email_is_a_warning_and_unknown_keys_are_errors(tmp_path):
    path = units_file(tmp_path, {"email": '""'})
    units, findings = check_units(path)
    assert projection(findings) == [("units.no_email", 2, "001")]
    assert units[0].email == ""
    path.write_text(path.read_text(encoding="utf-8") + "    fax: 123\n", encoding="utf-8")
    with pytest.raises(InvalidDataError):
        load_units(path)

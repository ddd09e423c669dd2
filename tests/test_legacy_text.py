"""Legacy Vietnamese encodings (TCVN3/ABC and VNI) repaired to Unicode.

The inverse tables below are written out independently of formkit.legacy_text, in another order
(sắc first), from TCVN 5712:1993 VN3 and the VNI-Windows table; the TCVN3 one is also checked
against glibc's TCVN5712-1 converter when iconv has it.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formkit.legacy_text import TCVN3, VNI, encoding_for_font, is_uppercase_font, looks_legacy, repair

# Unicode letter, TCVN3 byte (hex). Every small letter, and the seven capitals TCVN3 has.
TCVN3_CODES = """
á B8 à B5 ả B6 ã B7 ạ B9   ă A8 ắ BE ằ BB ẳ BC ẵ BD ặ C6   â A9 ấ CA ầ C7 ẩ C8 ẫ C9 ậ CB
é D0 è CC ẻ CE ẽ CF ẹ D1   ê AA ế D5 ề D2 ể D3 ễ D4 ệ D6   í DD ì D7 ỉ D8 ĩ DC ị DE
ó E3 ò DF ỏ E1 õ E2 ọ E4   ô AB ố E8 ồ E5 ổ E6 ỗ E7 ộ E9   ơ AC ớ ED ờ EA ở EB ỡ EC ợ EE
ú F3 ù EF ủ F1 ũ F2 ụ F4   ư AD ứ F8 ừ F5 ử F6 ữ F7 ự F9   ý FD ỳ FA ỷ FB ỹ FC ỵ FE   đ AE
Ă A1 Â A2 Ê A3 Ô A4 Ơ A5 Ư A6 Đ A7
"""
# Unicode letter, VNI-Windows characters (as Excel shows them) for the small letters.
VNI_CODES = """
á aù à aø ả aû ã aõ ạ aï   ă aê ắ aé ằ aè ẳ aú ẵ aü ặ aë   â aâ ấ aá ầ aà ẩ aå ẫ aã ậ aä
é eù è eø ẻ eû ẽ eõ ẹ eï   ê eâ ế eá ề eà ể eå ễ eã ệ eä   í í ì ì ỉ æ ĩ ó ị ò
ó où ò oø ỏ oû õ oõ ọ oï   ô oâ ố oá ồ oà ổ oå ỗ oã ộ oä   ơ ô ớ ôù ờ ôø ở ôû ỡ ôõ ợ ôï
ú uù ù uø ủ uû ũ uõ ụ uï   ư ö ứ öù ừ öø ử öû ữ öõ ự öï   ý yù ỳ yø ỷ yû ỹ yõ ỵ î   đ ñ
"""


def _pairs(table: str) -> list[tuple[str, str]]:
    words = table.split()
    return list(zip(words[::2], words[1::2], strict=True))


TO_TCVN3 = {letter: chr(int(code, 16)) for letter, code in _pairs(TCVN3_CODES)}
# VNI capitals are the small letters' codes minus 0x20, which is Latin-1 upper-casing.
TO_VNI = {letter: code for small, vni in _pairs(VNI_CODES)
          for letter, code in ((small, vni), (small.upper(), vni.upper()))}
SMALL_LETTERS = [letter for letter, _ in _pairs(VNI_CODES)]
ALL_LETTERS = SMALL_LETTERS + [letter.upper() for letter in SMALL_LETTERS]


def to_tcvn3(text: str) -> str:
    return "".join(TO_TCVN3.get(ch, ch) for ch in text)


def to_vni(text: str) -> str:
    return "".join(TO_VNI.get(ch, ch) for ch in text)


def test_the_tables_cover_every_vietnamese_letter():
    assert len(SMALL_LETTERS) == 67 and len(ALL_LETTERS) == 134 == len(set(ALL_LETTERS))
    assert all(unicodedata.is_normalized("NFC", letter) for letter in ALL_LETTERS)
    assert set(TO_TCVN3) == set(SMALL_LETTERS) | set("ĂÂÊÔƠƯĐ")
    assert len(set(TO_TCVN3.values())) == 74


@pytest.mark.skipif(shutil.which("iconv") is None, reason="iconv is not installed")
def test_tcvn3_table_agrees_with_glibc():
    """VN3 is the part of glibc's TCVN5712-1 (VN1) converter at the same codes."""
    encoded = "".join(TO_TCVN3.values()).encode("latin-1")
    run = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=encoded,
                         capture_output=True)
    if run.returncode != 0:
        pytest.skip("this iconv has no TCVN5712-1 converter")
    assert unicodedata.normalize("NFC", run.stdout.decode("utf-8")) == "".join(TO_TCVN3)


@pytest.mark.parametrize(("legacy", "unicode"), [
    ("Xin chµo", "Xin chào"),
    ("Hµ Néi", "Hà Nội"),
    ("ViÖt Nam", "Việt Nam"),
    ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
    ("§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
    ("Së Néi vô thµnh phè Hµ Néi", "Sở Nội vụ thành phố Hà Nội"),
    ("KÕ ho¹ch sè 12/KH-UBND ngµy 10/01/2020", "Kế hoạch số 12/KH-UBND ngày 10/01/2020"),
    ("¡n uèng, ¢m th\u00adêng, £m, ¤ng, ¥n, ¦u", "Ăn uống, Âm thường, Êm, Ông, Ơn, Ưu"),
])
def test_tcvn3_examples(legacy, unicode):
    assert repair(legacy, TCVN3) == unicode
    assert looks_legacy(legacy, TCVN3)


@pytest.mark.parametrize(("legacy", "unicode"), [
    ("Vieät Nam", "Việt Nam"),
    ("Haø Noäi", "Hà Nội"),
    ("Xin chaøo caùc baïn", "Xin chào các bạn"),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("ÑAÏI HOÄI ÑAÛNG BOÄ", "ĐẠI HỘI ĐẢNG BỘ"),
    ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
    ("Kyø hoïp thöù ba, quyeát ñònh soá 12", "Kỳ họp thứ ba, quyết định số 12"),
    ("UÛy ban nhaân daân", "Ủy ban nhân dân"),
])
def test_vni_examples(legacy, unicode):
    assert repair(legacy, VNI) == unicode
    assert looks_legacy(legacy, VNI)


@pytest.mark.parametrize("letter", SMALL_LETTERS)
def test_every_small_letter_round_trips_through_tcvn3(letter):
    assert repair(to_tcvn3(letter), TCVN3) == letter
    assert repair(to_tcvn3(letter), TCVN3, uppercase=True) == letter.upper()


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_every_letter_round_trips(letter):
    """All 134 letters: VNI has them all; TCVN3 capitals with tones come from the "H" fonts."""
    assert repair(to_vni(letter), VNI) == letter
    upper = letter.isupper()
    assert repair(to_tcvn3(letter.lower()), TCVN3, uppercase=upper) == letter


def test_tcvn3_toneless_capitals_need_no_capital_font():
    assert repair("¡ § ¢ £ ¤ ¥ ¦", TCVN3) == "Ă Đ Â Ê Ô Ơ Ư"


def test_uppercase_fonts():
    assert repair("Uû ban nh©n d©n quËn Hoµn KiÕm", TCVN3, uppercase=True) == \
        "UỶ BAN NHÂN DÂN QUẬN HOÀN KIẾM"
    assert repair("céng hoµ", TCVN3, uppercase=True) == "CỘNG HOÀ"
    assert repair("12/KH-UBND", TCVN3, uppercase=True) == "12/KH-UBND"


def test_fonts_name_the_encoding():
    for name in (".VnTime", ".VnArial", ".VnTimeH", ".VnArialH", ".vntime", " .VnCentury Schoolbook"):
        assert encoding_for_font(name) == TCVN3, name
    for name in ("VNI-Times", "VNI-Helve", "vni-times", "VNI-Helve-Condense"):
        assert encoding_for_font(name) == VNI, name
    for name in ("Times New Roman", "Arial", "Calibri", "", None, "VNtimes new roman", "VnTime"):
        assert encoding_for_font(name) is None, name


def test_capital_fonts_end_with_h():
    assert is_uppercase_font(".VnTimeH") and is_uppercase_font(".VnArialH")
    assert not is_uppercase_font(".VnTime") and not is_uppercase_font(".VnArial")
    assert not is_uppercase_font("VNI-Times") and not is_uppercase_font(None)
    assert not is_uppercase_font("Arial Black H")


@pytest.mark.parametrize("text", [
    "", "12/KH-UBND", "Kế hoạch số 12", "Hà Nội", "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Ủy ban nhân dân", "Đã hoàn thành", "Tài chính", "Có", "Báo cáo", "Hoá đơn", "Tôi",
])
def test_unicode_text_is_left_alone(text):
    for encoding in (TCVN3, VNI):
        assert not looks_legacy(text, encoding), (text, encoding)


def test_decomposed_unicode_text_is_left_alone():
    text = unicodedata.normalize("NFD", "Kế hoạch số 12 ngày 10")
    assert not looks_legacy(text, TCVN3) and not looks_legacy(text, VNI)


def test_repair_keeps_what_it_cannot_map():
    assert repair("Hµ Néi – 2020 ₫ ☺", TCVN3) == "Hà Nội – 2020 ₫ ☺"
    assert looks_legacy("Hµ Néi – 2020 ₫ ☺", TCVN3)  # symbols beyond 8 bits do not make it Unicode
    assert repair("x\u20acy\x80z", TCVN3) == "x\u20acy\x80z"  # 0x80 is no letter in either view
    assert repair("ø at the start, then aø", VNI) == "ø at the start, then à"


def test_unknown_encoding_is_a_programming_error():
    with pytest.raises(ValueError):
        repair("abc", "viscii")


# Words built from Vietnamese letters, ASCII and a little punctuation; spaces between them.
SMALL_ALPHABET = SMALL_LETTERS + list("abcdeghiklmnopqrstuvxy0123456789,.-/()")
ANY_ALPHABET = ALL_LETTERS + list("abcdeghiklmnopqrstuvxyABCDGHKLMNPQRSTVX0123-/")
SMALL_TEXT = st.text(alphabet=st.sampled_from(SMALL_ALPHABET), min_size=1, max_size=12)
ANY_TEXT = st.text(alphabet=st.sampled_from(ANY_ALPHABET), min_size=1, max_size=12)


@given(st.lists(SMALL_TEXT, min_size=1, max_size=6))
def test_tcvn3_round_trip(words):
    text = " ".join(words)
    assert repair(to_tcvn3(text), TCVN3) == text
    assert repair(to_tcvn3(text), TCVN3, uppercase=True) == text.upper()


@given(st.lists(ANY_TEXT, min_size=1, max_size=6))
def test_vni_round_trip(words):
    text = " ".join(words)
    assert repair(to_vni(text), VNI) == text


@given(st.lists(ANY_TEXT, min_size=1, max_size=6))
def test_text_beyond_latin1_is_never_legacy(words):
    text = " ".join(words) + " ộ"
    assert not looks_legacy(text, TCVN3) and not looks_legacy(text, VNI)
    assert not looks_legacy(unicodedata.normalize("NFD", text), VNI)


@given(st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=30))
def test_arbitrary_text_never_raises(text):
    for encoding in (TCVN3, VNI):
        looks_legacy(text, encoding)
        assert unicodedata.is_normalized("NFC", repair(text, encoding, uppercase=True))

"""Repairing Vietnamese text typed with legacy 8-bit fonts (TCVN3/ABC, VNI) in returned workbooks.

Some offices still type with ".VnTime" (TCVN3) or "VNI-Times" fonts. The keyboard driver sends the
legacy byte values, Excel stores them as the Windows-1252 characters of those bytes, and only the
font makes "Hµ Néi" look like "Hà Nội" on screen. The cell's font tells which table applies; this
module maps each character back to its byte and the byte (or byte pair, in VNI) to Unicode NFC.

Tables: TCVN3 is TCVN 5712:1993 VN3 (the subset of glibc's TCVN5712-1 charmap in 0xA1-0xFE);
VNI is the VNI-Windows two-byte scheme (base letter + diacritic byte). Both are checked in the
tests against tables written out independently.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterator

__all__ = ["TCVN3", "VNI", "encoding_for_font", "is_uppercase_font", "looks_legacy", "repair"]

TCVN3 = "tcvn3"
VNI = "vni"

# TCVN 5712:1993 VN3, byte -> letter. It has every small letter and only the seven toneless
# capitals; capitals with tones are typed with the capital ("...H") fonts at the small letters'
# codes. Rows of toned vowels are in TCVN3's order: huyền, hỏi, ngã, sắc, nặng.
_TCVN3_TABLE: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}

GRAVE, HOOK, TILDE, ACUTE, DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
CIRCUMFLEX, BREVE = "\u0302", "\u0306"

# VNI-Windows, small-letter codes; each capital's code is 0x20 lower (as in Latin-1), e.g. the
# capital grave mark is 0xD8 and Đ is 0xD1.
_VNI_TONE_MARKS = {0xF8: GRAVE, 0xFB: HOOK, 0xF5: TILDE, 0xF9: ACUTE, 0xEF: DOT}
_VNI_CIRCUMFLEX_MARKS = {0xE2: "", 0xE0: GRAVE, 0xE5: HOOK, 0xE3: TILDE, 0xE1: ACUTE, 0xE4: DOT}
_VNI_BREVE_MARKS = {0xEA: "", 0xE8: GRAVE, 0xFA: HOOK, 0xFC: TILDE, 0xE9: ACUTE, 0xEB: DOT}
# Letters that are one byte in VNI (ơ and ư also take a tone byte after them).
_VNI_SINGLE_SMALL = {0xF1: "đ", 0xF4: "ơ", 0xF6: "ư", 0xEC: "ì", 0xED: "í", 0xE6: "ỉ", 0xF3: "ĩ",
                     0xF2: "ị", 0xEE: "ỵ"}
_CAPITAL_OFFSET = 0x20


def _vni_tables() -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """Single-byte letters and (base, mark) pairs of VNI, small and capital."""
    singles: dict[int, str] = {}
    for code, letter in _VNI_SINGLE_SMALL.items():
        singles[code] = letter
        singles[code - _CAPITAL_OFFSET] = letter.upper()
    tones, hats, breves = ((_VNI_TONE_MARKS, ""), (_VNI_CIRCUMFLEX_MARKS, CIRCUMFLEX),
                           (_VNI_BREVE_MARKS, BREVE))
    families = {"a": (tones, hats, breves), "e": (tones, hats), "o": (tones, hats), "u": (tones,),
                "y": (tones,), "ơ": (tones,), "ư": (tones,)}
    pairs: dict[tuple[int, int], str] = {}
    for base, marks_of_base in families.items():
        base_code = {"ơ": 0xF4, "ư": 0xF6}.get(base, ord(base))
        for marks, modifier in marks_of_base:
            for mark_code, tone in marks.items():
                if base == "y" and tone == DOT:
                    continue  # ỵ is its own byte (0xEE) in VNI
                letter = unicodedata.normalize("NFC", base + modifier + tone)
                pairs[(base_code, mark_code)] = letter
                pairs[(base_code - _CAPITAL_OFFSET, mark_code - _CAPITAL_OFFSET)] = letter.upper()
    return singles, pairs


_VNI_SINGLES, _VNI_PAIRS = _vni_tables()
_VNI_BASES = {base for base, _ in _VNI_PAIRS}


def _single_byte_views() -> dict[str, int]:
    """Character -> byte, for both ways Excel may show a byte 0x80-0x9F (cp1252 or latin-1)."""
    views = {chr(code): code for code in range(0x100)}
    for code in range(0x80, 0xA0):
        with contextlib.suppress(UnicodeDecodeError):  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: latin-1 only
            views[bytes([code]).decode("cp1252")] = code
    return views


_BYTE_OF = _single_byte_views()
# Every precomposed Vietnamese letter (the 134 with diacritics), plus ASCII letters.
_VIETNAMESE_LETTERS = frozenset(_VNI_SINGLES.values()) | frozenset(_VNI_PAIRS.values()) | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def encoding_for_font(font_name: str | None) -> str | None:
    """'tcvn3' for the ABC fonts (".VnTime", ".VnArialH" ...), 'vni' for "VNI-..." fonts."""
    name = (font_name or "").strip().lower()
    if name.startswith(".vn"):
        return TCVN3
    if name.startswith("vni-"):
        return VNI
    return None


def is_uppercase_font(font_name: str | None) -> bool:
    """TCVN3 capital fonts (".VnTimeH", ".VnArialH") draw every letter as a capital."""
    name = (font_name or "").strip()
    return encoding_for_font(name) == TCVN3 and name.endswith("H")


def repair(text: str, encoding: str, uppercase: bool = False) -> str:
    """The Unicode (NFC) text a legacy-font cell shows on screen."""
    result = "".join(out for _, out in _segments(text, encoding))
    if uppercase:
        result = "".join(ch.upper() if ch in _VIETNAMESE_LETTERS else ch for ch in result)
    return unicodedata.normalize("NFC", result)


def looks_legacy(text: str, encoding: str) -> bool:
    """Whether text in a legacy-font cell really was typed in that encoding.

    Unicode text often sits in cells still formatted ".VnTime": it is left alone when it holds a
    letter or mark no 8-bit font can type (ư, ộ, a combining accent). Otherwise it is legacy when
    a converted character is no Vietnamese letter itself ("µ", "¹", "ø"), or when the repair turns
    impossible vowel groups into possible ones ("coù" -> "có"). Short text with neither sign
    ("cã", which may be TCVN3 "có" or Unicode "cã") is left as it is.
    """
    if any(ch not in _BYTE_OF and unicodedata.category(ch)[0] in "LM" for ch in text):
        return False
    converted = [(source, out) for source, out in _segments(text, encoding) if source != out]
    if not converted:
        return False
    if any(ch not in _VIETNAMESE_LETTERS for source, _ in converted for ch in source):
        return True
    return _odd_vowel_groups(repair(text, encoding)) < _odd_vowel_groups(text)


def _segments(text: str, encoding: str) -> Iterator[tuple[str, str]]:
    """(source characters, their Unicode) in order; unconverted characters map to themselves."""
    if encoding == TCVN3:
        for ch in text:
            yield ch, _TCVN3_TABLE.get(_BYTE_OF.get(ch, -1), ch)
    elif encoding == VNI:
        yield from _vni_segments(text)
    else:
        raise ValueError(f"unknown legacy encoding: {encoding!r}")


def _vni_segments(text: str) -> Iterator[tuple[str, str]]:
    codes = [_BYTE_OF.get(ch, -1) for ch in text]
    index = 0
    while index < len(text):
        code = codes[index]
        if code in _VNI_BASES and index + 1 < len(text) and (code, codes[index + 1]) in _VNI_PAIRS:
            yield text[index:index + 2], _VNI_PAIRS[(code, codes[index + 1])]
            index += 2
            continue
        yield text[index], _VNI_SINGLES.get(code, text[index])
        index += 1


# Vowel groups (nuclei with glides, tones removed) that Vietnamese spelling allows.
_VOWEL_GROUPS = frozenset((
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "oo",
    "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
    "iêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu", "yêu",
))
_VOWELS = frozenset("aăâeêioôơuưy")
_TONES = frozenset((GRAVE, HOOK, TILDE, ACUTE, DOT))


def _odd_vowel_groups(text: str) -> int:
    """How many runs of vowels are not a Vietnamese vowel group (or carry more than one tone)."""
    odd = 0
    for word in text.lower().split():
        for run in _vowel_runs(word):
            bare = "".join(_toneless(ch) for ch in run)
            tones = sum(ch != _toneless(ch) for ch in run)
            odd += bare not in _VOWEL_GROUPS or tones > 1
    return odd


def _vowel_runs(word: str) -> Iterator[str]:
    """Runs of vowel letters in a lower-case word."""
    run = ""
    for index, ch in enumerate(word):
        if _toneless(ch) in _VOWELS and not (not run and _is_consonant_glide(word, index)):
            run += ch
            continue
        if run:
            yield run
        run = ""
    if run:
        yield run


def _is_consonant_glide(word: str, index: int) -> bool:
    """The i of "gi" and the u of "qu" before a vowel spell a consonant ("gia", "qua")."""
    return (word[index - 1:index] in ("g", "q") and _toneless(word[index]) in ("i", "u")
            and _toneless(word[index + 1:index + 2]) in _VOWELS)


def _toneless(ch: str) -> str:
    """The letter without its tone mark (ộ -> ô); other characters unchanged."""
    bare = "".join(c for c in unicodedata.normalize("NFD", ch) if c not in _TONES)
    return unicodedata.normalize("NFC", bare)

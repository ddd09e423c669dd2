"""Vietnamese text utilities: normalisation, collation, name matching, numbers and dates.

Files sent back by units mix NFC/NFD, old and new tone placement, decimal commas and
dd/mm/yyyy dates; everything here is stdlib-only so it works where PyICU/Babel do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

__all__ = [
    "canonical_name",
    "collation_key",
    "deadline_phrase",
    "format_date",
    "format_number",
    "format_short_date",
    "nfc",
    "parse_date",
    "parse_number",
    "sort_vietnamese",
]

# CLDR "vi": ă â đ ê ô ơ ư are letters of their own; f j w z keep their Latin places.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Base + mark pairs that ICU's vi tailoring contracts into one primary letter.
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Tone marks in CLDR vi secondary order: huyền, hỏi, ngã, sắc, nặng (none sorts first).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Other common Latin marks, in ICU's secondary order after the tones (breve, circumflex,
# caron, ring, diaeresis, double acute, dot above, cedilla, ogonek, macron).
_MARK_ORDER = {
    m: 6 + i for i, m in enumerate("\u0306\u0302\u030c\u030a\u0308\u030b\u0307\u0327\u0328\u0304")
}
# ICU root order of ASCII punctuation and symbols (checked against ICU 72).
_PUNCT = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_ccc = unicodedata.combining
_GROUP = 0x200000  # larger than any code point, so groups never overlap


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (the form everything is stored in)."""
    return unicodedata.normalize("NFC", text)


def _clusters(text: str) -> Iterator[tuple[str, list[str]]]:
    """Split NFD text into (base, combining marks); a leading mark gets base ''."""
    base, marks = "", []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch).startswith("M"):
            marks.append(ch)
            continue
        if base or marks:
            yield base, marks
        base, marks = ch, []
    if base or marks:
        yield base, marks


def _primary(ch: str) -> int | None:
    """Primary weight: spaces < punctuation < digits < Latin letters < other; None = ignorable."""
    cat = unicodedata.category(ch)
    if cat == "Zs":
        return ord(" ")  # NBSP and other spaces weigh as a space (ICU differs only tertiary)
    if ch.isspace():
        return ord(ch)
    if ch in _PUNCT:
        return _GROUP + _PUNCT.index(ch)
    if cat[0] in "PS":
        return 2 * _GROUP + ord(ch)
    if cat == "Nd":
        return 3 * _GROUP + unicodedata.digit(ch)
    if ch in _LETTER_RANK:
        return 4 * _GROUP + _LETTER_RANK[ch]
    if cat[0] == "C":
        return None
    return 5 * _GROUP + ord(ch)


def _mark_weight(mark: str) -> int:
    """Secondary weight of a mark; rare marks go last by code point (not full UCA)."""
    return _TONES.get(mark) or _MARK_ORDER.get(mark) or 64 + ord(mark)


def _letter(base: str, marks: list[str]) -> tuple[str, list[str]]:
    """Contract base + breve/circumflex/horn into ă â ê ô ơ ư; return it and the other marks."""
    lower = base.lower() if len(base.lower()) == 1 else base
    for i, mark in enumerate(marks):
        blocked = any(_ccc(m) >= _ccc(mark) for m in marks[:i])  # as in UCA contractions
        if (lower, mark) in _MODIFIED and not blocked:
            return _MODIFIED[(lower, mark)], marks[:i] + marks[i + 1 :]
    return lower, marks


def collation_key(text: str) -> tuple:
    """Sort key matching ICU's ``vi`` collation at tertiary strength.

    Returns (primaries, secondaries, tertiaries, nfc text): tuples compare level by level
    over the whole string, as ICU does; the NFC text only breaks ties ICU calls equal.
    """
    prim: list[int] = []
    sec: list[int] = []
    ter: list[int] = []
    for base, marks in _clusters(text):
        letter, rest = _letter(base, marks)
        weight = _primary(letter) if base else None
        if weight is not None:
            prim.append(weight)
            sec.append(0)
            ter.append(1 if base != base.lower() else 0)  # ICU: lower before upper
        sec.extend(_mark_weight(m) for m in rest)
        ter.extend(0 for _ in rest)
    return tuple(prim), tuple(sec), tuple(ter), nfc(text)


def sort_vietnamese(items: Iterable[Any], key: Callable[[Any], str] | None = None) -> list:
    """Sort in Vietnamese order; ``key`` extracts the string from each item."""
    if key is None:
        return sorted(items, key=collation_key)
    return sorted(items, key=lambda item: collation_key(key(item)))


def _canonical_syllable(syllable: str) -> str:
    """Move the tone mark(s) of one NFD syllable onto its last vowel (or last letter)."""
    tones = [ch for ch in syllable if ch in _TONES]
    if not tones:
        return syllable
    chars = [ch for ch in syllable if ch not in _TONES]
    bases = [i for i, ch in enumerate(chars) if not _ccc(ch)]
    vowels = [i for i in bases if chars[i] in "aeiouy"] or bases
    end = vowels[-1] + 1
    while end < len(chars) and _ccc(chars[end]):
        end += 1  # keep breve/circumflex/horn next to their letter, tone after them
    return "".join(chars[:end] + tones + chars[end:])


_SYLLABLE = re.compile(r"(?:[^\W\d_][\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff]*)+")


def canonical_name(text: str) -> str:
    """Matching key for names: 'Hòa' == 'Hoà', 'Thủy' == 'THUỶ'; keep the original for display.

    Casefolded, whitespace collapsed, and each syllable's tone put on its last vowel, so old
    and new tone placement meet; tones and letters themselves are never dropped.
    """
    folded = unicodedata.normalize("NFD", nfc(text).casefold())
    folded = " ".join(folded.split())
    return nfc(_SYLLABLE.sub(lambda m: _canonical_syllable(m.group()), folded))


def format_number(
    value: int | float | Decimal, decimals: int = 2, *, thousands: bool = True
) -> str:
    """Vietnamese presentation ('1.234.567,50'), rounded half-up on the decimal value."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"format_number expects int, float or Decimal, got {type(value).__name__}")
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    # str() first: Decimal(2.675) is 2.67499..., but users mean the 2.675 they see.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"cannot format non-finite number {value!r}")
    with localcontext() as ctx:
        ctx.prec = max(28, number.adjusted() + decimals + 2)
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()  # no "-0,00"
    text = f"{rounded:{',' if thousands else ''}.{decimals}f}"
    return text.translate(str.maketrans({",": ".", ".": ","}))


def format_date(d: date) -> str:
    """Decree 30/2020 date: day < 10 and months 1-2 zero-padded ('ngày 05 tháng 02 năm 2021')."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def format_short_date(d: date) -> str:
    """dd/mm/yyyy, always padded."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def deadline_phrase(d: date) -> str:
    """How every text a unit reads states a deadline, the day itself included: 'chậm nhất ngày
    22/12/2020'. The form, its mail, reminders and feedback all say it with this one phrase."""
    return f"chậm nhất ngày {format_short_date(d)}"


_NUMBER_CHARS = re.compile(r"[0-9][0-9., ]*")


def _split_number(body: str) -> tuple[str, str, str]:
    """Return (integer part, thousands separator, fraction part) for an unsigned number."""
    if " " in body:
        thousands, decimal_seps = " ", ".,"
    elif "," in body and "." in body:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        thousands, decimal_seps = ("." if decimal_sep == "," else ","), decimal_sep
    elif body.count(".") > 1:
        thousands, decimal_seps = ".", ""
    elif "." in body:
        whole, _, frac = body.partition(".")
        dot_groups = len(whole) <= 3 and len(frac) == 3 and not whole.startswith("0")
        thousands, decimal_seps = ("." if dot_groups else ""), ("" if dot_groups else ".")
    else:
        thousands, decimal_seps = "", ","
    found = [sep for sep in decimal_seps if sep in body]
    if len(found) > 1 or any(body.count(sep) > 1 for sep in found):
        raise ValueError(f"ambiguous decimal separator in {body!r}")
    whole, _, frac = body.partition(found[0]) if found else (body, "", "")
    if found and not frac:
        raise ValueError(f"missing digits after the decimal separator in {body!r}")
    return whole, thousands, frac


def parse_number(text: str) -> Decimal:
    """Parse a number as Vietnamese users type it ('1,5', '2.621', '1.234.567,5')."""
    if not isinstance(text, str):
        raise TypeError(f"parse_number expects str, got {type(text).__name__}")
    s = nfc(text).translate({0xA0: " ", 0x202F: " ", 0x2009: " ", 0x2212: "-"}).strip()
    sign = s[:1] if s[:1] in "+-" else ""
    body = s[len(sign) :]
    if not _NUMBER_CHARS.fullmatch(body) or not body[-1].isdigit():
        raise ValueError(f"not a number: {text!r}")
    whole, thousands, frac = _split_number(body)
    group = re.escape(thousands)
    pattern = rf"[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]+" if thousands else r"[0-9]+"
    if not re.fullmatch(pattern, whole) or not re.fullmatch(r"[0-9]*", frac):
        raise ValueError(f"badly grouped number: {text!r}")
    digits = whole.replace(thousands, "") if thousands else whole
    return Decimal(f"{'-' if sign == '-' else ''}{digits}{'.' + frac if frac else ''}")


_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def parse_date(text: str) -> date:
    """Parse dd/mm/yyyy (also '-' or '.'; never mm/dd) or ISO yyyy-mm-dd."""
    if not isinstance(text, str):
        raise TypeError(f"parse_date expects str, got {type(text).__name__}")
    s = nfc(text).strip()
    if m := _ISO.fullmatch(s):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DMY.fullmatch(s):
        day, month, year = int(m[1]), int(m[3]), int(m[4])
    else:
        raise ValueError(f"not a date in dd/mm/yyyy form: {text!r}")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such date: {text!r} ({exc})") from exc


def sentence_case(text: str) -> str:
    """'Cải cách thủ tục hành chính' -> 'cải cách thủ tục hành chính' mid-sentence; 'UBND …' stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text

"""What every document's context shares: Vietnamese figures, header lines, signer, unit order.

Templates never compute (report_templates/README.md): every figure is rounded here exactly as the
consolidation ranks (half-up to 2 places) and formatted the Vietnamese way, so a document and the
results workbook can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_UP, Decimal
from fractions import Fraction

from formkit.consolidate import Results, UnitResult, round_half_up
from formkit.settings import Settings
from formkit.settings_outputs import DocumentSigner
from formkit.text import canonical_name, collation_key, format_date, format_number, nfc
from formkit.units import GROUP_WORDS, UNIT_TYPES

PLACES = 2  # points and percentages, as published
BLANK_NUMBER = " " * 5  # after "Số: ": "Số:      /QĐ-UBND" while the document is a draft
PEOPLES_COMMITTEE = "Ủy ban nhân dân"
NUMERALS = ("I", "II", "III", "IV")


def points(value: Fraction | Decimal | int) -> str:
    """'92,76': rounded half-up to the published precision, decimal comma."""
    if isinstance(value, Fraction):
        value = round_half_up(value, PLACES)
    return format_number(value, PLACES)  # rounds a Decimal half-up too


def count(value: int) -> str:
    """'05', '18', '2.621': counts from one to nine are written with two digits, as official texts do."""
    return f"{value:02d}" if 0 < value < 10 else format_number(value, 0)


def rounding_note(results: Results) -> str:
    """How rounded figures relate to the totals, with the largest gap the rounding can make."""
    parts = max((len(tree.areas) for tree in results.trees.values()), default=2)
    bound = Decimal(parts) * Decimal("0.005")
    return ("Điểm số được làm tròn đến hai chữ số thập phân; Tổng điểm và Chỉ số được tính từ số liệu "
            "chưa làm tròn nên tổng các điểm thành phần đã làm tròn có thể chênh lệch không quá "
            f"{format_number(bound.quantize(Decimal('0.01'), rounding=ROUND_UP))} điểm so với Tổng điểm.")


def signed(value: Fraction | Decimal) -> str:
    """'+1,25', '-0,50' or '0,00' (the sign of the rounded value)."""
    rounded = round_half_up(Fraction(value), PLACES)
    return ("+" if rounded > 0 else "") + format_number(rounded, PLACES)


def signed_int(value: int) -> str:
    return f"{value:+d}" if value else "0"


def names(items: Sequence[str]) -> str:
    """'A', 'A và B', 'A, B và C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1]


def sentence_start(text: str) -> str:
    """The first letter in capitals, as a sentence begins ('sở Y tế' -> 'Sở Y tế')."""
    return text[:1].upper() + text[1:]


def basis_lines(lines: Sequence[str]) -> list[str]:
    """'Căn cứ …' lines without their final punctuation (the template adds ';' and '.')."""
    out = []
    for line in listed(lines):
        out.append(line if line.lower().startswith("căn cứ") else f"Căn cứ {line}")
    return out


def caps(text: str) -> str:
    return nfc(text).upper()


def short_caps(body: str) -> str:
    """'Ủy ban nhân dân Thành phố Hà Nội' -> 'UBND THÀNH PHỐ HÀ NỘI' (the usual header shortening)."""
    words = nfc(body).split()
    if canonical_name(" ".join(words[:4])) == canonical_name(PEOPLES_COMMITTEE):
        return caps(" ".join(["UBND", *words[4:]]))
    return caps(body)


def header_caps(body: str) -> str:
    """'Ủy ban nhân dân Thành phố Hà Nội' -> 'ỦY BAN NHÂN DÂN' over 'THÀNH PHỐ HÀ NỘI' (two lines).

    The header column is narrow: left to itself Word breaks it as 'ỦY BAN NHÂN DÂN THÀNH / PHỐ HÀ
    NỘI'; the conventional break is after the body's kind.
    """
    words = nfc(body).split()
    if len(words) > 4 and canonical_name(" ".join(words[:4])) == canonical_name(PEOPLES_COMMITTEE):
        return caps(" ".join(words[:4])) + "\n" + caps(" ".join(words[4:]))
    return caps(body)


def number_text(number: str) -> str:
    """'05' (numbers under 10 padded), or blank space while the document is a draft."""
    return number.zfill(2) if number else BLANK_NUMBER


def number_line(number: str, symbol: str) -> str:
    """'Số: 05/QĐ-UBND' or 'Số:      /QĐ-UBND'."""
    return f"Số: {number_text(number)}/{symbol}"


def header(parent_body: str, issuing_body: str, number: str, symbol: str, place: str,
           date: dt.date, draft_date: bool = False) -> dict:
    """`draft_date`: an issued document without its number yet leaves the day blank too, for the
    clerk who numbers it on signing."""
    return {"parent_body": parent_body, "issuing_body": issuing_body,
            "number_line": number_line(number, symbol),
            "place_date": f"{place}, {issue_date_text(date, draft_date and not number)}"}


def issue_date_text(date: dt.date, blank_day: bool = False) -> str:
    """'ngày 05 tháng 3 năm 2021', or 'ngày      tháng 3 năm 2021' while the day is not known."""
    text = format_date(date)
    return text.replace(f"ngày {date.day:02d} ", "ngày" + BLANK_NUMBER + " ", 1) if blank_day else text


def signer(chosen: DocumentSigner | None, settings: Settings) -> dict:
    """The document's own signer, else the campaign's `signer`."""
    who = chosen or settings.signer
    return {"authority": who.authority, "position": who.position, "title": who.title,
            "name": who.name}


def listed(lines: Sequence[str], default: Sequence[str] = ()) -> list[str]:
    """Lines without the final ';' or '.' the template adds."""
    return [line.strip().rstrip(";.").strip() for line in (lines or default) if line.strip()]


def shared(settings: Settings, results: Results, head: dict, sign: dict,
           recipients: Sequence[str]) -> dict:
    """The variables every template receives."""
    return {"year": settings.campaign.year, "header": head, "signer": sign,
            "recipients": listed(recipients, ("Lưu: VT",)),
            "rank_rule": results.meta.get("rank_rule", ""),
            "has_bands": bool(results.meta.get("has_bands")),
            "band_rule": band_rule_text(results),
            "rounding_note": rounding_note(results)}


def band_rule_text(results: Results) -> str:
    """'Xếp loại theo Chỉ số (%): Xuất sắc: từ 90% trở lên; Tốt: ...' ('' without bands)."""
    lines = results.meta.get("band_rule") or ()
    return "Xếp loại theo Chỉ số (%): " + "; ".join(lines) + "." if lines else ""


def document_dates(settings: Settings) -> dict[str, dt.date]:
    """Each document's date from its settings, else a campaign date; never today's date."""
    documents = settings.documents
    fallback = settings.deadlines.appraisal or settings.campaign.issue_date
    report = documents.report.date or fallback
    return {"minutes": documents.minutes.date or fallback, "report": report,
            "decision": documents.decision.date or report}


def ranking_order(units: Sequence[UnitResult]) -> list[UnitResult]:
    """Rank order, ties in Vietnamese name order; units left out of the ranking last."""
    return sorted(units, key=lambda u: (u.rank is None, u.rank or 0, collation_key(u.name), u.code))


def type_groups(results: Results) -> list[str]:
    """Unit types with results, Sở first."""
    return [t for t in UNIT_TYPES if results.of_type(t)]


def subject(results: Results) -> str:
    """'các sở, cơ quan tương đương Sở và Ủy ban nhân dân các quận, huyện, thị xã': who was assessed."""
    return names([GROUP_WORDS[t].formal for t in type_groups(results)])

"""Settings for what the campaign publishes: the ranking rule, classification bands, documents.

Kept apart from formkit.settings (which holds what the campaign runs on) because these sections
only matter at the end of the campaign and change with each year's decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from formkit.findings import Code
from formkit.yamlsrc import FieldReader, YList, YMap

RANK_BASES = ("total", "index")  # rank on the total points, or on the index % of the applicable max


@dataclass(frozen=True)
class Band:
    minimum: Decimal  # lowest index % (inclusive) that earns the label
    label: str


@dataclass(frozen=True)
class RankingSettings:
    basis: str = "total"
    places: int = 2  # published precision; ties are decided on the value rounded to it
    bands: tuple[Band, ...] = ()  # highest minimum first; empty: no classification

    def band(self, index_percent: Decimal) -> str:
        """The label of the first band whose minimum the index % reaches, or ''."""
        return next((b.label for b in self.bands if index_percent >= b.minimum), "")


@dataclass(frozen=True)
class Person:
    name: str
    position: str = ""


@dataclass(frozen=True)
class DocumentSigner:
    authority: str  # e.g. "TM. ỦY BAN NHÂN DÂN" (may be empty)
    position: str  # e.g. "KT. CHỦ TỊCH"
    title: str  # e.g. "PHÓ CHỦ TỊCH"
    name: str


@dataclass(frozen=True)
class MinutesSettings:
    """The appraisal council's meeting, written into every Biên bản thẩm định."""

    date: dt.date | None = None
    start: str = ""  # "08 giờ 00"
    end: str = ""
    place: str = ""
    chair: Person = Person("")
    secretary: Person = Person("")
    members: tuple[Person, ...] = ()


@dataclass(frozen=True)
class IssuedDocument:
    """Number, symbol, date, signer and recipients of one issued document (report or decision)."""

    symbol: str
    number: str = ""  # empty while drafting: "Số:      /QĐ-UBND"
    date: dt.date | None = None
    signer: DocumentSigner | None = None  # None: the campaign's `signer`
    recipients: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()  # "Căn cứ ..." lines (decision)
    proposal: str = ""  # the council's / Sở Nội vụ's proposal cited last in the decision


@dataclass(frozen=True)
class DocumentSettings:
    minutes: MinutesSettings = MinutesSettings()
    report: IssuedDocument = IssuedDocument("BC-SNV")
    decision: IssuedDocument = IssuedDocument("QĐ-UBND")
    templates: str = ""  # folder of templates overriding the shipped ones (relative to the workspace)


def parse_ranking(reader: FieldReader, m: YMap) -> RankingSettings:
    defaults = RankingSettings()
    reader.check_keys(m, ("basis", "places", "bands"), item="ranking")
    basis = reader.text(m, "basis", "ranking", default=defaults.basis)
    if basis not in RANK_BASES:
        reader.report(Code.BAD_VALUE, m.line_of("basis"), "ranking", key="basis", value=basis,
                      reason="dùng một trong: " + ", ".join(RANK_BASES))
        basis = defaults.basis
    places = reader.integer(m, "places", "ranking", default=defaults.places)
    if places is None or not 0 <= places <= 4:
        reader.report(Code.BAD_VALUE, m.line_of("places"), "ranking", key="places", value=places,
                      reason="số chữ số thập phân phải từ 0 đến 4")
        places = defaults.places
    return RankingSettings(basis, places, _bands(reader, m))


def _bands(reader: FieldReader, m: YMap) -> tuple[Band, ...]:
    if "bands" not in m:
        return ()
    items = reader.sequence(m["bands"], "bands", m.line_of("bands"), "ranking") or YList()
    bands = []
    for n, item in enumerate(items):
        line = _item_line(items, n, m.line_of("bands"))
        entry = reader.mapping(item, "bands", line, "ranking")
        if entry is None:
            continue
        reader.check_keys(entry, ("from", "label"), ("from", "label"), item="ranking.bands")
        minimum = reader.number(entry, "from", "ranking.bands")
        label = reader.text(entry, "label", "ranking.bands")
        if minimum is not None and label:
            bands.append(Band(minimum, label))
    ordered = tuple(sorted(bands, key=lambda b: b.minimum, reverse=True))
    if len({b.minimum for b in ordered}) != len(ordered):
        reader.report(Code.BAD_VALUE, m.line_of("bands"), "ranking", key="bands", value="",
                      reason="hai mức xếp loại có cùng ngưỡng 'from'")
    return ordered


def parse_documents(reader: FieldReader, m: YMap) -> DocumentSettings:
    reader.check_keys(m, ("templates", "minutes", "report", "decision"), item="documents")
    return DocumentSettings(
        _minutes(reader, _sub(reader, m, "minutes")),
        _issued(reader, _sub(reader, m, "report"), "documents.report", "BC-SNV"),
        _issued(reader, _sub(reader, m, "decision"), "documents.decision", "QĐ-UBND"),
        reader.text(m, "templates", "documents"))


def _sub(reader: FieldReader, m: YMap, key: str) -> YMap:
    if key not in m:
        return YMap()
    return reader.mapping(m[key], key, m.line_of(key), "documents") or YMap()


def _minutes(reader: FieldReader, m: YMap) -> MinutesSettings:
    item = "documents.minutes"
    reader.check_keys(m, ("date", "start", "end", "place", "chair", "secretary", "members"),
                      item=item)
    members = ()
    if "members" in m:
        listed = reader.sequence(m["members"], "members", m.line_of("members"), item) or YList()
        members = tuple(p for p in (_person(reader, v, _item_line(listed, n, m.line_of("members")), item)
                                    for n, v in enumerate(listed)) if p.name)
    return MinutesSettings(reader.date(m, "date", item), reader.text(m, "start", item),
                           reader.text(m, "end", item), reader.text(m, "place", item),
                           _person(reader, m.get("chair"), m.line_of("chair"), item),
                           _person(reader, m.get("secretary"), m.line_of("secretary"), item),
                           members)


def _person(reader: FieldReader, value: object, line: int, item: str) -> Person:
    """A person as {name, position} or as one text 'Name - position'."""
    if value is None:
        return Person("")
    if isinstance(value, YMap):
        reader.check_keys(value, ("name", "position"), ("name",), item=item)
        return Person(reader.text(value, "name", item), reader.text(value, "position", item))
    holder = YMap({"value": value})
    holder.line, holder.key_lines = line, {"value": line}
    text = reader.text(holder, "value", item)
    name, _, position = text.partition(" - ")
    return Person(name.strip(), position.strip())


def _item_line(items: YList, n: int, fallback: int) -> int:
    lines = getattr(items, "item_lines", None)
    return lines[n] if lines and n < len(lines) else fallback


def _issued(reader: FieldReader, m: YMap, item: str, default_symbol: str) -> IssuedDocument:
    reader.check_keys(m, ("number", "symbol", "date", "signer", "recipients", "legal_basis",
                          "proposal"), item=item)
    signer = None
    if "signer" in m:
        s = reader.mapping(m["signer"], "signer", m.line_of("signer"), item)
        if s is not None:
            reader.check_keys(s, ("authority", "position", "title", "name"),
                              ("position", "title", "name"), item=item + ".signer")
            signer = DocumentSigner(*(reader.text(s, k, item + ".signer")
                                      for k in ("authority", "position", "title", "name")))
    number = reader.text(m, "number", item)
    if number and not number.isdigit():
        reader.report(Code.BAD_VALUE, m.line_of("number"), item, key="number", value=number,
                      reason="chỉ ghi số (ví dụ 05); ký hiệu ghi ở khóa 'symbol'")
    return IssuedDocument(reader.text(m, "symbol", item, default=default_symbol), number,
                          reader.date(m, "date", item), signer,
                          reader.text_list(m, "recipients", item),
                          reader.text_list(m, "legal_basis", item), reader.text(m, "proposal", item))

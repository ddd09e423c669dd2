"""Settings for what the campaign publishes: the ranking rule, classification bands, documents.

Kept apart from formkit.settings (which holds what the campaign runs on) because these sections
only matter at the end of the campaign and change with each year's decision.
"""

from __future__ import annotations

import datetime as dt
import re
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
    basis: str = "index"  # the published Chỉ số (%): fair where applicable maxima differ
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
class Hearing:
    """One unit heard in a session; start and end when the settings give them for the unit."""

    unit: str
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class Session:
    """One sitting of the appraisal council: when, where, and the units it heard in order."""

    date: dt.date | None
    start: str  # "08 giờ 00"
    end: str
    place: str
    hearings: tuple[Hearing, ...]
    line: int = 0  # in campaign.yaml, for messages
    absent: tuple[str, ...] = ()  # names of council members who did not attend

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(h.unit for h in self.hearings)


@dataclass(frozen=True)
class MinutesSettings:
    """The appraisal council: its members, and its sessions (date, hours, place, units heard).

    date/start/end/place serve a unit that no session lists (and a campaign without sessions)."""

    date: dt.date | None = None
    start: str = ""  # "08 giờ 00"
    end: str = ""
    place: str = ""
    chair: Person = Person("")
    secretary: Person = Person("")
    members: tuple[Person, ...] = ()
    sessions: tuple[Session, ...] = ()
    symbol: str = "BB-HĐTĐ"
    first_number: int = 0  # 0: minutes are not numbered ("Số:      /BB-HĐTĐ", the council's book)
    council_basis: str = ""  # the decision that set up the council: "Quyết định số … ngày … của …"
    copies: int = 2  # "Biên bản được lập thành 02 bản"


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
    reader.check_keys(m, ("date", "start", "end", "place", "chair", "secretary", "members",
                          "sessions", "symbol", "first_number", "council_basis", "copies"), item=item)
    members = ()
    if "members" in m:
        listed = reader.sequence(m["members"], "members", m.line_of("members"), item) or YList()
        members = tuple(p for p in (_person(reader, v, _item_line(listed, n, m.line_of("members")), item)
                                    for n, v in enumerate(listed)) if p.name)
    first = reader.integer(m, "first_number", item, default=0)
    if first is None or first < 0:
        reader.report(Code.BAD_VALUE, m.line_of("first_number"), item, key="first_number",
                      value=first, reason="ghi số của biên bản đầu tiên (ví dụ 1), hoặc 0 nếu không đánh số")
        first = 0
    return MinutesSettings(reader.date(m, "date", item), clock(reader, m, "start", item),
                           clock(reader, m, "end", item), reader.text(m, "place", item),
                           _person(reader, m.get("chair"), m.line_of("chair"), item),
                           _person(reader, m.get("secretary"), m.line_of("secretary"), item),
                           members, _sessions(reader, m, item),
                           reader.text(m, "symbol", item, default="BB-HĐTĐ"), first,
                           reader.text(m, "council_basis", item).rstrip(";."), _copies(reader, m, item))


def _copies(reader: FieldReader, m: YMap, item: str) -> int:
    copies = reader.integer(m, "copies", item, default=2)
    if copies is None or not 1 <= copies <= 20:
        reader.report(Code.BAD_VALUE, m.line_of("copies"), item, key="copies", value=copies,
                      reason="số bản biên bản phải từ 1 đến 20")
        return 2
    return copies


CLOCK = re.compile(r"(\d{1,2})\s*(?:giờ|h|:)\s*(\d{2})?\s*(?:phút)?", re.IGNORECASE)


def parse_clock(text: str) -> int | None:
    """'08 giờ 00', '8h30', '14:00' -> minutes after midnight; None when it is not a time."""
    match = CLOCK.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def clock_text(minutes: int) -> str:
    """Minutes after midnight as documents write a time: '08 giờ 05'."""
    return f"{minutes // 60:02d} giờ {minutes % 60:02d}"


def clock(reader: FieldReader, m: YMap, key: str, item: str) -> str:
    """A time of day in the documents' form ('08 giờ 00'), from any usual way of writing it."""
    text = reader.text(m, key, item)
    if not text:
        return ""
    minutes = parse_clock(text)
    if minutes is None:
        reader.report(Code.BAD_VALUE, m.line_of(key), item, key=key, value=text,
                      reason="ghi giờ dạng 08 giờ 00 (hoặc 08:00)")
        return text
    return clock_text(minutes)


def _sessions(reader: FieldReader, m: YMap, item: str) -> tuple[Session, ...]:
    if "sessions" not in m:
        return ()
    item = item + ".sessions"
    listed = reader.sequence(m["sessions"], "sessions", m.line_of("sessions"), item) or YList()
    sessions = []
    for n, value in enumerate(listed):
        line = _item_line(listed, n, m.line_of("sessions"))
        entry = reader.mapping(value, "sessions", line, item)
        if entry is None:
            continue
        reader.check_keys(entry, ("date", "start", "end", "place", "units", "absent"), ("date", "units"),
                          item=item)
        start, end = clock(reader, entry, "start", item), clock(reader, entry, "end", item)
        if start and end and (parse_clock(start) or 0) >= (parse_clock(end) or 0):
            reader.report(Code.BAD_VALUE, entry.line_of("end"), item, key="end", value=end,
                          reason=f"giờ kết thúc phải sau giờ bắt đầu ({start})")
        sessions.append(Session(reader.date(entry, "date", item), start, end,
                                reader.text(entry, "place", item), _hearings(reader, entry, item),
                                line, reader.text_list(entry, "absent", item)))
    return tuple(sessions)


def _hearings(reader: FieldReader, entry: YMap, item: str) -> tuple[Hearing, ...]:
    """Units as codes, or as {unit, start, end} where a unit's own hours are known."""
    if "units" not in entry:
        return ()
    listed = reader.sequence(entry["units"], "units", entry.line_of("units"), item) or YList()
    hearings = []
    for n, value in enumerate(listed):
        if isinstance(value, YMap):
            reader.check_keys(value, ("unit", "start", "end"), ("unit",), item=item + ".units")
            hearings.append(Hearing(reader.text(value, "unit", item), clock(reader, value, "start", item),
                                    clock(reader, value, "end", item)))
        elif isinstance(value, str):
            hearings.append(Hearing(value.strip()))
        else:
            reader.report(Code.WRONG_TYPE, _item_line(listed, n, entry.line_of("units")), item,
                          key="units", expected='mã đơn vị trong ngoặc kép (ví dụ "005")',
                          value=str(value))
    return tuple(hearings)


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

"""Double entry: which keyed questionnaires count, and every cell where the two entries differ.

Each questionnaire may be keyed in two entry copies (bản nhập 1 and 2). Within a copy the latest
collected statement of a serial is the current one, so a corrected file supersedes that copy's
earlier entries for the serials it states. A questionnaire is valid for scoring when
- no current entry of it has errors, and
- it was keyed in both copies and they agree (same state, same option for every question), or
  it was keyed once and `survey.double_entry` is `optional`.
Everything is derived from the ledger on demand, so resolving a disagreement is just collecting
the corrected file: nothing else has to be updated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from formkit.survey.entry import SERIAL_COLUMN
from formkit.survey.entry_rows import ANSWERED, INVALID, NOT_RETURNED_STATE
from formkit.workspace import Workspace

VALID, DISAGREEMENT, AWAITING = "valid", "disagreement", "awaiting-second-entry"
INVALID_ENTRY, NOT_RETURNED = "invalid", "not-returned"
STATE_LABELS = {VALID: "hợp lệ", DISAGREEMENT: "hai bản nhập khác nhau",
                AWAITING: "chờ bản nhập thứ hai", INVALID_ENTRY: "có lỗi nhập",
                NOT_RETURNED: "không thu về"}
# The columns of valid_answers(): what formkit.survey.scoring consumes (ANSWER_COLUMNS there).
ANSWER_COLUMNS = ("unit", "group", "serial", "question", "option")
STATE_COLUMNS = ("unit", "group", "serial", "state", "copies")
_SHOWN_STATE = {ANSWERED: "có trả lời", NOT_RETURNED_STATE: "không thu về", INVALID: "có lỗi"}


@dataclass(frozen=True)
class CurrentEntry:
    id: int
    received_file_id: int
    file: str  # the name the file arrived under
    serial: str
    unit: str
    group: str
    copy: int
    state: str
    keyed_by: str
    sheet: str
    row: int
    answers: str  # "Q01=A;Q02=X;...": equal strings mean equal answers


@dataclass(frozen=True)
class Disagreement:
    """One cell (or the returned/not-returned status) where the current entries differ."""

    unit: str
    group: str
    serial: str
    question: str | None  # None: one copy says not returned, the other has answers
    # values as typed ("" = left blank, stored as the no-answer code); they differ as stored
    a: CurrentEntry
    value_a: str
    cell_a: str
    b: CurrentEntry
    value_b: str
    cell_b: str

    def to_dict(self) -> dict:
        def side(entry: CurrentEntry, value: str, cell: str) -> dict:
            return {"copy": entry.copy, "value": value, "file": entry.file,
                    "received_file": entry.received_file_id, "sheet": entry.sheet, "cell": cell,
                    "keyed_by": entry.keyed_by}

        return {"unit": self.unit, "group": self.group, "serial": self.serial,
                "question": self.question, "a": side(self.a, self.value_a, self.cell_a),
                "b": side(self.b, self.value_b, self.cell_b)}


_CURRENT = """
SELECT e.id, e.received_file_id, r.original_name, e.serial, e.unit_code, e.group_code, e.copy,
       e.state, e.keyed_by, e.sheet, e.sheet_row, e.answers
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY serial, copy ORDER BY id DESC) AS recency
      FROM survey_entries {where}) AS e
JOIN received_files r ON r.id = e.received_file_id
WHERE e.recency = 1 ORDER BY e.serial, e.copy"""


def current_entries(conn: sqlite3.Connection, serials: Iterable[str] | None = None
                    ) -> dict[str, dict[int, CurrentEntry]]:
    """serial -> copy -> its current entry (of the given serials, or all)."""
    if serials is None:
        rows = conn.execute(_CURRENT.format(where=""))
    else:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _wanted (serial TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM _wanted")
        conn.executemany("INSERT OR IGNORE INTO _wanted VALUES (?)", [(s,) for s in serials])
        rows = conn.execute(_CURRENT.format(where="WHERE serial IN (SELECT serial FROM _wanted)"))
    current: dict[str, dict[int, CurrentEntry]] = {}
    for row in rows:
        entry = CurrentEntry(*row)
        current.setdefault(entry.serial, {})[entry.copy] = entry
    return current


def questionnaire_state(entries: dict[int, CurrentEntry], double_entry: str) -> str:
    """The verdict on one questionnaire from its current entries (one per copy)."""
    ordered = [entries[c] for c in sorted(entries)]
    if any(e.state == INVALID for e in ordered):
        return INVALID_ENTRY
    first = ordered[0]
    if any((e.state, e.answers) != (first.state, first.answers) for e in ordered[1:]):
        return DISAGREEMENT
    if first.state == NOT_RETURNED_STATE:
        return NOT_RETURNED
    return VALID if len(ordered) > 1 or double_entry == "optional" else AWAITING


def differences(conn: sqlite3.Connection, entries: dict[int, CurrentEntry]) -> list[Disagreement]:
    """Every difference between the first copy and each other copy of one questionnaire."""
    ordered = [entries[c] for c in sorted(entries)]
    first = ordered[0]
    found = []
    for other in ordered[1:]:
        if INVALID in (first.state, other.state) or (first.state, first.answers) == (
                other.state, other.answers):
            continue
        if first.state != other.state:
            found.append(Disagreement(first.unit, first.group, first.serial, None, first,
                                      _SHOWN_STATE[first.state], f"{SERIAL_COLUMN}{first.row}", other,
                                      _SHOWN_STATE[other.state], f"{SERIAL_COLUMN}{other.row}"))
            continue
        a, b = _answers(conn, first.id), _answers(conn, other.id)
        for question in sorted(a.keys() | b.keys()):
            (option_a, shown_a, cell_a) = a.get(question, ("", "", ""))
            (option_b, shown_b, cell_b) = b.get(question, ("", "", ""))
            if option_a != option_b:
                found.append(Disagreement(first.unit, first.group, first.serial, question, first,
                                          shown_a, cell_a, other, shown_b, cell_b))
    return found


def _answers(conn: sqlite3.Connection, entry_id: int) -> dict[str, tuple[str, str, str]]:
    """question -> (stored option, what was typed: "" for a blank cell, cell)."""
    return {q: (o, "" if blank else o, c) for q, o, blank, c in conn.execute(
        "SELECT question, option_code, blank, cell FROM survey_answers WHERE entry_id = ?",
        (entry_id,))}


def disagreements(workspace: Workspace, units: Iterable[str] | None = None) -> list[Disagreement]:
    """The unresolved disagreements now, questionnaire by questionnaire and cell by cell."""
    wanted = set(units) if units is not None else None
    with workspace.ledger() as ledger:
        current = current_entries(ledger.conn)
        found = []
        for entries in current.values():
            if len(entries) > 1 and (wanted is None or next(iter(entries.values())).unit in wanted):
                found += differences(ledger.conn, entries)
    return sorted(found, key=lambda d: (d.unit, d.group, d.serial, d.question or ""))


def questionnaire_states(workspace: Workspace) -> pd.DataFrame:
    """Every keyed questionnaire with its state (STATE_LABELS) and how many copies keyed it.

    Columns STATE_COLUMNS; questionnaires never keyed (blank rows only) are absent: compare with
    `issued_serials` for "not keyed yet".
    """
    double_entry = workspace.settings.survey.double_entry
    with workspace.ledger() as ledger:
        current = current_entries(ledger.conn)
    rows = []
    for serial, entries in current.items():
        first = next(iter(entries.values()))
        rows.append((first.unit, first.group, serial, questionnaire_state(entries, double_entry),
                     len(entries)))
    frame = pd.DataFrame(rows, columns=list(STATE_COLUMNS))
    return frame.sort_values(["unit", "group", "serial"], ignore_index=True)


def valid_answers(workspace: Workspace) -> pd.DataFrame:
    """The answers of the questionnaires valid for scoring: one row per questionnaire x question.

    Columns (all str): unit (unit code), group (respondent group code), serial (questionnaire
    serial), question (question code within the group), option (the option code keyed; the
    scale's no-answer code where the respondent gave none, "" for a blank on a scale without a
    no-answer option). Sorted by unit, group, serial, question. Of a double-entered questionnaire
    the rows appear once (the copies agree). Not-returned, invalid, disputed and (with
    `double_entry: required`) single-entered questionnaires are left out.
    """
    double_entry = workspace.settings.survey.double_entry
    with workspace.ledger() as ledger:
        conn = ledger.conn
        current = current_entries(conn)
        chosen = [(entries[min(entries)].id,) for entries in current.values()
                  if questionnaire_state(entries, double_entry) == VALID]
        conn.execute("CREATE TEMP TABLE _valid (entry_id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO _valid VALUES (?)", chosen)
        rows = conn.execute(
            "SELECT e.unit_code, e.group_code, a.serial, a.question, a.option_code "
            "FROM _valid v JOIN survey_entries e ON e.id = v.entry_id "
            "JOIN survey_answers a ON a.entry_id = v.entry_id "
            "ORDER BY e.unit_code, e.group_code, a.serial, a.question").fetchall()
    return pd.DataFrame(rows, columns=list(ANSWER_COLUMNS), dtype=object)

"""The ledger: one SQLite file per workspace, the single record of what was issued, sent and received.

The schema is versioned with `PRAGMA user_version`; each migration runs in its own transaction,
so a failed upgrade leaves the ledger as it was. Events are append-only (triggers refuse UPDATE
and DELETE), which is what makes the ledger an audit trail rather than a cache.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from formkit.errors import LedgerError, environment_error
from formkit.units import Unit


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", """
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    unit_type TEXT NOT NULL,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    document_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    head_title TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE issued_files (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    kind TEXT NOT NULL,
    form_id TEXT NOT NULL UNIQUE,
    catalog_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    unit_code TEXT REFERENCES units(code),
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    attachment_sha256 TEXT,
    outcome TEXT NOT NULL,
    error TEXT,
    at TEXT NOT NULL
);
CREATE TABLE received_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    original_name TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    sender TEXT,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL,
    unit_code TEXT REFERENCES units(code),
    form_id TEXT,
    superseded_by INTEGER REFERENCES received_files(id)
);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    sheet TEXT,
    cell TEXT,
    criterion TEXT,
    message TEXT NOT NULL
);
CREATE TABLE scores (
    id INTEGER PRIMARY KEY,
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    unit_code TEXT NOT NULL REFERENCES units(code),
    criterion TEXT NOT NULL,
    self_score TEXT,
    evidence TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    sheet TEXT,
    cell TEXT,
    UNIQUE (received_file_id, criterion)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit_code TEXT,
    detail TEXT NOT NULL
);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""),
    Migration(2, "receipts: every input occurrence of a received file", """
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    sender TEXT,
    sent_at TEXT,
    message_id TEXT,
    duplicate INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL,
    UNIQUE (source, received_file_id)
);
ALTER TABLE received_files ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE received_files ADD COLUMN sent_at TEXT;
ALTER TABLE received_files ADD COLUMN processed_at TEXT;
CREATE INDEX findings_by_file ON findings (received_file_id);
CREATE INDEX scores_by_unit ON scores (unit_code);
CREATE INDEX received_by_unit ON received_files (unit_code, status);
"""),
    # ---- survey entry & collect
    # survey_files: each received entry workbook (received_files.kind = 'survey-entry'; its unit
    # stays here, not in received_files.unit_code, so it never counts as a self-assessment return).
    # survey_entries: one questionnaire as one file states it; the latest entry per (serial, copy)
    # is the current one, so a corrected file supersedes that copy's earlier entries.
    # survey_answers: the option keyed for each question, traced to its sheet and cell (blank = 1:
    # the cell was left blank and the option is the scale's no-answer code).
    Migration(3, "survey entry workbooks: files, questionnaire entries, answers", """
CREATE TABLE survey_files (
    received_file_id INTEGER PRIMARY KEY REFERENCES received_files(id),
    form_id TEXT,
    unit_code TEXT REFERENCES units(code),
    copy INTEGER,
    batch INTEGER,
    status TEXT NOT NULL,
    collected_at TEXT NOT NULL
);
CREATE TABLE survey_entries (
    id INTEGER PRIMARY KEY,
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    serial TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES units(code),
    group_code TEXT NOT NULL,
    copy INTEGER NOT NULL,
    state TEXT NOT NULL,
    keyed_by TEXT NOT NULL DEFAULT '',
    sheet TEXT NOT NULL,
    sheet_row INTEGER NOT NULL,
    answers TEXT NOT NULL DEFAULT '',
    UNIQUE (received_file_id, serial)
);
CREATE INDEX survey_entries_by_serial ON survey_entries (serial, copy, id);
CREATE TABLE survey_answers (
    entry_id INTEGER NOT NULL REFERENCES survey_entries(id),
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    serial TEXT NOT NULL,
    question TEXT NOT NULL,
    option_code TEXT NOT NULL,
    blank INTEGER NOT NULL DEFAULT 0,
    sheet TEXT NOT NULL,
    cell TEXT NOT NULL,
    PRIMARY KEY (entry_id, question)
) WITHOUT ROWID;
"""),
    # ---- end survey entry & collect
    # ---- appraisal (issue 6)
    # An appraisal workbook is a received file of kind 'appraisal' whose unit_code stays NULL (a
    # workbook may hold many units, and it must never count as a self-assessment return).
    # appraisals: one row per unit sheet read, with the return it appraises and its verdict; a
    # later accepted sheet of the same unit supersedes the earlier one (both are kept).
    # appraised_scores: the council's score and reason per leaf, traced to its sheet and cell.
    Migration(4, "appraisal council: unit sheets read and appraised scores", """
CREATE TABLE appraisals (
    id INTEGER PRIMARY KEY,
    received_file_id INTEGER NOT NULL REFERENCES received_files(id),
    unit_code TEXT NOT NULL REFERENCES units(code),
    form_id TEXT NOT NULL,
    sheet TEXT NOT NULL,
    source_file_id INTEGER NOT NULL,
    source_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    superseded_by INTEGER REFERENCES appraisals(id),
    recorded_at TEXT NOT NULL,
    UNIQUE (received_file_id, unit_code)
);
CREATE INDEX appraisals_by_unit ON appraisals (unit_code, status);
CREATE TABLE appraised_scores (
    appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
    criterion TEXT NOT NULL,
    appraised_score TEXT NOT NULL,
    self_score TEXT,
    reason TEXT NOT NULL DEFAULT '',
    sheet TEXT NOT NULL,
    cell TEXT NOT NULL,
    PRIMARY KEY (appraisal_id, criterion)
) WITHOUT ROWID;
"""),
    # ---- end appraisal
    # meta: small facts about the workspace itself, one value per key (e.g. the fingerprint of
    # the secret.key that signs the issued forms, so a changed key is refused).
    Migration(5, "workspace facts: the secret key's fingerprint", """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    at TEXT NOT NULL
);
"""),
)


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    kind: str
    unit_code: str | None
    detail: dict

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "kind": self.kind, "unit": self.unit_code,
                "detail": self.detail}


def now_text() -> str:
    """Ledger timestamps: UTC, ISO 8601, seconds (the ledger is a record, not a deterministic output)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Bring the schema up to date; return the versions applied. Each runs in one transaction."""
    current = schema_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise LedgerError(f"Sổ theo dõi có phiên bản lược đồ {current}, mới hơn phiên bản {latest} "
                          "mà formkit này hiểu. Hãy cập nhật formkit.")
    applied = []
    for migration in migrations:
        if migration.version <= current:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LedgerError(f"Không nâng cấp được sổ theo dõi lên phiên bản {migration.version} "
                              f"({migration.description}): {exc}") from exc
        applied.append(migration.version)
    return applied


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into complete statements (triggers contain inner semicolons)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


class Ledger:
    """A connection to a workspace ledger, migrated on open."""

    def __init__(self, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(path, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 10000")
            migrate(self.conn, migrations)
        except sqlite3.DatabaseError as exc:
            environment = environment_error(exc, path.parent)  # locked, full, read-only
            if environment is not None:
                raise LedgerError(environment.message) from exc
            raise LedgerError(f"Không mở được sổ theo dõi {path}: {exc}. Tệp có thể bị hỏng; "
                              "hãy khôi phục từ bản sao lưu.") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def log(self, kind: str, detail: dict | None = None, unit_code: str | None = None) -> None:
        """Append an event; call inside a transaction to tie it to the change it records."""
        self.conn.execute("INSERT INTO events (at, kind, unit_code, detail) VALUES (?, ?, ?, ?)",
                          (now_text(), kind, unit_code,
                           json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)))

    def events(self, limit: int | None = None, kind: str | None = None) -> list[Event]:
        sql = "SELECT id, at, kind, unit_code, detail FROM events"
        params: list[object] = []
        if kind:
            sql += " WHERE kind = ?"
            params.append(kind)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [Event(r["id"], r["at"], r["kind"], r["unit_code"], json.loads(r["detail"]))
                for r in reversed(rows)]

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row["value"]

    def meta_once(self, key: str, value: str, event: str | None = None) -> str:
        """Store value under key unless one is stored already; return the stored value (the
        first writer wins, also when two commands start at once). The event is logged only when
        this call stored it."""
        with self.transaction():
            inserted = self.conn.execute(
                "INSERT INTO meta (key, value, at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (key, value, now_text())).rowcount
            if inserted and event:
                self.log(event, {"key": key})
        stored = self.meta(key)
        assert stored is not None
        return stored

    def issued_paths(self, kind: str, limit: int = 3) -> list[str]:
        """Paths (relative to the workspace) of the latest files issued of one kind."""
        return [r["path"] for r in self.conn.execute(
            "SELECT path FROM issued_files WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit))]

    def record_issued(self, unit_code: str, kind: str, form_id: str, content_hash: str,
                      path: str, sha256: str, event: str, detail: dict | None = None) -> bool:
        """Record a file formkit issued (a form, an entry workbook, an appraisal sheet) with its
        event; nothing happens when the same form id already has this path and content, which
        keeps re-runs from filling the ledger. Returns whether anything was written."""
        row = self.conn.execute("SELECT sha256, path FROM issued_files WHERE form_id = ?",
                                (form_id,)).fetchone()
        if row is not None and tuple(row) == (sha256, path):
            return False
        with self.transaction():
            self.conn.execute(
                "INSERT INTO issued_files (unit_code, kind, form_id, catalog_hash, path, sha256, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(form_id) DO UPDATE SET "
                "path = excluded.path, sha256 = excluded.sha256, created_at = excluded.created_at",
                (unit_code, kind, form_id, content_hash, path, sha256, now_text()))
            self.log(event, {"form_id": form_id, "path": path, "sha256": sha256, **(detail or {})},
                     unit_code=unit_code)
        return True

    def sync_units(self, units: Iterable[Unit]) -> dict[str, list[str]]:
        """Make the units table match the units file; returns the codes added, changed, kept."""
        existing = {row["code"]: tuple(row)[1:7] for row in self.conn.execute(
            "SELECT code, unit_type, name, short_name, document_name, email, head_title "
            "FROM units")}
        changes: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": []}
        with self.transaction():
            for unit in units:
                values = (unit.unit_type, unit.name, unit.short_name, unit.document_name,
                          unit.email, unit.head_title)
                if existing.get(unit.code) == values:
                    changes["unchanged"].append(unit.code)
                    continue
                changes["changed" if unit.code in existing else "added"].append(unit.code)
                self.conn.execute(
                    "INSERT INTO units (code, unit_type, name, short_name, document_name, email, "
                    "head_title, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(code) DO UPDATE SET unit_type = excluded.unit_type, "
                    "name = excluded.name, short_name = excluded.short_name, "
                    "document_name = excluded.document_name, email = excluded.email, "
                    "head_title = excluded.head_title, updated_at = excluded.updated_at",
                    (unit.code, *values, now_text()))
            if changes["added"] or changes["changed"]:
                self.log("units.synced", {"added": changes["added"],
                                          "changed": changes["changed"]})
        return changes

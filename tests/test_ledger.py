"""The ledger: schema migrations, transactions, the append-only event log, unit sync."""

from __future__ import annotations

import sqlite3

import pytest

from formkit.errors import LedgerError
from formkit.ledger import MIGRATIONS, Ledger, Migration, migrate, schema_version
from formkit.units import Unit

TABLES = {"units", "issued_files", "messages", "received_files", "findings", "scores", "events"}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_new_ledger_has_every_table_at_the_latest_version(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert schema_version(ledger.conn) == MIGRATIONS[-1].version
        assert tables(ledger.conn) >= TABLES


def test_reopening_applies_nothing_and_keeps_data(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger, ledger.transaction():
        ledger.log("test.event", {"n": 1})
    with Ledger(path) as ledger:
        assert migrate(ledger.conn) == []
        assert [(e.kind, e.detail) for e in ledger.events()] == [("test.event", {"n": 1})]


def test_pending_migrations_are_applied_in_order_on_an_old_ledger(tmp_path):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()  # a ledger written by the current release
    later = (*MIGRATIONS,
             Migration(MIGRATIONS[-1].version + 1, "add a column",
                       "ALTER TABLE units ADD COLUMN district_group TEXT;"),
             Migration(MIGRATIONS[-1].version + 2, "add an index",
                       "CREATE INDEX scores_by_sheet ON scores (sheet);"))
    with Ledger(path, later) as ledger:
        assert schema_version(ledger.conn) == MIGRATIONS[-1].version + 2
        columns = {r[1] for r in ledger.conn.execute("PRAGMA table_info(units)")}
        assert "district_group" in columns
        indexes = {r[0] for r in ledger.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "scores_by_sheet" in indexes


def test_a_failing_migration_leaves_the_ledger_as_it_was(tmp_path):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    broken = (*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "half-done",
                                     "CREATE TABLE extra (x INTEGER);\nSELECT * FROM missing;"))
    with pytest.raises(LedgerError, match="phiên bản"):
        Ledger(path, broken)
    conn = sqlite3.connect(path)
    assert schema_version(conn) == MIGRATIONS[-1].version
    assert "extra" not in tables(conn)
    conn.close()


def test_a_ledger_from_a_newer_formkit_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(LedgerError, match="mới hơn"):
        Ledger(path)


def test_a_corrupt_ledger_gets_a_clear_error(tmp_path):
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="hỏng"):
        Ledger(path)


def test_events_are_append_only(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        with ledger.transaction():
            ledger.log("first", {"ý": "Hà Nội"}, unit_code=None)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            ledger.conn.execute("UPDATE events SET kind = 'changed'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            ledger.conn.execute("DELETE FROM events")
        assert [(e.kind, e.detail) for e in ledger.events()] == [("first", {"ý": "Hà Nội"})]


def test_a_failed_transaction_writes_nothing(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        with pytest.raises(RuntimeError), ledger.transaction():
            ledger.log("lost", {})
            raise RuntimeError("crash in the middle")
        assert ledger.events() == []


def test_events_can_be_filtered_and_limited(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger, ledger.transaction():
        for n in range(5):
            ledger.log("a" if n % 2 else "b", {"n": n})
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert [e.detail["n"] for e in ledger.events(limit=2)] == [3, 4]
        assert [e.detail["n"] for e in ledger.events(kind="a")] == [1, 3]


def test_sync_units_adds_changes_and_logs_only_real_changes(tmp_path):
    ba_dinh = Unit("001", "Ủy ban nhân dân quận Ba Đình", "Ba Đình", "district",
                   "UBND quận Ba Đình", "a@hanoi.example", "Chủ tịch UBND quận")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.sync_units([ba_dinh])["added"] == ["001"]
        assert ledger.sync_units([ba_dinh])["unchanged"] == ["001"]
        moved = Unit(**{**ba_dinh.__dict__, "email": "b@hanoi.example"})
        assert ledger.sync_units([moved])["changed"] == ["001"]
        assert [e.kind for e in ledger.events()] == ["units.synced", "units.synced"]
        email = ledger.conn.execute("SELECT email FROM units WHERE code = '001'").fetchone()[0]
        assert email == "b@hanoi.example"

"""Archive first: every input is copied into the workspace and recorded before anything parses it.

Files are content-addressed (sha256), so the same bytes are kept once however often they arrive;
each arrival is a receipt. A file whose examination never finished (a crash, a killed process)
stays 'pending' and is examined again on the next run, so nothing is ever silently dropped.

A name whose bytes are not UTF-8 is recorded in its readable form (receipts.name,
received_files.original_name); its bytes are kept, in hex, in the events of that file and that
receipt ('file.archived', 'receipt.name_bytes'), so the name as it was can always be recovered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from formkit.fileio import atomic_write_bytes, remove_stale_temp_files
from formkit.intake.sources import InputItem
from formkit.ledger import Ledger, now_text

PENDING = "pending"
SWEPT_FOLDERS = ("archive", "out")  # where atomic writes of a killed run leave temp files
SAFE_SUFFIX_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class Archived:
    received_id: int
    sha256: str
    archive_path: str  # relative to the workspace, posix
    first_name: str  # the name under which this content first arrived
    first_at: str
    status: str  # the stored status: 'pending' until examined


def remove_stray_temp_files(root: Path) -> list[Path]:
    """Temp files that killed runs left in the workspace's archive/ and out/ (old enough that no
    running writer owns them): removed at the start of each collect."""
    return [path for folder in SWEPT_FOLDERS for path in remove_stale_temp_files(root / folder)]


def archive_path_for(sha256: str, name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if not suffix[1:] or not set(suffix[1:]) <= SAFE_SUFFIX_CHARS or len(suffix) > 8:
        suffix = ".bin"
    return f"archive/{sha256[:2]}/{sha256}{suffix}"


def archive(root: Path, ledger: Ledger, item: InputItem, data: bytes) -> tuple[Archived, bool]:
    """Store the bytes and record the receipt (inside the caller's transaction, committed only
    after the bytes are safely on disk); returns the stored file and whether this receipt (this
    source with this content) is new."""
    sha256 = hashlib.sha256(data).hexdigest()
    row = _stored(ledger, sha256)
    relative = row["archive_path"] if row else archive_path_for(sha256, item.name)
    target = root / relative
    if not target.exists() or target.stat().st_size != len(data):
        atomic_write_bytes(target, data)
    if row is None:
        ledger.conn.execute(
            "INSERT INTO received_files (sha256, size, original_name, archive_path, sender, "
            "sent_at, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, len(data), item.name, relative, item.sender, item.sent_at, now_text(),
             PENDING))
        ledger.log("file.archived", {"sha256": sha256, "name": item.name, "path": relative,
                                     **_name_bytes(item)})
        row = _stored(ledger, sha256)
    cursor = ledger.conn.execute(
        "INSERT OR IGNORE INTO receipts (received_file_id, source, name, sender, sent_at, "
        "message_id, duplicate, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row["id"], item.source, item.name, item.sender, item.sent_at, item.message_id,
         int(row["status"] != PENDING), now_text()))
    if cursor.rowcount == 1 and (item.raw_name is not None or item.raw_source is not None):
        ledger.log("receipt.name_bytes", {"receipt": cursor.lastrowid, "received_file": row["id"],
                                          "source": item.source, "name": item.name,
                                          **_name_bytes(item)})
    stored = Archived(row["id"], sha256, row["archive_path"], row["original_name"],
                      row["received_at"], row["status"])
    return stored, cursor.rowcount == 1


def _name_bytes(item: InputItem) -> dict[str, str]:
    """The file system's bytes of a name that is not UTF-8, in hex (the readable form is lossy)."""
    found = {"name_bytes": item.raw_name, "source_bytes": item.raw_source}
    return {key: value.hex() for key, value in found.items() if value is not None}


def _stored(ledger: Ledger, sha256: str):
    return ledger.conn.execute(
        "SELECT id, archive_path, original_name, received_at, status FROM received_files "
        "WHERE sha256 = ?", (sha256,)).fetchone()

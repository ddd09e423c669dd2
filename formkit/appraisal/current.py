"""Each unit's current appraisal: the council's score per leaf, traced to its file and cell.

This is what consolidation reads. An appraisal made from a return the unit has since replaced is
still returned, marked `stale`, so consolidation can refuse it (or say so) rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from formkit.intake.examine import ACCEPTED, WARNINGS
from formkit.workspace import Workspace


@dataclass(frozen=True)
class AppraisedScore:
    leaf: str
    appraised: Decimal
    self_score: Decimal | None
    reason: str
    sheet: str
    cell: str

    @property
    def adjustment(self) -> Decimal:
        """Self minus appraised: what the council took off (negative when it added)."""
        return (self.self_score or Decimal(0)) - self.appraised


@dataclass(frozen=True)
class CurrentAppraisal:
    unit: str
    appraisal_id: int
    form_id: str
    status: str
    received_file_id: int
    archive_path: str
    original_name: str
    received_at: str
    sheet: str
    source_file_id: int  # the self-assessment return the council appraised
    source_sha256: str
    stale: bool  # the unit has sent a newer accepted return since
    scores: tuple[AppraisedScore, ...]

    @property
    def total(self) -> Decimal:
        return sum((s.appraised for s in self.scores), Decimal(0))

    @property
    def self_total(self) -> Decimal:
        return sum((s.self_score or Decimal(0) for s in self.scores), Decimal(0))

    def to_dict(self) -> dict:
        return {"unit": self.unit, "form_id": self.form_id, "status": self.status,
                "stale": self.stale, "sheet": self.sheet,
                "file": {"id": self.received_file_id, "archive": self.archive_path,
                         "name": self.original_name, "received_at": self.received_at},
                "source_return": {"id": self.source_file_id, "sha256": self.source_sha256},
                "total": str(self.total), "self_total": str(self.self_total),
                "scores": [{"criterion": s.leaf, "appraised": str(s.appraised),
                            "self_score": None if s.self_score is None else str(s.self_score),
                            "reason": s.reason, "source": {"archive": self.archive_path,
                                                           "sheet": s.sheet, "cell": s.cell}}
                           for s in self.scores]}


def current_appraisal(workspace: Workspace, unit_codes: list[str] | None = None
                      ) -> list[CurrentAppraisal]:
    """The latest accepted appraisal of each unit (in Vietnamese unit order) with its scores."""
    order = {u.code: i for i, u in enumerate(workspace.sorted_units())}
    wanted = set(unit_codes) if unit_codes else set(order)
    with workspace.ledger() as ledger:
        current_returns = {row["unit_code"]: row["id"] for row in ledger.conn.execute(
            "SELECT id, unit_code FROM received_files WHERE status IN (?, ?) AND "
            "superseded_by IS NULL AND unit_code IS NOT NULL", (ACCEPTED, WARNINGS))}
        rows = ledger.conn.execute(
            "SELECT a.id, a.unit_code, a.form_id, a.status, a.sheet, a.source_file_id, "
            "a.source_sha256, f.id AS file_id, f.archive_path, f.original_name, f.received_at "
            "FROM appraisals a JOIN received_files f ON f.id = a.received_file_id "
            "WHERE a.status IN (?, ?) AND a.superseded_by IS NULL", (ACCEPTED, WARNINGS)).fetchall()
        found = []
        for row in rows:
            if row["unit_code"] not in wanted:
                continue
            scores = ledger.conn.execute(
                "SELECT criterion, appraised_score, self_score, reason, sheet, cell "
                "FROM appraised_scores WHERE appraisal_id = ?", (row["id"],)).fetchall()
            found.append(CurrentAppraisal(
                row["unit_code"], row["id"], row["form_id"], row["status"], row["file_id"],
                row["archive_path"], row["original_name"], row["received_at"], row["sheet"],
                row["source_file_id"], row["source_sha256"],
                current_returns.get(row["unit_code"]) != row["source_file_id"],
                tuple(sorted((_score(s) for s in scores), key=lambda s: _leaf_key(s.leaf)))))
    return sorted(found, key=lambda a: order.get(a.unit, len(order)))


def _score(row) -> AppraisedScore:
    self_score = None if row["self_score"] is None else Decimal(row["self_score"])
    return AppraisedScore(row["criterion"], Decimal(row["appraised_score"]), self_score,
                          row["reason"], row["sheet"], row["cell"])


def _leaf_key(code: str) -> tuple[int, ...]:
    """Catalogue order: 1.2.10 after 1.2.9."""
    return tuple(int(part) for part in code.split("."))

"""Each unit's current return and its scores, every figure traced to the file and cell it came from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from formkit.intake.examine import ACCEPTED, WARNINGS
from formkit.workspace import Workspace


@dataclass(frozen=True)
class SourcedScore:
    leaf: str
    score: Decimal
    evidence: str
    explanation: str
    sheet: str
    cell: str


@dataclass(frozen=True)
class CurrentReturn:
    unit: str
    status: str
    form_id: str
    received_file_id: int
    archive_path: str
    original_name: str
    received_at: str
    scores: tuple[SourcedScore, ...]

    @property
    def total(self) -> Decimal:
        return sum((s.score for s in self.scores), Decimal(0))

    def to_dict(self) -> dict:
        return {"unit": self.unit, "status": self.status, "form_id": self.form_id,
                "file": {"id": self.received_file_id, "archive": self.archive_path,
                         "name": self.original_name, "received_at": self.received_at},
                "total": str(self.total),
                "scores": [{"criterion": s.leaf, "score": str(s.score), "evidence": s.evidence,
                            "explanation": s.explanation, "source": {
                                "archive": self.archive_path, "sheet": s.sheet, "cell": s.cell}}
                           for s in self.scores]}


def current_returns(workspace: Workspace, unit_codes: list[str] | None = None
                    ) -> list[CurrentReturn]:
    """The latest accepted return of each unit (in Vietnamese unit order) with its scores."""
    order = [u.code for u in workspace.sorted_units()]
    wanted = set(unit_codes) if unit_codes else set(order)
    with workspace.ledger() as ledger:
        files = ledger.conn.execute(
            "SELECT id, unit_code, status, form_id, archive_path, original_name, received_at "
            "FROM received_files WHERE kind = '' AND status IN (?, ?) AND superseded_by IS NULL",
            (ACCEPTED, WARNINGS)).fetchall()
        returns = []
        for row in files:
            if row["unit_code"] not in wanted:
                continue
            scores = ledger.conn.execute(
                "SELECT criterion, self_score, evidence, explanation, sheet, cell FROM scores "
                "WHERE received_file_id = ? ORDER BY id", (row["id"],)).fetchall()
            returns.append(CurrentReturn(
                row["unit_code"], row["status"], row["form_id"], row["id"], row["archive_path"],
                row["original_name"], row["received_at"],
                tuple(SourcedScore(s["criterion"], Decimal(s["self_score"]), s["evidence"],
                                   s["explanation"], s["sheet"], s["cell"]) for s in scores)))
    return sorted(returns, key=lambda r: order.index(r.unit) if r.unit in order else len(order))

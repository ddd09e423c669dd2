"""`formkit appraise collect`: receive the council's workbooks with the intake rules.

Archive first (formkit.intake.archive: content-addressed, a receipt per arrival), then examine
new files (in worker processes with jobs > 1), then record each file's verdict and every unit
sheet in one transaction per batch. The same bytes are never examined twice, so a re-run changes
nothing; a file whose examination never finished stays 'pending' and is examined on the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from formkit.appraisal.examine import (
    AppraisalContext,
    AppraisalExamination,
    CurrentSource,
    UnitVerdict,
    examine_appraisal,
    not_appraisal,
)
from formkit.appraisal.identity import APPRAISAL
from formkit.findings import Code, Finding
from formkit.forms.identity import SELF_ASSESSMENT
from formkit.intake.archive import PENDING, Archived, archive, remove_stray_temp_files
from formkit.intake.collect import RECEIVE_BATCH, RECORD_BATCH, _chunks
from formkit.intake.current import current_returns
from formkit.intake.examine import ACCEPTED, REJECTED, WARNINGS
from formkit.intake.sources import InputItem, expand_inputs
from formkit.ledger import Ledger, now_text
from formkit.workspace import Workspace

DUPLICATE = "duplicate"
Progress = Callable[[int, int], None]


@dataclass
class UnitResult:
    unit: str
    form_id: str
    sheet: str
    status: str
    source_file_id: int
    scores: int  # appraised scores recorded (0 unless accepted)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "form_id": self.form_id, "sheet": self.sheet,
                "status": self.status, "source_file_id": self.source_file_id,
                "scores": self.scores, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class FileResult:
    input: str
    name: str
    sha256: str | None
    status: str
    archive: str | None = None
    findings: list[Finding] = field(default_factory=list)  # about the file itself
    units: list[UnitResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"input": self.input, "name": self.name, "sha256": self.sha256,
                "status": self.status, "archive": self.archive,
                "findings": [f.to_dict() for f in self.findings],
                "units": [u.to_dict() for u in self.units]}


@dataclass
class AppraisalCollectReport:
    results: list[FileResult]
    problems: list[Finding]  # inputs that could not even be read (a missing path)

    @property
    def rejected(self) -> bool:
        return any(f.is_error for f in self.problems) or any(
            r.status == REJECTED for r in self.results)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"files": [r.to_dict() for r in self.results], "counts": self.counts(),
                "problems": [f.to_dict() for f in self.problems], "rejected": self.rejected}


def appraisal_context(workspace: Workspace) -> AppraisalContext:
    """The units' current returns as they stand now: an appraisal of any other return is stale."""
    campaign = workspace.settings.campaign
    returns = current_returns(workspace)
    with workspace.ledger() as ledger:
        hashes = {row["id"]: row["sha256"] for row in ledger.conn.execute(
            "SELECT id, sha256 FROM received_files WHERE status IN (?, ?) AND "
            "superseded_by IS NULL", (ACCEPTED, WARNINGS))}
    current = {r.unit: CurrentSource(r.received_file_id, hashes[r.received_file_id],
                                     {s.leaf: s.score for s in r.scores}) for r in returns}
    return AppraisalContext(workspace.secret(), campaign.id, campaign.year,
                            dict(workspace.catalogs), {u.code: u for u in workspace.units}, current)


def collect_appraisals(workspace: Workspace, inputs: Sequence[Path], jobs: int = 1,
                       progress: Progress | None = None) -> AppraisalCollectReport:
    """Receive appraisal workbooks (files, folders, .eml) into the workspace; see the module."""
    remove_stray_temp_files(workspace.root)  # what killed receives left
    items, problems = expand_inputs(inputs)
    results: list[FileResult] = []
    todo: dict[int, tuple[Archived, InputItem, FileResult]] = {}
    with workspace.ledger() as ledger:
        for chunk in _chunks(items, RECEIVE_BATCH):
            with ledger.transaction():  # archived bytes are on disk before this commits
                for item in chunk:
                    results.append(_receive(workspace.root, ledger, item, todo))
        ctx = appraisal_context(workspace)
        tasks = [(rid, str(workspace.root / stored.archive_path), item.name)
                 for rid, (stored, item, _) in todo.items()]
        for chunk in _chunks(_examine_all(ctx, tasks, jobs, progress), RECORD_BATCH):
            with ledger.transaction():  # a crash before this commits leaves them 'pending'
                for received_id, examination in chunk:
                    _record(ledger, received_id, examination, todo[received_id][2])
        if todo:
            with ledger.transaction():
                ledger.log("appraisal.collect", {"inputs": len(items), "examined": len(todo)})
    return AppraisalCollectReport(results, problems)


def _receive(root: Path, ledger: Ledger, item: InputItem, todo: dict) -> FileResult:
    """Archive one input; queue it for examination when it is new (or left pending)."""
    try:
        data = item.read()
    except OSError as exc:
        finding = Code.FILE_UNREADABLE(file=item.name, detail=exc.strerror or str(exc))
        return FileResult(item.source, item.name, None, REJECTED, findings=[finding])
    before = ledger.conn.execute("SELECT kind FROM received_files WHERE sha256 = ?",
                                 (hashlib.sha256(data).hexdigest(),)).fetchone()
    stored, _ = archive(root, ledger, item, data)
    result = FileResult(item.source, item.name, stored.sha256, PENDING, stored.archive_path)
    if before is None:
        ledger.conn.execute("UPDATE received_files SET kind = ? WHERE id = ?",
                            (APPRAISAL, stored.received_id))
    if stored.status == PENDING and stored.received_id not in todo and (
            before is None or before["kind"] == APPRAISAL):
        todo[stored.received_id] = (stored, item, result)
        return result
    result.status = DUPLICATE
    first = stored.first_name if stored.received_id in todo else f"{stored.first_name}, {stored.first_at}"
    result.findings = [Code.DUPLICATE_FILE(file=item.name, first=first)]
    if before is not None and before["kind"] != APPRAISAL:  # arrived earlier as another kind
        result.findings.append(not_appraisal(item.name, before["kind"] or SELF_ASSESSMENT))
    result.units = _recorded_units(ledger, stored.received_id)
    return result


def _recorded_units(ledger: Ledger, received_id: int) -> list[UnitResult]:
    rows = ledger.conn.execute(
        "SELECT a.id, a.unit_code, a.form_id, a.sheet, a.status, a.source_file_id, "
        "(SELECT COUNT(*) FROM appraised_scores s WHERE s.appraisal_id = a.id) AS n "
        "FROM appraisals a WHERE a.received_file_id = ? ORDER BY a.id", (received_id,))
    return [UnitResult(r["unit_code"], r["form_id"], r["sheet"], r["status"], r["source_file_id"],
                       r["n"]) for r in rows]


def _examine_all(ctx: AppraisalContext, tasks: list[tuple[int, str, str]], jobs: int,
                 progress: Progress | None) -> Iterator[tuple[int, AppraisalExamination]]:
    """(received file id, examination) in submission order."""
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(ctx,)) as pool:
            futures = [(rid, pool.submit(_examine_task, path, name)) for rid, path, name in tasks]
            for done, (rid, future) in enumerate(futures, start=1):
                try:
                    yield rid, future.result()
                except Exception as exc:  # a dead worker process: record it, go on
                    yield rid, _internal_error(None, exc)
                if progress:
                    progress(done, len(tasks))
        return
    _init_worker(ctx)
    for done, (rid, path, name) in enumerate(tasks, start=1):
        yield rid, _examine_task(path, name)
        if progress:
            progress(done, len(tasks))


_CONTEXT: AppraisalContext | None = None


def _init_worker(ctx: AppraisalContext) -> None:
    global _CONTEXT
    _CONTEXT = ctx


def _examine_task(path: str, name: str) -> AppraisalExamination:
    """Examine one archived file; a bug in formkit becomes a finding, never a lost file."""
    try:
        return examine_appraisal(Path(path).read_bytes(), name, _CONTEXT)
    except Exception as exc:  # one bad file must never stop the batch
        return _internal_error(name, exc)


def _internal_error(name: str | None, exc: Exception) -> AppraisalExamination:
    return AppraisalExamination([Code.INTERNAL_ERROR(file=name, detail=f"{type(exc).__name__}: "
                                                                       f"{exc}"[:300])])


def _record(ledger: Ledger, received_id: int, examination: AppraisalExamination,
            result: FileResult) -> None:
    """Store one examination (the caller holds the transaction) and fill in its result."""
    conn = ledger.conn
    status = examination.status
    result.status, result.findings = status, examination.findings
    if examination.other_kind:  # another command's file: leave it pending for that command
        conn.execute("UPDATE received_files SET kind = '' WHERE id = ? AND status = ?",
                     (received_id, PENDING))
        ledger.log("appraisal.not_appraisal", {"received_file": received_id})
        return
    conn.execute("UPDATE received_files SET status = ?, processed_at = ? WHERE id = ? AND status = ?",
                 (status, now_text(), received_id, PENDING))
    conn.executemany(
        "INSERT INTO findings (received_file_id, code, severity, sheet, cell, criterion, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(received_id, f.code, f.severity.value, f.sheet, f.cell, f.item, f.message)
         for f in examination.all_findings()])
    for verdict in examination.units:
        result.units.append(_record_unit(ledger, received_id, verdict))
    ledger.log("appraisal.examined", {
        "received_file": received_id, "status": status,
        "units": {u.unit: u.status for u in examination.units},
        "findings": len(examination.all_findings())})


def _record_unit(ledger: Ledger, received_id: int, verdict: UnitVerdict) -> UnitResult:
    conn = ledger.conn
    cursor = conn.execute(
        "INSERT INTO appraisals (received_file_id, unit_code, form_id, sheet, source_file_id, "
        "source_sha256, status, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (received_id, verdict.unit, verdict.form_id, verdict.sheet,
         verdict.source.received_file_id, verdict.source.sha256, verdict.status, now_text()))
    conn.executemany(
        "INSERT INTO appraised_scores (appraisal_id, criterion, appraised_score, self_score, "
        "reason, sheet, cell) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(cursor.lastrowid, s.leaf, _text(s.appraised), None if s.self_score is None
          else _text(s.self_score), s.reason, s.sheet, s.cell) for s in verdict.scores])
    if verdict.status in (ACCEPTED, WARNINGS):
        _supersede(ledger, verdict.unit)
    ledger.log("appraisal.recorded", {"received_file": received_id, "form_id": verdict.form_id,
                                      "status": verdict.status, "scores": len(verdict.scores)},
               unit_code=verdict.unit)
    return UnitResult(verdict.unit, verdict.form_id, verdict.sheet, verdict.status,
                      verdict.source.received_file_id, len(verdict.scores), verdict.findings)


def _supersede(ledger: Ledger, unit_code: str) -> None:
    """The unit's current appraisal is its latest accepted sheet (by sending date, then arrival)."""
    rows = ledger.conn.execute(
        "SELECT a.id FROM appraisals a JOIN received_files f ON f.id = a.received_file_id "
        "WHERE a.unit_code = ? AND a.status IN (?, ?) "
        "ORDER BY coalesce(f.sent_at, f.received_at) DESC, a.id DESC",
        (unit_code, ACCEPTED, WARNINGS)).fetchall()
    current = rows[0]["id"]
    ledger.conn.execute("UPDATE appraisals SET superseded_by = NULL WHERE id = ?", (current,))
    ledger.conn.executemany("UPDATE appraisals SET superseded_by = ? WHERE id = ?",
                            [(current, row["id"]) for row in rows[1:]])


def _text(value: Decimal) -> str:
    """Exact decimal text, as the scores table stores self-scores."""
    return str(value)

"""Batch intake: archive every input, examine new files (in parallel if asked), record outcomes.

Every input ends with a status (accepted, accepted-with-warnings, rejected, duplicate) and its
findings. Examination runs in worker processes with --jobs; recording stays in this process, one
transaction per file, so the ledger is always consistent and a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from formkit.findings import Code, Finding
from formkit.intake.archive import PENDING, Archived, archive, remove_stray_temp_files
from formkit.intake.examine import ACCEPTED, WARNINGS, Examination, examine
from formkit.intake.identify import IntakeContext
from formkit.intake.report import write_feedback, write_intake_report  # outputs (issue 4)
from formkit.intake.sources import InputItem, expand_inputs
from formkit.ledger import Ledger, now_text
from formkit.workspace import Workspace

DUPLICATE = "duplicate"
RECEIVE_BATCH = 200  # inputs archived per ledger transaction
RECORD_BATCH = 100  # examinations recorded per ledger transaction
WORKER_WINDOW = 64  # files in flight in the worker pool
Progress = Callable[[int, int], None]


@dataclass
class InputResult:
    input: str
    name: str
    sha256: str | None
    status: str
    unit: str | None = None
    form_id: str | None = None
    archive: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"input": self.input, "name": self.name, "sha256": self.sha256,
                "status": self.status, "unit": self.unit, "form_id": self.form_id,
                "archive": self.archive,
                "findings": [{"code": f.code, "severity": f.severity.value, "sheet": f.sheet,
                              "cell": f.cell, "criterion": f.item, "message": f.message}
                             for f in self.findings]}


@dataclass
class CollectReport:
    results: list[InputResult]
    problems: list[Finding]  # inputs that could not even be read (a missing path)
    report_path: Path | None = None  # the intake report workbook, regenerated after each run
    feedback_paths: list[Path] = field(default_factory=list)  # current feedback workbooks

    @property
    def rejected(self) -> bool:
        return any(f.is_error for f in self.problems) or any(r.status == "rejected" for r in self.results)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"inputs": [r.to_dict() for r in self.results], "counts": self.counts(),
                "problems": [f.to_dict() for f in self.problems],
                "report_path": str(self.report_path) if self.report_path else None,
                "feedback_paths": [str(p) for p in self.feedback_paths]}


def intake_context(workspace: Workspace) -> IntakeContext:
    campaign = workspace.settings.campaign
    return IntakeContext(workspace.secret(), campaign.id, campaign.year, dict(workspace.catalogs),
                         {unit.code: unit for unit in workspace.units})


def collect(workspace: Workspace, inputs: Sequence[Path], jobs: int = 1,
            progress: Progress | None = None) -> CollectReport:
    """Receive files, folders and .eml messages into the workspace (see module docstring)."""
    remove_stray_temp_files(workspace.root)
    items, problems = expand_inputs(inputs)
    results: list[InputResult] = []
    todo: dict[int, tuple[Archived, InputItem]] = {}
    pending: dict[str, InputResult] = {}
    with workspace.ledger() as ledger:
        for chunk in _chunks(items, RECEIVE_BATCH):
            with ledger.transaction():  # archived bytes are on disk before this commits
                for item in chunk:
                    result, stored = _receive(workspace.root, ledger, item, todo)
                    results.append(result)
                    if stored is not None:
                        todo[stored.received_id] = (stored, item)
                        pending[stored.sha256] = result
        sha_of = {rid: stored.sha256 for rid, (stored, _) in todo.items()}
        for chunk in _chunks(_examine_all(workspace, todo, jobs, progress), RECORD_BATCH):
            with ledger.transaction():  # a crash before this commits leaves them 'pending'
                for received_id, examination in chunk:
                    _record(ledger, received_id, examination)
            for received_id, examination in chunk:  # keep the verdict, let the scores go
                result = pending[sha_of[received_id]]
                result.status, result.unit, result.form_id = (examination.status, examination.unit,
                                                              examination.form_id)
                result.findings = examination.findings
        if todo:
            with ledger.transaction():
                ledger.log("collect.run", {"inputs": len(items), "examined": len(todo)})
    return CollectReport(results, problems, write_intake_report(workspace), write_feedback(workspace))


def _receive(root: Path, ledger: Ledger, item: InputItem, todo: dict
             ) -> tuple[InputResult, Archived | None]:
    """Archive one input; return its result so far and the stored file if it needs examining."""
    try:
        data = item.read()
    except OSError as exc:
        finding = Code.FILE_UNREADABLE(file=item.name, detail=exc.strerror or str(exc))
        return InputResult(item.source, item.name, None, "rejected", findings=[finding]), None
    stored, _ = archive(root, ledger, item, data)
    result = InputResult(item.source, item.name, stored.sha256, PENDING, archive=stored.archive_path)
    if stored.status == PENDING and stored.received_id not in todo:
        return result, stored
    if stored.status == PENDING:  # the same content twice in this batch
        result.status = DUPLICATE
        result.findings = [Code.DUPLICATE_FILE(file=item.name, first=stored.first_name)]
        return result, None
    row = ledger.conn.execute("SELECT unit_code, form_id FROM received_files WHERE id = ?",
                              (stored.received_id,)).fetchone()
    result.status, result.unit, result.form_id = DUPLICATE, row["unit_code"], row["form_id"]
    result.findings = [Code.DUPLICATE_FILE(file=item.name,
                                           first=f"{stored.first_name}, {stored.first_at}")]
    return result, None


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _examine_all(workspace: Workspace, todo: dict, jobs: int, progress: Progress | None
                 ) -> Iterator[tuple[int, Examination]]:
    """(received file id, examination) as each finishes, in submission order."""
    ctx = intake_context(workspace)
    tasks = [(rid, str(workspace.root / stored.archive_path), item.name, item.sender)
             for rid, (stored, item) in todo.items()]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(ctx,)) as pool:
            # Bounded look-ahead: memory stays flat however many files the batch holds.
            for start in range(0, len(tasks), WORKER_WINDOW):
                window = tasks[start:start + WORKER_WINDOW]
                futures = [(task[0], pool.submit(_examine_task, *task[1:])) for task in window]
                for done, (rid, future) in enumerate(futures, start=start + 1):
                    yield rid, _outcome(future)
                    if progress:
                        progress(done, len(tasks))
        return
    _init_worker(ctx)
    for done, (rid, *task) in enumerate(tasks, start=1):
        yield rid, _examine_task(*task)
        if progress:
            progress(done, len(tasks))


_CONTEXT: IntakeContext | None = None


def _init_worker(ctx: IntakeContext) -> None:
    global _CONTEXT
    _CONTEXT = ctx


def _examine_task(path: str, name: str, sender: str | None) -> Examination:
    """Examine one archived file; a bug in formkit becomes a finding, never a lost file."""
    try:
        return examine(Path(path).read_bytes(), name, _CONTEXT, sender)
    except Exception as exc:  # one bad file must never stop the batch
        return Examination([Code.INTERNAL_ERROR(file=name, detail=f"{type(exc).__name__}: {exc}"[:300])])


def _outcome(future) -> Examination:
    try:
        return future.result()
    except Exception as exc:  # a dead worker process: record it, go on
        return Examination([Code.INTERNAL_ERROR(detail=f"{type(exc).__name__}: {exc}"[:300])])


def _record(ledger: Ledger, received_id: int, examination: Examination) -> None:
    """Store one examination; the caller holds the transaction."""
    conn = ledger.conn
    conn.execute("UPDATE received_files SET status = ?, unit_code = ?, form_id = ?, "
                 "processed_at = ? WHERE id = ? AND status = ?",
                 (examination.status, examination.unit, examination.form_id, now_text(),
                  received_id, PENDING))
    conn.executemany(
        "INSERT INTO findings (received_file_id, code, severity, sheet, cell, criterion, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(received_id, f.code, f.severity.value, f.sheet, f.cell, f.item, f.message)
         for f in examination.findings])
    conn.executemany(
        "INSERT INTO scores (received_file_id, unit_code, criterion, self_score, evidence, "
        "explanation, sheet, cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(received_id, examination.unit, s.leaf, str(s.score), s.evidence, s.explanation,
          s.sheet, s.cell) for s in examination.scores])
    if examination.unit and examination.status in (ACCEPTED, WARNINGS):
        _supersede(ledger, examination.unit)
    ledger.log("file.examined", {"received_file": received_id, "status": examination.status,
                                 "form_id": examination.form_id,
                                 "findings": len(examination.findings)},
               unit_code=examination.unit)


def _supersede(ledger: Ledger, unit_code: str) -> None:
    """The unit's current return is its latest accepted one (by sending date, then arrival)."""
    rows = ledger.conn.execute(
        "SELECT id FROM received_files WHERE unit_code = ? AND status IN (?, ?) "
        "ORDER BY coalesce(sent_at, received_at) DESC, id DESC", (unit_code, ACCEPTED, WARNINGS)
    ).fetchall()
    current = rows[0]["id"]
    ledger.conn.execute("UPDATE received_files SET superseded_by = NULL WHERE id = ?", (current,))
    ledger.conn.executemany("UPDATE received_files SET superseded_by = ? WHERE id = ?",
                            [(current, row["id"]) for row in rows[1:]])

"""Collecting entry workbooks: archive first, examine, store every questionnaire, compare copies.

The intake's rules hold: every input is archived and recorded (received_files, receipts) before
anything parses it; the same bytes are examined once, so re-collecting changes nothing; each
input ends with a status and its findings. An entry workbook is recorded with
received_files.kind = 'survey-entry' and its unit in survey_files only, so it never counts as a
unit's self-assessment return. A file of another intake given to this command by mistake (a
self-assessment form, or one that intake already judged) stays that intake's: it is reported,
not recorded, so `formkit collect` can still receive it.

After a file's questionnaires are stored, they are compared with the other copy's current
entries: every difference becomes a finding on this file, and `doubleentry` keeps those
questionnaires out of `valid_answers` until a corrected file makes the copies agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formkit.findings import Code, Finding
from formkit.intake.archive import PENDING, Archived, archive, remove_stray_temp_files
from formkit.intake.sources import InputItem, expand_inputs
from formkit.ledger import Ledger, now_text
from formkit.survey.doubleentry import Disagreement, current_entries, differences, disagreements
from formkit.survey.entry import SERIAL_COLUMN, SURVEY_ENTRY, EntryIdentity
from formkit.survey.entry_check import EntryExamination, examine_entry
from formkit.survey.entry_rows import EntryContext, KeyedRow
from formkit.survey.serials import issued_serials
from formkit.text import canonical_name
from formkit.workspace import Workspace

DUPLICATE = "duplicate"
RECEIVE_BATCH = 200  # inputs archived per ledger transaction
RECORD_BATCH = 50  # examinations recorded per ledger transaction
Progress = Callable[[int, int], None]


@dataclass
class EntryResult:
    input: str
    name: str
    sha256: str | None
    status: str
    unit: str | None = None
    form_id: str | None = None
    copy: int | None = None
    archive: str | None = None
    questionnaires: dict[str, int] = field(default_factory=dict)  # entry state -> count
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"input": self.input, "name": self.name, "sha256": self.sha256, "status": self.status,
                "unit": self.unit, "form_id": self.form_id, "copy": self.copy,
                "archive": self.archive, "questionnaires": self.questionnaires,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass
class SurveyCollectReport:
    results: list[EntryResult]
    problems: list[Finding]  # inputs that could not even be read (a missing path)
    disagreements: list[Disagreement] = field(default_factory=list)  # unresolved, of these units

    @property
    def rejected(self) -> bool:
        return any(f.is_error for f in self.problems) or any(r.status == "rejected" for r in self.results)

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results))

    def to_dict(self) -> dict:
        return {"inputs": [r.to_dict() for r in self.results], "counts": self.counts(),
                "problems": [f.to_dict() for f in self.problems],
                "disagreements": [d.to_dict() for d in self.disagreements]}


def entry_context(workspace: Workspace) -> EntryContext:
    campaign = workspace.settings.campaign
    issued = {s.text: (s.unit, s.group) for s in issued_serials(workspace)} if workspace.surveys else {}
    return EntryContext(workspace.secret(), campaign.id, campaign.year, dict(workspace.surveys),
                        {unit.code: unit for unit in workspace.units}, issued)


def collect_entries(workspace: Workspace, inputs: Sequence[Path], progress: Progress | None = None
                    ) -> SurveyCollectReport:
    """Receive entry workbooks (files, folders, .eml messages) into the workspace; see the module
    docstring. Safe to re-run: a file already collected is reported as a duplicate."""
    remove_stray_temp_files(workspace.root)  # what killed receives left
    items, problems = expand_inputs(inputs)
    results: list[EntryResult] = []
    todo: dict[int, tuple[Archived, InputItem, EntryResult]] = {}
    with workspace.ledger() as ledger:
        for start in range(0, len(items), RECEIVE_BATCH):
            with ledger.transaction():  # archived bytes are on disk before this commits
                for item in items[start:start + RECEIVE_BATCH]:
                    result, stored = _receive(workspace.root, ledger, item, todo)
                    results.append(result)
                    if stored is not None:
                        todo[stored.received_id] = (stored, item, result)
        ctx = entry_context(workspace) if todo else None
        queue = list(todo.items())
        for start in range(0, len(queue), RECORD_BATCH):
            examined = [(rid, item, result, _examine(workspace.root / stored.archive_path, item.name, ctx))
                        for rid, (stored, item, result) in queue[start:start + RECORD_BATCH]]
            with ledger.transaction():  # a crash before this commits leaves these files 'pending'
                for received_id, item, _, examination in examined:
                    _record(ledger, received_id, item.name, examination)
            for _, _, result, examination in examined:
                _fill(result, examination)
            if progress:
                progress(min(start + RECORD_BATCH, len(queue)), len(queue))
        if todo:
            with ledger.transaction():
                ledger.log("survey.collect_run", {"inputs": len(items), "examined": len(todo)})
    touched = {r.unit for r in results if r.unit}  # collected now or before: what is still open
    return SurveyCollectReport(results, problems, disagreements(workspace, touched) if touched else [])


def _receive(root: Path, ledger: Ledger, item: InputItem, todo: dict
             ) -> tuple[EntryResult, Archived | None]:
    """Archive one input; return its result so far and the stored file if it needs examining."""
    try:
        data = item.read()
    except OSError as exc:
        finding = Code.FILE_UNREADABLE(file=item.name, detail=exc.strerror or str(exc))
        return EntryResult(item.source, item.name, None, "rejected", findings=[finding]), None
    stored, _ = archive(root, ledger, item, data)
    result = EntryResult(item.source, item.name, stored.sha256, PENDING, archive=stored.archive_path)
    done = ledger.conn.execute("SELECT unit_code, form_id, copy FROM survey_files "
                               "WHERE received_file_id = ?", (stored.received_id,)).fetchone()
    if done is None and stored.received_id not in todo:
        return result, stored
    result.status = DUPLICATE
    first = stored.first_name if done is None else f"{stored.first_name}, {stored.first_at}"
    result.findings = [Code.DUPLICATE_FILE(file=item.name, first=first)]
    if done is not None:
        result.unit, result.form_id, result.copy = done["unit_code"], done["form_id"], done["copy"]
    return result, None


def _examine(path: Path, name: str, ctx: EntryContext | None) -> EntryExamination:
    """Examine one archived file; a bug in formkit becomes a finding, never a lost file."""
    try:
        return examine_entry(path.read_bytes(), name, ctx)
    except Exception as exc:  # one bad file must never stop the batch
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return EntryExamination([Code.INTERNAL_ERROR(file=name, detail=detail)], rejected=True)


def _fill(result: EntryResult, examination: EntryExamination) -> None:
    identity = examination.identity
    result.status, result.findings = examination.status, examination.findings
    if identity is not None:
        result.unit, result.form_id, result.copy = identity.unit, identity.form_id, identity.copy
    result.questionnaires = dict(Counter(row.state for row in examination.rows))


def _record(ledger: Ledger, received_id: int, name: str, examination: EntryExamination) -> None:
    """Store one examination; the caller holds the transaction."""
    conn, identity = ledger.conn, examination.identity
    previous = conn.execute("SELECT kind, status FROM received_files WHERE id = ?",
                            (received_id,)).fetchone()
    if examination.other_kind or (identity is None and previous["status"] != PENDING
                                  and previous["kind"] != SURVEY_ENTRY):
        return  # another intake's file (or verdict): it stays theirs, this run only reports it
    if previous["kind"] != SURVEY_ENTRY:  # an entry workbook another intake misread
        conn.execute("DELETE FROM findings WHERE received_file_id = ?", (received_id,))
    if identity is not None and not examination.rejected:
        examination.findings += _store_rows(conn, received_id, name, identity, examination.rows)
    status = examination.status
    conn.execute("UPDATE received_files SET status = ?, kind = ?, form_id = ?, processed_at = ? "
                 "WHERE id = ?", (status, SURVEY_ENTRY, identity.form_id if identity else None,
                                  now_text(), received_id))
    conn.execute("INSERT INTO survey_files (received_file_id, form_id, unit_code, copy, batch, status, "
                 "collected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (received_id, *((identity.form_id, identity.unit, identity.copy, identity.batch)
                                 if identity else (None, None, None, None)), status, now_text()))
    conn.executemany(
        "INSERT INTO findings (received_file_id, code, severity, sheet, cell, criterion, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(received_id, f.code, f.severity.value, f.sheet, f.cell, f.item, f.message)
         for f in examination.findings])
    ledger.log("survey.file_collected", {
        "received_file": received_id, "status": status, "form_id": identity.form_id if identity else None,
        "questionnaires": len(examination.rows), "findings": len(examination.findings)},
        unit_code=identity.unit if identity else None)


def _store_rows(conn, received_id: int, name: str, identity: EntryIdentity, rows: list[KeyedRow]
                ) -> list[Finding]:
    """Insert the file's questionnaires; findings for what they replace and where copies differ."""
    serials = [row.serial for row in rows]
    before = current_entries(conn, serials)
    findings: list[Finding] = []
    replaced: Counter[str] = Counter()
    answers = []
    for row in rows:
        earlier = before.get(row.serial, {}).get(identity.copy)
        if earlier is not None:
            replaced[earlier.file] += 1
            if _other_clerk(earlier.keyed_by, row.keyed_by):
                findings.append(Code.ENTRY_OTHER_CLERK(
                    file=name, sheet=row.sheet, cell=f"{SERIAL_COLUMN}{row.row}", item=row.serial,
                    serial=row.serial, copy=identity.copy, before=earlier.keyed_by, after=row.keyed_by))
        fingerprint = ";".join(f"{q}={option}" for (q, _), option in zip(row.questions, row.options,
                                                                            strict=True))
        entry_id = conn.execute(
            "INSERT INTO survey_entries (received_file_id, serial, unit_code, group_code, copy, state, "
            "keyed_by, sheet, sheet_row, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (received_id, row.serial, identity.unit, row.group, identity.copy, row.state, row.keyed_by,
             row.sheet, row.row, fingerprint)).lastrowid
        answers += [(entry_id, received_id, row.serial, a.question, a.option, int(a.blank), row.sheet,
                     a.cell) for a in row.answers]
    conn.executemany("INSERT INTO survey_answers (entry_id, received_file_id, serial, question, "
                     "option_code, blank, sheet, cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", answers)
    if replaced:
        files = ", ".join(f"{count} phiếu của tệp {file}" for file, count in sorted(replaced.items()))
        findings.append(Code.ENTRY_SUPERSEDES(file=name, count=sum(replaced.values()),
                                              copy=identity.copy, files=files))
    return findings + _mismatches(conn, received_id, name, serials)


def _other_clerk(before: str, after: str) -> bool:
    """Two different names: a second clerk may have keyed the copy the first one used."""
    return bool(before and after) and canonical_name(before) != canonical_name(after)


def _mismatches(conn, received_id: int, name: str, serials: list[str]) -> list[Finding]:
    """Each cell where this file's questionnaires differ from another copy's current entry."""
    findings = []
    for entries in current_entries(conn, serials).values():
        if len(entries) < 2:
            continue
        for d in differences(conn, entries):
            mine, other = ((d.a, d.b) if d.a.received_file_id == received_id else (d.b, d.a))
            if mine.received_file_id != received_id:
                continue
            cell, other_cell = (d.cell_a, d.cell_b) if mine is d.a else (d.cell_b, d.cell_a)
            value, other_value = (d.value_a, d.value_b) if mine is d.a else (d.value_b, d.value_a)
            question = f"câu {d.question}" if d.question else "tình trạng phiếu"
            findings.append(Code.ENTRY_MISMATCH(
                file=name, sheet=mine.sheet, cell=cell, item=d.serial, serial=d.serial,
                question=question, copy=mine.copy, value=value or "(để trống)", other_copy=other.copy,
                other_value=other_value or "(để trống)", other_file=other.file, other_cell=other_cell))
    return findings

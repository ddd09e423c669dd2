"""`formkit report`: the campaign's documents rendered from the consolidation, optionally as PDF.

Output (under the workspace's out/documents/):
- bien-ban/<code> <short name>.docx: one Biên bản thẩm định per unit;
- bao-cao-ket-qua-<year>.docx: the synthesis report;
- quyet-dinh-cong-bo-<year>.docx: the announcement decision with its appendices;
- with pdf=True, a .pdf beside each, converted by LibreOffice. Without LibreOffice the .docx files
  are still written and the result says so (`pdf == NO_LIBREOFFICE`, the CLI exits with 2: the
  machine lacks a program, a configuration problem, not a problem in the data).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from formkit.consolidate import Results, consolidate
from formkit.documents.common import document_dates
from formkit.documents.context import build_contexts
from formkit.documents.sessions import session_problems
from formkit.documents.template import TEMPLATE_FILES, PreparedTemplate, find_template
from formkit.errors import FormkitError
from formkit.fileio import atomic_write_bytes, sha256_file
from formkit.mail.outbox import safe_filename
from formkit.office import convert_many, find_libreoffice
from formkit.settings import Settings
from formkit.workspace import Workspace

DOCUMENTS_DIR = "documents"
MINUTES_DIR = "bien-ban"
NOT_REQUESTED, DONE, NO_LIBREOFFICE, FAILED = "not-requested", "done", "no-libreoffice", "failed"
PDF_JOBS = min(2, os.cpu_count() or 1)  # LibreOffice processes at once, each with its own profile
PDF_BATCH = 14  # documents per LibreOffice process
NO_LIBREOFFICE_MESSAGE = (
    "Đã ghi các văn bản .docx nhưng chưa chuyển được sang PDF: máy này chưa cài LibreOffice. Cài "
    "LibreOffice (https://www.libreoffice.org; Debian/Ubuntu: sudo apt install libreoffice-writer "
    "fonts-liberation2) hoặc đặt biến môi trường FORMKIT_SOFFICE trỏ tới tệp soffice, rồi chạy lại "
    "với --pdf; hoặc mở tệp .docx bằng Word và lưu thành PDF.")

Progress = Callable[[int, int], None]


@dataclass
class DocumentsResult:
    folder: Path
    minutes: list[Path]
    report: Path
    decision: Path
    templates: dict[str, Path]
    missing: list[str]  # what units lacked when consolidated with allow_incomplete
    pdf: str = NOT_REQUESTED
    pdfs: list[Path] = field(default_factory=list)
    pdf_errors: list[str] = field(default_factory=list)
    settings_gaps: list[str] = field(default_factory=list)  # documents settings left blank

    @property
    def documents(self) -> list[Path]:
        return [*self.minutes, self.report, self.decision]

    @property
    def ok(self) -> bool:
        """Complete data, and every PDF asked for."""
        return not self.missing and self.pdf in (NOT_REQUESTED, DONE)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "folder": str(self.folder),
                "counts": {"minutes": len(self.minutes), "report": 1, "decision": 1,
                           "pdf": len(self.pdfs)},
                "minutes": [str(p) for p in self.minutes], "report": str(self.report),
                "decision": str(self.decision),
                "templates": {k: str(v) for k, v in self.templates.items()},
                "missing": self.missing, "pdf": self.pdf, "pdfs": [str(p) for p in self.pdfs],
                "pdf_errors": self.pdf_errors, "settings_gaps": self.settings_gaps}


def render_documents(workspace: Workspace, previous: Path | None = None, allow_incomplete: bool = False,
                     pdf: bool = False, progress: Progress | None = None) -> DocumentsResult:
    """Consolidate, then write every document (and its PDF when asked); record it in the ledger."""
    return write_documents(workspace, consolidate(workspace, previous, allow_incomplete), pdf, progress)


def write_documents(workspace: Workspace, results: Results, pdf: bool = False,
                    progress: Progress | None = None) -> DocumentsResult:
    """Write every document of consolidated results (and its PDF when asked)."""
    contexts = build_contexts(workspace, results)
    settings = workspace.settings
    dates = document_dates(settings)
    templates = {kind: find_template(workspace, kind) for kind in TEMPLATE_FILES}
    folder = workspace.out_dir / DOCUMENTS_DIR
    year = workspace.settings.campaign.year
    report_path = folder / f"bao-cao-ket-qua-{year}.docx"
    decision_path = folder / f"quyet-dinh-cong-bo-{year}.docx"
    total = len(contexts.minutes) + 2
    step = progress or (lambda done, total: None)
    minutes_template = PreparedTemplate(templates["minutes"])
    minutes = []
    for done, (code, context) in enumerate(contexts.minutes.items(), start=1):
        unit = workspace.unit(code)
        path = folder / MINUTES_DIR / f"{safe_filename(f'{unit.code} {unit.short_name}')}.docx"
        atomic_write_bytes(path, minutes_template.render(
            context, dates["minutes"], settings.campaign.issuing_body,
            f"Biên bản thẩm định Chỉ số cải cách hành chính năm {year} của {unit.document_name}"))
        minutes.append(path)
        step(done, total)
    atomic_write_bytes(report_path, PreparedTemplate(templates["report"]).render(
        contexts.report, dates["report"], settings.campaign.issuing_body,
        f"Báo cáo {contexts.report['title_line'][:1].lower()}{contexts.report['title_line'][1:]}"))
    step(total - 1, total)
    atomic_write_bytes(decision_path, PreparedTemplate(templates["decision"]).render(
        contexts.decision, dates["decision"], settings.campaign.parent_body or settings.campaign.issuing_body,
        f"Quyết định {contexts.decision['summary'][:1].lower()}{contexts.decision['summary'][1:]}"))
    step(total, total)
    result = DocumentsResult(folder, minutes, report_path, decision_path, templates,
                             list(results.missing),
                             settings_gaps=settings_gaps(workspace.settings, [u.code for u in results.units]))
    if pdf:
        _to_pdf(result, progress)
    _record(workspace, result)
    return result


def settings_gaps(settings: Settings, unit_codes: Sequence[str] = ()) -> list[str]:
    """What the documents print blank (or borrow) because campaign.yaml → documents lacks it."""
    documents, gaps = settings.documents, session_problems(settings, unit_codes)
    minutes = documents.minutes
    meeting = () if minutes.sessions else (("date", minutes.date), ("start", minutes.start),
                                           ("end", minutes.end), ("place", minutes.place))
    for key, value in (*meeting, ("chair", minutes.chair.name), ("secretary", minutes.secretary.name)):
        if not value:
            gaps.append(f"documents.minutes.{key}: biên bản thẩm định để trống mục này")
    if documents.report.signer is None:
        gaps.append("documents.report.signer: báo cáo dùng người ký của mục signer (UBND Thành phố)")
    for kind, issued in (("report", documents.report), ("decision", documents.decision)):
        if issued.date is None:
            gaps.append(f"documents.{kind}.date: văn bản ghi ngày theo hạn thẩm định hoặc ngày phát hành")
        if not issued.recipients:
            gaps.append(f"documents.{kind}.recipients: mục Nơi nhận để trống")
    if not documents.decision.legal_basis:
        gaps.append("documents.decision.legal_basis: quyết định không có dòng Căn cứ nào")
    return gaps


def _to_pdf(result: DocumentsResult, progress: Progress | None) -> None:
    if find_libreoffice() is None:
        result.pdf, result.pdf_errors = NO_LIBREOFFICE, [NO_LIBREOFFICE_MESSAGE]
        return
    result.pdfs, result.pdf_errors = convert_to_pdf(result.documents, progress)
    result.pdf = FAILED if result.pdf_errors else DONE


def convert_to_pdf(documents: list[Path], progress: Progress | None = None) -> tuple[list[Path], list[str]]:
    """A PDF beside each document: (PDFs, errors).

    Documents of one folder are converted in batches, each batch by one LibreOffice process
    (starting it costs more than converting a page), PDF_JOBS batches at a time.
    """
    batches = [chunk for folder in dict.fromkeys(p.parent for p in documents)
               for chunk in _chunks([p for p in documents if p.parent == folder], PDF_BATCH)]
    pdfs, errors, done = [], [], 0
    with ThreadPoolExecutor(PDF_JOBS) as pool:
        futures = [pool.submit(convert_many, batch, "pdf", batch[0].parent) for batch in batches]
        for batch, future in zip(batches, futures, strict=True):
            try:
                converted, failed = future.result()
            except FormkitError as exc:
                converted, failed = [], [(path, exc.message) for path in batch]
            pdfs += converted
            errors += [why for _, why in failed]
            done += len(batch)
            if progress:
                progress(done, len(documents))
    return pdfs, errors


def _chunks(items: list[Path], size: int) -> list[list[Path]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _record(workspace: Workspace, result: DocumentsResult) -> None:
    root = workspace.root
    with workspace.ledger() as ledger, ledger.transaction():
        ledger.log("documents.rendered", {
            "documents": {p.relative_to(root).as_posix(): sha256_file(p) for p in result.documents},
            "templates": {k: str(v) for k, v in result.templates.items()},
            "missing": result.missing, "pdf": result.pdf, "pdf_errors": result.pdf_errors})

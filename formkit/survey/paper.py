"""Paper questionnaires: one print-ready PDF per unit × group, one numbered copy per quota slot.

Each copy starts on a new page; every page carries the four corner markers, the copy's QR code
and serial, and the static content laid out once by `paper_layout` (drawn from a PDF form
XObject, so a thousand copies cost little more than one). The geometry goes to a layout file
beside the PDF for machine reading of scans. The same inputs give byte-identical files: the PDF
is written in reportlab's invariant mode and the .docx with fixed dates.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from formkit.errors import WorkspaceError
from formkit.fileio import atomic_write_bytes
from formkit.ledger import Ledger, now_text
from formkit.survey import paper_layout as geo
from formkit.survey.plan import PlanRow, sampling_plan
from formkit.survey.questionnaire import RespondentGroup, Survey
from formkit.survey.serials import Serial, serials_for
from formkit.units import Unit
from formkit.workspace import Workspace

PAPER_DIR = ("survey", "paper")
KIND = "questionnaire"  # issued_files.kind
LAYOUT_FORMAT = "formkit-questionnaire-layout/1"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PaperQuestionnaire:
    unit: str
    group: str
    copies: int
    pages_per_copy: int
    path: Path
    layout_path: Path
    docx_path: Path | None
    sha256: str
    changed: bool  # False when the PDF on disk was already exactly this

    def to_dict(self) -> dict:
        return {"unit": self.unit, "group": self.group, "copies": self.copies,
                "pages_per_copy": self.pages_per_copy, "path": str(self.path),
                "layout": str(self.layout_path),
                "docx": str(self.docx_path) if self.docx_path else None, "sha256": self.sha256,
                "changed": self.changed}


@dataclass(frozen=True)
class Questionnaire:
    """Everything one unit × group's PDF is made of (plain data, no files)."""

    workspace: Workspace
    survey: Survey
    unit: Unit
    group: RespondentGroup
    serials: tuple[Serial, ...]
    layout: geo.PaperLayout

    @property
    def title(self) -> str:
        return f"{self.group.title or 'Phiếu khảo sát'} - {self.unit.document_name}"


def questionnaire_pdf(q: Questionnaire) -> bytes:
    """The print-ready PDF: every copy drawn from the same static pages, stamped with its serial."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(geo.PAGE_WIDTH, geo.PAGE_HEIGHT), invariant=1,
                    pageCompression=1, initialFontName=geo.REGULAR, initialFontSize=geo.SIZE)
    campaign = q.workspace.settings.campaign
    canvas.setTitle(q.title)
    canvas.setAuthor(campaign.issuing_body)
    canvas.setSubject(f"{campaign.title} - {q.group.name}")
    canvas.setCreator("formkit")
    for number, ops in enumerate(q.layout.pages, start=1):
        canvas.beginForm(f"page{number}")
        _draw_markers(canvas)
        for op in ops:
            _draw(canvas, op)
        canvas.endForm()
    pages = q.layout.pages_per_copy
    for serial in q.serials:
        for number in range(1, pages + 1):
            canvas.doForm(f"page{number}")
            _draw_qr(canvas, serial.qr_payload(number))
            _draw_serial(canvas, serial, number, pages)
            canvas.showPage()
    with _binary_streams():
        canvas.save()
    return buffer.getvalue()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Plain zlib streams: ASCII85 on top makes the file a quarter bigger and slower to write
    (reportlab only has a process-wide switch, so it is set for the save and put back)."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _y(y: float) -> float:
    return geo.PAGE_HEIGHT - y


def _draw_markers(canvas: Canvas) -> None:
    canvas.setFillColorRGB(0, 0, 0)
    for x, y, w, h in geo.marker_rects():
        canvas.rect(x, _y(y) - h, w, h, stroke=0, fill=1)


def _draw(canvas: Canvas, op: geo.Op) -> None:
    if isinstance(op, geo.TextOp):
        canvas.setFont(op.font, op.size)
        canvas.drawString(op.x, _y(op.y), op.text)
    elif isinstance(op, geo.BoxOp):
        x, y, w, h = op.rect
        canvas.setLineWidth(geo.BOX_LINE)
        canvas.rect(x, _y(y) - h, w, h, stroke=1, fill=0)
    else:
        canvas.setLineWidth(0.6)
        canvas.setDash(1, 2) if op.dotted else canvas.setDash()
        canvas.line(op.x1, _y(op.y1), op.x2, _y(op.y1))
        canvas.setDash()


def _draw_qr(canvas: Canvas, payload: str) -> None:
    """The QR code as filled vector rectangles (one per run of dark modules) in its fixed square.

    Written as raw path operators: a few hundred rectangles per page through reportlab's path
    objects cost more than the rest of the page.
    """
    matrix = segno.make(payload, error="m", micro=False, boost_error=False).matrix
    x0, y0, size, _ = geo.QR_RECT
    module = size / len(matrix)
    ops = ["q 0 g"]
    for row, bits in enumerate(matrix):
        bottom = _y(y0 + (row + 1) * module)
        for start, end in _runs(bits):
            ops.append(f"{x0 + start * module:.3f} {bottom:.3f} {(end - start) * module:.3f} "
                       f"{module:.3f} re")
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


def _runs(bits: bytes | bytearray) -> list[tuple[int, int]]:
    """(start, end) of each run of dark modules in a row."""
    runs, start = [], None
    for column, bit in enumerate((*bits, 0)):
        if bit and start is None:
            start = column
        elif not bit and start is not None:
            runs.append((start, column))
            start = None
    return runs


def _draw_serial(canvas: Canvas, serial: Serial, page: int, pages: int) -> None:
    canvas.setFont(geo.BOLD, 11)
    canvas.drawRightString(geo.RIGHT, _y(geo.SERIAL_BASELINE), f"Số phiếu: {serial.text}")
    canvas.setFont(geo.REGULAR, geo.SMALL)
    canvas.drawCentredString(geo.PAGE_WIDTH / 2, _y(geo.FOOTER_BASELINE),
                             f"Số phiếu: {serial.text}  ·  Trang {page}/{pages}")


def layout_document(q: Questionnaire, pdf_name: str) -> dict:
    """The layout file: who the questionnaire is for, its serials, and its fixed geometry."""
    return {"format": LAYOUT_FORMAT, "campaign": q.workspace.settings.campaign.id,
            "unit": q.unit.code, "unit_type": q.unit.unit_type, "group": q.group.code,
            "survey": q.survey.id, "survey_hash": q.survey.content_hash, "pdf": pdf_name,
            "copies": len(q.serials), "serials": [s.text for s in q.serials],
            **q.layout.geometry()}


def layout_json(document: dict) -> str:
    """Indented JSON with each rectangle or pair of numbers kept on one line."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return _NUMBER_LIST.sub(lambda m: "[" + ", ".join(n.strip() for n in m[1].split(",")) + "]",
                            text) + "\n"


# An array of numbers as json.dumps(indent=...) writes it: only there is "[" followed by a newline
# (a newline inside a string is escaped), so text inside strings is never touched.
_NUMBER_LIST = re.compile(r"\[\n\s*(-?[\d.]+(?:,\n\s*-?[\d.]+)*)\n\s*\]")


def paper_folder(workspace: Workspace, unit: Unit) -> Path:
    """out/survey/paper/<unit type>/<code> - <short name>/, with nothing Windows forbids."""
    name = "".join("-" if c in '<>:"/\\|?*' else c for c in f"{unit.code} - {unit.short_name}")
    return Path(workspace.out_dir.name, *PAPER_DIR, unit.unit_type, name.rstrip(". "))


def build_questionnaire(workspace: Workspace, row: PlanRow, campaign: str) -> Questionnaire:
    unit = workspace.unit(row.unit)
    survey = workspace.surveys[unit.unit_type]
    group = survey.group(row.group)
    layout = geo.questionnaire_layout(workspace.settings, survey, unit, group)
    return Questionnaire(workspace, survey, unit, group, tuple(serials_for(row, campaign)), layout)


def write_questionnaires(workspace: Workspace, unit_codes: Iterable[str] | None = None,
                         docx: bool = False, progress: Progress | None = None
                         ) -> list[PaperQuestionnaire]:
    """Write the PDFs (and layout files, and on request .docx) of the given units, all by default.

    Safe to re-run: unchanged files are not rewritten and the ledger gets no duplicate rows.
    A unit × group with a quota of 0 gets no questionnaire.
    """
    plan = sampling_plan(workspace)
    rows = [r for r in _select(workspace, plan.rows, unit_codes) if r.quota > 0]
    geo.register_fonts()
    written, records = [], []
    for done, row in enumerate(rows, start=1):
        q = build_questionnaire(workspace, row, plan.campaign)
        written.append(_write_one(workspace, q, docx))
        records.append(_Record(q.unit.code, q.group.code, q.survey.content_hash,
                               written[-1].path.relative_to(workspace.root).as_posix(),
                               written[-1].sha256, len(q.serials)))
        if progress:
            progress(done, len(rows))
    with workspace.ledger() as ledger:
        _record(ledger, records)
    return written


def _select(workspace: Workspace, rows: tuple[PlanRow, ...], unit_codes: Iterable[str] | None
            ) -> list[PlanRow]:
    if unit_codes is None:
        return list(rows)
    codes = list(dict.fromkeys(unit_codes))
    unknown = [c for c in codes if c not in {u.code for u in workspace.units}]
    if unknown:
        raise WorkspaceError(f"Không có đơn vị mã {', '.join(unknown)} trong danh sách đơn vị. "
                             "Xem danh sách bằng: formkit units")
    return [r for code in codes for r in rows if r.unit == code]


def _write_one(workspace: Workspace, q: Questionnaire, docx: bool) -> PaperQuestionnaire:
    folder = paper_folder(workspace, q.unit)
    relative = folder / f"{q.group.code}.pdf"
    data = questionnaire_pdf(q)
    changed = _write_if_changed(workspace.root / relative, data)
    layout_path = workspace.root / folder / f"{q.group.code}.layout.json"
    _write_if_changed(layout_path, layout_json(layout_document(q, relative.name)).encode("utf-8"))
    docx_path = None
    if docx:
        from formkit.survey.paper_docx import questionnaire_docx

        docx_path = workspace.root / folder / f"{q.group.code}.docx"
        _write_if_changed(docx_path, questionnaire_docx(q))
    return PaperQuestionnaire(q.unit.code, q.group.code, len(q.serials), q.layout.pages_per_copy,
                              workspace.root / relative, layout_path, docx_path,
                              hashlib.sha256(data).hexdigest(), changed)


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    atomic_write_bytes(path, data)
    return True


@dataclass(frozen=True)
class _Record:
    unit: str
    group: str
    survey_hash: str
    path: str
    sha256: str
    copies: int

    @property
    def form_id(self) -> str:
        return f"{self.unit}|{self.group}"


def _record(ledger: Ledger, records: list[_Record]) -> None:
    """Upsert the issued files (form_id 'unit|group') in one transaction, with an event for each
    new or changed one; a re-run that changed nothing writes nothing."""
    stored = {row[0]: tuple(row[1:]) for row in ledger.conn.execute(
        "SELECT form_id, sha256, path, catalog_hash FROM issued_files WHERE kind = ?", (KIND,))}
    fresh = [r for r in records if stored.get(r.form_id) != (r.sha256, r.path, r.survey_hash)]
    if not fresh:
        return
    with ledger.transaction():
        for r in fresh:
            ledger.conn.execute(
                "INSERT INTO issued_files (unit_code, kind, form_id, catalog_hash, path, sha256, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(form_id) DO UPDATE SET "
                "catalog_hash = excluded.catalog_hash, path = excluded.path, "
                "sha256 = excluded.sha256, created_at = excluded.created_at",
                (r.unit, KIND, r.form_id, r.survey_hash, r.path, r.sha256, now_text()))
            ledger.log("questionnaire.issued", {"form_id": r.form_id, "path": r.path,
                                                "sha256": r.sha256, "copies": r.copies},
                       unit_code=r.unit)

"""Fixed geometry of a paper questionnaire: where every line of text and every tick box goes.

Computed once per unit × group from font metrics and drawn identically on every copy; the same
numbers go into the layout file, so the boxes a scanner looks for are exactly the boxes printed.
Positions are PDF points from the top-left corner of the page, rounded to 0.01 pt before use.
Pages are numbered from 1 within a copy. Nothing here writes files or knows about serials.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from formkit.fonts import STYLES, SerifFont, find_serif_font
from formkit.settings import Settings
from formkit.survey.questionnaire import RespondentGroup, Survey
from formkit.units import Unit

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = round(A4[0], 2), round(A4[1], 2)
MARKER, MARKER_INSET = round(6 * MM, 2), round(8 * MM, 2)
LEFT, RIGHT = round(20 * MM, 2), round(PAGE_WIDTH - 15 * MM, 2)
TOP, BOTTOM = round(17 * MM, 2), round(PAGE_HEIGHT - 20 * MM, 2)
QR_SIZE = round(24 * MM, 2)
QR_RECT = (round(RIGHT - QR_SIZE, 2), TOP, QR_SIZE, QR_SIZE)
SERIAL_BASELINE = round(TOP + QR_SIZE + 5 * MM, 2)  # serial text under the QR, right-aligned
BODY_TOP = round(SERIAL_BASELINE + 6 * MM, 2)
FOOTER_BASELINE = round(PAGE_HEIGHT - 11 * MM, 2)
BOX = round(4 * MM, 2)  # every tick box is a square of this side
BOX_LINE = 0.9
BOX_GAP, COLUMN_GAP, ROW_GAP = 5.0, 8.0, 5.0
INDENT = 18.0
SIZE, SMALL, TITLE_SIZE = 12.0, 10.0, 13.0
CAP_HEIGHT = 0.655  # of Times New Roman / Liberation Serif, in em: centres a label on its box

REGULAR, BOLD, ITALIC, BOLD_ITALIC = "FK-Serif", "FK-Serif-Bold", "FK-Serif-Italic", \
    "FK-Serif-BoldItalic"
CLOSING = "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà!"
DEFAULT_INSTRUCTIONS = "Ông/Bà vui lòng đánh dấu (X) vào một ô phù hợp nhất cho mỗi câu hỏi."

Rect = tuple[float, float, float, float]  # x, y (top-left), width, height


@dataclass(frozen=True)
class TextOp:
    x: float
    y: float  # baseline
    text: str
    font: str
    size: float


@dataclass(frozen=True)
class BoxOp:
    rect: Rect


@dataclass(frozen=True)
class LineOp:
    x1: float
    y1: float
    x2: float
    dotted: bool = False


Op = TextOp | BoxOp | LineOp


@dataclass(frozen=True)
class TickBox:
    kind: str  # "question" or "respondent"
    owner: str  # question code or respondent field code
    option: str  # option code; for a respondent field, the option's number from 1
    text: str
    page: int
    rect: Rect


@dataclass(frozen=True)
class PaperLayout:
    pages: tuple[tuple[Op, ...], ...]  # static content of each page of one copy
    boxes: tuple[TickBox, ...]

    @property
    def pages_per_copy(self) -> int:
        return len(self.pages)

    def geometry(self) -> dict:
        """The machine-readable part of the layout file (no serials: the same for every copy)."""
        return {"units": "pt", "origin": "top-left", "page_size": [PAGE_WIDTH, PAGE_HEIGHT],
                "pages_per_copy": self.pages_per_copy, "markers": [list(r) for r in marker_rects()],
                "qr": list(QR_RECT), "box_size": BOX,
                "respondent_fields": _owners(b for b in self.boxes if b.kind == "respondent"),
                "questions": _owners(b for b in self.boxes if b.kind == "question")}


def marker_rects() -> tuple[Rect, ...]:
    """Four filled squares at the same place on every page, for aligning scans."""
    far_x, far_y = round(PAGE_WIDTH - MARKER_INSET - MARKER, 2), round(PAGE_HEIGHT - MARKER_INSET
                                                                       - MARKER, 2)
    return tuple((x, y, MARKER, MARKER) for y in (MARKER_INSET, far_y) for x in (MARKER_INSET, far_x))


def _owners(boxes) -> list[dict]:
    owners: dict[str, dict] = {}
    for box in boxes:
        entry = owners.setdefault(box.owner, {"code": box.owner, "page": box.page, "options": []})
        entry["options"].append({"code": box.option, "text": box.text, "box": list(box.rect)})
    return list(owners.values())


@dataclass
class _Block:
    """Content kept together on one page; y is relative to the block's top."""

    height: float = 0.0
    ops: list[Op] = field(default_factory=list)
    boxes: list[tuple[str, str, str, str, Rect]] = field(default_factory=list)
    gap_before: float = 0.0

    def extend(self, other: _Block, gap: float) -> _Block:
        shift = self.height + gap if self.ops else 0.0
        self.ops += [_moved(op, shift) for op in other.ops]
        self.boxes += [(*b[:4], _shifted(b[4], shift)) for b in other.boxes]
        self.height = shift + other.height
        return self


def _shifted(rect: Rect, dy: float) -> Rect:
    return rect[0], round(rect[1] + dy, 2), rect[2], rect[3]


def _moved(op: Op, dy: float) -> Op:
    if isinstance(op, TextOp):
        return TextOp(op.x, round(op.y + dy, 2), op.text, op.font, op.size)
    if isinstance(op, BoxOp):
        return BoxOp(_shifted(op.rect, dy))
    return LineOp(op.x1, round(op.y1 + dy, 2), op.x2, op.dotted)


def register_fonts(font: SerifFont | None = None) -> SerifFont:
    """Find the serif font (or use the one given) and register its four styles under our names.

    Layout measures text with them, so measurements cached for another font are dropped.
    """
    font = font or find_serif_font()
    for name, style in zip((REGULAR, BOLD, ITALIC, BOLD_ITALIC), STYLES, strict=True):
        path = str(font.path(style))
        if _REGISTERED.get(name) != path:
            pdfmetrics.registerFont(TTFont(name, path))
            _REGISTERED[name] = path
            width_of.cache_clear()
            _BODIES.clear()
    return font


_REGISTERED: dict[str, str] = {}  # our font name -> file, as registered with reportlab


@functools.lru_cache(maxsize=1 << 16)
def width_of(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def wrap(runs: Sequence[tuple[str, str]], size: float, width: float
         ) -> list[list[tuple[float, str, str]]]:
    """Greedy word wrap of (text, font) runs; each line is a list of (x offset, text, font)."""
    words = [(word, font) for text, font in runs for word in text.split()]
    lines: list[list[tuple[float, str, str]]] = [[]]
    x = 0.0
    for word, font in words:
        space = width_of(" ", font, size) if lines[-1] else 0.0
        if lines[-1] and x + space + width_of(word, font, size) > width:
            lines.append([])
            x, space = 0.0, 0.0
        lines[-1].append((x + space, word, font))
        x += space + width_of(word, font, size)
    return [_merged(line, size) for line in lines if line]


def _merged(line: list[tuple[float, str, str]], size: float) -> list[tuple[float, str, str]]:
    """Consecutive words of one font become one string, so text extracts as written."""
    merged: list[tuple[float, str, str]] = []
    for x, word, font in line:
        if merged and merged[-1][2] == font:
            merged[-1] = (merged[-1][0], merged[-1][1] + " " + word, font)
        else:
            merged.append((x, word, font))
    return merged


def paragraph(runs: Sequence[tuple[str, str]], size: float, x: float, width: float,
              align: str = "left", gap_before: float = 0.0) -> _Block:
    leading = round(size * 1.25, 2)
    block = _Block(gap_before=gap_before)
    for number, line in enumerate(wrap(runs, size, width)):
        line_width = line[-1][0] + width_of(line[-1][1], line[-1][2], size)
        offset = (width - line_width) / 2 if align == "center" else 0.0
        baseline = round(size + number * leading, 2)
        block.ops += [TextOp(round(x + offset + dx, 2), baseline, text, font, size)
                      for dx, text, font in line]
        block.height = round(number * leading + size * 1.3, 2)
    return block


def columns_for(texts: Sequence[str], width: float, size: float) -> int:
    """The most equal columns in which every option label fits on one line (at least one)."""
    for count in range(min(len(texts), 6), 1, -1):
        label_width = width / count - BOX - BOX_GAP - COLUMN_GAP
        if all(width_of(t, REGULAR, size) <= label_width for t in texts):
            return count
    return 1


def single_row(texts: Sequence[str], width: float, size: float) -> list[float] | None:
    """x offsets that put every option on one line (equal columns if they fit), or None."""
    widths = [BOX + BOX_GAP + width_of(t, REGULAR, size) for t in texts]
    if columns_for(texts, width, size) == len(texts):
        return [i * width / len(texts) for i in range(len(texts))]
    spare = width - sum(widths)
    if len(texts) < 2 or spare < 2 * COLUMN_GAP * (len(texts) - 1):
        return None
    gap = min(spare / (len(texts) - 1), 4 * COLUMN_GAP)
    return [sum(widths[:i]) + i * gap for i in range(len(texts))]


def option_grid(kind: str, owner: str, options: Sequence[tuple[str, str]], x: float,
                width: float, size: float = SIZE) -> _Block:
    """A tick box per option: on one line when they fit, else in equal columns (labels wrap
    only when a single column is too narrow)."""
    texts = [text for _, text in options]
    offsets = single_row(texts, width, size)
    count = len(options) if offsets else columns_for(texts, width, size)
    column = width / count
    offsets = offsets or [i * column for i in range(count)]
    block, y = _Block(), 0.0
    for start in range(0, len(options), count):
        row_height = BOX
        for index, (code, text) in enumerate(options[start:start + count]):
            left = round(x + offsets[index], 2)
            rect = (left, round(y, 2), BOX, BOX)
            block.ops.append(BoxOp(rect))
            block.boxes.append((kind, owner, code, text, rect))
            label_width = (width - offsets[index] if count == len(options)
                           else column - COLUMN_GAP) - BOX - BOX_GAP
            label = paragraph([(text, REGULAR)], size, left + BOX + BOX_GAP, label_width)
            first_baseline = BOX / 2 + CAP_HEIGHT * size / 2
            block.ops += [_moved(op, round(y + first_baseline - size, 2)) for op in label.ops]
            row_height = max(row_height, first_baseline - size + label.height)
        y += row_height + ROW_GAP
    block.height = round(y - ROW_GAP, 2)
    return block


def questionnaire_layout(settings: Settings, survey: Survey, unit: Unit,
                         group: RespondentGroup) -> PaperLayout:
    """Lay out one copy; every copy of this unit × group is drawn from the result."""
    blocks = [*_opening(settings, unit, group), *_body(survey, group)]
    pages, boxes = _place(blocks)
    pages[0][:0] = _first_page_header(settings)
    for page in pages[1:]:
        page[:0] = _next_page_header(group)
    return PaperLayout(tuple(tuple(p) for p in pages), tuple(boxes))


def _body(survey: Survey, group: RespondentGroup) -> list[_Block]:
    """Respondent details, questions and closing: the same for every unit, so built once per
    questionnaire (placing blocks never changes them)."""
    key = (survey.content_hash, group.code)
    if key not in _BODIES:
        _BODIES[key] = [*_respondent_blocks(group),
                        *_question_blocks(survey, group, numbered=bool(group.respondent_fields)),
                        paragraph([(CLOSING, BOLD_ITALIC)], SIZE, LEFT, RIGHT - LEFT, "center", 14.0)]
    return _BODIES[key]


_BODIES: dict[tuple[str, str], list[_Block]] = {}


def _first_page_header(settings: Settings) -> list[Op]:
    campaign, width = settings.campaign, 85 * MM
    lines = [(campaign.parent_body.upper(), REGULAR), (campaign.issuing_body.upper(), BOLD)]
    ops: list[Op] = []
    for number, (text, font) in enumerate(line for line in lines if line[0]):
        offset = max(0.0, (width - width_of(text, font, SIZE)) / 2)
        ops.append(TextOp(round(LEFT + offset, 2), round(TOP + 12 + number * 15, 2), text, font,
                          SIZE))
    rule_y = round(TOP + 12 + (len(ops) - 1) * 15 + 6, 2)
    ops.append(LineOp(round(LEFT + width / 2 - 40, 2), rule_y, round(LEFT + width / 2 + 40, 2)))
    return ops


def _next_page_header(group: RespondentGroup) -> list[Op]:
    return [TextOp(LEFT, round(TOP + 12, 2), f"Phiếu khảo sát (tiếp theo): {group.name}", ITALIC,
                   SMALL)]


def _opening(settings: Settings, unit: Unit, group: RespondentGroup) -> list[_Block]:
    width = RIGHT - LEFT
    title = group.title or f"PHIẾU KHẢO SÁT (DÀNH CHO {group.name.upper()})"
    head = paragraph([(title, BOLD)], TITLE_SIZE, LEFT, width, "center")
    head.extend(paragraph([("Đơn vị được đánh giá:", BOLD), (unit.document_name, REGULAR)],
                          SIZE, LEFT, width), 8.0)
    head.extend(paragraph([("Nhóm đối tượng khảo sát:", BOLD), (group.name, REGULAR)], SIZE,
                          LEFT, width), 2.0)
    instructions = paragraph([("Hướng dẫn:", BOLD_ITALIC),
                              (group.instructions or DEFAULT_INSTRUCTIONS, ITALIC)], SIZE, LEFT,
                             width, gap_before=8.0)
    return [head, instructions]


def _heading(text: str) -> _Block:
    return paragraph([(text, BOLD)], SIZE, LEFT, RIGHT - LEFT)


def _respondent_blocks(group: RespondentGroup) -> list[_Block]:
    blocks = []
    for number, fld in enumerate(group.respondent_fields, start=1):
        label = paragraph([(f"{number}. {fld.text}:", REGULAR)], SIZE, LEFT + INDENT / 2,
                          RIGHT - LEFT - INDENT / 2)
        if fld.options:
            grid = option_grid("respondent", fld.code,
                               [(str(i), text) for i, text in enumerate(fld.options, start=1)],
                               LEFT + INDENT, RIGHT - LEFT - INDENT)
            label.extend(grid, 4.0)
        else:
            last = [op for op in label.ops if isinstance(op, TextOp)][-1]
            start = round(last.x + width_of(last.text, last.font, SIZE) + 4, 2)
            label.ops.append(LineOp(start, round(last.y + 2, 2), RIGHT, dotted=True))
        label.gap_before = 6.0
        blocks.append(label)
    if blocks:
        blocks[0] = _heading("I. THÔNG TIN VỀ NGƯỜI TRẢ LỜI").extend(blocks[0], 6.0)
        blocks[0].gap_before = 12.0
    return blocks


def _question_blocks(survey: Survey, group: RespondentGroup, numbered: bool) -> list[_Block]:
    blocks = []
    for number, question in enumerate(group.questions, start=1):
        block = paragraph([(f"Câu {number}.", BOLD), (question.text, REGULAR)], SIZE, LEFT,
                          RIGHT - LEFT, gap_before=9.0)
        options = [(o.code, o.text) for o in survey.scale(question.scale).options]
        block.extend(option_grid("question", question.code, options, LEFT + INDENT,
                                 RIGHT - LEFT - INDENT), 5.0)
        blocks.append(block)
    if blocks:
        heading = "II. Ý KIẾN ĐÁNH GIÁ CỦA ÔNG/BÀ" if numbered else "Ý KIẾN ĐÁNH GIÁ CỦA ÔNG/BÀ"
        blocks[0] = _heading(heading).extend(blocks[0], 6.0)
        blocks[0].gap_before = 12.0
    return blocks


def _place(blocks: list[_Block]) -> tuple[list[list[Op]], list[TickBox]]:
    """Stack blocks down the pages; a block that does not fit starts the next page."""
    pages: list[list[Op]] = [[]]
    boxes: list[TickBox] = []
    y = BODY_TOP
    for block in blocks:
        top = y + block.gap_before if pages[-1] else y
        if top + block.height > BOTTOM and pages[-1]:
            pages.append([])
            top = BODY_TOP
        pages[-1] += [_moved(op, round(top, 2)) for op in block.ops]
        boxes += [TickBox(kind, owner, option, text, len(pages), _shifted(rect, round(top, 2)))
                  for kind, owner, option, text, rect in block.boxes]
        y = top + block.height
    return pages, boxes

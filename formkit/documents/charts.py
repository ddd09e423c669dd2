"""Charts of the synthesis report as PNG images: ranking bars, per-area means, year-on-year change.

Drawn with matplotlib's Agg canvas (no GUI, no pyplot state) in the Times New Roman-compatible
font that formkit.fonts finds, so every Vietnamese letter has a glyph. The PNG bytes depend only on
the data (no software tag, fixed size and dpi): the same results give the same documents.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from formkit.fonts import FontNotFoundError, find_serif_font
from formkit.text import format_number

DPI = 150
WIDTH_MM = 160  # the text width of an A4 page with Decree 30 margins (210 - 30 - 20)
BAR = "#2f5597"
GAIN, LOSS = "#2e7d32", "#c62828"
FALLBACK_FAMILY = "DejaVu Serif"  # ships with matplotlib and covers Vietnamese


@dataclass(frozen=True)
class Chart:
    """A PNG image and the width it is set at in the document."""

    png: bytes
    width_mm: float = WIDTH_MM


@functools.cache
def chart_font() -> str:
    """Register the serif font files with matplotlib once; return the family name to draw with."""
    try:
        font = find_serif_font()
    except FontNotFoundError:
        return FALLBACK_FAMILY
    for style in ("regular", "bold", "italic", "bold_italic"):
        font_manager.fontManager.addfont(str(font.path(style)))
    return font.family


def ranking_chart(bars: Sequence[tuple[str, Decimal]], axis: str = "Tổng điểm (điểm)") -> Chart:
    """Horizontal bars, highest at the top, each labelled with its value ('92,76'). Charts carry no
    title: the document's caption ("Biểu đồ 1. …") names them, in full and numbered."""
    labels = [label for label, _ in bars]
    values = [float(v) for _, v in bars]
    texts = [format_number(v) for _, v in bars]
    return _barh(labels, values, texts, [BAR] * len(bars), axis)


def area_chart(bars: Sequence[tuple[str, Decimal]]) -> Chart:
    """Mean % of the applicable maximum per area, in catalogue order (first area at the top)."""
    labels = [textwrap.fill(label, 42) for label, _ in bars]
    values = [float(v) for _, v in bars]
    texts = [format_number(v) + "%" for _, v in bars]
    return _barh(labels, values, texts, [BAR] * len(bars), "Tỷ lệ điểm đạt so với điểm tối đa (%)",
                 limit=100)


def change_chart(bars: Sequence[tuple[str, Decimal]]) -> Chart:
    """Change of the total since the previous year; gains green, losses red, signed labels."""
    labels = [label for label, _ in bars]
    values = [float(v) for _, v in bars]
    texts = [("+" if v > 0 else "") + format_number(v) for _, v in bars]
    colours = [GAIN if v >= 0 else LOSS for v in values]
    return _barh(labels, values, texts, colours, "Thay đổi tổng điểm so với năm trước (điểm)")


def _barh(labels: list[str], values: list[float], texts: list[str], colours: list[str],
          xlabel: str, limit: float | None = None) -> Chart:
    lines = sum(label.count("\n") + 1 for label in labels)
    height_in = 0.8 + 0.17 * max(lines, 3) + 0.06 * len(labels)
    width_in = WIDTH_MM / 25.4
    with rc_context({"font.family": chart_font(), "font.size": 9}):
        figure = Figure(figsize=(width_in, height_in), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(values)))[::-1]  # first item at the top
        axes.barh(positions, values, color=colours, height=0.7)
        axes.set_yticks(positions, labels)
        axes.set_xlabel(xlabel)
        low, high = min([0.0, *values]), max([0.0, *values])
        span = (high - low) or 1.0
        axes.set_xlim(low - (0.14 * span if low < 0 else 0), max(high + 0.14 * span, limit or 0))
        for y, value, text in zip(positions, values, texts, strict=True):
            axes.text(value + (0.01 if value >= 0 else -0.01) * span, y, text, va="center",
                      ha="left" if value >= 0 else "right", fontsize=8)
        axes.axvline(0, color="black", linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        axes.xaxis.set_major_formatter(lambda x, _: format_number(x, 0))
        _margins(figure, axes, height_in)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None},
                       pil_kwargs={"compress_level": 1})  # faster, and no larger for flat colours
    return Chart(buffer.getvalue())


def _margins(figure: Figure, axes, height_in: float) -> None:
    """Room for the longest unit name, the title and the axis label (tight_layout draws twice)."""
    renderer = figure.canvas.get_renderer()
    names = max(label.get_window_extent(renderer).width for label in axes.get_yticklabels())
    figure.subplots_adjust(left=(names + 24) / (figure.get_figwidth() * DPI), right=0.97,
                           top=1 - 0.1 / height_in, bottom=0.5 / height_in)

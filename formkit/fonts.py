"""A Times New Roman-compatible serif font with every Vietnamese glyph, found on this machine.

Administrative documents are set in Times New Roman. Windows and macOS ship it; on Linux its
metric twin Liberation Serif 2 (Debian fonts-liberation2) has every Vietnamese letter, while the
older Liberation 1.07 lacks ư, ắ, ệ, ừ. So every candidate is checked glyph by glyph: a font that
would silently print boxes instead of letters is never chosen.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from formkit.errors import FormkitError

STYLES = ("regular", "bold", "italic", "bold_italic")
_LOWER = ("aăâbcdđeêghiklmnoôơpqrstuưvxy"
          "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
VIETNAMESE = _LOWER + _LOWER.upper()
REQUIRED_TEXT = VIETNAMESE + "0123456789 .,;:!?()[]/-–—…“”‘’'\"%·×□"
FONT_DIR_ENV = "FORMKIT_FONT_DIR"

# (family, file names per style): Windows names, macOS names, msttcorefonts names, Liberation.
FAMILIES: tuple[tuple[str, dict[str, tuple[str, ...]]], ...] = (
    ("Times New Roman", {
        "regular": ("times.ttf", "Times New Roman.ttf", "Times_New_Roman.ttf"),
        "bold": ("timesbd.ttf", "Times New Roman Bold.ttf", "Times_New_Roman_Bold.ttf"),
        "italic": ("timesi.ttf", "Times New Roman Italic.ttf", "Times_New_Roman_Italic.ttf"),
        "bold_italic": ("timesbi.ttf", "Times New Roman Bold Italic.ttf",
                        "Times_New_Roman_Bold_Italic.ttf")}),
    ("Liberation Serif", {
        "regular": ("LiberationSerif-Regular.ttf",), "bold": ("LiberationSerif-Bold.ttf",),
        "italic": ("LiberationSerif-Italic.ttf",), "bold_italic": ("LiberationSerif-BoldItalic.ttf",)}),
)


class FontNotFoundError(FormkitError):
    """No suitable font is installed; the message says how to install one."""


@dataclass(frozen=True)
class SerifFont:
    family: str
    regular: Path
    bold: Path
    italic: Path
    bold_italic: Path

    def path(self, style: str) -> Path:
        return getattr(self, style)


def font_dirs() -> list[Path]:
    """Where fonts live on Windows, macOS and Linux, the FORMKIT_FONT_DIR override first."""
    dirs = [Path(os.environ[FONT_DIR_ENV])] if os.environ.get(FONT_DIR_ENV) else []
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
        if os.environ.get("LOCALAPPDATA"):
            dirs.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
    elif sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts/Supplemental"), Path("/Library/Fonts"),
                 Path.home() / "Library" / "Fonts"]
    else:
        dirs += [Path("/usr/share/fonts/truetype/msttcorefonts"),
                 Path("/usr/share/fonts/truetype/liberation2"),
                 Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/liberation-serif"),
                 Path("/usr/share/fonts/liberation"), Path("/usr/share/fonts/TTF"),
                 Path.home() / ".local" / "share" / "fonts", Path.home() / ".fonts"]
    return dirs


def find_serif_font(dirs: list[Path] | None = None) -> SerifFont:
    """The first family found with regular, bold and italic files that cover Vietnamese.

    With no dirs given, the usual font folders are searched, then fontconfig where it exists.
    """
    use_fontconfig = dirs is None
    dirs = font_dirs() if dirs is None else dirs
    for family, names in FAMILIES:
        files = {style: _first_good([d / n for d in dirs for n in names[style]])
                 for style in STYLES}
        if use_fontconfig and not all(files[s] for s in STYLES[:3]):
            files = _from_fontconfig(family, files)
        if all(files[s] for s in STYLES[:3]):
            return SerifFont(family, files["regular"], files["bold"], files["italic"],
                             files["bold_italic"] or files["bold"])
    raise FontNotFoundError(
        "Không tìm thấy phông chữ Times New Roman hoặc Liberation Serif có đủ chữ tiếng Việt "
        "(thường, đậm, nghiêng) để tạo phiếu PDF. Trên Windows và macOS: cài phông Times New Roman; "
        "trên Debian/Ubuntu: sudo apt install fonts-liberation2 (gói fonts-liberation cũ thiếu "
        f"các chữ ư, ắ, ệ, ừ); hoặc đặt biến môi trường {FONT_DIR_ENV} là thư mục chứa các tệp "
        "phông (times.ttf, timesbd.ttf, timesi.ttf).")


def _first_good(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.is_file() and not missing_glyphs(p)), None)


def _from_fontconfig(family: str, files: dict[str, Path | None]) -> dict[str, Path | None]:
    """Fill missing styles from fc-list (Linux, BSD) when fontconfig is installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return files
    try:
        listing = subprocess.run([fc_list, f":family={family}", "file", "style"],
                                 capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return files
    found = dict(files)
    for line in sorted(listing.splitlines()):
        path, _, style = line.partition(":")
        words = style.lower()
        key = ("bold_italic" if "bold" in words and "italic" in words else "bold" if "bold" in words
               else "italic" if "italic" in words else "regular")
        if found[key] is None and path.endswith(".ttf") and not missing_glyphs(Path(path)):
            found[key] = Path(path)
    return found


@functools.lru_cache(maxsize=64)
def missing_glyphs(path: Path) -> str:
    """The characters of REQUIRED_TEXT the font has no glyph for ('' when it has all)."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    try:
        cmap = TTFontFile(str(path)).charToGlyph
    except Exception:  # a damaged or unsupported font file is simply not a candidate
        return REQUIRED_TEXT
    return "".join(c for c in dict.fromkeys(REQUIRED_TEXT) if ord(c) not in cmap)

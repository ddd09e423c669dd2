"""Where the shipped data lives: inside the installed package, or beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def templates_root() -> Path:
    """The form_templates folder (catalogues, questionnaires, units, examples)."""
    for candidate in (_PACKAGE_DIR / "_data" / "form_templates",
                      _PACKAGE_DIR.parent / "form_templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("form_templates not found beside or inside the formkit package")


def example_names() -> list[str]:
    return sorted(p.stem for p in (templates_root() / "examples").glob("*.yaml"))


def report_templates_root() -> Path:
    """The shipped Word templates of the documents (report_templates/README.md)."""
    for candidate in (_PACKAGE_DIR / "_data" / "report_templates",
                      _PACKAGE_DIR.parent / "report_templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("report_templates not found beside or inside the formkit package")

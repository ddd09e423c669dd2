"""Where the shipped data lives: inside the installed package, or beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    """A data folder: inside the installed wheel (formkit/_data) or beside the package in a checkout."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name} not found beside or inside the formkit package")


def templates_root() -> Path:
    """The form_templates folder (catalogues, questionnaires, units, examples)."""
    return _bundled("form_templates")


def example_names() -> list[str]:
    return sorted(p.stem for p in (templates_root() / "examples").glob("*.yaml"))


def report_templates_root() -> Path:
    """The shipped Word templates of the documents (report_templates/README.md)."""
    return _bundled("report_templates")

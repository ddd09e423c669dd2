"""LibreOffice, found on Linux, Windows or macOS, and used headless to convert files.

Each conversion runs with its own throw-away user profile, so conversions never collide with a
LibreOffice the user has open, nor with each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from formkit.errors import FormkitError

CANDIDATES = (
    Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "LibreOffice/program/soffice.exe",
    Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
    / "LibreOffice/program/soffice.exe",
    Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
)


def find_libreoffice() -> Path | None:
    """The soffice executable: FORMKIT_SOFFICE, then PATH, then the usual install folders."""
    configured = os.environ.get("FORMKIT_SOFFICE")
    if configured and Path(configured).is_file():
        return Path(configured)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((path for path in CANDIDATES if path.is_file()), None)


def convert(source: Path, target_format: str, out_dir: Path, timeout: float = 180) -> Path:
    """Convert `source` (e.g. to "pdf" or "xlsx") into out_dir; return the new file's path."""
    converted, failed = convert_many([source], target_format, out_dir, timeout)
    if failed:
        raise FormkitError(failed[0][1])
    return converted[0]


def convert_many(sources: list[Path], target_format: str, out_dir: Path, timeout: float = 600
                 ) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Convert many files into out_dir with one LibreOffice start: (new files, [(source, why)]).

    Starting LibreOffice costs about 2 s, converting a short document a fraction of that, so a
    batch of documents shares one process.
    """
    soffice = find_libreoffice()
    if soffice is None:
        raise FormkitError("Không tìm thấy LibreOffice. Cài LibreOffice (https://www.libreoffice.org) "
                           "hoặc đặt biến môi trường FORMKIT_SOFFICE trỏ tới soffice.")
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = [out_dir / f"{source.stem}.{target_format.split(':')[0]}" for source in sources]
    for target in targets:
        target.unlink(missing_ok=True)  # a file left by an earlier run must not pass for a new one
    with tempfile.TemporaryDirectory(prefix="formkit-lo-") as profile:
        command = [str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                   "--norestore", "--convert-to", target_format, "--outdir", str(out_dir),
                   *(str(source) for source in sources)]
        why = f"LibreOffice không chuyển được {{}} sang {target_format}."
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:  # what was converted in time is kept
            why = f"LibreOffice không chuyển xong {{}} sau {timeout:.0f} giây."
    converted = [target for target in targets if target.is_file()]
    failed = [(source, why.format(source.name))
              for source, target in zip(sources, targets, strict=True) if not target.is_file()]
    return converted, failed

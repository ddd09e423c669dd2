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
    soffice = find_libreoffice()
    if soffice is None:
        raise FormkitError("Không tìm thấy LibreOffice. Cài LibreOffice (https://www.libreoffice.org) "
                           "hoặc đặt biến môi trường FORMKIT_SOFFICE trỏ tới soffice.")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="formkit-lo-") as profile:
        command = [str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                   "--norestore", "--convert-to", target_format, "--outdir", str(out_dir),
                   str(source)]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise FormkitError(f"LibreOffice không chuyển xong {source.name} sau {timeout:.0f} "
                               "giây.") from exc
    target = out_dir / f"{source.stem}.{target_format.split(':')[0]}"
    if not target.is_file():
        raise FormkitError(f"LibreOffice không chuyển được {source.name} sang {target_format}.")
    return target

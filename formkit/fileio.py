"""Atomic file writes: a reader never sees half a file, a crash never leaves one.

Each write goes to a temporary file beside the target (".<name>.<random>.tmp"), is flushed to
disk and renamed over the target. The temporary file is created with mode 0666 less the umask,
as any program's output is, so a second clerk's account in the same group reads the forms when
the umask allows it (the secret key is written elsewhere, owner-only). A process killed mid-write
leaves its temporary file behind; `remove_stale_temp_files` clears those once they are old enough
that no running writer can still own them.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
STALE_AFTER_SECONDS = 3600.0  # a temp file untouched this long belongs to no running write
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# ".<target name>.<random>.tmp": ours (hex), or tempfile.mkstemp's (older formkit versions).
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8,}\.tmp$")


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over path.

    The new file's mode is 0666 less the umask (the kernel applies it at creation, no umask is
    read or changed), or exactly `mode` when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)  # on Windows only the read-only flag: harmless
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _create_temp(path: Path) -> tuple[int, Path]:
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            return os.open(temp, _CREATE_FLAGS, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def remove_stale_temp_files(folder: Path, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove temporary files that atomic writes killed midway left in `folder` (recursively),
    if not modified for `older_than` seconds: a younger one may belong to a write still running.
    Links are neither followed nor removed; a file that cannot be removed is left alone."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    cutoff = time.time() - older_than
    for dirpath, _dirnames, filenames in os.walk(folder):  # os.walk does not follow links
        for name in filenames:
            if not _TEMP_NAME.match(name):
                continue
            candidate = Path(dirpath) / name
            try:
                info = candidate.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    candidate.unlink()
                    removed.append(candidate)
            except OSError:
                continue  # gone already, or not ours to remove
    return removed


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

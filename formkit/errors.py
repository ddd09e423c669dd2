"""Exceptions for formkit's own failures and for unusable configuration.

Problems in users' data are findings, not exceptions; an exception here means a command cannot
go on at all (exit code 2 in the CLI). `environment_error` tells a failure of the machine (disk full,
read-only, locked: exit 2 too) from a bug in formkit (exit 3, traceback kept by `write_error_log`).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formkit.findings import Finding


class FormkitError(Exception):
    """A failure the user can act on; the message is Vietnamese and says what to do."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = list(findings)


class InvalidDataError(FormkitError):
    """A data file (catalogue, questionnaire, units, settings) has errors and cannot be used."""


class WorkspaceError(FormkitError):
    """The workspace is missing, incomplete or inconsistent."""


class LedgerError(FormkitError):
    """The ledger cannot be opened or migrated."""


# ---- what the environment did, told apart from what formkit got wrong

_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_READ_ONLY = (errno.EROFS,)
_DENIED = (errno.EACCES, errno.EPERM)
_LOCKED = (errno.EBUSY, errno.ETXTBSY, getattr(errno, "EDEADLK", errno.EBUSY))
_RERUN = "chạy lại lệnh"
_PATH_NAMES = ("path", "target", "destination", "dest", "tmp", "temp", "filename", "file")


def _path_of(exc: OSError, fallback: Path | None) -> str:
    """The file an OSError is about: its filename, else the innermost frame's local that names a
    file (a write() on a descriptor carries no name), else the fallback folder."""
    if exc.filename or exc.filename2:
        return str(exc.filename or exc.filename2)
    tb, found = exc.__traceback__, None
    while tb is not None:
        for name in _PATH_NAMES:
            value = tb.tb_frame.f_locals.get(name)
            if isinstance(value, Path) or (isinstance(value, str) and "/" in value):
                found = str(value)
                break
        tb = tb.tb_next
    if found:
        return found
    return f"tệp trong thư mục {fallback}" if fallback else "(không rõ tệp)"


def environment_error(exc: BaseException, workspace: Path | None = None) -> FormkitError | None:
    """The Vietnamese message for a failure of the machine rather than of formkit (disk full,
    read-only disk, no permission, file locked), naming the path and what to do; None for anything
    else (a bug). `workspace` is named when the error carries no file name."""
    if isinstance(exc, OSError) and exc.errno is not None:
        where = _path_of(exc, workspace)
        if exc.errno in _FULL:
            return FormkitError(f"Ổ đĩa đã đầy, không ghi được {where}. Giải phóng chỗ trống trên "
                                f"ổ đĩa (hoặc chuyển thư mục đợt đánh giá sang ổ khác) rồi {_RERUN}.")
        if exc.errno in _READ_ONLY:
            return FormkitError(f"Không ghi được {where}: ổ đĩa hoặc thư mục này chỉ cho phép đọc. "
                                f"Chọn thư mục đợt đánh giá trên ổ ghi được (hoặc nhờ quản trị mạng "
                                f"mở quyền ghi) rồi {_RERUN}.")
        if exc.errno in _DENIED:
            return FormkitError(f"Không ghi hoặc xóa được {where}: tệp đang mở trong chương trình "
                                "khác (Excel, Word) hoặc tài khoản này không có quyền ghi. Đóng tệp "
                                f"hoặc xin cấp quyền ghi thư mục rồi {_RERUN}.")
        if exc.errno in _LOCKED:
            return FormkitError(f"Tệp {where} đang bị chương trình khác khóa. Đóng chương trình đó "
                                f"rồi {_RERUN}.")
        return None
    if isinstance(exc, sqlite3.OperationalError):
        where = workspace / "ledger.sqlite" if workspace else "ledger.sqlite"
        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            return FormkitError(f"Ổ đĩa đã đầy, không ghi được sổ theo dõi {where}. Giải phóng chỗ "
                                f"trống trên ổ đĩa rồi {_RERUN}.")
        if "readonly database" in text or "read-only" in text:
            return FormkitError(f"Không ghi được sổ theo dõi {where}: tệp hoặc ổ đĩa chỉ cho phép "
                                f"đọc. Mở quyền ghi cho tệp và thư mục chứa nó rồi {_RERUN}.")
        if "database is locked" in text or "database is busy" in text:
            return FormkitError(f"Sổ theo dõi {where} đang được một lệnh formkit khác hoặc chương "
                                "trình khác sử dụng (bị khóa). Chờ lệnh đó chạy xong (hoặc đóng "
                                f"chương trình) rồi {_RERUN}.")
        if "disk i/o error" in text or "unable to open database" in text:
            return FormkitError(f"Không đọc ghi được sổ theo dõi {where} (lỗi ổ đĩa hoặc không có "
                                f"quyền vào thư mục). Kiểm tra ổ đĩa và quyền rồi {_RERUN}.")
    return None


def write_error_log(folder: Path, exc: BaseException, argv: Sequence[str] = ()) -> Path | None:
    """Write the traceback of an unexpected exception to folder/formkit-error-<time>.log (or, when
    folder cannot be written, to the system's temporary folder); return the path written, None
    when nowhere could be written."""
    import datetime as dt
    import platform
    import tempfile
    import traceback

    from formkit import __version__

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"formkit {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
            f"time: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
            f"command: {' '.join(argv)}\ncwd: {Path.cwd()}\n\n"
            + "".join(traceback.format_exception(exc)))
    for base in (folder, Path(tempfile.gettempdir())):
        try:
            base.mkdir(parents=True, exist_ok=True)
            for n in range(1, 100):
                path = base / f"formkit-error-{stamp}{'' if n == 1 else f'-{n}'}.log"
                try:
                    with open(path, "x", encoding="utf-8") as handle:
                        handle.write(text)
                    return path
                except FileExistsError:
                    continue
        except OSError:
            continue
    return None

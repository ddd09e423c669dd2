"""The INPUT arguments of `formkit collect`, expanded into the files to receive, losing none.

Files and folders (recursive, in a stable order) become items; hidden files and Office lock files
("~$...") too, since the clerk gave them and the intake refuses them with a reason. An e-mail
message (.eml) becomes one item per attachment, forwarded messages inside it included, each with
the sender and date of the message that carried it. Whatever cannot become an item (a missing
path, an unreadable message, a message without attachments) becomes a finding, never an exception.

Only regular files are read: never a named pipe, a device or a socket (reading one blocks or
leaks), nor anything under /proc, /sys or /dev. Inside a folder given as input, a symbolic link
(or junction) that leads out of that folder is not followed: it becomes a finding, since what it
points at (/etc/passwd, a process's environment) is not what the clerk handed in. A link named
on the command line is followed to the regular file or folder it names.

A file name whose bytes are not UTF-8 (what unzipping a Windows archive on Linux gives) is shown
in a readable form (`readable`); the bytes themselves travel on the item for the ledger to keep.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import sys
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PurePosixPath

from formkit.findings import Code, Finding, Severity

__all__ = ["LINK_OUTSIDE", "MAIL_NO_ATTACHMENT", "InputItem", "expand_inputs", "read_regular",
           "readable"]

MAIL_NO_ATTACHMENT = "mail.no_attachment"
LINK_OUTSIDE = "file.link_outside"
LEGACY_NAME_ENCODING = "cp1258"  # Vietnamese Windows: what names in Windows-made archives use
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")  # bytes os.fsdecode could not decode
_SURROGATES = re.compile("[\ud800-\udfff]")
_PSEUDO_FILESYSTEMS = tuple(PurePosixPath(p) for p in ("/proc", "/sys", "/dev"))
EML_SUFFIX = ".eml"
HEAD_SIZE = 8192  # enough to see a message's first headers
MAX_NESTING = 10  # forwarded messages inside forwarded messages, deeper than any real mail
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9-]+:")
_MAIL_HEADERS = frozenset({b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"mime-version",
                           b"received", b"return-path", b"delivered-to", b"reply-to", b"sender",
                           b"content-type", b"x-mailer", b"dkim-signature"})
_BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched"})
_SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature",
                              "application/pgp-signature"})
_CID_REFERENCE = re.compile(r"cid:([^\s\"'<>)]+)", re.IGNORECASE)


@dataclass(frozen=True)
class InputItem:
    """One file to receive: a file on disk (read lazily) or an e-mail attachment (bytes)."""

    source: str  # resolved posix path, or "<eml path>#<n>/<attachment name>"
    name: str  # original file name, NFC
    data: bytes | None = field(default=None, repr=False)
    path: Path | None = None
    sender: str | None = None  # From addr-spec, lower-case
    sender_name: str | None = None
    sent_at: str | None = None  # Date header as UTC ISO 8601 (the ledger's timestamp form)
    message_id: str | None = None
    # The name's and the path's bytes as the file system holds them, kept only when they are
    # not UTF-8 (then `name` and `source` are their readable forms).
    raw_name: bytes | None = None
    raw_source: bytes | None = None

    def read(self) -> bytes:
        """The file's bytes; OSError for a file that vanished, cannot be read or is no regular
        file (any more)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"input {self.source!r} has neither bytes nor a path")
        return read_regular(self.path)


class NotRegularFile(OSError):
    """A path that is (now) a pipe, a device, a socket or a folder, not a file to read."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{readable(str(path))} không phải tệp thông thường")
        self.strerror = "không phải tệp thông thường (thiết bị, ống dẫn, ...)"


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (the first `limit` of them); anything else is refused without
    blocking: the file is opened non-blocking and checked after opening, so a file swapped for a
    pipe or a device between listing and reading is never read."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotRegularFile(path)
        return handle.read() if limit is None else handle.read(limit)


def readable(text: str) -> str:
    """A file name or path as a Vietnamese reader should see it, whatever bytes it is made of.

    Names that are not UTF-8 reach Python with each undecodable byte as a surrogate escape; each
    run of such bytes is read as Vietnamese Windows text (cp1258, what Windows archives hold),
    whatever cp1258 lacks becomes U+FFFD. Valid UTF-8 parts stay as they are. NFC, since cp1258
    writes tone marks as combining characters."""
    if not _SURROGATES.search(text):
        return text
    text = _ESCAPED_BYTES.sub(lambda m: m.group().encode("utf-8", "surrogateescape")
                              .decode(LEGACY_NAME_ENCODING, "replace"), text)
    return unicodedata.normalize("NFC", _SURROGATES.sub("\ufffd", text))


def _raw_bytes(text: str) -> bytes | None:
    """The file system's bytes for a name or path that is not valid text, else None."""
    if not _SURROGATES.search(text):
        return None
    return os.fsencode(text) if os.name != "nt" else text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class _Envelope:
    """Who sent a message and when: kept on each of its attachments."""

    sender: str | None = None
    sender_name: str | None = None
    sent_at: str | None = None
    message_id: str | None = None


def expand_inputs(paths: Iterable[Path]) -> tuple[list[InputItem], list[Finding]]:
    """Items in argument order (folders sorted by name), and findings for what is no item.

    A file reached twice (named twice, or through a folder and a symbolic link) is listed once;
    symbolic links to folders inside the given folder are followed, but never into a folder
    already walked (no loops); links leading out of the given folder are findings (see above).
    """
    walk = _Walk()
    for path in paths:
        walk.path(Path(path), None)
    return walk.items, walk.findings


@dataclass
class _Walk:
    items: list[InputItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seen_dirs: set[Path] = field(default_factory=set)
    seen_files: set[Path] = field(default_factory=set)

    def path(self, path: Path, top: Path | None) -> None:
        """One path; `top` is the real path of the input folder it was found in (None for a path
        given on the command line)."""
        shown = readable(str(path))
        try:
            real = Path(os.path.realpath(path))
            if top is not None and not real.is_relative_to(top):
                self.findings.append(_link_outside(path, real))
                return
            mode = path.stat().st_mode  # follows a link the clerk named, or one inside the folder
            if _is_pseudo(real):
                self.findings.append(Code.FILE_UNREADABLE(
                    file=shown, detail="tệp hệ thống, không phải biểu mẫu"))
            elif stat.S_ISDIR(mode):
                self.folder(path, real, top or real)
            elif stat.S_ISREG(mode):
                self.file(path, real)
            else:
                self.findings.append(Code.FILE_UNREADABLE(
                    file=shown, detail="không phải tệp thông thường (thiết bị, ống dẫn, ...)"))
        except FileNotFoundError:  # also a link pointing at nothing
            self.findings.append(Code.FILE_MISSING(file=shown))
        except (OSError, ValueError) as exc:  # a link loop, a name the system refuses
            self.findings.append(Code.FILE_UNREADABLE(file=shown, detail=_reason(exc)))

    def folder(self, folder: Path, real: Path, top: Path) -> None:
        if real in self.seen_dirs:
            return  # a link loop, or a folder given twice: its files are listed already
        self.seen_dirs.add(real)
        for entry in sorted(folder.iterdir(), key=_name_key):
            self.path(entry, top)

    def file(self, path: Path, real: Path) -> None:
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        if _is_message_file(real, path.suffix):
            items, findings = _message_items(real, path)
            self.items.extend(items)
            self.findings.extend(findings)
        else:
            name = _clean_name(readable(path.name)) or readable(path.name)
            self.items.append(InputItem(readable(real.as_posix()), name, path=real,
                                        raw_name=_raw_bytes(path.name),
                                        raw_source=_raw_bytes(real.as_posix())))


def _link_outside(path: Path, real: Path) -> Finding:
    name, target = readable(str(path)), readable(str(real))
    text = (f"Tệp '{name}' là liên kết tới '{target}' ngoài thư mục được đưa vào; không đọc. "
            "Nếu đó đúng là biểu đơn vị gửi, sao chép tệp vào thư mục rồi chạy lại.")
    return Finding(code=LINK_OUTSIDE, severity=Severity.ERROR, message=text, file=name)


def _is_pseudo(real: Path) -> bool:
    """A path inside /proc, /sys or /dev: never a returned file, always a risk to read."""
    if os.name == "nt" or sys.platform == "win32":
        return False
    pure = PurePosixPath(real.as_posix())
    return any(pure.is_relative_to(root) for root in _PSEUDO_FILESYSTEMS)


def _name_key(path: Path) -> tuple[str, str]:
    """Sort by the name as shown (NFC), then by its stored form, so the order never varies."""
    return unicodedata.normalize("NFC", path.name), path.name


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _is_message_file(path: Path, suffix: str) -> bool:
    """An .eml file (by the name it was given as), or any file whose content starts like an
    RFC 822 message."""
    try:
        head = read_regular(path, HEAD_SIZE)
    except OSError:
        return False  # received as a plain file; reading it later reports the problem
    if suffix.lower() == EML_SUFFIX:
        return not head.startswith(_BINARY_SIGNATURES) and b"\x00" not in head
    return _looks_like_message(head)


def _looks_like_message(head: bytes) -> bool:
    lines = head.lstrip(b"\r\n").splitlines()
    if len(head) == HEAD_SIZE:
        lines = lines[:-1]  # the last line may be cut short
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]  # an mbox separator line
    names: set[bytes] = set()
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header continues
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return len(names & _MAIL_HEADERS) >= 2


def _message_items(real: Path, path: Path) -> tuple[list[InputItem], list[Finding]]:
    """One item per attachment of the message in `real` (reached as `path`), or a finding saying
    why there is none."""
    shown = readable(str(path))
    try:
        data = read_regular(real)
    except OSError as exc:
        return [], [Code.FILE_UNREADABLE(file=shown, detail=_reason(exc))]
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        items = list(_attachments(message, readable(real.as_posix())))
    except Exception as exc:  # a malformed message is reported, never fatal
        detail = f"thư điện tử bị lỗi, không tách được tệp đính kèm ({type(exc).__name__})"
        return [], [Code.FILE_UNREADABLE(file=shown, detail=detail)]
    if not items:
        return [], [_no_attachment(shown, message)]
    return items, []


def _no_attachment(path: str, message: Message) -> Finding:
    subject = _header_text(message, "Subject") or "(không có tiêu đề)"
    envelope = _envelope(message)
    sender = f" của {envelope.sender}" if envelope.sender else ""
    text = (f"Thư '{subject}'{sender} không có tệp đính kèm nên không có tệp nào để nhận. Kiểm tra "
            "lại thư; nếu đơn vị quên đính kèm, đề nghị đơn vị gửi lại kèm tệp biểu mẫu.")
    return Finding(code=MAIL_NO_ATTACHMENT, severity=Severity.WARNING, message=text, file=path)


def _attachments(message: Message, prefix: str) -> Iterator[InputItem]:
    """The message's files in order, numbered 1, 2, ... so that each source is stable."""
    referenced = _referenced_content_ids(message)
    number = itertools.count(1)
    for part, envelope in _leaves(message, _envelope(message), "", 0):
        if _is_body(part) or _is_embedded_image(part, referenced):
            continue
        n = next(number)
        name = _attachment_name(part) or f"attachment-{n}"
        yield InputItem(f"{prefix}#{n}/{name}", name, data=_payload(part), sender=envelope.sender,
                        sender_name=envelope.sender_name, sent_at=envelope.sent_at,
                        message_id=envelope.message_id)


def _leaves(part: Message, envelope: _Envelope, parent_type: str, depth: int
            ) -> Iterator[tuple[Message, _Envelope]]:
    """Leaf parts with the envelope of the message that holds them (a forwarded message's own)."""
    inner = _inner_message(part) if depth < MAX_NESTING else None
    if inner is not None:
        yield from _leaves(inner, _envelope(inner, envelope), "", depth + 1)
    elif part.is_multipart():
        for sub in part.get_payload():
            yield from _leaves(sub, envelope, part.get_content_type(), depth)
    elif not (parent_type == "multipart/signed" and part.get_content_type() in _SIGNATURE_TYPES):
        # A detached S/MIME or PGP signature belongs to the message, not to what the unit sent.
        yield part, envelope


def _inner_message(part: Message) -> Message | None:
    """A forwarded message: message/rfc822, or an attached file that is an .eml message."""
    if part.get_content_type() == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        return inner if isinstance(inner, Message) else None
    name = _attachment_name(part)
    if name and name.lower().endswith(EML_SUFFIX) and not part.is_multipart():
        data = part.get_payload(decode=True) or b""
        if _looks_like_message(data[:HEAD_SIZE]):
            return BytesParser(policy=policy.default).parsebytes(data)
    return None


def _is_body(part: Message) -> bool:
    """The text of the message itself, not a file."""
    return (part.get_content_type() in _BODY_TYPES and part.get_content_disposition() != "attachment"
            and not _attachment_name(part))


def _is_embedded_image(part: Message, referenced: set[str]) -> bool:
    """An image the HTML body shows (a logo in a signature): part of the message, not a file.

    Units' mail often carries such logos; as inputs they would each be a rejected "file" in every
    report. Images that the body does not show are kept as inputs, so nothing sent is lost.
    """
    content_id = str(part.get("Content-ID", "")).strip().strip("<>").lower()
    return (part.get_content_maintype() == "image" and part.get_content_disposition() != "attachment"
            and bool(content_id) and content_id in referenced)


def _referenced_content_ids(message: Message) -> set[str]:
    """Content-IDs that the HTML bodies show as "cid:..." images."""
    found: set[str] = set()
    for part in message.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        html = _text_of(part)
        found.update(urllib.parse.unquote(cid).strip("<>").lower() for cid in _CID_REFERENCE.findall(html))
    return found


def _text_of(part: Message) -> str:
    try:
        return part.get_content() if isinstance(part, EmailMessage) else str(part.get_payload())
    except Exception:  # unknown charset, broken encoding: read it as bytes
        return (part.get_payload(decode=True) or b"").decode("latin-1")


def _payload(part: Message) -> bytes:
    if part.is_multipart():  # a forwarded message beyond MAX_NESTING: keep it whole, as sent
        return part.get_payload(0).as_bytes(policy=policy.compat32)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _attachment_name(part: Message) -> str | None:
    """The file name as the sender saw it: RFC 2231 and 2047 decoded, no folder, NFC."""
    try:
        name = part.get_filename()
    except Exception:  # a malformed parameter: the part stays, unnamed
        name = None
    if name and "\ufffd" in name:
        name = _eight_bit_name(part) or name
    if name and "=?" in name:
        name = _decoded_words(name)
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _clean_name(name) or None


def _eight_bit_name(part: Message) -> str | None:
    """A name sent as raw 8-bit bytes in a legacy code page (not UTF-8): try Vietnamese Windows."""
    headers = Message()
    for key, value in part.raw_items():
        if key.lower() in ("content-type", "content-disposition"):
            raw = value.encode("ascii", "surrogateescape")
            headers[key] = unicodedata.normalize("NFC", raw.decode("cp1258", "replace"))
    name = headers.get_filename()
    return name if isinstance(name, str) and "\ufffd" not in name else None


def _decoded_words(name: str) -> str:
    try:
        return str(make_header(decode_header(name)))
    except (LookupError, ValueError, UnicodeError):
        return name


def _clean_name(name: str) -> str:
    """NFC, without control characters (a line break in a name breaks every report)."""
    text = "".join(ch for ch in name if ch.isprintable())
    return unicodedata.normalize("NFC", text).strip()


def _envelope(message: Message, outer: _Envelope | None = None) -> _Envelope:
    """Sender, date and id of a message; a forwarded message lacking one keeps the outer one."""
    outer = outer or _Envelope()
    sender, sender_name = _sender(message)
    return _Envelope(sender=sender or outer.sender,
                     sender_name=sender_name if sender else outer.sender_name,
                     sent_at=_sent_at(message) or outer.sent_at,
                     message_id=_header_text(message, "Message-ID") or outer.message_id)


def _sender(message: Message) -> tuple[str | None, str | None]:
    try:
        header = message.get("From")
        addresses = getattr(header, "addresses", None)
        if addresses:
            name, address = addresses[0].display_name, addresses[0].addr_spec
        else:
            name, address = parseaddr(str(header or ""))
    except Exception:  # a malformed From is no sender, not a lost file
        return None, None
    address = address.strip().lower()
    return (address if "@" in address else None), (_clean_name(name) or None)


def _sent_at(message: Message) -> str | None:
    """The Date header in UTC ISO 8601 (a date without zone, "-0000", is taken as UTC)."""
    try:
        header = message.get("Date")
        when = getattr(header, "datetime", None)
        if when is None and header is not None:
            when = parsedate_to_datetime(str(header))
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC).replace(microsecond=0).isoformat()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _header_text(message: Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot read counts as missing
        return None
    text = _clean_name(str(value)) if value is not None else ""
    return text or None

"""The campaign workspace: a folder with settings, units, catalogues, a secret key and the ledger.

`open_workspace` is the gate every command passes: it loads and cross-checks everything, so a
command either works on a consistent campaign or stops with every problem listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from formkit.catalog import Catalog, check_catalog
from formkit.errors import WorkspaceError
from formkit.fileio import atomic_write_bytes
from formkit.findings import Code, Finding, has_errors
from formkit.ledger import Ledger
from formkit.resources import example_names, templates_root
from formkit.settings import Settings, load_settings
from formkit.survey.questionnaire import Survey, check_survey
from formkit.units import Unit, check_units, sort_units

SETTINGS_FILE = "campaign.yaml"
SECRET_FILE = "secret.key"
LEDGER_FILE = "ledger.sqlite"
ARCHIVE_DIR = "archive"
OUT_DIR = "out"
BACKUP_DIR = "backup"
MAIL_DIR = "mail"  # editable message templates

MIN_SECRET_BYTES = 16
SECRET_FINGERPRINT = "secret_fingerprint"  # ledger meta key
_FINGERPRINT_LABEL = b"formkit: fingerprint of secret.key, v1"


@dataclass
class Workspace:
    root: Path
    settings: Settings
    units: tuple[Unit, ...]
    catalogs: dict[str, Catalog]
    surveys: dict[str, Survey]
    warnings: list[Finding] = field(default_factory=list)
    secret_key: bytes = field(default=b"", repr=False)  # checked by open_workspace

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_FILE

    @property
    def archive_dir(self) -> Path:
        return self.root / ARCHIVE_DIR

    @property
    def out_dir(self) -> Path:
        return self.root / OUT_DIR

    @property
    def mail_dir(self) -> Path:
        return self.root / MAIL_DIR

    @property
    def previous_results(self) -> Path | None:
        """Last year's results named in the settings (`previous_results`), the default --previous."""
        ref = self.settings.previous_results
        return self.root / ref if ref else None

    def ledger(self) -> Ledger:
        return open_ledger(self.root)

    def secret(self) -> bytes:
        """The HMAC key that signs and verifies forms, checked against the ledger (check_secret)."""
        if not self.secret_key:
            with self.ledger() as ledger:
                self.secret_key = check_secret(self.root, ledger)
        return self.secret_key

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise WorkspaceError(f"Không có đơn vị mã '{code}' trong danh sách đơn vị.")

    def sorted_units(self, unit_type: str | None = None) -> list[Unit]:
        return sort_units([u for u in self.units if unit_type in (None, u.unit_type)])


def is_workspace(root: Path) -> bool:
    return (root / SETTINGS_FILE).exists() or (root / LEDGER_FILE).exists()


def open_workspace(root: Path | str) -> Workspace:
    """Load and cross-check a workspace, or raise WorkspaceError listing every problem."""
    root = Path(root)
    if not (root / SETTINGS_FILE).is_file():
        raise WorkspaceError(
            f"Thư mục '{root}' chưa phải là thư mục đợt đánh giá của formkit (thiếu {SETTINGS_FILE}). "
            f"Tạo mới bằng: formkit init {root} --example hanoi-2020")
    settings, findings = load_settings(root / SETTINGS_FILE)
    if settings is None:
        raise WorkspaceError(f"Tệp cấu hình {root / SETTINGS_FILE} có lỗi.", findings)
    units, unit_findings = check_units(root / settings.units_file)
    findings += unit_findings
    catalogs, surveys = _load_trees(root, settings, findings)
    if units is not None:
        findings += _check_units_against(units, catalogs, root / settings.units_file)
    if has_errors(findings) or units is None:
        raise WorkspaceError(f"Thư mục đợt đánh giá '{root}' có lỗi cấu hình, chưa dùng được.",
                             findings)
    read_secret(root)  # a broken key file is refused before the ledger is even opened
    workspace = Workspace(root, settings, units, catalogs, surveys, findings)
    with workspace.ledger() as ledger:
        workspace.secret_key = check_secret(root, ledger)
        ledger.sync_units(units)
    return workspace


# ---- the secret key: one owner of reading and validating secret.key

def _restore_advice(path: Path) -> str:
    return (f"Hãy chép lại tệp {path} từ bản sao lưu (đúng tệp đã dùng khi phát hành biểu mẫu) rồi "
            "chạy lại lệnh. Không tạo khóa mới khi đã phát hành biểu mẫu: biểu mẫu đã gửi đi sẽ "
            "không còn được nhận ra.")


def read_secret(root: Path) -> bytes:
    """The campaign's HMAC key from secret.key: hex, at least MIN_SECRET_BYTES bytes. Anything
    else (missing, empty, not hex, too short) is a WorkspaceError naming the file and what to do."""
    path = Path(root) / SECRET_FILE
    advice = _restore_advice(path)
    if not path.is_file():
        raise WorkspaceError(f"Không tìm thấy tệp khóa bí mật {path}. {advice} Nếu đợt đánh giá "
                             "chưa phát hành biểu mẫu nào, có thể tạo khóa mới bằng: formkit init "
                             f"{root} --force")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"Không đọc được tệp khóa bí mật {path}: {exc.strerror}. Kiểm tra "
                             "quyền đọc tệp rồi chạy lại lệnh.") from exc
    text = data.decode("ascii", errors="replace").strip()
    if not text:
        raise WorkspaceError(f"Tệp khóa bí mật {path} bị trống. {advice}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise WorkspaceError(f"Tệp khóa bí mật {path} bị hỏng: nội dung không phải dãy chữ số "
                             f"thập lục phân (0-9, a-f). {advice}") from None
    if len(key) < MIN_SECRET_BYTES:
        raise WorkspaceError(f"Khóa bí mật trong tệp {path} quá ngắn ({len(key)} byte, cần ít nhất "
                             f"{MIN_SECRET_BYTES} byte), có thể tệp đã bị cắt hoặc sửa. {advice}")
    return key


def secret_fingerprint(key: bytes) -> str:
    """What the ledger keeps of the key: an HMAC of a fixed label (it does not reveal the key)."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def check_secret(root: Path, ledger: Ledger) -> bytes:
    """Read secret.key (read_secret) and check it is the key the ledger's forms were signed with.

    The first use records the key's fingerprint in the ledger; a ledger from before fingerprints
    records it only when the key verifies the forms already issued. A key that differs is a
    WorkspaceError: restoring the backup of secret.key is the way out."""
    root = Path(root)
    key = read_secret(root)
    fingerprint = secret_fingerprint(key)
    stored = ledger.meta(SECRET_FINGERPRINT)
    if stored is None:
        if _signs_issued_forms(root, ledger, key) is False:
            raise _changed_key(root)
        stored = ledger.meta_once(SECRET_FINGERPRINT, fingerprint)
    if not hmac.compare_digest(stored, fingerprint):
        raise _changed_key(root)
    return key


def _changed_key(root: Path) -> WorkspaceError:
    path = root / SECRET_FILE
    return WorkspaceError(f"Khóa bí mật trong tệp {path} khác với khóa đã ký các biểu mẫu đã phát "
                          "hành của đợt đánh giá này (ghi trong sổ theo dõi ledger.sqlite). Lệnh "
                          "đã dừng, chưa phát hành, ghi hay nhận tệp nào. "
                          f"{_restore_advice(path)}")


def _signs_issued_forms(root: Path, ledger: Ledger, key: bytes) -> bool | None:
    """Whether the key verifies the self-assessment forms on disk that the ledger says were
    issued; None when there is none to try."""
    from formkit.forms.identity import SELF_ASSESSMENT
    from formkit.forms.verify import read_identity

    for relative in ledger.issued_paths(SELF_ASSESSMENT):
        path = root / relative
        if path.is_file():
            check = read_identity(path, key)
            if check.identity is not None:
                return check.signature_valid
    return None


# ---- the ledger: never re-created behind the archive's back

def open_ledger(root: Path) -> Ledger:
    """The workspace's ledger; refused (not re-created) when it is missing or emptied while the
    archive or out/ holds files that only it can account for."""
    root = Path(root)
    path = root / LEDGER_FILE
    if _ledger_is_empty(path):
        held = _held_files(root)
        if held:
            raise WorkspaceError(
                f"Sổ theo dõi {path} bị mất hoặc trống, không khớp với thư mục đợt đánh giá: "
                f"{held} đã có tệp mà chỉ sổ theo dõi ghi nhận. formkit không tạo sổ mới (sẽ mất "
                f"dấu mọi tệp đã phát hành và đã nhận) và không tự dựng lại sổ. Hãy chép lại tệp "
                f"{path} từ bản sao lưu rồi chạy lại lệnh. Chỉ khi thật sự muốn làm lại đợt từ "
                "đầu: chuyển các thư mục archive/ và out/ ra chỗ khác trước.")
    return Ledger(path)


def _ledger_is_empty(path: Path) -> bool:
    """Missing, zero bytes, or an SQLite file with no schema at all."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return True
    if size == 0:
        return True
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False  # not ours to judge here: Ledger reports a damaged file
    return version == 0 and tables == 0


def _held_files(root: Path) -> str:
    """Which of archive/ and out/ hold files (temporary '.' files aside), as words; '' if none."""
    held = []
    for folder in (ARCHIVE_DIR, OUT_DIR):
        base = root / folder
        if base.is_dir() and any(p.is_file() and not p.name.startswith(".")
                                 for p in base.rglob("*")):
            held.append(f"thư mục {base}")
    return " và ".join(held)


def _load_trees(root: Path, settings: Settings, findings: list[Finding]
                ) -> tuple[dict[str, Catalog], dict[str, Survey]]:
    catalogs: dict[str, Catalog] = {}
    surveys: dict[str, Survey] = {}
    for unit_type, ref in settings.catalog_files.items():
        catalog, more = check_catalog(root / ref)
        findings += more
        if catalog is not None and catalog.unit_type != unit_type:
            findings.append(Code.BAD_VALUE(file=str(root / SETTINGS_FILE), item="catalogs",
                                           line=_settings_line(root, "catalogs", unit_type),
                                           key=unit_type, value=ref,
                                           reason=f"bộ tiêu chí này dành cho '{catalog.unit_type}'"))
        elif catalog is not None:
            catalogs[unit_type] = catalog
    for unit_type, ref in settings.survey_files.items():
        survey, more = check_survey(root / ref)
        findings += [f for f in more if f.file != str(root / settings.catalog_files.get(
            unit_type, ""))]  # the catalogue's own findings were reported above
        if survey is None:
            continue
        catalog = catalogs.get(unit_type)
        if catalog is None or survey.catalog.content_hash != catalog.content_hash:
            findings.append(Code.BAD_VALUE(
                file=str(root / SETTINGS_FILE), item="surveys", key=unit_type, value=ref,
                line=_settings_line(root, "surveys", unit_type),
                reason="bộ phiếu phải dùng đúng bộ tiêu chí khai báo ở 'catalogs' cho loại đơn vị "
                       "này"))
        else:
            surveys[unit_type] = survey
    return catalogs, surveys


def _settings_line(root: Path, section: str, key: str) -> int | None:
    """The line of section.key in campaign.yaml, for a finding about the file it names."""
    from formkit.yamlsrc import YMap, load_yaml

    data, _ = load_yaml(root / SETTINGS_FILE)
    m = data.get(section) if isinstance(data, YMap) else None
    return m.line_of(key) if isinstance(m, YMap) and key in m else None


def _check_units_against(units: tuple[Unit, ...], catalogs: dict[str, Catalog],
                         units_path: Path) -> list[Finding]:
    """Every unit type has a catalogue; every 'not applicable' names a unit of that type."""
    findings = []
    for unit_type in sorted({u.unit_type for u in units} - set(catalogs)):
        findings.append(Code.MISSING_KEY(file=str(units_path), item=unit_type,
                                         key=f"catalogs.{unit_type}"))
    for unit_type, catalog in catalogs.items():
        codes = {u.code for u in units if u.unit_type == unit_type}
        for leaf in catalog.leaves():
            for unit_code in leaf.not_applicable_to:
                if unit_code not in codes:
                    findings.append(Code.UNKNOWN_UNIT_IN_CATALOG(
                        file=catalog.path, line=leaf.line, item=leaf.code, code=leaf.code,
                        unit=unit_code, unit_type=unit_type))
    return findings


@dataclass(frozen=True)
class InitResult:
    root: Path
    example: str
    written: list[str]
    backed_up: list[str]
    kept: list[str]

    def to_dict(self) -> dict:
        return {"workspace": str(self.root), "example": self.example, "written": self.written,
                "backed_up": self.backed_up, "kept": self.kept}


def init_workspace(root: Path | str, example: str = "hanoi-2020", force: bool = False
                   ) -> InitResult:
    """Create a workspace from a shipped example. With force, configuration files are replaced
    (old ones moved to backup/), but the secret, the ledger and received files are never touched."""
    root = Path(root)
    if example not in example_names():
        raise WorkspaceError(f"Không có ví dụ '{example}'. Các ví dụ có sẵn: "
                             f"{', '.join(example_names())}.")
    if is_workspace(root) and not force:
        raise WorkspaceError(f"'{root}' đã là một thư mục đợt đánh giá. Dùng --force để ghi đè tệp "
                             "cấu hình (tệp cũ được lưu vào backup/; dữ liệu đã nhận, sổ theo dõi "
                             "và khóa bí mật được giữ nguyên).")
    source = templates_root()
    example_file = source / "examples" / f"{example}.yaml"
    settings, findings = load_settings(example_file)
    if settings is None:  # a broken shipped example is a bug, not a user error
        raise WorkspaceError(f"Ví dụ {example} có lỗi.", findings)
    files = {SETTINGS_FILE: example_file, settings.units_file: source / settings.units_file}
    for ref in (*settings.catalog_files.values(), *settings.survey_files.values()):
        files[ref] = source / ref
    if settings.sampling_file:  # survey sampling plan (formkit.survey.plan)
        files[settings.sampling_file] = source / settings.sampling_file
    for template in sorted((source / MAIL_DIR).glob("*.yaml")):
        files[f"{MAIL_DIR}/{template.name}"] = template
    written, backed_up = backup_and_write(root, {k: v.read_bytes() for k, v in files.items()})
    kept = ensure_state(root)
    workspace = open_workspace(root)
    with workspace.ledger() as ledger, ledger.transaction():
        ledger.log("workspace.init", {"example": example, "force": force, "written": written,
                                      "backed_up": backed_up})
    return InitResult(root, example, written, backed_up, kept)


def backup_and_write(root: Path, files: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Write configuration files (paths relative to root); a file that exists with other content
    is first copied to backup/<time>/. Returns (written, backed up)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    written, backed_up = [], []
    for relative, data in files.items():
        target = root / relative
        if target.exists() and target.read_bytes() != data:
            backup = root / BACKUP_DIR / stamp / relative
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
            backed_up.append(backup.relative_to(root).as_posix())
        atomic_write_bytes(target, data)
        written.append(relative)
    return written, backed_up


def ensure_state(root: Path) -> list[str]:
    """Create the secret, ledger and folders if missing; return those that already existed."""
    kept = []
    secret = root / SECRET_FILE
    if secret.exists():
        kept.append(SECRET_FILE)
    else:
        _write_secret(secret)
    if (root / LEDGER_FILE).exists():
        kept.append(LEDGER_FILE)
    open_ledger(root).close()
    for folder in (ARCHIVE_DIR, OUT_DIR):
        if (root / folder).exists():
            kept.append(folder + "/")
        (root / folder).mkdir(parents=True, exist_ok=True)
    return kept


def _write_secret(path: Path) -> None:
    """A per-campaign HMAC key, readable by the owner only (mode 0600 where the OS has modes)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")

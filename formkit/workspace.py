"""The campaign workspace: a folder with settings, units, catalogues, a secret key and the ledger.

`open_workspace` is the gate every command passes: it loads and cross-checks everything, so a
command either works on a consistent campaign or stops with every problem listed.
"""

from __future__ import annotations

import datetime as dt
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


@dataclass
class Workspace:
    root: Path
    settings: Settings
    units: tuple[Unit, ...]
    catalogs: dict[str, Catalog]
    surveys: dict[str, Survey]
    warnings: list[Finding] = field(default_factory=list)

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
        return Ledger(self.ledger_path)

    def secret(self) -> bytes:
        return bytes.fromhex((self.root / SECRET_FILE).read_text("ascii").strip())

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
    if not (root / SECRET_FILE).is_file():
        findings.append(Code.FILE_MISSING(file=str(root / SECRET_FILE)))
    if has_errors(findings) or units is None:
        raise WorkspaceError(f"Không gian làm việc '{root}' có lỗi cấu hình, chưa dùng được.",
                             findings)
    workspace = Workspace(root, settings, units, catalogs, surveys, findings)
    with workspace.ledger() as ledger:
        ledger.sync_units(units)
    return workspace


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
    Ledger(root / LEDGER_FILE).close()
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

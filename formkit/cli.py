"""The `formkit` command line: thin click wrappers over the library.

Each command converts its arguments, calls one library function and renders the result as
Vietnamese text or, with --json, as JSON on stdout. Exit codes: 0 ok, 1 done but some input
rejected or invalid, 2 usage, configuration or environment (disk full, read-only, locked), 3 a bug
in formkit (one line on the console, the traceback in logs/ of the workspace).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from formkit import __version__
from formkit.catalog import Catalog, canonical_content, load_catalog
from formkit.catalog_export import export_catalog_workbook
from formkit.datafiles import check_data_file, describe_summary
from formkit.errors import FormkitError, environment_error, write_error_log
from formkit.findings import Finding
from formkit.resources import example_names
from formkit.status import UNIT_STATE_LABELS, StatusReport, Totals, campaign_status, local_time
from formkit.text import format_number, parse_date
from formkit.units import UNIT_TYPES
from formkit.workspace import init_workspace, open_workspace

EXIT_OK, EXIT_REJECTED, EXIT_CONFIG, EXIT_BUG = 0, 1, 2, 3
LOG_DIR = "logs"  # under the workspace: tracebacks of unexpected errors


def _utf8_streams() -> None:
    """Vietnamese text must print on a Windows console too, whatever its code page."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in ("utf-8",
                                                                                     "utf8"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_findings(findings: list[Finding], err: bool = False) -> None:
    for finding in findings:
        click.echo("  " + finding.describe(), err=err)


@contextmanager
def progress_bar(description: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; silent under --json or when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="In kết quả dạng JSON ra stdout (cho chương trình khác đọc).")(func)


def workspace_argument(func: Callable) -> Callable:
    return click.argument("directory", default=".", required=False,
                          type=click.Path(file_okay=False, path_type=Path))(func)


def reports_errors(func: Callable) -> Callable:
    """Turn FormkitError and failures of the machine (disk full, read-only, no permission, file
    locked) into a Vietnamese message and exit code 2, and any other exception (a bug) into one
    line, a log file and exit code 3, in one place."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except Exception as exc:  # the one place every failure is told apart
            fail(exc, kwargs.get("directory"), bool(kwargs.get("as_json")))

    return wrapper


# click's own ways of ending a command (usage errors, --help, exit codes) are not failures
_PASS_THROUGH = (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def fail(exc: Exception, directory: Path | None, as_json: bool) -> None:
    """Report exc and exit: 2 for what the user or the machine can fix, 3 for a bug in formkit."""
    from formkit.workspace import is_workspace

    workspace = Path(directory) if directory is not None and is_workspace(Path(directory)) else None
    error = exc if isinstance(exc, FormkitError) else environment_error(exc, workspace)
    if error is not None:
        if as_json:
            print_json({"ok": False, "error": error.message,
                        "findings": [f.to_dict() for f in error.findings]})
        else:
            click.echo(f"Lỗi: {error.message}", err=True)
            print_findings(error.findings, err=True)
        sys.exit(EXIT_CONFIG)
    log = write_error_log((workspace / LOG_DIR if workspace else Path.cwd()).resolve(), exc,
                          sys.argv)
    where = (f"Chi tiết đã ghi vào {log}; hãy gửi tệp này cho bộ phận hỗ trợ." if log else
             "Không ghi được tệp chi tiết lỗi; hãy chạy lại lệnh và báo cho bộ phận hỗ trợ.")
    line = f"Lỗi không mong đợi trong formkit (lỗi phần mềm: {type(exc).__name__}). {where}"
    if as_json:
        print_json({"ok": False, "error": line, "bug": True, "log": str(log) if log else None})
    click.echo(line, err=True)
    sys.exit(EXIT_BUG)


class FormkitGroup(click.Group):
    """The top command: whatever a subcommand lets through still ends as exit 2 or 3 (fail)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as exc:  # commands without @reports_errors
            fail(exc, None, False)


@click.group(cls=FormkitGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="formkit")
def main() -> None:
    """formkit: tổ chức đợt xác định Chỉ số cải cách hành chính (Chỉ số CCHC) trên Excel và Word.

    Mọi lệnh làm việc trên một thư mục đợt đánh giá (thư mục do `formkit init` tạo, mặc định là
    thư mục hiện tại) và nhận --json để in kết quả dạng JSON.

    \b
    Bắt đầu nhanh:
      formkit demo ./demo-campaign
      formkit init ./cchc-2020 --example hanoi-2020
      formkit units ./cchc-2020
    """
    _utf8_streams()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", default="hanoi-2020", show_default=True,
              type=click.Choice(example_names()), help="Bộ dữ liệu mẫu dùng để khởi tạo.")
@click.option("--from", "source", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Tạo đợt mới từ thư mục đợt đánh giá của năm trước: chép cấu hình, đơn vị, bộ tiêu "
                   "chí, bộ phiếu, kế hoạch mẫu, mẫu thư và mẫu văn bản; dời các ngày sang năm mới "
                   "và đánh dấu để kiểm tra lại.")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Năm của đợt mới (với --from; mặc định: năm trước + 1).")
@click.option("--force", is_flag=True,
              help="Ghi đè tệp cấu hình của thư mục đợt đánh giá đã có (tệp cũ vào backup/; dữ "
                   "liệu đã nhận, sổ theo dõi và khóa bí mật được giữ nguyên).")
@json_option
@reports_errors
def init(directory: Path, example: str, source: Path | None, year: int | None, force: bool,
         as_json: bool) -> None:
    """Tạo thư mục đợt đánh giá cho một đợt đánh giá.

    Gồm tệp cấu hình campaign.yaml, danh sách đơn vị, bộ tiêu chí, bộ phiếu khảo sát, khóa bí
    mật (secret.key) và sổ theo dõi (ledger.sqlite). Với --from, mọi thứ lấy từ đợt của năm
    trước (khóa bí mật và sổ theo dõi làm mới, không chép tệp đã nhận); kết quả năm trước
    (out/results/results.csv) được chép vào previous/ để so sánh.

    \b
    Ví dụ: formkit init ./cchc-2020 --example hanoi-2020
           formkit init ./cchc-2021 --from ./cchc-2020
    """
    if source is not None:
        _init_from(directory, source, year, force, as_json)
        return
    if year is not None:
        raise click.UsageError("--year chỉ dùng cùng --from.")
    result = init_workspace(directory, example, force)
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(f"Đã tạo thư mục đợt đánh giá {result.root} từ ví dụ {example}.")
    _echo_files(result)
    click.echo(f"Tiếp theo: sửa {result.root / 'campaign.yaml'} rồi chạy "
               f"formkit check {result.root}")


def _echo_files(result) -> None:
    """What init wrote, backed up and kept, one file a line."""
    for label, names in (("ghi", result.written), ("lưu bản cũ", result.backed_up),
                         ("giữ nguyên", result.kept)):
        for name in names:
            click.echo(f"  {label}  {name}")


def _init_from(directory: Path, source: Path, year: int | None, force: bool, as_json: bool) -> None:
    from formkit.newyear import init_from

    result = init_from(directory, source, year, force)
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(f"Đã tạo thư mục đợt đánh giá {result.root} cho năm {result.year} từ đợt năm "
               f"{result.from_year} ({result.source}).")
    _echo_files(result)
    if result.previous_results:
        click.echo(f"Kết quả năm {result.from_year}: {result.previous_results} (formkit consolidate "
                   "và formkit report so sánh với tệp này khi không dùng --previous).")
    else:
        click.echo(f"Không có kết quả năm {result.from_year} (out/results/results.csv) để so sánh.")
    click.echo(f"{len(result.carried_over)} dòng của campaign.yaml được chuyển từ năm "
               f"{result.from_year}, cần kiểm tra lại (có ghi chú '# chuyển từ năm "
               f"{result.from_year}' ở cuối dòng).")
    errors = [f for f in result.findings if f.is_error]
    if errors:
        click.echo(f"formkit check còn {len(errors)} lỗi, phải sửa trước khi tạo biểu mẫu:")
        print_findings(errors)
    click.echo(f"Tiếp theo: sửa các dòng trên rồi chạy formkit check {result.root}")


def checked_workspace(directory: Path, action: str, as_json: bool):
    """The gate of forms, send and report: the workspace when `formkit check` finds no error,
    its warnings printed on stderr (never on stdout, which --json keeps for the result)."""
    from formkit.campaign_check import check_workspace

    report = check_workspace(directory, action)
    if report.warnings and not as_json:
        click.echo(f"formkit check: {len(report.warnings)} cảnh báo (xem lại trước khi gửi đi):",
                   err=True)
        print_findings(report.warnings, err=True)
    return report


@main.command()
@workspace_argument
@json_option
@reports_errors
def check(directory: Path, as_json: bool) -> None:
    """Kiểm tra cấu hình của thư mục đợt đánh giá (tệp cấu hình, đơn vị, bộ tiêu chí, phiếu).

    Báo lỗi khi ngày không có thật, sai trình tự (phát hành biểu mẫu → hạn tự đánh giá → họp Hội
    đồng thẩm định → hạn thẩm định → báo cáo → quyết định) hoặc ngoài năm của đợt, khi bộ tiêu
    chí hay bộ phiếu không áp dụng cho năm của đợt; cảnh báo các dòng chuyển từ năm trước chưa
    kiểm tra lại, giá trị mẫu (địa chỉ @...example, "xxxx", "Nguyễn Văn A") và người ký để trống.
    Mã kết thúc 2 khi có lỗi; forms, send và report không chạy khi còn lỗi.

    Ví dụ: formkit check ./cchc-2020
    """
    from formkit.campaign_check import check_workspace

    report = check_workspace(directory)
    workspace = report.workspace
    summary = {"workspace": str(workspace.root), "ok": True,
               "campaign": workspace.settings.campaign.id,
               "units": {t: len(workspace.sorted_units(t)) for t in UNIT_TYPES},
               "catalogs": {t: c.content_hash for t, c in workspace.catalogs.items()},
               "surveys": {t: s.content_hash for t, s in workspace.surveys.items()},
               "warnings": report.warnings_json()}
    if as_json:
        print_json(summary)
        return
    click.echo(f"Thư mục đợt đánh giá {workspace.root}: cấu hình hợp lệ "
               f"({workspace.settings.campaign.title}).")
    for unit_type, count in summary["units"].items():
        click.echo(f"  {UNIT_TYPES[unit_type]}: {count} đơn vị")
    if report.warnings:
        click.echo(f"{len(report.warnings)} cảnh báo:")
        print_findings(report.warnings)


@main.command()
@workspace_argument
@click.option("--type", "unit_type", type=click.Choice(list(UNIT_TYPES)),
              help="Chỉ liệt kê một loại đơn vị.")
@json_option
@reports_errors
def units(directory: Path, unit_type: str | None, as_json: bool) -> None:
    """Liệt kê các đơn vị được đánh giá, theo loại, xếp theo thứ tự tiếng Việt.

    Ví dụ: formkit units ./cchc-2020 --type district --json
    """
    workspace = open_workspace(directory)
    listed = workspace.sorted_units(unit_type)
    if as_json:
        print_json([{"code": u.code, "name": u.name, "short_name": u.short_name,
                     "unit_type": u.unit_type, "document_name": u.document_name,
                     "email": u.email, "head_title": u.head_title} for u in listed])
        return
    current = None
    for unit in listed:
        if unit.unit_type != current:
            current = unit.unit_type
            count = sum(1 for u in listed if u.unit_type == current)
            click.echo(f"{UNIT_TYPES[current]} ({count})")
        click.echo(f"  {unit.code:<8} {unit.short_name:<36} {unit.email}")


@main.command()
@workspace_argument
@click.option("--limit", type=click.IntRange(min=1), help="Chỉ in N sự kiện gần nhất.")
@click.option("--kind", help="Chỉ in một loại sự kiện (ví dụ workspace.init).")
@json_option
@reports_errors
def log(directory: Path, limit: int | None, kind: str | None, as_json: bool) -> None:
    """In nhật ký sự kiện của sổ theo dõi (chỉ ghi thêm, không sửa, không xóa).

    Ví dụ: formkit log ./cchc-2020 --limit 20
    """
    workspace = open_workspace(directory)
    with workspace.ledger() as ledger:
        events = ledger.events(limit=limit, kind=kind)
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    for event in events:
        detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        unit = f" [{event.unit_code}]" if event.unit_code else ""
        click.echo(f"{event.id:>6}  {event.at}  {event.kind}{unit}  {detail}")


@main.group()
def catalog() -> None:
    """Kiểm tra, xem và xuất bộ tiêu chí, bộ phiếu khảo sát, danh sách đơn vị (tệp YAML)."""


@catalog.command("check")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@json_option
def catalog_check(paths: tuple[Path, ...], as_json: bool) -> None:
    """Kiểm tra tệp bộ tiêu chí, bộ phiếu hoặc danh sách đơn vị; liệt kê mọi lỗi kèm số dòng.

    Thoát với mã 0 khi mọi tệp hợp lệ, mã 2 khi có lỗi.

    Ví dụ: formkit catalog check form_templates/catalogs/*.yaml form_templates/surveys/*.yaml
    """
    reports = [check_data_file(path) for path in paths]
    if as_json:
        print_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            errors = sum(1 for f in report.findings if f.is_error)
            status = "hợp lệ" if report.ok else f"{errors} lỗi"
            click.echo(f"{report.path}: {status}")
            if report.ok:
                click.echo(f"  {describe_summary(report)}")
            print_findings(report.findings)
    sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_CONFIG)


@catalog.command("show")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@reports_errors
def catalog_show(path: Path, as_json: bool) -> None:
    """In cây tiêu chí với điểm tối đa, điểm thẩm định, điểm điều tra XHH và tổng.

    Ví dụ: formkit catalog show form_templates/catalogs/hanoi-so-2020.yaml
    """
    tree = load_catalog(path)
    if as_json:
        print_json({**canonical_content(tree), "content_hash": tree.content_hash})
        return
    for line in render_tree(tree):
        click.echo(line)


def render_tree(tree: Catalog) -> list[str]:
    leaves = tree.leaves()
    lines = [f"{tree.title}", f"Mã: {tree.id} · năm {tree.years_label} · {UNIT_TYPES[tree.unit_type]}",
             f"Nguồn: {tree.source}",
             f"{len(tree.areas())} lĩnh vực, {len(leaves)} tiêu chí thành phần; tổng "
             f"{format_number(tree.total_points)} điểm = thẩm định "
             f"{format_number(sum(x.appraisal for x in leaves))} + điều tra XHH "
             f"{format_number(sum(x.survey for x in leaves))}",
             f"Mã nội dung: {tree.content_hash}", "",
             f"{'Mã':<8} {'Nội dung':<70} {'Tối đa':>7} {'TĐ':>6} {'XHH':>6}"]
    for item in tree.items:
        text = "  " * (item.depth - 1) + item.text
        if len(text) > 70:
            text = text[:69] + "…"
        lines.append(f"{item.code:<8} {text:<70} {format_number(item.max_points):>7} "
                     f"{format_number(item.appraisal):>6} {format_number(item.survey):>6}")
    lines.append(f"{'':<8} {'Tổng cộng':<70} {format_number(tree.total_points):>7} "
                 f"{format_number(sum(x.appraisal for x in leaves)):>6} "
                 f"{format_number(sum(x.survey for x in leaves)):>6}")
    return lines


@catalog.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@reports_errors
def catalog_export(path: Path, out: Path, as_json: bool) -> None:
    """Xuất bộ tiêu chí ra sổ tính Excel (.xlsx) để cán bộ rà soát.

    Ví dụ: formkit catalog export form_templates/catalogs/hanoi-so-2020.yaml so-2020.xlsx
    """
    tree = load_catalog(path)
    export_catalog_workbook(tree, out)
    if as_json:
        print_json({"catalog": tree.id, "path": str(out), "content_hash": tree.content_hash})
    else:
        click.echo(f"Đã xuất {tree.id} ra {out}")


@main.command()
@click.argument("directory", default="./demo-campaign",
                type=click.Path(file_okay=False, path_type=Path))
@json_option
@reports_errors
def demo(directory: Path, as_json: bool) -> None:
    """Chạy thử mọi bước hiện có trên bộ dữ liệu mẫu Hà Nội 2020.

    Chạy lại an toàn: thư mục đợt đánh giá đã có được dùng lại, không bị khởi tạo lại.

    Ví dụ: formkit demo ./demo-campaign
    """
    from formkit.demo import run_demo  # the whole pipeline: imported only when asked for

    result = run_demo(directory)
    if as_json:
        print_json(result.to_dict())
        return
    action = "Đã tạo" if result.created else "Dùng lại"
    click.echo(f"{action} thư mục đợt đánh giá mẫu {result.root}")
    for unit_type, count in result.units.items():
        click.echo(f"  {UNIT_TYPES[unit_type]}: {count} đơn vị")
    returned = ", ".join(f"{n} {STATUS_LABELS.get(s, s)}" for s, n in result.returns.items()
                         if s != "files")
    click.echo(f"Biểu đơn vị gửi về (mô phỏng): {result.returns.get('files', 0)} tệp: {returned}")
    click.echo(f"Đơn vị chưa có biểu hợp lệ: {', '.join(result.missing) or 'không có'}")
    click.echo("Các tệp:")
    for name, path in result.outputs.items():
        click.echo(f"  {name:<18} {path}")


@main.command()
@workspace_argument
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE",
              help="Chỉ tạo biểu cho đơn vị này (nhắc lại để chọn nhiều đơn vị).")
@json_option
@reports_errors
def forms(directory: Path, unit_codes: tuple[str, ...], as_json: bool) -> None:
    """Tạo biểu tự đánh giá (.xlsx có bảo vệ và chữ ký) cho từng đơn vị, ghi vào sổ theo dõi.

    Chạy lại an toàn: tệp không đổi thì không ghi lại, sổ theo dõi không bị trùng.

    Ví dụ: formkit forms ./cchc-2020 --unit 005 --unit SNV
    """
    from formkit.forms import generate_forms

    checked = checked_workspace(directory, "tạo biểu mẫu", as_json)
    workspace = checked.workspace
    with progress_bar("Tạo biểu tự đánh giá", as_json) as progress:
        issued = generate_forms(workspace, unit_codes or None, progress)
    if as_json:
        print_json({"forms": [form.to_dict() for form in issued],
                    "check_warnings": checked.warnings_json()})
        return
    changed = sum(1 for form in issued if form.changed)
    click.echo(f"{len(issued)} biểu tự đánh giá ({changed} tệp mới hoặc thay đổi) trong "
               f"{workspace.out_dir / 'forms'}")
    for form in issued:
        click.echo(f"  {form.unit_code:<8} {form.form_id:<24} {form.path.name}")


# ---- formkit send (issue 3) ------------------------------------------------------------------
@main.command()
@workspace_argument
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE",
              help="Chỉ gửi cho đơn vị này (nhắc lại để chọn nhiều đơn vị).")
@click.option("--dry-run", is_flag=True,
              help="Không gửi: ghi mỗi thư thành tệp .eml trong out/mail/ (thư phản hồi: "
                   "out/mail/feedback/) để xem trước.")
@click.option("--resend", is_flag=True, help="Gửi lại cả cho đơn vị đã nhận biểu mẫu hiện hành.")
@click.option("--feedback", is_flag=True,
              help="Gửi phản hồi thay cho biểu mẫu: mỗi đơn vị có biểu bị trả lại hoặc có cảnh báo "
                   "nhận tệp phản hồi hiện hành (out/feedback/), theo mẫu thư mail/feedback.yaml.")
@json_option
@reports_errors
def send(directory: Path, unit_codes: tuple[str, ...], dry_run: bool, resend: bool, feedback: bool,
         as_json: bool) -> None:
    """Gửi thư điện tử kèm biểu tự đánh giá cho từng đơn vị, theo mẫu thư mail/form.yaml.

    Đơn vị đã nhận biểu mẫu hiện hành không bị gửi lại (trừ khi có --resend); thư gửi lỗi được
    gửi lại ở lần chạy sau. Với --feedback, cùng một tệp phản hồi cũng không bị gửi hai lần.
    Thoát với mã 1 khi có đơn vị gửi lỗi, chưa có địa chỉ thư hoặc chưa có biểu mẫu.

    Ví dụ: formkit send ./cchc-2020 --dry-run
    """
    from formkit.mail import OUTCOME_LABELS, send_forms
    from formkit.mail.feedback import send_feedback

    checked = checked_workspace(directory, "gửi thư", as_json)
    with progress_bar("Gửi thư", as_json) as progress:
        report = (send_feedback if feedback else send_forms)(
            checked.workspace, list(unit_codes) or None, dry_run=dry_run, resend=resend,
            progress=progress)
    if as_json:
        print_json({**report.to_dict(), "check_warnings": checked.warnings_json()})
    else:
        for entry in report.entries:
            detail = entry.error or (str(entry.eml_path) if entry.eml_path else entry.message_id)
            click.echo(f"  {entry.unit:<8} {OUTCOME_LABELS[entry.outcome]:<20} {entry.email:<36} "
                       f"{detail}")
        counts = ", ".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in report.counts().items())
        done = "Chạy thử" if dry_run else "Gửi phản hồi" if feedback else "Gửi thư"
        click.echo(f"{done}: {counts or 'không có đơn vị nào'}.")
    sys.exit(EXIT_OK if report.ok else EXIT_REJECTED)
# ---- end formkit send ------------------------------------------------------------------------


STATUS_LABELS = {"accepted": "nhận", "accepted-with-warnings": "nhận, có cảnh báo",
                 "rejected": "trả lại", "duplicate": "đã nhận trước đó"}


@main.command()
@workspace_argument
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Số tiến trình đọc tệp song song.")
@json_option
@reports_errors
def collect(directory: Path, inputs: tuple[Path, ...], jobs: int, as_json: bool) -> None:
    """Nhận biểu đơn vị gửi về: tệp, thư mục, thư .eml; lưu trữ, nhận dạng, kiểm tra, ghi sổ.

    Mọi tệp được lưu vào archive/ trước khi đọc; tệp đã nhận được báo là trùng và không xử lý lại.
    Thoát với mã 1 khi có tệp bị trả lại.

    Ví dụ: formkit collect ./cchc-2020 ~/Downloads/bao-cao-don-vi --jobs 2
    """
    from formkit.intake.collect import collect as collect_returns

    workspace = open_workspace(directory)
    with progress_bar("Đọc biểu đơn vị gửi về", as_json) as progress:
        report = collect_returns(workspace, list(inputs), jobs, progress)
    if as_json:
        print_json(report.to_dict())
    else:
        for result in report.results:
            unit = f" [{result.unit}]" if result.unit else ""
            click.echo(f"{STATUS_LABELS.get(result.status, result.status):<18} {result.name}{unit}")
            for finding in result.findings:
                click.echo("    " + finding.describe())
        print_findings(report.problems)
        counts = ", ".join(f"{n} {STATUS_LABELS.get(s, s)}" for s, n in report.counts().items())
        click.echo(f"Tổng cộng {len(report.results)} tệp: {counts or 'không có tệp nào'}.")
        if report.report_path:
            click.echo(f"Báo cáo tiếp nhận: {report.report_path}")
        if report.feedback_paths:
            click.echo(f"Phản hồi cho {len(report.feedback_paths)} đơn vị trong "
                       f"{report.feedback_paths[0].parent} (gửi bằng: formkit send --feedback)")
    sys.exit(EXIT_REJECTED if report.rejected else EXIT_OK)


@main.command()
@workspace_argument
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE", help="Chỉ đơn vị này.")
@json_option
@reports_errors
def scores(directory: Path, unit_codes: tuple[str, ...], as_json: bool) -> None:
    """Điểm tự đánh giá hiện hành của từng đơn vị, kèm nguồn (tệp lưu trữ, trang tính, ô).

    Ví dụ: formkit scores ./cchc-2020 --unit 005 --json
    """
    from formkit.intake.current import current_returns

    workspace = open_workspace(directory)
    returns = current_returns(workspace, list(unit_codes) or None)
    if as_json:
        print_json([r.to_dict() for r in returns])
        return
    for current in returns:
        unit = workspace.unit(current.unit)
        click.echo(f"{unit.code} {unit.short_name}: tổng {format_number(current.total)} điểm "
                   f"({current.original_name} → {current.archive_path})")
        for score in current.scores:
            click.echo(f"  {score.leaf:<8} {format_number(score.score):>6}  {score.sheet}!{score.cell}")


# ---- formkit status (issue 4) ----------------------------------------------------------------
def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' không phải ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd.") from exc


@main.command()
@workspace_argument
@click.option("--reminders", is_flag=True,
              help="Soạn thư nhắc các đơn vị chưa có biểu hợp lệ (kèm lại biểu mẫu, theo mẫu thư "
                   "mail/reminder.yaml), ghi thành tệp .eml trong out/mail/reminders/.")
@click.option("--send", "send_now", is_flag=True,
              help="Cùng --reminders: gửi thư nhắc qua máy chủ thư và ghi vào sổ theo dõi.")
@click.option("--today", callback=_parse_today, metavar="NGÀY",
              help="Tính số ngày đến hạn theo ngày này (dd/mm/yyyy), mặc định là hôm nay.")
@json_option
@reports_errors
def status(directory: Path, reminders: bool, send_now: bool, today: dt.date | None,
           as_json: bool) -> None:
    """Tình hình đợt đánh giá theo từng đơn vị: đã phát hành, đã gửi, đã nhận, còn thiếu, hạn.

    Mỗi đơn vị: biểu mẫu đã phát hành, lần gửi thư gần nhất, số tệp nhận / có cảnh báo / trả lại,
    tình trạng hiện tại và số ngày còn lại (hoặc đã quá) so với hạn gửi biểu; cộng theo loại đơn
    vị. Lệnh chỉ để xem nên thoát với mã 0 (mã 2 khi cấu hình có lỗi).

    Ví dụ: formkit status ./cchc-2020 --reminders
    """
    from formkit.mail.reminders import send_reminders

    if send_now and not reminders:
        raise click.UsageError("--send chỉ dùng cùng --reminders.")
    workspace = open_workspace(directory)
    report = campaign_status(workspace, today)
    sent = None
    if reminders:
        with progress_bar("Thư nhắc", as_json) as progress:
            sent = send_reminders(workspace, report, send=send_now, progress=progress)
    if as_json:
        print_json({**report.to_dict(), "reminders": sent.to_dict() if sent else None})
        return
    for line in render_status(report):
        click.echo(line)
    if sent is not None:
        from formkit.mail import OUTCOME_LABELS

        click.echo("Thư nhắc:")
        for entry in sent.entries:
            detail = entry.error or (str(entry.eml_path) if entry.eml_path else entry.message_id)
            click.echo(f"  {entry.unit:<8} {OUTCOME_LABELS[entry.outcome]:<20} {entry.email:<36} "
                       f"{detail}")
        counts = ", ".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in sent.counts().items())
        click.echo(f"  {counts or 'không có đơn vị nào cần nhắc'}.")


def render_status(report: StatusReport) -> list[str]:
    days = report.days_to_deadline
    when = (f"còn {days} ngày" if days > 0 else "hôm nay là hạn cuối" if days == 0
            else f"đã quá {-days} ngày")
    lines = [f"Hạn gửi biểu tự đánh giá: {report.deadline:%d/%m/%Y} ({when})."]
    totals = report.totals()
    for unit_type, label in UNIT_TYPES.items():
        units = report.of_type(unit_type)
        if not units:
            continue
        lines += ["", f"{label} ({len(units)})",
                  f"  {'Mã':<7} {'Đơn vị':<30} {'Biểu':<5} {'Gửi biểu':<16} {'Nhận':>4} {'CB':>3} "
                  f"{'TL':>3}  Tình trạng"]
        for unit in units:
            counts = unit.counts()
            name = unit.unit.short_name if len(unit.unit.short_name) <= 30 else (
                unit.unit.short_name[:29] + "…")
            lines.append(f"  {unit.unit.code:<7} {name:<30} {'có' if unit.form_id else '-':<5} "
                         f"{local_time(unit.sent_at) or '-':<16} {counts['accepted']:>4} "
                         f"{counts['accepted-with-warnings']:>3} {counts['rejected']:>3}  "
                         f"{UNIT_STATE_LABELS[unit.state]}")
        lines.append("  " + _totals_line(totals[unit_type]))
    lines += ["", "Toàn bộ: " + _totals_line(totals["all"])]
    if report.unattributed:
        lines.append(f"{len(report.unattributed)} tệp chưa rõ của đơn vị nào: xem báo cáo tiếp nhận "
                     "(out/intake/).")
    return lines


def _totals_line(totals: Totals) -> str:
    states = ", ".join(f"{UNIT_STATE_LABELS[s].lower()} {n}" for s, n in totals.states.items() if n)
    return (f"{totals.units} đơn vị, đã phát hành {totals.issued}, đã gửi thư {totals.sent}; "
            f"{states}; còn thiếu {totals.missing}.")
# ---- end formkit status ----------------------------------------------------------------------



# ---- consolidate (issue 6) -------------------------------------------------------------------
@main.command()
@workspace_argument
@click.option("--previous", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Kết quả năm trước do formkit ghi: results.csv hoặc tệp Excel kết quả (.xlsx); "
                   "tính thay đổi điểm và hạng.")
@click.option("--allow-incomplete", is_flag=True,
              help="Vẫn tổng hợp khi còn đơn vị thiếu thẩm định hoặc điều tra XHH: ghi kết quả tạm "
                   "(mọi tệp ghi rõ phần thiếu) và kết thúc với mã 1.")
@json_option
@reports_errors
def consolidate(directory: Path, previous: Path | None, allow_incomplete: bool,
                as_json: bool) -> None:
    """Tổng hợp Chỉ số CCHC: điểm thẩm định + điều tra XHH, chỉ số %, xếp hạng, xếp loại.

    Ghi vào out/results/: Kết quả Chỉ số CCHC <năm>.xlsx (có biểu đồ), results.csv,
    results.parquet và results_leaves.parquet. Quy tắc xếp hạng và xếp loại theo mục ranking
    của campaign.yaml.

    \b
    Mã kết thúc: 0 đã tổng hợp đủ dữ liệu; 1 đã tổng hợp tạm với --allow-incomplete nhưng còn
    đơn vị thiếu dữ liệu; 2 còn đơn vị thiếu dữ liệu (không dùng --allow-incomplete, liệt kê
    phần thiếu) hoặc lỗi cấu hình, tệp năm trước không đọc được.

    Ví dụ: formkit consolidate ./cchc-2020 --previous ./cchc-2019/out/results/results.csv
    """
    from formkit.consolidate import consolidate as run
    from formkit.consolidate import round_half_up
    from formkit.results import write_results

    workspace = open_workspace(directory)
    results = run(workspace, previous, allow_incomplete)
    files = write_results(results, workspace.out_dir)
    code = EXIT_REJECTED if results.missing else EXIT_OK
    if as_json:
        print_json({"ok": not results.missing, "incomplete": list(results.missing),
                    "rank_rule": results.meta["rank_rule"],
                    "files": {k: str(v) for k, v in files.items()},
                    "units": [_unit_json(u) for u in results.units]})
        sys.exit(code)
    places = results.meta["rank_places"]
    for u in results.units:
        rank = "-" if u.rank is None else str(u.rank)
        total, index = (format_number(round_half_up(v, places)) for v in (u.total, u.index))
        click.echo(f"  {u.unit_type:<8} {u.code:<8} {u.name[:30]:<30} {total:>7} {index:>7}% "
                   f"hạng {rank:>3} {u.band:<10} {'; '.join(u.notes)}")
    click.echo(results.meta["rank_rule"])
    for path in files.values():
        click.echo(f"Đã ghi {path}")
    for line in results.missing:
        click.echo(f"THIẾU: {line}")
    if results.missing:
        click.echo("KẾT QUẢ TẠM: còn đơn vị thiếu dữ liệu (các tệp kết quả ghi rõ phần thiếu).")
    sys.exit(code)


def _unit_json(u) -> dict:
    """One unit for --json: floats for reading, the exact total as 'p/q' for checking."""
    def num(v):
        return None if v is None else float(v)

    return {"code": u.code, "name": u.name, "type": u.unit_type, "status": u.status,
            "complete": u.complete, "missing": list(u.notes),
            "appraised": num(u.appraised), "survey": num(u.survey), "total": num(u.total),
            "total_exact": str(u.total), "applicable_max": num(u.applicable_max),
            "index": num(u.index), "rank": u.rank, "band": u.band,
            "adjustment": num(u.adjustment), "previous_total": num(u.previous_total),
            "change": num(u.change), "previous_rank": u.previous_rank,
            "rank_change": u.rank_change,
            "areas": [{"area": a.code, "appraised": num(a.appraised), "survey": num(a.survey),
                       "total": num(a.total), "max": num(a.max_points),
                       "adjustment": num(a.adjustment)} for a in u.areas]}
# ---- end consolidate -------------------------------------------------------------------------


def _register_groups() -> None:
    """Command groups that live in their own modules."""
    from formkit.cli_appraise import appraise
    from formkit.cli_report import report, templates
    from formkit.cli_survey import survey

    main.add_command(survey)
    main.add_command(appraise)
    main.add_command(report)
    main.add_command(templates)


_register_groups()

if __name__ == "__main__":
    main()

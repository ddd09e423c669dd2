"""`formkit report` and `formkit templates check`: the campaign's documents (thin wrappers)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formkit.cli import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_REJECTED,
    checked_workspace,
    json_option,
    print_findings,
    print_json,
    progress_bar,
    reports_errors,
    workspace_argument,
)
from formkit.errors import FormkitError
from formkit.workspace import open_workspace

PDF_LABELS = {"not-requested": "không yêu cầu", "done": "đã chuyển", "no-libreoffice": "chưa cài LibreOffice",
              "failed": "có tệp không chuyển được"}


@click.command()
@workspace_argument
@click.option("--pdf", is_flag=True,
              help="Chuyển thêm mỗi văn bản sang PDF bằng LibreOffice (cần cài LibreOffice).")
@click.option("--previous", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Kết quả năm trước do formkit ghi (results.csv hoặc tệp Excel kết quả .xlsx): so sánh "
                   "điểm và hạng với năm trước.")
@click.option("--allow-incomplete", is_flag=True,
              help="Vẫn lập văn bản khi còn đơn vị thiếu thẩm định hoặc điều tra XHH (bản tạm, kết "
                   "thúc với mã 1).")
@json_option
@reports_errors
def report(directory: Path, pdf: bool, previous: Path | None, allow_incomplete: bool,
           as_json: bool) -> None:
    """Lập văn bản: biên bản thẩm định từng đơn vị, báo cáo kết quả, quyết định công bố.

    Tổng hợp lại kết quả rồi điền vào các mẫu Word (mẫu trong thư mục templates/ của không gian
    làm việc được dùng thay mẫu có sẵn); ghi vào out/documents/: bien-ban/<mã> <tên>.docx,
    bao-cao-ket-qua-<năm>.docx, quyet-dinh-cong-bo-<năm>.docx, và tệp .pdf bên cạnh khi có --pdf.

    \b
    Mã kết thúc: 0 xong; 1 đã lập văn bản nhưng là bản tạm (--allow-incomplete, còn đơn vị thiếu
    dữ liệu) hoặc có văn bản không chuyển được sang PDF; 2 lỗi cấu hình, còn đơn vị thiếu dữ liệu
    (không dùng --allow-incomplete), hoặc --pdf khi máy chưa cài LibreOffice (các tệp .docx
    vẫn được ghi).

    Ví dụ: formkit report ./cchc-2020 --pdf
    """
    from formkit.documents.render import NO_LIBREOFFICE, render_documents

    checked = checked_workspace(directory, "lập văn bản", as_json)
    with progress_bar("Lập văn bản", as_json) as progress:
        result = render_documents(checked.workspace, previous, allow_incomplete, pdf, progress)
    if as_json:
        print_json({**result.to_dict(), "check_warnings": checked.warnings_json()})
    else:
        for line in result.missing:
            click.echo(f"THIẾU: {line}")
        for gap in result.settings_gaps:
            click.echo(f"Cảnh báo: chưa khai báo {gap} (sửa campaign.yaml rồi chạy lại).")
        click.echo(f"{len(result.minutes)} biên bản thẩm định trong {result.minutes[0].parent}"
                   if result.minutes else "Không có đơn vị nào để lập biên bản.")
        click.echo(f"Báo cáo kết quả: {result.report}")
        click.echo(f"Quyết định công bố: {result.decision}")
        for kind, path in result.templates.items():
            click.echo(f"  mẫu {kind:<9} {path}")
        if pdf:
            click.echo(f"PDF: {PDF_LABELS[result.pdf]} ({len(result.pdfs)}/{len(result.documents)} tệp).")
        for error in result.pdf_errors:
            click.echo(f"Lỗi: {error}", err=True)
    if result.pdf == NO_LIBREOFFICE:
        sys.exit(EXIT_CONFIG)
    sys.exit(EXIT_REJECTED if result.missing or result.pdf_errors else EXIT_OK)


@click.group()
def templates() -> None:
    """Mẫu văn bản Word (biên bản, báo cáo, quyết định): kiểm tra trước khi lập văn bản."""


@templates.command("check")
@click.argument("path", default=".", required=False, type=click.Path(exists=True, path_type=Path))
@json_option
@reports_errors
def templates_check(path: Path, as_json: bool) -> None:
    """Kiểm tra mẫu văn bản: thẻ bị tách, dấu nháy cong trong thẻ, biến lạ, thiếu biến bắt buộc.

    PATH là một tệp .docx, một thư mục chứa mẫu, hoặc một thư mục đợt đánh giá (kiểm tra các mẫu
    sẽ được dùng: mẫu riêng trong templates/ và mẫu có sẵn cho phần còn lại). Không ghi PATH: không
    gian làm việc ở thư mục hiện tại, nếu không thì các mẫu có sẵn. Thoát với mã 1 khi có lỗi.

    Ví dụ: formkit templates check ./cchc-2020
    """
    from formkit.documents.lint import check_template

    checked = [(template, check_template(template)) for template in templates_to_check(path)]
    if as_json:
        print_json([{"path": str(t), "ok": not any(f.is_error for f in found),
                     "findings": [f.to_dict() for f in found]} for t, found in checked])
    else:
        for template, found in checked:
            errors = sum(1 for f in found if f.is_error)
            click.echo(f"{template}: {'hợp lệ' if not errors else f'{errors} lỗi'}"
                       + (f", {len(found) - errors} cảnh báo" if len(found) > errors else ""))
            print_findings(found)
    failed = any(f.is_error for _, found in checked for f in found)
    sys.exit(EXIT_REJECTED if failed else EXIT_OK)


def templates_to_check(path: Path) -> list[Path]:
    """A .docx itself; a workspace's templates in use; a folder's .docx files; else the shipped ones."""
    from formkit.documents.template import TEMPLATE_FILES, find_template
    from formkit.resources import report_templates_root
    from formkit.workspace import is_workspace

    if path.is_file():
        return [path]
    if is_workspace(path):
        workspace = open_workspace(path)
        return [find_template(workspace, kind) for kind in TEMPLATE_FILES]
    found = sorted(p for p in path.glob("*.docx") if not p.name.startswith("~$"))
    if found:
        return found
    if path != Path("."):
        raise FormkitError(f"Thư mục {path} không có tệp mẫu .docx nào và không phải không gian làm "
                           "việc của formkit.")
    return [report_templates_root() / name for name in TEMPLATE_FILES.values()]

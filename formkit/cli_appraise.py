"""`formkit appraise ...`: the appraisal council's commands (thin wrappers over formkit.appraisal)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formkit.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    STATUS_LABELS,
    json_option,
    print_findings,
    print_json,
    progress_bar,
    reports_errors,
    workspace_argument,
)
from formkit.units import UNIT_TYPES
from formkit.workspace import open_workspace

MISSING_RULES = {"zero": "tính 0 điểm", "exclude": "không tính điểm, không xếp hạng"}


@click.group()
def appraise() -> None:
    """Thẩm định: lập biểu cho Hội đồng thẩm định, nhận biểu đã thẩm định."""


@appraise.command("sheets")
@workspace_argument
@json_option
@reports_errors
def appraise_sheets(directory: Path, as_json: bool) -> None:
    """Lập biểu thẩm định (.xlsx có bảo vệ và chữ ký) từ biểu tự đánh giá hiện hành của mỗi đơn vị.

    Mỗi đơn vị một tệp, hoặc mỗi loại đơn vị một tệp (mỗi đơn vị một trang tính) theo cài đặt
    appraisal.workbooks trong campaign.yaml. Đơn vị chưa có biểu tự đánh giá hợp lệ được liệt kê
    cùng quy tắc tính điểm (appraisal.missing). Chạy lại an toàn: tệp không đổi thì không ghi lại.

    Ví dụ: formkit appraise sheets ./cchc-2020
    """
    from formkit.appraisal import generate_appraisal_sheets

    workspace = open_workspace(directory)
    with progress_bar("Lập biểu thẩm định", as_json) as progress:
        report = generate_appraisal_sheets(workspace, progress)
    if as_json:
        print_json(report.to_dict())
        return
    units = sum(len(w.sheets) for w in report.workbooks)
    changed = sum(1 for w in report.workbooks if w.changed)
    click.echo(f"{len(report.workbooks)} tệp biểu thẩm định cho {units} đơn vị ({changed} tệp mới "
               f"hoặc thay đổi) trong {workspace.out_dir / 'appraisal'}")
    for workbook in report.workbooks:
        click.echo(f"  {workbook.path.name}")
        for sheet in workbook.sheets:
            click.echo(f"    {sheet.unit_code:<8} {sheet.form_id:<24} theo biểu tự đánh giá tệp số "
                       f"{sheet.source.received_file_id}")
    if report.missing:
        click.echo(f"{len(report.missing)} đơn vị chưa có biểu tự đánh giá hợp lệ, không có biểu "
                   f"thẩm định ({MISSING_RULES[report.missing_rule]}):")
        for unit in report.missing:
            click.echo(f"  {unit.unit_code:<8} {unit.short_name} ({UNIT_TYPES[unit.unit_type]})")


@appraise.command("collect")
@workspace_argument
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Số tiến trình đọc tệp song song.")
@json_option
@reports_errors
def appraise_collect(directory: Path, inputs: tuple[Path, ...], jobs: int, as_json: bool) -> None:
    """Nhận biểu thẩm định đã điền: lưu trữ, nhận dạng, kiểm tra điểm và lý do, ghi sổ.

    Mọi tệp được lưu vào archive/ trước khi đọc; tệp đã nhận được báo là trùng và không xử lý lại.
    Mỗi trang đơn vị được chấp nhận hoặc trả lại riêng; trang mới hơn của cùng đơn vị thay trang
    cũ (trang cũ vẫn được giữ trong sổ). Thoát với mã 1 khi có tệp hoặc trang bị trả lại.

    Ví dụ: formkit appraise collect ./cchc-2020 ~/Downloads/tham-dinh
    """
    from formkit.appraisal import collect_appraisals

    workspace = open_workspace(directory)
    with progress_bar("Đọc biểu thẩm định", as_json) as progress:
        report = collect_appraisals(workspace, list(inputs), jobs, progress)
    if as_json:
        print_json(report.to_dict())
    else:
        for result in report.results:
            click.echo(f"{STATUS_LABELS.get(result.status, result.status):<18} {result.name}")
            for finding in result.findings:
                click.echo("    " + finding.describe())
            for unit in result.units:
                click.echo(f"    {unit.unit:<8} {STATUS_LABELS.get(unit.status, unit.status):<18} "
                           f"{unit.scores} điểm thẩm định")
                for finding in unit.findings:
                    click.echo("      " + finding.describe())
        print_findings(report.problems)
        counts = ", ".join(f"{n} {STATUS_LABELS.get(s, s)}" for s, n in report.counts().items())
        click.echo(f"Tổng cộng {len(report.results)} tệp: {counts or 'không có tệp nào'}.")
    sys.exit(EXIT_REJECTED if report.rejected else EXIT_OK)

"""`formkit survey ...`: the sociological survey's commands (thin wrappers over formkit.survey)."""

from __future__ import annotations

import click


@click.group()
def survey() -> None:
    """Điều tra xã hội học: kế hoạch mẫu, phiếu giấy, tệp nhập phiếu, nhận phiếu, chấm điểm."""


# ---- survey score & status -------------------------------------------------------------------
from pathlib import Path  # noqa: E402

from formkit.cli import json_option, print_json, reports_errors, workspace_argument  # noqa: E402


@survey.command("score")
@workspace_argument
@json_option
@reports_errors
def survey_score(directory: Path, as_json: bool) -> None:
    """Tính điểm điều tra XHH của từng đơn vị từ các phiếu hợp lệ; ghi out/survey/scores.csv.

    Mỗi tiêu chí thành phần chấm bằng điều tra XHH: trong từng nhóm đối tượng, lấy trung bình
    (tỷ lệ điểm của phương án × điểm tối đa) trên các câu trả lời hợp lệ ("không trả lời" không
    tính vào mẫu số); giữa các nhóm, lấy trung bình có trọng số. Nhóm không có câu trả lời hợp lệ
    bị bỏ và chia lại trọng số, hoặc tính 0 (survey.empty_group trong campaign.yaml). Ghi thêm
    out/survey/scores_by_group.csv (chi tiết từng nhóm) và một sự kiện vào sổ theo dõi.

    Ví dụ: formkit survey score ./cchc-2020 --json
    """
    from formkit.survey.status import run_scoring
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    run = run_scoring(workspace)
    if as_json:
        print_json(run.to_dict())
        return
    for line in render_scores(workspace, run):
        click.echo(line)


def render_scores(workspace, run) -> list[str]:
    from formkit.survey.scoring import rounded
    from formkit.text import format_number
    from formkit.units import UNIT_TYPES

    totals = run.scores.totals().set_index("unit")
    rule = {"renormalise": "bỏ nhóm, chia lại trọng số", "zero": "tính 0"}[run.scores.empty_group]
    lines = [f"Điểm điều tra XHH từ {run.questionnaires} phiếu hợp lệ ({run.answers} câu trả lời); "
             f"nhóm không có câu trả lời hợp lệ: {rule}."]
    for unit_type, label in UNIT_TYPES.items():
        units = [u for u in workspace.sorted_units(unit_type) if u.code in totals.index]
        if not units:
            continue
        lines += ["", f"{label} ({len(units)})",
                  f"  {'Mã':<7} {'Đơn vị':<30} {'Điểm':>6} {'Tối đa':>7}  Ghi chú"]
        for unit in units:
            row = totals.loc[unit.code]
            notes = []
            if row["leaves_without_answers"]:
                notes.append(f"{row['leaves_without_answers']} tiêu chí không có câu trả lời")
            if row["groups_short"]:
                notes.append(click.style(f"{row['groups_short']} nhóm thiếu mẫu", fg="red"))
            name = unit.short_name if len(unit.short_name) <= 30 else unit.short_name[:29] + "…"
            lines.append(f"  {unit.code:<7} {name:<30} {format_number(rounded(row['points_exact'], 2)):>6} "
                         f"{format_number(row['survey_max']):>7}  {'; '.join(notes)}")
    lines += ["", f"Đã ghi: {', '.join(str(p) for p in run.files.values())}"]
    return lines


@survey.command("status")
@workspace_argument
@json_option
@reports_errors
def survey_status_command(directory: Path, as_json: bool) -> None:
    """Tình hình phiếu khảo sát theo đơn vị × nhóm: phát ra, đã nhập, hợp lệ, so với kế hoạch.

    Mỗi dòng: số phiếu theo kế hoạch, đã phát ra (số phiếu của kế hoạch mẫu), đã nhập có trả
    lời, không thu về, hợp lệ (dùng để tính điểm) và số phiếu hợp lệ tối thiểu; dòng thiếu mẫu
    được đánh dấu. Cộng theo nhóm đối tượng, theo loại đơn vị và toàn bộ. Lệnh chỉ để xem nên
    thoát với mã 0.

    Ví dụ: formkit survey status ./cchc-2020 --json
    """
    from formkit.survey.status import survey_status
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    report = survey_status(workspace)
    if as_json:
        print_json(report.to_dict())
        return
    for line in render_survey_status(workspace, report):
        click.echo(line)


def render_survey_status(workspace, report) -> list[str]:
    from formkit.units import UNIT_TYPES

    def cells(item) -> str:
        plan = "-" if item.quota is None else str(item.quota)
        issued = "-" if item.issued is None else str(item.issued)
        return (f"{plan:>8} {issued:>6} {item.keyed:>6} {item.not_returned:>12} {item.valid:>7} "
                f"{item.min_valid:>9}")

    header = (f"{'Kế hoạch':>8} {'Phát':>6} {'Nhập':>6} {'Không thu về':>12} {'Hợp lệ':>7} "
              f"{'Tối thiểu':>9}")
    lines = [] if report.planned else [
        "Chưa có kế hoạch mẫu (khai báo 'sampling' trong campaign.yaml): chỉ có số phiếu đã nhập."]
    names = {u.code: u.short_name for u in workspace.units}
    totals = report.totals()
    for unit_type, label in UNIT_TYPES.items():
        rows = [r for r in report.rows if r.unit_type == unit_type]
        if not rows:
            continue
        lines += ["", f"{label}", f"  {'Mã':<7} {'Đơn vị':<24} {'Nhóm':<14} {header}"]
        for row in rows:
            name = names[row.unit] if len(names[row.unit]) <= 24 else names[row.unit][:23] + "…"
            line = f"  {row.unit:<7} {name:<24} {row.group:<14} {cells(row)}"
            lines.append(click.style(line + "  THIẾU MẪU", fg="red") if row.shortfall else line)
        lines.append("  Cộng:")
        for total in (t for t in totals if t.unit_type == unit_type):
            group = total.group or "Tất cả"
            short = f"  {total.short} đơn vị × nhóm thiếu mẫu" if total.short else ""
            lines.append(f"  {'':<7} {'':<24} {group:<14} {cells(total)}{short}")
    overall = totals[-1]
    lines += ["", f"Toàn bộ: {overall.cells} đơn vị × nhóm, kế hoạch "
                  f"{'-' if overall.quota is None else overall.quota} phiếu, đã phát "
                  f"{'-' if overall.issued is None else overall.issued}, đã nhập {overall.keyed}, "
                  f"không thu về {overall.not_returned}, hợp lệ {overall.valid}; "
                  f"{overall.short} đơn vị × nhóm thiếu mẫu."]
    return lines
# ---- end survey score & status ---------------------------------------------------------------


# ---- survey entry & collect ------------------------------------------------------------------
ENTRY_STATUS_LABELS = {"accepted": "nhận", "accepted-with-warnings": "nhận, có cảnh báo",
                       "rejected": "trả lại", "duplicate": "đã nhận trước đó"}
ENTRY_STATE_LABELS = {"answered": "có trả lời", "not-returned": "không thu về", "invalid": "có lỗi"}


@survey.command("entry")
@workspace_argument
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE",
              help="Chỉ tạo tệp nhập phiếu cho đơn vị này (nhắc lại để chọn nhiều đơn vị).")
@click.option("--batch", "batch_size", type=click.IntRange(min=1), metavar="N",
              help="Chia phiếu của mỗi đơn vị thành các lô N phiếu, mỗi lô một tệp.")
@json_option
@reports_errors
def survey_entry(directory: Path, unit_codes: tuple[str, ...], batch_size: int | None,
                 as_json: bool) -> None:
    """Tạo tệp nhập phiếu khảo sát (.xlsx có bảo vệ và chữ ký) cho cán bộ nhập phiếu giấy.

    Mỗi đơn vị (hoặc mỗi lô N phiếu) một tệp, mỗi nhóm đối tượng một trang tính: mỗi phiếu đã
    phát hành một dòng khóa sẵn số phiếu, mỗi câu hỏi một cột có danh sách mã phương án (kèm mã
    không trả lời), cột "Người nhập" và "Tình trạng phiếu". Mỗi tệp có hai bản nhập (bản nhập 1,
    bản nhập 2) để hai người nhập độc lập và đối chiếu. Chạy lại an toàn: tệp không đổi thì không
    ghi lại, sổ theo dõi không bị trùng.

    Ví dụ: formkit survey entry ./cchc-2020 --unit 005 --batch 100
    """
    from formkit.cli import progress_bar
    from formkit.survey.entry import ENTRY_DIR, generate_entry_workbooks
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    with progress_bar("Tạo tệp nhập phiếu", as_json) as progress:
        issued = generate_entry_workbooks(workspace, unit_codes or None, batch_size, progress)
    if as_json:
        print_json([entry.to_dict() for entry in issued])
        return
    changed = sum(1 for entry in issued if entry.changed)
    click.echo(f"{len(issued)} tệp nhập phiếu ({changed} tệp mới hoặc thay đổi) trong "
               f"{workspace.out_dir / ENTRY_DIR}")
    for entry in issued:
        click.echo(f"  {entry.unit_code:<8} {entry.form_id:<26} {entry.serials:>5} phiếu  "
                   f"{entry.path.name}")


@survey.command("collect")
@workspace_argument
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@reports_errors
def survey_collect(directory: Path, inputs: tuple[Path, ...], as_json: bool) -> None:
    """Nhận tệp nhập phiếu đã nhập: tệp, thư mục, thư .eml; lưu trữ, kiểm tra, ghi sổ, đối chiếu.

    Mọi tệp được lưu vào archive/ trước khi đọc; tệp đã nhận được báo là trùng và không xử lý
    lại. Mỗi phiếu được kiểm tra (số phiếu, mã phương án, phiếu trống, phiếu trả lời thiếu); khi
    cả hai bản nhập đã có, mọi ô khác nhau được liệt kê và phiếu đó chưa được tính điểm cho đến
    khi gửi lại bản đã sửa. Thoát với mã 1 khi có tệp bị trả lại.

    Ví dụ: formkit survey collect ./cchc-2020 ~/Downloads/nhap-phieu
    """
    from formkit.cli import EXIT_OK, EXIT_REJECTED, print_findings, progress_bar
    from formkit.survey.answers import collect_entries
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    with progress_bar("Đọc tệp nhập phiếu", as_json) as progress:
        report = collect_entries(workspace, list(inputs), progress)
    if as_json:
        print_json(report.to_dict())
    else:
        for line in render_entry_collect(report):
            click.echo(line)
        print_findings(report.problems)
    raise SystemExit(EXIT_REJECTED if report.rejected else EXIT_OK)


def render_entry_collect(report) -> list[str]:
    """Errors and warnings in full; the many "not returned" notes only counted."""
    lines = []
    for result in report.results:
        unit = f" [{result.unit}, bản nhập {result.copy}]" if result.unit else ""
        states = ", ".join(f"{n} {ENTRY_STATE_LABELS.get(s, s)}" for s, n in result.questionnaires.items())
        lines.append(f"{ENTRY_STATUS_LABELS.get(result.status, result.status):<18} {result.name}{unit}"
                     + (f": {states}" if states else ""))
        notes = [f for f in result.findings if f.severity.value == "info" and f.code != "file.duplicate"]
        lines += ["    " + f.describe() for f in result.findings if f not in notes]
        if notes:
            lines.append(f"    {len(notes)} thông tin (phiếu không thu về, phiếu thay thế): xem --json")
    counts = ", ".join(f"{n} {ENTRY_STATUS_LABELS.get(s, s)}" for s, n in report.counts().items())
    lines.append(f"Tổng cộng {len(report.results)} tệp: {counts or 'không có tệp nào'}.")
    if report.disagreements:
        lines.append(f"{len(report.disagreements)} ô khác nhau giữa hai bản nhập (phiếu chưa được tính):")
        for d in report.disagreements:
            what = f"câu {d.question}" if d.question else "tình trạng phiếu"
            lines.append(f"  {d.serial} {what}: bản {d.a.copy} '{d.value_a}' ({d.a.sheet}!{d.cell_a}) "
                         f"≠ bản {d.b.copy} '{d.value_b}' ({d.b.sheet}!{d.cell_b})")
    return lines
# ---- end survey entry & collect --------------------------------------------------------------


# ---- survey plan & forms ---------------------------------------------------------------------
import formkit.cli as cli_base  # noqa: E402


@survey.command("plan")
@cli_base.workspace_argument
@cli_base.json_option
@cli_base.reports_errors
def survey_plan(directory: Path, as_json: bool) -> None:
    """Kế hoạch mẫu: số phiếu phát ra và số phiếu hợp lệ tối thiểu cho mỗi đơn vị × nhóm.

    Đọc tệp khai báo ở 'sampling' trong campaign.yaml (mặc định, theo nhóm đối tượng, theo đơn vị
    × nhóm); số phiếu có thể tính từ số đối tượng N theo n = N / (1 + N·e²), làm tròn lên. Bảng
    ghi "số phiếu/tối thiểu" cho từng đơn vị, cộng theo nhóm, theo loại đơn vị và toàn bộ.

    Ví dụ: formkit survey plan ./cchc-2020 --json
    """
    from formkit.survey.plan import sampling_plan
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    plan = sampling_plan(workspace)
    if as_json:
        cli_base.print_json(plan.to_dict())
        return
    for line in render_plan(workspace, plan):
        click.echo(line)


def render_plan(workspace, plan) -> list[str]:
    """One row per unit, one column per group: 'quota/minimum', '*' when derived from N."""
    from formkit.text import format_number
    from formkit.units import UNIT_TYPES

    lines = [f"Kế hoạch mẫu {plan.path} (sai số e = {format_number(plan.margin_of_error)})."]
    totals = plan.totals()
    for unit_type, label in UNIT_TYPES.items():
        rows = [r for r in plan.rows if r.unit_type == unit_type]
        if not rows:
            continue
        groups = list(dict.fromkeys(r.group for r in rows))
        cells = {(r.unit, r.group): f"{r.quota}/{r.min_valid}{'*' if r.derived else ''}"
                 for r in rows}
        lines += ["", f"{label}", f"  {'Mã':<7} {'Đơn vị':<26}" + "".join(
            f" {g[:13]:>13}" for g in groups) + f" {'Cộng':>9}"]
        for unit in workspace.sorted_units(unit_type):
            unit_rows = [r for r in rows if r.unit == unit.code]
            name = unit.short_name if len(unit.short_name) <= 26 else unit.short_name[:25] + "…"
            lines.append(f"  {unit.code:<7} {name:<26}" + "".join(
                f" {cells[unit.code, g]:>13}" for g in groups) + f" {_pair(unit_rows):>9}")
        by_group = {t.group: t for t in totals if t.unit_type == unit_type}
        lines.append(f"  {'':<7} {'Cộng':<26}" + "".join(
            f" {by_group[g].quota:>8}/{by_group[g].min_valid:<4}" for g in groups)
            + f" {by_group[None].quota:>4}/{by_group[None].min_valid:<4}")
    lines += ["", f"Toàn bộ: {len(plan.rows)} đơn vị × nhóm, {plan.quota} phiếu phát ra, tối thiểu "
                  f"{sum(r.min_valid for r in plan.rows)} phiếu hợp lệ.",
              "Mỗi ô: số phiếu phát ra/số phiếu hợp lệ tối thiểu; * số phiếu tính từ số đối tượng N "
              "theo n = N / (1 + N·e²)."]
    return lines


def _pair(rows) -> str:
    return f"{sum(r.quota for r in rows)}/{sum(r.min_valid for r in rows)}"


@survey.command("forms")
@cli_base.workspace_argument
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE",
              help="Chỉ tạo phiếu cho đơn vị này (nhắc lại để chọn nhiều đơn vị).")
@click.option("--docx", is_flag=True,
              help="Ghi thêm bản Word (.docx) để đơn vị sửa trước khi in (không dùng để đọc máy).")
@cli_base.json_option
@cli_base.reports_errors
def survey_forms(directory: Path, unit_codes: tuple[str, ...], docx: bool, as_json: bool) -> None:
    """Tạo phiếu khảo sát giấy (PDF khổ A4) cho từng đơn vị × nhóm đối tượng, ghi sổ theo dõi.

    Mỗi tệp out/survey/paper/<loại đơn vị>/<mã - tên đơn vị>/<nhóm>.pdf chứa một phiếu cho mỗi
    suất của kế hoạch mẫu, mỗi phiếu bắt đầu ở trang mới, có số phiếu (chữ và mã QR) trên mọi
    trang; tệp <nhóm>.layout.json bên cạnh ghi vị trí các ô đánh dấu để đọc phiếu quét bằng
    máy. Cần phông Times New Roman hoặc Liberation Serif. Chạy lại an toàn: tệp không đổi thì
    không ghi lại.

    Ví dụ: formkit survey forms ./cchc-2020 --unit 005 --docx
    """
    from formkit.survey.paper import write_questionnaires
    from formkit.workspace import open_workspace

    workspace = open_workspace(directory)
    with cli_base.progress_bar("Tạo phiếu khảo sát", as_json) as progress:
        written = write_questionnaires(workspace, unit_codes or None, docx, progress)
    if as_json:
        cli_base.print_json([q.to_dict() for q in written])
        return
    copies = sum(q.copies for q in written)
    pages = sum(q.copies * q.pages_per_copy for q in written)
    changed = sum(1 for q in written if q.changed)
    click.echo(f"{len(written)} tệp phiếu khảo sát: {copies} phiếu, {pages} trang ({changed} tệp "
               f"mới hoặc thay đổi) trong {workspace.out_dir / 'survey' / 'paper'}")
    for q in written:
        click.echo(f"  {q.unit:<8} {q.group:<14} {q.copies:>4} phiếu × {q.pages_per_copy} trang  "
                   f"{q.path.relative_to(workspace.root)}")
# ---- end survey plan & forms -----------------------------------------------------------------

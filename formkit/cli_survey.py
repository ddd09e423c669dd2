"""`formkit survey ...`: the sociological survey's commands (thin wrappers over formkit.survey)."""

from __future__ import annotations

import click


@click.group()
def survey() -> None:
    """Điều tra xã hội học: kế hoạch mẫu, phiếu giấy, tệp nhập phiếu, nhận phiếu, chấm điểm."""

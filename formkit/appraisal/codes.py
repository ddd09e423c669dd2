"""Finding codes of the appraisal round; the generic ones (scores, files, signatures) come from
formkit.findings.Code and keep their meaning here."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from formkit.findings import Finding, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741


class AppraisalCode(Enum):
    """(code, severity, title, Vietnamese message template), as in formkit.findings.Code."""

    NOT_APPRAISAL = ("appraisal.not_appraisal", E, "Another kind of formkit form",
                     "Tệp là {what}, không phải biểu thẩm định; tệp được để lại cho lệnh nhận đúng "
                     "loại ({command}). Biểu thẩm định lập bằng: formkit appraise sheets.")
    STALE = ("appraisal.stale", E, "Appraisal of an older return",
             "Biểu thẩm định của đơn vị {unit} được lập theo biểu tự đánh giá tệp số {old}, nhưng "
             "biểu tự đánh giá hiện hành của đơn vị là {new}. Lập lại biểu thẩm định (formkit "
             "appraise sheets) và thẩm định theo biểu mới.")
    REASON_MISSING = ("appraisal.reason_missing", E, "Changed score without a reason",
                      "Điểm thẩm định {value} của tiêu chí {code} khác điểm tự đánh giá {self_score} "
                      "nhưng chưa ghi lý do điều chỉnh. Ghi lý do ở ô {reason_cell}.")
    SELF_SCORE_CHANGED = ("appraisal.self_score_changed", E, "Self-score on the sheet changed",
                          "Điểm tự đánh giá của tiêu chí {code} trên biểu là '{found}', khác điểm "
                          "đơn vị đã gửi ({expected}). Không sửa các ô khóa; lập lại biểu thẩm định.")
    UNIT_TWICE = ("appraisal.unit_twice", E, "Unit appraised twice in one file",
                  "Đơn vị {unit} có hơn một trang thẩm định trong cùng tệp; chỉ giữ một trang.")

    def __init__(self, code: str, severity: Severity, title: str, template: str) -> None:
        self.code = code
        self.severity = severity
        self.title = title
        self.template = template

    def __call__(self, *, file: str | None = None, item: str | None = None,
                 sheet: str | None = None, cell: str | None = None, **params: object) -> Finding:
        """Build a finding of this code; params fill the message template."""
        shown = {key: format(value.normalize(), "f").replace(".", ",")
                 if isinstance(value, Decimal) else value
                 for key, value in {"file": file, "item": item, "sheet": sheet, "cell": cell,
                                    **params}.items()}
        return Finding(self.code, self.severity, self.template.format(**shown), file=file,
                       sheet=sheet, cell=cell, item=item)

"""The appraisal round (thẩm định): council workbooks out, appraised scores in.

`generate_appraisal_sheets` writes one signed, protected workbook per unit (or per unit type)
from each unit's current accepted return; `collect_appraisals` receives them with the intake
rules; `current_appraisal` is what consolidation reads.
"""

from __future__ import annotations

from formkit.appraisal.collect import AppraisalCollectReport, collect_appraisals
from formkit.appraisal.current import AppraisedScore, CurrentAppraisal, current_appraisal
from formkit.appraisal.identity import APPRAISAL, AppraisalIdentity
from formkit.appraisal.sheets import SheetsReport, generate_appraisal_sheets

__all__ = ["APPRAISAL", "AppraisalCollectReport", "AppraisalIdentity", "AppraisedScore",
           "CurrentAppraisal", "SheetsReport", "collect_appraisals", "current_appraisal",
           "generate_appraisal_sheets"]

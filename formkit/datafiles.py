"""Checking any formkit data file by what it holds: a catalogue, a survey or a list of units.

`formkit catalog check` takes whatever staff point it at; the top-level key tells the kind, so
one command validates every file in form_templates/ and in a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from formkit.catalog import Catalog, check_catalog
from formkit.findings import Code, Finding, has_errors
from formkit.survey.questionnaire import Survey, check_survey
from formkit.text import format_number
from formkit.units import UNIT_TYPES, Unit, check_units
from formkit.yamlsrc import YMap, load_yaml

KINDS = {"catalog": "bộ tiêu chí", "survey": "bộ phiếu khảo sát", "units": "danh sách đơn vị"}


@dataclass
class DataFileReport:
    path: str
    kind: str | None
    findings: list[Finding] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind is not None and not has_errors(self.findings)

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "ok": self.ok, "summary": self.summary,
                "findings": [f.to_dict() for f in self.findings]}


def detect_kind(path: Path) -> tuple[str | None, list[Finding]]:
    data, findings = load_yaml(path)
    if isinstance(data, YMap):
        for kind in KINDS:
            if kind in data:
                return kind, findings
    if data is not None or not findings:
        findings.append(Code.MISSING_KEY(file=str(path), line=1,
                                         key="catalog', 'survey' hoặc 'units"))
    return None, findings


def check_data_file(path: Path | str) -> DataFileReport:
    path = Path(path)
    kind, findings = detect_kind(path)
    report = DataFileReport(str(path), kind, findings)
    if kind == "catalog":
        catalog, report.findings = check_catalog(path)
        report.summary = catalog_summary(catalog) if catalog else {}
    elif kind == "survey":
        survey, report.findings = check_survey(path)
        report.summary = survey_summary(survey) if survey else {}
    elif kind == "units":
        units, report.findings = check_units(path)
        report.summary = units_summary(units) if units is not None else {}
    return report


def catalog_summary(catalog: Catalog) -> dict:
    leaves = catalog.leaves()
    return {"id": catalog.id, "title": catalog.title, "valid_years": list(catalog.valid_years),
            "unit_type": catalog.unit_type, "areas": len(catalog.areas()),
            "leaves": len(leaves), "total_points": str(catalog.total_points),
            "appraisal_points": str(sum(leaf.appraisal for leaf in leaves)),
            "survey_points": str(sum(leaf.survey for leaf in leaves)),
            "content_hash": catalog.content_hash}


def survey_summary(survey: Survey) -> dict:
    return {"id": survey.id, "title": survey.title, "valid_years": list(survey.valid_years),
            "unit_type": survey.unit_type,
            "catalog": survey.catalog.id, "scales": [s.code for s in survey.scales],
            "groups": {g.code: len(g.questions) for g in survey.groups},
            "content_hash": survey.content_hash}


def units_summary(units: tuple[Unit, ...]) -> dict:
    return {"units": len(units),
            "by_type": {t: sum(1 for u in units if u.unit_type == t) for t in UNIT_TYPES}}


def describe_summary(report: DataFileReport) -> str:
    """One Vietnamese line saying what a valid file holds."""
    s = report.summary
    if report.kind == "catalog":
        return (f"{s['id']}: {s['areas']} lĩnh vực, {s['leaves']} tiêu chí thành phần, "
                f"tổng {format_number(Decimal(s['total_points']))} điểm (thẩm định "
                f"{format_number(Decimal(s['appraisal_points']))}, điều tra XHH "
                f"{format_number(Decimal(s['survey_points']))}); mã nội dung "
                f"{s['content_hash'][:12]}")
    if report.kind == "survey":
        groups = ", ".join(f"{code} ({n} câu)" for code, n in s["groups"].items())
        return f"{s['id']}: {len(s['groups'])} nhóm đối tượng: {groups}"
    if report.kind == "units":
        return f"{s['units']} đơn vị: " + ", ".join(
            f"{n} {UNIT_TYPES[t].lower()}" for t, n in s["by_type"].items())
    return ""

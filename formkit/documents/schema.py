"""The variables each Word template may use and must use: report_templates/README.md as data.

The template checker (formkit.documents.lint) reads it to find unknown and missing variables, and
the tests of the document contexts read it to prove every variable is provided. A shape is a leaf
kind (TEXT, NUMBER, FLAG, IMAGE), a dict of named shapes, or a one-item list: a list of that shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TEXT, NUMBER, FLAG, IMAGE = "text", "number", "flag", "image"
ITEM = "[]"  # the path segment of a list's items: ("rows", ITEM, "code") is rows[].code
Shape = str | dict[str, "Shape"] | list["Shape"]
VarPath = tuple[str, ...]

PERSON: Shape = {"name": TEXT, "position": TEXT}
SHARED: dict[str, Shape] = {
    "year": NUMBER,
    "header": {"parent_body": TEXT, "issuing_body": TEXT, "number_line": TEXT, "place_date": TEXT},
    "signer": {"authority": TEXT, "position": TEXT, "title": TEXT, "name": TEXT},
    "recipients": [TEXT],
    "rank_rule": TEXT,
    "has_bands": FLAG,
    "band_rule": TEXT,
    "rounding_note": TEXT,
}
MINUTES: dict[str, Shape] = {
    **SHARED,
    "unit": {"code": TEXT, "name": TEXT, "document_name": TEXT, "type_label": TEXT},
    "meeting": {"date": TEXT, "start": TEXT, "end": TEXT, "place": TEXT, "chair": PERSON,
                "secretary": PERSON, "members": [PERSON], "council_basis": TEXT, "attendance": TEXT,
                "copies": TEXT},
    "survey_only": FLAG,
    "rows": [{"code": TEXT, "text": TEXT, "level": NUMBER, "heading": FLAG, "max": TEXT, "self": TEXT,
              "appraised": TEXT, "difference": TEXT, "reason": TEXT}],
    "totals": {"max": TEXT, "self": TEXT, "appraised": TEXT, "difference": TEXT},
    "survey_points": TEXT,
    "conclusion": [TEXT],
    "facts": TEXT,
    "missing": TEXT,
    "has_return": FLAG,
    "appraised": FLAG,
}
GROUP: Shape = {
    "label": TEXT, "heading": TEXT, "count": TEXT, "mean": TEXT, "median": TEXT,
    "highest": {"name": TEXT, "total": TEXT}, "lowest": {"name": TEXT, "total": TEXT},
    "above": TEXT, "below": TEXT, "sentences": [TEXT], "notes": [TEXT],
    "table": TEXT, "chart_note": TEXT, "caption_ranking": TEXT, "caption_areas": TEXT,
    "caption_change": TEXT,
    "area_means": [{"code": TEXT, "name": TEXT, "percent": TEXT}],
    "adjustment_sentences": [TEXT], "change_sentences": [TEXT],
    "ranking": [{"rank": TEXT, "name": TEXT, "appraised": TEXT, "survey": TEXT, "total": TEXT,
                 "max": TEXT, "index": TEXT, "band": TEXT, "change": TEXT, "rank_change": TEXT}],
    "show_max": FLAG,
    "chart_ranking": IMAGE, "chart_areas": IMAGE, "chart_change": IMAGE,
}
REPORT: dict[str, Shape] = {
    **SHARED,
    "title_line": TEXT,
    "basis": [TEXT],
    "process": {"units_total": TEXT, "forms_sent": TEXT, "returns_accepted": TEXT,
                "self_deadline": TEXT, "survey_issued": TEXT, "survey_valid": TEXT,
                "survey_groups": [{"name": TEXT, "issued": TEXT, "valid": TEXT}],
                "appraisal_units": TEXT, "appraisal_changed": TEXT, "self_sentences": [TEXT],
                "appraisal_sentences": [TEXT], "survey_sentence": TEXT},
    "groups": [GROUP],
    "assessment": {"achieved": [TEXT], "limits": [TEXT]},
    "missing": [TEXT],
    "has_previous": FLAG,
}
DECISION: dict[str, Shape] = {
    **SHARED,
    "authority": TEXT,
    "summary": TEXT,
    "approval": TEXT,
    "basis": [TEXT],
    "proposal": TEXT,
    "reference": TEXT,
    "appendices": [{"numeral": TEXT, "title": TEXT, "areas": [{"code": TEXT, "name": TEXT}],
                    "rows": [{"stt": TEXT, "name": TEXT, "areas": [TEXT], "appraised": TEXT,
                              "survey": TEXT, "total": TEXT, "max": TEXT, "index": TEXT,
                              "rank": TEXT, "band": TEXT}],
                    "show_max": FLAG, "notes": [TEXT], "coverage": TEXT}],
}

HEADER_REQUIRED = {"header.issuing_body": "tên cơ quan ban hành",
                   "header.number_line": "số, ký hiệu văn bản",
                   "header.place_date": "địa danh và ngày tháng năm"}
SIGNER_REQUIRED = {"signer.position": "quyền hạn, chức vụ người ký", "signer.title": "chức danh người ký",
                   "signer.name": "họ tên người ký", "recipients": "nơi nhận"}


@dataclass(frozen=True)
class TemplateKind:
    """One of the three templates: its file name, its variables and those it must use."""

    name: str
    file: str
    title: str  # Vietnamese, for messages
    variables: dict[str, Shape]
    required: dict[str, str]  # dotted path -> what it is, in Vietnamese


KINDS: dict[str, TemplateKind] = {kind.name: kind for kind in (
    TemplateKind("minutes", "bien_ban_tham_dinh.docx", "biên bản thẩm định", MINUTES, {
        **HEADER_REQUIRED, "unit.document_name": "tên đơn vị được thẩm định",
        "meeting.chair.name": "họ tên chủ trì", "meeting.secretary.name": "họ tên thư ký",
        "rows": "bảng kết quả thẩm định từng tiêu chí", "rows[].code": "mã tiêu chí trong bảng",
        "rows[].max": "điểm tối đa trong bảng", "rows[].self": "điểm tự đánh giá trong bảng",
        "rows[].appraised": "điểm thẩm định trong bảng", "rows[].difference": "điểm điều chỉnh trong bảng",
        "rows[].reason": "lý do điều chỉnh trong bảng", "totals.appraised": "tổng điểm thẩm định",
        "conclusion": "kết luận"}),
    TemplateKind("report", "bao_cao_ket_qua.docx", "báo cáo kết quả", REPORT, {
        **HEADER_REQUIRED, **SIGNER_REQUIRED, "title_line": "trích yếu", "rank_rule": "nguyên tắc xếp hạng",
        "groups": "kết quả từng khối", "groups[].sentences": "nhận xét bằng số liệu của từng khối",
        "groups[].ranking": "bảng xếp hạng", "groups[].ranking[].total": "tổng điểm trong bảng xếp hạng",
        "groups[].ranking[].rank": "thứ hạng trong bảng xếp hạng"}),
    TemplateKind("decision", "quyet_dinh_cong_bo.docx", "quyết định công bố", DECISION, {
        **HEADER_REQUIRED, **SIGNER_REQUIRED, "summary": "trích yếu", "basis": "các căn cứ",
        "reference": "số, ngày quyết định ghi ở phụ lục", "rank_rule": "nguyên tắc xếp hạng",
        "appendices": "các phụ lục", "appendices[].rows": "bảng của phụ lục",
        "appendices[].rows[].areas": "điểm từng lĩnh vực", "appendices[].rows[].appraised": "điểm thẩm định",
        "appendices[].rows[].survey": "điểm điều tra xã hội học", "appendices[].rows[].total": "tổng điểm",
        "appendices[].rows[].index": "Chỉ số %", "appendices[].rows[].rank": "xếp hạng",
        "appendices[].rows[].band": "xếp loại (khi có cấu hình xếp loại)"}),
)}


def kind_of(path: Path) -> TemplateKind | None:
    """The kind a template file is, by its name (a workspace override keeps the shipped name)."""
    return next((kind for kind in KINDS.values() if kind.file == path.name), None)


def split_path(text: str) -> VarPath:
    """'rows[].code' -> ('rows', '[]', 'code')."""
    return tuple(part for segment in text.split(".")
                 for part in ((segment[:-2], ITEM) if segment.endswith(ITEM) else (segment,)))


def dotted(path: VarPath) -> str:
    """('rows', '[]', 'code') -> 'rows[].code'."""
    return ".".join(path).replace("." + ITEM, ITEM)


def lookup(variables: dict[str, Shape], path: VarPath) -> tuple[bool, Shape | None]:
    """(known, shape) of a path. Anything under a leaf is known: text methods, image attributes."""
    shape: Shape = variables
    for segment in path:
        if isinstance(shape, str):
            return True, None
        if isinstance(shape, list) and segment == ITEM:
            shape = shape[0]
        elif isinstance(shape, dict) and segment in shape:
            shape = shape[segment]
        else:
            return False, shape
    return True, shape


_ABSENT = object()


def context_gaps(kind: str, context: Mapping) -> list[str]:
    """Every variable of the kind's contract that the context lacks, as dotted paths.

    Each item of a list is checked; an attribute or a key both count, as they do in Jinja.
    """
    return list(_gaps(KINDS[kind].variables, context, ()))


def _gaps(shape: Shape, value: object, path: VarPath):
    if isinstance(shape, dict):
        for key, inner in shape.items():
            found = _get(value, key)
            if found is _ABSENT:
                yield dotted((*path, key))
            else:
                yield from _gaps(inner, found, (*path, key))
    elif isinstance(shape, list) and isinstance(value, list | tuple):
        seen = set()
        for item in value:
            seen.update(_gaps(shape[0], item, (*path, ITEM)))
        yield from sorted(seen)


def _get(value: object, key: str) -> object:
    if isinstance(value, Mapping):
        return value.get(key, _ABSENT)
    return getattr(value, key, _ABSENT)

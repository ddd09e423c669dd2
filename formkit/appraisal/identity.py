"""The identity an appraisal sheet carries: which unit, which return it appraises, where each cell is.

Like a self-assessment form, each unit's sheet is described by a canonical JSON payload signed
with the workspace secret. The payload also names the exact return (received file id and
sha256) the council saw, so scores typed against an older return can never be credited to a
newer one. A workbook holds one payload and signature pair per unit sheet, in the very-hidden
identity sheet: A2/A3 for the first unit, A4/A5 for the second, and so on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from formkit.forms.identity import IDENTITY_SHEET, sign, verify

APPRAISAL = "appraisal"  # issued_files.kind and the identity's kind
APPRAISAL_CODE = "THD"  # in form ids: Thẩm định
APPRAISAL_VERSION = 1
__all__ = ["APPRAISAL", "IDENTITY_SHEET", "AppraisalIdentity", "SourceReturn", "appraisal_form_id",
           "identity_cells", "sign", "verify"]


@dataclass(frozen=True)
class SourceReturn:
    """The accepted self-assessment return an appraisal sheet was made from."""

    received_file_id: int
    sha256: str
    form_id: str  # the self-assessment form the unit returned


@dataclass(frozen=True)
class AppraisalIdentity:
    campaign: str
    year: int
    unit: str
    unit_type: str
    form_id: str
    catalog_hash: str
    sheet: str
    columns: dict[str, str]  # field -> column letter, e.g. {"appraised": "I"}
    rows: dict[str, int]  # leaf code -> 1-based row on `sheet`
    inputs: tuple[str, ...]  # leaves the council scores (applicable, with appraisal points)
    not_applicable: tuple[str, ...]
    source: SourceReturn
    kind: str = APPRAISAL
    version: int = APPRAISAL_VERSION

    def payload(self) -> str:
        """Canonical JSON: the exact text that is signed and stored in the workbook."""
        data = asdict(self)
        data["inputs"], data["not_applicable"] = list(self.inputs), list(self.not_applicable)
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_payload(cls, text: str) -> AppraisalIdentity:
        """Parse a stored payload; ValueError when it is not an appraisal identity."""
        try:
            data = json.loads(text)
            if data.get("kind") != APPRAISAL:
                raise ValueError(f"kind {data.get('kind')!r} is not {APPRAISAL!r}")
            data["inputs"] = tuple(data["inputs"])
            data["not_applicable"] = tuple(data["not_applicable"])
            data["source"] = SourceReturn(**data["source"])
            return cls(**data)
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not an appraisal identity: {exc}") from exc

    def cell(self, leaf: str, field_name: str) -> str:
        return f"{self.columns[field_name]}{self.rows[leaf]}"


def identity_cells(index: int) -> tuple[str, str]:
    """The (payload, signature) cells of the index-th unit sheet on the identity sheet."""
    return f"A{2 + 2 * index}", f"A{3 + 2 * index}"


def appraisal_form_id(secret: bytes, campaign: str, year: int, unit: str, catalog_hash: str,
                      source_sha256: str) -> str:
    """Stable for one return: the same return gives the same id, a newer return a new one."""
    digest = hmac.new(secret, f"{campaign}|{unit}|{APPRAISAL}|{catalog_hash}|{source_sha256}"
                      .encode(), hashlib.sha256).hexdigest()
    return f"{year}-{unit}-{APPRAISAL_CODE}-{digest[:8].upper()}"


def payload_kind(text: str) -> str | None:
    """The kind a payload claims, signed or not: tells a self-assessment form from junk."""
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return None
    return data.get("kind") if isinstance(data, dict) and isinstance(data.get("kind"), str) else None

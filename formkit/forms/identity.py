"""The identity a form carries: who it is for, which catalogue, where each input cell is.

The identity is a canonical JSON payload plus an HMAC-SHA256 keyed by the workspace secret. A
returned file is recognised by this content, never by its file name, and any change to the
payload (a different unit, a moved row) breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field

SELF_ASSESSMENT = "self-assessment"
IDENTITY_SHEET = "_formkit"
IDENTITY_VERSION = 1
KIND_CODES = {SELF_ASSESSMENT: "TDG"}


@dataclass(frozen=True)
class FormIdentity:
    campaign: str
    year: int
    unit: str
    unit_type: str
    kind: str
    form_id: str
    catalog_hash: str
    issued: str  # ISO date from the settings, so output stays deterministic
    sheet: str
    columns: dict[str, str]  # field -> column letter, e.g. {"score": "G"}
    rows: dict[str, int]  # leaf code -> 1-based row on `sheet`
    inputs: tuple[str, ...]  # leaves the unit scores itself (applicable, with appraisal points)
    version: int = IDENTITY_VERSION
    not_applicable: tuple[str, ...] = field(default=())

    def payload(self) -> str:
        """Canonical JSON: the exact text that is signed and stored in the workbook."""
        data = asdict(self)
        data["inputs"] = list(self.inputs)
        data["not_applicable"] = list(self.not_applicable)
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_payload(cls, text: str) -> FormIdentity:
        """Parse a stored payload; ValueError when it is not a formkit identity."""
        try:
            data = json.loads(text)
            data["inputs"] = tuple(data["inputs"])
            data["not_applicable"] = tuple(data.get("not_applicable", ()))
            return cls(**data)
        except (TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a formkit identity: {exc}") from exc

    def cell(self, leaf: str, field_name: str) -> str:
        return f"{self.columns[field_name]}{self.rows[leaf]}"


def sign(payload: str, secret: bytes) -> str:
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(payload: str, signature: str, secret: bytes) -> bool:
    return hmac.compare_digest(sign(payload, secret), signature.strip().lower())


def form_id_for(secret: bytes, campaign: str, year: int, unit: str, kind: str,
                catalog_hash: str) -> str:
    """A short, readable, stable id: the same campaign, unit and catalogue give the same id."""
    digest = hmac.new(secret, f"{campaign}|{unit}|{kind}|{catalog_hash}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{year}-{unit}-{KIND_CODES[kind]}-{digest[:8].upper()}"

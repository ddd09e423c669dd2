"""Campaign settings (campaign.yaml): parsed once into frozen dataclasses, every problem located."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from formkit.errors import WorkspaceError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.settings_outputs import DocumentSettings, RankingSettings, parse_documents, parse_ranking
from formkit.units import EMAIL_PATTERN, UNIT_TYPES
from formkit.yamlsrc import FieldReader, YMap, load_yaml

SECTIONS = ("campaign", "deadlines", "units", "catalogs", "surveys", "survey", "forms", "contact",
            "signer", "mail", "sampling", "appraisal", "ranking", "documents", "previous_results")
EMPTY_GROUP_RULES = ("renormalise", "zero")
DOUBLE_ENTRY_RULES = ("optional", "required")  # survey entry & collect: survey.double_entry
MAIL_SECURITY = ("none", "starttls", "ssl")
# ---- appraisal (issue 6)
APPRAISAL_WORKBOOKS = ("per-unit", "per-unit-type")
APPRAISAL_MISSING = ("zero", "exclude")
# ---- end appraisal


@dataclass(frozen=True)
class CampaignInfo:
    id: str
    year: int
    title: str
    parent_body: str
    issuing_body: str
    place: str
    issue_date: dt.date


@dataclass(frozen=True)
class Deadlines:
    self_assessment: dt.date
    survey_end: dt.date | None = None
    appraisal: dt.date | None = None


@dataclass(frozen=True)
class SurveySettings:
    margin_of_error: Decimal = Decimal("0.05")
    min_valid_per_group: int = 30
    empty_group: str = "renormalise"
    # ---- survey entry & collect
    # required: a questionnaire counts only once two clerks keyed it alike; optional: once is enough
    double_entry: str = "optional"
    # ---- end survey entry & collect


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Signer:
    authority: str
    position: str
    title: str
    name: str


@dataclass(frozen=True)
class MailSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    user: str = ""
    password_env: str = "FORMKIT_SMTP_PASSWORD"
    sender: str = ""
    reply_to: str = ""
    rate_per_minute: int = 30


# ---- appraisal (issue 6)
@dataclass(frozen=True)
class AppraisalSettings:
    workbooks: str = "per-unit"  # one council workbook per unit, or one per unit type
    missing: str = "zero"  # a unit without an accepted return: scores 0, or is left out of ranking
# ---- end appraisal


@dataclass(frozen=True)
class Settings:
    campaign: CampaignInfo
    deadlines: Deadlines
    units_file: str
    catalog_files: dict[str, str]
    survey_files: dict[str, str]
    survey: SurveySettings
    form_password: str
    contact: Contact
    signer: Signer
    mail: MailSettings
    sampling_file: str = ""  # survey sampling plan (formkit.survey.plan); optional
    appraisal: AppraisalSettings = AppraisalSettings()  # formkit.appraisal
    ranking: RankingSettings = field(default_factory=RankingSettings)  # formkit.consolidate
    documents: DocumentSettings = field(default_factory=DocumentSettings)  # formkit.documents
    # last year's results.csv (relative to the workspace): the default --previous of consolidate
    # and report; `formkit init --from` sets it
    previous_results: str = ""


def load_settings(path: Path) -> tuple[Settings | None, list[Finding]]:
    data, findings = load_yaml(path)
    if data is None:
        return None, findings or [Code.MISSING_KEY(file=str(path), line=1, key="campaign")]
    reader = FieldReader(str(path))
    settings = _parse(reader, data)
    findings += reader.findings
    return (None if has_errors(findings) else settings), sort_findings(findings)


def require_settings(path: Path) -> Settings:
    settings, findings = load_settings(path)
    if settings is None:
        raise WorkspaceError(f"Tệp cấu hình {path} có lỗi.", findings)
    return settings


def _section(reader: FieldReader, root: YMap, key: str, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> YMap:
    if key not in root:
        if required:
            reader.report(Code.MISSING_KEY, root.line, key=key)
        return YMap()
    m = reader.mapping(root[key], key, root.line_of(key)) or YMap.at(root.line_of(key))
    reader.check_keys(m, allowed, required, item=key)
    return m


def _optional(reader: FieldReader, root: YMap, key: str) -> YMap:
    """A section whose keys its own parser checks."""
    if key not in root:
        return YMap()
    return reader.mapping(root[key], key, root.line_of(key)) or YMap.at(root.line_of(key))


def _parse(reader: FieldReader, data: object) -> Settings | None:
    root = reader.mapping(data, "(tệp)", 1)
    if root is None:
        return None
    reader.check_keys(root, SECTIONS, ("campaign", "deadlines", "units", "catalogs"))
    campaign = _campaign(reader, _section(reader, root, "campaign", (
        "id", "year", "title", "parent_body", "issuing_body", "place", "issue_date"),
        ("id", "year", "title", "issuing_body", "issue_date")))
    deadlines_m = _section(reader, root, "deadlines", ("self_assessment", "survey_end",
                                                      "appraisal"), ("self_assessment",))
    deadlines = Deadlines(reader.date(deadlines_m, "self_assessment", "deadlines"),
                          reader.date(deadlines_m, "survey_end", "deadlines"),
                          reader.date(deadlines_m, "appraisal", "deadlines"))
    units_file = reader.text(root, "units")
    catalogs = _per_unit_type(reader, root, "catalogs", required=True)
    surveys = _per_unit_type(reader, root, "surveys", required=False)
    survey = _survey(reader, _section(reader, root, "survey", (
        "margin_of_error", "min_valid_per_group", "empty_group", "double_entry")))
    forms = _section(reader, root, "forms", ("password",))
    contact_m = _section(reader, root, "contact", ("name", "phone", "email"))
    contact = Contact(reader.text(contact_m, "name", "contact"),
                      reader.text(contact_m, "phone", "contact"),
                      _email(reader, contact_m, "contact", "email"))
    signer_m = _section(reader, root, "signer", ("authority", "position", "title", "name"))
    signer = Signer(*(reader.text(signer_m, key, "signer")
                      for key in ("authority", "position", "title", "name")))
    mail = _mail(reader, _section(reader, root, "mail", (
        "host", "port", "security", "user", "password_env", "sender", "reply_to",
        "rate_per_minute")))
    if campaign is None or deadlines.self_assessment is None:
        return None
    return Settings(campaign, deadlines, units_file, catalogs, surveys, survey,
                    reader.text(forms, "password", "forms"), contact, signer, mail,
                    sampling_file=reader.text(root, "sampling"),
                    appraisal=_appraisal(reader, _section(reader, root, "appraisal",
                                                          ("workbooks", "missing"))),
                    ranking=parse_ranking(reader, _optional(reader, root, "ranking")),
                    documents=parse_documents(reader, _optional(reader, root, "documents")),
                    previous_results=reader.text(root, "previous_results"))


def _campaign(reader: FieldReader, m: YMap) -> CampaignInfo | None:
    year = reader.integer(m, "year", "campaign")
    issue_date = reader.date(m, "issue_date", "campaign")
    if year is not None and not 2000 <= year <= 2100:
        reader.report(Code.BAD_VALUE, m.line_of("year"), "campaign", key="year", value=year,
                      reason="năm phải trong khoảng 2000-2100")
    if year is None or issue_date is None:
        return None
    return CampaignInfo(reader.text(m, "id", "campaign"), year, reader.text(m, "title", "campaign"),
                        reader.text(m, "parent_body", "campaign"),
                        reader.text(m, "issuing_body", "campaign"),
                        reader.text(m, "place", "campaign", default="Hà Nội"), issue_date)


def _per_unit_type(reader: FieldReader, root: YMap, key: str, required: bool) -> dict[str, str]:
    m = _section(reader, root, key, tuple(UNIT_TYPES), tuple(UNIT_TYPES) if required else ())
    return {unit_type: reader.text(m, unit_type, key) for unit_type in UNIT_TYPES
            if unit_type in m}


def _survey(reader: FieldReader, m: YMap) -> SurveySettings:
    defaults = SurveySettings()
    margin = reader.number(m, "margin_of_error", "survey", default=defaults.margin_of_error)
    if margin is not None and not 0 < margin < 1:
        reader.report(Code.BAD_VALUE, m.line_of("margin_of_error"), "survey",
                      key="margin_of_error", value=margin, reason="phải lớn hơn 0 và nhỏ hơn 1")
    minimum = reader.integer(m, "min_valid_per_group", "survey",
                             default=defaults.min_valid_per_group)
    rule = reader.text(m, "empty_group", "survey", default=defaults.empty_group)
    if rule not in EMPTY_GROUP_RULES:
        reader.report(Code.BAD_VALUE, m.line_of("empty_group"), "survey", key="empty_group",
                      value=rule, reason="dùng một trong: " + ", ".join(EMPTY_GROUP_RULES))
    # ---- survey entry & collect
    double_entry = reader.text(m, "double_entry", "survey", default=defaults.double_entry)
    if double_entry not in DOUBLE_ENTRY_RULES:
        reader.report(Code.BAD_VALUE, m.line_of("double_entry"), "survey", key="double_entry",
                      value=double_entry, reason="dùng một trong: " + ", ".join(DOUBLE_ENTRY_RULES))
    # ---- end survey entry & collect
    return SurveySettings(margin or defaults.margin_of_error,
                          defaults.min_valid_per_group if minimum is None else minimum, rule,
                          double_entry)


# ---- appraisal (issue 6)
def _appraisal(reader: FieldReader, m: YMap) -> AppraisalSettings:
    defaults = AppraisalSettings()
    values = {}
    for key, allowed in (("workbooks", APPRAISAL_WORKBOOKS), ("missing", APPRAISAL_MISSING)):
        values[key] = reader.text(m, key, "appraisal", default=getattr(defaults, key))
        if values[key] not in allowed:
            reader.report(Code.BAD_VALUE, m.line_of(key), "appraisal", key=key, value=values[key],
                          reason="dùng một trong: " + ", ".join(allowed))
    return AppraisalSettings(**values)
# ---- end appraisal


def _mail(reader: FieldReader, m: YMap) -> MailSettings:
    defaults = MailSettings()
    security = reader.text(m, "security", "mail", default=defaults.security)
    if security not in MAIL_SECURITY:
        reader.report(Code.BAD_VALUE, m.line_of("security"), "mail", key="security",
                      value=security, reason="dùng một trong: " + ", ".join(MAIL_SECURITY))
    port = reader.integer(m, "port", "mail", default=defaults.port) or defaults.port
    if not 0 < port < 65536:
        reader.report(Code.BAD_VALUE, m.line_of("port"), "mail", key="port", value=port,
                      reason="cổng phải từ 1 đến 65535")
    rate = reader.integer(m, "rate_per_minute", "mail", default=defaults.rate_per_minute)
    if rate is not None and rate <= 0:
        reader.report(Code.BAD_VALUE, m.line_of("rate_per_minute"), "mail",
                      key="rate_per_minute", value=rate, reason="phải lớn hơn 0")
    return MailSettings(reader.text(m, "host", "mail", default=defaults.host), port, security,
                        reader.text(m, "user", "mail"),
                        reader.text(m, "password_env", "mail", default=defaults.password_env),
                        _email(reader, m, "mail", "sender"), _email(reader, m, "mail", "reply_to"),
                        rate or defaults.rate_per_minute)


def _email(reader: FieldReader, m: YMap, section: str, key: str) -> str:
    value = reader.text(m, key, section)
    if value and not EMAIL_PATTERN.fullmatch(value):
        reader.report(Code.BAD_VALUE, m.line_of(key), section, key=key, value=value,
                      reason="địa chỉ thư điện tử không đúng dạng")
    return value

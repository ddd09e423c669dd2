"""Message templates (mail/*.yaml in the workspace): loaded and checked before anything is sent.

A template is checked whole up front (YAML, keys, every ${placeholder} known), so no unit ever
gets a half-filled message and the user learns the line to fix.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from formkit.mail.transport import MailError
from formkit.resources import templates_root
from formkit.workspace import MAIL_DIR, Workspace
from formkit.yamlsrc import FieldReader, load_yaml

# Placeholders every message template may use (the unit, the campaign, the attached file).
PLACEHOLDERS = ("unit_name", "unit_code", "unit_document_name", "head_title", "campaign_title",
                "year", "deadline", "deadline_short", "deadline_phrase", "contact", "contact_name",
                "contact_phone", "contact_email", "reply_to", "sender", "form_id",
                "attachment_name", "issuing_body", "parent_body")


@dataclass(frozen=True)
class MailTemplate:
    subject: string.Template
    body: string.Template
    path: Path

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(subject on one line, body); placeholders were checked when the template was loaded."""
        return " ".join(self.subject.substitute(values).split()), self.body.substitute(values)


def template_path(workspace: Workspace, name: str) -> Path:
    """The workspace's editable template; the shipped one for workspaces made before it existed."""
    own = workspace.mail_dir / name
    return own if own.is_file() else templates_root() / MAIL_DIR / name


def load_template(path: Path, placeholders: tuple[str, ...] = PLACEHOLDERS) -> MailTemplate:
    """Load and check a template up front, so no unit gets a half-filled message."""
    data, findings = load_yaml(path)
    reader = FieldReader(str(path))
    root = reader.mapping(data, "(tệp)", 1) if data is not None else None
    texts = {}
    if root is not None:
        reader.check_keys(root, ("subject", "body"), ("subject", "body"))
        texts = {key: reader.text(root, key) for key in ("subject", "body")}
    findings += reader.findings
    if root is None or any(f.is_error for f in findings):
        raise MailError(f"Mẫu thư {path} có lỗi.", findings)
    source = path.read_text("utf-8-sig")
    subject, body = (_checked_template(path, source, key, text, placeholders)
                     for key, text in texts.items())
    return MailTemplate(subject, body, path=path)


def _checked_template(path: Path, source: str, key: str, text: str,
                      placeholders: tuple[str, ...]) -> string.Template:
    template = string.Template(text)
    if not template.is_valid():
        raise MailError(f"Mẫu thư {path}, mục '{key}': có dấu $ không đứng trước tên biến hợp lệ. "
                        "Viết biến dạng ${tên_biến}; muốn có dấu $ thì gõ $$.")
    for name in template.get_identifiers():
        if name not in placeholders:
            raise MailError(f"Mẫu thư {path}, mục '{key}'{_line_of(source, name)}: không có biến "
                            f"${{{name}}}. Các biến dùng được: "
                            f"{', '.join('${' + p + '}' for p in placeholders)}.")
    return template


def _line_of(source: str, name: str) -> str:
    pattern = re.compile(r"\$(?:\{" + re.escape(name) + r"\}|" + re.escape(name) + r"\b)")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line) and not line.lstrip().startswith("#"):
            return f", dòng {number}"
    return ""

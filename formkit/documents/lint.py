"""`formkit templates check`: what would break a Word template, found before it is rendered.

A user edits a template in Word; Word may split a tag across runs or curl its quotes, and a typo
in a variable renders as an error (the renderer is strict) or not at all. The checker reads the
raw XML as docxtpl will, one paragraph at a time, and builds a skeleton of the template with one
line per paragraph and only the tags, so every Jinja error and every variable points at its
paragraph. Variables are checked against the contract (formkit.documents.schema).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from jinja2 import Environment, TemplateSyntaxError, nodes
from lxml import etree

from formkit.documents.schema import ITEM, KINDS, TemplateKind, VarPath, dotted, kind_of, lookup, split_path
from formkit.findings import Code, Finding

TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
OPENERS = ("{{", "{%", "{#")
CURLY = str.maketrans("“”‘’", "\"\"''")
DOCXTPL_LEVEL = re.compile(r"^(\{[{%])(?:tr|tc|p|r) ")  # {%tr for …%}, {{r rich }}: docxtpl's levels
CELL_TAG = re.compile(r"^\{%\s*(?:colspan|cellbg|vm|hm)\b(.*?)%\}$", re.DOTALL)  # docxtpl's own tags
BLOCKS = {"for", "if", "macro", "call", "filter", "with", "block", "autoescape"}
_OPENED_BY = {"elif": ("if",), "else": ("if", "for")}
JINJA_NAMES = {"loop", "range", "lipsum", "dict", "cycler", "joiner", "namespace", "caller", "varargs",
               "kwargs", "true", "false", "none", "True", "False", "None"}
W_P, W_T, W_TC, W_TR, W_TBL = (qn(tag) for tag in ("w:p", "w:t", "w:tc", "w:tr", "w:tbl"))


@dataclass(frozen=True)
class TemplateParagraph:
    """One paragraph's text as Word stores it: a list of runs' texts, and where it is."""

    runs: tuple[str, ...]
    where: str  # "đoạn 14", "bảng 2, hàng 3, cột 4 (đoạn 57)", "đầu trang header1.xml, đoạn 1"

    @property
    def text(self) -> str:
        return "".join(self.runs)

    def excerpt(self, around: str = "") -> str:
        """The paragraph's text, cut to about 90 characters around `around`."""
        text = self.text
        start = max(text.find(around) - 30, 0) if around else 0
        cut = text[start:start + 90]
        return ("…" if start else "") + cut + ("…" if start + 90 < len(text) else "")


def check_template(path: Path, kind: str | None = None) -> list[Finding]:
    """Every problem of a Word template (or of each .docx of a folder), in reading order.

    `kind` is "minutes", "report" or "decision"; by default it comes from the file name.
    """
    if path.is_dir():
        return [finding for file in sorted(path.glob("*.docx")) if not file.name.startswith("~$")
                for finding in check_template(file, kind)]
    if not path.is_file():
        return [Code.FILE_MISSING(file=str(path))]
    try:
        parts = _parts(path)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        return [Code.TEMPLATE_NOT_DOCX(file=str(path), detail=str(exc) or type(exc).__name__)]
    template_kind = KINDS[kind] if kind else kind_of(path)
    findings: list[Finding] = []
    if template_kind is None:
        findings.append(Code.TEMPLATE_UNKNOWN_KIND(file=str(path), name=path.name,
                                                   names=", ".join(k.file for k in KINDS.values())))
    used: set[VarPath] = set()
    readable = True
    for paragraphs in parts:
        part_findings, parsed = _check_part(paragraphs, template_kind, used)
        findings += part_findings
        readable = readable and parsed
    if template_kind is not None and readable:  # a part that does not parse hides its variables
        findings += [Code.TEMPLATE_MISSING_VARIABLE(kind=template_kind.title, name=name, meaning=meaning)
                     for name, meaning in template_kind.required.items()
                     if not _is_used(split_path(name), used)]
    return [replace(finding, file=str(path)) for finding in findings]


def _parts(path: Path) -> list[list[TemplateParagraph]]:
    """The paragraphs of the body, then of each header and footer (docxtpl renders all three)."""
    document = docx.Document(str(path))
    others = sorted((rel.target_part for rel in document.part.rels.values()
                     if rel.reltype in (RT.HEADER, RT.FOOTER)), key=lambda part: part.partname)
    named = [("", document.element.body)]
    named += [(("đầu trang " if part.partname.startswith("/word/header") else "chân trang ")
               + part.partname.rsplit("/", 1)[-1] + ", ", part.element) for part in others]
    return [_paragraphs(root, prefix) for prefix, root in named]


def _paragraphs(root: etree._Element, prefix: str) -> list[TemplateParagraph]:
    tables = {tbl: n for n, tbl in enumerate(root.iter(W_TBL), start=1)}
    out = []
    for number, p in enumerate(root.iter(W_P), start=1):
        runs = tuple(t.text or "" for t in p.iter(W_T) if next(t.iterancestors(W_P)) is p)
        cell = next(p.iterancestors(W_TC), None)
        where = f"{prefix}đoạn {number}"
        if cell is not None:
            row = cell.getparent()
            table = row.getparent()
            where = (f"{prefix}bảng {tables[table]}, hàng {table.findall(W_TR).index(row) + 1}, "
                     f"cột {row.findall(W_TC).index(cell) + 1} (đoạn {number})")
        out.append(TemplateParagraph(runs, where))
    return out


def _check_part(paragraphs: list[TemplateParagraph], kind: TemplateKind | None, used: set[VarPath],
                ) -> tuple[list[Finding], bool]:
    """The part's findings, and whether it parsed (so that its variables are known)."""
    findings, lines = [], []
    for paragraph in paragraphs:
        problems, tags = _scan(paragraph)
        findings += problems
        lines.append("".join(tags))
    if any(f.code == Code.TEMPLATE_UNCLOSED_TAG.code for f in findings):
        return findings, False  # the skeleton would only repeat the same problem as syntax errors
    blocks = _block_errors(paragraphs, lines)
    if blocks:
        return findings + blocks, False
    env = Environment()
    try:
        tree = env.parse("\n".join(lines))
        env.compile(tree)
    except TemplateSyntaxError as exc:
        paragraph = paragraphs[min(max((exc.lineno or 1) - 1, 0), len(paragraphs) - 1)]
        return [*findings, Code.TEMPLATE_SYNTAX(item=paragraph.where, excerpt=paragraph.excerpt(),
                                                detail=f"Jinja báo: {exc.message}")], False
    found: list[tuple[VarPath, str, int]] = []
    _walk(tree, {}, found)
    used.update(path for path, _, _ in found)
    return findings + (_unknown(found, paragraphs, kind) if kind else []), True


def _scan(paragraph: TemplateParagraph) -> tuple[list[Finding], list[str]]:
    """Split tags, curly quotes and unclosed tags of one paragraph; its tags as Jinja sees them."""
    findings, tags = [], []
    text, bounds, offset = paragraph.text, [], 0
    for run in paragraph.runs:
        offset += len(run)
        bounds.append(offset)
    for match in TAG.finditer(text):
        tag = match.group()
        if any(match.start() < bound < match.end() for bound in bounds):
            findings.append(Code.TEMPLATE_SPLIT_TAG(item=paragraph.where, tag=tag,
                                                    excerpt=paragraph.excerpt(tag)))
        if tag != tag.translate(CURLY):
            findings.append(Code.TEMPLATE_CURLY_QUOTES(item=paragraph.where, tag=tag))
        tags.append(_normalized(tag))
    rest = TAG.sub("", text)
    opener = next((o for o in OPENERS if o in rest), None)
    if opener:
        findings.append(Code.TEMPLATE_UNCLOSED_TAG(item=paragraph.where, opener=opener,
                                                   excerpt=paragraph.excerpt(opener)))
    return findings, tags


def _normalized(tag: str) -> str:
    """The tag as docxtpl hands it to Jinja: straight quotes, no level prefix, cell tags as values."""
    tag = DOCXTPL_LEVEL.sub(r"\1 ", tag.translate(CURLY)).replace("\n", " ")
    cell = CELL_TAG.match(tag)
    if cell:
        return f"{{{{ {cell.group(1)} }}}}" if cell.group(1).strip() else ""
    return tag


def _block_errors(paragraphs: list[TemplateParagraph], lines: list[str]) -> list[Finding]:
    """Unclosed, stray and crossed block tags, each at its own paragraph (Jinja names only the end)."""
    stack: list[tuple[str, str, TemplateParagraph]] = []
    errors = []
    for paragraph, line in zip(paragraphs, lines, strict=True):
        for tag in re.findall(r"\{%.*?%\}", line):
            words = tag.strip("{%}-+ ").split()
            key = words[0] if words else ""
            if key in BLOCKS or (key == "set" and "=" not in tag):
                stack.append((key, tag, paragraph))
            elif key in ("elif", "else") and (not stack or stack[-1][0] not in _OPENED_BY[key]):
                errors.append(_syntax(paragraph, tag, f"thẻ {tag} không nằm trong khối "
                                      f"{' hoặc '.join(_OPENED_BY[key])} nào"))
            elif key.startswith("end") and not stack:
                errors.append(_syntax(paragraph, tag, f"thẻ {tag} không có thẻ mở tương ứng; xóa thẻ "
                                      f"hoặc thêm thẻ mở {key[3:]}"))
            elif key.startswith("end") and stack[-1][0] != key[3:]:
                opened, opened_tag, where = stack[-1]
                errors.append(_syntax(paragraph, tag, f"thẻ {tag} đóng khối {key[3:]} nhưng khối đang mở "
                                      f"là {opened_tag} ({where.where}); thêm end{opened} trước thẻ này"))
                return errors
            elif key.startswith("end"):
                stack.pop()
    errors += [_syntax(where, tag, f"thẻ {tag} mở khối {key} nhưng không có thẻ end{key} đóng khối")
               for key, tag, where in stack]
    return errors


def _syntax(paragraph: TemplateParagraph, tag: str, detail: str) -> Finding:
    return Code.TEMPLATE_SYNTAX(item=paragraph.where, excerpt=paragraph.excerpt(tag), detail=detail)


def _walk(node: nodes.Node, scope: dict[str, VarPath | None], found: list[tuple[VarPath, str, int]]) -> None:
    """Collect each variable's contract path (a loop variable stands for its list's items)."""
    if isinstance(node, nodes.For):
        _walk(node.iter, scope, found)
        source = _path(node.iter, scope) if isinstance(node.target, nodes.Name) else None
        inner = {**scope, **{name: None for name in _stored(node.target)}}
        if source is not None:
            inner[node.target.name] = (*source, ITEM)
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            _walk(child, inner, found)
    elif isinstance(node, nodes.Assign):
        _walk(node.node, scope, found)
        source = _path(node.node, scope) if isinstance(node.target, nodes.Name) else None
        scope.update({name: source for name in _stored(node.target)})
    elif isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem) and node.ctx == "load":
        path = _path(node, scope)
        if path is not None:
            found.append((path, _expression(node), node.lineno))
        for index in _indexes(node):
            _walk(index, scope, found)
    elif isinstance(node, nodes.Name):
        scope[node.name] = None  # a macro's parameter, a with-target: local
    else:
        for child in node.iter_child_nodes():
            _walk(child, scope, found)


def _stored(target: nodes.Node) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]


def _path(node: nodes.Node, scope: dict[str, VarPath | None]) -> VarPath | None:
    """('rows', '[]', 'code') for r.code inside a loop over rows; None for locals and Jinja's own."""
    if isinstance(node, nodes.Name):
        return scope.get(node.name, None if node.name in JINJA_NAMES else (node.name,))
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base = _path(node.node, scope)
        if base is None:
            return None
        if isinstance(node, nodes.Getattr):
            return (*base, node.attr)
        key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        return (*base, key if isinstance(key, str) else ITEM)
    return None


def _indexes(node: nodes.Node) -> list[nodes.Node]:
    """The computed subscripts of a variable chain, which may hold variables themselves."""
    out = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            out.append(node.arg)
        node = node.node
    return out


def _expression(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_expression(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        key = repr(node.arg.value) if isinstance(node.arg, nodes.Const) else "…"
        return f"{_expression(node.node)}[{key}]"
    return "…"


def _unknown(found: list[tuple[VarPath, str, int]], paragraphs: list[TemplateParagraph], kind: TemplateKind,
             ) -> list[Finding]:
    findings, seen = [], set()
    for path, expression, lineno in found:
        known, shape = lookup(kind.variables, path)
        if known or (path, lineno) in seen:
            continue
        seen.add((path, lineno))
        paragraph = paragraphs[lineno - 1]
        allowed = ", ".join(shape) if isinstance(shape, dict) else "các phần tử của danh sách"
        name = expression if dotted(path) == expression else f"{expression}' (tức '{dotted(path)}"
        findings.append(Code.TEMPLATE_UNKNOWN_VARIABLE(item=paragraph.where, name=name, kind=kind.title,
                                                       excerpt=paragraph.excerpt(path[-1]), allowed=allowed))
    return findings


def _is_used(required: VarPath, used: set[VarPath]) -> bool:
    return any(path[:len(required)] == required for path in used)

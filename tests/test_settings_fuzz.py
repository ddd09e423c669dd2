"""No settings value, however wrong, ends in a traceback: campaign.yaml mutated at random (wrong
types at random keys, impossible dates, deleted keys, lists for maps, broken YAML syntax) gives
findings that name a line, through the library and through the command line."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formkit.campaign_check import check_findings, settings_findings
from formkit.cli import main
from formkit.settings import load_settings
from formkit.workspace import init_workspace


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "cchc"
    init_workspace(root, "hanoi-2020")
    return root


def _paths(node, prefix=()):
    """Every key path of the parsed settings (maps and list items)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield (*prefix, n)
            yield from _paths(value, (*prefix, n))


def _parent(tree, path):
    node = tree
    for part in path[:-1]:
        node = node[part]
    return node


wrong_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.text(max_size=30), st.just(""), st.just("2025-02-29"), st.just("31/04/2021"),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=5),
                    max_size=3),
    st.just([{"date": "2021-02-30"}]), st.just({"x": [1, {"y": None}]}))


@st.composite
def tree_mutation(draw, text):
    tree = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(tree))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(tree, path)
        action = draw(st.sampled_from(["replace", "delete", "listify", "rename"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "listify":
            parent[path[-1]] = [parent[path[-1]]]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(path[-1])
        else:
            parent[path[-1]] = draw(wrong_values)
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


@st.composite
def text_mutation(draw, text):
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["date", "break", "indent", "drop", "tab"]))
        if action == "date":  # an unquoted date, possible or not: PyYAML builds it itself
            y, m, d = draw(st.integers(1990, 2100)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
            dated = [i for i, line in enumerate(lines) if re.search(r"\d{4}-\d\d-\d\d", line)]
            n = draw(st.sampled_from(dated)) if dated else n
            lines[n] = re.sub(r"\d{4}-\d\d-\d\d", f"{y:04d}-{m:02d}-{d:02d}", lines[n], count=1)
        elif action == "break":
            at = draw(st.integers(0, len(lines[n])))
            lines[n] = lines[n][:at] + draw(st.sampled_from([":", "[", "{", "'", '"', "- ", "&a",
                                                              "*b", "!x ", "\x00"])) + lines[n][at:]
        elif action == "indent":
            lines[n] = "   " + lines[n]
        elif action == "tab":
            lines[n] = "\t" + lines[n]
        else:
            del lines[n]
    return "\n".join(lines)


def mutated(original):
    return st.one_of(tree_mutation(original), text_mutation(original))


def assert_located(findings, text):
    """Every error in campaign.yaml names its line; a file it names that cannot be read is
    reported on the line that names it, too."""
    errors = [f for f in findings if f.is_error]
    for finding in errors:
        if finding.file and finding.file.endswith("campaign.yaml"):
            assert finding.line is not None, finding
            assert 1 <= finding.line <= max(1, text.count("\n") + 2), finding
    if errors:
        assert any(f.line is not None and f.file.endswith("campaign.yaml") for f in errors) or \
            all(f.line is not None for f in errors), errors
    return errors


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_settings_give_located_findings_never_a_traceback(fuzz_root, data):
    path = fuzz_root / "campaign.yaml"
    original = (fuzz_root / ".original.yaml")
    if not original.exists():
        shutil.copy(path, original)
    text = data.draw(mutated(original.read_text("utf-8")))
    path.write_text(text, "utf-8", errors="surrogatepass")
    loaded, findings = load_settings(path)
    assert_located(findings, text)
    if loaded is not None:
        assert_located(settings_findings(fuzz_root, loaded), text)
    else:
        assert any(f.is_error for f in findings)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_settings_through_the_whole_check(fuzz_root, data):
    original = (fuzz_root / ".original.yaml")
    if not original.exists():
        shutil.copy(fuzz_root / "campaign.yaml", original)
    text = data.draw(mutated(original.read_text("utf-8")))
    (fuzz_root / "campaign.yaml").write_text(text, "utf-8", errors="surrogatepass")
    assert_located(check_findings(fuzz_root), text)


@pytest.mark.parametrize(("pattern", "replacement"), [
    (r"issue_date: \S+", "issue_date: 2025-02-29"),
    (r"deadlines:\n", "deadlines:\n  - 2020-12-22\n"),
    (r"catalogs:\n  so: \S+", "catalogs:\n  so: [1, 2]"),
    (r"year: 2020", "year: hai nghìn"),
    (r"  title: ", "  title: [\n"),
    (r"documents:\n", "documents: 5\nx:\n"),
    (r"signer:\n", "signer: Nguyễn Văn A\n"),
])
def test_broken_settings_through_the_cli_exit_2_naming_the_line(tmp_path, pattern, replacement):
    root = tmp_path / "cchc"
    init_workspace(root, "hanoi-2020")
    path = root / "campaign.yaml"
    path.write_text(re.sub(pattern, replacement, path.read_text("utf-8"), count=1), "utf-8")
    for args in (["check"], ["forms", "--json"], ["report"]):
        result = CliRunner().invoke(main, [*args, str(root)])
        assert result.exit_code in (0, 2), (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        if result.exit_code == 2:
            assert re.search(r'dòng \d+|"line": \d+', result.output), result.output

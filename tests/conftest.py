"""Shared test helpers: small data files from inline YAML, and a ready workspace."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from formkit.cli import main
from formkit.resources import templates_root
from formkit.workspace import init_workspace

TEMPLATES = templates_root()
SO_CATALOG = TEMPLATES / "catalogs" / "hanoi-so-2020.yaml"
DISTRICT_CATALOG = TEMPLATES / "catalogs" / "hanoi-district-2020.yaml"
SO_SURVEY = TEMPLATES / "surveys" / "hanoi-so-2020.yaml"
DISTRICT_SURVEY = TEMPLATES / "surveys" / "hanoi-district-2020.yaml"
UNITS = TEMPLATES / "units" / "hanoi.yaml"


def write(path: Path, text: str) -> Path:
    """Write dedented YAML (or any text) as UTF-8 and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def projection(findings) -> list[tuple]:
    """What tests assert on: (code, line, item), never message prose."""
    return [(f.code, f.line, f.item) for f in findings]


def run_cli(*args: str):
    """Invoke the CLI in-process; returns click's Result (exit_code, stdout)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def example_workspace(tmp_path_factory) -> Path:
    """A workspace built once from the shipped example; tests must not modify it."""
    root = tmp_path_factory.mktemp("ws") / "cchc-2020"
    init_workspace(root, "hanoi-2020")
    return root


@pytest.fixture(scope="session")
def demo_campaign(tmp_path_factory) -> Path:
    """The whole demo campaign (`formkit demo`), built once per session (~40 s); tests must not
    change it (copy it first)."""
    from formkit.demo import run_demo

    root = tmp_path_factory.mktemp("demo-campaign") / "d"
    run_demo(root)
    return root


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A fresh workspace a test may change."""
    root = tmp_path / "cchc-2020"
    init_workspace(root, "hanoi-2020")
    return root


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) recording what it receives."""
    from aiosmtpd.controller import Controller
    from mailserver import Recorder, free_port

    controller = Controller(Recorder(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()

"""Exceptions for formkit's own failures and for unusable configuration.

Problems in users' data are findings, not exceptions; an exception here means a command cannot
go on at all (exit code 2 in the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formkit.findings import Finding


class FormkitError(Exception):
    """A failure the user can act on; the message is Vietnamese and says what to do."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = list(findings)


class InvalidDataError(FormkitError):
    """A data file (catalogue, questionnaire, units, settings) has errors and cannot be used."""


class WorkspaceError(FormkitError):
    """The workspace is missing, incomplete or inconsistent."""


class LedgerError(FormkitError):
    """The ledger cannot be opened or migrated."""

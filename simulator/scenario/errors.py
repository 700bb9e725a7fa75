"""Problems found in scenario files, each pointing at ``file:line:column`` and a key path.

Every problem with a scenario file, however malformed, is reported as an ``Issue``; errors are raised together as one
``ScenarioError`` (never any other exception), and warnings (legal but implausible values) are returned beside the
loaded scenario, kept apart from errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

MAX_SHOWN_VALUE = 60
"""Longest rendering of an offending value in a message, in characters."""

SUGGESTION_CUTOFF = 0.6
"""Similarity (difflib ratio) above which a known name is offered as "did you mean"."""


class Severity(StrEnum):
    """Whether an issue stops the scenario (error) or only deserves a look (warning)."""

    ERROR = "error"
    WARNING = "warning"


KeyPath = tuple[str | int, ...]
"""Position of a value inside a scenario file, e.g. ``("rules", 2, "regime")``."""


def format_path(path: KeyPath) -> str:
    """Render a key path as ``rules[2].regime`` (``<file>`` for the whole document)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<file>"


def show_value(value: object) -> str:
    """Render an offending value briefly for a message."""
    text = repr(value)
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 3] + "..."
    return text


def did_you_mean(given: object, known: Iterable[str]) -> str | None:
    """Return the known name closest to ``given`` (case-insensitive), or ``None`` if none is close."""
    if not isinstance(given, str) or not given:
        return None
    choices = list(known)
    by_lower = {c.lower(): c for c in choices}
    if given.lower() in by_lower and by_lower[given.lower()] != given:
        return by_lower[given.lower()]
    match = difflib.get_close_matches(given.lower(), list(by_lower), n=1, cutoff=SUGGESTION_CUTOFF)
    return by_lower[match[0]] if match else None


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario file.

    Attributes:
        file: The file the problem is in.
        line: 1-based line, or ``None`` when the problem is the whole file.
        column: 1-based column, or ``None``.
        path: Key path of the offending value.
        message: What is wrong.
        value: The value given, rendered (empty when not relevant).
        expected: What was expected (empty when not relevant).
        suggestion: A close known name ("did you mean"), if any.
        severity: Error or warning.
    """

    file: str
    line: int | None
    column: int | None
    path: KeyPath
    message: str
    value: str = ""
    expected: str = ""
    suggestion: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        """``file:line:column`` (as much of it as is known)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        parts = [f"{self.location}: {self.severity}: {format_path(self.path)}: {self.message}"]
        if self.value:
            parts.append(f"got {self.value}")
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.suggestion:
            parts.append(f"did you mean {self.suggestion!r}?")
        return "; ".join(parts)


class ScenarioError(Exception):
    """One or more errors in a scenario file (or in a file it extends).

    Attributes:
        issues: Every error found, in file order.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: list[Issue] = sorted(issues, key=_issue_order)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid scenario")

    @property
    def file(self) -> str:
        """File of the first error."""
        return self.issues[0].file if self.issues else ""

    @property
    def line(self) -> int | None:
        """Line of the first error."""
        return self.issues[0].line if self.issues else None


def _issue_order(issue: Issue) -> tuple[str, int, int]:
    return (issue.file, issue.line or 0, issue.column or 0)


@dataclass
class IssueLog:
    """Collects issues while a file is checked, so that every error is reported at once."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Record an issue."""
        self.issues.append(issue)

    @property
    def errors(self) -> list[Issue]:
        """The errors recorded."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        """The warnings recorded."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def raise_if_errors(self) -> None:
        """Raise ``ScenarioError`` with every error recorded, if there is any."""
        if self.errors:
            raise ScenarioError(self.errors)


def whole_file_error(path: Path | str, message: str, expected: str = "") -> ScenarioError:
    """Return a ``ScenarioError`` about a file as a whole (unreadable, empty, binary...)."""
    return ScenarioError([Issue(str(path), None, None, (), message, expected=expected)])

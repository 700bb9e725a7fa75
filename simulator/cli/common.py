"""Helpers shared by the commands that run simulations: number options, scenario errors, progress bars."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulator.cli.output import EXIT_USAGE, err_console


def whole(text: str | int | None) -> int | None:
    """Parse a whole-number option written as ``10000``, ``10_000``, ``10,000`` or ``1e4``.

    Raises:
        typer.BadParameter: The text is not a whole number.
    """
    if text is None or isinstance(text, int):
        return text
    cleaned = str(text).strip().replace("_", "").replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number; expected a whole number such as 10000 or 1e4") from None
    if not math.isfinite(value) or not value.is_integer():
        raise typer.BadParameter(f"{text!r} is not a whole number; expected a whole number such as 10000 or 1e4")
    return int(value)


def report_scenario_error(path: Path, exc: Exception) -> None:
    """Print every issue of a ``ScenarioError`` and exit with the usage code."""
    issues = getattr(exc, "issues", [exc])
    err_console.print(f"[bold red]error:[/] {escape(str(path))}: {len(issues)} problem(s)", highlight=False)
    for issue in issues:
        err_console.print(f"  {escape(str(issue))}", highlight=False, soft_wrap=True)
    err_console.print("[dim]hint:[/] dlsim validate FILE checks a scenario without running it", highlight=False)
    raise typer.Exit(EXIT_USAGE)


def progress_bar() -> Progress:
    """A progress bar on stderr with the count, elapsed time and the estimated time remaining."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )

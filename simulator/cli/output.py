"""What the user sees: the rich consoles, tables from DataFrames, and the single error path (exit code 2)."""

from __future__ import annotations

from typing import NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

console = Console()
"""Standard output: tables and summaries."""
err_console = Console(stderr=True)
"""Standard error: errors and warnings."""

EXIT_USAGE = 2
"""Exit code for bad input (a wrong file, an unknown option value)."""


def fail(message: str, hint: str | None = None) -> NoReturn:
    """Print one clear error message (and an optional hint) on stderr and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    if hint:
        err_console.print(f"[dim]hint:[/] {hint}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


def frame_table(
    frame: pd.DataFrame,
    title: str | None = None,
    formats: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Table:
    """Return a rich ``Table`` showing ``frame``.

    Args:
        frame: The data.
        title: Table title.
        formats: Column name → format spec (e.g. ``",.0f"``).
        headers: Column name → label shown (default: the column name).
    """
    formats = formats or {}
    headers = headers or {}
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        table.add_column(headers.get(str(col), str(col)), justify="right" if numeric else "left")
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            value = row[col]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                cells.append("")
            elif col in formats:
                cells.append(format(value, formats[col]))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table

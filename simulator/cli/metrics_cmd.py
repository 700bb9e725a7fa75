"""``dlsim metrics``: every metric the model reports (definition, unit, direction, levels), and docs/metrics.md."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from simulator.cli.app import app
from simulator.cli.output import console, err_console, fail
from simulator.experiment.catalogue import catalogue_markdown, catalogue_records, metrics_catalogue

METRICS_MD = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
"""The generated glossary in the project's docs/."""

DIRECTION = {1: "↑ better", -1: "↓ better", 0: "neutral"}


@app.command()
def metrics(
    write: bool = typer.Option(False, "--write", help=f"Also write the Markdown glossary to {METRICS_MD}."),
    output: Path | None = typer.Option(None, "--output", help="Write the Markdown glossary here instead."),
    as_json: bool = typer.Option(False, "--json", help="Print the catalogue as JSON (for scripts)."),
    data_dir: Path | None = typer.Option(None, "--data", help="World data (for the base year of money units)."),
) -> None:
    """List every metric: family, definition, unit, direction (higher or lower is better) and levels."""
    if as_json:
        console.out(json.dumps(catalogue_records(data_dir), indent=2, ensure_ascii=False), highlight=False)
        return
    cat = metrics_catalogue(data_dir)
    table = Table(title=f"{len(cat)} metrics", title_justify="left", header_style="bold")
    for col in ("metric", "family", "definition", "unit", "direction", "levels"):
        table.add_column(col, overflow="fold", no_wrap=col == "metric")
    for m in cat:
        table.add_row(
            m.name, m.family, escape(m.definition), m.unit or "—", DIRECTION.get(m.direction, ""), ", ".join(m.levels)
        )
    console.print(table)
    if write or output:
        target = output or METRICS_MD
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(catalogue_markdown(data_dir), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}", "choose another --output")
        err_console.print(f"wrote {escape(str(target))}", highlight=False)

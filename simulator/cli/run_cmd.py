"""``dlsim run``: one simulation of one scenario, written as tidy Parquet results and a manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.cli.app import app
from simulator.cli.output import EXIT_USAGE, console, err_console, fail, frame_table
from simulator.experiment.provenance import scenario_record
from simulator.experiment.run import run_model, write_run
from simulator.experiment.summary import headline
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.world import WorldDataError, load_world
from simulator.world.compile import compile_scenario, vocabulary

DEFAULT_RESULTS = Path("results")
"""Where runs are written when ``--out`` is not given (one folder per scenario)."""


@app.command()
def run(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO.yaml", help="Scenario file to run."),
    firms: int | None = typer.Option(None, "--firms", help="Number of firms (overrides the file's run.firms)."),
    steps: int | None = typer.Option(None, "--steps", help="Number of steps (overrides the file's run.steps)."),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the file's run.seed)."),
    out: Path | None = typer.Option(None, "--out", help="Output directory (default: results/<scenario name>)."),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
) -> None:
    """Run one simulation of a scenario; write metrics.parquet, firms.parquet and manifest.json; show a summary."""
    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
    try:
        scenario = load_scenario(
            scenario_file, vocabulary(world), run_overrides={"firms": firms, "steps": steps, "seed": seed}
        )
    except ScenarioError as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(scenario_file))}: {len(exc.issues)} problem(s)", highlight=False
        )
        for issue in exc.issues:
            err_console.print(f"  {escape(str(issue))}", highlight=False, soft_wrap=True)
        err_console.print("[dim]hint:[/] dlsim validate FILE checks a scenario without running it", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    for issue in scenario.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(str(issue))}", highlight=False, soft_wrap=True)
    target = out if out is not None else DEFAULT_RESULTS / scenario.name
    if target.exists() and not target.is_dir():
        fail(f"{target} exists and is not a directory", "choose another --out")

    schedule = compile_scenario(world, scenario)
    settings = scenario.run
    console.print(
        f"[bold]Running[/] {escape(scenario.name)}: {settings.firms:,} firms, {settings.steps} steps of "
        f"{scenario.timeline.step_years:g} y from {scenario.timeline.start_year:g}, seed {settings.seed}",
        highlight=False,
    )
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("steps", total=settings.steps)
        result = run_model(
            world,
            schedule,
            scenario.parameter_values(),
            n_firms=settings.firms,
            n_steps=settings.steps,
            seed=settings.seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    result.manifest["scenario"] = scenario_record(scenario)
    try:
        paths = write_run(result, target)
    except OSError as exc:
        fail(f"could not write results to {target}: {exc.strerror or exc}", "choose another --out")
    console.print(frame_table(_start_to_end(headline(result.metrics)), title="Headline metrics: first → last step"))
    console.print(f"Results: {escape(str(paths['metrics'].parent))}/ (metrics.parquet, firms.parquet, manifest.json)")


def _start_to_end(table: pd.DataFrame) -> pd.DataFrame:
    """One column per group with "start → end" cells."""
    out = pd.DataFrame({"metric": table.get("metric", pd.Series(dtype=str))})
    groups = [c[: -len(" start")] for c in table.columns if c.endswith(" start")]
    for g in groups:
        out[g] = [f"{a:,.4g} → {b:,.4g}" for a, b in zip(table[f"{g} start"], table[f"{g} end"], strict=True)]
    return out

"""``dlsim run``: one simulation of one scenario, written as tidy Parquet results and a manifest."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.cli.app import app
from simulator.cli.common import whole
from simulator.cli.output import EXIT_USAGE, console, err_console, fail, frame_table
from simulator.experiment.behaviours import scenario_behaviours
from simulator.experiment.compare import ExperimentError, check_memory
from simulator.experiment.provenance import scenario_record
from simulator.experiment.run import RunResult, run_model, write_run
from simulator.experiment.store import StoreError, check_writable
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
    firms: int | None = typer.Option(
        None, "--firms", parser=whole, metavar="N", help="Number of firms, e.g. 20000 or 2e4 (overrides run.firms)."
    ),
    steps: int | None = typer.Option(
        None, "--steps", parser=whole, metavar="N", help="Number of steps (overrides the file's run.steps)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", parser=whole, metavar="N", help="Root seed (overrides the file's run.seed)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output directory (default: results/<scenario name>)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already holds results."),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
) -> None:
    """Run one simulation of a scenario; write metrics.parquet, firms.parquet and manifest.json; show a summary.

    The results are written to a temporary folder beside --out and renamed into place when complete, so a failure
    never leaves a mix of old and new files; an existing --out is kept unless --force is given.
    """
    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
    try:
        scenario = load_scenario(
            scenario_file, vocabulary(world), run_overrides={"firms": firms, "steps": steps, "seed": seed}
        )
        behaviours = scenario_behaviours(scenario)
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
    if target.is_dir() and any(target.iterdir()) and not force:
        fail(f"{target} already holds results", "add --force to replace them, or choose another --out")
    try:
        check_writable(target)
        check_memory(scenario.run.firms, 1)
    except StoreError as exc:
        fail(exc.message, exc.hint)
    except ExperimentError as exc:
        fail(exc.message, (exc.hint or "").replace(", or fewer --workers", ""))

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
            scenario.parameter_values(world.calibration),
            n_firms=settings.firms,
            n_steps=settings.steps,
            seed=settings.seed,
            progress=lambda done, total: bar.update(task, completed=done),
            behaviours=behaviours,
        )
    result.manifest["scenario"] = scenario_record(scenario)
    try:
        write_run_atomically(result, target)
    except OSError as exc:
        fail(f"could not write results to {target}: {exc.strerror or exc}", "choose another --out")
    console.print(frame_table(_start_to_end(headline(result.metrics)), title="Headline metrics: first → last step"))
    files = "metrics.parquet, firms.parquet, manifest.json"
    if result.decisions is not None:
        files += ", decisions.csv"
        d = result.decisions
        adopted = ", ".join(f"{e} (step {t})" for t, e in zip(d["step"], d["economy"], strict=True))
        console.print(f"Governments' decisions: {len(d)} adoption(s){': ' + adopted if adopted else ''}")
    console.print(f"Results: {escape(str(target))}/ ({files})")


def write_run_atomically(result: RunResult, target: Path) -> None:
    """Write the run into a temporary folder beside ``target``, then put it in place by renames.

    An existing ``target`` (the caller checked ``--force``) is moved aside first and removed only once the new
    folder is in place; on any failure the temporary folder is removed and the old results are put back.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = None
    try:
        write_run(result, tmp)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not target.exists():
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _start_to_end(table: pd.DataFrame) -> pd.DataFrame:
    """One column per group with "start → end" cells."""
    out = pd.DataFrame({"metric": table.get("metric", pd.Series(dtype=str))})
    groups = [c[: -len(" start")] for c in table.columns if c.endswith(" start")]
    for g in groups:
        out[g] = [f"{a:,.4g} → {b:,.4g}" for a, b in zip(table[f"{g} start"], table[f"{g} end"], strict=True)]
    return out

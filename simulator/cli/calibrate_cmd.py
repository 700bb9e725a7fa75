"""``dlsim calibrate``: the baseline's calibration targets, at the defaults or over a grid of one parameter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.progress import Progress

from simulator.cli.app import app
from simulator.cli.output import console, fail, frame_table
from simulator.experiment.calibration import DEFAULT_FIRMS, DEFAULT_SEEDS, DEFAULT_STEPS, TARGETS, measure, summarise
from simulator.scenario.parameters import PARAMETERS
from simulator.world import WorldDataError, load_world


def _values(spec: str) -> tuple[str, list[float]]:
    """Parse ``NAME=V1,V2,...`` into the parameter name and its values, checked against the declaration."""
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not rest.strip():
        fail(f"--vary {spec!r}: expected NAME=V1,V2,... (for example dds_capability_lac=1,0.7)")
    if name not in PARAMETERS:
        close = [p for p in PARAMETERS if name in p or p in name]
        fail(f"--vary: unknown parameter {name!r}", f"did you mean {close[0]}?" if close else "see dlsim params")
    try:
        values = [float(v) for v in rest.split(",") if v.strip()]
    except ValueError:
        fail(f"--vary {spec!r}: the values must be numbers separated by commas")
    for v in values:
        problem = PARAMETERS[name].check(v)
        if problem:
            fail(f"--vary: {name} = {v:g} is not allowed; expected {problem}")
    return name, values


@app.command()
def calibrate(
    vary: str | None = typer.Option(
        None, "--vary", metavar="NAME=V1,V2", help="Vary one parameter over these values (default: the defaults)."
    ),
    seeds: int = typer.Option(len(DEFAULT_SEEDS), "--seeds", min=1, help="Replicates per value (seeds 1..N)."),
    firms: int = typer.Option(DEFAULT_FIRMS, "--firms", min=100, help="Firms per replicate."),
    steps: int = typer.Option(DEFAULT_STEPS, "--steps", min=1, help="Steps per replicate."),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
) -> None:
    """Run the status-quo baseline and compare it with the calibration targets of docs/evidence.md.

    Shows, per target (and per value of the varied parameter), the mean over replicates with its range and the
    tolerance band that tests/test_model_calibration.py enforces at the defaults.
    """
    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
    if vary is None:
        name, values = "defaults", [float("nan")]
    else:
        name, values = _values(vary)
    frames = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("calibration runs", total=len(values))
        for v in values:
            params = None if vary is None else {name: v}
            runs = measure(world, params, range(1, seeds + 1), firms, steps)
            frames.append(summarise(runs, v))
            progress.advance(task)
    table = pd.concat(frames, ignore_index=True)
    table["band"] = [f"[{lo:g}, {hi:g}]" for lo, hi in zip(table["low"], table["high"], strict=True)]
    table["range"] = [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(table["min"], table["max"], strict=True)]
    table["inside"] = table["inside"].map({True: "yes", False: "NO"})
    shown = table[["value", "target", "mean", "range", "band", "inside"]]
    if vary is None:
        shown = shown.drop(columns="value")
    console.print(
        frame_table(
            shown,
            title=f"Calibration targets, {firms:,} firms, {steps} steps, seeds 1–{seeds}: {name}",
            formats={"mean": ".2f", "value": "g"},
            headers={"mean": "mean %", "value": name},
        )
    )
    for t in TARGETS:
        console.print(f"[dim]{t.name}: {t.figure} ({t.source})[/]", highlight=False)

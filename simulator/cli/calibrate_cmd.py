"""``dlsim calibrate``: the calibration targets at the defaults, over one parameter, or fitted by SMM (``--fit``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.progress import Progress

from simulator.cli.app import app
from simulator.cli.output import console, fail, frame_table
from simulator.experiment.calibration import (
    DEFAULT_FIRMS,
    DEFAULT_SEEDS,
    DEFAULT_STEPS,
    FIT_FIRMS,
    FIT_SEEDS,
    FITTED,
    TARGETS,
    calibration_document,
    calibration_markdown,
    fit,
    measure,
    summarise,
    write_calibration,
)
from simulator.scenario.parameters import PARAMETERS
from simulator.world import WorldDataError, load_world
from simulator.world.loader import CALIBRATION_FILE, CANDIDATE_FILE, default_data_dir


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
    do_fit: bool = typer.Option(
        False,
        "--fit",
        help="Fit the calibrated parameters by simulated method of moments and write DATA/calibration.yaml "
        "(with --firms default 10,000 and 8 common-random-number seeds).",
    ),
    max_evaluations: int = typer.Option(120, "--max-evaluations", min=1, help="--fit: objective evaluations in all."),
    design_points: int = typer.Option(16, "--design-points", min=0, help="--fit: points of the initial Sobol' design."),
    out: Path | None = typer.Option(
        None, "--out", help="--fit: where to write the calibration (default: DATA/calibration.yaml)."
    ),
    force: bool = typer.Option(False, "--force", help="--fit: replace an existing calibration file."),
    report_out: Path | None = typer.Option(
        None,
        "--report-out",
        help="Write the calibration report (Markdown) here, e.g. docs/calibration.md: of the new fit with --fit, "
        "else of the data directory's calibration.yaml, or its calibration_candidate.yaml (no runs).",
    ),
) -> None:
    """Run the status-quo baseline and compare it with the calibration targets of docs/evidence.md, or fit them.

    Shows, per target (and per value of the varied parameter), the mean over replicates with its range and the
    tolerance band that tests/test_model_calibration.py enforces at the defaults. The baseline runs at the world's
    calibration (DATA/calibration.yaml) unless --vary overrides a parameter.

    With --fit, the parameters listed in simulator/experiment/calibration.py (FITTED) are fitted to the targets whose
    role is "fit" by simulated method of moments with common random numbers (docs/calibration.md); the held-out
    targets are reported, never fitted. The result is written to DATA/calibration.yaml, which the world loader reads.
    """
    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
    if report_out is not None and not do_fit:
        _report_only(data_dir, report_out)
        return
    if do_fit:
        if vary is not None:
            fail("--fit and --vary cannot be combined", "run --vary to explore one parameter, --fit to fit them all")
        _fit(world, data_dir, out, force, firms, seeds, steps, max_evaluations, design_points, report_out)
        return
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
    shown = table[["value", "target", "role", "mean", "range", "band", "inside"]]
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


def _fit(
    world,
    data_dir: Path | None,
    out: Path | None,
    force: bool,
    firms: int,
    seeds: int,
    steps: int,
    max_evaluations: int,
    design_points: int,
    report_out: Path | None = None,
) -> None:
    """``dlsim calibrate --fit``: run the fit, show it, write the calibration file (and its report)."""
    from simulator.experiment.provenance import git_state, model_checksum

    target = out if out is not None else (data_dir or default_data_dir()) / CALIBRATION_FILE
    if target.exists() and not force:
        fail(f"{target} exists", "add --force to replace it (the old fit stays in git history), or give --out")
    for path, option in ((target, "--out"), (report_out, "--report-out")):
        if path is not None and not path.parent.is_dir():
            fail(f"{option} {path}: the directory {path.parent} does not exist")
    # the defaults of --firms/--seeds are the check's; a fit runs at its own unless they were changed
    fit_firms = FIT_FIRMS if firms == DEFAULT_FIRMS else firms
    # --seeds N: seeds 101..100+N
    fit_seeds = FIT_SEEDS if seeds == len(DEFAULT_SEEDS) else tuple(range(101, 101 + seeds))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("fit (evaluations)", total=max_evaluations)

        def tick(n: int, value: float, best: float) -> None:
            progress.update(task, completed=n, description=f"fit: objective {value:.2f}, best {best:.2f}")

        result = fit(
            world,
            FITTED,
            seeds=fit_seeds,
            n_firms=fit_firms,
            n_steps=steps,
            design_points=design_points,
            max_evaluations=max_evaluations,
            progress=tick,
        )
    provenance = {"git": str(git_state().get("commit", "")), "model_checksum": model_checksum()}
    provenance |= {f"data:{k}": v for k, v in world.checksums.items() if k != CALIBRATION_FILE}
    document = calibration_document(result, provenance)
    write_calibration(document, target)
    params = pd.DataFrame(
        [{"parameter": k, "start": result.start[k], "fitted": v} for k, v in result.parameters.items()]
    )
    console.print(frame_table(params, title="Fitted parameters", formats={"start": "g", "fitted": "g"}))
    rows = pd.DataFrame(document["targets"])[["name", "role", "target", "simulated_at_start", "simulated", "inside"]]
    rows["inside"] = rows["inside"].map({True: "yes", False: "NO"})
    console.print(
        frame_table(
            rows,
            title=f"Targets (objective {result.objective_start:.2f} at the start, {result.objective:.2f} fitted; "
            f"{result.evaluations} evaluations)",
            formats={"target": "g", "simulated_at_start": ".2f", "simulated": ".2f"},
            headers={"simulated_at_start": "start %", "simulated": "fitted %", "target": "target %"},
        )
    )
    console.print(f"wrote {target}", highlight=False)
    if report_out is not None:
        _write_report(calibration_markdown(document), report_out)


def _write_report(text: str, path: Path) -> None:
    """Write the calibration report atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    console.print(f"wrote {path}", highlight=False)


def _report_only(data_dir: Path | None, report_out: Path) -> None:
    """``dlsim calibrate --report-out FILE``: the report of the data's calibration file or candidate, no runs."""
    import yaml

    root = data_dir or default_data_dir()
    source = root / CALIBRATION_FILE
    if not source.is_file():
        source = root / CANDIDATE_FILE
    if not source.is_file():
        fail(f"neither {root / CALIBRATION_FILE} nor {source} exists", "run dlsim calibrate --fit first")
    if not report_out.parent.is_dir():
        fail(f"--report-out {report_out}: the directory {report_out.parent} does not exist")
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        text = calibration_markdown(document)
    except (yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as exc:
        fail(f"{source}: not a calibration file written by dlsim calibrate --fit ({exc})")
    _write_report(text, report_out)

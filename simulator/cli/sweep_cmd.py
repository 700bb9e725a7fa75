"""``dlsim sweep``: a scenario's factors over a design (full factorial, Latin hypercube, Sobol', Morris) and indices."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import typer
from rich.markup import escape

from simulator.cli.app import app
from simulator.cli.common import progress_bar, report_scenario_error, whole
from simulator.cli.output import console, err_console, fail, frame_table
from simulator.experiment.executors import EXECUTORS

if TYPE_CHECKING:
    from simulator.experiment.sweep import SweepResult

SHOWN_FACTORS = 8
"""Factors shown per outcome in the summary table."""


@app.command()
def sweep(
    file: Path = typer.Argument(..., metavar="FILE.yaml", help="Scenario file with a sweep: section."),
    out: Path | None = typer.Option(None, "--out", help="Results folder (default: results/<scenario>_sweep)."),
    firms: int | None = typer.Option(None, "--firms", parser=whole, metavar="N", help="Firms per run (e.g. 1e4)."),
    steps: int | None = typer.Option(None, "--steps", parser=whole, metavar="N", help="Steps per run."),
    seed: int | None = typer.Option(None, "--seed", parser=whole, metavar="N", help="Root seed of the runs."),
    executor: str = typer.Option("processes", "--executor", help=f"Where runs are computed: {', '.join(EXECUTORS)}."),
    workers: int | None = typer.Option(
        None, "--workers", parser=whole, metavar="N", help="Worker processes (default: the CPUs available)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", metavar="tcp://HOST:PORT", help="Use an existing Dask cluster (implies --executor dask)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Keep the finished runs of --out and compute the rest."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it holds results."),
    warm_start: bool = typer.Option(
        True, "--warm-start/--no-warm-start", help="Points with the file's parameters branch from one built model."
    ),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Write the offline HTML report (sensitivity indices) at the end."
    ),
    report_out: Path | None = typer.Option(
        None, "--report-out", help="HTML file of the report (default: reports/<results folder name>.html)."
    ),
) -> None:
    """Run the sweep declared in FILE's sweep: section and compute sensitivity indices.

    Writes one shard per run under runs/ (resumable), manifest.json, and sweep/design.parquet, sweep/outcomes.parquet
    and sweep/indices.parquet (Sobol' S1/ST, Morris mu_star/sigma, SRC for a Latin hypercube, ANOVA S1 for a full
    factorial); prints the most influential factors of the headline metrics at the world level. Then writes the
    HTML report (dlsim report: the sweep's header, a tornado chart of the indices, provenance) and prints its path.
    """
    from simulator.experiment.compare import ExperimentError
    from simulator.experiment.store import StoreError
    from simulator.experiment.sweep import sweep as run_sweep
    from simulator.scenario.errors import ScenarioError
    from simulator.world import WorldDataError

    if executor not in EXECUTORS:
        fail(f"--executor {executor!r} is not known", f"use one of {', '.join(EXECUTORS)}")
    if resume and force:
        fail("--resume and --force contradict each other", "--resume keeps finished runs; --force discards them")
    for name, value in (("--firms", firms), ("--steps", steps), ("--workers", workers)):
        if value is not None and value < 1:
            fail(f"{name} {value} must be 1 or more")
    if not file.is_file():
        fail(f"{file}: no such scenario file", "a sweep is declared in a scenario file's sweep: section")

    def started(manifest: dict) -> None:
        s, sw = manifest["settings"], manifest["sweep"]
        effect = f" against {escape(sw['against_scenario'])} (each point runs both)" if "against_scenario" in sw else ""
        console.print(
            f"[bold]Sweeping[/] {escape(manifest['baseline'])}{effect}: {sw['design']} design, {len(sw['factors'])} "
            f"factor(s), {sw['points']:,} point(s) × {s['replicates']} replicate(s) × {s['firms']:,} firms × "
            f"{s['steps']} steps, {s['executor']} ({s['workers']} worker(s))",
            highlight=False,
        )

    with progress_bar() as bar:
        task = bar.add_task("runs", total=None)

        def progress(done: int, total: int, run_id: str) -> None:
            bar.update(task, completed=done, total=total, description=f"runs (last: {run_id})")

        try:
            res = run_sweep(
                file,
                firms=firms,
                steps=steps,
                seed=seed,
                out=out,
                executor=executor,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                force=force,
                data_dir=data_dir,
                warm_start=warm_start,
                progress=progress,
                on_start=started,
            )
        except ScenarioError as exc:
            bar.stop()
            issues = exc.issues
            where = Path(issues[0].file) if issues and getattr(issues[0], "file", None) else file
            report_scenario_error(where, exc)
        except WorldDataError as exc:
            bar.stop()
            fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
        except (ExperimentError, StoreError) as exc:
            bar.stop()
            fail(exc.message, exc.hint)
        except OSError as exc:
            bar.stop()
            fail(f"{exc.strerror or exc}", "is the Dask scheduler running and reachable? (dask scheduler --host ...)")
    show_sweep(res)
    if report:
        from simulator.cli.report_cmd import write_report

        write_report(Path(res.root), report_out)


def show_sweep(res: SweepResult) -> None:
    """Print each analysed metric's most influential factors at the world level, and where the results are.

    In an effect sweep (``against``) the outcome ranked is the reform's % effect against the counterfactual.
    """
    metrics = res.manifest.get("sweep", {}).get("metrics", [])
    against = res.manifest.get("sweep", {}).get("against_scenario")
    what = f"% effect against {escape(str(against))}, world, last year" if against else "world, last year"
    for metric in metrics:
        table = res.ranking(metric)
        if table.empty:
            continue
        table = table.head(SHOWN_FACTORS)
        formats = {c: "+.4g" for c in table.columns if c != "factor" and pd.api.types.is_numeric_dtype(table[c])}
        r2 = res.r2(metric)
        fit = "" if r2 is None else f" (regression R2 {r2:.2f})"
        console.print(f"[bold]{escape(metric)}[/] ({what}): factors by influence{fit}", highlight=False)
        console.print(frame_table(table, formats=formats))
    if res.is_effect and not res.outcomes.empty:
        spread = res.spread()
        spread = spread[(spread["level"] == "world") | (spread["level"] == "economy")]
        shown = spread[["metric", "group", "points", "median", "p05", "p95", "same_sign"]]
        console.print(
            f"[bold]Effects across the design[/] (% against {escape(str(against))}; same_sign: share of points with "
            "the median's sign)",
            highlight=False,
        )
        formats = {"median": "+.3g", "p05": "+.3g", "p95": "+.3g", "same_sign": ".0%"}
        console.print(frame_table(shown.reset_index(drop=True), formats=formats))
    for note in res.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    console.print(
        f"Results: {escape(str(res.root))}/ (sweep/design.parquet, sweep/outcomes.parquet, sweep/indices.parquet, "
        f"runs/, manifest.json). Indices: {escape(res.manifest.get('sweep', {}).get('indices', ''))}.",
        highlight=False,
        soft_wrap=True,
    )

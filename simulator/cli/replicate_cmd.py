"""``dlsim replicate``: a published study's scenarios against its counterfactual, beside the published table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from simulator.cli.app import app
from simulator.cli.common import progress_bar, report_scenario_error, whole
from simulator.cli.output import console, err_console, fail, frame_table
from simulator.experiment.executors import EXECUTORS
from simulator.experiment.replication import DEFAULT_WINDOW


def _ci(value: float, lo: float, hi: float) -> str:
    if pd.isna(value):
        return ""
    return f"{value:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def replication_table(table: pd.DataFrame) -> pd.DataFrame:
    """The side-by-side table as text cells: published and simulated effects, 95 % CIs, ranks and signs."""
    rows = []
    for r in table.itertuples(index=False):
        rows.append(
            {
                "economy": r.economy,
                "GDP % published": f"{r.published_gdp_pct:+.1f}",
                "real income % simulated [95 % CI]": _ci(r.simulated_gdp_pct, r.gdp_lo, r.gdp_hi),
                "rank pub/sim": f"{r.published_gdp_rank:g}/{r.simulated_gdp_rank:g}",
                "sign": "ok" if r.gdp_sign_match else "DIFFERS",
                "investment % published": ""
                if pd.isna(r.published_investment_pct)
                else f"{r.published_investment_pct:+.1f}",
                "investment % simulated [95 % CI]": _ci(r.simulated_investment_pct, r.investment_lo, r.investment_hi),
            }
        )
    return pd.DataFrame(rows)


@app.command()
def replicate(
    study: str = typer.Argument(
        ..., metavar="STUDY", help="The study to reproduce: ecipe2014 (or ecipe2014-wide, its economy-wide variant)."
    ),
    replicates: int | None = typer.Option(
        None, "--replicates", "-r", parser=whole, metavar="N", help="Paired replicates (default: the file's)."
    ),
    firms: int | None = typer.Option(None, "--firms", parser=whole, metavar="N", help="Firms per run (e.g. 1e4)."),
    steps: int | None = typer.Option(None, "--steps", parser=whole, metavar="N", help="Steps per run."),
    seed: int | None = typer.Option(None, "--seed", parser=whole, metavar="N", help="Root seed."),
    window: int = typer.Option(
        DEFAULT_WINDOW,
        "--window",
        parser=whole,
        metavar="N",
        help="Steps averaged at the end of the runs (1 = the last step).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Results folder (default: results/replicate_<study>)."),
    executor: str = typer.Option("processes", "--executor", help=f"Where runs are computed: {', '.join(EXECUTORS)}."),
    workers: int | None = typer.Option(
        None, "--workers", parser=whole, metavar="N", help="Worker processes (default: the CPUs available)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Keep the finished runs of --out and compute the rest."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it holds results."),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
) -> None:
    """Reproduce a published study: its reforms against its counterfactual, effects beside the published table.

    ecipe2014: the data-localisation measures enacted or proposed in 2014 in Brazil, China, the EU, India,
    Indonesia, Korea and Vietnam (scenarios/ecipe2014_*.yaml), each against the no-measure counterfactual, with
    common random numbers (as dlsim compare). Prints per economy the published GDP and investment effects
    (data/ecipe2014.csv) beside the simulated real income and real investment of that economy, averaged over the
    last --window steps (% with 95 % CI), the Spearman rank correlation across the economies and whether every
    sign matches; passes when the GDP rank correlation is at least 0.6 and every sign matches. Writes
    replication.csv and replication.json into the results folder. ecipe2014-wide: the paper's economy-wide
    variant (storage for every data category and sector in Brazil, the EU, India, Indonesia, Korea;
    scenarios/ecipe2014_wide_*.yaml), GDP only. Differences explained in docs/validation-ecipe.md.
    """
    from simulator.experiment.compare import ExperimentError
    from simulator.experiment.replication import PASS_SPEARMAN
    from simulator.experiment.replication import replicate as run_replication
    from simulator.experiment.store import StoreError
    from simulator.scenario.errors import ScenarioError
    from simulator.world import WorldDataError

    if executor not in EXECUTORS:
        fail(f"--executor {executor!r} is not known", f"use one of {', '.join(EXECUTORS)}")
    if resume and force:
        fail("--resume and --force contradict each other", "--resume keeps finished runs; --force discards them")
    for name, value in (
        ("--replicates", replicates),
        ("--firms", firms),
        ("--steps", steps),
        ("--workers", workers),
        ("--window", window),
    ):
        if value is not None and value < 1:
            fail(f"{name} {value} must be 1 or more")
    with progress_bar() as bar:
        task = bar.add_task("runs", total=None)

        def progress(done: int, total: int, run_id: str) -> None:
            bar.update(task, completed=done, total=total, description=f"runs (last: {run_id})")

        try:
            rep = run_replication(
                study,
                firms=firms,
                steps=steps,
                replicates=replicates,
                seed=seed,
                window=window,
                out=out,
                executor=executor,
                workers=workers,
                resume=resume,
                force=force,
                data_dir=data_dir,
                progress=progress,
            )
        except ScenarioError as exc:
            bar.stop()
            issues = exc.issues
            where = Path(issues[0].file) if issues and getattr(issues[0], "file", None) else Path(study)
            report_scenario_error(where, exc)
        except WorldDataError as exc:
            bar.stop()
            fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
        except (ExperimentError, StoreError) as exc:
            bar.stop()
            fail(exc.message, exc.hint)
    s = rep.settings
    console.print(
        frame_table(
            replication_table(rep.table),
            title=f"{rep.study.citation}: published vs simulated ({rep.gdp_metric}, {rep.investment_metric}; "
            f"{s['replicates']} paired replicates × {s['firms']:,} firms × {s['steps']} steps, seed {s['seed']}; "
            f"mean of the last {s['window']} step(s))",
        )
    )
    verdict = "[green]PASS[/]" if rep.passed else "[red]FAIL[/]"
    console.print(
        f"Spearman rank correlation of GDP effects: {rep.spearman_gdp:+.2f} (p = {rep.spearman_gdp_p:.2f}); "
        f"every sign matches: {'yes' if rep.signs_match else 'no'}"
        + ("" if pd.isna(rep.spearman_investment) else f"; investment: {rep.spearman_investment:+.2f}")
        + ". "
        f"{verdict} (needs ≥ {PASS_SPEARMAN:g} and every sign).",
        highlight=False,
        soft_wrap=True,
    )
    for note in rep.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    console.print(
        f"Results: {escape(str(rep.root))}/ (replication.csv, replication.json, effects.parquet, runs/). "
        "Differences explained in docs/validation-ecipe.md.",
        highlight=False,
        soft_wrap=True,
    )

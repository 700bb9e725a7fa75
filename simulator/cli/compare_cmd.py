"""``dlsim compare``: a baseline against reforms, replicated with common random numbers, effects with 95 % CIs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from simulator.cli.app import app
from simulator.cli.common import progress_bar, report_scenario_error, whole
from simulator.cli.output import console, err_console, fail, frame_table
from simulator.experiment.effects import Effects
from simulator.experiment.executors import EXECUTORS


def _fmt(value: float, spec: str = ",.4g") -> str:
    return "" if pd.isna(value) else format(value, spec)


def headline_table(effects: pd.DataFrame) -> pd.DataFrame:
    """The headline rows of one reform as text cells: baseline, % change and difference with their 95 % CIs."""
    from simulator.experiment.effects import replicates_needed

    rows = []
    for r in effects.itertuples(index=False):
        usd = "" if pd.isna(r.diff_usd) else f" ({r.diff_usd / 1e9:+,.0f} bn USD)"
        need = replicates_needed(int(r.n), r.diff, r.diff_lo, r.diff_hi)
        precise = r.distinguishable and (r.diff_hi - r.diff_lo) / 2 <= 0.5 * abs(r.diff)
        rows.append(
            {
                "metric": r.metric,
                "where": "world" if r.level == "world" else r.group,
                "baseline": _fmt(r.baseline_mean),
                "% change [95 % CI]": f"{_fmt(r.pct, '+.2f')} [{_fmt(r.pct_lo, '+.2f')}, {_fmt(r.pct_hi, '+.2f')}]"
                + ("" if r.distinguishable else " ~0"),
                "difference [95 % CI]": f"{_fmt(r.diff, '+,.3g')} [{_fmt(r.diff_lo, '+,.3g')}, "
                f"{_fmt(r.diff_hi, '+,.3g')}]{usd}",
                "n (±50 %)": f"{int(r.n)}" + ("" if precise or need is None else f" ({need})"),
            }
        )
    return pd.DataFrame(rows)


@app.command()
def compare(
    baseline: Path = typer.Argument(..., metavar="BASELINE.yaml", help="Baseline scenario (its run: settings apply)."),
    reforms: list[Path] = typer.Argument(..., metavar="REFORM.yaml...", help="One or more reform scenarios."),
    replicates: int | None = typer.Option(
        None, "--replicates", "-r", parser=whole, metavar="N", help="Replicates (default: the file's run.replicates)."
    ),
    firms: int | None = typer.Option(None, "--firms", parser=whole, metavar="N", help="Firms per run (e.g. 1e4)."),
    steps: int | None = typer.Option(None, "--steps", parser=whole, metavar="N", help="Steps per run."),
    seed: int | None = typer.Option(None, "--seed", parser=whole, metavar="N", help="Root seed."),
    out: Path | None = typer.Option(None, "--out", help="Results folder (default: results/<baseline>_vs_<reform>)."),
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
        True, "--warm-start/--no-warm-start", help="Build each replicate's firms and network once for all scenarios."
    ),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Write the offline HTML report of the results at the end."
    ),
    report_out: Path | None = typer.Option(
        None, "--report-out", help="HTML file of the report (default: reports/<results folder name>.html)."
    ),
    decompose: bool = typer.Option(
        False, "--decompose", help="Attribute each reform's effect by lever and by channel (decomposition.parquet)."
    ),
    decompose_by: str = typer.Option(
        "both", "--decompose-by", metavar="levers|channels|both", help="What --decompose attributes the effect to."
    ),
    uncertain: list[str] | None = typer.Option(
        None,
        "--uncertain",
        metavar="NAME[=LOW:HIGH]|FILE.yaml",
        help="Draw this parameter per replicate (declared range, a range, or a file's sweep: parameters); repeatable.",
    ),
) -> None:
    """Compare reforms with a baseline: paired effects with 95 % confidence intervals, into effects.parquet.

    Every scenario of replicate r runs from the same seed (common random numbers). Writes one shard per run under
    runs/, manifest.json, effects.parquet and paired.parquet; prints the headline effects and says which of them
    cannot be told from zero and how many replicates would do. With --decompose, each reform is rerun with its
    provisions (levers) and the model's mechanisms (channels) neutralised, one at a time and in every coalition
    (Shapley values, up to 6 components), into decomposition.parquet. With --uncertain, the parameters named are
    drawn per replicate (the same for every scenario of the replicate), so the intervals carry their uncertainty.
    Then writes the HTML report (dlsim report) and prints its path.
    """
    from simulator.experiment.compare import ExperimentError
    from simulator.experiment.compare import compare as run_compare
    from simulator.experiment.store import StoreError
    from simulator.scenario.errors import ScenarioError
    from simulator.world import WorldDataError

    if executor not in EXECUTORS:
        fail(f"--executor {executor!r} is not known", f"use one of {', '.join(EXECUTORS)}")
    if resume and force:
        fail("--resume and --force contradict each other", "--resume keeps finished runs; --force discards them")
    if decompose_by.strip().lower() not in ("levers", "lever", "channels", "channel", "both"):
        fail(f"--decompose-by {decompose_by!r} is not known", "use levers, channels or both")
    for name, value in (("--replicates", replicates), ("--firms", firms), ("--steps", steps), ("--workers", workers)):
        if value is not None and value < 1:
            fail(f"{name} {value} must be 1 or more")
    for path in (baseline, *reforms):
        if not path.is_file():
            fail(f"{path}: no such scenario file", "scenario files live in scenarios/ (dlsim validate checks them)")
    current = {"path": baseline}

    def started(manifest: dict) -> None:
        s = manifest["settings"]
        console.print(
            f"[bold]Comparing[/] {escape(manifest['baseline'])} with "
            f"{escape(', '.join(n for n in manifest['scenarios'] if n != manifest['baseline']))}: "
            f"{s['replicates']} replicate(s) × {s['firms']:,} firms × {s['steps']} steps, "
            f"seed {manifest['seed']['entropy']}, {s['executor']} ({s['workers']} worker(s))",
            highlight=False,
        )

    with progress_bar() as bar:
        task = bar.add_task("runs", total=None)

        def progress(done: int, total: int, run_id: str) -> None:
            bar.update(task, completed=done, total=total, description=f"runs (last: {run_id})")

        try:
            fx = run_compare(
                baseline,
                reforms,
                replicates=replicates,
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
                decompose=[decompose_by] if decompose else (),
                uncertain=list(uncertain or ()),
                progress=progress,
                on_start=started,
            )
        except ScenarioError as exc:
            bar.stop()
            issues = exc.issues
            where = Path(issues[0].file) if issues and getattr(issues[0], "file", None) else current["path"]
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
    show_effects(fx)
    if decompose and fx.root is not None:
        show_decomposition(fx.root)

    if report and fx.root is not None:
        from simulator.cli.report_cmd import write_report

        write_report(Path(fx.root), report_out)


def show_decomposition(root: Path) -> None:
    """Print, per reform and kind, how the first headline metric's world effect splits among the components.

    Shapley values where they were computed, else one-at-a-time effects (with the interaction left over).
    """
    from simulator.experiment.catalogue import headline_metrics
    from simulator.experiment.store import DECOMPOSITION

    path = root / DECOMPOSITION
    if not path.is_file():
        return
    d = pd.read_parquet(path)
    if d.empty:
        return
    metric = (headline_metrics(frozenset(d["metric"].astype(str).unique())) or [str(d["metric"].iloc[0])])[0]
    d = d[(d["metric"] == metric) & (d["level"] == "world")]
    for (scenario, kind), g in d.groupby(["scenario", "kind"], sort=False):
        method = "shapley" if (g["method"] == "shapley").any() else "one_at_a_time"
        g = g[g["method"] == method]
        rows = [
            {
                "component": r.component,
                "effect % [95 % CI]": f"{_fmt(r.effect, '+.3f')} [{_fmt(r.effect_lo, '+.3f')}, "
                f"{_fmt(r.effect_hi, '+.3f')}]",
                "share": _fmt(r.share, ".0%"),
                "what": r.label,
            }
            for r in g.itertuples(index=False)
        ]
        console.print(
            frame_table(
                pd.DataFrame(rows),
                title=f"{scenario}: {metric} (world, last year) by {kind} ({method.replace('_', '-')})",
            )
        )
    console.print(
        f"Decomposition: {escape(str(path))} (levers and channels, one-at-a-time and Shapley; definitions in "
        "manifest.json under decomposition).",
        highlight=False,
        soft_wrap=True,
    )


def show_effects(fx: Effects) -> None:
    """Print the headline effects per reform, a summary of the imprecise ones and where the results are."""
    head = fx.headline()
    if head.empty:
        err_console.print("[yellow]warning:[/] no headline effect could be computed", highlight=False)
    for scenario in fx.scenarios:
        rows = head[head["scenario"] == scenario]
        if rows.empty:
            continue
        step, year = int(rows["step"].iloc[0]), float(rows["year"].iloc[0])
        console.print(
            frame_table(
                headline_table(rows),
                title=f"{scenario} vs {rows['baseline'].iloc[0]} at step {step} ({year:g})",
            )
        )
    warnings = fx.warnings()
    if warnings:
        zero = sum("cannot be told from zero" in w for w in warnings)
        wide = sum("exceeds 50 %" in w for w in warnings)
        few = sum("give no confidence interval" in w for w in warnings)
        parts = [f"{zero} cannot be told from zero (~0)"] if zero else []
        parts += [f"{wide} have a CI half-width over 50 % of the effect"] if wide else []
        parts += [f"{few} have fewer than 2 paired replicates"] if few else []
        err_console.print(
            f"[yellow]warning:[/] of {len(head)} headline effects, {'; '.join(parts)}. The n column gives in brackets "
            "the replicates that would narrow each CI to ±50 % of its effect (--replicates N --resume adds them).",
            highlight=False,
            soft_wrap=True,
        )
    for note in fx.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    console.print(
        f"Results: {escape(str(fx.root))}/ (effects.parquet, paired.parquet, runs/, manifest.json). "
        "% CIs: delta method on the ratio of paired means; USD of the data's base year.",
        highlight=False,
        soft_wrap=True,
    )

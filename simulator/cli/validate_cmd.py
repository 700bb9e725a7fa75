"""``dlsim validate-model``: the stylised facts of docs/evidence.md as paired tests, into a validation table.

(``dlsim validate`` checks scenario files; this command validates the model against published evidence.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from simulator.cli.app import app
from simulator.cli.common import progress_bar, whole
from simulator.cli.output import console, err_console, fail, frame_table
from simulator.experiment.executors import EXECUTORS


def _fmt(value: float, spec: str = "+.2f") -> str:
    return "" if pd.isna(value) else format(value, spec)


def fact_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The validation table as text cells: fact, expectation, simulated effect with its 95 % CI, pass or fail."""
    rows = []
    for r in table.itertuples(index=False):
        effect = f"{_fmt(r.mean)} {r.unit} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        rows.append(
            {
                "fact": f"{r.fact}: {r.statement}",
                "expected": r.expected,
                "simulated [95 % CI]": effect + (f" ({r.note})" if r.note else ""),
                "pairs > 0": f"{r.pairs_positive}/{r.n}",
                "result": "pass" if r.passed else "FAIL",
            }
        )
    return pd.DataFrame(rows)


def show_table(table: pd.DataFrame, root: Path | None = None) -> None:
    """Print the validation table, a one-line summary and where the files are."""
    console.print(frame_table(fact_rows(table), title="Model validation: stylised facts (docs/evidence.md)"))
    passed = int(table["passed"].sum())
    console.print(
        f"{passed} of {len(table)} checks pass. A check passes when the 95 % t interval of the paired mean lies on the "
        "expected side of zero and, where a band is given, the mean lies in it.",
        highlight=False,
        soft_wrap=True,
    )
    if root is not None:
        console.print(
            f"Table: {escape(str(root))}/validation/ (facts.parquet, facts.csv, manifest.json); "
            f"dlsim report {escape(str(root))} shows it.",
            highlight=False,
            soft_wrap=True,
        )


@app.command("validate-model")
def validate_model(
    facts: list[str] | None = typer.Option(
        None, "--facts", metavar="N|ID[,...]", help="Only these facts: numbers 1-8 or ids (repeatable, or commas)."
    ),
    firms: int | None = typer.Option(
        None, "--firms", parser=whole, metavar="N", help="Firms per run (default: 6,000; fact 7: 3,000; 8: 5,000)."
    ),
    pairs: int | None = typer.Option(
        None, "--pairs", parser=whole, metavar="N", help="Paired replicates (default: 16; fact 7: 4; 8: 8)."
    ),
    steps: int | None = typer.Option(
        None, "--steps", parser=whole, metavar="N", help="Steps after the burn-in (default: 21; fact 7: 28; 8: 12)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", parser=whole, metavar="N", help="Seed of replicate 0 (default: 20000; fact 7: 24000; 8: 30000)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Results folder; the table goes to its validation/ (default: results/validation)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the validation table of --out if it has one."),
    executor: str = typer.Option("processes", "--executor", help=f"Where runs are computed: {', '.join(EXECUTORS)}."),
    workers: int | None = typer.Option(
        None, "--workers", parser=whole, metavar="N", help="Worker processes (default: the CPUs available)."
    ),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
    list_facts: bool = typer.Option(False, "--list", help="List the facts and their sources, and run nothing."),
) -> None:
    """Run the stylised facts (1-7) and innovation responses (8) as paired tests and write the validation table.

    Each fact is measured with common random numbers (baseline and reform of a replicate share their seed) and
    passes when the 95 % t interval of the paired mean lies on the side of zero the evidence gives and, where the
    evidence gives a magnitude, the mean lies in its band. Failing facts are reported, never tuned away. Writes
    OUT/validation/facts.parquet, facts.csv and manifest.json (the report of OUT shows the table).
    """
    from simulator.experiment.store import StoreError
    from simulator.experiment.validation import FACTS, ValidationError, select_facts
    from simulator.experiment.validation import validate_model as run_validation
    from simulator.world import WorldDataError

    if list_facts:
        rows = [
            {"id": f.id, "fact": f.fact, "check": f.statement, "expected": f.expected, "source": f.source}
            for f in FACTS
        ]
        console.print(frame_table(pd.DataFrame(rows), title="Stylised facts (docs/evidence.md)"))
        return
    if executor not in EXECUTORS:
        fail(f"--executor {executor!r} is not known", f"use one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        fail(f"--workers {workers} must be 1 or more")
    try:
        select_facts(facts)
    except ValidationError as exc:
        fail(escape(exc.message), escape(exc.hint) if exc.hint else None)

    def started(manifest: dict) -> None:
        s = manifest["settings"]
        sizes = "; ".join(
            f"{design}: {v['pairs']} pairs × {v['firms']:,} firms × {v['steps']} steps, seeds {v['seeds']}"
            for design, v in s.items()
            if isinstance(v, dict)
        )
        console.print(
            f"[bold]Validating[/] {len(manifest['facts'])} check(s) — {sizes}; {s['executor']} "
            f"({s['workers']} worker(s))",
            highlight=False,
            soft_wrap=True,
        )

    with progress_bar() as bar:
        task = bar.add_task("runs", total=None)

        def progress(done: int, total: int, run_id: str) -> None:
            bar.update(task, completed=done, total=total, description=f"runs (last: {run_id})")

        try:
            result = run_validation(
                facts,
                firms=firms,
                pairs=pairs,
                steps=steps,
                seed=seed,
                out=out,
                force=force,
                executor=executor,
                workers=workers,
                data_dir=data_dir,
                progress=progress,
                on_start=started,
            )
        except (ValidationError, StoreError) as exc:
            bar.stop()
            fail(escape(exc.message), escape(exc.hint) if exc.hint else None)
        except WorldDataError as exc:
            bar.stop()
            fail(escape(str(exc)), "fix the file named above; the columns are declared in simulator/world/tables.py")
    show_table(result.table, result.root)
    failed = result.table[~result.table["passed"]]
    if not failed.empty:
        err_console.print(
            f"[yellow]note:[/] {len(failed)} check(s) fail at these settings: {', '.join(failed['id'])} "
            "(docs/evidence.md discusses each)",
            highlight=False,
            soft_wrap=True,
        )

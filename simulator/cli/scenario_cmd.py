"""``dlsim validate``, ``dlsim diff``, ``dlsim params`` and ``dlsim schema``: the scenario-file commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from simulator.cli.app import app
from simulator.cli.output import EXIT_USAGE, console, err_console, fail
from simulator.experiment.behaviours import scenario_behaviours
from simulator.scenario.diff import diff_policies
from simulator.scenario.docs import parameters_markdown, scenario_json_schema_text
from simulator.scenario.errors import Issue, ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.resolution import resolve_policy
from simulator.scenario.vocabulary import Vocabulary
from simulator.world import WorldDataError
from simulator.world.loader import shipped_calibration

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
"""The project's docs/ directory (where generated references are written)."""
PARAMETERS_MD = DOCS_DIR / "parameters.md"
SCHEMA_JSON = DOCS_DIR / "scenario.schema.json"
EXIT_INTERNAL = 1
"""Exit code for a bug in dlsim (as opposed to a bad file)."""


def _vocabulary(data_dir: Path | None, quiet: bool = False) -> Vocabulary:
    """Build the vocabulary from the world data, or fall back to the taxonomy with a warning."""
    from simulator.world import WorldDataError, load_world
    from simulator.world.compile import vocabulary

    try:
        return vocabulary(load_world(data_dir))
    except WorldDataError as exc:
        if not quiet:
            err_console.print(
                f"[yellow]warning:[/] world data not loaded ({escape(str(exc))}); economy and sector codes not checked",
                highlight=False,
            )
        return Vocabulary.from_taxonomy()


def _print_issue(issue: Issue) -> None:
    colour = "red" if issue.severity == "error" else "yellow"
    err_console.print(f"  [{colour}]{escape(str(issue))}[/]", highlight=False, soft_wrap=True)


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Scenario files to check.", show_default=False),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
) -> None:
    """Check scenario files: one summary line per valid file, every error (file:line:column) otherwise; exit 2."""
    vocab = _vocabulary(data_dir)
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path, vocab)
            scenario_behaviours(scenario)  # the chosen rules and their parameters, against their declarations
        except ScenarioError as exc:
            bad += 1
            err_console.print(f"[bold red]✗ {escape(str(path))}[/]: {len(exc.issues)} error(s)", highlight=False)
            for issue in exc.issues:
                _print_issue(issue)
            continue
        except Exception as exc:  # a bug in dlsim, not in the file: say so instead of a traceback
            err_console.print(f"[bold red]internal error[/] on {escape(str(path))}: {escape(repr(exc))}; please report")
            raise typer.Exit(EXIT_INTERNAL) from None
        mark = "[yellow]![/]" if scenario.warnings else "[green]✓[/]"
        console.print(f"{mark} {escape(str(path))}: {escape(scenario.summary())}", highlight=False, soft_wrap=True)
        for issue in scenario.warnings:
            _print_issue(issue)
        if strict and scenario.warnings:
            bad += 1
    if bad:
        raise typer.Exit(EXIT_USAGE)


@app.command()
def diff(
    a: Path = typer.Argument(..., help="First scenario file."),
    b: Path = typer.Argument(..., help="Second scenario file."),
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
) -> None:
    """Show which economies and sectors change which rule, from when, between two resolved scenarios."""
    from simulator.world import WorldDataError, load_world
    from simulator.world.compile import vocabulary

    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "dlsim diff needs the world data to resolve groups to economies")
    vocab = vocabulary(world)
    policies = []
    for path in (a, b):
        try:
            scenario = load_scenario(path, vocab)
            scenario_behaviours(scenario)  # the chosen rules and their parameters, against their declarations
        except ScenarioError as exc:
            fail(f"{path} is not a valid scenario:\n" + "\n".join(str(i) for i in exc.issues), "run dlsim validate")
        policies.append(resolve_policy(scenario, world.iso3, world.sector_codes, vocab))
    differences = diff_policies(*policies)
    if not differences:
        console.print(f"{a.name} and {b.name} resolve to the same rules.")
        return
    table = Table(title=f"{a.name} → {b.name}: {len(differences)} difference(s)", title_justify="left")
    for col in ("lever", "economy / bloc", "data", "sector", a.name, b.name):
        table.add_column(col, overflow="fold")
    for d in differences:
        name = vocab.names.get(d.target, "")
        target = f"{d.target} ({name})" if name else d.target
        table.add_row(
            d.lever,
            target,
            d.data_category,
            d.sector,
            escape(_with_status_quo(world, d, d.a)),
            escape(_with_status_quo(world, d, d.b)),
        )
    console.print(table)


def _with_status_quo(world, d, text: str) -> str:
    """Spell out the status-quo regime where a side of a difference is the baseline ("baseline (conditional)")."""
    from simulator.scenario.diff import BASELINE
    from simulator.scenario.resolution import REGIME
    from simulator.world.baseline import CATEGORIES, regime_array
    from simulator.world.policy import REGIME_ORDER

    if text != BASELINE or d.lever != REGIME or d.target not in world.iso3:
        return text
    codes = regime_array(world)[world.index_of(d.target)]
    ks = range(len(CATEGORIES)) if d.data_category == "*" else [[str(c) for c in CATEGORIES].index(d.data_category)]
    ss = range(len(world.sector_codes)) if d.sector == "*" else [world.sector_codes.index(d.sector)]
    values = sorted({str(REGIME_ORDER[int(codes[k, s])]) for k in ks for s in ss})
    return f"{BASELINE} ({', '.join(values)})"


@app.command()
def params(
    write: bool = typer.Option(False, "--write", help=f"Also write the Markdown reference to {PARAMETERS_MD}."),
    output: Path | None = typer.Option(None, "--output", help="Write the Markdown reference here instead."),
) -> None:
    """Print the reference of every model parameter (unit, default, range, meaning, source).

    A parameter fitted by dlsim calibrate --fit shows its fitted value (data/calibration.yaml) and, in brackets, its
    declared default.
    """
    try:
        fitted = shipped_calibration()
    except WorldDataError as exc:
        fail(str(exc), "re-run dlsim calibrate --fit --force, or restore data/calibration.yaml from git")
    table = Table(title=f"{len(PARAMETERS)} model parameters", title_justify="left", header_style="bold")
    longest = max(len(name) for name in PARAMETERS)
    for col in ("group", "name", "symbol", "default", "range", "unit", "meaning", "source"):
        table.add_column(col, overflow="fold", no_wrap=col == "name", min_width=longest if col == "name" else None)
    for p in PARAMETERS.values():
        table.add_row(
            p.group,
            p.name,
            p.symbol,
            f"{fitted[p.name]:g} ({p.default:g})" if p.name in fitted else f"{p.default:g}",
            f"{p.minimum:g} – {p.maximum:g}",
            p.unit,
            p.meaning,
            p.source,
        )
    console.print(table)
    _behaviour_table()
    if write or output:
        target = output or PARAMETERS_MD
        _write(target, parameters_markdown(fitted) + "\n")


def _behaviour_table() -> None:
    """Print every behaviour a scenario can choose (plugins included) and the parameters each declares."""
    from simulator.model.registry import BEHAVIOUR_API, all_behaviours

    behaviours, problems = all_behaviours()
    table = Table(
        title=f"{len(behaviours)} behaviours (scenario: behaviours: <kind>: {{rule: NAME, params: {{...}}}}) "
        f"· behaviour API {BEHAVIOUR_API}",
        title_justify="left",
        header_style="bold",
    )
    for col in ("kind", "rule", "parameter", "default", "range", "unit", "meaning", "source"):
        table.add_column(col, overflow="fold", no_wrap=col in ("kind", "rule", "parameter"))
    for b in behaviours:
        table.add_row(b.kind, b.name, "", "", "", "", b.summary, b.origin)
        for p in b.parameters.values():
            rng = f"{p.minimum:g} – {p.maximum:g}"
            table.add_row("", "", p.name, f"{p.default:g}", rng, p.unit, p.meaning, p.source)
    console.print(table)
    for problem in problems:
        err_console.print(f"[yellow]warning:[/] {escape(problem)}", highlight=False, soft_wrap=True)


@app.command()
def schema(
    output: Path = typer.Option(SCHEMA_JSON, "--output", help="Where to write the JSON Schema ('-' for stdout)."),
) -> None:
    """Write the JSON Schema of scenario files (for editor autocompletion and checks)."""
    text = scenario_json_schema_text()
    if str(output) == "-":
        console.out(text, end="", highlight=False)
        return
    _write(output, text)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    err_console.print(f"wrote {escape(str(path))}", highlight=False)

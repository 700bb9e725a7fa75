"""``dlsim report`` and ``dlsim export``: the offline HTML report of a results folder, and its charts as images."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.cli.app import app
from simulator.cli.output import console, err_console, fail

DEFAULT_REPORTS = Path("reports")
"""Where reports go when ``-o`` is not given."""


def default_report_path(results_dir: Path, reports_dir: Path = DEFAULT_REPORTS) -> Path:
    """``reports/<results folder name>.html``, the name made safe (it cannot leave ``reports_dir``)."""
    from simulator.report.names import inside, safe_name

    return inside(reports_dir, f"{safe_name(results_dir.resolve().name)}.html")


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def check_versions(results_dir: Path, data_dir: Path | None = None, *, allow: bool = False) -> None:
    """Refuse a results folder written by another model version, data set or calibration (exit code 2).

    Compares the checksums in its ``manifest.json`` (and in ``validation/manifest.json``, when the folder holds a
    validation table) with the code and data installed now (``simulator.experiment.provenance.version_differences``).
    With ``allow`` the differences are printed as a warning and the caller goes on. A folder without a readable
    manifest is left to the report's own checks.
    """
    for path in (results_dir / "manifest.json", results_dir / "validation" / "manifest.json"):
        _check_manifest(path, path.parent, data_dir, allow=allow)


def _check_manifest(path: Path, folder: Path, data_dir: Path | None, *, allow: bool) -> None:
    """``check_versions`` for one manifest (``folder`` is what the message names)."""
    import json

    from simulator.experiment.provenance import version_differences

    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return
    if not isinstance(manifest, dict):
        return
    problems = version_differences(manifest, data_dir)
    if not problems:
        return
    what = f"{folder} was written with another " + "; ".join(problems)
    if allow:
        err_console.print(
            f"[bold yellow]warning:[/] {escape(what)}; building the report anyway (--allow-mismatch): its numbers "
            "are those of the older version",
            highlight=False,
            soft_wrap=True,
        )
        return
    command = manifest.get("command")
    rerun = f" ({command})" if isinstance(command, str) and command else ""
    fail(
        escape(what),
        escape(
            f"rerun the study with the current version{rerun}, give --data if it used another data folder, or add "
            "--allow-mismatch to show these results anyway"
        ),
    )


def write_report(results_dir: Path, out: Path | None = None) -> Path:
    """Build the report of ``results_dir`` with a progress bar and print its path (for ``report``, ``compare``...).

    Exits with code 2 and one message when the results folder is unusable or the file cannot be written.
    """
    from simulator.report import ResultsError, build_report

    target = out if out is not None else default_report_path(results_dir)
    if target.exists() and target.is_dir():
        fail(f"{target} is a folder", "give a file name ending in .html with -o")
    try:
        with _progress() as bar:
            task = bar.add_task("report charts", total=None)
            path = build_report(
                results_dir, target, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    except ResultsError as exc:
        fail(escape(str(exc)), escape(exc.hint))
    except OSError as exc:
        fail(f"could not write {escape(str(target))}: {escape(exc.strerror or str(exc))}", "choose another -o")
    size = path.stat().st_size / 1e6
    console.print(f"Report: {escape(str(path))} ({size:.1f} MB, opens offline in any browser)", highlight=False)
    return path


@app.command()
def report(
    results_dir: Path = typer.Argument(..., metavar="RESULTS_DIR", help="Folder written by dlsim compare or sweep."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="HTML file to write (default: reports/<results folder name>.html)."
    ),
    allow_mismatch: bool = typer.Option(
        False,
        "--allow-mismatch",
        help="Build the report even if the folder was written by another model version, data set or calibration.",
    ),
    data_dir: Path | None = typer.Option(
        None, "--data", help="World data the study used, for the data checksums (default: data/)."
    ),
) -> None:
    """Build one self-contained HTML report (offline; English, Spanish, Portuguese, French; presenter mode).

    Refuses a results folder written by another model version, data set or calibration than the ones installed
    (checksums in its manifest.json), unless --allow-mismatch.
    """
    check_versions(results_dir, data_dir, allow=allow_mismatch)
    write_report(results_dir, out)


@app.command()
def export(
    results_dir: Path = typer.Argument(..., metavar="RESULTS_DIR", help="Folder written by dlsim compare or sweep."),
    fmt: str = typer.Option("png", "--format", "-f", help="Image format: png, svg or pdf."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the images (default: reports/<results folder name>-images/)."
    ),
    lang: str = typer.Option("en", "--lang", help="Label language: en, es, pt or fr."),
    only: str | None = typer.Option(None, "--only", help="Only these chart kinds, comma-separated (e.g. map,fan)."),
    allow_mismatch: bool = typer.Option(
        False,
        "--allow-mismatch",
        help="Export even if the folder was written by another model version, data set or calibration.",
    ),
    data_dir: Path | None = typer.Option(
        None, "--data", help="World data the study used, for the data checksums (default: data/)."
    ),
) -> None:
    """Write every chart of the report as an image for slides (kaleido with a local Chrome or Chromium).

    Refuses a folder written by another model version, data set or calibration, unless --allow-mismatch.
    """
    from simulator.report import BrowserNotFoundError, ResultsError, export_images
    from simulator.report.export import FORMATS, KINDS
    from simulator.report.i18n import LANGUAGES
    from simulator.report.names import inside, safe_name

    fmt = fmt.lower()
    if fmt not in FORMATS:
        fail(f"unknown image format {escape(fmt)!r}", f"use --format {' or '.join(FORMATS)}")
    if lang not in LANGUAGES:
        fail(f"unknown language {escape(lang)!r}", f"use --lang {' or '.join(LANGUAGES)}")
    kinds = [k.strip() for k in only.split(",") if k.strip()] if only else None
    bad = sorted(set(kinds or []) - KINDS)
    if bad:
        fail(f"unknown chart kind(s) {escape(', '.join(bad))}", f"--only takes some of {', '.join(sorted(KINDS))}")
    check_versions(results_dir, data_dir, allow=allow_mismatch)
    target = out if out is not None else inside(DEFAULT_REPORTS, f"{safe_name(results_dir.resolve().name)}-images")
    if target.exists() and not target.is_dir():
        fail(f"{escape(str(target))} exists and is not a folder", "choose another --out")
    try:
        with _progress() as bar:
            task = bar.add_task("charts", total=None)
            paths = export_images(
                results_dir, fmt, target, lang=lang, kinds=kinds, progress=lambda _id: bar.advance(task)
            )
    except ResultsError as exc:
        fail(escape(str(exc)), escape(exc.hint))
    except BrowserNotFoundError as exc:
        fail(escape(str(exc)))
    except OSError as exc:
        fail(
            f"could not write images to {escape(str(target))}: {escape(exc.strerror or str(exc))}",
            "choose another --out",
        )
    console.print(f"{len(paths)} {fmt.upper()} images in {escape(str(target))}/", highlight=False)

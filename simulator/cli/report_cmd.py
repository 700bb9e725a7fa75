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
) -> None:
    """Build one self-contained HTML report (offline; English, Spanish, Portuguese, French; presenter mode)."""
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
) -> None:
    """Write every chart of the report as an image for slides (kaleido with a local Chrome or Chromium)."""
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

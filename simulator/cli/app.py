"""The ``dlsim`` typer application: global options and registration of the command modules."""

from __future__ import annotations

import typer

from simulator import __version__

app = typer.Typer(
    name="dlsim",
    help=(
        "Data-localisation policy impact simulator: firms in Latin America, Africa and the world "
        "trading under data rules."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Data-localisation policy impact simulator."""


def main() -> None:
    """Entry point of the ``dlsim`` console script."""
    from simulator.cli import commands  # noqa: F401  (registers the commands on ``app``)

    app()

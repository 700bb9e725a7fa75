"""The ``dlsim`` command line (typer + rich). The only layer that prints."""

from simulator.cli.app import app, main

__all__ = ["app", "main"]

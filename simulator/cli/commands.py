"""Imports every command module so that each registers its commands on the app."""

from simulator.cli import world_cmd  # noqa: F401

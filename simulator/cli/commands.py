"""Imports every command module so that each registers its commands on the app."""

from simulator.cli import (
    calibrate_cmd,  # noqa: F401
    compare_cmd,  # noqa: F401
    metrics_cmd,  # noqa: F401
    replicate_cmd,  # noqa: F401
    report_cmd,  # noqa: F401
    run_cmd,  # noqa: F401
    scenario_cmd,  # noqa: F401
    sweep_cmd,  # noqa: F401
    validate_cmd,  # noqa: F401
    world_cmd,  # noqa: F401
)

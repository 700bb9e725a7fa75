"""``dlsim calibrate``: the calibration targets at the defaults or over one parameter, and clear errors."""

from __future__ import annotations

from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.calibration import TARGETS

runner = CliRunner()
SMALL = ["--seeds", "1", "--firms", "1500", "--steps", "2"]


def calibrate(*args: str):
    return runner.invoke(app, ["calibrate", *args], env={"COLUMNS": "200"})


def test_defaults_show_every_target_with_its_band():
    result = calibrate(*SMALL)
    assert result.exit_code == 0, result.output
    for t in TARGETS:
        assert t.name in result.output
        assert f"[{t.low:g}, {t.high:g}]" in result.output


def test_vary_shows_one_block_per_value():
    result = calibrate("--vary", "dds_capability_lac=1,0.5", *SMALL)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "lac_dds_share" in line and "[1, 4]" in line]
    assert len(lines) == 2, result.output


def test_unknown_parameter_is_one_clear_error_with_a_suggestion():
    result = calibrate("--vary", "dds_capability=1", *SMALL)
    assert result.exit_code == 2
    assert "unknown parameter 'dds_capability'" in result.output
    assert "did you mean dds_capability_lac" in result.output
    assert "Traceback" not in result.output


def test_value_outside_the_declared_range_is_refused():
    result = calibrate("--vary", "dds_capability_lac=5", *SMALL)
    assert result.exit_code == 2
    assert "between 0.05 and 2" in result.output


def test_malformed_vary_is_refused():
    result = calibrate("--vary", "dds_capability_lac", *SMALL)
    assert result.exit_code == 2
    assert "NAME=V1,V2" in result.output

"""``dlsim diff`` spells out the status-quo regime on the side that keeps the baseline."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.world import load_world

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_diff_shows_status_quo_regime_from_the_world_data() -> None:
    world = load_world()
    rules = world.regimes
    nga_fin = rules[(rules["iso3"] == "NGA") & (rules["data_category"] == "financial") & (rules["sector"] == "*")]
    status_quo = str(nga_fin["regime"].iloc[0])
    result = CliRunner().invoke(
        app,
        ["diff", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "storage_ban_nigeria.yaml")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if "NGA" in ln and "financial" in ln)
    assert f"baseline ({status_quo})" in line
    assert "storage_ban from 2027" in line

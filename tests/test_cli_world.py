"""The CLI entry points behind the README's commands: ``dlsim --version``, ``--help`` and ``dlsim world``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import simulator
from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.world import default_data_dir, load_world

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dlsim {simulator.__version__}"


def test_help_lists_world() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "world" in result.stdout


def test_world_summary_shows_regions_totals_and_regimes() -> None:
    world = load_world()
    result = runner.invoke(app, ["world"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    n_econ = int((~world.economies["is_aggregate"]).sum())
    assert f"{n_econ} economies" in out
    for name in ("Latin America & Caribbean", "Africa", "Income groups", "Economies add up to the world"):
        assert name in out
    # The regime table has a row per economy with its name.
    for code in ("KEN", "NGA", "BRA", "CHL"):
        assert re.search(rf"\b{code}\b", out), code
    # The Africa row shows the population-weighted internet use computed from the data.
    afr = world.economies[world.economies["region"] == "AFR"]
    pct = (afr["internet_users_pct"] * afr["population"]).sum() / afr["population"].sum()
    assert f"{pct:.1f}" in out


def test_world_without_regimes_is_shorter() -> None:
    full = runner.invoke(app, ["world"], env={"COLUMNS": "250"}).stdout
    short = runner.invoke(app, ["world", "--no-regimes"], env={"COLUMNS": "250"}).stdout
    assert "Current data regimes" in full and "Current data regimes" not in short


def test_world_bad_data_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "economies.csv"
    text = path.read_text().splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("internet_users_pct")] = "250"
    text[1] = ",".join(row)
    path.write_text("\n".join(text) + "\n")
    result = runner.invoke(app, ["world", "--data", str(data)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "economies.csv, line 2, column 'internet_users_pct'" in result.output


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
@pytest.mark.parametrize(
    ("target", "expected"), [("run", "dlsim compare scenarios/baseline.yaml"), ("test", "-m pytest")]
)
def test_readme_commands_are_make_targets(target: str, expected: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"make {target}" in readme
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
    assert expected in dry.stdout

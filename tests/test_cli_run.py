"""``dlsim run``: one simulation written as tidy Parquet results with a manifest, reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.run import read_run
from simulator.experiment.summary import HEADLINE_METRICS, headline
from simulator.world import load_world

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()
SMALL = ["--firms", "300", "--steps", "3"]


def run_cli(*args: str) -> object:
    return runner.invoke(app, ["run", *args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "baseline"
    result = run_cli(str(SCENARIOS / "baseline.yaml"), *SMALL, "--seed", "7", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_tidy_results_and_manifest(baseline_run: Path) -> None:
    res = read_run(baseline_run)
    assert list(res.metrics.columns) == ["step", "metric", "level", "group", "value"]
    assert set(res.metrics["step"]) == {0, 1, 2, 3}
    assert set(HEADLINE_METRICS) <= set(res.metrics["metric"])
    assert res.firms["economy"].isin(load_world().iso3).all()
    m = res.manifest
    assert m["settings"] == {"firms": 300, "steps": 3}
    assert m["seed"]["entropy"] == 7
    assert m["scenario"]["name"] == "baseline"
    assert m["scenario"]["header"]["title"]
    assert set(m["data_checksums"]) >= {"economies.csv", "regimes.csv"}
    assert all(len(v) == 64 for v in m["data_checksums"].values())
    assert m["versions"]["mesa"].startswith("3.")
    assert m["parameters"]["sigma"] > 1


def test_manifest_records_where_each_rule_came_from(tmp_path: Path) -> None:
    out = tmp_path / "ng"
    result = run_cli(str(SCENARIOS / "storage_ban_nigeria.yaml"), *SMALL, "--out", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    rules = manifest["scenario"]["rules"]
    assert rules and all(r["origin"].startswith("storage_ban_nigeria.yaml:") for r in rules)
    assert manifest["scenario"]["chain"][0].endswith("baseline.yaml")


def test_same_seed_same_numbers_other_seed_other_numbers(baseline_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    assert run_cli(str(SCENARIOS / "baseline.yaml"), *SMALL, "--seed", "7", "--out", str(again)).exit_code == 0
    assert run_cli(str(SCENARIOS / "baseline.yaml"), *SMALL, "--seed", "8", "--out", str(other)).exit_code == 0
    a = pd.read_parquet(baseline_run / "metrics.parquet")
    pd.testing.assert_frame_equal(a, pd.read_parquet(again / "metrics.parquet"))
    b = pd.read_parquet(other / "metrics.parquet")
    assert not a["value"].equals(b["value"])


def test_summary_shows_headline_groups(tmp_path: Path) -> None:
    result = run_cli(str(SCENARIOS / "baseline.yaml"), *SMALL, "--out", str(tmp_path / "x"))
    assert result.exit_code == 0
    for text in ("Headline metrics", "world", "LAC", "AFR", "cross_border_share", "→"):
        assert text in result.stdout


def test_headline_picks_first_and_last_step() -> None:
    metrics = pd.DataFrame(
        {
            "step": [0, 5, 0, 5],
            "metric": ["real_income"] * 4,
            "level": ["world", "world", "region", "region"],
            "group": ["world", "world", "AFR", "AFR"],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    table = headline(metrics).set_index("metric")
    assert table.loc["real_income", "world start"] == 1.0 and table.loc["real_income", "world end"] == 2.0
    assert table.loc["real_income", "AFR end"] == 4.0
    assert "LAC start" not in table.columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scenarios/does_not_exist.yaml"], "no such file"),
        ([str(SCENARIOS / "baseline.yaml"), "--firms", "-5"], "firms"),
        ([str(SCENARIOS / "baseline.yaml"), "--steps", "0"], "steps"),
    ],
)
def test_bad_input_is_a_clear_error(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run_cli(str(SCENARIOS / "baseline.yaml"), *SMALL, "--out", str(blocker))
    assert result.exit_code == 2
    assert "not a directory" in result.output
    assert blocker.read_text() == "x"

"""Effect sweeps (``sweep.against``): each point's outcome is the reform's % effect against a counterfactual run from
the same seed, equal to a paired ``compare`` at the point's parameters (the oracle); sweeps without ``against`` keep
their level outcomes; a bad ``against`` is one clear error naming file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator import compare
from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.decompose import LEVELS, last_year_steps
from simulator.experiment.store import shard_path
from simulator.experiment.sweep import against_name, point_name, sweep
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
STEPS, STEP_YEARS = 3, 0.25
# plumbing: 200 firms, 3 steps, a 2-step burn-in (parameters: burn_in_steps); no test here judges the economics
BASE = """schema_version: 1
extends: baseline
name: base_small
header: {title: Baseline, author: tests, description: The baseline with a short burn-in.}
run: {firms: 200, steps: 3, seed: 7}
parameters: {burn_in_steps: 2}
"""
BAN = """schema_version: 1
extends: base_small
name: ban
header: {title: A ban, author: tests, description: A storage ban in Nigeria and Kenya.}
rules:
  - id: ban_ng
    economies: [NGA, KEN]
    data: [personal, financial]
    regime: storage_ban
"""
SWEEP = """schema_version: 1
extends: ban
name: {name}
header: {{title: A sweep, author: tests, description: The ban's effect under uncertain trust and elasticity.}}
sweep:
{body}
"""
FACTORIAL = """  design: full_factorial
  against: base_small
  economies: [NGA]
  metrics: [real_income, cross_border_share]
  factors:
    - parameter: eta
      values: [0.1, 0.5]
    - parameter: sigma
      values: [4]
"""
SOBOL = """  design: sobol
  n: 2
  against: base_small.yaml
  metrics: [real_income]
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - parameter: sigma
      range: [4, 6]
"""
POINT = """schema_version: 1
extends: {parent}
name: {name}
header: {{title: One point, author: tests, description: The sweep's point as a plain scenario.}}
parameters: {{eta: {eta}, sigma: {sigma}}}
"""


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("effects")
    shutil.copy(SCENARIOS / "baseline.yaml", d / "baseline.yaml")
    (d / "base_small.yaml").write_text(BASE, encoding="utf-8")
    (d / "ban.yaml").write_text(BAN, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def vocab():
    return vocabulary(load_world())


def _write(d: Path, name: str, body: str) -> Path:
    path = d / f"{name}.yaml"
    path.write_text(SWEEP.format(name=name, body=body), encoding="utf-8")
    return path


def _last_year(path: Path) -> pd.Series:
    t = pq.read_table(path, columns=["metric", "level", "group", "step", "value"]).to_pandas()
    t = t[t["step"].between(*last_year_steps(STEPS, STEP_YEARS))].astype({"metric": str, "level": str, "group": str})
    return t.groupby(["metric", "level", "group"])["value"].mean()


@pytest.fixture(scope="module")
def factorial(d: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "factorial"
    return sweep(_write(d, "factorial", FACTORIAL), out=out, executor="serial")


def test_each_point_outcome_equals_a_paired_compare_at_its_parameters(d: Path, factorial, tmp_path: Path) -> None:
    res = factorial
    assert len(res.design) == 2 and res.manifest["sweep"]["against_scenario"] == "base_small"
    assert sorted(r["scenario"] for r in res.manifest["runs"]) == ["c00000", "c00001", "p00000", "p00001"]
    out = res.outcomes.set_index(["point", "metric", "level", "group"])
    assert set(res.outcomes["level"]) == {*LEVELS, "economy"}
    assert set(res.outcomes.loc[res.outcomes["level"] == "economy", "group"]) == {"NGA"}
    effects = []
    for i, eta in enumerate((0.1, 0.5)):
        # the oracle: the point as two plain scenarios, compared with the same firms, steps and seed
        for parent, name in (("base_small", f"cf{i}"), ("ban", f"rf{i}")):
            (tmp_path / f"{name}.yaml").write_text(
                POINT.format(parent=d / f"{parent}.yaml", name=name, eta=eta, sigma=4), encoding="utf-8"
            )
        root = tmp_path / f"cmp{i}"
        compare(tmp_path / f"cf{i}.yaml", [tmp_path / f"rf{i}.yaml"], replicates=1, out=root, executor="serial")
        reform, against = _last_year(shard_path(root, f"rf{i}", 0)), _last_year(shard_path(root, f"cf{i}", 0))
        mine = out.loc[point_name(i)]
        want = (100.0 * (reform / against - 1.0)).reindex(mine.index)
        assert np.array_equal(mine["value"].to_numpy(), want.to_numpy(), equal_nan=True)
        assert np.array_equal(mine["reform"].to_numpy(), reform.reindex(mine.index).to_numpy())
        assert np.array_equal(mine["against"].to_numpy(), against.reindex(mine.index).to_numpy())
        effects.append(mine["value"])
    # the ban moves Nigeria's real income, and trust changes the effect: the outcomes are effects, not levels
    assert effects[0].loc[("real_income", "economy", "NGA")] != 0.0
    assert not np.allclose(effects[0].to_numpy(), effects[1].to_numpy(), equal_nan=True)
    assert res.outcomes["n"].eq(1).all()


def test_a_resumed_effect_sweep_recomputes_the_same_outcomes(d: Path, factorial) -> None:
    again = sweep(d / "factorial.yaml", out=factorial.root, executor="serial", resume=True)
    pd.testing.assert_frame_equal(again.outcomes, factorial.outcomes)
    pd.testing.assert_frame_equal(again.indices, factorial.indices)


def test_a_sobol_effect_sweep_gives_indices_of_the_effect(d: Path, tmp_path: Path) -> None:
    res = sweep(_write(d, "sobol_effect", SOBOL), out=tmp_path / "s", executor="serial")
    assert len(res.design) == 8 and len(res.manifest["runs"]) == 16
    world = res.outcomes[(res.outcomes["metric"] == "real_income") & (res.outcomes["level"] == "world")]
    assert len(world) == 8 and np.isfinite(world["value"]).all()
    idx = res.indices[(res.indices["metric"] == "real_income") & (res.indices["level"] == "world")]
    assert set(idx["index"]) == {"S1", "ST"} and set(idx["factor"]) == {"eta", "sigma"}
    # the counterfactual's runs carry the point's parameter values and the reform's seed
    for i in (0, 5):
        c = pq.read_table(shard_path(res.root, against_name(i), 0), columns=["seed"]).column("seed").to_pylist()
        p = pq.read_table(shard_path(res.root, point_name(i), 0), columns=["seed"]).column("seed").to_pylist()
        assert c[0] == p[0]


def test_a_sweep_without_against_keeps_level_outcomes(d: Path, tmp_path: Path) -> None:
    body = FACTORIAL.replace("  against: base_small\n", "").replace("  economies: [NGA]\n", "")
    res = sweep(_write(d, "levels", body), out=tmp_path / "l", executor="serial")
    assert list(res.outcomes.columns) == ["point", "index", "metric", "level", "group", "value", "n"]
    assert sorted(r["scenario"] for r in res.manifest["runs"]) == ["p00000", "p00001"]
    assert "against_scenario" not in res.manifest["sweep"] and res.manifest["sweep"]["levels"] == list(LEVELS)
    assert "against" not in res.manifest["sweep"] and list(res.manifest["scenarios"]) == ["levels"]
    out = res.outcomes.set_index(["point", "metric", "level", "group"])
    for i in (0, 1):
        level = _last_year(shard_path(res.root, point_name(i), 0))
        mine = out.loc[point_name(i)]
        assert np.array_equal(mine["value"].to_numpy(), level.reindex(mine.index).to_numpy())


# --- errors -----------------------------------------------------------------------------------------------------


def _issues(path: Path, vocab) -> list:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, vocab)
    return exc.value.issues


def _against(name: str) -> str:
    return FACTORIAL.replace("against: base_small", f"against: {name}")


def test_an_unknown_counterfactual_names_file_line_key_and_a_suggestion(d: Path, vocab) -> None:
    path = _write(d, "unknown_against", _against("base_smal"))
    (issue,) = _issues(path, vocab)
    assert issue.file == str(path.resolve()) or Path(issue.file).name == path.name
    assert issue.path == ("sweep", "against") and issue.line == 7
    assert "not found" in issue.message and "next to unknown_against.yaml" in issue.expected
    assert issue.suggestion and "base_small" in issue.suggestion


def test_a_counterfactual_that_is_the_swept_scenario_is_refused(d: Path, vocab) -> None:
    path = _write(d, "self_against", _against("self_against"))
    (issue,) = _issues(path, vocab)
    assert issue.path == ("sweep", "against") and "itself" in issue.message
    assert issue.suggestion == "against: ban"


def test_a_counterfactual_with_its_own_sweep_or_other_timeline_or_errors_is_refused(d: Path, vocab) -> None:
    _write(d, "other_sweep", FACTORIAL.replace("  against: base_small\n", ""))
    (issue,) = _issues(_write(d, "sweep_against", _against("other_sweep")), vocab)
    assert issue.path == ("sweep", "against") and "sweep: section of its own" in issue.message

    (d / "other_time.yaml").write_text(BASE + "timeline: {step_years: 0.5}\n", encoding="utf-8")
    (issue,) = _issues(_write(d, "time_against", _against("other_time")), vocab)
    assert issue.path == ("sweep", "against") and "timeline" in issue.message and "0.5" in issue.message

    (d / "broken.yaml").write_text(BASE.replace("burn_in_steps: 2", "burn_in_steps: 2, eta: 7"), encoding="utf-8")
    issues = _issues(_write(d, "broken_against", _against("broken")), vocab)
    assert any(i.path == ("sweep", "against") and "broken.yaml has errors" in i.message for i in issues)
    assert any(Path(i.file).name == "broken.yaml" and i.path[:2] == ("parameters", "eta") for i in issues)


def test_an_unknown_economy_is_an_error_with_a_suggestion(d: Path, vocab) -> None:
    path = _write(d, "bad_economy", FACTORIAL.replace("[NGA]", "[NGR]"))
    (issue,) = _issues(path, vocab)
    assert issue.path == ("sweep", "economies", 0) and "NGR" in issue.message and issue.suggestion


def test_the_command_line_reports_a_bad_against_without_a_traceback(d: Path, tmp_path: Path) -> None:
    path = _write(d, "cli_against", _against("nowhere"))
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "x"), "--no-report"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "cli_against.yaml:7" in r.output and "sweep.against" in r.output and "not found" in r.output
    assert not (tmp_path / "x").exists()


def test_the_shipped_sensitivity_sweeps_are_valid(vocab) -> None:
    for name in ("storage_ban_sensitivity", "data_autarky_sensitivity"):
        s = load_scenario(ROOT / "sweeps" / f"{name}.yaml", vocab)
        assert s.sweep is not None and s.sweep.item.against and s.sweep.item.design == "sobol"
        assert s.sweep.item.n & (s.sweep.item.n - 1) == 0


def test_spread_gives_each_effects_range_and_the_share_of_points_with_its_sign(factorial) -> None:
    spread = factorial.spread().set_index(["metric", "level", "group"])
    assert factorial.is_effect
    for (metric, level, group), g in factorial.outcomes.groupby(["metric", "level", "group"]):
        y = g["value"].to_numpy()
        y = y[np.isfinite(y)]
        if not y.size:  # e.g. a share whose counterfactual is 0 at this tiny size: no effect, no row
            assert (metric, level, group) not in spread.index
            continue
        row = spread.loc[(metric, level, group)]
        assert row["points"] == y.size and row["min"] == y.min() and row["max"] == y.max()
        sign = np.sign(np.median(y))
        assert row["same_sign"] == (np.mean(np.sign(y) == sign) if sign else 0.0)


def test_the_command_line_prints_an_effect_sweeps_ranking_and_spread(d: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["sweep", str(d / "factorial.yaml"), "--out", str(tmp_path / "e"), "--executor", "serial", "--no-report"],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    assert "against base_small (each point runs both)" in r.output
    assert "% effect against base_small, world, last year" in r.output
    assert "Effects across the design" in r.output and "NGA" in r.output


def test_a_sobol_design_of_n_is_the_prefix_of_the_design_of_2n(vocab) -> None:
    """docs/sensitivity.md reuses the first N · (D + 2) points of a 2N design: the Saltelli sample must nest."""
    from simulator.experiment.sweep import make_design

    s = load_scenario(ROOT / "sweeps" / "storage_ban_sensitivity.yaml", vocab).sweep.item
    small, large = make_design(s.model_copy(update={"n": 4}), 5), make_design(s.model_copy(update={"n": 8}), 5)
    assert np.array_equal(large.unit[: len(small.unit)], small.unit) and len(large.unit) == 2 * len(small.unit)

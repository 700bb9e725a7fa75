"""``compare``: paired effects with common random numbers, the results folder, resume/force, failures, executors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator import compare
from simulator.experiment.compare import ExperimentError
from simulator.experiment.effects import EFFECT_COLUMNS, Effects, paired_stats, replicates_needed
from simulator.experiment.grouping import grouped_metrics
from simulator.experiment.store import StoreError
from simulator.model import DataFlowModel
from simulator.model.metrics import keep_economy_sums
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASE = SCENARIOS / "baseline.yaml"
BAN_NOW = """schema_version: 1
extends: baseline
name: ban_now
header: {title: Storage ban from the start, author: tests, description: A ban on personal and financial data transfers.}
rules:
  - id: ban_now
    economies: {region: [LAC, AFR]}
    data: [personal, financial]
    regime: storage_ban
"""
SMALL = {"firms": 300, "steps": 3, "replicates": 3, "seed": 11}
RUN_COLUMNS = ["scenario", "replicate", "seed", "step", "year", "metric", "level", "group", "value"]


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    """Compiled schedules cached in a temporary folder, not the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory) -> Path:
    """The baseline, a copy of it under another name (a reform that changes nothing) and a ban from step 0."""
    d = tmp_path_factory.mktemp("scenarios")
    shutil.copy(BASE, d / "baseline.yaml")
    (d / "ban_now.yaml").write_text(BAN_NOW, encoding="utf-8")
    text = BASE.read_text(encoding="utf-8").replace("name: baseline", "name: same_rules", 1)
    (d / "same_rules.yaml").write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def serial_study(tmp_path_factory, scenario_dir: Path) -> Effects:
    out = tmp_path_factory.mktemp("cmp") / "serial"
    return compare(
        scenario_dir / "baseline.yaml",
        [scenario_dir / "same_rules.yaml", scenario_dir / "ban_now.yaml"],
        out=out,
        executor="serial",
        **SMALL,
    )


def test_results_folder_follows_the_contract(serial_study: Effects) -> None:
    root = serial_study.root
    assert root is not None
    m = json.loads((root / "manifest.json").read_text())
    for key in ("kind", "dlsim_version", "created", "command", "baseline", "scenarios", "settings", "seed", "versions"):
        assert key in m
    for key in ("git", "data_checksums", "model_checksum", "platform", "runs", "wall_s"):
        assert key in m
    assert m["kind"] == "compare" and m["baseline"] == "baseline"
    assert set(m["scenarios"]) == {"baseline", "same_rules", "ban_now"}
    assert m["scenarios"]["ban_now"]["differences"], "autarky changes rules"
    assert m["scenarios"]["same_rules"]["differences"] == []
    assert m["seed"]["entropy"] == 11 and m["seed"]["spawn_keys"] == {"0": [0], "1": [1], "2": [2]}
    assert len(m["runs"]) == 9 and {r["status"] for r in m["runs"]} == {"done"}
    shard = pd.read_parquet(root / "runs" / "ban_now" / "r002.parquet")
    assert list(shard.columns) == RUN_COLUMNS
    assert set(shard["scenario"]) == {"ban_now"} and set(shard["replicate"]) == {2}
    assert set(shard["seed"]) == {"11:2"}
    assert np.allclose(sorted(shard["year"].unique()), [2025.0, 2025.25, 2025.5, 2025.75])
    assert {"world", "region", "income_group", "development", "economy", "sector", "size"} <= set(shard["level"])
    assert set(shard.loc[shard["level"] == "development", "group"]) == {"developed", "developing"}
    eff = pd.read_parquet(root / "effects.parquet")
    assert list(eff.columns) == list(EFFECT_COLUMNS)
    assert set(eff["scenario"]) == {"same_rules", "ban_now"}
    paired = pd.read_parquet(root / "paired.parquet")
    cols = ["scenario", "replicate", "metric", "level", "group", "step", "year", "baseline", "reform", "diff", "pct"]
    assert list(paired.columns) == cols
    assert m["command"].startswith("dlsim compare ") and "--replicates 3" in m["command"]


def test_common_random_numbers_make_an_unchanged_reform_exactly_zero(serial_study: Effects) -> None:
    same = serial_study.frame[serial_study.frame["scenario"] == "same_rules"]
    finite = same["baseline_mean"].notna()
    assert (same.loc[finite, "diff"] == 0).all()
    assert (same.loc[finite & (same["level"] == "world"), "n"] == 3).all()
    assert not same["distinguishable"].any()


def test_effects_match_the_shards(serial_study: Effects) -> None:
    root = serial_study.root
    metric, step = "cross_border_share", 3
    base = [pd.read_parquet(root / "runs" / "baseline" / f"r{r:03d}.parquet") for r in range(3)]
    ref = [pd.read_parquet(root / "runs" / "ban_now" / f"r{r:03d}.parquet") for r in range(3)]

    def pick(frames: list[pd.DataFrame]) -> np.ndarray:
        return np.array(
            [f.loc[(f.metric == metric) & (f.level == "world") & (f.step == step), "value"].item() for f in frames]
        )

    x, y = pick(base), pick(ref)
    row = serial_study.get(metric, step=step)
    row = row[row["scenario"] == "ban_now"].iloc[0]
    assert row["diff"] == pytest.approx((y - x).mean(), rel=1e-12)
    ci = stats.t.interval(0.95, 2, loc=(y - x).mean(), scale=stats.sem(y - x))
    assert (row["diff_lo"], row["diff_hi"]) == pytest.approx(ci, rel=1e-9)
    assert row["pct"] == pytest.approx(100 * (y.mean() / x.mean() - 1), rel=1e-12)
    assert row["unit"] == "share" and row["direction"] == 1 and row["family"] == "market_integration"


def test_money_metrics_carry_usd(serial_study: Effects) -> None:
    f = serial_study.frame
    out = f[(f.metric == "output") & (f.level == "world")]
    assert out["unit"].iloc[0].startswith("USD bn")
    assert np.allclose(out["diff_usd"], out["diff"] * 1e9, equal_nan=True)
    assert f.loc[f.metric == "cross_border_share", "diff_usd"].isna().all()


def test_paired_stats_delta_method_against_a_bootstrap() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(10, 1, 400)
    y = 1.1 * x + rng.normal(0, 0.5, 400)
    st = paired_stats(x[None, :], y[None, :])
    boot = []
    for _ in range(2000):
        i = rng.integers(0, 400, 400)
        boot.append(100 * (y[i].mean() / x[i].mean() - 1))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    assert st["pct_lo"][0] == pytest.approx(lo, abs=0.15)
    assert st["pct_hi"][0] == pytest.approx(hi, abs=0.15)


def test_replicates_needed_scales_with_the_square_of_the_half_width() -> None:
    assert replicates_needed(10, 1.0, 0.0, 2.0) == 40  # half-width 1 → 0.5 needs 4× the replicates
    assert replicates_needed(10, 0.0, -1.0, 1.0) is None


def test_grouped_levels_reproduce_the_model_region_level() -> None:
    world = load_world()
    sc = load_scenario(BASE, vocabulary(world))
    model = DataFlowModel(
        world, compile_scenario(world, sc), params=sc.parameter_values(world.calibration), n_firms=400, rng=5
    )
    sums = keep_economy_sums(model)
    model.run(2)
    regions = world.economies.loc[list(world.iso3), "region"].astype(str).to_numpy()
    mine = grouped_metrics(sums, {"region": regions}).set_index(["step", "metric", "group"])["value"]
    theirs = model.metrics_frame()
    theirs = theirs[(theirs.level == "region") & theirs.metric.isin(mine.index.get_level_values(1).unique())]
    theirs = theirs.astype({"metric": str, "group": str}).set_index(["step", "metric", "group"])["value"]
    joined = pd.concat([mine.rename("a"), theirs.rename("b")], axis=1, join="inner")
    assert len(joined) == len(theirs) > 100
    assert np.allclose(joined["a"], joined["b"], rtol=1e-10, atol=1e-12, equal_nan=True)


def test_grouped_place_metrics_sum_the_economies_whatever_the_row_order() -> None:
    from simulator.experiment.grouping import ADDITIVE_PLACE_METRICS, economy_groupings, grouped_place_metrics
    from simulator.experiment.tasks import metrics_table

    world = load_world()
    sc = load_scenario(BASE, vocabulary(world))
    model = DataFlowModel(
        world, compile_scenario(world, sc), params=sc.parameter_values(world.calibration), n_firms=300, rng=3
    )
    frame = metrics_table(model.run(3))
    groupings = economy_groupings(world)
    fast = grouped_place_metrics(frame, groupings, world.iso3)  # rows in the model's order: laid side by side
    slow = grouped_place_metrics(frame.sample(frac=1.0, random_state=2), groupings, world.iso3)  # pivot_table
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    # and the sums are those of the economies (the model's rule for regions)
    econ = frame[(frame.level == "economy") & (frame.metric == "real_income") & (frame.step == 3)]
    dev = dict(zip(world.iso3, groupings["development"], strict=True))
    want = econ.assign(g=econ["group"].astype(str).map(dev)).groupby("g")["value"].sum()
    got = fast[(fast.metric == "real_income") & (fast.level == "development") & (fast.step == 3)]
    assert "real_income" in ADDITIVE_PLACE_METRICS and len(got) == 2
    np.testing.assert_allclose(got.set_index(got["group"].astype(str))["value"].sort_index(), want.sort_index())


def test_existing_folder_is_refused_then_resumed_without_recomputing(serial_study: Effects, scenario_dir) -> None:
    root = serial_study.root
    args = (scenario_dir / "baseline.yaml", [scenario_dir / "same_rules.yaml", scenario_dir / "ban_now.yaml"])
    with pytest.raises(StoreError, match="already holds results"):
        compare(*args, out=root, executor="serial", **SMALL)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / "runs").rglob("*.parquet")}
    (root / "runs" / "ban_now" / "r001.parquet").unlink()
    fx = compare(*args, out=root, executor="serial", resume=True, **SMALL)
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (root / "runs").rglob("*.parquet")}
    redone = {p for p in after if before.get(p) != after[p]}
    assert redone == {root / "runs" / "ban_now" / "r001.parquet"}
    pd.testing.assert_frame_equal(fx.frame, serial_study.frame)


def test_resume_refuses_another_model_or_data(tmp_path: Path, scenario_dir: Path) -> None:
    out = tmp_path / "r"
    compare(scenario_dir / "baseline.yaml", [scenario_dir / "same_rules.yaml"], out=out, executor="serial", **SMALL)
    m = json.loads((out / "manifest.json").read_text())
    m["model_checksum"] = "0" * 64
    m["data_checksums"]["economies.csv"] = "f" * 64
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(StoreError, match=r"model version.*data set"):
        compare(
            scenario_dir / "baseline.yaml",
            [scenario_dir / "same_rules.yaml"],
            out=out,
            resume=True,
            executor="serial",
            **SMALL,
        )


def test_a_failed_run_is_recorded_and_the_study_goes_on(tmp_path: Path, scenario_dir: Path, monkeypatch) -> None:
    import simulator.model.branching as branching

    real = branching.branch

    def flaky(model, schedule):
        if not branching.same_state(schedule.initial, model.policy):
            raise RuntimeError("boom in the reform")
        return real(model, schedule)

    monkeypatch.setattr(branching, "branch", flaky)
    out = tmp_path / "f"
    fx = compare(
        scenario_dir / "baseline.yaml",
        [scenario_dir / "same_rules.yaml", scenario_dir / "ban_now.yaml"],
        out=out,
        executor="serial",
        **SMALL,
    )
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    failed = [r for r in runs if r["status"] == "failed"]
    assert {r["scenario"] for r in failed} == {"ban_now"} and len(failed) == 3
    assert all("boom in the reform" in r["error"] for r in failed)
    assert set(fx.frame["scenario"]) == {"same_rules"}
    assert any("failed" in n for n in fx.notes) and any("ban_now" in n for n in fx.notes)
    monkeypatch.setattr(branching, "branch", real)
    fx2 = compare(
        scenario_dir / "baseline.yaml",
        [scenario_dir / "same_rules.yaml", scenario_dir / "ban_now.yaml"],
        out=out,
        executor="serial",
        resume=True,
        **SMALL,
    )
    assert set(fx2.frame["scenario"]) == {"same_rules", "ban_now"}


def test_unwritable_output_is_reported_before_any_run(tmp_path: Path, scenario_dir: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        compare(scenario_dir / "baseline.yaml", [scenario_dir / "same_rules.yaml"], out=blocker / "sub", **SMALL)


def test_too_many_firms_are_refused_with_an_estimate(tmp_path: Path, scenario_dir: Path) -> None:
    with pytest.raises(ExperimentError, match="GB of memory") as info:
        compare(
            scenario_dir / "baseline.yaml",
            [scenario_dir / "same_rules.yaml"],
            out=tmp_path / "m",
            firms=10_000_000,
            steps=2,
            replicates=2,
            workers=64,
        )
    assert "--firms" in (info.value.hint or "")
    assert not (tmp_path / "m").exists()

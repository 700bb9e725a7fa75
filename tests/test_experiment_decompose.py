"""``compare --decompose``: levers and channels, one-at-a-time and Shapley attributions, decomposition.parquet."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from itertools import combinations
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import compare
from simulator.experiment.channels import (
    CHANNELS,
    TABLE_FIELDS,
    active_channels,
    channel_tables,
    mask,
    unassigned_tables,
)
from simulator.experiment.decompose import (
    COLUMNS,
    MAX_SHAPLEY,
    attribute,
    coalition_scenario,
    lever_components,
    needed_coalitions,
)
from simulator.model import DataFlowModel
from simulator.model.branching import branch
from simulator.model.costs import LinkCosts
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TWO = """schema_version: 1
extends: baseline
name: two_levers
header: {title: Two levers, author: tests, description: PAPSS for AfCFTA members and a storage ban in Nigeria.}
payments:
  - id: papss_all
    name: PAPSS for every AfCFTA state party
    system: PAPSS
    join: {bloc: AFCFTA}
    interop: 0.8
rules:
  - id: ban_ng
    economies: NGA
    data: [personal]
    regime: storage_ban
"""
BASE_WITH_ITEMS = """schema_version: 1
extends: baseline
name: base_items
header: {title: Baseline with items, author: tests, description: A baseline with two rules of its own.}
rules:
  - id: keep_me
    economies: KEN
    regime: conditional
  - id: change_me
    economies: GHA
    regime: conditional
  - id: drop_me
    economies: ZAF
    regime: storage_copy
"""
REFORM_OF_ITEMS = """schema_version: 1
extends: base_items
name: items_reform
header: {title: Replace and drop, author: tests, description: Replaces one rule; drops another; adds one.}
parameters: {eta: 0.5}
drop: [drop_me]
rules:
  - id: change_me
    economies: GHA
    regime: storage_ban
  - id: new_rule
    economies: NGA
    regime: open
"""


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    """Compiled schedules cached in a temporary folder, not the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("scenarios")
    shutil.copy(SCENARIOS / "baseline.yaml", d / "baseline.yaml")
    shutil.copy(SCENARIOS / "afcfta_digital_papss.yaml", d / "afcfta_digital_papss.yaml")
    (d / "two.yaml").write_text(TWO, encoding="utf-8")
    (d / "base_items.yaml").write_text(BASE_WITH_ITEMS, encoding="utf-8")
    (d / "items_reform.yaml").write_text(REFORM_OF_ITEMS, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def world():
    return load_world()


# --- the attribution arithmetic -----------------------------------------------------------------------------------


def _game(k: int, seed: int) -> dict[int, np.ndarray]:
    """A random game with v(∅) = 0 on 3 outcomes (interactions everywhere)."""
    rng = np.random.default_rng(seed)
    v = {m: rng.normal(size=3) for m in range(1 << k)}
    v[0] = np.zeros(3)
    return v


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_shapley_values_sum_to_the_total_and_match_the_permutation_definition(k: int) -> None:
    v = _game(k, k)
    out = attribute(v, k)
    full = (1 << k) - 1
    sh = out["shapley"]
    assert np.allclose(sum(sh[str(i)] for i in range(k)), v[full])
    # the definition by orderings: the mean marginal contribution over every order of the components
    from itertools import permutations

    for i in range(k):
        acc = np.zeros(3)
        for order in permutations(range(k)):
            before = 0
            for j in order:
                if j == i:
                    acc += v[before | 1 << i] - v[before]
                    break
                before |= 1 << j
        assert np.allclose(sh[str(i)], acc / factorial(k))


def test_one_at_a_time_reports_the_interaction_it_leaves_out() -> None:
    # v(S) = 1 for each component alone, 5 for both: a positive interaction of 3
    v = {0: np.zeros(1), 1: np.ones(1), 2: np.ones(1), 3: np.full(1, 5.0)}
    out = attribute(v, 2)
    oat = out["one_at_a_time"]
    assert oat["0"][0] == pytest.approx(4.0) and oat["1"][0] == pytest.approx(4.0)  # 5 − 1 each
    assert oat["interaction"][0] == pytest.approx(-3.0)
    assert oat["0"][0] + oat["1"][0] + oat["interaction"][0] == pytest.approx(oat["total"][0])
    assert out["shapley"]["0"][0] == pytest.approx(2.5) and out["shapley"]["1"][0] == pytest.approx(2.5)


def test_additive_components_are_attributed_alike_by_both_methods() -> None:
    weights = np.array([1.0, -2.0, 0.5])
    v = {m: np.array([sum(w for i, w in enumerate(weights) if m >> i & 1)]) for m in range(8)}
    out = attribute(v, 3)
    for i in range(3):
        assert out["shapley"][str(i)][0] == pytest.approx(weights[i])
        assert out["one_at_a_time"][str(i)][0] == pytest.approx(weights[i])
    assert out["one_at_a_time"]["interaction"][0] == pytest.approx(0.0)


def test_more_than_six_components_run_only_the_one_at_a_time_coalitions() -> None:
    assert len(needed_coalitions(MAX_SHAPLEY)) == 2**MAX_SHAPLEY - 2
    seven = needed_coalitions(MAX_SHAPLEY + 1)
    assert len(seven) == MAX_SHAPLEY + 1 and all(bin(m).count("1") == MAX_SHAPLEY for m in seven)
    v = {m: np.ones(1) for m in [0, *seven, 2 ** (MAX_SHAPLEY + 1) - 1]}
    assert set(attribute(v, MAX_SHAPLEY + 1)) == {"one_at_a_time"}


# --- channels -------------------------------------------------------------------------------------------------------


def test_the_channels_partition_every_cost_table_of_the_model() -> None:
    names = [f.name for f in fields(LinkCosts) if f.name != "packed"]
    assert set(TABLE_FIELDS) == set(names)
    assert unassigned_tables() == [], "a LinkCosts table no channel lists: add it to CHANNELS"
    listed = [t for tables in CHANNELS.values() for t in tables]
    assert len(listed) == len(set(listed)), "a table in two channels"


def test_masking_every_table_reproduces_the_baseline_and_masking_none_the_reform(world, scenario_dir: Path) -> None:
    # plumbing, not economics: 300 firms and a 2-step burn-in keep it quick
    vocab = vocabulary(world)
    base = compile_scenario(world, load_scenario(scenario_dir / "baseline.yaml", vocab))
    reform = compile_scenario(world, load_scenario(scenario_dir / "two.yaml", vocab))
    params = {"burn_in_steps": 2}
    model = DataFlowModel(world, base, params=params, n_firms=300, rng=np.random.SeedSequence(4))

    def run(m: DataFlowModel) -> pd.Series:
        m.run(4)
        f = m.metrics_frame()
        return f[f["level"].isin(["world", "region"])].set_index(["step", "metric", "level", "group"])["value"]

    b = run(branch(model, base))
    r = run(branch(model, reform))
    assert (b - r).abs().max() > 0, "the reform must move something for this test to mean anything"
    all_masked = run(mask(branch(model, reform), base, TABLE_FIELDS))
    # the economy is the baseline's, bit for bit; only bloc_fragmentation differs: it groups economies by the rules
    # written (the reform's), not by what they cost
    same = (all_masked == b) | (all_masked.isna() & b.isna())
    differ = set(all_masked.index[~same].get_level_values("metric"))
    assert differ <= {"bloc_fragmentation"}
    keep = all_masked.index.get_level_values("metric") != "bloc_fragmentation"
    pd.testing.assert_series_equal(all_masked[keep], b[keep])
    pd.testing.assert_series_equal(run(mask(branch(model, reform), base, ())), r)
    payments_only = run(mask(branch(model, reform), base, channel_tables(["payments"])))
    assert (payments_only - r).abs().max() > 0 and (payments_only - b).abs().max() > 0


def test_the_run_table_is_the_models_metrics_frame(world, scenario_dir: Path) -> None:
    from simulator.experiment.tasks import metrics_table

    vocab = vocabulary(world)
    base = compile_scenario(world, load_scenario(scenario_dir / "two.yaml", vocab))
    model = DataFlowModel(world, base, params={"burn_in_steps": 2}, n_firms=300, rng=np.random.SeedSequence(9))
    model.run(3)
    pd.testing.assert_frame_equal(metrics_table(model), model.metrics_frame())


def test_active_channels_are_those_whose_tables_the_reform_changes(world, scenario_dir: Path) -> None:
    vocab = vocabulary(world)
    b = load_scenario(scenario_dir / "baseline.yaml", vocab)
    r = load_scenario(scenario_dir / "two.yaml", vocab)
    got = active_channels(
        world, compile_scenario(world, b), compile_scenario(world, r), r.parameter_values(world.calibration)
    )
    assert "payments" in got and "data_access" in got and "hosting" in got
    assert "connectivity" not in got and "trade_costs" not in got
    assert (
        active_channels(
            world, compile_scenario(world, b), compile_scenario(world, b), b.parameter_values(world.calibration)
        )
        == []
    )


# --- levers ---------------------------------------------------------------------------------------------------------


def test_the_levers_of_a_reform_are_its_provisions(world, scenario_dir: Path) -> None:
    vocab = vocabulary(world)
    b = load_scenario(scenario_dir / "baseline.yaml", vocab)
    r = load_scenario(scenario_dir / "afcfta_digital_papss.yaml", vocab)
    names = [c.name for c in lever_components(b, r)]
    assert names == [
        "agreements.afcfta_dtp",
        "payments.papss_all",
        "connectivity.africa_connect",
        "cloud_regions.new_regions",
    ]


def test_replaced_dropped_and_parameter_levers_neutralise_back_to_the_baseline(world, scenario_dir: Path) -> None:
    vocab = vocabulary(world)
    b = load_scenario(scenario_dir / "base_items.yaml", vocab)
    r = load_scenario(scenario_dir / "items_reform.yaml", vocab)
    comps = lever_components(b, r)
    assert [c.name for c in comps] == ["rules.change_me", "rules.new_rule", "drop rules.drop_me", "parameters"]

    def schedule(active: list[bool]):
        scenario, params = coalition_scenario(b, r, comps, active, "x")
        return compile_scenario(world, scenario), params

    none, p0 = schedule([False] * 4)
    full, p1 = schedule([True] * 4)
    want_b, want_r = compile_scenario(world, b), compile_scenario(world, r)
    for got, want in ((none, want_b), (full, want_r)):
        assert got.events == want.events
        for f in fields(got.initial):
            assert np.array_equal(getattr(got.initial, f.name), getattr(want.initial, f.name)), f.name
    assert p0["eta"] == b.parameter_values(world.calibration)["eta"] and p1["eta"] == 0.5
    # the replaced rule neutralised: Ghana back to the baseline's conditional regime, the rest as in the reform
    only_change_off, _ = schedule([False, True, True, True])
    gha, nga, zaf = (world.iso3.index(c) for c in ("GHA", "NGA", "ZAF"))
    assert np.array_equal(only_change_off.initial.regime[gha], want_b.initial.regime[gha])
    assert np.array_equal(only_change_off.initial.regime[nga], want_r.initial.regime[nga])
    assert np.array_equal(only_change_off.initial.regime[zaf], want_r.initial.regime[zaf])


# --- compare --decompose ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory, scenario_dir: Path):
    out = tmp_path_factory.mktemp("dec") / "out"
    fx = compare(
        scenario_dir / "baseline.yaml",
        [scenario_dir / "two.yaml"],
        replicates=3,
        firms=300,
        steps=4,
        seed=3,
        out=out,
        executor="serial",
        decompose=True,
    )
    return fx, out


def test_decomposition_follows_the_contract(decomposed) -> None:
    _, out = decomposed
    d = pd.read_parquet(out / "decomposition.parquet")
    assert list(d.columns) == list(COLUMNS)
    assert set(d["kind"]) == {"lever", "channel"}
    assert set(d["method"]) == {"one_at_a_time", "shapley"}
    assert set(d["level"]) == {"world", "region", "development"}
    assert "real_income" in set(d["metric"])
    # n counts the replicates whose effect is defined: every one for real income; a % change of a share that is 0 in
    # a replicate's baseline (innovating share of a region with a handful of agents at 300 firms) is not
    assert (d.loc[d["metric"] == "real_income", "n"] == 3).all() and d["n"].between(1, 3).all()
    levers = set(d.loc[d["kind"] == "lever", "component"])
    assert levers == {"payments.papss_all", "rules.ban_ng", "interaction", "total"}
    assert {"payments", "data_access", "hosting"} <= set(d.loc[d["kind"] == "channel", "component"])
    m = json.loads((out / "manifest.json").read_text())
    dec = m["decomposition"]
    assert set(dec["channels"]) == set(CHANNELS) and dec["channels"]["payments"]["tables"] == ["payment"]
    assert "last year" in dec["effect"]
    assert [c["name"] for c in dec["components"]["two_levers"]["lever"]] == ["rules.ban_ng", "payments.papss_all"]
    sub = json.loads((out / "decomposition" / "manifest.json").read_text())
    assert sub["kind"] == "decomposition" and all(r["status"] == "done" for r in sub["runs"])
    assert len(sub["runs"]) == 3 * (2 + len(needed_coalitions(len(dec["components"]["two_levers"]["channel"]))))


def _wide(d: pd.DataFrame) -> pd.DataFrame:
    return d.set_index(["kind", "method", "metric", "level", "group", "component"])["effect"].unstack("component")


def test_shapley_shares_sum_to_the_total_effect(decomposed) -> None:
    _, out = decomposed
    d = pd.read_parquet(out / "decomposition.parquet")
    sh = _wide(d[d["method"] == "shapley"])
    parts = sh.drop(columns=["total"]).sum(axis=1, min_count=1)
    ok = sh["total"].notna()
    assert ok.sum() > 20
    np.testing.assert_allclose(parts[ok], sh.loc[ok, "total"], atol=1e-9)
    shares = (
        d[(d["method"] == "shapley") & (d["component"] != "total")]
        .groupby(["kind", "metric", "level", "group"])["share"]
        .sum(min_count=1)
    )
    assert np.allclose(shares.dropna(), 1.0)


def test_one_at_a_time_on_a_two_lever_reform_plus_interaction_is_the_total(decomposed) -> None:
    fx, out = decomposed
    d = pd.read_parquet(out / "decomposition.parquet")
    oat = _wide(d[(d["method"] == "one_at_a_time") & (d["kind"] == "lever")])
    np.testing.assert_allclose(
        (oat["payments.papss_all"] + oat["rules.ban_ng"] + oat["interaction"]).dropna(),
        oat["total"].dropna(),
        atol=1e-9,
    )
    # the total is the paired % difference of the last-year means, averaged over replicates
    world = oat.xs(("lever", "one_at_a_time", "real_income", "world", "world"))
    p = fx.paired
    p = p[(p["metric"] == "real_income") & (p["level"] == "world") & (p["step"] >= 1)]
    last = p.groupby("replicate")[["baseline", "reform"]].apply(lambda g: g.iloc[-4:].mean())
    assert world["total"] == pytest.approx((100 * (last["reform"] / last["baseline"] - 1)).mean(), rel=1e-9)


def test_a_lever_that_touches_only_payments_equals_the_payments_channel(decomposed) -> None:
    _, out = decomposed
    d = pd.read_parquet(out / "decomposition.parquet")
    oat = d[d["method"] == "one_at_a_time"]
    lever = oat[oat["component"] == "payments.papss_all"].set_index(["metric", "level", "group"])["effect"]
    channel = oat[oat["component"] == "payments"].set_index(["metric", "level", "group"])["effect"]
    assert lever.abs().max() > 0
    pd.testing.assert_series_equal(lever, channel.reindex(lever.index), check_names=False)


def test_a_resumed_decomposition_recomputes_nothing(decomposed, scenario_dir: Path) -> None:
    _, out = decomposed
    before = pd.read_parquet(out / "decomposition.parquet")
    calls: list[str] = []
    compare(
        scenario_dir / "baseline.yaml",
        [scenario_dir / "two.yaml"],
        replicates=3,
        firms=300,
        steps=4,
        seed=3,
        out=out,
        executor="serial",
        decompose=True,
        resume=True,
        progress=lambda done, total, run_id: calls.append(run_id),
    )
    assert calls == []
    pd.testing.assert_frame_equal(pd.read_parquet(out / "decomposition.parquet"), before)


def test_shapley_runs_every_proper_non_empty_coalition() -> None:
    # 2^k − 2 coalitions besides all (the reform) and none (the baseline)
    for k in range(1, MAX_SHAPLEY + 1):
        assert len(needed_coalitions(k)) == sum(1 for s in range(1, k) for _ in combinations(range(k), s))

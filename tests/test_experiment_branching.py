"""Warm start: a reform branched from a model built under the baseline equals one built afresh (same initial rules)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.model import DataFlowModel
from simulator.model.branching import branch, same_state
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup():
    world = load_world()
    vocab = vocabulary(world)
    out = {}
    for name in ("baseline", "data_autarky", "storage_ban_nigeria"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml", vocab)
        out[name] = (compile_scenario(world, sc), sc.parameter_values(world.calibration))
    return world, out


def test_branched_reform_equals_a_fresh_build(setup) -> None:
    world, sched = setup
    base_schedule, params = sched["baseline"]
    reform_schedule, reform_params = sched["data_autarky"]
    assert params == reform_params and same_state(base_schedule.initial, reform_schedule.initial)
    assert reform_schedule.events and min(e.step for e in reform_schedule.events) <= 9
    seed = np.random.SeedSequence(42)
    base = DataFlowModel(world, base_schedule, params=params, n_firms=400, rng=seed)
    branched = branch(base, reform_schedule).run(10)
    fresh = DataFlowModel(world, reform_schedule, params=params, n_firms=400, rng=np.random.SeedSequence(42)).run(10)
    pd.testing.assert_frame_equal(branched.metrics_frame(), fresh.metrics_frame(), check_exact=True)
    pd.testing.assert_frame_equal(branched.firms_frame(), fresh.firms_frame(), check_exact=True)
    # the base model is untouched and can be branched again, to the baseline itself
    assert base.steps == 0
    again = branch(base, base_schedule).run(10)
    plain = DataFlowModel(world, base_schedule, params=params, n_firms=400, rng=np.random.SeedSequence(42)).run(10)
    pd.testing.assert_frame_equal(again.metrics_frame(), plain.metrics_frame(), check_exact=True)
    assert not branched.metrics_frame()["value"].equals(again.metrics_frame()["value"]), "the reform bites"


def test_branch_switches_the_rules_in_force(setup) -> None:
    world, sched = setup
    base_schedule, params = sched["baseline"]
    reform = sched["data_autarky"][0]
    base = DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=1).run(9)
    new = branch(base, reform)
    assert same_state(new.policy, reform.state_at(9))
    assert not same_state(new.policy, base.policy)
    assert new.costs is not base.costs
    assert all(g.events == tuple(e for e in reform.events if e.economy == g.economy) for g in new.governments)


def test_branch_refuses_another_timeline(setup) -> None:
    from dataclasses import replace

    world, sched = setup
    base_schedule, params = sched["baseline"]
    base = DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=1)
    with pytest.raises(ValueError, match="timeline"):
        branch(base, replace(sched["data_autarky"][0], step_years=1.0))


def _fixed_and_step_classes(model: DataFlowModel) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Record, at each collected step, every firm's revenue and its class fixed at step 0 (tracked by uid, entrants
    at the first step they are seen) and of the step; computed here independently of the collector."""
    f = model.firms
    fixed_of = {int(u): int(z) for u, z in zip(f.uid[f.alive], f.size[f.alive], strict=True)}
    seen: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    original = model.collector.collect

    def collect(m: DataFlowModel) -> None:
        alive = m.firms.alive
        for u, z in zip(m.firms.uid[alive], m.firms.size[alive], strict=True):
            fixed_of.setdefault(int(u), int(z))
        fixed = np.array([fixed_of.get(int(u), 0) for u in m.firms.uid])
        revenue = m.accounts.revenue * m.firms.weight  # per real firm, times the real firms each agent stands for
        seen.append((int(m.steps), revenue, fixed, m.firms.size.astype(np.int64)))
        original(m)

    model.collector.collect = collect  # type: ignore[method-assign]
    return seen


def test_size_level_keeps_each_firms_class_from_the_branch_point(setup) -> None:
    from simulator.model.metrics import fix_size_classes
    from simulator.model.population import SizeClass

    world, sched = setup
    base_schedule, params = sched["baseline"]
    base = DataFlowModel(world, base_schedule, params=params, n_firms=400, rng=np.random.SeedSequence(7))
    reform = branch(base, sched["data_autarky"][0])
    plain = branch(base, sched["data_autarky"][0])
    fix_size_classes(reform)
    seen = _fixed_and_step_classes(reform)
    reform.run(12)
    plain.run(12)
    names = [z.name.lower() for z in SizeClass]
    frame = reform.metrics_frame()
    size = frame[(frame["level"] == "size") & (frame["metric"] == "revenue")]
    crossed = 0
    for step, revenue, fixed, of_step in seen:
        got = size[size["step"] == step].set_index("group")["value"].reindex(names).to_numpy()
        want = np.bincount(fixed, weights=revenue, minlength=len(names))
        np.testing.assert_allclose(got, want, rtol=1e-12)
        moved = np.bincount(of_step, weights=revenue, minlength=len(names))
        crossed += not np.allclose(got, moved, rtol=1e-9)
    assert crossed >= 3, "firms cross a class boundary under the reform (else this test could not fail)"
    # the size level's shares of the world and catch-up follow the fixed classes too; every other level is the same
    # bits as without fixing
    other = plain.metrics_frame()
    keep = frame["level"] != "size"
    assert ((frame["level"] == "size") & frame["metric"].isin(["dds_export_share_of_world", "catch_up"])).any()
    pd.testing.assert_frame_equal(
        frame[keep].reset_index(drop=True), other[other["level"] != "size"].reset_index(drop=True), check_exact=True
    )
    assert (
        not frame.loc[~keep, "value"]
        .reset_index(drop=True)
        .equals(other.loc[other["level"] == "size", "value"].reset_index(drop=True))
    )


def test_fixed_classes_survive_a_copy_and_entrants_keep_their_first_class(setup) -> None:
    from simulator.model.metrics import fix_size_classes

    world, sched = setup
    base_schedule, params = sched["baseline"]
    model = DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=np.random.SeedSequence(3))
    fix_size_classes(model)
    at_fix = model.collector.fixed_size.copy()
    copied = branch(model, base_schedule)
    np.testing.assert_array_equal(copied.collector.fixed_size, at_fix)
    copied.run(8)
    f, c = copied.firms, copied.collector
    old = f.alive & (f.born == 0)
    np.testing.assert_array_equal(c.fixed_size[: at_fix.size][old[: at_fix.size]], at_fix[old[: at_fix.size]])
    entrants = f.alive & (f.born > 0) & (f.born < copied.steps)
    assert entrants.any(), "firms entered during the run"
    # the classes were fixed at the last metrics stage; the step's entry may have grown the table after it, but
    # every firm born before the last step has a slot in them
    n = c.fixed_born.size
    assert not entrants[n:].any()
    np.testing.assert_array_equal(c.fixed_born[entrants[:n]], f.born[:n][entrants[:n]])


def test_compare_runs_fix_the_classes_at_the_branch_point(setup) -> None:
    from simulator.experiment.tasks import ReplicateTask, ScenarioSpec, run_replicate
    from simulator.model.metrics import fix_size_classes

    world, sched = setup
    base_schedule, params = sched["baseline"]
    specs = (ScenarioSpec("baseline", base_schedule, params), ScenarioSpec("autarky", sched["data_autarky"][0], params))
    seed = np.random.SeedSequence(11)
    out = run_replicate(ReplicateTask(0, seed, specs, specs[0], firms=300, steps=6, world=world))
    frame = next(o.frame for o in out if o.scenario == "autarky")
    model = branch(DataFlowModel(world, base_schedule, params=params, n_firms=300, rng=seed), specs[1].schedule)
    fix_size_classes(model)
    want = model.run(6).metrics_frame()
    got = frame[frame["level"] == "size"].sort_values(["step", "metric", "group"])
    want = want[want["level"] == "size"].sort_values(["step", "metric", "group"])
    np.testing.assert_array_equal(got["value"].to_numpy(), want["value"].to_numpy())

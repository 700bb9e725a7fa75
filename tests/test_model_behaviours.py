"""Every registered behaviour passes the conformance suite ``simulator.model.checks``; the suite catches bad rules."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_model_fixtures import schedule, small_world

from simulator.model import REGISTRY, DataFlowModel, register
from simulator.model.checks import BehaviourCheckError, check_behaviour, parametrize_with_checks
from simulator.model.innovation import InnovationResult, schumpeterian
from simulator.model.registry import BehaviourError, resolve
from simulator.world.baseline import baseline_state


@parametrize_with_checks()
def test_every_registered_behaviour_passes_the_checks(behaviour, check):
    check(behaviour)


def test_unknown_behaviour_rejected():
    with pytest.raises(BehaviourError, match="did you mean 'spillovers_only'"):
        resolve({"innovation": "spillover_only"})
    with pytest.raises(BehaviourError, match="unknown behaviour kind 'no_such_kind'"):
        resolve({"no_such_kind": "x"})
    with pytest.raises(BehaviourError, match="unknown behaviour kind"):
        check_behaviour("no_such_kind", "x")


def test_researcher_can_register_a_rule():
    @register("innovation", "frozen_for_test")
    def frozen(m):
        f = m.firms
        return InnovationResult(phi=f.phi.copy(), innovated=np.zeros(f.capacity, bool), rd=np.zeros(f.capacity))

    try:
        world = small_world()
        m = DataFlowModel(world, schedule(baseline_state(world), horizon=4), n_firms=300, rng=1, behaviours={
            "innovation": "frozen_for_test"
        })  # fmt: skip
        assert m.rules["innovation"] is frozen
        check_behaviour("innovation", "frozen_for_test", checks=["output", "accounting"])
    finally:
        REGISTRY["innovation"].pop("frozen_for_test")


# --- the suite fails rules that break each contract (so that passing it means something) ------------------------------


def _loopy(m):
    out = schumpeterian(m)
    rd = out.rd.copy()
    for i in range(rd.size):  # a per-firm Python loop
        rd[i] = max(rd[i], 0.0)
    return InnovationResult(out.phi, out.innovated, rd)


def _global_rng(m):
    out = schumpeterian(m)
    return InnovationResult(out.phi * (1.0 + 0.0 * np.random.random()), out.innovated, out.rd)  # noqa: NPY002


def _python_random(m):
    random.random()
    return schumpeterian(m)


def _unseeded(m):
    out = schumpeterian(m)
    noise = np.random.default_rng().random(out.phi.size)  # fresh entropy each call: not reproducible
    return InnovationResult(out.phi * (1.0 + 1e-3 * noise), out.innovated, out.rd)


def _nan(m):
    out = schumpeterian(m)
    phi = out.phi.copy()
    phi[0] = np.nan
    return InnovationResult(phi, out.innovated, out.rd)


def _wrong_dtype(m):
    out = schumpeterian(m)
    return InnovationResult(out.phi, out.innovated.astype(float), out.rd)


def _home_market(m, firms):
    return m.firms.economy[firms].astype(np.int64)


def _dead_supplier(m, buyers):
    dead = np.flatnonzero(~m.firms.alive)
    return np.full(buyers.size, dead[0] if dead.size else m.firms.capacity, dtype=np.int64)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("kind", "rule", "check", "message"),
    [
        ("innovation", _loopy, "no_python_loop", "grows with the firms"),
        ("innovation", _global_rng, "global_random_state", "numpy's global generator"),
        ("innovation", _python_random, "global_random_state", "random module"),
        ("innovation", _unseeded, "determinism", "differ"),
        ("innovation", _nan, "output", "NaN"),
        ("innovation", _wrong_dtype, "output", "dtype float64"),
        ("market_search", _home_market, "output", "its own economy"),
        ("supplier_search", _dead_supplier, "output", "not alive|the model raised"),
    ],
)
def test_the_checks_catch_broken_rules(kind, rule, check, message):
    before = {k: dict(v) for k, v in REGISTRY.items()}
    try:
        with pytest.raises(BehaviourCheckError, match=message):
            check_behaviour(kind, rule, checks=[check])
    finally:
        for k in REGISTRY:
            REGISTRY[k].clear()
            REGISTRY[k].update(before[k])


def test_the_accounting_check_catches_a_rule_that_breaks_the_books():
    def inflate(m):
        out = schumpeterian(m)
        m.income *= 1.5  # writes the model's books: income no longer equals final sales
        return out

    with pytest.raises(BehaviourCheckError, match="world income"):
        check_behaviour("innovation", inflate, checks=["accounting"])

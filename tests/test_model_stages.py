"""The step as an ordered list of named stages, behaviours owning their state (issue "The model's house", item 3)."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import numpy as np
import pytest

from simulator.model import DataFlowModel, stages
from simulator.model.registry import DEFAULTS, KINDS, REGISTRY
from simulator.world.baseline import baseline_state
from simulator.world.policy import PolicySchedule

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world():
    from simulator.world import load_world

    return load_world().subset(["BRA", "ARG", "KEN", "NGA", "USA", "CHN", "EUU"])


def build(world, seed=3, **kw):
    return DataFlowModel(world, PolicySchedule(baseline_state(world), horizon=4), n_firms=300, rng=seed, **kw)


def test_the_step_is_an_ordered_list_of_named_stages_with_one_stage_per_behaviour_kind():
    names = [s.name for s in stages.STEP]
    assert len(names) == len(set(names))
    kinds = [s.kind for s in stages.STEP if s.kind is not None]
    assert sorted(kinds) == sorted(KINDS)  # every kind is one stage, every behaviour stage a kind
    for kind in KINDS:
        assert DEFAULTS[kind] in REGISTRY[kind]
    assert all(s.summary for s in stages.STEP)  # each stage says what it does in one line
    assert stages.ECONOMY == stages.STEP[len(stages.POLICY) :]
    # the burn-in runs the economy's stages, with absorption as spending in its first third
    assert [s.name for s in stages.BURN_IN_WAGES] == ["absorption" if n == "spending" else n for n in names[3:]]


def test_a_subclass_runs_its_own_stages_in_order(world):
    seen: list[tuple[int, str]] = []

    def probe(model):
        """Records the step and whether trade ran before it."""
        seen.append((model.steps, type(model.trade).__name__))

    class Probed(DataFlowModel):
        step_stages = stages.with_stage(DataFlowModel.step_stages, stages.Stage("probe", probe), after="trade")

    plain = build(world).run(2).metrics_frame()
    probed = Probed(world, PolicySchedule(baseline_state(world), horizon=4), n_firms=300, rng=3)
    assert seen == []  # construction (burn-in) does not run the step's stages list
    out = probed.run(2).metrics_frame()
    assert seen == [(1, "TradeResult"), (2, "TradeResult")]
    np.testing.assert_array_equal(out["value"].to_numpy(), plain["value"].to_numpy())
    with pytest.raises(KeyError, match="no stage named 'nope'"):
        stages.with_stage(stages.STEP, stages.Stage("x", probe), after="nope")


def test_stateful_behaviours_are_instantiated_once_per_model_and_copied_with_it(world):
    a, b = build(world), build(world)
    search = a.rules["market_search"]
    assert type(search).__name__ == "MarketSearchGravity"
    assert search is not b.rules["market_search"]
    assert search.cdf is not None  # its cache is its own state, filled by the construction's searches
    c = copy.deepcopy(a)
    assert c.rules["market_search"] is not search
    np.testing.assert_array_equal(c.rules["market_search"].cdf, search.cdf)
    # a copy steps as the original does
    np.testing.assert_array_equal(
        c.run(1).metrics_frame()["value"].to_numpy(), a.run(1).metrics_frame()["value"].to_numpy()
    )


def _private_writes(path: Path) -> list[str]:
    """Assignments to a private attribute (``x._name = …``, ``x._name += …``) of anything but ``self``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            for sub in ast.walk(t):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and sub.attr.startswith("_")
                    and not sub.attr.startswith("__")
                    and not (isinstance(sub.value, ast.Name) and sub.value.id == "self")
                ):
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(sub)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: setattr(..., {node.args[1].value!r})")
    return out


def test_nothing_outside_an_object_writes_its_private_attributes():
    """Behaviours keep their state on themselves: no module writes ``model._x`` (or any other object's ``_x``)."""
    found = [w for path in sorted((ROOT / "simulator").rglob("*.py")) for w in _private_writes(path)]
    assert found == []

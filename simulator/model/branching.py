"""Warm start: branch a reform from a model already built (and, later, burnt in) under the baseline.

Building the population and the network (and any burn-in) is the same for every scenario of a replicate when they
share a seed, so it is done once; each scenario then starts from a copy of that state with its own policy path:
its policy state at the model's current step, its governments' events, and cost tables recompiled when that state
differs from the one the model holds. When the reform's rules at that step equal the baseline's, the branch gives the
same numbers, bit for bit, as a model built afresh under the reform.
"""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np

from simulator.model.costs import compile_costs
from simulator.model.model import DataFlowModel
from simulator.world.policy import PolicySchedule, PolicyState


def same_state(a: PolicyState, b: PolicyState) -> bool:
    """Whether two policy states hold the same values in every lever."""
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))


def branch(model: DataFlowModel, schedule: PolicySchedule) -> DataFlowModel:
    """Return a copy of ``model`` that continues under ``schedule`` instead of the schedule it was built with.

    ``model`` itself is not changed (it can be branched again). The copy gets the rules ``schedule`` has in force at
    the model's current step (its initial state and the events dated up to that step), and each government gets
    the events of ``schedule`` addressed to its economy; events at later steps apply as the copy steps.

    Args:
        model: A model built (and possibly stepped) under the baseline; its parameters are kept.
        schedule: The reform's compiled policy path (same world, same start year and step length).

    Returns:
        The branched model.

    Raises:
        ValueError: The schedule's timeline or shape does not match the model's.
    """
    if (schedule.start_year, schedule.step_years) != (model.schedule.start_year, model.schedule.step_years):
        raise ValueError(
            f"cannot branch: the reform's timeline ({schedule.start_year:g}, steps of {schedule.step_years:g} y) "
            f"differs from the model's ({model.schedule.start_year:g}, {model.schedule.step_years:g} y)"
        )
    if schedule.initial.regime.shape != model.policy.regime.shape:
        raise ValueError("cannot branch: the reform's policy state has another shape than the model's (another world?)")
    # the world (data tables) is read-only in a run: the copy shares it instead of deep-copying its DataFrames
    new = copy.deepcopy(model, memo={id(model.world): model.world})
    new.schedule = schedule
    by_economy: dict[int, list] = {}
    for e in schedule.events:
        by_economy.setdefault(e.economy, []).append(e)
    for g in new.governments:
        g.events = tuple(by_economy.get(g.economy, ()))
        g.adopted = []
    target = schedule.state_at(new.steps)
    if not same_state(target, new.policy):
        new.policy = target
        new.costs = compile_costs(new.world, new.policy, new.params, new.exposure, new.money_scale)
    return new

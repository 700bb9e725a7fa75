"""Assemble a run's behaviours: the scenario's ``behaviours:`` choice checked against the behaviours' declarations.

The scenario layer checks the section's shape only (it knows nothing of the model); here, before any model is built,
each chosen rule is looked up (built-in, ``DLSIM_BEHAVIOURS`` file or installed plugin) and each parameter checked
against the rule's own declaration. Problems are reported as a ``ScenarioError`` pointing at the file and line where
the rule or the value was written, like every other scenario error.
"""

from __future__ import annotations

from typing import Any

from simulator.model.registry import DEFAULTS, BehaviourProblem, check_choice
from simulator.scenario.errors import Issue, ScenarioError
from simulator.scenario.loader import Scenario


def scenario_behaviours(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Return the scenario's behaviour choice as plain data, checked against the behaviours' declarations.

    Args:
        scenario: A loaded scenario.

    Returns:
        Kind → ``{"rule": name, "params": {name: value}}`` for the kinds the scenario chooses (empty: the defaults).

    Raises:
        ScenarioError: Every problem (unknown kind or rule, undeclared or out-of-range parameter, a plugin that cannot
            be loaded), each at the file and line where it was written.
    """
    choice = scenario.behaviour_choice()
    problems = check_choice(choice)
    if problems:
        raise ScenarioError([_issue(scenario, p) for p in problems])
    undecided = _undecided_contingent_rules(scenario)
    if undecided:
        raise ScenarioError(undecided)
    return choice


def _undecided_contingent_rules(scenario: Scenario) -> list[Issue]:
    """Contingent rules that no government would ever adopt: the run keeps the ``scheduled`` government policy."""
    chosen = scenario.behaviours.get("government_policy")
    rule = chosen.rule if chosen is not None else DEFAULTS["government_policy"]
    if rule != DEFAULTS["government_policy"]:
        return []
    return [
        Issue(
            sourced.origin.file,
            sourced.origin.line,
            None,
            (*sourced.origin.path, "contingent"),
            "a contingent rule is adopted when governments decide, but the government_policy behaviour is "
            f"{rule!r} (governments follow the timeline only)",
            expected="a government_policy rule that decides, e.g. 'behaviours: {government_policy: reciprocity}'",
            suggestion="reciprocity",
        )
        for sourced in scenario.rules
        if sourced.item.contingent
    ]


def _issue(scenario: Scenario, problem: BehaviourProblem) -> Issue:
    chosen = scenario.behaviours.get(problem.path[0]) if problem.path else None
    origin = None
    if chosen is not None:
        origin = chosen.origin
        if problem.path[1:2] == ("params",) and problem.path[2] in chosen.param_origins:
            origin = chosen.param_origins[problem.path[2]]
    file = origin.file if origin is not None else str(scenario.path)
    line = origin.line if origin is not None else None
    return Issue(
        file,
        line,
        None,
        ("behaviours", *problem.path),
        problem.message,
        value=problem.value,
        expected=problem.expected,
        suggestion=problem.suggestion,
    )

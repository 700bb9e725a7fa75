"""Adaptive governments: the reciprocity rule of the government_policy behaviour, and the shipped cascade scenario.

A government adopts a contingent rule once ``partners_required`` (k) of its ``largest_partners`` (n) largest
trading partners have it in force. Checked here: the decision on a constructed case (fires exactly at k of the n
largest), the events an adoption adds (the same path as scheduled events: a run whose decisions are replayed as a
dated schedule gives the same numbers), the cascade of ``scenarios/reciprocal_localisation.yaml`` on a small run,
determinism, the decisions table of ``dlsim run``, and file:line errors for bad choices.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_model_fixtures import open_state, schedule, small_world
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.behaviours import scenario_behaviours
from simulator.experiment.run import DECISIONS_FILE, read_run, run_model
from simulator.model.government import ADOPTION_COLUMNS, decisions_frame
from simulator.model.model import DataFlowModel
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary
from simulator.world.policy import ContingentPolicy, PolicyState, regime_code

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "reciprocal_localisation.yaml"
runner = CliRunner()

FIN = list(DataCategory).index(DataCategory.FINANCIAL)
BAN = regime_code(Regime.STORAGE_BAN)
COPY = regime_code(Regime.STORAGE_COPY)
ISO = list(small_world().iso3)
"""Economy codes of the small world, in its order."""
RECIPROCITY = {"government_policy": {"rule": "reciprocity", "params": {"partners_required": 2, "largest_partners": 3}}}


def financial_rule(n_sectors: int, regime: int = BAN, ramp: tuple[float, ...] = (0.5, 1.0), economies=None):
    cells = np.array([(FIN, s) for s in range(n_sectors)], dtype=np.int64)
    return ContingentPolicy(tuple(range(len(ISO))) if economies is None else economies, cells, regime, ramp, "test")


SEEDS = ("USA", "CHN")
"""Economies with a financial-data storage ban at the start of the runs here (everyone else: open rules)."""


def seeded_state():
    state = open_state(small_world())
    for code in SEEDS:
        state.regime[ISO.index(code), FIN, :] = BAN
    return state


@pytest.fixture(scope="module")
def model() -> DataFlowModel:
    """A small model whose governments may adopt a financial-data storage ban (held by ``SEEDS`` at the start)."""
    world = small_world()
    sched = replace(schedule(seeded_state()), contingent=(financial_rule(len(world.sector_codes)),))
    return DataFlowModel(world, sched, n_firms=200, rng=3, behaviours=RECIPROCITY)


def holding(model: DataFlowModel, economies: list[int]) -> PolicyState:
    """The model's policy with a financial storage ban in force in ``economies`` (all sectors)."""
    state = open_state(small_world())
    for e in economies:
        state.regime[e, FIN, :] = BAN
    return state


def decide(model: DataFlowModel, state: PolicyState, trade: np.ndarray, n: int, k: int, economy: int = 0):
    """Economy ``economy``'s decision, on a copy of its government, given the state and the trade matrix."""
    import copy

    m = copy.deepcopy(model)
    m.policy = state
    rule = m.schedule.contingent[0]
    return m.governments[economy].reciprocate(0, rule, rule.held_by(state), trade, n, k, step=7), m


def ranked_trade(n_c: int) -> np.ndarray:
    """Economy 0 trades most with 1, then 2, 3, 4, 5 (two-way trade; the rest trade nothing with it)."""
    trade = np.zeros((n_c, n_c))
    for partner, value in zip((1, 2, 3, 4, 5), (100.0, 90.0, 80.0, 70.0, 60.0), strict=True):
        trade[0, partner] = trade[partner, 0] = value
    return trade


# --- the decision ---------------------------------------------------------------------------------------------------


def test_largest_partners_rank_by_trade_ties_in_world_order_and_skip_no_trade(model):
    n_c = len(ISO)
    trade = ranked_trade(n_c)
    g = model.governments[0]
    assert g.largest_partners(trade, 3).tolist() == [1, 2, 3]
    assert g.largest_partners(trade, 10).tolist() == [1, 2, 3, 4, 5]  # no trade, not a partner
    trade[0, 4] = trade[4, 0] = 90.0  # tie with 2: world order
    assert g.largest_partners(trade, 3).tolist() == [1, 2, 4]


def test_adopts_exactly_when_k_of_the_n_largest_partners_have_the_rule(model):
    trade = ranked_trade(len(ISO))
    # 2 of the 3 largest (1 and 3) have it: adopts, and says why
    adoption, m = decide(model, holding(model, [1, 3]), trade, n=3, k=2)
    assert adoption is not None
    assert (adoption.step, adoption.economy, adoption.reason) == (7, ISO[0], "reciprocity")
    assert adoption.partners == (ISO[1], ISO[2], ISO[3])
    assert adoption.partners_with_rule == (ISO[1], ISO[3])
    assert m.governments[0].adopted == [adoption]
    # 1 of the 3 largest (4 is the 4th): does not adopt, and nothing is recorded
    adoption, m = decide(model, holding(model, [1, 4]), trade, n=3, k=2)
    assert adoption is None and m.governments[0].adopted == [] and m.governments[0].events == ()
    # the same partners with n = 4: adopts
    adoption, _ = decide(model, holding(model, [1, 4]), trade, n=4, k=2)
    assert adoption is not None and adoption.partners_with_rule == (ISO[1], ISO[4])
    # k = 3 of 4 with two holders: does not adopt; a small partner outside the 5 traded with does not count
    assert decide(model, holding(model, [1, 4, 9]), trade, n=4, k=3)[0] is None
    assert decide(model, holding(model, [1, 4, 3]), trade, n=4, k=3)[0] is not None


def test_does_not_adopt_when_not_selected_already_holding_or_already_adopted(model):
    trade = ranked_trade(len(ISO))
    state = holding(model, [1, 2, 3])
    rule = financial_rule(len(small_world().sector_codes), economies=(5, 6))  # economy 0 not selected
    import copy

    m = copy.deepcopy(model)
    assert m.governments[0].reciprocate(0, rule, rule.held_by(state), trade, 3, 2, 7) is None
    assert decide(model, holding(model, [0, 1, 2, 3]), trade, n=3, k=2)[0] is None  # has it in force already
    adoption, m = decide(model, state, trade, n=3, k=2)
    assert adoption is not None
    rule = m.schedule.contingent[0]
    assert m.governments[0].reciprocate(0, rule, rule.held_by(state), trade, 3, 2, 8) is None  # adopted once


def test_adoption_adds_the_rules_events_and_never_loosens_a_stricter_rule(model):
    trade = ranked_trade(len(ISO))
    world = small_world()
    n_s = len(world.sector_codes)
    state = holding(model, [1, 3])
    state.regime[0, FIN, 0] = BAN  # already under the regime: left alone (no ramp restarted)
    rule = financial_rule(n_s, regime=COPY, ramp=(0.25, 0.5, 0.75, 1.0))
    state.regime[0, FIN, 1] = regime_code(Regime.STORAGE_CONDITIONAL)  # stricter than a copy: not loosened
    import copy

    m = copy.deepcopy(model)
    m.policy = state
    adoption = m.governments[0].reciprocate(0, rule, rule.held_by(state), trade, 3, 2, step=7)
    assert adoption is not None and adoption.cells_changed == n_s - 2 and adoption.regime == "storage_copy"
    events = m.governments[0].events
    regime = [e for e in events if e.field == "regime"]
    assert {e.index for e in regime} == {(FIN, s) for s in range(2, n_s)}
    assert all(e.step == 7 and e.value == COPY for e in regime)
    ramp = sorted((e.step, e.value) for e in events if e.field == "regime_strength" and e.index == (FIN, 2))
    assert ramp == [(7, 0.25), (8, 0.5), (9, 0.75), (10, 1.0)]


def test_contingent_policy_is_held_only_when_every_covered_cell_is_at_least_as_restrictive(model):
    rule = model.schedule.contingent[0]  # financial data, storage ban
    state = holding(model, [2])
    state.regime[3, FIN, :] = BAN
    state.regime[3, FIN, 0] = COPY  # one covered cell less restrictive
    held = rule.held_by(state)
    assert held.tolist() == [i == 2 for i in range(len(ISO))]


# --- in a run -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_small(model):
    import copy

    m = copy.deepcopy(model)
    m.run(5)
    return m


def test_decisions_in_a_run_follow_the_rule_and_go_through_the_governments_timelines(run_small):
    m = run_small
    frame = decisions_frame(m.governments)
    assert list(frame.columns) == list(ADOPTION_COLUMNS)
    assert len(frame) > 0, "with k = 2 of 3, someone adopts in this world"
    # the holders at each step: the initial holders and the adopters of earlier steps
    first = {**dict.fromkeys(SEEDS, 0), **dict(zip(frame["economy"], frame["step"], strict=True))}
    for row in frame.itertuples(index=False):
        partners, holders = row.partners.split(), row.partners_with_rule.split()
        assert len(partners) <= 3 and set(holders) <= set(partners) and len(holders) >= 2
        assert all(first[h] < row.step for h in holders)
    # what an adopter applied is in force: the regime on every covered cell, at full strength after the ramp
    rule = m.schedule.contingent[0]
    for code in first:
        e = list(m.world.iso3).index(code)
        assert (m.policy.regime[e, rule.cells[:, 0], rule.cells[:, 1]] == BAN).all()
    assert rule.held_by(m.policy).sum() == len(first)


def test_a_run_equals_the_same_decisions_replayed_as_a_dated_schedule(model, run_small):
    """The adopted rule reaches the model by the same path as scheduled events: replaying the governments' added
    events as a dated schedule, with governments that decide nothing, gives the same numbers bit for bit."""
    events = tuple(e for g in run_small.governments for e in g.events)
    assert events, "the run adopted something"
    replay = replace(schedule(seeded_state(), events), contingent=())
    again = DataFlowModel(small_world(), replay, n_firms=200, rng=3).run(5)
    a, b = run_small.metrics_frame(), again.metrics_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert decisions_frame(again.governments).empty


def test_scheduled_government_policy_decides_nothing(model):
    sched = model.schedule
    m = DataFlowModel(small_world(), sched, n_firms=200, rng=3).run(3)
    assert decisions_frame(m.governments).empty
    assert all(g.events == () for g in m.governments)


# --- the shipped scenario -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    world = load_world()
    scenario = load_scenario(SCENARIO, vocabulary(world), run_overrides={"firms": 1000, "steps": 9, "seed": 11})
    return world, scenario, compile_scenario(world, scenario), scenario_behaviours(scenario)


def _run(shipped):
    world, scenario, sched, behaviours = shipped
    return run_model(
        world,
        sched,
        scenario.parameter_values(world.calibration),
        n_firms=1000,
        n_steps=9,
        seed=11,
        behaviours=behaviours,
    )


def test_the_shipped_scenario_cascades_from_its_initial_adopter(shipped):
    result = _run(shipped)
    d = result.decisions
    assert d is not None and len(d) >= 1, "at least one government adopts by reciprocity"
    assert (d["reason"] == "reciprocity").all() and (d["step"] >= 5).all()  # the initial adopter's rule: step 4
    first = d[d["step"] == d["step"].min()]
    assert all("USA" in held.split() for held in first["partners_with_rule"])
    assert "USA" not in set(d["economy"])
    assert result.manifest["decisions"] == {"file": DECISIONS_FILE, "adoptions": len(d)}
    assert result.manifest["behaviours"]["government_policy"]["rule"] == "reciprocity"


def test_the_shipped_scenario_is_deterministic_under_its_seed(shipped):
    a, b = _run(shipped), _run(shipped)
    pd.testing.assert_frame_equal(a.decisions, b.decisions, check_exact=True)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)


def test_dlsim_run_writes_the_decisions_table(tmp_path):
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), "--firms", "600", "--steps", "7", "--seed", "5", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "decisions.csv" in res.output and "Governments' decisions" in res.output
    table = pd.read_csv(out / DECISIONS_FILE, keep_default_na=False)
    assert list(table.columns) == list(ADOPTION_COLUMNS)
    back = read_run(out)
    assert back.decisions is not None and len(back.decisions) == len(table)


# --- errors ---------------------------------------------------------------------------------------------------------


def scenario_file(tmp_path: Path, body: str) -> Path:
    head = f"schema_version: 1\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: s\n"
    head += "header: {title: t, author: tests, description: d}\n"
    path = tmp_path / "s.yaml"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


RULE = """\
rules:
  - id: reciprocal
    economies: {region: LAC}
    data: financial
    regime: storage_conditional
    contingent: true
"""


@pytest.mark.parametrize(
    ("params", "param", "line", "expected"),
    [
        ("{partners_required: 0}", "partners_required", 8, "between 1 and 20"),
        ("{partners_required: 2.5}", "partners_required", 8, "a whole number between 1 and 20"),
        ("{partners_required: 6, largest_partners: 5}", "partners_required", 8, "at most largest_partners (5)"),
        # k keeps its default (2): the error points at the rule's line
        ("{largest_partners: 1}", "partners_required", 7, "at most largest_partners (1)"),
    ],
)
def test_bad_k_is_an_error_at_file_and_line(tmp_path, params, param, line, expected):
    body = f"behaviours:\n  government_policy:\n    rule: reciprocity\n    params: {params}\n" + RULE
    path = scenario_file(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        scenario_behaviours(load_scenario(path))
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), line)
    assert issue.path == ("behaviours", "government_policy", "params", param)
    assert expected in issue.expected
    res = runner.invoke(app, ["run", str(path), "--firms", "500", "--steps", "2", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and f"{path}:{line}" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_unknown_regime_of_a_contingent_rule_is_an_error_with_a_suggestion(tmp_path):
    path = scenario_file(tmp_path, "behaviours: {government_policy: reciprocity}\n" + RULE)
    path.write_text(path.read_text().replace("regime: storage_conditional", "regime: storage_conditionl"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), 10)
    assert issue.path == ("rules", 0, "regime") and issue.suggestion == "storage_conditional"


def test_a_contingent_rule_with_a_date_is_an_error(tmp_path):
    path = scenario_file(tmp_path, "behaviours: {government_policy: reciprocity}\n" + RULE + "    timing: 2027\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [issue] = info.value.issues
    assert issue.file == str(path) and issue.line is not None and "only phase_in_years" in issue.message


def test_a_contingent_rule_nobody_decides_on_is_an_error_at_the_rule(tmp_path):
    path = scenario_file(tmp_path, RULE)
    with pytest.raises(ScenarioError) as info:
        scenario_behaviours(load_scenario(path))
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), 6)
    assert issue.path == ("rules", 0, "contingent") and issue.suggestion == "reciprocity"

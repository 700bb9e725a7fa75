"""Stylised fact 7 of ``docs/evidence.md``: a trust channel exists (OECD–WTO 2025; Ferracane & van der Marel 2025).

With the trust channel on (the shipped defaults), "no rules at all" (``scenarios/no_rules.yaml``) is not the best of
the shipped scenarios for world real income; with it off (η = 0), removing every rule never lowers world real income.

Design (as ``test_model_stylised.py``, at a smaller size so that both facts cost well under a minute and a half):

- World and parameters: ``load_world()`` and the shipped defaults (only η is set, to 0, for the trust-off fact).
- Runs: ``REPS`` replicates, seeds ``SEED0`` … ``SEED0 + REPS − 1`` (a block of their own). Per replicate one model is
  built under ``scenarios/baseline.yaml`` (burn-in included) and every shipped scenario branches from it
  (``branching.branch``: common random numbers, the same burn-in and step 0), then runs ``STEPS`` quarterly steps.
- Measure: world real income, mean of the last ``WINDOW`` steps (years 5–7 after 2025; every shipped scenario's
  rules are in force by then), as the paired % difference between two scenarios of the same replicate.
- A fact holds when the 95 % t interval of the paired mean excludes zero on the stated side; one that fails at
  these settings is ``xfail(strict=True)`` with its measured value.

The numbers behind the reasons come from ``fact_table()``:
``python -c "import sys; sys.path.insert(0, 'tests'); import test_model_stylised_trust as t; print(t.fact_table())"``.
"""

from __future__ import annotations

import pytest

from simulator.experiment import validation as v
from simulator.experiment.validation import Effect, Settings, TrustStudy

N_FIRMS = 3000
REPS = 4
SEED0 = 24_000
STEPS = 28
WINDOW = 8
SCENARIOS = v.shipped_scenarios()
"""Every shipped scenario (``scenarios/*.yaml``)."""
NO_RULES = v.NO_RULES
BASELINE = v.BASELINE

# The runs and measures are the declarations of ``simulator.experiment.validation`` (fact 7 of ``dlsim
# validate-model``); this file fixes their size and seeds and asserts them.
_STUDY: dict[Settings, TrustStudy] = {}


def study() -> TrustStudy:
    """The trust study at this file's settings (its runs are kept for the whole session)."""
    s = Settings(firms=N_FIRMS, pairs=REPS, steps=STEPS, seed0=SEED0, window=WINDOW)
    if s not in _STUDY:
        _STUDY[s] = TrustStudy(s, SCENARIOS)
    return _STUDY[s]


def with_trust() -> dict[str, Effect]:
    """Trust on: each other shipped scenario's world real income against no_rules' (paired %; > 0 beats it)."""
    return v.with_trust(study())


def without_trust() -> Effect:
    """Trust off (η = 0): no_rules' world real income against the baseline's (paired %)."""
    return v.without_trust(study())


def fact_table() -> str:
    """Every measured effect of fact 7, one line each."""
    return "\n".join(v.trust_fact_lines(study()))


# --------------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def fact7_on() -> dict[str, Effect]:
    return with_trust()


@pytest.fixture(scope="module")
def fact7_off() -> Effect:
    return without_trust()


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured (3,000 agents, 4 pairs, seeds 24000-24003, steps 21-28) at the adopted calibration "
        "(data/calibration.yaml): the best shipped scenario against no_rules, wto_jsi_data_flows, is -0.26 % "
        "[-1.09, +0.57], 1/4 pairs > 0; with the audited data of issue 16 at the declared defaults it was +0.42 % "
        "[-0.80, +1.63] above it, 3/4 pairs > 0, the interval across zero; before, no_rules was the best shipped "
        "scenario for world real income; the "
        "closest, wto_jsi_data_flows, was -2.56 % [-2.91, -2.21] below it, 0/4 pairs > 0 "
        "(no_rules vs baseline +4.17 % [+3.13, +5.20] with trust on, +4.67 % [+3.66, +5.68] with eta = 0). At the "
        "shipped eta 0.3 and T0 0.5 the trust channel takes about 0.6-0.7 pp off the gain of removing every rule, "
        "against about 4 pp of compliance, storage and transfer costs removed: the channel works but is too weak "
        "(eta, trust_min and the personal-data weights are assumptions awaiting calibration)"
    ),
)
def test_fact7_with_trust_no_rules_is_not_the_best_shipped_scenario(fact7_on):
    """Some shipped scenario beats no_rules in world real income: its paired % difference has a 95 % interval above
    zero."""
    assert len(fact7_on) == len(SCENARIOS) - 1 >= 2
    best = max(fact7_on, key=lambda n: fact7_on[n].mean)
    assert any(eff.positive() for eff in fact7_on.values()), f"best against no_rules: {best} {fact7_on[best]}"


# measured (3,000 agents, 4 pairs, seeds 24000-24003, steps 21-28) at the adopted calibration (data/calibration.yaml):
# no_rules vs baseline with eta = 0 +3.83 % [+3.02, +4.65], 4/4 pairs > 0; an xfail at the declared defaults with the
# audited data of issue 16 (+1.67 % [-2.78, +6.12], 3/4: one pair's loss, first at the Rwanda and Nigeria regime
# changes, b3c837a); +4.67 % [+3.66, +5.68], 4/4, before the audit
def test_fact7_without_trust_removing_rules_never_lowers_world_real_income(fact7_off):
    """η = 0: no_rules' world real income is above the baseline's in every pair, and the 95 % interval of the paired
    % difference lies above zero."""
    assert (fact7_off.values > 0).all() and fact7_off.positive(), str(fact7_off)

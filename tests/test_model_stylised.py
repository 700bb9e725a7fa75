"""Stylised facts of ``docs/evidence.md`` as paired tests on the shipped world at the shipped defaults.

Design (docs/evidence.md, "How the facts are tested"):

- World and parameters: ``load_world()`` (all economies) and ``PARAMETERS`` defaults; no parameter is overridden.
  Every run starts from the status quo (``baseline_state``); a reform is a set of policy events at step 1.
- Replicates: ``REPS`` pairs of runs with common random numbers (the same ``SeedSequence`` for the baseline and the
  reform, so both share the burn-in and step 0), seeds ``SEED0`` … ``SEED0 + REPS − 1``, a block far from the
  calibration seeds (1–8) and from every other test's.
- Window: effects are window means over steps 2–21, i.e. years 1–5 after the reform (quarterly steps).
- Measures are proportional: % changes of the reform against its paired baseline (percentage points for shares).
- A fact holds when the 95 % t interval (15 d.f.) of the paired mean excludes zero on the stated side and, where
  the evidence gives a magnitude, the paired mean lies in the evidence's band. A fact that fails at these settings
  is ``xfail(strict=False)`` with its measured value in the reason; thresholds are never loosened.

The numbers behind the xfail reasons and the status table of docs/evidence.md come from ``fact_table()``:
``python -c "import sys; sys.path.insert(0, 'tests'); import test_model_stylised as t; print(t.fact_table())"``.
"""

from __future__ import annotations

import itertools

import pytest

from simulator.experiment import validation as v
from simulator.experiment.validation import (
    BAND_FACT2_LOSS,
    BAND_FACT4_GAIN,
    BAND_FACT5_SHARE,
    SEVERITY,
    Effect,
    ReformStudy,
    Settings,
)
from simulator.scenario.taxonomy import Regime

N_FIRMS = 6000
REPS = 16
SEED0 = 20_000
STEPS = 21
WINDOW = (2, 21)
"""First and last step (inclusive) of the measurement window: years 1–5 after the reform at step 1."""

# The paired runs, the measures and the bands are the declarations of ``simulator.experiment.validation`` (the same
# that ``dlsim validate-model`` runs); this file fixes their size and seeds and asserts them.


def settings() -> Settings:
    """This file's size and seeds (read when the study is made, so that a caller may change the constants)."""
    assert WINDOW[1] == STEPS
    return Settings(firms=N_FIRMS, pairs=REPS, steps=STEPS, seed0=SEED0, window=WINDOW[0])


_STUDY: dict[Settings, ReformStudy] = {}


def study() -> ReformStudy:
    """The reforms study at this file's settings (its runs are kept for the whole session)."""
    s = settings()
    if s not in _STUDY:
        _STUDY[s] = ReformStudy(s)
    return _STUDY[s]


def implementers() -> tuple[str, ...]:
    return study().implementers()


def fact1_loss(regime: Regime) -> Effect:
    return v.fact1_loss(study(), regime)


def fact2_effects() -> dict[str, Effect]:
    return v.fact2_effects(study())


def fact3_effects() -> dict[str, Effect]:
    return v.fact3_effects(study())


def fact4_gain() -> Effect:
    return v.fact4_gain(study())


def fact5_effects() -> dict[str, Effect]:
    return v.fact5_effects(study())


def fact6_effect() -> dict[str, Effect]:
    return v.fact6_effects(study())


def fact_table() -> str:
    """Every measured effect, one line each (the source of docs/evidence.md's status table and the xfail reasons)."""
    return "\n".join(v.reform_fact_lines(study()))


# --------------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def fact1():
    return {regime: fact1_loss(regime) for regime in SEVERITY}


def test_fact1_storage_only_already_costs_the_implementers(fact1):
    assert fact1[Regime.STORAGE_COPY].positive(), str(fact1[Regime.STORAGE_COPY])


FACT1_FAILING: dict[tuple[Regime, Regime], str] = {
    (Regime.STORAGE_COPY, Regime.CONDITIONAL): (
        "at the adopted calibration (data/calibration.yaml): -1.45 pp [-2.12, -0.79], 1/16 pairs > 0; at the declared "
        "defaults with the audited data of "
        "issue 16: -1.40 pp [-1.65, -1.15], 0/16 pairs > 0; before: "
        "conditional minus storage copy -1.52 pp [-1.84, -1.21], 0/16 pairs > 0 (loss of storage copy +2.65 % "
        "[+2.27, +3.03], of conditional +1.12 % [+0.71, +1.53]) once the transfer wedge falls on the data that "
        "crosses for a sale (a firm's own data on a foreign cloud pays cloud_transfer_share = 0.1 of it) and the "
        "hosting market binds (a local copy raises local demand and prices); +3.92 pp [+3.52, +4.33] while the whole "
        "wedge was charged on all own data on a foreign cloud. The evidence ranks storage-only rules mildest by "
        "restrictiveness; in cost terms a mandatory local copy of every data category now costs more than "
        "conditional transfers"
    ),
}
"""Fact 1 steps that fail, with their measured values (6,000 agents, 16 pairs; storage + conditional minus
conditional +6.72 pp [+6.28, +7.16] and storage ban minus storage + conditional +5.58 pp [+5.09, +6.07] pass, with
trust among origins, the hosting market and supply chains; they were xfail at -0.19 and -0.20 pp before)."""


def _fact1_pairs():
    for milder, stricter in itertools.pairwise(SEVERITY):
        why = FACT1_FAILING.get((milder, stricter))
        marks = []
        if why:
            reason = f"measured (6,000 agents, 16 pairs, seeds 20000-20015, steps 2-21; CHL, XEA, QAT): {why}"
            marks = [pytest.mark.xfail(strict=False, reason=reason)]
        yield pytest.param(milder, stricter, marks=marks, id=f"{milder}-{stricter}")


@pytest.mark.parametrize(("milder", "stricter"), list(_fact1_pairs()))
def test_fact1_losses_rise_with_severity(fact1, milder, stricter):
    step = Effect(fact1[stricter].values - fact1[milder].values, "pp")
    assert step.positive(), (str(fact1[milder]), str(fact1[stricter]), str(step))


@pytest.fixture(scope="module")
def fact2():
    return fact2_effects()


# measured +1.49 % [+1.19, +1.80], 15/16 pairs > 0 at the adopted calibration (data/calibration.yaml); +1.06 %
# [+0.77, +1.36], 16/16 with the audited data of issue 16 at the declared defaults; +1.03 % [+0.76, +1.30],
# 16/16 pairs > 0 (6,000 agents, seeds 20000-20015, steps 2-21) with trust among
# origins, the hosting market and supply chains; +0.19 % [-0.04, +0.42] (an xfail) before them; +0.75 % [+0.26, +1.25]
# at χ_s = 2
def test_fact2_partial_localisation_costs_the_implementer_0_1_to_2_percent(fact2):
    assert fact2["loss"].within(BAND_FACT2_LOSS), str(fact2["loss"])


@pytest.mark.xfail(
    strict=False,
    reason="measured (6,000 agents, 16 pairs, seeds 20000-20015, steps 2-21) with the audited data of issue 16 "
    "(declared defaults): real investment +25.7 % "
    "[+22.3, +29.1], gap -26.8 pp [-30.0, -23.5]; at the adopted calibration (data/calibration.yaml): real investment "
    "+26.4 % [+22.5, +30.4], gap "
    "-27.9 pp [-31.8, -24.0]; before, with the hosting market that binds: "
    "Brazil's real investment rises +26.1 % [+22.4, +29.8] while real output falls -1.03 % [-1.30, -0.76] (gap "
    "-27.1 pp [-30.9, -23.3]): the local providers' capital built for the mandated demand (k_h = 10 steps of "
    "revenue) outweighs the fall of R&D and in-house capex. Before hosting capital counted, real investment fell "
    "-1.05 % [-1.33, -0.78], more than output. A finding to report (localisation does build local hosting "
    "capital, in the model at an assumed capital intensity), not to tune away (issue 14, item 4)",
)
def test_fact2_investment_falls_more_than_output(fact2):
    assert Effect(-fact2["real_investment"].values).positive(), str(fact2["real_investment"])
    assert fact2["investment_gap"].positive(), (str(fact2["real_output"]), str(fact2["real_investment"]))


@pytest.fixture(scope="module")
def fact3():
    return fact3_effects()


@pytest.mark.xfail(
    strict=False,
    reason="measured (6,000 agents, 16 pairs, seeds 20000-20015, steps 2-21) with the audited data of issue 16 "
    "(declared defaults): data-light minus "
    "data-intensive gap +1.07 pp [-2.28, +4.41], 10/16 pairs > 0 (at the adopted calibration (data/calibration.yaml): "
    "+2.55 pp [-2.05, +7.14], 8/16; +0.69 pp with the audited GDP and population "
    "alone); +3.34 pp [+0.88, +5.80], a pass, with the data before: not robust to the data, as it was not to the "
    "implementers (-9.66 pp with the USA as implementer at an earlier model)",
)
def test_fact3_effects_concentrate_in_data_intensive_sectors(fact3):
    assert fact3["sectors"].positive(), str(fact3["sectors"])


@pytest.mark.xfail(
    strict=False,
    reason="at the adopted calibration (data/calibration.yaml): +0.42 pp [-0.35, +1.19], 11/16 pairs > 0; at the "
    "declared defaults with the audited "
    "data of issue 16: +0.27 pp [-0.25, +0.78], 11/16 pairs > 0; before: "
    "+0.61 pp [-0.42, +1.65], 11/16 pairs > 0 (6,000 agents, seeds 20000-20015, by step 21) with "
    "trust among origins, the hosting market and supply chains; +1.33 pp [+0.45, +2.21] before them, +0.62 pp "
    "[-0.17, +1.42] with the knowledge stock alone: at the edge of detection",
)
def test_fact3_effects_concentrate_in_small_firms(fact3):
    assert fact3["size"].positive(), str(fact3["size"])


@pytest.fixture(scope="module")
def fact4():
    return fact4_gain()


def test_fact4_adequacy_raises_bilateral_dds_trade(fact4):
    assert fact4.positive(), str(fact4)


@pytest.mark.xfail(
    strict=False,
    reason="at the adopted calibration (data/calibration.yaml): +29.0 % [+21.7, +36.2], 16/16 pairs > 0; at the "
    "declared defaults with the audited "
    "data of issue 16: +31.8 % [+15.6, +48.1], 16/16 pairs > 0; before: "
    "+26.0 % [+15.1, +37.0], 16/16 pairs > 0 (trust among origins, hosting market, supply chains); "
    "+37.3 % [+27.6, +47.0] with bans that oblige, knowledge stock, chi_s 0.3; earlier: "
    "measured (6,000 agents, 16 pairs, seeds 20000-20015, steps 2-21): EU-BRA/MEX/COL/CHL/PER dds trade "
    "+39.9 % [+23.7, +56.2], 16/16 pairs > 0 at χ_s = 0.3 (+20.8 % [+9.6, +32.0] at χ_s = 2, +31.2 % [+14.0, "
    "+48.5] before buyers could buy inputs at home), "
    "against +6-14 %: "
    "kappa_conditional is set so that adequacy cuts digital trade costs by ~9 % (the CITP paper's cost equivalent), "
    "and with sigma = 5 (trade elasticity 4) a 9 % cost cut raises trade by ~25-40 %; the paper's 6-14 % and 'up to "
    "9 %' imply a trade elasticity of ~1.5",
)
def test_fact4_adequacy_raises_bilateral_dds_trade_by_6_to_14_percent(fact4):
    assert fact4.within(BAND_FACT4_GAIN), str(fact4)


@pytest.fixture(scope="module")
def fact5():
    return fact5_effects()


@pytest.mark.xfail(
    strict=False,
    reason="at the adopted calibration (data/calibration.yaml): +1.27 pp [-0.24, +2.79], 10/16 pairs > 0; at the "
    "declared defaults with the audited "
    "data of issue 16: +0.44 pp [-1.13, +2.01], 10/16 pairs > 0; before: "
    "+0.28 pp [-1.87, +2.42], 9/16 pairs > 0 (trust among origins, hosting market, supply chains; "
    "rehosted +0.32 pp [-0.09, +0.74] now that a transfer condition can move a firm's hosting); +0.05 pp [-1.75, "
    "+1.85] with bans that oblige, knowledge stock, chi_s 0.3; "
    "earlier: measured (6,000 agents, 16 pairs, seeds 20000-20015, by step 21; CHL, XEA, QAT adopt conditional "
    "transfers): excess share of exposed firms that withdrew from a market, exited or changed hosting +0.10 pp "
    "[-1.19, +1.40], 9/16 pairs > 0 at χ_s = 0.3 (withdrew +0.05, exited -0.10, rehosted +0.12; +0.70 pp [-0.78, "
    "+2.17] at χ_s = 2), against 10-15 %: about 93 % of "
    "the exposed firms already sell to a market with transfer conditions at step 0 (the status quo is conditional "
    "almost everywhere), a transfer condition never makes a firm change its hosting, and the baseline's own churn "
    "(about 10 % withdraw and 16 % exit in five years) swamps the rest; with the USA as implementer -0.83 pp "
    "[-2.56, +0.91], on seeds 21000-21015 +0.54 pp [-0.56, +1.64]",
)
def test_fact5_just_over_10_percent_of_exposed_firms_limit_services_leave_or_change_operations(fact5):
    assert fact5["response"].within(BAND_FACT5_SHARE), str(fact5["response"])


# measured (same runs) at the adopted calibration (data/calibration.yaml): +1.51 pp [+0.01, +3.02], 10/16 pairs > 0,
# a bare pass; an xfail before it: +0.30 pp [-1.28, +1.88] at the declared defaults with the audited data of issue
# 16, +0.49 pp [-1.53, +2.51] with trust, the hosting market and supply chains (the response is small to split)
def test_fact5_exits_are_only_part_of_the_response(fact5):
    assert fact5["non_exit"].positive(), (str(fact5["response"]), str(fact5["non_exit"]))


@pytest.fixture(scope="module")
def fact6():
    return fact6_effect()


@pytest.mark.xfail(
    strict=False,
    reason="at the adopted calibration (data/calibration.yaml): +12.7 pp [-8.5, +33.8], 9/16 pairs > 0; at the "
    "declared defaults with the audited "
    "data of issue 16: -0.12 pp [-11.00, +10.76], 8/16 pairs > 0; before: "
    "-7.06 pp [-13.71, -0.42], 5/16 pairs > 0 (status quo +21.2 %, connected +14.2 %; trust among "
    "origins, hosting market, supply chains); -9.1 pp [-19.1, +0.9] with bans that oblige, knowledge stock, chi_s "
    "0.3; earlier: measured (6,000 agents, 16 pairs, seeds 20000-20015, "
    "steps 2-21): "
    "response of intra-African dds trade "
    "to an African transfer-waiver club +11.5 % [+8.8, +14.1] in the status quo and +14.8 % [+10.7, +19.0] with 90 % "
    "internet use and full payment interoperability; difference +3.4 pp [-1.9, +8.7], 10/16 pairs > 0 at χ_s = 0.3 "
    "(+4.2 pp [-1.2, +9.6] at χ_s = 2; before "
    "buyers could buy inputs at home: -1.3 pp [-7.1, +4.4]; each channel alone lowered the response: where "
    "intra-African trade is already larger, the waiver raises it proportionally less); not yet diagnosed",
)
def test_fact6_connectivity_and_payment_interop_raise_africa_response(fact6):
    assert fact6["difference"].positive(), (str(fact6["status_quo"]), str(fact6["connected"]))

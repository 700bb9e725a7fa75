"""Stylised facts of evidence.md as paired statistical tests (common random numbers: same seed, base vs reform).

Each fact is checked on the small world over several paired replicates; a fact holds when the mean paired
difference has the stated sign and is at least two standard errors away from zero (or every pair agrees).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_model_fixtures import open_state, pair_events, regime_events, schedule, small_world

from simulator.model import DataFlowModel
from simulator.scenario.taxonomy import Regime

N_FIRMS = 1500
STEPS = 10
REPS = 5
IMPLEMENTERS = ("BRA", "ZAF", "IND")
HIGH_DATA = ("ict_digital", "finance_payments", "business_services")
LOW_DATA = ("agri_mining", "manufacturing", "logistics")


NOISY = pytest.mark.xfail(
    reason="direction not yet clear over 5 paired replicates: heavy-tailed firm revenue makes paired runs diverge "
    "(variance reduction / calibration pending)",
    strict=False,
)


@pytest.fixture(scope="module")
def world():
    return small_world()


def run(world, state, events=(), seed=0, params=None):
    return DataFlowModel(world, schedule(state, tuple(events)), params=params, n_firms=N_FIRMS, rng=seed).run(STEPS)


def tail_mean(model, metric, level, group, start=STEPS // 2):
    df = model.metrics_frame()
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group) & (df["step"] >= start)]
    return float(np.nanmean(sel["value"].to_numpy(dtype=float)))


def clearly(diffs, sign):
    d = np.asarray(diffs, dtype=float) * sign
    se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.inf
    return bool(d.mean() > 0 and (d.mean() > 2 * se or (d > 0).all()))


@pytest.fixture(scope="module")
def severity_losses(world):
    """World output loss (%) when three economies adopt each regime for every category and sector."""
    base_state = open_state(world)
    out = {}
    bases = [run(world, base_state, seed=s) for s in range(REPS)]
    base_out = [tail_mean(b, "real_output", "world", "world") for b in bases]
    for regime in (Regime.STORAGE_COPY, Regime.CONDITIONAL, Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN):
        ev = sum((regime_events(world, c, regime) for c in IMPLEMENTERS), ())
        losses = []
        for s in range(REPS):
            r = tail_mean(run(world, base_state, ev, seed=s), "real_output", "world", "world")
            losses.append(100 * (base_out[s] - r) / base_out[s])
        out[regime] = np.array(losses)
    return out


@NOISY
def test_fact1_losses_rise_with_severity(severity_losses):
    order = (Regime.STORAGE_COPY, Regime.CONDITIONAL, Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN)
    assert clearly(severity_losses[Regime.STORAGE_COPY], +1)
    for lo, hi in itertools.pairwise(order):
        assert clearly(severity_losses[hi] - severity_losses[lo], +1), (lo, hi, severity_losses)


@NOISY
def test_fact2_unilateral_localisation_costs_output_and_investment_falls_more(world):
    base_state = open_state(world)
    ev = regime_events(world, "BRA", Regime.STORAGE_CONDITIONAL)
    d_out, d_inv = [], []
    for s in range(REPS):
        b, r = run(world, base_state, seed=s), run(world, base_state, ev, seed=s)
        ob, orf = tail_mean(b, "output", "economy", "BRA"), tail_mean(r, "output", "economy", "BRA")
        ib, irf = tail_mean(b, "investment", "economy", "BRA"), tail_mean(r, "investment", "economy", "BRA")
        d_out.append(100 * (orf - ob) / ob)
        d_inv.append(100 * (irf - ib) / ib)
    d_out, d_inv = np.array(d_out), np.array(d_inv)
    assert clearly(d_out, -1), d_out
    assert -5.0 < d_out.mean() < -0.05, d_out
    assert clearly(d_out - d_inv, +1), (d_out, d_inv)  # investment falls more


@NOISY
def test_fact3_effects_concentrate_in_data_intensive_sectors_and_small_firms(world):
    base_state = open_state(world)
    ev = sum((regime_events(world, c, Regime.CONDITIONAL) for c in ("USA", "EUU", "CHN")), ())
    gap_sector, gap_size = [], []
    for s in range(REPS):
        b, r = run(world, base_state, seed=s), run(world, base_state, ev, seed=s)

        def pct(level, groups, b=b, r=r):
            x0 = sum(tail_mean(b, "exports", level, g) for g in groups)
            return 100 * (sum(tail_mean(r, "exports", level, g) for g in groups) - x0) / x0

        gap_sector.append(pct("sector", LOW_DATA) - pct("sector", HIGH_DATA))
        gap_size.append(pct("size", ("large",)) - pct("size", ("micro", "small")))
    assert clearly(gap_sector, +1), gap_sector
    assert clearly(gap_size, +1), gap_size


def club_exports(model, members):
    idx = np.array([model.world.index_of(c) for c in members])
    tr, f = model.trade, model.firms
    o = f.economy[tr.sales_seller]
    inside = np.isin(o, idx) & np.isin(tr.sales_dest, idx) & (o != tr.sales_dest)
    return tr.sales_revenue[inside].sum()


def test_fact4_clubs_raise_trade_between_members(world):
    members = ["BRA", "ARG", "MEX", "CHL"]
    state = open_state(world)
    state.regime[:] = 2  # conditional everywhere
    ev = pair_events(world, members, "transfer_waiver", 1.0)
    gains = []
    for s in range(REPS):
        b, r = run(world, state, seed=s), run(world, state, ev, seed=s)
        gains.append(100 * (club_exports(r, members) / club_exports(b, members) - 1))
    assert clearly(gains, +1), gains


def test_fact5_most_firms_absorb_compliance_costs_a_minority_withdraw(world):
    base_state = open_state(world)
    ev = sum((regime_events(world, c, Regime.CONDITIONAL) for c in ("USA", "EUU")), ())
    excess = []
    for s in range(REPS):
        b, r = run(world, base_state, seed=s), run(world, base_state, ev, seed=s)
        excess.append(
            tail_mean(r, "withdrawn_share", "world", "world", STEPS)
            - tail_mean(b, "withdrawn_share", "world", "world", STEPS)
        )
        exporters = tail_mean(r, "export_participation", "world", "world", STEPS)
        assert exporters > 0
    excess = np.array(excess)
    assert clearly(excess, +1), excess
    assert excess.mean() < 0.5 * tail_mean(b, "export_participation", "world", "world", 0)


@NOISY
def test_fact6_connectivity_and_payment_interop_condition_africa_response(world):
    africa = [c for c in world.iso3 if world.economies.loc[c, "region"] == "AFR"]
    state = open_state(world)
    state.regime[:] = 2
    state.payment_interop[:] = 0.0
    connected = state.copy()
    for c in africa:
        connected.internet_users_pct[world.index_of(c)] = 90.0
    for a in africa:
        for b in africa:
            if a != b:
                connected.payment_interop[world.index_of(a), world.index_of(b)] = 1.0
    ev = pair_events(world, africa, "transfer_waiver", 1.0)
    diff = []
    for s in range(REPS):
        low = club_exports(run(world, state, ev, seed=s), africa) - club_exports(run(world, state, seed=s), africa)
        high = club_exports(run(world, connected, ev, seed=s), africa) - club_exports(
            run(world, connected, seed=s), africa
        )
        diff.append(high - low)
    assert clearly(diff, +1), diff

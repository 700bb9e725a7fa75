"""The income closure: labour markets, spending from income, income from value added; the burn-in calibrating it.

Income closes the model: each step an economy spends what it earned the step before (plus money it could not spend
and its trade imbalance), its firms' value added is its income, and wages clear its labour market against a fixed
endowment. Before step 0, ``burn_in`` calibrates wages and endowments so that each economy's income share is its GDP
share (the data), then lets the baseline settle. Every function takes the model and writes only the closure's own
public state on it (``wage``, ``labour``, ``income``, ``carry``, ``spending``, ``balance``, ``debt``, ``omega``,
``trade_volume``, ``trade_ref``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model import entry_exit
from simulator.model.innovation import InnovationResult
from simulator.model.numerics import alive_sums
from simulator.model.population import size_class
from simulator.world.world import World

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


def balance_shares(world: World) -> np.ndarray:
    """b_d: each economy's published deficit on goods and services as a share of world GDP, ``(c,)``, Σ b_d = 0.

    b_d = −(external balance, % of GDP)_d / 100 · GDP_d / Σ GDP, from the world column ``external_balance_pct_gdp``
    (WDI NE.RSB.GNFS.ZS) where the data have it; an economy without a value is balanced (0), and the column being
    absent makes every economy balanced. The positive and negative parts are scaled to the smaller side so that
    Σ b_d = 0 (the published balances of the modelled economies need not sum to zero).
    """
    econ = world.economies
    gdp = econ["gdp_usd"].to_numpy(dtype=float)
    if "external_balance_pct_gdp" not in econ:
        return np.zeros(gdp.size)
    pct = econ["external_balance_pct_gdp"].to_numpy(dtype=float)
    raw = np.where(np.isfinite(pct), -pct / 100.0, 0.0) * gdp / gdp.sum()
    return cancel_imbalances(raw)


def cancel_imbalances(raw: np.ndarray) -> np.ndarray:
    """Scale the positive and the negative imbalances to the smaller side's total, so that they sum to 0.

    All zero when one side is empty (no deficit can exist without a surplus).
    """
    pos, neg = raw[raw > 0].sum(), -raw[raw < 0].sum()
    if pos <= 0 or neg <= 0:
        return np.zeros_like(raw)
    return np.where(raw > 0, raw * min(1.0, neg / pos), raw * min(1.0, pos / neg))


# --- each step --------------------------------------------------------------------------------------------------------


def labour_demand(model: DataFlowModel) -> np.ndarray:
    """Labour demand per economy: (income − profits) / wage, the wage bill its firms paid, in wage units."""
    f = model.firms
    profit = alive_sums(f.economy, f.profit * f.weight, f.alive, model.n_economies)
    return np.maximum(model.income - profit, 0.0) / model.wage


def clear_labour_markets(model: DataFlowModel) -> None:
    """Wages respond to excess labour demand: w_d ← w_d · (LD_d / L_d)^λ, then the numeraire is restored.

    The numeraire is the world wage bill at the endowments, Σ w_d L_d (held at its burn-in value): wages are
    rescaled by ω = Σ w̃ L / Σ w L, and last step's income and unspent money are expressed in the new unit
    (divided by ω), so world nominal income in numeraire units responds to policy.
    """
    if model.labour is None:
        return
    ld = labour_demand(model)
    ratio = np.divide(ld, model.labour, out=np.ones_like(ld), where=model.labour > 0)
    trial = model.wage * np.clip(ratio, 0.5, 2.0) ** model.params["wage_adjustment_rate"]
    omega = float(np.sum(trial * model.labour) / np.sum(model.wage * model.labour))
    model.omega = omega
    model.wage = trial / omega
    model.income = model.income / omega
    model.carry = model.carry / omega


def set_spending(model: DataFlowModel) -> None:
    """E_d = income_d + unspent_d + B_d: last step's income and money not spent, plus the trade imbalance.

    B_d = b_d · g_d · Σ income, with b_d the published deficit share of world income (``balance_shares``) and
    g_d = min(1, T_d / T_d^ref) the economy's trade relative to the burn-in (a deficit cannot be financed
    without trade); positive and negative B are then scaled to the smaller side so that Σ B_d = 0. Spending is
    at least half of income.
    """
    world = float(model.income.sum())
    raw = model.balance_share * world
    if model.trade_ref is not None:
        ref = model.trade_ref
        g = np.divide(model.trade_volume, ref, out=np.zeros_like(ref), where=ref > 0)
        raw = raw * np.minimum(g, 1.0)
    raw = np.maximum(raw, -0.5 * model.income)
    raw = cancel_imbalances(raw)
    model.balance = raw
    spending = model.income + model.carry + raw
    # an economy whose income and money are negative cannot spend: it spends nothing and carries the debt
    model.debt = np.minimum(spending, 0.0)
    model.spending = spending - model.debt


def absorption_spending(model: DataFlowModel) -> None:
    """Burn-in only (first third): spending is the published absorption, E_d = Σ income · (GDP share_d + b_d)."""
    world = float(model.income.sum() + model.carry.sum())
    model.balance = model.balance_share * world
    model.spending = world * model.gdp_share + model.balance
    model.debt = np.zeros(model.n_economies)


def close_income(model: DataFlowModel) -> None:
    """After trade: income_d = Σ weight · value added of d's firms; what was not spent is carried.

    Spending not sold and intermediate spending no supplier could take are carried to the next step. Also keeps
    the economy's trade volume (exports + imports) for the imbalance rule.
    """
    f, tr = model.firms, model.trade
    model.income = alive_sums(f.economy, model.accounts.value_added * f.weight, f.alive, model.n_economies)
    model.carry = model.spending - tr.final_sales_by_cell.sum(axis=1) + tr.unplaced_inputs + model.debt
    model.trade_volume = tr.exports_by_economy + tr.imports_by_economy


def income_scale(model: DataFlowModel) -> np.ndarray:
    """Each economy's income relative to its income at construction (entrants' first-step revenue scales with it).

    0 where income is not positive: an entrant's first input purchases then cannot exceed what its economy earns.
    """
    return np.divide(
        np.maximum(model.income, 0.0), model.income0, out=np.zeros(model.n_economies), where=model.income0 > 0
    )


# --- the burn-in ------------------------------------------------------------------------------------------------------


def share_step(model: DataFlowModel, share_avg: np.ndarray) -> np.ndarray:
    """(smoothed income share / GDP share)^λ_b, the ratio clipped to [0.5, 2], GDP-weighted geometric mean 1."""
    ratio = np.clip(share_avg / model.gdp_share, 0.5, 2.0)
    step = ratio ** model.params["wage_calibration_rate"]
    return step / np.exp(np.sum(model.gdp_share * np.log(step)))


def burn_in(model: DataFlowModel) -> None:
    """Bring the baseline to a steady state before step 0, under the initial policy (no events are applied).

    ``burn_in_steps`` runs of the step's economy stages (``stages.ECONOMY``) in three phases:

    1. *Wages* (the first third): spending is the published absorption (``absorption_spending``), and each wage
       moves toward the level at which the economy's income share is its GDP share, w_d ← w_d · (s_Y,d /
       s_GDP,d)^λ_b (``share_step``: an economy that earns less than its GDP share becomes cheaper and sells more;
       the data's GDP shares are reproduced, as in exact-hat-algebra trade models, not a policy response). The mean
       labour demand of the phase's last quarter becomes the labour endowment L_d.
    2. *Endowments* (up to the last quarter): the income closure is on (``set_spending``), wages clear labour markets
       (``clear_labour_markets``), and L_d ← L_d / (s_Y,d / s_GDP,d)^λ_b (more labour at a given wage bill means a
       lower wage and more sales).
    3. *Settling* (the last quarter): nothing is calibrated; the mean trade of these steps is the reference trade
       T_d^ref of the imbalance rule.

    Income shares in the calibration are smoothed over steps (an exponential average with weight ½) so that one
    firm's good or bad step does not move an economy's wage. The step counter stays at 0: entrants of the burn-in,
    born at step 1, are drawn as suppliers from step 0 on (letting the counter run left export participation
    ≈ 0.54 at step 0 drifting to 0.46 over ten years, against ≈ 0.42–0.43 and steady). Counters are then reset
    (every firm alive counts as born at step 0), the reference margins of entry are the cells' margins over the
    settling steps (``entry_exit.reference_margin``: one step's margin was at the mercy of a bad step), and one
    trade pass with no hosting reconsidered gives every firm alive, the burn-in's last entrants included, the
    accounts of step 0.
    """
    from simulator.model import stages

    p = model.params
    n = int(p["burn_in_steps"])
    n_wage = n // 3
    n_settle = max(1, n // 4) if n > 0 else 0
    labour, trade = [], []
    settle_profit, settle_revenue = 0.0, 0.0
    share_avg = model.income / model.income.sum()
    model.collecting = False
    for b in range(n):
        model.rng = np.random.default_rng([model.stream_key, 0, b])
        if b < n_wage:
            model.wage = model.wage * share_step(model, share_avg)
        else:
            if model.labour is None:
                model.labour = np.mean(labour, axis=0) if labour else labour_demand(model)
            if b < n - n_settle:
                model.labour = model.labour / share_step(model, share_avg)
            clear_labour_markets(model)
        stages.run(model, stages.BURN_IN_WAGES if b < n_wage else stages.ECONOMY)
        share = np.maximum(model.income, 0.0) / max(float(model.income.sum()), np.finfo(float).tiny)
        share_avg = 0.5 * share_avg + 0.5 * share
        if b < n_wage and b >= n_wage - max(1, n_wage // 4):
            labour.append(labour_demand(model))
        if b >= n - n_settle:
            trade.append(model.trade_volume)
            prof, rev = entry_exit.cell_sums(model)
            settle_profit, settle_revenue = settle_profit + prof, settle_revenue + rev
    if model.labour is None:
        model.labour = labour_demand(model)
    model.trade_ref = np.mean(trade, axis=0) if trade else model.trade_volume.copy()
    f = model.firms
    f.born[f.alive] = 0
    f.withdrew[:] = False
    model.network.mk_born[:] = 0
    model.withdrawals[:] = 0.0
    model.entry_charges[:] = 0.0
    model.exiting = np.zeros(f.capacity, bool)
    if n_settle > 0:
        shape = (model.n_economies, model.n_sectors)
        model.margin0 = entry_exit.reference_margin(settle_profit, settle_revenue, shape, p)
    else:
        model.margin0 = entry_exit.cell_margin(model)
    model.prev_phi = f.phi.copy()
    model.rng = np.random.default_rng([model.stream_key, 0, n])
    if n > 0:
        set_spending(model)
        stages.trade_pass(model, np.zeros(f.capacity, bool))
        close_income(model)
        f.revenue = model.accounts.revenue.copy()
        f.profit = model.accounts.profit.copy()
        f.size = size_class(f.revenue, model.money_scale, p)
        model.innovation = InnovationResult(
            phi=f.phi.copy(), innovated=np.zeros(f.capacity, bool), rd=np.zeros(f.capacity)
        )

"""A lower bound on the step time of any implementation of the model's trade rules, on this machine.

Run on purpose, never from the tests:

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/floor.py --firms 100000

The model is built and stepped (full world, baseline policy); then, on its own network and firm state, three passes
that do a strict subset of the work every step must do are timed, each written as tightly as we know how:

1. **prices**: the delivered price of every link (market links, then filled supplier slots of buyers alive) as
   markup · u_i times a per-link cost factor τ (1 + W) that is assumed cached from the previous step (the model
   cannot cache it: W depends on the local hosting price, which moves every step). One gather of the seller per link.
2. **weights**: p^(1−σ) on market links and q^(−1/μ) on supplier links, numpy's vectorised log and exp (the
   fastest form measured here; numba's scalar exp/log are ≈ 15× slower per element).
3. **flows**: CES pools per destination cell (each offer times its seller's agent weight), each market link's
   revenue, each buyer's logit split of its intermediate spending (over ω_j q_j^(−1/μ), ω the agents' weights), and
   revenue per firm (one scattered addition per link).

Together they give revenue per firm, which is checked against the model's own trade kernels on the same state
(``trade.trade_terms`` + ``trade.trade_flows``, relative difference ≤ 1e-9). They leave out everything else a
step does: the cost terms of each link, the hosting choice, accounts (per-seller sums of costs, served markets, fixed
compliance), innovation and spillovers, market and supplier search, entry and exit, and every metric. Buffers are
allocated once and reused, and each pass is timed alone (its inputs are warm in the caches), so the bound is
optimistic. The model's step is timed in the same process for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numba as nb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import positive_int  # noqa: E402
from simulator.model import DataFlowModel, stages  # noqa: E402
from simulator.model.trade import TradeLinks, market_option, trade_flows, trade_terms  # noqa: E402
from simulator.world import PolicySchedule, baseline_state, load_world  # noqa: E402


@nb.njit(cache=True)
def floor_prices(mk_firm, sup, alive, offer_base, factor, price):  # pragma: no cover - compiled
    """price[k] = offer_base[seller] · factor[k], market links then filled supplier slots of buyers alive."""
    k = 0
    for t in range(mk_firm.size):
        price[k] = offer_base[mk_firm[t]] * factor[k]
        k += 1
    cap, m = sup.shape
    for b in range(cap):
        if alive[b]:
            for j in range(m):
                s = sup[b, j]
                if s >= 0:
                    price[k] = offer_base[s] * factor[k]
                    k += 1


@nb.njit(cache=True)
def floor_flows(
    mk_firm, mk_dest, economy, sector, sup, alive, weight, e_open, e_home, spend, n_s, mass_open, mass_home, revenue,
    fw, market,
):  # pragma: no cover - compiled  # fmt: skip
    """CES pools and market revenue, logit split of buyers' spending, revenue per firm (into ``revenue``).

    ``fw`` is each slot's agent weight (the real firms it stands for). Revenue is per real firm: an offer adds
    ω_i x to its pool and earns e x / mass; buyer b's spending per real firm, split ∝ ω_j w_j, earns supplier j
    spend_b ω_b w_j / (Σ_j' ω_j' w_j' + W_d) per real firm (the model's fl · ω_b / ω_j, with one division less; W_d
    is the weight of the buyer economy's market at large).
    """
    mass_open[:] = 0.0
    mass_home[:] = 0.0
    revenue[:] = 0.0
    n_mk = mk_firm.size
    for k in range(n_mk):
        i = mk_firm[k]
        c = mk_dest[k] * n_s + sector[i]
        xw = weight[k] * fw[i]
        mass_open[c] += xw
        if economy[i] == mk_dest[k]:
            mass_home[c] += xw
    for k in range(n_mk):
        i = mk_firm[k]
        c = mk_dest[k] * n_s + sector[i]
        r = e_open[c] * weight[k] / mass_open[c] if mass_open[c] > 0 else 0.0
        if economy[i] == mk_dest[k] and mass_home[c] > 0:
            r += e_home[c] * weight[k] / mass_home[c]
        revenue[i] += r
    cap, m = sup.shape
    k = n_mk
    for b in range(cap):
        if not alive[b]:
            continue
        w_sum = 0.0
        k0 = k
        for j in range(m):
            s = sup[b, j]
            if s >= 0:
                w_sum += weight[k] * fw[s]
                k += 1
        w_sum += market[economy[b]]
        if w_sum > 0:
            x = spend[b] * fw[b] / w_sum
            k = k0
            for j in range(m):
                s = sup[b, j]
                if s >= 0:
                    revenue[s] += x * weight[k]
                    k += 1


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def measure_floor(n_firms: int, steps: int, seed: int, repeats: int) -> dict[str, float]:
    """Build and step the model, then time the floor passes on its state; see the module docstring."""
    world = load_world()
    schedule = PolicySchedule(baseline_state(world), horizon=2 * steps + 5)
    DataFlowModel(world, PolicySchedule(baseline_state(world), horizon=5), n_firms=1000, rng=seed).run(2)
    model = DataFlowModel(world, schedule, n_firms=n_firms, rng=seed)
    model.run(3)
    step_times = []
    for _ in range(steps):
        t = time.perf_counter()
        model.run(1)
        step_times.append(time.perf_counter() - t)
    # the trade pass of the current state (entrants of the last step included, nobody re-choosing hosting), so that
    # unit costs and previous revenues are those the next step's trade starts from
    stages.trade_pass(model, np.zeros(model.firms.capacity, np.bool_))
    f, net, p = model.firms, model.network, model.params
    sigma, mu = p["sigma"], p["mu"]
    n_c, n_s = model.demand.shape
    table = model.tables.trade
    e_open = (model.demand * model.tradability[None, :]).ravel()
    e_home = (model.demand * (1.0 - model.tradability[None, :])).ravel()

    def model_trade():
        """The model's own two trade kernels and the numpy weights between them, as ``trade.trade_step``."""
        arrays = f.arrays()
        seller, dest, rows, link_delta, feas, price, _, _ = trade_terms(
            net.mk_firm,
            net.mk_dest,
            net.sup,
            arrays,
            model.unit_cost,
            table,
            model.local_price,
            n_c=n_c,
            n_s=n_s,
            ban_threshold=p["ban_dependence_threshold"],
            sigma=sigma,
        )
        weight = np.log(price, out=price)
        nm = net.mk_firm.size
        weight[:nm] *= 1.0 - sigma
        np.divide(weight[nm:], -mu, out=weight[nm:])
        np.exp(weight, out=weight)
        out = trade_flows(
            TradeLinks(seller=seller, dest=dest, row=rows, delta=link_delta, n_market=nm),
            weight,
            feas,
            arrays,
            net.sup,
            f.revenue,
            e_open=e_open,
            e_home=e_home,
            inter_share=model.intermediate_share,
            market=market_option(f, model.unit_cost, model.costs, p),
            n_c=n_c,
            n_s=n_s,
            sigma=sigma,
            cap=f.capacity,
        )
        return feas, out[5]

    feas, revenue_model = model_trade()
    # the cached per-link cost factor, from the terms of the model's trade pass above (the same links; infeasible
    # links priced at +inf, so their weight is exactly 0)
    tr = model.trade
    factor = np.where(feas, tr.sales_tau * (1.0 + tr.sales_wedge) * tr.sales_trust, np.inf)
    offer_base = sigma / (sigma - 1.0) * model.unit_cost
    nm = int(net.mk_firm.size)
    n_links = factor.size
    expo = np.full(n_links, -1.0 / mu)
    expo[:nm] = 1.0 - sigma
    spend = model.intermediate_share[f.sector] * (sigma - 1.0) / sigma * f.revenue
    price = np.empty(n_links)
    weight = np.empty(n_links)
    mass_open, mass_home = np.zeros(n_c * n_s), np.zeros(n_c * n_s)
    revenue = np.zeros(f.capacity)
    market = market_option(f, model.unit_cost, model.costs, p)

    def prices():
        floor_prices(net.mk_firm, net.sup, f.alive, offer_base, factor, price)

    def weights():
        np.log(price, out=weight)
        np.multiply(weight, expo, out=weight)
        np.exp(weight, out=weight)

    def flows():
        floor_flows(
            net.mk_firm, net.mk_dest, f.economy, f.sector, net.sup, f.alive, weight, e_open, e_home, spend, n_s,
            mass_open, mass_home, revenue, f.weight, market,
        )  # fmt: skip

    prices()
    weights()
    flows()
    alive = f.alive
    err = np.abs(revenue[alive] - revenue_model[alive]) / np.maximum(np.abs(revenue_model[alive]), 1e-300)
    max_rel = float(err.max())
    if max_rel > 1e-9:
        raise RuntimeError(f"floor passes disagree with the model's trade kernels: max relative difference {max_rel}")
    rng = np.random.default_rng(seed)
    out = {
        "firms": n_firms,
        "firms_alive": int(alive.sum()),
        "market_links": nm,
        "supplier_links": n_links - nm,
        "step_ms": 1000 * float(np.median(step_times)),
        "model_trade_ms": _median_ms(model_trade, repeats),
        "floor_prices_ms": _median_ms(prices, repeats),
        "floor_weights_ms": _median_ms(weights, repeats),
        "floor_flows_ms": _median_ms(flows, repeats),
        "draws_ms": _median_ms(lambda: rng.random(f.capacity), repeats),
        "max_rel_diff": max_rel,
    }
    out["floor_ms"] = out["floor_prices_ms"] + out["floor_weights_ms"] + out["floor_flows_ms"]
    out["budget_10M_ms"] = 1000 * n_firms / 10e6
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=positive_int, default=100_000)
    parser.add_argument("--steps", type=positive_int, default=10, help="model steps timed (after 3 untimed)")
    parser.add_argument("--repeats", type=positive_int, default=30, help="timed calls of each floor pass")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(measure_floor(args.firms, args.steps, args.seed, args.repeats)) + "\n")


if __name__ == "__main__":
    main()

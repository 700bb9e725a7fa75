"""Markets and suppliers: which export markets firms serve and which suppliers buyers keep, rule by rule.

Each step, firms that reconsider (a share ψ of them, ``stages.reconsideration``) apply three rules in order:

1. ``update_markets``: a market link is dropped when its sales no longer pay its fixed cost (export cost, fixed
   compliance δ (F + source code), and the per-firm rule saved by leaving) or when a ban makes it infeasible; each
   reconsidering firm draws one candidate market (the ``market_search`` behaviour) and enters it when the expected
   revenue r̂ / σ pays the entry cost.
2. ``withdraw_from_foreign_buyers``: a supplier stops serving a foreign economy's buyers (without a market link
   there) when its sales to them no longer pay that destination's fixed compliance.
3. ``update_suppliers``: infeasible supplier slots are emptied; each reconsidering buyer draws one candidate (the
   ``supplier_search`` behaviour), fills an empty slot with it or replaces its dearest supplier when the candidate is
   cheaper by more than the switching cost.

``fill_suppliers`` gives new buyers (construction and entry) their first suppliers. Each rule's per-link or per-slot
work is one compiled kernel below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.link_terms import link_terms
from simulator.model.network import apply_drops
from simulator.model.numerics import jit
from simulator.model.population import fit_to_capacity

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


def update_markets(model: DataFlowModel, reconsider: np.ndarray) -> None:
    """Drop unprofitable or infeasible export markets; search one candidate market per reconsidering firm."""
    p, f, net, tr = model.params, model.firms, model.network, model.trade
    sigma = p["sigma"]
    firm = net.mk_firm
    first = fit_to_capacity(model.accounts.firm_rule_first, f.capacity)
    second = fit_to_capacity(model.accounts.firm_rule_second, f.capacity)
    # profit of each market link net of its fixed cost (export cost + δ (F + source code)) and, on foreign links, of
    # the per-firm rule saved by leaving (δ (G_first − G_second) where the link's G is the strictest), and the drop
    # rule, in one compiled pass
    drop = market_drops(
        firm,
        net.mk_dest,
        f.arrays(),
        model.tables.fixed,
        tr.market_revenue,
        tr.market_feasible,
        reconsider,
        rule_first=first,
        rule_second=second,
        export_fixed=p["fixed_export_cost"] * model.money_scale,
        sigma=sigma,
        n_c=model.n_economies,
        n_s=model.costs.tau.shape[2],
    )
    if drop.any():
        # withdrawals counted and flagged, links compacted, in one compiled pass (``withdrawals`` holds whole
        # numbers: +1 per dropped link is the same sum as adding ``np.bincount(firm[drop])``)
        net.mk_firm, net.mk_dest, net.mk_born = apply_drops(
            firm, net.mk_dest, net.mk_born, drop, model.withdrawals, f.withdrew
        )
    cand_firms = np.flatnonzero(reconsider)
    if cand_firms.size == 0:
        return
    cand_dest = model.rules["market_search"](model, cand_firms)
    ok = cand_dest >= 0
    cand_firms, cand_dest = cand_firms[ok], cand_dest[ok].astype(np.int64)
    # candidates that are not market links yet (one pass over the links; the candidate firms are distinct)
    new = ~markets_exist(net.mk_firm, net.mk_dest, cand_firms, cand_dest, f.capacity)
    cand_firms, cand_dest = cand_firms[new], cand_dest[new]
    lt = link_terms(cand_firms, cand_dest, f, model.costs, model.local_price, p)
    price = sigma / (sigma - 1) * model.unit_cost[cand_firms] * lt.tau * (1 + lt.wedge) * lt.trust  # trust-adjusted
    x = np.where(lt.feasible, price ** (1 - sigma), 0.0)
    # expected revenue r̂ = e_open x / (open mass + x) against the entry cost (export cost + δ (F + source code) +
    # the per-firm rule added, δ max(G − G_first, 0)), and the entry rule, in one compiled pass
    enter = market_entries(
        cand_firms,
        cand_dest,
        f.arrays(),
        model.tables.fixed,
        x,
        lt.feasible,
        rule_first=first,
        open_mass=tr.open_mass.ravel(),
        demand=model.demand.ravel(),
        tradability=model.tradability,
        export_fixed=p["fixed_export_cost"] * model.money_scale,
        sigma=sigma,
        n_c=model.n_economies,
        n_s=model.costs.tau.shape[2],
    )
    if enter.any():
        net.add_markets(cand_firms[enter], cand_dest[enter], model.steps)
        cost = p["market_entry_cost"] * p["fixed_export_cost"] * model.money_scale
        model.entry_charges += np.bincount(cand_firms[enter], minlength=f.capacity) * cost


def withdraw_from_foreign_buyers(model: DataFlowModel, reconsider: np.ndarray) -> None:
    """Reconsidering suppliers stop serving a foreign economy's buyers when the sales no longer pay its fixed cost.

    For each (supplier j, buyer economy d) pair without a final-market link of j in d: if Σ flows to buyers in d / σ
    < δ_j · (F_ods + source-code cost), the supplier withdraws from d: its slots at buyers in d are emptied (the
    buyers search anew) and the withdrawal is counted. Where j also sells to final demand in d, the fixed cost is
    already paid by the market link, which the market rule keeps or drops.
    """
    p, f, net, tr, a = model.params, model.firms, model.network, model.trade, model.accounts
    # one compiled pass (pair grouping, market-link look-up and the rule above); the slots are emptied in place
    drop_foreign_buyers(
        net.sup,
        tr.supplier_flow,
        net.mk_firm,
        net.mk_dest,
        f.arrays(),
        model.tables.fixed,
        reconsider,
        model.withdrawals,
        rule_first=fit_to_capacity(a.firm_rule_first, f.capacity),
        rule_second=fit_to_capacity(a.firm_rule_second, f.capacity),
        fw=tr.weight,
        export_fixed=p["fixed_export_cost"] * model.money_scale,
        sigma=p["sigma"],
        n_c=model.n_economies,
        n_s=model.costs.tau.shape[2],
    )


def update_suppliers(model: DataFlowModel, reconsider: np.ndarray) -> None:
    """Drop infeasible suppliers; each reconsidering buyer samples one candidate and switches if cheaper."""
    p, f, net, tr = model.params, model.firms, model.network, model.trade
    sup = net.sup
    clear_infeasible_slots(sup, tr.supplier_price)
    buyers = np.flatnonzero(reconsider)
    if buyers.size == 0:
        return
    cand = model.rules["supplier_search"](model, buyers)
    ok = (cand >= 0) & (cand != buyers)
    buyers, cand = buyers[ok], cand[ok]
    if buyers.size == 0:
        return
    dup = duplicate_candidates(sup, buyers, cand)
    buyers, cand = buyers[~dup], cand[~dup]
    keep = ~declines(model, buyers, cand)
    buyers, cand = buyers[keep], cand[keep]
    lt = link_terms(cand, f.economy[buyers], f, model.costs, model.local_price, p)
    sigma = p["sigma"]
    q = sigma / (sigma - 1) * model.unit_cost[cand] * lt.tau * (1 + lt.wedge) * lt.trust  # trust-adjusted, as trade's
    q = np.where(lt.feasible, q, np.inf)
    # fill the first empty slot, or replace the dearest supplier when the candidate is cheaper by more than the
    # switching cost (one compiled pass over the buyers' rows)
    switch_suppliers(sup, tr.supplier_price, buyers, cand, q, 1 - p["switching_cost"])


def declines(model: DataFlowModel, buyers: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Whether each candidate supplier declines to serve its buyer (bool per pair).

    A supplier that does not serve the buyer's economy yet (no sale there in the last trade pass, final or to
    buyers) would owe that economy's fixed cost δ_j (F_ods + source code), a local presence included where the
    destination's bans require one (``costs``); it declines when the buyer's expected purchases from it, a slot's
    share of the buyer's input spending X_b / m, do not pay that cost at the margin 1/σ: X_b / (m σ) < δ_j F. The rule
    mirrors the entry rule of markets; without it buyers kept drawing foreign suppliers that served them at a loss
    until their next reconsideration.
    """
    p, f, tr = model.params, model.firms, model.trade
    n_c, n_s = model.n_economies, model.n_sectors
    dest = f.economy[buyers].astype(np.int64)
    origin = f.economy[cand].astype(np.int64)
    foreign = origin != dest
    row = (origin * n_c + dest) * n_s + f.sector[cand]
    need = f.delta[cand] * model.tables.fixed[row, 0]
    sigma, m = p["sigma"], model.network.sup.shape[1]
    spend = model.intermediate_share[f.sector[buyers]] * (sigma - 1) / sigma * np.maximum(f.revenue[buyers], 0.0)
    short = foreign & (spend / (m * sigma) < need)
    if not short.any():
        return short
    # the sales of the short candidates only (a mask over the links, not a sort of all of them)
    asked = np.zeros(f.capacity, bool)
    asked[cand[short]] = True
    mine = asked[tr.sales_seller]
    served = tr.sales_seller[mine].astype(np.int64) * n_c + tr.sales_dest[mine]
    key = cand[short].astype(np.int64) * n_c + dest[short]
    out = short.copy()
    out[short] = ~np.isin(key, served)
    return out


def fill_suppliers(model: DataFlowModel, buyers: np.ndarray) -> None:
    """Give ``buyers`` a set of suppliers from m candidate draws each (construction and entry)."""
    m = model.network.sup.shape[1]
    rep = np.repeat(buyers, m)
    cand = model.rules["supplier_search"](model, rep).reshape(buyers.size, m)
    cand = np.where(cand == buyers[:, None], -1, cand)
    # every fill follows a trade pass (construction's first pass, or the step's): the decline rule can read it
    flat = cand.ravel()
    ok = flat >= 0
    no = np.zeros(flat.size, bool)
    no[ok] = declines(model, rep[ok], flat[ok])
    cand = np.where(no.reshape(cand.shape), -1, cand)
    srt = np.sort(cand, axis=1)
    dup_sorted = np.zeros_like(srt, dtype=bool)
    dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
    srt[dup_sorted] = -1
    model.network.sup[buyers] = srt


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def market_drops(
    mk_firm,
    mk_dest,
    firms,
    ftab,
    market_revenue,
    feasible,
    reconsider,
    rule_first,
    rule_second,
    export_fixed,
    sigma,
    n_c,
    n_s,
):
    """Which market links the market rule of ``update_markets`` drops, in one pass over the links.

    ``firms`` is a ``FirmArrays`` (its economy, sector and δ are read).
    Element by element the numpy form: profit = r / σ − (export_fixed + δ_i (F_ods + sc_amount · source_code_ods))
    − δ_i (G_first − G_second if G_ods ≥ G_first else 0) on foreign links (F + sc_amount · source_code and G from
    ``ftab``, ``fixed_table``); a foreign link is dropped when it is not
    ``feasible`` or when its firm reconsiders and the profit is negative. Home links are never dropped.
    """
    economy, sector, delta = firms.economy, firms.sector, firms.delta
    n = mk_firm.size
    drop = np.zeros(n, np.bool_)
    for k in range(n):
        i = mk_firm[k]
        d = np.int64(mk_dest[k])
        if np.int64(economy[i]) == d:
            continue
        row = (np.int64(economy[i]) * n_c + d) * n_s + sector[i]
        dl = delta[i]
        fixed = export_fixed + dl * ftab[row, 0]
        profit = market_revenue[k] / sigma - fixed
        first = rule_first[i]
        g = ftab[row, 1]
        profit = profit - dl * (first - rule_second[i] if g >= first else 0.0)
        drop[k] = (not feasible[k]) or (reconsider[i] and profit < 0)
    return drop


@jit
def market_entries(
    cand_firm,
    cand_dest,
    firms,
    ftab,
    x,
    feasible,
    rule_first,
    open_mass,
    demand,
    tradability,
    export_fixed,
    sigma,
    n_c,
    n_s,
):
    """Which candidate export markets of ``update_markets`` are entered, in one pass.

    ``firms`` is a ``FirmArrays`` (its economy, sector, δ and agent weight ``fw`` are read). Element by element the
    numpy form, given the candidates' offers ``x`` (p^(1−σ), 0 where infeasible): with cell d · S + s, mass =
    open_mass[cell] + fw_i x (the candidate agent's real firms join the pool), expected revenue per real firm r̂ =
    e_open x / mass (0 where mass ≤ 0) with e_open = demand[cell] · tradability[s], entry cost = export_fixed + δ_i
    (F_ods + sc_amount · source_code_ods) + δ_i max(G_ods − G_first, 0) (the market's fixed cost and the per-firm rule
    added), and entry where the link is feasible and r̂ / σ − entry cost > 0 (F + sc_amount · source_code and G from
    ``ftab``, ``fixed_table``). ``open_mass`` and ``demand`` are flat ``(C · S,)``.
    """
    economy, sector, delta, fw = firms.economy, firms.sector, firms.delta, firms.weight
    n = cand_firm.size
    enter = np.empty(n, np.bool_)
    for k in range(n):
        i = cand_firm[k]
        d = np.int64(cand_dest[k])
        s = np.int64(sector[i])
        cell = d * n_s + s
        xk = x[k]
        mass = open_mass[cell] + xk * fw[i]
        e_open = demand[cell] * tradability[s]
        r_hat = e_open * xk / mass if mass > 0 else 0.0
        row = (np.int64(economy[i]) * n_c + d) * n_s + s
        dl = delta[i]
        fixed = export_fixed + dl * ftab[row, 0]
        v = ftab[row, 1] - rule_first[i]
        added = dl * (v if (v >= 0.0 or v != v) else 0.0)  # np.maximum(v, 0.0), NaN kept
        enter[k] = feasible[k] and (r_hat / sigma - (fixed + added) > 0)
    return enter


@jit
def markets_exist(mk_firm, mk_dest, cand_firm, cand_dest, cap):
    """Whether each candidate link ``cand_firm → cand_dest`` is already a market link (candidate firms distinct)."""
    pos = np.full(cap, -1, np.int64)
    for k in range(cand_firm.size):
        pos[cand_firm[k]] = k
    out = np.zeros(cand_firm.size, np.bool_)
    for t in range(mk_firm.size):
        k = pos[mk_firm[t]]
        if k >= 0 and mk_dest[t] == cand_dest[k]:
            out[k] = True
    return out


@jit
def drop_foreign_buyers(
    sup,
    flow,
    mk_firm,
    mk_dest,
    firms,
    ftab,
    reconsider,
    withdrawals,
    rule_first,
    rule_second,
    fw,
    export_fixed,
    sigma,
    n_c,
    n_s,
):
    """Reconsidering suppliers withdraw from foreign buyer economies whose sales do not pay the fixed cost (in place).

    ``firms`` is a ``FirmArrays`` (alive, economy, sector and δ are read, ``withdrew`` is written); ``fw`` the agent
    weights trade ran with (``TradeResult.weight``). The compiled form of ``withdraw_from_foreign_buyers``: per
    (supplier j, buyer economy d ≠ home of j) pair without a market link of j in d, the sales per real firm of j, Σ
    ``flow`` · fw_b / fw_j (``flow`` is per real buyer firm; in row-major slot order) / σ, are compared with δ_j (F_ods
    + source code) + the per-firm rule saved by leaving d (both from ``ftab``, ``fixed_table``); a dropped pair empties
    its slots in ``sup``, adds 1 to ``withdrawals[j]`` and sets ``withdrew[j]``. Returns the number of pairs dropped.
    """
    alive, economy, sector, delta, withdrew = firms.alive, firms.economy, firms.sector, firms.delta, firms.withdrew
    cap, m = sup.shape
    # foreign slots of reconsidering suppliers (flat slot b · m + j, row-major), listed in one pass without
    # data-dependent branches (an empty slot stands for the buyer itself, never foreign), then grouped by supplier
    # (stable: row-major within a supplier)
    found = np.empty(cap * m, np.int64)
    n_found = 0
    for b in range(cap):
        if not alive[b]:
            continue
        eb = economy[b]
        for j in range(m):
            s = sup[b, j]
            ok = s >= 0
            s = s if ok else b
            found[n_found] = b * m + j
            n_found += np.int64(ok & reconsider[s] & (economy[s] != eb))
    if n_found == 0:
        return 0
    start = np.zeros(cap + 1, np.int64)
    for t in range(n_found):
        x = found[t]
        start[sup[x // m, x % m] + 1] += 1
    for v in range(cap):
        start[v + 1] += start[v]
    n = start[cap]
    fill = start[:-1].copy()
    lk_b = np.empty(n, np.int64)
    lk_j = np.empty(n, np.int64)
    for t in range(n_found):
        x = found[t]
        b = x // m
        j = x - b * m
        s = sup[b, j]
        lk_b[fill[s]] = b
        lk_j[fill[s]] = j
        fill[s] += 1
    # market destinations per firm as bit masks (bit d mod 64 of word i · W + d // 64)
    n_w = (n_c + 63) // 64
    market = np.zeros(cap * n_w, np.int64)
    for k in range(mk_firm.size):
        d = np.int64(mk_dest[k])
        market[mk_firm[k] * n_w + (d >> 6)] |= np.int64(1) << (d & 63)
    sales = np.zeros(n_c)
    stamp = np.full(n_c, -1, np.int64)
    drop = np.zeros(n_c, np.bool_)
    n_drop = 0
    for i in range(cap):
        a = start[i]
        b_end = start[i + 1]
        if a == b_end:
            continue
        for x in range(a, b_end):
            d = economy[lk_b[x]]
            if stamp[d] != i:
                stamp[d] = i
                sales[d] = 0.0
                drop[d] = False
            sales[d] += flow[lk_b[x], lk_j[x]] * (fw[lk_b[x]] / fw[i])
        base = np.int64(economy[i]) * n_c
        di = delta[i]
        dropped_any = False
        for x in range(a, b_end):
            d = economy[lk_b[x]]
            if stamp[d] != i:  # pair already decided
                continue
            stamp[d] = -2 - i  # decided
            has_market = ((market[i * n_w + (np.int64(d) >> 6)] >> (np.int64(d) & 63)) & 1) != 0
            row = (base + d) * n_s + sector[i]
            fixed = (export_fixed + di * ftab[row, 0]) - export_fixed
            g = ftab[row, 1]
            first = rule_first[i]
            fixed = fixed + di * (first - rule_second[i] if g >= first else 0.0)
            if (not has_market) and fixed > 0 and sales[d] / sigma < fixed:
                drop[d] = True
                withdrawals[i] += 1.0
                n_drop += 1
                dropped_any = True
        if dropped_any:
            withdrew[i] = True
            for x in range(a, b_end):
                d = economy[lk_b[x]]
                if drop[d] and stamp[d] == -2 - i:
                    sup[lk_b[x], lk_j[x]] = -1
    return n_drop


@jit
def clear_infeasible_slots(sup, supplier_price):
    """Empty (in place) the filled slots of ``sup`` whose delivered price is infinite (``np.isinf``)."""
    cap, m = sup.shape
    for b in range(cap):
        for j in range(m):
            if sup[b, j] >= 0 and np.isinf(supplier_price[b, j]):
                sup[b, j] = -1


@jit
def duplicate_candidates(sup, buyers, cand):
    """Whether ``cand[t]`` already fills a slot of buyer ``buyers[t]``: ``(sup[buyers] == cand[:, None]).any(1)``."""
    m = sup.shape[1]
    out = np.zeros(buyers.size, np.bool_)
    for t in range(buyers.size):
        b = buyers[t]
        for j in range(m):
            if sup[b, j] == cand[t]:
                out[t] = True
                break
    return out


@jit
def switch_suppliers(sup, supplier_price, buyers, cand, q, keep_factor):
    """Fill-or-switch of ``update_suppliers`` for distinct ``buyers`` (in place).

    Each buyer fills its first empty slot with its candidate (if the candidate's price ``q`` is finite) or, with no
    empty slot, replaces its dearest supplier (first of the dearest, as ``np.argmax``) when q < that price ×
    ``keep_factor``. Returns the number of slots written.
    """
    m = sup.shape[1]
    n_act = 0
    for t in range(buyers.size):
        b = buyers[t]
        first_empty = -1
        for j in range(m):
            if sup[b, j] < 0:
                first_empty = j
                break
        if first_empty >= 0:
            if np.isfinite(q[t]):
                sup[b, first_empty] = cand[t]
                n_act += 1
            continue
        worst = 0
        worst_q = supplier_price[b, 0]
        if not np.isnan(worst_q):
            for j in range(1, m):
                v = supplier_price[b, j]
                if np.isnan(v):
                    worst = j
                    worst_q = v
                    break
                if v > worst_q:
                    worst = j
                    worst_q = v
        if q[t] < worst_q * keep_factor:
            sup[b, worst] = cand[t]
            n_act += 1
    return n_act

"""Compiled kernels (numba) for the per-link and per-firm hot loops of a step.

Each kernel computes what a numpy expression elsewhere in ``simulator.model`` computes, in one pass and without
temporaries, and sums in the same order as ``np.bincount`` (link order), so results agree with the numpy form up to
floating-point reassociation at most (``tests/test_model_kernels.py`` checks each kernel against the numpy form on
random inputs). Kernels are plain functions of arrays: they know nothing of the model's classes.

All kernels are sequential (``parallel=False``): results never depend on the thread count. ``cache=True`` keeps the
compiled code in ``__pycache__``, so only the first run on a machine pays the compilation (a few seconds).

``DLSIM_NO_JIT=1`` in the environment before the package is imported leaves every kernel a plain Python function (for
a debugger or a profiler; far slower): what numba's own ``NUMBA_DISABLE_JIT`` does, for these kernels only.
"""

from __future__ import annotations

import os
import types
import warnings

import numba as nb
import numpy as np

NO_JIT_VARIABLE = "DLSIM_NO_JIT"
NO_JIT = os.environ.get(NO_JIT_VARIABLE, "").strip() not in ("", "0")
_JIT = {"cache": True, "nogil": True}
if NO_JIT:  # each ``@nb.njit(**_JIT)`` below then returns the function itself; integers wrap silently, as compiled
    nb = types.SimpleNamespace(njit=lambda **_options: lambda func: func)
    warnings.filterwarnings("ignore", "overflow encountered in scalar", RuntimeWarning, __name__)


# ------------------------------------------------------------------------------------------------------ link terms
@nb.njit(**_JIT)
def link_terms(seller, dest, economy, sector, delta, packed, cols, local_price, n_c, n_s, ban_threshold):
    """Cost terms of links seller → dest: tau, compliance, payment, destination hosting, feasible.

    ``cols`` holds the ``packed`` columns of tau, kappa, dest_storage, ban, payment (in that order).
    """
    n = seller.size
    tau = np.empty(n)
    comp = np.empty(n)
    pay = np.empty(n)
    dh = np.empty(n)
    feas = np.empty(n, np.bool_)
    c_tau, c_kap, c_ds, c_ban, c_pay = cols[0], cols[1], cols[2], cols[3], cols[4]
    for k in range(n):
        i = seller[k]
        d = dest[k]
        row = (np.int64(economy[i]) * n_c + d) * n_s + sector[i]
        dl = delta[i]
        tau[k] = packed[row, c_tau]
        comp[k] = dl * packed[row, c_kap]
        pay[k] = packed[row, c_pay]
        dh[k] = dl * packed[row, c_ds] * local_price[d]
        feas[k] = dl * packed[row, c_ban] < ban_threshold
    return tau, comp, pay, dh, feas


@nb.njit(**_JIT)
def packed_column(seller, dest, economy, sector, packed, col, n_c, n_s):
    """``packed[flat_index(seller, dest), col]`` for each link."""
    n = seller.size
    out = np.empty(n)
    for k in range(n):
        i = seller[k]
        out[k] = packed[(np.int64(economy[i]) * n_c + dest[k]) * n_s + sector[i], col]
    return out


# ----------------------------------------------------------------------------------------------------------- trade
@nb.njit(**_JIT)
def trade_table(packed, cols):
    """The trade columns of ``packed`` side by side, ``(rows, 8)``, so that a link reads one short contiguous row.

    ``cols`` are the ``packed`` columns of tau, kappa, dest_storage, ban, payment and openness; the last two columns
    are padding. It depends only on the cost tables: built once per ``LinkCosts``.
    """
    n_rows = packed.shape[0]
    tab = np.zeros((n_rows, 8))
    for r in range(n_rows):
        for q in range(6):
            tab[r, q] = packed[r, cols[q]]
    return tab


@nb.njit(**_JIT)
def fixed_table(packed, c_fixed, c_sc, c_ff, sc_amount):
    """The fixed-cost terms of every row of ``packed`` side by side, ``(rows, 2)``: F + sc_amount · source code, G.

    F, source code and the per-firm rule G are the columns ``c_fixed``, ``c_sc``, ``c_ff``. The first is the sum the
    fixed-cost rules multiply by δ (the same number as computed from ``packed`` per link), so a link reads one
    16-byte row instead of three columns of a wide one. It depends only on the cost tables and ``sc_amount``: built
    once per ``LinkCosts``.
    """
    n_rows = packed.shape[0]
    tab = np.empty((n_rows, 2))
    for r in range(n_rows):
        tab[r, 0] = packed[r, c_fixed] + sc_amount * packed[r, c_sc]
        tab[r, 1] = packed[r, c_ff]
    return tab


@nb.njit(**_JIT)
def trade_terms(
    mk_firm, mk_dest, sup, alive, economy, sector, delta, unit_cost, tab, local_price, n_c, n_s, ban_threshold, sigma,
):  # fmt: skip
    """Cost terms and delivered prices of every trade link of a step (first of the two trade passes).

    Links are the market links followed by the filled supplier slots of buyers alive (row-major, as ``np.nonzero``).
    ``tab`` is ``trade_table(packed, cols)``. Returns seller, dest, ``tab`` row (int32: the table has far fewer than
    2³¹ rows), seller's δ, feasible and price of every link, and two ``sup``-shaped matrices of the supplier links:
    the delivered price (∞ where infeasible or empty) and the openness (0 where empty). The price uses τ = tab[row, 0]
    and the wedge compliance δ · tab[row, 1] + payment tab[row, 4] + destination hosting δ · tab[row, 2] ·
    local_price[d], added in that order, as numpy does. The four cost terms are not stored (writing four more link
    arrays set this pass's speed): ``seller_accounts`` and ``TradeResult`` compute them again from the row and δ with
    these expressions, so they are the same numbers bit for bit. The offers p^(1−σ) and logit weights q^(−1/μ) are
    left to numpy (vectorised exp/log), then ``trade_flows`` clears the markets.
    """
    markup = sigma / (sigma - 1.0)
    cap, m = sup.shape
    n_mk = mk_firm.size
    # per-firm record, one cache line per seller: base row o · C · S + s, δ, markup · u (the first product of the
    # price, so the price is bit for bit the same), ban threshold test input; links then gather one record each
    rec = np.empty((cap, 4))
    n_sl = 0
    for b in range(cap):
        rec[b, 0] = np.float64(np.int64(economy[b]) * n_c * n_s + sector[b])
        rec[b, 1] = delta[b]
        rec[b, 2] = markup * unit_cost[b]
        if alive[b]:
            for j in range(m):
                if sup[b, j] >= 0:
                    n_sl += 1
    n = n_mk + n_sl
    seller = np.empty(n, np.int64)
    dest = np.empty(n, np.int64)
    rows = np.empty(n, np.int32)
    link_delta = np.empty(n)
    feas = np.empty(n, np.bool_)
    price = np.empty(n)
    # every element of the two slot matrices is written once in the supplier loop (no separate fill pass)
    q_slots = np.empty((cap, m))
    open_slots = np.empty((cap, m))
    k = 0
    for t in range(n_mk):
        i = mk_firm[t]
        d = np.int64(mk_dest[t])
        seller[k] = i
        dest[k] = d
        row = np.int64(rec[i, 0]) + d * n_s
        dl = rec[i, 1]
        tt = tab[row, 0]
        cp = dl * tab[row, 1]
        py = tab[row, 4]
        h = dl * tab[row, 2] * local_price[d]
        w = cp + py + h
        rows[k] = row
        link_delta[k] = dl
        feas[k] = dl * tab[row, 3] < ban_threshold
        price[k] = rec[i, 2] * tt * (1.0 + w)
        k += 1
    # Supplier links: the same per-link terms as the market-link loop above, written out again on purpose. A shared
    # @njit helper taking these arrays costs ≈ 2 ms per step at 100k firms (numba touches the reference count of every
    # array argument per call, even inlined); keep both loops in step when a term changes (test_model_kernels checks).
    for b in range(cap):
        if not alive[b]:
            for j in range(m):
                q_slots[b, j] = np.inf
                open_slots[b, j] = 0.0
            continue
        d = np.int64(economy[b])
        for j in range(m):
            s = sup[b, j]
            if s < 0:
                q_slots[b, j] = np.inf
                open_slots[b, j] = 0.0
                continue
            seller[k] = s
            dest[k] = d
            i = s
            row = np.int64(rec[i, 0]) + d * n_s
            dl = rec[i, 1]
            tt = tab[row, 0]
            cp = dl * tab[row, 1]
            py = tab[row, 4]
            h = dl * tab[row, 2] * local_price[d]
            w = cp + py + h
            rows[k] = row
            link_delta[k] = dl
            ok = dl * tab[row, 3] < ban_threshold
            feas[k] = ok
            pr = rec[i, 2] * tt * (1.0 + w)
            price[k] = pr
            q_slots[b, j] = pr if ok else np.inf
            open_slots[b, j] = tab[row, 5]
            k += 1
    return seller, dest, rows, link_delta, feas, price, q_slots, open_slots


@nb.njit(**_JIT)
def trade_flows(
    seller, dest, economy, sector, weight, feasible, n_mk, sup, alive, n_c, n_s, e_open, e_home, inter_share,
    prev_revenue, sigma, cap, fw, market,
):  # fmt: skip
    """Clear final markets (CES over open and home pools) and split buyers' spending over suppliers (logit).

    ``weight`` is p^(1−σ) on market links and q^(−1/μ) on supplier links, in the link order of ``trade_terms``; it is
    set to 0 in place where the link is not ``feasible``. ``fw`` is each slot's agent weight (real firms it stands
    for): a seller adds fw · p^(1−σ) to its pool's CES mass, and earns per real firm E · p^(1−σ) / mass. A buyer alive
    spends, per real firm, inter_share_s · (σ − 1)/σ · its previous revenue on its suppliers, split in proportion to
    fw_j · q_j^(−1/μ) (a logit over the real firms its supplier agents stand for, as final demand's CES mass is
    weighted); all fw_b of its firms buy from supplier j's fw_j firms, so j earns fw_b / fw_j times the buyer's
    per-firm flow per real firm. Returns
    revenue per link (per real firm of the seller), mass_open and mass_home per destination cell, the supplier flow
    slot matrix (per real firm of the buyer), purchases and revenue per firm slot (per real firm), and each economy's
    cross-border sales (exports) and purchases (imports), final and intermediate, as weighted aggregates, and the
    intermediate spending no supplier could take per economy (a buyer without a feasible supplier still pays for its
    inputs: it counts as a purchase, and the money is spent by its economy the next step).

    ``market`` is the logit weight of the buyer economy's market at large, per economy (``market_option_weight``):
    the buyer's choice set is its suppliers plus that option, and the share it takes, spend · W_d / (Σ_j fw_j
    q_j^(−1/μ) + W_d), is bought on the market at large — a purchase whose money joins the economy's spending of the
    next step, like inputs no supplier could take. With W = 0 the split is over the suppliers alone.
    """
    n_cells = n_c * n_s
    exports_c = np.zeros(n_c)
    imports_c = np.zeros(n_c)
    unplaced_c = np.zeros(n_c)
    n = seller.size
    rev = np.empty(n)
    mass_open = np.zeros(n_cells)
    mass_home = np.zeros(n_cells)
    # revenue per firm is summed in link order (as np.bincount): market links in the second market pass, then the
    # supplier links in the buyers' pass; infeasible weights are zeroed where each link is first read
    revenue = np.zeros(cap)
    for k in range(n_mk):
        x = weight[k] if feasible[k] else 0.0
        weight[k] = x
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        xw = x * fw[i]
        mass_open[c] += xw
        if economy[i] == dest[k]:
            mass_home[c] += xw
    for k in range(n_mk):
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        x = weight[k]
        so = x / mass_open[c] if mass_open[c] > 0 else 0.0
        sh = x / mass_home[c] if (mass_home[c] > 0 and economy[i] == dest[k]) else 0.0
        r = e_open[c] * so + e_home[c] * sh
        rev[k] = r
        revenue[i] += r
        if economy[i] != dest[k]:
            rw = r * fw[i]
            exports_c[economy[i]] += rw
            imports_c[dest[k]] += rw
    m = sup.shape[1]
    # every element of the flow matrix is written once below (no separate fill pass)
    flow_slots = np.empty((cap, m))
    purchases = np.zeros(cap)
    k = n_mk
    for b in range(sup.shape[0]):
        if not alive[b]:
            for j in range(m):
                flow_slots[b, j] = 0.0
            continue
        w_sum = 0.0
        k0 = k
        for j in range(m):
            s = sup[b, j]
            if s >= 0:
                x = weight[k] * fw[s] if feasible[k] else 0.0
                weight[k] = x
                w_sum += x
                k += 1
        k = k0
        spend = inter_share[sector[b]] * (sigma - 1.0) / sigma * prev_revenue[b]
        w0 = market[economy[b]]
        w_tot = w_sum + w0
        for j in range(m):
            s = sup[b, j]
            if s < 0:
                flow_slots[b, j] = 0.0
                continue
            fl = spend * weight[k] / w_tot if w_tot > 0 else 0.0
            fs = fl * (fw[b] / fw[s])
            rev[k] = fs
            flow_slots[b, j] = fl
            purchases[b] += fl
            revenue[s] += fs
            if economy[s] != economy[b]:
                fb = fl * fw[b]
                exports_c[economy[s]] += fb
                imports_c[economy[b]] += fb
            k += 1
        if not w_tot > 0:
            if spend > 0:
                # no supplier can deliver (no filled slot, or every one infeasible) and no market option: the inputs
                # are still paid for, from the economy at large (the money joins the economy's spending of the next
                # step), not produced for free
                purchases[b] += spend
                unplaced_c[economy[b]] += spend * fw[b]
        elif w0 > 0 and spend > 0:
            # the share bought on the market at large (spent by the economy next step, at its prices)
            x0 = spend * w0 / w_tot
            purchases[b] += x0
            unplaced_c[economy[b]] += x0 * fw[b]
    for b in range(sup.shape[0], cap):
        for j in range(m):
            flow_slots[b, j] = 0.0
    return rev, mass_open, mass_home, flow_slots, purchases, revenue, exports_c, imports_c, unplaced_c


@nb.njit(**_JIT)
def market_option_weight(alive, economy, unit_cost, fw, n_c, sigma, mu, nu):
    """Logit weight W_d of each economy's market at large in its buyers' input choice (``trade.market_option``).

    W_d = ν · w̄_d · p̄_d^(−1/μ): ν typical suppliers' worth of weight (w̄_d the mean agent weight of d's firms
    alive) at p̄_d = σ/(σ − 1) · (Σ fw u^(1−σ) / Σ fw)^(1/(1−σ)), the CES mean of d's firms' prices at home. 0 where
    the economy has no firm alive or ν = 0. Slots without a positive finite unit cost (an entrant that has not been
    priced yet) are left out.
    """
    mass = np.zeros(n_c)
    real = np.zeros(n_c)
    agents = np.zeros(n_c)
    for i in range(alive.size):
        if alive[i] and unit_cost[i] > 0 and unit_cost[i] < np.inf:
            e = economy[i]
            mass[e] += fw[i] * unit_cost[i] ** (1.0 - sigma)
            real[e] += fw[i]
            agents[e] += 1.0
    out = np.zeros(n_c)
    if nu > 0:
        for e in range(n_c):
            if agents[e] > 0 and mass[e] > 0:
                pbar = sigma / (sigma - 1.0) * (mass[e] / real[e]) ** (1.0 / (1.0 - sigma))
                out[e] = nu * real[e] / agents[e] * np.exp(-np.log(pbar) / mu)
    return out


@nb.njit(**_JIT)
def slot_matrix(sup, alive, values, fill):
    """Scatter per-link ``values`` of the supplier links into an ``sup``-shaped matrix, ``fill`` elsewhere.

    The links are the filled slots of buyers alive in row-major order (as ``trade_terms`` lists them).
    """
    cap, m = sup.shape
    out = np.full((cap, m), fill)
    k = 0
    for b in range(cap):
        if not alive[b]:
            continue
        for j in range(m):
            if sup[b, j] >= 0:
                out[b, j] = values[k]
                k += 1
    return out


@nb.njit(**_JIT)
def seller_accounts(
    seller, dest, rows, economy, delta, tab, local_price, revenue, n_market, sigma, cap, n_c, region_of, link_metrics,
    fw,
):  # fmt: skip
    """Per-seller sums of one pass over the links (as ``np.bincount`` in link order).

    ``rows`` and ``delta`` are each link's ``tab`` row and seller's δ, as ``trade_terms`` returns them: the cost terms
    are computed again with its expressions (the same numbers bit for bit): τ = tab[row, 0], compliance
    δ · tab[row, 1], payment tab[row, 4], destination hosting δ · tab[row, 2] · local_price[d], and the wedge their
    sum in that order (as ``TradeResult.sales_wedge``).

    Returns core, variable compliance, payment, destination hosting, exports, foreign market count (per firm slot),
    destination-hosting revenue per destination economy, and the destinations each seller serves as bit masks
    (``served_masks`` of the foreign links with a market link or a positive flow). With ``link_metrics``, the same
    pass also returns the link sums the metrics need (what ``link_metric_sums`` computes, in the same order):
    per-seller intra-regional exports and Σ sales × (τ(1 + W) − 1) on cross-border links, and the economy × economy
    cross-border flows (flattened); empty arrays otherwise. Per-seller sums are per real firm of the seller; the
    per-economy sums (destination-hosting revenue, economy flows) are aggregates, each link weighted by its seller's
    agent weight ``fw``.
    """
    core = np.zeros(cap)
    comp_var = np.zeros(cap)
    payment = np.zeros(cap)
    dest_host = np.zeros(cap)
    exports = np.zeros(cap)
    n_foreign = np.zeros(cap)
    local_rev = np.zeros(n_c)
    n_m = cap if link_metrics else 0
    intra = np.zeros(n_m)
    cost = np.zeros(n_m)
    flows = np.zeros(n_c * n_c if link_metrics else 0)
    # whether origin o and destination d (flat pair o · C + d) are in the same region
    same_region = np.zeros(n_c * n_c if link_metrics else 0, np.bool_)
    if link_metrics:
        for o in range(n_c):
            for d in range(n_c):
                same_region[o * n_c + d] = region_of[o] == region_of[d]
    n = seller.size
    n_w = (n_c + 63) // 64
    served = np.zeros(cap * n_w, np.int64)
    for k in range(n):
        i = seller[k]
        d = dest[k]
        r = revenue[k]
        vc = r * (sigma - 1.0) / sigma
        row = rows[k]
        dl = delta[k]
        ck = dl * tab[row, 1]
        pk = tab[row, 4]
        hk = dl * tab[row, 2] * local_price[d]
        if ck == 0.0 and pk == 0.0 and hk == 0.0 and abs(vc) < np.inf:
            # no wedge (every domestic link): 1 + W is exactly 1, so vc / (1 + W) is vc, and the three other terms
            # are ±0, whose addition leaves a sum started at +0 unchanged (bit for bit): four divisions saved
            one_w = 1.0
            core[i] += vc
        else:
            one_w = 1.0 + (ck + pk + hk)
            core[i] += vc / one_w
            comp_var[i] += vc * ck / one_w
            payment[i] += vc * pk / one_w
            v = vc * hk / one_w
            dest_host[i] += v
            local_rev[d] += v * fw[i]
        o = economy[i]
        if o != d:
            exports[i] += r
            if k < n_market:
                n_foreign[i] += 1.0
            if k < n_market or r > 0:
                served[i * n_w + (np.int64(d) >> 6)] |= np.int64(1) << (np.int64(d) & 63)
            if link_metrics:
                od = np.int64(o) * n_c + d
                # + 0 (no branch) off the region: a sum that starts at +0 never becomes -0, so x + 0 is x
                intra[i] += r if same_region[od] else 0.0
                cost[i] += r * (tab[row, 0] * one_w - 1.0)
                flows[od] += r * fw[i]
    return core, comp_var, payment, dest_host, exports, n_foreign, local_rev, served, intra, cost, flows


@nb.njit(**_JIT)
def account_totals(
    alive, economy, sector, revenue, purchases, core, comp_var, dest_host, n_foreign, hosting_cost, home_comp,
    local_share, hosting_fixed, fix_comp, delta, g_first, operating_cost, entry_charges, export_fixed, sigma, local_rev,
    fw,
):  # fmt: skip
    """Firm accounts from the per-seller link sums, element by element as the numpy expressions of ``firm_accounts``.

    ``operating_cost`` is per economy × sector cell, ``(C, S)``: each slot pays its cell's (the numpy form gathers
    ``operating_cost[economy, sector]``). Returns per slot: hosting, fixed compliance, fixed cost, compliance,
    profit, value added, variable cost, local hosting spend and in-house capex; ``local_rev`` (destination-hosting
    revenue per economy) gets each slot's local hosting spend on home hosting added in slot order
    (``np.bincount(economy, weights=...)`` then ``+``).
    """
    cap = alive.size
    hosting = np.empty(cap)
    fixed_compliance = np.empty(cap)
    fixed = np.empty(cap)
    compliance = np.empty(cap)
    profit = np.empty(cap)
    value_added = np.empty(cap)
    variable_cost = np.empty(cap)
    local_hosting = np.empty(cap)
    inhouse_capex = np.empty(cap)
    home_local = np.zeros(local_rev.size)
    for i in range(cap):
        a = 1.0 if alive[i] else 0.0
        c = core[i]
        hc = hosting_cost[i]
        hcomp = home_comp[i]
        h = c * (hc - hcomp) / (1.0 + hc)
        ch = c * hcomp / (1.0 + hc)
        fc = fix_comp[i] + delta[i] * g_first[i]
        capex = hosting_fixed[i] * a
        fx = operating_cost[economy[i], sector[i]] * a + export_fixed * n_foreign[i] + fc + capex + entry_charges[i]
        r = revenue[i]
        loc = (h + ch) * local_share[i]
        hosting[i] = h
        fixed_compliance[i] = fc
        fixed[i] = fx
        compliance[i] = comp_var[i] + fc + dest_host[i] + ch
        profit[i] = r / sigma - fx
        value_added[i] = r - purchases[i]
        variable_cost[i] = r - r / sigma
        local_hosting[i] = loc + dest_host[i]
        inhouse_capex[i] = capex
        home_local[economy[i]] += loc * fw[i]
    for d in range(local_rev.size):
        local_rev[d] = home_local[d] + local_rev[d]
    return (
        hosting, fixed_compliance, fixed, compliance, profit, value_added, variable_cost, local_hosting, inhouse_capex
    )  # fmt: skip


@nb.njit(**_JIT)
def cell_profit_revenue(alive, exclude, economy, sector, n_c, n_s, profit, revenue):
    """Σ profit, Σ revenue and the count of the slots alive and not ``exclude`` per economy × sector cell.

    The same as ``np.bincount`` over the selected slots' cells o · S + s (in slot order), each ``(C · S,)``.
    """
    n_cells = np.int64(n_c) * n_s
    prof = np.zeros(n_cells)
    rev = np.zeros(n_cells)
    count = np.zeros(n_cells, np.int64)
    for i in range(alive.size):
        if alive[i] and not exclude[i]:
            c = np.int64(economy[i]) * n_s + sector[i]
            prof[c] += profit[i]
            rev[c] += revenue[i]
            count[c] += 1
    return prof, rev, count


# -------------------------------------------------------------------------------------------------- pair grouping
@nb.njit(**_JIT)
def unique_pairs(a, b, n_a, n_b, weights):
    """Unique pairs (a, b) sorted by key a · n_b + b, and the sum of ``weights`` per pair in input order.

    The same as ``keys, inv = np.unique(a * n_b + b, return_inverse=True); np.bincount(inv, weights)`` (linear time:
    two stable counting sorts). Returns (keys, inverse, sums).
    """
    n = a.size
    # stable counting sort by b, then by a (LSD radix): order sorted by (a, b), stable in input order
    cnt_b = np.zeros(n_b + 1, np.int64)
    for k in range(n):
        cnt_b[b[k] + 1] += 1
    for v in range(n_b):
        cnt_b[v + 1] += cnt_b[v]
    by_b = np.empty(n, np.int64)
    for k in range(n):
        v = b[k]
        by_b[cnt_b[v]] = k
        cnt_b[v] += 1
    cnt_a = np.zeros(n_a + 1, np.int64)
    for k in range(n):
        cnt_a[a[k] + 1] += 1
    for v in range(n_a):
        cnt_a[v + 1] += cnt_a[v]
    order = np.empty(n, np.int64)
    for t in range(n):
        k = by_b[t]
        v = a[k]
        order[cnt_a[v]] = k
        cnt_a[v] += 1
    inv = np.empty(n, np.int64)
    keys = np.empty(n, np.int64)
    n_u = 0
    last = -1
    for t in range(n):
        k = order[t]
        key = np.int64(a[k]) * n_b + b[k]
        if key != last:
            keys[n_u] = key
            n_u += 1
            last = key
        inv[k] = n_u - 1
    sums = np.zeros(n_u)
    for k in range(n):
        sums[inv[k]] += weights[k]
    return keys[:n_u].copy(), inv, sums


@nb.njit(**_JIT)
def pairs_in_links(keys, n_b, link_a, link_b, n_a):
    """Whether each pair key a · n_b + b occurs among the links (link_a, link_b), as ``np.isin``. Linear time."""
    start = np.zeros(n_a + 1, np.int64)
    for k in range(link_a.size):
        start[link_a[k] + 1] += 1
    for v in range(n_a):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    dests = np.empty(link_a.size, np.int64)
    for k in range(link_a.size):
        v = link_a[k]
        dests[fill[v]] = link_b[k]
        fill[v] += 1
    out = np.zeros(keys.size, np.bool_)
    for t in range(keys.size):
        a = keys[t] // n_b
        b = keys[t] - a * n_b
        if a < 0 or a >= n_a:
            continue
        for k in range(start[a], start[a + 1]):
            if dests[k] == b:
                out[t] = True
                break
    return out


# ------------------------------------------------------------------------------------------------------ sampling
@nb.njit(**_JIT)
def count_below(cdf, rows, u):
    """Number of entries of row ``rows[i]`` of ``cdf`` below ``u[i]``: ``(cdf[rows] < u[:, None]).sum(axis=1)``."""
    n = rows.size
    out = np.empty(n, np.int64)
    n_col = cdf.shape[1]
    for i in range(n):
        r = rows[i]
        c = 0
        for j in range(n_col):
            if cdf[r, j] < u[i]:
                c += 1
        out[i] = c
    return out


@nb.njit(**_JIT)
def sample_cdf_rows(cdf, rows, u):
    """``network.sample_rows`` given its uniforms ``u``.

    The count of entries of row ``rows[i]`` below ``u[i]``, clipped to the last column, and -1 where the row's last
    entry is not positive (an empty row). Rows that never decrease are searched by bisection (the same count).
    """
    n = rows.size
    out = np.empty(n, np.int64)
    n_r, n_col = cdf.shape
    # rows that never decrease (and hold no NaN): the entries below u are a prefix, found by bisection
    monotone = np.empty(n_r, np.bool_)
    for r in range(n_r):
        ok = True
        prev = -np.inf
        for j in range(n_col):
            v = cdf[r, j]
            if not v >= prev:
                ok = False
                break
            prev = v
        monotone[r] = ok
    for i in range(n):
        r = rows[i]
        if cdf[r, n_col - 1] <= 0:
            out[i] = -1
            continue
        ui = u[i]
        if monotone[r]:
            lo = 0
            hi = n_col
            while lo < hi:
                mid = (lo + hi) >> 1
                if cdf[r, mid] < ui:
                    lo = mid + 1
                else:
                    hi = mid
            c = lo
        else:
            c = 0
            for j in range(n_col):
                if cdf[r, j] < ui:
                    c += 1
        out[i] = min(c, n_col - 1)
    return out


@nb.njit(**_JIT)
def _pairwise_block(a, lo, n):
    """Pairwise sum of ``a[lo:lo + n]`` in numpy's order for ``n`` ≤ 128 (its block size), without the initial +0.

    Below 8 entries one running sum; else eight running sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) +
    (r6 + r7)), then the remainder one by one.
    """
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    for j in range(lo + 8, lo + m, 8):
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(lo + m, lo + n):
        res += a[i]
    return res


@nb.njit(**_JIT)
def _pairwise_from(a, lo, n):
    """Pairwise sum of ``a[lo:lo + n]`` (contiguous float64) in numpy's order, any ``n``, without the initial +0.

    Above numpy's block of 128 entries, the two halves (the first a multiple of 8 entries) are summed alike and
    added: numpy's recursion, here with an explicit stack (numba's on-disk cache does not keep recursive functions).
    """
    if n <= 128:
        return _pairwise_block(a, lo, n)
    # tasks: (lo, n) to sum, or n = -1 to add the two sums on top of the value stack (left + right)
    t_lo = np.empty(256, np.int64)
    t_n = np.empty(256, np.int64)
    vals = np.empty(128)
    nt = 1
    nv = 0
    t_lo[0] = lo
    t_n[0] = n
    while nt > 0:
        nt -= 1
        l0 = t_lo[nt]
        m = t_n[nt]
        if m < 0:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        elif m <= 128:
            vals[nv] = _pairwise_block(a, l0, m)
            nv += 1
        else:
            n2 = m // 2
            n2 -= n2 % 8
            t_n[nt] = -1
            t_lo[nt + 1] = l0 + n2
            t_n[nt + 1] = m - n2
            t_lo[nt + 2] = l0
            t_n[nt + 2] = n2
            nt += 3
    return vals[0]


@nb.njit(**_JIT)
def numpy_sum(a):
    """``a.sum()`` of a contiguous 1-d float64 array, bit for bit: +0 plus numpy's pairwise sum (any length)."""
    return 0.0 + _pairwise_from(a, 0, a.size)


@nb.njit(**_JIT)
def gravity_cdf_rows(mass, decay, exclude_home):
    """``network.gravity_cdf_from_decay`` for at most 128 columns, the same numbers.

    w = mass_d · decay_od (0 on the diagonal when ``exclude_home``), each row divided by its sum (numpy's pairwise
    order; 0 where the sum is not positive) and summed cumulatively (as ``np.cumsum``).
    """
    n_r, n = decay.shape
    out = np.empty((n_r, n))
    w = np.empty(n)
    for r in range(n_r):
        for j in range(n):
            w[j] = mass[j] * decay[r, j]
        if exclude_home and r < n:
            w[r] = 0.0
        total = _pairwise_block(w, 0, w.size)
        acc = 0.0
        for j in range(n):
            v = w[j] / total if total > 0 else 0.0
            acc = v if j == 0 else acc + v
            out[r, j] = acc
    return out


@nb.njit(**_JIT)
def supplier_weights(sales, powered, born, step, alive, economy, n_c):
    """Supplier-draw weight per slot and its sum per economy (``behaviours.supplier_search_gravity``).

    The sales of slots born after ``step`` count as 0; weight = powered · alive where those sales are positive, else
    0, and the sums per economy are taken in slot order (``np.bincount``).
    """
    n = sales.size
    weight = np.empty(n)
    mass = np.zeros(n_c)
    for i in range(n):
        s = 0.0 if born[i] > step else sales[i]
        w = powered[i] * (1.0 if alive[i] else 0.0) if s > 0 else 0.0
        weight[i] = w
        mass[economy[i]] += w
    return weight, mass


@nb.njit(**_JIT)
def firm_update(alive, knowledge, keep, rd, phi_new, phi, acc_profit, acc_revenue):
    """The firm arrays after a step's trade and innovation (``DataFlowModel.step``), as new arrays.

    Element by element the numpy expressions: knowledge ``keep · K + rd``, φ ``np.where(alive, φ_new, φ)``, profit
    ``π − rd`` and a copy of the revenue.
    """
    n = alive.size
    k_out = np.empty(n)
    phi_out = np.empty(n)
    profit = np.empty(n)
    revenue = np.empty(n)
    for i in range(n):
        k_out[i] = keep * knowledge[i] + rd[i]
        phi_out[i] = phi_new[i] if alive[i] else phi[i]
        profit[i] = acc_profit[i] - rd[i]
        revenue[i] = acc_revenue[i]
    return k_out, phi_out, profit, revenue


@nb.njit(**_JIT)
def loss_streaks(alive, profit, streak, exit_after):
    """``entry_exit.update_exits``: new loss streaks and the firms that exit.

    The streak is +1 for firms alive with a loss, else 0 (``int32``); a firm alive exits when it reaches
    ``exit_after``.
    """
    n = alive.size
    out = np.empty(n, np.int32)
    exiting = np.empty(n, np.bool_)
    for i in range(n):
        s = streak[i] + 1 if alive[i] and profit[i] < 0 else 0
        out[i] = s
        exiting[i] = alive[i] and s >= exit_after
    return out, exiting


@nb.njit(**_JIT)
def alive_sums(group, values, alive, n_g):
    """``np.bincount(group, weights=values * alive, minlength=n_g)`` (the same additions, in slot order)."""
    out = np.zeros(n_g)
    for i in range(group.size):
        out[group[i]] += values[i] * (1.0 if alive[i] else 0.0)
    return out


# -------------------------------------------------------------------------------------------------- innovation
@nb.njit(**_JIT)
def rd_success_exponent(profit, revenue, alive, ret, conn_factor, economy, access, rho, theta):
    """R&D spending and the exponent of the innovation success probability, per slot (``innovation.schumpeterian``).

    Element by element the numpy expressions: R = ρ · max(π, 0) · ret · alive (``np.maximum``: NaN stays NaN) and
    x = −θ · (R / r if r > 0 else 0) · A with the absorptive capacity A = ``conn_factor[economy] * access`` (the
    connectivity factor per economy gathered per slot, times the access factor); P(success) = 1 − exp(x) is left to
    numpy (vectorised exp).
    """
    n = profit.size
    rd = np.empty(n)
    x = np.empty(n)
    for i in range(n):
        pi = profit[i]
        pos = pi if (pi >= 0.0 or pi != pi) else 0.0
        r = rho * pos * ret[i] * (1.0 if alive[i] else 0.0)
        rd[i] = r
        rv = revenue[i]
        intensity = r / rv if rv > 0 else 0.0
        x[i] = -theta * intensity * (conn_factor[economy[i]] * access[i])
    return rd, x


@nb.njit(**_JIT)
def innovation_success(phi, u, draws, gbar, exp_x, alive):
    """Success draws and productivity after own innovation (``innovation.schumpeterian``).

    success = (u < 1 − exp_x) & alive and φ (1 + ḡ · draw · success), element by element as numpy computes them
    (``exp_x`` = exp(x) of ``rd_success_exponent``, ``draws`` the standard exponential draws).
    """
    n = phi.size
    out = np.empty(n)
    success = np.empty(n, np.bool_)
    for i in range(n):
        ok = (u[i] < 1.0 - exp_x[i]) and alive[i]
        success[i] = ok
        out[i] = phi[i] * (1.0 + draws[i] * gbar * (1.0 if ok else 0.0))
    return out, success


@nb.njit(**_JIT)
def spillover_gain(sup, flow, openness, logphi, beta):
    """β · Σ_j w_ij · max(ln φ_j − ln φ_i, 0) · open_ij over supplier slots (w: purchase shares; ``logphi`` = ln φ)."""
    cap, m = sup.shape
    out = np.zeros(cap)
    for i in range(cap):
        total = 0.0
        for j in range(m):
            total += flow[i, j]
        if not total > 0:
            continue
        li = logphi[i]
        acc = 0.0
        for j in range(m):
            s = sup[i, j]
            if s < 0:
                continue
            gap = logphi[s] - li
            if gap < 0.0:
                gap = 0.0
            acc += flow[i, j] / total * gap * openness[i, j]
        out[i] = beta * acc
    return out


# ------------------------------------------------------------------------------------------------------- metrics
@nb.njit(**_JIT)
def cell_sums(cell, idx, quantities, n_cells):
    """Sum each per-firm quantity over the firms ``idx`` by ``cell``: ``(n_cells, n_quantities)``."""
    n_q = len(quantities)
    out = np.zeros((n_cells, n_q))
    for q in range(n_q):
        v = quantities[q]
        for t in range(idx.size):
            k = idx[t]
            out[cell[k], q] += v[k]
    return out


@nb.njit(**_JIT)
def link_metric_sums(seller, dest, economy, region_of, revenue, tau, wedge, cap, n_c, fw):
    """Per-seller intra-regional exports and trade-cost-weighted exports, and the economy × economy export flows.

    The flows are aggregates: each link's sales times its seller's agent weight ``fw``.
    """
    intra = np.zeros(cap)
    cost = np.zeros(cap)
    flows = np.zeros(n_c * n_c)
    for k in range(seller.size):
        i = seller[k]
        o = economy[i]
        d = dest[k]
        if o != d:
            r = revenue[k]
            if region_of[o] == region_of[d]:
                intra[i] += r
            cost[i] += r * (tau[k] * (1.0 + wedge[k]) - 1.0)
            flows[np.int64(o) * n_c + d] += r * fw[i]
    return intra, cost, flows


@nb.njit(**_JIT)
def slot_counts(sup, alive, economy, cap):
    """Filled supplier slots and foreign ones per buyer, and foreign buyers per supplier."""
    n, m = sup.shape
    suppliers = np.zeros(n)
    foreign = np.zeros(n)
    foreign_buyers = np.zeros(cap, np.int64)
    for b in range(n):
        if not alive[b]:
            continue
        for j in range(m):
            s = sup[b, j]
            if s < 0:
                continue
            suppliers[b] += 1.0
            if economy[s] != economy[b]:
                foreign[b] += 1.0
                foreign_buyers[s] += 1
    return suppliers, foreign, foreign_buyers


@nb.njit(**_JIT)
def top_two(group, value, size):
    """Largest and second largest ``value`` per ``group`` (0 where a group has none), each ``(size,)``. Linear time."""
    first = np.full(size, -np.inf)
    second = np.full(size, -np.inf)
    for k in range(group.size):
        g = group[k]
        v = value[k]
        if v > first[g]:
            second[g] = first[g]
            first[g] = v
        elif v > second[g]:
            second[g] = v
    for g in range(size):
        if first[g] == -np.inf:
            first[g] = 0.0
        if second[g] == -np.inf:
            second[g] = 0.0
    return first, second


# --------------------------------------------------------------------------------------------------------- hosting
@nb.njit(**_JIT)
def hosting_step(
    alive, reconsider, economy, sector, delta, revenue, phi, hosting, access, move_cs, copy_cs, transfer_cs, loc_c,
    qloc_c, cloud_c, inhouse_c, inhouse_quality, inhouse_fixed, zeta, sigma, conn_pow, wage,
):  # fmt: skip
    """Hosting options, choice and unit costs of every firm alive, in one pass (``hosting.options``/``choose``).

    Updates ``hosting`` (firms in ``reconsider`` choose the mode of least first-order loss, first on ties as
    ``np.argmin``) and ``access`` in place. ``copy_cs`` is already × the copy hosting share; ``conn_pow`` is
    conn_c^(χ δ_i) per firm slot. Returns per slot (0 for free slots): δ · cost of the mode, its local share, fixed
    capex, δ · home transfer compliance, and the unit cost w_c (1 + δ h) / φ̃.
    """
    cap = alive.size
    h = np.zeros(cap)
    local_share = np.zeros(cap)
    fixed = np.zeros(cap)
    home_comp = np.zeros(cap)
    unit_cost = np.zeros(cap)
    cost = np.empty(3)
    quality = np.empty(3)
    for i in range(cap):
        if not alive[i]:
            continue
        c = economy[i]
        s = sector[i]
        move = move_cs[c, s]
        copy = copy_cs[c, s]
        loc = loc_c[c]
        q_loc = qloc_c[c]
        transfer = (1 - move) * transfer_cs[c, s]
        cost[0] = (1 - move) * cloud_c[c] + (move + copy) * loc + transfer
        cost[1] = loc
        cost[2] = inhouse_c[c]
        quality[0] = (1 - move) + move * q_loc
        quality[1] = q_loc
        quality[2] = inhouse_quality
        dl = delta[i]
        if reconsider[i]:
            var = dl * revenue[i] * (sigma - 1) / sigma
            best = 0
            best_loss = var * (cost[0] - zeta * quality[0]) + 0.0
            for k in range(1, 3):
                loss = var * (cost[k] - zeta * quality[k]) + (inhouse_fixed if k == 2 else 0.0)
                if loss < best_loss:
                    best = k
                    best_loss = loss
            hosting[i] = best
        mode = hosting[i]
        hi = dl * cost[mode]
        h[i] = hi
        if mode == 0:
            local_share[i] = (move + copy) * loc / cost[0] if cost[0] > 0 else 0.0
            home_comp[i] = dl * transfer
        elif mode == 1:
            local_share[i] = 1.0
        else:
            fixed[i] = inhouse_fixed
        a = quality[mode]
        access[i] = a
        phi_eff = phi[i] * (1.0 + zeta * dl * a) * conn_pow[i]
        unit_cost[i] = wage[c] * (1.0 + hi) / phi_eff
    return h, local_share, fixed, home_comp, unit_cost


METRIC_QUANTITIES = (
    "access_weighted", "compliance", "compliance_facing", "data_management_facing", "dds_exports", "delta", "entrants",
    "exits", "exporter", "exports", "firms", "foreign_partners", "foreign_suppliers", "innovated",
    "intra_region_exports", "investment", "local_hosting", "log_growth", "output_weight", "phi_output", "rd",
    "revenue", "suppliers", "total_cost_facing", "trade_cost", "value_added", "withdrawals", "withdrew",
)  # fmt: skip
"""Columns of ``metric_cells`` (the per-firm quantities of ``metrics.firm_quantities``, sorted by name)."""


@nb.njit(**_JIT)
def phi_ratio(phi, prev_phi, alive):
    """φ / φ_prev where φ_prev > 0 and the slot is alive, 1 elsewhere (``np.divide(..., out=ones, where=...)``)."""
    out = np.ones(phi.size)
    for k in range(phi.size):
        if prev_phi[k] > 0 and alive[k]:
            out[k] = phi[k] / prev_phi[k]
    return out


@nb.njit(**_JIT)
def level_sums(cell, region_of, n_r):
    """A ``(c, s, z, q)`` cell table summed to the metric groups, ``(1 + n_r + c + s + z, q)``.

    Rows world, regions, economies, sectors, sizes (the groups of ``metrics.LEVELS``). Each sum adds in numpy's order
    for these reductions (``cell.sum(axis=(1, 2))`` etc. with the quantity axis innermost: sequential over the
    summed cells in memory order; regions and world from the economy rows in economy order, as ``np.bincount`` and
    ``sum(axis=0)``).
    """
    n_c, n_s, n_z, q = cell.shape
    r0 = 1
    e0 = r0 + n_r
    s0 = e0 + n_c
    z0 = s0 + n_s
    out = np.zeros((z0 + n_z, q))
    for c in range(n_c):
        for s in range(n_s):
            for z in range(n_z):
                for k in range(q):
                    v = cell[c, s, z, k]
                    out[e0 + c, k] += v
                    out[s0 + s, k] += v
                    out[z0 + z, k] += v
    for c in range(n_c):
        r = region_of[c]
        for k in range(q):
            out[r0 + r, k] += out[e0 + c, k]
            out[0, k] += out[e0 + c, k]
    return out


@nb.njit(**_JIT)
def offdiag_sums(flows):
    """A square matrix with its diagonal set to 0, its total, row sums and column sums, bit for bit as numpy.

    The same numbers as ``f = flows.copy(); np.fill_diagonal(f, 0.0)``, ``f.sum()`` (numpy's pairwise sum over the
    flattened matrix), ``f.sum(axis=1)`` (pairwise per row) and ``f.sum(axis=0)`` (the rows added one by one).
    """
    n = flows.shape[0]
    f = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            f[i, j] = 0.0 if i == j else flows[i, j]
    flat = f.ravel()
    rows = np.empty(n)
    cols = np.zeros(n)
    for i in range(n):
        rows[i] = 0.0 + _pairwise_from(flat, i * n, n)
        for j in range(n):
            cols[j] += f[i, j]
    return f, 0.0 + _pairwise_from(flat, 0, n * n), rows, cols


@nb.njit(**_JIT)
def metric_values(
    cell, region_of, n_r, num, den, level, order, c_dds, c_phi, c_firms, host, cpi, income, by_economy, flows,
):  # fmt: skip
    """The metric values of one step from the ``(c, s, z, q)`` cell table, bit for bit as the numpy form.

    ``groups = level_sums(cell, region_of, n_r)`` (rows world, regions, economies, sectors, sizes). Returns:

    - ``values``, ``(metrics, groups)``: metric ``i`` is ``groups[:, num[i]]`` where ``den[i] < 0`` (a plain sum),
      else ``groups[:, num[i]] / groups[:, den[i]]``, NaN where that denominator is not positive.
    - ``extra``, the vector of ``MetricsCollector.extra_labels`` with its last entry (bloc modularity) left NaN: per
      group in the order ``order``, its dds exports over the world's (NaN unless the world's are positive) and its
      mean productivity (``c_phi`` sum over ``c_firms`` sum, NaN without firms) over the highest one of its level
      ``level[g]`` (``nanmax``: NaN where the level has no finite mean, or where that highest one is not positive);
      then per world, region and economy (rows in that order): local hosting revenue ``host``, the price index,
      real output, real investment, nominal income and real income. An economy's real income is its nominal income
      over its exact price index ``cpi`` (relative to the model's reference), and likewise real output (value added)
      and real investment (``by_economy`` columns); a region's or the world's real quantities are the sums of their
      economies', and their price index is Σ income / Σ real income (NaN where not positive); then the region ×
      region sums of the economy × economy ``flows`` (flattened, as ``np.bincount`` in flat order).

    World sums are numpy's pairwise sums (``numpy_sum``), region sums add the economies in economy order
    (``np.bincount``).
    """
    groups = level_sums(cell, region_of, n_r)
    n_g = groups.shape[0]
    n_m = num.size
    values = np.empty((n_m, n_g))
    for i in range(n_m):
        qn = num[i]
        qd = den[i]
        for g in range(n_g):
            x = groups[g, qn]
            if qd >= 0:
                d = groups[g, qd]
                x = x / d if d > 0 else np.nan
            values[i, g] = x
    n_c = region_of.size
    n_e = 1 + n_r + n_c
    extra = np.empty(2 * n_g + 6 * n_e + n_r * n_r + 1)
    # dds share of the world and catch-up
    world_dds = groups[0, c_dds]
    prod = np.empty(n_g)
    n_l = 0
    for g in range(n_g):
        n_l = max(n_l, level[g] + 1)
        firms = groups[g, c_firms]
        prod[g] = groups[g, c_phi] / firms if firms > 0 else np.nan
    top = np.full(n_l, np.nan)
    finite = np.zeros(n_l, np.bool_)
    for g in range(n_g):
        p = prod[g]
        lv = level[g]
        if np.isfinite(p):
            finite[lv] = True
        if not np.isnan(p) and (np.isnan(top[lv]) or p > top[lv]):
            top[lv] = p
    for t in range(order.size):
        g = order[t]
        extra[2 * t] = groups[g, c_dds] / world_dds if world_dds > 0 else np.nan
        tp = top[level[g]] if finite[level[g]] else np.nan
        extra[2 * t + 1] = prod[g] / tp if tp > 0 else np.nan
    # by economy: host, income, real income, real output, real investment; regions; world
    econ = np.zeros((n_e, 5))
    for c in range(n_c):
        e = 1 + n_r + c
        p = cpi[c]
        ok = np.isfinite(p) and p > 0
        econ[e, 0] = host[c]
        econ[e, 1] = income[c]
        econ[e, 2] = income[c] / p if ok else np.nan
        econ[e, 3] = by_economy[c, 0] / p if ok else np.nan
        econ[e, 4] = by_economy[c, 1] / p if ok else np.nan
    for c in range(n_c):
        r = 1 + region_of[c]
        for k in range(5):
            econ[r, k] += econ[1 + n_r + c, k]
    col = np.empty(n_c)
    for k in range(5):
        for c in range(n_c):
            col[c] = econ[1 + n_r + c, k]
        econ[0, k] = 0.0 + _pairwise_from(col, 0, n_c)
    b = 2 * n_g
    for e in range(n_e):
        real = econ[e, 2]
        extra[b + 6 * e] = econ[e, 0]
        extra[b + 6 * e + 1] = econ[e, 1] / real if real > 0 else np.nan
        extra[b + 6 * e + 2] = econ[e, 3]
        extra[b + 6 * e + 3] = econ[e, 4]
        extra[b + 6 * e + 4] = econ[e, 1]
        extra[b + 6 * e + 5] = real
    # region × region flows
    b += 6 * n_e
    for k in range(n_r * n_r):
        extra[b + k] = 0.0
    for o in range(n_c):
        ro = np.int64(region_of[o]) * n_r
        for d in range(n_c):
            extra[b + ro + region_of[d]] += flows[o * n_c + d]
    extra[extra.size - 1] = np.nan
    return values, extra


@nb.njit(**_JIT)
def metric_cells(
    economy, sector, size, n_c, n_s, n_z, alive, exiting, born, step, phi_eff, delta, access, withdrew, services,
    growth, revenue, exports, n_foreign, compliance, variable_cost, fixed, hosting, inhouse_capex, value_added,
    local_hosting, rd, innovated, withdrawals, intra, trade_cost, sup, fw,
):  # fmt: skip
    """Every per-firm metric quantity of the firms alive or exiting, summed by economy × sector × size cell.

    Returns ``(C · S · Z, 28)``, columns ``METRIC_QUANTITIES``: the same sums as ``cell_sums`` over the arrays of
    ``metrics.firm_quantities``, computed per firm in one pass (in slot order). Every firm's quantities are per real
    firm and are added times its agent weight ``fw`` (counts are counts of real firms). ``services`` is per sector,
    ``growth`` is ln(φ / φ_prev) per slot (0 where undefined), ``phi_eff`` the effective productivity φ̃ (every
    channel: base draw, frontier cloud/AI access, connectivity, digital capability), weighted by positive value added
    (``output_weight``, ``phi_output``). The supplier-slot counts come from a pass over ``sup`` first: filled and
    cross-border slots per buyer are added to the buyer's cell (times the buyer's weight), cross-border buyers per
    supplier are counted per slot. Also returns, per economy and over every slot (in slot order), weighted value added
    and investment (R&D + in-house hosting capex), ``(C, 2)``.
    """
    out = np.zeros((np.int64(n_c) * n_s * n_z, 28))
    by_economy = np.zeros((n_c, 2))
    cap = alive.size
    m = sup.shape[1]
    # supplier slots of buyers alive, without data-dependent branches in the inner loop (an empty slot counts as
    # the buyer itself, which is never foreign)
    foreign_buyers = np.zeros(cap, np.int32)
    for b in range(sup.shape[0]):
        if not alive[b]:
            continue
        eb = economy[b]
        filled = 0
        foreign = 0
        for j in range(m):
            s = sup[b, j]
            ok = s >= 0
            s = s if ok else b
            x = np.int32(economy[s] != eb)
            filled += np.int64(ok)
            foreign += x
            foreign_buyers[s] += x
        c = (np.int64(eb) * n_s + sector[b]) * n_z + size[b]
        out[c, 22] += filled * fw[b]
        out[c, 12] += foreign * fw[b]
    for k in range(cap):
        e = economy[k]
        wk = fw[k]
        by_economy[e, 0] += value_added[k] * wk
        by_economy[e, 1] += (rd[k] + inhouse_capex[k]) * wk
        al = alive[k]
        if not (al or exiting[k]):
            continue
        r = (np.int64(e) * n_s + sector[k]) * n_z + size[k]
        a = wk if al else 0.0
        ex = exports[k]
        exporter = wk if ex > 0 else 0.0
        comp = compliance[k]
        facing = wk if comp > 0 else 0.0
        entrant = 1.0 if (born[k] == step and step > 0) else 0.0
        va_pos = max(value_added[k], 0.0) * a
        out[r, 0] += access[k] * delta[k] * a
        out[r, 1] += comp * wk
        out[r, 2] += comp * facing
        out[r, 3] += (comp + hosting[k] + inhouse_capex[k]) * facing
        out[r, 4] += ex * delta[k] * (wk if services[sector[k]] else 0.0)
        out[r, 5] += delta[k] * a
        out[r, 6] += entrant * a
        out[r, 7] += wk if exiting[k] else 0.0
        out[r, 8] += exporter
        out[r, 9] += ex * wk
        out[r, 10] += a
        out[r, 11] += (n_foreign[k] + foreign_buyers[k]) * exporter
        out[r, 13] += wk if innovated[k] else 0.0
        out[r, 14] += intra[k] * wk
        out[r, 15] += (rd[k] + inhouse_capex[k]) * wk
        out[r, 16] += local_hosting[k] * wk
        out[r, 17] += growth[k] * a
        out[r, 18] += va_pos
        out[r, 19] += phi_eff[k] * va_pos
        out[r, 20] += rd[k] * wk
        out[r, 21] += revenue[k] * wk
        out[r, 23] += (variable_cost[k] + fixed[k]) * facing
        out[r, 24] += trade_cost[k] * wk
        out[r, 25] += value_added[k] * wk
        out[r, 26] += withdrawals[k] * wk
        out[r, 27] += (wk if withdrew[k] else 0.0) * (1.0 if al else 0.0)
    return out, by_economy


# ---------------------------------------------------------------------------------------------------- accounts
_DEBRUIJN = 0x03F79D71B4CB0A89
_TRAILING_ZEROS = np.zeros(64, np.int64)
for _b in range(64):
    _TRAILING_ZEROS[(((1 << _b) * _DEBRUIJN) % (1 << 64)) >> 58] = _b
_DEBRUIJN_I64 = np.int64(_DEBRUIJN)
"""A de Bruijn sequence (as a signed 64-bit number) and its table: the index of the single bit set in ``low`` is
``_TRAILING_ZEROS[((low * _DEBRUIJN_I64) >> 58) & 63]`` (multiplication modulo 2^64)."""


@nb.njit(**_JIT)
def served_masks(seller, dest, served, cap, n_c):
    """Destinations of the links flagged ``served`` as bit masks per seller: ``(cap · W,)``, W = ⌈n_c / 64⌉ words.

    Bit d mod 64 of word ``i · W + d // 64`` is set when seller i has a served link to d (what
    ``seller_accounts`` returns for its served links).
    """
    n_w = (n_c + 63) // 64
    mask = np.zeros(cap * n_w, np.int64)
    for k in range(seller.size):
        if served[k]:
            d = np.int64(dest[k])
            mask[seller[k] * n_w + (d >> 6)] |= np.int64(1) << (d & 63)
    return mask


@nb.njit(**_JIT)
def served_fixed_masks(mask, economy, sector, delta, ftab, cap, n_c, n_s):
    """``served_fixed`` given the served destinations as bit masks per seller (``served_masks``).

    ``ftab`` is ``fixed_table``. Each seller's destinations are visited in ascending order (word by word, lowest bit
    first), so the sums are those of ``np.bincount`` over ``unique_pairs``.
    """
    n_w = (n_c + 63) // 64
    fix = np.zeros(cap)
    first = np.zeros(cap)
    second = np.zeros(cap)
    for i in range(cap):
        base = np.int64(economy[i]) * n_c
        s = sector[i]
        di = delta[i]
        acc = 0.0
        f1 = -np.inf
        f2 = -np.inf
        found = False
        for w in range(n_w):
            bits = mask[i * n_w + w]
            while bits != 0:
                low = bits & -bits
                bits ^= low
                d = w * 64 + _TRAILING_ZEROS[((low * _DEBRUIJN_I64) >> 58) & 63]
                found = True
                row = (base + d) * n_s + s
                acc += di * ftab[row, 0]
                g = ftab[row, 1]
                if g > f1:
                    f2 = f1
                    f1 = g
                elif g > f2:
                    f2 = g
        if found:
            fix[i] = acc
            first[i] = f1 if f1 != -np.inf else 0.0
            second[i] = f2 if f2 != -np.inf else 0.0
    return fix, first, second


@nb.njit(**_JIT)
def served_fixed(seller, dest, served, economy, sector, delta, ftab, cap, n_c, n_s):
    """Fixed compliance of each seller over the distinct foreign destinations it serves (links flagged ``served``).

    Per seller: Σ over its distinct served destinations d (ascending, as ``np.bincount`` over ``unique_pairs``) of
    δ_i · (F_ods + sc_amount · source_code_od), and the largest and second largest per-firm rule G_ods (0 where
    none), read from ``ftab`` (``fixed_table``). Linear time: the destinations as bit masks per seller
    (``served_masks``), then ``served_fixed_masks``.
    """
    mask = served_masks(seller, dest, served, cap, n_c)
    return served_fixed_masks(mask, economy, sector, delta, ftab, cap, n_c, n_s)


# ------------------------------------------------------------------------------------------------- network rules
@nb.njit(**_JIT)
def drop_foreign_buyers(
    sup, alive, reconsider, economy, sector, delta, flow, mk_firm, mk_dest, ftab, export_fixed, rule_first, rule_second,
    sigma, withdrawals, withdrew, n_c, n_s, fw,
):  # fmt: skip
    """Reconsidering suppliers withdraw from foreign buyer economies whose sales do not pay the fixed cost (in place).

    The compiled form of ``DataFlowModel._drop_foreign_buyers``: per (supplier j, buyer economy d ≠ home of j) pair
    without a market link of j in d, the sales per real firm of j, Σ ``flow`` · fw_b / fw_j (``flow`` is per real
    buyer firm; in row-major slot order) / σ, are compared with
    δ_j (F_ods + source code) + the per-firm rule saved by leaving d (both from ``ftab``, ``fixed_table``); a dropped
    pair empties its slots in ``sup``, adds 1 to ``withdrawals[j]`` and sets ``withdrew[j]``. Returns the number of
    pairs dropped.
    """
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


@nb.njit(**_JIT)
def market_drops(
    mk_firm, mk_dest, economy, sector, delta, ftab, export_fixed, rule_first, rule_second, market_revenue, feasible,
    reconsider, sigma, n_c, n_s,
):  # fmt: skip
    """Which market links the market rule of ``DataFlowModel._update_markets`` drops, in one pass over the links.

    Element by element the numpy form: profit = r / σ − (export_fixed + δ_i (F_ods + sc_amount · source_code_ods))
    − δ_i (G_first − G_second if G_ods ≥ G_first else 0) on foreign links (F + sc_amount · source_code and G from
    ``ftab``, ``fixed_table``); a foreign link is dropped when it is not
    ``feasible`` or when its firm reconsiders and the profit is negative. Home links are never dropped.
    """
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


@nb.njit(**_JIT)
def market_entries(
    cand_firm, cand_dest, economy, sector, delta, ftab, export_fixed, rule_first, x, feasible, open_mass, demand,
    tradability, sigma, n_c, n_s, fw,
):  # fmt: skip
    """Which candidate export markets of ``DataFlowModel._update_markets`` are entered, in one pass.

    Element by element the numpy form, given the candidates' offers ``x`` (p^(1−σ), 0 where infeasible): with cell
    d · S + s, mass = open_mass[cell] + fw_i x (the candidate agent's real firms join the pool), expected revenue per
    real firm r̂ = e_open x / mass (0 where mass ≤ 0) with e_open =
    demand[cell] · tradability[s], entry cost = export_fixed + δ_i (F_ods + sc_amount · source_code_ods) +
    δ_i max(G_ods − G_first, 0) (``_market_fixed`` + ``_firm_fixed_added``), and entry where the link is feasible
    and r̂ / σ − entry cost > 0 (F + sc_amount · source_code and G from ``ftab``, ``fixed_table``). ``open_mass`` and
    ``demand`` are flat ``(C · S,)``.
    """
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


@nb.njit(**_JIT)
def clear_infeasible_slots(sup, supplier_price):
    """Empty (in place) the filled slots of ``sup`` whose delivered price is infinite (``np.isinf``)."""
    cap, m = sup.shape
    for b in range(cap):
        for j in range(m):
            if sup[b, j] >= 0 and np.isinf(supplier_price[b, j]):
                sup[b, j] = -1


@nb.njit(**_JIT)
def sample_by_group(group, weight, eligible, wanted, u, n_g):
    """One index per entry of ``wanted``: a draw ∝ ``weight`` among the eligible entries of group ``wanted[t]``.

    The compiled form of ``network.sample_firms_by_economy`` given its uniforms ``u``: eligible entries with positive
    weight ordered stably by group (a counting sort, the order of ``np.argsort(kind="stable")``), their cumulative
    weights summed in that order (as ``np.cumsum``), and the inverse-CDF search restricted to the group (the same
    position as ``np.searchsorted`` over all entries followed by the clip to the group). -1 where the group is empty.
    """
    n = group.size
    start = np.zeros(n_g + 1, np.int64)
    for i in range(n):
        if eligible[i] and weight[i] > 0:
            start[group[i] + 1] += 1
    for g in range(n_g):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    n_el = start[n_g]
    order = np.empty(n_el, np.int64)
    for i in range(n):
        if eligible[i] and weight[i] > 0:
            g = group[i]
            order[fill[g]] = i
            fill[g] += 1
    cum = np.empty(n_el)
    acc = 0.0
    for t in range(n_el):
        acc += weight[order[t]]
        cum[t] = acc
    # guide table per group, one bucket per 8 entries: guide[q] is the first position of the group whose cumulative
    # weight exceeds the bucket's lower edge base + j (top − base) / n_buckets, so a search starts there and scans
    # forward a few steps instead of bisecting the whole group (any edges give the same positions, only the time
    # differs: one bucket per entry cost more to build than it saved)
    bstart = np.zeros(n_g + 1, np.int64)
    for g in range(n_g):
        bstart[g + 1] = bstart[g] + (start[g + 1] - start[g] + 7) // 8
    guide = np.empty(bstart[n_g], np.int64)
    edge = np.empty(bstart[n_g])
    for g in range(n_g):
        a = start[g]
        b = start[g + 1]
        if b <= a:
            continue
        base = cum[a - 1] if a > 0 else 0.0
        span = cum[b - 1] - base
        q0 = bstart[g]
        nb_ = bstart[g + 1] - q0
        pos = a
        for j in range(nb_):
            e = base + span * (j / nb_)
            while pos < b and cum[pos] <= e:
                pos += 1
            guide[q0 + j] = pos
            edge[q0 + j] = e
    out = np.full(wanted.size, -1, np.int64)
    for t in range(wanted.size):
        g = wanted[t]
        if g < 0:
            continue
        a = start[g]
        b = start[g + 1]
        if b <= a:
            continue
        base = cum[a - 1] if a > 0 else 0.0
        top = cum[b - 1]
        target = base + u[t] * (top - base)
        q0 = bstart[g]
        nb_ = bstart[g + 1] - q0
        j = np.int64((target - base) / (top - base) * nb_) if top > base else 0
        if j > nb_ - 1:
            j = nb_ - 1
        if j < 0:
            j = 0
        while j > 0 and edge[q0 + j] > target:  # the bucket's edge must not exceed the target
            j -= 1
        # every position before guide has cum <= edge <= target (or is before the group): the first position with
        # cum > target (side="right") is at or after it
        lo = guide[q0 + j] if edge[q0 + j] <= target else a
        while lo < b and cum[lo] <= target:
            lo += 1
        if lo > b - 1:
            lo = b - 1
        out[t] = order[lo]
    return out


@nb.njit(**_JIT)
def keep_links(firm, dest, born, keep):
    """``firm[keep]``, ``dest[keep]`` and ``born[keep]`` in one pass (the market links ``keep`` flags, in order)."""
    n = 0
    for k in range(keep.size):
        n += np.int64(keep[k])
    out_firm = np.empty(n, firm.dtype)
    out_dest = np.empty(n, dest.dtype)
    out_born = np.empty(n, born.dtype)
    t = 0
    for k in range(keep.size):
        if keep[k]:
            out_firm[t] = firm[k]
            out_dest[t] = dest[k]
            out_born[t] = born[k]
            t += 1
    return out_firm, out_dest, out_born


@nb.njit(**_JIT)
def keep_live_links(firm, dest, born, dead):
    """``keep_links`` with ``keep = ~dead[firm]``: the market links of firms not flagged in ``dead``, in order."""
    keep = np.empty(firm.size, np.bool_)
    for k in range(firm.size):
        keep[k] = not dead[firm[k]]
    return keep_links(firm, dest, born, keep)


@nb.njit(**_JIT)
def apply_drops(firm, dest, born, drop, withdrawals, withdrew):
    """Drop the market links flagged in ``drop`` and return the links kept (``keep_links`` with ``~drop``).

    Their firms' ``withdrawals`` get +1 per dropped link and ``withdrew`` is set (in place).

    The numpy form: ``withdrawals += np.bincount(firm[drop], minlength=cap)`` (the same sums while ``withdrawals``
    holds whole numbers), ``withdrew[firm[drop]] = True``, then ``keep_links(firm, dest, born, ~drop)``.
    """
    keep = np.empty(drop.size, np.bool_)
    for k in range(drop.size):
        keep[k] = not drop[k]
        if drop[k]:
            i = firm[k]
            withdrawals[i] += 1.0
            withdrew[i] = True
    return keep_links(firm, dest, born, keep)


@nb.njit(**_JIT)
def clear_dead_suppliers(sup, dead):
    """Empty (in place) the supplier rows of ``dead`` buyers and every slot that holds a ``dead`` supplier."""
    cap, m = sup.shape
    for b in range(cap):
        if dead[b]:
            for j in range(m):
                sup[b, j] = -1
            continue
        for j in range(m):
            s = sup[b, j]
            if s >= 0 and dead[s]:
                sup[b, j] = -1


@nb.njit(**_JIT)
def count_edges_at_or_below(values, edges):
    """Number of ``edges`` ≤ each value (all of them for NaN), as int8.

    The same as ``np.searchsorted(edges, values, side="right")`` when ``edges`` are sorted and not NaN. One pass over
    the values per edge, adding 0 or 1 without a branch (a loop the compiler vectorises; a per-value loop over the
    edges mispredicted its comparisons).
    """
    n = values.size
    out = np.zeros(n, np.int8)
    for e in edges:
        for k in range(n):
            out[k] += np.int8(not values[k] < e)
    return out


@nb.njit(**_JIT)
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


@nb.njit(**_JIT)
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


@nb.njit(**_JIT)
def switch_suppliers(sup, supplier_price, buyers, cand, q, keep_factor):
    """Fill-or-switch of ``DataFlowModel._update_suppliers`` for distinct ``buyers`` (in place).

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

"""Compiled kernels (numba) for the per-link and per-firm hot loops of a step.

Each kernel computes what a numpy expression elsewhere in ``simulator.model`` computes, in one pass and without
temporaries, and sums in the same order as ``np.bincount`` (link order), so results agree with the numpy form up to
floating-point reassociation at most (``tests/test_model_kernels.py`` checks each kernel against the numpy form on
random inputs). Kernels are plain functions of arrays: they know nothing of the model's classes.

All kernels are sequential (``parallel=False``): results never depend on the thread count. ``cache=True`` keeps the
compiled code in ``__pycache__``, so only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True}


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
def trade_terms(
    mk_firm, mk_dest, sup, alive, economy, sector, delta, unit_cost, packed, cols, local_price, n_c, n_s, ban_threshold,
    sigma,
):  # fmt: skip
    """Cost terms and delivered prices of every trade link of a step (first of the two trade passes).

    Links are the market links followed by the filled supplier slots of buyers alive (row-major, as ``np.nonzero``).
    Returns seller, dest, tau, compliance, payment, dest_hosting, feasible and price of every link, and the
    openness of the supplier links. The offers p^(1−σ) and logit weights q^(−1/μ) are left to numpy (vectorised
    exp/log), then ``trade_flows`` clears the markets.
    """
    markup = sigma / (sigma - 1.0)
    cap, m = sup.shape
    n_mk = mk_firm.size
    n_sl = 0
    for b in range(cap):
        if alive[b]:
            for j in range(m):
                if sup[b, j] >= 0:
                    n_sl += 1
    n = n_mk + n_sl
    seller = np.empty(n, np.int64)
    dest = np.empty(n, np.int64)
    tau = np.empty(n)
    comp = np.empty(n)
    pay = np.empty(n)
    dh = np.empty(n)
    feas = np.empty(n, np.bool_)
    price = np.empty(n)
    openness = np.empty(n_sl)
    c_tau, c_kap, c_ds, c_ban, c_pay, c_open = cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]
    k = 0
    for t in range(n_mk + cap):
        if t < n_mk:
            i = mk_firm[t]
            d = np.int64(mk_dest[t])
            seller[k] = i
            dest[k] = d
            _terms(k, i, d, economy, sector, delta, unit_cost, packed, local_price, n_c, n_s, ban_threshold,
                   markup, c_tau, c_kap, c_ds, c_ban, c_pay, tau, comp, pay, dh, feas, price)  # fmt: skip
            k += 1
        else:
            b = t - n_mk
            if not alive[b]:
                continue
            d = np.int64(economy[b])
            for j in range(m):
                s = sup[b, j]
                if s < 0:
                    continue
                seller[k] = s
                dest[k] = d
                row = _terms(k, s, d, economy, sector, delta, unit_cost, packed, local_price, n_c, n_s,
                             ban_threshold, markup, c_tau, c_kap, c_ds, c_ban, c_pay, tau, comp, pay, dh, feas,
                             price)  # fmt: skip
                openness[k - n_mk] = packed[row, c_open]
                k += 1
    return seller, dest, tau, comp, pay, dh, feas, price, openness


@nb.njit(inline="always", **_JIT)
def _terms(k, i, d, economy, sector, delta, unit_cost, packed, local_price, n_c, n_s, ban_threshold, markup,
           c_tau, c_kap, c_ds, c_ban, c_pay, tau, comp, pay, dh, feas, price):  # fmt: skip
    row = (np.int64(economy[i]) * n_c + d) * n_s + sector[i]
    dl = delta[i]
    t = packed[row, c_tau]
    cp = dl * packed[row, c_kap]
    py = packed[row, c_pay]
    h = dl * packed[row, c_ds] * local_price[d]
    tau[k] = t
    comp[k] = cp
    pay[k] = py
    dh[k] = h
    feas[k] = dl * packed[row, c_ban] < ban_threshold
    price[k] = markup * unit_cost[i] * t * (1.0 + (cp + py + h))
    return row


@nb.njit(**_JIT)
def trade_flows(seller, dest, economy, sector, weight, n_mk, sup, alive, n_c, n_s, e_open, e_home, spend, cap):
    """Clear final markets (CES over open and home pools) and split buyers' spending over suppliers (logit).

    ``weight`` is p^(1−σ) on market links and q^(−1/μ) on supplier links (0 where infeasible), in the link order of
    ``trade_terms``. Returns revenue per link, mass_open and mass_home per destination cell, the supplier flow slot
    matrix, and purchases and revenue per firm slot.
    """
    n_cells = n_c * n_s
    n = seller.size
    rev = np.empty(n)
    mass_open = np.zeros(n_cells)
    mass_home = np.zeros(n_cells)
    for k in range(n_mk):
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        mass_open[c] += weight[k]
        if economy[i] == dest[k]:
            mass_home[c] += weight[k]
    for k in range(n_mk):
        i = seller[k]
        c = dest[k] * n_s + sector[i]
        x = weight[k]
        so = x / mass_open[c] if mass_open[c] > 0 else 0.0
        sh = x / mass_home[c] if (mass_home[c] > 0 and economy[i] == dest[k]) else 0.0
        rev[k] = e_open[c] * so + e_home[c] * sh
    m = sup.shape[1]
    flow_slots = np.zeros((cap, m))
    purchases = np.zeros(cap)
    k = n_mk
    for b in range(sup.shape[0]):
        if not alive[b]:
            continue
        w_sum = 0.0
        k0 = k
        for j in range(m):
            if sup[b, j] >= 0:
                w_sum += weight[k]
                k += 1
        k = k0
        for j in range(m):
            if sup[b, j] < 0:
                continue
            fl = spend[b] * weight[k] / w_sum if w_sum > 0 else 0.0
            rev[k] = fl
            flow_slots[b, j] = fl
            purchases[b] += fl
            k += 1
    revenue = np.zeros(cap)
    for k in range(n):
        revenue[seller[k]] += rev[k]
    return rev, mass_open, mass_home, flow_slots, purchases, revenue


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
def seller_accounts(seller, dest, economy, revenue, wedge, comp, pay, dh, n_market, sigma, cap, n_c):
    """Per-seller sums of one pass over the links (as ``np.bincount`` in link order).

    Returns core, variable compliance, payment, destination hosting, exports, foreign market count (per firm slot),
    destination-hosting revenue per destination economy, and ``served`` (foreign links with a market link or a
    positive flow).
    """
    core = np.zeros(cap)
    comp_var = np.zeros(cap)
    payment = np.zeros(cap)
    dest_host = np.zeros(cap)
    exports = np.zeros(cap)
    n_foreign = np.zeros(cap)
    local_rev = np.zeros(n_c)
    n = seller.size
    served = np.zeros(n, np.bool_)
    for k in range(n):
        i = seller[k]
        d = dest[k]
        r = revenue[k]
        vc = r * (sigma - 1.0) / sigma
        one_w = 1.0 + wedge[k]
        core[i] += vc / one_w
        comp_var[i] += vc * comp[k] / one_w
        payment[i] += vc * pay[k] / one_w
        v = vc * dh[k] / one_w
        dest_host[i] += v
        local_rev[d] += v
        if economy[i] != d:
            exports[i] += r
            if k < n_market:
                n_foreign[i] += 1.0
                served[k] = True
            elif r > 0:
                served[k] = True
    return core, comp_var, payment, dest_host, exports, n_foreign, local_rev, served


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


# -------------------------------------------------------------------------------------------------- innovation
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
def link_metric_sums(seller, dest, economy, region_of, revenue, tau, wedge, cap, n_c):
    """Per-seller intra-regional exports and trade-cost-weighted exports, and the economy × economy export flows."""
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
            flows[np.int64(o) * n_c + d] += r
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

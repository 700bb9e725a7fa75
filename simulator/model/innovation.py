"""Innovation rules: R&D, absorptive capacity, knowledge spillovers through suppliers, frontier digital inputs.

Default rule (``schumpeterian``), per firm i and step:

    R_i = ρ · max(π_i, 0) · (1 − w_A + w_A · access_i)^ε_R   (R&D from profit, scaled by its expected return)
    K̃_i = (1 − δ_K) K_i + R_i                               (the knowledge stock after this step's R&D)
    E_i = (1 − γ_K) R_i + γ_K · δ_K · K̃_i                    (R&D input of the knowledge production function)
    A_i = conn_c^a_A · (1 − w_A + w_A · access_i)            (absorptive capacity)
    P(success) = 1 − exp(−θ · E_i / r_i · A_i),   success: φ_i ← φ_i (1 + g), g ~ Exp(ḡ)
    ln φ_i ← ln φ_i + β · Σ_j w_ij · max(ln φ_j − ln φ_i, 0) · open_ij   (w_ij: i's purchase share from j)

The knowledge stock feeds productivity through E_i: a distributed lag of R&D (Pakes & Griliches 1984; Hall, Griliches
& Hausman 1986), weight 1 − γ_K + γ_K δ_K on this step's R&D and γ_K δ_K (1 − δ_K)^s on the R&D of s steps ago (the
weights sum to 1 when δ_K > 0). With constant R&D, K̃ tends to R/δ_K and E to R: the steady state is the flow rule's;
a firm that cuts R&D keeps innovating from its stock for a while, a young firm with little stock innovates less.

``open_ij`` is 1 where data flows freely, ``open_conditional`` under transfer conditions, 0 under a ban.
Frontier inputs enter the price through φ̃_i = φ_i (1 + ζ δ_i access_i) (see ``hosting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.model.numerics import jit

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


@dataclass
class InnovationResult:
    """Output of an innovation rule (arrays per firm slot).

    Attributes:
        phi: New productivity.
        innovated: Whether the firm innovated successfully this step.
        rd: R&D spending this step.
    """

    phi: np.ndarray
    innovated: np.ndarray
    rd: np.ndarray


def rd_spending(model: DataFlowModel) -> np.ndarray:
    """R&D spending ρ · max(π, 0) · (1 − w_A + w_A · access)^ε_R per firm slot.

    The expected return to R&D is proportional to the firm's absorptive capacity (the success probability per unit
    of R&D intensity is θ · A_i); the access factor of A_i, 1 at full hyperscale cloud access, scales the R&D budget
    with elasticity ε_R. Forcing data onto a thin local market lowers access, hence the return, hence R&D.
    """
    p, f = model.params, model.firms
    ret = access_factor(model) ** p["rd_access_elasticity"]
    return p["rho"] * np.maximum(model.accounts.profit, 0.0) * ret * f.alive


def access_factor(model: DataFlowModel) -> np.ndarray:
    """1 − w_A + w_A · access_i per slot: the access factor of absorptive capacity and of the return to R&D."""
    w = model.params["absorb_cloud_weight"]
    return 1.0 - w + w * model.firms.access


def connectivity_factor(model: DataFlowModel) -> np.ndarray:
    """conn_c^a_A per economy: the connectivity factor of absorptive capacity A_i = conn_c^a_A · access factor_i.

    The power is taken per economy and gathered per slot where A_i is used: element by element the same numbers as
    conn[economy] ** a_A.
    """
    conn = np.maximum(model.costs.connectivity, np.finfo(float).tiny)
    return conn ** model.params["absorb_connectivity"]


def spillover_gain(model: DataFlowModel, phi: np.ndarray) -> np.ndarray:
    """Log gain β · Σ_j w_ij · max(ln φ_j − ln φ_i, 0) · open_ij over supplier slots (vectorised over the slots).

    The sketch's gap in levels, φ_j − φ_i, explodes with heavy-tailed productivity (a buyer could gain many times
    its own productivity in one step); the gap in logs keeps the same direction and is scale-free.
    """
    tr = model.trade
    logphi = np.log(np.maximum(phi, np.finfo(float).tiny))
    return _spillover_gain(model.network.sup, tr.supplier_flow, tr.supplier_open, logphi, model.params["beta"])


def schumpeterian(model: DataFlowModel) -> InnovationResult:
    """Default rule: R&D-driven success draws plus supplier spillovers dampened where data cannot flow.

    The arithmetic between the vectorised powers, exponentials and logarithms (which stay numpy) is done in two
    compiled passes (``rd_success_exponent``, ``innovation_success``), element by element the numpy
    expressions: R = ρ · max(π, 0) · ret · alive, E = (1 − γ_K) R + γ_K δ_K ((1 − δ_K) K + R), then x = −θ · (E / r)
    · A with A = conn^a_A[economy] · access factor, P(success) = 1 − exp(x), success = (u < P) & alive and φ (1 + ḡ g
    · success).
    """
    p, f = model.params, model.firms
    access = access_factor(model)
    ret = access ** p["rd_access_elasticity"]
    rd, x = rd_success_exponent(
        model.accounts.profit,
        f.arrays(),
        ret,
        connectivity_factor(model),
        access,
        rho=p["rho"],
        theta=p["theta"],
        depreciation=p["knowledge_depreciation"],
        stock_weight=p["knowledge_stock_weight"],
    )
    np.exp(x, out=x)
    u = model.rng.random(f.capacity)
    draws = model.rng.exponential(1.0, f.capacity)
    phi, success = innovation_success(f.phi, u, draws, p["gbar"], x, f.alive)
    gain = spillover_gain(model, phi)
    np.multiply(gain, f.alive, out=gain)
    np.exp(gain, out=gain)
    np.multiply(phi, gain, out=phi)
    return InnovationResult(phi=phi, innovated=success, rd=rd)


def spillovers_only(model: DataFlowModel) -> InnovationResult:
    """Alternative rule: no own innovation (R&D is still spent), productivity moves only by spillovers."""
    f = model.firms
    rd = rd_spending(model)
    phi = f.phi * np.exp(spillover_gain(model, f.phi) * f.alive)
    return InnovationResult(phi=phi, innovated=np.zeros(f.capacity, dtype=bool), rd=rd)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def rd_success_exponent(profit, firms, ret, conn_factor, access, rho, theta, depreciation, stock_weight):
    """R&D spending and the exponent of the innovation success probability, per slot (``innovation.schumpeterian``).

    ``firms`` is a ``FirmArrays`` (revenue, alive, economy and knowledge are read); ``access`` is the access factor of
    ``access_factor``, ``profit`` the accounts' profit of the step. Element by element the numpy expressions: R = ρ ·
    max(π, 0) · ret · alive (``np.maximum``: NaN stays NaN), the R&D input E = (1 − γ_K) R + γ_K δ_K ((1 − δ_K) K + R)
    (``stock_weight`` γ_K, ``depreciation`` δ_K) and x = −θ · (E / r if r > 0 else 0) · A with the absorptive
    capacity A = ``conn_factor[economy] * access`` (the connectivity factor per economy gathered per slot, times the
    access factor); P(success) = 1 − exp(x) is left to numpy (vectorised exp).
    """
    revenue, alive, economy, knowledge = firms.revenue, firms.alive, firms.economy, firms.knowledge
    keep = 1.0 - depreciation
    n = profit.size
    rd = np.empty(n)
    x = np.empty(n)
    for i in range(n):
        pi = profit[i]
        pos = pi if (pi >= 0.0 or pi != pi) else 0.0
        r = rho * pos * ret[i] * (1.0 if alive[i] else 0.0)
        rd[i] = r
        effective = (1.0 - stock_weight) * r + stock_weight * depreciation * (keep * knowledge[i] + r)
        rv = revenue[i]
        intensity = effective / rv if rv > 0 else 0.0
        x[i] = -theta * intensity * (conn_factor[economy[i]] * access[i])
    return rd, x


@jit
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


@jit
def _spillover_gain(sup, flow, openness, logphi, beta):
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


@jit
def firm_update(firms, rd, phi_new, acc_profit, acc_revenue, keep):
    """The firm arrays after a step's trade and innovation (``DataFlowModel.step``), as new arrays.

    ``firms`` is a ``FirmArrays`` (alive, knowledge and φ are read). Element by element the numpy expressions: knowledge
    ``keep · K + rd``, φ ``np.where(alive, φ_new, φ)``, profit ``π − rd`` and a copy of the revenue.
    """
    alive, knowledge, phi = firms.alive, firms.knowledge, firms.phi
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

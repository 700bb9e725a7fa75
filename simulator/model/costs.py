"""Compile policies into per-link costs: the (origin, destination, sector) tables every trade link reads.

Only the *tables* are built here (size c × c × s, a few tens of thousands of numbers); firm-level costs on a link are
the table entry times the firm's data intensity δ_i, gathered by fancy indexing in ``trade``. The tables are rebuilt
only when a government changed the policy state.

For each data category k, a regime R applied by a *rule owner* h towards a foreign partner p costs (ad valorem)

    c_h(R) = strength · (κ_T[R] · (1 − tw) + κ_S[R] · (1 − lw))

with κ_T the transfer-condition part (κ[conditional] for regimes with transfer conditions, else 0), κ_S the storage
part (the rest of κ[R]), tw the transfer waiver for data flowing from h to p and lw the waiver of h's localisation
rule for firms of p (for a storage ban, the ban waiver bw instead: an agreement waives a ban only where it says
so). On a link o → d both the exporter's rule (owner o) and the importer's rule (owner d) apply; the stricter counts
per category, and categories add up with the sector's exposure shares e_sk:

    κ_ods = Σ_k e_sk · max(c_o(R_oks), c_d(R_dks))      (firm pays δ_i · κ_ods)

A storage ban obliges; it does not forbid. The data of the link that d's bans cover (share b_ods = Σ_k e_sk ·
ban_dks · (1 − bw_od)) must stay in d: a foreign firm hosts it there (``dest_storage``, at d's local price) and pays
a local presence F_ban per step (in ``fixed``, × δ_i), or leaves when that does not pay (the market rules). Only the
activities that are the cross-border processing of the data stop: the service of firm i on the link is infeasible
when δ_i · b_ods · transfer_dependence_s ≥ b* (``ban``; goods sectors have dependence 0). The exporter's own bans
keep its firms' own data at home (``home_move``), not the link's.

Trust moves demand, it does not create it. With g_c = safeguards_c · (1 − p_none · none_c) the protection an
economy's own rules give personal data (``none_c`` the share of sectors whose personal data is under the ``none``
regime), buyers in d trust a supplier from o by

    T_od = T₀ + (1 − T₀) · g_d · a_od,   a_dd = 1,   a_od = max(g_o, tw_do)   (o ≠ d),

rising with d's own safeguards and with whether the data sent from d to o is safeguarded there: by o's own rules, or
by an adequacy decision, agreement or club that waives d's transfer conditions towards o (tw_do). At home T_dd is
d's own level (``trust``). Trust is a quality shifter in the buyers' choice among suppliers: a supplier's delivered
price counts as p · θ_ods, θ_ods = T_od^(−η w_s/(σ − 1)) (``trust_price``), with w_s = δ_s · e_s,personal the
sector's personal-data intensity, so its CES weight is p^(1−σ) · T_od^(η w_s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.model.numerics import jit
from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world.policy import REGIME_ORDER, PolicyState
from simulator.world.world import World

CATEGORIES: tuple[DataCategory, ...] = tuple(DataCategory)


def exposure_matrix(world: World) -> np.ndarray:
    """Return the exposure shares e_sk of each sector's data to each data category, ``float (s, k)``."""
    sd = world.sector_data
    out = np.zeros((len(world.sector_codes), len(CATEGORIES)))
    s_idx = {s: i for i, s in enumerate(world.sector_codes)}
    k_idx = {str(k): i for i, k in enumerate(CATEGORIES)}
    for s, k, e in zip(sd["sector"], sd["data_category"], sd["exposure"], strict=True):
        out[s_idx[s], k_idx[str(k)]] = float(e)
    return out


def regime_tables(params: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Per-regime-code look-up tables (indexed by the codes of ``PolicyState.regime``).

    Returns:
        ``kappa_t`` transfer part, ``kappa_s`` storage part, ``ban`` 1 for ``storage_ban``, ``copy`` 1 for
        ``storage_copy``, ``move`` 1 where storage forces the data onto local hosting, ``closed`` share of knowledge
        spillovers blocked, ``transfer_rule`` 1 where the closedness is waived by transfer waivers (else by
        localisation waivers).
    """
    kappa = {
        Regime.NONE: 0.0,
        Regime.OPEN: 0.0,
        Regime.CONDITIONAL: params["kappa_conditional"],
        Regime.STORAGE_COPY: params["kappa_storage_copy"],
        Regime.STORAGE_CONDITIONAL: params["kappa_storage_conditional"],
        Regime.STORAGE_BAN: params["kappa_storage_ban"],
    }
    kt = np.array([params["kappa_conditional"] if r.has_transfer_conditions else 0.0 for r in REGIME_ORDER])
    total = np.array([kappa[r] for r in REGIME_ORDER])
    closed = {
        Regime.CONDITIONAL: 1 - params["open_conditional"],
        Regime.STORAGE_CONDITIONAL: 1 - params["open_conditional"],
    }
    return {
        "kappa_t": np.minimum(kt, total),
        "kappa_s": np.maximum(total - kt, 0.0),
        "ban": np.array([float(r is Regime.STORAGE_BAN) for r in REGIME_ORDER]),
        "copy": np.array([float(r is Regime.STORAGE_COPY) for r in REGIME_ORDER]),
        "move": np.array([float(r in (Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN)) for r in REGIME_ORDER]),
        "closed": np.array([1.0 if r is Regime.STORAGE_BAN else closed.get(r, 0.0) for r in REGIME_ORDER]),
        "transfer_rule": np.array([float(r is not Regime.STORAGE_BAN) for r in REGIME_ORDER]),
        "none": np.array([float(r is Regime.NONE) for r in REGIME_ORDER]),
    }


@dataclass
class LinkCosts:
    """Cost tables compiled from one policy state. Shapes: o, d economies; s sectors.

    Attributes:
        tau: Iceberg trade cost τ_ods ≥ 1 (1 at home).
        kappa: Data-compliance wedge per unit of data intensity κ_ods (0 at home).
        fixed: Fixed compliance cost per unit of data intensity, in model money per step, F_ods: the transfer and
            storage rules' F₀ · κ_ods / κ[conditional], plus the local presence F_ban · money_scale · b_ods that the
            destination's storage bans require.
        firm_fixed: Per-firm fixed compliance cost per unit of data intensity a rule on this link implies, in model
            money per step, G_ods = F₁ · money_scale · κ_ods / κ[conditional]; a firm pays the largest G over the
            foreign destinations it serves, once (legal basis, data-protection officer, contract templates).
        ban: Share of the link's activity that cannot run under the destination's storage bans even with a local
            presence, b_ods · transfer_dependence_s, with b_ods the exposure share of the data d's bans (not waived
            for o) keep in d; a firm's service on the link stops when δ_i × this ≥ ``ban_dependence_threshold``.
        dest_storage: Share of the data that must be hosted in d for foreign firms, f_ods (before δ_i): d's storage
            mandates not waived for o, and the data its bans keep in d (b_ods).
        openness: Share of knowledge spillovers that pass the link, ``open_ods`` in [0, 1].
        payment: Cross-border payment cost π_od, ``(o, d)``.
        crypto: Extra ad-valorem compliance per unit of δ from cryptography restrictions at d, ``(o, d)``.
        source_code: Whether d requires source-code disclosure from foreign firms, ``(o, d)``.
        home_move: Share of an economy's firms' data forced onto local hosting, ``(c, s)``.
        home_copy: Share that needs a local copy (hosted twice), ``(c, s)``.
        home_transfer: Transfer-condition compliance per unit of δ on an economy's firms' own data kept on a
            foreign cloud, Σ_k e_sk · κ_T[R_cks] · strength, ``(c, s)``.
        trust: Consumer trust at home T_d = T_dd, ``(c,)`` (shifts spending between sectors, ``trade``).
        trust_link: Trust of buyers in d in suppliers from o, T_od, ``(o, d)``.
        trust_price: Trust price factor θ_ods = T_od^(−η w_s/(σ − 1)) ≥ 1 (1 with η = 0): a supplier's delivered
            price times θ is the quality-adjusted price buyers compare (CES weights and the buyers' logit).
        connectivity: Internet users share, ``(c,)``.
        cloud_region: Whether a hyperscale region operates, ``(c,)``.
        telecom: Multiplier on hosting and connectivity costs, ``(c,)``.
        packed: The link tables gathered per flat index (o · C + d) · S + s, columns ``PACKED`` (built by
            ``compile_costs`` so that a link's terms are one row gather).
    """

    tau: np.ndarray
    kappa: np.ndarray
    fixed: np.ndarray
    firm_fixed: np.ndarray
    ban: np.ndarray
    dest_storage: np.ndarray
    openness: np.ndarray
    payment: np.ndarray
    crypto: np.ndarray
    source_code: np.ndarray
    home_move: np.ndarray
    home_copy: np.ndarray
    home_transfer: np.ndarray
    trust: np.ndarray
    trust_link: np.ndarray
    trust_price: np.ndarray
    connectivity: np.ndarray
    cloud_region: np.ndarray
    telecom: np.ndarray
    packed: np.ndarray | None = None

    def pack(self) -> None:
        """Build ``packed`` from the (o, d, s) and (o, d) tables."""
        n_c, _, n_s = self.tau.shape
        od = lambda a: np.broadcast_to(np.asarray(a, dtype=float)[:, :, None], (n_c, n_c, n_s))  # noqa: E731
        cols = {
            "tau": self.tau,
            "kappa": self.kappa + od(self.crypto),
            "dest_storage": self.dest_storage,
            "ban": self.ban,
            "payment": od(self.payment),
            "openness": self.openness,
            "fixed": self.fixed,
            "source_code": od(self.source_code),
            "firm_fixed": self.firm_fixed,
            "trust": self.trust_price,
        }
        self.packed = np.ascontiguousarray(np.stack([cols[c].reshape(-1) for c in PACKED], axis=1))


PACKED: tuple[str, ...] = (
    "tau",
    "kappa",
    "dest_storage",
    "ban",
    "payment",
    "openness",
    "fixed",
    "source_code",
    "firm_fixed",
    "trust",
)
"""Columns of ``LinkCosts.packed``."""
COL: dict[str, int] = {c: i for i, c in enumerate(PACKED)}


def compile_costs(
    world: World, policy: PolicyState, params: Mapping[str, float], exposure: np.ndarray, money_scale: float
) -> LinkCosts:
    """Compile ``policy`` into ``LinkCosts``.

    Args:
        world: The world (distances, sector kinds).
        policy: The policy in force.
        params: Parameter values.
        exposure: Exposure shares ``(s, k)`` from ``exposure_matrix``.
        money_scale: Model money unit of fixed costs (median initial firm revenue per step).
    """
    n = policy.n_economies
    tab = regime_tables(params)
    off = ~np.eye(n, dtype=bool)

    # distance, agreements, border costs
    dist = world.distance_km / 1000.0
    base = params["t0"] * dist ** params["gamma"] * (1.0 - params["rta"] * policy.trade_agreement)
    goods = (world.sectors["kind"].to_numpy() == "goods").astype(float)
    border = params["border_cost_goods"] * policy.border_cost_factor
    tau = 1.0 + (base[:, :, None] + border[None, :, None] * goods[None, None, :]) * off[:, :, None]

    # data rules: reg (c, k, s) → (o, d, k, s) for both owners
    reg = policy.regime.astype(np.intp)
    st = policy.regime_strength
    tw = policy.transfer_waiver  # [h, p]: data from h to p
    lw = policy.localisation_waiver  # [o, d]: d's localisation waived for firms of o
    bw = policy.ban_waiver  # [o, d]: d's storage bans waived for firms of o (only where an agreement says so)
    is_ban = tab["ban"][reg]  # (c, k, s): 1 where the regime is a storage ban
    kt, ks = tab["kappa_t"][reg] * st, tab["kappa_s"][reg] * st  # (c, k, s)
    ks_rule, ks_ban = ks * (1 - is_ban), ks * is_ban  # a ban's storage part is waived by ban waivers only
    # exporter's rule (owner o, partner d): tw[o, d], lw[d, o], bw[d, o]
    c_o = (
        kt[:, None] * (1 - tw)[:, :, None, None]
        + ks_rule[:, None] * (1 - lw.T)[:, :, None, None]
        + ks_ban[:, None] * (1 - bw.T)[:, :, None, None]
    )
    # importer's rule (owner d, partner o): tw[d, o], lw[o, d], bw[o, d]
    c_d = (
        kt[None, :] * (1 - tw.T)[:, :, None, None]
        + ks_rule[None, :] * (1 - lw)[:, :, None, None]
        + ks_ban[None, :] * (1 - bw)[:, :, None, None]
    )
    per_k = np.maximum(c_o, c_d)  # (o, d, k, s)
    kappa = np.einsum("odks,sk->ods", per_k, exposure) * off[:, :, None]

    # the destination's storage bans: the share of the link's data that must stay in d (hosted there, with a local
    # presence); the exporter's own bans keep its own data at home (``home_move``) and do not touch the link
    banned = np.einsum("dks,sk->ds", is_ban * st, exposure)[None, :, :] * (1 - bw)[:, :, None] * off[:, :, None]
    dependence = world.sectors["transfer_dependence"].to_numpy(dtype=float)
    ban = banned * dependence[None, None, :]

    # storage mandates short of a ban (a copy costs less), waived by localisation waivers
    loc_rule = (params["copy_hosting_share"] * tab["copy"] + tab["move"] * (1 - tab["ban"]))[reg] * st
    dest_storage = (np.einsum("dks,sk->ds", loc_rule, exposure)[None, :, :] * (1 - lw)[:, :, None] + banned) * off[
        :, :, None
    ]

    closed_k = tab["closed"][reg] * st
    is_t = tab["transfer_rule"][reg]
    w_o = is_t[:, None] * (1 - tw)[:, :, None, None] + (1 - is_t[:, None]) * (1 - bw.T)[:, :, None, None]
    w_d = is_t[None, :] * (1 - tw.T)[:, :, None, None] + (1 - is_t[None, :]) * (1 - bw)[:, :, None, None]
    closed = np.maximum(closed_k[:, None] * w_o, closed_k[None, :] * w_d)
    openness = 1.0 - np.einsum("odks,sk->ods", closed, exposure) * off[:, :, None]

    kref = params["kappa_conditional"]
    unit_fixed = params["fixed_compliance"] * money_scale
    rule_scale = kappa / kref if kref > 0 else (kappa > 0).astype(float)
    # a local presence where the destination's bans cover the data (× δ_i when charged, like F)
    fixed = unit_fixed * rule_scale + params["ban_presence_cost"] * money_scale * banned
    # per-firm part (paid once per firm, at the strictest rule among the foreign destinations it serves)
    firm_fixed = params["firm_fixed_compliance"] * money_scale * rule_scale

    payment = params["pi0"] * policy.payment_friction * (1 - params["interop_effect"] * policy.payment_interop) * off
    crypto = np.broadcast_to(policy.crypto_restriction[None, :], (n, n)) * off
    source_code = np.broadcast_to(policy.source_code_disclosure[None, :].astype(bool), (n, n)) & off

    home_move = np.einsum("cks,sk->cs", tab["move"][reg] * st, exposure)
    home_copy = np.einsum("cks,sk->cs", tab["copy"][reg] * st, exposure)
    # a firm's own data sent to a cloud abroad is a transfer to a processor under the provider's standard terms: only
    # a share of the transfer wedge (the wedge proper is charged on the data that crosses for a sale, ``kappa``)
    home_transfer = params["cloud_transfer_share"] * np.einsum("cks,sk->cs", tab["kappa_t"][reg] * st, exposure)

    personal = CATEGORIES.index(DataCategory.PERSONAL)
    none_share = tab["none"][reg[:, personal, :]].mean(axis=1)
    t_min = params["trust_min"]
    protection = policy.safeguards * (1 - params["trust_none_penalty"] * none_share)  # g_c
    # data sent from d to o is safeguarded by o's own rules or by a waiver of d's transfer conditions towards o
    safe_at = np.where(off, np.maximum(protection[:, None], tw.T), 1.0)  # a_od
    own = (1 - t_min) * policy.safeguards * (1 - params["trust_none_penalty"] * none_share)  # (1 − T₀) g_d
    trust_link = t_min + own[None, :] * safe_at  # T_od
    trust = t_min + own  # T_dd, the same numbers as the diagonal of T_od
    personal_intensity = world.sectors["data_intensity"].to_numpy(dtype=float) * exposure[:, personal]  # w_s
    trust_price = np.maximum(trust_link, np.finfo(float).tiny)[:, :, None] ** (
        -params["eta"] * personal_intensity[None, None, :] / (params["sigma"] - 1.0)
    )

    out = LinkCosts(
        tau=tau,
        kappa=kappa,
        fixed=fixed,
        firm_fixed=firm_fixed,
        ban=ban,
        dest_storage=dest_storage,
        openness=np.clip(openness, 0.0, 1.0),
        payment=payment,
        crypto=np.ascontiguousarray(crypto),
        source_code=np.ascontiguousarray(source_code),
        home_move=np.clip(home_move, 0.0, 1.0),
        home_copy=np.clip(home_copy, 0.0, 1.0),
        home_transfer=home_transfer,
        trust=trust,
        trust_link=trust_link,
        trust_price=trust_price,
        connectivity=np.clip(policy.internet_users_pct / 100.0, 0.0, 1.0),
        cloud_region=policy.cloud_region.astype(bool),
        telecom=policy.telecom_cost_factor.astype(float),
    )
    out.pack()
    return out


def fixed_table(costs: LinkCosts, source_code_amount: float) -> np.ndarray:
    """The fixed-cost terms of ``costs.packed`` per row (``_fixed_table``): ``(rows, 2)``.

    The columns are F + source code amount × source code, and the per-firm rule G. ``source_code_amount`` is the
    source-code cost in model money. Like ``link_terms.trade_table``, a model builds it when its cost tables are set
    (``DataFlowModel.tables``).
    """
    return _fixed_table(costs.packed, COL["fixed"], COL["source_code"], COL["firm_fixed"], source_code_amount)


# ----------------------------------------------------------------------------------------------------- compiled kernels
@jit
def _fixed_table(packed, c_fixed, c_sc, c_ff, sc_amount):
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

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
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pytest
from scipy import stats
from test_model_fixtures import full_world, pair_events, regime_events, schedule

from simulator.model import DataFlowModel
from simulator.model.population import SizeClass
from simulator.scenario.taxonomy import Regime
from simulator.world.baseline import baseline_state
from simulator.world.policy import PolicyEvent, PolicyState, regime_code

N_FIRMS = 6000
REPS = 16
SEED0 = 20_000
REFORM_STEP = 1
STEPS = 21
WINDOW = (2, 21)
"""First and last step (inclusive) of the measurement window: years 1–5 after the reform at step 1."""
CONFIDENCE = 0.95

SEVERITY = (Regime.STORAGE_COPY, Regime.CONDITIONAL, Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN)
"""Fact 1's regimes in the order of rising losses the evidence gives."""
PARTIAL_IMPLEMENTER = "BRA"
PARTIAL_SECTORS = ("finance_payments", "ict_digital", "health")
"""Fact 2: Brazil adds local storage (storage + conditional transfers) in three data-intensive sectors only."""
HIGH_DATA = ("ict_digital", "finance_payments", "business_services")
LOW_DATA = ("agri_mining", "manufacturing", "logistics")
SMALLER = (SizeClass.MICRO, SizeClass.SMALL)
LARGER = (SizeClass.MEDIUM, SizeClass.LARGE)
ADEQUACY_HUB = "EUU"
ADEQUACY_PARTNERS = ("BRA", "MEX", "COL", "CHL", "PER")
"""Fact 4: new EU adequacy decisions, the partners of ``scenarios/lac_conditional_adequacy.yaml``."""
CONNECTED_INTERNET_PCT = 90.0
"""Fact 6: internet use of every African economy in the connected counterfactual (Europe's level, ITU 2023)."""

BAND_FACT2_LOSS = (0.1, 2.0)
"""Fact 2: real-income loss of the implementer, % (ECIPE 2014: −0.1 to −1.7 % of GDP for enacted/proposed rules)."""
BAND_FACT4_GAIN = (6.0, 14.0)
"""Fact 4: bilateral digitally delivered services trade between members, % (CITP WP 006, 2023: +6 to +14 %)."""
BAND_FACT5_SHARE = (10.0, 15.0)
"""Fact 5: share of exposed firms that limit services, leave markets or significantly change operations, % (OECD–WTO
2025: "just over 10 %")."""


# ---------------------------------------------------------------------------------------------------------- runs
@dataclass
class Record:
    """What one run leaves for the facts (window means unless stated).

    Attributes:
        real: Metric name → economy vector of its window mean (``real_income``, ``real_output``, ``real_investment``).
        trade: Cross-border sales by origin × destination × seller sector, weighted (real firms).
        dds: Digitally delivered services flows by origin × destination (services sectors, sales × seller δ).
        uid: Firms alive at step 0 (shared by a pair: common random numbers).
        weight, economy, size: Their agent weight, economy and size class at step 0.
        sells_to: ``bool (firms, economies)``: the foreign economies each firm sells to at step 0 (a final-market
            link there, or a buyer there in its supplier slots).
        exporter: Whether the firm sells to any foreign economy at step 0.
        exporting: Share of the window's steps in which the firm is alive and exports.
        withdrew, exited, rehosted: By the end of the window: dropped a foreign market (its own choice), is no longer
            alive, changed its hosting mode at some step of the window.
    """

    real: dict[str, np.ndarray]
    trade: np.ndarray
    dds: np.ndarray
    uid: np.ndarray
    weight: np.ndarray
    economy: np.ndarray
    size: np.ndarray
    exporter: np.ndarray
    sells_to: np.ndarray
    exporting: np.ndarray
    withdrew: np.ndarray
    exited: np.ndarray
    rehosted: np.ndarray


def _cross_border(model: DataFlowModel, economy: np.ndarray, sector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """This step's cross-border sales, origin × destination × seller sector, and the dds flows origin × destination.

    ``economy`` and ``sector`` are the slots' as trade saw them (copied before the step: exits and entry at the end of
    a step can give a slot to a new firm after trade).
    """
    tr = model.trade
    n_c, n_s = model.n_economies, model.n_sectors
    seller = tr.sales_seller
    o, d, s = economy[seller].astype(np.int64), tr.sales_dest.astype(np.int64), sector[seller].astype(np.int64)
    value = tr.sales_revenue * tr.weight[seller]
    foreign = o != d
    cell = (o * n_c + d) * n_s + s
    trade = np.bincount(cell[foreign], weights=value[foreign], minlength=n_c * n_c * n_s).reshape(n_c, n_c, n_s)
    services = (model.world.sectors["kind"].to_numpy() == "services")[s]
    dds_value = value * tr.sales_delta * services
    dds = np.bincount((o * n_c + d)[foreign], weights=dds_value[foreign], minlength=n_c * n_c).reshape(n_c, n_c)
    return trade, dds


def _run(state: PolicyState, events: tuple[PolicyEvent, ...], seed: int) -> Record:
    world = full_world()
    m = DataFlowModel(world, schedule(state, events, horizon=STEPS), n_firms=N_FIRMS, rng=np.random.SeedSequence(seed))
    f = m.firms
    slot = np.flatnonzero(f.alive)
    uid = f.uid[slot].copy()
    # foreign links at step 0 from the network (the last burn-in trade predates its exits and entry): final markets,
    # and buyers' supplier slots (the supplier sells to the buyer's economy)
    net = m.network
    sells = np.zeros((f.capacity, m.n_economies), bool)
    foreign = f.economy[net.mk_firm] != net.mk_dest
    sells[net.mk_firm[foreign], net.mk_dest[foreign]] = True
    buyer, j = np.nonzero((net.sup >= 0) & f.alive[: net.sup.shape[0], None])
    sup = net.sup[buyer, j]
    foreign = f.economy[sup] != f.economy[buyer]
    sells[sup[foreign], f.economy[buyer[foreign]]] = True
    hosting0 = f.hosting[slot].copy()
    weight0, economy0, size0 = f.weight[slot].copy(), f.economy[slot].copy(), f.size[slot].copy()
    trade_sum, dds_sum, n_window = 0.0, 0.0, 0
    exporting = np.zeros(slot.size)
    rehosted = np.zeros(slot.size, bool)
    for t in range(1, STEPS + 1):
        economy, sector = m.firms.economy.copy(), m.firms.sector.copy()
        m.step()
        if WINDOW[0] <= t <= WINDOW[1]:
            trade, dds = _cross_border(m, economy, sector)
            trade_sum, dds_sum, n_window = trade_sum + trade, dds_sum + dds, n_window + 1
            same = m.firms.alive[slot] & (m.firms.uid[slot] == uid)
            exports = np.zeros(slot.size)
            exports[same] = m.accounts.exports[slot[same]]
            exporting += same & (exports > 0)
            rehosted |= same & (m.firms.hosting[slot] != hosting0)
    f = m.firms
    same = f.alive[slot] & (f.uid[slot] == uid)
    df = m.metrics_frame()
    df = df[(df["level"] == "economy") & df["step"].between(*WINDOW)]
    real = {}
    for metric in ("real_income", "real_output", "real_investment"):
        sel = df[df["metric"] == metric].groupby("group", observed=True)["value"].mean()
        real[metric] = sel.reindex(world.iso3).to_numpy(dtype=float)
    return Record(
        real=real,
        trade=trade_sum / n_window,
        dds=dds_sum / n_window,
        uid=uid,
        weight=weight0,
        economy=economy0,
        size=size0,
        exporter=sells[slot].any(axis=1),
        sells_to=sells[slot],
        exporting=exporting / n_window,
        withdrew=same & f.withdrew[slot],
        exited=~same,
        rehosted=rehosted,
    )


@lru_cache(maxsize=1)
def status_quo() -> PolicyState:
    """The shipped status quo of the full world (``baseline_state``)."""
    return baseline_state(full_world())


def africa() -> list[str]:
    world = full_world()
    return [c for c in world.iso3 if world.economies.loc[c, "region"] == "AFR"]


@lru_cache(maxsize=1)
def connected() -> PolicyState:
    """Fact 6's counterfactual context: the status quo with every African economy at ``CONNECTED_INTERNET_PCT``
    internet use and full payment interoperability between African economies (PAPSS-style settlement for all)."""
    world, state = full_world(), status_quo().copy()
    idx = [world.index_of(c) for c in africa()]
    state.internet_users_pct[idx] = CONNECTED_INTERNET_PCT
    for a in idx:
        for b in idx:
            if a != b:
                state.payment_interop[a, b] = 1.0
    return state


def implementers() -> tuple[str, ...]:
    """Fact 1 (and 3, 5): the economies whose status quo is ``open`` for every data category and sector.

    Only there does each of the four regimes tighten every rule (elsewhere storage-only would relax a conditional
    rule), so the four reforms are comparable.
    """
    world = full_world()
    open_everywhere = np.all(status_quo().regime == regime_code(Regime.OPEN), axis=(1, 2))
    return tuple(np.asarray(world.iso3)[open_everywhere])


def adequacy_events() -> tuple[PolicyEvent, ...]:
    """New EU adequacy decisions: the EU_ADEQUACY bloc's transfer waiver between the EU and each partner, both ways
    (the hub rule of ``simulator.world.baseline``: not among the partners)."""
    world = full_world()
    waiver = float(world.agreement_effects.loc["EU_ADEQUACY", "transfer_waiver"])
    hub = world.index_of(ADEQUACY_HUB)
    out = []
    for p in ADEQUACY_PARTNERS:
        c = world.index_of(p)
        out += [PolicyEvent(REFORM_STEP, hub, "transfer_waiver", (c,), waiver)]
        out += [PolicyEvent(REFORM_STEP, c, "transfer_waiver", (hub,), waiver)]
    return tuple(out)


def reform_events(name: str) -> tuple[PolicyEvent, ...]:
    """The policy events of each named reform (all at ``REFORM_STEP``)."""
    world = full_world()
    if name == "none":
        return ()
    if name in {r.value for r in SEVERITY}:
        return sum((regime_events(world, c, Regime(name), step=REFORM_STEP) for c in implementers()), ())
    if name == "partial":
        return regime_events(
            world, PARTIAL_IMPLEMENTER, Regime.STORAGE_CONDITIONAL, step=REFORM_STEP, sectors=PARTIAL_SECTORS
        )
    if name == "adequacy":
        return adequacy_events()
    if name == "african_club":
        return pair_events(world, africa(), "transfer_waiver", 1.0, step=REFORM_STEP)
    raise KeyError(name)


STATES = {"status_quo": status_quo, "connected": connected}


@cache
def run(state: str, reform: str, rep: int) -> Record:
    """The run of replicate ``rep`` (seed ``SEED0 + rep``) from the named state under the named reform (cached)."""
    return _run(STATES[state](), reform_events(reform), SEED0 + rep)


def pairs(reform: str, state: str = "status_quo", base: str = "none") -> list[tuple[Record, Record]]:
    """The ``REPS`` (baseline, reform) pairs of a reform."""
    return [(run(state, base, r), run(state, reform, r)) for r in range(REPS)]


# ---------------------------------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Effect:
    """Paired differences of one measure over the replicates, with their mean and t interval."""

    values: np.ndarray
    unit: str = "%"

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def half_width(self) -> float:
        n = self.values.size
        return float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * self.values.std(ddof=1) / np.sqrt(n))

    @property
    def interval(self) -> tuple[float, float]:
        return self.mean - self.half_width, self.mean + self.half_width

    def positive(self) -> bool:
        """The interval lies above zero."""
        return bool(np.isfinite(self.values).all() and self.interval[0] > 0)

    def within(self, band: tuple[float, float]) -> bool:
        """Above zero (interval) and its mean inside ``band``."""
        return self.positive() and band[0] <= self.mean <= band[1]

    def __str__(self) -> str:
        lo, hi = self.interval
        k = int((self.values > 0).sum())
        return f"{self.mean:+.2f} {self.unit} [{lo:+.2f}, {hi:+.2f}], {k}/{self.values.size} pairs > 0"


def pct(new: float, old: float) -> float:
    return 100.0 * (new / old - 1.0)


def _idx(codes) -> np.ndarray:
    world = full_world()
    return np.array([world.index_of(c) for c in codes], dtype=int)


def _sectors(codes) -> np.ndarray:
    return np.array([full_world().sector_codes.index(s) for s in codes], dtype=int)


# --------------------------------------------------------------------------------------------------------- facts
def fact1_loss(regime: Regime) -> Effect:
    """Implementers' real-income loss (%, window mean of their summed real income) when each adopts ``regime``."""
    idx = _idx(implementers())
    loss = [-pct(r.real["real_income"][idx].sum(), b.real["real_income"][idx].sum()) for b, r in pairs(regime.value)]
    return Effect(np.array(loss))


def fact2_effects() -> dict[str, Effect]:
    """Brazil's partial localisation: its real-income loss (%), the % changes of its real output and real investment,
    and ``investment_gap``: the output change minus the investment change (pp; > 0 when investment falls more)."""
    c = full_world().index_of(PARTIAL_IMPLEMENTER)
    loss, d_out, d_inv = [], [], []
    for b, r in pairs("partial"):
        loss.append(-pct(r.real["real_income"][c], b.real["real_income"][c]))
        d_out.append(pct(r.real["real_output"][c], b.real["real_output"][c]))
        d_inv.append(pct(r.real["real_investment"][c], b.real["real_investment"][c]))
    d_out, d_inv = np.array(d_out), np.array(d_inv)
    return {
        "loss": Effect(np.array(loss)),
        "real_output": Effect(d_out),
        "real_investment": Effect(d_inv),
        "investment_gap": Effect(d_out - d_inv, "pp"),
    }


def _exposed(rec: Record, idx: np.ndarray) -> np.ndarray:
    """Firms exposed to rules of the economies ``idx``: selling there at step 0, or based there and exporting."""
    return rec.sells_to[:, idx].any(axis=1) | (np.isin(rec.economy, idx) & rec.exporter)


def fact3_effects() -> dict[str, Effect]:
    """Conditional transfers in the implementers (fact 1's run).

    ``sectors``: % change of the implementers' cross-border trade (exports + imports) in data-light sectors minus
    that in data-intensive sectors (pp). ``size``: among exposed firms exporting at step 0, % change of the share
    still exporting (window mean, weighted), medium/large minus micro/small (pp).
    """
    idx = _idx(implementers())
    hi, lo = _sectors(HIGH_DATA), _sectors(LOW_DATA)
    sectors, size = [], []
    for b, r in pairs(Regime.CONDITIONAL.value):

        def trade(rec, sec):
            t = rec.trade[:, :, sec]
            return t[idx].sum() + t[:, idx].sum() - t[np.ix_(idx, idx)].sum()

        sectors.append(pct(trade(r, lo), trade(b, lo)) - pct(trade(r, hi), trade(b, hi)))
        cohort = _exposed(b, idx) & b.exporter

        def still(rec, classes, cohort=cohort):
            sel = cohort & np.isin(rec.size, classes)
            return (rec.exporting[sel] * rec.weight[sel]).sum() / rec.weight[sel].sum()

        size.append(pct(still(r, LARGER), still(b, LARGER)) - pct(still(r, SMALLER), still(b, SMALLER)))
    return {"sectors": Effect(np.array(sectors), "pp"), "size": Effect(np.array(size), "pp")}


def fact4_gain() -> Effect:
    """% change of digitally delivered services trade between the EU and the new adequacy partners (both ways)."""
    hub, part = full_world().index_of(ADEQUACY_HUB), _idx(ADEQUACY_PARTNERS)

    def bilateral(rec):
        return rec.dds[hub, part].sum() + rec.dds[part, hub].sum()

    return Effect(np.array([pct(bilateral(r), bilateral(b)) for b, r in pairs("adequacy")]))


def fact5_effects() -> dict[str, Effect]:
    """Conditional transfers in the implementers: the exposed firms' responses by the end of the window (pp).

    ``response``: excess share (reform − baseline, weighted by real firms) of exposed firms that withdrew from a
    foreign market, exited, or changed their hosting mode (limit services, leave markets, significantly change
    operations). ``non_exit``: the response excess minus the exit excess (responses other than exit). Also the
    excess of each response alone (``withdrew``, ``exited``, ``rehosted``).
    """
    idx = _idx(implementers())
    out: dict[str, list[float]] = {k: [] for k in ("response", "non_exit", "withdrew", "exited", "rehosted")}
    for b, r in pairs(Regime.CONDITIONAL.value):
        exposed = _exposed(b, idx)
        w = b.weight[exposed]

        def excess(flag, exposed=exposed, w=w, b=b, r=r):
            return 100.0 * ((flag(r)[exposed] * w).sum() - (flag(b)[exposed] * w).sum()) / w.sum()

        out["response"].append(excess(lambda rec: rec.withdrew | rec.exited | rec.rehosted))
        out["non_exit"].append(out["response"][-1] - excess(lambda rec: rec.exited))
        for k in ("withdrew", "exited", "rehosted"):
            out[k].append(excess(lambda rec, k=k: getattr(rec, k)))
    return {k: Effect(np.array(v), "pp") for k, v in out.items()}


def fact6_effect() -> dict[str, Effect]:
    """% response of intra-African dds trade to an African transfer-waiver club, connected minus status quo (pp)."""
    idx = _idx(africa())

    def intra(rec):
        return rec.dds[np.ix_(idx, idx)].sum()

    low = [pct(intra(r), intra(b)) for b, r in pairs("african_club")]
    high = [pct(intra(r), intra(b)) for b, r in pairs("african_club", state="connected")]
    return {
        "status_quo": Effect(np.array(low)),
        "connected": Effect(np.array(high)),
        "difference": Effect(np.array(high) - np.array(low), "pp"),
    }


def fact_table() -> str:
    """Every measured effect, one line each (the source of docs/evidence.md's status table and the xfail reasons)."""
    lines = [f"{N_FIRMS} agents, {REPS} pairs, seeds {SEED0}-{SEED0 + REPS - 1}, window steps {WINDOW[0]}-{WINDOW[1]}"]
    lines.append(f"implementers: {', '.join(implementers())}")
    for regime in SEVERITY:
        lines.append(f"fact 1 loss {regime.value}: {fact1_loss(regime)}")
    for lo, hi in itertools.pairwise(SEVERITY):
        lines.append(f"fact 1 {hi.value} - {lo.value}: {Effect(fact1_loss(hi).values - fact1_loss(lo).values, 'pp')}")
    for group in (fact2_effects(), fact3_effects(), {"gain": fact4_gain()}, fact5_effects(), fact6_effect()):
        for key, eff in group.items():
            lines.append(f"{key}: {eff}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def fact1():
    return {regime: fact1_loss(regime) for regime in SEVERITY}


def test_fact1_storage_only_already_costs_the_implementers(fact1):
    assert fact1[Regime.STORAGE_COPY].positive(), str(fact1[Regime.STORAGE_COPY])


FACT1_FAILING: dict[tuple[Regime, Regime], str] = {
    (Regime.STORAGE_COPY, Regime.CONDITIONAL): (
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


# measured +1.03 % [+0.76, +1.30], 16/16 pairs > 0 (6,000 agents, seeds 20000-20015, steps 2-21) with trust among
# origins, the hosting market and supply chains; +0.19 % [-0.04, +0.42] (an xfail) before them; +0.75 % [+0.26, +1.25]
# at χ_s = 2
def test_fact2_partial_localisation_costs_the_implementer_0_1_to_2_percent(fact2):
    assert fact2["loss"].within(BAND_FACT2_LOSS), str(fact2["loss"])


@pytest.mark.xfail(
    strict=False,
    reason="measured (6,000 agents, 16 pairs, seeds 20000-20015, steps 2-21) with the hosting market that binds: "
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


# measured +3.34 pp [+0.88, +5.80], 14/16 pairs > 0 (seeds 20000-20015) with trust among origins, the hosting
# market and supply chains; +3.59 pp [-0.66, +7.84] (an xfail) before them; +5.61 pp [+1.93, +9.30] at χ_s = 2;
# -9.66 pp with the USA as implementer at an earlier model: not robust to the implementers
def test_fact3_effects_concentrate_in_data_intensive_sectors(fact3):
    assert fact3["sectors"].positive(), str(fact3["sectors"])


@pytest.mark.xfail(
    strict=False,
    reason="measured +0.61 pp [-0.42, +1.65], 11/16 pairs > 0 (6,000 agents, seeds 20000-20015, by step 21) with "
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
    reason="now +26.0 % [+15.1, +37.0], 16/16 pairs > 0 (trust among origins, hosting market, supply chains); "
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
    reason="now +0.28 pp [-1.87, +2.42], 9/16 pairs > 0 (trust among origins, hosting market, supply chains; "
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


@pytest.mark.xfail(
    strict=False,
    reason="measured (same runs): responses other than exit +0.49 pp [-1.53, +2.51], 10/16 pairs > 0 with trust, "
    "the hosting market and supply chains; +0.20 pp [-1.16, +1.57], 11/16 pairs > 0 at χ_s = 0.3 "
    "(+0.36 pp [-1.31, +2.04] at χ_s = 2): the response "
    "is too small to split (see the fact 5 share test)",
)
def test_fact5_exits_are_only_part_of_the_response(fact5):
    assert fact5["non_exit"].positive(), (str(fact5["response"]), str(fact5["non_exit"]))


@pytest.fixture(scope="module")
def fact6():
    return fact6_effect()


@pytest.mark.xfail(
    strict=False,
    reason="now -7.06 pp [-13.71, -0.42], 5/16 pairs > 0 (status quo +21.2 %, connected +14.2 %; trust among "
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

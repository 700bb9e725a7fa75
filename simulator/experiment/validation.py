"""Model validation: the stylised facts of ``docs/evidence.md`` as paired statistical tests, and their table.

Each :class:`Fact` declares what the evidence says (a statement, an expected direction and, where the evidence gives
a magnitude, a band), its primary source, and how it is measured: a function of a :class:`ReformStudy`,
:class:`TrustStudy` or :class:`InnovationStudy` that returns the paired differences of its measure over the
replicates (an :class:`Effect`). ``FACTS`` is the declared list; ``tests/test_model_stylised.py``,
``tests/test_model_stylised_trust.py`` and ``tests/test_model_innovation.py`` assert the same definitions, and
``dlsim validate-model`` runs them and writes the table (``validation_table``).

Three designs (docs/evidence.md, "How the facts are tested" and "Innovation responses"):

- **Reforms** (facts 1–6): the shipped world at the shipped defaults, every run from the status quo
  (``baseline_state``); a reform is a set of policy events at step 1. Replicate r of every reform and of its
  baseline is built from ``SeedSequence(seed0 + r)`` (common random numbers: the same burn-in and step 0). Effects
  are window means over steps ``window``–``steps`` (2–21: years 1–5 after the reform), as % changes against the
  paired baseline (percentage points for shares and differences).
- **Trust** (fact 7): per replicate one model built under ``scenarios/baseline.yaml`` and every shipped scenario
  branched from it (``branching.branch``); world real income over the last ``window`` steps.
- **Innovation** (8, docs/evidence.md's innovation responses): six economies with thin hosting markets adopt a regime
  at step 1, or ρ is halved; the implementers' mean % change of each innovation metric over steps ``window``–``steps``.

A fact passes when the two-sided 95 % t interval of the paired mean lies on the expected side of zero and, where a
band is declared, the paired mean lies inside it (``Fact.passes``). Nothing here is tuned to pass: a fact that fails
is reported as failing, with its measured value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.experiment.compare import ExperimentError
from simulator.experiment.effects import paired_stats
from simulator.model import DataFlowModel
from simulator.model.population import SizeClass
from simulator.scenario.taxonomy import DataCategory, Regime
from simulator.world.baseline import baseline_state
from simulator.world.policy import PolicyEvent, PolicySchedule, PolicyState, regime_code
from simulator.world.world import World

CONFIDENCE = 0.95
"""Level of the t intervals (the interval of ``effects.paired_stats``)."""
REFORM_STEP = 1
"""Step at which every reform of the reforms design takes effect."""
SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The shipped scenarios (fact 7 compares every one of them)."""

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
NO_RULES = "no_rules"
BASELINE = "baseline"
"""Fact 7's scenarios: the one without rules, and the status quo every scenario branches from."""

BAND_FACT2_LOSS = (0.1, 2.0)
"""Fact 2: real-income loss of the implementer, % (ECIPE 2014: −0.1 to −1.7 % of GDP for enacted/proposed rules)."""
BAND_FACT4_GAIN = (6.0, 14.0)
"""Fact 4: bilateral digitally delivered services trade between members, % (CITP WP 006, 2023: +6 to +14 %)."""
BAND_FACT5_SHARE = (10.0, 15.0)
"""Fact 5: share of exposed firms that limit services, leave markets or significantly change operations, % (OECD–WTO
2025: "just over 10 %")."""

CATEGORIES = tuple(DataCategory)


class ValidationError(ExperimentError):
    """Settings or a fact selection that cannot be run: the message says what and the hint what to do."""


# ------------------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Size and seeds of one design.

    Attributes:
        firms: Agents per run.
        pairs: Replicates (paired runs); replicate r uses seed ``seed0 + r``.
        steps: Quarterly steps after the burn-in.
        seed0: Seed of replicate 0.
        window: Reforms design: the first step of the measurement window (its last is ``steps``). Trust design: how
            many of the last steps the window holds (fewer when the run is shorter).
        data_dir: World data folder (``None``: the project's ``data/``).
    """

    firms: int
    pairs: int
    steps: int
    seed0: int
    window: int
    data_dir: str | None = None

    @property
    def seeds(self) -> list[int]:
        """The replicates' seeds."""
        return [self.seed0 + r for r in range(self.pairs)]

    def record(self) -> dict[str, Any]:
        """The settings as JSON data (the manifest)."""
        return {
            "firms": self.firms,
            "pairs": self.pairs,
            "steps": self.steps,
            "seeds": f"{self.seed0}-{self.seed0 + self.pairs - 1}",
            "window": self.window,
            "data_dir": self.data_dir,
        }


REFORM_SETTINGS = Settings(firms=6000, pairs=16, steps=21, seed0=20_000, window=2)
"""The reforms design at the size the fact tests use (window steps 2–21)."""
TRUST_SETTINGS = Settings(firms=3000, pairs=4, steps=28, seed0=24_000, window=8)
"""The trust design at the size the fact 7 tests use (window: the last 8 steps, years 5–7 after 2025)."""


# ---------------------------------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Effect:
    """Paired differences of one measure over the replicates, with their mean and 95 % t interval.

    The interval is ``effects.paired_stats``'s (the same as ``dlsim compare``'s ``diff`` interval).
    """

    values: np.ndarray
    unit: str = "%"

    @property
    def _stats(self) -> dict[str, np.ndarray]:
        d = np.asarray(self.values, dtype=float)[None, :]
        return paired_stats(np.zeros_like(d), d)

    @property
    def mean(self) -> float:
        """Mean paired difference."""
        return float(self.values.mean())

    @property
    def interval(self) -> tuple[float, float]:
        """Two-sided 95 % t interval of the mean (NaN with fewer than two pairs)."""
        s = self._stats
        return float(s["diff_lo"][0]), float(s["diff_hi"][0])

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        lo, hi = self.interval
        return (hi - lo) / 2.0

    def positive(self) -> bool:
        """The interval lies above zero (every value finite)."""
        return bool(np.isfinite(self.values).all() and self.interval[0] > 0)

    def within(self, band: tuple[float, float]) -> bool:
        """Above zero (interval) and its mean inside ``band``."""
        return self.positive() and band[0] <= self.mean <= band[1]

    def __str__(self) -> str:
        lo, hi = self.interval
        k = int((self.values > 0).sum())
        return f"{self.mean:+.2f} {self.unit} [{lo:+.2f}, {hi:+.2f}], {k}/{self.values.size} pairs > 0"


def pct(new: Any, old: Any) -> Any:
    """% change of ``new`` against ``old``."""
    return 100.0 * (new / old - 1.0)


# ---------------------------------------------------------------------------------------------------- the world
@cache
def load(data_dir: str | None = None) -> World:
    """The shipped world (all economies), loaded once per data folder."""
    from simulator.world.loader import load_world

    return load_world(data_dir)


def schedule(state: PolicyState, events: tuple[PolicyEvent, ...] = (), horizon: int = 20) -> PolicySchedule:
    """A policy schedule from ``state`` with ``events`` (sorted by step)."""
    return PolicySchedule(initial=state, events=tuple(sorted(events, key=lambda e: e.step)), horizon=horizon)


def regime_events(
    world: World,
    iso3: str,
    regime: Regime,
    step: int = 1,
    sectors: tuple[str, ...] | None = None,
    categories: tuple[DataCategory, ...] | None = None,
) -> tuple[PolicyEvent, ...]:
    """Events setting ``iso3``'s regime to ``regime`` for the given sectors and categories (default: all)."""
    c = world.index_of(iso3)
    secs = sectors or tuple(world.sector_codes)
    cats = categories or CATEGORIES
    return tuple(
        PolicyEvent(step, c, "regime", (CATEGORIES.index(k), world.sector_codes.index(s)), regime_code(regime))
        for k in cats
        for s in secs
    )


def pair_events(world: World, members: list[str], field: str, value: float, step: int = 1) -> tuple[PolicyEvent, ...]:
    """Events setting a (c, c) field to ``value`` between every ordered pair of distinct ``members``."""
    idx = [world.index_of(m) for m in members]
    return tuple(PolicyEvent(step, a, field, (b,), value) for a in idx for b in idx if a != b)


@cache
def status_quo(data_dir: str | None = None) -> PolicyState:
    """The shipped status quo of the full world (``baseline_state``)."""
    return baseline_state(load(data_dir))


def africa(data_dir: str | None = None) -> list[str]:
    """The African economies of the world."""
    world = load(data_dir)
    return [c for c in world.iso3 if world.economies.loc[c, "region"] == "AFR"]


@cache
def connected(data_dir: str | None = None) -> PolicyState:
    """Fact 6's counterfactual context: the status quo with Africa connected.

    Every African economy at ``CONNECTED_INTERNET_PCT`` internet use and full payment interoperability between African
    economies (PAPSS-style settlement for all).
    """
    world, state = load(data_dir), status_quo(data_dir).copy()
    idx = [world.index_of(c) for c in africa(data_dir)]
    state.internet_users_pct[idx] = CONNECTED_INTERNET_PCT
    for a in idx:
        for b in idx:
            if a != b:
                state.payment_interop[a, b] = 1.0
    return state


def implementers(data_dir: str | None = None) -> tuple[str, ...]:
    """Fact 1 (and 3, 5): the economies whose status quo is ``open`` for every data category and sector.

    Only there does each of the four regimes tighten every rule (elsewhere storage-only would relax a conditional
    rule), so the four reforms are comparable.
    """
    world = load(data_dir)
    open_everywhere = np.all(status_quo(data_dir).regime == regime_code(Regime.OPEN), axis=(1, 2))
    return tuple(np.asarray(world.iso3)[open_everywhere])


def adequacy_events(data_dir: str | None = None) -> tuple[PolicyEvent, ...]:
    """New EU adequacy decisions for ``ADEQUACY_PARTNERS``.

    The EU_ADEQUACY bloc's transfer waiver between the EU and each partner, both ways (the hub rule of
    ``simulator.world.baseline``: not among the partners).
    """
    world = load(data_dir)
    waiver = float(world.agreement_effects.loc["EU_ADEQUACY", "transfer_waiver"])
    hub = world.index_of(ADEQUACY_HUB)
    out = []
    for p in ADEQUACY_PARTNERS:
        c = world.index_of(p)
        out += [PolicyEvent(REFORM_STEP, hub, "transfer_waiver", (c,), waiver)]
        out += [PolicyEvent(REFORM_STEP, c, "transfer_waiver", (hub,), waiver)]
    return tuple(out)


def reform_events(name: str, data_dir: str | None = None) -> tuple[PolicyEvent, ...]:
    """The policy events of each named reform (all at ``REFORM_STEP``).

    Raises:
        KeyError: An unknown reform.
    """
    world = load(data_dir)
    if name == "none":
        return ()
    if name in {r.value for r in SEVERITY}:
        return sum((regime_events(world, c, Regime(name), step=REFORM_STEP) for c in implementers(data_dir)), ())
    if name == "partial":
        return regime_events(
            world, PARTIAL_IMPLEMENTER, Regime.STORAGE_CONDITIONAL, step=REFORM_STEP, sectors=PARTIAL_SECTORS
        )
    if name == "adequacy":
        return adequacy_events(data_dir)
    if name == "african_club":
        return pair_events(world, africa(data_dir), "transfer_waiver", 1.0, step=REFORM_STEP)
    raise KeyError(name)


STATES: dict[str, Callable[[str | None], PolicyState]] = {"status_quo": status_quo, "connected": connected}
"""The starting states of the reforms design."""


# --------------------------------------------------------------------------------------------------- studies
class Study:
    """The runs of one design, computed on demand (``run``) or ahead (``compute``, on an executor), and kept.

    A run is identified by a key (a tuple); ``runner(*args(key))`` computes it, a module-level function so that it
    can be sent to worker processes. Results never depend on where a run is computed.

    Args:
        settings: Size and seeds.
    """

    design = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.records: dict[tuple[Any, ...], Any] = {}

    def runner(self) -> Callable[..., Any]:
        """The module-level function that computes one run."""
        raise NotImplementedError

    def args(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        """The runner's arguments for ``key``."""
        return (self.settings, *key)

    def keys(self, needs: Iterable[Any]) -> list[tuple[Any, ...]]:
        """Every run the declared ``needs`` of some facts ask for."""
        raise NotImplementedError

    def run(self, *key: Any) -> Any:
        """The run ``key`` (computed once)."""
        if key not in self.records:
            self.records[key] = self.runner()(*self.args(key))
        return self.records[key]

    def tasks(self, needs: Iterable[Any]) -> list[tuple[Any, ...]]:
        """The runs ``needs`` asks for that are not computed yet, each once."""
        return [k for k in dict.fromkeys(self.keys(needs)) if k not in self.records]

    def compute(self, keys: Sequence[tuple[Any, ...]], executor: Executor | None = None) -> Iterable[tuple[Any, ...]]:
        """Compute ``keys`` (on ``executor`` when given), keeping each result; yields each key as it finishes."""
        if executor is None:
            for key in keys:
                self.run(*key)
                yield key
            return
        from concurrent.futures import as_completed

        futures = {executor.submit(self.runner(), *self.args(key)): key for key in keys}
        for fut in as_completed(futures):
            self.records[futures[fut]] = fut.result()
            yield futures[fut]


# ---------------------------------------------------------------------------------------------- reforms design
@dataclass
class Record:
    """What one run of the reforms design leaves for the facts (window means unless stated).

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


def run_reform(settings: Settings, state: str, reform: str, rep: int) -> Record:
    """Replicate ``rep`` (seed ``settings.seed0 + rep``) from the named state under the named reform."""
    world = load(settings.data_dir)
    events = reform_events(reform, settings.data_dir)
    start = STATES[state](settings.data_dir)
    steps, first = settings.steps, settings.window
    m = DataFlowModel(
        world,
        schedule(start, events, horizon=steps),
        n_firms=settings.firms,
        rng=np.random.SeedSequence(settings.seed0 + rep),
    )
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
    for t in range(1, steps + 1):
        economy, sector = m.firms.economy.copy(), m.firms.sector.copy()
        m.step()
        if first <= t <= steps:
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
    df = df[(df["level"] == "economy") & df["step"].between(first, steps)]
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


class ReformStudy(Study):
    """The runs of the reforms design (facts 1–6): key (state, reform, replicate).

    Args:
        settings: Size and seeds.
    """

    design = "reforms"

    def __init__(self, settings: Settings = REFORM_SETTINGS) -> None:
        super().__init__(settings)

    @property
    def world(self) -> World:
        """The world the runs use."""
        return load(self.settings.data_dir)

    def runner(self) -> Callable[..., Record]:
        """``run_reform``."""
        return run_reform

    def keys(self, needs: Iterable[tuple[str, str]]) -> list[tuple[Any, ...]]:
        """Each (state, reform) of ``needs`` with its baseline from the same state, every replicate."""
        return [
            k
            for state, reform in needs
            for r in range(self.settings.pairs)
            for k in ((state, "none", r), (state, reform, r))
        ]

    def pairs(self, reform: str, state: str = "status_quo", base: str = "none") -> list[tuple[Record, Record]]:
        """The (baseline, reform) pairs of a reform, one per replicate."""
        return [(self.run(state, base, r), self.run(state, reform, r)) for r in range(self.settings.pairs)]

    def idx(self, codes: Iterable[str]) -> np.ndarray:
        """Economy indices of ``codes``."""
        return np.array([self.world.index_of(c) for c in codes], dtype=int)

    def sectors(self, codes: Iterable[str]) -> np.ndarray:
        """Sector indices of ``codes``."""
        return np.array([self.world.sector_codes.index(s) for s in codes], dtype=int)

    def implementers(self) -> tuple[str, ...]:
        """Fact 1's implementers in this world."""
        return implementers(self.settings.data_dir)


# ----------------------------------------------------------------------------------------------------- measures
def fact1_loss(study: ReformStudy, regime: Regime) -> Effect:
    """Implementers' real-income loss (%, window mean of their summed real income) when each adopts ``regime``."""
    idx = study.idx(study.implementers())
    loss = [
        -pct(r.real["real_income"][idx].sum(), b.real["real_income"][idx].sum()) for b, r in study.pairs(regime.value)
    ]
    return Effect(np.array(loss))


def fact1_step(study: ReformStudy, milder: Regime, stricter: Regime) -> Effect:
    """The loss of ``stricter`` minus that of ``milder`` (pp; > 0 when losses rise with severity)."""
    return Effect(fact1_loss(study, stricter).values - fact1_loss(study, milder).values, "pp")


def fact2_effects(study: ReformStudy) -> dict[str, Effect]:
    """Brazil's partial localisation.

    Its real-income loss (%), the % changes of its real output and real investment, and ``investment_gap``: the
    output change minus the investment change (pp; > 0 when investment falls more).
    """
    c = study.world.index_of(PARTIAL_IMPLEMENTER)
    loss, d_out, d_inv = [], [], []
    for b, r in study.pairs("partial"):
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


def fact3_effects(study: ReformStudy) -> dict[str, Effect]:
    """Conditional transfers in the implementers (fact 1's run).

    ``sectors``: % change of the implementers' cross-border trade (exports + imports) in data-light sectors minus
    that in data-intensive sectors (pp). ``size``: among exposed firms exporting at step 0, % change of the share
    still exporting (window mean, weighted), medium/large minus micro/small (pp).
    """
    idx = study.idx(study.implementers())
    hi, lo = study.sectors(HIGH_DATA), study.sectors(LOW_DATA)
    sectors, size = [], []
    for b, r in study.pairs(Regime.CONDITIONAL.value):

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


def fact4_gain(study: ReformStudy) -> Effect:
    """% change of digitally delivered services trade between the EU and the new adequacy partners (both ways)."""
    hub, part = study.world.index_of(ADEQUACY_HUB), study.idx(ADEQUACY_PARTNERS)

    def bilateral(rec):
        return rec.dds[hub, part].sum() + rec.dds[part, hub].sum()

    return Effect(np.array([pct(bilateral(r), bilateral(b)) for b, r in study.pairs("adequacy")]))


def fact5_effects(study: ReformStudy) -> dict[str, Effect]:
    """Conditional transfers in the implementers: the exposed firms' responses by the end of the window (pp).

    ``response``: excess share (reform − baseline, weighted by real firms) of exposed firms that withdrew from a
    foreign market, exited, or changed their hosting mode (limit services, leave markets, significantly change
    operations). ``non_exit``: the response excess minus the exit excess (responses other than exit). Also the
    excess of each response alone (``withdrew``, ``exited``, ``rehosted``).
    """
    idx = study.idx(study.implementers())
    out: dict[str, list[float]] = {k: [] for k in ("response", "non_exit", "withdrew", "exited", "rehosted")}
    for b, r in study.pairs(Regime.CONDITIONAL.value):
        exposed = _exposed(b, idx)
        w = b.weight[exposed]

        def excess(flag, exposed=exposed, w=w, b=b, r=r):
            return 100.0 * ((flag(r)[exposed] * w).sum() - (flag(b)[exposed] * w).sum()) / w.sum()

        out["response"].append(excess(lambda rec: rec.withdrew | rec.exited | rec.rehosted))
        out["non_exit"].append(out["response"][-1] - excess(lambda rec: rec.exited))
        for k in ("withdrew", "exited", "rehosted"):
            out[k].append(excess(lambda rec, k=k: getattr(rec, k)))
    return {k: Effect(np.array(v), "pp") for k, v in out.items()}


def fact6_effects(study: ReformStudy) -> dict[str, Effect]:
    """% response of intra-African dds trade to an African transfer-waiver club, connected minus status quo (pp)."""
    idx = study.idx(africa(study.settings.data_dir))

    def intra(rec):
        return rec.dds[np.ix_(idx, idx)].sum()

    low = [pct(intra(r), intra(b)) for b, r in study.pairs("african_club")]
    high = [pct(intra(r), intra(b)) for b, r in study.pairs("african_club", state="connected")]
    return {
        "status_quo": Effect(np.array(low)),
        "connected": Effect(np.array(high)),
        "difference": Effect(np.array(high) - np.array(low), "pp"),
    }


def reform_fact_lines(study: ReformStudy) -> list[str]:
    """Every measured effect of facts 1–6, one line each (the source of docs/evidence.md's status table)."""
    s = study.settings
    lines = [f"{s.firms} agents, {s.pairs} pairs, seeds {s.seeds[0]}-{s.seeds[-1]}, window steps {s.window}-{s.steps}"]
    lines.append(f"implementers: {', '.join(study.implementers())}")
    for regime in SEVERITY:
        lines.append(f"fact 1 loss {regime.value}: {fact1_loss(study, regime)}")
    for lo, hi in itertools.pairwise(SEVERITY):
        lines.append(f"fact 1 {hi.value} - {lo.value}: {fact1_step(study, lo, hi)}")
    groups = (fact2_effects(study), fact3_effects(study), {"gain": fact4_gain(study)})
    for group in (*groups, fact5_effects(study), fact6_effects(study)):
        for key, eff in group.items():
            lines.append(f"{key}: {eff}")
    return lines


# ------------------------------------------------------------------------------------------------ trust design
def shipped_scenarios(directory: Path = SCENARIOS_DIR) -> tuple[str, ...]:
    """Names of the shipped scenarios (``scenarios/*.yaml``), sorted."""
    return tuple(sorted(p.stem for p in directory.glob("*.yaml")))


@cache
def shipped_schedule(name: str, data_dir: str | None = None) -> PolicySchedule:
    """The compiled policy path of shipped scenario ``name``."""
    from simulator.scenario.loader import load_scenario
    from simulator.world.compile import compile_scenario, vocabulary

    world = load(data_dir)
    return compile_scenario(world, load_scenario(SCENARIOS_DIR / f"{name}.yaml", vocabulary(world)))


def _world_real_income(model: DataFlowModel, steps: int, window: int) -> float:
    df = model.metrics_frame()
    sel = df[(df["metric"] == "real_income") & (df["level"] == "world") & (df["step"] > steps - window)]
    if sel["step"].nunique() != window:
        raise RuntimeError(f"world real income covers {sel['step'].nunique()} steps of a {window}-step window")
    return float(sel["value"].mean())


def run_trust(settings: Settings, trust: bool, names: tuple[str, ...], rep: int) -> dict[str, float]:
    """Replicate ``rep`` of the trust design: world real income (window mean) of each scenario of ``names``.

    Every scenario is branched from one model built under the baseline, trust on (the defaults) or off (η = 0).
    """
    from simulator.model.branching import branch

    world = load(settings.data_dir)
    window = min(settings.window, settings.steps)
    built = DataFlowModel(
        world,
        shipped_schedule(BASELINE, settings.data_dir),
        params=None if trust else {"eta": 0.0},
        n_firms=settings.firms,
        rng=np.random.SeedSequence(settings.seed0 + rep),
    )
    out = {}
    for n in names:
        model = branch(built, shipped_schedule(n, settings.data_dir)).run(settings.steps)
        out[n] = _world_real_income(model, settings.steps, window)
    return out


class TrustStudy(Study):
    """The runs of the trust design (fact 7): key (trust on, replicate).

    Args:
        settings: Size and seeds.
        scenarios: The shipped scenarios compared (default: every one in ``scenarios/``).
    """

    design = "trust"

    def __init__(self, settings: Settings = TRUST_SETTINGS, scenarios: tuple[str, ...] | None = None) -> None:
        super().__init__(settings)
        self.scenarios = scenarios if scenarios is not None else shipped_scenarios()

    def names(self, trust: bool) -> tuple[str, ...]:
        """The scenarios run with trust on (all) or off (baseline and no rules)."""
        return self.scenarios if trust else (BASELINE, NO_RULES)

    def runner(self) -> Callable[..., dict[str, float]]:
        """``run_trust``."""
        return run_trust

    def args(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        """``(settings, trust, scenarios, replicate)``."""
        trust, rep = key
        return (self.settings, trust, self.names(trust), rep)

    def keys(self, needs: Iterable[bool]) -> list[tuple[Any, ...]]:
        """Every replicate of each trust setting of ``needs``."""
        return [(t, r) for t in needs for r in range(self.settings.pairs)]

    def real_income(self, trust: bool) -> dict[str, np.ndarray]:
        """Scenario → world real income of each replicate."""
        reps = [self.run(trust, r) for r in range(self.settings.pairs)]
        return {n: np.array([rec[n] for rec in reps]) for n in self.names(trust)}


def with_trust(study: TrustStudy) -> dict[str, Effect]:
    """Trust on: each other shipped scenario's world real income against no_rules' (paired %; > 0 beats it)."""
    real = study.real_income(True)
    return {n: Effect(pct(real[n], real[NO_RULES])) for n in study.scenarios if n != NO_RULES}


def without_trust(study: TrustStudy) -> Effect:
    """Trust off (η = 0): no_rules' world real income against the baseline's (paired %)."""
    real = study.real_income(False)
    return Effect(pct(real[NO_RULES], real[BASELINE]))


def best_against_no_rules(study: TrustStudy) -> tuple[str, Effect]:
    """Trust on: the shipped scenario whose interval against no_rules reaches highest.

    Some scenario beats no_rules exactly when this one does.
    """
    effects = with_trust(study)
    if not effects:
        raise ValidationError("fact 7 needs shipped scenarios besides no_rules", f"check {SCENARIOS_DIR}")
    name = max(effects, key=lambda n: effects[n].interval[0] if np.isfinite(effects[n].interval[0]) else -np.inf)
    return name, effects[name]


def trust_fact_lines(study: TrustStudy) -> list[str]:
    """Every measured effect of fact 7, one line each."""
    s = study.settings
    window = min(s.window, s.steps)
    lines = [
        f"{s.firms} agents, {s.pairs} pairs, seeds {s.seeds[0]}-{s.seeds[-1]}, "
        f"window steps {s.steps - window + 1}-{s.steps}"
    ]
    real = study.real_income(True)
    lines.append(f"trust on, no_rules vs baseline: {Effect(pct(real[NO_RULES], real[BASELINE]))}")
    lines += [f"trust on, {n} vs no_rules: {eff}" for n, eff in with_trust(study).items()]
    lines.append(f"trust off (eta 0), no_rules vs baseline: {without_trust(study)}")
    return lines


# ------------------------------------------------------------------------------------------- innovation design
INNOVATION_IMPLEMENTERS = ("KEN", "NGA", "GHA", "PER", "COL", "CHL")
"""Economies with thin local hosting markets in Africa and Latin America (the innovation reforms' implementers)."""
INNOVATION_METRICS = ("rd_intensity", "innovating_share", "productivity_growth")
INNOVATION_SETTINGS = Settings(firms=5000, pairs=8, steps=12, seed0=30_000, window=2)
"""The innovation design at the size ``tests/test_model_innovation.py`` uses (window steps 2–12)."""
INNOVATION_REFORMS: dict[str, tuple[Regime | None, tuple[tuple[str, float], ...]]] = {
    "none": (None, ()),
    "storage_conditional": (Regime.STORAGE_CONDITIONAL, ()),
    "storage_ban": (Regime.STORAGE_BAN, ()),
    "rho_half": (None, (("rho", 0.05),)),
}
"""Each innovation reform: the regime every implementer adopts at step 1 (all categories and sectors), or
parameters changed from the start (ρ, the share of profit spent on R&D, halved)."""


def innovation_events(regime: Regime | None, data_dir: str | None = None) -> tuple[PolicyEvent, ...]:
    """Every implementer adopts ``regime`` for every data category and sector at step 1 (none for ``None``)."""
    if regime is None:
        return ()
    world = load(data_dir)
    return tuple(e for c in INNOVATION_IMPLEMENTERS for e in regime_events(world, c, regime, step=REFORM_STEP))


def window_means(
    settings: Settings, events: tuple[PolicyEvent, ...], seed: int, params: tuple[tuple[str, float], ...] = ()
) -> dict[tuple[str, str], float]:
    """Window means (steps ``window``..``steps``) of the innovation metrics, access and R&D per implementer."""
    world = load(settings.data_dir)
    model = DataFlowModel(
        world,
        schedule(baseline_state(world), events, horizon=settings.steps),
        params=dict(params) or None,
        n_firms=settings.firms,
        rng=np.random.SeedSequence(seed),
    )
    for _ in range(settings.steps):
        model.step()
    df = model.metrics_frame()
    sel = df[(df["level"] == "economy") & df["group"].isin(INNOVATION_IMPLEMENTERS) & (df["step"] >= settings.window)]
    sel = sel[sel["metric"].isin((*INNOVATION_METRICS, "cloud_ai_access", "rd"))]
    return {k: float(v) for k, v in sel.groupby(["metric", "group"])["value"].mean().items()}


def run_innovation(settings: Settings, reform: str, rep: int) -> dict[tuple[str, str], float]:
    """Replicate ``rep`` (seed ``settings.seed0 + rep``) of an innovation reform: ``window_means``."""
    regime, params = INNOVATION_REFORMS[reform]
    return window_means(settings, innovation_events(regime, settings.data_dir), settings.seed0 + rep, params)


class InnovationStudy(Study):
    """The runs of the innovation design: key (reform, replicate).

    Args:
        settings: Size and seeds.
    """

    design = "innovation"

    def __init__(self, settings: Settings = INNOVATION_SETTINGS) -> None:
        super().__init__(settings)

    def runner(self) -> Callable[..., dict[tuple[str, str], float]]:
        """``run_innovation``."""
        return run_innovation

    def keys(self, needs: Iterable[str]) -> list[tuple[Any, ...]]:
        """Each reform of ``needs`` and the baseline, every replicate."""
        return [k for reform in needs for r in range(self.settings.pairs) for k in (("none", r), (reform, r))]


def innovation_pct(study: InnovationStudy, reform: str, metric: str) -> Effect:
    """Per pair: the implementers' mean % change of ``metric`` under ``reform`` against the paired baseline."""
    out = []
    for r in range(study.settings.pairs):
        base, new = study.run("none", r), study.run(reform, r)
        with np.errstate(divide="ignore", invalid="ignore"):
            changes = [pct(np.float64(new[metric, c]), np.float64(base[metric, c])) for c in INNOVATION_IMPLEMENTERS]
        out.append(np.mean(changes))
    return Effect(np.asarray(out))


# ------------------------------------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class Fact:
    """One check of a stylised fact: what the evidence expects and how the model is measured against it.

    Attributes:
        id: Stable identifier (``fact1_storage_copy``...), the row of the table.
        fact: Number of the stylised fact in docs/evidence.md (1–7; 8: its "Innovation responses").
        statement: The check in words.
        measure: What is measured (the paired difference), in words.
        direction: +1: the paired mean must lie above zero (its interval); −1: below.
        band: Where the evidence gives a magnitude: the range the paired mean must lie in, else ``None``.
        unit: ``%`` or ``pp``.
        source: Keys of docs/evidence.md's source table.
        design: ``reforms`` (facts 1–6), ``trust`` (fact 7) or ``innovation`` (8).
        needs: The runs it uses: (state, reform) pairs for ``reforms``, trust on/off flags for ``trust``, reform
            names for ``innovation``.
        evaluate: Returns the effect from a study of its design, and a note (e.g. which scenario).
        every_pair: Also every pair's difference must be on the expected side.
    """

    id: str
    fact: int
    statement: str
    measure: str
    direction: int
    band: tuple[float, float] | None
    unit: str
    source: str
    design: str
    needs: tuple[Any, ...]
    evaluate: Callable[[Any], tuple[Effect, str]] = field(repr=False, compare=False)
    every_pair: bool = False

    @property
    def expected(self) -> str:
        """The expectation in words, e.g. ``> 0`` or ``> 0, mean in 6 to 14 %``."""
        text = "> 0" if self.direction > 0 else "< 0"
        if self.every_pair:
            text += " in every pair"
        if self.band is not None:
            text += f", mean in {self.band[0]:g} to {self.band[1]:g} {self.unit}"
        return text

    def passes(self, effect: Effect) -> bool:
        """Whether ``effect`` meets the expectation (interval on the expected side; mean in the band if any)."""
        oriented = Effect(self.direction * np.asarray(effect.values, dtype=float), effect.unit)
        ok = oriented.positive()
        if self.every_pair:
            ok = ok and bool((oriented.values > 0).all())
        if self.band is not None:
            ok = ok and self.band[0] <= effect.mean <= self.band[1]
        return ok


def _plain(f: Callable[[Any], Effect]) -> Callable[[Any], tuple[Effect, str]]:
    return lambda study: (f(study), "")


REGIME_WORDS = {
    Regime.STORAGE_COPY: "local copies (storage only)",
    Regime.CONDITIONAL: "conditional transfers",
    Regime.STORAGE_CONDITIONAL: "storage with conditional transfers",
    Regime.STORAGE_BAN: "storage with a transfer ban",
}
"""Fact 1's regimes in words."""


INNOVATION_WORDS = {
    "cloud_ai_access": "cloud and AI access",
    "rd_intensity": "R&D intensity",
    "innovating_share": "the innovating share",
    "productivity_growth": "productivity growth",
}
"""The innovation checks' metrics in words."""


def _innovation_facts() -> list[Fact]:
    """The innovation responses of docs/evidence.md ("Innovation responses"): each metric must fall."""
    checks = [
        ("storage_conditional", m, "local storage with conditional transfers (no ban)")
        for m in ("cloud_ai_access", *INNOVATION_METRICS)
    ]
    checks += [("storage_ban", m, "local storage with a transfer ban") for m in INNOVATION_METRICS]
    checks += [("rho_half", m, "halving the share of profit spent on R&D") for m in INNOVATION_METRICS[:2]]
    return [
        Fact(
            f"innovation_{reform}_{metric}",
            8,
            f"In economies with thin hosting markets, {what} lowers {INNOVATION_WORDS[metric]}",
            f"implementers' mean % change of {metric} ({reform}), %",
            -1,
            None,
            "%",
            "FKvdM 2020" if reform != "rho_half" else "model mechanism (R&D share of profit)",
            "innovation",
            (reform,),
            _plain(lambda s, reform=reform, metric=metric: innovation_pct(s, reform, metric)),
        )
        for reform, metric, what in checks
    ]


def _best_against_no_rules(study: TrustStudy) -> tuple[Effect, str]:
    name, effect = best_against_no_rules(study)
    return effect, f"best: {name}"


def _fact1_facts() -> list[Fact]:
    out = [
        Fact(
            "fact1_storage_copy",
            1,
            "Storage-only rules already cost the implementers real income",
            "implementers' real-income loss under storage-only (copy) rules, %",
            +1,
            None,
            "%",
            "OECD 2022; ECIPE 2014",
            "reforms",
            (("status_quo", Regime.STORAGE_COPY.value),),
            _plain(lambda s: fact1_loss(s, Regime.STORAGE_COPY)),
        )
    ]
    for milder, stricter in itertools.pairwise(SEVERITY):
        out.append(
            Fact(
                f"fact1_{stricter.value}_vs_{milder.value}",
                1,
                f"Losses rise with severity: {REGIME_WORDS[stricter]} cost more than {REGIME_WORDS[milder]}",
                f"implementers' real-income loss, {stricter.value} minus {milder.value}, pp",
                +1,
                None,
                "pp",
                "OECD 2022; ECIPE 2014; FvdM 2021",
                "reforms",
                (("status_quo", milder.value), ("status_quo", stricter.value)),
                _plain(lambda s, lo=milder, hi=stricter: fact1_step(s, lo, hi)),
            )
        )
    return out


FACTS: tuple[Fact, ...] = (
    *_fact1_facts(),
    Fact(
        "fact2_loss",
        2,
        "Unilateral partial localisation costs the implementer 0.1–2 % of real income within 5 years",
        "Brazil's real-income loss (storage + conditional in finance, ICT, health), %",
        +1,
        BAND_FACT2_LOSS,
        "%",
        "ECIPE 2014",
        "reforms",
        (("status_quo", "partial"),),
        _plain(lambda s: fact2_effects(s)["loss"]),
    ),
    Fact(
        "fact2_investment_falls",
        2,
        "Partial localisation lowers the implementer's investment",
        "Brazil's real investment, % change",
        -1,
        None,
        "%",
        "ECIPE 2014",
        "reforms",
        (("status_quo", "partial"),),
        _plain(lambda s: fact2_effects(s)["real_investment"]),
    ),
    Fact(
        "fact2_investment_gap",
        2,
        "Investment falls more than output",
        "Brazil's real output change minus its real investment change, pp",
        +1,
        None,
        "pp",
        "ECIPE 2014",
        "reforms",
        (("status_quo", "partial"),),
        _plain(lambda s: fact2_effects(s)["investment_gap"]),
    ),
    Fact(
        "fact3_sectors",
        3,
        "Effects concentrate in data-intensive sectors",
        "implementers' trade under conditional transfers, % change data-light minus data-intensive sectors, pp",
        +1,
        None,
        "pp",
        "FKvdM 2020; FvdM 2021",
        "reforms",
        (("status_quo", Regime.CONDITIONAL.value),),
        _plain(lambda s: fact3_effects(s)["sectors"]),
    ),
    Fact(
        "fact3_size",
        3,
        "Effects concentrate in small firms",
        "exposed exporters still exporting, % change medium/large minus micro/small, pp",
        +1,
        None,
        "pp",
        "fixed-cost argument (project assumption); OECD–WTO 2025 (U)",
        "reforms",
        (("status_quo", Regime.CONDITIONAL.value),),
        _plain(lambda s: fact3_effects(s)["size"]),
    ),
    Fact(
        "fact4_sign",
        4,
        "Adequacy decisions raise bilateral digitally delivered services trade",
        "EU–BRA/MEX/COL/CHL/PER dds trade after new adequacy decisions, % change",
        +1,
        None,
        "%",
        "CITP 006; FHMS 2026",
        "reforms",
        (("status_quo", "adequacy"),),
        _plain(fact4_gain),
    ),
    Fact(
        "fact4_band",
        4,
        "… by about 6–14 %",
        "EU–BRA/MEX/COL/CHL/PER dds trade after new adequacy decisions, % change",
        +1,
        BAND_FACT4_GAIN,
        "%",
        "CITP 006; FHMS 2026",
        "reforms",
        (("status_quo", "adequacy"),),
        _plain(fact4_gain),
    ),
    Fact(
        "fact5_response",
        5,
        "Just over 10 % of exposed firms limit services, leave markets or significantly change operations",
        "excess share of exposed firms that withdrew, exited or rehosted (conditional transfers), pp",
        +1,
        BAND_FACT5_SHARE,
        "pp",
        "OECD–WTO 2025, Annex A",
        "reforms",
        (("status_quo", Regime.CONDITIONAL.value),),
        _plain(lambda s: fact5_effects(s)["response"]),
    ),
    Fact(
        "fact5_non_exit",
        5,
        "Exits are only part of the response",
        "excess share responding other than by exit, pp",
        +1,
        None,
        "pp",
        "OECD–WTO 2025, Annex A",
        "reforms",
        (("status_quo", Regime.CONDITIONAL.value),),
        _plain(lambda s: fact5_effects(s)["non_exit"]),
    ),
    Fact(
        "fact6_connectivity",
        6,
        "In Africa, connectivity and payment interoperability raise the response of digital trade to a data rule",
        "intra-African dds response to an African transfer-waiver club, connected minus status quo, pp",
        +1,
        None,
        "pp",
        "HP 2019; Afreximbank 2025; ITU 2023",
        "reforms",
        (("status_quo", "african_club"), ("connected", "african_club")),
        _plain(lambda s: fact6_effects(s)["difference"]),
    ),
    Fact(
        "fact7_trust_on",
        7,
        "With trust on, 'no rules at all' is not the best shipped scenario",
        "world real income, best shipped scenario against no_rules, % (trust on)",
        +1,
        None,
        "%",
        "OECD–WTO 2025; FvdM 2025",
        "trust",
        (True,),
        _best_against_no_rules,
    ),
    Fact(
        "fact7_trust_off",
        7,
        "With trust off (η = 0), removing every rule never lowers world real income",
        "world real income, no_rules against baseline, % (η = 0)",
        +1,
        None,
        "%",
        "OECD–WTO 2025; FvdM 2025",
        "trust",
        (False,),
        _plain(without_trust),
        every_pair=True,
    ),
    *_innovation_facts(),
)
"""Every check of the stylised facts, in the order of docs/evidence.md, then the innovation responses."""

FACT_IDS: tuple[str, ...] = tuple(f.id for f in FACTS)


def fact(fact_id: str) -> Fact:
    """The declared fact ``fact_id``.

    Raises:
        KeyError: Unknown id.
    """
    for f in FACTS:
        if f.id == fact_id:
            return f
    raise KeyError(fact_id)


def select_facts(specs: Sequence[str] | None) -> list[Fact]:
    """The facts named by ``specs``: ids (``fact4_band``), fact numbers (``4``) or id prefixes (``fact1``).

    Raises:
        ValidationError: A spec that names no fact.
    """
    if not specs:
        return list(FACTS)
    chosen: list[Fact] = []
    for raw in specs:
        for spec in (s.strip() for s in str(raw).split(",")):
            if not spec:
                continue
            found = [f for f in FACTS if f.id == spec or str(f.fact) == spec or f.id.startswith(spec + "_")]
            if not found:
                from simulator.scenario.errors import did_you_mean

                close = did_you_mean(spec, FACT_IDS)
                raise ValidationError(
                    f"--facts: no fact {spec!r}" + (f" (did you mean {close!r}?)" if close else ""),
                    "give fact numbers 1-8 or ids (dlsim validate-model --list shows them)",
                )
            chosen += [f for f in found if f not in chosen]
    return [f for f in FACTS if f in chosen]


# ------------------------------------------------------------------------------------------------------ the table
TABLE_COLUMNS: tuple[str, ...] = (
    "id",
    "fact",
    "statement",
    "measure",
    "expected",
    "direction",
    "band_low",
    "band_high",
    "unit",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "pairs_positive",
    "passed",
    "every_pair",
    "note",
    "source",
    "design",
    "firms",
    "pairs",
    "steps",
    "seeds",
)
"""Columns of ``validation/facts.parquet``, in order."""


def table_row(f: Fact, effect: Effect, note: str, settings: Settings) -> dict[str, Any]:
    """One row of the validation table."""
    lo, hi = effect.interval
    bad = int((~np.isfinite(np.asarray(effect.values, dtype=float))).sum())
    if bad:
        note = "; ".join([*filter(None, [note]), f"undefined in {bad} pair(s): a zero or empty baseline at this size"])
    return {
        "id": f.id,
        "fact": f.fact,
        "statement": f.statement,
        "measure": f.measure,
        "expected": f.expected,
        "direction": f.direction,
        "band_low": f.band[0] if f.band else float("nan"),
        "band_high": f.band[1] if f.band else float("nan"),
        "unit": f.unit,
        "mean": effect.mean,
        "ci_low": lo,
        "ci_high": hi,
        "n": int(effect.values.size),
        "pairs_positive": int((np.asarray(effect.values) > 0).sum()),
        "passed": f.passes(effect),
        "every_pair": f.every_pair,
        "note": note,
        "source": f.source,
        "design": f.design,
        "firms": settings.firms,
        "pairs": settings.pairs,
        "steps": settings.steps,
        "seeds": f"{settings.seed0}-{settings.seed0 + settings.pairs - 1}",
    }


def check_settings(settings: Settings, design: str) -> None:
    """Refuse settings the design cannot run.

    Raises:
        ValidationError: Too few firms, pairs or steps.
    """
    if settings.firms < 100:
        raise ValidationError(f"--firms {settings.firms} is too few for the full world", "use 100 or more (e.g. 1e3)")
    if settings.pairs < 2:
        raise ValidationError(f"--pairs {settings.pairs}: a t interval needs 2 pairs or more", "use --pairs 2 or more")
    if design in ("reforms", "innovation") and settings.steps < settings.window:
        raise ValidationError(
            f"--steps {settings.steps}: the facts' window starts at step {settings.window} (the reform is at step "
            f"{REFORM_STEP})",
            f"use --steps {settings.window} or more",
        )


def validation_table(
    facts: Sequence[Fact],
    reforms: ReformStudy | None = None,
    trust: TrustStudy | None = None,
    innovation: InnovationStudy | None = None,
    *,
    executor: Executor | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """Run the studies ``facts`` need and return their table (``TABLE_COLUMNS``, one row per fact).

    Args:
        facts: The facts to measure.
        reforms: The reforms study (default: ``REFORM_SETTINGS``); its computed runs are kept.
        trust: The trust study (default: ``TRUST_SETTINGS``).
        innovation: The innovation study (default: ``INNOVATION_SETTINGS``).
        executor: Where the runs are computed (``None``: in this process). Results never depend on it.
        progress: Called with (runs done, runs in all, last run) as runs finish.
    """
    studies: dict[str, Any] = {}
    if any(f.design == "reforms" for f in facts):
        studies["reforms"] = reforms or ReformStudy()
    if any(f.design == "trust" for f in facts):
        studies["trust"] = trust or TrustStudy()
    if any(f.design == "innovation" for f in facts):
        studies["innovation"] = innovation or InnovationStudy()
    for name, study in studies.items():
        check_settings(study.settings, name)
    plan = [
        (study, study.tasks(itertools.chain.from_iterable(f.needs for f in facts if f.design == name)))
        for name, study in studies.items()
    ]
    total, done = sum(len(keys) for _, keys in plan), 0
    for study, keys in plan:
        for key in study.compute(keys, executor):
            done += 1
            if progress is not None:
                progress(done, total, f"{study.design}:{'/'.join(map(str, key))}")
    rows = []
    for f in facts:
        study = studies[f.design]
        effect, note = f.evaluate(study)
        rows.append(table_row(f, effect, note, study.settings))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def with_overrides(settings: Settings, **values: Any) -> Settings:
    """``settings`` with the values that are not ``None`` replaced."""
    return replace(settings, **{k: v for k, v in values.items() if v is not None})


# ---------------------------------------------------------------------------------------------------- the files
VALIDATION_DIR = "validation"
"""Sub-folder of a results folder that holds the validation table."""
FACTS_FILE = "facts.parquet"
FACTS_CSV = "facts.csv"
DEFAULT_OUT = Path("results") / "validation"
"""Results folder when ``--out`` is not given (the table goes to its ``validation/``)."""


def rerun_command(
    facts: Sequence[Fact],
    *,
    firms: int | None,
    pairs: int | None,
    steps: int | None,
    seed: int | None,
    out: Path,
    data_dir: Path | str | None,
) -> str:
    """The ``dlsim validate-model`` command line that recomputes this table."""
    import shlex

    words = ["dlsim", "validate-model"]
    if len(facts) < len(FACTS):
        chosen = {f.id for f in facts}
        whole = {n for n in {f.fact for f in FACTS} if all(f.id in chosen for f in FACTS if f.fact == n)}
        parts = [str(n) for n in sorted(whole)] + [f.id for f in facts if f.fact not in whole]
        words += ["--facts", ",".join(parts)]
    for name, value in (("--firms", firms), ("--pairs", pairs), ("--steps", steps), ("--seed", seed)):
        if value is not None:
            words += [name, str(value)]
    words += ["--out", str(out)]
    if data_dir is not None:
        words += ["--data", str(data_dir)]
    return shlex.join(words)


def check_target(root: Path, force: bool) -> Path:
    """The validation folder of ``root``, checked before any run: writable, and not holding a table unless ``force``.

    Raises:
        StoreError: ``root`` is not a writable folder, or its table exists and ``force`` is not set.
    """
    from simulator.experiment.store import StoreError, check_writable

    if root.exists() and not root.is_dir():
        raise StoreError(f"{root} exists and is not a directory", "choose another --out")
    target = root / VALIDATION_DIR
    check_writable(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not force:
        raise StoreError(
            f"{target} already holds a validation table",
            "add --force to replace it (only validation/ is replaced), or choose another --out",
        )
    return target


def write_validation(root: Path, table: pd.DataFrame, manifest: dict[str, Any]) -> Path:
    """Write ``validation/facts.parquet``, ``facts.csv`` and ``manifest.json`` under ``root`` as one folder swap.

    The files are written to a temporary folder beside the target and renamed into place, so a reader sees the old
    table or the new one, never a mix; an earlier table is removed only once the new one is in place.

    Returns:
        The validation folder.
    """
    import os
    import shutil
    import tempfile

    from simulator.experiment.store import MANIFEST, atomic_write_bytes, atomic_write_json, atomic_write_parquet

    root.mkdir(parents=True, exist_ok=True)
    target = root / VALIDATION_DIR
    tmp = Path(tempfile.mkdtemp(prefix=f".{VALIDATION_DIR}.", dir=root))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # as mkdir would make it (mkdtemp makes it private)
    old = None
    try:
        atomic_write_parquet(tmp / FACTS_FILE, table)
        atomic_write_bytes(tmp / FACTS_CSV, table.to_csv(index=False).encode("utf-8"))
        atomic_write_json(tmp / MANIFEST, manifest)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{VALIDATION_DIR}.old.", dir=root))
            old.rmdir()
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


@dataclass
class Validation:
    """A finished validation: the table and where it was written.

    Attributes:
        table: One row per fact (``TABLE_COLUMNS``).
        root: The results folder; the files are in its ``validation/``.
        manifest: What was written to ``validation/manifest.json``.
    """

    table: pd.DataFrame
    root: Path
    manifest: dict[str, Any]


def validate_model(
    facts: Sequence[str] | None = None,
    *,
    firms: int | None = None,
    pairs: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    out: Path | str | None = None,
    force: bool = False,
    executor: str = "serial",
    workers: int | None = None,
    data_dir: Path | str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
) -> Validation:
    """Run the stylised facts and write their table to ``out/validation/`` (``dlsim validate-model``).

    ``firms``, ``pairs``, ``steps`` and ``seed`` (replicate 0's seed) replace the designs' defaults
    (``REFORM_SETTINGS``, ``TRUST_SETTINGS``, ``INNOVATION_SETTINGS``) when given; each design keeps its own where
    they are not.

    Raises:
        ValidationError: Unknown facts or settings that cannot run.
        StoreError: ``out`` cannot be written, or already holds a table and ``force`` is not set.
        ValueError: An unknown executor.
    """
    import time
    from datetime import UTC, datetime

    from simulator import __version__
    from simulator.experiment.executors import open_executor
    from simulator.experiment.provenance import (
        calibration_record,
        environment,
        git_state,
        model_checksum,
        study_versions,
    )

    chosen = select_facts(facts)
    for name, value in (("--firms", firms), ("--pairs", pairs), ("--steps", steps)):
        if value is not None and value < 1:
            raise ValidationError(f"{name} {value} must be 1 or more")
    ddir = str(data_dir) if data_dir is not None else None
    over = {"firms": firms, "pairs": pairs, "steps": steps, "seed0": seed, "data_dir": ddir}
    designs = {f.design for f in chosen}
    reforms = ReformStudy(with_overrides(REFORM_SETTINGS, **over)) if "reforms" in designs else None
    trust = TrustStudy(with_overrides(TRUST_SETTINGS, **over)) if "trust" in designs else None
    innovation = InnovationStudy(with_overrides(INNOVATION_SETTINGS, **over)) if "innovation" in designs else None
    studies = [s for s in (reforms, trust, innovation) if s is not None]
    for study in studies:
        check_settings(study.settings, study.design)
    root = Path(out) if out is not None else DEFAULT_OUT
    check_target(root, force)
    world = load(ddir)
    started = time.perf_counter()
    with open_executor(executor, 1 if executor == "serial" else workers) as handle:
        manifest: dict[str, Any] = {
            "kind": "validation",
            "dlsim_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": rerun_command(
                chosen, firms=firms, pairs=pairs, steps=steps, seed=seed, out=root, data_dir=data_dir
            ),
            "facts": [f.id for f in chosen],
            "settings": {
                **{s.design: s.settings.record() for s in studies},
                "executor": handle.kind,
                "workers": handle.workers,
                "confidence": CONFIDENCE,
            },
            "versions": study_versions(),
            "git": git_state(),
            "data_checksums": dict(world.checksums),
            "model_checksum": model_checksum(),
            "calibration": calibration_record(world.calibration),
            "platform": environment(),
        }
        if on_start is not None:
            on_start(manifest)
        pool = None if handle.kind == "serial" else handle.executor
        table = validation_table(chosen, reforms, trust, innovation, executor=pool, progress=progress)
    manifest["wall_s"] = round(time.perf_counter() - started, 3)
    manifest["passed"] = int(table["passed"].sum())
    manifest["checked"] = len(table)
    write_validation(root, table, manifest)
    return Validation(table, root, manifest)

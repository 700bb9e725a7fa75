"""Metrics: one documented definition per outcome, collected each step into a tidy long table.

Every metric is computed at five levels — ``world``, ``region``, ``economy``, ``sector``, ``size`` (firm-size class)
— and, where stated, at extra levels (``region_pair``). Most metrics are a ratio of two per-firm quantities summed
over the group (or a plain sum): the per-firm quantities are summed once per economy × sector × size cell with
``np.bincount`` and every level is then a sum of cells, so collection costs a few bincounts per step, not a Python
loop over firms. Firms are attributed to their home economy, sector and size class of the step.

Rows: ``step, metric, level, group, value``. ``METRICS`` lists each metric's definition and whether higher is
better (``direction`` +1 / −1 / 0 for "neither"), for the report layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.model import kernels
from simulator.model.population import SizeClass
from simulator.scenario.taxonomy import Regime
from simulator.world.policy import REGIME_ORDER

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel

LEVELS: tuple[str, ...] = ("world", "region", "economy", "sector", "size")


@dataclass(frozen=True)
class Metric:
    """Definition of one metric.

    Attributes:
        name: Metric name (``metric`` column).
        family: ``integration``, ``innovation`` or ``economy``.
        numerator: Per-firm quantity summed over the group.
        denominator: Per-firm quantity summed over the group, or ``None`` for a plain sum.
        definition: What the value means.
        direction: +1 if higher is better, −1 if lower is better, 0 if neither.
    """

    name: str
    family: str
    numerator: str
    denominator: str | None
    definition: str
    direction: int


METRICS: tuple[Metric, ...] = (
    # market integration
    Metric(
        "cross_border_share",
        "integration",
        "exports",
        "revenue",
        "Cross-border sales (final + intermediate) / all sales of the group's firms",
        1,
    ),
    Metric("export_participation", "integration", "exporter", "firms", "Share of firms with cross-border sales", 1),
    Metric(
        "foreign_partners_per_exporter",
        "integration",
        "foreign_partners",
        "exporter",
        "Foreign export markets entered + foreign buyers, per exporting firm",
        1,
    ),
    Metric(
        "intra_regional_share",
        "integration",
        "intra_region_exports",
        "exports",
        "Exports to the exporter's own region / all exports (at region level: intra-LAC, intra-Africa, ...)",
        1,
    ),
    Metric(
        "cross_border_link_density",
        "integration",
        "foreign_suppliers",
        "suppliers",
        "Share of the group's buyer–supplier links that cross a border",
        1,
    ),
    Metric(
        "effective_trade_cost",
        "integration",
        "trade_cost",
        "exports",
        "Sales-weighted ad-valorem equivalent τ(1 + W) − 1 of all wedges on cross-border sales",
        -1,
    ),
    # innovation
    Metric("productivity", "innovation", "phi", "firms", "Mean firm productivity φ", 1),
    Metric("productivity_growth", "innovation", "log_growth", "firms", "Mean log change of φ over the step", 1),
    Metric("rd_intensity", "innovation", "rd", "revenue", "R&D spending / revenue", 1),
    Metric("innovating_share", "innovation", "innovated", "firms", "Share of firms with a successful innovation", 1),
    Metric(
        "cloud_ai_access",
        "innovation",
        "access_weighted",
        "delta",
        "Data-intensity-weighted mean access to frontier cloud/AI inputs (1 = hyperscale cloud)",
        1,
    ),
    # economy
    Metric(
        "output",
        "economy",
        "value_added",
        None,
        "Value added: revenue − intermediate inputs (money/step, nominal; see real_output)",
        1,
    ),
    Metric("revenue", "economy", "revenue", None, "Sales, final + intermediate (money/step)", 1),
    Metric("exports", "economy", "exports", None, "Cross-border sales (money/step)", 1),
    Metric(
        "dds_exports",
        "economy",
        "dds_exports",
        None,
        "Digitally delivered services exports: services-sector exports × firm data intensity",
        1,
    ),
    Metric("investment", "economy", "investment", None, "R&D + in-house hosting capex (money/step)", 1),
    Metric("rd", "economy", "rd", None, "R&D spending (money/step)", 1),
    Metric(
        "compliance_cost",
        "economy",
        "compliance",
        None,
        "Data-compliance costs: variable + fixed + destination storage fees (money/step)",
        -1,
    ),
    Metric(
        "compliance_cost_share",
        "economy",
        "compliance_facing",
        "total_cost_facing",
        "Compliance cost / total cost, over firms that face a data rule on some sale",
        -1,
    ),
    Metric(
        "data_management_cost_share",
        "economy",
        "data_management_facing",
        "total_cost_facing",
        "Data-management costs (compliance + hosting + in-house hosting capex) / total cost, over firms that face a "
        "data rule on some sale (the OECD–WTO 2025 questionnaire measure; calibration target ≈ 11 %)",
        -1,
    ),
    Metric("firm_count", "economy", "firms", None, "Firms alive", 1),
    Metric("entry", "economy", "entrants", None, "Firms that entered this step", 1),
    Metric("exit", "economy", "exits", None, "Firms that exit at the end of this step", -1),
    Metric("market_withdrawals", "economy", "withdrawals", None, "Foreign markets dropped this step", -1),
    Metric(
        "withdrawn_share",
        "economy",
        "withdrew",
        "firms",
        "Share of firms that have withdrawn from at least one foreign market since step 0",
        -1,
    ),
    Metric(
        "local_hosting_spend",
        "economy",
        "local_hosting",
        None,
        "Spending on local hosting providers (home and destination storage), by paying firm",
        0,
    ),
)

EXTRA_METRICS: dict[str, tuple[str, int]] = {
    "dds_export_share_of_world": ("Group's dds_exports / world dds_exports (calibration target)", 0),
    "catch_up": ("Group's mean productivity / the highest group mean at the same level", 1),
    "local_hosting_revenue": ("Local hosting revenue by provider economy (economy, region, world levels)", 0),
    "price_index": ("Final-demand price index relative to step 0 (economy, region, world; demand-weighted)", -1),
    "real_output": ("Output deflated by the price index (economy, region, world)", 1),
    "real_investment": (
        "Investment (R&D + in-house hosting capex) deflated by the price index (economy, region, world)",
        1,
    ),
    "region_flow": ("Cross-border sales from origin region to destination region (level region_pair, 'O>D')", 0),
    "bloc_fragmentation": (
        "Newman modularity of the cross-border economy × economy trade matrix with economies grouped into data-"
        "regime blocs (open/none, conditional, storage rules by their personal-data regime); higher = more "
        "fragmented (world level)",
        -1,
    ),
}

QUANTITIES: tuple[str, ...] = tuple(
    sorted({m.numerator for m in METRICS} | {m.denominator for m in METRICS if m.denominator})
)
assert QUANTITIES == kernels.METRIC_QUANTITIES, "kernels.metric_cells must cover the metrics' quantities in order"


def link_sums(model: DataFlowModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-seller intra-regional exports, Σ sales × (τ(1 + W) − 1) on cross-border links, economy × economy flows.

    The accounts pass of a step that collects metrics computes them already (``Accounts.intra_region_exports``,
    ``trade_cost``, ``economy_flows``); otherwise one pass over the links. The flows are cross-border sales by
    origin × destination economy, flattened.
    """
    f, tr, a = model.firms, model.trade, model.accounts
    n_c = model.n_economies
    done = getattr(a, "intra_region_exports", None)
    if done is not None and done.size == f.capacity and a.economy_flows.size == n_c * n_c:
        return done, a.trade_cost, a.economy_flows
    return kernels.link_metric_sums(
        tr.sales_seller, tr.sales_dest, f.economy, model.region_of, tr.sales_revenue, tr.sales_tau, tr.sales_wedge,
        f.capacity, n_c,
    )  # fmt: skip


def log_growth(model: DataFlowModel) -> np.ndarray:
    """ln(φ / φ_prev) per firm slot, 0 where the slot is free or φ_prev is not positive."""
    f = model.firms
    growth = kernels.phi_ratio(f.phi, model.prev_phi, f.alive)
    return np.log(growth, out=growth)


def firm_quantities(
    model: DataFlowModel, links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Return every per-firm quantity the metrics need, arrays per firm slot (zero for free slots).

    ``links`` is the result of ``link_sums`` when the caller has it already.
    """
    f, a = model.firms, model.accounts
    alive = f.alive.astype(float)
    cap = f.capacity
    intra, trade_cost, _ = link_sums(model) if links is None else links
    suppliers, foreign_suppliers, foreign_buyers = kernels.slot_counts(model.network.sup, f.alive, f.economy, cap)
    services = (model.world.sectors["kind"].to_numpy() == "services")[f.sector]
    growth = log_growth(model)
    exporter = (a.exports > 0).astype(float)
    facing = (a.compliance > 0).astype(float)
    return {
        "firms": alive,
        "revenue": a.revenue,
        "exports": a.exports,
        "exporter": exporter,
        "foreign_partners": (a.n_foreign_markets + foreign_buyers) * exporter,
        "intra_region_exports": intra,
        "suppliers": suppliers,
        "foreign_suppliers": foreign_suppliers,
        "trade_cost": trade_cost,
        "phi": f.phi * alive,
        "log_growth": growth * alive,
        "rd": model.innovation.rd,
        "innovated": model.innovation.innovated.astype(float),
        "access_weighted": f.access * f.delta * alive,
        "delta": f.delta * alive,
        "value_added": a.value_added,
        "dds_exports": a.exports * f.delta * services,
        "investment": model.innovation.rd + a.inhouse_capex,
        "compliance": a.compliance,
        "compliance_facing": a.compliance * facing,
        "total_cost_facing": (a.variable_cost + a.fixed) * facing,
        "data_management_facing": (a.compliance + a.hosting + a.inhouse_capex) * facing,
        "entrants": (f.born == model.steps).astype(float) * alive * (model.steps > 0),
        "exits": model.exiting.astype(float),
        "withdrawals": model._withdrawals.copy(),
        "withdrew": f.withdrew.astype(float) * alive,
        "local_hosting": a.local_hosting,
    }


def cell_table(
    model: DataFlowModel, links: tuple[np.ndarray, np.ndarray, np.ndarray], services: np.ndarray | None = None
) -> np.ndarray:
    """Every quantity of ``firm_quantities`` summed per economy × sector × size cell, ``(cells, QUANTITIES)``.

    One compiled pass over the supplier slots and one over the firms (``kernels.metric_cells``) instead of the 27
    per-firm arrays; the same sums. ``services`` flags the services sectors (per sector).
    """
    return _cell_tables(model, links, services)[0]


def _cell_tables(
    model: DataFlowModel, links: tuple[np.ndarray, np.ndarray, np.ndarray], services: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``cell_table`` and, from the same pass, value added and investment per economy over every slot, ``(C, 2)``."""
    f, a, inn = model.firms, model.accounts, model.innovation
    n_c, n_s = model.cell_target.shape
    intra, trade_cost, _ = links
    if services is None:
        services = model.world.sectors["kind"].to_numpy() == "services"
    return kernels.metric_cells(
        f.economy, f.sector, f.size, n_c, n_s, len(SizeClass), f.alive, model.exiting, f.born, model.steps, f.phi,
        f.delta, f.access, f.withdrew, services, log_growth(model), a.revenue, a.exports, a.n_foreign_markets,
        a.compliance, a.variable_cost, a.fixed, a.hosting, a.inhouse_capex, a.value_added, a.local_hosting, inn.rd,
        inn.innovated, model._withdrawals, intra, trade_cost, model.network.sup,
    )  # fmt: skip


def _sum_rows(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Rows of ``values`` (k, q) summed by ``index`` (k,) into ``(n, q)``: ``np.add.at`` on zeros, in the same order."""
    q = values.shape[1]
    flat = (np.asarray(index, dtype=np.int64)[:, None] * q + np.arange(q)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n * q).reshape(n, q)


def regime_bloc(model: DataFlowModel) -> np.ndarray:
    """Data-regime bloc of each economy: 0 open/none, 1 conditional, 2 storage rules (personal data, modal sector)."""
    severity = np.array([r.severity for r in REGIME_ORDER])
    personal = 0
    sev = severity[model.policy.regime[:, personal, :].astype(np.intp)]
    mean = sev.mean(axis=1)
    return np.digitize(mean, [Regime.CONDITIONAL.severity, Regime.STORAGE_COPY.severity])


def modularity(flows: np.ndarray, bloc: np.ndarray) -> float:
    """Newman modularity Σ_b (F_bb / F − (out_b / F)(in_b / F)) of a directed flow matrix with its diagonal removed."""
    f = flows.copy()
    np.fill_diagonal(f, 0.0)
    total = f.sum()
    if total <= 0:
        return 0.0
    n_b = int(bloc.max(initial=0)) + 1
    onehot = np.eye(n_b)[bloc]
    within = onehot.T @ f @ onehot
    out_b, in_b = f.sum(axis=1) @ onehot, f.sum(axis=0) @ onehot
    return float(np.trace(within) / total - (out_b * in_b).sum() / total**2)


class MetricsCollector:
    """Collects metrics each step into numpy blocks; ``frame()`` turns them into the tidy table.

    Args:
        model: The model (its world fixes the groups).
    """

    def __init__(self, model: DataFlowModel) -> None:
        self.blocks: list[tuple[int, np.ndarray]] = []
        self.extra_blocks: list[tuple[int, np.ndarray]] = []
        self.n_c = len(model.world.iso3)
        self.n_s = len(model.world.sector_codes)
        self.n_z = len(SizeClass)
        self.region_names = [str(r) for r in model.region_codes]
        self.region_of = model.region_of
        self._region_of64 = np.asarray(self.region_of, dtype=np.int64)
        self.iso3 = list(model.world.iso3)
        self.services = model.world.sectors["kind"].to_numpy() == "services"
        self.labels = self._labels(model)
        col = {n: i for i, n in enumerate(QUANTITIES)}
        self._col = col
        self._num = np.array([col[m.numerator] for m in METRICS])
        self._den = np.array([col[m.denominator] if m.denominator else -1 for m in METRICS])
        # the denominators' columns (any column for plain sums) and which metrics are plain sums
        self._den_col = np.maximum(self._den, 0)
        self._plain = (self._den < 0)[:, None]
        self._level_sel = [np.flatnonzero(self.labels[0] == lev) for lev in LEVELS]
        # when the levels are consecutive runs covering every group (as ``_labels`` writes them): their starts, sizes
        runs = np.concatenate(self._level_sel)
        self._level_sizes = np.array([sel.size for sel in self._level_sel])
        complete = runs.size == self.labels[0].size and np.array_equal(runs, np.arange(runs.size))
        nonempty = bool((self._level_sizes > 0).all())
        self._level_starts = np.cumsum(self._level_sizes) - self._level_sizes if complete and nonempty else None
        n_r = len(self.region_names)
        self._region_pairs = (self.region_of[:, None] * n_r + self.region_of[None, :]).ravel()
        self.extra_labels = self._extra_labels()

    def _labels(self, model: DataFlowModel) -> tuple[np.ndarray, np.ndarray]:
        levels = ["world"] + ["region"] * len(self.region_names) + ["economy"] * self.n_c
        levels += ["sector"] * self.n_s + ["size"] * self.n_z
        groups = ["world", *self.region_names, *model.world.iso3, *model.world.sector_codes]
        groups += [z.name.lower() for z in SizeClass]
        return np.asarray(levels), np.asarray(groups)

    def _extra_labels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Metric, level and group of each value of an ``extra_blocks`` entry, in the order ``_collect_extra`` writes.

        Per group of ``LEVELS``: dds_export_share_of_world and catch_up; per world, region and economy: local hosting
        revenue, price index, real output and real investment; the region × region flows; bloc fragmentation.
        """
        levels, labels = self.labels
        rows: list[tuple[str, str, str]] = []
        for sel in self._level_sel:
            for i in sel:
                rows.append(("dds_export_share_of_world", str(levels[i]), str(labels[i])))
                rows.append(("catch_up", str(levels[i]), str(labels[i])))
        places = [("world", "world")] + [("region", r) for r in self.region_names]
        places += [("economy", c) for c in self.iso3]
        for lev, g in places:
            for name in ("local_hosting_revenue", "price_index", "real_output", "real_investment"):
                rows.append((name, lev, g))
        for ri in self.region_names:
            for rj in self.region_names:
                rows.append(("region_flow", "region_pair", f"{ri}>{rj}"))
        rows.append(("bloc_fragmentation", "world", "world"))
        metric, level, group = (np.array(col, dtype=object) for col in zip(*rows, strict=True))
        return metric, level, group

    def _levels(self, cell: np.ndarray) -> np.ndarray:
        """Sum a (c, s, z, q) cell table to every group: rows world, regions, economies, sectors, sizes."""
        # one compiled pass, the same sums in the same order as
        # econ = cell.sum(axis=(1, 2)); [econ.sum(axis=0), _sum_rows(region_of, econ), econ, cell.sum(axis=(0, 2)),
        # cell.sum(axis=(0, 1))] (numpy's order for these reductions, the quantity axis innermost)
        cell = np.ascontiguousarray(cell, dtype=np.float64)
        return kernels.level_sums(cell, self._region_of64, len(self.region_names))

    def _regime_bloc(self, model: DataFlowModel) -> np.ndarray:
        """``regime_bloc`` of the model, kept while the regime table is the same (it changes only with reforms)."""
        regime = model.policy.regime
        cached = getattr(self, "_bloc_cache", None)
        if cached is None or cached[0].shape != regime.shape or not np.array_equal(cached[0], regime):
            cached = (np.array(regime, copy=True), regime_bloc(model))
            self._bloc_cache = cached
        return cached[1]

    def collect(self, model: DataFlowModel) -> None:
        """Compute and store the metrics of the model's current step."""
        step = model.steps
        links = link_sums(model)
        table, by_economy = _cell_tables(model, links, self.services)
        groups = self._levels(table.reshape(self.n_c, self.n_s, self.n_z, len(QUANTITIES)))
        # every metric at once, (metrics, groups): plain sums, or ratios (NaN where the denominator is not positive)
        num = groups[:, self._num].T
        den = groups[:, self._den_col].T
        ratio = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
        values = np.where(self._plain, num, ratio)
        self.blocks.append((step, values))
        self._collect_extra(model, step, groups, self._col, links[2], by_economy)

    def _collect_extra(
        self,
        model: DataFlowModel,
        step: int,
        groups: np.ndarray,
        col: dict[str, int],
        od_flows: np.ndarray,
        by_economy: np.ndarray | None = None,
    ) -> None:
        """Store the values of ``EXTRA_METRICS`` of this step (one vector, labelled by ``extra_labels``).

        ``by_economy`` is value added and investment per economy (``np.bincount`` over the slots) when the caller
        has them already.
        """
        parts: list[np.ndarray] = []
        dds = groups[:, col["dds_exports"]]
        world_dds = dds[0]
        share = dds / world_dds if world_dds > 0 else np.full_like(dds, np.nan)
        prod = np.divide(
            groups[:, col["phi"]],
            groups[:, col["firms"]],
            out=np.full(dds.shape, np.nan),
            where=groups[:, col["firms"]] > 0,
        )
        starts = self._level_starts
        if starts is None:
            for sel in self._level_sel:
                top = np.nanmax(prod[sel]) if np.isfinite(prod[sel]).any() else np.nan
                pair = np.empty((sel.size, 2))
                pair[:, 0] = share[sel]
                pair[:, 1] = prod[sel] / top if top > 0 else np.nan
                parts.append(pair.ravel())
        else:
            # the levels are consecutive runs of groups: the same numbers with one reduction per kind over the runs
            # (the largest finite-or-infinite productivity ignoring NaN, NaN where a level has no finite value)
            top = np.where(np.logical_or.reduceat(np.isfinite(prod), starts), np.fmax.reduceat(prod, starts), np.nan)
            top = np.repeat(top, self._level_sizes)
            pair = np.empty((dds.size, 2))
            pair[:, 0] = share
            pair[:, 1] = np.divide(prod, top, out=np.full_like(prod, np.nan), where=top > 0)
            parts.append(pair.ravel())

        # by provider economy / destination market
        tr, a = model.trade, model.accounts
        host = a.local_hosting_revenue
        weights = model.demand.sum(axis=1)
        rel = np.where(np.isfinite(tr.price_index) & (model.price_index0 > 0), tr.price_index / model.price_index0, 1.0)
        cpi_num = (model.demand * rel).sum(axis=1)
        if by_economy is None:
            va = np.bincount(model.firms.economy, weights=a.value_added, minlength=self.n_c)
            inv = np.bincount(model.firms.economy, weights=model.innovation.rd + a.inhouse_capex, minlength=self.n_c)
        else:
            va, inv = by_economy[:, 0].copy(), by_economy[:, 1].copy()
        econ = np.stack([host, cpi_num, weights, va, inv], axis=1)
        region_sum = _sum_rows(self.region_of, econ, len(self.region_names))
        world = np.array([[host.sum(), cpi_num.sum(), weights.sum(), va.sum(), inv.sum()]])
        h, cn, w, v, k = np.concatenate([world, region_sum, econ]).T
        cpi = np.divide(cn, w, out=np.full_like(cn, np.nan), where=w > 0)
        block = np.empty((h.size, 4))
        block[:, 0] = h
        block[:, 1] = cpi
        block[:, 2] = np.divide(v, cpi, out=np.full_like(v, np.nan), where=cpi > 0)
        block[:, 3] = np.divide(k, cpi, out=np.full_like(k, np.nan), where=cpi > 0)
        parts.append(block.ravel())

        # region × region flows and bloc fragmentation
        flows = od_flows.reshape(self.n_c, self.n_c)
        n_r = len(self.region_names)
        rr = np.bincount(self._region_pairs, weights=flows.ravel(), minlength=n_r * n_r)
        parts.append(rr)
        parts.append(np.array([modularity(flows, self._regime_bloc(model))]))
        self.extra_blocks.append((step, np.concatenate(parts)))

    def frame(self) -> pd.DataFrame:
        """Return the tidy table of everything collected: step, metric, level, group, value."""
        levels, labels = self.labels
        n_m, n_g = len(METRICS), levels.size
        parts = []
        names = np.asarray([m.name for m in METRICS])
        for step, values in self.blocks:
            parts.append(
                pd.DataFrame(
                    {
                        "step": np.full(n_m * n_g, step, dtype=np.int64),
                        "metric": np.repeat(names, n_g),
                        "level": np.tile(levels, n_m),
                        "group": np.tile(labels, n_m),
                        "value": values.ravel(),
                    }
                )
            )
        if self.extra_blocks:
            metric, level, group = self.extra_labels
            n_x, n_b = metric.size, len(self.extra_blocks)
            parts.append(
                pd.DataFrame(
                    {
                        "step": np.repeat(np.array([st for st, _ in self.extra_blocks], dtype=np.int64), n_x),
                        "metric": np.tile(metric, n_b),
                        "level": np.tile(level, n_b),
                        "group": np.tile(group, n_b),
                        "value": np.concatenate([v for _, v in self.extra_blocks]),
                    }
                )
            )
        if not parts:
            return pd.DataFrame(columns=["step", "metric", "level", "group", "value"])
        df = pd.concat(parts, ignore_index=True)
        df = df.sort_values(["step", "metric", "level", "group"], kind="stable").reset_index(drop=True)
        for c in ("metric", "level", "group"):
            df[c] = df[c].astype("category")
        return df

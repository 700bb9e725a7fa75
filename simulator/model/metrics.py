"""Metrics: one documented definition per outcome, collected each step into a tidy long table.

Every metric is computed at five levels — ``world``, ``region``, ``economy``, ``sector``, ``size`` (firm-size class)
— and, where stated, at extra levels (``region_pair``). Most metrics are a ratio of two per-firm quantities summed
over the group (or a plain sum): the per-firm quantities are summed once per economy × sector × size cell (one
compiled pass, ``kernels.metric_cells``), and every level, ratio and extra metric is then computed from the cells and
a few per-economy tables (``kernels.metric_values``), so collection is two compiled calls per step, not a Python loop
over firms. Firms are attributed to their home economy, sector and size class of the step — except at the ``size``
level once ``fix_size_classes`` has been called (the experiment layer calls it at the branch point, step 0 after the
burn-in): each firm then stays in the class it had at that point, so that a reform's size-level effects compare the
same firms' groups as the baseline's; every other level is computed exactly as before.

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
    Metric(
        "productivity",
        "innovation",
        "phi_output",
        "output_weight",
        "Output-weighted mean effective productivity φ̃ (base draw × frontier cloud/AI access × connectivity × digital "
        "capability), weights = value added",
        1,
    ),
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
        "Value added: revenue − intermediate inputs (money/step, nominal; at economy level it is the economy's income; "
        "see real_income)",
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
    "catch_up": ("Group's productivity (output-weighted φ̃) / the highest group's at the same level", 1),
    "local_hosting_revenue": ("Local hosting revenue by provider economy (economy, region, world levels)", 0),
    "price_index": (
        "Exact CES price index of final demand relative to the model's reference (economy); Σ income / Σ real income "
        "(region, world)",
        -1,
    ),
    "real_output": ("Value added deflated by the price index (economy, region, world)", 1),
    "real_investment": (
        "Investment (R&D + in-house hosting capex) deflated by the price index (economy, region, world)",
        1,
    ),
    "income": ("Nominal income: value added of the economy's firms (money/step; economy, region, world)", 1),
    "real_income": (
        "Real income: nominal income over the exact CES price index of final demand — the model's GDP and its "
        "welfare headline (money/step at reference prices; economy, region, world)",
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

PLACE_METRICS: tuple[str, ...] = (
    "local_hosting_revenue",
    "price_index",
    "real_output",
    "real_investment",
    "income",
    "real_income",
)
"""The extra metrics computed per world, region and economy, in ``kernels.metric_values``' order."""

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
        f.capacity, n_c, f.weight,
    )  # fmt: skip


def log_growth(model: DataFlowModel) -> np.ndarray:
    """ln(φ / φ_prev) per firm slot, 0 where the slot is free or φ_prev is not positive."""
    f = model.firms
    growth = kernels.phi_ratio(f.phi, model.prev_phi, f.alive)
    return np.log(growth, out=growth)


def firm_quantities(
    model: DataFlowModel, links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Return every per-firm quantity the metrics need, times the agent weight, per firm slot (zero for free slots).

    ``links`` is the result of ``link_sums`` when the caller has it already. This is the readable form of
    ``kernels.metric_cells`` (the tests compare the two).
    """
    f, a = model.firms, model.accounts
    w = f.weight
    alive = f.alive.astype(float) * w
    cap = f.capacity
    intra, trade_cost, _ = link_sums(model) if links is None else links
    suppliers, foreign_suppliers, foreign_buyers = kernels.slot_counts(model.network.sup, f.alive, f.economy, cap)
    services = (model.world.sectors["kind"].to_numpy() == "services")[f.sector]
    growth = log_growth(model)
    exporter = (a.exports > 0).astype(float) * w
    facing = (a.compliance > 0).astype(float) * w
    va_pos = np.maximum(a.value_added, 0.0) * alive
    return {
        "firms": alive,
        "revenue": a.revenue * w,
        "exports": a.exports * w,
        "exporter": exporter,
        "foreign_partners": (a.n_foreign_markets + foreign_buyers) * exporter,
        "intra_region_exports": intra * w,
        "suppliers": suppliers * w,
        "foreign_suppliers": foreign_suppliers * w,
        "trade_cost": trade_cost * w,
        "output_weight": va_pos,
        "phi_output": model.effective_productivity() * va_pos,
        "log_growth": growth * alive,
        "rd": model.innovation.rd * w,
        "innovated": model.innovation.innovated.astype(float) * w,
        "access_weighted": f.access * f.delta * alive,
        "delta": f.delta * alive,
        "value_added": a.value_added * w,
        "dds_exports": a.exports * f.delta * services * w,
        "investment": (model.innovation.rd + a.inhouse_capex) * w,
        "compliance": a.compliance * w,
        "compliance_facing": a.compliance * facing,
        "total_cost_facing": (a.variable_cost + a.fixed) * facing,
        "data_management_facing": (a.compliance + a.hosting + a.inhouse_capex) * facing,
        "entrants": (f.born == model.steps).astype(float) * alive * (model.steps > 0),
        "exits": model.exiting.astype(float) * w,
        "withdrawals": model._withdrawals * w,
        "withdrew": f.withdrew.astype(float) * alive,
        "local_hosting": a.local_hosting * w,
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
    model: DataFlowModel,
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    services: np.ndarray | None = None,
    size: np.ndarray | None = None,
    per_firm: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``cell_table`` and, from the same pass, value added and investment per economy over every slot, ``(C, 2)``.

    ``size`` replaces the firms' size classes of the step (the fixed classes of ``fix_size_classes``); ``per_firm``
    is ``(model.effective_productivity(), log_growth(model))`` when the caller has them already.
    """
    f, a, inn = model.firms, model.accounts, model.innovation
    n_c, n_s = model.cell_target.shape
    intra, trade_cost, _ = links
    if services is None:
        services = model.world.sectors["kind"].to_numpy() == "services"
    phi_eff, growth = per_firm if per_firm is not None else (model.effective_productivity(), log_growth(model))
    return kernels.metric_cells(
        f.economy, f.sector, f.size if size is None else size, n_c, n_s, len(SizeClass), f.alive, model.exiting,
        f.born, model.steps, phi_eff, f.delta, f.access, f.withdrew, services, growth, a.revenue, a.exports,
        a.n_foreign_markets, a.compliance, a.variable_cost, a.fixed, a.hosting, a.inhouse_capex, a.value_added,
        a.local_hosting, inn.rd, inn.innovated, model._withdrawals, intra, trade_cost, model.network.sup, f.weight,
    )  # fmt: skip


def regime_bloc(model: DataFlowModel) -> np.ndarray:
    """Data-regime bloc of each economy: 0 open/none, 1 conditional, 2 storage rules (personal data, modal sector)."""
    severity = np.array([r.severity for r in REGIME_ORDER])
    personal = 0
    sev = severity[model.policy.regime[:, personal, :].astype(np.intp)]
    mean = sev.mean(axis=1)
    return np.digitize(mean, [Regime.CONDITIONAL.severity, Regime.STORAGE_COPY.severity])


def bloc_onehot(bloc: np.ndarray) -> np.ndarray:
    """One-hot matrix of the blocs, ``(economies, blocs)``: row i has a 1 in column ``bloc[i]``."""
    return np.eye(int(bloc.max(initial=0)) + 1)[bloc]


def modularity(flows: np.ndarray, bloc: np.ndarray, onehot: np.ndarray | None = None) -> float:
    """Newman modularity Σ_b (F_bb / F − (out_b / F)(in_b / F)) of a directed flow matrix with its diagonal removed.

    ``onehot`` is ``bloc_onehot(bloc)`` when the caller keeps it.
    """
    # the matrix without its diagonal and its sums in one compiled pass (numpy's numbers); the matrix products stay
    # numpy's (BLAS fixes their summation order)
    f, total, out_e, in_e = kernels.offdiag_sums(flows)
    if total <= 0:
        return 0.0
    if onehot is None:
        onehot = bloc_onehot(bloc)
    within = onehot.T @ f @ onehot
    out_b, in_b = out_e @ onehot, in_e @ onehot
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
        # each metric's numerator and denominator columns (-1: a plain sum)
        self._num = np.array([col[m.numerator] for m in METRICS], dtype=np.int64)
        self._den = np.array([col[m.denominator] if m.denominator else -1 for m in METRICS], dtype=np.int64)
        self._level_sel = [np.flatnonzero(self.labels[0] == lev) for lev in LEVELS]
        # each group's level, and the groups in the order of ``extra_labels`` (level by level)
        self._level_of = np.zeros(self.labels[0].size, dtype=np.int64)
        for lv, sel in enumerate(self._level_sel):
            self._level_of[sel] = lv
        self._level_order = np.concatenate(self._level_sel).astype(np.int64)
        self.extra_labels = self._extra_labels()
        self._size_groups = self._level_sel[LEVELS.index("size")]
        self._size_extra = np.flatnonzero(self.extra_labels[1] == "size")
        self.last_cells: tuple[int, np.ndarray] | None = None
        """The step and cell table of the last ``collect`` (read by ``keep_economy_sums``)."""
        self.fixed_size: np.ndarray | None = None
        """Each slot's fixed size class (``fix_size_classes``), ``None`` while classes are those of the step."""
        self.fixed_born: np.ndarray | None = None
        """The birth step of the firm each ``fixed_size`` entry belongs to (a slot reused by an entrant differs)."""

    def _labels(self, model: DataFlowModel) -> tuple[np.ndarray, np.ndarray]:
        levels = ["world"] + ["region"] * len(self.region_names) + ["economy"] * self.n_c
        levels += ["sector"] * self.n_s + ["size"] * self.n_z
        groups = ["world", *self.region_names, *model.world.iso3, *model.world.sector_codes]
        groups += [z.name.lower() for z in SizeClass]
        return np.asarray(levels), np.asarray(groups)

    def _extra_labels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Metric, level and group of each value of an ``extra_blocks`` entry, in ``kernels.metric_values``' order.

        Per group of ``LEVELS``: dds_export_share_of_world and catch_up; per world, region and economy: local hosting
        revenue, price index, real output, real investment, income and real income; the region × region flows; bloc
        fragmentation.
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
            for name in PLACE_METRICS:
                rows.append((name, lev, g))
        for ri in self.region_names:
            for rj in self.region_names:
                rows.append(("region_flow", "region_pair", f"{ri}>{rj}"))
        rows.append(("bloc_fragmentation", "world", "world"))
        metric, level, group = (np.array(col, dtype=object) for col in zip(*rows, strict=True))
        return metric, level, group

    def _regime_bloc(self, model: DataFlowModel) -> tuple[np.ndarray, np.ndarray]:
        """``regime_bloc`` of the model and its one-hot matrix.

        Kept while the regime table holds the same bytes (it changes only with reforms).
        """
        regime = model.policy.regime
        key = (regime.shape, regime.dtype.str, regime.tobytes())
        cached = getattr(self, "_bloc_cache", None)
        if cached is None or cached[0] != key:
            bloc = regime_bloc(model)
            cached = (key, bloc, bloc_onehot(bloc))
            self._bloc_cache = cached
        return cached[1], cached[2]

    def collect(self, model: DataFlowModel) -> None:
        """Compute and store the metrics of the model's current step.

        Two compiled passes: the cell table (``kernels.metric_cells``), then every value from it
        (``kernels.metric_values``: the level sums, the ratios and the extras, as the numpy form adds them); the
        bloc modularity stays in numpy (its matrix products sum in BLAS's order).
        """
        step = model.steps
        links = link_sums(model)
        per_firm = (model.effective_productivity(), log_growth(model))
        table, by_economy = _cell_tables(model, links, self.services, per_firm=per_firm)
        self.last_cells = (step, table)
        col = self._col
        values, extra = kernels.metric_values(
            table.reshape(self.n_c, self.n_s, self.n_z, len(QUANTITIES)), self._region_of64, len(self.region_names),
            self._num, self._den, self._level_of, self._level_order, col["dds_exports"], col["phi_output"],
            col["output_weight"], model.accounts.local_hosting_revenue, model.relative_price_index(), model.income,
            by_economy, links[2],
        )  # fmt: skip
        extra[-1] = modularity(links[2].reshape(self.n_c, self.n_c), *self._regime_bloc(model))
        if self.fixed_size is not None:
            # the size level again from a cell table with the fixed classes; the other levels keep the table of the
            # step's classes (their sums, and so their rounding, do not change)
            fixed = _cell_tables(model, links, self.services, self.fixed_classes(model), per_firm)[0]
            f_values, f_extra = kernels.metric_values(
                fixed.reshape(self.n_c, self.n_s, self.n_z, len(QUANTITIES)), self._region_of64,
                len(self.region_names), self._num, self._den, self._level_of, self._level_order, col["dds_exports"],
                col["phi_output"], col["output_weight"], model.accounts.local_hosting_revenue,
                model.relative_price_index(), model.income, by_economy, links[2],
            )  # fmt: skip
            values[:, self._size_groups] = f_values[:, self._size_groups]
            extra[self._size_extra] = f_extra[self._size_extra]
        self.blocks.append((step, values))
        self.extra_blocks.append((step, extra))

    def fix_classes(self, model: DataFlowModel) -> None:
        """Fix each firm's size class at the model's current state (see ``fix_size_classes``)."""
        f = model.firms
        self.fixed_size = f.size.copy()
        # a firm added at the end of this step has not traded yet: it is classed when the metrics first see it
        self.fixed_born = np.where(f.born > model.steps, _UNSEEN, f.born).astype(f.born.dtype)

    def fixed_classes(self, model: DataFlowModel) -> np.ndarray:
        """Each slot's fixed size class; a firm not seen yet takes its class of this step and keeps it.

        Firms alive when the classes were fixed keep theirs; a firm that enters later (or whose slot is reused)
        keeps the class it has at the first step the metrics record it.
        """
        if self.fixed_size is None or self.fixed_born is None:
            raise RuntimeError("size classes are not fixed; call fix_size_classes(model) first")
        f = model.firms
        cap = f.size.size
        if self.fixed_size.size < cap:  # the firm table grew: the new slots hold firms not seen yet
            extra = cap - self.fixed_size.size
            self.fixed_size = np.concatenate([self.fixed_size, np.zeros(extra, self.fixed_size.dtype)])
            self.fixed_born = np.concatenate([self.fixed_born, np.full(extra, _UNSEEN, self.fixed_born.dtype)])
        new = f.alive & (f.born != self.fixed_born)
        if new.any():
            self.fixed_size[new] = f.size[new]
            self.fixed_born[new] = f.born[new]
        return self.fixed_size

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


_UNSEEN = -1
"""``MetricsCollector.fixed_born`` of a slot whose firm has not been classed yet (birth steps are ≥ 0)."""


def fix_size_classes(model: DataFlowModel) -> None:
    """Fix each firm's size class, for the ``size`` level of the metrics collected from now on.

    Call it at the point a reform branches from the baseline (step 0, after the burn-in): every firm alive keeps the
    class it has now, whatever its revenue later, so the size level of a reform and of its baseline compare the same
    firms' groups (a firm that grows past a threshold under the reform stays in its class). Firms that enter later
    keep the class they have at the first step the metrics record them. Only the ``size`` level changes (and its
    ``dds_export_share_of_world`` and ``catch_up``); every other level is computed as before, bit for bit. The classes
    belong to this model's collector, so a copy of the model made afterwards keeps them.

    Args:
        model: A constructed model.
    """
    model.collector.fix_classes(model)


def keep_economy_sums(model: DataFlowModel) -> list[tuple[int, np.ndarray]]:
    """Also keep every metric quantity summed per economy, now and at each step the model collects metrics.

    The sums come from the same cell table as the collector's values (``_cell_tables``), summed over sectors and size
    classes, so that any grouping of economies (income group, developed/developing) is computed from the metrics'
    numerators and denominators exactly as the model's region level is. Call it on a model that will not be copied
    afterwards (the hook is bound to this model's collector).

    Args:
        model: A constructed model (its step-0 metrics already collected).

    Returns:
        The list the sums are appended to: ``(step, array (economies, len(QUANTITIES)))``, the current step first.
    """
    collector = model.collector
    sums: list[tuple[int, np.ndarray]] = []
    n_q = len(QUANTITIES)

    def keep(m: DataFlowModel, table: np.ndarray | None = None) -> None:
        if table is None:
            table = _cell_tables(m, link_sums(m), collector.services)[0]
        sums.append((int(m.steps), table.reshape(collector.n_c, -1, n_q).sum(axis=1)))

    original = collector.collect

    def collect(m: DataFlowModel) -> None:
        original(m)
        # the cell table the collector has just computed from this very state (one compiled pass saved per step)
        last = collector.last_cells
        keep(m, last[1] if last is not None and last[0] == m.steps else None)

    keep(model)
    collector.collect = collect  # type: ignore[method-assign]
    return sums

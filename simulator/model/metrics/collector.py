"""The metrics collector: each step's values into numpy blocks, and the tidy table they make.

Each step: the cell table (``metrics.cells``), then every level, ratio and extra metric from it
(``metrics.values``). ``fix_size_classes`` fixes the size level's groups at a branch point; ``keep_economy_sums``
keeps the per-economy sums of every quantity for groupings of economies made later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.model import hosting
from simulator.model.metrics.cells import cell_tables, link_sums, log_growth
from simulator.model.metrics.definitions import LEVELS, METRICS, PLACE_METRICS, QUANTITIES
from simulator.model.metrics.values import ValueLayout, bloc_onehot, metric_values, modularity, regime_bloc
from simulator.model.population import SizeClass

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel


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
        self._layout = ValueLayout(
            region_of=self._region_of64,
            n_r=len(self.region_names),
            num=self._num,
            den=self._den,
            level=self._level_of,
            order=self._level_order,
            c_dds=col["dds_exports"],
            c_phi=col["phi_output"],
            c_firms=col["output_weight"],
        )
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
        """Metric, level and group of each value of an ``extra_blocks`` entry, in ``metric_values``' order.

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

        Two compiled passes: the cell table (``cells.metric_cells``), then every value from it
        (``values.metric_values``: the level sums, the ratios and the extras, as the numpy form adds them); the
        bloc modularity stays in numpy (its matrix products sum in BLAS's order).
        """
        step = model.steps
        links = link_sums(model)
        per_firm = (model.effective_productivity(), log_growth(model))
        table, by_economy = cell_tables(model, links, self.services, per_firm=per_firm)
        self.last_cells = (step, table)
        shape = (self.n_c, self.n_s, self.n_z, len(QUANTITIES))
        host, cpi = model.accounts.local_hosting_revenue, model.relative_price_index()
        # investment: the firms' (R&D, in-house capex) and the local hosting providers' capital
        by_economy[:, 1] += hosting.capital_investment(model.market, host, model.params)
        values, extra = metric_values(table.reshape(shape), self._layout, host, cpi, model.income, by_economy, links[2])
        extra[-1] = modularity(links[2].reshape(self.n_c, self.n_c), *self._regime_bloc(model))
        if self.fixed_size is not None:
            # the size level again from a cell table with the fixed classes; the other levels keep the table of the
            # step's classes (their sums, and so their rounding, do not change)
            fixed = cell_tables(model, links, self.services, self.fixed_classes(model), per_firm)[0]
            f_values, f_extra = metric_values(
                fixed.reshape(shape), self._layout, host, cpi, model.income, by_economy, links[2]
            )
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

    The sums come from the same cell table as the collector's values (``cells.cell_tables``), summed over sectors and
    size classes, so that any grouping of economies (income group, developed/developing) is computed from the metrics'
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
            table = cell_tables(m, link_sums(m), collector.services)[0]
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

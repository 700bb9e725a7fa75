"""Metrics at groupings of economies the model does not report: income group and developing/developed.

A group's ratio metric is the sum of its numerator over the group's economies divided by the sum of its denominator,
from the economy-level sums the model keeps (``simulator.model.metrics.keep_economy_sums``): the same rule as the
model's region level. The WTO has no definition of a developing country; World Bank high income (``HIC``) stands for
developed and every other income group for developing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulator.model.metrics import METRICS, QUANTITIES
from simulator.world import World

DEVELOPED_INCOME_GROUPS: frozenset[str] = frozenset({"HIC"})
"""World Bank income groups counted as developed (high income)."""


def economy_groupings(world: World) -> dict[str, np.ndarray]:
    """Each economy's group at the added levels, in the world's economy order.

    Returns:
        ``{"income_group": [...], "development": [...]}``, one label per economy.
    """
    income = world.economies.loc[list(world.iso3), "income_group"].astype(str).to_numpy()
    development = np.where(np.isin(income, list(DEVELOPED_INCOME_GROUPS)), "developed", "developing")
    return {"income_group": income, "development": development.astype(str)}


def grouped_metrics(sums: Sequence[tuple[int, np.ndarray]], groupings: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every numerator metric of ``METRICS`` at each grouping, per step, from economy-level sums.

    Args:
        sums: ``(step, array (economies, len(QUANTITIES)))`` per collected step.
        groupings: Level → group label per economy (``economy_groupings``); a ``region`` grouping reproduces the
            model's region level.

    Returns:
        Tidy rows ``step, metric, level, group, value``; a ratio is NaN where its denominator is not positive.
    """
    columns = ["step", "metric", "level", "group", "value"]
    if not sums:
        return pd.DataFrame(columns=columns)
    col = {q: i for i, q in enumerate(QUANTITIES)}
    steps = np.array([s for s, _ in sums], dtype=np.int64)
    stack = np.stack([a for _, a in sums])  # (steps, economies, Q)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for level, labels in groupings.items():
        groups, member = np.unique(labels, return_inverse=True)
        onehot = np.zeros((groups.size, labels.size))
        onehot[member, np.arange(labels.size)] = 1.0
        g = np.einsum("ge,teq->tgq", onehot, stack)  # (steps, groups, Q)
        n = steps.size * groups.size
        for m in METRICS:
            num = g[:, :, col[m.numerator]]
            if m.denominator is None:
                value = num
            else:
                den = g[:, :, col[m.denominator]]
                with np.errstate(divide="ignore", invalid="ignore"):
                    value = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
            parts["step"].append(np.repeat(steps, groups.size))
            parts["metric"].append(np.full(n, m.name, dtype=object))
            parts["level"].append(np.full(n, level, dtype=object))
            parts["group"].append(np.tile(groups.astype(object), steps.size))
            parts["value"].append(value.ravel())
    out = {c: np.concatenate(v) for c, v in parts.items()}
    return pd.DataFrame(
        {
            "step": out["step"],
            "metric": pd.Categorical(out["metric"]),
            "level": pd.Categorical(out["level"]),
            "group": pd.Categorical(out["group"]),
            "value": out["value"],
        }
    )


ADDITIVE_PLACE_METRICS: tuple[str, ...] = (
    "income",
    "real_income",
    "real_output",
    "real_investment",
    "local_hosting_revenue",
)
"""Per-economy extra metrics whose group value is the sum over the group's economies (the model's region rule)."""


def grouped_place_metrics(frame: pd.DataFrame, groupings: dict[str, np.ndarray], iso3: Sequence[str]) -> pd.DataFrame:
    """The additive per-economy extra metrics (real income first) and the price index at each grouping, per step.

    A group's real income (and income, real output, real investment, local hosting revenue) is the sum of its
    economies' values, and its price index is Σ income / Σ real income, as the model computes regions and the world.

    Args:
        frame: The model's tidy metrics (``step, metric, level, group, value``).
        groupings: Level → group label per economy, in the order of ``iso3`` (``economy_groupings``).
        iso3: The world's economy codes in order.

    Returns:
        Tidy rows ``step, metric, level, group, value``.
    """
    columns = ["step", "metric", "level", "group", "value"]
    econ = frame[(frame["level"] == "economy") & frame["metric"].isin(ADDITIVE_PLACE_METRICS)]
    if econ.empty:
        return pd.DataFrame(columns=columns)
    wide = _economy_table(econ)
    parts = []
    position = {c: i for i, c in enumerate(iso3)}
    codes = wide.index.get_level_values("group").astype(str)
    where = np.array([position[c] for c in codes], dtype=np.intp)
    for level, labels in groupings.items():
        # keys as named Index objects: a bare array makes pandas first try it as a column label (and format it)
        keys = [wide.index.get_level_values("step"), pd.Index(np.asarray(labels)[where], name="group")]
        summed = wide.groupby(keys).sum(min_count=1)
        if {"income", "real_income"} <= set(summed.columns):
            real = summed["real_income"].where(summed["real_income"] > 0)
            summed["price_index"] = summed["income"] / real
        n, names = len(summed), [str(c) for c in summed.columns]
        parts.append(
            pd.DataFrame(
                {
                    "step": np.tile(summed.index.get_level_values(0).to_numpy(), len(names)),
                    "metric": np.repeat(np.asarray(names, dtype=object), n),
                    "level": level,
                    "group": np.tile(summed.index.get_level_values(1).to_numpy().astype(object), len(names)),
                    "value": summed.to_numpy(dtype=float).ravel(order="F"),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["step"] = out["step"].astype(np.int64)
    for c in ("metric", "level", "group"):
        out[c] = pd.Categorical(out[c].astype(str))
    return out


def _economy_table(econ: pd.DataFrame) -> pd.DataFrame:
    """Economy rows as a table indexed by (step, group), one column per metric (sorted): ``pivot_table``'s table.

    The model's frame is sorted by step, metric, level and group, so each metric's rows are already in (step, group)
    order; when every metric has the same (step, group) rows they are laid side by side without grouping; otherwise
    ``pivot_table`` builds the table.
    """
    metric = econ["metric"].astype(str).to_numpy()
    names = sorted(set(metric))
    step = econ["step"].to_numpy()
    group = econ["group"].astype(str).to_numpy()
    sel = [metric == m for m in names]
    ref_step, ref_group = step[sel[0]], group[sel[0]]
    order = np.lexsort((ref_group, ref_step))
    aligned = np.array_equal(order, np.arange(order.size)) and all(
        np.array_equal(step[s], ref_step) and np.array_equal(group[s], ref_group) for s in sel[1:]
    )
    cats = getattr(econ["group"], "cat", None)
    aligned &= cats is None or cats.categories.is_monotonic_increasing  # pivot_table sorts by category order
    if aligned and not pd.MultiIndex.from_arrays([ref_step, ref_group]).has_duplicates:
        value = econ["value"].to_numpy(dtype=float)
        index = pd.MultiIndex.from_arrays([ref_step, ref_group], names=["step", "group"])
        return pd.DataFrame({m: value[s] for m, s in zip(names, sel, strict=True)}, index=index)
    wide = econ.pivot_table(index=["step", "group"], columns="metric", values="value", observed=True)
    wide.columns = [str(c) for c in wide.columns]
    return wide

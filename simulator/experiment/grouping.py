"""Metrics at groupings of economies the model does not report: income group and developing/developed.

A group's ratio metric is the sum of its numerator over the group's economies divided by the sum of its denominator,
from the economy-level sums the model keeps (``simulator.model.metrics.keep_economy_sums``): the same rule as the
model's region level. The WTO has no definition of a developing country; World Bank high income (``HIC``) stands for
developed and every other income group for developing.
"""

from __future__ import annotations

import itertools
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
    level_codes, level_labels = _codes(frame["level"])
    metric_codes, metric_labels = _codes(frame["metric"])
    keep = np.isin(level_codes, np.flatnonzero(level_labels == "economy")) & np.isin(
        metric_codes, np.flatnonzero(np.isin(metric_labels, ADDITIVE_PLACE_METRICS))
    )
    if not keep.any():
        return pd.DataFrame(columns=columns)
    wide = _economy_table(frame[keep], metric_codes[keep], metric_labels)
    parts = []
    position = {c: i for i, c in enumerate(iso3)}
    where = np.array([position[str(c)] for c in wide.index.get_level_values("group")], dtype=np.intp)
    steps = wide.index.get_level_values("step")
    for level, labels in groupings.items():
        # keys as named Index objects: a bare array makes pandas first try it as a column label (and format it)
        summed = wide.groupby([steps, pd.Index(np.asarray(labels)[where], name="group")]).sum(min_count=1)
        if {"income", "real_income"} <= set(summed.columns):
            real = summed["real_income"].where(summed["real_income"] > 0)
            summed["price_index"] = summed["income"] / real
        n, names = len(summed), [str(c) for c in summed.columns]
        parts.append(
            (
                np.tile(summed.index.get_level_values(0).to_numpy(), len(names)),
                np.repeat(np.asarray(names, dtype=object), n),
                np.full(n * len(names), level, dtype=object),
                np.tile(summed.index.get_level_values(1).to_numpy().astype(object), len(names)),
                summed.to_numpy(dtype=float).ravel(order="F"),
            )
        )
    step, metric, lev, group, value = (np.concatenate(c) for c in zip(*parts, strict=True))
    return pd.DataFrame(
        {
            "step": step.astype(np.int64),
            "metric": _categorical(metric),
            "level": _categorical(lev),
            "group": _categorical(group),
            "value": value,
        }
    )


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code and the labels (text) they stand for: a categorical's own codes, else sorted labels."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), np.array([str(c) for c in column.cat.categories], dtype=object)
    labels, codes = np.unique(column.astype(str).to_numpy(), return_inverse=True)
    return codes, labels.astype(object)


def _categorical(values: np.ndarray) -> pd.Categorical:
    """Text labels as a categorical with sorted text categories (as ``pd.Categorical(series.astype(str))``)."""
    labels, codes = np.unique(values.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(codes, pd.Index(labels, dtype="str"))


def _economy_table(econ: pd.DataFrame, metric_codes: np.ndarray, metric_labels: np.ndarray) -> pd.DataFrame:
    """Economy rows as a table indexed by (step, group), one column per metric (sorted): ``pivot_table``'s table.

    The model's frame is sorted by step, metric, level and group, so each metric's rows are already in (step, group)
    order; when every metric has the same (step, group) rows they are laid side by side without grouping; otherwise
    ``pivot_table`` builds the table. ``metric_codes`` index ``metric_labels`` (``_codes``), row by row.
    """
    present = np.unique(metric_codes)
    names = sorted(str(metric_labels[c]) for c in present)
    code_of = {str(metric_labels[c]): c for c in present}
    step = econ["step"].to_numpy()
    group_codes, group_labels = _codes(econ["group"])
    sel = [metric_codes == code_of[m] for m in names]
    ref_step, ref_group = step[sel[0]], group_codes[sel[0]]
    sorted_labels = all(a < b for a, b in itertools.pairwise(group_labels))
    order = np.lexsort((ref_group, ref_step))
    aligned = sorted_labels and np.array_equal(order, np.arange(order.size))
    aligned = aligned and all(
        np.array_equal(step[s], ref_step) and np.array_equal(group_codes[s], ref_group) for s in sel
    )
    if aligned and not pd.MultiIndex.from_arrays([ref_step, ref_group]).has_duplicates:
        value = econ["value"].to_numpy(dtype=float)
        index = pd.MultiIndex.from_arrays([ref_step, group_labels[ref_group]], names=["step", "group"])
        return pd.DataFrame({m: value[s] for m, s in zip(names, sel, strict=True)}, index=index)
    wide = econ.pivot_table(index=["step", "group"], columns="metric", values="value", observed=True)
    wide.columns = [str(c) for c in wide.columns]
    return wide

"""Headline numbers of a run: a few metrics for the world, Latin America and Africa, first step against last."""

from __future__ import annotations

import pandas as pd

HEADLINE_METRICS: tuple[str, ...] = (
    "real_income",
    "exports",
    "cross_border_share",
    "export_participation",
    "intra_regional_share",
    "productivity",
    "innovating_share",
    "compliance_cost_share",
    "firm_count",
    "local_hosting_revenue",
)
"""Metrics shown after a run, in this order (definitions in ``simulator.model.metrics``)."""

HEADLINE_GROUPS: tuple[tuple[str, str], ...] = (("world", "world"), ("region", "LAC"), ("region", "AFR"))
"""(level, group) pairs shown after a run."""


def headline(metrics: pd.DataFrame) -> pd.DataFrame:
    """Return one row per headline metric: its value at the first and last collected step for each headline group.

    Args:
        metrics: Tidy metrics (``step, metric, level, group, value``).

    Returns:
        Columns ``metric`` and, per group, ``<group> start`` and ``<group> end``; metrics or groups missing from
        ``metrics`` are left out.
    """
    if metrics.empty:
        return pd.DataFrame(columns=["metric"])
    first, last = metrics["step"].min(), metrics["step"].max()
    rows = []
    for name in HEADLINE_METRICS:
        row: dict[str, object] = {"metric": name}
        for level, group in HEADLINE_GROUPS:
            sel = metrics[(metrics["metric"] == name) & (metrics["level"] == level) & (metrics["group"] == group)]
            if sel.empty:
                continue
            by_step = sel.set_index("step")["value"]
            row[f"{group} start"] = float(by_step.get(first, float("nan")))
            row[f"{group} end"] = float(by_step.get(last, float("nan")))
        if len(row) > 1:
            rows.append(row)
    return pd.DataFrame(rows)

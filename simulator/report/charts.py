"""The report's charts in order: which figure functions the report calls, for which scenario and metric.

The HTML report and the image export both walk :func:`plan`, so the images are the report's charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from simulator.report import figures as F
from simulator.report.context import WorldContext
from simulator.report.data import Results
from simulator.report.glossary import headline_metrics
from simulator.report.names import safe_name

MAX_SCENARIO_SECTIONS = 12
"""Reforms with a section of their own (charts, header, cards); the overview chart shows every reform. Keeps the
file well under 10 MB when a study holds many scenarios."""

Builder = Callable[[str], tuple[go.Figure, pd.DataFrame]]
"""Builds a chart in a language: ``lang -> (figure, data behind it)``."""


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the report.

    Attributes:
        id: Unique, file-name-safe identifier (also the stem of exported images and CSV downloads).
        section: ``overview``, ``scenario`` or ``sensitivity``.
        scenario: Reform the chart is about (``None`` for cross-scenario charts).
        kind: ``forest``, ``fan``, ``map``, ``flows``, ``network``, ``sector``, ``size``, ``decomposition``,
            ``tornado``.
        metrics: Metrics the chart shows (for the glossary).
        build: The chart in a language.
        alternate: The "levels against the baseline" view of a fan chart, or ``None``.
        height: Height of the chart in the page, pixels (presenter mode fills the screen instead).
    """

    id: str
    section: str
    scenario: str | None
    kind: str
    metrics: tuple[str, ...]
    build: Builder
    alternate: Builder | None = None
    height: int = 470


def _integration_metric(res: Results, heads: list[str]) -> str | None:
    for h in heads:
        if res.meta.at[h, "family"] in {"market_integration", "integration"}:
            return h
    return heads[0] if heads else None


def plan(res: Results, world: WorldContext | None) -> list[ChartSpec]:
    """Every chart of the report for ``res``, in reading order."""
    heads = headline_metrics(res.metrics)
    specs: list[ChartSpec] = []

    if len(res.reforms) and heads:
        specs.append(
            ChartSpec(
                "00-overview-forest",
                "overview",
                None,
                "forest",
                tuple(heads),
                lambda lang: F.forest_chart_data(res, heads, lang=lang),
                height=140 + min(90 * max(2, len(res.reforms)), 1200) * -(-len(heads) // 3),
            )
        )
    integration = _integration_metric(res, heads)
    breakdown = F._breakdown_metrics(res)
    for n, scenario in enumerate(res.reforms[:MAX_SCENARIO_SECTIONS], start=1):
        prefix = f"{n:02d}-{safe_name(scenario, 'scenario')}"
        for metric in heads:
            specs.append(
                ChartSpec(
                    f"{prefix}-fan-{safe_name(metric)}",
                    "scenario",
                    scenario,
                    "fan",
                    (metric,),
                    lambda lang, s=scenario, m=metric: F.fan_chart_data(res, m, s, lang=lang),
                    lambda lang, s=scenario, m=metric: F.levels_chart_data(res, m, s, lang=lang),
                )
            )
        if integration:
            specs.append(
                ChartSpec(
                    f"{prefix}-map-{safe_name(integration)}",
                    "scenario",
                    scenario,
                    "map",
                    (integration,),
                    lambda lang, s=scenario, m=integration: F.effect_map_data(res, m, s, lang=lang, world=world),
                    height=540,
                )
            )
        has_flows = not res.effects(scenario, "region_flow").empty
        if has_flows or res.flows is not None:
            specs.append(
                ChartSpec(
                    f"{prefix}-flows",
                    "scenario",
                    scenario,
                    "flows",
                    ("region_flow",),
                    lambda lang, s=scenario: F.flows_chart_data(res, s, lang=lang),
                )
            )
        if integration and world is not None:
            specs.append(
                ChartSpec(
                    f"{prefix}-network-{safe_name(integration)}",
                    "scenario",
                    scenario,
                    "network",
                    (integration, "exports"),
                    lambda lang, s=scenario, m=integration: F.bloc_network_data(res, m, s, lang=lang, world=world),
                    height=680,
                )
            )
        for level in ("sector", "size"):
            if level in res.levels.get(scenario, set()):
                specs.append(
                    ChartSpec(
                        f"{prefix}-{level}",
                        "scenario",
                        scenario,
                        level,
                        tuple(breakdown),
                        lambda lang, s=scenario, lv=level: F.breakdown_chart_data(res, lv, breakdown, s, lang=lang),
                    )
                )
        dec = res.decomposition
        if dec is not None and not dec[(dec["scenario"] == scenario) & (dec["level"] == "world")].empty:
            metrics = tuple(m for m in heads if m in set(dec["metric"]))[:3]
            specs.append(
                ChartSpec(
                    f"{prefix}-decomposition",
                    "scenario",
                    scenario,
                    "decomposition",
                    metrics,
                    lambda lang, s=scenario: F.decomposition_chart_data(res, s, lang=lang),
                )
            )
    if res.indices is not None and not res.indices[res.indices["level"] == "world"].empty:
        available = list(dict.fromkeys(res.indices["metric"]))
        metrics = tuple((headline_metrics(available) or available)[:3])
        specs.append(
            ChartSpec(
                "99-sensitivity-tornado",
                "sensitivity",
                None,
                "tornado",
                metrics,
                lambda lang: F.tornado_chart_data(res, lang=lang),
            )
        )
        # the economies a sweep names (sweep.economies) are places its author wants explained: one tornado each
        named = (res.manifest.get("sweep") or {}).get("economies") or []
        for iso in named:
            if res.indices[(res.indices["level"] == "economy") & (res.indices["group"] == iso)].empty:
                continue
            specs.append(
                ChartSpec(
                    f"99-sensitivity-tornado-{safe_name(str(iso))}",
                    "sensitivity",
                    None,
                    "tornado",
                    metrics,
                    lambda lang, g=str(iso): F.tornado_chart_data(res, level="economy", group=g, lang=lang),
                )
            )
    return specs

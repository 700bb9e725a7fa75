"""Metric declarations for the report: which metrics lead, and the glossary of every metric shown.

Declarations come from one place in the package. When the experiment layer exposes
``simulator.experiment.metrics_catalogue()`` (a table or records with ``name``/``metric``, ``definition``,
``direction``, ``family`` and ``unit``) it is used; otherwise the model's ``METRICS`` and ``EXTRA_METRICS``
declarations are read directly. The unit, direction and family stored in the effects table win over the
declarations for what they cover (they describe the numbers actually in the file).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from simulator.report import i18n

HEADLINE_METRICS: tuple[tuple[str, ...], ...] = (
    ("real_income", "real_output"),
    ("cross_border_share",),
    ("export_participation",),
    ("productivity",),
    ("innovating_share",),
)
"""Headline cards, in order: the first metric of each tuple present in the results is shown. Real income leads
(real value added until the model declares ``real_income``); market integration, then innovation. Gross sales
(``revenue``) and nominal aggregates are never headlines."""

NEVER_HEADLINE: frozenset[str] = frozenset({"revenue", "exports", "output"})
"""Gross sales and nominal money aggregates: never shown as headline effects."""

SHARE_UNITS: frozenset[str] = frozenset({"share", "fraction", "proportion", "share of firms", "0-1"})
"""Units whose effects read best as percentage-point differences (diff × 100) rather than % changes."""


@dataclass(frozen=True)
class MetricInfo:
    """One metric as the glossary shows it.

    Attributes:
        name: Metric name.
        definition: The declaration's definition (English).
        direction: +1 higher is better, −1 lower is better, 0 neither.
        family: Metric family (``market_integration``, ``innovation``, ``economy``...).
        unit: Unit of the values.
    """

    name: str
    definition: str
    direction: int
    family: str
    unit: str = ""


def _from_experiment() -> dict[str, MetricInfo] | None:
    try:
        experiment = importlib.import_module("simulator.experiment")
    except ImportError:  # pragma: no cover - the experiment layer is part of the package
        return None
    provider = getattr(experiment, "metrics_catalogue", None)
    if provider is None:
        return None
    table = provider()
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table))
    if frame.empty:
        return None
    name_col = "name" if "name" in frame else "metric"
    out = {}
    for row in frame.to_dict("records"):
        out[str(row[name_col])] = MetricInfo(
            name=str(row[name_col]),
            definition=str(row.get("definition", "")),
            direction=int(row.get("direction", 0) or 0),
            family=str(row.get("family", "economy")),
            unit=str(row.get("unit", "") or ""),
        )
    return out


def _from_model() -> dict[str, MetricInfo]:
    from simulator.model.metrics import EXTRA_METRICS, METRICS

    out = {
        m.name: MetricInfo(
            m.name, m.definition, int(m.direction), "market_integration" if m.family == "integration" else m.family
        )
        for m in METRICS
    }
    for name, (definition, direction) in EXTRA_METRICS.items():
        out[name] = MetricInfo(name, definition, int(direction), "economy")
    return out


def declarations() -> dict[str, MetricInfo]:
    """Every declared metric by name (from the experiment layer's catalogue when it exists, else the model's)."""
    return _from_experiment() or _from_model()


def metric_info(effects: pd.DataFrame) -> dict[str, MetricInfo]:
    """Declarations of the metrics in ``effects``, with the unit, direction and family the effects table holds."""
    decl = declarations()
    out: dict[str, MetricInfo] = {}
    firsts = effects.drop_duplicates("metric").set_index("metric") if not effects.empty else pd.DataFrame()
    for name in firsts.index:
        row = firsts.loc[name]
        base = decl.get(name)
        out[str(name)] = MetricInfo(
            name=str(name),
            definition=base.definition if base else "",
            direction=int(row["direction"]) if pd.notna(row["direction"]) else (base.direction if base else 0),
            family=str(row["family"]) if pd.notna(row["family"]) else (base.family if base else "economy"),
            unit=str(row["unit"]) if pd.notna(row["unit"]) else (base.unit if base else ""),
        )
    return out


def headline_metrics(available: Iterable[str]) -> list[str]:
    """The headline metrics present in ``available``, in :data:`HEADLINE_METRICS` order."""
    have = set(available)
    out = []
    for candidates in HEADLINE_METRICS:
        chosen = next((m for m in candidates if m in have and m not in NEVER_HEADLINE), None)
        if chosen:
            out.append(chosen)
    return out


def is_share(unit: str) -> bool:
    """Whether effects on a metric with ``unit`` read as percentage points."""
    return unit.strip().lower() in SHARE_UNITS


def glossary_rows(metrics: Sequence[str], info: dict[str, MetricInfo], lang: str) -> list[dict[str, str]]:
    """Glossary entries for ``metrics`` in ``lang``: label, definition (translated when current), family, reading.

    A definition is shown translated only when the catalogue's English copy equals the declaration word for word;
    otherwise the declaration's English is shown with a note that the translation is pending.
    """
    rows = []
    for name in metrics:
        meta = info.get(name) or declarations().get(name) or MetricInfo(name, "", 0, "economy")
        key = f"metric.{name}.definition"
        current = i18n.has(key) and i18n.text(key, "en") == meta.definition
        if current:
            definition, pending = i18n.text(key, lang), False
        else:
            definition, pending = meta.definition, lang != "en"
        rows.append(
            {
                "name": name,
                "label": i18n.metric_label(name, lang),
                "definition": definition,
                "pending": i18n.text("ui.translation_pending", lang) if pending else "",
                "family": i18n.family_label(meta.family, lang),
                "unit": meta.unit,
                "direction": i18n.direction_label(meta.direction, lang),
            }
        )
    return rows

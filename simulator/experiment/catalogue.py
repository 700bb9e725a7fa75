"""The metric catalogue: one record per metric (name, definition, unit, direction, family, levels).

Built from the model's declarations (``simulator.model.metrics.METRICS`` and ``EXTRA_METRICS``): names, definitions
and directions come from there; the unit is derived from what the metric sums (the kinds of its numerator and
denominator quantities), with a few named overrides where the quantity kinds do not say it; the levels are the
model's levels plus the groupings the experiment layer adds (income group, developing/developed) for every metric
with a numerator. The catalogue drives ``dlsim metrics``, ``docs/metrics.md``, the units of ``effects.parquet`` and the
report's glossary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from simulator.experiment.grouping import ADDITIVE_PLACE_METRICS
from simulator.model.metrics import EXTRA_METRICS, LEVELS, METRICS, Metric

GROUP_LEVELS: tuple[str, ...] = ("income_group", "development")
"""Levels added by the experiment layer from the economy-level numerators and denominators."""

MONEY_QUANTITIES: frozenset[str] = frozenset(
    {
        "revenue",
        "exports",
        "intra_region_exports",
        "trade_cost",
        "rd",
        "value_added",
        "dds_exports",
        "investment",
        "compliance",
        "compliance_facing",
        "total_cost_facing",
        "data_management_facing",
        "local_hosting",
    }
)
"""Per-firm quantities in model money (billions of US dollars of the data's base year, per step)."""

COUNT_UNITS: dict[str, str] = {
    "firms": "firms",
    "exporter": "firms",
    "innovated": "firms",
    "entrants": "firms",
    "exits": "firms",
    "withdrew": "firms",
    "withdrawals": "markets",
    "foreign_partners": "partners",
    "suppliers": "links",
    "foreign_suppliers": "links",
}
"""Unit of each per-firm count quantity."""

UNIT_OVERRIDES: dict[str, str] = {
    "foreign_partners_per_exporter": "partners per exporter",
    "effective_trade_cost": "ad-valorem rate",
    "productivity": "index (output-weighted φ̃)",
    "productivity_growth": "log points per step",
    "cloud_ai_access": "index (1 = hyperscale cloud)",
    "dds_export_share_of_world": "share",
    "catch_up": "ratio to the leading group",
    "price_index": "index (policy-free reference = 1)",
    "region_flow": "MONEY",
    "local_hosting_revenue": "MONEY",
    "real_output": "MONEY",
    "real_investment": "MONEY",
    "real_income": "MONEY",
    "income": "MONEY",
    "bloc_fragmentation": "modularity",
}
"""Units the quantity kinds do not give (extra metrics have no declared quantities); ``MONEY`` = the money unit."""

FAMILY_NAMES: dict[str, str] = {"integration": "market_integration"}
"""The model's family names as written in results files."""

EXTRA_FAMILIES: dict[str, str] = {
    "dds_export_share_of_world": "market_integration",
    "region_flow": "market_integration",
    "bloc_fragmentation": "market_integration",
    "catch_up": "innovation",
    "real_investment": "innovation",
}
"""Family of the extra metrics (default ``economy``)."""

EXTRA_LEVELS: dict[str, tuple[str, ...]] = {
    "dds_export_share_of_world": LEVELS,
    "catch_up": LEVELS,
    "region_flow": ("region_pair",),
    "bloc_fragmentation": ("world",),
    **{name: ("world", "region", "economy", *GROUP_LEVELS) for name in (*ADDITIVE_PLACE_METRICS, "price_index")},
}
"""Levels of the extra metrics (default world, region, economy; the additive per-economy ones and the price index are
also computed at the experiment layer's groupings, ``grouping.grouped_place_metrics``)."""

HEADLINE_CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("real_income", "real_output", "output"),
    ("cross_border_share",),
    ("export_participation",),
    ("intra_regional_share",),
    ("productivity",),
    ("innovating_share",),
    ("rd_intensity",),
)
"""Headline metrics: the first of each tuple that the results hold (``real_income`` when the model has it)."""


@dataclass(frozen=True)
class MetricInfo:
    """One metric as shown to users.

    Attributes:
        name: Metric name (``metric`` column).
        definition: What the value means.
        unit: Its unit (money metrics in billions of US dollars of the data's base year, per step).
        direction: +1 higher is better, −1 lower is better, 0 neither.
        family: ``market_integration``, ``innovation`` or ``economy``.
        levels: Levels at which it is reported.
        money: Whether the unit is money (``diff_usd`` is filled for these).
        numerator: The per-firm quantity summed over the group (empty for extra metrics).
        denominator: The per-firm quantity it is divided by (empty for plain sums and extra metrics).
    """

    name: str
    definition: str
    unit: str
    direction: int
    family: str
    levels: tuple[str, ...]
    money: bool
    numerator: str = ""
    denominator: str = ""


def data_base_year(data_dir: Path | str | None = None) -> int | None:
    """The year of the GDP figures in ``economies.meta.yaml`` (the base year of model money), or ``None``."""
    from simulator.world.loader import default_data_dir

    root = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        meta = yaml.safe_load((root / "economies.meta.yaml").read_text(encoding="utf-8"))
        return int(meta["columns"]["gdp_usd"]["year"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return None


def money_unit(base_year: int | None) -> str:
    """The money unit's label: ``USD bn (2023) per step``."""
    return f"USD bn ({base_year}) per step" if base_year else "USD bn per step"


def _unit_of(m: Metric, money: str) -> tuple[str, bool]:
    if m.name in UNIT_OVERRIDES:
        unit = UNIT_OVERRIDES[m.name]
        return (money, True) if unit == "MONEY" else (unit, False)
    if m.denominator is None:
        if m.numerator in MONEY_QUANTITIES:
            return money, True
        return COUNT_UNITS.get(m.numerator, ""), False
    return "share", False


def metrics_catalogue(data_dir: Path | str | None = None) -> list[MetricInfo]:
    """Every metric the model declares, with its unit, family and levels (``METRICS`` first, then ``EXTRA_METRICS``).

    Args:
        data_dir: The world data (for the base year of money units); default ``data/``.
    """
    money = money_unit(data_base_year(data_dir))
    out: list[MetricInfo] = []
    for m in METRICS:
        unit, is_money = _unit_of(m, money)
        out.append(
            MetricInfo(
                name=m.name,
                definition=m.definition,
                unit=unit,
                direction=int(m.direction),
                family=FAMILY_NAMES.get(m.family, m.family),
                levels=(*LEVELS, *GROUP_LEVELS),
                money=is_money,
                numerator=m.numerator,
                denominator=m.denominator or "",
            )
        )
    for name, (definition, direction) in EXTRA_METRICS.items():
        unit = UNIT_OVERRIDES.get(name, "")
        is_money = unit == "MONEY"
        out.append(
            MetricInfo(
                name=name,
                definition=definition,
                unit=money if is_money else unit,
                direction=int(direction),
                family=EXTRA_FAMILIES.get(name, "economy"),
                levels=EXTRA_LEVELS.get(name, ("world", "region", "economy")),
                money=is_money,
            )
        )
    return out


def catalogue_by_name(data_dir: Path | str | None = None) -> dict[str, MetricInfo]:
    """``metrics_catalogue`` keyed by metric name."""
    return {m.name: m for m in metrics_catalogue(data_dir)}


def headline_metrics(available: set[str] | frozenset[str]) -> list[str]:
    """The headline metrics among ``available``: per ``HEADLINE_CANDIDATES`` entry, the first one present."""
    out = []
    for options in HEADLINE_CANDIDATES:
        for name in options:
            if name in available:
                out.append(name)
                break
    return out


def catalogue_records(data_dir: Path | str | None = None) -> list[dict[str, object]]:
    """The catalogue as plain dictionaries (for JSON)."""
    return [asdict(m) for m in metrics_catalogue(data_dir)]


def catalogue_markdown(data_dir: Path | str | None = None) -> str:
    """``docs/metrics.md``: the glossary of every metric, generated from the declarations."""
    cat = metrics_catalogue(data_dir)
    direction = {1: "higher is better", -1: "lower is better", 0: "neither"}
    lines = [
        "# Metrics",
        "",
        "<!-- Generated by `dlsim metrics --write` from simulator/model/metrics/definitions.py and "
        "simulator/experiment/catalogue.py; do not edit by hand. -->",
        "",
        "Every metric the model reports, one row each. Money is in billions of US dollars of the data's base year "
        "(the year of the GDP figures in `data/economies.meta.yaml`), per model step. Ratios are computed for a group "
        "as the sum of the numerator over the group's firms divided by the sum of the denominator (not as a mean of "
        "firm ratios).",
        "",
        "Levels: `world`; `region` (model regions); `income_group` (World Bank FY2026: HIC, UMC, LMC, LIC); "
        "`development` (`developed` = World Bank high income, `developing` = every other economy — the WTO has no "
        "definition of developing country, so the World Bank's income classification stands in for it); `economy`; "
        "`sector`; `size` (firm-size class: in `dlsim compare` and `dlsim sweep` results each firm's class is fixed at "
        "step 0, after the burn-in and before any reform step, so baseline and reform compare the same firms; firms "
        "entering later keep the class of the first step they are recorded; in a single `dlsim run` the class of each "
        "step); `region_pair` (origin>destination). The `income_group` and "
        "`development` levels are added by the experiment layer from each economy's numerator and denominator sums "
        "(metrics with a numerator only).",
        "",
        "| metric | family | definition | unit | direction | numerator / denominator | levels |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in cat:
        parts = f"`{m.numerator}`" + (f" / `{m.denominator}`" if m.denominator else "") if m.numerator else "—"
        lines.append(
            f"| `{m.name}` | {m.family} | {m.definition.replace('|', '/')} | {m.unit or '—'} | "
            f"{direction.get(m.direction, str(m.direction))} | {parts} | {', '.join(m.levels)} |"
        )
    return "\n".join(lines) + "\n"

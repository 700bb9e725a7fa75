"""The metrics' definitions: one documented line per outcome, its per-firm numerator and denominator, its direction.

Every metric is computed at the five ``LEVELS``; most are a ratio of two per-firm quantities summed over the group
(or a plain sum). ``QUANTITIES`` are those per-firm quantities, the columns of the cell table (``metrics.cells``).
``EXTRA_METRICS`` are computed per world, region and economy (or region pair) from per-economy tables
(``metrics.values``).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Metric(
        "investment",
        "economy",
        "investment",
        None,
        "Firms' investment: R&D + in-house hosting capex (money/step; local hosting providers' capital is in "
        "real_investment)",
        1,
    ),
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
        "Investment (R&D + in-house hosting capex + local hosting providers' capital investment) deflated by the price "
        "index (economy, region, world)",
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
"""The extra metrics computed per world, region and economy, in ``values.metric_values``' order."""

QUANTITIES: tuple[str, ...] = tuple(
    sorted({m.numerator for m in METRICS} | {m.denominator for m in METRICS if m.denominator})
)

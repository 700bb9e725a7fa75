"""Summaries of the world for people: tables the ``dlsim world`` command shows (no printing here)."""

from __future__ import annotations

import pandas as pd

from simulator.scenario.taxonomy import INCOME_GROUP_NAMES, REGION_NAMES, DataCategory, IncomeGroup, Region
from simulator.world.world import World


def region_summary(world: World) -> pd.DataFrame:
    """Return one row per region: economies, GDP, population, internet use, cloud regions.

    Columns: ``region``, ``name``, ``economies`` (listed individually), ``aggregates``, ``gdp_usd_bn``,
    ``gdp_share_pct`` (of the world total in the data), ``population_m``, ``internet_users_pct``
    (population-weighted), ``cloud_regions`` (economies with a hyperscale cloud region).
    """
    econ = world.economies
    total_gdp = float(econ["gdp_usd"].sum())
    rows = []
    for region in Region:
        part = econ[econ["region"] == region.value]
        if part.empty:
            continue
        pop = part["population"].astype(float)
        rows.append(
            {
                "region": region.value,
                "name": REGION_NAMES[region],
                "economies": int((~part["is_aggregate"]).sum()),
                "aggregates": int(part["is_aggregate"].sum()),
                "gdp_usd_bn": float(part["gdp_usd"].sum()) / 1e9,
                "gdp_share_pct": 100.0 * float(part["gdp_usd"].sum()) / total_gdp,
                "population_m": float(pop.sum()) / 1e6,
                "internet_users_pct": float((part["internet_users_pct"] * pop).sum() / pop.sum()),
                "cloud_regions": int(part["cloud_region_since"].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


def income_summary(world: World) -> pd.DataFrame:
    """Return one row per income group: number of economies, GDP share and population-weighted internet use."""
    econ = world.economies
    total_gdp = float(econ["gdp_usd"].sum())
    rows = []
    for group in IncomeGroup:
        part = econ[econ["income_group"] == group.value]
        if part.empty:
            continue
        pop = part["population"].astype(float)
        rows.append(
            {
                "income_group": group.value,
                "name": INCOME_GROUP_NAMES[group],
                "economies": len(part),
                "gdp_share_pct": 100.0 * float(part["gdp_usd"].sum()) / total_gdp,
                "internet_users_pct": float((part["internet_users_pct"] * pop).sum() / pop.sum()),
            }
        )
    return pd.DataFrame(rows)


def regime_summary(world: World) -> pd.DataFrame:
    """Return one row per economy: its general (``*``) regime per data category and its safeguards.

    Sector-specific rules are marked with ``+`` and listed in the ``sector_rules`` column.
    """
    rules = world.regimes
    rows = []
    for code in world.iso3:
        mine = rules[rules["iso3"] == code]
        row: dict[str, object] = {"iso3": code, "name": world.economies.loc[code, "name"]}
        for cat in DataCategory:
            general = mine[(mine["data_category"] == cat.value) & (mine["sector"] == "*")]
            row[cat.value] = str(general["regime"].iloc[0]) if not general.empty else ""
        specific = mine[mine["sector"] != "*"]
        row["sector_rules"] = "; ".join(
            f"{s}/{c}: {r}"
            for s, c, r in zip(specific["sector"], specific["data_category"], specific["regime"], strict=True)
        )
        row["safeguards"] = world.safeguards.loc[code, "safeguards"] if code in world.safeguards.index else ""
        row["cloud_region_since"] = world.economies.loc[code, "cloud_region_since"]
        rows.append(row)
    return pd.DataFrame(rows)


def totals_check(world: World) -> pd.DataFrame:
    """Return, per world total in the data, the sum over economies and the gap in percent."""
    rows = []
    for measure, total in world.world_totals["value"].items():
        summed = float(world.economies[str(measure)].sum())
        rows.append(
            {
                "measure": measure,
                "sum_of_economies": summed,
                "world_total": float(total),
                "gap_pct": 100.0 * (summed - float(total)) / float(total),
            }
        )
    return pd.DataFrame(rows)

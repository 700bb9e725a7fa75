"""``dlsim world``: a readable summary of the calibrated world."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli.app import app
from simulator.cli.output import console, fail, frame_table
from simulator.scenario.taxonomy import DataCategory
from simulator.world import WorldDataError, load_world
from simulator.world.summary import income_summary, regime_summary, region_summary, totals_check


@app.command()
def world(
    data_dir: Path | None = typer.Option(None, "--data", help="Directory with the world data (default: data/)."),
    regimes: bool = typer.Option(True, "--regimes/--no-regimes", help="Show each economy's data regimes."),
) -> None:
    """Summarise the world: economies by region and income group, connectivity, cloud regions, data regimes."""
    try:
        w = load_world(data_dir)
    except WorldDataError as exc:
        fail(str(exc), "fix the file named above; the columns are declared in simulator/world/tables.py")
    n_econ = int((~w.economies["is_aggregate"]).sum())
    n_agg = int(w.economies["is_aggregate"].sum())
    console.print(
        f"[bold]World:[/] {n_econ} economies and {n_agg} aggregates in {w.economies['region'].nunique()} regions, "
        f"{len(w.sectors)} sectors, {len(w.blocs)} blocs and agreements."
    )
    console.print(
        frame_table(
            region_summary(w),
            title="Regions",
            formats={"gdp_usd_bn": ",.0f", "gdp_share_pct": ".1f", "population_m": ",.0f", "internet_users_pct": ".1f"},
            headers=SHORT_HEADERS,
        )
    )
    console.print(
        frame_table(
            income_summary(w),
            title="Income groups",
            formats={"gdp_share_pct": ".1f", "internet_users_pct": ".1f"},
            headers=SHORT_HEADERS,
        )
    )
    totals = totals_check(w)
    if not totals.empty:
        console.print(
            frame_table(
                totals,
                title="Economies add up to the world",
                formats={"sum_of_economies": ",.4g", "world_total": ",.4g", "gap_pct": "+.2f"},
            )
        )
    if regimes:
        table = regime_summary(w)
        table["cloud_region_since"] = table["cloud_region_since"].map(lambda v: "" if v != v else str(int(v)))
        for col in [c.value for c in DataCategory] + ["sector_rules"]:
            table[col] = table[col].map(_abbreviate)
        table["safeguards"] = table["safeguards"].map(lambda v: SAFEGUARD_SHORT.get(str(v), str(v)))
        console.print(
            frame_table(table, title="Current data regimes (general rule per data category)", headers=SHORT_HEADERS)
        )
        console.print(
            "[dim]Regimes: "
            + ", ".join(f"{short} = {long}" for long, short in REGIME_SHORT.items() if short != long)
            + "; DPA = data-protection authority. Full names: data/regimes.csv.[/]",
            highlight=False,
        )


REGIME_SHORT = {
    "none": "none",
    "open": "open",
    "conditional": "cond",
    "storage_copy": "copy",
    "storage_conditional": "store+cond",
    "storage_ban": "store+ban",
}
"""Regime names as shown in the narrow regime table."""
SAFEGUARD_SHORT = {"law_with_authority": "law+DPA"}
SHORT_HEADERS = {
    "economies": "econ.",
    "aggregates": "aggr.",
    "gdp_usd_bn": "GDP bn USD",
    "gdp_share_pct": "GDP %",
    "population_m": "pop. m",
    "internet_users_pct": "online %",
    "cloud_regions": "cloud",
    "income_group": "group",
    "sector_rules": "sector rules",
    "cloud_region_since": "cloud since",
}
"""Column labels that keep the tables readable in an 80-column terminal."""


def _abbreviate(text: str) -> str:
    out = str(text)
    for long, short in sorted(REGIME_SHORT.items(), key=lambda kv: -len(kv[0])):
        out = out.replace(long, short)
    return out

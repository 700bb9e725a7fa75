"""``dlsim world``: a readable summary of the calibrated world."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli.app import app
from simulator.cli.output import console, fail, frame_table
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
        )
    )
    console.print(
        frame_table(
            income_summary(w), title="Income groups", formats={"gdp_share_pct": ".1f", "internet_users_pct": ".1f"}
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
        console.print(frame_table(table, title="Current data regimes (general rule per data category)"))

"""Print the Markdown tables of docs/sensitivity.md from an effect sweep's results folder.

Usage (after ``dlsim sweep sweeps/storage_ban_sensitivity.yaml --out results/storage_ban_sobol``)::

    python docs/sensitivity_tables.py results/storage_ban_sobol world:world region:AFR economy:NGA

Each place is ``level:group``. For each analysed metric it prints the spread of the effect over the design's points
(median, 5th and 95th percentiles, the share of points with the median's sign) and the Sobol' indices S1 and ST
with their 95 % bootstrap half-widths, factors by ST.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from simulator.experiment.sweep import SweepResult, standardised_regression


def spread_table(res: SweepResult, places: list[tuple[str, str]]) -> str:
    """One row per metric × place: the effect's spread over the parameter box."""
    spread = res.spread().set_index(["metric", "level", "group"])
    lines = [
        "| metric | place | points | median % | 5th – 95th pct % | min – max % | same sign as median |",
        "|---|---|---|---|---|---|---|",
    ]
    for metric in res.manifest["sweep"]["metrics"]:
        for level, group in places:
            if (metric, level, group) not in spread.index:
                continue
            r = spread.loc[(metric, level, group)]
            lines.append(
                f"| {metric} | {group} | {int(r['points'])} | {r['median']:+.2f} | {r['p05']:+.2f} – {r['p95']:+.2f} "
                f"| {r['min']:+.2f} – {r['max']:+.2f} | {r['same_sign']:.0%} |"
            )
    return "\n".join(lines)


def indices_table(res: SweepResult, metric: str, places: list[tuple[str, str]]) -> str:
    """Factors × places: ``S1 ± conf / ST ± conf``, factors ordered by the first place's ST."""
    tables = {(lv, g): res.ranking(metric, lv, g) for lv, g in places}
    tables = {k: t.set_index("factor") for k, t in tables.items() if not t.empty}
    for k, t in tables.items():
        t.attrs["place"] = k
    if not tables:
        return f"(no indices for {metric})"
    first = next(iter(tables.values()))
    head = "| factor | " + " | ".join(f"{g}: S1; ST" for _, g in tables) + " |"
    lines = [head, "|---|" + "---|" * len(tables)]
    for factor in first.index:
        cells = []
        for t in tables.values():
            if factor not in t.index:
                cells.append("–")
                continue
            r = t.loc[factor]
            cells.append(f"{r['S1']:.2f} ± {_s1_conf(res, metric, factor, t):.2f}; {r['ST']:.2f} ± {r['ST conf']:.2f}")
        lines.append(f"| `{factor}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _s1_conf(res: SweepResult, metric: str, factor: str, table: pd.DataFrame) -> float:
    level, group = table.attrs["place"]
    f = res.indices
    sel = f[(f["metric"] == metric) & (f["level"] == level) & (f["group"] == group) & (f["factor"] == factor)]
    return float(sel.loc[sel["index"] == "S1", "conf"].iloc[0])


def regression_table(res: SweepResult, metric: str, places: list[tuple[str, str]]) -> str:
    """Factors × places: standardised regression coefficients of the effect on the unit coordinates, and R²."""
    design = res.design.set_index("index")
    cols = [c for c in design.columns if c.startswith("u:")]
    found = {}
    for level, group in places:
        o = res.outcomes
        y = o[(o["metric"] == metric) & (o["level"] == level) & (o["group"] == group)].set_index("index")["value"]
        y = y[np.isfinite(y)].sort_index()
        if len(y) > len(cols) + 1:
            found[group] = standardised_regression(design.loc[y.index, cols].to_numpy(), y.to_numpy(), 1)
    lines = ["| factor | " + " | ".join(found) + " |", "|---|" + "---|" * len(found)]
    for j, c in enumerate(cols):
        lines.append(f"| `{c[2:]}` | " + " | ".join(f"{b[j]:+.2f} ± {h[j]:.2f}" for b, h, _ in found.values()) + " |")
    lines.append("| R² | " + " | ".join(f"{r2:.2f}" for *_, r2 in found.values()) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Print the tables for the folder and places given on the command line."""
    res = SweepResult.load(argv[0])
    places = [tuple(p.split(":", 1)) for p in argv[1:]] or [("world", "world")]
    m = res.manifest
    s = m["settings"]
    sys.stdout.write(f"`{m['command']}`\n\n")
    sys.stdout.write(f"{m['sweep']['points']} points × 2 runs, {s['firms']:,} firms, {s['steps']} steps\n\n")
    sys.stdout.write(spread_table(res, places) + "\n\n")
    for metric in m["sweep"]["metrics"]:
        sys.stdout.write(f"**{metric}** (S1 ± half-width; ST ± half-width, 95 % bootstrap)\n\n")
        sys.stdout.write(indices_table(res, metric, places) + "\n\n")
        sys.stdout.write(f"**{metric}**: standardised regression coefficients (direction), 95 % bootstrap\n\n")
        sys.stdout.write(regression_table(res, metric, places) + "\n\n")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run the ECIPE 2014 replication across the declared parameter box (docs/validation-ecipe.md, "Across the box").

Issue 16, item 5 asks whether the model ranks the seven economies' GDP losses as ECIPE (2014) did. At the shipped
parameters it does not (docs/validation-ecipe.md); this script asks whether *any* values of the assumptions that drive
the magnitudes would, within their declared ranges (docs/parameters.md). It draws a scrambled Sobol' design
(``scipy.stats.qmc.Sobol``, seed 7) over the nine factors below, and for each point copies ``scenarios/`` into the
output folder with the point's values as the counterfactual's ``parameters:`` (every reform ``extends`` it, so the
pair shares them) and runs ``dlsim replicate ecipe2014`` at a reduced size (the file's 40 steps). Each point
appends one JSON line (its values, the Spearman correlation, whether every sign matches, the seven effects) to
``OUT/points.jsonl``; a rerun skips the points already there. A measurement, not a fit: no value found here is adopted.

Usage::

    python docs/ecipe_parameter_box.py --points 64 --firms 10000 --replicates 4 --workers 2 --out results/ecipe_box
    python docs/ecipe_parameter_box.py --summary --out results/ecipe_box
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
from scipy import stats
from scipy.stats import qmc

from simulator.experiment.replication import published_table, replicate, study
from simulator.scenario.parameters import PARAMETERS

FACTORS = (
    "kappa_conditional",
    "kappa_storage_copy",
    "kappa_storage_conditional",
    "kappa_storage_ban",
    "ban_presence_cost",
    "input_price_pass_through",
    "sigma",
    "cloud_transfer_share",
    "eta",
)
"""The factors, each swept over its declared range (``PARAMETERS``, docs/parameters.md): the regimes' costs and the
drivers of docs/sensitivity.md."""

ROOT = Path(__file__).resolve().parent.parent


def design(points: int) -> list[dict[str, float]]:
    """The Sobol' points, each as parameter values rounded to 5 decimals."""
    u = qmc.Sobol(d=len(FACTORS), scramble=True, seed=7).random(points)
    bounds = [(PARAMETERS[n].minimum, PARAMETERS[n].maximum) for n in FACTORS]
    return [
        {name: round(lo + x * (hi - lo), 5) for name, x, (lo, hi) in zip(FACTORS, row, bounds, strict=True)}
        for row in u
    ]


def run(points: int, firms: int, replicates: int, workers: int, out: Path) -> None:
    """Run the points not yet in ``out/points.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "points.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    done = {json.loads(line)["point"] for line in lines if line.strip()}
    for i, values in enumerate(design(points)):
        if i in done:
            continue
        scenarios = out / "scenarios"
        shutil.rmtree(scenarios, ignore_errors=True)
        shutil.copytree(ROOT / "scenarios", scenarios)
        cf = scenarios / "ecipe2014_counterfactual.yaml"
        cf.write_text(cf.read_text() + "\nparameters:\n" + "".join(f"  {k}: {v}\n" for k, v in values.items()))
        rep = replicate(
            "ecipe2014",
            firms=firms,
            replicates=replicates,
            executor="processes",
            workers=workers,
            out=out / "run",
            force=True,
            scenarios_dir=scenarios,
        )
        table = rep.table.set_index("iso3")
        record = {
            "point": i,
            "params": values,
            "spearman": rep.spearman_gdp,
            "signs": rep.signs_match,
            "gdp": table["simulated_gdp_pct"].round(3).to_dict(),
        }
        with log.open("a") as f:
            f.write(json.dumps(record) + "\n")
        sys.stdout.write(f"point {i}: Spearman {rep.spearman_gdp:+.2f}, every sign {rep.signs_match}\n")
        sys.stdout.flush()


def summary(out: Path) -> str:
    """The distribution of the rank correlation over the points, and what moves it."""
    rows = [json.loads(line) for line in (out / "points.jsonl").read_text().splitlines() if line.strip()]
    df = pd.DataFrame([{**r["params"], "rho": r["spearman"], "signs": r["signs"], **r["gdp"]} for r in rows])
    published = published_table(study("ecipe2014")).set_index("iso3")["gdp_pct"]
    rho = df["rho"]
    passed = (rho >= 0.6) & df["signs"]
    ranks = df[list(published.index)].rank(axis=1)  # 1 = the largest loss
    lines = [
        f"points: {len(df)}; Spearman median {rho.median():+.2f}, quartiles {rho.quantile(0.25):+.2f} to "
        f"{rho.quantile(0.75):+.2f}, range {rho.min():+.2f} to {rho.max():+.2f}",
        f"Spearman >= 0.6: {int((rho >= 0.6).sum())}; and every sign: {int(passed.sum())}; every sign: "
        f"{int(df['signs'].sum())}",
        "rank correlation of each factor with Spearman over the points: "
        + ", ".join(f"{c} {stats.spearmanr(df[c], rho).statistic:+.2f}" for c in FACTORS),
        "India's rank (1 = largest loss): " + str(ranks["IND"].value_counts().sort_index().to_dict()),
        "Vietnam's rank: " + str(ranks["VNM"].value_counts().sort_index().to_dict()),
        "median simulated / published: " + ", ".join(f"{k} {df[k].median() / v:.1f}" for k, v in published.items()),
    ]
    if passed.any():
        lines.append("points that pass:\n" + df[passed].round(3).T.to_string())
    return "\n".join(lines)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--firms", type=int, default=10000)
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/ecipe_box"))
    parser.add_argument("--summary", action="store_true", help="print the summary of OUT/points.jsonl, run nothing")
    args = parser.parse_args()
    if not args.summary:
        run(args.points, args.firms, args.replicates, args.workers, args.out)
    sys.stdout.write(summary(args.out) + "\n")


if __name__ == "__main__":
    main()

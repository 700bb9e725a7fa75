"""TEST FIXTURE WRITER — builds a results folder in the shape of ``notes/results-contract`` for the report's tests.

This is NOT the product. The product writer of results folders is the experiment layer (``dlsim compare`` /
``dlsim sweep``); this module exists so that the report layer can be built and tested against the contract before
that writer is merged, and so that tests keep a small, fast, real results folder. It runs the real model
(``simulator.experiment.run.run_model``) for a baseline and reforms with common seeds (replicate ``r`` of every
scenario uses child ``r`` of ``SeedSequence(root).spawn(R)``), writes ``runs/<scenario>/r<rrr>.parquet`` shards, and
computes ``effects.parquet`` and ``paired.parquet`` with plain pandas and scipy (paired t intervals; the delta method
for the ratio of paired means).

The income-group and development levels are derived here from the economy level (plain sums summed; ratios whose
denominator is itself a summed metric weighted by it; other ratios left out at those levels), which is good enough
for tests; the experiment layer computes them from firms.

Optional extras for tests only: ``synthetic_extras=True`` adds a ``decomposition.parquet`` and a ``sweep/`` folder
whose numbers are SYNTHETIC (derived from the effects by fixed shares), to exercise the report's decomposition and
tornado charts. Never use them for a report anyone reads.

Run as a script to build a folder by hand (``python tests/report_fixture.py OUT_DIR``).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulator.experiment.effects import EFFECT_COLUMNS
from simulator.experiment.provenance import calibration_record, model_checksum, package_versions, scenario_record
from simulator.experiment.run import run_model
from simulator.model.metrics import EXTRA_METRICS, METRICS
from simulator.scenario.diff import diff_policies
from simulator.scenario.loader import load_scenario
from simulator.scenario.resolution import resolve_policy
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
DEFAULT_SCENARIOS = ("baseline", "data_autarky", "storage_ban_nigeria")

FAMILY = {"integration": "market_integration"}
"""Model family names → the contract's family names."""
WEIGHT_METRIC = {"revenue": "revenue", "firms": "firm_count", "exports": "exports"}
"""Ratio denominators (model quantities) that are themselves summed metrics: used to aggregate ratios over economies."""
EXTRA_ADDITIVE = {"local_hosting_revenue", "real_output", "real_investment", "real_income"}
EXTRA_UNITS = {
    "dds_export_share_of_world": "share",
    "catch_up": "ratio",
    "local_hosting_revenue": "money/step",
    "price_index": "index",
    "real_output": "money/step (real)",
    "real_investment": "money/step (real)",
    "real_income": "money/step (real)",
    "region_flow": "money/step",
    "bloc_fragmentation": "index",
}


def declarations() -> pd.DataFrame:
    """Metric declarations as a table: metric, family, direction, unit, additive, weight (fixture's own units)."""
    rows = []
    for m in METRICS:
        if m.denominator is None:
            unit = "firms" if m.numerator in {"firms", "entrants", "exits"} else "money/step"
            if m.name == "market_withdrawals":
                unit = "markets"
        else:
            unit = (
                "share"
                if "share" in m.name or m.name in {"export_participation", "cross_border_link_density"}
                else "ratio"
            )
        rows.append(
            {
                "metric": m.name,
                "family": FAMILY.get(m.family, m.family),
                "direction": int(m.direction),
                "unit": unit,
                "additive": m.denominator is None,
                "weight": WEIGHT_METRIC.get(m.denominator or ""),
            }
        )
    for name, (_definition, direction) in EXTRA_METRICS.items():
        rows.append(
            {
                "metric": name,
                "family": "economy",
                "direction": int(direction),
                "unit": EXTRA_UNITS.get(name, ""),
                "additive": name in EXTRA_ADDITIVE,
                "weight": None,
            }
        )
    return pd.DataFrame(rows)


def _derived_levels(metrics: pd.DataFrame, economies: pd.DataFrame, decl: pd.DataFrame) -> pd.DataFrame:
    """Income-group and development rows aggregated from the economy level (see the module docstring)."""
    eco = metrics[metrics["level"] == "economy"]
    if eco.empty:
        return metrics.iloc[:0]
    income = economies["income_group"].astype(str)
    maps = {
        "income_group": income,
        "development": income.map(lambda g: "developed" if g == "HIC" else "developing"),
    }
    wide = eco.pivot_table(index=["step", "group"], columns="metric", values="value", aggfunc="first", observed=True)
    parts = []
    d = decl.set_index("metric")
    for level, mapping in maps.items():
        key = wide.index.get_level_values("group").map(mapping)
        for metric in wide.columns:
            if metric not in d.index:
                continue
            info = d.loc[metric]
            values = wide[metric]
            if info["additive"]:
                agg = values.groupby([wide.index.get_level_values("step"), key]).sum(min_count=1)
            elif info["weight"] and info["weight"] in wide.columns:
                w = wide[info["weight"]].where(values.notna(), 0.0)
                num = (values.fillna(0.0) * w).groupby([wide.index.get_level_values("step"), key]).sum()
                den = w.groupby([wide.index.get_level_values("step"), key]).sum()
                agg = num / den.replace(0.0, np.nan)
            else:
                continue
            frame = agg.rename("value").reset_index()
            frame.columns = ["step", "group", "value"]
            frame["metric"] = metric
            frame["level"] = level
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)[["step", "metric", "level", "group", "value"]]


def paired_effects(shards: pd.DataFrame, baseline: str, decl: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (paired, effects) per the contract from all shards (TEST implementation, plain pandas)."""
    keys = ["replicate", "metric", "level", "group", "step", "year"]
    base = shards[shards["scenario"] == baseline][[*keys, "value"]].rename(columns={"value": "baseline"})
    paired_parts = []
    for scenario in sorted(set(shards["scenario"]) - {baseline}):
        reform = shards[shards["scenario"] == scenario][[*keys, "value"]].rename(columns={"value": "reform"})
        p = base.merge(reform, on=keys, how="inner")
        p.insert(0, "scenario", scenario)
        paired_parts.append(p)
    paired = pd.concat(paired_parts, ignore_index=True)
    paired["diff"] = paired["reform"] - paired["baseline"]
    with np.errstate(divide="ignore", invalid="ignore"):
        paired["pct"] = 100.0 * (paired["reform"] / paired["baseline"] - 1.0)
    paired = paired[
        ["scenario", "replicate", "metric", "level", "group", "step", "year", "baseline", "reform", "diff", "pct"]
    ]

    ok = paired.dropna(subset=["baseline", "reform"])
    g = ok.groupby(["scenario", "metric", "level", "group", "step", "year"], observed=True, sort=True)
    eff = g.agg(
        n=("diff", "size"),
        baseline_mean=("baseline", "mean"),
        reform_mean=("reform", "mean"),
        diff=("diff", "mean"),
        diff_sd=("diff", "std"),
    ).reset_index()
    t = stats.t.ppf(0.975, np.maximum(eff["n"] - 1, 1))
    se = eff["diff_sd"] / np.sqrt(eff["n"])
    eff["diff_lo"] = eff["diff"] - t * se
    eff["diff_hi"] = eff["diff"] + t * se
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = eff["reform_mean"] / eff["baseline_mean"]
        # delta method for the ratio of paired means: var(R) ≈ var(y − R·x) / (n · x̄²)
        ok = ok.merge(eff[["scenario", "metric", "level", "group", "step"]].assign(ratio=ratio), how="left")
        ok["resid"] = ok["reform"] - ok["ratio"] * ok["baseline"]
        resid_sd = ok.groupby(["scenario", "metric", "level", "group", "step"], observed=True, sort=True)["resid"].std()
        se_r = resid_sd.to_numpy() / (np.sqrt(eff["n"]) * eff["baseline_mean"].abs())
        eff["pct"] = 100.0 * (ratio - 1.0)
        eff["pct_lo"] = 100.0 * (ratio - t * se_r - 1.0)
        eff["pct_hi"] = 100.0 * (ratio + t * se_r - 1.0)
    eff.loc[eff["baseline_mean"] == 0, ["pct", "pct_lo", "pct_hi"]] = np.nan
    eff["distinguishable"] = (eff["diff_lo"] > 0) | (eff["diff_hi"] < 0)
    eff["baseline"] = baseline
    eff["diff_usd"] = np.nan  # the fixture has no money scale; the experiment layer fills it for money metrics
    eff = eff.merge(decl[["metric", "unit", "direction", "family"]], on="metric", how="left")
    eff["unit"] = eff["unit"].fillna("")
    eff["direction"] = eff["direction"].fillna(0).astype(int)
    eff["family"] = eff["family"].fillna("economy")
    return paired, eff[list(EFFECT_COLUMNS)]


def _synthetic_extras(out: Path, effects: pd.DataFrame) -> None:
    """SYNTHETIC decomposition and sweep tables (test input only; see the module docstring)."""
    last = effects[(effects["level"] == "world") & (effects["step"] == effects["step"].max())]
    rows = []
    for (scenario, metric), sel in last.groupby(["scenario", "metric"]):
        e = sel.iloc[0]
        for component, share in (("compliance_cost", 0.55), ("hosting", 0.3), ("payments", 0.15)):
            rows.append(
                {
                    "scenario": scenario,
                    "kind": "channel",
                    "component": component,
                    "method": "shapley",
                    "metric": metric,
                    "level": "world",
                    "group": "world",
                    "effect": share * e["diff"],
                    "effect_lo": share * e["diff_lo"],
                    "effect_hi": share * e["diff_hi"],
                    "share": share,
                }
            )
    pd.DataFrame(rows).to_parquet(out / "decomposition.parquet", index=False)
    sweep = out / "sweep"
    sweep.mkdir(exist_ok=True)
    factors = ("compliance_cost_scale", "hosting_premium", "innovation_elasticity", "switching_cost")
    rng = np.random.default_rng(0)
    design = pd.DataFrame({"point": range(8), **{f: rng.uniform(0.5, 1.5, 8) for f in factors}})
    design.to_parquet(sweep / "design.parquet", index=False)
    idx = []
    for metric in ("cross_border_share", "productivity", "output"):
        for k, factor in enumerate(factors):
            for name, base in (("S1", 0.4 / (k + 1)), ("ST", 0.5 / (k + 1))):
                idx.append(
                    {
                        "method": "sobol",
                        "factor": factor,
                        "metric": metric,
                        "level": "world",
                        "group": "world",
                        "index": name,
                        "value": base,
                        "conf": base / 5,
                    }
                )
    pd.DataFrame(idx).to_parquet(sweep / "indices.parquet", index=False)


def _git_commit() -> dict[str, object]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def build_results(
    out_dir: Path | str,
    scenarios: Sequence[str] = DEFAULT_SCENARIOS,
    *,
    firms: int = 300,
    steps: int = 16,
    replicates: int = 3,
    root_seed: int = 20250101,
    synthetic_extras: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run the model for ``scenarios`` (the first is the baseline) and write a results folder (TEST writer).

    Returns:
        ``out_dir``.
    """
    out = Path(out_dir)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    world = load_world()
    vocab = vocabulary(world)
    decl = declarations()
    loaded = {name: load_scenario(SCENARIO_DIR / f"{name}.yaml", vocab) for name in scenarios}
    baseline = scenarios[0]
    policies = {n: resolve_policy(s, world.iso3, world.sector_codes, vocab) for n, s in loaded.items()}
    started = time.perf_counter()
    runs, shards = [], []
    for name, scenario in loaded.items():
        schedule = compile_scenario(world, scenario)
        (out / "runs" / name).mkdir(exist_ok=True)
        for r in range(replicates):
            seq = np.random.SeedSequence(root_seed).spawn(replicates)[r]  # the same child for every scenario
            t0 = time.perf_counter()
            res = run_model(
                world, schedule, scenario.parameter_values(world.calibration), n_firms=firms, n_steps=steps, seed=seq
            )
            m = res.metrics.astype({"metric": str, "level": str, "group": str})
            m = pd.concat([m, _derived_levels(m, world.economies, decl)], ignore_index=True)
            m.insert(0, "scenario", name)
            m.insert(1, "replicate", r)
            m.insert(2, "seed", "/".join(str(k) for k in seq.spawn_key))
            m.insert(4, "year", schedule.start_year + m["step"].to_numpy() * schedule.step_years)
            shard = f"runs/{name}/r{r:03d}.parquet"
            m.to_parquet(out / shard, index=False)
            shards.append(m)
            runs.append(
                {
                    "id": f"{name}/r{r:03d}",
                    "scenario": name,
                    "replicate": r,
                    "status": "done",
                    "wall_s": round(time.perf_counter() - t0, 3),
                    "shard": shard,
                }
            )
            if progress:
                progress(f"{name} r{r:03d}")
    paired, effects = paired_effects(pd.concat(shards, ignore_index=True), baseline, decl)
    paired.to_parquet(out / "paired.parquet", index=False)
    effects.to_parquet(out / "effects.parquet", index=False)
    if synthetic_extras:
        _synthetic_extras(out, effects)
    first = loaded[baseline]
    manifest = {
        "kind": "compare",
        "dlsim_version": package_versions().get("dlsim"),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"python tests/report_fixture.py {out} --scenarios {' '.join(scenarios)} --firms {firms} "
        f"--steps {steps} --replicates {replicates} --seed {root_seed}",
        "baseline": baseline,
        "scenarios": {
            name: {
                "file": str((SCENARIO_DIR / f"{name}.yaml").relative_to(ROOT)),
                "header": scenario_record(s)["header"],
                "resolved": {k: v for k, v in scenario_record(s).items() if k not in {"header"}},
                "differences": [
                    f"{d.lever} · {d.target} · {d.data_category} · {d.sector}: {d.a} → {d.b}"
                    for d in diff_policies(policies[baseline], policies[name])
                ]
                if name != baseline
                else [],
            }
            for name, s in loaded.items()
        },
        "settings": {
            "firms": firms,
            "steps": steps,
            "replicates": replicates,
            "start_year": first.timeline.start_year,
            "step_years": first.timeline.step_years,
            "executor": "serial",
            "workers": 1,
        },
        "seed": {
            "root_entropy": root_seed,
            "spawn_keys": [list(c.spawn_key) for c in np.random.SeedSequence(root_seed).spawn(replicates)],
        },
        "versions": package_versions(),
        "git": _git_commit(),
        "data_checksums": dict(world.checksums),
        "model_checksum": model_checksum(),
        "calibration": calibration_record(world.calibration),
        "platform": sys.platform,
        "runs": runs,
        "wall_s": round(time.perf_counter() - started, 3),
        "fixture": "tests/report_fixture.py (TEST writer, not the product)",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return out


_CACHE: dict[str, Path] = {}


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dlsim-report-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def shared_results() -> Path:
    """One results folder per test session (baseline + two reforms, synthetic extras), built on first use."""
    if "results" not in _CACHE:
        _CACHE["results"] = build_results(_scratch() / "results", synthetic_extras=True)
    return _CACHE["results"]


def shared_report() -> Path:
    """The HTML report of :func:`shared_results`, built on first use."""
    if "report" not in _CACHE:
        from simulator.report import build_report

        _CACHE["report"] = build_report(shared_results(), _scratch() / "report.html")
    return _CACHE["report"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--scenarios", nargs="+", default=list(DEFAULT_SCENARIOS), help="first one is the baseline")
    parser.add_argument("--firms", type=int, default=300)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--synthetic-extras", action="store_true")
    args = parser.parse_args(argv)
    build_results(
        args.out,
        args.scenarios,
        firms=args.firms,
        steps=args.steps,
        replicates=args.replicates,
        root_seed=args.seed,
        synthetic_extras=args.synthetic_extras,
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

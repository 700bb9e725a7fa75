"""Benchmark of the experiment layer: compare's wall time, its overhead, worker scaling, Dask, and warm start.

Run on purpose (not a test):

    .venv/bin/python benchmarks/bench_experiment.py                 # issue 12 item 11 sizes (a few minutes)
    .venv/bin/python benchmarks/bench_experiment.py --quick         # small smoke run
    .venv/bin/python benchmarks/bench_experiment.py --json out.json # also write the numbers

Measured in one invocation, side by side:

* ``main``: baseline + 5 reforms × ``--replicates`` at ``--firms`` × ``--steps``, local processes, ``--workers``;
  wall time, and the overhead = 1 − (time in model steps summed over runs) / (workers × wall).
* ``scaling``: the same study at ``--scaling-replicates`` replicates on 1 worker and on ``--workers`` workers.
* ``dask``: the scaling study on a local Dask cluster with ``--workers`` workers, against local processes.
* ``warm``: the scaling study with and without warm start (each replicate's firms and network built once).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import compare  # noqa: E402

REFORMS = (
    "data_autarky",
    "storage_ban_nigeria",
    "wto_jsi_data_flows",
    "afcfta_digital_papss",
    "lac_conditional_adequacy",
)
TARGET_COMPARE_S = 30.0
TARGET_OVERHEAD = 0.10
TARGET_SPEEDUP = 1.8


def study(out: Path, *, replicates: int, firms: int, steps: int, reforms: int, **kw) -> dict:
    base = ROOT / "scenarios" / "baseline.yaml"
    files = [ROOT / "scenarios" / f"{r}.yaml" for r in REFORMS[:reforms]]
    t0 = time.perf_counter()
    fx = compare(base, files, replicates=replicates, firms=firms, steps=steps, out=out, force=True, **kw)
    wall = time.perf_counter() - t0
    m = fx.manifest
    workers = int(m["settings"]["workers"])
    steps_s = float(m["timing"]["model_steps_s"])
    runs = len(m["runs"])
    return {
        "wall_s": round(wall, 2),
        "runs": runs,
        "workers": workers,
        "executor": m["settings"]["executor"],
        "warm_start": m["settings"]["warm_start"],
        "model_steps_s": round(steps_s, 2),
        "model_build_s": round(float(m["timing"]["model_build_s"]), 2),
        "runs_phase_s": m["timing"]["runs_s"],
        "effects_s": m["timing"]["effects_s"],
        "overhead_share": round(1.0 - steps_s / (workers * wall), 3),
        "s_per_run": round(wall / max(runs, 1), 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firms", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--replicates", type=int, default=32)
    p.add_argument("--reforms", type=int, default=5, choices=range(1, len(REFORMS) + 1))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scaling-replicates", type=int, default=8)
    p.add_argument("--quick", action="store_true", help="2,000 firms × 10 steps, 4 replicates")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.firms, args.steps, args.replicates, args.scaling_replicates = 2000, 10, 4, 4
    size = {"firms": args.firms, "steps": args.steps, "reforms": args.reforms}
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-exp-") as tmp:
        t = Path(tmp)
        # warm the numba cache and the fork server's imports once (not measured)
        study(t / "warmup", replicates=1, firms=500, steps=2, reforms=1, executor="processes", workers=args.workers)
        results["main"] = study(
            t / "main", replicates=args.replicates, executor="processes", workers=args.workers, **size
        )
        sc = {"replicates": args.scaling_replicates, **size}
        results["one_worker"] = study(t / "w1", executor="processes", workers=1, **sc)
        results["n_workers"] = study(t / "wn", executor="processes", workers=args.workers, **sc)
        results["dask"] = study(t / "dask", executor="dask", workers=args.workers, **sc)
        results["cold_start"] = study(t / "cold", executor="processes", workers=args.workers, warm_start=False, **sc)
    speedup = results["one_worker"]["wall_s"] / results["n_workers"]["wall_s"]
    dask_over = results["dask"]["wall_s"] / results["n_workers"]["wall_s"] - 1.0
    warm_saving = 1.0 - results["n_workers"]["wall_s"] / results["cold_start"]["wall_s"]
    build_saving = results["cold_start"]["model_build_s"] - results["n_workers"]["model_build_s"]
    summary = {
        "settings": {**size, "replicates": args.replicates, "workers": args.workers},
        "results": results,
        "speedup": round(speedup, 3),
        "dask_overhead_vs_processes": round(dask_over, 3),
        "warm_start_wall_saving": round(warm_saving, 3),
        "warm_start_build_seconds_saved": round(build_saving, 2),
        "targets": {
            f"compare wall ≤ {TARGET_COMPARE_S:g} s": (results["main"]["wall_s"], results["main"]["wall_s"] <= 30),
            f"overhead ≤ {TARGET_OVERHEAD:.0%}": (
                results["main"]["overhead_share"],
                results["main"]["overhead_share"] <= TARGET_OVERHEAD,
            ),
            f"{args.workers} workers ≥ {TARGET_SPEEDUP}× one": (round(speedup, 2), speedup >= TARGET_SPEEDUP),
        },
    }
    print(f"{'study':12} {'wall s':>8} {'runs':>5} {'workers':>7} {'steps s':>8} {'build s':>8} {'overhead':>8}")
    for name, r in results.items():
        print(
            f"{name:12} {r['wall_s']:8.2f} {r['runs']:5d} {r['workers']:7d} {r['model_steps_s']:8.2f} "
            f"{r['model_build_s']:8.2f} {r['overhead_share']:8.1%}"
        )
    print(f"speedup {args.workers} workers / 1: {speedup:.2f}×; Dask over processes: {dask_over:+.1%}; ", end="")
    print(f"warm start saves {warm_saving:.1%} of wall ({build_saving:.1f} s of building)")
    for target, (value, met) in summary["targets"].items():
        print(f"  {'met' if met else 'NOT met':8} {target}: {value}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

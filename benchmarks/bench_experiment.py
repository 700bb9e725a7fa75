"""Benchmark of the experiment layer: compare's wall time, its overhead, worker scaling, Dask, warm start, and sweeps.

Run on purpose (not a test):

    .venv/bin/python benchmarks/bench_experiment.py                 # issue 12 item 11 sizes (long: see below)
    .venv/bin/python benchmarks/bench_experiment.py --quick         # small smoke run
    .venv/bin/python benchmarks/bench_experiment.py --only sweep    # only the sweep studies
    .venv/bin/python benchmarks/bench_experiment.py --json out.json # also write the numbers

Measured in one invocation, side by side:

* ``main``: baseline + 5 reforms × ``--replicates`` at ``--firms`` × ``--steps``, local processes, ``--workers``;
  wall time, and the overhead = 1 − (time in model steps summed over runs) / (workers × wall).
* ``scaling``: the same study at ``--scaling-replicates`` replicates on 1 worker and on ``--workers`` workers.
* ``dask``: the scaling study on a local Dask cluster with ``--workers`` workers, against local processes.
* ``warm``: the scaling study with and without warm start (each replicate's firms and network built once).
* ``overhead`` (``--only overhead``): where the time of a compare that is not model steps goes, at ``--firms`` ×
  ``--steps`` with ``--overhead-replicates`` replicates (baseline + ``--reforms``), serial and on ``--workers``
  local processes side by side: setup (world, scenarios, schedules), pool start, the base model's build (population,
  network, burn-in; once per replicate), branching each scenario from it, the run tables, the shard encoding, the
  store (shards and manifest), the effects, and what is left (scheduling, transfers, idle workers). Shares of each
  study's wall time (of workers × wall for processes), so that runs on a loaded machine compare as ratios.
* ``sweep``: a Latin hypercube of ``--sweep-runs`` runs (five uncertain parameters and one lever of the AfCFTA
  reform) at ``--firms`` × ``--steps`` on ``--workers`` workers; its overhead counted two ways: everything but model
  steps, and everything but model steps and the builds no run can share (every point has its own parameters, so
  its population, network and burn-in are its own); and ``--sweep-scaling-runs`` runs on 1 worker, on
  ``--workers`` and on Dask.
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
TARGET_SWEEP_S = 180.0
TARGET_OVERHEAD = 0.10
TARGET_SPEEDUP = 1.8
SWEEP_FILE = """schema_version: 1
extends: {reform}
name: bench_lhs
header: {{title: Benchmark sweep, author: dlsim benchmarks, description: Five uncertain parameters and one lever.}}
sweep:
  design: latin_hypercube
  n: {n}
  factors:
    - {{parameter: eta, range: [0.1, 0.6]}}
    - {{parameter: interop_effect, range: [0.3, 0.7]}}
    - {{parameter: pi0, range: [0.1, 0.2]}}
    - {{parameter: kappa_conditional, range: [0.06, 0.18]}}
    - {{parameter: rho, range: [0.05, 0.15]}}
    - item: papss_all
"""


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


OVERHEAD_PARTS: tuple[tuple[str, str], ...] = (
    ("setup_s", "setup: world, scenarios, schedules"),
    ("pool_start_s", "pool start"),
    ("base_build_s", "base model build (population, network, burn-in)"),
    ("model_branch_s", "branching scenarios from the base"),
    ("model_steps_s", "model steps"),
    ("run_tables_s", "run tables (metrics + added levels)"),
    ("shard_encode_s", "shard encoding (Parquet bytes)"),
    ("store_s", "store: shards and manifest written"),
    ("effects_s", "effects and paired tables"),
)
"""Phases of a compare's time, as ``manifest["timing"]`` records them (``base_build_s`` = build − branch)."""


def overhead_breakdown(out: Path, *, executor: str, workers: int, seed: int | None = None, **size) -> dict:
    """One compare; its time split into ``OVERHEAD_PARTS`` and what is left, as seconds and shares.

    Serial: shares of the wall time (every phase runs in this process, one after the other). Processes: shares of
    workers × wall, the capacity the study had; what is left is then mostly idle or waiting workers (the last tasks,
    scheduling, transfers) and this process's own work while workers run.
    """
    t0 = time.perf_counter()
    fx = compare(
        ROOT / "scenarios" / "baseline.yaml",
        [ROOT / "scenarios" / f"{r}.yaml" for r in REFORMS[: size["reforms"]]],
        replicates=size["replicates"],
        firms=size["firms"],
        steps=size["steps"],
        out=out,
        force=True,
        executor=executor,
        workers=workers,
        seed=seed,
    )
    wall = time.perf_counter() - t0
    timing = dict(fx.manifest["timing"])
    timing["base_build_s"] = timing["model_build_s"] - timing.get("model_branch_s", 0.0)
    capacity = wall * (workers if executor != "serial" else 1)
    parts = {key: float(timing.get(key, 0.0)) for key, _ in OVERHEAD_PARTS}
    parts["other_s"] = capacity - sum(parts.values())
    return {
        "executor": executor,
        "workers": workers,
        "wall_s": round(wall, 2),
        "runs": len(fx.manifest["runs"]),
        "seconds": {k: round(v, 3) for k, v in parts.items()},
        "shares": {k: round(v / capacity, 4) for k, v in parts.items()},
        "non_step_share": round(1.0 - parts["model_steps_s"] / capacity, 4),
    }


def print_breakdown(studies: dict[str, dict]) -> None:
    """The overhead studies side by side: each phase's share of its study's time."""
    names = list(studies)
    print(f"{'phase':52}" + "".join(f"{n:>22}" for n in names))
    for key, label in (*OVERHEAD_PARTS, ("other_s", "other (scheduling, transfers, idle workers)")):
        cells = "".join(f"{studies[n]['shares'][key]:>12.1%} {studies[n]['seconds'][key]:>8.2f} s" for n in names)
        print(f"{label:52}{cells}")
    print(f"{'non-step share':52}" + "".join(f"{studies[n]['non_step_share']:>22.1%}" for n in names))
    print(f"{'wall':52}" + "".join(f"{studies[n]['wall_s']:>20.2f} s" for n in names))


def sweep_study(tmp: Path, name: str, *, runs: int, firms: int, steps: int, **kw) -> dict:
    from simulator.experiment.sweep import sweep

    path = tmp / f"{name}.yaml"
    reform = ROOT / "scenarios" / "afcfta_digital_papss.yaml"
    path.write_text(SWEEP_FILE.format(reform=reform, n=runs), encoding="utf-8")
    t0 = time.perf_counter()
    res = sweep(path, firms=firms, steps=steps, out=tmp / name, force=True, **kw)
    wall = time.perf_counter() - t0
    m = res.manifest
    workers = int(m["settings"]["workers"])
    steps_s, build_s = float(m["timing"]["model_steps_s"]), float(m["timing"]["model_build_s"])
    return {
        "wall_s": round(wall, 2),
        "runs": len(m["runs"]),
        "workers": workers,
        "executor": m["settings"]["executor"],
        "warm_start": m["settings"]["warm_start"],
        "model_steps_s": round(steps_s, 2),
        "model_build_s": round(build_s, 2),
        "runs_phase_s": m["timing"]["runs_s"],
        "effects_s": m["timing"]["indices_s"],
        "overhead_share": round(1.0 - steps_s / (workers * wall), 3),
        "overhead_share_beside_builds": round(1.0 - (steps_s + build_s) / (workers * wall), 3),
        "s_per_run": round(wall / max(len(m["runs"]), 1), 3),
    }


def load_average() -> list[float]:
    import os

    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firms", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--replicates", type=int, default=32)
    p.add_argument("--reforms", type=int, default=5, choices=range(1, len(REFORMS) + 1))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scaling-replicates", type=int, default=8)
    p.add_argument("--quick", action="store_true", help="2,000 firms × 10 steps, 4 replicates, 40-run sweep")
    p.add_argument("--sweep-runs", type=int, default=1000, help="runs of the Latin hypercube sweep")
    p.add_argument("--sweep-scaling-runs", type=int, default=40, help="runs of the sweep scaling studies")
    p.add_argument(
        "--only",
        choices=("compare", "sweep", "overhead"),
        default=None,
        help="only the compare, sweep or overhead studies",
    )
    p.add_argument("--overhead-replicates", type=int, default=2, help="replicates of the overhead studies")
    p.add_argument("--seed", type=int, default=None, help="root seed of the overhead studies (default: the scenario's)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.firms, args.steps, args.replicates, args.scaling_replicates = 2000, 10, 4, 4
        args.sweep_runs, args.sweep_scaling_runs = 40, 16
    size = {"firms": args.firms, "steps": args.steps, "reforms": args.reforms}
    results: dict[str, dict] = {}
    targets: dict[str, tuple] = {}
    summary: dict = {"settings": {**size, "replicates": args.replicates, "workers": args.workers}}
    summary["load_average_start"] = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-exp-") as tmp:
        t = Path(tmp)
        # warm the numba cache, the fork server's imports, this process's kernels and every scenario's compiled
        # schedule once (not measured), so that no study pays for a cache the next one finds full
        warm = {"replicates": 1, "firms": 500, "steps": 2, "reforms": args.reforms}
        study(t / "warmup", executor="processes", workers=args.workers, **warm)
        study(t / "warmup1", executor="serial", workers=1, **warm)
        if args.only == "overhead":
            ov = {**size, "replicates": args.overhead_replicates, "seed": args.seed}
            summary["overhead"] = {
                "serial": overhead_breakdown(t / "ov1", executor="serial", workers=1, **ov),
                f"processes x{args.workers}": overhead_breakdown(
                    t / "ov2", executor="processes", workers=args.workers, **ov
                ),
            }
            summary["load_average_end"] = load_average()
            print_breakdown(summary["overhead"])
            print(f"load average (1, 5, 15 min): {summary['load_average_start']} at start, ", end="")
            print(f"{summary['load_average_end']} at end")
            if args.json:
                args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            return 0
        if args.only in (None, "compare"):
            results["main"] = study(
                t / "main", replicates=args.replicates, executor="processes", workers=args.workers, **size
            )
            sc = {"replicates": args.scaling_replicates, **size}
            results["one_worker"] = study(t / "w1", executor="processes", workers=1, **sc)
            results["n_workers"] = study(t / "wn", executor="processes", workers=args.workers, **sc)
            results["dask"] = study(t / "dask", executor="dask", workers=args.workers, **sc)
            results["cold_start"] = study(
                t / "cold", executor="processes", workers=args.workers, warm_start=False, **sc
            )
            speedup = results["one_worker"]["wall_s"] / results["n_workers"]["wall_s"]
            dask_over = results["dask"]["wall_s"] / results["n_workers"]["wall_s"] - 1.0
            warm_saving = 1.0 - results["n_workers"]["wall_s"] / results["cold_start"]["wall_s"]
            build_saving = results["cold_start"]["model_build_s"] - results["n_workers"]["model_build_s"]
            summary.update(
                speedup=round(speedup, 3),
                dask_overhead_vs_processes=round(dask_over, 3),
                warm_start_wall_saving=round(warm_saving, 3),
                warm_start_build_seconds_saved=round(build_saving, 2),
            )
            main_r = results["main"]
            targets[f"compare wall ≤ {TARGET_COMPARE_S:g} s"] = (main_r["wall_s"], main_r["wall_s"] <= TARGET_COMPARE_S)
            targets[f"compare overhead ≤ {TARGET_OVERHEAD:.0%}"] = (
                main_r["overhead_share"],
                main_r["overhead_share"] <= TARGET_OVERHEAD,
            )
            targets[f"compare {args.workers} workers ≥ {TARGET_SPEEDUP}× one"] = (
                round(speedup, 2),
                speedup >= TARGET_SPEEDUP,
            )
        if args.only in (None, "sweep"):
            sw = {"firms": args.firms, "steps": args.steps}
            results["sweep_lhs"] = sweep_study(
                t, "lhs", runs=args.sweep_runs, executor="processes", workers=args.workers, **sw
            )
            results["sweep_one_worker"] = sweep_study(
                t, "s1", runs=args.sweep_scaling_runs, executor="processes", workers=1, **sw
            )
            results["sweep_n_workers"] = sweep_study(
                t, "sn", runs=args.sweep_scaling_runs, executor="processes", workers=args.workers, **sw
            )
            results["sweep_dask"] = sweep_study(
                t, "sd", runs=args.sweep_scaling_runs, executor="dask", workers=args.workers, **sw
            )
            sw_speed = results["sweep_one_worker"]["wall_s"] / results["sweep_n_workers"]["wall_s"]
            sw_dask = results["sweep_dask"]["wall_s"] / results["sweep_n_workers"]["wall_s"] - 1.0
            summary.update(sweep_speedup=round(sw_speed, 3), sweep_dask_overhead_vs_processes=round(sw_dask, 3))
            lhs = results["sweep_lhs"]
            targets[f"{args.sweep_runs}-run LHS sweep ≤ {TARGET_SWEEP_S:g} s"] = (
                lhs["wall_s"],
                lhs["wall_s"] <= TARGET_SWEEP_S,
            )
            targets[f"sweep overhead beside unshareable builds ≤ {TARGET_OVERHEAD:.0%}"] = (
                lhs["overhead_share_beside_builds"],
                lhs["overhead_share_beside_builds"] <= TARGET_OVERHEAD,
            )
            targets[f"sweep {args.workers} workers ≥ {TARGET_SPEEDUP}× one"] = (
                round(sw_speed, 2),
                sw_speed >= TARGET_SPEEDUP,
            )
    summary["load_average_end"] = load_average()
    summary["results"] = results
    summary["targets"] = targets
    print(f"{'study':16} {'wall s':>8} {'runs':>5} {'workers':>7} {'steps s':>8} {'build s':>8} {'overhead':>8}")
    for name, r in results.items():
        print(
            f"{name:16} {r['wall_s']:8.2f} {r['runs']:5d} {r['workers']:7d} {r['model_steps_s']:8.2f} "
            f"{r['model_build_s']:8.2f} {r['overhead_share']:8.1%}"
        )
    if "speedup" in summary:
        print(f"compare: speedup {args.workers} workers / 1: {summary['speedup']:.2f}×; Dask over processes: ", end="")
        print(f"{summary['dask_overhead_vs_processes']:+.1%}; warm start saves ", end="")
        print(f"{summary['warm_start_wall_saving']:.1%} of wall ({summary['warm_start_build_seconds_saved']:.1f} s)")
    if "sweep_speedup" in summary:
        print(f"sweep: speedup {args.workers} workers / 1: {summary['sweep_speedup']:.2f}×; ", end="")
        print("Dask over processes: ", end="")
        print(f"{summary['sweep_dask_overhead_vs_processes']:+.1%}; overhead beside unshareable builds: ", end="")
        print(f"{results['sweep_lhs']['overhead_share_beside_builds']:.1%}")
    start, end = summary["load_average_start"], summary["load_average_end"]
    print(f"load average (1, 5, 15 min): {start} at start, {end} at end")
    for target, (value, met) in targets.items():
        print(f"  {'met' if met else 'NOT met':8} {target}: {value}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

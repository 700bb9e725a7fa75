"""Measure one configuration of the model in this process: build time, step time, memory, links.

Run on purpose, never from the tests. ``run_benchmarks.py`` starts one process per configuration (so that peak memory
is the configuration's own) and prints the table; this module is what each process runs:

    python benchmarks/measure.py --firms 100000 --steps 20

prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def positive_int(text: str) -> int:
    """``argparse`` type of the benchmarks' counts (firms, steps, pairs, repeats): a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """``argparse`` type of a count that may be 0 (the burn-in steps): a whole number ≥ 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {value}")
    return value


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


SHARED_TRADE_FIELDS = ("table", "local_price")
"""``TradeResult`` fields that reference per-economy tables the model keeps anyway (not per-firm or per-link state)."""


def model_state_bytes(model) -> int:
    """Bytes of the numpy arrays the model keeps between steps: firm table, network, trade result, accounts."""
    import dataclasses

    import numpy as np

    total = 0
    for obj in (model.firms, model.network, model.trade, model.accounts, model.innovation):
        for f in dataclasses.fields(obj):
            if obj is model.trade and f.name in SHARED_TRADE_FIELDS:
                continue
            v = getattr(obj, f.name)
            if isinstance(v, np.ndarray):
                total += v.nbytes
    return total


def _time_metric_collection(model) -> list[float]:
    """Wrap the model's metrics collector so that the seconds spent collecting are summed (returned list, 1 item).

    The share of run time spent in metrics is then measured inside one run, not as the difference of two runs (which
    the machine's noise swamps).
    """
    spent = [0.0]
    collector = model.collector
    collect = collector.collect

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return collect(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t

    collector.collect = timed
    return spent


def measure_model(n_firms: int, n_steps: int, seed: int, metrics_every: int) -> dict[str, float]:
    """Build and run the vectorised model once; return timings and sizes."""
    import numpy as np

    from simulator.model import DataFlowModel
    from simulator.world import PolicySchedule, baseline_state, load_world

    world = load_world()
    schedule = PolicySchedule(baseline_state(world), horizon=n_steps)
    # compiled kernels: the first call in a process loads them from numba's cache (or compiles them, once per
    # machine); pay that on a small model before timing, and report it separately
    t_jit = time.perf_counter()
    DataFlowModel(world, schedule, n_firms=1000, rng=seed).run(2)
    jit_s = time.perf_counter() - t_jit
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    model = DataFlowModel(world, schedule, n_firms=n_firms, rng=seed, metrics_every=metrics_every)
    build_s = time.perf_counter() - t0
    collect_s = _time_metric_collection(model)
    t1 = time.perf_counter()
    model.run(n_steps)
    run_s = time.perf_counter() - t1
    rss_after = peak_rss_mb()
    links = int((model.network.sup >= 0).sum()) + int(model.network.mk_firm.size)
    timings = getattr(model, "build_timings", {})
    state_bytes = model_state_bytes(model)
    firms_alive = int(model.firms.alive.sum())
    return {
        "impl": "vectorised",
        "firms": n_firms,
        "steps": n_steps,
        "metrics_every": metrics_every,
        "build_s": build_s,
        "network_s": timings.get("network", float("nan")),
        "warmup_s": timings.get("warmup", float("nan")),
        "jit_s": jit_s,
        "run_s": run_s,
        "metrics_s": collect_s[0],
        "metrics_share": collect_s[0] / run_s,
        "step_ms": 1000 * run_s / n_steps,
        "firm_steps_per_s": n_firms * n_steps / run_s,
        "firms_alive_end": firms_alive,
        "links_end": links,
        "peak_rss_mb": rss_after,
        "bytes_per_firm": (rss_after - rss_before) * 2**20 / n_firms,
        "state_bytes_per_firm": state_bytes / n_firms,
        "numpy": np.__version__,
    }


def measure_paired(
    n_firms: int, pairs: int, vec_steps: int, seed: int, burn_in_steps: int | None = None
) -> dict[str, float]:
    """Ratio of the vectorised model to the Mesa reference measured step against step in one process.

    Both models are built at ``n_firms`` on the full world (baseline policy, the same seed, the same
    ``burn_in_steps``: the parameter's default unless given; construction, burn-in included, is not timed); then,
    ``pairs`` times,
    one reference step is timed and right after it ``vec_steps`` steps of the vectorised model (every metric
    collected), each timed alone. Each pair gives a ratio (reference ms per step / median ms of the vectorised
    steps) measured within about a second, so a drift of the machine's speed between runs, which separate processes
    cannot tell from a real change, moves both sides of a pair together. The median, not the mean, of a block: the
    first vectorised step after a reference step runs on caches the reference has filled with its own objects
    (10–60 % slower than the next ones at 10k firms), which a run of the model alone does not pay, and the machine
    now and then stalls one step (24–38 ms instead of 6–9 at 10k; Python's cyclic collector was measured and is
    not the cause). Returns the median, minimum and maximum of the pairs' ratios and the median step times.
    """
    import numpy as np

    from benchmarks.mesa_reference import MesaReferenceModel
    from simulator.model import DataFlowModel
    from simulator.world import PolicySchedule, baseline_state, load_world

    world = load_world()
    horizon = pairs * vec_steps + 5
    params = None if burn_in_steps is None else {"burn_in_steps": burn_in_steps}
    DataFlowModel(world, PolicySchedule(baseline_state(world), horizon=5), params, n_firms=1000, rng=seed).run(2)
    schedule = PolicySchedule(baseline_state(world), horizon=horizon)
    vec = DataFlowModel(world, schedule, params, n_firms=n_firms, rng=seed)
    ref = MesaReferenceModel(world, schedule, params, n_firms=n_firms, rng=seed)
    ref_ms, vec_ms = [], []
    for _ in range(pairs):
        t = time.perf_counter()
        ref.run(1)
        ref_ms.append(1000 * (time.perf_counter() - t))
        block = []
        for _ in range(vec_steps):
            t = time.perf_counter()
            vec.run(1)
            block.append(1000 * (time.perf_counter() - t))
        vec_ms.append(float(np.median(block)))
    ratios = np.array(ref_ms) / np.array(vec_ms)
    return {
        "impl": "paired",
        "firms": n_firms,
        "pairs": pairs,
        "vec_steps": vec_steps,
        "ref_step_ms": float(np.median(ref_ms)),
        "vec_step_ms": float(np.median(vec_ms)),
        "ratio_median": float(np.median(ratios)),
        "ratio_min": float(ratios.min()),
        "ratio_max": float(ratios.max()),
        "burn_in_steps": int(vec.params["burn_in_steps"]),
    }


def measure_metrics_cost(n_firms: int, n_steps: int, seed: int) -> dict[str, float]:
    """Share of step time that collecting every metric every step costs, measured step against step in one process.

    Two models with the same seed are built: one collects every metric every step, the other never after step 0
    (both follow the same trajectory: collecting changes no state). They are stepped alternately, ``n_steps`` each,
    the order within a pair swapped every step, each step timed alone. The cost is 1 − (median step without) /
    (median step with): everything a collecting step does more, including the metrics' link sums that the accounts
    pass adds on those steps, which the time inside the collector alone (``measure_model``'s ``metrics_share``)
    leaves out. Returns both medians, the share, and the quartiles of the pairs' shares (the middle half).
    """
    import numpy as np

    from simulator.model import DataFlowModel
    from simulator.world import PolicySchedule, baseline_state, load_world

    world = load_world()
    DataFlowModel(world, PolicySchedule(baseline_state(world), horizon=5), n_firms=1000, rng=seed).run(2)
    horizon = n_steps + 5
    never = 10**9  # no step of this run is a multiple of it; ``step()`` (not ``run``) so no last step is collected
    schedule = PolicySchedule(baseline_state(world), horizon=horizon)
    models = {e: DataFlowModel(world, schedule, n_firms=n_firms, rng=seed, metrics_every=e) for e in (1, never)}
    ms: dict[int, list[float]] = {1: [], never: []}
    for i in range(n_steps):
        for every in (1, never) if i % 2 else (never, 1):
            t = time.perf_counter()
            models[every].step()
            ms[every].append(1000 * (time.perf_counter() - t))
    with_ms, without_ms = np.array(ms[1]), np.array(ms[never])
    pair_share = 1.0 - without_ms / with_ms
    collected = len(models[1].collector.blocks), len(models[never].collector.blocks)
    if collected != (n_steps + 1, 1):
        raise RuntimeError(f"expected {n_steps + 1} and 1 collections, got {collected}")
    if not np.array_equal(models[1].firms.phi, models[never].firms.phi):
        raise RuntimeError(
            "collecting metrics changed the model's trajectory: the two runs do not compare the same work"
        )
    return {
        "impl": "metrics",
        "firms": n_firms,
        "steps": n_steps,
        "with_ms": float(np.median(with_ms)),
        "without_ms": float(np.median(without_ms)),
        "share": float(1.0 - np.median(without_ms) / np.median(with_ms)),
        "share_q25": float(np.quantile(pair_share, 0.25)),
        "share_q75": float(np.quantile(pair_share, 0.75)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=positive_int, required=True)
    parser.add_argument("--steps", type=positive_int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--metrics-every", type=positive_int, default=1)
    parser.add_argument("--impl", choices=["vectorised", "mesa", "paired", "metrics"], default="vectorised")
    parser.add_argument(
        "--pairs", type=positive_int, default=8, help="paired: reference steps, each against --vec-steps"
    )
    parser.add_argument("--vec-steps", type=positive_int, default=20, help="paired: model steps timed after each")
    parser.add_argument(
        "--burn-in",
        type=nonnegative_int,
        default=None,
        help="paired: burn_in_steps of both models (default: parameter's)",
    )
    args = parser.parse_args(argv)
    if args.impl == "paired":
        out = measure_paired(args.firms, args.pairs, args.vec_steps, args.seed, args.burn_in)
    elif args.impl == "metrics":
        out = measure_metrics_cost(args.firms, args.steps, args.seed)
    elif args.impl == "vectorised":
        out = measure_model(args.firms, args.steps, args.seed, args.metrics_every)
    else:
        from benchmarks.mesa_reference import measure_reference

        out = measure_reference(args.firms, args.steps, args.seed)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

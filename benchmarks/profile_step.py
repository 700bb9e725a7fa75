"""Where a step's time goes: each compiled kernel's share of a run, and the rest (numpy and Python between them).

Run on purpose, never from the tests:

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/profile_step.py --firms 100000 --steps 20

Every numba kernel of the model (in the modules of ``simulator.model``, each beside its rule) is wrapped in a timer
for the timed steps (cProfile cannot see inside compiled code, and its own overhead per Python call distorts a
10k-firm step). The wrappers add about a microsecond per call; the table prints the number of calls per step so that
this can be judged. The wrappers replace the kernels' names in the model's modules only while the timed steps run;
a kernel that calls another was typed against the dispatcher when numba compiled it, so it still calls the compiled
kernel (a kernel's time includes the kernels it calls). ``--python`` adds
cProfile's list of the Python functions with the most time of their own (kernels then count in their caller).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402

from benchmarks.measure import positive_int  # noqa: E402
from simulator.model import DataFlowModel  # noqa: E402
from simulator.world import PolicySchedule, baseline_state, load_world  # noqa: E402


def _timed(fn, name: str, spent: collections.Counter, calls: collections.Counter):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t
            calls[name] += 1

    return wrapper


def profile(n_firms: int, steps: int, seed: int, python: bool) -> str:
    """Build the model, run 3 untimed steps, then time ``steps`` steps kernel by kernel; return a Markdown report."""
    world = load_world()
    schedule = PolicySchedule(baseline_state(world), horizon=steps + 5)
    DataFlowModel(world, PolicySchedule(baseline_state(world), horizon=5), n_firms=1000, rng=seed).run(2)
    model = DataFlowModel(world, schedule, n_firms=n_firms, rng=seed)
    model.run(3)
    spent: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    # every name bound to a kernel in a module of the model (a kernel's own module, and the modules that import it),
    # replaced by one timer per kernel for the timed steps; kernels that other kernels call keep their names (numba
    # resolves a kernel's callees by name when it compiles it, which may happen during the timed steps): their time
    # counts in their callers'
    modules = [m for name, m in list(sys.modules.items()) if name.startswith("simulator.model") and m is not None]
    kernels = {id(v): v for m in modules for v in vars(m).values() if isinstance(v, numba.core.registry.CPUDispatcher)}
    callees = {n for fn in kernels.values() for n in fn.py_func.__code__.co_names}
    wrappers: dict[int, object] = {}
    replaced: list[tuple[object, str, object]] = []
    for module in modules:
        for name, fn in list(vars(module).items()):
            if id(fn) in kernels and name not in callees:
                label = f"{fn.py_func.__module__.removeprefix('simulator.model.')}.{fn.__name__}"
                wrappers.setdefault(id(fn), _timed(fn, label, spent, calls))
                replaced.append((module, name, fn))
                setattr(module, name, wrappers[id(fn)])
    prof = cProfile.Profile() if python else None
    try:
        t = time.perf_counter()
        if prof:
            prof.enable()
        model.run(steps)
        if prof:
            prof.disable()
        run_s = time.perf_counter() - t
    finally:
        for module, name, fn in replaced:
            setattr(module, name, fn)
    in_kernels = sum(spent.values())
    lines = [
        f"{n_firms:,} firms, {steps} steps: {1000 * run_s / steps:.2f} ms/step; compiled kernels "
        f"{1000 * in_kernels / steps:.2f} ms/step ({100 * in_kernels / run_s:.0f} %), numpy and Python between them "
        f"{1000 * (run_s - in_kernels) / steps:.2f} ms/step",
        "",
        "| kernel | ms/step | share of step | calls/step |",
        "|---|---:|---:|---:|",
    ]
    for name, s in spent.most_common():
        lines.append(f"| `{name}` | {1000 * s / steps:.3f} | {100 * s / run_s:.1f} % | {calls[name] / steps:.1f} |")
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        lines += ["", "```", buf.getvalue().strip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=positive_int, default=100_000)
    parser.add_argument("--steps", type=positive_int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python", action="store_true", help="add cProfile's Python functions")
    args = parser.parse_args(argv)
    sys.stdout.write(profile(args.firms, args.steps, args.seed, args.python))


if __name__ == "__main__":
    main()

"""Step time of this checkout's model against another commit's, step against step in one process.

Run on purpose, never from the tests:

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/ab_commit.py --base 09de16c --firms 100000 --steps 30

The base commit's ``simulator`` package and ``data`` directory are exported with ``git archive`` into a temporary
directory, the package renamed ``simulator_base`` (its own imports rewritten), so that both versions live in one
process with their own numba caches. Both models are built on the full world (baseline policy, the same seed; each
version with its own world data and parameter defaults), JIT-compiled on a small model first, stepped a few times
untimed, then stepped alternately (the order swapped every step), each step timed alone. The machine's speed drifts
by ±30 % within minutes here, so only such pairs, measured within a fraction of a second of each other, are compared:
the per-pair ratio (this checkout / base) is reported with its median and quartiles. The base version's named
tuples are renamed (``distinct_named_tuples``) so that numba tells them from this checkout's. Construction (the burn-in
included where the version has one) is timed once each and reported apart. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import positive_int  # noqa: E402

BASE_PACKAGE = "simulator_base"
"""Import name of the base commit's package."""

_IMPORT = re.compile(r"^(\s*)(from|import)\s+simulator(?=[\s.])", re.MULTILINE)


def rename_package_imports(source: str, new: str = BASE_PACKAGE) -> str:
    """``source`` with its ``import simulator…`` / ``from simulator… import`` statements pointing at package ``new``.

    Only statements at the start of a line are rewritten (top-level and indented imports), not text in strings.
    """
    return _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)} {new}", source)


def export_base(commit: str, into: Path) -> Path:
    """Export ``simulator`` and ``data`` of ``commit`` into ``into``, the package renamed; return ``into``."""
    archive = into / "base.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), commit, "simulator", "data"],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    (into / "simulator").rename(into / BASE_PACKAGE)
    for path in (into / BASE_PACKAGE).rglob("*.py"):
        path.write_text(rename_package_imports(path.read_text()))
    return into


def distinct_named_tuples(package: str, suffix: str = "_base") -> list[str]:
    """Append ``suffix`` to the name of every ``NamedTuple`` class defined in the imported modules of ``package``.

    numba finds the compiled code for an argument from a fingerprint of its value, and a named tuple's fingerprint is
    its class *name* and its items' types: two packages' ``FirmArrays`` (same name, same arrays) share it, and the
    fingerprint cache is process-wide, so the version that calls second would be sent to the other's type on every
    call and resolve its own in Python (tens of µs per kernel call). Renamed before either calls a kernel, each class
    has its own fingerprint. Returns the renamed classes' qualified names.
    """
    renamed = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and value.__module__ == name
                and issubclass(value, tuple)
                and hasattr(value, "_fields")
                and not value.__name__.endswith(suffix)
            ):
                value.__name__ += suffix
                renamed.append(f"{name}.{value.__qualname__}")
    return renamed


def _quantile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(values, q))


def measure_ab(
    base: str, n_firms: int, steps: int, seed: int, warm_steps: int, workdir: Path | None = None
) -> dict[str, float | int | str]:
    """Build this checkout's model and ``base``'s at ``n_firms``; time ``steps`` alternating steps of each.

    ``workdir``: where to export the base commit and keep it (with its compiled kernels) for the next run; a
    temporary directory otherwise. An existing export there is reused only if it was made from the same commit.
    """
    import numpy as np

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{base}^{{commit}}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dlsim-ab-") as scratch:
        tmp = Path(scratch) if workdir is None else workdir
        stamp = tmp / "COMMIT"
        if not (stamp.exists() and stamp.read_text().strip() == commit):
            if workdir is not None and (tmp / BASE_PACKAGE).exists():
                raise SystemExit(f"{tmp} holds an export of another commit; give an empty --workdir")
            tmp.mkdir(parents=True, exist_ok=True)
            export_base(commit, tmp)
            stamp.write_text(commit + "\n")
        sys.path.insert(0, str(tmp))
        try:
            models = {}
            builds = {}
            for name, package in (("new", "simulator"), ("base", BASE_PACKAGE)):
                model_mod = importlib.import_module(f"{package}.model")
                world_mod = importlib.import_module(f"{package}.world")
                if package == BASE_PACKAGE:
                    distinct_named_tuples(package)
                world = world_mod.load_world()
                schedule = world_mod.PolicySchedule(world_mod.baseline_state(world), horizon=steps + warm_steps + 5)
                small = world_mod.PolicySchedule(world_mod.baseline_state(world), horizon=5)
                model_mod.DataFlowModel(world, small, n_firms=1000, rng=seed).run(2)  # compile or load the kernels
                t = time.perf_counter()
                models[name] = model_mod.DataFlowModel(world, schedule, n_firms=n_firms, rng=seed)
                builds[name] = time.perf_counter() - t
                models[name].run(warm_steps)
            ms: dict[str, list[float]] = {"new": [], "base": []}
            for i in range(steps):
                for name in ("new", "base") if i % 2 == 0 else ("base", "new"):
                    t = time.perf_counter()
                    models[name].run(1)
                    ms[name].append(1000 * (time.perf_counter() - t))
        finally:
            sys.path.remove(str(tmp))
    ratio = list(np.array(ms["new"]) / np.array(ms["base"]))
    out: dict[str, float | int | str] = {"base": commit, "firms": n_firms, "steps": steps, "seed": seed}
    for name, model in models.items():
        f, net = model.firms, model.network
        out[f"{name}_step_ms"] = float(np.median(ms[name]))
        out[f"{name}_build_s"] = builds[name]
        out[f"{name}_firms_alive"] = int(f.alive.sum())
        out[f"{name}_links"] = int((net.sup >= 0).sum()) + int(net.mk_firm.size)
    out["ratio_median"] = float(np.median(ratio))
    out["ratio_q25"] = _quantile(ratio, 0.25)
    out["ratio_q75"] = _quantile(ratio, 0.75)
    out["ratio_min"] = float(min(ratio))
    out["ratio_max"] = float(max(ratio))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="commit (or branch) to compare this checkout's model with")
    parser.add_argument("--firms", type=positive_int, default=100_000)
    parser.add_argument("--steps", type=positive_int, default=30, help="timed steps of each model")
    parser.add_argument("--warm-steps", type=positive_int, default=3, help="untimed steps of each model first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the base export (and its kernels) here")
    args = parser.parse_args(argv)
    out = measure_ab(args.base, args.firms, args.steps, args.seed, args.warm_steps, args.workdir)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

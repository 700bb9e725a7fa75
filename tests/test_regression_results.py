"""Regression files of results: every shipped scenario, run small and fixed, gives exactly its stored metrics.

For each ``scenarios/<name>.yaml`` the world and region metrics of one run (``FIRMS`` firms, ``STEPS`` steps, seed
``SEED``, the scenario's own parameters) are stored in ``tests/expected/metrics/<name>.csv``, one row per step,
metric, level and group, with each value written losslessly (``repr`` of the float: the shortest text that reads back
to the same bits). The test reruns each scenario and compares bit for bit, so a change that moves results shows even
when it changes a kernel and its numpy oracle together (``tests/test_model_kernels.py`` cannot see that).

``STEPS`` reaches past step 8, where most shipped reforms take effect, so each file holds a few steps under its rules.

Bit for bit holds on one machine and software stack: two processes, any thread count and any hash seed give the same
text. Another CPU need not: numpy picks its vectorised ``exp``/``log`` by CPU feature (AVX2 or AVX-512), and the last
bit moves (measured by disabling AVX-512 with ``NPY_DISABLE_CPU_FEATURES``: ~1,800 of ~3,600 values per file moved,
by 2e-14 relative at most over the run, and a zero became 3e-16). So ``environment.json`` beside the files records
where they were made (platform, numpy and numba versions, numpy's SIMD targets, the CPU numba compiles for); on that
environment the test is exact, elsewhere it allows ``CROSS_RTOL`` relative (``CROSS_ATOL`` absolute near zero) and
says so when it fails.

A change that moves results on purpose (a new mechanism, a recalibration, a new metric) regenerates the files with
one command, and the diff of ``tests/expected/metrics/`` goes into the same commit::

    DLSIM_REGEN=1 python -m pytest tests/test_regression_results.py

The resolved scenario text checked by ``tests/test_scenario_library.py`` lives next door in
``tests/expected/scenarios/``; these files hold results only.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
from pathlib import Path

import llvmlite.binding
import numba
import numpy as np
import pandas as pd
import pytest

from simulator.experiment.behaviours import scenario_behaviours
from simulator.experiment.run import run_model
from simulator.model import numerics
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EXPECTED = ROOT / "tests" / "expected" / "metrics"
FIRMS = 2000
STEPS = 10
SEED = 20250101
LEVELS = ("world", "region")
COLUMNS = ("step", "metric", "level", "group", "value")
KEY = ["metric", "level", "group", "step"]
REGEN = os.environ.get("DLSIM_REGEN") == "1"
REGEN_COMMAND = "DLSIM_REGEN=1 python -m pytest tests/test_regression_results.py"
SHOWN = 12  # moved rows listed in a failure message (the count says how many in all)
ENVIRONMENT_FILE = EXPECTED / "environment.json"
CROSS_RTOL = 1e-9  # on another environment (measured: 2e-14 between numpy's AVX2 and AVX-512 paths)
CROSS_ATOL = 1e-12  # for values that are rounding noise around zero

UNCOMPILED = pytest.mark.skipif(
    numerics.NO_JIT or numba.config.DISABLE_JIT,
    reason="uncompiled kernels (DLSIM_NO_JIT, NUMBA_DISABLE_JIT) agree with the stored results to 1e-12, not bitwise",
)


@pytest.fixture(scope="module")
def world():
    return load_world()


def results_text(world, path: Path) -> str:
    """The world and region metrics of the scenario's fixed run, as the CSV text stored for it."""
    scenario = load_scenario(path, vocabulary(world), run_overrides={"firms": FIRMS, "steps": STEPS, "seed": SEED})
    schedule = compile_scenario(world, scenario)
    behaviours = scenario_behaviours(scenario)  # the rules the scenario chooses (e.g. its governments' policy)
    metrics = run_model(
        world,
        schedule,
        scenario.parameter_values(world.calibration),
        n_firms=FIRMS,
        n_steps=STEPS,
        seed=SEED,
        behaviours=behaviours,
    ).metrics
    rows = metrics[metrics["level"].isin(LEVELS)].astype({"metric": str, "level": str, "group": str})
    rows = rows.sort_values(["level", "group", "metric", "step"], kind="stable")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for step, metric, level, group, value in rows[list(COLUMNS)].itertuples(index=False):
        writer.writerow([int(step), metric, level, group, repr(float(value))])
    return out.getvalue()


def read_results(text: str) -> pd.DataFrame:
    """Rows of a stored results text, values parsed back to the exact floats written."""
    frame = pd.read_csv(io.StringIO(text), dtype={"metric": str, "level": str, "group": str}, keep_default_na=False)
    frame["value"] = [float(v) for v in frame["value"]]  # float() reads repr text back bit for bit, nan included
    return frame


def environment() -> dict[str, str]:
    """What decides the last bits of a run beyond the code: platform, numerics libraries, vector units used."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        simd = " ".join(t for t in __cpu_dispatch__ if __cpu_features__.get(t))
    except ImportError:  # numpy moved its private table: fall back to the whole CPU description
        simd = platform.processor()
    return {
        "platform": f"{platform.system()} {platform.machine()}",
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numpy_simd_targets": simd,
        "numba_cpu": llvmlite.binding.get_host_cpu_name(),
    }


def _same(a: float, b: float, exact: bool) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if exact:
        return a.hex() == b.hex()  # -0.0 and 0.0 differ here
    return abs(a - b) <= CROSS_ATOL + CROSS_RTOL * abs(a)


def describe_changes(name: str, expected: pd.DataFrame, got: pd.DataFrame, exact: bool = True) -> list[str]:
    """What moved between the stored and the rerun results, one line per row (empty when nothing moved).

    ``exact`` compares bits; otherwise values within ``CROSS_RTOL`` (or ``CROSS_ATOL``) count as the same.
    """
    merged = expected.merge(got, on=KEY, how="outer", suffixes=("_stored", "_now"), indicator="side")
    lines = []
    for row in merged.sort_values(["step", "level", "group", "metric"], kind="stable").itertuples(index=False):
        where = f"{name}: {row.metric} at level {row.level}, group {row.group}, step {row.step}"
        if row.side == "left_only":
            lines.append(f"{where}: stored {row.value_stored!r}, no longer produced")
        elif row.side == "right_only":
            lines.append(f"{where}: new, {row.value_now!r} (not in the stored file)")
        elif not _same(row.value_stored, row.value_now, exact):
            diff = row.value_now - row.value_stored
            rel = abs(diff) / abs(row.value_stored) if row.value_stored else math.inf
            lines.append(
                f"{where}: stored {row.value_stored!r}, now {row.value_now!r} (change {diff:+.3g}, relative {rel:.3g})"
            )
    return lines


@UNCOMPILED
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_results_match_the_stored_file_bit_for_bit(world, path: Path) -> None:
    got = results_text(world, path)
    expected = EXPECTED / f"{path.stem}.csv"
    if REGEN or not expected.exists():
        EXPECTED.mkdir(parents=True, exist_ok=True)
        expected.write_text(got)
        ENVIRONMENT_FILE.write_text(json.dumps(environment(), indent=2) + "\n")
        if not REGEN:
            pytest.fail(f"wrote missing {expected.relative_to(ROOT)}; check it and commit it")
    stored = expected.read_text()
    made_on = json.loads(ENVIRONMENT_FILE.read_text()) if ENVIRONMENT_FILE.exists() else {}
    exact = made_on == environment()
    if exact and got == stored:
        return
    changes = describe_changes(path.stem, read_results(stored), read_results(got), exact)
    if not exact and not changes:
        return
    shown = "\n  ".join(changes[:SHOWN]) + (f"\n  ... and {len(changes) - SHOWN} more" if len(changes) > SHOWN else "")
    here = environment()
    differs = ", ".join(f"{k} {made_on.get(k)!r} there, {v!r} here" for k, v in here.items() if made_on.get(k) != v)
    where = "bit for bit" if exact else f"within {CROSS_RTOL:g} relative, as they were made elsewhere ({differs})"
    pytest.fail(
        f"{path.stem}: {len(changes)} of the stored results in {expected.relative_to(ROOT)} moved, compared {where} "
        f"({FIRMS} firms, {STEPS} steps, seed {SEED}; earliest first):\n  {shown or '(only the text differs)'}\n"
        f"If the change is intended, regenerate the files and commit them with it: {REGEN_COMMAND}",
        pytrace=False,
    )


def test_a_moved_value_is_reported_by_scenario_metric_level_group_and_step() -> None:
    stored = "step,metric,level,group,value\n0,output,world,world,1.5\n3,output,region,LAC,0.1\n4,gap,world,world,nan\n"
    now = "step,metric,level,group,value\n0,output,world,world,1.5\n3,output,region,LAC,0.10000000000000002\n"
    now += "4,gap,world,world,nan\n5,gap,world,world,2.0\n"
    lines = describe_changes("demo", read_results(stored), read_results(now))
    assert lines == [
        "demo: output at level region, group LAC, step 3: stored 0.1, now 0.10000000000000002 (change +1.39e-17, "
        "relative 1.39e-16)",
        "demo: gap at level world, group world, step 5: new, 2.0 (not in the stored file)",
    ]
    assert describe_changes("demo", read_results(stored), read_results(stored)) == []
    assert describe_changes("demo", read_results(stored), read_results(now), exact=False) == [lines[1]]
    zero, minus_zero = read_results(stored.replace("1.5", "0.0")), read_results(stored.replace("1.5", "-0.0"))
    assert describe_changes("demo", zero, minus_zero) == [
        "demo: output at level world, group world, step 0: stored 0.0, now -0.0 (change -0, relative inf)"
    ]
    assert describe_changes("demo", zero, minus_zero, exact=False) == []

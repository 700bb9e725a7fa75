"""Speed and memory of the model at 1k, 10k, 100k and 1M firms, against the idiomatic Mesa reference.

Run on purpose (it takes minutes), never from the test suite:

    .venv/bin/python benchmarks/run_benchmarks.py                 # print the table
    .venv/bin/python benchmarks/run_benchmarks.py --write         # also rewrite benchmarks/RESULTS.md

Every configuration runs in its own process pinned to one core (``taskset -c 0`` where available, one BLAS
thread), so peak memory is its own and the vectorised model and the Mesa reference are measured side by side in
one run on the same core. Ratios are computed from these same-run numbers only. The step time at 100,000 firms is
also compared with commit ``AB_BASE``'s in ``AB_REPEATS`` runs of ``ab_commit.py`` (both models in one process,
steps alternated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_MD = HERE / "RESULTS.md"
HISTORY = "## History of the passes"
"""Heading of the hand-kept part of RESULTS.md that ``--write`` keeps."""

SIZES = (1_000, 10_000, 100_000, 1_000_000)
"""Firm counts measured for the vectorised model."""
REFERENCE_SIZES = (1_000, 10_000)
"""Firm counts measured for the Mesa reference (slower by orders of magnitude)."""
FLOOR_SIZE = 100_000
"""Firm count at which ``floor.py`` bounds the trade passes from below."""
METRICS_SIZES = (1_000, 10_000, 100_000)
"""Firm counts at which the cost of collecting every metric every step is measured (step against step)."""
METRICS_JUDGED_FROM = 10_000
"""Smallest world at which the metrics target is judged: at 1,000 firms a step takes ≈ 2 ms and the collector's
fixed cost per step (≈ 0.4 ms of numpy calls on per-economy tables) sets the share, not the firms."""

TARGET_RATIO = 100.0
"""Issue 11, item 7: speed of the model over the Mesa reference at 10,000 firms, step against step (at least)."""
AB_BASE = "09de16c"
"""Issue 11, item 7: the commit whose 100,000-firm step time the model's is compared with."""
TARGET_AB_RATIO = 1.5
"""Issue 11, item 7: a 100,000-firm step at most this many times ``AB_BASE``'s, in a paired A/B in one process
(judged on the median over the repeated runs of each run's median per-step ratio)."""
AB_FIRMS = 100_000
AB_STEPS = 30
"""Timed steps of each model in one ``ab_commit.py`` run (the issue's command)."""
AB_REPEATS = 5
"""Runs of ``ab_commit.py``: the machine's speed drifts between runs, so the ratio is reported as a range."""
TARGET_THROUGHPUT = 10_000_000
"""Issue 5, item 3: firm-steps per second of the full model at 100,000 firms on one core (at least)."""
TARGET_BYTES_PER_FIRM = 2048
"""Issue 5, item 3: memory per firm, links included, in bytes (at most; judged where the interpreter's own
≈ 300 MiB no longer dominates: 100,000 firms and more)."""
TARGET_BUILD_S = 1.0
"""Issue 5, item 3: seconds to build a 100,000-firm world with its network (at most)."""
TARGET_METRICS_SHARE = 0.10
"""Issue 5, item 3: share of a run's time spent collecting every metric every step (at most)."""
TARGET_SLOPE = 1.1
"""Issue 5, item 3 asks for cost linear in firms + links: the log-log slope of step time on firms + links may not
exceed this (below 1 is better than linear; 0.1 of slack for the machine's drift between configurations)."""


def steps_for(firms: int, quick: bool) -> int:
    """Steps to time: enough for a stable rate, few enough that 1M firms stays in minutes."""
    if quick:
        return 5
    return 100 if firms <= 100_000 else 20


def run_one(args: list[str], script: str = "measure.py") -> dict:
    """Run ``script`` (``measure.py``) with ``args`` in a fresh process on one core and return its JSON result."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, str(HERE / script), *args]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python and platform of this machine."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def scaling_exponent(rows: list[dict]) -> float:
    """Least-squares slope of log(step time) on log(firms + links): 1 means cost linear in firms + links."""
    xs = [math.log(r["firms_alive_end"] + r["links_end"]) for r in rows]
    ys = [math.log(r["step_ms"]) for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def table(rows: list[dict]) -> str:
    """Markdown table of measurements."""
    head = (
        "| impl | firms | steps | build s | network s | ms/step | firm-steps/s | links (end) | peak RSS MiB "
        "| bytes/firm | state bytes/firm |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    nan = float("nan")
    body = "".join(
        f"| {r['impl']} | {r['firms']:,} | {r['steps']} | {r['build_s']:.2f} | {r.get('network_s', nan):.2f} | "
        f"{r['step_ms']:.1f} | {r['firm_steps_per_s']:,.0f} | {r.get('links_end', 0):,} | {r['peak_rss_mb']:.0f} | "
        f"{r.get('bytes_per_firm', nan):,.0f} | {r.get('state_bytes_per_firm', nan):,.0f} |\n"
        for r in rows
    )
    return head + body


def target_checks(
    rows: list[dict],
    paired: list[dict],
    ref_rows: list[dict],
    metrics_rows: list[dict],
    ab_rows: list[dict] | None = None,
) -> list[dict]:
    """The targets of issue 11, item 7 (speed), then those of issue 5, item 3, each with what this run measured.

    Args:
        rows: ``measure.py`` results of the vectorised model (one per firm count).
        paired: ``measure.py --impl paired`` results (step against step in one process).
        ref_rows: ``measure.py --impl mesa`` results (the reference in its own process).
        metrics_rows: ``measure.py --impl metrics`` results (cost of collecting every metric every step, step
            against step); judged from ``METRICS_JUDGED_FROM`` firms, shown for every size.
        ab_rows: ``ab_commit.py`` results at ``AB_FIRMS`` firms against ``AB_BASE`` (one per repeated run).

    Returns:
        One dict per target measured in this run: ``issue`` (where the target is set), ``target`` (its words),
        ``measured`` (text) and ``met`` (bool). A target this run did not measure (a ``--quick`` run has no 1M
        firms) is left out.
    """
    by_firms = {r["firms"]: r for r in rows}
    checks: list[dict] = []

    def add(target: str, measured: str, met: bool, issue: str = "issue 5, item 3") -> None:
        checks.append({"issue": issue, "target": target, "measured": measured, "met": bool(met)})

    pr = next((p for p in paired if p["firms"] == 10_000), None)
    if pr:
        add(
            f"≥ {TARGET_RATIO:.0f}× the Mesa reference at 10,000 firms (step against step)",
            f"{pr['ratio_median']:,.0f}× (range {pr['ratio_min']:,.0f}–{pr['ratio_max']:,.0f}×); reference step "
            f"{pr['ref_step_ms']:,.0f} ms, model step {pr['vec_step_ms']:.1f} ms (medians)",
            pr["ratio_median"] >= TARGET_RATIO,
            "issue 11, item 7",
        )
    ab = [r for r in ab_rows or () if r["firms"] == AB_FIRMS]
    if ab:
        medians = sorted(r["ratio_median"] for r in ab)
        mid = float(statistics.median(medians))
        add(
            f"{AB_FIRMS:,}-firm step ≤ {TARGET_AB_RATIO}× that of commit {AB_BASE} (paired A/B in one process)",
            f"{mid:.2f}× (median of {len(ab)} runs' median per-step ratios; runs {medians[0]:.2f}–{medians[-1]:.2f}×;"
            f" steps {statistics.median(r['new_step_ms'] for r in ab):.1f} / "
            f"{statistics.median(r['base_step_ms'] for r in ab):.1f} ms)",
            mid <= TARGET_AB_RATIO,
            "issue 11, item 7",
        )
    if 100_000 in by_firms:
        r = by_firms[100_000]
        add(
            f"≥ {TARGET_THROUGHPUT / 1e6:.0f} M firm-steps/s at 100,000 firms, one core",
            f"{r['firm_steps_per_s'] / 1e6:.2f} M ({r['step_ms']:.1f} ms/step)",
            r["firm_steps_per_s"] >= TARGET_THROUGHPUT,
        )
    big = [r for r in rows if r["firms"] >= 100_000]
    if big:
        worst = max(r["bytes_per_firm"] for r in big)
        sizes = ", ".join(f"{r['bytes_per_firm']:,.0f} B at {r['firms']:,}" for r in big)
        add(f"≤ {TARGET_BYTES_PER_FIRM / 1024:.0f} KB of memory per firm, links included", sizes,
            worst <= TARGET_BYTES_PER_FIRM)  # fmt: skip
    if 100_000 in by_firms:
        b = by_firms[100_000]["build_s"]
        add(f"100,000-firm world with its network built in ≤ {TARGET_BUILD_S:.0f} s", f"{b:.2f} s",
            b <= TARGET_BUILD_S)  # fmt: skip
    if len(rows) >= 2:
        slope = scaling_exponent(rows)
        add("cost linear in firms + links (log-log slope of step time)", f"{slope:.2f}", slope <= TARGET_SLOPE)
    judged = [r for r in metrics_rows if r["firms"] >= METRICS_JUDGED_FROM]
    if judged:
        worst = max(r["share"] for r in judged)
        shown = ", ".join(
            f"{100 * r['share']:.1f} % at {r['firms']:,}"
            + ("" if r["firms"] >= METRICS_JUDGED_FROM else " (not judged)")
            for r in metrics_rows
        )
        add(
            f"collecting every metric every step ≤ {100 * TARGET_METRICS_SHARE:.0f} % of a run's time "
            f"(step against step, {METRICS_JUDGED_FROM:,} firms and more)",
            shown,
            worst <= TARGET_METRICS_SHARE,
        )
    return checks


def targets_table(checks: list[dict]) -> str:
    """Markdown table of ``target_checks``."""
    head = "| target | set by | measured in this run | met |\n|---|---|---|---|\n"
    return head + "".join(
        f"| {c['target']} | {c['issue']} | {c['measured']} | {'yes' if c['met'] else '**no**'} |\n" for c in checks
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark the model against the Mesa reference.")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="few steps, no 1M run (a smoke run of this script)")
    parser.add_argument("--no-reference", action="store_true", help="skip the Mesa reference")
    parser.add_argument(
        "--ab-repeats", type=int, default=AB_REPEATS, help=f"runs of the A/B against {AB_BASE} (0: skip it)"
    )
    args = parser.parse_args(argv)

    sizes = [s for s in SIZES if not (args.quick and s > 100_000)]
    rows = []
    for firms in sizes:
        rows.append(run_one(["--firms", str(firms), "--steps", str(steps_for(firms, args.quick))]))
        sys.stderr.write(f"vectorised {firms:,}: {rows[-1]['firm_steps_per_s']:,.0f} firm-steps/s\n")
    ref_rows = []
    if not args.no_reference:
        for firms in REFERENCE_SIZES:
            ref_steps = 3 if args.quick else (10 if firms <= 1_000 else 5)
            ref_rows.append(run_one(["--impl", "mesa", "--firms", str(firms), "--steps", str(ref_steps)]))
            sys.stderr.write(f"mesa {firms:,}: {ref_rows[-1]['firm_steps_per_s']:,.0f} firm-steps/s\n")
    paired = []
    if not args.no_reference:
        for firms in REFERENCE_SIZES:
            # measure.py's own pair counts (8 pairs of 20 steps), or a smoke run's
            quick = ["--pairs", "2", "--vec-steps", "5"] if args.quick else []
            paired.append(run_one(["--impl", "paired", "--firms", str(firms), *quick]))
            sys.stderr.write(f"paired {firms:,}: {paired[-1]['ratio_median']:,.0f}x\n")
    floor = run_one(["--firms", str(FLOOR_SIZE if not args.quick else 10_000)], script="floor.py")
    sys.stderr.write(f"floor {floor['firms']:,}: {floor['floor_ms']:.1f} ms of trade passes\n")
    metrics_rows = []
    for firms in (s for s in METRICS_SIZES if s in sizes):
        m_steps = 10 if args.quick else (60 if firms >= 100_000 else 200)
        metrics_rows.append(run_one(["--impl", "metrics", "--firms", str(firms), "--steps", str(m_steps)]))
        sys.stderr.write(f"metrics {firms:,}: {100 * metrics_rows[-1]['share']:.1f} % of step time\n")
    n_over = max(s for s in METRICS_SIZES if s in sizes)
    with_metrics = next(r for r in rows if r["firms"] == n_over)
    ab_rows = []
    ab_firms, ab_steps = (10_000, 5) if args.quick else (AB_FIRMS, AB_STEPS)
    with tempfile.TemporaryDirectory(prefix="dlsim-ab-") as workdir:
        for _ in range(max(args.ab_repeats, 0)):
            ab_args = ["--base", AB_BASE, "--firms", str(ab_firms), "--steps", str(ab_steps), "--workdir", workdir]
            ab_rows.append(run_one(ab_args, script="ab_commit.py"))
            sys.stderr.write(f"A/B {ab_firms:,} against {AB_BASE}: {ab_rows[-1]['ratio_median']:.2f}x\n")

    checks = target_checks(rows, paired, ref_rows, metrics_rows, ab_rows)
    heading = "## Targets (a --quick run: too few steps to judge them)" if args.quick else "## Targets"
    lines = [heading, "", targets_table(checks), "## Measurements", "", table(rows + ref_rows)]
    lines += ["## Ratios (same run, same core)", ""]
    for ref in ref_rows:
        mine = next((r for r in rows if r["firms"] == ref["firms"]), None)
        if mine:
            ratio = mine["firm_steps_per_s"] / ref["firm_steps_per_s"]
            lines.append(
                f"- {ref['firms']:,} firms: vectorised / Mesa reference = **{ratio:,.0f}×** (separate processes)"
            )
    for pr in paired:
        lines.append(
            f"- {pr['firms']:,} firms, step against step in one process: vectorised / Mesa reference = "
            f"**{pr['ratio_median']:,.0f}×** (median of {pr['pairs']} pairs, range {pr['ratio_min']:,.0f}–"
            f"{pr['ratio_max']:,.0f}×; each pair is one reference step, {pr['ref_step_ms']:,.0f} ms median, against "
            f"the next {pr['vec_steps']} vectorised steps, {pr['vec_step_ms']:.1f} ms median)"
        )
    for ab in ab_rows:
        lines.append(
            f"- {ab['firms']:,} firms against commit {ab['base'][:7]}, step against step in one process "
            f"(`ab_commit.py`, {ab['steps']} steps each, alternated): this checkout / base = "
            f"**{ab['ratio_median']:.2f}×** (quartiles {ab['ratio_q25']:.2f}–{ab['ratio_q75']:.2f}, range "
            f"{ab['ratio_min']:.2f}–{ab['ratio_max']:.2f}; {ab['new_step_ms']:.1f} / {ab['base_step_ms']:.1f} ms/step "
            f"medians; {ab['new_firms_alive']:,} / {ab['base_firms_alive']:,} agents alive, {ab['new_links']:,} / "
            f"{ab['base_links']:,} links)"
        )
    for mr in metrics_rows:
        lines.append(
            f"- collecting every metric every step at {mr['firms']:,} firms, step against step in one process: "
            f"**{100 * mr['share']:.1f} %** of step time ({mr['with_ms']:.2f} ms/step with, {mr['without_ms']:.2f} "
            f"without, medians of {mr['steps']} steps each; middle half of the pairs {100 * mr['share_q25']:.0f}–"
            f"{100 * mr['share_q75']:.0f} %)"
        )
    lines.append(
        f"- of which inside the metrics collector, at {n_over:,} firms in the table's run: "
        f"{100 * with_metrics['metrics_share']:.1f} % of run time ({with_metrics['metrics_s']:.2f} s of "
        f"{with_metrics['run_s']:.2f} s; the step-against-step cost also counts the metrics' link sums that the "
        f"accounts pass adds on collecting steps)"
    )
    lines.append(f"- scaling of step time with firms + links (log-log slope): {scaling_exponent(rows):.2f}")
    lines.append(
        f"- floor (`floor.py`, {floor['firms']:,} firms, {floor['market_links'] + floor['supplier_links']:,} links): "
        f"the three tightest passes that reproduce the trade's revenue per firm take {floor['floor_ms']:.2f} ms "
        f"(prices {floor['floor_prices_ms']:.2f}, log/exp {floor['floor_weights_ms']:.2f}, pools and flows "
        f"{floor['floor_flows_ms']:.2f}) against a whole step of {floor['step_ms']:.1f} ms in the same process; "
        f"10 M firm-steps/s leaves {floor['budget_10M_ms']:.1f} ms for the whole step"
    )
    jit = max(r.get("jit_s", 0.0) for r in rows)
    lines.append(
        f"- first-call cost of the compiled kernels (numba cache load, or compilation on a fresh machine), paid once "
        f"per process before timing: up to {jit:.1f} s (not in build s or ms/step)"
    )
    report = "\n".join(lines) + "\n"
    sys.stdout.write(report)
    if args.write:
        info = machine()
        header = [
            "# Benchmark results",
            "",
            f"Date: {dt.date.today().isoformat()}. Command: `.venv/bin/python benchmarks/run_benchmarks.py --write`.",
            f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}; "
            f"{info['platform']}. Each configuration in its own process on one core (`taskset -c 0`).",
            f"Code: commit {commit()}.",
            "",
            "",
        ]
        # the hand-kept history below the latest run survives a rewrite
        old = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
        history = old[old.index(HISTORY) :] if HISTORY in old else ""
        RESULTS_MD.write_text("\n".join(header) + report.rstrip("\n") + "\n\n" + history, encoding="utf-8")


def commit() -> str:
    """Short hash of the checked-out commit (with ``+changes`` when the tree differs from it), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        # RESULTS.md itself (rewritten by ``--write``, its history edited by hand) does not change what is measured
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":(top)",
                ":(top,exclude)benchmarks/RESULTS.md",
            ],
            cwd=HERE,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()

"""``sweep``: a scenario's factors (uncertain parameters and levers) over a design, and their sensitivity indices.

The scenario file's ``sweep:`` section declares the factors and the design (``simulator.scenario.sweeps``):

* ``full_factorial``: every combination of the factors' levels (a parameter range in ``levels`` evenly spaced
  values);
* ``latin_hypercube``: ``n`` points (``SALib.sample.latin``);
* ``sobol``: Saltelli's extension of the Sobol' sequence, N · (D + 2) points (N · (2D + 2) with second-order
  indices) (``SALib.sample.sobol``);
* ``morris``: ``n`` trajectories of D + 1 points on a ``levels`` grid (``SALib.sample.morris``).

Factors are sampled in the unit cube and mapped to values: a parameter range linearly, a discrete factor (listed
values, an item ``off``/``on``, a rule's regimes) by equal-width bins. Each point is one run per replicate
(replicate r of every point runs from the same child r of the root ``SeedSequence``: common random numbers across
points, so indices measure the factors and not seed noise), stored as one shard
``runs/p<point>/r<replicate>.parquet`` of the analysed metrics at the world, region and development levels (and the
economy level of the ``economies`` named); ``--resume`` computes only missing runs. A point's outcome is the metric
averaged over the last year of the run (the last 1/step_years steps), then over replicates.

With ``against`` (an *effect sweep*), each point also runs the counterfactual scenario, ``runs/c<point>/r<r>``, with
the point's parameter values and the same seed as the point's reform run (common random numbers; under warm start
both branch from one model built under the counterfactual's rules, as in ``dlsim compare``), and the point's outcome
is the reform's % effect 100 · (reform / counterfactual − 1) of the last-year means (each averaged over the
replicates where both runs are finite: the ratio of paired means, as ``compare``'s ``pct``); the indices are then
those of the effect. Lever factors switch the reform's items only.

Written into ``DIR/sweep/``: ``design.parquet`` (one row per point: ``point``, the factors' values, and their unit
coordinates ``u:<factor>``), ``outcomes.parquet`` (point, metric, level, group, value, n; an effect sweep adds
the last-year means ``reform`` and ``against``) and ``indices.parquet`` (method, factor, metric, level, group,
index, value, conf):

* ``sobol``: ``S1`` and ``ST`` (and ``S2`` with ``second_order``, factor ``a×b``) with 95 % bootstrap half-widths
  (``SALib.analyze.sobol``);
* ``morris``: ``mu_star`` (with its 95 % bootstrap half-width), ``mu`` and ``sigma`` of the elementary effects, in
  units of the metric per unit-cube step (``SALib.analyze.morris``);
* ``latin_hypercube``: standardised regression coefficients ``SRC`` (OLS of the standardised outcome on the
  standardised unit coordinates; 95 % bootstrap half-widths, 200 resamples) and the regression's ``R2`` (factor
  ``(model)``): SRC² is a factor's share of variance only as far as R2 is near 1;
* ``full_factorial``: first-order (main-effect) indices ``S1`` from the analysis of variance: the variance of the
  outcome's mean at each level of the factor over the outcome's variance (exact for the balanced design; no conf).
"""

from __future__ import annotations

import itertools
import logging
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from simulator.experiment.behaviours import scenario_behaviours
from simulator.experiment.catalogue import catalogue_by_name, data_base_year, headline_metrics
from simulator.experiment.compare import (
    ExperimentError,
    Progress,
    cached_schedule,
    check_memory,
    check_scheduler,
    run_tasks,
)
from simulator.experiment.decompose import LEVELS, last_year_steps
from simulator.experiment.executors import default_workers, open_handle
from simulator.experiment.provenance import (
    calibration_record,
    environment,
    git_state,
    model_checksum,
    scenario_record,
    study_versions,
)
from simulator.experiment.store import (
    ResultsStore,
    StoreError,
    atomic_write_parquet,
    check_writable,
    read_manifest,
    shard_path,
)
from simulator.experiment.tasks import ReplicateTask, RunOutput, ScenarioSpec

logger = logging.getLogger(__name__)

SWEEP_DIR = "sweep"
"""Sub-folder of the results folder with the design, the outcomes and the indices."""
DESIGN = "design.parquet"
OUTCOMES = "outcomes.parquet"
INDICES = "indices.parquet"
POINTS_PER_TASK = 8
"""Most points of one replicate run by one task when every point is built afresh (fewer when there are few points,
so that every worker gets about four tasks). The numbers never depend on it: each point runs from the replicate's
seed, and a point that branches does so from the same deterministic base model whichever task builds it."""
TASKS_PER_WORKER = 4
"""Tasks per worker aimed at when points are few (load balance)."""
MAX_BRANCHED_PER_TASK = 128
"""Most points of a task whose points branch from one base model (each task builds the base once)."""
BOOTSTRAP = 200
"""Bootstrap resamples of the SRC intervals."""
INDEX_COLUMNS: tuple[str, ...] = ("method", "factor", "metric", "level", "group", "index", "value", "conf")
"""Columns of ``indices.parquet``."""
METHOD_NOTES: dict[str, str] = {
    "sobol": "Sobol' first-order (S1) and total (ST) indices by Saltelli sampling, 95 % bootstrap half-widths "
    "(SALib.analyze.sobol)",
    "morris": "Morris elementary effects: mu_star (mean absolute), mu, sigma, in metric units per unit-cube step; "
    "mu_star with a 95 % bootstrap half-width (SALib.analyze.morris)",
    "latin_hypercube": "standardised regression coefficients (SRC) of the outcome on the factors' unit coordinates, "
    "95 % bootstrap half-widths; R2 of the regression as factor '(model)' (SRC² is a share of variance only as far "
    "as R2 is near 1)",
    "full_factorial": "first-order (main-effect) indices S1 from the analysis of variance of the balanced design",
}


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes:
        factors: The factors (``simulator.scenario.sweeps.Factor``).
        unit: Unit-cube coordinates, ``(points, factors)``.
        values: Each point's factor values (factor name → value), one dict per point.
    """

    factors: list[Any]
    unit: np.ndarray
    values: list[dict[str, Any]]

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem (unit bounds: factors are sampled in the unit cube and mapped)."""
        return {
            "num_vars": len(self.factors),
            "names": [f.name for f in self.factors],
            "bounds": [[0.0, 1.0]] * len(self.factors),
        }

    def frame(self) -> pd.DataFrame:
        """``design.parquet``: ``point``, ``index``, the factors' values, and ``u:<factor>`` coordinates."""
        out: dict[str, Any] = {"point": [point_name(i) for i in range(len(self.values))]}
        out["index"] = np.arange(len(self.values), dtype=np.int64)
        for j, f in enumerate(self.factors):
            col = [v[f.name] for v in self.values]
            out[f.name] = pd.array(col, dtype="string") if f.kind == "lever" else np.asarray(col, dtype=float)
            out[f"u:{f.name}"] = self.unit[:, j]
        return pd.DataFrame(out)


def point_name(i: int) -> str:
    """Scenario name of point ``i`` (``p00042``)."""
    return f"p{i:05d}"


def against_name(i: int) -> str:
    """Scenario name of the counterfactual run of point ``i`` in an effect sweep (``c00042``)."""
    return f"c{i:05d}"


def make_design(section: Any, seed: int) -> Design:
    """The points of ``section``'s design (``SALib`` sampling, deterministic for ``seed``)."""
    from simulator.scenario.schema import DEFAULT_FACTORIAL_LEVELS, DEFAULT_MORRIS_LEVELS
    from simulator.scenario.sweeps import factors

    fs = factors(section)
    d = len(fs)
    problem = {"num_vars": d, "names": [f.name for f in fs], "bounds": [[0.0, 1.0]] * d}
    if section.design == "full_factorial":
        levels = section.levels or DEFAULT_FACTORIAL_LEVELS
        grids = [f.grid(levels) for f in fs]
        values = [dict(zip([f.name for f in fs], combo, strict=True)) for combo in itertools.product(*grids)]
        unit = np.array(
            [[_unit_of(f, v[f.name], grids[j]) for j, f in enumerate(fs)] for v in values], dtype=float
        ).reshape(len(values), d)
        return Design(fs, unit, values)
    if section.design == "latin_hypercube":
        from SALib.sample import latin

        unit = latin.sample(problem, int(section.n), seed=seed)
    elif section.design == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(problem, int(section.n), calc_second_order=bool(section.second_order), seed=seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(problem, int(section.n), num_levels=section.levels or DEFAULT_MORRIS_LEVELS, seed=seed)
    unit = np.asarray(unit, dtype=float).reshape(-1, d)
    values = [{f.name: f.from_unit(u[j]) for j, f in enumerate(fs)} for u in unit]
    return Design(fs, unit, values)


def _unit_of(f: Any, value: Any, grid: Sequence[Any]) -> float:
    if f.discrete:
        return (list(f.levels).index(value) + 0.5) / len(f.levels)
    return 0.0 if f.high == f.low else (float(value) - f.low) / (f.high - f.low)


# --- indices --------------------------------------------------------------------------------------------------------


def standardised_regression(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Standardised regression coefficients of ``y`` on the columns of ``x``, 95 % bootstrap half-widths, and R².

    Multiple regression, so factors correlated in the sample (a small Saltelli design) are not confounded the way
    one-at-a-time rank correlations would be; ``docs/sensitivity_tables.py`` uses it on Sobol' designs for the
    direction of each factor's influence.
    """

    def fit(xx: np.ndarray, yy: np.ndarray) -> tuple[np.ndarray, float]:
        sx, sy = xx.std(axis=0), yy.std()
        if sy == 0 or np.any(sx == 0):
            return np.full(xx.shape[1], np.nan), np.nan
        zx, zy = (xx - xx.mean(axis=0)) / sx, (yy - yy.mean()) / sy
        beta, *_ = np.linalg.lstsq(zx, zy, rcond=None)
        resid = zy - zx @ beta
        return beta, float(1.0 - resid @ resid / (zy @ zy))

    beta, r2 = fit(x, y)
    rng = np.random.default_rng(seed)
    boots = np.array([fit(x[i], y[i])[0] for i in (rng.integers(0, len(y), len(y)) for _ in range(BOOTSTRAP))])
    with np.errstate(invalid="ignore"):
        lo, hi = np.nanpercentile(boots, [2.5, 97.5], axis=0) if np.isfinite(boots).any() else (beta, beta)
    return beta, (np.asarray(hi) - np.asarray(lo)) / 2.0, r2


def _anova_s1(design: Design, y: np.ndarray) -> np.ndarray:
    var = y.var()
    out = []
    for f in design.factors:
        level = np.array([str(v[f.name]) for v in design.values])
        means = pd.Series(y).groupby(level).mean()
        counts = pd.Series(y).groupby(level).size()
        between = float(((means - y.mean()) ** 2 * counts).sum() / len(y))
        out.append(between / var if var > 0 else np.nan)
    return np.array(out)


def indices_for(
    method: str, design: Design, y: np.ndarray, section: Any, seed: int
) -> list[tuple[str, str, float, float]]:
    """Sensitivity indices of one outcome ``y`` (one value per point): ``(factor, index, value, conf)`` rows.

    Raises:
        ValueError: SALib cannot analyse the outcome (e.g. too few points).
    """
    from simulator.scenario.schema import DEFAULT_MORRIS_LEVELS

    names = [f.name for f in design.factors]
    rows: list[tuple[str, str, float, float]] = []
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(design.problem, y, calc_second_order=bool(section.second_order), conf_level=0.95, seed=seed)
        for j, n in enumerate(names):
            rows.append((n, "S1", float(res["S1"][j]), float(res["S1_conf"][j])))
            rows.append((n, "ST", float(res["ST"][j]), float(res["ST_conf"][j])))
        if section.second_order:
            for a, b in itertools.combinations(range(len(names)), 2):
                rows.append((f"{names[a]}×{names[b]}", "S2", float(res["S2"][a, b]), float(res["S2_conf"][a, b])))
    elif method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            design.problem,
            design.unit,
            y,
            conf_level=0.95,
            num_levels=section.levels or DEFAULT_MORRIS_LEVELS,
            seed=seed,
        )
        for j, n in enumerate(names):
            rows.append((n, "mu_star", float(res["mu_star"][j]), float(res["mu_star_conf"][j])))
            rows.append((n, "mu", float(res["mu"][j]), np.nan))
            rows.append((n, "sigma", float(res["sigma"][j]), np.nan))
    elif method == "latin_hypercube":
        beta, conf, r2 = standardised_regression(design.unit, y, seed)
        rows += [(n, "SRC", float(beta[j]), float(conf[j])) for j, n in enumerate(names)]
        rows.append(("(model)", "R2", float(r2), np.nan))
    else:
        s1 = _anova_s1(design, y)
        rows += [(n, "S1", float(s1[j]), np.nan) for j, n in enumerate(names)]
    return rows


def compute_indices(design: Design, outcomes: pd.DataFrame, section: Any, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """``indices.parquet`` from the outcomes (one per point × metric × level × group).

    Outcomes with a missing or non-finite point, or no variation, get no indices (a note says which).
    """
    notes: list[str] = []
    n_points = len(design.values)
    rows: list[dict[str, Any]] = []
    skipped_missing = skipped_flat = 0
    for (metric, level, group), g in outcomes.groupby(["metric", "level", "group"], sort=True):
        y = np.full(n_points, np.nan)
        y[g["index"].to_numpy(dtype=np.int64)] = g["value"].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            skipped_missing += 1
            continue
        if np.ptp(y) == 0:
            skipped_flat += 1
            continue
        try:
            found = indices_for(section.design, design, y, section, seed)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            notes.append(f"{metric} ({level} {group}): no indices: {exc}")
            continue
        for factor, index, value, conf in found:
            rows.append(
                {
                    "method": section.design,
                    "factor": factor,
                    "metric": metric,
                    "level": level,
                    "group": group,
                    "index": index,
                    "value": value,
                    "conf": conf,
                }
            )
    if skipped_missing:
        notes.append(
            f"{skipped_missing} outcome(s) have points without a finished run or a finite value: no indices "
            "(--resume finishes missing runs)"
        )
    if skipped_flat:
        notes.append(f"{skipped_flat} outcome(s) do not vary across the design: no indices")
    frame = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
    return frame, notes


# --- the study --------------------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """The outcome of a sweep.

    Attributes:
        design: ``design.parquet``.
        outcomes: ``outcomes.parquet``.
        indices: ``indices.parquet``.
        manifest: The results folder's manifest.
        root: The results folder.
        notes: Remarks on missing runs and outcomes without indices.
    """

    design: pd.DataFrame
    outcomes: pd.DataFrame
    indices: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path | str) -> SweepResult:
        """Read the results of a sweep folder."""
        root = Path(root)
        manifest = read_manifest(root)
        d = root / SWEEP_DIR
        if not (d / INDICES).is_file():
            raise StoreError(f"{root} has no {SWEEP_DIR}/{INDICES}", "rerun the sweep with --resume to finish it")
        return cls(
            pd.read_parquet(d / DESIGN), pd.read_parquet(d / OUTCOMES), pd.read_parquet(d / INDICES), manifest, root
        )

    def ranking(self, metric: str, level: str = "world", group: str = "world") -> pd.DataFrame:
        """The factors of one outcome, most influential first (by ST, mu_star, |SRC| or S1).

        Returns:
            One row per factor: ``factor``, a column per index name, and ``conf`` of the main index (ST, mu_star,
            SRC or S1); the regression's R2 of a Latin hypercube is left out (``r2``).
        """
        f = self.indices
        sel = f[(f["metric"] == metric) & (f["level"] == level) & (f["group"] == group) & (f["factor"] != "(model)")]
        main = {"sobol": "ST", "morris": "mu_star", "latin_hypercube": "SRC", "full_factorial": "S1"}
        key = main.get(str(self.manifest.get("sweep", {}).get("design", "")), "S1")
        if sel.empty:
            return pd.DataFrame()
        wide = sel.pivot_table(index="factor", columns="index", values="value", aggfunc="first", dropna=False)
        if key in wide:
            conf = sel[sel["index"] == key].set_index("factor")["conf"]
            wide[f"{key} conf"] = conf.reindex(wide.index)
            wide = wide.loc[wide[key].abs().sort_values(ascending=False).index]
        wide.columns.name = None
        return wide.reset_index()

    @property
    def is_effect(self) -> bool:
        """Whether the outcomes are effects against a counterfactual (``sweep.against``)."""
        return "against_scenario" in (self.manifest.get("sweep") or {})

    def spread(self) -> pd.DataFrame:
        """How each outcome is spread over the design's points (the parameter box), one row per outcome.

        Returns:
            ``metric``, ``level``, ``group``, ``points`` (with a finite outcome), ``median``, ``p05``, ``p95``,
            ``min``, ``max``, ``below`` and ``above`` (shares of points with an outcome below and above 0) and
            ``same_sign`` (the share of points whose outcome has the sign of the median: 1 when the sign holds at
            every point). In an effect sweep the outcome is the % effect, so ``same_sign`` says how robust the
            effect's direction is to the factors' ranges.
        """
        cols = ["metric", "level", "group", "points", "median", "p05", "p95", "min", "max", "below", "above"]
        rows = []
        for (metric, level, group), g in self.outcomes.groupby(["metric", "level", "group"], sort=True):
            y = g["value"].to_numpy(dtype=float)
            y = y[np.isfinite(y)]
            if not y.size:
                continue
            p05, med, p95 = np.percentile(y, [5, 50, 95])
            below, above = float(np.mean(y < 0)), float(np.mean(y > 0))
            rows.append((metric, level, group, y.size, med, p05, p95, y.min(), y.max(), below, above))
        out = pd.DataFrame(rows, columns=cols)
        out["same_sign"] = np.where(out["median"] < 0, out["below"], np.where(out["median"] > 0, out["above"], 0.0))
        return out

    def r2(self, metric: str, level: str = "world", group: str = "world") -> float | None:
        """R2 of the regression behind the SRC of one outcome (Latin hypercube designs), else ``None``."""
        f = self.indices
        sel = f[(f["metric"] == metric) & (f["level"] == level) & (f["group"] == group) & (f["index"] == "R2")]
        return float(sel["value"].iloc[0]) if len(sel) else None


def _last_year_means(
    root: Path,
    name: str,
    replicates: Sequence[int],
    metrics: Sequence[str],
    window: tuple[int, int],
    economies: Sequence[str] = (),
) -> pd.DataFrame:
    """One column per replicate: the run's last-year mean of each metric, indexed by (metric, level, group).

    Rows are the levels ``LEVELS`` and, for the ``economies`` named, the economy level.
    """
    parts = []
    for r in replicates:
        t = pq.read_table(shard_path(root, name, r), columns=["metric", "level", "group", "step", "value"]).to_pandas()
        places = t["level"].isin(LEVELS)
        if economies:
            places |= (t["level"] == "economy") & t["group"].isin(economies)
        sel = t["metric"].isin(metrics) & places & t["step"].between(*window)
        t = t[sel].astype({"metric": str, "level": str, "group": str})
        parts.append(t.groupby(["metric", "level", "group"], sort=True)["value"].mean())
    return pd.concat(parts, axis=1)


def _runs_by_point(done: set[tuple[str, int]], prefix: str) -> dict[int, list[int]]:
    by_point: dict[int, list[int]] = {}
    for name, r in done:
        if name.startswith(prefix) and name[1:].isdigit():
            by_point.setdefault(int(name[1:]), []).append(r)
    return by_point


def outcomes_of(
    root: Path,
    design: Design,
    done: set[tuple[str, int]],
    metrics: Sequence[str],
    steps: int,
    step_years: float,
    economies: Sequence[str] = (),
) -> pd.DataFrame:
    """Each point's outcomes: the last-year mean of each metric (× level × group), averaged over its replicates."""
    window = last_year_steps(steps, step_years)
    by_point = _runs_by_point(done, "p")
    frames = []
    for i in sorted(by_point):
        if i >= len(design.values):
            continue
        both = _last_year_means(root, point_name(i), sorted(by_point[i]), metrics, window, economies)
        f = pd.DataFrame(
            {"value": both.mean(axis=1, skipna=True), "n": both.notna().sum(axis=1).astype(np.int64)}
        ).reset_index()
        f.insert(0, "point", point_name(i))
        f.insert(1, "index", i)
        frames.append(f)
    cols = ["point", "index", "metric", "level", "group", "value", "n"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


def effects_of(
    root: Path,
    design: Design,
    done: set[tuple[str, int]],
    metrics: Sequence[str],
    steps: int,
    step_years: float,
    economies: Sequence[str] = (),
) -> pd.DataFrame:
    """Each point's outcomes in an effect sweep: the reform's % effect against the counterfactual.

    For each metric × level × group, the last-year means of the point's reform and counterfactual runs are averaged
    over the replicates where both runs finished with finite values (``n``), and the outcome is
    100 · (reform / counterfactual − 1), not finite when the counterfactual's mean is 0.
    """
    window = last_year_steps(steps, step_years)
    reforms, againsts = _runs_by_point(done, "p"), _runs_by_point(done, "c")
    frames = []
    for i in sorted(set(reforms) & set(againsts)):
        paired = sorted(set(reforms[i]) & set(againsts[i]))
        if i >= len(design.values) or not paired:
            continue
        y = _last_year_means(root, point_name(i), paired, metrics, window, economies)
        x = _last_year_means(root, against_name(i), paired, metrics, window, economies)
        y, x = y.align(x, join="inner")
        ok = np.isfinite(y.to_numpy()) & np.isfinite(x.to_numpy())
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ym = np.where(ok, y.to_numpy(), 0.0).sum(axis=1) / n
            xm = np.where(ok, x.to_numpy(), 0.0).sum(axis=1) / n
            effect = 100.0 * (ym / xm - 1.0)
        f = pd.DataFrame(
            {
                "value": np.where(np.isfinite(effect), effect, np.nan),
                "n": n.astype(np.int64),
                "reform": ym,
                "against": xm,
            },
            index=y.index,
        ).reset_index()
        f.insert(0, "point", point_name(i))
        f.insert(1, "index", i)
        frames.append(f)
    cols = ["point", "index", "metric", "level", "group", "value", "n", "reform", "against"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


def rerun_command(file: Path, *, firms: int, steps: int, seed: int, out: Path, data_dir: Path | None) -> str:
    """The ``dlsim sweep`` command line that recomputes this sweep (``--resume`` finishes it)."""
    words = ["dlsim", "sweep", str(file), "--firms", str(firms), "--steps", str(steps), "--seed", str(seed)]
    words += ["--out", str(out)]
    if data_dir is not None:
        words += ["--data", str(data_dir)]
    return shlex.join(words)


def sweep(
    file: Path | str,
    *,
    firms: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    out: Path | str | None = None,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    data_dir: Path | str | None = None,
    warm_start: bool = True,
    progress: Progress | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Run the sweep declared in ``file``'s ``sweep:`` section and compute its sensitivity indices.

    Args:
        file: A scenario file with a ``sweep:`` section (its ``run`` section gives firms, steps and seed).
        firms: Firms per run (default: the file's ``run.firms``).
        steps: Steps per run (default: the file's ``run.steps``).
        seed: Root seed of the runs (default: the file's ``run.seed``); the design's seed is ``sweep.seed`` or
            this.
        out: Results folder (default: ``results/<scenario>_sweep``); never overwritten unless ``force``.
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: Worker processes (default: the CPUs available).
        scheduler: Address of an existing Dask scheduler; implies ``executor="dask"``.
        resume: Keep the finished runs of ``out`` and compute the missing ones.
        force: Replace ``out`` if it exists.
        data_dir: World data directory.
        warm_start: When no factor is a parameter, every point branches from one model built per replicate (its
            population, network and burn-in under the scenario as written); with parameter factors each point is
            built afresh from the replicate's seed.
        progress: Called after each run.
        on_start: Called with the manifest before the first run.

    Returns:
        The design, outcomes and indices (also written under ``out/sweep/``).

    Raises:
        ExperimentError: No sweep section, bad settings, too little memory, unknown metrics.
        StoreError: The results folder cannot be used as asked.
        ScenarioError: The file is invalid (every issue, with file and line).
    """
    from simulator import __version__
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.sweeps import against_path, load_against, with_levers
    from simulator.world import load_world
    from simulator.world.compile import compile_scenario, vocabulary

    started = time.perf_counter()
    path = Path(file)
    world = load_world(data_dir)
    vocab = vocabulary(world)
    scenario = load_scenario(path, vocab, run_overrides={"firms": firms, "steps": steps, "seed": seed})
    if scenario.sweep is None:
        raise ExperimentError(
            f"{path} has no sweep: section", "declare factors and a design under sweep: (README, Sweeps)"
        )
    section = scenario.sweep.item
    against = load_against(scenario, vocab)
    settings = scenario.run
    timeline = scenario.timeline
    catalogue = catalogue_by_name(data_dir)
    metrics = list(section.metrics) if section.metrics else headline_metrics(frozenset(catalogue))
    unknown = [m for m in metrics if m not in catalogue]
    if unknown:
        from simulator.scenario.errors import did_you_mean

        close = did_you_mean(unknown[0], catalogue)
        raise ExperimentError(
            f"{path}: sweep.metrics names an unknown metric {unknown[0]!r}"
            + (f" (did you mean {close!r}?)" if close else ""),
            "dlsim metrics lists them",
        )
    design_seed = int(section.seed if section.seed is not None else settings.seed)
    design = make_design(section, design_seed)
    target = Path(out) if out is not None else Path("results") / f"{scenario.name}_sweep"
    check_writable(target)
    n_workers = 1 if executor == "serial" and not scheduler else (workers or default_workers())
    if scheduler:
        check_scheduler(scheduler)
    else:
        check_memory(settings.firms, n_workers)
    root = np.random.SeedSequence(settings.seed)
    children = root.spawn(section.replicates)
    records = {
        scenario.name: {
            "file": str(path),
            "header": scenario.header.model_dump(mode="json", exclude_none=True),
            "resolved": scenario_record(scenario),
            "differences": [],
        }
    }
    outcome = (
        "the metric averaged over the last year of the run (the last 1/step_years steps), then over the point's "
        "replicates"
    )
    effect: dict[str, Any] = {}
    if against is not None:
        records[against.name] = {
            "file": str(against_path(scenario)),
            "header": against.header.model_dump(mode="json", exclude_none=True),
            "resolved": scenario_record(against),
            "differences": [],
        }
        outcome = (
            f"the % effect 100 · (reform / counterfactual − 1) of {scenario.name} against {against.name}: the "
            "metric's last-year means (the last 1/step_years steps) of the point's reform and counterfactual runs, "
            "each averaged over the replicates where both are finite (paired seeds)"
        )
        effect = {"against_scenario": against.name, "against_file": str(against_path(scenario))}
    manifest: dict[str, Any] = {
        "kind": "sweep",
        "dlsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": rerun_command(
            path,
            firms=settings.firms,
            steps=settings.steps,
            seed=settings.seed,
            out=target,
            data_dir=Path(data_dir) if data_dir is not None else None,
        ),
        "baseline": scenario.name,
        "scenarios": records,
        "settings": {
            "firms": settings.firms,
            "steps": settings.steps,
            "replicates": section.replicates,
            "start_year": timeline.start_year,
            "step_years": timeline.step_years,
            "executor": "dask" if scheduler else executor,
            "workers": n_workers,
            "scheduler": scheduler,
            "warm_start": warm_start,
            "money_base_year": data_base_year(data_dir),
        },
        "seed": {
            "entropy": int(root.entropy),
            "spawn_keys": {str(i): [int(k) for k in c.spawn_key] for i, c in enumerate(children)},
        },
        "sweep": {
            **section.model_dump(mode="json", exclude_none=True),
            **effect,
            "design_seed": design_seed,
            "points": len(design.values),
            "runs": len(design.values) * section.replicates * (2 if against is not None else 1),
            "metrics": metrics,
            "levels": list(LEVELS) + (["economy"] if section.economies else []),
            "outcome": outcome,
            "indices": METHOD_NOTES[section.design],
            "files": [f"{SWEEP_DIR}/{DESIGN}", f"{SWEEP_DIR}/{OUTCOMES}", f"{SWEEP_DIR}/{INDICES}"],
        },
        "versions": study_versions(),
        "git": git_state(),
        "data_checksums": dict(world.checksums),
        "model_checksum": model_checksum(),
        "calibration": calibration_record(world.calibration),
        "platform": environment(),
        "runs": [],
    }
    store = ResultsStore.open(
        target,
        manifest,
        force=force,
        resume=resume,
        compatible_keys=("kind", "model_checksum", "data_checksums", "settings", "seed", "sweep"),
    )
    finished = store.finished()
    store.write_manifest()
    (target / SWEEP_DIR).mkdir(exist_ok=True)
    atomic_write_parquet(target / SWEEP_DIR / DESIGN, design.frame())

    base_params = dict(scenario.parameter_values(world.calibration))
    behaviours = scenario_behaviours(scenario)
    economies = tuple(section.economies or ())
    kept_levels = LEVELS + (("economy",) if economies else ())
    keep = {"keep_metrics": tuple(metrics), "keep_levels": kept_levels, "behaviours": behaviours}
    schedules: dict[tuple, Any] = {}
    lever_names = [f.name for f in design.factors if f.kind == "lever"]

    def spec_of(i: int) -> ScenarioSpec:
        v = design.values[i]
        key = tuple(v[n] for n in lever_names)
        if key not in schedules:
            sc = with_levers(scenario, {n: v[n] for n in lever_names}, name=f"{scenario.name}~{'-'.join(key)}")
            schedules[key] = cached_schedule(world, sc, compile_scenario)
        params = dict(base_params)
        for f in design.factors:
            if f.kind == "parameter":
                params[str(f.spec.parameter)] = float(v[f.name])
        return ScenarioSpec(point_name(i), schedules[key], params, **keep)

    base_spec = ScenarioSpec(
        scenario.name, cached_schedule(world, scenario, compile_scenario), base_params, behaviours=behaviours
    )
    # branch points from one built model only when no point has parameters of its own: every point of a sweep is
    # then started the same way (a point whose parameters happen to equal the file's is not treated differently)
    branch_points = warm_start and not any(f.kind == "parameter" for f in design.factors)
    tasks = []
    if against is not None:
        tasks = _effect_tasks(
            design, against, spec_of, children, finished, keep, world, settings, warm_start, compile_scenario
        )
    for r, child in enumerate(children if against is None else ()):
        todo = [i for i in range(len(design.values)) if (point_name(i), r) not in finished]
        if branch_points:  # one base model per task: one task per worker and replicate
            per_task = max(1, min(MAX_BRANCHED_PER_TASK, -(-len(todo) // n_workers)))
        else:
            per_task = max(1, min(POINTS_PER_TASK, -(-len(todo) * len(children) // (TASKS_PER_WORKER * n_workers))))
        for start in range(0, len(todo), per_task):
            chunk = tuple(spec_of(i) for i in todo[start : start + per_task])
            tasks.append(
                ReplicateTask(
                    r, child, chunk, base_spec, settings.firms, settings.steps, world, branch_points, encode=True
                )
            )
    total = sum(len(t.scenarios) for t in tasks)
    done = 0
    timing = {"step_s": 0.0, "build_s": 0.0}
    if on_start is not None:
        on_start(manifest)
    last_write = time.monotonic()

    def on_output(o: RunOutput) -> None:
        nonlocal done, last_write
        store.record(o.scenario, o.replicate, o.status, o.table, o.wall_s, o.error)
        if o.status != "done" or time.monotonic() - last_write >= 1.0:
            store.write_manifest()
            last_write = time.monotonic()
        timing["step_s"] += o.step_s
        timing["build_s"] += o.build_s
        done += 1
        if progress is not None:
            progress(done, total, f"{o.scenario}/r{o.replicate:03d}")

    t_runs = time.perf_counter()
    if tasks:
        try:
            handle = open_handle(executor, n_workers, scheduler)
        except Exception as exc:
            store.write_manifest()
            raise ExperimentError(
                f"could not start the {executor} executor: {type(exc).__name__}: {exc}",
                "try --executor processes; then rerun with --resume",
            ) from None
        try:
            store.manifest["settings"]["executor_description"] = handle.description
            run_tasks(handle, tasks, on_output)
        finally:
            handle.close()
            store.write_manifest()
    t_indices = time.perf_counter()
    done_runs = {(r["scenario"], int(r["replicate"])) for r in store.manifest["runs"] if r.get("status") == "done"}
    outcomes = (effects_of if against is not None else outcomes_of)(
        target, design, done_runs, metrics, settings.steps, timeline.step_years, economies
    )
    atomic_write_parquet(target / SWEEP_DIR / OUTCOMES, outcomes)
    indices, notes = compute_indices(design, outcomes, section, design_seed)
    atomic_write_parquet(target / SWEEP_DIR / INDICES, indices)
    end = time.perf_counter()
    phases = {"runs_s": t_indices - t_runs, "indices_s": end - t_indices}
    store.finish(
        end - started, {**phases, "model_steps_s": timing["step_s"], "model_build_s": timing["build_s"]}, notes
    )
    return SweepResult(design.frame(), outcomes, indices, store.manifest, target, notes)


def _effect_tasks(
    design: Design,
    against: Any,
    spec_of: Callable[[int], ScenarioSpec],
    children: Sequence[np.random.SeedSequence],
    finished: set[tuple[str, int]],
    keep: dict[str, Any],
    world: Any,
    settings: Any,
    warm_start: bool,
    compile_fn: Callable[[Any, Any], Any],
) -> list[ReplicateTask]:
    """One task per point and replicate of an effect sweep: its unfinished counterfactual and reform runs.

    Both run from the replicate's seed; the counterfactual, at the point's parameter values, is the task's baseline.

    Under warm start both runs branch from one model built under the counterfactual's rules with the point's
    parameters (as ``compare`` runs a reform against its baseline); otherwise each is built afresh from the seed.
    """
    schedule = cached_schedule(world, against, compile_fn)
    base_params = dict(against.parameter_values(world.calibration))
    behaviours = scenario_behaviours(against)
    cf_keep = {**keep, "behaviours": behaviours}
    tasks = []
    for r, child in enumerate(children):
        for i, v in enumerate(design.values):
            params = dict(base_params)
            for f in design.factors:
                if f.kind == "parameter":
                    params[str(f.spec.parameter)] = float(v[f.name])
            cf = ScenarioSpec(against_name(i), schedule, params, **cf_keep)
            todo = tuple(s for s in (cf, spec_of(i)) if (s.name, r) not in finished)
            if todo:
                tasks.append(ReplicateTask(r, child, todo, cf, settings.firms, settings.steps, world, warm_start, True))
    return tasks


def sweep_points(section: Any) -> int:
    """Points of a sweep section's design (without sampling)."""
    from simulator.scenario.sweeps import full_factorial_size

    d = len(section.factors)
    if section.design == "full_factorial":
        return full_factorial_size(section)
    if section.design == "latin_hypercube":
        return int(section.n)
    if section.design == "sobol":
        return int(section.n) * (2 * d + 2 if section.second_order else d + 2)
    return int(section.n) * (d + 1)


__all__ = ["SweepResult", "compute_indices", "effects_of", "make_design", "outcomes_of", "sweep", "sweep_points"]

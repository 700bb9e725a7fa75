"""Baseline calibration: the published targets, runs that measure them, and their fit by simulated method of moments.

``TARGETS`` are the published figures the status-quo baseline is held to (``docs/evidence.md``,
``docs/calibration.md``). Each is either **fitted** (``role="fit"``) or **held out** (``role="holdout"``): the
held-out targets were chosen and committed before any fit ran and are reported as validation only.

* ``measure`` runs the baseline of a world for several seeds; ``grid`` repeats that for each value of one parameter
  (``dlsim calibrate`` and ``dlsim calibrate --vary``);
* ``fit`` fits ``FITTED`` (the uncertain parameters that move the targets) inside their declared ranges by simulated
  method of moments (SMM) with common random numbers: every evaluation runs the same seeds, so the objective changes
  only with the parameters. The optimiser is documented in ``fit`` (a scrambled Sobol' design for the start, then
  ``scipy.optimize.minimize`` with the bounded Nelder–Mead method). ``write_calibration`` writes the fitted values, the
  fit and the targets to ``data/calibration.yaml``, which the world loader reads (``World.calibration``) and the
  model takes as its defaults for that world (``DataFlowModel``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simulator.model import DataFlowModel
from simulator.scenario.parameters import PARAMETERS
from simulator.world import PolicySchedule, World
from simulator.world.baseline import baseline_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One published figure the baseline must reproduce.

    Attributes:
        name: Identifier (a column of ``measure``'s result).
        figure: The published figure, as text.
        low: Lower end of the tolerance band (percent).
        high: Upper end of the tolerance band (percent).
        source: Where the figure comes from (a key of ``docs/evidence.md`` and its status).
        value: The point target (percent) the fit aims at; the middle of the band when not given.
        role: ``"fit"`` (in the SMM objective), ``"holdout"`` (reported as validation only) or ``"constraint"``
            (a property of the model the fit must keep: a penalty outside the band, nothing inside).
    """

    name: str
    figure: str
    low: float
    high: float
    source: str
    value: float = float("nan")
    role: str = "fit"

    @property
    def point(self) -> float:
        """The point target: ``value``, or the middle of the band."""
        return self.value if math.isfinite(self.value) else (self.low + self.high) / 2

    @property
    def scale(self) -> float:
        """The deviation that counts as one unit in the objective: half the band's width (percent)."""
        return (self.high - self.low) / 2


ICT_SERVICES_SHARES: tuple[tuple[str, str, float], ...] = (
    ("IND", "India", 42.38),
    ("CHN", "China", 12.66),
    ("KEN", "Kenya", 10.18),
    ("BRA", "Brazil", 6.34),
    ("USA", "United States", 5.28),
)
"""ICT service exports as a percentage of service exports (World Bank WDI BX.GSR.CCIS.ZS, 2017, the vintage in
``data/targets_ict_services.csv``) of five economies: held-out targets, with a band of half to one and a half times the
figure. The model's counterpart is the ICT sector's share of the economy's services-sector exports at the last step."""

TARGETS: tuple[Target, ...] = (
    Target("africa_dds_share", "Africa ≈ 1 % of world DDS exports", 0.5, 2.0, "WTO 2023 (docs/evidence.md, S)", 1.0),
    Target("lac_dds_share", "LAC ≈ 2 % of world DDS exports", 1.0, 4.0, "WTO 2023 (docs/evidence.md, S)", 2.0),
    Target(
        "intra_africa_share", "intra-African share of African exports ≈ 15–18 %", 12.0, 22.0, "Afreximbank (S)", 16.0
    ),
    Target(
        "data_management_share",
        "data-management costs ≈ 11 % of costs (firms facing a rule)",
        7.0,
        15.0,
        "OECD–WTO 2025 (V)",
        11.0,
    ),
    Target(
        "india_dds_share", "India ≈ 5–6 % of world DDS exports", 3.5, 8.0, "WTO 2023, 2024 (docs/evidence.md, S)", 5.5
    ),
    Target(
        "usa_dds_share",
        "United States ≈ 15–16 % of world DDS exports",
        11.0,
        20.0,
        "WTO 2023 (docs/evidence.md, S)",
        15.5,
    ),
    # held out: chosen and committed before the first fit ran; reported as validation only
    Target(
        "exporter_share",
        "4 % of all US firms export (2000), about 18 % of US manufacturing firms (2002)",
        10.0,
        30.0,
        "Bernard et al. 2007, JEP 21(3) (docs/evidence.md; 4 % V, 18 % S)",
        18.0,
        "holdout",
    ),
    Target(
        "china_dds_share",
        "China ≈ 6 % of world DDS exports",
        4.0,
        8.0,
        "WTO 2023 (docs/evidence.md, S)",
        6.0,
        "holdout",
    ),
    Target(
        "intra_lac_share",
        "intra-regional share of Latin American and Caribbean exports ≈ 15–20 %",
        12.0,
        24.0,
        "CAF 2025 (docs/evidence.md, S)",
        16.0,
        "holdout",
    ),
    *(
        Target(
            f"ict_services_share_{iso3.lower()}",
            f"{name}: ICT services {value:g} % of services exports (2017)",
            value / 2,
            value * 1.5,
            "WDI BX.GSR.CCIS.ZS, data/targets_ict_services.csv",
            value,
            "holdout",
        )
        for iso3, name, value in ICT_SERVICES_SHARES
    ),
    # a constraint, not a target: the fit must keep the income closure. tests/test_model_closure.py allows 10 log
    # points at 20,000 agents over 4 steps; one step of 5,000-10,000 agents shows 8-21 (mean 12.8, seeds 1-8) at the
    # declared defaults, where that test passes, so 15 here; the rejected fits' values gave 17-34
    Target(
        "closure_gap",
        "every region's income share within 15 log points of its GDP share (one step, the fit's size)",
        0.0,
        15.0,
        "the income closure (docs/model.md; tests/test_model_closure.py)",
        0.0,
        "constraint",
    ),
)
"""The baseline calibration targets with their tolerance bands in percent (docs/evidence.md; the history of the
bands: docs/history.md, Calibration). The first four are the original targets; the next two were added with the
SMM fit; the rest are held out of it."""

FITTED: tuple[str, ...] = (
    "dds_capability_africa",
    "dds_capability_lac",
    "gamma",
    "pi0",
    "h_cloud",
)
"""The parameters ``fit`` estimates: each moves at least one fitted target (their declarations name which), and each
is an assumption whose declared range bounds the search. ``tfp_gdppc_elasticity`` was in the first fit (2026-12-03),
which moved it from 0.95 to 0.43: there the income closure no longer matched South Asia's income to its GDP share
(0.73 of it after the burn-in, against the 10 % the closure tests allow) and firms' in-house hosting took the place of
local providers in the dearest local markets, so it is held at its declared value until its admissible range is
known. ``fixed_export_cost`` is not among them: the model's
exporter share counts firm-to-firm sales across borders, and a higher f_x *raised* it (4,000 firms, 2 seeds, 4 steps:
51.7 % at f_x = 0.4, 55.7 % at 2, 59.3 % at 5), so it cannot identify the exporter share, which is held out."""

DEFAULT_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
"""Seeds of the calibration runs: the mean over them is compared with the bands."""
DEFAULT_FIRMS = 5000
"""Firms per calibration run."""
DEFAULT_STEPS = 8
"""Steps per calibration run (two years of 0.25)."""

FIT_SEEDS: tuple[int, ...] = (101, 102, 103, 104, 105, 106, 107, 108)
"""Common random numbers of the fit: every evaluation runs these seeds. They differ from ``DEFAULT_SEEDS``, so the
check of the fitted defaults (``tests/test_model_calibration.py``) runs on seeds the fit never saw."""
FIT_FIRMS = 10_000
"""Firms per fit run: the size analysts read effects at (smaller runs overstate some shares; docs/model.md)."""
FIT_WINDOW = 4
"""The fit's moments are means over the last ``FIT_WINDOW`` collected steps (a year), then over seeds."""

CALIBRATION_VERSION = 1
"""Format version of the calibration file."""


def _window(df: pd.DataFrame, metric: str, level: str, group: str, window: int) -> float:
    sel = df[(df["metric"] == metric) & (df["level"] == level) & (df["group"] == group)]
    if sel.empty:
        return float("nan")
    steps = np.sort(sel["step"].unique())[-window:]
    return float(sel.loc[sel["step"].isin(steps), "value"].mean())


def _intra_share(df: pd.DataFrame, region: str, window: int) -> float:
    flows = df[(df["metric"] == "region_flow") & (df["level"] == "region_pair")]
    groups = [g for g in flows["group"].unique() if g.startswith(f"{region}>")]
    out = sum(_window(df, "region_flow", "region_pair", g, window) for g in groups)
    intra = _window(df, "region_flow", "region_pair", f"{region}>{region}", window)
    return 100 * intra / out if out > 0 else float("nan")


def ict_services_shares(firms: pd.DataFrame, sectors: pd.DataFrame) -> dict[str, float]:
    """The ICT sector's share (percent) of each economy's services-sector exports, from a run's firm table.

    Args:
        firms: ``DataFlowModel.firms_frame()`` (``economy``, ``sector``, ``exports``, ``weight``).
        sectors: The world's sector table (``kind`` marks services).
    """
    services = set(sectors.index[sectors["kind"] == "services"])
    ict = "ict_digital"
    f = firms[firms["sector"].isin(services)]
    value = f["exports"] * f["weight"]
    total = value.groupby(f["economy"]).sum()
    ict_exports = value[f["sector"] == ict].groupby(f.loc[f["sector"] == ict, "economy"]).sum()
    share = 100 * ict_exports.reindex(total.index, fill_value=0.0) / total.where(total > 0)
    return {str(k): float(v) for k, v in share.items()}


def closure_gap(model: DataFlowModel) -> float:
    """The income closure's largest regional miss: 100 · max over regions |ln(income share / GDP share)| (log points).

    Args:
        model: A run model (its last step's income per economy against the world's GDP shares).
    """
    region = model.world.economies["region"].astype(str).to_numpy()
    income = np.asarray(model.income, dtype=float)
    share = income / income.sum()
    gaps = [abs(np.log(share[region == r].sum() / model.gdp_share[region == r].sum())) for r in np.unique(region)]
    return 100.0 * float(max(gaps))


def target_values(
    metrics: pd.DataFrame,
    window: int = 1,
    ict_shares: Mapping[str, float] | None = None,
    closure: float = float("nan"),
) -> dict[str, float]:
    """Return each target's value (percent): the mean over the last ``window`` collected steps of a run.

    Args:
        metrics: Tidy metrics (``step, metric, level, group, value``) of one run of the full world.
        window: Number of last collected steps averaged (1: the last step).
        ict_shares: ``ict_services_shares`` of the run's last step (NaN for the ICT targets when not given).
        closure: ``closure_gap`` of the run (NaN when not given).
    """
    ict = {
        f"ict_services_share_{iso3.lower()}": float((ict_shares or {}).get(iso3, float("nan")))
        for iso3, _, _ in ICT_SERVICES_SHARES
    }

    def dds(level: str, group: str) -> float:
        return 100 * _window(metrics, "dds_export_share_of_world", level, group, window)

    return {
        "africa_dds_share": dds("region", "AFR"),
        "lac_dds_share": dds("region", "LAC"),
        "intra_africa_share": _intra_share(metrics, "AFR", window),
        "data_management_share": 100 * _window(metrics, "data_management_cost_share", "world", "world", window),
        "india_dds_share": dds("economy", "IND"),
        "usa_dds_share": dds("economy", "USA"),
        "exporter_share": 100 * _window(metrics, "export_participation", "world", "world", window),
        "china_dds_share": dds("economy", "CHN"),
        "intra_lac_share": _intra_share(metrics, "LAC", window),
        **ict,
        "closure_gap": float(closure),
    }


def measure(
    world: World,
    params: Mapping[str, float] | None = None,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    n_firms: int = DEFAULT_FIRMS,
    n_steps: int = DEFAULT_STEPS,
    window: int = 1,
) -> pd.DataFrame:
    """Run the status-quo baseline once per seed and return the targets, one row per seed.

    Args:
        world: The world (the full world for the published targets).
        params: Parameter overrides (the world's calibration and the declared defaults elsewhere).
        seeds: Seeds, one run each.
        n_firms: Firms per run.
        n_steps: Steps per run.
        window: Number of last collected steps each target is averaged over.

    Returns:
        A frame with a ``seed`` column and one column per target (percent).
    """
    schedule = PolicySchedule(initial=baseline_state(world), events=(), horizon=n_steps)
    rows = []
    for seed in seeds:
        model = DataFlowModel(world, schedule, params=params, n_firms=n_firms, rng=seed).run(n_steps)
        ict = ict_services_shares(model.firms_frame(), world.sectors)
        rows.append({"seed": seed, **target_values(model.metrics_frame(), window, ict, closure_gap(model))})
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame, value: float = float("nan")) -> pd.DataFrame:
    """Summarise ``measure``'s runs per target: ``value, target, role, mean, min, max, low, high, inside``.

    Args:
        runs: One row per seed, one column per target (``measure``'s result).
        value: The value of the varied parameter, recorded in the ``value`` column (NaN at the defaults).
    """
    out = []
    for t in TARGETS:
        v = runs[t.name].to_numpy(dtype=float)
        mean = float(np.mean(v))
        out.append(
            {
                "value": value,
                "target": t.name,
                "role": t.role,
                "mean": mean,
                "min": float(np.min(v)),
                "max": float(np.max(v)),
                "low": t.low,
                "high": t.high,
                "inside": bool(t.low <= mean <= t.high),
            }
        )
    return pd.DataFrame(out)


def grid(
    world: World,
    parameter: str,
    values: Sequence[float],
    params: Mapping[str, float] | None = None,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    n_firms: int = DEFAULT_FIRMS,
    n_steps: int = DEFAULT_STEPS,
) -> pd.DataFrame:
    """Measure the targets for each value of one parameter; return mean, min and max over the seeds.

    Args:
        world: The world.
        parameter: Name of the parameter varied (as declared in ``simulator.scenario.parameters``).
        values: Its values.
        params: Other parameter overrides.
        seeds: Seeds, one run each per value.
        n_firms: Firms per run.
        n_steps: Steps per run.

    Returns:
        ``summarise``'s rows for every value, one after the other.
    """
    seeds = tuple(seeds)
    frames = [
        summarise(measure(world, {**(params or {}), parameter: value}, seeds, n_firms, n_steps), value)
        for value in values
    ]
    return pd.concat(frames, ignore_index=True)


def objective(moments: Mapping[str, float], targets: Sequence[Target] = TARGETS) -> float:
    """The SMM objective: the sum over fitted targets of ((simulated − target) / half the band)², plus penalties.

    A diagonal weighting by the bands' widths: a target the sources pin down tightly weighs more. A missing moment
    (NaN: e.g. no African exports) counts as 100, far worse than any simulated value. A constraint (``role ==
    "constraint"``) adds nothing inside its band and ((distance outside the band) / (a tenth of the band))²
    outside it: a closure miss of 25 log points against 10 allowed adds 225, more than any fitted target's miss.

    Args:
        moments: Simulated moments (percent), averaged over the fit's seeds.
        targets: The targets; those with ``role == "fit"`` or ``"constraint"`` count.
    """
    total = 0.0
    for t in targets:
        if t.role not in ("fit", "constraint"):
            continue
        m = float(moments.get(t.name, float("nan")))
        if not math.isfinite(m):
            total += 100.0
        elif t.role == "fit":
            total += ((m - t.point) / t.scale) ** 2
        else:
            outside = max(t.low - m, m - t.high, 0.0)
            total += (outside / (0.1 * (t.high - t.low))) ** 2
    return total


@dataclass
class FitResult:
    """What ``fit`` found.

    Attributes:
        parameters: Fitted values by name.
        start: The starting values (the world's calibration or the declared defaults).
        moments: Simulated moments at the fitted values (percent, mean over the fit's seeds).
        moments_start: Simulated moments at the start.
        objective: The objective at the fitted values.
        objective_start: The objective at the start.
        evaluations: Number of objective evaluations (each a run per seed).
        history: One row per evaluation: ``evaluation, phase, objective`` and the parameters' values.
        settings: How the fit ran (firms, steps, seeds, window, optimiser and its options, seconds).
    """

    parameters: dict[str, float]
    start: dict[str, float]
    moments: dict[str, float]
    moments_start: dict[str, float]
    objective: float
    objective_start: float
    evaluations: int
    history: pd.DataFrame
    settings: dict = field(default_factory=dict)


def fit(
    world: World,
    parameters: Sequence[str] = FITTED,
    *,
    targets: Sequence[Target] = TARGETS,
    seeds: Sequence[int] = FIT_SEEDS,
    n_firms: int = FIT_FIRMS,
    n_steps: int = DEFAULT_STEPS,
    window: int = FIT_WINDOW,
    design_points: int = 16,
    max_evaluations: int = 120,
    start: Mapping[str, float] | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> FitResult:
    """Fit ``parameters`` to the fitted ``TARGETS`` by simulated method of moments with common random numbers.

    The parameters are searched in the unit cube of their declared ranges. Two phases, both deterministic:

    1. **Design**: the start and ``design_points`` points of a scrambled Sobol' sequence (``scipy.stats.qmc.Sobol``,
       seed 0) are evaluated; the best is the second phase's start.
    2. **Local search**: ``scipy.optimize.minimize(method="Nelder-Mead")`` with bounds [0, 1] per coordinate, an
       initial simplex of ±0.1 (a tenth of each range) and ``xatol = 0.01``, ``fatol = 0.05``, until
       ``max_evaluations`` evaluations in all.

    Every evaluation runs the status-quo baseline for every seed in ``seeds`` with those seeds (common random
    numbers); a moment is the mean over the last ``window`` steps of a run, then over seeds.

    Args:
        world: The world (its own calibration, if any, is the start unless ``start`` is given).
        parameters: Names of the fitted parameters (declared in ``simulator.scenario.parameters``).
        targets: The targets (those with ``role == "fit"`` enter the objective).
        seeds: The common random numbers.
        n_firms: Firms per run.
        n_steps: Steps per run after the burn-in.
        window: Steps each moment is averaged over.
        design_points: Points of the initial Sobol' design (0 to skip it).
        max_evaluations: Evaluations in all (design included).
        start: Starting values (default: the world's calibration, then the declared defaults).
        progress: Called after each evaluation with (evaluation, objective, best objective so far).

    Returns:
        The fit, with the moments at the start and at the fitted values.

    Raises:
        KeyError: A parameter is not declared.
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    names = list(parameters)
    decl = [PARAMETERS[n] for n in names]
    lo = np.array([p.minimum for p in decl])
    hi = np.array([p.maximum for p in decl])
    base = {**PARAMETERS.defaults(), **world.calibration, **(start or {})}
    x_start = np.array([base[n] for n in names], dtype=float)

    def to_values(u: np.ndarray) -> dict[str, float]:
        x = lo + np.clip(u, 0.0, 1.0) * (hi - lo)
        return {n: float(round(v, 6)) for n, v in zip(names, x, strict=True)}

    cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}
    rows: list[dict] = []
    t0 = time.perf_counter()

    def evaluate(u: np.ndarray, phase: str) -> float:
        values = to_values(u)
        key = tuple(values.values())
        if key not in cache:
            runs = measure(world, values, seeds, n_firms, n_steps, window)
            moments = {c: float(runs[c].mean()) for c in runs.columns if c != "seed"}
            cache[key] = (objective(moments, targets), moments)
            rows.append({"evaluation": len(rows) + 1, "phase": phase, "objective": cache[key][0], **values})
            best = min(r["objective"] for r in rows)
            log.info("evaluation %d (%s): objective %.3f, best %.3f", len(rows), phase, cache[key][0], best)
            if progress is not None:
                progress(len(rows), cache[key][0], best)
        return cache[key][0]

    u_start = (x_start - lo) / (hi - lo)
    f_start = evaluate(u_start, "start")
    best_u, best_f = u_start, f_start
    if design_points > 0:
        design = qmc.Sobol(len(names), scramble=True, seed=0).random(design_points)
        for u in design:
            if len(rows) >= max_evaluations:
                break
            f = evaluate(u, "design")
            if f < best_f:
                best_u, best_f = u, f
    remaining = max_evaluations - len(rows)
    if remaining > 0:
        simplex = np.vstack([best_u] + [np.clip(best_u + 0.1 * np.eye(len(names))[i], 0, 1) for i in range(len(names))])
        # a coordinate at its upper bound steps down instead, so that the simplex is not degenerate
        for i in range(len(names)):
            if simplex[i + 1, i] == best_u[i]:
                simplex[i + 1, i] = best_u[i] - 0.1
        minimize(
            lambda u: evaluate(u, "nelder-mead"),
            best_u,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * len(names),
            options={"maxfev": remaining, "initial_simplex": simplex, "xatol": 0.01, "fatol": 0.05},
        )
    history = pd.DataFrame(rows)
    # the best point ever evaluated (Nelder–Mead may end on a worse vertex than one it visited)
    best_row = history.loc[history["objective"].idxmin()]
    fitted = {n: float(best_row[n]) for n in names}
    return FitResult(
        parameters=fitted,
        start={n: float(v) for n, v in zip(names, x_start, strict=True)},
        moments=cache[tuple(fitted.values())][1],
        moments_start=cache[tuple(to_values(u_start).values())][1],
        objective=float(best_row["objective"]),
        objective_start=f_start,
        evaluations=len(rows),
        history=history,
        settings={
            "firms": n_firms,
            "steps": n_steps,
            "seeds": list(seeds),
            "window": window,
            "optimiser": "scrambled Sobol' design (scipy.stats.qmc.Sobol, seed 0), then scipy.optimize.minimize "
            "(Nelder-Mead, bounds [0, 1] on each parameter's declared range, initial simplex 0.1, xatol 0.01, "
            "fatol 0.05)",
            "design_points": design_points,
            "max_evaluations": max_evaluations,
            "seconds": round(time.perf_counter() - t0, 1),
        },
    )


def calibration_document(result: FitResult, provenance: Mapping[str, str] | None = None) -> dict:
    """The content of ``data/calibration.yaml`` for a fit: its values, the fit, the targets and how it ran.

    Args:
        result: ``fit``'s result.
        provenance: Extra keys recorded under ``provenance`` (e.g. the code version and the data checksums).
    """
    params = {}
    for name, value in result.parameters.items():
        p = PARAMETERS[name]
        params[name] = {
            "value": value,
            "start": result.start[name],
            "range": [p.minimum, p.maximum],
            "unit": p.unit,
        }
    targets = []
    for t in TARGETS:
        sim = result.moments.get(t.name, float("nan"))
        targets.append(
            {
                "name": t.name,
                "role": t.role,
                "figure": t.figure,
                "target": t.point,
                "band": [t.low, t.high],
                "source": t.source,
                "simulated": round(float(sim), 4),
                "simulated_at_start": round(float(result.moments_start.get(t.name, float("nan"))), 4),
                "inside": bool(t.low <= sim <= t.high),
            }
        )
    return {
        "version": CALIBRATION_VERSION,
        "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
        "method": "simulated method of moments with common random numbers (dlsim calibrate --fit)",
        "objective": round(result.objective, 4),
        "objective_at_start": round(result.objective_start, 4),
        "evaluations": result.evaluations,
        "settings": result.settings,
        "provenance": dict(provenance or {}),
        "parameters": params,
        "targets": targets,
    }


def write_calibration(document: Mapping, path: Path) -> Path:
    """Write a calibration document as YAML atomically (a temporary file, then a rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    header = (
        "# Fitted parameter values of the shipped world, written by `dlsim calibrate --fit` (do not edit by hand:\n"
        "# re-run the fit). The world loader reads `parameters.*.value` of data/calibration.yaml as the model's\n"
        "# defaults for this world; a file of another name (a candidate) is a record only.\n"
    )
    tmp.write_text(header + yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=118))
    tmp.replace(path)
    return path


def _cell(value: object, fmt: str = ".2f") -> str:
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else format(value, fmt)
    return str(value)


def calibration_markdown(document: Mapping) -> str:
    """The calibration report (``docs/calibration.md``) of a calibration document: method, values, fit, validation.

    Args:
        document: The content of ``data/calibration.yaml`` (``calibration_document``).
    """
    settings = document.get("settings", {})
    seeds = settings.get("seeds", [])
    lines = [
        "# Calibration",
        "",
        "<!-- Generated by `dlsim calibrate --fit --report-out docs/calibration.md` from data/calibration.yaml. "
        "Do not edit by hand. -->",
        "",
        f"Fitted on {document.get('fitted', '?')} by {document.get('method', '?')}. A fit adopted as "
        "`data/calibration.yaml` is read by the world loader (`World.calibration`) and the model takes its values "
        "as its defaults on the shipped world, under any scenario's `parameters:`; `dlsim params` shows them beside "
        "the declared defaults.",
        "",
    ]
    status = document.get("status")
    if status == "candidate":
        lines += [
            "**Status: candidate, not adopted** (`data/calibration_candidate.yaml`). "
            + str(document.get("status_note", "")),
            "",
        ]
    elif status == "adopted":
        lines += ["**Status: adopted** (`data/calibration.yaml`). " + str(document.get("status_note", "")), ""]
    lines += [
        "## Method",
        "",
        f"- **Moments.** Each target is measured on the status-quo baseline of the shipped world, "
        f"{settings.get('firms', '?'):,} firms, {settings.get('steps', '?')} steps after the burn-in, as the mean "
        f"over the last {settings.get('window', '?')} steps of a run, then over the seeds {seeds}.",
        "- **Common random numbers.** Every evaluation runs the same seeds, so the objective moves only with the "
        "parameters. The check in `tests/test_model_calibration.py` runs other seeds (1–8) and another size "
        "(5,000 firms, the last step), so it is out of sample in the seeds.",
        "- **Objective.** The sum over the fitted targets of ((simulated − target) / half the target's band)²: a "
        "diagonal weighting by the width of each band.",
        f"- **Optimiser.** {settings.get('optimiser', '?')}; at most {settings.get('max_evaluations', '?')} "
        f"evaluations ({document.get('evaluations', '?')} distinct points evaluated, "
        f"{settings.get('seconds', '?')} s).",
        "- **Bounds.** Each parameter moves only inside its declared range (`docs/parameters.md`).",
        "- **Held-out targets** (role `holdout`) were chosen and committed before the first fit ran "
        "(`simulator/experiment/calibration.py`, `TARGETS`); they never enter the objective and are reported as "
        "validation.",
        "",
        f"Objective: **{document.get('objective', float('nan')):.2f}** at the fitted values, "
        f"{document.get('objective_at_start', float('nan')):.2f} at the start (the declared defaults).",
        "",
        "## Fitted parameters",
        "",
        "| parameter | start | fitted | range | unit |",
        "|---|---|---|---|---|",
    ]
    for name, p in document.get("parameters", {}).items():
        lo, hi = p.get("range", ["?", "?"])
        lines.append(
            f"| `{name}` | {p.get('start', '?'):g} | **{p.get('value'):g}** | {lo:g} – {hi:g} | {p.get('unit')} |"
        )
    lines += [
        "",
        "## Targets",
        "",
        "Simulated values in percent, at the start and at the fitted values (mean over the fit's seeds).",
        "",
        "| target | role | published figure | target | band | at start | fitted | inside | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in document.get("targets", []):
        lo, hi = t.get("band", ["?", "?"])
        lines.append(
            f"| `{t['name']}` | {t['role']} | {t.get('figure', '')} | {_cell(float(t['target']), 'g')} | "
            f"{lo:g} – {hi:g} | {_cell(float(t['simulated_at_start']))} | {_cell(float(t['simulated']))} | "
            f"{'yes' if t.get('inside') else 'no'} | {t.get('source', '')} |"
        )
    held = [t for t in document.get("targets", []) if t["role"] == "holdout"]
    inside = sum(bool(t.get("inside")) for t in held)
    lines += [
        "",
        f"Held out: {inside} of {len(held)} inside their bands at the fitted values.",
        "",
        "Provenance: " + ", ".join(f"{k} `{v}`" for k, v in document.get("provenance", {}).items() if ":" not in k),
        "",
    ]
    return "\n".join(lines)

"""Replications of published studies: the study's scenarios run with ``compare`` and set beside its published table.

``ecipe2014`` reproduces Bauer, Lee-Makiyama, van der Marel & Verschelde (2014), *The Costs of Data Localisation*
(ECIPE Occasional Paper 3/2014): the measures enacted or proposed in 2014 in Brazil, China, the EU, India,
Indonesia, Korea and Vietnam, each against a no-measure counterfactual (``scenarios/ecipe2014_*.yaml``). Every
reform runs with the counterfactual's seed per replicate (common random numbers, ``simulator.experiment.compare``);
the effect of a reform on its own economy — real income (the model's GDP) and real investment at the last step,
% change with a 95 % CI — is set beside the published GDP and investment effects (``data/ecipe2014.csv``), with
the Spearman rank correlation across the seven and whether every sign matches. The study passes when the rank
correlation of the GDP effects is at least ``PASS_SPEARMAN`` and every sign matches (issue 16, item 5).

Used by ``dlsim replicate ecipe2014`` and from Python::

    from simulator.experiment.replication import replicate
    rep = replicate("ecipe2014", firms=10_000, replicates=8)
    rep.table, rep.spearman_gdp, rep.passed
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

from simulator.experiment.compare import ExperimentError, Progress, compare
from simulator.experiment.effects import Effects, paired_stats
from simulator.experiment.store import atomic_write_bytes, shard_path

PASS_SPEARMAN = 0.6
"""Smallest Spearman rank correlation of the GDP effects across the economies for the replication to pass."""

GDP_METRICS: tuple[str, ...] = ("real_income", "real_output", "output")
"""The model's GDP: the first of these the model reports (economy level)."""
INVESTMENT_METRICS: tuple[str, ...] = ("real_investment", "investment")
"""The model's investment: the first of these the model reports (economy level)."""

DEFAULT_WINDOW = 8
"""Steps averaged at the end of the runs (two years of quarters): a GTAP result is a new steady state, and one
step of one economy is noisy; the pairs are the per-replicate window means."""

TABLE = "replication.csv"
"""The side-by-side table written into the results folder."""
SUMMARY = "replication.json"
"""The rank correlations, signs and verdict written into the results folder."""

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Study:
    """A published study the model reproduces.

    Attributes:
        name: Short name (``dlsim replicate NAME``).
        citation: The publication.
        published: The published table, ``data/<file>``: one row per economy with ``iso3`` and ``economy``.
        counterfactual: The scenario file of the counterfactual (``scenarios/``).
        reform_pattern: The reform file of an economy, formatted with ``iso3`` in lower case.
        gdp_column: The published GDP effect (%); the study covers the economies with a value in it.
        investment_column: The published investment effect (%), if the study has one.
    """

    name: str
    citation: str
    published: str
    counterfactual: str
    reform_pattern: str
    gdp_column: str = "gdp_pct"
    investment_column: str | None = "investment_pct"


STUDIES: dict[str, Study] = {
    "ecipe2014": Study(
        name="ecipe2014",
        citation=(
            "Bauer, Lee-Makiyama, van der Marel & Verschelde (2014), The Costs of Data Localisation: A Friendly Fire "
            "on Economic Recovery, ECIPE Occasional Paper 3/2014"
        ),
        published="ecipe2014.csv",
        counterfactual="ecipe2014_counterfactual.yaml",
        reform_pattern="ecipe2014_{iso3}.yaml",
    ),
    "ecipe2014-wide": Study(
        name="ecipe2014-wide",
        citation=(
            "Bauer, Lee-Makiyama, van der Marel & Verschelde (2014), The Costs of Data Localisation, ECIPE Occasional "
            "Paper 3/2014: economy-wide data localisation"
        ),
        published="ecipe2014.csv",
        counterfactual="ecipe2014_counterfactual.yaml",
        reform_pattern="ecipe2014_wide_{iso3}.yaml",
        gdp_column="gdp_economy_wide_pct",
        investment_column=None,
    ),
}
"""The studies ``replicate`` knows, by name."""


@dataclass
class Replication:
    """A replication's result.

    Attributes:
        study: The study reproduced.
        table: One row per economy: published and simulated GDP and investment effects (% with 95 % CI), signs.
        gdp_metric: The metric read as GDP.
        investment_metric: The metric read as investment.
        spearman_gdp: Spearman rank correlation of published and simulated GDP effects.
        spearman_gdp_p: Its two-sided p-value (scipy.stats.spearmanr; with 7 economies only rho ≥ 0.79 is
            significant at 5 %).
        spearman_investment: The same for investment.
        signs_match: Whether every simulated GDP effect has the published sign.
        settings: Firms, steps, replicates and seed of the runs.
        root: The results folder (``compare``'s, plus ``replication.csv`` and ``replication.json``).
        notes: Remarks from the compare (missing runs).
    """

    study: Study
    table: pd.DataFrame
    gdp_metric: str
    investment_metric: str | None
    spearman_gdp: float
    spearman_gdp_p: float
    spearman_investment: float
    signs_match: bool
    settings: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the rank correlation of GDP effects reaches ``PASS_SPEARMAN`` and every sign matches."""
        return bool(self.signs_match and math.isfinite(self.spearman_gdp) and self.spearman_gdp >= PASS_SPEARMAN)

    def summary(self) -> dict[str, Any]:
        """The verdict and its numbers as plain values (``replication.json``)."""
        return {
            "study": self.study.name,
            "citation": self.study.citation,
            "gdp_metric": self.gdp_metric,
            "investment_metric": self.investment_metric,
            "spearman_gdp": self.spearman_gdp,
            "spearman_gdp_p": self.spearman_gdp_p,
            "spearman_investment": self.spearman_investment,
            "signs_match": self.signs_match,
            "pass_spearman": PASS_SPEARMAN,
            "passed": self.passed,
            "settings": self.settings,
            "notes": list(self.notes),
        }


def study(name: str) -> Study:
    """The study called ``name``.

    Raises:
        ExperimentError: No such study.
    """
    try:
        return STUDIES[name.strip().lower()]
    except KeyError:
        raise ExperimentError(
            f"no replication study called {name!r}", f"known studies: {', '.join(sorted(STUDIES))}"
        ) from None


def published_table(s: Study, data_dir: Path | str | None = None) -> pd.DataFrame:
    """The study's published table (``data/<file>``): iso3, economy, gdp_pct, investment_pct (NaN if none).

    The rows are the economies with a published GDP effect in the study's column.

    Raises:
        ExperimentError: The file is missing, or lacks a column, or a value is not a number.
    """
    path = Path(data_dir or ROOT / "data") / s.published
    if not path.is_file():
        raise ExperimentError(f"{path}: the published table of {s.name} is missing", "restore it from git")
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{path}: not a readable CSV table ({exc})", "restore it from git") from None
    wanted = [c for c in ("iso3", "economy", s.gdp_column, s.investment_column) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ExperimentError(f"{path}: column(s) {', '.join(missing)} missing", "see its .meta.yaml sidecar")
    numeric = [c for c in (s.gdp_column, s.investment_column) if c]
    if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in numeric):
        raise ExperimentError(f"{path}: columns {', '.join(numeric)} must hold numbers", "see its .meta.yaml sidecar")
    frame = frame[frame[s.gdp_column].notna()]
    if s.investment_column and frame[s.investment_column].isna().any():
        raise ExperimentError(
            f"{path}: column {s.investment_column} must hold a number on every row with a {s.gdp_column}",
            "see its .meta.yaml sidecar",
        )
    out = pd.DataFrame({"iso3": frame["iso3"], "economy": frame["economy"], "gdp_pct": frame[s.gdp_column]})
    out["investment_pct"] = frame[s.investment_column] if s.investment_column else np.nan
    return out.reset_index(drop=True)


def study_files(s: Study, economies: Sequence[str], scenarios_dir: Path | str | None = None) -> tuple[Path, list[Path]]:
    """The counterfactual file and one reform file per economy.

    Raises:
        ExperimentError: A file is missing.
    """
    where = Path(scenarios_dir or ROOT / "scenarios")
    base = where / s.counterfactual
    reforms = [where / s.reform_pattern.format(iso3=iso.lower()) for iso in economies]
    for path in (base, *reforms):
        if not path.is_file():
            raise ExperimentError(f"{path}: scenario of the {s.name} replication missing", "restore it from git")
    return base, reforms


def _first(available: set[str], names: Sequence[str]) -> str | None:
    return next((n for n in names if n in available), None)


def _spearman(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return math.nan, math.nan
    res = stats.spearmanr(x[ok], y[ok])
    return float(res.statistic), float(res.pvalue)


def economy_values(root: Path, scenario: str, replicates: Sequence[int], metrics: Sequence[str]) -> pd.DataFrame:
    """Economy-level values of ``metrics`` in a results folder's run shards: replicate, step, metric, group, value."""
    frames = []
    for r in replicates:
        t = pq.read_table(
            shard_path(root, scenario, r),
            columns=["step", "metric", "level", "group", "value"],
            filters=[("level", "==", "economy"), ("metric", "in", list(metrics))],
        ).to_pandas()
        t = t.astype({"metric": str, "group": str})
        t["replicate"] = r
        frames.append(t.drop(columns="level"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def window_effects(
    root: Path, manifest: dict[str, Any], reforms: dict[str, str], metrics: Sequence[str], window: int
) -> pd.DataFrame:
    """Paired effect of each reform on its own economy, averaged over the last ``window`` steps.

    Per replicate, the mean of each metric over the last ``window`` steps in the reform and in the counterfactual
    (same seed) form one pair; ``effects.paired_stats`` gives the % change with its 95 % CI (delta method).

    Args:
        root: The results folder of the compare.
        manifest: Its manifest.
        reforms: The reform scenario of each economy (iso3 → scenario name).
        metrics: The metrics to average.
        window: Steps averaged, ending at the last step (1 = the last step only).

    Returns:
        One row per economy and metric: iso3, metric, n, pct, pct_lo, pct_hi.
    """
    baseline = manifest["baseline"]
    done = {(r["scenario"], int(r["replicate"])) for r in manifest["runs"] if r.get("status") == "done"}
    base_reps = {r for s, r in done if s == baseline}
    rows = []
    cache: dict[str, pd.Series] = {}

    def means(scenario: str, reps: list[int]) -> pd.Series:
        if scenario not in cache:
            v = economy_values(root, scenario, reps, metrics)
            last = int(v["step"].max())
            v = v[v["step"] > last - window]
            cache[scenario] = v.groupby(["metric", "group", "replicate"])["value"].mean()
        return cache[scenario]

    for iso, scenario in reforms.items():
        reps = sorted(base_reps & {r for s, r in done if s == scenario})
        if not reps:
            continue
        base, reform = means(baseline, sorted(base_reps)), means(scenario, reps)
        for metric in metrics:
            x = np.array([[base.get((metric, iso, r), np.nan) for r in reps]])
            y = np.array([[reform.get((metric, iso, r), np.nan) for r in reps]])
            st = paired_stats(x, y)
            rows.append({"iso3": iso, "metric": metric, **{k: st[k][0] for k in ("n", "pct", "pct_lo", "pct_hi")}})
    return pd.DataFrame(rows, columns=["iso3", "metric", "n", "pct", "pct_lo", "pct_hi"])


def side_by_side(
    fx: Effects, published: pd.DataFrame, reforms: dict[str, str], window: int = 1
) -> tuple[pd.DataFrame, str, str | None]:
    """Published and simulated effects per economy from the compare's results.

    Args:
        fx: The compare's effects (reforms against the counterfactual), with its results folder.
        published: The published table.
        reforms: The reform scenario name of each economy (iso3 → name).
        window: Steps averaged at the end of the runs (``window_effects``); 1 reads the last step of
            ``effects.parquet``.

    Returns:
        The table, the GDP metric and the investment metric used.

    Raises:
        ExperimentError: The effects hold no GDP metric at economy level.
    """
    f = fx.frame
    available = set(f.loc[f["level"] == "economy", "metric"].astype(str).unique())
    gdp = _first(available, GDP_METRICS)
    inv = _first(available, INVESTMENT_METRICS)
    if gdp is None:
        raise ExperimentError(
            f"the results hold none of {', '.join(GDP_METRICS)} at economy level", "rerun with a current model"
        )
    metrics = [m for m in (gdp, inv) if m]
    if window > 1 and fx.root is not None:
        fxw = window_effects(Path(fx.root), fx.manifest, reforms, metrics, window)
    else:
        parts = []
        for metric in metrics:
            for iso, name in reforms.items():
                got = fx.get(metric, "economy", iso)
                got = got[got["scenario"] == name]
                if not got.empty:
                    r = got.iloc[0]
                    parts.append(
                        {"iso3": iso, "metric": metric, "n": r.n, "pct": r.pct, "pct_lo": r.pct_lo, "pct_hi": r.pct_hi}
                    )
        fxw = pd.DataFrame(parts, columns=["iso3", "metric", "n", "pct", "pct_lo", "pct_hi"])
    got = fxw.set_index(["iso3", "metric"])
    rows = []
    for p in published.itertuples(index=False):
        row: dict[str, Any] = {"iso3": p.iso3, "economy": p.economy, "scenario": reforms[p.iso3]}
        for key, metric, pub in (("gdp", gdp, p.gdp_pct), ("investment", inv, p.investment_pct)):
            row[f"published_{key}_pct"] = float(pub)
            if metric is None or (p.iso3, metric) not in got.index:
                row.update({f"simulated_{key}_pct": math.nan, f"{key}_lo": math.nan, f"{key}_hi": math.nan})
                continue
            r = got.loc[(p.iso3, metric)]
            row.update({f"simulated_{key}_pct": r.pct, f"{key}_lo": r.pct_lo, f"{key}_hi": r.pct_hi})
            if key == "gdp":
                row["n"] = int(r.n)
        rows.append(row)
    table = pd.DataFrame(rows)
    for key in ("gdp", "investment"):
        sim, pub = table[f"simulated_{key}_pct"], table[f"published_{key}_pct"]
        table[f"{key}_sign_match"] = (np.sign(sim) == np.sign(pub)).where(pub.notna())
        table[f"{key}_ci_excludes_zero"] = (table[f"{key}_lo"] > 0) | (table[f"{key}_hi"] < 0)
    table["published_gdp_rank"] = table["published_gdp_pct"].rank(method="average")
    table["simulated_gdp_rank"] = table["simulated_gdp_pct"].rank(method="average")
    return table, gdp, inv


def replicate(
    name: str,
    *,
    firms: int | None = None,
    steps: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    window: int = DEFAULT_WINDOW,
    out: Path | str | None = None,
    executor: str = "processes",
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
    data_dir: Path | str | None = None,
    scenarios_dir: Path | str | None = None,
    progress: Progress | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
) -> Replication:
    """Run a study's reforms against its counterfactual and set the effects beside the published table.

    Args:
        name: The study (``STUDIES``), e.g. ``ecipe2014``.
        firms: Firms per run (default: the counterfactual file's ``run.firms``).
        steps: Steps per run (default: the file's ``run.steps``).
        replicates: Paired replicates (default: the file's ``run.replicates``).
        seed: Root seed (default: the file's ``run.seed``).
        window: Steps averaged at the end of the runs (``DEFAULT_WINDOW``; 1 = the last step), at most ``steps``.
        out: Results folder (default: ``results/replicate_<name>``).
        executor: ``serial``, ``processes`` or ``dask`` (as ``compare``).
        workers: Worker processes.
        resume: Keep the finished runs of ``out``.
        force: Replace ``out``.
        data_dir: World data directory (default: ``data/``); the published table is read from it too.
        scenarios_dir: Where the study's scenario files are (default: ``scenarios/``).
        progress: Called after each run.
        on_start: Called with the manifest before the first run.

    Returns:
        The replication (also written to ``replication.csv`` and ``replication.json`` in the results folder).

    Raises:
        ExperimentError: Unknown study, missing files, or a compare that cannot run.
        StoreError, ScenarioError, WorldDataError: As ``compare``.
    """
    s = study(name)
    if window < 1:
        raise ExperimentError(f"window {window} must be 1 or more", "use the default (8 steps) or 1 for the last step")
    published = published_table(s, data_dir)
    base, reforms = study_files(s, list(published["iso3"]), scenarios_dir)
    target = Path(out) if out is not None else Path("results") / f"replicate_{s.name}"
    fx = compare(
        base,
        reforms,
        replicates=replicates,
        firms=firms,
        steps=steps,
        seed=seed,
        out=target,
        executor=executor,
        workers=workers,
        resume=resume,
        force=force,
        data_dir=data_dir,
        progress=progress,
        on_start=on_start,
    )
    names = {iso: _scenario_name(fx, path) for iso, path in zip(published["iso3"], reforms, strict=True)}
    run_steps = int(fx.manifest.get("settings", {}).get("steps") or window)
    window = min(window, run_steps)
    table, gdp, inv = side_by_side(fx, published, names, window)
    rho, p = _spearman(table["published_gdp_pct"], table["simulated_gdp_pct"])
    rho_inv, _ = _spearman(table["published_investment_pct"], table["simulated_investment_pct"])
    settings = {k: fx.manifest.get("settings", {}).get(k) for k in ("firms", "steps", "replicates")}
    settings["seed"] = fx.manifest.get("seed", {}).get("entropy")
    settings["window"] = window
    rep = Replication(
        study=s,
        table=table,
        gdp_metric=gdp,
        investment_metric=inv,
        spearman_gdp=rho,
        spearman_gdp_p=p,
        spearman_investment=rho_inv,
        signs_match=bool(table["gdp_sign_match"].all()),
        settings=settings,
        root=fx.root,
        notes=list(fx.notes),
    )
    if fx.root is not None:
        table.to_csv(Path(fx.root) / TABLE, index=False)
        atomic_write_bytes(Path(fx.root) / SUMMARY, json.dumps(rep.summary(), indent=2).encode())
    return rep


def _scenario_name(fx: Effects, path: Path) -> str:
    """The name under which ``compare`` recorded the scenario of ``path``."""
    for scenario, record in fx.manifest.get("scenarios", {}).items():
        if Path(record.get("file", "")) == Path(path):
            return str(scenario)
    return path.stem


__all__ = ["PASS_SPEARMAN", "STUDIES", "Replication", "Study", "published_table", "replicate", "side_by_side"]

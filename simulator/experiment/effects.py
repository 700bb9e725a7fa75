"""Paired effects of reforms against the baseline, with confidence intervals, from a results folder's run shards.

Every reform run shares its seed with the baseline run of the same replicate (common random numbers), so the
effect is estimated from the paired differences ``reform − baseline`` per replicate:

* ``diff``: mean paired difference, with a t-based 95 % confidence interval (``n − 1`` degrees of freedom);
* ``pct`` = 100 · (reform mean / baseline mean − 1), with a 95 % interval from the delta method on the ratio of the
  paired means: Var(R̂) ≈ Var(y − R̂ x) / (n · x̄²), the same t quantile;
* ``diff_usd``: the difference in US dollars of the data's base year for money metrics (model money is billions);
* ``distinguishable``: the interval of ``diff`` excludes 0.

Rows whose value is not finite in a replicate (a ratio with an empty denominator) leave that replicate out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from simulator.experiment.catalogue import MetricInfo, headline_metrics
from simulator.experiment.store import EFFECTS, PAIRED, StoreError, dictionary_columns, read_manifest, shard_path

KEYS: tuple[str, ...] = ("metric", "level", "group", "step")
"""Columns that identify a value within a run."""

USD_PER_MODEL_MONEY = 1e9
"""US dollars per unit of model money (billions)."""

PAIRED_LEVELS: frozenset[str] = frozenset({"world", "region", "income_group", "development", "region_pair"})
"""Levels written to ``paired.parquet`` (per-replicate differences; economy, sector and size are left out to keep
the file small — their effects and intervals are in ``effects.parquet``, their per-replicate values in the run
shards. With economies the file is four times larger: 57 MB instead of 14 MB at the ``make run`` settings;
docs/experiments.md)."""

HEADLINE_PLACES: tuple[tuple[str, str], ...] = (
    ("world", "world"),
    ("region", "LAC"),
    ("region", "AFR"),
    ("development", "developing"),
)
"""(level, group) pairs shown in the headline."""

PRECISION = 0.5
"""An effect is called imprecise when its CI half-width exceeds this share of the effect."""

EFFECT_COLUMNS: tuple[str, ...] = (
    "scenario",
    "baseline",
    "metric",
    "level",
    "group",
    "step",
    "year",
    "unit",
    "direction",
    "family",
    "n",
    "baseline_mean",
    "reform_mean",
    "diff",
    "diff_lo",
    "diff_hi",
    "pct",
    "pct_lo",
    "pct_hi",
    "diff_usd",
    "distinguishable",
)
"""Columns of ``effects.parquet``, in order."""


def _t975(dof: np.ndarray) -> np.ndarray:
    """The 97.5 % quantile of Student's t for each of ``dof`` (computed once per distinct value)."""
    values, inverse = np.unique(dof, return_inverse=True)
    return stats.t.ppf(0.975, values)[inverse].reshape(np.shape(dof))


def paired_stats(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Paired statistics row by row of two ``(keys, replicates)`` arrays (baseline ``x``, reform ``y``).

    Returns:
        Arrays per key: ``n``, ``baseline_mean``, ``reform_mean``, ``diff``, ``diff_lo``, ``diff_hi``, ``pct``,
        ``pct_lo``, ``pct_hi`` (NaN where undefined: fewer than 2 pairs for intervals, a zero baseline for %).
    """
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=1)
    xm, ym = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        nn = np.where(n > 0, n, np.nan)
        xbar, ybar = xm.sum(axis=1) / nn, ym.sum(axis=1) / nn
        d = ym - xm
        dbar = d.sum(axis=1) / nn
        dev = np.where(ok, d - dbar[:, None], 0.0)
        dof = np.where(n > 1, n - 1, np.nan)
        sd = np.sqrt((dev * dev).sum(axis=1) / dof)
        tq = _t975(dof)
        hw = tq * sd / np.sqrt(nn)
        ratio = np.where(xbar != 0, ybar / xbar, np.nan)
        resid = np.where(ok, (y - ratio[:, None] * x) / xbar[:, None], 0.0)
        rdev = np.where(ok, resid - (resid.sum(axis=1) / nn)[:, None], 0.0)
        se_ratio = np.sqrt((rdev * rdev).sum(axis=1) / dof / nn)
        pct = 100.0 * (ratio - 1.0)
        pct_hw = 100.0 * tq * se_ratio
    return {
        "n": n.astype(np.int64),
        "baseline_mean": xbar,
        "reform_mean": ybar,
        "diff": dbar,
        "diff_lo": dbar - hw,
        "diff_hi": dbar + hw,
        "pct": pct,
        "pct_lo": pct - pct_hw,
        "pct_hi": pct + pct_hw,
    }


def replicates_needed(n: int, diff: float, lo: float, hi: float, target: float = PRECISION) -> int | None:
    """Replicates for a CI half-width of at most ``target`` × |diff| (half-width ∝ 1/√n), ``None`` if diff is 0."""
    half = (hi - lo) / 2.0
    if not (math.isfinite(half) and math.isfinite(diff)) or diff == 0 or n < 2:
        return None
    return max(n, math.ceil(n * (half / (target * abs(diff))) ** 2))


def _read_shard(path: Path) -> pd.DataFrame:
    return pq.read_table(path, columns=[*KEYS, "year", "value"]).to_pandas()


def _key_equal(x: pd.Series, y: pd.Series) -> bool:
    """Whether two key columns hold the same values in the same order (categoricals compared by their codes)."""
    if isinstance(x.dtype, pd.CategoricalDtype) and isinstance(y.dtype, pd.CategoricalDtype):
        if x.cat.categories.equals(y.cat.categories):
            return np.array_equal(x.cat.codes.to_numpy(), y.cat.codes.to_numpy())
    return np.array_equal(x.to_numpy(), y.to_numpy())


def _same_keys(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    return all(_key_equal(a[c], b[c]) for c in KEYS)


class _Values:
    """The values of one scenario's runs aligned on the reference keys, ``(keys, replicates)``."""

    def __init__(self, ref: pd.DataFrame) -> None:
        self.ref = ref
        self.index = pd.MultiIndex.from_frame(ref[list(KEYS)])

    def column(self, frame: pd.DataFrame) -> np.ndarray:
        if _same_keys(frame, self.ref):
            return frame["value"].to_numpy(dtype=float)
        series = frame.set_index(list(KEYS))["value"]
        return series.reindex(self.index).to_numpy(dtype=float)

    def matrix(self, root: Path, scenario: str, replicates: Sequence[int]) -> np.ndarray:
        out = np.full((len(self.ref), len(replicates)), np.nan)
        for j, r in enumerate(replicates):
            out[:, j] = self.column(_read_shard(shard_path(root, scenario, r)))
        return out


def compute_effects(
    root: Path, manifest: dict[str, Any], catalogue: dict[str, MetricInfo]
) -> tuple[pd.DataFrame, list[str]]:
    """Compute ``effects.parquet`` and ``paired.parquet`` of a results folder from its finished runs.

    Args:
        root: The results folder.
        manifest: Its manifest (``baseline``, ``scenarios``, ``runs``).
        catalogue: The metric catalogue by name (unit, direction, family, money).

    Returns:
        The effects table and notes (reforms without paired runs, runs left out).

    Raises:
        StoreError: The baseline has no finished run.
    """
    baseline = manifest["baseline"]
    done = {(r["scenario"], int(r["replicate"])) for r in manifest["runs"] if r.get("status") == "done"}
    base_reps = sorted(r for s, r in done if s == baseline)
    notes: list[str] = []
    if not base_reps:
        raise StoreError(f"the baseline {baseline!r} has no finished run: no effect can be computed")
    ref = _read_shard(shard_path(root, baseline, base_reps[0]))
    vals = _Values(ref)
    base = vals.matrix(root, baseline, base_reps)
    key_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    for c in ("metric", "level", "group"):
        col = ref[c] if isinstance(ref[c].dtype, pd.CategoricalDtype) else ref[c].astype("category")
        key_codes[c] = (col.cat.codes.to_numpy(dtype=np.int32), [str(x) for x in col.cat.categories])
    keys = ref[[*KEYS, "year"]].astype({"metric": str, "level": str, "group": str})
    metric = keys["metric"].to_numpy()
    names = pd.unique(metric)
    unit = pd.Series({m: (catalogue[m].unit if m in catalogue else "") for m in names})
    direction = pd.Series({m: (catalogue[m].direction if m in catalogue else 0) for m in names})
    family = pd.Series({m: (catalogue[m].family if m in catalogue else "economy") for m in names})
    money = pd.Series({m: (catalogue[m].money if m in catalogue else False) for m in names})
    per_key = pd.DataFrame(
        {
            "unit": unit.reindex(metric).to_numpy(),
            "direction": direction.reindex(metric).to_numpy().astype(np.int64),
            "family": family.reindex(metric).to_numpy(),
            "money": money.reindex(metric).to_numpy().astype(bool),
        }
    )
    paired_sel = np.flatnonzero(keys["level"].isin(PAIRED_LEVELS).to_numpy())
    frames = []
    paired_path = root / PAIRED
    tmp_paired = root / f".{PAIRED}.tmp"
    writer: pq.ParquetWriter | None = None
    try:
        for scenario in manifest["scenarios"]:
            if scenario == baseline:
                continue
            reps = sorted(r for s, r in done if s == scenario and r in set(base_reps))
            if not reps:
                notes.append(f"{scenario}: no finished run paired with a baseline run; no effect computed")
                continue
            missing = sorted(set(base_reps) - set(reps))
            if missing:
                notes.append(f"{scenario}: replicates {missing} not finished; effects from {len(reps)} pair(s)")
            cols = [base_reps.index(r) for r in reps]
            x = base[:, cols]
            y = vals.matrix(root, scenario, reps)
            st = paired_stats(x, y)
            eff = pd.concat([keys.reset_index(drop=True), per_key], axis=1)
            eff.insert(0, "scenario", scenario)
            eff.insert(1, "baseline", baseline)
            for k, v in st.items():
                eff[k] = v
            eff["diff_usd"] = np.where(eff["money"], eff["diff"] * USD_PER_MODEL_MONEY, np.nan)
            eff["distinguishable"] = (eff["diff_lo"] > 0) | (eff["diff_hi"] < 0)
            frames.append(eff[list(EFFECT_COLUMNS)])
            # per-replicate pairs (aggregate levels only)
            k = paired_sel.size
            xs, ys = x[paired_sel], y[paired_sel]
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = np.where(xs != 0, 100.0 * (ys / xs - 1.0), np.nan)
            n_r = len(reps)
            columns: dict[str, pa.Array] = {
                "scenario": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(k * n_r, dtype=np.int32)), pa.array([scenario])
                ).cast(pa.string()),
                "replicate": pa.array(np.tile(np.asarray(reps, dtype=np.int64), k)),
            }
            for c in ("metric", "level", "group"):
                codes, cats = key_codes[c]
                columns[c] = pa.DictionaryArray.from_arrays(
                    pa.array(np.repeat(codes[paired_sel], n_r)), pa.array(cats, type=pa.string())
                ).cast(pa.string())
            columns["step"] = pa.array(np.repeat(keys["step"].to_numpy(dtype=np.int64)[paired_sel], n_r))
            columns["year"] = pa.array(np.repeat(keys["year"].to_numpy(dtype=float)[paired_sel], n_r))
            for name, arr in (("baseline", xs), ("reform", ys), ("diff", ys - xs), ("pct", pct)):
                columns[name] = pa.array(np.asarray(arr, dtype=float).ravel())
            table = pa.Table.from_pydict(columns)
            if writer is None:
                writer = pq.ParquetWriter(
                    tmp_paired, table.schema, compression="zstd", use_dictionary=dictionary_columns(table.schema)
                )
            writer.write_table(table)
        if writer is not None:
            writer.close()
            writer = None
            tmp_paired.replace(paired_path)
    finally:
        if writer is not None:
            writer.close()
        tmp_paired.unlink(missing_ok=True)
    if frames:
        effects = pd.concat(frames, ignore_index=True)
    else:
        effects = pd.DataFrame({c: pd.Series(dtype=object) for c in EFFECT_COLUMNS})
    return effects, notes


@dataclass
class Effects:
    """The effects of reforms against a baseline: a tidy table with confidence intervals, and helpers.

    Attributes:
        frame: ``effects.parquet``: one row per (scenario, metric, level, group, step) (see ``EFFECT_COLUMNS``).
        manifest: The results folder's manifest (settings, seeds, runs, versions).
        root: The results folder, if the effects were read from or written to one.
        notes: Remarks on missing or failed runs.
    """

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path | str) -> Effects:
        """Read the effects of a results folder written by ``compare``."""
        root = Path(root)
        manifest = read_manifest(root)
        path = root / EFFECTS
        if not path.is_file():
            raise StoreError(f"{root} has no {EFFECTS}", "rerun the compare with --resume to finish it")
        return cls(pd.read_parquet(path), manifest, root)

    @property
    def paired(self) -> pd.DataFrame:
        """``paired.parquet``: per-replicate differences at the aggregate levels (read on demand)."""
        if self.root is None or not (self.root / PAIRED).is_file():
            return pd.DataFrame()
        return pd.read_parquet(self.root / PAIRED)

    @property
    def scenarios(self) -> list[str]:
        """The reforms, in the order given."""
        return [str(s) for s in pd.unique(self.frame["scenario"])]

    def last_step(self) -> int:
        """The last step of the runs."""
        return int(self.frame["step"].max())

    def get(self, metric: str, level: str = "world", group: str = "world", step: int | None = None) -> pd.DataFrame:
        """The rows of one metric at one group and step (default: the last), one per reform."""
        f = self.frame
        step = self.last_step() if step is None else step
        sel = (f["metric"] == metric) & (f["level"] == level) & (f["group"] == group) & (f["step"] == step)
        return f[sel].reset_index(drop=True)

    def headline(self, step: int | None = None, places: Sequence[tuple[str, str]] = HEADLINE_PLACES) -> pd.DataFrame:
        """The headline metrics at ``places`` and ``step`` (default: the last), one row per reform × metric × place.

        Headline metrics: ``catalogue.HEADLINE_CANDIDATES`` (``real_income`` when the model has it, else
        ``real_output``), in that order.
        """
        f = self.frame
        step = self.last_step() if step is None else step
        metrics = headline_metrics(frozenset(f["metric"].astype(str).unique()))
        sel = f[(f["step"] == step) & f["metric"].isin(metrics)]
        place = pd.Series(list(zip(sel["level"], sel["group"], strict=True)), index=sel.index)
        sel = sel[place.isin(list(places))].copy()
        order = {m: i for i, m in enumerate(metrics)}
        rank = {p: i for i, p in enumerate(places)}
        sel["_m"] = sel["metric"].map(order)
        sel["_p"] = [rank[(a, b)] for a, b in zip(sel["level"], sel["group"], strict=True)]
        sel["_s"] = sel["scenario"].map({s: i for i, s in enumerate(self.scenarios)})
        return sel.sort_values(["_s", "_m", "_p"]).drop(columns=["_m", "_p", "_s"]).reset_index(drop=True)

    def warnings(self, step: int | None = None) -> list[str]:
        """One sentence per headline effect that cannot be told from zero or whose CI is wider than ±50 % of it.

        Each says how many replicates would narrow the interval to ±50 % of the effect (half-width ∝ 1/√n).
        """
        out = []
        for row in self.headline(step).itertuples(index=False):
            where = row.group if row.level != "world" else "world"
            what = f"{row.scenario}: {row.metric} ({where})"
            n = int(row.n)
            if n < 2:
                out.append(f"{what}: {n} paired replicate(s) give no confidence interval; use --replicates 2 or more")
                continue
            if row.diff == 0 and row.diff_lo == row.diff_hi:
                continue  # identical in every replicate: the reform does not move it
            need = replicates_needed(n, row.diff, row.diff_lo, row.diff_hi)
            more = f"; about {need} replicates would narrow the CI to ±50 % of the effect" if need else ""
            if not row.distinguishable:
                out.append(
                    f"{what}: effect {row.diff:+.4g} cannot be told from zero "
                    f"(95 % CI {row.diff_lo:+.4g} to {row.diff_hi:+.4g}, n = {n}){more}"
                )
            elif (row.diff_hi - row.diff_lo) / 2 > PRECISION * abs(row.diff):
                out.append(
                    f"{what}: CI half-width {(row.diff_hi - row.diff_lo) / 2:.3g} exceeds 50 % of the effect "
                    f"{row.diff:+.4g} (n = {n}){more}"
                )
        return out

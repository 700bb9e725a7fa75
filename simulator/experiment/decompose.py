"""Decomposition of a reform's effect by lever (its provisions) and by channel (the model's mechanisms).

``compare --decompose`` reruns each reform, within each replicate and from the replicate's seed (common random
numbers), with some of its *components* neutralised:

* **levers**: the provisions of the reform file — every rule, agreement, payment arrangement, connectivity
  programme, cloud-region opening or e-commerce item the reform adds to the baseline (an item it replaces by ``id``
  is one lever: neutralised, the baseline's version is back), every baseline item it drops, and its parameter
  changes (one lever, ``parameters``). Neutralising a lever compiles the reform without it (its policy events go).
* **channels**: the model's mechanisms (``simulator.experiment.channels``): compliance, data access and bans,
  hosting, payments, trust, connectivity, trade costs — only those the reform touches (whose cost tables differ from
  the baseline's at some step) — and ``parameters`` if the reform changes any. Neutralising a channel makes its cost
  tables follow the baseline's rules while everything else follows the reform.

For a coalition S of active components, v(S) is the paired % difference of the reform run with only S active
against the baseline run of the same replicate; v(all) is the reform's effect and v(∅) = 0 (the baseline). Two
attributions, per replicate and then averaged over replicates (95 % t intervals across replicates):

* ``one_at_a_time``: component i's effect is v(all) − v(all without i), what is lost when i alone is neutralised;
  the row ``interaction`` is v(all) minus their sum (what one-at-a-time leaves unattributed);
* ``shapley`` (≤ ``MAX_SHAPLEY`` components, every coalition run): φ_i = Σ_S |S|!(k−|S|−1)!/k! (v(S ∪ i) − v(S));
  the φ_i sum to v(all) exactly, in every replicate.

The effect measured is the % difference of the metric averaged over the last year of the run (the last
1/step_years steps), for the headline metrics at the world, region and development levels; ``total`` rows hold
v(all). ``share`` = effect / total effect (mean over replicates of each).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

from simulator.experiment.channels import (
    CHANNEL_DEFINITIONS,
    CHANNELS,
    NEUTRALISATION,
    active_channels,
    channel_tables,
)
from simulator.experiment.store import shard_path
from simulator.experiment.tasks import ScenarioSpec

KINDS: tuple[str, ...] = ("lever", "channel")
"""Kinds of component (``kind`` column)."""
MAX_SHAPLEY = 6
"""Most components for which Shapley values are computed (all 2^k coalitions are run)."""
LEVELS: tuple[str, ...] = ("world", "region", "development")
"""Levels of ``decomposition.parquet``."""
DECOMPOSITION_DIR = "decomposition"
"""Sub-folder of the results folder holding the decomposition's runs (a results store of its own)."""
PARAMETERS_COMPONENT = "parameters"
"""The component standing for a reform's parameter changes."""

COLUMNS: tuple[str, ...] = (
    "scenario",
    "kind",
    "component",
    "method",
    "metric",
    "level",
    "group",
    "effect",
    "effect_lo",
    "effect_hi",
    "share",
    "n",
    "label",
)
"""Columns of ``decomposition.parquet`` (the contract's, then ``n`` paired replicates and a readable ``label``)."""


@dataclass(frozen=True)
class Component:
    """One component of a reform: a lever (a provision) or a channel (a mechanism).

    Attributes:
        name: Name in results (``component`` column): ``agreements.afcfta_dtp``, ``hosting``, ``parameters``, ...
        kind: ``lever`` or ``channel``.
        label: What it is, in words.
        section: For a lever item: its scenario section.
        new: For a lever item: the item the reform adds (``Sourced``), if any.
        old: For a lever item: the baseline's item it replaces or drops (``Sourced``), if any.
    """

    name: str
    kind: str
    label: str
    section: str = ""
    new: Any = None
    old: Any = None


def _describe(section: str, item: Any) -> str:
    for attr in ("name", "note"):
        text = getattr(item, attr, None)
        if text:
            return str(text)
    return f"{section} item {item.id}" if getattr(item, "id", None) else f"{section} item"


def lever_components(baseline: Any, reform: Any) -> list[Component]:
    """The provisions by which ``reform`` differs from ``baseline``, by section and in the reform's order.

    Sections in ``LIST_SECTIONS`` order (rules, agreements, payments, ...), then ``parameters``. An item is shared
    when an equal item is in the same section of both; a reform item whose ``id`` matches a baseline item it does not
    share replaces that item (one lever); baseline items the reform lacks are dropped (one lever each); parameter
    overrides that differ are one lever, ``parameters``.
    """
    from simulator.scenario.schema import LIST_SECTIONS

    out: list[Component] = []
    for section in LIST_SECTIONS:
        base_items = list(getattr(baseline, section))
        ref_items = list(getattr(reform, section))
        base_vals = [s.item for s in base_items]
        ref_vals = [s.item for s in ref_items]
        removed = [s for s in base_items if s.item not in ref_vals]
        by_id = {str(s.item.id): s for s in removed if s.item.id is not None}
        replaced: set[str] = set()
        for i, s in enumerate(ref_items):
            if s.item in base_vals:
                continue
            old = by_id.get(str(s.item.id)) if s.item.id is not None else None
            if old is not None:
                replaced.add(str(s.item.id))
            name = f"{section}.{s.item.id}" if s.item.id is not None else f"{section}[{i}]"
            label = _describe(section, s.item) + (" (replaces the baseline's)" if old is not None else "")
            out.append(Component(name, "lever", label, section, new=s, old=old))
        for j, s in enumerate(removed):
            if s.item.id is not None and str(s.item.id) in replaced:
                continue
            name = f"drop {section}.{s.item.id}" if s.item.id is not None else f"drop {section}[{j}]"
            out.append(Component(name, "lever", f"drops: {_describe(section, s.item)}", section, old=s))
    if dict(reform.parameter_values(None)) != dict(baseline.parameter_values(None)):
        out.append(Component(PARAMETERS_COMPONENT, "lever", "the reform's parameter changes"))
    return out


def coalition_scenario(
    baseline: Any,
    reform: Any,
    levers: Sequence[Component],
    active: Sequence[bool],
    name: str,
    calibration: Mapping[str, float] | None = None,
):
    """The reform with only the ``active`` levers (the others neutralised), and its parameter values.

    ``calibration`` is the world's (``World.calibration``): the parameter values start from it.

    Returns:
        ``(scenario, params)``: the scenario (named ``name``) and every parameter value.
    """
    from simulator.scenario.loader import Origin, Sourced
    from simulator.scenario.schema import LIST_SECTIONS

    on = {c.name for c, a in zip(levers, active, strict=True) if a}
    sections: dict[str, tuple[Any, ...]] = {}
    for section in LIST_SECTIONS:
        mine = [c for c in levers if c.section == section]
        by_new = {id(c.new): c for c in mine if c.new is not None}
        kept: list[Any] = []
        # dropped baseline items come back (first: inherited items precede the reform's own) unless the drop is on
        for c in mine:
            if c.new is None and c.old is not None and c.name not in on:
                kept.append(c.old)
        for s in getattr(reform, section):
            c = by_new.get(id(s))
            if c is None:
                kept.append(s)  # shared with the baseline
            elif c.name in on:
                kept.append(s)
            elif c.old is not None:
                kept.append(c.old)  # neutralised replacement: the baseline's version
        sections[section] = tuple(
            Sourced(x.item, Origin(**{**x.origin.__dict__, "index": i})) for i, x in enumerate(kept)
        )
    params = dict(baseline.parameter_values(calibration))
    if PARAMETERS_COMPONENT in on:
        params = dict(reform.parameter_values(calibration))
    scenario = replace(reform, name=name, parameters=dict(params), **sections)
    return scenario, params


def channel_components(
    world: Any, baseline: Any, reform: Any, base_schedule: Any, reform_schedule: Any
) -> list[Component]:
    """The channels ``reform`` touches (plus ``parameters`` when it changes any), in ``CHANNELS`` order."""
    params = dict(reform.parameter_values(world.calibration))
    out = [
        Component(c, "channel", CHANNEL_DEFINITIONS[c])
        for c in active_channels(world, base_schedule, reform_schedule, params)
    ]
    if params != dict(baseline.parameter_values(world.calibration)):
        out.append(Component(PARAMETERS_COMPONENT, "channel", "the reform's parameter changes (not a cost table)"))
    return out


def needed_coalitions(k: int) -> list[int]:
    """Coalitions (bit i set = component i active) to run for ``k`` components, besides all and none.

    Every coalition when Shapley values are computed (k ≤ ``MAX_SHAPLEY``), else all-but-one for one-at-a-time.
    """
    full = (1 << k) - 1
    if k <= MAX_SHAPLEY:
        return [m for m in range(1, full)]
    return [full & ~(1 << i) for i in range(k)]


def variant_name(reform: str, kind: str, bits: int, k: int) -> str:
    """Scenario name of a coalition run: ``<reform>~L0110`` (levers) or ``<reform>~C…`` (channels), bit i = char i."""
    code = "".join("1" if bits >> i & 1 else "0" for i in range(k))
    return f"{reform}~{'L' if kind == 'lever' else 'C'}{code}"


@dataclass
class Plan:
    """What a decomposition runs and how to read it back.

    Attributes:
        components: ``{reform: {kind: [Component, ...]}}``.
        variants: ``{variant name: (reform, kind, bits)}``.
        specs: ``{variant name: ScenarioSpec}`` (parameters before any per-replicate draw).
        notes: Remarks (reforms without components, Shapley skipped).
    """

    components: dict[str, dict[str, list[Component]]]
    variants: dict[str, tuple[str, str, int]]
    specs: dict[str, ScenarioSpec]
    notes: list[str]

    def record(self) -> dict[str, Any]:
        """The plan as JSON data for the manifest."""
        return {
            reform: {kind: [{"name": c.name, "label": c.label} for c in comps] for kind, comps in by_kind.items()}
            for reform, by_kind in self.components.items()
        }


def plan_decomposition(
    world: Any,
    study: Sequence[Any],
    kinds: Sequence[str],
    keep_metrics: Sequence[str],
    compile_fn: Any,
) -> Plan:
    """Plan the coalition runs of every reform of ``study`` (``StudyScenario``s, the baseline first).

    Args:
        world: The world.
        study: The loaded study.
        kinds: ``lever`` and/or ``channel``.
        keep_metrics: Metrics kept in the coalition runs' shards (the headline metrics).
        compile_fn: ``(world, scenario) -> PolicySchedule`` (the compare's cached compiler).
    """
    base = study[0]
    components: dict[str, dict[str, list[Component]]] = {}
    variants: dict[str, tuple[str, str, int]] = {}
    specs: dict[str, ScenarioSpec] = {}
    notes: list[str] = []
    keep = {"keep_metrics": tuple(keep_metrics), "keep_levels": LEVELS}
    for s in study[1:]:
        name = s.spec.name
        components[name] = {}
        for kind in kinds:
            if kind == "lever":
                comps = lever_components(base.scenario, s.scenario)
            else:
                comps = channel_components(world, base.scenario, s.scenario, base.spec.schedule, s.spec.schedule)
            components[name][kind] = comps
            k = len(comps)
            if k == 0:
                notes.append(f"{name}: no {kind} differs from the baseline; nothing to attribute by {kind}")
                continue
            if k > MAX_SHAPLEY:
                notes.append(f"{name}: {k} {kind}s (more than {MAX_SHAPLEY}): one-at-a-time only, no Shapley values")
            for bits in needed_coalitions(k):
                active = [bool(bits >> i & 1) for i in range(k)]
                vname = variant_name(name, kind, bits, k)
                variants[vname] = (name, kind, bits)
                if kind == "lever":
                    scenario, params = coalition_scenario(
                        base.scenario, s.scenario, comps, active, vname, world.calibration
                    )
                    specs[vname] = ScenarioSpec(
                        vname, compile_fn(world, scenario), params, behaviours=s.spec.behaviours, **keep
                    )
                else:
                    on = {c.name for c, a in zip(comps, active, strict=True) if a}
                    channels_off = [c for c in CHANNELS if c not in on and any(x.name == c for x in comps)]
                    params = dict(s.spec.params)
                    if any(c.name == PARAMETERS_COMPONENT for c in comps) and PARAMETERS_COMPONENT not in on:
                        params = dict(base.spec.params)
                    specs[vname] = ScenarioSpec(
                        vname,
                        s.spec.schedule,
                        params,
                        masked=channel_tables(channels_off),
                        reference=base.spec.schedule,
                        behaviours=s.spec.behaviours,
                        **keep,
                    )
    return Plan(components, variants, specs, notes)


def definitions() -> dict[str, Any]:
    """The decomposition's definitions for the manifest: channels (tables, meaning), neutralisation, effect."""
    return {
        "effect": "paired % difference of the metric averaged over the last year of the run (the last "
        "1/step_years steps), per replicate; effect, 95 % t interval and share across replicates",
        "levers": "each provision of the reform file (item added, replaced or dropped against the baseline; "
        "parameter changes as one lever 'parameters'); neutralised = the reform compiled without it",
        "channels": {c: {"tables": list(CHANNELS[c]), "definition": CHANNEL_DEFINITIONS[c]} for c in CHANNELS},
        "channel_neutralisation": NEUTRALISATION,
        "methods": {
            "one_at_a_time": "v(all) − v(all without the component); 'interaction' = v(all) − their sum",
            "shapley": f"exact Shapley values over every coalition (≤ {MAX_SHAPLEY} components); sum to v(all)",
        },
        "levels": list(LEVELS),
    }


# --- computation -----------------------------------------------------------------------------------------------------


def last_year_steps(steps: int, step_years: float) -> tuple[int, int]:
    """First and last step of the last year of a run of ``steps`` steps (at least one step, never step 0)."""
    per_year = max(1, round(1.0 / step_years))
    return max(1, steps - per_year + 1) if steps >= 1 else 0, steps


def _last_year(path: Path, metrics: Sequence[str], window: tuple[int, int]) -> pd.Series:
    table = pq.read_table(path, columns=["metric", "level", "group", "step", "value"]).to_pandas()
    sel = (
        table["metric"].isin(metrics)
        & table["level"].isin(LEVELS)
        & (table["step"] >= window[0])
        & (table["step"] <= window[1])
    )
    t = table[sel].astype({"metric": str, "level": str, "group": str})
    return t.groupby(["metric", "level", "group"], sort=True)["value"].mean()


def shapley_weights(k: int) -> np.ndarray:
    """Weight |S|!(k−|S|−1)!/k! of a coalition of size |S| (index) in a Shapley value of ``k`` players."""
    return np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])


def attribute(v: dict[int, np.ndarray], k: int) -> dict[str, dict[str, np.ndarray]]:
    """One-at-a-time and (if every coalition is in ``v``) Shapley attributions of v(all) among ``k`` components.

    Args:
        v: Coalition bits → effect array (any shape, the same for all); must hold ``0`` (zeros) and all-ones.
        k: Number of components.

    Returns:
        ``{"one_at_a_time": {"0": e_0, ..., "interaction": r, "total": v(all)}, "shapley": {...}}``, components by
        their position as text.
    """
    full = (1 << k) - 1
    total = v[full]
    oat = {str(i): total - v[full & ~(1 << i)] for i in range(k)}
    oat["interaction"] = total - sum(oat[str(i)] for i in range(k))
    oat["total"] = total
    out = {"one_at_a_time": oat}
    if all(m in v for m in range(full + 1)):
        w = shapley_weights(k)
        sh: dict[str, np.ndarray] = {}
        for i in range(k):
            bit = 1 << i
            acc = np.zeros_like(total)
            for m in range(full + 1):
                if m & bit:
                    continue
                acc = acc + w[bin(m).count("1")] * (v[m | bit] - v[m])
            sh[str(i)] = acc
        sh["total"] = total
        out["shapley"] = sh
    return out


def _ci(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 with a t-based 95 % interval (NaN-aware), and the count."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(ok, x - mean, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / np.where(n > 1, n - 1, np.nan))
        hw = stats.t.ppf(0.975, np.where(n > 1, n - 1, np.nan)) * sd / np.sqrt(np.maximum(n, 1))
    return mean, mean - hw, mean + hw, n


def compute_decomposition(
    root: Path,
    sub: Path,
    baseline: str,
    plan: Plan,
    done_main: set[tuple[str, int]],
    done_sub: set[tuple[str, int]],
    metrics: Sequence[str],
    steps: int,
    step_years: float,
) -> tuple[pd.DataFrame, list[str]]:
    """``decomposition.parquet`` from the runs of the study (``root``) and of its coalitions (``sub``).

    A replicate counts for a reform's decomposition by one kind when the baseline, the reform and every coalition
    run of that kind finished in it.

    Returns:
        The table (``COLUMNS``) and notes on replicates left out.
    """
    window = last_year_steps(steps, step_years)
    frames: list[pd.DataFrame] = []
    notes: list[str] = []
    base_cache: dict[int, pd.Series] = {}

    def base_values(r: int) -> pd.Series:
        if r not in base_cache:
            base_cache[r] = _last_year(shard_path(root, baseline, r), metrics, window)
        return base_cache[r]

    base_reps = sorted(r for s, r in done_main if s == baseline)
    for reform, by_kind in plan.components.items():
        for kind, comps in by_kind.items():
            k = len(comps)
            if k == 0:
                continue
            names = [v for v, (rf, kd, _) in plan.variants.items() if rf == reform and kd == kind]
            reps = [r for r in base_reps if (reform, r) in done_main and all((v, r) in done_sub for v in names)]
            if not reps:
                notes.append(f"{reform}: no replicate with every {kind} coalition run finished; no decomposition")
                continue
            if len(reps) < len(base_reps):
                notes.append(f"{reform} by {kind}: {len(reps)} of {len(base_reps)} replicate(s) complete")
            per_rep: dict[str, dict[str, list[np.ndarray]]] = {}
            index: pd.MultiIndex | None = None
            for r in reps:
                x = base_values(r)
                index = x.index if index is None else index
                xb = x.reindex(index).to_numpy(dtype=float)

                def pct(series: pd.Series, xb: np.ndarray = xb, index: pd.MultiIndex = index) -> np.ndarray:
                    y = series.reindex(index).to_numpy(dtype=float)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        return np.where(xb != 0, 100.0 * (y / xb - 1.0), np.nan)

                v: dict[int, np.ndarray] = {
                    0: np.zeros(len(index)),
                    (1 << k) - 1: pct(_last_year(shard_path(root, reform, r), metrics, window)),
                }
                for name in names:
                    bits = plan.variants[name][2]
                    v[bits] = pct(_last_year(shard_path(sub, name, r), metrics, window))
                for method, parts in attribute(v, k).items():
                    for comp, arr in parts.items():
                        per_rep.setdefault(method, {}).setdefault(comp, []).append(arr)
            assert index is not None
            keys = index.to_frame(index=False)
            for method, parts in per_rep.items():
                total_mean = _ci(np.vstack(parts["total"]))[0]
                for comp, arrs in parts.items():
                    mean, lo, hi, n = _ci(np.vstack(arrs))
                    if comp in ("total", "interaction"):
                        cname, label = (
                            comp,
                            ("the reform's whole effect" if comp == "total" else "left unattributed by one-at-a-time"),
                        )
                    else:
                        c = comps[int(comp)]
                        cname, label = c.name, c.label
                    with np.errstate(divide="ignore", invalid="ignore"):
                        share = np.where(total_mean != 0, mean / total_mean, np.nan)
                    f = keys.copy()
                    f.insert(0, "scenario", reform)
                    f.insert(1, "kind", kind)
                    f.insert(2, "component", cname)
                    f.insert(3, "method", method)
                    f["effect"], f["effect_lo"], f["effect_hi"] = mean, lo, hi
                    f["share"] = share
                    f["n"] = n.astype(np.int64)
                    f["label"] = label
                    frames.append(f[list(COLUMNS)])
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}), notes
    return pd.concat(frames, ignore_index=True), notes


def coalition_count(k: int) -> int:
    """Coalition runs per replicate for ``k`` components (besides the reform and the baseline)."""
    return len(needed_coalitions(k))


__all__ = [
    "COLUMNS",
    "KINDS",
    "MAX_SHAPLEY",
    "Component",
    "Plan",
    "attribute",
    "coalition_scenario",
    "compute_decomposition",
    "lever_components",
    "plan_decomposition",
]

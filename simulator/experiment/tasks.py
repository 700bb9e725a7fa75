"""What a worker runs: every scenario of one replicate, from one seed (common random numbers).

A task carries everything it needs (the world, each scenario's compiled schedule and parameters, the replicate's
``SeedSequence`` child) so that it runs the same in this process, in a local process pool or on a Dask worker on
another machine, and returns the tidy tables; the caller writes them. Each scenario's run is built from the same seed,
so a reform differs from the baseline only by its rules. A run that raises is returned as failed, with its error; the
other scenarios of the replicate still run.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from simulator.experiment.grouping import economy_groupings, grouped_metrics, grouped_place_metrics
from simulator.model import DataFlowModel
from simulator.model.metrics import fix_size_classes, keep_economy_sums
from simulator.world import PolicySchedule, World

logger = logging.getLogger(__name__)

RUN_COLUMNS: tuple[str, ...] = ("scenario", "replicate", "seed", "step", "year", "metric", "level", "group", "value")
"""Columns of a run's shard, in order."""


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario as a worker needs it.

    Attributes:
        name: Scenario name (``scenario`` column).
        schedule: Its compiled policy path.
        params: Every model parameter by name.
        masked: Cost tables neutralised (``simulator.experiment.channels``): they follow ``reference``'s rules.
        reference: The schedule the masked tables follow (the baseline's).
        keep_metrics: Keep only these metrics in the run's table (``None``: every metric).
        keep_levels: Keep only these levels (``None``: every level).
        behaviours: Behaviour choice (``simulator.model.registry``; ``None``: the defaults).
    """

    name: str
    schedule: PolicySchedule
    params: dict[str, float]
    masked: tuple[str, ...] = ()
    reference: PolicySchedule | None = None
    keep_metrics: tuple[str, ...] | None = None
    keep_levels: tuple[str, ...] | None = None
    behaviours: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ReplicateTask:
    """The runs of one replicate.

    Attributes:
        replicate: Replicate number (0-based).
        seed: The replicate's child of the study's root ``SeedSequence`` (the same for every scenario).
        scenarios: The scenarios to run (those not finished yet).
        baseline: The baseline scenario (the state reforms branch from under warm start).
        firms: Firms at the start.
        steps: Steps per run.
        world: The world.
        warm_start: Build the world and network once and branch each scenario from it (``model.branching``).
        encode: Return each run's table as Parquet bytes (``RunOutput.shard``) instead of a DataFrame, so that only
            compressed bytes travel back (``compare`` and ``sweep`` set it).
    """

    replicate: int
    seed: np.random.SeedSequence
    scenarios: tuple[ScenarioSpec, ...]
    baseline: ScenarioSpec
    firms: int
    steps: int
    world: World
    warm_start: bool = True
    encode: bool = False


@dataclass
class RunOutput:
    """The outcome of one run.

    Attributes:
        scenario: Scenario name.
        replicate: Replicate number.
        status: ``done`` or ``failed``.
        frame: The run's tidy table (``RUN_COLUMNS``), ``None`` if it failed or was encoded.
        shard: The table as Parquet bytes (tasks with ``encode``), ``None`` otherwise.
        error: What went wrong, if it failed.
        wall_s: Seconds for the run, including its share of building.
        step_s: Seconds spent in model steps.
        build_s: Seconds spent building (or branching) the model.
        branch_s: Of ``build_s``, seconds spent branching from the shared base model (copy, new rules), or building
            afresh a model that does not branch; the rest is the run's share of the base model's build.
        frame_s: Seconds spent turning the model's metrics into the run's table (``run_frame``).
        encode_s: Seconds spent encoding the table as Parquet bytes (tasks with ``encode``).
    """

    scenario: str
    replicate: int
    status: str
    frame: pd.DataFrame | None = None
    error: str | None = None
    wall_s: float = 0.0
    step_s: float = 0.0
    build_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    shard: bytes | None = None
    branch_s: float = 0.0
    frame_s: float = 0.0
    encode_s: float = 0.0

    @property
    def table(self) -> pd.DataFrame | bytes | None:
        """What the results store writes: the Parquet bytes if encoded, else the table."""
        return self.shard if self.shard is not None else self.frame


def seed_label(seed: np.random.SeedSequence) -> str:
    """``entropy:spawn.key`` of a seed sequence (the ``seed`` column)."""
    return f"{seed.entropy}:{'.'.join(str(k) for k in seed.spawn_key)}"


def build_model(task: ReplicateTask, spec: ScenarioSpec) -> DataFlowModel:
    """The model of ``spec`` for this replicate, built afresh from the replicate's seed."""
    choice = spec.behaviours
    return DataFlowModel(
        task.world, spec.schedule, params=dict(spec.params), n_firms=task.firms, rng=task.seed, behaviours=choice
    )


def _categorical(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted categories of ``values`` and each value's code."""
    cats, codes = np.unique(values.astype(str), return_inverse=True)
    return cats, codes.astype(np.int32)


def metrics_table(model: DataFlowModel) -> pd.DataFrame:
    """``model.metrics_frame()``, the same rows in the same order, built from the collector's arrays directly.

    The model's ``metrics_frame`` builds a string column per collected step and sorts them (≈ 0.3 s at 10,000 firms
    × 40 steps, a fifth of the run); here the labels of one step are coded once and every step reuses the codes.
    Falls back to ``metrics_frame`` if the collector does not hold its blocks as expected. A test checks the two
    are equal.
    """
    from simulator.model.metrics import METRICS

    c = getattr(model, "collector", None)
    try:
        blocks, extra_blocks = c.blocks, c.extra_blocks
        levels, labels = c.labels
        x_metric, x_level, x_group = c.extra_labels
    except (AttributeError, TypeError, ValueError):
        return model.metrics_frame()
    if not blocks and not extra_blocks:
        return model.metrics_frame()
    names = np.asarray([m.name for m in METRICS], dtype=object)
    n_m, n_g = names.size, np.asarray(levels).size
    row_metric = np.concatenate([np.repeat(names, n_g), np.asarray(x_metric, dtype=object)])
    row_level = np.concatenate([np.tile(np.asarray(levels, dtype=object), n_m), np.asarray(x_level, dtype=object)])
    row_group = np.concatenate([np.tile(np.asarray(labels, dtype=object), n_m), np.asarray(x_group, dtype=object)])
    cats, codes = zip(*(_categorical(a) for a in (row_metric, row_level, row_group)), strict=True)
    main, extra = n_m * n_g, np.asarray(x_metric).size
    parts_step, parts_value, parts_rows = [], [], []
    for step, values in blocks:
        parts_step.append(np.full(main, step, dtype=np.int64))
        parts_value.append(np.asarray(values, dtype=float).ravel())
        parts_rows.append(np.arange(main))
    for step, values in extra_blocks:
        parts_step.append(np.full(extra, step, dtype=np.int64))
        parts_value.append(np.asarray(values, dtype=float).ravel())
        parts_rows.append(np.arange(main, main + extra))
    step = np.concatenate(parts_step)
    value = np.concatenate(parts_value)
    rows = np.concatenate(parts_rows)
    m_code, l_code, g_code = (k[rows] for k in codes)
    order = np.lexsort((g_code, l_code, m_code, step))
    return pd.DataFrame(
        {
            "step": step[order],
            "metric": pd.Categorical.from_codes(m_code[order], cats[0]),
            "level": pd.Categorical.from_codes(l_code[order], cats[1]),
            "group": pd.Categorical.from_codes(g_code[order], cats[2]),
            "value": value[order],
        }
    )


def run_frame(
    model: DataFlowModel, sums: list[tuple[int, np.ndarray]], spec: ScenarioSpec, task: ReplicateTask
) -> pd.DataFrame:
    """The run's tidy table: the model's metrics plus the income-group and development levels, with provenance.

    Rows keep the model's order followed by the added levels' (the same for every run of a study).
    """
    metrics = metrics_table(model)
    groupings = economy_groupings(task.world)
    frames = [metrics, grouped_metrics(sums, groupings), grouped_place_metrics(metrics, groupings, task.world.iso3)]
    n = sum(len(f) for f in frames)
    step = np.concatenate([f["step"].to_numpy(dtype=np.int64) for f in frames])
    sched = spec.schedule
    out = {
        "scenario": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [spec.name]),
        "replicate": np.full(n, task.replicate, dtype=np.int64),
        "seed": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [seed_label(task.seed)]),
        "step": step,
        "year": sched.start_year + step.astype(float) * sched.step_years,
    }
    for c in ("metric", "level", "group"):
        out[c] = union_categoricals([pd.Categorical(f[c]) for f in frames])
    out["value"] = np.concatenate([f["value"].to_numpy(dtype=float) for f in frames])
    frame = pd.DataFrame(out)
    if spec.keep_metrics is not None or spec.keep_levels is not None:
        keep = np.ones(n, dtype=bool)
        if spec.keep_metrics is not None:
            keep &= frame["metric"].isin(spec.keep_metrics).to_numpy()
        if spec.keep_levels is not None:
            keep &= frame["level"].isin(spec.keep_levels).to_numpy()
        frame = frame[keep].reset_index(drop=True)
        for c in ("metric", "level", "group"):
            frame[c] = frame[c].cat.remove_unused_categories()
    return frame


def _failure(spec: ScenarioSpec, task: ReplicateTask, exc: BaseException, started: float) -> RunOutput:
    tail = "".join(traceback.format_exception(exc)[-3:]).strip()
    logger.warning("run %s r%03d failed: %s", spec.name, task.replicate, exc)
    return RunOutput(
        spec.name,
        task.replicate,
        "failed",
        error=f"{type(exc).__name__}: {exc}\n{tail}",
        wall_s=time.perf_counter() - started,
    )


def _params_key(spec: ScenarioSpec) -> tuple:
    """What a warm-start base is shared by: the parameters and the behaviour choice."""
    choice = repr(sorted((spec.behaviours or {}).items()))
    return (tuple(sorted((k, float(v)) for k, v in spec.params.items())), choice)


def run_replicate(task: ReplicateTask) -> list[RunOutput]:
    """Run every scenario of ``task`` from the replicate's seed; a failed run does not stop the others.

    Under warm start the baseline model is built once and each scenario with the baseline's parameters branches
    from a copy of it (``simulator.model.branching.branch``): the same numbers as building each afresh when the
    initial rules are equal, without building the population and network again. A scenario with other parameters
    is built afresh from the same seed. A scenario with neutralised channels (``ScenarioSpec.masked``) always
    branches from a model built under the baseline's rules with its own parameters, then has its masked tables
    follow the reference schedule (``simulator.experiment.channels.mask``). Bases are built when first needed and
    kept while scenarios that need them remain (scenarios are taken grouped by parameters). Every run fixes its firms'
    size classes at step 0, after the burn-in (``simulator.model.metrics.fix_size_classes``), before stepping.
    """
    outputs: list[RunOutput] = []
    base_key = _params_key(task.baseline)

    def needs_base(spec: ScenarioSpec) -> tuple | None:
        key = _params_key(spec)
        if spec.masked or (task.warm_start and key == base_key):
            return key
        return None

    keys = [needs_base(spec) for spec in task.scenarios]
    order = sorted(range(len(task.scenarios)), key=lambda i: (keys[i] != base_key, str(keys[i])))
    users = {k: sum(1 for x in keys if x == k) for k in set(keys) if k is not None}
    bases: dict[tuple, tuple[DataFlowModel | BaseException, float]] = {}
    for i in order:
        spec, key = task.scenarios[i], keys[i]
        share = 0.0
        base: DataFlowModel | BaseException | None = None
        if key is not None:
            if key not in bases:
                t0 = time.perf_counter()
                try:
                    built: DataFlowModel | BaseException = build_model(
                        task,
                        ScenarioSpec(
                            task.baseline.name, task.baseline.schedule, dict(spec.params), behaviours=spec.behaviours
                        ),
                    )
                except Exception as exc:  # every scenario that needs this base fails with its error
                    built = exc
                bases[key] = (built, (time.perf_counter() - t0) / users[key])
            base, share = bases[key]
            users[key] -= 1
            if users[key] == 0:
                del bases[key]
        started = time.perf_counter()
        try:
            if isinstance(base, BaseException):
                raise base
            if base is not None:
                from simulator.model.branching import branch

                model = branch(base, spec.schedule)
                if spec.masked:
                    from simulator.experiment.channels import mask

                    mask(model, spec.reference or task.baseline.schedule, spec.masked)
            else:  # other parameters change the population and network: built afresh from the same seed
                model = build_model(task, spec)
            built_at = time.perf_counter()
            # the branch point: each firm's size class is fixed here, before any reform step, for the size level
            fix_size_classes(model)
            sums = keep_economy_sums(model)
            model.run(task.steps)
            stepped = time.perf_counter()
            frame = run_frame(model, sums, spec, task)
            framed = time.perf_counter()
            shard = None
            if task.encode:
                from simulator.experiment.store import parquet_bytes

                shard, frame = parquet_bytes(frame), None
        except Exception as exc:
            outputs.append(_failure(spec, task, exc, started))
            continue
        end = time.perf_counter()
        outputs.append(
            RunOutput(
                spec.name,
                task.replicate,
                "done",
                frame=frame,
                shard=shard,
                wall_s=end - started + share,
                step_s=stepped - built_at,
                build_s=built_at - started + share,
                branch_s=built_at - started,
                frame_s=framed - stepped,
                encode_s=end - framed,
            )
        )
    return outputs

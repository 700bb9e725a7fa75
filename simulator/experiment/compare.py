"""``compare``: a baseline and reforms, replicated with common random numbers, into a results folder with effects.

The study: for replicate ``r`` every scenario runs from the same child ``r`` of the root ``SeedSequence`` (common
random numbers), so a reform's run differs from the baseline's only by its rules; each run is one Parquet shard,
written atomically as it finishes; the manifest lists every run and its status; ``effects.parquet`` and
``paired.parquet`` hold the paired effects with their confidence intervals (``simulator.experiment.effects``).

Used by ``dlsim compare`` and from Python::

    from simulator import compare
    fx = compare("scenarios/baseline.yaml", ["scenarios/storage_ban_nigeria.yaml"], replicates=8, firms=2000)
    fx.headline()
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.experiment.catalogue import catalogue_by_name, data_base_year, headline_metrics
from simulator.experiment.effects import Effects, compute_effects
from simulator.experiment.executors import ExecutorHandle, open_handle
from simulator.experiment.provenance import (
    calibration_record,
    environment,
    git_state,
    model_checksum,
    scenario_record,
    study_versions,
)
from simulator.experiment.store import (
    DECOMPOSITION,
    EFFECTS,
    ResultsStore,
    StoreError,
    atomic_write_parquet,
    check_writable,
)
from simulator.experiment.tasks import ReplicateTask, RunOutput, ScenarioSpec, run_replicate
from simulator.experiment.uncertainty import UNCERTAIN_KEY
from simulator.experiment.uncertainty import record as uncertainty_record
from simulator.model.registry import describe

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Called after each run with (runs finished, runs in all, the run's id)."""

DEFAULT_OUT = Path("results")
"""Parent of the default results folder."""

BYTES_PER_FIRM = 1_600
"""Peak memory of one model per firm while it steps (measured: 1.2–1.5 kB at 20k–100k firms), rounded up."""
MODELS_PER_WORKER = 3
"""Models alive at once in a worker under warm start: the built base, its copy, and the copy's step buffers."""
WORKER_BASE_BYTES = 350 * 2**20
"""A worker process with the model loaded, before any firm (measured ≈ 290 MB)."""
MANIFEST_EVERY_S = 1.0
"""Seconds between rewrites of the manifest while runs finish."""
MAX_TASK_RETRIES = 2
"""Times a task is resubmitted after its worker died (a killed process, a lost Dask worker)."""


class ExperimentError(Exception):
    """A study that cannot run as asked: one message, and a hint of what to do.

    Attributes:
        message: What is wrong.
        hint: What to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class StudyScenario:
    """A loaded scenario of a study: its file, the merged scenario and its compiled schedule."""

    file: Path
    scenario: Any
    spec: ScenarioSpec


def available_memory() -> int | None:
    """Bytes of memory available to new processes on this machine, if known."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return None


def memory_estimate(firms: int, workers: int) -> int:
    """Peak memory of a study, in bytes: each worker holds up to ``MODELS_PER_WORKER`` models of ``firms`` firms."""
    return workers * (WORKER_BASE_BYTES + MODELS_PER_WORKER * BYTES_PER_FIRM * firms)


def check_memory(firms: int, workers: int) -> None:
    """Refuse, before any simulation, a study that would not fit in the memory available.

    Raises:
        ExperimentError: The estimate exceeds the memory available, with the estimate and the largest firm count
            that fits.
    """
    need = memory_estimate(firms, workers)
    have = available_memory()
    if have is None or need <= have:
        return
    fits = max(0, (have // max(workers, 1) - WORKER_BASE_BYTES) // (MODELS_PER_WORKER * BYTES_PER_FIRM))
    raise ExperimentError(
        f"{firms:,} firms on {workers} worker(s) need about {need / 2**30:.1f} GB of memory; "
        f"{have / 2**30:.1f} GB are available",
        f"use --firms {int(fits):,} or fewer, or fewer --workers, or a machine (or Dask cluster) with more memory",
    )


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Refuse, before any simulation, a Dask scheduler address that is malformed or does not answer.

    Raises:
        ExperimentError: The address is not ``tcp://HOST:PORT`` or nothing listens there.
    """
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme != "tcp" or not host or not port:
        raise ExperimentError(
            f"--scheduler {address!r} is not a Dask scheduler address", "write it as tcp://HOST:PORT (e.g. port 8786)"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ExperimentError(
            f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}",
            f"start one with: dask scheduler --host {host} --port {port}; then dask worker {address}",
        ) from None


def differences(world: Any, baseline: Any, reform: Any) -> list[str]:
    """The rules ``reform`` changes against ``baseline``, one readable line each (``dlsim diff``'s table)."""
    from simulator.scenario.diff import diff_policies
    from simulator.scenario.resolution import resolve_policy
    from simulator.world.compile import vocabulary

    vocab = vocabulary(world)
    a = resolve_policy(baseline, world.iso3, world.sector_codes, vocab)
    b = resolve_policy(reform, world.iso3, world.sector_codes, vocab)
    out = []
    for d in diff_policies(a, b):
        out.append(f"{d.lever} {d.target} [{d.data_category} / {d.sector}]: {d.a} → {d.b}")
    if reform.parameters != baseline.parameters:
        for name in sorted(set(reform.parameters) | set(baseline.parameters)):
            if reform.parameters.get(name) != baseline.parameters.get(name):
                out.append(
                    f"parameter {name}: {baseline.parameters.get(name, 'default')} → "
                    f"{reform.parameters.get(name, 'default')}"
                )
    return out


def cache_dir() -> Path:
    """Where compiled schedules are cached: ``$DLSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/dlsim`` or ~/.cache/dlsim."""
    if os.environ.get("DLSIM_CACHE_DIR"):
        return Path(os.environ["DLSIM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlsim"


def cached_schedule(world: Any, scenario: Any, compile_fn: Callable[[Any, Any], Any]) -> Any:
    """``compile_fn(world, scenario)``, cached on disk by what decides it (Snakemake-style: recompute only if missing).

    The key is the SHA-256 of the model checksum (world, scenario and model code), the data checksums and the
    resolved scenario (every merged item with its origin, the timeline); a cache that cannot be read or written is
    skipped.
    """
    import hashlib
    import pickle

    from simulator.experiment.store import atomic_write_bytes, jsonable

    record = {"code": model_checksum(), "data": dict(world.checksums), "scenario": jsonable(scenario_record(scenario))}
    key = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    path = cache_dir() / "schedules" / f"{key}.pickle"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    schedule = compile_fn(world, scenario)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, pickle.dumps(schedule, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        logger.debug("schedule cache not written", exc_info=True)
    return schedule


def load_study(
    world: Any,
    baseline_file: Path,
    reform_files: Sequence[Path],
    overrides: dict[str, Any],
) -> list[StudyScenario]:
    """Load and compile the baseline (first) and the reforms; the run settings are the baseline file's.

    Raises:
        ScenarioError: A file is invalid (its issues).
        ExperimentError: Two scenarios share a name, or their timelines differ.
    """
    from simulator.experiment.behaviours import scenario_behaviours
    from simulator.scenario.loader import load_scenario
    from simulator.world.compile import compile_scenario, vocabulary

    vocab = vocabulary(world)
    out: list[StudyScenario] = []
    for i, path in enumerate([baseline_file, *reform_files]):
        scenario = load_scenario(path, vocab, run_overrides=overrides if i == 0 else None)
        schedule = cached_schedule(world, scenario, compile_scenario)
        behaviours = scenario_behaviours(scenario)
        spec = ScenarioSpec(
            scenario.name, schedule, dict(scenario.parameter_values(world.calibration)), behaviours=behaviours
        )
        out.append(StudyScenario(Path(path), scenario, spec))
    names = [s.spec.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ExperimentError(
            f"scenario name {dup[0]!r} is used by more than one file", "give each scenario a distinct 'name:'"
        )
    base = out[0].scenario.timeline
    for s in out[1:]:
        t = s.scenario.timeline
        if (t.start_year, t.step_years) != (base.start_year, base.step_years):
            raise ExperimentError(
                f"{s.file}: timeline (start {t.start_year:g}, steps of {t.step_years:g} y) differs from the "
                f"baseline's (start {base.start_year:g}, steps of {base.step_years:g} y)",
                "paired effects need one calendar: set the same timeline in both files",
            )
    return out


def rerun_command(
    baseline_file: Path,
    reform_files: Sequence[Path],
    *,
    replicates: int,
    firms: int,
    steps: int,
    seed: int,
    out: Path,
    data_dir: Path | None,
    warm_start: bool,
    decompose: Sequence[str] = (),
    uncertain: Sequence[str] = (),
) -> str:
    """The ``dlsim compare`` command line that recomputes this study (``--resume`` finishes it)."""
    words = ["dlsim", "compare", str(baseline_file), *map(str, reform_files)]
    words += ["--replicates", str(replicates), "--firms", str(firms), "--steps", str(steps), "--seed", str(seed)]
    words += ["--out", str(out)]
    if data_dir is not None:
        words += ["--data", str(data_dir)]
    if not warm_start:
        words.append("--no-warm-start")
    if decompose:
        words += ["--decompose", "--decompose-by", "both" if len(decompose) > 1 else f"{decompose[0]}s"]
    for spec in uncertain:
        words += ["--uncertain", spec]
    return shlex.join(words)


def default_out(names: Sequence[str]) -> Path:
    """``results/<baseline>_vs_<first reform>[+N]``."""
    tail = names[1] + (f"+{len(names) - 2}" if len(names) > 2 else "")
    return DEFAULT_OUT / f"{names[0]}_vs_{tail}"


def run_tasks(
    handle: ExecutorHandle,
    tasks: Sequence[ReplicateTask],
    on_output: Callable[[RunOutput], None],
    window: int | None = None,
) -> None:
    """Submit ``tasks`` to the executor, at most ``window`` at a time, and hand each run's output to ``on_output``.

    A task whose worker died (a broken local pool, a lost Dask worker that the scheduler gave up on) is resubmitted
    up to ``MAX_TASK_RETRIES`` times, on a new pool if needed; after that its runs are recorded as failed. Memory
    stays bounded: only ``window`` tasks' results are in flight.
    """
    window = window or max(2, 2 * handle.workers)
    queue = list(tasks)
    tries: dict[int, int] = {}  # by id(task): several tasks may share a replicate (sweeps)
    pending: dict[Future, ReplicateTask] = {}

    def submit(task: ReplicateTask) -> None:
        pending[handle.executor.submit(run_replicate, task)] = task

    while queue or pending:
        while queue and len(pending) < window:
            submit(queue.pop(0))
        finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        broken = False
        for fut in finished:
            task = pending.pop(fut)
            try:
                outputs = fut.result()
            except Exception as exc:  # the worker died or the task could not be delivered
                n = tries.get(id(task), 0) + 1
                tries[id(task)] = n
                broken |= isinstance(exc, BrokenProcessPool)
                if n <= MAX_TASK_RETRIES:
                    logger.warning(
                        "replicate %d lost (%s); resubmitting (%d/%d)", task.replicate, exc, n, MAX_TASK_RETRIES
                    )
                    queue.insert(0, task)
                    continue
                outputs = [
                    RunOutput(spec.name, task.replicate, "failed", error=f"{type(exc).__name__}: {exc}")
                    for spec in task.scenarios
                ]
            for out in outputs:
                on_output(out)
        if broken:
            # every task in flight on the broken pool is lost with it: requeue them on a new pool
            for fut, task in list(pending.items()):
                fut.cancel()
                queue.insert(0, task)
            pending.clear()
            handle.reopen()


def decompose_kinds(decompose: Sequence[str] | bool | None) -> tuple[str, ...]:
    """The kinds of decomposition asked for: ``True`` → both; ``levers``/``lever``, ``channels``/``channel``, ``both``.

    Raises:
        ExperimentError: An unknown kind.
    """
    if decompose is True:
        return ("lever", "channel")
    if not decompose:
        return ()
    words = [decompose] if isinstance(decompose, str) else list(decompose)
    out: list[str] = []
    for w in words:
        key = str(w).strip().lower()
        if key == "both":
            found = ["lever", "channel"]
        elif key.rstrip("s") in ("lever", "channel"):
            found = [key.rstrip("s")]
        else:
            raise ExperimentError(f"--decompose-by {w!r} is not known", "use levers, channels or both")
        out += [k for k in found if k not in out]
    return tuple(k for k in ("lever", "channel") if k in out)


def with_params(spec: ScenarioSpec, values: dict[str, float]) -> ScenarioSpec:
    """``spec`` with ``values`` replacing its parameters of the same names."""
    from dataclasses import replace

    return replace(spec, params={**spec.params, **values})


def uncertain_parameters(world: Any, study: Sequence[StudyScenario], specs: Sequence[str]) -> list[Any]:
    """The uncertain parameters of ``--uncertain`` specs, checked against the study.

    Raises:
        ExperimentError: A spec is invalid, or a reform sets an uncertain parameter to another value than the
            baseline (drawing it for both would hide the reform's change).
    """
    if not specs:
        return []
    from simulator.experiment.uncertainty import UncertaintyError, parse_uncertain
    from simulator.world.compile import vocabulary

    try:
        params = parse_uncertain(specs, vocabulary(world))
    except UncertaintyError as exc:
        raise ExperimentError(exc.message, exc.hint) from None
    base = study[0].spec.params
    for f in params:
        name = str(f.spec.parameter)
        for s in study[1:]:
            if s.spec.params.get(name) != base.get(name):
                raise ExperimentError(
                    f"{s.file}: the reform sets parameter {name} ({s.spec.params.get(name):g}, baseline "
                    f"{base.get(name):g}), which --uncertain also draws",
                    f"leave {name} out of --uncertain, or out of the reform's parameters",
                )
    return params


def compare(
    baseline: Path | str,
    reforms: Sequence[Path | str],
    *,
    replicates: int | None = None,
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
    decompose: Sequence[str] | bool = (),
    uncertain: Sequence[str] = (),
    progress: Progress | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
) -> Effects:
    """Run a baseline and reforms over replicates with common random numbers and return their paired effects.

    Args:
        baseline: The baseline scenario file (its ``run`` section gives firms, steps, replicates and seed).
        reforms: Reform scenario files.
        replicates: Replicates (default: the baseline file's ``run.replicates``).
        firms: Firms per run (default: the file's ``run.firms``).
        steps: Steps per run (default: the file's ``run.steps``).
        seed: Root seed (default: the file's ``run.seed``).
        out: Results folder (default: ``results/<baseline>_vs_<reform>``); never overwritten unless ``force``.
        executor: ``serial``, ``processes`` (default) or ``dask``.
        workers: Worker processes (default: the CPUs available).
        scheduler: Address of an existing Dask scheduler (``tcp://HOST:PORT``); implies ``executor="dask"``.
        resume: Keep the finished runs of ``out`` and compute the missing ones.
        force: Replace ``out`` if it exists.
        data_dir: World data directory (default: ``data/``).
        warm_start: Build each replicate's population and network once and branch every scenario from it.
        decompose: Attribute each reform's effect by ``lever`` and/or ``channel`` (``True``: both) into
            ``decomposition.parquet`` (``simulator.experiment.decompose``).
        uncertain: Uncertain parameters drawn per replicate (``simulator.experiment.uncertainty``): ``NAME``,
            ``NAME=LOW:HIGH`` or a file with a ``sweep:`` section.
        progress: Called after each run.
        on_start: Called with the manifest once the folder is open, before the first run.

    Returns:
        The effects (``Effects.frame`` is ``effects.parquet``).

    Raises:
        ExperimentError: Bad settings, too little memory, or no run finished.
        StoreError: The results folder exists (without ``force``/``resume``), is not writable, or holds results of
            another model, data set or settings.
        ScenarioError: A scenario file is invalid.
        WorldDataError: The world data is invalid.
    """
    from simulator import __version__
    from simulator.world import load_world

    started = time.perf_counter()
    if not reforms:
        raise ExperimentError("compare needs a baseline and at least one reform", "dlsim compare BASE.yaml REFORM.yaml")
    kinds = decompose_kinds(decompose)
    world = load_world(data_dir)
    overrides = {"firms": firms, "steps": steps, "seed": seed, "replicates": replicates}
    study = load_study(world, Path(baseline), [Path(r) for r in reforms], overrides)
    settings = study[0].scenario.run
    uncertain_params = uncertain_parameters(world, study, uncertain)
    catalogue = catalogue_by_name(data_dir)
    plan = None
    if kinds:
        from simulator.experiment.decompose import plan_decomposition
        from simulator.world.compile import compile_scenario

        metrics = headline_metrics(frozenset(catalogue))
        plan = plan_decomposition(world, study, kinds, metrics, lambda w, sc: cached_schedule(w, sc, compile_scenario))
    names = [s.spec.name for s in study]
    target = Path(out) if out is not None else default_out(names)
    check_writable(target)
    n_workers = 1 if executor == "serial" and not scheduler else workers
    from simulator.experiment.executors import default_workers

    n_workers = n_workers or default_workers()
    if scheduler:
        check_scheduler(scheduler)
    else:
        check_memory(settings.firms, n_workers)
    root = np.random.SeedSequence(settings.seed)
    children = root.spawn(settings.replicates)
    timeline = study[0].scenario.timeline
    manifest: dict[str, Any] = {
        "kind": "compare",
        "dlsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": rerun_command(
            Path(baseline),
            [Path(r) for r in reforms],
            replicates=settings.replicates,
            firms=settings.firms,
            steps=settings.steps,
            seed=settings.seed,
            out=target,
            data_dir=Path(data_dir) if data_dir is not None else None,
            warm_start=warm_start,
            decompose=kinds,
            uncertain=list(uncertain),
        ),
        "baseline": names[0],
        "scenarios": {
            s.spec.name: {
                "file": str(s.file),
                "header": s.scenario.header.model_dump(mode="json", exclude_none=True),
                "resolved": scenario_record(s.scenario),
                "behaviours": describe(s.spec.behaviours),
                "differences": [] if i == 0 else differences(world, study[0].scenario, s.scenario),
            }
            for i, s in enumerate(study)
        },
        "settings": {
            "firms": settings.firms,
            "steps": settings.steps,
            "replicates": settings.replicates,
            "start_year": timeline.start_year,
            "step_years": timeline.step_years,
            "executor": "dask" if scheduler else executor,
            "workers": n_workers,
            "scheduler": scheduler,
            "warm_start": warm_start,
            "money_base_year": data_base_year(data_dir),
            "uncertain": uncertainty_record(uncertain_params) if uncertain_params else None,
        },
        "seed": {
            "entropy": int(root.entropy),
            "spawn_keys": {str(i): [int(k) for k in c.spawn_key] for i, c in enumerate(children)},
        },
        "versions": study_versions(),
        "git": git_state(),
        "data_checksums": dict(world.checksums),
        "model_checksum": model_checksum(),
        "calibration": calibration_record(world.calibration),
        "platform": environment(),
        "runs": [],
    }
    draws: dict[int, dict[str, float]] = {}
    if uncertain_params:
        from simulator.experiment.uncertainty import draw, draw_seed

        draws = {r: draw(uncertain_params, draw_seed(root, child)) for r, child in enumerate(children)}
        manifest["uncertain"] = {
            "seed": f"entropy {root.entropy}, spawn key (replicate, {UNCERTAIN_KEY})",
            "draws": {str(r): d for r, d in draws.items()},
        }
    if plan is not None:
        from simulator.experiment.decompose import DECOMPOSITION_DIR, definitions

        manifest["decomposition"] = {
            "file": DECOMPOSITION,
            "runs": f"{DECOMPOSITION_DIR}/ (a results store: manifest.json, runs/<reform>~L|C<coalition>/)",
            "kinds": list(kinds),
            **definitions(),
            "components": plan.record(),
            "coalitions": {name: {"scenario": r, "kind": k, "bits": b} for name, (r, k, b) in plan.variants.items()},
            "notes": list(plan.notes),
        }
    store = ResultsStore.open(target, manifest, force=force, resume=resume)
    finished = store.finished()
    store.write_manifest()
    sub: ResultsStore | None = None
    sub_finished: set[tuple[str, int]] = set()
    if plan is not None:
        sub = ResultsStore.open(
            target / DECOMPOSITION_DIR,
            {
                **{k: manifest[k] for k in ("dlsim_version", "created", "settings", "seed", "versions")},
                **{k: manifest[k] for k in ("data_checksums", "model_checksum")},
                "kind": "decomposition",
                "baseline": names[0],
                "components": plan.record(),
                "runs": [],
            },
            resume=True,
            compatible_keys=("kind", "model_checksum", "data_checksums", "settings", "seed", "components"),
        )
        sub_finished = sub.finished()
        sub.write_manifest()
    tasks = []
    for r, child in enumerate(children):
        todo = [s.spec for s in study if (s.spec.name, r) not in finished]
        if plan is not None:
            todo += [spec for name, spec in plan.specs.items() if (name, r) not in sub_finished]
        if todo:
            base_spec = study[0].spec
            if r in draws:
                base_spec = with_params(base_spec, draws[r])
                todo = [with_params(spec, draws[r]) for spec in todo]
            tasks.append(
                ReplicateTask(
                    r, child, tuple(todo), base_spec, settings.firms, settings.steps, world, warm_start, encode=True
                )
            )
    total = sum(len(t.scenarios) for t in tasks)
    done = 0
    timing = dict.fromkeys(("step_s", "build_s", "branch_s", "runs_wall_s", "frame_s", "encode_s", "store_s"), 0.0)
    if on_start is not None:
        on_start(manifest)

    last_write = time.monotonic()

    def on_output(o: RunOutput) -> None:
        nonlocal done, last_write
        t_store = time.perf_counter()
        into = sub if sub is not None and plan is not None and o.scenario in plan.variants else store
        into.record(o.scenario, o.replicate, o.status, o.table, o.wall_s, o.error)
        # the shards are the record of finished runs (``ResultsStore.finished``); the manifest follows at most
        # once a second, and at once for a failure (its error is only in the manifest)
        if o.status != "done" or time.monotonic() - last_write >= MANIFEST_EVERY_S:
            store.write_manifest()
            if sub is not None:
                sub.write_manifest()
            last_write = time.monotonic()
        timing["step_s"] += o.step_s
        timing["build_s"] += o.build_s
        timing["runs_wall_s"] += o.wall_s
        timing["frame_s"] += o.frame_s
        timing["branch_s"] += o.branch_s
        timing["encode_s"] += o.encode_s
        timing["store_s"] += time.perf_counter() - t_store
        done += 1
        if progress is not None:
            progress(done, total, f"{o.scenario}/r{o.replicate:03d}")

    t_runs = time.perf_counter()
    t_pool = t_runs
    if tasks:
        try:
            handle = open_handle(executor, n_workers, scheduler)
            t_pool = time.perf_counter()
        except Exception as exc:  # a cluster that cannot start: say so, keep the folder for --resume
            store.write_manifest()
            raise ExperimentError(
                f"could not start the {executor} executor: {type(exc).__name__}: {exc}",
                "try --executor processes, or check the Dask installation and scheduler; then rerun with --resume",
            ) from None
        try:
            store.manifest["settings"]["executor_description"] = handle.description
            run_tasks(handle, tasks, on_output)
        finally:
            handle.close()
            store.write_manifest()
            if sub is not None:
                sub.write_manifest()
    t_effects = time.perf_counter()
    effects, notes = compute_effects(target, store.manifest, catalogue)
    atomic_write_parquet(target / EFFECTS, effects)
    if plan is not None and sub is not None:
        from simulator.experiment.decompose import compute_decomposition

        done_main = {(r["scenario"], int(r["replicate"])) for r in store.manifest["runs"] if r["status"] == "done"}
        done_sub = {(r["scenario"], int(r["replicate"])) for r in sub.manifest["runs"] if r["status"] == "done"}
        table, dec_notes = compute_decomposition(
            target,
            sub.root,
            names[0],
            plan,
            done_main,
            done_sub,
            headline_metrics(frozenset(catalogue)),
            settings.steps,
            timeline.step_years,
        )
        atomic_write_parquet(target / DECOMPOSITION, table)
        notes += plan.notes + dec_notes
        failed_sub = [r for r in sub.manifest["runs"] if r.get("status") == "failed"]
        if failed_sub:
            notes.insert(0, f"{len(failed_sub)} decomposition run(s) failed (see decomposition/manifest.json)")
    end = time.perf_counter()
    phases = {
        "setup_s": t_runs - started,
        "runs_s": t_effects - t_runs,
        "pool_start_s": t_pool - t_runs,
        "effects_s": end - t_effects,
    }
    worker = {
        "model_steps_s": timing["step_s"],
        "model_build_s": timing["build_s"],
        "model_branch_s": timing["branch_s"],
        "run_tables_s": timing["frame_s"],
        "shard_encode_s": timing["encode_s"],
        "runs_wall_s": timing["runs_wall_s"],
        "store_s": timing["store_s"],
    }
    store.finish(end - started, {**phases, **worker}, notes)
    return Effects(effects, store.manifest, target, notes)


__all__ = ["Effects", "ExperimentError", "StoreError", "compare"]

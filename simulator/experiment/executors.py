"""Executors: where the runs are computed, behind ``concurrent.futures.Executor``.

``serial`` runs each task in this process when it is submitted; ``processes`` uses a local process pool (the
default); ``dask`` uses a ``dask.distributed`` cluster through ``Client.get_executor()``: a local cluster of worker
processes on 127.0.0.1, or an existing cluster given by its scheduler address (``tcp://HOST:PORT``). Tasks carry all
their inputs and the numbers never depend on where they run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")
"""Executor kinds accepted by ``--executor``."""

PRELOAD = ["simulator.experiment.tasks", "simulator.experiment.warm"]
"""Modules imported once by the process pool's fork server (and by local Dask workers), so each worker starts with
the model imported and its compiled kernels loaded."""


class SerialExecutor(Executor):
    """Runs each task in the calling process at ``submit`` (for debugging and as the reference)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now and return its completed future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """Workers when none are given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local process pool; workers start from a fork server that has the model loaded (spawn where there is none)."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
    else:
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


@dataclass
class ExecutorHandle:
    """An open executor, and how to open it again after a local process pool broke (a worker was killed).

    Attributes:
        kind: ``serial``, ``processes`` or ``dask``.
        workers: Number of workers (for ``dask`` with a scheduler address: the workers the cluster reported).
        scheduler: Address of an existing Dask scheduler, if any.
        executor: The executor.
        description: One line for the user (what runs where).
    """

    kind: str
    workers: int
    scheduler: str | None = None
    executor: Executor = field(default_factory=SerialExecutor)
    description: str = ""
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def reopen(self) -> None:
        """Replace a broken local process pool by a new one (other kinds recover by themselves)."""
        if self.kind != "processes":
            return
        try:
            self.executor.shutdown(wait=False, cancel_futures=True)
        except Exception:
            logger.debug("shutting down the broken pool failed", exc_info=True)
        self.executor = process_pool(self.workers)

    def close(self) -> None:
        """Shut the executor (and a local Dask cluster) down."""
        if isinstance(self.executor, ProcessPoolExecutor):
            self.executor.shutdown(wait=True, cancel_futures=True)
        else:
            self.executor.shutdown(wait=True)
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:
                logger.debug("closing failed", exc_info=True)


def _dask(workers: int, scheduler: str | None) -> ExecutorHandle:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover (dask is a dependency)
        raise RuntimeError("the dask executor needs dask.distributed: pip install 'dask[distributed]'") from exc
    closers: list[Callable[[], None]] = []
    if scheduler:
        client = Client(scheduler, timeout="20s")
        closers.append(client.close)
        n = len(client.scheduler_info().get("workers", {}))
        description = f"Dask cluster at {scheduler} ({n} worker(s))"
        workers = n
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; the scheduler's small HTTP server (health checks) on a free port of 127.0.0.1
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
            preload=PRELOAD,
        )
        client = Client(cluster)
        closers += [cluster.close, client.close]
        description = f"local Dask cluster, {workers} worker process(es) on 127.0.0.1"
    return ExecutorHandle("dask", workers, scheduler, client.get_executor(pure=False), description, closers)


def open_handle(kind: str, workers: int | None = None, scheduler: str | None = None) -> ExecutorHandle:
    """Open an executor of ``kind`` (``scheduler`` implies ``dask``).

    Raises:
        ValueError: An unknown kind.
        OSError: The Dask scheduler cannot be reached.
    """
    if scheduler:
        kind = "dask"
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTORS)}")
    n = workers or default_workers()
    if kind == "serial":
        return ExecutorHandle("serial", 1, None, SerialExecutor(), "serial, in this process")
    if kind == "processes":
        return ExecutorHandle("processes", n, None, process_pool(n), f"{n} local worker process(es)")
    return _dask(n, scheduler)


@contextmanager
def open_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> Iterator[ExecutorHandle]:
    """``open_handle`` as a context manager that closes the executor on exit."""
    handle = open_handle(kind, workers, scheduler)
    try:
        yield handle
    finally:
        handle.close()

"""Executors: the same numbers on every executor and worker count; a killed study resumes; Dask clusters.

The Dask tests bind 127.0.0.1 only, keep the dashboard off, and stop what they start by PID.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator import compare

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.yaml"
BAN_NOW = """schema_version: 1
extends: baseline
name: ban_now
header: {title: Storage ban from the start, author: tests, description: A ban on personal and financial data transfers.}
rules:
  - id: ban_now
    economies: {region: [LAC, AFR]}
    data: [personal, financial]
    regime: storage_ban
"""
SMALL = {"firms": 300, "steps": 3, "replicates": 4, "seed": 5}


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    """Compiled schedules cached in a temporary folder, not the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("scen")
    shutil.copy(BASE, d / "baseline.yaml")
    (d / "ban_now.yaml").write_text(BAN_NOW, encoding="utf-8")
    return d / "baseline.yaml", d / "ban_now.yaml"


@pytest.fixture(scope="module")
def reference(tmp_path_factory, files) -> Path:
    out = tmp_path_factory.mktemp("ref") / "serial"
    compare(files[0], [files[1]], out=out, executor="serial", **SMALL)
    return out


def shards(root: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(root)): pd.read_parquet(p) for p in sorted((root / "runs").rglob("*.parquet"))}


def assert_same_results(a: Path, b: Path) -> None:
    sa, sb = shards(a), shards(b)
    assert sa.keys() == sb.keys() and len(sa) == 8
    for key in sa:
        pd.testing.assert_frame_equal(sa[key], sb[key], check_exact=True)
    for name in ("effects.parquet", "paired.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True)


@pytest.mark.parametrize(("executor", "workers"), [("processes", 1), ("processes", 2), ("dask", 2)])
def test_results_are_bit_identical_across_executors_and_worker_counts(
    tmp_path: Path, files, reference: Path, executor: str, workers: int
) -> None:
    out = tmp_path / f"{executor}{workers}"
    compare(files[0], [files[1]], out=out, executor=executor, workers=workers, **SMALL)
    assert_same_results(reference, out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["settings"]["executor"] == executor and m["settings"]["workers"] == workers


def _cli(*args: str) -> list[str]:
    # no HTML report: it is tested elsewhere, and it would be written into the repository's reports/
    return [sys.executable, "-m", "simulator.cli", "compare", *args, "--no-report"]


def test_a_study_killed_with_sigkill_resumes_to_the_same_numbers(tmp_path: Path, files, reference: Path) -> None:
    out = tmp_path / "killed"
    settings = ["--firms", "300", "--steps", "3", "--replicates", "4", "--seed", "5", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _cli(str(files[0]), str(files[1]), *settings, "--executor", "serial"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if len(list((out / "runs").rglob("*.parquet"))) >= 3 if (out / "runs").is_dir() else False:
                break
            if proc.poll() is not None:
                pytest.fail("the study finished before it could be killed")
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    done_before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "runs").rglob("*.parquet")}
    assert 3 <= len(done_before) < 8
    assert not list(out.rglob("*.tmp")) or all(p.name.startswith(".") for p in out.rglob("*.tmp"))
    again = subprocess.run(
        _cli(str(files[0]), str(files[1]), *settings, "--executor", "serial"), cwd=ROOT, env=env, capture_output=True
    )
    assert again.returncode == 2 and b"already holds results" in again.stderr
    resumed = subprocess.run(
        _cli(str(files[0]), str(files[1]), *settings, "--resume", "--executor", "processes", "--workers", "2"),
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    for p, stamp in done_before.items():
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp, f"{p} was recomputed"
    assert_same_results(reference, out)


SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


def test_a_separately_started_dask_cluster_survives_a_killed_worker(tmp_path: Path, files, reference: Path) -> None:
    from dask.distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "dask.log"
    with open(log, "wb") as fh:
        scheduler = subprocess.Popen(
            [*SCHEDULER, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0", "--no-dashboard"],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=fh,
        )
        workers = [
            subprocess.Popen(
                [*WORKER, address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard", "--no-nanny"],
                cwd=ROOT,
                env=env,
                stdout=fh,
                stderr=fh,
            )
            for _ in range(2)
        ]
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "cluster"
        killed: list[int] = []

        def kill_one_worker_midway() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                runs = out / "runs"
                if runs.is_dir() and len(list(runs.rglob("*.parquet"))) >= 2:
                    os.kill(workers[1].pid, signal.SIGKILL)
                    killed.append(workers[1].pid)
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_one_worker_midway, daemon=True)
        killer.start()
        fx = compare(files[0], [files[1]], out=out, scheduler=address, **SMALL)
        killer.join(timeout=5)
        assert killed, "the worker was not killed mid-study"
        m = json.loads((out / "manifest.json").read_text())
        assert m["settings"]["executor"] == "dask" and m["settings"]["scheduler"] == address
        assert {r["status"] for r in m["runs"]} == {"done"} and len(m["runs"]) == 8
        assert fx.notes == []
        assert_same_results(reference, out)
    finally:
        for proc in [*workers, scheduler]:
            _stop(proc)

"""``dlsim compare`` and ``dlsim run`` from the command line: settings honoured, clear errors, nothing overwritten."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()
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


def cli(*args: str) -> object:
    args_ = list(args)
    if args_ and args_[0] == "compare" and not any(a.startswith("--report") for a in args_):
        args_.append("--no-report")  # the report is tested once below (it takes seconds and writes to reports/)
    return runner.invoke(app, args_, env={"COLUMNS": "200"})


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    """Compiled schedules cached in a temporary folder, not the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """A baseline whose run section asks for 2 replicates of 3e2 firms (exponent numbers), and a reform."""
    d = tmp_path_factory.mktemp("scen")
    text = (SCENARIOS / "baseline.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  firms: 20000\n  steps: 40\n  replicates: 10\n", "  firms: 3e2\n  steps: 3\n  replicates: 2\n"
    )
    (d / "baseline.yaml").write_text(text, encoding="utf-8")
    (d / "ban_now.yaml").write_text(BAN_NOW, encoding="utf-8")
    return d / "baseline.yaml", d / "ban_now.yaml"


def test_compare_honours_run_replicates_and_prints_the_headline(tmp_path: Path, files) -> None:
    out = tmp_path / "c"
    result = cli("compare", str(files[0]), str(files[1]), "--out", str(out), "--executor", "serial")
    assert result.exit_code == 0, result.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["settings"]["replicates"] == 2 and m["settings"]["firms"] == 300
    assert len(m["runs"]) == 4
    assert "ban_now vs baseline at step 3" in result.output
    assert "% change [95 % CI]" in result.output
    assert "2 replicate(s) × 300 firms × 3 steps" in result.output
    assert "delta method" in result.output
    eff = pd.read_parquet(out / "effects.parquet")
    assert set(eff["n"]) <= {0, 1, 2} and (eff["n"] == 2).any()
    # with 2 replicates most effects are imprecise: the warning names how many and says how to add replicates
    assert "--replicates N --resume" in result.output


def test_compare_refuses_an_existing_folder_and_force_replaces_it(tmp_path: Path, files) -> None:
    out = tmp_path / "c"
    args = ["compare", str(files[0]), str(files[1]), "--out", str(out), "--executor", "serial", "-r", "2"]
    assert cli(*args).exit_code == 0
    stamp = (out / "manifest.json").stat().st_mtime_ns
    again = cli(*args)
    assert again.exit_code == 2 and "already holds results" in again.output and "--resume" in again.output
    assert (out / "manifest.json").stat().st_mtime_ns == stamp
    forced = cli(*args, "--force")
    assert forced.exit_code == 0, forced.output
    both = cli(*args, "--force", "--resume")
    assert both.exit_code == 2 and "contradict" in both.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--firms", "10000000", "--workers", "64"], "GB of memory"),
        (["--firms", "12.5"], "not a whole number"),
        (["--executor", "threads"], "--executor 'threads' is not known"),
        (["--replicates", "0"], "must be 1 or more"),
    ],
)
def test_compare_bad_input_is_one_clear_error(tmp_path: Path, files, extra: list[str], message: str) -> None:
    out = tmp_path / "bad"
    result = cli("compare", str(files[0]), str(files[1]), "--out", str(out), *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_compare_reports_a_missing_file_and_an_invalid_scenario(tmp_path: Path, files) -> None:
    missing = cli("compare", str(files[0]), str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "x"))
    assert missing.exit_code == 2 and "no such scenario file" in missing.output
    bad = tmp_path / "bad.yaml"
    shutil.copy(files[1], bad)
    bad.write_text(BAN_NOW.replace("storage_ban", "storage_bam"), encoding="utf-8")
    (tmp_path / "baseline.yaml").write_text(files[0].read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("compare", str(files[0]), str(bad), "--out", str(tmp_path / "y"))
    assert result.exit_code == 2
    assert "storage_bam" in result.output and "dlsim validate" in result.output
    assert "Traceback" not in result.output


def test_compare_reports_an_unwritable_output_before_running(tmp_path: Path, files) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("compare", str(files[0]), str(files[1]), "--out", str(blocker / "sub"))
    assert result.exit_code == 2 and "not a directory" in result.output
    assert "Comparing" not in result.output


def test_run_refuses_to_overwrite_and_replaces_atomically_with_force(tmp_path: Path) -> None:
    out = tmp_path / "r"
    args = ["run", str(SCENARIOS / "baseline.yaml"), "--firms", "3e2", "--steps", "2", "--out", str(out)]
    first = cli(*args)
    assert first.exit_code == 0, first.output
    old = (out / "manifest.json").read_text()
    again = cli(*args, "--seed", "3")
    assert again.exit_code == 2 and "already holds results" in again.output and "--force" in again.output
    assert (out / "manifest.json").read_text() == old
    forced = cli(*args, "--seed", "3", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "manifest.json").read_text())["seed"] != json.loads(old)["seed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"], "no temporary folder left behind"


def test_run_refuses_a_run_too_large_for_memory(tmp_path: Path) -> None:
    result = cli(
        "run", str(SCENARIOS / "baseline.yaml"), "--firms", "1e7", "--steps", "1", "--out", str(tmp_path / "m")
    )
    if "GB of memory" not in result.output:
        pytest.skip("this machine has the memory for 10 million firms")
    assert result.exit_code == 2 and "--firms" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("address", "message"),
    [("tcp://127.0.0.1:1", "cannot reach the Dask scheduler"), ("http://x", "not a Dask scheduler address")],
)
def test_compare_reports_a_bad_scheduler_before_running(tmp_path: Path, files, address: str, message: str) -> None:
    out = tmp_path / "s"
    result = cli("compare", str(files[0]), str(files[1]), "--out", str(out), "--scheduler", address)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_compare_ends_with_the_report_and_prints_its_path(tmp_path: Path, files) -> None:
    out, html = tmp_path / "c", tmp_path / "study.html"
    result = cli(
        "compare", str(files[0]), str(files[1]), "--out", str(out), "--executor", "serial", "--report-out", str(html)
    )
    assert result.exit_code == 0, result.output
    assert html.is_file() and html.stat().st_size > 1_000_000  # plotly.js is inlined
    assert f"Report: {html}" in result.output.replace("\n", "")

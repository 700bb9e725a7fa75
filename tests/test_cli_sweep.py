"""``dlsim sweep`` and ``dlsim compare --decompose/--uncertain`` from the command line: output, files, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()
# plumbing: 200 firms, 3 steps, a 2-step burn-in (parameters: burn_in_steps)
TWO = """schema_version: 1
extends: baseline
name: two_levers
header: {title: Two levers, author: tests, description: PAPSS for AfCFTA members and a storage ban in Nigeria.}
run: {firms: 200, steps: 3, seed: 7, replicates: 2}
parameters: {burn_in_steps: 2}
payments:
  - id: papss_all
    system: PAPSS
    join: {bloc: AFCFTA}
    interop: 0.8
rules:
  - id: ban_ng
    economies: NGA
    data: [personal]
    regime: storage_ban
"""
SWEEP = """schema_version: 1
extends: two
name: lhs
header: {title: A sweep, author: tests, description: A Latin hypercube over trust and a lever.}
sweep:
  design: latin_hypercube
  n: 6
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - item: ban_ng
"""


def cli(*args: str) -> object:
    args_ = list(args)
    if args_ and args_[0] in {"compare", "sweep"} and not any(a.startswith("--report") for a in args_):
        args_.append("--no-report")  # the report is tested once below (it takes seconds and writes to reports/)
    return runner.invoke(app, args_, env={"COLUMNS": "200"})


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("scen")
    shutil.copy(SCENARIOS / "baseline.yaml", d / "baseline.yaml")
    (d / "two.yaml").write_text(TWO, encoding="utf-8")
    (d / "lhs.yaml").write_text(SWEEP, encoding="utf-8")
    base = TWO.replace("name: two_levers", "name: base_small").split("payments:")[0]
    (d / "base_small.yaml").write_text(base, encoding="utf-8")
    return d


def test_sweep_prints_the_ranking_and_writes_the_files(d: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = cli("sweep", str(d / "lhs.yaml"), "--out", str(out), "--executor", "serial")
    assert result.exit_code == 0, result.output
    assert "Sweeping lhs: latin_hypercube design, 2 factor(s), 6 point(s)" in result.output
    assert "real_income (world, last year): factors by influence (regression R2" in result.output
    assert "SRC conf" in result.output and "ban_ng" in result.output
    for name in ("design", "outcomes", "indices"):
        assert (out / "sweep" / f"{name}.parquet").is_file()
    m = json.loads((out / "manifest.json").read_text())
    assert m["command"].startswith("dlsim sweep ") and "--out" in m["command"]
    again = cli("sweep", str(d / "lhs.yaml"), "--out", str(out), "--executor", "serial")
    assert again.exit_code == 2 and "already holds results" in again.output


def test_sweep_ends_with_a_report_of_its_indices(d: Path, tmp_path: Path) -> None:
    import re

    out, html = tmp_path / "s", tmp_path / "r" / "sweep.html"
    result = cli("sweep", str(d / "lhs.yaml"), "--out", str(out), "--executor", "serial", "--report-out", str(html))
    assert result.exit_code == 0, result.output
    assert "Report:" in result.output and "sweep.html" in " ".join(result.output.split())
    page = html.read_text(encoding="utf-8")
    charts = json.loads(re.search(r'<script type="application/json" id="dlsim-charts">(.*?)</script>', page, re.S)[1])
    assert [c["id"] for c in charts] == ["99-sensitivity-tornado"]
    assert "eta" in charts[0]["csv"] and "ban_ng" in charts[0]["csv"]
    assert "Sensitivity of “A sweep” to 2 factor(s): latin_hypercube design, 6 point(s)" in page
    assert 'href="#headline"' not in page and "dlsim sweep " in page  # no reform cards; the command to rerun
    assert 'data-i18n="metric.real_income.definition"' in page  # the glossary describes the tornado's metrics
    # --no-report: no page; and dlsim report reads the sweep folder alone
    again = cli("sweep", str(d / "lhs.yaml"), "--out", str(out), "--executor", "serial", "--resume", "--no-report")
    assert again.exit_code == 0 and "Report:" not in again.output
    html.unlink()
    assert cli("report", str(out), "-o", str(html)).exit_code == 0 and html.is_file()
    (out / "sweep" / "indices.parquet").unlink()
    missing = cli("report", str(out), "-o", str(tmp_path / "x.html"))
    assert missing.exit_code == 2 and "indices.parquet: not found" in missing.output
    assert "--resume" in missing.output and "Traceback" not in missing.output


def test_sweep_range_outside_declared_bounds_is_one_clear_error(d: Path, tmp_path: Path) -> None:
    bad = d / "bad.yaml"
    bad.write_text(SWEEP.replace("range: [0.1, 0.6]", "range: [0.1, 7]"), encoding="utf-8")
    result = cli("sweep", str(bad), "--out", str(tmp_path / "x"), "--executor", "serial")
    assert result.exit_code == 2
    assert f"{bad}:10:" in result.output and "sweep.factors[0].range[1]" in result.output
    assert "declared range 0 – 2" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_sweep_of_a_file_without_sweep_section(d: Path, tmp_path: Path) -> None:
    result = cli("sweep", str(d / "two.yaml"), "--out", str(tmp_path / "x"), "--executor", "serial")
    assert result.exit_code == 2 and "has no sweep: section" in result.output


def test_compare_decompose_prints_the_attribution(d: Path, tmp_path: Path) -> None:
    out = tmp_path / "c"
    result = cli(
        "compare", str(d / "base_small.yaml"), str(d / "two.yaml"), "--out", str(out), "--executor", "serial",
        "--decompose", "--decompose-by", "levers",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "two_levers: real_income (world, last year) by lever (shapley)" in result.output
    assert "rules.ban_ng" in result.output and "payments.papss_all" in result.output
    assert (out / "decomposition.parquet").is_file()
    m = json.loads((out / "manifest.json").read_text())
    assert "--decompose" in m["command"] and m["decomposition"]["kinds"] == ["lever"]


def test_compare_flags_refuse_bad_values(d: Path, tmp_path: Path) -> None:
    args = ["compare", str(d / "base_small.yaml"), str(d / "two.yaml"), "--out", str(tmp_path / "x")]
    result = cli(*args, "--decompose", "--decompose-by", "mechanisms")
    assert result.exit_code == 2 and "--decompose-by 'mechanisms' is not known" in result.output
    result = cli(*args, "--uncertain", "eta=0:9", "--executor", "serial")
    assert result.exit_code == 2 and "outside the declared range of eta" in result.output
    assert "Traceback" not in result.output
    result = cli(*args, "--uncertain", "sigmaa", "--executor", "serial")
    assert result.exit_code == 2 and "did you mean 'sigma'" in result.output

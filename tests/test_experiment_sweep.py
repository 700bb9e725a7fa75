"""Sweeps: the sweep: section (checks with file:line), designs and indices (SALib), resume, and compare --uncertain."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import compare
from simulator.experiment.compare import ExperimentError
from simulator.experiment.sweep import INDEX_COLUMNS, Design, compute_indices, make_design, sweep, sweep_points
from simulator.experiment.uncertainty import UncertaintyError, draw, draw_seed, parse_uncertain
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import SweepSection
from simulator.scenario.sweeps import with_levers
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# plumbing tests: 200 firms, 3 steps and a 2-step burn-in (parameters: burn_in_steps) keep every run quick; no test
# here judges the economics
TWO = """schema_version: 1
extends: baseline
name: two_levers
header: {title: Two levers, author: tests, description: PAPSS for AfCFTA members and a storage ban in Nigeria.}
run: {firms: 200, steps: 3, seed: 7}
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
name: {name}
header: {{title: A sweep, author: tests, description: Uncertain parameters and levers of the two-lever reform.}}
sweep:
{body}
"""
MORRIS = """  design: morris
  n: 2
  levels: 4
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - parameter: sigma
      values: [4, 5, 6]
    - item: papss_all
    - name: kenya_personal
      rule: {economies: KEN, data: personal, regimes: [open, storage_ban]}
"""
SOBOL = """  design: sobol
  n: 4
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - parameter: rho
"""
LHS = """  design: latin_hypercube
  n: 10
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - item: ban_ng
"""


@pytest.fixture(autouse=True, scope="module")
def _schedule_cache(tmp_path_factory):
    """Compiled schedules cached in a temporary folder, not the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sweeps")
    shutil.copy(SCENARIOS / "baseline.yaml", d / "baseline.yaml")
    (d / "two.yaml").write_text(TWO, encoding="utf-8")
    for name, body in (("morris", MORRIS), ("sobol", SOBOL), ("lhs", LHS)):
        (d / f"{name}.yaml").write_text(SWEEP.format(name=name, body=body), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def world():
    return load_world()


def _write(d: Path, name: str, body: str) -> Path:
    path = d / f"{name}.yaml"
    path.write_text(SWEEP.format(name=name, body=body), encoding="utf-8")
    return path


# --- the sweep: section -----------------------------------------------------------------------------------------


def test_a_range_outside_the_declared_one_is_an_error_naming_file_line_and_key(d: Path, world) -> None:
    path = _write(d, "bad_range", "  n: 4\n  factors:\n    - parameter: eta\n      range: [0.1, 2.5]\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, vocabulary(world))
    (issue,) = err.value.issues
    text = str(issue)
    assert issue.file == str(path) and issue.line == 9
    assert issue.path == ("sweep", "factors", 0, "range", 1)
    assert "declared range 0 – 2" in text and "2.5" in text and "range: [0.1, 2]" in text


def test_sweep_section_errors_name_what_was_expected(d: Path, world) -> None:
    body = (
        "  design: sobol\n  n: 100\n  factors:\n    - parameter: sigmaa\n    - item: ban_ngg\n"
        "    - {name: r, rule: {economies: KENN, regimes: [open, storage_ban]}}\n"
        "    - {parameter: eta, values: [0.2, 3]}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(d, "bad_names", body), vocabulary(world))
    text = "\n".join(str(i) for i in err.value.issues)
    assert "unknown parameter 'sigmaa'" in text and "did you mean 'sigma'" in text
    assert "no item of the scenario has id 'ban_ngg'" in text and "did you mean 'ban_ng'" in text
    assert "unknown economy 'KENN'" in text
    assert "values[1]" in text and "outside its declared range" in text
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(d, "bad_n", "  design: sobol\n  n: 100\n  factors: [{parameter: eta}]\n"))
    assert "power of 2" in str(err.value) and "64 or 128" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(d, "no_n", "  design: morris\n  factors: [{parameter: eta}]\n"))
    assert "design morris needs 'n'" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(d, "twice", "  n: 2\n  factors: [{parameter: eta}, {name: e2, parameter: eta}]\n"))
    assert "parameter 'eta' is already varied by factors[0]" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(d, "two_kinds", "  n: 2\n  factors: [{parameter: eta, item: ban_ng}]\n"))
    assert "exactly one of 'parameter', 'item' or 'rule'" in str(err.value)


def test_levers_switch_items_and_add_rules(d: Path, world) -> None:
    vocab = vocabulary(world)
    sc = load_scenario(d / "morris.yaml", vocab)
    off = with_levers(sc, {"papss_all": "off", "kenya_personal": "storage_ban"})
    assert [s.item.id for s in off.payments] == []
    assert off.rules[-1].item.regime == "storage_ban" and off.rules[-1].item.id == "sweep_kenya_personal"
    on = with_levers(sc, {"papss_all": "on", "kenya_personal": "open"})
    assert [s.item.id for s in on.payments] == ["papss_all"]
    ken = world.iso3.index("KEN")
    a, b = compile_scenario(world, off), compile_scenario(world, on)
    assert not np.array_equal(a.initial.regime[ken], b.initial.regime[ken])
    assert not np.array_equal(a.initial.payment_interop, b.initial.payment_interop)


def test_designs_have_the_documented_number_of_points(d: Path, world) -> None:
    vocab = vocabulary(world)
    for name, points in (("morris", 2 * (4 + 1)), ("sobol", 4 * (2 + 2)), ("lhs", 10)):
        section = load_scenario(d / f"{name}.yaml", vocab).sweep.item
        design = make_design(section, 1)
        assert len(design.values) == points == sweep_points(section)
        assert design.unit.min() >= 0 and design.unit.max() <= 1
        again = make_design(section, 1)
        assert np.array_equal(design.unit, again.unit)
    ff = SweepSection.model_validate(
        {
            "design": "full_factorial",
            "levels": 3,
            "factors": [{"parameter": "eta"}, {"parameter": "sigma", "values": [4, 6]}],
        }
    )
    design = make_design(ff, 0)
    assert len(design.values) == 6 == sweep_points(ff)
    assert sorted({v["eta"] for v in design.values}) == [0.0, 1.0, 2.0]


# --- indices on known functions ------------------------------------------------------------------------------------


def _outcomes(design: Design, y: np.ndarray) -> pd.DataFrame:
    n = len(y)
    return pd.DataFrame(
        {
            "point": [f"p{i:05d}" for i in range(n)],
            "index": np.arange(n),
            "metric": "m",
            "level": "world",
            "group": "world",
            "value": y,
            "n": 1,
        }
    )


def test_sobol_indices_find_the_ishigami_structure() -> None:
    from SALib.test_functions import Ishigami

    section = SweepSection.model_validate(
        {"design": "sobol", "n": 1024, "factors": [{"parameter": "eta"}, {"parameter": "sigma"}, {"parameter": "rho"}]}
    )
    design = make_design(section, 3)
    x = -np.pi + 2 * np.pi * design.unit
    table, notes = compute_indices(design, _outcomes(design, Ishigami.evaluate(x)), section, 3)
    assert not notes and list(table.columns) == list(INDEX_COLUMNS)
    s1 = table[table["index"] == "S1"].set_index("factor")["value"]
    st = table[table["index"] == "ST"].set_index("factor")["value"]
    # analytic values: S1 = 0.314, 0.442, 0; ST(x3) = 0.244
    assert s1["eta"] == pytest.approx(0.314, abs=0.05) and s1["sigma"] == pytest.approx(0.442, abs=0.05)
    assert abs(s1["rho"]) < 0.05 and st["rho"] == pytest.approx(0.244, abs=0.05)
    assert table["conf"].notna().all()


def test_lhs_src_and_factorial_anova_recover_a_linear_outcome() -> None:
    lhs = SweepSection.model_validate(
        {"design": "latin_hypercube", "n": 200, "factors": [{"parameter": "eta"}, {"parameter": "rho"}]}
    )
    design = make_design(lhs, 5)
    table, _ = compute_indices(design, _outcomes(design, 3.0 * design.unit[:, 0] + 0.0 * design.unit[:, 1]), lhs, 5)
    src = table[table["index"] == "SRC"].set_index("factor")
    assert src.loc["eta", "value"] == pytest.approx(1.0, abs=1e-9) and abs(src.loc["rho", "value"]) < 1e-9
    assert table.loc[table["index"] == "R2", "value"].item() == pytest.approx(1.0)
    ff = SweepSection.model_validate(
        {"design": "full_factorial", "levels": 3, "factors": [{"parameter": "eta"}, {"parameter": "rho"}]}
    )
    design = make_design(ff, 0)
    y = np.array([v["eta"] for v in design.values])
    table, _ = compute_indices(design, _outcomes(design, y), ff, 0)
    s1 = table.set_index("factor")["value"]
    assert s1["eta"] == pytest.approx(1.0) and s1["rho"] == pytest.approx(0.0)


# --- dlsim sweep ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def morris_run(d: Path, tmp_path_factory):
    return sweep(d / "morris.yaml", out=tmp_path_factory.mktemp("m") / "out", executor="serial")


def test_a_morris_sweep_writes_design_outcomes_and_indices(morris_run) -> None:
    res = morris_run
    root = res.root
    m = json.loads((root / "manifest.json").read_text())
    assert m["kind"] == "sweep" and m["sweep"]["points"] == 10 and len(m["runs"]) == 10
    design = pd.read_parquet(root / "sweep" / "design.parquet")
    assert list(design.columns[:2]) == ["point", "index"] and {"eta", "sigma", "papss_all", "u:eta"} <= set(design)
    assert set(design["papss_all"]) <= {"off", "on"} and set(design["sigma"]) <= {4.0, 5.0, 6.0}
    indices = pd.read_parquet(root / "sweep" / "indices.parquet")
    assert list(indices.columns) == list(INDEX_COLUMNS)
    assert set(indices["index"]) == {"mu_star", "mu", "sigma"}
    assert set(indices["factor"]) == {"eta", "sigma", "papss_all", "kenya_personal"}
    world = indices[(indices["metric"] == "real_income") & (indices["level"] == "world")]
    assert len(world) == 12 and world["value"].notna().all()
    assert (indices.loc[indices["index"] == "mu_star", "value"] >= 0).all()
    outcomes = pd.read_parquet(root / "sweep" / "outcomes.parquet")
    assert outcomes["point"].nunique() == 10 and set(outcomes["level"]) == {"world", "region", "development"}
    assert res.ranking("real_income")["factor"].tolist()[0] in {"eta", "sigma", "papss_all", "kenya_personal"}


def test_a_sobol_sweep_gives_first_order_and_total_indices(d: Path, tmp_path: Path) -> None:
    res = sweep(d / "sobol.yaml", out=tmp_path / "s", executor="serial")
    idx = res.indices
    assert set(idx["index"]) == {"S1", "ST"} and set(idx["factor"]) == {"eta", "rho"}
    assert idx["conf"].notna().all() and len(res.design) == 16


def _cli(*args: str) -> list[str]:
    # no HTML report: it is tested elsewhere, and it would be written into the repository's reports/
    return [sys.executable, "-m", "simulator.cli", "sweep", *args, "--no-report"]


KILLED = """  design: latin_hypercube
  n: 24
  factors:
    - parameter: eta
      range: [0.1, 0.6]
    - item: papss_all
"""


def test_a_sweep_killed_and_resumed_equals_an_uninterrupted_one(d: Path, tmp_path: Path) -> None:
    path = _write(d, "killed", KILLED)
    reference = sweep(path, out=tmp_path / "reference", executor="serial")
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _cli(str(path), "--out", str(out), "--executor", "serial"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (out / "runs").is_dir() and len(list((out / "runs").rglob("*.parquet"))) >= 3:
                break
            if proc.poll() is not None:
                pytest.fail("the sweep finished before it could be killed")
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "runs").rglob("*.parquet")}
    assert 3 <= len(before) < 24
    resumed = subprocess.run(
        _cli(str(path), "--out", str(out), "--resume", "--executor", "processes", "--workers", "2"),
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    for p, stamp in before.items():
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp, f"{p} was recomputed"
    ref = reference.root
    for name in ("design", "outcomes", "indices"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / "sweep" / f"{name}.parquet"), pd.read_parquet(ref / "sweep" / f"{name}.parquet")
        )


def test_a_file_without_sweep_section_is_refused(d: Path, tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="has no sweep: section"):
        sweep(d / "two.yaml", out=tmp_path / "x", executor="serial")


# --- compare --uncertain ---------------------------------------------------------------------------------------------


def test_uncertain_specifications(d: Path, world) -> None:
    vocab = vocabulary(world)
    (eta,) = parse_uncertain(["eta"], vocab)
    assert (eta.low, eta.high) == (0.0, 2.0)
    (eta,) = parse_uncertain(["eta=0.1:0.4"], vocab)
    assert (eta.low, eta.high) == (0.1, 0.4)
    from_file = parse_uncertain([str(d / "morris.yaml")], vocab)
    assert [f.spec.parameter for f in from_file] == ["eta", "sigma"]
    for bad, words in (
        ("etaa", "did you mean 'eta'"),
        ("eta=0.1:3", "outside the declared range of eta, 0 – 2"),
        ("eta=0.4:0.1", "LOW must be below HIGH"),
        ("eta=a:b", "is not LOW:HIGH"),
        (str(d / "two.yaml"), "has no sweep: section"),
    ):
        with pytest.raises(UncertaintyError, match=words.replace("(", r"\(").replace(")", r"\)")):
            parse_uncertain([bad], vocab)
    root = np.random.SeedSequence(5)
    kids = root.spawn(3)
    params = parse_uncertain(["eta=0.1:0.4", "sigma=4:6"], vocab)
    a = [draw(params, draw_seed(root, k)) for k in kids]
    assert a == [draw(params, draw_seed(np.random.SeedSequence(5), k)) for k in np.random.SeedSequence(5).spawn(3)]
    assert len({x["eta"] for x in a}) == 3 and all(0.1 <= x["eta"] <= 0.4 and 4 <= x["sigma"] <= 6 for x in a)


def test_compare_uncertain_draws_per_replicate_shared_by_baseline_and_reform(d: Path, tmp_path: Path) -> None:
    same = d / "same.yaml"
    same.write_text(
        (d / "two.yaml").read_text().replace("name: two_levers", "name: same_rules").split("payments:")[0],
        encoding="utf-8",
    )
    base = d / "base_small.yaml"
    base.write_text(
        (d / "two.yaml").read_text().replace("name: two_levers", "name: base_small").split("payments:")[0],
        encoding="utf-8",
    )
    fx = compare(
        base, [same, d / "two.yaml"], replicates=3, out=tmp_path / "u", executor="serial", uncertain=["eta=0.1:0.5"]
    )
    m = fx.manifest
    draws = m["uncertain"]["draws"]
    assert len(draws) == 3 and len({v["eta"] for v in draws.values()}) == 3
    assert m["settings"]["uncertain"][0]["parameter"] == "eta" and "--uncertain" in m["command"]
    # the same rules under the same draws: every paired difference is exactly zero
    f = fx.frame
    assert (f.loc[f["scenario"] == "same_rules", "diff"].dropna() == 0).all()
    # and the draws did reach the runs: a compare without them differs
    plain = compare(base, [same], replicates=3, out=tmp_path / "plain", executor="serial")
    a = pd.read_parquet(tmp_path / "u" / "runs" / "base_small" / "r000.parquet")
    b = pd.read_parquet(tmp_path / "plain" / "runs" / "base_small" / "r000.parquet")
    assert not np.allclose(a["value"].to_numpy(), b["value"].to_numpy(), equal_nan=True)
    assert plain.manifest["settings"]["uncertain"] is None


def test_a_reform_that_sets_an_uncertain_parameter_is_refused(d: Path, tmp_path: Path) -> None:
    eta = d / "eta_reform.yaml"
    eta.write_text(
        "schema_version: 1\nextends: two\nname: eta_reform\n"
        "header: {title: t, author: a, description: d}\nparameters: {eta: 0.9}\n",
        encoding="utf-8",
    )
    with pytest.raises(ExperimentError, match="which --uncertain also draws"):
        compare(d / "two.yaml", [eta], replicates=2, out=tmp_path / "x", executor="serial", uncertain=["eta"])


def test_the_example_sweep_file_is_valid_and_feeds_uncertain(world) -> None:
    vocab = vocabulary(world)
    sc = load_scenario(ROOT / "sweeps" / "afcfta_uncertainty.yaml", vocab)
    assert sc.sweep is not None and sweep_points(sc.sweep.item) == 200
    params = parse_uncertain([str(ROOT / "sweeps" / "afcfta_uncertainty.yaml")], vocab)
    assert [f.spec.parameter for f in params] == ["eta", "interop_effect", "pi0", "kappa_conditional", "rho"]


def test_a_lever_only_full_factorial_branches_points_and_gives_anova_indices(
    d: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.experiment.tasks as tasks

    builds: list[str] = []
    real = tasks.build_model

    def counting(task, spec):
        builds.append(spec.name)
        return real(task, spec)

    monkeypatch.setattr(tasks, "build_model", counting)
    body = (
        "  design: full_factorial\n  factors:\n    - item: papss_all\n"
        "    - {name: kenya, rule: {economies: KEN, data: personal, regimes: [open, conditional, storage_ban]}}\n"
    )
    res = sweep(_write(d, "ff_levers", body), out=tmp_path / "ff", executor="serial")
    assert len(res.design) == 6 and set(res.indices["index"]) == {"S1"}
    assert set(res.indices["factor"]) == {"papss_all", "kenya"}
    assert all(r["status"] == "done" for r in res.manifest["runs"]) and len(res.manifest["runs"]) == 6
    # one model built for the replicate (6 points fit in one task), every point branched from it
    assert builds == ["ff_levers"]
    # with a parameter factor every point is built afresh
    builds.clear()
    body = "  design: full_factorial\n  levels: 2\n  factors:\n    - item: papss_all\n    - parameter: eta\n"
    sweep(_write(d, "ff_mixed", body), out=tmp_path / "ffm", executor="serial")
    assert sorted(builds) == [f"p{i:05d}" for i in range(4)]

"""The SMM fit (``dlsim calibrate --fit``) and the calibration file the world loader reads.

A parameter-recovery check: moments simulated at a known value are the targets, the fit starts elsewhere and must
find the value again; the calibration file round-trips into ``World.calibration`` and the model's parameters; bad
files are one clear error naming the file and the key.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_model_fixtures import full_world
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.calibration import (
    TARGETS,
    Target,
    calibration_document,
    calibration_markdown,
    closure_gap,
    fit,
    measure,
    objective,
    write_calibration,
)
from simulator.model import DataFlowModel
from simulator.scenario.parameters import PARAMETERS
from simulator.world import PolicySchedule, WorldDataError, load_world
from simulator.world.baseline import baseline_state
from simulator.world.loader import CALIBRATION_FILE, CANDIDATE_FILE, default_data_dir

runner = CliRunner()


def _data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped data without its calibration file."""
    out = tmp_path / "data"
    shutil.copytree(default_data_dir(), out, ignore=shutil.ignore_patterns("build", CALIBRATION_FILE))
    return out


def test_objective_is_the_sum_of_squared_deviations_in_half_bands_over_fitted_targets():
    targets = (
        Target("a", "", 0.0, 4.0, "", 1.0),  # half band 2
        Target("b", "", 10.0, 20.0, "", float("nan")),  # point 15, half band 5
        Target("c", "", 0.0, 1.0, "", 0.5, "holdout"),
    )
    assert objective({"a": 5.0, "b": 10.0, "c": 99.0}, targets) == pytest.approx(((5 - 1) / 2) ** 2 + 1.0)
    assert objective({"a": 1.0, "b": float("nan")}, targets) == pytest.approx(100.0)
    closure = (Target("gap", "", 0.0, 10.0, "", 0.0, "constraint"),)
    assert objective({"gap": 9.9}, closure) == 0.0  # inside its band a constraint costs nothing
    assert objective({"gap": 12.0}, closure) == pytest.approx((2.0 / 1.0) ** 2)  # outside: (distance / tenth)²


def test_held_out_targets_are_declared_and_never_in_the_objective():
    held = [t.name for t in TARGETS if t.role == "holdout"]
    assert held[:3] == ["exporter_share", "china_dds_share", "intra_lac_share"]
    assert held[3:] == [f"ict_services_share_{c}" for c in ("ind", "chn", "ken", "bra", "usa")]
    assert {t.role for t in TARGETS} == {"fit", "holdout", "constraint"}
    moments = {t.name: t.point for t in TARGETS}
    assert objective(moments) == 0.0
    assert objective({**moments, **{h: 1e6 for h in held}}) == 0.0


def test_fit_recovers_a_parameter_from_moments_simulated_at_a_known_value():
    world = full_world()
    seeds, firms, steps = (1, 2), 1500, 2
    # K_LAC where the LAC share responds (below ≈ 0.35 it is near zero and flat at this size: not identified)
    truth = 0.6
    at_truth = measure(world, {"dds_capability_lac": truth}, seeds, firms, steps, window=1)
    lac = float(at_truth["lac_dds_share"].mean())
    target = Target("lac_dds_share", "simulated at K_LAC = 0.6", lac - 0.5, lac + 0.5, "test", lac)
    result = fit(
        world,
        ["dds_capability_lac"],
        targets=(target,),
        seeds=seeds,
        n_firms=firms,
        n_steps=steps,
        window=1,
        design_points=0,
        max_evaluations=14,
        start={"dds_capability_lac": 1.2},
    )
    assert result.objective < result.objective_start
    assert abs(result.parameters["dds_capability_lac"] - truth) < 0.12, result.history
    assert result.evaluations <= 14
    assert list(result.history["phase"].unique())[:1] == ["start"]
    # the fit's moments are the mean over its seeds at the fitted value (common random numbers: reproducible)
    again = measure(world, result.parameters, seeds, firms, steps, window=1)
    assert float(again["lac_dds_share"].mean()) == pytest.approx(result.moments["lac_dds_share"])


def test_calibration_file_round_trips_into_the_world_and_the_model(tmp_path):
    data = _data_copy(tmp_path)
    assert load_world(data).calibration == {}
    doc = {"version": 1, "parameters": {"gamma": {"value": 0.9}, "pi0": {"value": 0.11}}}
    write_calibration(doc, data / CALIBRATION_FILE)
    world = load_world(data)
    assert world.calibration == {"gamma": 0.9, "pi0": 0.11}
    assert CALIBRATION_FILE in world.checksums
    schedule = PolicySchedule(initial=baseline_state(world), events=(), horizon=1)
    model = DataFlowModel(world, schedule, params={"pi0": 0.12}, n_firms=300, rng=1)
    assert model.params["gamma"] == 0.9  # the calibration under the defaults
    assert model.params["pi0"] == 0.12  # a scenario's override wins
    assert model.params["sigma"] == PARAMETERS["sigma"].default
    assert world.subset(["BRA", "NGA"]).calibration == world.calibration


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- just a list\n", "expected a calibration file with a 'parameters' mapping"),
        ("parameters:\n  gamma_x: {value: 0.9}\n", "parameters.gamma_x: unknown parameter; did you mean gamma?"),
        ("parameters:\n  gamma: {value: 9}\n", "parameters.gamma.value = 9: expected a number between 0.5 and 1.6"),
        ("parameters:\n  gamma: {value: high}\n", "parameters.gamma.value: expected a number, got 'high'"),
        ("parameters: [\n", "cannot read the calibration file"),
    ],
)
def test_a_bad_calibration_file_is_one_clear_error(tmp_path, content, expected):
    data = _data_copy(tmp_path)
    (data / CALIBRATION_FILE).write_text(content)
    with pytest.raises(WorldDataError) as err:
        load_world(data)
    assert str(err.value).startswith(str(data / CALIBRATION_FILE))
    assert expected in str(err.value)
    result = runner.invoke(app, ["calibrate", "--data", str(data), "--seeds", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_cli_fit_writes_a_calibration_the_world_reads_and_refuses_to_overwrite(tmp_path):
    data = _data_copy(tmp_path)
    args = ["calibrate", "--fit", "--data", str(data), "--firms", "1500", "--seeds", "1", "--steps", "2"]
    small = [*args, "--max-evaluations", "3", "--design-points", "1"]
    report = tmp_path / "calibration.md"
    result = runner.invoke(app, [*small, "--report-out", str(report)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = report.read_text()
    for heading in ("## Method", "## Fitted parameters", "## Targets", "Held out: "):
        assert heading in text
    assert "Fitted parameters" in result.output and "holdout" in result.output
    doc = yaml.safe_load((data / CALIBRATION_FILE).read_text())
    assert doc["version"] == 1 and 2 <= doc["evaluations"] <= 3  # repeated points are evaluated once
    assert doc["settings"]["firms"] == 1500 and doc["settings"]["seeds"] == [101]
    assert [t["name"] for t in doc["targets"]] == [t.name for t in TARGETS]
    assert all(math.isfinite(t["simulated"]) for t in doc["targets"])
    world = load_world(data)
    assert world.calibration == {k: v["value"] for k, v in doc["parameters"].items()}
    again = runner.invoke(app, small, env={"COLUMNS": "200"})
    assert again.exit_code == 2 and "exists" in again.output and "--force" in again.output
    assert yaml.safe_load((data / CALIBRATION_FILE).read_text()) == doc  # nothing overwritten


def test_fit_and_vary_cannot_be_combined():
    result = runner.invoke(app, ["calibrate", "--fit", "--vary", "gamma=0.8"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "--fit and --vary" in result.output


def test_calibration_document_lists_every_target_with_its_role_and_fit():
    world = full_world()
    result = fit(world, ["gamma"], seeds=(1,), n_firms=1500, n_steps=1, design_points=0, max_evaluations=2)
    doc = calibration_document(result, {"git": "abc"})
    assert doc["parameters"]["gamma"]["range"] == [0.5, 1.6]
    assert {t["role"] for t in doc["targets"]} == {"fit", "holdout", "constraint"}
    assert doc["provenance"] == {"git": "abc"}
    assert doc["objective"] <= doc["objective_at_start"]


def test_closure_gap_is_zero_when_income_shares_equal_gdp_shares():
    world = full_world()
    schedule = PolicySchedule(initial=baseline_state(world), events=(), horizon=1)
    model = DataFlowModel(world, schedule, n_firms=1500, rng=1)
    gap = closure_gap(model)
    assert 0.0 <= gap < 100.0
    model.income = model.gdp_share * 7.0  # any scale: shares equal to GDP shares
    assert closure_gap(model) == pytest.approx(0.0, abs=1e-9)
    model.income = model.gdp_share.copy()
    region = world.economies["region"].astype(str).to_numpy()
    model.income[region == "AFR"] *= np.exp(0.5)  # Africa's income 1.65 times its GDP share, before renormalising
    assert closure_gap(model) > 30.0


def test_shipped_calibration_report_does_not_drift():
    path = default_data_dir() / CALIBRATION_FILE
    if not path.is_file():
        path = default_data_dir() / CANDIDATE_FILE
    if not path.is_file():
        pytest.skip("no data/calibration.yaml or candidate shipped")
    doc = yaml.safe_load(path.read_text())
    report = default_data_dir().parent / "docs" / "calibration.md"
    assert report.read_text() == calibration_markdown(doc), (
        "run: dlsim calibrate --fit ... --report-out docs/calibration.md"
    )

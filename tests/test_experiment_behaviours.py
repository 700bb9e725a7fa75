"""Behaviours chosen in scenario files: checked when the run is assembled, honoured by run_model and dlsim run."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_model_fixtures import schedule, small_world
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.behaviours import scenario_behaviours
from simulator.experiment.run import run_model
from simulator.model import registry
from simulator.model.registry import LOCAL_FILES_ENV, BehaviourError
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.world.baseline import baseline_state

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()


def scenario_file(tmp_path: Path, name: str, behaviours: str, extends: str | None = None) -> Path:
    head = f"schema_version: 1\nextends: {extends or SCENARIOS / 'baseline.yaml'}\nname: {name}\n"
    head += "header: {title: t, author: tests, description: d}\n"
    path = tmp_path / f"{name}.yaml"
    path.write_text(head + textwrap.dedent(behaviours), encoding="utf-8")
    return path


def issues_of(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        scenario_behaviours(load_scenario(path))
    return info.value.issues


def test_unknown_rule_points_at_its_line_and_suggests(tmp_path):
    path = scenario_file(tmp_path, "s", "behaviours:\n  innovation: spillover_only\n  market_search: uniform\n")
    [issue] = issues_of(path)
    assert (issue.file, issue.line) == (str(path), 6)
    assert issue.path == ("behaviours", "innovation", "rule")
    assert issue.suggestion == "spillovers_only"
    assert "schumpeterian" in issue.expected


def test_unknown_kind_and_undeclared_and_model_wide_parameters(tmp_path):
    path = scenario_file(
        tmp_path,
        "s",
        """\
        behaviours:
          inovation: schumpeterian
          market_search:
            rule: gravity
            params: {gamma: 0.9}
        """,
    )
    issues = {i.path: i for i in issues_of(path)}
    kind = issues[("behaviours", "inovation")]
    assert kind.line == 6 and kind.suggestion == "innovation"
    gamma = issues[("behaviours", "market_search", "params", "gamma")]
    assert gamma.line == 9
    assert "declares no parameters" in gamma.expected and "set it under 'parameters:'" in gamma.expected


@pytest.fixture
def local_rule(tmp_path, monkeypatch):
    """A behaviour with its own parameters, from a file named in DLSIM_BEHAVIOURS."""
    src = tmp_path / "damped.py"
    src.write_text(
        textwrap.dedent(
            '''\
            from simulator.model.innovation import schumpeterian, InnovationResult
            from simulator.model.registry import register
            from simulator.scenario.parameters import Parameter

            DAMP = Parameter("damping", "d", "1", 0.5, 0.0, 1.0, "Share of the gain kept", "assumption: test", "test")


            @register("innovation", "damped_for_test", parameters=[DAMP], api=1)
            def damped(model, params):
                """The default rule with its productivity gains scaled by d."""
                old = model.firms.phi.copy()
                out = schumpeterian(model)
                phi = old * (out.phi / old.clip(1e-300)) ** params["damping"]
                return InnovationResult(phi=phi, innovated=out.innovated, rd=out.rd)
            '''
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(LOCAL_FILES_ENV, str(src))
    yield src.resolve()
    registry.REGISTRY["innovation"].pop("damped_for_test", None)
    registry._loaded_files.discard(src.resolve())
    sys.modules.pop("dlsim_local_behaviours.damped", None)


def test_parameters_of_a_behaviour_are_checked_along_extends(tmp_path, local_rule):
    scenario_file(tmp_path, "parent", "behaviours:\n  innovation: {rule: damped_for_test, params: {damping: 0.3}}\n")
    child = scenario_file(
        tmp_path,
        "child",
        "behaviours:\n  innovation:\n    rule: damped_for_test\n    params: {dampin: 2, damping: 1.5}\n",
        extends="parent.yaml",
    )
    issues = {i.path[-1]: i for i in issues_of(child)}
    assert issues["dampin"].suggestion == "damping" and issues["dampin"].line == 8
    assert issues["damping"].file == str(child) and issues["damping"].line == 8
    assert "between 0 and 1" in issues["damping"].expected
    # a valid choice: the parent's value, the child's rule
    ok = scenario_file(tmp_path, "ok", "behaviours:\n  market_search: uniform\n", extends="parent.yaml")
    assert scenario_behaviours(load_scenario(ok)) == {
        "innovation": {"rule": "damped_for_test", "params": {"damping": 0.3}},
        "market_search": {"rule": "uniform", "params": {}},
    }


@pytest.fixture(scope="module")
def world():
    return small_world()


def test_no_choice_and_the_default_choice_are_bit_identical(world):
    sch = schedule(baseline_state(world), horizon=3)
    kw = {"n_firms": 300, "n_steps": 3, "seed": 5}
    plain = run_model(world, sch, {}, **kw)
    for choice in ({}, {"innovation": "schumpeterian"}, {"market_search": {"rule": "gravity", "params": {}}}):
        again = run_model(world, sch, {}, behaviours=choice, **kw)
        pd.testing.assert_frame_equal(plain.metrics, again.metrics, check_exact=True)
        pd.testing.assert_frame_equal(plain.firms, again.firms, check_exact=True)
    assert plain.manifest["behaviours"]["innovation"] == {
        "rule": "schumpeterian",
        "params": {},
        "origin": "built-in",
        "api": 1,
    }
    other = run_model(world, sch, {}, behaviours={"innovation": "spillovers_only"}, **kw)
    assert not np.array_equal(plain.metrics["value"].to_numpy(), other.metrics["value"].to_numpy())


def test_run_model_refuses_a_bad_choice_before_any_step(world, local_rule):
    sch = schedule(baseline_state(world), horizon=3)
    steps = []
    with pytest.raises(BehaviourError, match=r"behaviours.innovation.params.damping: out of range"):
        run_model(
            world,
            sch,
            {},
            n_firms=300,
            n_steps=2,
            seed=1,
            behaviours={"innovation": {"rule": "damped_for_test", "params": {"damping": 3}}},
            progress=lambda done, total: steps.append(done),
        )
    assert steps == []
    res = run_model(
        world, sch, {}, n_firms=300, n_steps=2, seed=1, behaviours={"innovation": {"rule": "damped_for_test"}}
    )
    rec = res.manifest["behaviours"]["innovation"]
    assert rec["rule"] == "damped_for_test" and rec["params"] == {"damping": 0.5}
    assert rec["origin"] == f"file {local_rule}"


def cli(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_dlsim_run_honours_the_section_and_records_it(tmp_path):
    path = scenario_file(tmp_path, "spill", "behaviours:\n  innovation: spillovers_only\n  supplier_search: uniform\n")
    out = tmp_path / "out"
    result = cli("run", str(path), "--firms", "300", "--steps", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["behaviours"]["innovation"]["rule"] == "spillovers_only"
    assert manifest["behaviours"]["supplier_search"]["rule"] == "uniform"
    assert manifest["behaviours"]["market_search"]["rule"] == "gravity"
    assert manifest["scenario"]["behaviours"]["innovation"]["origin"].startswith("spill.yaml:")


def test_dlsim_run_reports_a_bad_choice_with_file_and_line_and_writes_nothing(tmp_path):
    path = scenario_file(tmp_path, "bad", "behaviours:\n  innovation: schumpeterain\n")
    out = tmp_path / "out"
    result = cli("run", str(path), "--firms", "300", "--steps", "2", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"{path}:6" in result.output and "behaviours.innovation.rule" in result.output
    assert "did you mean 'schumpeterian'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_dlsim_validate_checks_the_rules_too(tmp_path):
    path = scenario_file(tmp_path, "bad", "behaviours:\n  market_search: {rule: uniform, params: {k: 1}}\n")
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:6" in result.output and "behaviours.market_search.params.k" in result.output
    good = scenario_file(tmp_path, "good", "behaviours:\n  market_search: uniform\n")
    assert cli("validate", str(good)).exit_code == 0


def test_dlsim_params_lists_behaviours_and_their_parameters(local_rule):
    result = cli("params")
    assert result.exit_code == 0, result.output
    for text in ("behaviours", "spillovers_only", "supplier_search", "damped_for_test", "damping"):
        assert text in result.output

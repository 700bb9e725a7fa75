"""Third-party behaviours: the example plugin package installed with pip, chosen from a scenario file.

The package in ``examples/dlsim-example-behaviours`` is installed with ``pip install --target`` into a temporary folder
(not into the shared environment, where it would register a behaviour for every other run), and used from a
subprocess that has that folder on ``PYTHONPATH`` (entry points are found on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "dlsim-example-behaviours"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """The example plugin installed by pip into a temporary folder (built from a copy: the source tree stays clean)."""
    work = tmp_path_factory.mktemp("plugin")
    src = work / "src"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", target, src],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return target


def run_python(code: str, plugin_path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(plugin_path)]),
        "DLSIM_CACHE_DIR": str(tmp_path / "cache"),
        "COLUMNS": "200",
    }
    env.pop("DLSIM_BEHAVIOURS", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_plugin_is_found_checked_and_run_from_a_scenario(plugin_path, tmp_path):
    scenario = tmp_path / "gdp.yaml"
    scenario.write_text(
        f"schema_version: 1\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: gdp\n"
        "header: {title: t, author: tests, description: d}\n"
        "behaviours:\n  market_search: {rule: gdp_weighted, params: {gdp_exponent: 0.5}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = run_python(
        f"""
        import sys
        from simulator.model.registry import available
        from simulator.model.checks import check_behaviour
        from simulator.cli.app import app
        from simulator.cli import commands
        from typer.testing import CliRunner

        assert "gdp_weighted" in available("market_search"), available("market_search")
        check_behaviour("market_search", "gdp_weighted", params={{"gdp_exponent": 0.5}})
        result = CliRunner().invoke(app, ["run", {str(scenario)!r}, "--firms", "300", "--steps", "2", "--out",
                                          {str(out)!r}])
        print(result.output)
        sys.exit(result.exit_code)
        """,
        plugin_path,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = json.loads((out / "manifest.json").read_text())["behaviours"]["market_search"]
    assert rec == {
        "rule": "gdp_weighted",
        "params": {"gdp_exponent": 0.5},
        "origin": "plugin dlsim-example-behaviours 0.1.0",
        "api": 1,
    }
    # a value outside the plugin's declared range is refused before the run, at its line
    scenario.write_text(scenario.read_text().replace("0.5", "7"), encoding="utf-8")
    proc = run_python(
        f"""
        import sys
        from simulator.cli.app import app
        from simulator.cli import commands
        from typer.testing import CliRunner

        result = CliRunner().invoke(app, ["run", {str(scenario)!r}, "--firms", "300", "--steps", "2", "--out",
                                          {str(tmp_path / "out2")!r}])
        print(result.output)
        sys.exit(result.exit_code)
        """,
        plugin_path,
        tmp_path,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{scenario}:6" in proc.stdout and "behaviours.market_search.params.gdp_exponent" in proc.stdout
    assert "between 0 and 2" in proc.stdout


def test_plugin_written_for_another_api_version_is_refused_naming_both(plugin_path, tmp_path):
    proc = run_python(
        """
        from simulator.model import registry
        registry.BEHAVIOUR_API = 2  # this dlsim moved on; the plugin still targets version 1
        try:
            registry.resolve({"market_search": "gdp_weighted"})
        except registry.BehaviourError as exc:
            print(exc)
        else:
            raise SystemExit("not refused")
        """,
        plugin_path,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "plugin dlsim-example-behaviours 0.1.0" in text
    assert "market_search.gdp_weighted = dlsim_example_behaviours:GDP_WEIGHTED" in text
    assert "targets behaviour API 1" in text and "provides behaviour API 2" in text


def test_a_plugin_that_is_not_installed_is_a_clear_scenario_error(tmp_path):
    from simulator.experiment.behaviours import scenario_behaviours
    from simulator.scenario.errors import ScenarioError
    from simulator.scenario.loader import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(
        f"schema_version: 1\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        "header: {title: t, author: tests, description: d}\nbehaviours:\n  market_search: gdp_weighted\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        scenario_behaviours(load_scenario(path))
    [issue] = info.value.issues
    assert issue.line == 5 and "dlsim.behaviours" in issue.suggestion


def test_a_broken_entry_point_is_reported_with_its_plugin(tmp_path, monkeypatch):
    from importlib.metadata import EntryPoint

    from simulator.model.registry import BehaviourError, load_entry_point

    (tmp_path / "not_a_behaviour.py").write_text("THING = 3\nclass Old:\n    api = 0\nOLD = Old()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = EntryPoint("innovation.thing", "not_a_behaviour:THING", "dlsim.behaviours")
    with pytest.raises(BehaviourError, match=re.escape("object of type int; expected a simulator.model.registry.B")):
        load_entry_point(ep)
    old = EntryPoint("innovation.old", "not_a_behaviour:OLD", "dlsim.behaviours")
    with pytest.raises(BehaviourError, match="targets behaviour API 0, but this dlsim provides behaviour API 1"):
        load_entry_point(old)
    missing = EntryPoint("innovation.gone", "no_such_module_anywhere:X", "dlsim.behaviours")
    with pytest.raises(BehaviourError, match="failed on import: ModuleNotFoundError"):
        load_entry_point(missing)

"""The scenario commands: validate, diff, params, schema (exit codes and messages, never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import commands  # noqa: F401  (registers the commands)
from simulator.cli.app import app
from simulator.scenario.docs import parameters_markdown, scenario_json_schema_text
from simulator.scenario.parameters import PARAMETERS
from simulator.world.loader import shipped_calibration

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def test_validate_all_shipped_scenarios_one_line_each():
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    result = run("validate", *files)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("✓")]
    assert len(lines) == len(files)


def test_validate_bad_files_exit_2_with_every_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema_version: 1\nheader: {title: T, author: A, description: D}\n"
        "rules:\n  - economies: [KEN]\n    regime: stoarge_ban\n  - economies: [KNE]\n    regime: open\n"
    )
    result = run("validate", bad, tmp_path, tmp_path / "missing.yaml")
    assert result.exit_code == 2
    err = result.stderr
    assert f"{bad}:5:13" in err and "did you mean 'storage_ban'" in err
    assert "is a directory" in err and "no such file" in err
    assert "Traceback" not in result.output


def test_validate_reports_the_second_pass_names(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema_version: 1\nheader: {title: T, author: A, description: D}\n"
        "rules:\n  - {economies: [KNE], regime: open}\n"
    )
    result = run("validate", bad)
    assert result.exit_code == 2 and "did you mean 'KEN'" in result.stderr


def test_validate_strict_fails_on_warnings(tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text("schema_version: 1\nheader: {title: T, author: A, description: D}\nrun: {replicates: 1}\n")
    assert run("validate", f).exit_code == 0
    assert run("validate", "--strict", f).exit_code == 2


def test_diff_shows_economies_and_dates():
    result = run("diff", ROOT / "scenarios/baseline.yaml", ROOT / "scenarios/storage_ban_nigeria.yaml")
    assert result.exit_code == 0, result.output
    assert "NGA" in result.stdout and "storage_ban" in result.stdout and "2027" in result.stdout


def test_diff_of_identical_scenarios():
    result = run("diff", ROOT / "scenarios/baseline.yaml", ROOT / "scenarios/baseline.yaml")
    assert result.exit_code == 0 and "same rules" in result.stdout


def test_diff_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [")
    result = run("diff", ROOT / "scenarios/baseline.yaml", bad)
    assert result.exit_code == 2 and "malformed YAML" in result.stderr


def test_params_prints_every_parameter_and_writes_markdown(tmp_path):
    out = tmp_path / "p.md"
    result = run("params", "--output", out)
    assert result.exit_code == 0
    assert all(name in result.stdout for name in PARAMETERS)
    assert out.read_text() == parameters_markdown(shipped_calibration()) + "\n"


@pytest.mark.parametrize("target", ["file", "-"])
def test_schema_writes_json(tmp_path, target):
    out = tmp_path / "s.json" if target == "file" else "-"
    result = run("schema", "--output", out)
    assert result.exit_code == 0
    text = result.stdout if target == "-" else Path(out).read_text()
    assert text == scenario_json_schema_text()

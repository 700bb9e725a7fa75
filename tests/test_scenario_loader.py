"""Scenario files: reading, errors with file:line:column, extends chains, merging, migrations, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.errors import ScenarioError, Severity
from simulator.scenario.loader import load_scenario
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.schema import DEFAULT_STEPS
from simulator.scenario.timeline import decimal_year, year_to_step
from tests.test_scenario_helpers import VOCAB, write


def errors_of(path: Path, **kw) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, VOCAB, **kw)
    return info.value.issues


def test_minimal_file_loads_with_defaults(tmp_path):
    s = load_scenario(write(tmp_path, "s.yaml", ""), VOCAB)
    assert s.name == "s"
    assert s.run.steps == DEFAULT_STEPS
    assert s.parameter_values(None) == PARAMETERS.defaults()
    assert s.warnings == ()


def test_misspelled_regime_points_at_line_and_column_and_suggests(tmp_path):
    path = write(tmp_path, "s.yaml", "rules:\n  - economies: [KEN]\n    regime: storage_coppy\n")
    [issue] = errors_of(path)
    assert (issue.line, issue.column) == (5, 13)  # two header lines come first
    assert issue.path == ("rules", 0, "regime")
    assert issue.suggestion == "storage_copy"
    assert "storage_coppy" in issue.value
    assert "storage_ban" in issue.expected
    assert str(issue).startswith(f"{path}:5:13: error: rules[0].regime")


def test_every_error_is_reported_not_only_the_first(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        """\
        rules:
          - economies: [KEN]
            regime: opn
          - economies: {regoin: AFR}
            regime: open
        run: {steps: -3, firms: many}
        """,
    )
    issues = errors_of(path)
    paths = {i.path for i in issues}
    assert ("rules", 0, "regime") in paths
    assert ("rules", 1, "economies", "regoin") in paths
    assert ("run", "steps") in paths and ("run", "firms") in paths
    unknown = next(i for i in issues if i.path[-1] == "regoin")
    assert unknown.suggestion == "region"


def test_unknown_economy_bloc_sector_group_and_parameter_get_suggestions(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        """\
        parameters: {sigam: 4}
        groups:
          east: [KEN, UGAA]
        rules:
          - economies: {group: eats, bloc: EACC}
            sectors: [finance_payment]
            regime: open
        """,
    )
    issues = errors_of(path)
    # The bloc name is an enum: caught in the first (schema) pass, with its suggestion.
    assert [(i.path, i.suggestion) for i in issues] == [(("rules", 0, "economies", "bloc"), "EAC")]
    path.write_text(path.read_text().replace("EACC", "EAC"))
    issues = errors_of(path)
    got = {i.path: i.suggestion for i in issues}
    assert got == {
        ("parameters", "sigam"): "sigma",
        ("groups", "east", 1): "UGA",
        ("rules", 0, "economies", "group"): "east",
        ("rules", 0, "sectors", 0): "finance_payments",
    }
    assert all(i.line is not None and i.column is not None for i in issues)


def test_parameter_out_of_range_is_an_error_and_at_a_bound_a_warning(tmp_path):
    p = PARAMETERS["sigma"]
    [issue] = errors_of(write(tmp_path, "s.yaml", f"parameters: {{sigma: {p.maximum + 1}}}\n"))
    assert issue.path == ("parameters", "sigma") and "between" in issue.expected
    s = load_scenario(write(tmp_path, "t.yaml", f"parameters: {{sigma: {p.maximum}}}\n"), VOCAB)
    assert [w.severity for w in s.warnings] == [Severity.WARNING]
    assert s.parameter_values(None)["sigma"] == p.maximum


def test_booleans_and_text_are_not_numbers(tmp_path):
    issues = errors_of(write(tmp_path, "s.yaml", "parameters: {sigma: true}\nrun: {steps: '40'}\n"))
    assert {i.path for i in issues} == {("parameters", "sigma"), ("run", "steps")}


def test_dates_outside_the_horizon_are_errors_unless_the_horizon_comes_from_the_command_line(tmp_path):
    path = write(tmp_path, "s.yaml", "rules:\n  - economies: [KEN]\n    regime: open\n    timing: 2040\n")
    [issue] = errors_of(path)
    assert issue.path == ("rules", 0, "timing") and "horizon" in issue.message and "2035" in issue.expected
    ok = write(tmp_path, "ok.yaml", "rules:\n  - economies: [KEN]\n    regime: open\n    timing: 2030\n")
    s = load_scenario(ok, VOCAB, run_overrides={"steps": 8})
    assert s.run.steps == 8
    assert any("never takes effect" in w.message for w in s.warnings)


def test_timing_order_is_checked(tmp_path):
    body = "rules:\n  - economies: [KEN]\n    regime: open\n    timing: {announce: 2028, enforce: 2027}\n"
    [issue] = errors_of(write(tmp_path, "s.yaml", body))
    assert "announce comes after enforce" in issue.message


def test_extends_chain_merges_child_last_and_replaces_by_id(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        "run: {firms: 5000, seed: 1}\nparameters: {sigma: 4}\nrules:\n"
        "  - {id: r1, economies: [KEN], regime: open}\n  - {id: r2, economies: [UGA], regime: open}\n",
    )
    write(tmp_path, "mid.yaml", "extends: base\nrun: {seed: 2}\nrules:\n  - {id: r1, economies: [KEN], regime: none}\n")
    child = write(
        tmp_path,
        "child.yaml",
        "extends: mid\nparameters: {gamma: 1.2}\ndrop: [r2]\nrules:\n  - {economies: [TZA], regime: open}\n",
    )
    s = load_scenario(child, VOCAB)
    assert [p.name for p in s.chain] == ["base.yaml", "mid.yaml", "child.yaml"]
    assert (s.run.firms, s.run.seed) == (5000, 2)
    assert dict(s.parameters) == {"sigma": 4, "gamma": 1.2}
    assert [(r.item.economies.iso3, str(r.item.regime)) for r in s.rules] == [(["KEN"], "none"), (["TZA"], "open")]
    assert s.rules[0].origin.file.endswith("mid.yaml")


def test_missing_and_cyclic_extends_are_errors_at_the_extends_line(tmp_path):
    [issue] = errors_of(write(tmp_path, "s.yaml", "extends: baseline\n"))
    assert issue.path == ("extends",) and (issue.line, issue.column) == (3, 10)
    write(tmp_path, "baseline.yaml", "")
    [issue] = errors_of(write(tmp_path, "t.yaml", "extends: baseln\n"))
    assert issue.suggestion == "baseline"
    write(tmp_path, "a.yaml", "extends: b\n")
    write(tmp_path, "b.yaml", "extends: a\n")
    [issue] = errors_of(tmp_path / "a.yaml")
    assert "cycle" in issue.message and "a.yaml → b.yaml → a.yaml" in issue.message


def test_renamed_and_removed_keys_give_migration_messages(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("version: 0\ninherits: baseline\npolicy: {}\nrules:\n  - countries: [KEN]\n    regime: open\n")
    issues = errors_of(path)
    messages = {i.path: i.message for i in issues}
    assert "renamed to 'schema_version'" in messages[("version",)]
    assert "renamed to 'extends'" in messages[("inherits",)]
    assert "removed" in messages[("policy",)]
    assert "renamed to 'economies'" in messages[("rules", 0, "countries")]
    assert ("rules", 0) not in messages  # no redundant "missing economies"


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("schema_version: 99\nheader: {title: T, author: A, description: D}\n")
    [issue] = errors_of(path)
    assert "newer dlsim" in issue.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"# only a comment\n", "empty file"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"rules: [\n", "malformed YAML"),
        (b"- a\n- b\n", "must be a mapping"),
        (b"a: 1\na: 2\n", "duplicate key"),
        (b"a: !!python/object:os.system ls\n", "cannot read"),
        (b"a: &x [*x]\n", "refers to itself"),
        (b"--- 1\n--- 2\n", "malformed YAML"),
    ],
)
def test_bad_files_get_one_clean_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    issues = errors_of(path)
    assert any(message in i.message for i in issues), [str(i) for i in issues]
    assert all(i.file == str(path) for i in issues)


def test_directory_missing_and_huge_files(tmp_path):
    assert "directory" in errors_of(tmp_path)[0].message
    assert "no such file" in errors_of(tmp_path / "nope.yaml")[0].message
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2_000_000)
    assert "too large" in errors_of(big)[0].message


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "expands to more than" in errors_of(path)[0].message


def test_implausible_values_are_warnings_not_errors(tmp_path):
    body = """\
    run: {replicates: 1}
    connectivity:
      - {economies: [KEN], add_points: 60, by: 2026}
    rules:
      - {economies: [KEN], regime: none, safeguards: law}
    """
    s = load_scenario(write(tmp_path, "s.yaml", body), VOCAB)
    got = {w.path for w in s.warnings}
    assert got == {("run", "replicates"), ("connectivity", 0, "add_points"), ("rules", 0, "safeguards")}


def test_decimal_years_and_steps():
    assert decimal_year(2027) == 2027.0
    assert decimal_year("2027-07-02") == pytest.approx(2027 + 182 / 365)
    assert year_to_step(2027.0, 2025.0, 0.25) == 8
    assert year_to_step(2027.01, 2025.0, 0.25) == 9  # first step starting at or after the date
    assert year_to_step(2020.0, 2025.0, 0.25) == 0
    with pytest.raises(ValueError):
        decimal_year(True)

"""The ``behaviours:`` section of scenario files: its shape, the shorthand, merging along ``extends`` (scenario layer).

The rules and their parameters are checked against the behaviours' declarations when a run is assembled
(``tests/test_experiment_behaviours.py``); here only the shape is checked, with file:line errors.
"""

from __future__ import annotations

import pytest

from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from tests.test_scenario_helpers import VOCAB, write


def test_no_section_means_no_choice(tmp_path):
    s = load_scenario(write(tmp_path, "s.yaml", ""), VOCAB)
    assert s.behaviours == {} and s.behaviour_choice() == {}


def test_full_form_and_shorthand(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        """\
        behaviours:
          innovation: {rule: lumpy, params: {rate: 0.5, size: 2}}
          market_search: uniform
        """,
    )
    s = load_scenario(path, VOCAB)
    assert s.behaviour_choice() == {
        "innovation": {"rule": "lumpy", "params": {"rate": 0.5, "size": 2}},
        "market_search": {"rule": "uniform", "params": {}},
    }
    inn = s.behaviours["innovation"]
    assert inn.origin.line == 4 and inn.param_origins["size"].line == 4
    assert s.behaviours["market_search"].origin.line == 5


@pytest.mark.parametrize(
    ("body", "path", "line", "expected"),
    [
        ("behaviours:\n  innovation: {rule: 3}\n", ("behaviours", "innovation", "rule"), 4, "text"),
        ("behaviours:\n  innovation: {rule: lumpy, params: {rate: fast}}\n", None, 4, "a number"),
        ("behaviours:\n  innovation: {rule: lumpy, parms: {rate: 1}}\n", None, 4, "one of the keys"),
        ("behaviours:\n  innovation: {params: {rate: 1}}\n", ("behaviours", "innovation"), 4, ""),
        ("behaviours: [innovation]\n", ("behaviours",), 3, "a mapping of keys"),
        ("behaviours:\n  2innovation: schumpeterian\n", None, 4, ""),
    ],
)
def test_wrong_shapes_point_at_file_and_line(tmp_path, body, path, line, expected):
    f = write(tmp_path, "s.yaml", body)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, VOCAB)
    [issue] = info.value.issues
    assert issue.file == str(f) and issue.line == line, str(issue)
    if path is not None:
        assert issue.path == path, str(issue)
    assert issue.path[0] == "behaviours"
    assert expected in issue.expected, str(issue)


def test_misspelled_params_key_is_suggested(tmp_path):
    f = write(tmp_path, "s.yaml", "behaviours:\n  innovation: {rule: lumpy, parms: {rate: 1}}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, VOCAB)
    assert info.value.issues[0].suggestion == "params"


def test_merging_along_extends(tmp_path):
    write(
        tmp_path,
        "parent.yaml",
        """\
        behaviours:
          innovation: {rule: lumpy, params: {rate: 0.5, size: 2}}
          market_search: uniform
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: parent
        behaviours:
          innovation: {rule: lumpy, params: {size: 3}}
          supplier_search: uniform
        """,
    )
    s = load_scenario(child, VOCAB)
    # the same rule: parameters merged key by key, the child winning
    assert s.behaviour_choice()["innovation"] == {"rule": "lumpy", "params": {"rate": 0.5, "size": 3}}
    assert s.behaviours["innovation"].param_origins["rate"].file.endswith("parent.yaml")
    assert s.behaviours["innovation"].param_origins["size"].file.endswith("child.yaml")
    assert set(s.behaviour_choice()) == {"innovation", "market_search", "supplier_search"}
    # another rule replaces the choice with its parameters
    other = write(tmp_path, "other.yaml", "extends: parent\nbehaviours:\n  innovation: schumpeterian\n")
    assert load_scenario(other, VOCAB).behaviour_choice()["innovation"] == {"rule": "schumpeterian", "params": {}}

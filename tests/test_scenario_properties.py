"""Property tests: thousands of generated bad files each get a clean ScenarioError (file, line), nothing else.

Together these tests generate well over a thousand files (see the ``max_examples`` below).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import Scenario, load_scenario
from tests.test_scenario_helpers import VOCAB

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WORKDIR = Path(tempfile.mkdtemp(prefix="dlsim-prop-"))
WHOLE_FILE = ("empty file", "binary", "not UTF-8", "too large", "malformed YAML", "nesting too deep", "no such file")

VALID = """\
schema_version: 1
header: {title: T, author: A, description: D}
timeline: {start_year: 2025, step_years: 0.25}
run: {firms: 2000, steps: 40, replicates: 5, seed: 1}
parameters: {sigma: 4.5, gamma: 1.1}
groups:
  east: [KEN, UGA]
rules:
  - id: r1
    economies: {group: east, exclude: [UGA]}
    data: [financial, public]
    sectors: [finance_payments]
    regime: storage_copy
    timing: {announce: 2026, enforce: 2027-07-01, grace_years: 0.5, phase_in_years: 1, sunset: 2033}
  - economies: {region: AFR}
    safeguards: law
agreements:
  - {bloc: EAC, waive: {transfer_conditions: 0.5}, join: [NGA], timing: 2028}
  - {club: c1, members: [BRA, ARG], waive: {localisation: 1}, trade_agreement: true}
payments:
  - {system: PAPSS, join: {bloc: EAC}, interop: 0.7, timing: {enforce: 2026, phase_in_years: 2}}
connectivity:
  - {economies: {income_group: LIC}, add_points: 5, starts: 2026, by: 2030}
cloud_regions:
  - {economies: [KEN], opens: 2027}
ecommerce:
  - {economies: all, paperless_trading: 0.2, source_code_disclosure: false, telecom_access: 0.1}
"""
VALID_DATA = yaml.safe_load(VALID)

PROPS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

_counter = iter(range(10**9))


def check_clean(content: bytes) -> None:
    """Load ``content`` as a scenario file: it must load, or fail with a ScenarioError located in that file."""
    path = WORKDIR / f"case{next(_counter)}.yaml"
    path.write_bytes(content)
    try:
        result = load_scenario(path, VOCAB)
    except ScenarioError as exc:
        assert exc.issues, "a ScenarioError must carry at least one issue"
        for issue in exc.issues:
            assert issue.file == str(path)
            if issue.line is None:
                assert any(w in issue.message for w in WHOLE_FILE), str(issue)
            else:
                assert issue.line >= 1 and issue.column is not None and issue.column >= 1
            assert str(issue)  # renders
    else:
        assert isinstance(result, Scenario)
    finally:
        path.unlink(missing_ok=True)


def test_the_valid_template_is_valid():
    path = WORKDIR / "valid.yaml"
    path.write_text(VALID)
    assert load_scenario(path, VOCAB).rules


@settings(PROPS, max_examples=400)
@given(st.binary(max_size=400))
def test_random_bytes(content):
    check_clean(content)


@settings(PROPS, max_examples=400)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_random_text(text):
    check_clean(text.encode("utf-8"))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["KEN", "AFR", "EAC", "open", "storage_ban", "all", "2027-07-01", "law", "financial"]),
)
keys = st.one_of(
    st.text(min_size=1, max_size=10),
    st.sampled_from(
        [
            "schema_version", "header", "rules", "economies", "regime", "timing", "enforce", "parameters", "sigma",
            "agreements", "bloc", "club", "members", "waive", "run", "steps", "iso3", "region", "extends", "drop",
        ]
    ),
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@settings(PROPS, max_examples=500)
@given(st.dictionaries(keys, documents, max_size=8))
def test_random_yaml_documents(doc):
    check_clean(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = [p for p in _paths(VALID_DATA) if p]


def _mutate(data, path, action, junk):
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if not isinstance(parent, dict | list):
        raise TypeError("an earlier mutation replaced this path's container")  # e.g. a string: '0'[0] is '0'
    last = path[-1]
    if action == "replace":
        parent[last] = junk
    elif action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(last, str):
        parent[last[:-1] + "x" if len(last) > 1 else "zz"] = parent.pop(last)
    elif action == "wrap":
        parent[last] = [parent[last], junk]
    return data


@settings(PROPS, max_examples=700)
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete", "rename", "wrap"]), documents),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_valid_scenarios(mutations):
    data = VALID_DATA
    for path, action, junk in mutations:
        try:
            data = _mutate(data, path, action, junk)
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=False)
    check_clean(text.encode("utf-8"))


@settings(PROPS, max_examples=500)
@given(st.data())
def test_character_edits_of_valid_and_shipped_files(data):
    sources = [VALID] + [p.read_text() for p in sorted(SCENARIOS.glob("*.yaml")) if "extends:" not in p.read_text()]
    text = data.draw(st.sampled_from(sources))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        pos = data.draw(st.integers(min_value=0, max_value=len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(st.sampled_from([*":-[]{}&*!|>'\"#\t\n ,0aZ%@`", "\x00", "é"]))
        if edit == "insert":
            text = text[:pos] + char + text[pos:]
        elif edit == "delete":
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    check_clean(text.encode("utf-8"))

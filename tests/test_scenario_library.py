"""The shipped scenario library: each file validates, carries its header, and matches its stored regression table.

Regression tables (tests/expected/scenarios/<name>.csv) hold the resolved rules of each scenario on a small subset
of the real world, plus a summary of the compiled events. Regenerate them on purpose only:
``DLSIM_REGEN=1 .venv/bin/python -m pytest tests/test_scenario_library.py``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from simulator.scenario.docs import parameters_markdown, scenario_json_schema_text
from simulator.scenario.loader import load_scenario
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.resolution import TidyRow, resolve_policy
from simulator.world.loader import shipped_calibration

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXPECTED = ROOT / "tests" / "expected" / "scenarios"
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/scenario.schema.json"
REGEN = os.environ.get("DLSIM_REGEN") == "1"
SMALL_WORLD = [
    "ARG", "BRA", "CHL", "MEX", "PER", "CRI", "NGA", "KEN", "ZAF", "EGY", "GHA", "RWA", "UGA", "TZA",
    "USA", "EUU", "RUS", "CHN", "KOR", "SGP",
]  # fmt: skip
REQUIRED = {
    "baseline",
    "kenya_copy_east_africa",
    "storage_ban_nigeria",
    "lac_conditional_adequacy",
    "afcfta_digital_papss",
    "open_club_expansion",
    "bloc_fragmentation",
    "data_autarky",
    "no_rules",
    "wto_jsi_data_flows",
}
FILES = sorted(SCENARIOS.glob("*.yaml"))


@pytest.fixture(scope="module")
def world():
    from simulator.world.loader import load_world

    return load_world()


@pytest.fixture(scope="module")
def small(world):
    return world.subset(SMALL_WORLD)


def test_the_library_has_every_required_scenario():
    assert REQUIRED <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_shipped_scenario_validates_cleanly_with_header_and_citations(path, world):
    from simulator.world.compile import vocabulary

    assert path.read_text().splitlines()[0] == SCHEMA_LINE
    s = load_scenario(path, vocabulary(world))
    assert s.warnings == ()
    assert s.header.legal_references, "every shipped scenario cites its sources"
    assert s.header.not_modelled, "every shipped scenario says what it leaves out"
    assert s.chain[0].name == "baseline.yaml"


def _table(small, path, world) -> str:
    from simulator.world.compile import compile_scenario, vocabulary

    s = load_scenario(path, vocabulary(world))
    rows = resolve_policy(s, small.iso3, small.sector_codes, vocabulary(small)).rows()
    sched = compile_scenario(small, s)
    summary: dict[tuple[int, str], list[float]] = defaultdict(list)
    for e in sched.events:
        summary[(e.step, e.field)].append(e.value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", *TidyRow.columns()])
    for r in rows:
        source = re.sub(r":\d+ ", " ", r.source)  # line numbers move when headers are edited
        writer.writerow(["rule", *[getattr(r, c) if c != "source" else source for c in TidyRow.columns()]])
    for (step, field), values in sorted(summary.items()):
        writer.writerow(
            ["events", field, f"step {step}", "", "", f"n={len(values)} sum={sum(values):.6g}", "", "", "", "", ""]
        )
    return out.getvalue()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_regression_table_on_a_small_world(path, small, world):
    got = _table(small, path, world)
    expected = EXPECTED / f"{path.stem}.csv"
    if REGEN or not expected.exists():
        EXPECTED.mkdir(parents=True, exist_ok=True)
        expected.write_text(got)
        if not REGEN:
            pytest.fail(f"wrote missing {expected}; check it and commit it")
    assert got == expected.read_text(), f"{path.name} resolves differently; regenerate with DLSIM_REGEN=1 if intended"


def test_baseline_changes_nothing(small, world):
    from simulator.world.compile import compile_scenario, vocabulary

    s = load_scenario(SCENARIOS / "baseline.yaml", vocabulary(world))
    assert compile_scenario(small, s).events == ()


def test_docs_and_schema_do_not_drift():
    assert (ROOT / "docs" / "parameters.md").read_text() == parameters_markdown(shipped_calibration()) + "\n", (
        "run: dlsim params --write"
    )
    assert (ROOT / "docs" / "scenario.schema.json").read_text() == scenario_json_schema_text(), "run: dlsim schema"


def test_schema_lists_every_parameter_with_its_declared_range_and_default():
    import json

    schema = json.loads(scenario_json_schema_text())
    props = schema["properties"]["parameters"]["properties"]
    assert set(props) == set(PARAMETERS)
    for name, p in PARAMETERS.items():
        assert (props[name]["minimum"], props[name]["maximum"], props[name]["default"]) == (
            p.minimum,
            p.maximum,
            p.default,
        )
    md = parameters_markdown(shipped_calibration())
    assert all(f"`{name}`" in md for name in PARAMETERS)

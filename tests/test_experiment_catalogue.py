"""The metric catalogue: one declaration drives ``dlsim metrics``, docs/metrics.md and the units of effects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment.catalogue import catalogue_markdown, headline_metrics, metrics_catalogue
from simulator.experiment.tasks import ReplicateTask, ScenarioSpec, run_replicate
from simulator.model.metrics import EXTRA_METRICS, METRICS
from simulator.scenario.loader import load_scenario
from simulator.world import load_world
from simulator.world.compile import compile_scenario, vocabulary

ROOT = Path(__file__).resolve().parents[1]


def test_docs_metrics_md_is_up_to_date() -> None:
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/metrics.md is stale: run `dlsim metrics --write`"
    )


def test_catalogue_covers_every_declared_metric_once() -> None:
    names = [m.name for m in metrics_catalogue()]
    assert len(names) == len(set(names))
    assert set(names) == {m.name for m in METRICS} | set(EXTRA_METRICS)
    assert all(m.unit for m in metrics_catalogue()), "every metric has a unit"


def test_catalogue_levels_match_a_run() -> None:
    world = load_world()
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", vocabulary(world))
    spec = ScenarioSpec(sc.name, compile_scenario(world, sc), sc.parameter_values(world.calibration))
    (out,) = run_replicate(ReplicateTask(0, np.random.SeedSequence(1), (spec,), spec, 300, 1, world))
    frame = out.frame
    seen = frame.groupby("metric", observed=True)["level"].unique()
    cat = {m.name: m for m in metrics_catalogue()}
    assert set(seen.index) <= set(cat)
    for name, levels in seen.items():
        assert set(levels) == set(cat[name].levels), name


def test_headline_prefers_real_income_and_falls_back() -> None:
    assert headline_metrics({"real_income", "real_output", "cross_border_share"})[:2] == [
        "real_income",
        "cross_border_share",
    ]
    assert headline_metrics({"real_output", "output"})[0] == "real_output"


def test_dlsim_metrics_lists_and_exports_json() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["metrics"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "cross_border_share" in table.output
    as_json = runner.invoke(app, ["metrics", "--json"])
    records = json.loads(as_json.output)
    assert {"name", "definition", "unit", "direction", "family", "levels"} <= set(records[0])


def test_real_income_of_a_grouping_is_the_sum_of_its_economies():
    import numpy as np
    import pandas as pd

    from simulator.experiment.grouping import grouped_place_metrics

    iso3 = ["AAA", "BBB", "CCC"]
    rows = []
    for step in (0, 1):
        for c, (y, ry) in zip(iso3, [(10.0, 8.0), (20.0, 25.0), (5.0, 4.0)], strict=True):
            rows += [(step, "income", "economy", c, y * (1 + step)), (step, "real_income", "economy", c, ry)]
    frame = pd.DataFrame(rows, columns=["step", "metric", "level", "group", "value"])
    groupings = {"development": np.array(["developed", "developing", "developing"])}
    out = grouped_place_metrics(frame, groupings, iso3).set_index(["step", "metric", "group"])["value"]
    assert out[(0, "real_income", "developing")] == 29.0
    assert out[(1, "income", "developing")] == 50.0
    assert out[(0, "price_index", "developing")] == 25.0 / 29.0
    assert out[(0, "real_income", "developed")] == 8.0

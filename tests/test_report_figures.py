"""Figure functions: the report's charts as plotly figures, from a folder or an effects object, numbers checked."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from report_fixture import shared_results

from simulator.report import figures as F
from simulator.report.charts import plan
from simulator.report.context import world_context
from simulator.report.data import load_results
from simulator.report.glossary import NEVER_HEADLINE, headline_metrics
from simulator.report.html import label_overrides


@pytest.fixture(scope="module")
def res():
    return load_results(shared_results())


def test_figures_from_folder_results_and_effects_object_are_the_same(res) -> None:
    folder = F.fan_chart(shared_results(), "cross_border_share")
    effects_object = F.fan_chart(SimpleNamespace(frame=res.frame, paired=res.paired), "cross_border_share")
    assert isinstance(folder, go.Figure)
    assert folder.to_json() == effects_object.to_json()


def test_fan_chart_bands_are_quantiles_of_the_paired_replicates(res) -> None:
    fig, data = F.fan_chart_data(res, "cross_border_share", "data_autarky")
    p = res.paired
    sel = p[(p["scenario"] == "data_autarky") & (p["metric"] == "cross_border_share") & (p["level"] == "world")]
    expected = (sel.groupby("year")["diff"].median() * 100).to_numpy()  # a share: percentage points
    world = data[data["group"] == "world"].sort_values("year")
    np.testing.assert_allclose(world["median"].to_numpy(), expected)
    median_trace = next(t for t in fig.data if t.name == "Median of replicates")
    np.testing.assert_allclose(np.asarray(median_trace.y, dtype=float), expected)
    assert set(data["group"]) == {"world", "developing", "developed"}
    assert (data["q05"] <= data["q25"] + 1e-12).all() and (data["q75"] <= data["q95"] + 1e-12).all()
    assert fig.layout.yaxis.title.text == "Difference from the baseline (pp)"


def test_fan_chart_without_replicates_draws_mean_and_ci(res) -> None:
    fig, data = F.fan_chart_data(SimpleNamespace(frame=res.frame), "real_output", "data_autarky")
    world = res.frame[
        (res.frame["scenario"] == "data_autarky")
        & (res.frame["metric"] == "real_output")
        & (res.frame["level"] == "world")
    ].sort_values("year")
    got = data[data["group"] == "world"].sort_values("year")
    np.testing.assert_allclose(got["effect"].to_numpy(), world["pct"].to_numpy())  # not a share: % change
    assert "Mean with 95 % CI" in {t.name for t in fig.data}


def test_levels_chart_shows_baseline_and_reform_means(res) -> None:
    fig = F.fan_chart(res, "real_output", "data_autarky", levels=True)
    names = {t.name for t in fig.data}
    assert {"Baseline", "Reform"} <= names
    reform = next(t for t in fig.data if t.name == "Reform")
    sel = res.frame[
        (res.frame["scenario"] == "data_autarky")
        & (res.frame["metric"] == "real_output")
        & (res.frame["level"] == "world")
    ].sort_values("year")
    np.testing.assert_allclose(np.asarray(reform.y, dtype=float), sel["reform_mean"].to_numpy())


def test_map_colours_economies_by_their_effect(res) -> None:
    fig, data = F.effect_map_data(res, "cross_border_share", "data_autarky")
    choropleth = fig.data[0]
    assert choropleth.type == "choropleth" and choropleth.locationmode == "ISO-3"
    last = res.frame[
        (res.frame["scenario"] == "data_autarky")
        & (res.frame["metric"] == "cross_border_share")
        & (res.frame["level"] == "economy")
        & (res.frame["step"] == res.frame["step"].max())
    ].set_index("group")
    z = pd.Series(np.asarray(choropleth.z, dtype=float), index=list(choropleth.locations))
    np.testing.assert_allclose(z.to_numpy(), (last["diff"] * 100).reindex(z.index).to_numpy())
    assert "BRA" in z.index and "SGP" not in z.index  # Singapore is too small at 1:110m: a circle instead
    assert fig.data[1].type == "scattergeo" and len(data) == len(last)
    assert abs(choropleth.zmin) == abs(choropleth.zmax)  # centred on no change


def test_flows_sankey_from_region_flow_and_from_flows_table(res) -> None:
    fig, data = F.flows_chart_data(res, "data_autarky")
    sankey = fig.data[0]
    assert sankey.type == "sankey"
    assert np.isclose(sum(sankey.link.value), data["reform"].sum())
    assert sankey.node.label[0].startswith("from ")
    # the same chart from an explicit flows table (contract's optional flows.parquet)
    flows = pd.DataFrame(
        [
            ("baseline", 0, 5, "LAC", "AFR", 10.0),
            ("baseline", 1, 5, "LAC", "AFR", 14.0),
            ("data_autarky", 0, 5, "LAC", "AFR", 6.0),
            ("data_autarky", 1, 5, "LAC", "AFR", 8.0),
        ],
        columns=["scenario", "replicate", "step", "origin_region", "dest_region", "value"],
    )
    no_metric = res.frame[res.frame["metric"] != "region_flow"]
    fig2, data2 = F.flows_chart_data(SimpleNamespace(frame=no_metric, flows=flows), "data_autarky")
    assert data2["reform"].tolist() == [7.0] and data2["baseline"].tolist() == [12.0]
    assert np.isclose(data2["pct"].iloc[0], 100 * (7 / 12 - 1))
    assert fig2.data[0].node.label == ("from Latin America &amp; Caribbean", "to Africa")


def test_bloc_network_joins_members_to_their_blocs(res) -> None:
    world = world_context(res.manifest)
    fig, data = F.bloc_network_data(res, "cross_border_share", "storage_ban_nigeria", world=world)
    assert "ECOWAS" in data.loc[data["iso3"] == "NGA", "blocs"].iloc[0]
    blocs = next(t for t in fig.data if t.name == "Blocs and agreements")
    assert "MERCOSUR" in blocs.text
    edges = fig.data[0]
    assert sum(x is None for x in edges.x) == len(world.memberships[world.memberships["iso3"].isin(data["iso3"])])


@pytest.mark.parametrize("level", ["sector", "size"])
def test_breakdowns_have_one_bar_per_group_with_ci(res, level: str) -> None:
    fig, data = F.breakdown_chart_data(res, level, ["cross_border_share"], "data_autarky")
    f = res.frame
    sel = f[(f["scenario"] == "data_autarky") & (f["metric"] == "cross_border_share") & (f["level"] == level)]
    groups = set(sel.loc[sel["step"] == sel["step"].max(), "group"])
    assert groups and set(data["group"]) == groups
    bar = fig.data[0]
    assert len(bar.y) == len(groups)
    # a group with too few paired replicates has no CI (NaN whiskers); where the CI exists it brackets the effect
    ci = data[data["effect_lo"].notna() & data["effect_hi"].notna()]
    assert len(ci) >= len(data) - 1
    assert (ci["effect_lo"] <= ci["effect"] + 1e-12).all() and (ci["effect"] <= ci["effect_hi"] + 1e-12).all()
    if level == "size":
        assert list(data["group"]) == [g for g in ["micro", "small", "medium", "large"] if g in groups]


def test_decomposition_and_tornado_when_the_results_hold_them(res) -> None:
    fig, data = F.decomposition_chart_data(res, "data_autarky")
    assert len(fig.data) >= 1 and set(data["component"]) == {"compliance_cost", "hosting", "payments"}
    assert "Compliance costs" in fig.data[0].y
    fig, data = F.tornado_chart_data(res)
    assert set(data["index"]) == {"ST"}
    bars = fig.data[0]
    assert list(bars.x) == sorted(bars.x)  # sorted: the largest at the top of the tornado
    # absent tables: no chart planned, an empty figure with a note if asked
    bare = SimpleNamespace(frame=res.frame, paired=res.paired)
    assert {s.kind for s in plan(load_results(shared_results()), None)} >= {"decomposition", "tornado"}
    from simulator.report.data import as_results

    assert not {"decomposition", "tornado", "network"} & {s.kind for s in plan(as_results(bare), None)}
    empty = F.tornado_chart(bare)
    assert empty.layout.annotations[0].text == "The results hold no data for this chart."


def test_headline_leads_with_income_and_never_gross_sales(res) -> None:
    heads = headline_metrics(res.metrics)
    assert heads[0] in {"real_income", "real_output"}
    assert not set(heads) & NEVER_HEADLINE
    assert headline_metrics(["revenue", "output", "exports"]) == []
    assert headline_metrics(["real_output", "real_income", "productivity"])[0] == "real_income"
    table = F.headline_table(res)
    assert set(table["group"]) == {"world", "developing", "developed"}
    row = table[(table["scenario"] == "data_autarky") & (table["metric"] == "cross_border_share")]
    assert (row["effect_unit"] == "pp").all()
    world = row[row["group"] == "world"].iloc[0]
    assert world["verdict"] == (int(np.sign(world["effect"])) if world["distinguishable"] else 0)


def test_labels_are_translated_and_overrides_cover_them(res) -> None:
    en = F.fan_chart(res, "productivity", "data_autarky")
    es = F.fan_chart(res, "productivity", "data_autarky", lang="es")
    assert es.layout.title.text == "Productividad de las empresas: efecto en el tiempo"
    versions = {
        lang: F.fan_chart(res, "productivity", "data_autarky", lang=lang).to_plotly_json()
        for lang in ("en", "es", "pt", "fr")
    }
    import json

    import plotly.io as pio

    versions = {k: json.loads(pio.to_json(v)) for k, v in versions.items()}
    overrides = label_overrides(versions)
    assert overrides["es"]["layout"]["title.text"] == es.layout.title.text
    assert overrides["en"]["layout"]["title.text"] == en.layout.title.text
    assert any("name" in t for t in overrides["fr"]["traces"].values())
    assert not any("x" in t or "y" in t for t in overrides["fr"]["traces"].values())  # numbers are shared


def test_scenario_text_is_escaped_in_figures(res) -> None:
    frame = res.frame.copy()
    frame.loc[frame["scenario"] == "data_autarky", "scenario"] = "<b onmouseover=alert(1)>x</b>"
    fig = F.forest_chart(SimpleNamespace(frame=frame))
    labels = [y for t in fig.data for y in t.y]
    assert "&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;" in labels
    assert not any("<b" in y for y in labels)


def test_unknown_scenario_is_a_clear_error(res) -> None:
    with pytest.raises(ValueError, match="scenario 'nope' not in the results; reforms: data_autarky"):
        F.fan_chart(res, "productivity", "nope")


def test_charts_follow_the_plan(res, tmp_path: Path) -> None:
    specs = plan(res, world_context(res.manifest))
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    kinds = [s.kind for s in specs if s.scenario == "data_autarky"]
    assert kinds.count("fan") == len(headline_metrics(res.metrics))
    assert {"map", "flows", "network", "sector", "size", "decomposition"} <= set(kinds)
    assert all(s.alternate is not None for s in specs if s.kind == "fan")


def test_world_data_that_differ_from_the_runs_are_flagged(res) -> None:
    manifest = dict(res.manifest)
    assert world_context(manifest).mismatched == []
    checksums = dict(manifest["data_checksums"])
    name = sorted(checksums)[0]
    checksums[name] = "0" * 64
    manifest["data_checksums"] = checksums
    assert world_context(manifest).mismatched == [name]

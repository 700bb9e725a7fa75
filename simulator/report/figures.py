"""Figure functions: the report's charts as ``plotly.graph_objects.Figure``, for the report and for notebooks.

Each function takes a results folder, a :class:`~simulator.report.data.Results`, or the experiment layer's effects
object (anything with a ``.frame`` DataFrame holding the ``effects.parquet`` columns, and optionally ``.paired``
etc.), and returns the same figure the report shows, labelled in ``lang`` (``en``, ``es``, ``pt``, ``fr``)::

    from simulator.report import figures
    fig = figures.fan_chart("results/compare", "cross_border_share")
    fig.update_layout(template="plotly_white").show()

Each public function ``name(...)`` has a twin ``name_data(...)`` returning ``(figure, tidy data behind it)``; the
report offers that data as CSV beside each chart. Colours are colour-blind safe (Okabe–Ito; a blue–orange
diverging scale where blue is "better" by the metric's declared direction). Text from the results (scenario, bloc
and component names) is HTML-escaped before it reaches plotly, which renders a subset of HTML in labels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from simulator.report import i18n
from simulator.report.context import WorldContext, mapped_iso3, world_context
from simulator.report.data import Results, as_results, last_step, select
from simulator.report.glossary import headline_metrics, is_share

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008)."""
BETTER = "#0072B2"
WORSE = "#D55E00"
NEUTRAL = "#8C8C8C"
DIVERGING: list[list[Any]] = [[0.0, WORSE], [0.25, "#E69F00"], [0.5, "#F7F7F7"], [0.75, "#56B4E9"], [1.0, BETTER]]
"""Worse (orange) → no change (light grey) → better (blue); colour-blind safe."""
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""Fonts installed on the reader's machine (no web font is fetched)."""
DEVELOPMENT_GROUPS: tuple[tuple[str, str], ...] = (
    ("world", "world"),
    ("development", "developing"),
    ("development", "developed"),
)
"""The world, then the negotiators' split: developing and developed economies."""
SIZE_ORDER: tuple[str, ...] = ("micro", "small", "medium", "large")


TEMPLATE: dict[str, Any] = {
    "layout": {
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "colorway": list(OKABE_ITO),
        "font": {"family": FONT, "size": 13, "color": "#1d1d1f"},
        "xaxis": {"gridcolor": "#ebebeb", "linecolor": "#bbbbbb", "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": "#ebebeb", "linecolor": "#bbbbbb", "zeroline": False, "automargin": True},
        "hoverlabel": {"font": {"family": FONT}},
    }
}
"""A small white style of the report's own (cheaper to build than plotly's templates; restyle freely)."""


def new_figure(*traces: Any) -> go.Figure:
    """An empty figure in the report's style."""
    return go.Figure(data=list(traces), layout={"template": TEMPLATE})


def subplots(**kwargs: Any) -> go.Figure:
    """``plotly.subplots.make_subplots`` in the report's style."""
    return make_subplots(figure=new_figure(), **kwargs)


def esc(value: object) -> str:
    """Text from the results, made safe for plotly's HTML-like labels."""
    return html.escape(str(value), quote=False)


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": FONT, "size": 13},
        "colorway": list(OKABE_ITO),
        "margin": {"l": 60, "r": 30, "t": 70, "b": 50},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
    }
    fig.update_layout(**(settings | extra))
    return fig


def _scenario(res: Results, scenario: str | None) -> str:
    reforms = res.reforms
    if scenario is None:
        if not reforms:
            raise ValueError("the results hold no reform scenario")
        return reforms[0]
    if scenario not in reforms:
        raise ValueError(f"scenario {scenario!r} not in the results; reforms: {', '.join(reforms) or 'none'}")
    return scenario


def _effect_columns(unit: str) -> tuple[str, str, str, float]:
    """Columns and scale for the effect shown: percentage points for shares, % change otherwise."""
    return ("diff", "diff_lo", "diff_hi", 100.0) if is_share(unit) else ("pct", "pct_lo", "pct_hi", 1.0)


def _effect_axis(unit: str, lang: str) -> str:
    return i18n.text("fig.pp_effect" if is_share(unit) else "fig.pct_effect", lang)


def _unit(res: Results, metric: str) -> str:
    return str(res.meta.at[metric, "unit"]) if metric in res.meta.index else ""


def _direction(res: Results, metric: str) -> int:
    return int(res.meta.at[metric, "direction"]) if metric in res.meta.index else 0


def _suffix(unit: str, lang: str) -> str:
    return i18n.text("ui.pp", lang) if is_share(unit) else "%"


def _effect_table(rows: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Rows with ``effect``, ``effect_lo``, ``effect_hi`` in the displayed scale."""
    mid, lo, hi, scale = _effect_columns(unit)
    out = rows.copy()
    out["effect"] = out[mid] * scale
    out["effect_lo"] = out[lo] * scale
    out["effect_hi"] = out[hi] * scale
    out["effect_unit"] = "pp" if is_share(unit) else "%"
    return out


def _bar_colours(frame: pd.DataFrame, direction: int) -> list[str]:
    colours = []
    for _, r in frame.iterrows():
        if not bool(r.get("distinguishable", False)) or direction == 0 or not np.isfinite(r["effect"]):
            colours.append(NEUTRAL)
        else:
            colours.append(BETTER if r["effect"] * direction > 0 else WORSE)
    return colours


def _empty(title: str, lang: str) -> go.Figure:
    fig = new_figure()
    fig.add_annotation(
        text=i18n.text("ui.no_chart_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title)


def _zero_line(fig: go.Figure, orientation: str, subplot: int, dash: str = "solid") -> None:
    """A line at zero across subplot number ``subplot`` (1-based; cheaper than ``add_hline`` on subplots)."""
    suffix = "" if subplot == 1 else str(subplot)
    if orientation == "h":
        ref = {"xref": f"x{suffix} domain", "x0": 0, "x1": 1, "yref": f"y{suffix}", "y0": 0, "y1": 0}
    else:
        ref = {"yref": f"y{suffix} domain", "y0": 0, "y1": 1, "xref": f"x{suffix}", "x0": 0, "x1": 0}
    fig.add_shape(type="line", line={"color": "#555", "width": 1, "dash": dash}, **ref)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# --------------------------------------------------------------------------------------------------------------
# Fan chart (paired effect over calendar time) and levels against the baseline


def fan_chart_data(
    source: Any,
    metric: str,
    scenario: str | None = None,
    *,
    groups: Sequence[tuple[str, str]] | None = None,
    lang: str = "en",
) -> tuple[go.Figure, pd.DataFrame]:
    """Fan chart of the paired effect over calendar time: median and 50 %/90 % bands across replicates.

    One panel per (level, group) — by default the world, developing and developed economies (those present).
    Without per-replicate data (``paired``) the mean and its 95 % CI from the effects table are drawn instead.

    Returns:
        The figure and its data (year, group, quantiles or mean and CI, in the displayed scale).
    """
    res = as_results(source)
    scenario = _scenario(res, scenario)
    unit = _unit(res, metric)
    mid, _lo, _hi, scale = _effect_columns(unit)
    wanted = list(groups or DEVELOPMENT_GROUPS)
    label = i18n.metric_label(metric, lang)
    title = i18n.text("fig.fan_title", lang, metric=label)
    eff = res.effects(scenario, metric)
    present = [(lv, g) for lv, g in wanted if not select(eff, level=lv, group=g).empty]
    if not present:
        return _empty(title, lang), pd.DataFrame()
    fig = subplots(
        rows=1,
        cols=len(present),
        shared_yaxes=True,
        subplot_titles=[i18n.group_label(lv, g, lang) for lv, g in present],
        horizontal_spacing=0.04,
    )
    blue = OKABE_ITO[0]
    tables = []
    for col, (level, group) in enumerate(present, start=1):
        first = col == 1
        rows = res.paired_rows(scenario, metric)
        paired = select(rows, level=level, group=group) if rows is not None else None
        if paired is not None and not paired.empty:
            values = paired[mid] * scale
            q = (
                values.groupby(paired["year"])
                .quantile([0.05, 0.25, 0.5, 0.75, 0.95])
                .unstack()
                .rename(columns={0.05: "q05", 0.25: "q25", 0.5: "median", 0.75: "q75", 0.95: "q95"})
                .reset_index()
            )
            x = q["year"].tolist()
            for lo, hi, key, alpha in (("q05", "q95", "fig.band90", 0.18), ("q25", "q75", "fig.band50", 0.35)):
                fig.add_trace(
                    go.Scatter(
                        x=x + x[::-1],
                        y=q[hi].tolist() + q[lo].tolist()[::-1],
                        fill="toself",
                        fillcolor=_rgba(blue, alpha),
                        line={"width": 0},
                        hoverinfo="skip",
                        name=i18n.text(key, lang),
                        legendgroup=key,
                        showlegend=first,
                    ),
                    row=1,
                    col=col,
                )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=q["median"],
                    mode="lines",
                    line={"color": blue, "width": 2.5},
                    name=i18n.text("fig.median", lang),
                    legendgroup="median",
                    showlegend=first,
                    hovertemplate=f"%{{x:.2f}}: %{{y:.3g}}<extra>{i18n.text('fig.median', lang)}</extra>",
                ),
                row=1,
                col=col,
            )
            q.insert(1, "level", level)
            q.insert(2, "group", group)
            tables.append(q)
        else:
            e = _effect_table(select(eff, level=level, group=group).sort_values("year"), unit)
            x = e["year"].tolist()
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=e["effect_hi"].tolist() + e["effect_lo"].tolist()[::-1],
                    fill="toself",
                    fillcolor=_rgba(blue, 0.25),
                    line={"width": 0},
                    hoverinfo="skip",
                    name=i18n.text("ui.ci95", lang),
                    legendgroup="ci",
                    showlegend=first,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=e["effect"],
                    mode="lines",
                    line={"color": blue, "width": 2.5},
                    name=i18n.text("fig.mean_ci", lang),
                    legendgroup="mean",
                    showlegend=first,
                ),
                row=1,
                col=col,
            )
            tables.append(e[["year", "level", "group", "effect", "effect_lo", "effect_hi"]])
        _zero_line(fig, "h", col, dash="dot")
        fig.update_xaxes(title_text=i18n.text("fig.year", lang), row=1, col=col)
    fig.update_yaxes(title_text=_effect_axis(unit, lang), row=1, col=1)
    data = pd.concat(tables, ignore_index=True)
    data.insert(0, "scenario", scenario)
    data.insert(1, "metric", metric)
    data["unit"] = "pp" if is_share(unit) else "%"
    return _layout(fig, title), data


def fan_chart(
    source: Any,
    metric: str,
    scenario: str | None = None,
    *,
    groups: Sequence[tuple[str, str]] | None = None,
    levels: bool = False,
    lang: str = "en",
) -> go.Figure:
    """Fan chart of the paired effect of ``scenario`` on ``metric`` over calendar time (see :func:`fan_chart_data`).

    Args:
        source: Results folder, ``Results`` or effects object.
        metric: Metric name.
        scenario: Reform (default: the first).
        groups: (level, group) panels (default: world, developing, developed).
        levels: Draw the levels of reform and baseline instead of the effect (see :func:`levels_chart`).
        lang: Label language.
    """
    if levels:
        return levels_chart(source, metric, scenario, groups=groups, lang=lang)
    return fan_chart_data(source, metric, scenario, groups=groups, lang=lang)[0]


def levels_chart_data(
    source: Any,
    metric: str,
    scenario: str | None = None,
    *,
    groups: Sequence[tuple[str, str]] | None = None,
    lang: str = "en",
) -> tuple[go.Figure, pd.DataFrame]:
    """Levels of ``metric`` under the reform and the baseline over time (mean of replicates; reform with 95 % CI)."""
    res = as_results(source)
    scenario = _scenario(res, scenario)
    label = i18n.metric_label(metric, lang)
    title = i18n.text("fig.levels_title", lang, metric=label)
    eff = res.effects(scenario, metric)
    present = [(lv, g) for lv, g in (groups or DEVELOPMENT_GROUPS) if not select(eff, level=lv, group=g).empty]
    if not present:
        return _empty(title, lang), pd.DataFrame()
    fig = subplots(
        rows=1,
        cols=len(present),
        subplot_titles=[i18n.group_label(lv, g, lang) for lv, g in present],
        horizontal_spacing=0.06,
    )
    tables = []
    for col, (level, group) in enumerate(present, start=1):
        e = select(eff, level=level, group=group).sort_values("year")
        x = e["year"].tolist()
        lo = (e["baseline_mean"] + e["diff_lo"]).tolist()
        hi = (e["baseline_mean"] + e["diff_hi"]).tolist()
        first = col == 1
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=hi + lo[::-1],
                fill="toself",
                fillcolor=_rgba(OKABE_ITO[1], 0.25),
                line={"width": 0},
                hoverinfo="skip",
                name=i18n.text("ui.ci95", lang),
                legendgroup="ci",
                showlegend=first,
            ),
            row=1,
            col=col,
        )
        for column, colour, key, dash in (
            ("baseline_mean", "#444444", "fig.hover_baseline", "dash"),
            ("reform_mean", OKABE_ITO[1], "fig.reform", "solid"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=e[column],
                    mode="lines",
                    line={"color": colour, "width": 2.5, "dash": dash},
                    name=i18n.text(key, lang),
                    legendgroup=key,
                    showlegend=first,
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=i18n.text("fig.year", lang), row=1, col=col)
        tables.append(e[["year", "level", "group", "baseline_mean", "reform_mean", "diff_lo", "diff_hi", "unit"]])
    fig.update_yaxes(title_text=i18n.text("fig.level", lang), row=1, col=1)
    data = pd.concat(tables, ignore_index=True)
    data.insert(0, "scenario", scenario)
    data.insert(1, "metric", metric)
    return _layout(fig, title), data


def levels_chart(source: Any, metric: str, scenario: str | None = None, **kwargs: Any) -> go.Figure:
    """Levels of ``metric`` under the reform and the baseline over time (see :func:`levels_chart_data`)."""
    return levels_chart_data(source, metric, scenario, **kwargs)[0]


# --------------------------------------------------------------------------------------------------------------
# Map of effects by economy


def effect_map_data(
    source: Any,
    metric: str,
    scenario: str | None = None,
    *,
    lang: str = "en",
    world: WorldContext | None = None,
) -> tuple[go.Figure, pd.DataFrame]:
    """World map of the effect on ``metric`` by economy at the last step.

    Economies with a shape are a choropleth; small economies and rest-of-region aggregates are circles at their
    reference point.
    """
    res = as_results(source)
    scenario = _scenario(res, scenario)
    unit = _unit(res, metric)
    direction = _direction(res, metric)
    title = i18n.text("fig.map_title", lang, metric=i18n.metric_label(metric, lang))
    rows = last_step(select(res.effects(scenario, metric), level="economy"))
    if rows.empty:
        return _empty(title, lang), pd.DataFrame()
    ctx = world if world is not None else world_context(res.manifest)
    e = _effect_table(rows, unit).sort_values("group").reset_index(drop=True)
    e["name"] = [i18n.group_label("economy", g, lang) for g in e["group"]]
    finite = e["effect"].replace([np.inf, -np.inf], np.nan).dropna()
    bound = float(finite.abs().max()) if len(finite) else 1.0
    bound = bound if bound > 0 else 1.0
    scale = DIVERGING if direction >= 0 else [[1 - p, c] for p, c in reversed(DIVERGING)]
    suffix = i18n.text("ui.pp", lang) if is_share(unit) else "%"
    hover = (
        f"<b>%{{text}}</b><br>{i18n.text('fig.hover_effect', lang)}: %{{z:+.3g}} {suffix}"
        f"<br>{i18n.text('ui.ci95', lang)}: [%{{customdata[0]:+.3g}}, %{{customdata[1]:+.3g}}]<extra></extra>"
    )
    shaped = e[e["group"].isin(mapped_iso3())]
    fig = new_figure(
        go.Choropleth(
            locations=shaped["group"],
            locationmode="ISO-3",
            z=shaped["effect"],
            text=[esc(n) for n in shaped["name"]],
            customdata=np.column_stack([shaped["effect_lo"], shaped["effect_hi"]]),
            zmin=-bound,
            zmax=bound,
            colorscale=scale,
            marker={"line": {"color": "#ffffff", "width": 0.5}},
            colorbar={"title": {"text": suffix}, "thickness": 14},
            hovertemplate=hover,
            name=i18n.metric_label(metric, lang),
        )
    )
    if ctx is not None:
        points = e[~e["group"].isin(mapped_iso3())].merge(
            ctx.economies[["lat", "lon"]], left_on="group", right_index=True, how="inner"
        )
        points = points.dropna(subset=["lat", "lon"])
        if not points.empty:
            fig.add_trace(
                go.Scattergeo(
                    lat=points["lat"],
                    lon=points["lon"],
                    text=[esc(n) for n in points["name"]],
                    customdata=np.column_stack([points["effect_lo"], points["effect_hi"]]),
                    marker={
                        "size": 13,
                        "color": points["effect"],
                        "colorscale": scale,
                        "cmin": -bound,
                        "cmax": bound,
                        "line": {"color": "#333333", "width": 1},
                    },
                    hovertemplate=hover.replace("%{z", "%{marker.color"),
                    name=i18n.text("fig.economies", lang),
                    showlegend=False,
                )
            )
    fig.update_geos(
        projection_type="natural earth",
        showland=True,
        landcolor="#e9e9e9",
        showcountries=True,
        countrycolor="#ffffff",
        showcoastlines=True,
        coastlinecolor="#bbbbbb",
        showocean=False,
        showlakes=False,
        showrivers=False,
        showframe=False,
        resolution=110,
        scope="world",
        projection_rotation_lon=0,
        center={"lon": 0, "lat": 10},
        lonaxis_range=[-180, 180],
        lataxis_range=[-58, 84],
    )
    _layout(fig, title, margin={"l": 10, "r": 10, "t": 70, "b": 40})
    fig.add_annotation(
        text=i18n.text("fig.map_aggregates", lang),
        showarrow=False,
        x=0,
        y=-0.06,
        xref="paper",
        yref="paper",
        xanchor="left",
        font={"size": 11, "color": "#555"},
    )
    data = e[["group", "name", "effect", "effect_lo", "effect_hi", "effect_unit", "baseline_mean", "reform_mean"]]
    data = data.rename(columns={"group": "iso3"})
    data.insert(0, "scenario", scenario)
    data.insert(1, "metric", metric)
    data.insert(2, "year", float(rows["year"].iloc[0]))
    return fig, data


def effect_map(source: Any, metric: str, scenario: str | None = None, **kwargs: Any) -> go.Figure:
    """World map of the effect on ``metric`` by economy (see :func:`effect_map_data`)."""
    return effect_map_data(source, metric, scenario, **kwargs)[0]


# --------------------------------------------------------------------------------------------------------------
# Region × region trade flows (Sankey)


def _flow_table(res: Results, scenario: str) -> pd.DataFrame:
    """Origin, destination, baseline and reform flows at the last step, with the % change and its CI if known."""
    rows = last_step(select(res.effects(scenario, "region_flow"), level="region_pair"))
    if not rows.empty:
        pairs = rows["group"].str.split(">", n=1, expand=True)
        out = pd.DataFrame(
            {
                "origin": pairs[0],
                "dest": pairs[1],
                "baseline": rows["baseline_mean"].to_numpy(),
                "reform": rows["reform_mean"].to_numpy(),
                "pct": rows["pct"].to_numpy(),
                "pct_lo": rows["pct_lo"].to_numpy(),
                "pct_hi": rows["pct_hi"].to_numpy(),
                "year": rows["year"].to_numpy(),
            }
        )
        return out.reset_index(drop=True)
    if res.flows is None or res.flows.empty:
        return pd.DataFrame()
    f = res.flows
    last = f["step"].max()
    means = f[f["step"] == last].groupby(["scenario", "origin_region", "dest_region"], as_index=False)["value"].mean()
    base = means[means["scenario"] == res.baseline].drop(columns="scenario").rename(columns={"value": "baseline"})
    ref = means[means["scenario"] == scenario].drop(columns="scenario").rename(columns={"value": "reform"})
    out = ref.merge(base, on=["origin_region", "dest_region"], how="left")
    out = out.rename(columns={"origin_region": "origin", "dest_region": "dest"})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct"] = 100.0 * (out["reform"] / out["baseline"] - 1.0)
    out["pct_lo"] = np.nan
    out["pct_hi"] = np.nan
    year = f.loc[f["step"] == last, "year"] if "year" in f else pd.Series(dtype=float)
    out["year"] = float(year.iloc[0]) if len(year) else float(last)
    return out


def flows_chart_data(source: Any, scenario: str | None = None, *, lang: str = "en") -> tuple[go.Figure, pd.DataFrame]:
    """Sankey of cross-border trade between regions under the reform; links coloured by % change."""
    res = as_results(source)
    scenario = _scenario(res, scenario)
    table = _flow_table(res, scenario)
    if table.empty:
        return _empty(i18n.text("fig.flows_title", lang, year=""), lang), table
    year = math.floor(float(table["year"].iloc[0]))
    title = i18n.text("fig.flows_title", lang, year=year)
    table = table[table["reform"].fillna(0) > 0].reset_index(drop=True)
    origins, dests = sorted(set(table["origin"])), sorted(set(table["dest"]))
    labels = [i18n.text("fig.from", lang, name=i18n.group_label("region", r, lang)) for r in origins]
    labels += [i18n.text("fig.to", lang, name=i18n.group_label("region", r, lang)) for r in dests]
    colour = {r: OKABE_ITO[i % len(OKABE_ITO)] for i, r in enumerate(sorted(set(origins) | set(dests)))}
    pct = table["pct"].replace([np.inf, -np.inf], np.nan)
    bound = float(pct.abs().max()) if pct.notna().any() else 1.0
    bound = bound if bound > 0 else 1.0
    positions = ((pct.fillna(0.0) / bound).clip(-1, 1) + 1) / 2
    colours = [
        c.replace("rgb(", "rgba(").replace(")", ",0.6)") for c in sample_colorscale(DIVERGING, positions.tolist())
    ]
    hover = (
        "%{source.label} → %{target.label}<br>"
        f"{i18n.text('fig.hover_baseline', lang)}: %{{customdata[0]:,.4g}}<br>"
        f"{i18n.text('fig.hover_reform', lang)}: %{{customdata[1]:,.4g}}<br>"
        f"{i18n.text('fig.hover_effect', lang)}: %{{customdata[2]:+.2f}} %<extra></extra>"
    )
    fig = new_figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [esc(x) for x in labels],
                "color": [colour[r] for r in origins] + [colour[r] for r in dests],
                "pad": 14,
                "thickness": 16,
            },
            link={
                "source": [origins.index(o) for o in table["origin"]],
                "target": [len(origins) + dests.index(d) for d in table["dest"]],
                "value": table["reform"].tolist(),
                "color": colours,
                "customdata": np.column_stack([table["baseline"], table["reform"], pct.fillna(0.0)]),
                "hovertemplate": hover,
            },
        )
    )
    _layout(fig, title)
    fig.add_annotation(
        text=i18n.text("fig.flows_note", lang),
        showarrow=False,
        x=0,
        y=-0.08,
        xref="paper",
        yref="paper",
        xanchor="left",
        font={"size": 11, "color": "#555"},
    )
    data = table.copy()
    data.insert(0, "scenario", scenario)
    return fig, data


def flows_chart(source: Any, scenario: str | None = None, **kwargs: Any) -> go.Figure:
    """Sankey of trade between regions under the reform (see :func:`flows_chart_data`)."""
    return flows_chart_data(source, scenario, **kwargs)[0]


# --------------------------------------------------------------------------------------------------------------
# Network by bloc


def bloc_network_data(
    source: Any,
    metric: str,
    scenario: str | None = None,
    *,
    lang: str = "en",
    world: WorldContext | None = None,
) -> tuple[go.Figure, pd.DataFrame]:
    """Economies around a circle (by region) joined to the blocs and agreements they belong to; colour = effect.

    Needs the world data's bloc memberships (an empty figure with a note when they cannot be read).
    """
    res = as_results(source)
    scenario = _scenario(res, scenario)
    unit = _unit(res, metric)
    direction = _direction(res, metric)
    title = i18n.text("fig.network_title", lang, metric=i18n.metric_label(metric, lang))
    ctx = world if world is not None else world_context(res.manifest)
    rows = last_step(select(res.effects(scenario, metric), level="economy"))
    if ctx is None or rows.empty:
        return _empty(title, lang), pd.DataFrame()
    e = _effect_table(rows, unit).set_index("group")
    exports = last_step(select(res.effects(scenario, "exports"), level="economy")).set_index("group")
    eco = ctx.economies[ctx.economies.index.isin(e.index)].copy()
    eco = eco.sort_values(["region", "is_aggregate", "name"])
    n = len(eco)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pos = {iso: (math.cos(a), math.sin(a)) for iso, a in zip(eco.index, angles, strict=True)}
    members = ctx.memberships[ctx.memberships["iso3"].isin(pos)]
    # Blocs on an inner circle, in the order of their members' mean direction, evenly spaced (no overlaps).
    mean_angle = {}
    for bloc, sel in members.groupby("bloc"):
        vecs = np.array([pos[i] for i in sel["iso3"]])
        mean_angle[bloc] = math.atan2(vecs[:, 1].mean(), vecs[:, 0].mean())
    ordered = sorted(mean_angle, key=lambda b: mean_angle[b])
    start = mean_angle[ordered[0]] if ordered else 0.0
    bloc_pos = {
        b: (
            0.5 * math.cos(start + 2 * math.pi * k / len(ordered)),
            0.5 * math.sin(start + 2 * math.pi * k / len(ordered)),
        )
        for k, b in enumerate(ordered)
    }
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for _, m in members.iterrows():
        (x0, y0), (x1, y1) = pos[m["iso3"]], bloc_pos[m["bloc"]]
        edge_x += [x0, x1, None]
        edge_y += [y0, y1, None]
    fig = new_figure()
    fig.add_trace(
        go.Scatter(
            x=edge_x,
            y=edge_y,
            mode="lines",
            line={"color": "rgba(120,120,120,0.35)", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    effect = e.reindex(eco.index)
    finite = effect["effect"].replace([np.inf, -np.inf], np.nan).dropna()
    bound = float(finite.abs().max()) if len(finite) else 1.0
    bound = bound if bound > 0 else 1.0
    scale = DIVERGING if direction >= 0 else [[1 - p, c] for p, c in reversed(DIVERGING)]
    base_exports = exports["baseline_mean"].reindex(eco.index).fillna(0.0).clip(lower=0.0)
    sizes = 8 + 30 * np.sqrt(base_exports / base_exports.max()) if base_exports.max() > 0 else np.full(n, 12.0)
    suffix = i18n.text("ui.pp", lang) if is_share(unit) else "%"
    names = [esc(i18n.group_label("economy", iso, lang)) for iso in eco.index]
    fig.add_trace(
        go.Scatter(
            x=[pos[i][0] for i in eco.index],
            y=[pos[i][1] for i in eco.index],
            mode="markers+text",
            text=list(eco.index),
            textposition=["middle right" if pos[i][0] >= 0 else "middle left" for i in eco.index],
            textfont={"size": 9},
            customdata=np.column_stack([names, effect["effect"].to_numpy()]),
            hovertemplate=f"<b>%{{customdata[0]}}</b><br>{i18n.text('fig.hover_effect', lang)}: "
            f"%{{marker.color:+.3g}} {suffix}<extra></extra>",
            marker={
                "size": np.asarray(sizes, dtype=float),
                "color": effect["effect"].to_numpy(),
                "colorscale": scale,
                "cmin": -bound,
                "cmax": bound,
                "line": {"color": "#333333", "width": 0.6},
                "colorbar": {"title": {"text": suffix}, "thickness": 14},
            },
            name=i18n.text("fig.economies", lang),
        )
    )
    blocs = sorted(bloc_pos)
    fig.add_trace(
        go.Scatter(
            x=[bloc_pos[b][0] for b in blocs],
            y=[bloc_pos[b][1] for b in blocs],
            mode="markers+text",
            text=[esc(b) for b in blocs],
            textposition="top center",
            textfont={"size": 10, "color": "#222"},
            hovertext=[esc(ctx.blocs["name"].get(b, b)) for b in blocs],
            hoverinfo="text",
            marker={"symbol": "square", "size": 11, "color": "#222222"},
            name=i18n.text("fig.blocs", lang),
        )
    )
    fig.update_xaxes(visible=False, range=[-1.35, 1.35])
    fig.update_yaxes(visible=False, range=[-1.15, 1.15])
    _layout(fig, title)
    fig.add_annotation(
        text=i18n.text("fig.network_note", lang),
        showarrow=False,
        x=0,
        y=-0.08,
        xref="paper",
        yref="paper",
        xanchor="left",
        font={"size": 11, "color": "#555"},
    )
    data = pd.DataFrame(
        {
            "iso3": eco.index,
            "region": eco["region"].to_numpy(),
            "effect": effect["effect"].to_numpy(),
            "effect_lo": effect["effect_lo"].to_numpy(),
            "effect_hi": effect["effect_hi"].to_numpy(),
            "baseline_exports": base_exports.to_numpy(),
            "blocs": [";".join(sorted(members.loc[members["iso3"] == i, "bloc"])) for i in eco.index],
        }
    )
    data.insert(0, "scenario", scenario)
    data.insert(1, "metric", metric)
    return fig, data


def bloc_network(source: Any, metric: str, scenario: str | None = None, **kwargs: Any) -> go.Figure:
    """Economies joined to their blocs, coloured by the effect on ``metric`` (see :func:`bloc_network_data`)."""
    return bloc_network_data(source, metric, scenario, **kwargs)[0]


# --------------------------------------------------------------------------------------------------------------
# Breakdowns by sector and firm size; decomposition; tornado; overview


def breakdown_chart_data(
    source: Any,
    level: str,
    metrics: Sequence[str] | None = None,
    scenario: str | None = None,
    *,
    lang: str = "en",
) -> tuple[go.Figure, pd.DataFrame]:
    """Effects at the last step by group of ``level`` (``sector`` or ``size``), one panel per metric, with 95 % CIs.

    Bars are blue where the effect is better by the metric's direction and distinguishable from zero, orange where
    worse, grey where not distinguishable.
    """
    res = as_results(source)
    scenario = _scenario(res, scenario)
    parts = [select(res.effects(scenario, m), level=level) for m in (metrics or _breakdown_metrics(res))]
    rows_all = last_step(pd.concat(parts, ignore_index=True)) if parts else res.frame.iloc[:0]
    key = "fig.size_title" if level == "size" else "fig.sector_title"
    year = math.floor(float(rows_all["year"].iloc[0])) if not rows_all.empty else ""
    title = i18n.text(key, lang, year=year)
    chosen = [m for m in (metrics or _breakdown_metrics(res)) if m in set(rows_all["metric"])]
    if not chosen:
        return _empty(title, lang), pd.DataFrame()
    fig = subplots(
        rows=1,
        cols=len(chosen),
        shared_yaxes=True,
        subplot_titles=[i18n.metric_label(m, lang) for m in chosen],
        horizontal_spacing=0.04,
    )
    tables = []
    order = list(SIZE_ORDER) if level == "size" else None
    for col, metric in enumerate(chosen, start=1):
        unit = _unit(res, metric)
        e = _effect_table(rows_all[rows_all["metric"] == metric], unit)
        if order:
            e = e.set_index("group").reindex([g for g in order if g in set(e["group"])]).reset_index()
        else:
            e = e.sort_values("group")
        labels = [esc(i18n.group_label(level, g, lang)) for g in e["group"]]
        fig.add_trace(
            go.Bar(
                x=e["effect"],
                y=labels,
                orientation="h",
                marker={"color": _bar_colours(e, _direction(res, metric))},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (e["effect_hi"] - e["effect"]).to_numpy(),
                    "arrayminus": (e["effect"] - e["effect_lo"]).to_numpy(),
                    "color": "#333",
                    "thickness": 1.2,
                },
                name=i18n.metric_label(metric, lang),
                showlegend=False,
                hovertemplate=f"%{{y}}: %{{x:+.3g}} {_suffix(unit, lang)}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        _zero_line(fig, "v", col)
        fig.update_xaxes(title_text=_effect_axis(unit, lang), row=1, col=col)
        tables.append(
            e.assign(metric=metric)[
                ["metric", "group", "effect", "effect_lo", "effect_hi", "effect_unit", "distinguishable"]
            ]
        )
    fig.update_yaxes(autorange="reversed")
    data = pd.concat(tables, ignore_index=True)
    data.insert(0, "scenario", scenario)
    data.insert(1, "level", level)
    return _layout(fig, title), data


def breakdown_chart(source: Any, level: str, metrics: Sequence[str] | None = None, **kwargs: Any) -> go.Figure:
    """Effects by sector or firm size (see :func:`breakdown_chart_data`)."""
    return breakdown_chart_data(source, level, metrics, **kwargs)[0]


def _breakdown_metrics(res: Results) -> list[str]:
    """The first headline metric of market integration and of innovation, and the income headline."""
    heads = headline_metrics(res.metrics)
    out = []
    for family in ("market_integration", "integration", "innovation"):
        m = next((h for h in heads if res.meta.at[h, "family"] == family and h not in out), None)
        if m:
            out.append(m)
    if heads and heads[0] not in out:
        out.append(heads[0])
    return out


def decomposition_chart_data(
    source: Any,
    scenario: str | None = None,
    *,
    metrics: Sequence[str] | None = None,
    kind: str | None = None,
    lang: str = "en",
) -> tuple[go.Figure, pd.DataFrame]:
    """Decomposition of the world effect by channel (or lever): one bar per component with its 95 % CI."""
    res = as_results(source)
    scenario = _scenario(res, scenario)
    dec = res.decomposition
    sel = pd.DataFrame() if dec is None else dec[(dec["scenario"] == scenario) & (dec["level"] == "world")]
    if not sel.empty:
        kind = kind or ("channel" if (sel["kind"] == "channel").any() else str(sel["kind"].iloc[0]))
        sel = sel[sel["kind"] == kind]
    kind_label = i18n.text("fig.kind_lever" if kind == "lever" else "fig.kind_channel", lang)
    chosen = [
        m
        for m in (metrics or headline_metrics(sel["metric"].unique() if not sel.empty else []))
        if not sel.empty and m in set(sel["metric"])
    ][:3]
    title = i18n.text(
        "fig.decomposition_title", lang, kind=kind_label, metric=", ".join(i18n.metric_label(m, lang) for m in chosen)
    )
    if not chosen:
        return _empty(title, lang), pd.DataFrame()
    fig = subplots(
        rows=1, cols=len(chosen), subplot_titles=[i18n.metric_label(m, lang) for m in chosen], horizontal_spacing=0.12
    )
    for col, metric in enumerate(chosen, start=1):
        d = sel[sel["metric"] == metric].sort_values("effect")
        fig.add_trace(
            go.Bar(
                x=d["effect"],
                y=[esc(i18n.component_label(c, lang)) for c in d["component"]],
                orientation="h",
                marker={"color": [BETTER if v * _direction(res, metric) > 0 else WORSE for v in d["effect"]]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (d["effect_hi"] - d["effect"]).to_numpy(),
                    "arrayminus": (d["effect"] - d["effect_lo"]).to_numpy(),
                    "color": "#333",
                },
                showlegend=False,
                name=i18n.metric_label(metric, lang),
            ),
            row=1,
            col=col,
        )
        _zero_line(fig, "v", col)
        fig.update_xaxes(title_text=i18n.text("fig.diff_effect", lang), row=1, col=col)
    data = sel[sel["metric"].isin(chosen)].reset_index(drop=True)
    return _layout(fig, title), data


def decomposition_chart(source: Any, scenario: str | None = None, **kwargs: Any) -> go.Figure:
    """Decomposition of the effect by channel or lever (see :func:`decomposition_chart_data`)."""
    return decomposition_chart_data(source, scenario, **kwargs)[0]


def tornado_chart_data(
    source: Any,
    *,
    metrics: Sequence[str] | None = None,
    index: str | None = None,
    level: str = "world",
    group: str = "world",
    lang: str = "en",
) -> tuple[go.Figure, pd.DataFrame]:
    """Tornado chart of a sweep: factors sorted by their sensitivity index, one panel per metric.

    The index is the total-order ``ST`` by default, else ``mu_star``, else the first found; bars carry its confidence.
    ``level`` and ``group`` choose the place whose outcome the indices explain (default the world).
    """
    res = as_results(source)
    idx = res.indices
    sel = pd.DataFrame() if idx is None else idx[(idx["level"] == level) & (idx["group"] == group)]
    if not sel.empty:
        names = list(dict.fromkeys(sel["index"]))
        index = index or next((i for i in ("ST", "mu_star", "S1") if i in names), names[0])
        sel = sel[sel["index"] == index]
    available = list(dict.fromkeys(sel["metric"])) if not sel.empty else []
    chosen = [m for m in (metrics or (headline_metrics(available) or available)) if m in available][:3]
    label = ", ".join(i18n.metric_label(m, lang) for m in chosen)
    if level == "world":
        title = i18n.text("fig.tornado_title", lang, metric=label)
    else:
        place = i18n.group_label(level, group, lang)
        title = i18n.text("fig.tornado_title_place", lang, metric=label, place=place)
    if not chosen:
        return _empty(title, lang), pd.DataFrame()
    fig = subplots(
        rows=1, cols=len(chosen), subplot_titles=[i18n.metric_label(m, lang) for m in chosen], horizontal_spacing=0.14
    )
    for col, metric in enumerate(chosen, start=1):
        d = sel[sel["metric"] == metric].sort_values("value")
        fig.add_trace(
            go.Bar(
                x=d["value"],
                y=[esc(f) for f in d["factor"]],
                orientation="h",
                marker={"color": OKABE_ITO[0]},
                error_x={"type": "data", "array": d["conf"].fillna(0).to_numpy(), "color": "#333"},
                showlegend=False,
                name=i18n.metric_label(metric, lang),
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text=i18n.text("fig.sensitivity_index", lang, index=esc(index)), row=1, col=col)
    return _layout(fig, title), sel[sel["metric"].isin(chosen)].reset_index(drop=True)


def tornado_chart(source: Any, **kwargs: Any) -> go.Figure:
    """Tornado chart of a sweep's sensitivity indices (see :func:`tornado_chart_data`)."""
    return tornado_chart_data(source, **kwargs)[0]


def forest_chart_data(
    source: Any, metrics: Sequence[str] | None = None, *, lang: str = "en"
) -> tuple[go.Figure, pd.DataFrame]:
    """Every reform's world effect on each headline metric at the last step, with its 95 % CI (one panel each)."""
    res = as_results(source)
    wanted = list(metrics or headline_metrics(res.metrics))
    parts = [select(res.effects(s, m), level="world", group="world") for s in res.reforms for m in wanted]
    rows = last_step(pd.concat(parts, ignore_index=True)) if parts else res.frame.iloc[:0]
    chosen = [m for m in wanted if m in set(rows["metric"])]
    year = math.floor(float(rows["year"].max())) if not rows.empty else ""
    title = i18n.text("fig.forest_title", lang, year=year)
    if not chosen:
        return _empty(title, lang), pd.DataFrame()
    ncols = min(3, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig = subplots(
        rows=nrows,
        cols=ncols,
        shared_yaxes=True,
        subplot_titles=[i18n.metric_label(m, lang) for m in chosen],
        horizontal_spacing=0.08,
        vertical_spacing=0.3 if nrows > 1 else 0.1,
    )
    reforms = res.reforms
    tables = []
    for k, metric in enumerate(chosen):
        row, col = k // ncols + 1, k % ncols + 1
        unit = _unit(res, metric)
        e = _effect_table(rows[rows["metric"] == metric], unit).set_index("scenario").reindex(reforms).reset_index()
        fig.add_trace(
            go.Scatter(
                x=e["effect"],
                y=[esc(s) for s in e["scenario"]],
                mode="markers",
                marker={"size": 11, "color": _bar_colours(e.fillna({"effect": np.nan}), _direction(res, metric))},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (e["effect_hi"] - e["effect"]).to_numpy(),
                    "arrayminus": (e["effect"] - e["effect_lo"]).to_numpy(),
                    "color": "#333",
                },
                showlegend=False,
                name=i18n.metric_label(metric, lang),
                hovertemplate=f"%{{y}}: %{{x:+.3g}} {_suffix(unit, lang)}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        _zero_line(fig, "v", (row - 1) * ncols + col)
        fig.update_xaxes(title_text=i18n.text("ui.pp", lang) if is_share(unit) else "%", row=row, col=col)
        tables.append(
            e.assign(metric=metric)[
                ["scenario", "metric", "effect", "effect_lo", "effect_hi", "effect_unit", "distinguishable"]
            ]
        )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title), pd.concat(tables, ignore_index=True)


def forest_chart(source: Any, metrics: Sequence[str] | None = None, **kwargs: Any) -> go.Figure:
    """Every reform's world effect on the headline metrics (see :func:`forest_chart_data`)."""
    return forest_chart_data(source, metrics, **kwargs)[0]


# --------------------------------------------------------------------------------------------------------------
# Headline cards (numbers, not a figure)


def headline_table(source: Any) -> pd.DataFrame:
    """The headline effects: each reform × headline metric × (world, developing, developed) at the last step.

    Columns: scenario, metric, level, group, year, n, effect, effect_lo, effect_hi, effect_unit ("pp" or "%"),
    direction, distinguishable, verdict (+1 better, −1 worse, 0 not distinguishable or neutral), diff_usd.
    """
    res = as_results(source)
    heads = headline_metrics(res.metrics)
    rows = []
    for scenario in res.reforms:
        for metric in heads:
            unit = _unit(res, metric)
            direction = _direction(res, metric)
            for level, group in DEVELOPMENT_GROUPS:
                sel = last_step(select(res.effects(scenario, metric), level=level, group=group))
                if sel.empty:
                    continue
                e = _effect_table(sel, unit).iloc[0]
                verdict = int(np.sign(e["effect"]) * direction) if bool(e["distinguishable"]) else 0
                rows.append(
                    {
                        "scenario": scenario,
                        "metric": metric,
                        "level": level,
                        "group": group,
                        "year": float(e["year"]),
                        "n": int(e["n"]),
                        "effect": float(e["effect"]),
                        "effect_lo": float(e["effect_lo"]),
                        "effect_hi": float(e["effect_hi"]),
                        "effect_unit": e["effect_unit"],
                        "direction": direction,
                        "distinguishable": bool(e["distinguishable"]),
                        "verdict": verdict,
                        "diff_usd": float(e["diff_usd"]),
                    }
                )
    return pd.DataFrame(rows)

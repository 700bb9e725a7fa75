"""The self-contained HTML report: one file, plotly.js inlined once, country geometry registered, no network.

:func:`build_report` reads a results folder through :func:`~simulator.report.data.load_results`, builds every chart
of :func:`~simulator.report.charts.plan` in the four languages, and renders ``templates/report.html.j2`` with jinja2
(autoescape on: scenario text is shown as text, never run). The page holds:

- plotly.js from the installed ``plotly`` package (``plotly.offline.get_plotlyjs()``), once;
- the shipped Natural Earth geometry as ``window.PlotlyGeoAssets.topojson["world_110m"]``, set before plotly.js loads,
  so geo charts never fetch topojson from plotly's CDN;
- each chart as plotly JSON in English with, per language, only the labels that differ (applied with
  ``Plotly.update`` when the reader switches language), and the data behind it as CSV for download;
- every catalogue string the page uses in the four languages.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from simulator.report import i18n
from simulator.report.charts import MAX_SCENARIO_SECTIONS, ChartSpec, plan
from simulator.report.context import ASSETS, TOPOJSON_NAME, topojson_text, world_context
from simulator.report.data import Results, as_results
from simulator.report.figures import headline_table
from simulator.report.glossary import declarations, glossary_rows, headline_metrics, metric_info

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""plotly.js config for every chart: nothing is sent anywhere."""
GEO_SCOPES: tuple[str, ...] = ("world", "africa", "asia", "europe", "north-america", "south-america")
"""plotly.js looks geometry up as ``<scope>_<resolution>m``; the shipped world geometry serves every scope."""
MAX_REPORT_BYTES = 10_000_000
"""Size a report should stay under (warned about when exceeded)."""
MAX_DIFFERENCES = 40
"""Differences from the baseline listed per scenario (the rest are counted)."""

ProgressCallback = Callable[[int, int], None]
"""Called after each chart with (charts done, charts in all)."""


# --------------------------------------------------------------------------------------------------------------
# Per-language labels of a chart


def _typed_array(value: Any) -> bool:
    return isinstance(value, dict) and "bdata" in value and "dtype" in value


def _diff_paths(a: Any, b: Any, path: str, out: set[str]) -> None:
    """Paths (plotly attribute strings) where two versions of a figure's JSON differ."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and not _typed_array(a):
        for key in a:
            _diff_paths(a[key], b[key], f"{path}.{key}" if path else key, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a and all(isinstance(x, dict) for x in a):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff_paths(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.add(path)


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            obj = obj[name]
        while rest:
            index, _, rest = rest.partition("]")
            obj = obj[int(index)]
            rest = rest.lstrip("[")
    return obj


def label_overrides(versions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each language, the figure attributes that differ between languages, ready for ``Plotly.update``.

    Args:
        versions: Language → figure JSON (``{"data": [...], "layout": {...}}``) of the same chart.

    Returns:
        Language → ``{"layout": {path: value}, "traces": {index: {path: value}}}`` (English included, so that
        switching back restores it).

    Raises:
        ValueError: If the versions differ in structure (number of traces), which a figure function must avoid.
    """
    en = versions["en"]
    layout_paths: set[str] = set()
    trace_paths: dict[int, set[str]] = {}
    for lang, fig in versions.items():
        if lang == "en":
            continue
        if len(fig["data"]) != len(en["data"]):
            raise ValueError(f"chart has {len(fig['data'])} traces in {lang} but {len(en['data'])} in en")
        _diff_paths(en["layout"], fig["layout"], "", layout_paths)
        for i, (a, b) in enumerate(zip(en["data"], fig["data"], strict=True)):
            paths: set[str] = set()
            _diff_paths(a, b, "", paths)
            if paths:
                trace_paths.setdefault(i, set()).update(paths)
    out = {}
    for lang, fig in versions.items():
        out[lang] = {
            "layout": {p: _get(fig["layout"], p) for p in sorted(layout_paths)},
            "traces": {str(i): {p: _get(fig["data"][i], p) for p in sorted(ps)} for i, ps in trace_paths.items()},
        }
    return out


def _figure_json(fig: Any) -> dict[str, Any]:
    return json.loads(pio.to_json(fig, validate=False, remove_uids=True))


def _chart_payload(spec_id: str, build: Callable[[str], Any]) -> tuple[dict[str, Any], pd.DataFrame]:
    versions, data = {}, pd.DataFrame()
    for lang in i18n.LANGUAGES:
        fig, frame = build(lang)
        versions[lang] = _figure_json(fig)
        if lang == "en":
            data = frame
    en = versions["en"]
    return {
        "id": spec_id,
        "data": en["data"],
        "layout": en["layout"],
        "i18n": label_overrides(versions),
    }, data


# --------------------------------------------------------------------------------------------------------------
# Page model


@dataclass(frozen=True)
class Label:
    """A catalogue string with its placeholder values (rendered in English, switched in the page)."""

    key: str
    args: dict[str, Any]

    def en(self) -> str:
        """The English text."""
        return i18n.text(self.key, "en", **self.args)


def _num(value: float, digits: int = 2) -> dict[str, Any]:
    ok = value is not None and math.isfinite(value)
    return {"v": float(value) if ok else None, "d": digits, "en": f"{value:+,.{digits}f}" if ok else "–"}


def _digits(values: list[float]) -> int:
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite) if finite else 1.0
    return 0 if top >= 100 else 1 if top >= 1 else 2 if top >= 0.1 else 3


def _cards(res: Results) -> list[dict[str, Any]]:
    table = headline_table(res)
    info = metric_info(res.frame)
    out = []
    for scenario in res.reforms[:MAX_SCENARIO_SECTIONS]:
        sel = table[table["scenario"] == scenario] if not table.empty else table
        metrics = []
        for metric in dict.fromkeys(sel["metric"]) if not sel.empty else []:
            rows = sel[sel["metric"] == metric]
            digits = _digits(rows[["effect", "effect_lo", "effect_hi"]].to_numpy().ravel().tolist())
            lines = []
            for _, r in rows.iterrows():
                key = f"group.{r['group']}"
                lines.append(
                    {
                        "group": Label(key, {}) if i18n.has(key) else None,
                        "group_raw": r["group"],
                        "effect": _num(r["effect"], digits),
                        "lo": _num(r["effect_lo"], digits),
                        "hi": _num(r["effect_hi"], digits),
                        "unit_key": "ui.pp" if r["effect_unit"] == "pp" else None,
                        "verdict": int(r["verdict"]),
                        "usd": float(r["diff_usd"]) if math.isfinite(r["diff_usd"]) else None,
                        "distinguishable": bool(r["distinguishable"]),
                    }
                )
            meta = info.get(metric)
            metrics.append(
                {
                    "metric": metric,
                    "label_key": f"metric.{metric}.label" if i18n.has(f"metric.{metric}.label") else None,
                    "family_key": f"family.{meta.family}" if meta and i18n.has(f"family.{meta.family}") else None,
                    "lines": lines,
                }
            )
        year = int(sel["year"].max()) if not sel.empty else None
        n = int(sel["n"].min()) if not sel.empty else 0
        out.append({"scenario": scenario, "metrics": metrics, "year": year, "n": n})
    return out


def _safe_url(url: Any) -> str | None:
    """An http(s) link, or ``None`` (no ``javascript:`` or other schemes become links)."""
    if not isinstance(url, str):
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in {"http", "https"} and parsed.netloc else None


def _scenario_view(res: Results, name: str) -> dict[str, Any]:
    info = res.scenario_info(name)
    header = info.get("header") if isinstance(info.get("header"), dict) else {}
    refs = []
    for ref in header.get("legal_references", []) or []:
        if isinstance(ref, dict):
            refs.append(
                {
                    "citation": str(ref.get("citation", "")),
                    "url": ref.get("url"),
                    "href": _safe_url(ref.get("url")),
                    "note": ref.get("note"),
                }
            )
        else:
            refs.append({"citation": str(ref), "url": None, "href": None, "note": None})
    provisions = []
    for p in header.get("provisions", []) or []:
        if isinstance(p, dict):
            provisions.append({"provision": str(p.get("provision", "")), "modelled_as": str(p.get("modelled_as", ""))})
        else:
            provisions.append({"provision": str(p), "modelled_as": ""})
    differences = [str(d) for d in info.get("differences", []) or []]
    return {
        "name": name,
        "title": str(header.get("title") or name),
        "author": header.get("author"),
        "description": header.get("description"),
        "file": info.get("file"),
        "legal_references": refs,
        "provisions": provisions,
        "not_modelled": [str(x) for x in header.get("not_modelled", []) or []],
        "differences": differences[:MAX_DIFFERENCES],
        "more_differences": max(0, len(differences) - MAX_DIFFERENCES),
    }


def _sweep_view(res: Results) -> dict[str, Any] | None:
    """The design of a sweep without reforms (for the page's subtitle), ``None`` for a comparison.

    ``against`` is the counterfactual of an effect sweep (``None`` when the outcomes are levels).
    """
    sweep = res.manifest.get("sweep")
    if res.manifest.get("kind") != "sweep" or res.reforms or not isinstance(sweep, Mapping):
        return None
    factors = sweep.get("factors")
    return {
        "design": str(sweep.get("design", "?")),
        "factors": len(factors) if isinstance(factors, list) else "?",
        "points": sweep.get("points", "?"),
        "against": sweep.get("against_scenario"),
    }


def _expected(row: Any) -> list[Label]:
    """The expectation of a validation row as catalogue strings: side of zero, every pair, band."""
    out = [Label("ui.expected_above" if int(row.direction) > 0 else "ui.expected_below", {})]
    if bool(getattr(row, "every_pair", False)):
        out.append(Label("ui.expected_every_pair", {}))
    if math.isfinite(row.band_low) and math.isfinite(row.band_high):
        out.append(
            Label("ui.expected_band", {"low": f"{row.band_low:g}", "high": f"{row.band_high:g}", "unit": row.unit})
        )
    return out


def _validation_view(res: Results) -> dict[str, Any] | None:
    """The model validation section (``validation/facts.parquet``), ``None`` when the folder has no table."""
    table = res.validation
    if table is None:
        return None
    rows = []
    for r in table.itertuples(index=False):
        key = f"fact.{r.id}.statement"
        current = i18n.has(key) and i18n.text(key, "en") == r.statement
        digits = _digits([r.mean, r.ci_low, r.ci_high])
        rows.append(
            {
                "id": r.id,
                "fact": int(r.fact),
                "statement_key": key if current else None,
                "statement": r.statement,
                "measure": r.measure,
                "expected": _expected(r),
                "mean": _num(r.mean, digits),
                "lo": _num(r.ci_low, digits),
                "hi": _num(r.ci_high, digits),
                "unit_key": "ui.pp" if r.unit == "pp" else None,
                "pairs": f"{int(r.pairs_positive)}/{int(r.n)}",
                "passed": bool(r.passed),
                "note": r.note,
                "source": r.source,
            }
        )
    m = res.validation_manifest
    settings = m.get("settings") if isinstance(m.get("settings"), Mapping) else {}
    designs = [
        Label(
            "ui.validation_design",
            {
                "design": str(name),
                "pairs": v.get("pairs", "?"),
                "firms": f"{v['firms']:,}" if isinstance(v.get("firms"), int) else v.get("firms", "?"),
                "steps": v.get("steps", "?"),
                "seeds": v.get("seeds", "?"),
            },
        )
        for name, v in settings.items()
        if isinstance(v, Mapping)
    ]
    return {
        "rows": rows,
        "passed": sum(r["passed"] for r in rows),
        "total": len(rows),
        "designs": designs,
        "command": m.get("command"),
        "created": m.get("created"),
    }


def _provenance(res: Results, world_note: dict[str, Any] | None) -> dict[str, Any]:
    m = res.manifest
    runs = m.get("runs") or []
    done = sum(1 for r in runs if isinstance(r, dict) and r.get("status") == "done")
    failed = [r for r in runs if isinstance(r, dict) and r.get("status") == "failed"]
    settings = m.get("settings") or {}
    git = m.get("git") or {}
    seed = m.get("seed") or {}
    return {
        "command": m.get("command"),
        "created": m.get("created"),
        "kind": m.get("kind"),
        "dlsim_version": m.get("dlsim_version"),
        "git_commit": git.get("commit") if isinstance(git, dict) else None,
        "git_dirty": bool(git.get("dirty")) if isinstance(git, dict) else False,
        "settings": [
            (key, settings.get(field))
            for key, field in (
                ("ui.firms", "firms"),
                ("ui.steps", "steps"),
                ("ui.replicates", "replicates"),
                ("ui.start_year", "start_year"),
                ("ui.step_years", "step_years"),
                ("ui.executor", "executor"),
                ("ui.workers", "workers"),
            )
            if settings.get(field) is not None
        ],
        "seed": json.dumps(seed, sort_keys=True) if seed else None,
        "runs_done": done,
        "runs_failed": len(failed),
        "failed": [{"id": str(r.get("id", "")), "error": str(r.get("error", ""))} for r in failed],
        "wall_s": m.get("wall_s"),
        "versions": sorted((str(k), str(v)) for k, v in (m.get("versions") or {}).items()),
        "data_checksums": sorted((str(k), str(v)[:16]) for k, v in (m.get("data_checksums") or {}).items()),
        "model_checksum": m.get("model_checksum"),
        "platform": m.get("platform")
        if isinstance(m.get("platform"), str)
        else json.dumps(m.get("platform"))
        if m.get("platform")
        else None,
        "world": world_note,
        "fixture": m.get("fixture"),
    }


def _json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no HTML comment or entity)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _clean(value: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) with ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def t(key: str, **args: Any) -> Markup:
        """A catalogue string as a span the page can switch language on."""
        attrs = (
            f' data-i18n-args="{jinja2.utils.markupsafe.escape(json.dumps(args, ensure_ascii=False))}"' if args else ""
        )
        return (
            Markup(f'<span data-i18n="{jinja2.utils.markupsafe.escape(key)}"{attrs}>')
            + i18n.text(key, "en", **args)
            + Markup("</span>")
        )

    def num(n: dict[str, Any]) -> Markup:
        return (
            Markup(f'<span class="num" data-v="{n["v"] if n["v"] is not None else ""}" data-d="{n["d"]}">')
            + n["en"]
            + Markup("</span>")
        )

    env.globals.update(
        t=t,
        tx=lambda key, **args: i18n.text(key, "en", **args),
        num=num,
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
    )
    return env


def render_report(res: Results, *, progress: ProgressCallback | None = None) -> str:
    """Return the report page for ``res`` as HTML text."""
    world = world_context(res.manifest)
    specs: list[ChartSpec] = plan(res, world)
    charts: list[dict[str, Any]] = []
    shown_metrics: list[str] = list(headline_metrics(res.metrics))
    total = len(specs)
    for done, spec in enumerate(specs, start=1):
        payload, data = _chart_payload(spec.id, spec.build)
        payload["csv"] = data.to_csv(index=False) if not data.empty else ""
        payload["alternate"] = None
        if spec.alternate is not None:
            alt, alt_data = _chart_payload(f"{spec.id}-levels", spec.alternate)
            alt["csv"] = alt_data.to_csv(index=False) if not alt_data.empty else ""
            payload["alternate"] = alt
        charts.append({"spec": spec, "payload": payload})
        shown_metrics += [m for m in spec.metrics if m not in shown_metrics]
        if progress is not None:
            progress(done, total)
    # metrics shown only by the tornado of a sweep without reforms are described by their declarations
    declared = declarations()
    info = {m: declared[m] for m in shown_metrics if m in declared} | metric_info(res.frame)
    shown_metrics = [m for m in shown_metrics if m in info]
    glossary_keys = {m: f"metric.{m}.definition" for m in shown_metrics}
    glossary = []
    for row in glossary_rows(shown_metrics, info, "en"):
        key = glossary_keys[row["name"]]
        current = i18n.has(key) and i18n.text(key, "en") == row["definition"]
        glossary.append(
            row
            | {
                "definition_key": key if current else None,
                "label_key": f"metric.{row['name']}.label" if i18n.has(f"metric.{row['name']}.label") else None,
                "family_key": f"family.{info[row['name']].family}"
                if i18n.has(f"family.{info[row['name']].family}")
                else None,
                "direction_key": {1: "direction.up", -1: "direction.down"}.get(
                    info[row["name"]].direction, "direction.neutral"
                ),
            }
        )
    world_note = None
    if world is not None:
        world_note = {
            "path": world.data_dir,
            "mismatched": ", ".join(world.mismatched),
        }
    settings = res.manifest.get("settings") or {}
    payloads = [_clean(c["payload"]) for c in charts]
    by_section: dict[str | None, list[dict[str, Any]]] = {}
    for c in charts:
        by_section.setdefault(c["spec"].scenario if c["spec"].section == "scenario" else c["spec"].section, []).append(
            c
        )
    topology = json.loads(topojson_text())
    geo_assets = {f"{scope}_{res_}m": "@" for scope in GEO_SCOPES for res_ in (110, 50)}
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            lang="en",
            baseline=res.baseline,
            replicates=settings.get("replicates", "?"),
            firms=f"{settings.get('firms'):,}"
            if isinstance(settings.get("firms"), int)
            else settings.get("firms", "?"),
            created=res.manifest.get("created") or datetime.now(UTC).isoformat(timespec="seconds"),
            cards=_cards(res),
            scenarios=[_scenario_view(res, s) for s in res.reforms[:MAX_SCENARIO_SECTIONS]],
            more_scenarios=max(0, len(res.reforms) - MAX_SCENARIO_SECTIONS),
            baseline_view=_scenario_view(res, res.baseline),
            sweep=_sweep_view(res),
            validation=_validation_view(res),
            validation_only=res.manifest.get("kind") == "validation",
            by_section=by_section,
            provenance=_provenance(res, world_note),
            glossary=glossary,
            version=res.manifest.get("dlsim_version") or "",
            plotly_js=Markup(get_plotlyjs().replace("</script", "<\\/script")),
            topojson=_json_script(topology),
            geo_names=_json_script(sorted(geo_assets)),
            topojson_name=TOPOJSON_NAME,
            charts_json=_json_script(payloads),
            config_json=_json_script(PLOTLY_CONFIG),
            strings_json=_json_script(i18n.page_strings()),
            report_css=Markup((ASSETS / "report.css").read_text(encoding="utf-8")),
            report_js=Markup((ASSETS / "report.js").read_text(encoding="utf-8").replace("</script", "<\\/script")),
        )
    )
    return page


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (no half-written file is left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(results_dir: Any, out_path: Path | str, *, progress: ProgressCallback | None = None) -> Path:
    """Build the self-contained HTML report of a results folder.

    This is the one entry point for ``dlsim report`` and for the end of ``dlsim compare`` / ``dlsim sweep``.

    Args:
        results_dir: The results folder (or a ``Results`` / effects object).
        out_path: The HTML file to write (its folder is created; an existing file is replaced atomically).
        progress: Optional callback after each chart with (charts done, charts in all).

    Returns:
        The path written.

    Raises:
        ResultsError: If the results folder is missing something the report needs (one clear message).
    """
    res = as_results(results_dir)
    out = Path(out_path)
    page = render_report(res, progress=progress)
    write_text_atomic(out, page)
    size = out.stat().st_size
    if size > MAX_REPORT_BYTES:
        logger.warning(
            "report %s is %.1f MB, more than the %d MB a presenter's laptop should open",
            out,
            size / 1e6,
            MAX_REPORT_BYTES // 1_000_000,
        )
    logger.info("report written to %s (%.1f MB)", out, size / 1e6)
    return out

"""Every chart of the report as an image for slides (PNG, SVG or PDF), through kaleido and a local Chrome/Chromium.

One browser is started for all images (``kaleido.write_fig_from_object_sync`` with every figure at once). The page
kaleido renders in uses the plotly.js of the installed ``plotly`` package, no MathJax, and the shipped country
geometry (passed as ``topojson``), so export works offline. File names come from the chart ids, which are built
with :func:`~simulator.report.names.safe_name`, and every path is checked to stay inside the output folder.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simulator.report.charts import plan
from simulator.report.context import TOPOJSON_NAME, topojson_text, world_context
from simulator.report.data import as_results
from simulator.report.names import inside

logger = logging.getLogger(__name__)

KINDS = frozenset({"forest", "fan", "map", "flows", "network", "sector", "size", "decomposition", "tornado"})
"""Kinds of chart the report draws (see ``simulator.report.charts.ChartSpec``)."""
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""Image formats offered for slides."""
SLIDE_SIZE: tuple[int, int] = (1280, 720)
"""Image size in layout pixels (16:9); PNG is written at scale 2 for sharp slides."""
BROWSER_HINT = (
    "image export needs Chrome or Chromium on this machine: install one (Debian/Ubuntu: sudo apt-get install "
    "chromium; any system: run kaleido_get_chrome, which downloads Chrome for kaleido), or set BROWSER_PATH to a "
    "Chrome/Chromium executable"
)

ProgressCallback = Callable[[str], None]


class BrowserNotFoundError(RuntimeError):
    """No Chrome or Chromium for kaleido; the message says how to get one."""


def find_browser() -> str | None:
    """Path of the Chrome/Chromium kaleido will use (``BROWSER_PATH`` first), or ``None``."""
    from choreographer.browsers.chromium import Chromium

    try:
        return Chromium.find_browser(skip_local=False)
    except (RuntimeError, ValueError, OSError):  # pragma: no cover - choreographer's own lookup failing
        return None


def export_images(
    results_dir: Any,
    fmt: str = "png",
    out_dir: Path | str | None = None,
    *,
    lang: str = "en",
    kinds: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write every chart of the report of ``results_dir`` as an image.

    Args:
        results_dir: Results folder (or ``Results`` / effects object).
        fmt: ``png``, ``svg`` or ``pdf``.
        out_dir: Folder for the images (created); default ``<results_dir>/images``.
        lang: Label language (``en``, ``es``, ``pt``, ``fr``).
        kinds: Only charts of these kinds (``forest``, ``fan``, ``map``, ``flows``, ``network``, ``sector``,
            ``size``, ``decomposition``, ``tornado``); default every chart.
        progress: Optional callback with each chart id as it is prepared.

    Returns:
        The files written, in report order.

    Raises:
        ValueError: For an unknown format or language.
        BrowserNotFoundError: If no Chrome/Chromium is installed (the message says how to get one).
        ResultsError: If the results folder is missing something the report needs.
    """
    from simulator.report import i18n

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(i18n.LANGUAGES)}")
    res = as_results(results_dir)
    if out_dir is None:
        if res.path is None:
            raise ValueError("give out_dir: the results were not read from a folder")
        out_dir = res.path / "images"
    out = Path(out_dir)
    browser = find_browser()
    if browser is None:
        raise BrowserNotFoundError(BROWSER_HINT)
    specs = plan(res, world_context(res.manifest))
    if kinds:
        unknown = sorted(set(kinds) - KINDS)
        if unknown:
            raise ValueError(f"unknown chart kind(s) {', '.join(unknown)}; expected some of {', '.join(sorted(KINDS))}")
        specs = [s for s in specs if s.kind in set(kinds)]
    out.mkdir(parents=True, exist_ok=True)
    width, height = SLIDE_SIZE
    jobs: list[dict[str, Any]] = []
    paths: list[Path] = []
    for spec in specs:
        fig, _ = spec.build(lang)
        path = inside(out, f"{spec.id}.{fmt}")
        jobs.append(
            {
                "fig": fig,
                "path": path,
                "opts": {"format": fmt, "width": width, "height": height, "scale": 2 if fmt == "png" else 1},
            }
        )
        paths.append(path)
        if progress is not None:
            progress(spec.id)
    with tempfile.TemporaryDirectory(prefix="dlsim-topojson-") as tmp:
        (Path(tmp) / f"{TOPOJSON_NAME}.json").write_text(topojson_text(), encoding="utf-8")
        topojson_url = Path(tmp).as_uri() + "/"
        for job in jobs:
            job["topojson"] = topojson_url
        _render(jobs, browser)
    missing = [p for p in paths if not p.is_file() or p.stat().st_size == 0]
    if missing:
        raise RuntimeError(f"kaleido wrote no image for {', '.join(p.name for p in missing)}")
    logger.info("%d %s images written to %s", len(paths), fmt, out)
    return paths


def _render(jobs: list[dict[str, Any]], browser: str) -> None:
    """Render every job with one kaleido browser (offline page: local plotly.js, no MathJax)."""
    import kaleido
    from choreographer.errors import ChromeNotFoundError

    env_before = os.environ.get("BROWSER_PATH")
    os.environ["BROWSER_PATH"] = browser
    try:
        kaleido.write_fig_from_object_sync(
            jobs,
            kopts={"page_generator": kaleido.PageGenerator(mathjax=False), "n": 1},
            cancel_on_error=True,
        )
    except ChromeNotFoundError as exc:
        raise BrowserNotFoundError(BROWSER_HINT) from exc
    finally:
        if env_before is None:
            os.environ.pop("BROWSER_PATH", None)
        else:
            os.environ["BROWSER_PATH"] = env_before

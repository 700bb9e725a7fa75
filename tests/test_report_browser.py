"""The report in a real browser (Playwright driving Chromium): loads offline, draws every chart, switches language,
presents one chart per screen, downloads CSV, runs no injected script. Keeps a screenshot as a test artifact.

Needs the ``playwright`` Python package and Chromium at ``/usr/bin/chromium`` (``make env`` / ``.ci/run`` install
both). Outside CI a missing browser skips these tests with the reason; in CI (``CI`` set) it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_fixture import shared_report, shared_results

from simulator.report import build_report

CHROMIUM = Path(os.environ.get("DLSIM_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get("DLSIM_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "reports" / "test-artifacts")
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian/Ubuntu: apt-get install chromium; or set DLSIM_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression until it is truthy (evaluated through the DevTools protocol: the report's
    Content-Security-Policy forbids the eval that ``page.wait_for_function`` uses for predicates)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)


class Page:
    """A page on a report file, recording console errors and blocking (and recording) every non-file request."""

    def __init__(self, browser, path: Path, viewport=(1400, 900)) -> None:
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in {"error", "warning"} else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        wait_until(self.page, "document.body.dataset.ready !== undefined", timeout=120)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def visible_plots(self) -> int:
        return self.page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).filter(e => e.offsetParent !== null).length"
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def report() -> Path:
    return shared_report()


@pytest.fixture(scope="module")
def shared_view(browser, report: Path) -> Iterator[Page]:
    page = Page(browser, report)
    yield page
    page.close()


@pytest.fixture
def view(shared_view: Page) -> Iterator[Page]:
    """The one page of these tests (loading it is the slow part), back in English and out of presenter mode."""
    yield shared_view
    shared_view.page.evaluate("window.dlsimReport.setPresenter(false)")
    shared_view.page.select_option("#lang-select", "en")
    wait_until(shared_view.page, "document.body.dataset.lang === 'en' || !document.body.dataset.lang")


def test_loads_offline_without_errors_and_draws_every_chart(view: Page) -> None:
    assert view.page.evaluate("document.body.dataset.ready") == "1"
    charts = view.page.evaluate("JSON.parse(document.getElementById('dlsim-charts').textContent)")
    expected = len(charts) + sum(1 for c in charts if c["alternate"])
    assert view.page.locator(".js-plotly-plot").count() == expected
    # the map drew country shapes from the shipped geometry
    assert view.page.locator(".js-plotly-plot .choroplethlocation").count() > 20
    assert view.errors == []
    assert view.requests == [], f"requests left the file: {view.requests}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    view.page.screenshot(path=str(ARTIFACTS / "report.png"))
    view.page.locator("[id$='-map-cross_border_share']").first.scroll_into_view_if_needed()
    view.page.screenshot(path=str(ARTIFACTS / "report-map.png"))
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_language_switch_changes_labels_and_charts(view: Page) -> None:
    page = view.page
    title = page.locator(".bar-title")
    assert title.inner_text() == "Data-localisation policy impact report"
    forest = "document.getElementById('chart-00-overview-forest').layout.title.text"
    page.locator("#chart-00-overview-forest").scroll_into_view_if_needed()
    assert page.evaluate(forest).startswith("Effects of every reform")
    expected = {
        "es": ("Informe de impacto de las políticas de localización de datos", "Efectos de cada reforma"),
        "pt": ("Relatório de impacto das políticas de localização de dados", "Efeitos de cada reforma"),
        "fr": ("Rapport d'impact des politiques de localisation des données", "Effets de chaque réforme"),
        "en": ("Data-localisation policy impact report", "Effects of every reform"),
    }
    for lang, (bar, chart) in expected.items():
        page.select_option("#lang-select", lang)
        wait_until(page, f"document.body.dataset.lang === '{lang}'")
        assert title.inner_text() == bar
        wait_until(page, f"{forest}.startsWith({json.dumps(chart)})")
        assert page.evaluate("document.documentElement.lang") == lang
    page.select_option("#lang-select", "fr")
    wait_until(page, "document.body.dataset.lang === 'fr'")
    glossary = page.locator("#glossary").inner_text()
    assert "Productivité effective moyenne pondérée par la production" in glossary  # the glossary is translated too
    card = page.locator(".card .num").first.inner_text()
    assert "," in card or card.strip("+-−").isdigit()  # French decimal comma
    # charts further down are relabelled as they come near the screen
    fan = page.locator("[id*='-fan-'].js-plotly-plot").first
    fan.scroll_into_view_if_needed()
    wait_until(
        page,
        "document.querySelector('[id*=\"-fan-\"].js-plotly-plot')"
        ".data.some(t => t.name === 'Médiane des réplications')",
    )
    assert view.errors == [] and view.requests == []


def test_presenter_mode_shows_one_chart_per_screen(view: Page) -> None:
    page = view.page
    page.click("#presenter-toggle")
    wait_until(page, "document.body.classList.contains('presenter')")
    page.keyboard.press("Home")
    slides = page.locator(".slide").count()
    counter = page.locator("#slide-counter")
    assert counter.inner_text() == f"1 / {slides}"
    seen_chart_slides = 0
    for _ in range(slides):
        visible = view.visible_plots()
        assert visible <= 1
        seen_chart_slides += visible
        current = page.locator(".slide.current")
        assert current.count() == 1
        page.keyboard.press("ArrowRight")
    charts = page.evaluate("JSON.parse(document.getElementById('dlsim-charts').textContent).length")
    assert seen_chart_slides == charts  # every chart on a screen of its own (levels views stay hidden)
    assert counter.inner_text() == f"{slides} / {slides}"
    page.keyboard.press("Home")
    assert counter.inner_text() == f"1 / {slides}"
    # a chart fills the screen in presenter mode
    first_chart = page.evaluate(
        "Array.from(document.querySelectorAll('.slide')).findIndex(s => s.querySelector('.chart'))"
    )
    page.evaluate(f"window.dlsimReport.show({first_chart})")
    wait_until(page, f"document.body.dataset.slide === '{first_chart}'")
    # show() redraws the slide's chart asynchronously (ensure, then Plotly.Plots.resize): wait for the redraw, which
    # CI once read before it ran (box 708 px, layout still 500), then check both
    drawn_js = "document.querySelector('.slide.current .js-plotly-plot')._fullLayout.height"
    wait_until(page, f"{drawn_js} > 0.6 * 900", timeout=10.0)
    box = page.locator(".slide.current .js-plotly-plot:visible").bounding_box()
    drawn = page.evaluate(drawn_js)
    assert box["height"] > 0.6 * 900 and drawn > 0.6 * 900  # the chart is drawn at full screen, not just its box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-presenter.png"))
    page.keyboard.press("Escape")
    wait_until(page, "!document.body.classList.contains('presenter')")
    assert view.visible_plots() > 1
    assert view.errors == [] and view.requests == []


def test_csv_download_and_levels_toggle(view: Page) -> None:
    page = view.page
    button = page.locator("button.csv").nth(1)
    chart_id = button.get_attribute("data-chart")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"{chart_id}.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("scenario,metric") and len(text.splitlines()) > 5
    toggle = page.locator("button.toggle-levels").first
    main, alt = toggle.get_attribute("data-main"), toggle.get_attribute("data-alt")
    assert page.locator(f"#chart-{alt}").is_hidden()
    toggle.click()
    assert page.locator(f"#chart-{alt}").is_visible() and page.locator(f"#chart-{main}").is_hidden()
    toggle.click()
    assert page.locator(f"#chart-{main}").is_visible()
    assert view.errors == [] and view.requests == []


def test_injected_scenario_text_runs_nothing(browser, tmp_path: Path) -> None:
    src = shared_results()
    hostile = tmp_path / "hostile"
    shutil.copytree(src, hostile, ignore=shutil.ignore_patterns("runs", "sweep", "decomposition.parquet"))
    manifest = json.loads((hostile / "manifest.json").read_text())
    header = manifest["scenarios"]["storage_ban_nigeria"]["header"]
    header["title"] = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
    header["legal_references"] = [{"citation": "c", "url": "javascript:window.__pwned = 3"}]
    (hostile / "manifest.json").write_text(json.dumps(manifest))
    import pandas as pd

    for name in ("effects.parquet", "paired.parquet"):
        frame = pd.read_parquet(hostile / name)
        frame = frame[frame["metric"].isin(["real_output", "cross_border_share"])]
        frame.to_parquet(hostile / name)
    out = build_report(hostile, tmp_path / "hostile.html")
    view = Page(browser, out)
    try:
        assert view.page.evaluate("window.__pwned === undefined")
        assert view.page.locator("img").count() == 0
        assert "<script>window.__pwned = 1</script>" in view.page.locator("#scenario-2 h2").inner_text()
        assert view.errors == [] and view.requests == []
    finally:
        view.close()

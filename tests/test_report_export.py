"""dlsim export: the report's charts as PNG and SVG through kaleido and a local Chromium; one clear message
without a browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from report_fixture import shared_results
from typer.testing import CliRunner

from simulator.cli import commands  # noqa: F401  (registers the commands)
from simulator.cli.app import app
from simulator.report import BrowserNotFoundError, export_images
from simulator.report import export as export_module

runner = CliRunner()


def _browser_or_skip() -> None:
    if export_module.find_browser() is None:
        reason = "no Chrome/Chromium for kaleido (apt-get install chromium, or kaleido_get_chrome)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.browser
def test_png_and_svg_images_are_written(tmp_path: Path) -> None:
    _browser_or_skip()
    png = export_images(shared_results(), "png", tmp_path / "png", kinds=["forest", "map"])
    assert [p.name for p in png] == [
        "00-overview-forest.png",
        "01-data_autarky-map-cross_border_share.png",
        "02-storage_ban_nigeria-map-cross_border_share.png",
    ]
    for path in png:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    result = runner.invoke(
        app,
        [
            "export",
            str(shared_results()),
            "--format",
            "svg",
            "--out",
            str(tmp_path / "svg"),
            "--only",
            "map",
            "--lang",
            "es",
        ],
    )
    assert result.exit_code == 0, result.output
    svgs = sorted((tmp_path / "svg").glob("*.svg"))
    assert len(svgs) == 2 and "2 SVG images" in result.output
    text = svgs[0].read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg") and "Efecto por economía" in text
    assert text.count('class="choroplethlocation"') > 20  # country shapes from the shipped geometry, offline


def test_no_browser_gives_one_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "find_browser", lambda: None)
    with pytest.raises(BrowserNotFoundError, match="apt-get install chromium"):
        export_images(shared_results(), "png", tmp_path)
    result = runner.invoke(app, ["export", str(shared_results()), "--out", str(tmp_path / "img")])
    assert result.exit_code == 2
    assert "needs Chrome or Chromium" in result.output and "BROWSER_PATH" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "img").exists()  # nothing is created before the browser is found


def test_unknown_format_and_language_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown image format 'bmp'"):
        export_images(shared_results(), "bmp", tmp_path)
    with pytest.raises(ValueError, match="unknown language 'de'"):
        export_images(shared_results(), "png", tmp_path, lang="de")

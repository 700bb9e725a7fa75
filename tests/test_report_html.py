"""The HTML report as a file: self-contained, small enough, escaped, written safely; dlsim report and its errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from report_fixture import shared_report, shared_results
from typer.testing import CliRunner

from simulator.cli import commands  # noqa: F401  (registers the commands)
from simulator.cli.app import app
from simulator.cli.report_cmd import default_report_path
from simulator.report import build_report
from simulator.report.names import inside, safe_name

MAX_BYTES = 10_000_000


@pytest.fixture(scope="module")
def page() -> str:
    return shared_report().read_text(encoding="utf-8")


def _json_block(page: str, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_report_is_one_self_contained_file(page: str) -> None:
    assert len(page.encode("utf-8")) < MAX_BYTES
    assert page.count("* plotly.js v") == 1  # plotly.js inlined exactly once
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page), "no external resource is referenced"
    assert "fonts.googleapis" not in page and "@import" not in page and "@font-face" not in page
    assert "connect-src 'none'" in page  # the page's own policy forbids network requests
    config = _json_block(page, "dlsim-config")
    assert config["showSendToCloud"] is False and config["displaylogo"] is False


def test_geometry_is_registered_before_plotly_loads(page: str) -> None:
    registration = page.index("window.PlotlyGeoAssets = assets")
    assert registration < page.index("* plotly.js v")
    names = _json_block(page, "dlsim-geo-names")
    assert "world_110m" in names
    topology = _json_block(page, "dlsim-topojson")
    ids = {g.get("id") for g in topology["objects"]["countries"]["geometries"]}
    assert {"BRA", "NGA", "KEN", "MEX"} <= ids
    assert {"land", "coastlines", "ocean", "lakes", "rivers", "subunits"} <= set(topology["objects"])


def test_every_chart_has_four_languages_and_its_data(page: str) -> None:
    charts = _json_block(page, "dlsim-charts")
    assert len(charts) >= 20
    for chart in charts:
        assert set(chart["i18n"]) == {"en", "es", "pt", "fr"}
        assert chart["i18n"]["es"]["layout"].get("title.text") != chart["i18n"]["en"]["layout"].get("title.text") or (
            not chart["i18n"]["en"]["layout"]
        )
    fan = next(c for c in charts if "-fan-" in c["id"])
    frame = pd.read_csv(pd.io.common.StringIO(fan["csv"]))
    assert {"year", "median", "q05", "q95", "scenario", "metric"} <= set(frame.columns)
    assert fan["alternate"] is not None and fan["alternate"]["csv"]


def test_headline_and_provenance_content(page: str) -> None:
    res = json.loads((shared_results() / "manifest.json").read_text())
    assert "Headline effects" in page and "Developing economies" in page and "Developed economies" in page
    assert res["command"] in page.replace("&#39;", "'")
    assert "Nigeria Data Protection Act 2023" in page  # legal references from the scenario header
    assert "Built by the test fixture writer" in page  # a fixture folder says it is not a study result
    assert "Glossary" in page and "Output-weighted mean effective productivity" in page


def _hostile_copy(tmp_path: Path) -> Path:
    """A one-reform copy of the shared results whose scenario text tries to inject markup and script."""
    src = shared_results()
    out = tmp_path / "hostile"
    out.mkdir()
    for name in ("effects.parquet", "paired.parquet"):
        frame = pd.read_parquet(src / name)
        keep = (frame["scenario"] == "data_autarky") & frame["metric"].isin(
            ["real_output", "cross_border_share", "region_flow", "exports"]
        )
        frame[keep].to_parquet(out / name)
    manifest = json.loads((src / "manifest.json").read_text())
    del manifest["scenarios"]["storage_ban_nigeria"]
    header = manifest["scenarios"]["data_autarky"]["header"]
    header["title"] = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    header["description"] = "</script><script>window.__pwned = 3</script>"
    header["legal_references"] = [{"citation": "Act <b>1</b>", "url": "javascript:window.__pwned = 4"}]
    manifest["scenarios"]["data_autarky"]["differences"] = ['rule · NGA · "><svg onload=window.__pwned=5>']
    manifest["command"] = "dlsim compare </script><script>window.__pwned = 6</script>"
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_scenario_text_is_escaped(tmp_path: Path) -> None:
    out = build_report(_hostile_copy(tmp_path), tmp_path / "hostile.html")
    page = out.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page and "<svg onload" not in page and "<b>1</b>" not in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page  # shown as text


def test_output_names_cannot_leave_their_folder(tmp_path: Path) -> None:
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("..") == "report" and safe_name("") == "report"
    assert safe_name("Política <b>x</b>/y") == "Politica-b-x-b-y"
    assert "/" not in safe_name("a/b\\c") and not safe_name(".hidden").startswith(".")
    assert inside(tmp_path, "ok.png") == (tmp_path / "ok.png").resolve()
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, "../escape.png")
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, "/etc/escape.png")
    hostile = tmp_path / "..evil name"
    assert default_report_path(hostile, tmp_path / "reports").parent == (tmp_path / "reports").resolve()


def test_existing_report_is_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old")
    bad = tmp_path / "missing"
    with pytest.raises(Exception, match="not found"):
        build_report(bad, target)
    assert target.read_text() == "old"  # a failed build leaves the previous report alone
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


runner = CliRunner()


def test_cli_report_writes_and_prints_the_path(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "study.html"
    result = runner.invoke(app, ["report", str(_hostile_copy(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "Report:" in result.output and "study.html" in result.output


def test_cli_report_on_a_bad_folder_is_one_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(shared_results(), broken, ignore=shutil.ignore_patterns("runs", "effects.parquet"))
    result = runner.invoke(app, ["report", str(broken), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert "effects.parquet: not found" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_cli_export_rejects_unknown_format_and_kind(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(shared_results()), "--format", "gif"])
    assert result.exit_code == 2 and "unknown image format" in result.output
    result = runner.invoke(app, ["export", str(shared_results()), "--only", "pie"])
    assert result.exit_code == 2 and "unknown chart kind" in result.output


def test_many_reforms_keep_the_file_small_and_money_shows_in_dollars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.report import charts, html

    src = shared_results()
    out = tmp_path / "many"
    out.mkdir()
    shutil.copy(src / "manifest.json", out / "manifest.json")
    for name in ("effects.parquet", "paired.parquet"):
        frame = pd.read_parquet(src / name)
        frame = frame[
            frame["metric"].isin(["real_output", "cross_border_share"]) & frame["level"].isin(["world", "development"])
        ]
        if name == "effects.parquet":
            money = frame["metric"] == "real_output"
            frame.loc[money, "diff_usd"] = frame.loc[money, "diff"] * 1e6
        frame.to_parquet(out / name)
    monkeypatch.setattr(charts, "MAX_SCENARIO_SECTIONS", 1)
    monkeypatch.setattr(html, "MAX_SCENARIO_SECTIONS", 1)
    page = build_report(out, tmp_path / "many.html").read_text(encoding="utf-8")
    assert page.count('class="scenario"') == 1 and 'id="scenario-2"' not in page
    assert "1 more reforms are in the results folder" in page
    charts_json = _json_block(page, "dlsim-charts")
    assert not [c for c in charts_json if "storage_ban_nigeria" in c["id"]]
    forest = next(c for c in charts_json if c["id"] == "00-overview-forest")
    assert "storage_ban_nigeria" in forest["csv"]  # the overview still shows every reform
    assert page.count('class="usd-num"') == 3  # real income/output cards carry the dollar value of the effect


def test_written_report_is_readable_by_others(tmp_path: Path) -> None:
    from simulator.report.html import write_text_atomic

    target = tmp_path / "r.html"
    write_text_atomic(target, "<p>x</p>")
    assert target.read_text() == "<p>x</p>" and target.stat().st_mode & 0o044 == 0o044


def _small_copy(tmp_path: Path) -> Path:
    """The shared results with one reform and a few metrics (a quick report)."""
    src, out = shared_results(), tmp_path / "study"
    out.mkdir()
    for name in ("effects.parquet", "paired.parquet"):
        frame = pd.read_parquet(src / name)
        keep = (frame["scenario"] == "data_autarky") & frame["metric"].isin(["real_output", "exports"])
        frame[keep].to_parquet(out / name)
    manifest = json.loads((src / "manifest.json").read_text())
    del manifest["scenarios"]["storage_ban_nigeria"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_cli_report_refuses_results_of_another_model_data_or_calibration(tmp_path: Path) -> None:
    study = _small_copy(tmp_path)
    # the normal path: the folder's checksums are those of the code and data installed now
    result = runner.invoke(app, ["report", str(study), "-o", str(tmp_path / "ok.html")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and (tmp_path / "ok.html").is_file()
    manifest = json.loads((study / "manifest.json").read_text())
    data_file = sorted(manifest["data_checksums"])[0]
    parameter = sorted(manifest["calibration"]["defaults"])[0]
    manifest["model_checksum"] = "0" * 64
    manifest["data_checksums"][data_file] = "f" * 64
    manifest["calibration"]["defaults"][parameter] += 1.0
    manifest["calibration"]["checksum"] = "1" * 64
    (study / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "old.html"
    result = runner.invoke(app, ["report", str(study), "-o", str(out)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert str(study) in text and "model version (model checksum 000000000000" in text
    assert f"data set (data checksums differ: {data_file})" in text
    assert f"calibration (parameter defaults differ: {parameter} " in text
    assert "rerun the study with the current version (python tests/report_fixture.py" in text
    assert "--allow-mismatch" in text and "Traceback" not in text
    assert not out.exists()
    # the explicit override for presenters with old folders: a warning, then the report
    result = runner.invoke(app, ["report", str(study), "-o", str(out), "--allow-mismatch"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "model version" in result.output and out.is_file()
    result = runner.invoke(app, ["export", str(study), "--only", "map"])
    assert result.exit_code == 2 and "model version" in result.output


def test_cli_report_compares_the_data_folder_the_study_used(tmp_path: Path) -> None:
    from simulator.world.loader import default_data_dir

    study = _small_copy(tmp_path)
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    changed = sorted(json.loads((study / "manifest.json").read_text())["data_checksums"])[-1]
    with (data / changed).open("a", encoding="utf-8") as fh:
        fh.write("\n")
    result = runner.invoke(app, ["report", str(study), "-o", str(tmp_path / "r.html"), "--data", str(data)])
    assert result.exit_code == 2
    assert f"data checksums differ: {changed})" in " ".join(result.output.split())
    (data / changed).unlink()
    result = runner.invoke(app, ["report", str(study), "-o", str(tmp_path / "r.html"), "--data", str(data)])
    assert result.exit_code == 2 and f"{changed} (missing now)" in " ".join(result.output.split())

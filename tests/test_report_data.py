"""The report's one reader of results folders: what it accepts, and the one clear error for what it does not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from report_fixture import shared_results

from simulator.report.data import (
    EFFECTS_COLUMNS,
    PAIRED_COLUMNS,
    Results,
    ResultsError,
    as_results,
    load_results,
)


@pytest.fixture(scope="module")
def results_dir() -> Path:
    return shared_results()


@pytest.fixture
def copy(tmp_path: Path, results_dir: Path) -> Path:
    out = tmp_path / "results"
    shutil.copytree(results_dir, out, ignore=shutil.ignore_patterns("runs"))
    return out


def test_reads_a_folder_written_to_the_contract(results_dir: Path) -> None:
    res = load_results(results_dir)
    assert res.baseline == "baseline"
    assert res.reforms == ["data_autarky", "storage_ban_nigeria"]
    assert list(res.frame.columns)[: len(EFFECTS_COLUMNS)] == list(EFFECTS_COLUMNS)
    assert res.paired is not None and set(PAIRED_COLUMNS) <= set(res.paired.columns)
    assert res.decomposition is not None and res.indices is not None
    assert res.flows is None  # absent: the report derives flows from metric region_flow
    # the pairing is real: one row per (scenario, metric, level, group, step), n = replicates
    keys = ["scenario", "metric", "level", "group", "step"]
    assert not res.frame.duplicated(keys).any()
    replicates = res.manifest["settings"]["replicates"]
    assert res.frame["n"].between(1, replicates).all()  # fewer where a ratio is undefined in some replicate
    assert set(res.frame.loc[res.frame["level"] == "world", "n"]) == {replicates}
    assert {"world", "development", "economy", "sector", "size", "region_pair"} <= set(res.frame["level"])


def test_effects_agree_with_the_paired_replicates(results_dir: Path) -> None:
    res = load_results(results_dir)
    mean_diff = res.paired.groupby(["scenario", "metric", "level", "group", "step"])["diff"].mean()
    joined = res.frame.set_index(["scenario", "metric", "level", "group", "step"])["diff"]
    common = joined.index.intersection(mean_diff.index)
    assert len(common) > 1000
    pd.testing.assert_series_equal(joined[common], mean_diff[common], check_names=False, rtol=1e-9)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: shutil.rmtree(d), "not found"),
        (lambda d: (d / "manifest.json").unlink(), "manifest.json: not found"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json: is not valid JSON"),
        (lambda d: (d / "manifest.json").write_text("[]"), "must hold a JSON object"),
        (lambda d: (d / "effects.parquet").unlink(), "effects.parquet: not found"),
        (lambda d: (d / "effects.parquet").write_text("garbage"), "effects.parquet: is not a readable Parquet file"),
    ],
    ids=["no-folder", "no-manifest", "bad-json", "not-object", "no-effects", "bad-parquet"],
)
def test_damaged_folders_give_one_clear_error(copy: Path, damage, expected: str) -> None:
    damage(copy)
    with pytest.raises(ResultsError) as info:
        load_results(copy)
    assert expected in str(info.value)
    assert info.value.hint


def test_missing_manifest_key_is_named(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["baseline"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"manifest.json: missing key\(s\) baseline"):
        load_results(copy)


def test_missing_column_names_file_and_column(copy: Path) -> None:
    effects = pd.read_parquet(copy / "effects.parquet").drop(columns=["pct_lo", "unit"])
    effects.to_parquet(copy / "effects.parquet")
    with pytest.raises(ResultsError) as info:
        load_results(copy)
    message = str(info.value)
    assert "effects.parquet" in message and "unit" in message and "pct_lo" in message


def test_wrong_column_type_is_named(copy: Path) -> None:
    effects = pd.read_parquet(copy / "effects.parquet")
    effects["step"] = effects["step"].astype(str)
    effects.to_parquet(copy / "effects.parquet")
    with pytest.raises(ResultsError, match=r"column 'step' holds .* expected int"):
        load_results(copy)


def test_paired_file_is_checked_too(copy: Path) -> None:
    paired = pd.read_parquet(copy / "paired.parquet").drop(columns=["replicate"])
    paired.to_parquet(copy / "paired.parquet")
    with pytest.raises(ResultsError, match=r"paired.parquet: missing column\(s\) replicate"):
        load_results(copy)


def test_files_from_different_runs_are_refused(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["scenarios"]["storage_ban_nigeria"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"storage_ban_nigeria are not in manifest\.json"):
        load_results(copy)
    manifest["scenarios"]["storage_ban_nigeria"] = {}
    manifest["baseline"] = "other"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match="baseline is 'other'"):
        load_results(copy)


def test_effects_object_and_frame_are_accepted(results_dir: Path) -> None:
    res = load_results(results_dir)
    obj = SimpleNamespace(frame=res.frame, paired=res.paired, manifest=res.manifest)
    converted = as_results(obj)
    assert isinstance(converted, Results) and converted.reforms == res.reforms
    assert converted.paired is not None
    bare = as_results(res.frame)
    assert bare.manifest == {} and bare.baseline == "baseline" and bare.paired is None
    assert as_results(res) is res
    assert as_results(str(results_dir)).reforms == res.reforms


def test_bad_effects_objects_are_refused(results_dir: Path) -> None:
    res = load_results(results_dir)
    with pytest.raises(ResultsError, match=r"<SimpleNamespace>.frame: missing column\(s\) diff_lo"):
        as_results(SimpleNamespace(frame=res.frame.drop(columns=["diff_lo"])))
    with pytest.raises(TypeError, match=r"effects object with \.frame"):
        as_results(42)

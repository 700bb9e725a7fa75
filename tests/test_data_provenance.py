"""Every data file says where each column comes from, which year and vintage it holds, and how far it was read.

A column is either read (status V: in the publisher's file or in a named copy of it, the copy named in its vintage)
or carries an explicit assumption saying what was not read and why the value used is reasonable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from simulator.world.loader import default_data_dir, read_meta, read_table
from simulator.world.tables import ALL_TABLES, TARGET_TABLES, SourceStatus

TABLES = (*ALL_TABLES, *TARGET_TABLES)
REQUIRED = ("source", "year", "vintage", "licence", "status")
COMMIT = re.compile(r"\b[0-9a-f]{40}\b")


def _columns(spec) -> dict:
    return read_meta(None, spec).get("columns") or {}


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_every_column_names_source_year_vintage_licence_and_status(spec) -> None:
    columns = _columns(spec)
    problems = []
    for col in spec.columns:
        entry = columns.get(col.name)
        if not isinstance(entry, dict):
            problems.append(f"{col.name}: no entry")
            continue
        missing = [field for field in REQUIRED if not str(entry.get(field) or "").strip()]
        if missing:
            problems.append(f"{col.name}: lacks {', '.join(missing)}")
        if entry.get("status") not in {s.value for s in SourceStatus}:
            problems.append(f"{col.name}: status {entry.get('status')!r} is not one of V, S, U, assumption")
    assert not problems, f"{spec.meta_name}: " + "; ".join(problems)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_every_column_is_read_or_an_explicit_assumption(spec) -> None:
    columns = _columns(spec)
    unread = [
        f"{name} (status {entry.get('status')})"
        for name, entry in columns.items()
        if entry.get("status") != "V" and not str(entry.get("assumption") or "").strip()
    ]
    assert not unread, f"{spec.meta_name}: columns neither read (V) nor stated as an assumption: {unread}"


def test_a_column_read_in_a_copy_names_the_copy() -> None:
    """A V column whose vintage cites a GitHub copy names the commit it was read at, so the read can be repeated."""
    vague = []
    for spec in TABLES:
        for name, entry in _columns(spec).items():
            vintage = str(entry.get("vintage") or "")
            if entry.get("status") == "V" and "GitHub" in vintage and not COMMIT.search(vintage):
                vague.append(f"{spec.meta_name}:{name}")
    assert not vague, f"vintages naming a GitHub copy without its commit: {vague}"


def test_every_sidecar_in_data_belongs_to_a_declared_table() -> None:
    declared = {spec.meta_name for spec in TABLES}
    on_disk = {p.name for p in default_data_dir().glob("*.meta.yaml")}
    assert on_disk == declared, f"undeclared sidecars {on_disk - declared}, missing sidecars {declared - on_disk}"
    for path in default_data_dir().glob("*.meta.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path


@pytest.mark.parametrize("spec", TARGET_TABLES, ids=lambda s: s.name)
def test_target_tables_load(spec) -> None:
    frame = read_table(default_data_dir() / spec.file_name, spec)
    assert len(frame) > 0
    if "low_pct" in frame:
        bad = frame[(frame["low_pct"] > frame["value_pct"]) | (frame["value_pct"] > frame["high_pct"])]
        assert bad.empty, f"{spec.file_name}: value outside its own band in rows {bad.index.tolist()}"


def test_ict_targets_are_model_economies() -> None:
    economies = set(read_table(default_data_dir() / "economies.csv", ALL_TABLES[0])["iso3"])
    ict = read_table(default_data_dir() / "targets_ict_services.csv", TARGET_TABLES[1])
    assert set(ict["iso3"]) <= economies


def test_build_scripts_named_by_sidecars_exist() -> None:
    """A sidecar that says a column was built by data/build/<script> must ship that script."""
    root = default_data_dir()
    missing = []
    for path in root.glob("*.meta.yaml"):
        for script in set(re.findall(r"data/build/[\w.]+\.py", path.read_text(encoding="utf-8"))):
            if not (root.parent / script).is_file():
                missing.append(f"{path.name} -> {script}")
    assert not missing, f"sidecars cite build scripts that do not exist: {missing}"


def test_vintage_of_world_economies_matches_the_build_script() -> None:
    """The WDI commit named in the sidecar is the default commit of the build script that wrote the columns."""
    script = (Path(default_data_dir()).parent / "data" / "build" / "wdi_economies.py").read_text(encoding="utf-8")
    commit = re.search(r'"--commit", default="([0-9a-f]{40})"', script)
    assert commit, "data/build/wdi_economies.py has no default --commit"
    gdp = _columns(ALL_TABLES[0])["gdp_usd"]["vintage"]
    assert commit.group(1) in gdp

"""The world loader rejects every kind of bad input with one clear message naming file, line and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from simulator.world import WorldDataError, default_data_dir, load_world


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the real data directory."""
    dst = tmp_path / "data"
    shutil.copytree(default_data_dir(), dst)
    return dst


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def load_error(data_dir: Path) -> WorldDataError:
    with pytest.raises(WorldDataError) as info:
        load_world(data_dir)
    return info.value


def test_real_data_loads() -> None:
    world = load_world()
    assert len(world.iso3) >= 45


def test_unknown_iso_code_in_memberships(data_copy: Path) -> None:
    path = data_copy / "memberships.csv"
    frame = read(path)
    frame.loc[3, "iso3"] = "KNE"  # a typo for KEN
    write(frame, path)
    err = load_error(data_copy)
    assert err.file.name == "memberships.csv"
    assert err.row == 5  # header is line 1, row index 3 is line 5
    assert err.column == "iso3"
    assert "'KNE' is not a known economy" in str(err)
    assert "Did you mean 'KEN'?" in str(err)


def test_malformed_iso_code(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame.loc[0, "iso3"] = "ke"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.row, err.column) == ("economies.csv", 2, "iso3")
    assert "three-letter" in str(err)


def test_missing_column(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    write(read(path).drop(columns=["population"]), path)
    err = load_error(data_copy)
    assert err.file.name == "economies.csv"
    assert "missing column(s) population" in str(err)


def test_extra_column_suggests_the_declared_one(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path).rename(columns={"population": "populaton"})
    write(frame, path)
    err = load_error(data_copy)
    assert "population" in str(err)
    frame = read(path).rename(columns={"populaton": "population"})
    frame["notes"] = "x"
    write(frame, path)
    err = load_error(data_copy)
    assert "unexpected column(s) notes" in str(err)


def test_wrong_type(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame.loc[2, "gdp_usd"] = "about a trillion"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.row, err.column) == (4, "gdp_usd")
    assert "is not a number" in str(err)


def test_whole_number_required(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame.loc[1, "population"] = "1234.5"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.row, err.column) == (3, "population")
    assert "whole number" in str(err)


def test_out_of_range_value(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame.loc[0, "internet_users_pct"] = "120"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.row, err.column) == (2, "internet_users_pct")
    assert "out of range" in str(err) and "<= 100" in str(err)


def test_empty_required_value(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame.loc[0, "lat"] = ""
    write(frame, path)
    err = load_error(data_copy)
    assert (err.row, err.column) == (2, "lat")
    assert "empty value" in str(err)


def test_duplicate_row(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    frame = pd.concat([frame, frame.iloc[[4]]], ignore_index=True)
    write(frame, path)
    err = load_error(data_copy)
    assert err.file.name == "economies.csv"
    assert err.row == len(frame) + 1
    assert f"duplicate row for iso3={frame.loc[4, 'iso3']}" in str(err)
    assert "first given on line 6" in str(err)


def test_membership_naming_unknown_bloc(data_copy: Path) -> None:
    path = data_copy / "memberships.csv"
    frame = read(path)
    frame.loc[0, "bloc"] = "DEPAA"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.row, err.column) == ("memberships.csv", 2, "bloc")
    assert "Did you mean 'DEPA'?" in str(err)


def test_unknown_regime_name(data_copy: Path) -> None:
    path = data_copy / "regimes.csv"
    frame = read(path)
    frame.loc[0, "regime"] = "storage_bann"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.column) == ("regimes.csv", "regime")
    assert "Did you mean 'storage_ban'?" in str(err)


def test_regime_naming_unknown_sector(data_copy: Path) -> None:
    path = data_copy / "regimes.csv"
    frame = read(path)
    frame.loc[0, "sector"] = "fintech"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.row, err.column) == ("regimes.csv", 2, "sector")
    assert "not a known sector" in str(err)


def test_missing_general_rule(data_copy: Path) -> None:
    path = data_copy / "regimes.csv"
    frame = read(path)
    general = frame[(frame["sector"] == "*")].index[0]
    code, cat = frame.loc[general, "iso3"], frame.loc[general, "data_category"]
    write(frame.drop(index=general), path)
    err = load_error(data_copy)
    assert f"no baseline rule for economy {code}, data category {cat}" in str(err)


def test_shares_must_add_up(data_copy: Path) -> None:
    path = data_copy / "sectors.csv"
    frame = read(path)
    frame.loc[0, "demand_share"] = str(float(frame.loc[0, "demand_share"]) + 0.1)
    write(frame, path)
    err = load_error(data_copy)
    assert err.file.name == "sectors.csv" and "add up to" in str(err)


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "safeguards.csv").unlink()
    err = load_error(data_copy)
    assert err.file.name == "safeguards.csv" and "file not found" in str(err)


def test_not_utf8(data_copy: Path) -> None:
    (data_copy / "blocs.csv").write_bytes(b"\xff\xfe\x00bloc,name\n\x80\x81")
    err = load_error(data_copy)
    assert err.file.name == "blocs.csv"


def test_missing_data_directory(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nowhere")
    assert "data directory not found" in str(err)


def test_external_balance_without_its_year(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    row = int(frame.index[frame["external_balance_pct_gdp"] != ""][0])
    frame.loc[row, "external_balance_year"] = ""
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.row, err.column) == ("economies.csv", row + 2, "external_balance_year")
    assert "needs its reference year" in str(err)


def test_external_balance_year_without_a_value(data_copy: Path) -> None:
    path = data_copy / "economies.csv"
    frame = read(path)
    row = int(frame.index[frame["external_balance_pct_gdp"] == ""][0])
    frame.loc[row, "external_balance_year"] = "2023"
    write(frame, path)
    err = load_error(data_copy)
    assert (err.file.name, err.row, err.column) == ("economies.csv", row + 2, "external_balance_pct_gdp")

"""The external balance on goods and services (WDI NE.RSB.GNFS.ZS) in the economies table.

The figures were read in one copy of the WDI bulk download (see data/economies.meta.yaml); these tests check the
column's shape and coverage, the signs of cases read there, and that the world's balances roughly cancel.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.world import load_world
from simulator.world.loader import read_meta
from simulator.world.tables import ECONOMIES

VALUE, YEAR = "external_balance_pct_gdp", "external_balance_year"

READ_SINGLE_ECONOMIES = 50
"""Single economies with a value read: all 51 rows with is_aggregate false but Nigeria (not in the copy after 1960)."""

SURPLUS = ["SGP", "CHE", "SAU", "CHN", "EUU", "ARE"]
"""Surpluses read in the copy (2023): SGP 37.16, CHE 10.90, SAU 5.71, CHN 2.07, EUU 3.65, ARE 14.65."""

DEFICIT = ["USA", "SLV", "SEN", "PAK", "KEN"]
"""Deficits read in the copy (2023): USA -2.83, SLV -22.23, SEN -25.38, PAK -7.48, KEN -7.51."""


@pytest.fixture(scope="module")
def econ() -> pd.DataFrame:
    return load_world().economies


def test_columns_are_declared_optional_and_load_as_numbers(econ) -> None:
    for name in (VALUE, YEAR):
        col = ECONOMIES.column(name)
        assert col.nullable, f"{name} must accept empty cells"
        assert name in econ.columns
        assert pd.api.types.is_float_dtype(econ[name]), f"{name} should be float (NaN where empty)"


def test_values_are_plausible_shares_of_gdp(econ) -> None:
    known = econ[VALUE].dropna()
    assert known.between(-60, 60).all(), known[~known.between(-60, 60)].to_dict()


def test_single_economies_are_covered(econ) -> None:
    single = econ[~econ["is_aggregate"]]
    assert single[VALUE].notna().sum() >= READ_SINGLE_ECONOMIES
    assert pd.isna(econ.loc["NGA", VALUE]), "Nigeria was not read; a figure there needs a new source in the meta"


def test_every_value_has_its_reference_year(econ) -> None:
    assert (econ[VALUE].isna() == econ[YEAR].isna()).all()
    years = econ[YEAR].dropna()
    assert years.between(2019, 2023).all()
    assert (years == 2023).sum() >= len(years) - 1  # only Qatar falls back, to 2022
    assert econ.loc["QAT", YEAR] == 2022


@pytest.mark.parametrize("code", SURPLUS)
def test_known_surpluses(econ, code) -> None:
    assert econ.loc[code, VALUE] > 0


@pytest.mark.parametrize("code", DEFICIT)
def test_known_deficits(econ, code) -> None:
    assert econ.loc[code, VALUE] < 0


def test_world_balances_nearly_cancel(econ) -> None:
    # World exports equal world imports up to reporting asymmetries; the table (empty = balanced) sums to +0.7 % of
    # world GDP. A sign error on a large economy (the US alone is -0.8 %) would push it well past 1.5 %.
    balances = econ[VALUE].fillna(0.0) / 100 * econ["gdp_usd"]
    assert abs(balances.sum()) / econ["gdp_usd"].sum() < 0.015


def test_provenance_names_copy_vintage_and_assumption() -> None:
    meta = read_meta(None, ECONOMIES)["columns"]
    entry = meta[VALUE]
    assert entry["status"] in {"V", "S", "U"}
    assert "NE.RSB.GNFS.ZS" in entry["url"]
    assert "4ebec5a2273f531ba238a34dbe440394dc5a6c4b" in entry["vintage"]
    assert "treats it as 0" in entry["assumption"]
    assert meta[YEAR]["source"]

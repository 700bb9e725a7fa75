"""The shipped world data is complete, internally consistent and sourced."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.scenario.taxonomy import Bloc, DataCategory, Region
from simulator.world import baseline_state, load_world
from simulator.world.baseline import bloc_pairs, regime_array
from simulator.world.geo import EARTH_RADIUS_KM, great_circle_km
from simulator.world.loader import read_meta
from simulator.world.policy import regime_code
from simulator.world.tables import ALL_TABLES

PARTNERS = ["USA", "CAN", "EUU", "GBR", "CHN", "JPN", "KOR", "IND", "IDN", "VNM", "SGP", "AUS", "TUR", "SAU", "ARE"]


@pytest.fixture(scope="module")
def world():
    return load_world()


def test_coverage(world) -> None:
    econ = world.economies
    individual = econ[~econ["is_aggregate"]]
    assert len(econ) >= 45
    assert (individual["region"] == "LAC").sum() >= 10
    assert (individual["region"] == "AFR").sum() >= 12
    missing = [c for c in PARTNERS if c not in world.iso3]
    assert not missing, f"main partners missing: {missing}"


def test_every_region_present_and_closed_by_an_aggregate(world) -> None:
    econ = world.economies
    for region in Region:
        part = econ[econ["region"] == region.value]
        assert not part.empty, region
        if region is not Region.NAM:  # North America is complete with the United States and Canada
            assert part["is_aggregate"].any(), f"{region} has no rest-of-region aggregate"


@pytest.mark.parametrize("measure", ["gdp_usd", "population"])
def test_economies_add_up_to_the_world(world, measure) -> None:
    total = float(world.world_totals.loc[measure, "value"])
    summed = float(world.economies[measure].sum())
    assert summed == pytest.approx(total, rel=0.01), f"{measure}: economies sum to {summed:.4g}, world is {total:.4g}"


def test_every_column_of_every_table_is_sourced() -> None:
    for spec in ALL_TABLES:
        meta = read_meta(None, spec)
        assert meta.get("table") == spec.name, spec.meta_name
        columns = meta.get("columns") or {}
        for col in spec.columns:
            entry = columns.get(col.name)
            assert isinstance(entry, dict), f"{spec.meta_name}: no provenance for column {col.name}"
            for field in ("source", "year", "licence"):
                assert entry.get(field), f"{spec.meta_name}: column {col.name} lacks {field}"
        unknown = set(columns) - {c.name for c in spec.columns}
        assert not unknown, f"{spec.meta_name} documents columns that do not exist: {unknown}"


def test_every_row_of_rules_names_its_instrument(world) -> None:
    for frame in (world.regimes, world.memberships):
        assert frame["source"].str.strip().str.len().gt(0).all()
    assert world.regimes["instrument"].str.strip().str.len().gt(0).all()


def test_every_bloc_is_declared_and_has_members(world) -> None:
    assert set(world.blocs.index) == {b.value for b in Bloc}
    for bloc in Bloc:
        assert world.members(bloc, statuses=("member", "signatory", "applicant")), f"{bloc} has nobody"


def test_great_circle_known_distances() -> None:
    # A quarter meridian, and a point to itself.
    d = great_circle_km(np.array([0.0, 90.0]), np.array([0.0, 0.0]))
    assert d[0, 1] == pytest.approx(math.pi * EARTH_RADIUS_KM / 2)
    assert d[0, 0] == 0.0


def test_world_distances(world) -> None:
    d = world.distance_km
    n = len(world.iso3)
    assert d.shape == (n, n)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    off = d[~np.eye(n, dtype=bool)]
    assert off.min() > 50 and off.max() < 20_100  # distinct places, at most half the circumference
    # Nairobi–Abuja is about 3,460 km; Washington–Ottawa about 730 km.
    i, j = world.index_of("KEN"), world.index_of("NGA")
    assert 3300 < d[i, j] < 3650
    i, j = world.index_of("USA"), world.index_of("CAN")
    assert 600 < d[i, j] < 850


def test_baseline_regimes_follow_the_table(world) -> None:
    codes = regime_array(world)
    cats = list(DataCategory)
    for row in world.regimes.itertuples():
        c = world.index_of(row.iso3)
        k = cats.index(DataCategory(row.data_category))
        if row.sector == "*":
            specific = world.regimes[
                (world.regimes["iso3"] == row.iso3)
                & (world.regimes["data_category"] == row.data_category)
                & (world.regimes["sector"] != "*")
            ]
            others = [s for i, s in enumerate(world.sector_codes) if s not in set(specific["sector"])]
            for s in others:
                assert codes[c, k, world.sector_codes.index(s)] == regime_code(row.regime)
        else:
            assert codes[c, k, world.sector_codes.index(row.sector)] == regime_code(row.regime)


def test_baseline_state_shapes_and_ranges(world) -> None:
    state = baseline_state(world)
    n, k, s = len(world.iso3), len(DataCategory), len(world.sector_codes)
    assert state.regime.shape == (n, k, s)
    for name in ("transfer_waiver", "localisation_waiver", "payment_friction", "payment_interop"):
        m = getattr(state, name)
        assert m.shape == (n, n)
        assert np.all((m >= 0) & (m <= 1)), name
        assert np.allclose(m, m.T), f"{name} should be symmetric in the baseline"
        assert np.all(np.diag(m) == 0), name
    assert state.trade_agreement.shape == (n, n) and not state.trade_agreement.diagonal().any()
    assert np.all((state.safeguards >= 0) & (state.safeguards <= 1))


def test_adequacy_is_a_hub_around_the_eu(world) -> None:
    pairs = bloc_pairs(world, "EU_ADEQUACY")
    listed = world.members("EU_ADEQUACY")
    assert listed
    eu = world.index_of("EUU")
    for code in listed:
        assert pairs[eu, world.index_of(code)] and pairs[world.index_of(code), eu]
    if len(listed) >= 2:
        a, b = world.index_of(listed[0]), world.index_of(listed[1])
        assert not pairs[a, b]


def test_payment_friction_is_higher_where_accounts_are_rarer(world) -> None:
    state = baseline_state(world)
    acc = world.economies["account_ownership_pct"]
    known = acc.dropna()
    low, high = known.idxmin(), known.idxmax()
    usa = world.index_of("USA")
    assert state.payment_friction[world.index_of(low), usa] > state.payment_friction[world.index_of(high), usa]


def test_cloud_regions_follow_opening_years(world) -> None:
    early = baseline_state(world, year=2010)
    late = baseline_state(world, year=2025)
    assert early.cloud_region.sum() <= late.cloud_region.sum()
    since = world.economies["cloud_region_since"]
    assert late.cloud_region.sum() == int((since <= 2025).sum())


def test_sources_md_matches_the_sidecars() -> None:
    from simulator.world.loader import default_data_dir
    from simulator.world.provenance import sources_markdown

    committed = (default_data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    assert committed == sources_markdown(), "data/SOURCES.md is stale: run python -m simulator.world.provenance"

"""The ECIPE 2014 replication (issue 16, item 5): its published table, its scenarios, and its pass criterion.

The criterion — Spearman rank correlation of the seven GDP effects ≥ 0.6 and every sign as published — is
checked at a modest size (``FIRMS`` firms, ``STEPS`` steps, ``REPS`` pairs, seed 20250101); the measurement at
20,000 firms, 40 steps and 10 pairs is in docs/validation-ecipe.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from simulator.experiment.compare import ExperimentError
from simulator.experiment.effects import Effects
from simulator.experiment.replication import (
    PASS_SPEARMAN,
    STUDIES,
    SUMMARY,
    TABLE,
    published_table,
    replicate,
    side_by_side,
)

ROOT = Path(__file__).resolve().parents[1]
ECIPE = STUDIES["ecipe2014"]
WIDE = STUDIES["ecipe2014-wide"]
SEVEN = ["BRA", "CHN", "EUU", "IND", "IDN", "KOR", "VNM"]
FIVE = ["BRA", "EUU", "IND", "IDN", "KOR"]
FIRMS = 2000
STEPS = 20
REPS = 3


@pytest.fixture(scope="module")
def world():
    from simulator.world import load_world

    return load_world()


@pytest.fixture(scope="module")
def modest(tmp_path_factory):
    """The replication at the modest size, run once for the module (serial, in this process)."""
    out = tmp_path_factory.mktemp("ecipe") / "rep"
    return replicate("ecipe2014", firms=FIRMS, steps=STEPS, replicates=REPS, executor="serial", out=out)


def test_published_table_holds_the_papers_figures():
    t = published_table(ECIPE).set_index("iso3")
    assert list(t.index) == SEVEN
    assert t["gdp_pct"].to_dict() == {
        "BRA": -0.2,
        "CHN": -1.1,
        "EUU": -0.4,
        "IND": -0.1,
        "IDN": -0.5,
        "KOR": -0.4,
        "VNM": -1.7,
    }
    assert t["investment_pct"].to_dict() == {
        "BRA": -4.2,
        "CHN": -1.8,
        "EUU": -3.9,
        "IND": -1.4,
        "IDN": -2.3,
        "KOR": -0.5,
        "VNM": -3.1,
    }
    wide = published_table(WIDE).set_index("iso3")
    assert wide["gdp_pct"].to_dict() == {"BRA": -0.8, "EUU": -1.1, "IND": -0.8, "IDN": -0.7, "KOR": -1.1}
    assert wide["investment_pct"].isna().all()  # the paper gives no investment effect for the variant


def test_published_table_sidecar_names_source_year_vintage_licence_and_status():
    import yaml

    meta = yaml.safe_load((ROOT / "data" / "ecipe2014.meta.yaml").read_text())
    columns = pd.read_csv(ROOT / "data" / "ecipe2014.csv", nrows=0).columns
    assert set(meta["columns"]) == set(columns)
    for name, col in meta["columns"].items():
        for key in ("source", "year", "vintage", "licence", "status"):
            assert col.get(key), f"{name}: {key} missing"


def test_a_broken_published_table_is_one_clear_error(tmp_path):
    (tmp_path / "ecipe2014.csv").write_text("iso3,economy,gdp_pct\nBRA,Brazil,-0.2\n")
    with pytest.raises(ExperimentError, match="investment_pct"):
        published_table(ECIPE, tmp_path)
    (tmp_path / "ecipe2014.csv").write_text("iso3,economy,gdp_pct,investment_pct\nBRA,Brazil,-0.2,\n")
    with pytest.raises(ExperimentError, match="number on every row"):
        published_table(ECIPE, tmp_path)
    (tmp_path / "ecipe2014.csv").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ExperimentError, match="not a readable CSV table"):
        published_table(ECIPE, tmp_path)


def test_the_wide_variant_applies_one_storage_rule_to_every_category(world):
    for iso in FIVE:
        rows = [r for r in _resolved(world, f"ecipe2014_wide_{iso.lower()}").rows() if r.target == iso]
        later = {(r.data_category, r.sector, r.value) for r in rows if float(r.start_year) >= 2026}
        assert later == {("*", "*", "storage_conditional")}, later


def test_unknown_study_is_one_clear_error():
    with pytest.raises(ExperimentError, match="no replication study called 'ecipe2015'") as info:
        replicate("ecipe2015")
    assert "ecipe2014" in info.value.hint


def _resolved(world, name: str):
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.resolution import resolve_policy
    from simulator.world.compile import vocabulary

    vocab = vocabulary(world)
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", vocab)
    return resolve_policy(scenario, world.iso3, world.sector_codes, vocab)


@pytest.mark.parametrize(("pattern", "economies"), [("ecipe2014_{}", SEVEN), ("ecipe2014_wide_{}", FIVE)])
def test_counterfactual_opens_the_seven_and_each_reform_changes_only_its_own_economy(world, pattern, economies):
    from simulator.scenario.diff import diff_policies

    base = _resolved(world, "ecipe2014_counterfactual")
    regimes = {
        (r.target, r.value)
        for r in base.rows()
        if r.lever == "regime" and r.target in SEVEN and float(r.start_year) <= 2025
    }
    assert {v for _, v in regimes} == {"open"} and {t for t, _ in regimes} == set(SEVEN)
    for iso in economies:
        changes = diff_policies(base, _resolved(world, pattern.format(iso.lower())))
        assert changes, f"{pattern.format(iso.lower())} changes nothing"
        assert {d.target for d in changes} == {iso}
        assert {d.lever for d in changes} == {"regime"}


def _fake_effects(pcts: dict[str, float]) -> Effects:
    rows = []
    for iso, pct in pcts.items():
        for metric, value in (("real_income", pct), ("real_investment", -pct)):
            rows.append(
                {
                    "scenario": f"ecipe2014_{iso.lower()}",
                    "metric": metric,
                    "level": "economy",
                    "group": iso,
                    "step": 9,
                    "n": 5,
                    "pct": value,
                    "pct_lo": value - 0.1,
                    "pct_hi": value + 0.1,
                }
            )
    return Effects(pd.DataFrame(rows))


def test_side_by_side_ranks_and_signs():
    published = published_table(ECIPE)
    sim = {"BRA": -0.5, "CHN": -3.0, "EUU": -1.0, "IND": 0.3, "IDN": -2.0, "KOR": -1.5, "VNM": -4.0}
    names = {iso: f"ecipe2014_{iso.lower()}" for iso in SEVEN}
    table, gdp, inv = side_by_side(_fake_effects(sim), published, names)
    assert (gdp, inv) == ("real_income", "real_investment")
    t = table.set_index("iso3")
    assert t.loc["IND", "gdp_sign_match"] == False  # noqa: E712 (a numpy bool)
    assert t.drop(index="IND")["gdp_sign_match"].all()
    assert t["simulated_gdp_pct"].to_dict() == sim
    assert t.loc["VNM", "simulated_gdp_rank"] == 1 and t.loc["VNM", "published_gdp_rank"] == 1
    # the fake investment effects have the opposite sign of the GDP ones: only India's (-0.3) is negative
    assert t.index[t["investment_sign_match"]].tolist() == ["IND"]
    assert t["gdp_ci_excludes_zero"].all()


def test_modest_replication_writes_its_table_with_paired_intervals(modest):
    t = modest.table
    assert list(t["iso3"]) == SEVEN
    assert (t["n"] == REPS).all()
    for key in ("gdp", "investment"):
        lo, mid, hi = t[f"{key}_lo"], t[f"simulated_{key}_pct"], t[f"{key}_hi"]
        assert np.isfinite(mid).all() and (lo <= mid).all() and (mid <= hi).all()
    rho = stats.spearmanr(t["published_gdp_pct"], t["simulated_gdp_pct"]).statistic
    assert math.isclose(modest.spearman_gdp, rho)
    saved = pd.read_csv(modest.root / TABLE)
    assert list(saved["iso3"]) == SEVEN
    summary = json.loads((modest.root / SUMMARY).read_text())
    assert summary["passed"] == modest.passed
    assert summary["settings"] == {"firms": FIRMS, "steps": STEPS, "replicates": REPS, "seed": 20250101, "window": 8}


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured at the adopted calibration (data/calibration.yaml; 2,000 firms, 20 steps, 3 pairs, seed 20250101, "
        "mean of steps 13-20): every sign matches but Spearman is +0.05 (p 0.91); at the shipped size (20,000 firms, "
        "40 steps, 10 pairs) every sign matches and Spearman is +0.32 (p 0.48): the model ranks the economies by how "
        "restrictive their measures are (China's bans, Indonesia's and India's storage and consent rules cost most) "
        "where ECIPE's GTAP ranks Vietnam and China first and India last, and its losses are 2-50 times ECIPE's "
        "(docs/validation-ecipe.md). At the declared defaults: +0.72 with the EU's sign wrong at this size, +0.18 at "
        "the shipped size"
    ),
)
def test_ecipe2014_ranks_and_signs_are_reproduced(modest):
    """Issue 16, item 5: Spearman rank correlation of GDP effects across the seven ≥ 0.6 and every sign matches."""
    t = modest.table
    assert t["gdp_sign_match"].all(), t[["iso3", "published_gdp_pct", "simulated_gdp_pct"]].to_string()
    assert modest.spearman_gdp >= PASS_SPEARMAN


def test_cli_prints_the_side_by_side_table_from_finished_runs(modest):
    from simulator.cli import commands  # noqa: F401  (registers the commands)
    from simulator.cli.app import app

    args = ["replicate", "ecipe2014", "--firms", str(FIRMS), "--steps", str(STEPS), "--replicates", str(REPS)]
    result = CliRunner().invoke(app, [*args, "--executor", "serial", "--out", str(modest.root), "--resume"])
    assert result.exit_code == 0, result.output
    assert "Spearman rank correlation of GDP effects" in result.stdout
    for name in ("Brazil", "China", "India"):  # (longer names may wrap in a narrow table)
        assert name in result.stdout
    assert ("PASS" if modest.passed else "FAIL") in result.stdout


def test_cli_unknown_study_and_bad_window_exit_2():
    from simulator.cli import commands  # noqa: F401
    from simulator.cli.app import app

    result = CliRunner().invoke(app, ["replicate", "nosuch"])
    assert result.exit_code == 2
    assert "no replication study called 'nosuch'" in result.output and "ecipe2014" in result.output
    result = CliRunner().invoke(app, ["replicate", "ecipe2014", "--window", "0"])
    assert result.exit_code == 2 and "--window 0 must be 1 or more" in result.output

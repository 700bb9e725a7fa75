"""Baseline plausibility: the full-world status quo reproduces the calibration targets of docs/evidence.md.

The baseline (``baseline_state`` of the full world; data/calibration.yaml when one is adopted) runs the seeds of
``simulator.experiment.calibration`` (8 replicates of 5,000 firms and 8 steps); each target is the mean over
replicates of the last step's value. Tolerances (``TARGETS``; docs/evidence.md and docs/history.md, "Calibration"):
the published figures are rounded secondary statistics (docs/evidence.md status S) and a replicate of a few thousand
heavy-tailed firms moves regional shares by tens of percent, so the bands are about a factor of two around the point
targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_fixtures import full_world

from simulator.experiment.calibration import TARGETS, grid, measure, target_values


@pytest.fixture(scope="module")
def baseline_targets() -> pd.DataFrame:
    return measure(full_world())


OUTSIDE = {
    "intra_africa_share": "9.19 % (7.05-12.50 over the 8 seeds) against [12, 22] %",
    "india_dds_share": "1.46 % (0.50-2.60) against [3.5, 8] %",
    "exporter_share": "51.1 % (48.5-53.4) against [10, 30] %",
    "ict_services_share_ind": "2.29 % (0.00-10.92) against [21.2, 63.6] %",
    "ict_services_share_chn": "0.89 % (0.00-5.05) against [6.3, 19.0] %",
    "ict_services_share_ken": "4.85 % (0.00-38.8) against [5.1, 15.3] %",
    "ict_services_share_bra": "10.5 % (0.00-79.0) against [3.2, 9.5] %",
    "ict_services_share_usa": "1.25 % (0.07-4.05) against [2.6, 7.9] %",
}
"""Targets outside their bands at the adopted calibration (data/calibration.yaml, fit 3 of 2026-12-03) with the
audited data of issue 16 (`dlsim calibrate`, 5,000 firms, 8 steps, seeds 1-8: out of sample in the seeds and the
size). Africa 0.68 %, LAC 2.30 %, the United States 15.1 %, data management 10.0 %, China 6.48 % and intra-LAC
22.2 % are inside; the closure gap is 11.8 log points (8.1-15.8)."""

WHY = {
    "fit": "fitted, but the adopted SMM fit (the income closure a constraint) leaves it outside its band "
    "(docs/calibration.md); the unconstrained second fit brought intra-African trade inside and broke the closure, "
    "and no fit brought India's share inside",
    "holdout": "a held-out target, never fitted (docs/calibration.md): the model's exporter counts firm-to-firm sales "
    "across borders; an economy's ICT cell holds a few agents, so one firm's exports decide its ICT share (0 to 79 % "
    "over the seeds)",
}


def _target_param(t):
    if t.name not in OUTSIDE:
        return pytest.param(t, id=t.name)
    reason = f"measured {OUTSIDE[t.name]}: {WHY[t.role]}"
    return pytest.param(t, id=t.name, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("target", [_target_param(t) for t in TARGETS])
def test_baseline_reproduces_calibration_target(baseline_targets, target):
    values = baseline_targets[target.name].to_numpy(dtype=float)
    assert np.isfinite(values).all(), values
    assert target.low <= values.mean() <= target.high, (target.name, values)


def test_high_income_economies_dominate_dds_exports(baseline_targets):
    # the rest of the world (mostly high-income) holds the bulk of DDS exports (WTO 2023: high-income 82 %)
    assert (baseline_targets["africa_dds_share"] + baseline_targets["lac_dds_share"]).mean() < 10.0


def test_grid_moves_the_target_its_parameter_is_fitted_to():
    # the LAC capability is the calibrated lever of LAC's DDS share: lowering it lowers the share, seed for seed
    g = grid(full_world(), "dds_capability_lac", [1.0, 0.5], seeds=(1, 2), n_firms=2000, n_steps=4)
    lac = g[g["target"] == "lac_dds_share"].set_index("value")
    assert lac.loc[0.5, "max"] < lac.loc[1.0, "min"], lac
    assert set(g["target"]) == {t.name for t in TARGETS}


def test_target_values_of_a_run_without_african_exports_are_nan_not_an_error():
    frame = pd.DataFrame({"step": [0], "metric": ["output"], "level": ["world"], "group": ["world"], "value": [1.0]})
    values = target_values(frame)
    assert set(values) == {t.name for t in TARGETS}
    assert all(np.isnan(v) for v in values.values())

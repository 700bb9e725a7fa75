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
    "africa_dds_share": "4.17 % (2.32-5.78 over the 8 seeds) against [0.5, 2] %",
    "lac_dds_share": "5.44 % (2.84-8.97) against [1, 4] %",
    "intra_africa_share": "8.85 % (6.78-10.60) against [12, 22] %",
    "india_dds_share": "1.42 % (0.21-3.37) against [3.5, 8] %",
    "exporter_share": "49.5 % (47.2-51.8) against [10, 30] %",
    "ict_services_share_ind": "0.85 % (0.00-2.52) against [21.2, 63.6] %",
    "ict_services_share_chn": "1.54 % (0.00-6.55) against [6.3, 19.0] %",
    "ict_services_share_ken": "17.5 % (0.00-97.1) against [5.1, 15.3] %",
    "ict_services_share_bra": "16.4 % (0.00-85.7) against [3.2, 9.5] %",
    "ict_services_share_usa": "1.15 % (0.06-3.19) against [2.6, 7.9] %",
}
"""Targets outside their bands at the declared defaults with the audited data of issue 16 (`dlsim calibrate`, 5,000
firms, 8 steps, seeds 1-8); the shipped world has no adopted calibration (docs/calibration.md)."""

WHY = {
    "fit": "the SMM fit brings it inside (data/calibration_candidate.yaml; India excepted) but its values break the "
    "income closure (Europe's income 1.29 times its GDP share after the burn-in) and three hosting mechanism tests, so "
    "it is not adopted (docs/calibration.md); the fit needs the closure as a constraint",
    "holdout": "a held-out target, never fitted (docs/calibration.md): the model's exporter counts firm-to-firm sales "
    "across borders; an economy's ICT cell holds a few agents, so one firm's exports decide its ICT share (0 to 97 % "
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

"""The benchmark tools measure what they say: the floor passes do the model's trade, the paired ratio is a ratio.

The timings themselves are never asserted (speed is measured on purpose with ``benchmarks/``, not in tests).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import floor, measure


def test_floor_passes_reproduce_the_models_revenue_per_firm():
    out = floor.measure_floor(n_firms=2000, steps=2, seed=3, repeats=1)
    # measure_floor raises if the floor passes and the model's trade kernels disagree; the difference is reported
    assert out["max_rel_diff"] <= 1e-9
    assert out["market_links"] > 0 and out["supplier_links"] > out["market_links"]
    assert out["floor_ms"] == pytest.approx(out["floor_prices_ms"] + out["floor_weights_ms"] + out["floor_flows_ms"])
    assert out["budget_10M_ms"] == pytest.approx(0.2)


def test_floor_flows_split_spending_and_pools_like_the_rules():
    # two sellers (0 home in economy 0, 1 foreign from economy 1) on market (0, sector 0); buyer 2 buys from both
    mk_firm = np.array([0, 1], np.int64)
    mk_dest = np.array([0, 0], np.int32)
    economy = np.array([0, 1, 0], np.int32)
    sector = np.array([0, 0, 0], np.int32)
    sup = np.array([[-1, -1], [-1, -1], [0, 1]], np.int64)
    alive = np.ones(3, np.bool_)
    weight = np.array([1.0, 3.0, 2.0, 6.0])  # market links, then buyer 2's two supplier links
    e_open, e_home = np.array([8.0, 0.0]), np.array([5.0, 0.0])
    spend = np.array([0.0, 0.0, 4.0])
    mass_open, mass_home, revenue = np.zeros(2), np.zeros(2), np.zeros(3)
    floor.floor_flows(
        mk_firm, mk_dest, economy, sector, sup, alive, weight, e_open, e_home, spend, 1, mass_open, mass_home, revenue
    )
    # open pool 8 split 1:3, home pool 5 to the home seller only, spending 4 split 2:6
    np.testing.assert_allclose(revenue, [8 / 4 + 5 + 4 * 2 / 8, 8 * 3 / 4 + 4 * 6 / 8, 0.0])
    np.testing.assert_allclose(mass_open, [4.0, 0.0])
    np.testing.assert_allclose(mass_home, [1.0, 0.0])


def test_paired_ratio_is_reference_time_over_model_time():
    out = measure.measure_paired(n_firms=300, pairs=1, vec_steps=2, seed=1)
    # one pair: its ratio is the reference's step time over the model's mean step time after it
    assert out["ratio_min"] == out["ratio_median"] == out["ratio_max"]
    assert out["ratio_median"] == pytest.approx(out["ref_step_ms"] / out["vec_step_ms"])
    assert out["ref_step_ms"] > out["vec_step_ms"] > 0


@pytest.mark.parametrize("text", ["0", "-3", "x", "1.5"])
def test_counts_must_be_whole_numbers_of_at_least_one(text, capsys):
    with pytest.raises(SystemExit) as exc:
        floor.main(["--firms", text])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--firms" in err and "expected a whole number ≥ 1" in err and "Traceback" not in err

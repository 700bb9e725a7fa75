"""Check that a change to the model's code leaves every result bit for bit the same (run on purpose).

Save the outputs of a few runs at one commit, then compare the outputs of the same runs at another:

    .venv/bin/python benchmarks/same_results.py save /tmp/same-before      # before the change
    .venv/bin/python benchmarks/same_results.py compare /tmp/same-before   # after it: exit 1 on any difference

The runs are the shipped world at its shipped defaults, baseline and ``scenarios/data_autarky.yaml``, seed 7, at
5,000 firms × 12 steps and 20,000 firms × 8 steps (``--quick``: 5,000 × 12 only). For each run it keeps the metrics
frame, the firm table, every array of the firm table (``Firms``, slots included) and of the network, and the
accounts and trade result of the last step, and the closure's per-economy state (income, spending, carry, trade
volume, balances, wages). ``compare`` demands the same bits in every array (so -0 is not +0) and exact equality of
every frame (NaN equal to NaN); an output that moved (``--moved trade.exports_by_economy=accounts.exports_by_economy``)
is compared under its new name.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

CONFIGS = ((5_000, 12), (20_000, 8))
"""(firms, steps) of the compared runs."""
SCENARIOS = ("baseline", "data_autarky")
SEED = 7
STATE = ("income", "spending", "carry", "trade_volume", "balance", "wage", "debt", "demand", "local_price", "unit_cost")
"""Per-economy (or per-slot) state of the model kept besides the frames."""


def _arrays(obj: object, prefix: str) -> dict[str, np.ndarray]:
    """Every numpy array field (or property) of a dataclass instance, by ``prefix.name``."""
    out: dict[str, np.ndarray] = {}
    names = [f.name for f in dataclasses.fields(obj)] if dataclasses.is_dataclass(obj) else []
    names += [n for n, v in vars(type(obj)).items() if isinstance(v, property)]
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray):
            out[f"{prefix}.{name}"] = value.copy()
    return out


def outputs(firms: int, steps: int, scenario: str) -> dict[str, object]:
    """Run one configuration and return everything compared."""
    from simulator.model import DataFlowModel
    from simulator.scenario.loader import load_scenario
    from simulator.world import load_world
    from simulator.world.compile import compile_scenario, vocabulary

    world = load_world()
    sc = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml", vocabulary(world))
    schedule = compile_scenario(world, sc)
    model = DataFlowModel(world, schedule, params=sc.parameter_values(world.calibration), n_firms=firms, rng=SEED).run(
        steps
    )
    out: dict[str, object] = {"metrics": model.metrics_frame(), "firms_frame": model.firms_frame()}
    out.update(_arrays(model.firms, "firms"))
    out.update(_arrays(model.network, "network"))
    out.update(_arrays(model.accounts, "accounts"))
    out.update(_arrays(model.trade, "trade"))
    for name in STATE:
        value = getattr(model, name, None)
        if isinstance(value, np.ndarray):
            out[f"model.{name}"] = value.copy()
    return out


def differences(before: dict[str, object], after: dict[str, object], moved: dict[str, str] | None = None) -> list[str]:
    """Names of the outputs that are not exactly equal (or present on one side only).

    ``moved`` maps an output's name before the change to its name after it.
    """
    before = {(moved or {}).get(k, k): v for k, v in before.items()}
    bad = [f"{k}: only before" for k in before.keys() - after.keys()]
    bad += [f"{k}: only after" for k in after.keys() - before.keys()]
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if isinstance(a, pd.DataFrame):
            try:
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            except AssertionError as err:
                bad.append(f"{key}: {str(err).splitlines()[0]}")
        elif a.shape != b.shape or a.dtype != b.dtype:
            bad.append(f"{key}: shape/dtype {a.shape} {a.dtype} → {b.shape} {b.dtype}")
        elif np.ascontiguousarray(a).tobytes() != np.ascontiguousarray(b).tobytes():
            # bit for bit: -0 is not +0, and a NaN is equal only to the same NaN
            if a.dtype.kind in "fc":
                n = int(np.sum(a.view(f"u{a.dtype.itemsize}") != b.view(f"u{b.dtype.itemsize}")))
            else:
                n = int(np.sum(a != b))
            bad.append(f"{key}: {n} of {a.size} elements differ")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--quick", action="store_true", help="5,000 firms × 12 steps only")
    parser.add_argument("--moved", action="append", default=[], metavar="OLD=NEW", help="an output renamed or moved")
    args = parser.parse_args(argv)
    moved = dict(item.split("=", 1) for item in args.moved)
    configs = CONFIGS[:1] if args.quick else CONFIGS
    args.directory.mkdir(parents=True, exist_ok=True)
    failed = False
    for firms, steps in configs:
        for scenario in SCENARIOS:
            path = args.directory / f"{scenario}-{firms}x{steps}.pkl"
            out = outputs(firms, steps, scenario)
            if args.action == "save":
                path.write_bytes(pickle.dumps(out))
                sys.stdout.write(f"saved {path} ({len(out)} outputs)\n")
                continue
            bad = differences(pickle.loads(path.read_bytes()), out, moved)
            failed |= bool(bad)
            status = "identical" if not bad else "DIFFERENT"
            sys.stdout.write(f"{scenario} {firms}×{steps}: {status} ({len(out)} outputs compared)\n")
            for line in bad:
                sys.stdout.write(f"  {line}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

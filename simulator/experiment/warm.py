"""Imported by worker processes before their first task: loads the model's compiled kernels once.

The model's kernels are compiled by numba on first call (from its on-disk cache when there is one); a worker that
imports this module runs a tiny model (60 firms, 2 steps, the status quo) so that the fork server's children, or
a Dask worker, start with every kernel loaded instead of paying for it inside the first measured run. Failing to
warm up is harmless: the first run then pays for it.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def warm_up() -> bool:
    """Build and step a tiny status-quo model; return whether it ran."""
    try:
        import numpy as np

        from simulator.model import DataFlowModel
        from simulator.model.metrics import keep_economy_sums
        from simulator.world import PolicySchedule, load_world
        from simulator.world.baseline import baseline_state

        world = load_world()
        model = DataFlowModel(world, PolicySchedule(baseline_state(world)), n_firms=60, rng=np.random.SeedSequence(0))
        keep_economy_sums(model)
        model.run(2)
        model.metrics_frame()
        return True
    except Exception:  # warming up is an optimisation; the first run pays instead
        logger.debug("warm-up failed", exc_info=True)
        return False


WARM = warm_up()
"""Whether this process's kernels are loaded."""

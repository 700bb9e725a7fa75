"""Catch-up innovation: a firm that succeeds closes part of its gap to the productivity frontier of its sector."""

import numpy as np

from simulator.model.innovation import InnovationResult, rd_spending
from simulator.model.registry import register
from simulator.scenario.parameters import Parameter

RATE = Parameter(
    name="success_rate", symbol="p", unit="1 per step", default=0.05, minimum=0.0, maximum=1.0,
    meaning="Chance that a firm catches up in a step", source="assumption: tutorial example", group="innovation",
)  # fmt: skip
SHARE = Parameter(
    name="catch_up", symbol="c", unit="1", default=0.2, minimum=0.0, maximum=1.0,
    meaning="Share of the log gap to the sector's frontier closed on success", source="assumption: tutorial example",
    group="innovation",
)  # fmt: skip


@register("innovation", "catch_up", parameters=[RATE, SHARE], api=1)
def catch_up(model, params):
    """Each step a firm succeeds with probability p and closes a share c of its log gap to its sector's frontier."""
    f = model.firms
    log_phi = np.log(np.maximum(f.phi, np.finfo(float).tiny))
    frontier = np.full(model.n_sectors, -np.inf)
    np.maximum.at(frontier, f.sector[f.alive], log_phi[f.alive])  # best firm of each sector (compiled, no loop)
    gap = np.maximum(frontier[f.sector] - log_phi, 0.0)
    success = f.alive & (model.rng.random(f.capacity) < params["success_rate"])
    phi = np.where(success, np.exp(log_phi + params["catch_up"] * gap), f.phi)
    return InnovationResult(phi=phi, innovated=success, rd=rd_spending(model))

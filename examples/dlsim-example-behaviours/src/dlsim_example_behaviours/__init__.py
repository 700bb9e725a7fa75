"""An example dlsim plugin: a market-search rule that ignores distance and draws export markets by size.

Installed (``pip install -e examples/dlsim-example-behaviours``), it is chosen in a scenario file with::

    behaviours:
      market_search: {rule: gdp_weighted, params: {gdp_exponent: 0.5}}
"""

from __future__ import annotations

import numpy as np

from simulator.model.network import gravity_cdf, sample_rows
from simulator.model.registry import Behaviour
from simulator.scenario.parameters import Parameter

DLSIM_BEHAVIOUR_API = 1
"""The version of dlsim's behaviour interface this plugin is written for (``simulator.model.registry``)."""


def gdp_weighted(model, firms: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """Candidate export market ∝ GDP_d^a among foreign economies (distance plays no part)."""
    gdp = model.world.economies["gdp_usd"].to_numpy(dtype=float)
    n_c = gdp.size
    cdf = gravity_cdf(gdp ** params["gdp_exponent"], np.ones((n_c, n_c)), 0.0, exclude_home=True)
    return sample_rows(model.rng, cdf, model.firms.economy[firms])


GDP_WEIGHTED = Behaviour(
    kind="market_search",
    name="gdp_weighted",
    rule=gdp_weighted,
    api=DLSIM_BEHAVIOUR_API,
    parameters=(
        Parameter(
            name="gdp_exponent",
            symbol="a",
            unit="1",
            default=1.0,
            minimum=0.0,
            maximum=2.0,
            meaning="Elasticity of a market's chance to be searched to its GDP (0: every foreign market alike)",
            source="assumption: an illustration; gravity estimates put the importer-GDP elasticity near 1",
            group="market search",
        ),
    ),
)

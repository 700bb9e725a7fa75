"""Model layer: the Mesa model, firm population, network, behaviours and metrics (knows nothing of files).

Public entry points: ``DataFlowModel`` (a ``mesa.Model``) and ``simulate`` (pure ``run(config, seed) -> results``).
"""

from simulator.model.behaviours import REGISTRY, register
from simulator.model.metrics import EXTRA_METRICS, METRICS
from simulator.model.model import DataFlowModel, resolve_params, simulate

__all__ = ["EXTRA_METRICS", "METRICS", "REGISTRY", "DataFlowModel", "register", "resolve_params", "simulate"]

"""World layer: economies, sectors, distances, blocs, agreements and regimes, loaded from ``data/`` and validated."""

from simulator.world.baseline import baseline_state
from simulator.world.loader import WorldDataError, default_data_dir, load_world
from simulator.world.policy import PolicyEvent, PolicySchedule, PolicyState
from simulator.world.world import World

__all__ = [
    "PolicyEvent",
    "PolicySchedule",
    "PolicyState",
    "World",
    "WorldDataError",
    "baseline_state",
    "default_data_dir",
    "load_world",
]

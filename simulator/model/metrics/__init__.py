"""Metrics: one documented definition per outcome, collected each step into a tidy long table.

Every metric is computed at five levels — ``world``, ``region``, ``economy``, ``sector``, ``size`` (firm-size class)
— and, where stated, at extra levels (``region_pair``). Most metrics are a ratio of two per-firm quantities summed
over the group (or a plain sum): the per-firm quantities are summed once per economy × sector × size cell (one
compiled pass, ``metrics.cells``), and every level, ratio and extra metric is then computed from the cells and
a few per-economy tables (``metrics.values``), so collection is two compiled calls per step, not a Python loop
over firms. Firms are attributed to their home economy, sector and size class of the step — except at the ``size``
level once ``fix_size_classes`` has been called (the experiment layer calls it at the branch point, step 0 after the
burn-in): each firm then stays in the class it had at that point, so that a reform's size-level effects compare the
same firms' groups as the baseline's; every other level is computed exactly as before.

Rows: ``step, metric, level, group, value``. ``METRICS`` lists each metric's definition and whether higher is
better (``direction`` +1 / −1 / 0 for "neither"), for the report layer.

Modules: ``definitions`` (what each metric is), ``cells`` (the per-firm quantities summed per cell), ``values`` (the
metric values from the cells), ``collector`` (the step's values into the tidy table).
"""

from simulator.model.metrics.cells import cell_tables, link_sums, log_growth
from simulator.model.metrics.collector import MetricsCollector, fix_size_classes, keep_economy_sums
from simulator.model.metrics.definitions import EXTRA_METRICS, LEVELS, METRICS, PLACE_METRICS, QUANTITIES, Metric
from simulator.model.metrics.values import modularity, regime_bloc

__all__ = [
    "EXTRA_METRICS",
    "LEVELS",
    "METRICS",
    "PLACE_METRICS",
    "QUANTITIES",
    "Metric",
    "MetricsCollector",
    "cell_tables",
    "fix_size_classes",
    "keep_economy_sums",
    "link_sums",
    "log_growth",
    "modularity",
    "regime_bloc",
]

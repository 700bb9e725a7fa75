"""Report layer: figures and the self-contained HTML report, built from result files only.

- :func:`build_report` — one offline HTML file from a results folder (``dlsim report``; called at the end of
  ``dlsim compare`` and ``dlsim sweep``).
- :mod:`simulator.report.figures` — the report's charts as plotly figures, for notebooks.
- :func:`export_images` — every chart as PNG, SVG or PDF for slides (``dlsim export``).
- :func:`load_results` — the one reader of results folders (validates them against the results contract).
"""

from simulator.report.data import Results, ResultsError, as_results, load_results
from simulator.report.export import BrowserNotFoundError, export_images
from simulator.report.html import build_report

__all__ = [
    "BrowserNotFoundError",
    "Results",
    "ResultsError",
    "as_results",
    "build_report",
    "export_images",
    "load_results",
]

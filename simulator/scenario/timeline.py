"""Calendar time in scenario files and its mapping to model steps.

Dates are written as a year (``2027``, meaning 1 January), a decimal year (``2027.5``) or an ISO date
(``2027-07-01``); all become decimal years. A change dated ``t`` takes effect at the start of the first model step
that begins at or after ``t``: step ``ceil((t - start_year) / step_years)``, and step 0 for any date at or before
the start (the change is then part of the initial state).
"""

from __future__ import annotations

import datetime as dt
import math

EARLIEST_YEAR = 1945
"""Earliest calendar year a scenario date may name (restating old laws is allowed; earlier is a typo)."""

STEP_TOLERANCE = 1e-9
"""Rounding slack when a date falls exactly on a step boundary."""


def decimal_year(value: object) -> float:
    """Convert a scenario date to a decimal year.

    Args:
        value: An ``int`` or ``float`` year, a ``datetime.date``/``datetime.datetime``, or an ISO date string.

    Returns:
        The date as a decimal year (``2027-07-01`` → about ``2027.4959``).

    Raises:
        ValueError: If the value is not a date (booleans and other types included).
    """
    if isinstance(value, bool):
        raise ValueError("a year (2027) or an ISO date (2027-07-01), not true/false")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("a finite year")
        return float(value)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("a year (2027) or an ISO date (2027-07-01)") from None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        start = dt.date(value.year, 1, 1)
        days = (dt.date(value.year + 1, 1, 1) - start).days
        return value.year + (value - start).days / days
    raise ValueError("a year (2027) or an ISO date (2027-07-01)")


def year_to_step(year: float, start_year: float, step_years: float) -> int:
    """Return the first model step that begins at or after ``year`` (0 for dates at or before the start)."""
    steps = (year - start_year) / step_years
    return max(0, math.ceil(steps - STEP_TOLERANCE))


def step_to_year(step: int, start_year: float, step_years: float) -> float:
    """Return the calendar year at which model step ``step`` begins."""
    return start_year + step * step_years


def phase_in_steps(years: float, step_years: float) -> int:
    """Return over how many steps a phase-in of ``years`` ramps up (at least 1: full strength at once)."""
    return max(1, round(years / step_years))

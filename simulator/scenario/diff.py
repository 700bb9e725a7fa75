"""What differs between two resolved scenarios: which economies and sectors change which rule, from when.

Both scenarios are resolved against the same vocabulary into tidy tables (``ResolvedPolicy.rows``); rows are grouped
by what they are about (lever, economy or bloc, data category, sector) and described as "value from … until …".
Cells present in only one scenario read "baseline" on the other side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.scenario.resolution import ALL, REGIME, ResolvedPolicy, TidyRow
from simulator.scenario.taxonomy import DataCategory

BASELINE = "baseline"
"""Shown where a scenario leaves a lever at its status-quo value."""


@dataclass(frozen=True)
class Difference:
    """One lever that differs between scenarios A and B.

    Attributes:
        lever: ``PolicyState`` field or membership (``joins``, ``member_of``).
        target: Economy code or ``bloc:``/``club:`` key.
        data_category: Data category or ``*``.
        sector: Sector or ``*``.
        a: What A says (``baseline`` if nothing).
        b: What B says.
    """

    lever: str
    target: str
    data_category: str
    sector: str
    a: str
    b: str


def _describe(rows: Iterable[TidyRow]) -> str:
    parts = [f"{r.value} {r.when()}" for r in sorted(rows, key=lambda r: (r.start_year, r.value))]
    return "; ".join(parts) if parts else BASELINE


def _fine_cells(policy: ResolvedPolicy) -> dict[tuple[str, str, str, str], list[TidyRow]]:
    """Rows by cell, with ``*`` regime rows spread over every data category and sector so both sides line up."""
    categories = [str(c) for c in DataCategory]
    out: dict[tuple[str, str, str, str], list[TidyRow]] = defaultdict(list)
    for r in policy.rows():
        spread = r.lever == REGIME
        ks = categories if spread and r.data_category == ALL else [r.data_category]
        ss = list(policy.sectors) if spread and r.sector == ALL else [r.sector]
        for k in ks:
            for s in ss:
                out[(r.lever, r.target, k, s)].append(r)
    return out


def _collapse(
    found: dict[tuple[str, str, str, str], tuple[str, str]], categories: list[str], sectors: list[str]
) -> dict:
    """Merge differences that are the same for every sector (then every data category) into ``*`` rows."""
    by_cat: dict[tuple[str, str, str], dict[str, tuple[str, str]]] = defaultdict(dict)
    for (lever, target, k, s), pair in found.items():
        by_cat[(lever, target, k)][s] = pair
    step: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for (lever, target, k), per_sector in by_cat.items():
        if k != ALL and set(per_sector) == set(sectors) and len(set(per_sector.values())) == 1:
            step[(lever, target, k, ALL)] = next(iter(per_sector.values()))
        else:
            step.update({(lever, target, k, s): pair for s, pair in per_sector.items()})
    by_target: dict[tuple[str, str, str], dict[str, tuple[str, str]]] = defaultdict(dict)
    for (lever, target, k, s), pair in step.items():
        by_target[(lever, target, s)][k] = pair
    out: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for (lever, target, s), per_cat in by_target.items():
        if set(per_cat) == set(categories) and len(set(per_cat.values())) == 1:
            out[(lever, target, ALL, s)] = next(iter(per_cat.values()))
        else:
            out.update({(lever, target, k, s): pair for k, pair in per_cat.items()})
    return out


def diff_policies(a: ResolvedPolicy, b: ResolvedPolicy) -> list[Difference]:
    """Return every lever that differs between ``a`` and ``b``, in a stable order (lever, target, category, sector).

    Provenance (file and line) is ignored: the same rule written in two files is no difference. Differences that are
    the same for every sector or data category are shown once, with ``*``.
    """
    cells_a, cells_b = _fine_cells(a), _fine_cells(b)
    found = {}
    for cell in set(cells_a) | set(cells_b):
        da, db = _describe(cells_a.get(cell, [])), _describe(cells_b.get(cell, []))
        if da != db:
            found[cell] = (da, db)
    merged = _collapse(found, [str(c) for c in DataCategory], list(a.sectors))
    order = {c: i for i, c in enumerate(a.economies)}
    keys = sorted(merged, key=lambda c: (c[0], order.get(c[1], len(order)), c[1], c[2], c[3]))
    return [Difference(*cell, *merged[cell]) for cell in keys]

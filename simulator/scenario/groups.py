"""Resolve selectors (regions, blocs, income groups, custom groups, lists) to economies, with their specificity.

Specificity decides which of two rules wins for an economy (see ``simulator.scenario.resolution``). An economy
named by several parts of one selector takes the most specific part that names it:

======================  ===========
matched through         specificity
======================  ===========
``all``                 0
``region``              1
``income_group``        1
``bloc``                2
``group`` (custom)      3
``iso3`` (by name)      4
======================  ===========

``exclude`` removes economies; ``within`` keeps only economies that it also selects (it does not change their
specificity). Custom groups may not refer to other custom groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

from simulator.scenario.schema import Selector
from simulator.scenario.vocabulary import Vocabulary


class Specificity(IntEnum):
    """How specifically a selector names an economy; higher wins."""

    ALL = 0
    REGION = 1
    INCOME_GROUP = 1
    BLOC = 2
    GROUP = 3
    ECONOMY = 4


def resolve(selector: Selector, vocab: Vocabulary, groups: Mapping[str, Selector]) -> dict[str, Specificity]:
    """Return the economies ``selector`` names, each with its specificity, in economy order.

    Args:
        selector: The selector.
        vocab: Known economies and memberships.
        groups: Custom groups by name (unknown names are ignored here; ``checks`` reports them).
    """
    found: dict[str, Specificity] = {}

    def add(codes: list[str] | tuple[str, ...], level: Specificity) -> None:
        for code in codes:
            if code in found:
                found[code] = max(found[code], level)
            else:
                found[code] = level

    if selector.all:
        add(vocab.economies, Specificity.ALL)
    for region in selector.region:
        add(vocab.in_region(str(region)), Specificity.REGION)
    for income in selector.income_group:
        add(vocab.in_income_group(str(income)), Specificity.INCOME_GROUP)
    for bloc in selector.bloc:
        add(vocab.members(str(bloc), selector.status), Specificity.BLOC)
    for name in selector.group:
        if name in groups:
            add(list(resolve(groups[name], vocab, {})), Specificity.GROUP)
    known = set(vocab.economies)
    add([c for c in selector.iso3 if c in known], Specificity.ECONOMY)
    for code in selector.exclude:
        found.pop(code, None)
    if selector.within is not None:
        keep = resolve(selector.within, vocab, groups)
        found = {c: s for c, s in found.items() if c in keep}
    order = {c: i for i, c in enumerate(vocab.economies)}
    return dict(sorted(found.items(), key=lambda kv: order.get(kv[0], len(order))))

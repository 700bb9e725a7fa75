"""The names a scenario may use: economies, regions, income groups, blocs, sectors, and who belongs to what.

The scenario layer knows nothing of the world data; the world layer builds a ``Vocabulary`` from a ``World``
(``simulator.world.compile.vocabulary``) and passes it in. Without one, ``Vocabulary.from_taxonomy()`` checks only
the names fixed by the taxonomy (regions, income groups, blocs), not economies or sectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from simulator.scenario.taxonomy import Bloc, IncomeGroup, Region

MEMBER = "member"
"""Membership status of a party for which a bloc or agreement is in force."""

MEMBERSHIP_STATUSES: tuple[str, ...] = ("member", "signatory", "applicant")
"""Membership statuses a selector may ask for (the world data's ``memberships.status``)."""


@dataclass(frozen=True)
class Vocabulary:
    """Known names and group memberships, in the world's economy and sector order.

    Attributes:
        economies: Economy codes in the order of the model's economy axis (empty when unknown).
        sectors: Sector codes in the order of the model's sector axis (empty when unknown).
        region_of: Model region of each economy.
        income_group_of: Income group of each economy.
        memberships: ``bloc -> {iso3: status}`` for every membership recorded in the world data.
        names: Economy names by code (for messages and tables).
    """

    economies: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    region_of: Mapping[str, str] = field(default_factory=dict)
    income_group_of: Mapping[str, str] = field(default_factory=dict)
    memberships: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_taxonomy(cls) -> Vocabulary:
        """Return a vocabulary with no economies or sectors (names fixed by the taxonomy only)."""
        return cls()

    @property
    def knows_world(self) -> bool:
        """Whether economy and sector codes can be checked."""
        return bool(self.economies)

    @property
    def regions(self) -> tuple[str, ...]:
        """Region codes."""
        return tuple(str(r) for r in Region)

    @property
    def income_groups(self) -> tuple[str, ...]:
        """Income-group codes."""
        return tuple(str(g) for g in IncomeGroup)

    @property
    def blocs(self) -> tuple[str, ...]:
        """Bloc codes."""
        return tuple(str(b) for b in Bloc)

    def in_region(self, region: str) -> list[str]:
        """Economies of ``region``, in economy order."""
        return [c for c in self.economies if self.region_of.get(c) == region]

    def in_income_group(self, group: str) -> list[str]:
        """Economies of income group ``group``, in economy order."""
        return [c for c in self.economies if self.income_group_of.get(c) == group]

    def members(self, bloc: str, statuses: Iterable[str] = (MEMBER,)) -> list[str]:
        """Economies of ``bloc`` with one of ``statuses``, in economy order."""
        wanted = set(statuses)
        roster = self.memberships.get(bloc, {})
        return [c for c in self.economies if roster.get(c) in wanted]

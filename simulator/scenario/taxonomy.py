"""The shared vocabulary of data rules: regimes, data categories, safeguards, regions, income groups.

Everything that names a rule or a group is declared here once, as an ``Enum``; the world data, the scenario
schema and the model all import these names from this module, so they never drift apart.

The regime taxonomy follows OECD (2022) *A Preliminary Mapping of Data Localisation Measures* (storage-only,
storage with conditional transfer, storage with flow prohibition), extended by the flow-condition case without a
storage rule and by the "no regulation" case (see ``docs/evidence.md``).
"""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    """How a data category may leave an economy, ordered from least to most restrictive for cross-border flows.

    ``none`` sits apart: it restricts nothing but also offers no safeguards (it lowers trust, not flows).
    """

    NONE = "none"
    """No data-protection rule at all: flows are free, no safeguards (lowers consumer trust)."""
    OPEN = "open"
    """Flows free, with safeguards (accountability-based, e.g. open-with-safeguards clubs such as DEPA)."""
    CONDITIONAL = "conditional"
    """Transfers need safeguards: adequacy, standard contracts, binding corporate rules, consent."""
    STORAGE_COPY = "storage_copy"
    """A local (serving) copy must be kept; transfers and processing abroad remain allowed."""
    STORAGE_CONDITIONAL = "storage_conditional"
    """Local storage required and transfers abroad only under conditions."""
    STORAGE_BAN = "storage_ban"
    """Local storage required and transfer abroad prohibited."""

    @property
    def severity(self) -> int:
        """Ordinal restrictiveness for flows: none=0, open=0, conditional=1, storage_copy=2, ..., storage_ban=4."""
        return _SEVERITY[self]

    @property
    def requires_local_storage(self) -> bool:
        """Whether the regime forces a copy or the whole data set to be stored in the economy."""
        return self in (Regime.STORAGE_COPY, Regime.STORAGE_CONDITIONAL, Regime.STORAGE_BAN)

    @property
    def has_transfer_conditions(self) -> bool:
        """Whether a cross-border transfer needs a legal basis (safeguards) under the regime."""
        return self in (Regime.CONDITIONAL, Regime.STORAGE_CONDITIONAL)


_SEVERITY = {
    Regime.NONE: 0,
    Regime.OPEN: 0,
    Regime.CONDITIONAL: 1,
    Regime.STORAGE_COPY: 2,
    Regime.STORAGE_CONDITIONAL: 3,
    Regime.STORAGE_BAN: 4,
}


class DataCategory(StrEnum):
    """Categories of data a rule can target (OECD–WTO 2025: localisation is mostly sector-specific)."""

    PERSONAL = "personal"
    """Personal data in general (horizontal privacy laws)."""
    FINANCIAL = "financial"
    """Financial and payment data (banking, e-money, payment systems)."""
    HEALTH = "health"
    """Health data."""
    PUBLIC = "public"
    """Public-sector and government data."""


class Safeguards(StrEnum):
    """Level of data-protection safeguards in an economy (drives the trust channel)."""

    NONE = "none"
    """No data-protection law."""
    DRAFT = "draft"
    """A bill or partial, sectoral rules, no comprehensive law in force."""
    LAW = "law"
    """A comprehensive data-protection law in force."""
    LAW_WITH_AUTHORITY = "law_with_authority"
    """A comprehensive law in force and an operating independent supervisory authority."""

    @property
    def level(self) -> float:
        """Safeguards as a number in [0, 1] (none=0, draft=1/3, law=2/3, law with authority=1)."""
        return _SAFEGUARD_LEVEL[self]


_SAFEGUARD_LEVEL = {
    Safeguards.NONE: 0.0,
    Safeguards.DRAFT: 1 / 3,
    Safeguards.LAW: 2 / 3,
    Safeguards.LAW_WITH_AUTHORITY: 1.0,
}


class Region(StrEnum):
    """Model regions. Africa is the whole continent (AfCFTA scope), not only Sub-Saharan Africa."""

    LAC = "LAC"
    """Latin America & the Caribbean."""
    AFR = "AFR"
    """Africa (North and Sub-Saharan)."""
    NAM = "NAM"
    """North America (United States, Canada)."""
    EUR = "EUR"
    """Europe & Central Asia (World Bank grouping, incl. Türkiye and Russia)."""
    EAP = "EAP"
    """East Asia & Pacific."""
    SAS = "SAS"
    """South Asia."""
    MEA = "MEA"
    """Middle East (West Asia without North Africa)."""


REGION_NAMES: dict[Region, str] = {
    Region.LAC: "Latin America & Caribbean",
    Region.AFR: "Africa",
    Region.NAM: "North America",
    Region.EUR: "Europe & Central Asia",
    Region.EAP: "East Asia & Pacific",
    Region.SAS: "South Asia",
    Region.MEA: "Middle East",
}


class IncomeGroup(StrEnum):
    """World Bank income groups (FY2026 classification, by GNI per capita 2024)."""

    HIC = "HIC"
    UMC = "UMC"
    LMC = "LMC"
    LIC = "LIC"


INCOME_GROUP_NAMES: dict[IncomeGroup, str] = {
    IncomeGroup.HIC: "High income",
    IncomeGroup.UMC: "Upper middle income",
    IncomeGroup.LMC: "Lower middle income",
    IncomeGroup.LIC: "Low income",
}


class Bloc(StrEnum):
    """Blocs, agreements, adequacy lists and payment systems an economy can belong to."""

    MERCOSUR = "MERCOSUR"
    PACIFIC_ALLIANCE = "PACIFIC_ALLIANCE"
    ANDEAN = "ANDEAN"
    ECOWAS = "ECOWAS"
    EAC = "EAC"
    SADC = "SADC"
    AFCFTA = "AFCFTA"
    EU = "EU"
    USMCA = "USMCA"
    CPTPP = "CPTPP"
    DEPA = "DEPA"
    WTO_JSI_ECOM = "WTO_JSI_ECOM"
    EU_ADEQUACY = "EU_ADEQUACY"
    PAPSS = "PAPSS"

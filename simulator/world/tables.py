"""Declarations of the world data tables in ``data/``: one ``TableSpec`` per file, one ``Column`` per column.

These declarations are the single contract between the CSV files and the code: the loader checks every file
against them (missing or extra columns, types, ranges, allowed values, duplicate keys), and the provenance test
checks that every declared column has a source, year and licence in the file's ``*.meta.yaml`` sidecar.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Literal

from simulator.scenario.taxonomy import Bloc, DataCategory, IncomeGroup, Regime, Region, Safeguards

ColumnKind = Literal["str", "int", "float", "bool", "year", "enum", "iso3"]


class MembershipStatus(StrEnum):
    """How an economy relates to a bloc or agreement."""

    MEMBER = "member"
    """A party for which the agreement is in force (or a member of the bloc or list)."""
    SIGNATORY = "signatory"
    """Signed or joined, not yet in force for this economy."""
    APPLICANT = "applicant"
    """Formally applied to accede."""


class BlocKind(StrEnum):
    """What kind of grouping a bloc is."""

    TRADE_BLOC = "trade_bloc"
    TRADE_AGREEMENT = "trade_agreement"
    DIGITAL_AGREEMENT = "digital_agreement"
    ADEQUACY = "adequacy"
    PAYMENT_SYSTEM = "payment_system"
    PLURILATERAL = "plurilateral"


class SourceStatus(StrEnum):
    """How far a figure was checked against its source (the status vocabulary of ``data/*.meta.yaml``)."""

    V = "V"
    """Read in the publisher's own file or page, or in a named copy of it (repository, path and commit)."""
    S = "S"
    """Read only in a secondary report of the source (a press item, a summary by another organisation)."""
    U = "U"
    """Not checked against a source."""
    ASSUMPTION = "assumption"
    """A modelling choice, with its reasoning in the sidecar."""


class SectorKind(StrEnum):
    """Whether a sector mainly trades goods (pays border costs) or services."""

    GOODS = "goods"
    SERVICES = "services"


@dataclass(frozen=True)
class Column:
    """One column of a world data table.

    Attributes:
        name: Column header in the CSV file.
        kind: Value type; ``year`` is an integer calendar year, ``iso3`` a three-letter upper-case code.
        description: What the column means.
        unit: Unit of the values ("" when none).
        nullable: Whether an empty cell is allowed.
        minimum: Smallest allowed value (numbers and years).
        maximum: Largest allowed value (numbers and years).
        choices: Enum whose values are the only allowed values (``kind == "enum"``).
    """

    name: str
    kind: ColumnKind
    description: str
    unit: str = ""
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: type[Enum] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One world data file.

    Attributes:
        name: Table name; the file is ``data/<name>.csv`` and its provenance ``data/<name>.meta.yaml``.
        description: What one row is.
        key: Columns whose values identify a row (no two rows may share them).
        columns: Every column, in file order.
    """

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def file_name(self) -> str:
        """The CSV file name."""
        return f"{self.name}.csv"

    @property
    def meta_name(self) -> str:
        """The provenance sidecar file name."""
        return f"{self.name}.meta.yaml"

    def column(self, name: str) -> Column:
        """Return the declaration of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


YEAR_MIN, YEAR_MAX = 1945, 2035

ECONOMIES = TableSpec(
    name="economies",
    description="One row per economy or rest-of-region aggregate; together the rows cover the whole world.",
    key=("iso3",),
    columns=(
        Column("iso3", "iso3", "ISO 3166-1 alpha-3 code; user-assigned X-codes (and EUU) for aggregates"),
        Column("name", "str", "Economy name"),
        Column("region", "enum", "Model region", choices=Region),
        Column("income_group", "enum", "World Bank income group (FY2026)", choices=IncomeGroup),
        Column("is_aggregate", "bool", "True for a rest-of-region or bloc aggregate"),
        Column("gdp_usd", "float", "Gross domestic product", unit="current USD", minimum=1e8, maximum=5e13),
        Column("population", "int", "Total population", unit="persons", minimum=1e4, maximum=2e9),
        Column(
            "internet_users_pct",
            "float",
            "Individuals using the Internet",
            unit="% of population",
            minimum=0,
            maximum=100,
        ),
        Column(
            "internet_users_year",
            "year",
            "Reference year of internet_users_pct (the latest year in the copy read); empty for the rest-of-region "
            "aggregates, whose members' years differ",
            nullable=True,
            minimum=2015,
            maximum=YEAR_MAX,
        ),
        Column(
            "account_ownership_pct",
            "float",
            "Account ownership at a financial institution or mobile-money provider",
            unit="% of population age 15+",
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        Column("capital", "str", "Capital city, or the representative place of an aggregate"),
        Column(
            "lat", "float", "Latitude of the capital or representative place", unit="degrees", minimum=-90, maximum=90
        ),
        Column(
            "lon",
            "float",
            "Longitude of the capital or representative place",
            unit="degrees",
            minimum=-180,
            maximum=180,
        ),
        Column(
            "cloud_region_since",
            "year",
            "Year the first hyperscale public-cloud region (AWS, Microsoft Azure, Google Cloud) opened; empty if none",
            nullable=True,
            minimum=2006,
            maximum=YEAR_MAX,
        ),
        Column(
            "secure_servers_per_million",
            "float",
            "Secure internet servers (local data-centre market proxy); empty where no published figure was verified",
            unit="per million people",
            nullable=True,
            minimum=0,
            maximum=1e7,
        ),
        Column(
            "fixed_broadband_per_100",
            "float",
            "Fixed broadband subscriptions (broadband-quality proxy for the productivity scale of an economy's firms)",
            unit="per 100 people",
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        Column(
            "external_balance_pct_gdp",
            "float",
            "External balance on goods and services, exports minus imports (WDI NE.RSB.GNFS.ZS); positive = surplus. "
            "Empty where no published figure was read: the model then treats the economy as balanced (0)",
            unit="% of GDP",
            nullable=True,
            minimum=-100,
            maximum=100,
        ),
        Column(
            "external_balance_year",
            "year",
            "Reference year of external_balance_pct_gdp (the latest year published when the preferred year is "
            "missing); empty exactly where external_balance_pct_gdp is empty",
            nullable=True,
            minimum=YEAR_MIN,
            maximum=YEAR_MAX,
        ),
    ),
)

WORLD_TOTALS = TableSpec(
    name="world_totals",
    description="World aggregates the economies table must add up to.",
    key=("measure",),
    columns=(
        Column("measure", "str", "Name of a column of the economies table"),
        Column("value", "float", "World total of that measure", minimum=0),
        Column("year", "year", "Reference year", minimum=YEAR_MIN, maximum=YEAR_MAX),
    ),
)

BLOCS = TableSpec(
    name="blocs",
    description="One row per bloc, agreement, adequacy list or payment system.",
    key=("bloc",),
    columns=(
        Column("bloc", "enum", "Bloc code", choices=Bloc),
        Column("name", "str", "Full name"),
        Column("kind", "enum", "Kind of grouping", choices=BlocKind),
        Column("source", "str", "Legal instrument or official page that defines the membership"),
    ),
)

MEMBERSHIPS = TableSpec(
    name="memberships",
    description="One row per (economy, bloc): who belongs to what, since when.",
    key=("iso3", "bloc"),
    columns=(
        Column("iso3", "iso3", "Economy code (must exist in economies.csv)"),
        Column("bloc", "enum", "Bloc code (must exist in blocs.csv)", choices=Bloc),
        Column("status", "enum", "member, signatory or applicant", choices=MembershipStatus),
        Column("since", "year", "Year the status began", nullable=True, minimum=YEAR_MIN, maximum=YEAR_MAX),
        Column("source", "str", "Where the membership is recorded"),
    ),
)

SECTORS = TableSpec(
    name="sectors",
    description="One row per sector of the model.",
    key=("sector",),
    columns=(
        Column("sector", "str", "Sector code (snake_case)"),
        Column("name", "str", "Sector name"),
        Column("kind", "enum", "goods or services", choices=SectorKind),
        Column("data_intensity", "float", "How much the sector's output depends on data flows", minimum=0, maximum=1),
        Column("tradability", "float", "Share of output that can be traded across borders", minimum=0, maximum=1),
        Column("demand_share", "float", "Share of final demand spent on the sector", minimum=0, maximum=1),
        Column(
            "intermediate_share",
            "float",
            "Share of the sector's costs spent on intermediate inputs",
            minimum=0,
            maximum=1,
        ),
        Column(
            "transfer_dependence",
            "float",
            "Share of the sector's data-dependent activity that cannot be served under a storage ban even locally",
            minimum=0,
            maximum=1,
        ),
    ),
)

SECTOR_DATA = TableSpec(
    name="sector_data",
    description="How much of each sector's data falls in each data category: one row per (sector, data category).",
    key=("sector", "data_category"),
    columns=(
        Column("sector", "str", "Sector code (must exist in sectors.csv)"),
        Column("data_category", "enum", "Data category", choices=DataCategory),
        Column(
            "exposure",
            "float",
            "Share of the sector's cross-border data flows that fall in this category",
            minimum=0,
            maximum=1,
        ),
    ),
)

INPUT_OUTPUT = TableSpec(
    name="input_output",
    description="Where each sector buys its intermediate inputs: one row per (buying sector, supplying sector).",
    key=("sector", "supplier"),
    columns=(
        Column("sector", "str", "Buying sector (must exist in sectors.csv)"),
        Column("supplier", "str", "Supplying sector (must exist in sectors.csv)"),
        Column(
            "coefficient",
            "float",
            "Share of the buying sector's intermediate inputs bought from the supplying sector",
            minimum=0,
            maximum=1,
        ),
    ),
)

REGIMES = TableSpec(
    name="regimes",
    description="Baseline data regime: one row per (economy, data category, sector or '*' for all sectors).",
    key=("iso3", "data_category", "sector"),
    columns=(
        Column("iso3", "iso3", "Economy code"),
        Column("data_category", "enum", "Data category", choices=DataCategory),
        Column("sector", "str", "Sector code, or '*' for every sector"),
        Column("regime", "enum", "Regime in the taxonomy", choices=Regime),
        Column("instrument", "str", "Legal instrument that sets the rule"),
        Column("year", "year", "Year the instrument was adopted or took effect", minimum=YEAR_MIN, maximum=YEAR_MAX),
        Column("source", "str", "Where the rule is documented"),
    ),
)

SAFEGUARDS = TableSpec(
    name="safeguards",
    description="Data-protection safeguards per economy (drives the trust channel).",
    key=("iso3",),
    columns=(
        Column("iso3", "iso3", "Economy code"),
        Column("safeguards", "enum", "Level of safeguards", choices=Safeguards),
        Column("instrument", "str", "Data-protection law (or 'none')"),
        Column("year", "year", "Year in force", nullable=True, minimum=YEAR_MIN, maximum=YEAR_MAX),
        Column("source", "str", "Where it is documented"),
    ),
)

AGREEMENT_EFFECTS = TableSpec(
    name="agreement_effects",
    description="What membership of each bloc changes between its members in the baseline (status quo) world.",
    key=("bloc",),
    columns=(
        Column("bloc", "enum", "Bloc code (must exist in blocs.csv)", choices=Bloc),
        Column("trade_agreement", "bool", "Members share a trade agreement (distance trade cost reduced by rta)"),
        Column(
            "transfer_waiver",
            "float",
            "Share of transfer-condition compliance cost waived between members",
            minimum=0,
            maximum=1,
        ),
        Column(
            "localisation_waiver",
            "float",
            "Share of localisation requirements waived between members (computing-facility location articles)",
            minimum=0,
            maximum=1,
        ),
        Column(
            "ban_waiver",
            "float",
            "Share of members' storage bans waived between members (only where the agreement's text covers bans)",
            minimum=0,
            maximum=1,
        ),
        Column(
            "payment_interop",
            "float",
            "Payment interoperability between members (0 none, 1 full)",
            minimum=0,
            maximum=1,
        ),
        Column("basis", "str", "Provisions of the instrument that justify the values, or why they are zero"),
    ),
)

ALL_TABLES: tuple[TableSpec, ...] = (
    ECONOMIES,
    WORLD_TOTALS,
    BLOCS,
    MEMBERSHIPS,
    SECTORS,
    SECTOR_DATA,
    INPUT_OUTPUT,
    REGIMES,
    SAFEGUARDS,
    AGREEMENT_EFFECTS,
)

CALIBRATION_TARGETS = TableSpec(
    name="calibration_targets",
    description=(
        "Published figures the baseline is calibrated to or validated against, one row per target, economy or "
        "region and year, with the band a simulated value must fall in."
    ),
    key=("target", "economy_or_region", "year"),
    columns=(
        Column("target", "str", "Target name (e.g. dds_export_share_world: share of world DDS exports)"),
        Column(
            "economy_or_region",
            "str",
            "Economy (ISO3 / EUU) or region (model region code, or WORLD / HIC) the figure describes",
        ),
        Column("value_pct", "float", "The published figure", unit="%", minimum=0, maximum=100),
        Column(
            "low_pct",
            "float",
            "Lower edge of the band (rounding of the figure, or the band used)",
            unit="%",
            minimum=0,
            maximum=100,
        ),
        Column("high_pct", "float", "Upper edge of the band", unit="%", minimum=0, maximum=100),
        Column("year", "year", "Reference year of the figure", minimum=2000, maximum=YEAR_MAX),
        Column("source", "str", "Primary source and where it was read"),
        Column("status", "enum", "How far the figure was checked (V, S, U, assumption)", choices=SourceStatus),
    ),
)

ICT_SERVICES_TARGETS = TableSpec(
    name="targets_ict_services",
    description=(
        "ICT service exports as a share of service exports (WDI BX.GSR.CCIS.ZS) for the economies and years where "
        "a copy of the series could be read."
    ),
    key=("iso3", "year"),
    columns=(
        Column("iso3", "iso3", "Economy (ISO 3166-1 alpha-3, as in economies.csv)"),
        Column("year", "year", "Reference year", minimum=2000, maximum=YEAR_MAX),
        Column(
            "value_pct",
            "float",
            "ICT service exports (computer, communications and information services)",
            unit="% of service exports (BoP)",
            minimum=0,
            maximum=100,
        ),
        Column("vintage", "str", "Which copy of WDI the value was read in (see the sidecar)"),
    ),
)

ECIPE2014 = TableSpec(
    name="ecipe2014",
    description=(
        "Published GDP and investment effects of the data rules enacted or proposed in 2014 in seven economies "
        "(ECIPE 2014, GTAP8): the validation target of dlsim replicate ecipe2014."
    ),
    key=("iso3",),
    columns=(
        Column("iso3", "iso3", "Economy (as in economies.csv; EUU for the paper's EU)"),
        Column("economy", "str", "Economy name"),
        Column("gdp_pct", "float", "GDP effect of the 2014 measures", unit="%", minimum=-100, maximum=100),
        Column(
            "gdp_economy_wide_pct",
            "float",
            "GDP effect with economy-wide localisation (five economies)",
            unit="%",
            nullable=True,
            minimum=-100,
            maximum=100,
        ),
        Column("investment_pct", "float", "Domestic investment effect", unit="%", minimum=-100, maximum=100),
    ),
)

TARGET_TABLES: tuple[TableSpec, ...] = (CALIBRATION_TARGETS, ICT_SERVICES_TARGETS, ECIPE2014)
"""Calibration and validation targets: documented like the world tables, but not part of the model's world."""

"""The scenario file schema: one pydantic v2 model per section, validated as a whole.

A scenario file is a sparse override of the scenario it ``extends`` (ultimately ``baseline.yaml``, the status quo
from the world data). Every list item may carry an ``id`` so that a scenario extending it can replace it (same
``id``) or remove it (``drop``). Names of economies, blocs, sectors and groups are checked against the world in a
second pass (``simulator.scenario.checks``), which also knows line numbers; this module checks shapes, types and
ranges. The JSON Schema for editors is generated from these models (``simulator.scenario.docs``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from simulator.scenario.taxonomy import Bloc, DataCategory, IncomeGroup, Regime, Region, Safeguards
from simulator.scenario.timeline import EARLIEST_YEAR, decimal_year

SCHEMA_VERSION = 1
"""Version of the scenario file format this code reads (``schema_version`` in every file)."""

DEFAULT_START_YEAR = 2025.0
"""Calendar year at step 0 unless a scenario says otherwise."""
DEFAULT_STEP_YEARS = 0.25
"""Length of one model step in years (a quarter) unless a scenario says otherwise."""
LATEST_START_YEAR = 2100.0
"""Latest start year accepted."""
MAX_STEP_YEARS = 5.0
"""Longest model step accepted, in years."""

DEFAULT_FIRMS = 20_000
"""Firms simulated unless a scenario or ``--firms`` says otherwise."""
MIN_FIRMS, MAX_FIRMS = 10, 10_000_000
DEFAULT_STEPS = 40
"""Steps simulated (10 years of quarters) unless a scenario or ``--steps`` says otherwise."""
MAX_STEPS = 2_000
DEFAULT_REPLICATES = 10
"""Replicates per scenario unless a scenario or ``--replicates`` says otherwise."""
MAX_REPLICATES = 10_000
DEFAULT_SEED = 20_250_101
"""Root seed of the study's ``numpy.random.SeedSequence`` unless a scenario or ``--seed`` says otherwise."""
MAX_SEED = 2**63 - 1

MAX_CRYPTO_COST = 0.5
"""Largest extra ad-valorem compliance cost a cryptography restriction may state."""
MAX_POINTS = 100.0
"""Percentage points of population: the most a connectivity programme can add."""

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
"""Pattern of item ids, custom group names and club names."""

MembershipStatusName = Literal["member", "signatory", "applicant"]


def _listify(value: Any) -> Any:
    """Accept a single value where a list is expected."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    return value


def _year(value: Any) -> Any:
    try:
        return decimal_year(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


Year = Annotated[
    float,
    BeforeValidator(_year),
    Field(ge=EARLIEST_YEAR),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": EARLIEST_YEAR}, {"type": "string", "format": "date"}],
            "description": "A year (2027), a decimal year (2027.5) or an ISO date (2027-07-01).",
        }
    ),
]
"""A calendar date, held as a decimal year."""

Number = Annotated[float, Strict()]
"""A number (an integer is accepted; text and true/false are not)."""

Whole = Annotated[int, Strict()]
"""A whole number (text, true/false and decimals are not accepted)."""

Share = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
"""A number between 0 and 1."""

Years = Annotated[float, Strict(), Field(ge=0.0, le=100.0)]
"""A duration in years."""

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
"""An identifier: a letter, then letters, digits, ``_`` or ``-``."""


def _list_of(item: Any) -> Any:
    return Annotated[list[item], BeforeValidator(_listify)]


class Section(BaseModel):
    """Base of every schema model: unknown keys are errors, values are not coerced from other types."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


# --- header ---------------------------------------------------------------------------------------------------------


class Reference(Section):
    """A legal or scholarly reference the scenario rests on."""

    citation: str = Field(min_length=1, description="Full citation: instrument, article, date.")
    url: str | None = Field(None, description="Where to read it (kept as text, never fetched).")
    note: str | None = Field(None, description="What the reference supports.")


class Provision(Section):
    """How one provision of the instrument maps to the model's levers."""

    provision: str = Field(min_length=1, description="The provision, e.g. 'Art. 4.3 cross-border transfer'.")
    modelled_as: str = Field(min_length=1, description="The key path or parameter that represents it.")


class Header(Section):
    """Who wrote the scenario, what it represents and where its rules come from."""

    title: str = Field(min_length=1, max_length=200, description="Short title shown in reports.")
    author: str = Field(min_length=1, description="Author or maintainer.")
    description: str = Field(min_length=1, description="What the scenario represents and why.")
    legal_references: list[Reference] = Field(default_factory=list, description="Citations (URLs as text).")
    provisions: list[Provision] = Field(default_factory=list, description="Provision → model lever map.")
    not_modelled: list[str] = Field(default_factory=list, description="Provisions the model does not represent.")


# --- who a rule applies to ------------------------------------------------------------------------------------------


class Selector(Section):
    """A set of economies: the union of the listed groups, minus ``exclude``, intersected with ``within``.

    Shorthands: ``all`` (every economy), ``KEN`` (one economy), ``[KEN, UGA]`` (a list of economies).
    """

    all: StrictBool = Field(False, description="Every economy of the world.")
    iso3: _list_of(str) = Field(default_factory=list, description="Economy codes (ISO 3166-1 alpha-3).")
    region: _list_of(Region) = Field(default_factory=list, description="Model regions.")
    income_group: _list_of(IncomeGroup) = Field(default_factory=list, description="World Bank income groups.")
    bloc: _list_of(Bloc) = Field(default_factory=list, description="Blocs, agreements, adequacy lists.")
    status: _list_of(MembershipStatusName) = Field(
        default_factory=lambda: ["member"], description="Bloc membership statuses counted (default: member)."
    )
    group: _list_of(Name) = Field(default_factory=list, description="Custom groups declared under 'groups'.")
    exclude: _list_of(str) = Field(default_factory=list, description="Economy codes removed from the set.")
    within: Selector | None = Field(None, description="Keep only economies also in this set.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "all":
            return {"all": True}
        if isinstance(value, str):
            return {"iso3": [value]}
        if isinstance(value, list):
            return {"iso3": value}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Selector:
        if not (self.all or self.iso3 or self.region or self.income_group or self.bloc or self.group):
            raise ValueError("names no economies: give all, iso3, region, income_group, bloc or group")
        return self


# --- when ------------------------------------------------------------------------------------------------------------


class Timing(Section):
    """When a change is announced, enforced, phased in, and when it lapses.

    Shorthand: a single date (``timing: 2027``) means ``enforce: 2027``. Without ``enforce`` the change is in
    force from the start of the run. The change takes full effect ``grace_years`` after ``enforce`` and ramps up
    linearly over ``phase_in_years``; it lapses at ``sunset``.
    """

    announce: Year | None = Field(None, description="When the change is announced (firms may anticipate).")
    enforce: Year | None = Field(None, description="When the change enters into force (default: start of run).")
    grace_years: Years = Field(0.0, description="Grace period after entry into force before it applies.")
    phase_in_years: Years = Field(0.0, description="Years over which the change ramps up to full strength.")
    sunset: Year | None = Field(None, description="When the change lapses (default: never).")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict | BaseModel) or value is None:
            return value
        return {"enforce": value}

    @model_validator(mode="after")
    def _ordered(self) -> Timing:
        if self.announce is not None and self.enforce is not None and self.announce > self.enforce:
            raise ValueError("announce comes after enforce")
        if self.sunset is not None and self.enforce is not None and self.sunset <= self.effective:
            raise ValueError("sunset is not after the date the change applies (enforce + grace_years)")
        return self

    @property
    def effective(self) -> float | None:
        """When the change starts to apply (``enforce + grace_years``), ``None`` for the start of the run."""
        return None if self.enforce is None else self.enforce + self.grace_years


# --- levers ----------------------------------------------------------------------------------------------------------


class Item(Section):
    """Fields every list item shares."""

    id: Name | None = Field(None, description="Identifier; a scenario extending this one may replace or drop it.")
    note: str | None = Field(None, description="Free text: the provision this item represents.")


class Rule(Item):
    """A data regime and/or safeguards level for some economies, data categories and sectors."""

    economies: Selector = Field(description="Who the rule applies to.")
    data: _list_of(DataCategory) | None = Field(None, description="Data categories (default: all).")
    sectors: _list_of(str) | None = Field(None, description="Sector codes (default: all sectors).")
    regime: Regime | None = Field(None, description="Regime in the taxonomy.")
    safeguards: Safeguards | None = Field(None, description="Data-protection safeguards (economy-wide).")
    timing: Timing = Field(default_factory=Timing, description="When the rule applies.")
    contingent: StrictBool = Field(
        False,
        description="Adopted by each selected government when the run's government_policy behaviour decides so "
        "(e.g. reciprocity), not on a date; timing may then give only phase_in_years.",
    )

    @model_validator(mode="after")
    def _says_something(self) -> Rule:
        if self.regime is None and self.safeguards is None:
            raise ValueError("a rule needs a regime, safeguards or both")
        if self.contingent:
            if self.regime is None or self.safeguards is not None:
                raise ValueError("a contingent rule sets a regime only (no safeguards)")
            t = self.timing
            if (t.announce, t.enforce, t.sunset) != (None, None, None) or t.grace_years:
                raise ValueError(
                    "a contingent rule is adopted when a government decides, not on a date: its timing may give "
                    "only phase_in_years"
                )
        return self


class Waivers(Section):
    """Shares of a cost waived between members (omitted: unchanged for a bloc, 0 for a new club)."""

    transfer_conditions: Share | None = Field(None, description="Share of transfer-condition compliance waived.")
    localisation: Share | None = Field(
        None, description="Share of localisation requirements (storage and processing mandates short of a ban) waived."
    )
    bans: Share | None = Field(
        None,
        description="Share of storage bans waived (only what the agreement's text covers: a computing-facility "
        "article that forbids requiring local facilities covers bans; a transfer provision does not).",
    )
    payment_friction: Share | None = Field(
        None, description="Payment interoperability between members (share of friction removed, × interop_effect)."
    )


class Harmonisation(Section):
    """A common regime the members adopt (as a rule addressed to the members, at bloc precedence)."""

    data: _list_of(DataCategory) | None = Field(None, description="Data categories (default: all).")
    sectors: _list_of(str) | None = Field(None, description="Sector codes (default: all).")
    regime: Regime | None = Field(None, description="Common regime.")
    safeguards: Safeguards | None = Field(None, description="Common safeguards level.")

    @model_validator(mode="after")
    def _says_something(self) -> Harmonisation:
        if self.regime is None and self.safeguards is None:
            raise ValueError("harmonise needs a regime, safeguards or both")
        return self


class Agreement(Item):
    """An agreement or club: what it waives or harmonises between its members, from when.

    Either an existing ``bloc`` of the world data (its members from the data, plus ``join``), whose waivers the
    scenario changes, or a new ``club`` with explicit ``members``.
    """

    name: str | None = Field(None, description="Display name, e.g. 'AfCFTA Digital Trade Protocol'.")
    bloc: Bloc | None = Field(None, description="An existing bloc or agreement of the world data.")
    club: Name | None = Field(None, description="Name of a new club (then 'members' is required).")
    members: Selector | None = Field(None, description="Members of a new club.")
    join: Selector | None = Field(None, description="Economies that accede (to the bloc or club) at 'timing'.")
    waive: Waivers = Field(default_factory=Waivers, description="What is waived between members.")
    trade_agreement: StrictBool | None = Field(None, description="Whether members share a trade agreement.")
    harmonise: Harmonisation | None = Field(None, description="A regime every member adopts.")
    timing: Timing = Field(default_factory=Timing, description="When it applies.")

    @model_validator(mode="after")
    def _one_identity(self) -> Agreement:
        if (self.bloc is None) == (self.club is None):
            raise ValueError("give exactly one of 'bloc' (existing) or 'club' (new)")
        if self.club is not None and self.members is None:
            raise ValueError("a new club needs 'members'")
        if self.bloc is not None and self.members is not None:
            raise ValueError("an existing bloc takes its members from the world data: use 'join' to add members")
        return self

    @property
    def key(self) -> str:
        """The bloc code or club name."""
        return str(self.bloc) if self.bloc is not None else str(self.club)


class PaymentArrangement(Item):
    """A payment interoperability arrangement (e.g. PAPSS) and its reach among members."""

    name: str | None = Field(None, description="Display name.")
    system: Bloc | None = Field(None, description="An existing payment system of the world data, e.g. PAPSS.")
    club: Name | None = Field(None, description="Name of a new arrangement (then 'members' is required).")
    members: Selector | None = Field(None, description="Members of a new arrangement.")
    join: Selector | None = Field(None, description="Economies that join at 'timing'.")
    interop: Share = Field(
        1.0,
        description="Share of payments between members settled through it; the friction removed is "
        "interop × interop_effect (a parameter).",
    )
    timing: Timing = Field(default_factory=Timing, description="When it operates.")

    @model_validator(mode="after")
    def _one_identity(self) -> PaymentArrangement:
        if (self.system is None) == (self.club is None):
            raise ValueError("give exactly one of 'system' (existing) or 'club' (new)")
        if self.club is not None and self.members is None:
            raise ValueError("a new arrangement needs 'members'")
        if self.system is not None and self.members is not None:
            raise ValueError("an existing system takes its members from the world data: use 'join' to add members")
        return self

    @property
    def key(self) -> str:
        """The payment-system code or club name."""
        return str(self.system) if self.system is not None else str(self.club)


class ConnectivityProgramme(Item):
    """A connectivity or capacity-building programme: internet use rises linearly by ``add_points`` until ``by``."""

    name: str | None = Field(None, description="Display name.")
    economies: Selector = Field(description="Economies covered.")
    add_points: Number = Field(gt=0.0, le=MAX_POINTS, description="Percentage points of internet use added.")
    starts: Year | None = Field(None, description="When the programme starts (default: start of run).")
    by: Year = Field(description="When the full increase is reached.")

    @model_validator(mode="after")
    def _ordered(self) -> ConnectivityProgramme:
        if self.starts is not None and self.by < self.starts:
            raise ValueError("'by' comes before 'starts'")
        return self


class CloudRegion(Item):
    """A hyperscale cloud region opening (deepens the local data-centre market)."""

    economies: Selector = Field(description="Economies where a region opens.")
    opens: Year = Field(description="When it opens.")


class Ecommerce(Item):
    """E-commerce levers under negotiation (WTO JSI), each with a stated effect.

    Omitted levers are unchanged.
    """

    economies: Selector = Field(description="Economies adopting the levers.")
    paperless_trading: Share | None = Field(
        None, description="Paperless trading and single windows: share of goods border costs removed."
    )
    source_code_disclosure: StrictBool | None = Field(
        None, description="Whether disclosure of source code is required (deters entry of foreign digital firms)."
    )
    cryptography_restriction: Number | None = Field(
        None, ge=0.0, le=MAX_CRYPTO_COST, description="Extra ad-valorem compliance cost from crypto restrictions."
    )
    telecom_access: Share | None = Field(
        None, description="Telecommunications access commitments: share of connectivity cost removed."
    )
    timing: Timing = Field(default_factory=Timing, description="When the levers apply.")

    @model_validator(mode="after")
    def _says_something(self) -> Ecommerce:
        levers = (self.paperless_trading, self.source_code_disclosure, self.cryptography_restriction)
        if all(v is None for v in levers) and self.telecom_access is None:
            raise ValueError(
                "give at least one of paperless_trading, source_code_disclosure, cryptography_restriction, "
                "telecom_access"
            )
        return self


# --- sweeps -----------------------------------------------------------------------------------------------------------

SWEEP_DESIGNS: tuple[str, ...] = ("full_factorial", "latin_hypercube", "sobol", "morris")
"""Designs of a sweep: every combination of levels; a Latin hypercube; Sobol' (Saltelli) sampling; Morris
trajectories."""
MAX_SWEEP_POINTS = 1_000_000
"""Most points a sweep may declare (``n`` and the full factorial's product of levels)."""
DEFAULT_FACTORIAL_LEVELS = 3
"""Values of a parameter range in a full factorial design unless ``levels`` says otherwise."""
DEFAULT_MORRIS_LEVELS = 4
"""Grid levels of a Morris design unless ``levels`` says otherwise."""


class SweepRule(Section):
    """A rule whose regime is a factor of the sweep: each level of the factor is one of ``regimes``.

    The rule is added after the scenario's own rules (so it takes precedence where it is as specific as they are).
    """

    economies: Selector = Field(description="Who the rule applies to.")
    data: _list_of(DataCategory) | None = Field(None, description="Data categories (default: all).")
    sectors: _list_of(str) | None = Field(None, description="Sector codes (default: all sectors).")
    regimes: list[Regime] = Field(min_length=2, description="The regimes the factor takes, one per level.")
    timing: Timing = Field(default_factory=Timing, description="When the rule applies.")


class SweepFactor(Section):
    """One factor of a sweep: an uncertain parameter (a range or a list of values) or a lever.

    Levers: ``item`` switches an item of the scenario (by its ``id``) off and on; ``rule`` adds a rule whose
    regime takes each of its ``regimes``. A parameter without ``range`` or ``values`` takes its declared range.
    """

    name: Name | None = Field(None, description="Factor name in results (default: the parameter or item id).")
    parameter: str | None = Field(None, description="A declared model parameter (docs/parameters.md).")
    range: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = Field(
        None, description="[low, high] inside the parameter's declared range (sampled uniformly)."
    )
    values: Annotated[list[Number], Field(min_length=1)] | None = Field(
        None, description="Explicit values of the parameter (a discrete factor)."
    )
    item: Name | None = Field(None, description="Id of an item of the scenario, switched off and on.")
    rule: SweepRule | None = Field(None, description="A rule whose regime varies over its 'regimes'.")

    @model_validator(mode="after")
    def _one_kind(self) -> SweepFactor:
        kinds = [k for k in ("parameter", "item", "rule") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of 'parameter', 'item' or 'rule'")
        if self.parameter is None and (self.range is not None or self.values is not None):
            raise ValueError("'range' and 'values' belong to a 'parameter' factor")
        if self.range is not None and self.values is not None:
            raise ValueError("give 'range' or 'values', not both")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range [low, high] needs low < high")
        if self.rule is not None and self.name is None:
            raise ValueError("a 'rule' factor needs a 'name'")
        return self

    @property
    def key(self) -> str:
        """The factor's name in results."""
        return str(self.name or self.parameter or self.item)


class SweepSection(Section):
    """A sweep: factors (uncertain parameters and levers) and a design; ``dlsim sweep`` runs it.

    With ``against``, each point runs the swept scenario (the reform) and the counterfactual from the same seed, with
    the point's parameter values in both (levers switch the reform's items only), and its outcome is the reform's %
    effect; without it, the outcome is the swept scenario's level.

    ``n`` is the number of points of a Latin hypercube, the base sample of Sobol' (Saltelli) sampling (a power of
    2; N · (D + 2) points, N · (2D + 2) with ``second_order``) or the number of Morris trajectories (N · (D + 1)
    points); a full factorial design runs every combination (a parameter range in ``levels`` evenly spaced values).
    """

    design: Literal["full_factorial", "latin_hypercube", "sobol", "morris"] = Field(
        "latin_hypercube", description="full_factorial, latin_hypercube, sobol (Saltelli) or morris."
    )
    n: Whole | None = Field(None, ge=1, le=MAX_SWEEP_POINTS, description="Points, base sample or trajectories.")
    levels: Whole | None = Field(
        None, ge=2, le=100, description="Values per parameter range (full factorial) or Morris grid levels."
    )
    second_order: StrictBool = Field(False, description="Sobol': also second-order indices (more points).")
    replicates: Whole = Field(1, ge=1, le=MAX_REPLICATES, description="Replicates per point (common seeds).")
    seed: Whole | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the design (default: run.seed).")
    metrics: _list_of(str) | None = Field(None, description="Metrics analysed (default: the headline metrics).")
    economies: _list_of(str) | None = Field(
        None, description="Economies (ISO3 codes) whose outcomes are also analysed, at the economy level, e.g. [NGA]."
    )
    against: str | None = Field(
        None,
        min_length=1,
        description="Counterfactual scenario (name or relative path, looked up like 'extends', e.g. baseline): each "
        "point also runs it from the same seed, and a point's outcome is the % effect 100 · (reform / counterfactual "
        "− 1) of the last-year means.",
    )
    factors: Annotated[list[SweepFactor], Field(min_length=1)] = Field(description="The factors varied.")

    @model_validator(mode="after")
    def _needs_n(self) -> SweepSection:
        if self.design != "full_factorial" and self.n is None:
            raise ValueError(f"design {self.design} needs 'n'")
        return self


# --- settings ---------------------------------------------------------------------------------------------------------


class TimelineSettings(Section):
    """How calendar time maps to model steps."""

    start_year: Number = Field(
        DEFAULT_START_YEAR, ge=EARLIEST_YEAR, le=LATEST_START_YEAR, description="Calendar year at step 0."
    )
    step_years: Number = Field(DEFAULT_STEP_YEARS, gt=0.0, le=MAX_STEP_YEARS, description="Length of a step, years.")


class RunSettings(Section):
    """Run settings; command-line flags override them."""

    firms: Whole = Field(DEFAULT_FIRMS, ge=MIN_FIRMS, le=MAX_FIRMS, description="Firms simulated.")
    steps: Whole = Field(DEFAULT_STEPS, ge=1, le=MAX_STEPS, description="Steps simulated (the horizon).")
    replicates: Whole = Field(DEFAULT_REPLICATES, ge=1, le=MAX_REPLICATES, description="Replicates per scenario.")
    seed: Whole = Field(DEFAULT_SEED, ge=0, le=MAX_SEED, description="Root seed of the study.")


def _rule_shorthand(value: Any) -> Any:
    """Accept ``innovation: schumpeterian`` for ``innovation: {rule: schumpeterian}``."""
    if isinstance(value, str):
        return {"rule": value}
    return value


class BehaviourChoice(Section):
    """The behaviour chosen for one kind (``behaviours.<kind>``) and its own parameters.

    The scenario layer checks only the shape; the kind, the rule and its parameters are checked against the
    behaviours' own declarations when the run is assembled (``dlsim params`` lists them).
    """

    rule: Name = Field(description="Name of a registered rule of this kind, e.g. schumpeterian (see dlsim params).")
    params: dict[Name, Number] = Field(
        default_factory=dict, description="Values of the rule's own parameters (the rule declares their ranges)."
    )


BehaviourEntry = Annotated[BehaviourChoice, BeforeValidator(_rule_shorthand)]


class ScenarioFile(Section):
    """One scenario file as written: a header and sparse overrides of the scenario it extends."""

    schema_version: Whole = Field(description=f"Scenario format version; this dlsim reads {SCHEMA_VERSION}.")
    name: Name | None = Field(None, description="Scenario name (default: the file name without .yaml).")
    extends: str | None = Field(
        None, min_length=1, description="Name (or relative path) of the scenario this one overrides, e.g. baseline."
    )
    header: Header = Field(description="Title, author, description, legal references, provisions not modelled.")
    timeline: TimelineSettings | None = Field(None, description="Start year and step length.")
    run: RunSettings | None = Field(None, description="Run settings (command-line flags override them).")
    parameters: dict[str, Number] = Field(
        default_factory=dict, description="Overrides of model parameters (see docs/parameters.md)."
    )
    groups: dict[Name, Selector] = Field(default_factory=dict, description="Custom named groups of economies.")
    behaviours: dict[Name, BehaviourEntry] = Field(
        default_factory=dict,
        description="Behaviour chosen per kind: kind → rule name, or {rule: name, params: {name: value}}.",
    )
    rules: list[Rule] = Field(default_factory=list, description="Data regimes and safeguards.")
    agreements: list[Agreement] = Field(default_factory=list, description="Agreements, clubs and blocs.")
    payments: list[PaymentArrangement] = Field(default_factory=list, description="Payment interoperability.")
    connectivity: list[ConnectivityProgramme] = Field(default_factory=list, description="Connectivity programmes.")
    cloud_regions: list[CloudRegion] = Field(default_factory=list, description="Cloud region openings.")
    ecommerce: list[Ecommerce] = Field(default_factory=list, description="E-commerce levers (WTO JSI areas).")
    sweep: SweepSection | None = Field(None, description="Factors and design of a sweep (dlsim sweep).")
    drop: _list_of(Name) = Field(default_factory=list, description="Ids of inherited items to remove.")

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(f"written for a newer dlsim (schema_version {value}); this dlsim reads {SCHEMA_VERSION}")
        if value < 1:
            raise ValueError(f"schema_version {value} is not a released format; use {SCHEMA_VERSION}")
        return value


LIST_SECTIONS: tuple[str, ...] = ("rules", "agreements", "payments", "connectivity", "cloud_regions", "ecommerce")
"""Sections holding lists of items (concatenated along an ``extends`` chain, child last)."""

Selector.model_rebuild()

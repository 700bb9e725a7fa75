"""The single declaration of every behavioural and uncertain model parameter.

Each parameter is declared exactly once here, with its unit, default, allowed range, meaning and source (or
"assumption" with the reasoning). The scenario schema (overrides), ``dlsim params``, ``docs/parameters.md`` and the
JSON Schema are all generated from ``PARAMETERS``; the model reads values by name and holds no numbers of its own.

Symbols follow ``../shared/design/model-sketch.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Parameter:
    """Declaration of one model parameter.

    Attributes:
        name: Identifier used in scenario files and in the model (snake_case).
        symbol: Symbol in the model sketch.
        unit: Unit of the value ("1" for dimensionless).
        default: Default value.
        minimum: Smallest allowed value (inclusive).
        maximum: Largest allowed value (inclusive).
        meaning: What the parameter does in the model.
        source: Where the default comes from, or "assumption: <reasoning>".
        group: Which mechanism uses it (for the reference docs).
        integer: Whether the value must be a whole number.
    """

    name: str
    symbol: str
    unit: str
    default: float
    minimum: float
    maximum: float
    meaning: str
    source: str
    group: str
    integer: bool = False

    def check(self, value: float) -> str | None:
        """Return why ``value`` is not allowed for this parameter, or ``None`` if it is."""
        if self.integer and float(value) != int(value):
            return f"a whole number between {self.minimum:g} and {self.maximum:g} ({self.unit})"
        if not (self.minimum <= value <= self.maximum):
            return f"a number between {self.minimum:g} and {self.maximum:g} ({self.unit})"
        return None


@dataclass(frozen=True)
class ParameterSet(Mapping[str, Parameter]):
    """An ordered, read-only collection of parameter declarations, keyed by name."""

    items_: tuple[Parameter, ...]
    _by_name: Mapping[str, Parameter] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Parameter] = {}
        for p in self.items_:
            if p.name in by_name:
                raise ValueError(f"parameter {p.name!r} declared twice")
            by_name[p.name] = p
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def defaults(self) -> dict[str, float]:
        """Return ``{name: default}`` for every parameter."""
        return {p.name: p.default for p in self.items_}


A = "assumption: "

PARAMETERS = ParameterSet(
    (
        # --- demand and trade -------------------------------------------------------------------------------------
        Parameter(
            "sigma", "σ", "1", 5.0, 2.0, 10.0,
            "Elasticity of substitution between varieties (CES demand); trade elasticity is 1 − σ",
            "Head & Mayer (2014) Handbook of International Economics vol. 4: median structural trade elasticity ≈ −5",
            "trade",
        ),
        Parameter(
            "gamma", "γ", "1", 1.0, 0.5, 1.6,
            "Distance elasticity of trade costs",
            "Disdier & Head (2008) REStat meta-analysis: mean distance effect ≈ 0.9",
            "trade",
        ),
        Parameter(
            "t0", "t₀", "1 per 1000 km^γ", 0.12, 0.0, 1.0,
            "Iceberg trade-cost scale: τ = 1 + t₀ · (dist/1000 km)^γ between economies",
            A + "set so that distant pairs face ad-valorem equivalents of the order Anderson & van Wincoop (2004) report",
            "trade",
        ),
        Parameter(
            "rta", "rta", "1", 0.3, 0.0, 1.0,
            "Share of the distance trade cost removed between members of a shared trade agreement or bloc",
            A + "regional agreements cut bilateral trade costs by a few tens of percent in gravity estimates",
            "trade",
        ),
        Parameter(
            "border_cost_goods", "b", "1 (ad valorem)", 0.10, 0.0, 0.5,
            "Border cost of goods (customs, documents) on top of distance costs; lowered by paperless trading",
            A + "OECD Trade Facilitation Indicators put border procedures at several percent of trade value",
            "trade",
        ),
        Parameter(
            "mu", "μ", "1", 0.5, 0.05, 5.0,
            "Logit temperature of buyers' choice among suppliers (lower = more price-sensitive)",
            A + "chosen so that buyers concentrate on cheaper suppliers without all switching at once",
            "trade",
        ),
        # --- data compliance --------------------------------------------------------------------------------------
        Parameter(
            "kappa_conditional", "κ[conditional]", "1 (ad valorem)", 0.06, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under transfer conditions",
            A + "calibrated toward data-management costs ≈ 11 % of firms' costs (OECD–WTO 2025 questionnaire)",
            "compliance",
        ),
        Parameter(
            "kappa_storage_copy", "κ[storage_copy]", "1 (ad valorem)", 0.03, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under a local-copy rule (hosting is extra)",
            A + "storage-only rules are the mildest (stylised fact 1)",
            "compliance",
        ),
        Parameter(
            "kappa_storage_conditional", "κ[storage_conditional]", "1 (ad valorem)", 0.10, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under storage plus transfer conditions",
            A + "between conditional and ban (stylised fact 1)",
            "compliance",
        ),
        Parameter(
            "kappa_storage_ban", "κ[storage_ban]", "1 (ad valorem)", 0.20, 0.0, 1.0,
            "Variable compliance cost of the data that still may cross under a ban (non-affected data)",
            A + "the most severe regime; most affected services become infeasible instead",
            "compliance",
        ),
        Parameter(
            "fixed_compliance", "F₀", "share of median firm revenue per market per step", 0.02, 0.0, 0.5,
            "Fixed compliance cost per foreign market with a transfer rule, the same for every firm size",
            A + "fixed costs make small firms bear more per unit of sales (stylised fact 3)",
            "compliance",
        ),
        Parameter(
            "h0", "h₀", "1 (ad valorem)", 0.04, 0.0, 0.5,
            "Local hosting cost for a fully data-intensive firm in a deep local data-centre market",
            A + "cloud spending is a few percent of revenue for data-intensive firms",
            "hosting",
        ),
        Parameter(
            "lambda_h", "λ_h", "1", 2.0, 0.0, 10.0,
            "Extra local hosting cost in a thin local data-centre market: H = δ h₀ (1 + λ_h / (1 + depth))",
            A + "thin markets cost several times more than hyperscale regions",
            "hosting",
        ),
        Parameter(
            "hosting_capacity_growth", "ν_h", "1 per step", 0.05, 0.0, 1.0,
            "Growth of local data-centre depth per step in proportion to local hosting revenue",
            A + "the argument that localisation builds local industry, so results are balanced",
            "hosting",
        ),
        Parameter(
            "pi0", "π₀", "1 (ad valorem)", 0.03, 0.0, 0.2,
            "Cross-border payment cost at full correspondent-banking friction",
            A + "remittance and B2B payment fees of a few percent (World Bank Remittance Prices Worldwide)",
            "payments",
        ),
        Parameter(
            "interop_effect", "ι", "1", 0.5, 0.0, 1.0,
            "Share of the payment friction removed between members of a payment interoperability arrangement",
            A + "PAPSS aims to remove correspondent-banking legs for intra-African payments",
            "payments",
        ),
        # --- trust --------------------------------------------------------------------------------------------------
        Parameter(
            "eta", "η", "1", 0.3, 0.0, 2.0,
            "Elasticity of demand for data-intensive output to consumer trust T_d",
            A + "OECD–WTO (2025) model a trust channel; magnitude uncertain",
            "trust",
        ),
        # --- firms ---------------------------------------------------------------------------------------------------
        Parameter(
            "pareto_shape", "k", "1", 4.0, 1.5, 8.0,
            "Shape of the Pareto distribution of firm productivity",
            "Melitz–Redding (2015) and firm-size studies: k ≈ 3–5 in trade calibrations",
            "firms",
        ),
        Parameter(
            "sigma_delta", "σ_δ", "1", 0.3, 0.0, 1.5,
            "Dispersion of firm data intensity around its sector's level: δ = δ_s · exp(ε), ε ~ N(0, σ_δ²)",
            A + "moderate heterogeneity within sectors",
            "firms",
        ),
        # --- network dynamics ---------------------------------------------------------------------------------------
        Parameter(
            "psi", "ψ", "1 per step", 0.2, 0.0, 1.0,
            "Share of firms that reconsider their markets and suppliers each step",
            A + "links are sticky; a fifth reconsider per quarter",
            "network",
        ),
        Parameter(
            "suppliers_per_firm", "m", "links", 4, 1, 20,
            "Mean number of suppliers per buyer in the firm-to-firm network",
            A + "firm-to-firm data (e.g. Bernard et al. 2019 Belgium) show a few main suppliers per buyer",
            "network",
            integer=True,
        ),
        Parameter(
            "switching_cost", "s", "1 (share of price)", 0.05, 0.0, 0.5,
            "Delivered-price gain needed before a buyer switches supplier",
            A + "switching frictions of a few percent",
            "network",
        ),
        Parameter(
            "market_entry_cost", "F_e", "multiple of fixed compliance", 1.0, 0.0, 20.0,
            "One-off cost of entering an export market, in units of the per-step fixed market cost",
            A + "entry costs exceed per-period fixed costs",
            "network",
        ),
        # --- innovation ---------------------------------------------------------------------------------------------
        Parameter(
            "rho", "ρ", "1", 0.1, 0.0, 0.5,
            "Share of positive profit spent on R&D",
            A + "business R&D intensity of a few percent of sales",
            "innovation",
        ),
        Parameter(
            "theta", "θ", "1", 5.0, 0.0, 50.0,
            "Efficiency of R&D in the success probability 1 − exp(−θ · R/r · A)",
            A + "tuned so that a minority of firms innovate each year",
            "innovation",
        ),
        Parameter(
            "gbar", "ḡ", "1", 0.05, 0.0, 0.5,
            "Mean productivity gain of a successful innovation (exponential)",
            A + "a few percent per success",
            "innovation",
        ),
        Parameter(
            "beta", "β", "1 per step", 0.02, 0.0, 0.5,
            "Knowledge spillover rate from more productive trading partners",
            A + "spillovers through buyer–supplier links, dampened where data cannot flow",
            "innovation",
        ),
        Parameter(
            "open_conditional", "o[conditional]", "1", 0.8, 0.0, 1.0,
            "Share of spillovers that pass a link under transfer conditions (1 when data flows freely, 0 under a ban)",
            A + "conditions slow but do not stop knowledge flows",
            "innovation",
        ),
        Parameter(
            "zeta", "ζ", "1", 0.05, 0.0, 0.5,
            "Productivity premium of frontier cloud/AI inputs for a fully data-intensive firm on a hyperscale cloud",
            A + "Ferracane, Kren & van der Marel (2020): data restrictions lower downstream TFP",
            "innovation",
        ),
        # --- entry and exit -----------------------------------------------------------------------------------------
        Parameter(
            "exit_after", "K", "steps", 4, 1, 40,
            "Consecutive loss-making steps after which a firm exits",
            A + "a year of losses at quarterly steps",
            "entry_exit",
            integer=True,
        ),
        Parameter(
            "entry_rate", "e", "1 per step", 0.02, 0.0, 0.2,
            "Entrants per step as a share of incumbents at the average profit margin",
            A + "firm entry rates of several percent a year",
            "entry_exit",
        ),
    )
)

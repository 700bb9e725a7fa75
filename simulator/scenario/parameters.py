"""The single declaration of every behavioural and uncertain model parameter.

Each parameter is declared exactly once here, with its unit, default, allowed range, meaning and source (or
"assumption" with the reasoning). The scenario schema (overrides), ``dlsim params``, ``docs/parameters.md`` and the
JSON Schema are all generated from ``PARAMETERS``; the model reads values by name and holds no numbers of its own.

Symbols follow ``docs/model.md``.
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
        symbol: Symbol used for the parameter in docs/model.md.
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
            "gamma", "γ", "1", 0.7, 0.5, 1.6,
            "Distance elasticity of trade costs",
            A + "calibrated to the intra-African share of African exports (≈ 15–18 %, Afreximbank); inside the spread of Disdier & Head (2008) estimates (mean ≈ 0.9)",
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
            "kappa_conditional", "κ[conditional]", "1 (ad valorem)", 0.12, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under transfer conditions",
            A + "an EU adequacy decision (which waives the transfer condition) cuts bilateral digital trade costs by ≈ 9 % (CITP WP 006, 2023): κ ≈ 0.09 / δ̄ with δ̄ ≈ 0.75 in data-intensive services",
            "compliance",
        ),
        Parameter(
            "cloud_transfer_share", "s_cl", "1", 0.1, 0.0, 1.0,
            "Share of the transfer-condition wedge κ_T a firm pays on its own data kept on a foreign cloud (a transfer to a processor), against the whole wedge on the data that crosses the border for a sale",
            A + "hyperscale providers offer standard contractual clauses and data-processing terms with the service, so the firm's own increment (a transfer-impact assessment, records) is a small part of what a transfer to a trading partner costs; no published figure was found; fitted by the evidence issue's calibration",
            "compliance",
        ),
        Parameter(
            "kappa_storage_copy", "κ[storage_copy]", "1 (ad valorem)", 0.03, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under a local-copy rule (hosting is extra)",
            A + "storage-only rules are the mildest (stylised fact 1)",
            "compliance",
        ),
        Parameter(
            "kappa_storage_conditional", "κ[storage_conditional]", "1 (ad valorem)", 0.18, 0.0, 0.5,
            "Variable compliance cost for a fully data-intensive flow under storage plus transfer conditions",
            A + "between conditional and ban (stylised fact 1): the transfer part κ[conditional] plus a storage part",
            "compliance",
        ),
        Parameter(
            "kappa_storage_ban", "κ[storage_ban]", "1 (ad valorem)", 0.3, 0.0, 1.0,
            "Variable compliance cost of the data that still may cross under a ban (non-affected data)",
            A + "the most severe regime; most affected services become infeasible instead",
            "compliance",
        ),
        Parameter(
            "fixed_compliance", "F₀", "share of median firm revenue per market per step", 0.0002, 0.0, 0.5,
            "Fixed compliance cost per foreign market with a transfer rule (final-market or firm-to-firm sales), the same for every firm size",
            A + "calibrated with F₁ so that ≈ 10–15 % of the firms exposed to new transfer conditions withdraw from a market or exit (OECD–WTO 2025: > 10 % limit services, leave markets or change operations; not reproduced on the shipped world, docs/evidence.md); small next to f_x because it is paid on every buyer economy a supplier serves, and most fixed compliance is per firm (F₁)",
            "compliance",
        ),
        Parameter(
            "firm_fixed_compliance", "F₁", "share of median firm revenue per firm per step", 0.0035, 0.0, 0.5,
            "Per-firm fixed compliance cost (legal basis, data-protection officer, transfer contracts), paid once per step by a firm that serves any foreign destination with a transfer rule, at the strictest such rule; the same money for every firm size",
            A + "calibrated with F₀ so that ≈ 10–15 % of exposed firms withdraw or exit (stylised fact 5: 12 % on the former 14-economy test world from an all-open state, not reproduced on the shipped world, docs/evidence.md; 0.005 gave 14 % but made the Africa response of fact 6 noisier) with the data-management cost share ≈ 11 %; assumption: fixed compliance is the same money for a micro and a large firm; OECD–WTO 2025: small firms more often limit services or leave markets",
            "compliance",
        ),
        Parameter(
            "h0", "h₀", "1 (ad valorem)", 0.3, 0.0, 0.5,
            "Local hosting cost for a fully data-intensive firm in a deep local data-centre market",
            A + "a deep local market costs a quarter more than the hyperscale cloud; scaled with h_cloud to the 11 % data-management target",
            "hosting",
        ),
        Parameter(
            "lambda_h", "λ_h", "1", 2.0, 0.0, 10.0,
            "Extra local hosting cost in a thin local data-centre market: H = δ h₀ (1 + λ_h / (1 + depth))",
            A + "thin markets cost several times more than hyperscale regions",
            "hosting",
        ),
        Parameter(
            "copy_hosting_share", "c_copy", "1", 0.1, 0.0, 1.0,
            "Cost of keeping a local copy (storage_copy) as a share of hosting the data locally (storage rules that move data)",
            A + "a mirror copy is stored, not served or processed; OECD (2022) ranks storage-only rules the mildest (stylised fact 1)",
            "hosting",
        ),
        Parameter(
            "hosting_capacity_growth", "ν_h", "1 per step", 0.05, 0.0, 1.0,
            "Speed at which local data-centre depth moves toward its long-run level (share of the gap closed per step)",
            A + "the argument that localisation builds local industry, so results are balanced",
            "hosting",
        ),
        Parameter(
            "pi0", "π₀", "1 (ad valorem)", 0.15, 0.0, 0.2,
            "Cross-border payment cost at full correspondent-banking friction",
            A + "calibrated to the intra-African share of African exports (≈ 15–18 %); > 80 % of intra-African payments are routed through banks outside Africa, up to USD 5 bn a year in fees (Afreximbank on PAPSS; docs/evidence.md)",
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
            "Elasticity of demand to buyers' trust: a supplier from o weighs T_od^(η w_s) in d's CES pools and buyers' logit (w_s = δ_s × the sector's personal-data exposure share), and spending shifts between sectors by T_d^(η δ_s); 0 turns trust off",
            A + "OECD–WTO (2025) model a trust channel; magnitude uncertain",
            "trust",
        ),
        # --- firms ---------------------------------------------------------------------------------------------------
        Parameter(
            "pareto_shape", "k", "1", 6.0, 1.5, 8.0,
            "Shape of the Pareto distribution of firm productivity",
            "revenue tail index k/(σ − 1) = 1.5 with σ = 5, inside the ≈ 1.4–1.7 of Melitz–Redding (2015: k = 4.25, σ = 4) and Eaton, Kortum & Kramarz (2011); k = 4 gave index 1 (infinite mean revenue), so single firms drove regional totals",
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
            "supplier_size_exponent", "α_s", "1", 0.5, 0.0, 1.0,
            "Candidate suppliers are drawn ∝ (sales to final demand)^α_s (their economy × sector cell ∝ the summed "
            "weights × dist^−γ × input affinity a_ss')",
            A + "α_s = 1 on total revenue was preferential attachment (one firm held a fifth of all buyers); α_s < 1 keeps a heavy-tailed in-degree while price-driven switching decides which suppliers stay",
            "network",
        ),
        Parameter(
            "market_sourcing_weight", "ν", "typical suppliers", 1.0, 0.0, 10.0,
            "Weight of the buyer economy's market at large in a buyer's choice of inputs, in typical suppliers at the "
            "economy's home price level (0 = inputs only from named suppliers, whatever their price)",
            A + "buyers can always buy inputs on their home market; one option among a buyer's m = 4 suppliers keeps "
            "most inputs with named suppliers while a foreign supplier whose price rises against home prices loses "
            "custom (the logit's price response, μ, governs how fast)",
            "network",
        ),
        Parameter(
            "input_price_pass_through", "ρ_in", "1", 0.5, 0.0, 1.0,
            "How far the delivered prices of a firm's inputs enter its unit cost: u' = u · (P_in / R_cs)^(ρ_in θ_s), "
            "θ_s the sector's input share (0 = inputs' prices never reach costs, 1 = Cobb–Douglas in labour and inputs)",
            A + "calibrated so that input–output links multiply the gains from trade by about 1.5–2, the range of "
            "Costinot and Rodríguez-Clare (2014, Handbook of International Economics vol. 4) for models with "
            "intermediate goods: full data autarky costs the world −11.5 % [−11.9, −11.0] of real income at 0.5 "
            "against −7.0 % without the channel (1.6×; 6,000 agents, 8 paired seeds, last 8 of 28 steps; −10.0 % "
            "against −7.0 %, 1.4×, at 20,000 agents and 16 seeds); full pass-through (1, Caliendo and Parro 2015) gave "
            "−18.5 % (2.7×, AFR −39 %) through the logit's option value of foreign suppliers (μ) compounding along "
            "chains",
            "network",
        ),
        Parameter(
            "switching_cost", "s", "1 (share of price)", 0.05, 0.0, 0.5,
            "Delivered-price gain needed before a buyer switches supplier",
            A + "switching frictions of a few percent",
            "network",
        ),
        Parameter(
            "market_entry_cost", "F_e", "multiple of fixed compliance", 1.0, 0.0, 20.0,
            "One-off cost of entering an export market, in units of the per-step fixed export cost f_x",
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
            "Efficiency of R&D in the success probability 1 − exp(−θ · E/r · A) (E: R&D input, see knowledge_stock_weight)",
            A + "tuned so that a minority of firms innovate each year",
            "innovation",
        ),
        Parameter(
            "gbar", "ḡ", "1", 0.03, 0.0, 0.5,
            "Mean productivity gain of a successful innovation (exponential)",
            A + "a few percent per success",
            "innovation",
        ),
        Parameter(
            "beta", "β", "1 per step", 0.004, 0.0, 0.5,
            "Knowledge spillover rate from more productive suppliers (on the log productivity gap)",
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
            "entry_margin_floor", "m_min", "share of the gross margin 1/σ", 0.1, 0.0, 1.0,
            "Floor of a cell's reference margin⁰ in the entry rule (S = n⁰ · margin / margin⁰)",
            A + "a cell that ends the burn-in with a margin near zero is in a transient, not at its reference: runs of "
            "a few hundred to 2,000 agents end with margins of ≈ 0.001-0.003 in some cells and floods of entrants; the "
            "floor (0.02 at σ = 5) binds only there, not on ordinary low margins (smallest margin⁰ ≈ 0.03-0.05 at "
            "10,000 agents, ≈ 0.06 at 20,000; median ≈ 0.12)",
            "entry_exit",
        ),
        Parameter(
            "entry_rate", "e", "1 per step", 0.25, 0.0, 1.0,
            "Share of the gap between the firms a cell supports at its current margin and the firms it has closed by entry each step",
            A + "entry responds to profitability within a few quarters",
            "entry_exit",
        ),
        # --- world → firms (population and costs) -------------------------------------------------------------------
        Parameter(
            "firm_gdp_exponent", "a", "1", 0.5, 0.0, 1.0,
            "Agents per economy × sector ∝ GDP_c^a · demand_share_s (before the per-cell floor); agents carry weights so that aggregates do not depend on a",
            A + "a fair sample: with a = 0.5 and n_min = 3, 20,000 agents give every economy ≥ 66 agents and every cell ≥ 5 (a = 1 gave Nigeria ≈ 100 and the smallest economies 18); weights (real firms ∝ the cell's share of world demand) keep aggregates where a = 1 put them",
            "firms",
        ),
        Parameter(
            "min_firms_per_cell", "n_min", "firms", 3, 0, 20,
            "Floor on the agents of every economy × sector at construction (lowered if the run has too few agents)",
            A + "every economy × sector must exist so that policies can affect it; three agents so that a cell is not a single draw",
            "firms",
            integer=True,
        ),
        Parameter(
            "burn_in_steps", "n_b", "steps", 40, 0, 200,
            "Full model steps run at construction under the initial policy before step 0 (wages solved, then held for the last quarter)",
            A + "ten years at quarterly steps: enough for the post-construction shake-out of exits and for income shares to settle (docs/model.md, Burn-in)",
            "closure",
            integer=True,
        ),
        Parameter(
            "wage_calibration_rate", "λ_b", "1", 0.3, 0.0, 1.0,
            "Burn-in only: elasticity of an economy's wage update to its income share over its GDP share",
            A + "damped fixed-point step; 0.3 converges within the burn-in without overshooting (docs/model.md, Burn-in)",
            "closure",
        ),
        Parameter(
            "wage_adjustment_rate", "λ", "1", 0.25, 0.0, 1.0,
            "Elasticity of an economy's wage to its labour demand over its endowment, per step",
            A + "wages clear labour markets within a few quarters after a shock (a tâtonnement step, not an estimated rigidity)",
            "closure",
        ),
        Parameter(
            "tfp_gdppc_elasticity", "a_φ", "1", 0.95, 0.0, 1.5,
            "Productivity scale of an economy's firms ∝ (GDP per capita / world GDP per capita)^a_φ",
            A + "calibrated with the former χ_s = 2 to the DDS export shares; slightly below one so poorer economies stay cost-competitive in goods",
            "firms",
        ),
        Parameter(
            "tfp_broadband_elasticity", "a_B", "1", 0.0, 0.0, 3.0,
            "Productivity scale of an economy's firms also ∝ ((fixed broadband per 100 + b₀) / (world mean + b₀))^a_B",
            A + "off by default (0): with the former χ_s = 2 any a_B that moves LAC toward its ≈ 2 % DDS share pushes Africa "
            "below 0.5 % and intra-African trade above 22 %; 0.6 with χ_s = 1 fits all four calibration targets but "
            "breaks stylised facts 2, 3 and 6 (docs/model.md, Calibration). Data: ITU/WDI IT.NET.BBND.P2, 2020, "
            "column fixed_broadband_per_100 of data/economies.csv",
            "firms",
        ),
        Parameter(
            "broadband_offset", "b₀", "subscriptions per 100 people", 30.0, 0.0, 100.0,
            "Offset added to fixed broadband subscriptions per 100 people in the broadband index (productivity and supply)",
            A + "about the high-income level (≈ 35 per 100): the index then moves with broadband differences rather "
            "than ratios, so economies with almost no fixed lines (Nigeria 0.03) are not near zero; no effect while "
            "a_B = χ_B = 0",
            "firms",
        ),
        Parameter(
            "wage_gdppc_elasticity", "a_w", "1", 1.0, 0.0, 1.5,
            "Initial wage (unit input cost) of an economy ∝ (GDP per capita / world GDP per capita)^a_w; the burn-in then solves wages so that income shares match GDP shares",
            A + "wages track GDP per capita (a starting point of the burn-in)",
            "firms",
        ),
        Parameter(
            "connectivity_supply_elasticity", "χ_s", "1", 0.3, 0.0, 3.0,
            "Productivity of a firm with data intensity δ scales with (internet users share)^(χ_s · δ)",
            "calibrated to causal evidence (docs/evidence.md, Connectivity): +10 pp internet users in Africa's low and "
            "lower-middle income economies, held 4–5 years, must raise Africa's real income by 1.5–4.7 %. Czernich, "
            "Falck, Kretschmer & Woessmann (2011, Economic Journal 121: 505–532; IV, OECD 1996–2007): +10 pp broadband "
            "penetration raises annual per-capita growth by 0.9–1.5 pp, i.e. GDP per capita +3.7–5.9 % after 4 years "
            "(ifo Schnelldienst 62(23), 2009); mapping (assumptions): one to two users per subscription gives "
            "+1.9–5.9 % in the treated economies, which hold 79 % of Africa's GDP (data/economies.csv), no spillover to "
            "the others. Hjort & Poulsen (2019, AER 109(3)): fast internet's arrival raised employment, firm "
            "productivity and exporting in Africa (sign and channel). Measured at 0.3: Africa +3.0 % [+2.5, +3.5] "
            "(tests/test_model_connectivity.py); 2.0 before (fitted to Africa's DDS share: +17.6 %, a cross-country "
            "slope). The cross-section it no longer explains is in K_AFR and K_LAC",
            "firms",
        ),
        Parameter(
            "broadband_supply_elasticity", "χ_B", "1", 0.0, 0.0, 3.0,
            "Productivity of a firm with data intensity δ also scales with ((fixed broadband per 100 + b₀) / (world mean + b₀))^(χ_B · δ)",
            A + "calibrated to LAC and Africa DDS shares (WTO 2023): off by default (0). With b₀ = 100 and χ_s cut to "
            "0–0.5 it brings LAC to 2–3.3 % with Africa ≈ 1 %, but intra-African trade then rises above 22 % and "
            "stylised fact 6 fails (grid in docs/history.md, LAC's DDS share and fixed broadband). Data: ITU/WDI "
            "IT.NET.BBND.P2, 2023, column fixed_broadband_per_100 of data/economies.csv",
            "firms",
        ),
        Parameter(
            "dds_capability_lac", "K_LAC", "1", 0.62, 0.05, 2.0,
            "Digital-services supply capability of Latin America and the Caribbean: productivity of a services firm there with data intensity δ also scales with K_LAC^δ",
            "calibrated residual for LAC's share of world DDS exports (≈ 2 %, WTO 2023; docs/evidence.md). It stands "
            "for what the data in data/ do not measure (digital skills, language, time zones, export networks). 0.7 "
            "was fitted with χ_s = 2 (1.0 → LAC ≈ 4.3 %, 0.7 → 1.9 % before the income closure); when χ_s was set to "
            "the causal 0.3 it was re-set to 0.62 so that the baseline's DDS shares stay where they were (`dlsim "
            "calibrate`, 5,000 firms, 8 steps, seeds 1–8: LAC 5.33 % against 5.49 % at χ_s = 2, K_LAC = 0.7; the "
            "re-fit to the bands after the income closure is still open)",
            "firms",
        ),
        Parameter(
            "dds_capability_africa", "K_AFR", "1", 0.78, 0.05, 2.0,
            "Digital-services supply capability of Africa: productivity of a services firm there with data intensity δ also scales with K_AFR^δ",
            "calibrated residual for Africa's share of world DDS exports (≈ 1 %, WTO 2023; docs/evidence.md): with "
            "χ_s = 2 internet use alone carried Africa's gap (K_AFR = 1); with the causal χ_s = 0.3 the part of the "
            "cross-country gap that is not the causal effect of internet use (skills, finance, export networks) is "
            "here. 0.78 keeps the baseline's DDS shares where they were (`dlsim calibrate`, 5,000 firms, 8 steps, "
            "seeds 1–8: Africa 3.22 % against 3.21 % at χ_s = 2, K_AFR = 1; 0.75 → 2.89 %, 0.8 → 3.61 %; the re-fit "
            "to the bands after the income closure is still open)",
            "firms",
        ),
        Parameter(
            "connectivity_demand_elasticity", "χ_d", "1", 1.0, 0.0, 3.0,
            "Final demand for a sector with data intensity δ_s in d scales with (internet users share)^(χ_d · δ_s)",
            A + "only people online buy digitally delivered services; it moves spending between sectors inside the "
            "budget: with χ_s = 0, +10 pp internet users in Africa's low and lower-middle income economies move "
            "Africa's real income by +0.5 % [−0.1, +1.1] together with a_A (docs/evidence.md, Connectivity)",
            "trade",
        ),
        Parameter(
            "size_small", "z₁", "multiple of median initial revenue", 1.0, 0.0, 100.0,
            "Revenue threshold from micro to small firms",
            A + "size classes relative to the median firm of the initial population (half the firms are micro)",
            "firms",
        ),
        Parameter(
            "size_medium", "z₂", "multiple of median initial revenue", 5.0, 0.0, 1000.0,
            "Revenue threshold from small to medium firms",
            A + "see size_small",
            "firms",
        ),
        Parameter(
            "size_large", "z₃", "multiple of median initial revenue", 30.0, 0.0, 10000.0,
            "Revenue threshold from medium to large firms",
            A + "see size_small",
            "firms",
        ),
        Parameter(
            "fixed_operating_cost", "f", "share of the median initial revenue of the firm's economy × sector per step", 0.12, 0.0, 2.0,
            "Fixed cost of operating in the home market (Melitz selection: the least productive firms make losses)",
            A + "relative to the firm's own cell so that small economies are not wiped out by a global fixed cost",
            "firms",
        ),
        Parameter(
            "fixed_export_cost", "f_x", "share of median initial revenue per market per step", 0.4, 0.0, 5.0,
            "Fixed cost of serving one foreign market, before any data-compliance cost",
            A + "set so that a minority of firms export (Bernard et al. 2007: about a fifth of firms export)",
            "network",
        ),
        Parameter(
            "warmup_rounds", "n_w", "rounds", 8, 0, 50,
            "Rounds of market and supplier search (all firms) at construction, before step 0 is recorded",
            A + "enough rounds for the export extensive margin to settle from home-only sales",
            "network",
            integer=True,
        ),
        Parameter(
            "ban_dependence_threshold", "b*", "1", 0.15, 0.0, 1.0,
            "A firm's service on a link is infeasible under the destination's storage ban when δ_i × (exposure share of banned categories) × the sector's transfer dependence ≥ b*",
            A + "only activities that are the cross-border processing of the banned data stop (sector column transfer_dependence of data/sectors.csv); the rest is hosted locally with a local presence",
            "compliance",
        ),
        Parameter(
            "ban_presence_cost", "F_ban", "share of median initial revenue per market per step", 0.4, 0.0, 5.0,
            "Fixed cost per step of the local presence (local entity or processing facility) a foreign firm needs to serve a market whose storage ban covers its data, per unit of data intensity × banned exposure share (× δ_i, like every fixed compliance cost)",
            A + "of the order of the fixed cost of serving a foreign market (f_x): a ban turns serving from abroad into establishing locally; no published per-market cost was found; fitted by the evidence issue's calibration",
            "compliance",
        ),
        Parameter(
            "source_code_cost", "F_sc", "share of median initial revenue per market per step", 0.2, 0.0, 5.0,
            "Extra fixed cost per step for a foreign data-intensive firm (× δ) serving a market that requires source-code disclosure",
            A + "disclosure requirements deter foreign digital entry",
            "compliance",
        ),
        # --- trust (continued) --------------------------------------------------------------------------------------
        Parameter(
            "trust_min", "T₀", "1", 0.5, 0.0, 1.0,
            "Trust with no safeguards: T_od = T₀ + (1 − T₀) · g_d · a_od, g_c = safeguards_c · (1 − p_none · none_c), a_dd = 1, a_od = max(g_o, transfer waiver d→o)",
            A + "without any data protection, demand for data-intensive services is lower but not nil",
            "trust",
        ),
        Parameter(
            "trust_none_penalty", "p_none", "1", 0.5, 0.0, 1.0,
            "Share of the safeguards' trust lost where personal data is under the `none` regime (share of sectors)",
            A + "a `none` regime signals that personal data is unprotected",
            "trust",
        ),
        # --- hosting (continued) ------------------------------------------------------------------------------------
        Parameter(
            "h_cloud", "h_c", "1 (ad valorem)", 0.24, 0.0, 0.5,
            "Cost of foreign hyperscale cloud hosting for a fully data-intensive firm",
            A + "calibrated to data-management costs ≈ 11 % of the costs of firms facing transfer rules (OECD–WTO 2025); stands for storage, processing, security and data governance, not only cloud bills",
            "hosting",
        ),
        Parameter(
            "h_inhouse", "h_i", "1 (ad valorem)", 0.36, 0.0, 0.5,
            "Variable cost of in-house hosting for a fully data-intensive firm (plus its fixed capex)",
            A + "own servers cost more per unit than the cloud at small scale; scaled with h_cloud to the 11 % data-management target",
            "hosting",
        ),
        Parameter(
            "inhouse_fixed", "F_ih", "share of median initial revenue per step", 0.3, 0.0, 5.0,
            "Fixed capital cost of in-house hosting per step (counted as investment)",
            A + "only large firms run their own data centres",
            "hosting",
        ),
        Parameter(
            "inhouse_quality", "q_ih", "1", 0.5, 0.0, 1.0,
            "Access to frontier cloud/AI inputs when hosting in-house (1 = hyperscale cloud)",
            A + "own servers give partial access to frontier tools",
            "hosting",
        ),
        Parameter(
            "local_hosting_share", "L", "1", 0.2, 0.01, 0.6,
            "Share of firms that prefer a local hosting provider to the foreign cloud at rules-free prices (sets each economy's preference for hosting at home, β_c)",
            A + "the same share in every economy; Synergy Research Group (27 Oct 2022): Amazon, Microsoft and Google had 66 % of worldwide spending on cloud infrastructure services in Q3 2022 and all other providers 34 %, among them global ones (Alibaba, IBM, Oracle), so local providers hold less than a third of spending; a share of firms, not of spending",
            "hosting",
        ),
        Parameter(
            "hosting_taste_scale", "s_h", "1 (ad valorem)", 0.05, 0.005, 0.5,
            "Dispersion of firms' own preference for hosting at home: a_i ~ Logistic(0, s_h), per unit of variable cost (latency, language, support, sovereignty)",
            A + "a fifth of the gap between the local and the cloud price in a thin market (≈ 0.2): a mandate that moves data home moves many firms across their thresholds, a small price change few",
            "hosting",
        ),
        Parameter(
            "hosting_price_elasticity", "ξ", "1", 0.5, 0.0, 3.0,
            "Inverse elasticity of local hosting supply in the short run: the local price × (demand / capacity)^ξ",
            A + "data-centre capacity takes years to build, so demand beyond it raises prices until capacity follows (at the speed ν_h)",
            "hosting",
        ),
        Parameter(
            "hosting_build_rate", "ν_k", "1 per step", 0.25, 0.0, 1.0,
            "Share of the gap between local hosting demand and capacity that providers close per step",
            A + "a data centre takes about 12–24 months to build and colocation or modular capacity less, so most of a gap closes within a year of quarterly steps; capacity that lagged at ν_h = 0.05 left utilisation ≈ 1.1 in the baseline (demand grows) and ≈ 1.4 five years after an economy-wide mandate, a markup no longer transitional",
            "hosting",
        ),
        Parameter(
            "hosting_capital_ratio", "k_h", "steps of revenue", 10.0, 0.0, 40.0,
            "Capital of local hosting providers per unit of capacity (local hosting revenue per step it serves)",
            A + "data centres are capital-intensive: about two and a half years of revenue at quarterly steps",
            "hosting",
        ),
        Parameter(
            "hosting_depreciation", "d_h", "1 per step", 0.025, 0.0, 0.25,
            "Depreciation of local hosting providers' capital per step (replacement investment at rest: d_h k_h of revenue)",
            A + "about 10 % a year, between servers (3–5 years) and buildings; with k_h = 10 replacement capex is a quarter of revenue",
            "hosting",
        ),
        Parameter(
            "depth_servers_ref", "S_ref", "secure servers per million people", 100.0, 1.0, 1e6,
            "Initial local data-centre depth = log(1 + servers per million / S_ref) + depth of a cloud region",
            A + "secure servers as a proxy for the local hosting market",
            "hosting",
        ),
        Parameter(
            "cloud_region_depth", "D_cr", "1", 3.0, 0.0, 20.0,
            "Depth a hyperscale cloud region adds to the local data-centre market",
            A + "a hyperscale region makes local hosting nearly as cheap and good as foreign cloud",
            "hosting",
        ),
        Parameter(
            "hosting_depth_response", "D_h", "1", 20.0, 0.0, 200.0,
            "Long-run depth added per unit of local hosting revenue as a share of the economy's firm revenue",
            A + "localisation demand attracts data-centre capacity (the argument made for localisation)",
            "hosting",
        ),
        # --- innovation (continued) ---------------------------------------------------------------------------------
        Parameter(
            "absorb_connectivity", "a_A", "1", 1.0, 0.0, 3.0,
            "Absorptive capacity A_i = (internet users share)^a_A · (1 − w_A + w_A · access_i)",
            A + "connectivity and frontier digital inputs condition how much firms learn; with χ_s = 0 it and χ_d "
            "move Africa's real income by +0.5 % [−0.1, +1.1] under +10 pp internet users (docs/evidence.md, "
            "Connectivity)",
            "innovation",
        ),
        Parameter(
            "absorb_cloud_weight", "w_A", "1", 0.5, 0.0, 1.0,
            "Weight of cloud/AI access in absorptive capacity",
            A + "see absorb_connectivity",
            "innovation",
        ),
        Parameter(
            "rd_access_elasticity", "ε_R", "1", 1.0, 0.0, 5.0,
            "Elasticity of the R&D budget to the access factor of absorptive capacity: R = ρ max(π, 0) (1 − w_A + w_A access)^ε_R",
            A + "ε_R = 1: the R&D budget is proportional to the expected return, which is proportional to absorptive capacity (success probability per unit of R&D intensity θ · A); lets localisation lower investment through access to cloud/AI (ECIPE 2014: investment falls several times more than GDP)",
            "innovation",
        ),
        Parameter(
            "knowledge_depreciation", "δ_K", "1 per step", 0.03, 0.0, 1.0,
            "Depreciation of the R&D knowledge stock per step",
            A + "about 12 % a year, within the 10–20 % range used for R&D capital",
            "innovation",
        ),
        Parameter(
            "knowledge_stock_weight", "γ_K", "1", 0.5, 0.0, 1.0,
            "Weight of the knowledge stock in the R&D input of the success probability: E = (1 − γ_K) R + γ_K δ_K K̃ (K̃ = (1 − δ_K) K + R; 0: this step's R&D alone)",
            A + "a geometric distributed lag of R&D as in the knowledge production function of Pakes & Griliches (1984); Hall, Griliches & Hausman (1986, International Economic Review 27(2)) find a significant effect of R&D on patenting with most of it in the first year and no strong evidence of a long lag; γ_K = 0.5 with δ_K = 0.03 puts 56 % of the weight in the first year (1 − γ_K (1 − δ_K)^4)",
            "innovation",
        ),
    )
)

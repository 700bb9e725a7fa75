"""Resolve a merged scenario against the world's names: who gets which rule, from when, after precedence.

Precedence, where several rules set the same lever for the same economy (and data category and sector):

1. **Specific beats general.** Compare, in order, the economy's specificity (economy by name > custom group > bloc >
   region or income group > all; see ``simulator.scenario.groups``), then sector (named sectors > all sectors), then
   data category (named categories > all categories).
2. **Later beats earlier.** Among equally specific rules in force at the same time, the one that took effect later
   wins; at the same date, the one written in the later file of the ``extends`` chain wins.
3. Two equally specific rules from the **same file** that take effect at the same date and set **different** values
   are an error (the file is ambiguous).

A rule applies from its effective date (``enforce + grace_years``, or the start of the run) until its ``sunset``;
when the winning rule lapses, the next rule in force (or the baseline) applies again.

Agreements and payment arrangements combine rather than compete: a scenario item addressing an existing bloc
replaces that bloc's waivers from its date (the latest item in force wins per effect), and between any two economies
the largest waiver of all the blocs and clubs linking them applies (as in the baseline). Connectivity programmes add up
(capped at 100 % of the population).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.scenario.groups import Specificity, resolve
from simulator.scenario.loader import Origin, Scenario, Sourced
from simulator.scenario.schema import Selector, Timing
from simulator.scenario.taxonomy import DataCategory

ALL = "*"
"""Stands for every sector or every data category in tidy tables."""

NEVER = math.inf
"""End year of a rule without sunset."""

Value = str | float | bool

REGIME = "regime"
SAFEGUARDS = "safeguards"
CLOUD_REGION = "cloud_region"
BORDER_COST = "border_cost_factor"
SOURCE_CODE = "source_code_disclosure"
CRYPTO = "crypto_restriction"
TELECOM = "telecom_cost_factor"
INTERNET = "internet_users_pct"
PAIR_FIELDS: tuple[str, ...] = (
    "trade_agreement",
    "transfer_waiver",
    "localisation_waiver",
    "ban_waiver",
    "payment_interop",
)
"""Pairwise ``PolicyState`` fields set by blocs, agreements and payment arrangements."""
JOINS = "joins"
MEMBER_OF = "member_of"


@dataclass(frozen=True)
class Assignment:
    """One item's claim on one lever of one economy (and data category and sector)."""

    value: Value
    start: float
    end: float
    phase_in_years: float
    announce: float | None
    key: tuple[float, ...]
    origin: Origin


@dataclass(frozen=True)
class Segment:
    """A period during which one assignment wins a cell.

    Attributes:
        start: First year of the period.
        end: Year the period ends (``inf`` for never).
        value: The value in force.
        ramp_start: Year the winning rule took effect (its phase-in runs from there).
        phase_in_years: Phase-in of the winning rule.
        announce: When the winning rule was announced.
        source: Where the winning rule was written.
    """

    start: float
    end: float
    value: Value
    ramp_start: float
    phase_in_years: float
    announce: float | None
    source: str


@dataclass(frozen=True)
class Conflict:
    """Two equally specific rules from the same file that set different values at the same date."""

    first: Origin
    second: Origin
    cell: tuple[str, ...]
    values: tuple[Value, Value]


@dataclass(frozen=True)
class BlocChange:
    """A scenario change to a bloc, agreement, club or payment arrangement.

    Attributes:
        key: Bloc code or club name.
        is_club: Whether it is a new club (members given) rather than a bloc of the world data.
        members: Members of a new club (empty for a bloc of the world data).
        joiners: Economies that accede.
        effects: Pairwise field → value set between members (fields not set keep the bloc's value).
        start: Year it takes effect.
        end: Year it lapses.
        origin: Where it was written.
    """

    key: str
    is_club: bool
    members: tuple[str, ...]
    joiners: tuple[str, ...]
    effects: Mapping[str, float]
    start: float
    end: float
    origin: Origin
    phase_in_years: float = 0.0

    def strength(self, year: float) -> float:
        """Share of the effects in force at ``year`` (ramps linearly over the phase-in)."""
        if self.phase_in_years <= 0:
            return 1.0
        return min(1.0, max(0.0, (year - self.start) / self.phase_in_years))


@dataclass(frozen=True)
class ConnectivityChange:
    """A connectivity programme for one economy: ``points`` added linearly from ``starts`` to ``by``."""

    economy: str
    points: float
    starts: float
    by: float
    origin: Origin


@dataclass(frozen=True)
class ContingentRule:
    """A rule adopted by each selected government when the run's ``government_policy`` behaviour decides so.

    Attributes:
        economies: Economies that may adopt it (world order).
        data: Data categories it covers.
        sectors: Sectors it covers.
        regime: The regime adopted.
        phase_in_years: Years over which the regime ramps up after adoption.
        origin: Where it was written.
    """

    economies: tuple[str, ...]
    data: tuple[str, ...]
    sectors: tuple[str, ...]
    regime: str
    phase_in_years: float
    origin: Origin


ON_DECISION = "on decision"
"""Start of a contingent rule in the tidy table (it starts when a government adopts it)."""


@dataclass(frozen=True)
class TidyRow:
    """One row of the tidy table of resolved rules (for regression tests and ``dlsim diff``)."""

    lever: str
    target: str
    data_category: str
    sector: str
    value: str
    start_year: str
    end_year: str
    phase_in_years: str
    announce_year: str
    source: str

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Column names, in order."""
        return tuple(cls.__dataclass_fields__)

    @property
    def cell(self) -> tuple[str, str, str, str]:
        """What the row is about: lever, target, data category, sector."""
        return (self.lever, self.target, self.data_category, self.sector)

    def when(self) -> str:
        """Human-readable validity, e.g. 'from 2027 (phase-in 2 y) until 2032'."""
        if self.start_year == ON_DECISION:
            text = "when a government adopts it"
        else:
            text = f"from {self.start_year}" if self.start_year else "from the start"
        if self.phase_in_years:
            text += f" (phase-in {self.phase_in_years} y)"
        if self.end_year:
            text += f" until {self.end_year}"
        return text


@dataclass
class ResolvedPolicy:
    """A scenario resolved against a vocabulary: every lever per economy, after precedence, in calendar time.

    Attributes:
        scenario: The merged scenario.
        economies: Economy codes in world order.
        sectors: Sector codes in world order.
        cells: ``(lever, economy, data category, sector) -> segments`` (``*`` for category and sector of
            economy-wide levers), only for cells the scenario touches.
        blocs: Changes to blocs, agreements, clubs and payment arrangements.
        connectivity: Connectivity programmes per economy.
        conflicts: Ambiguous rules (errors).
        contingent: Rules adopted by governments' decisions during a run (not on a date).
    """

    scenario: Scenario
    economies: tuple[str, ...]
    sectors: tuple[str, ...]
    cells: dict[tuple[str, str, str, str], list[Segment]] = field(default_factory=dict)
    blocs: list[BlocChange] = field(default_factory=list)
    connectivity: list[ConnectivityChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    contingent: list[ContingentRule] = field(default_factory=list)

    def rows(self) -> list[TidyRow]:
        """Return the tidy table: one row per period of a lever, sectors and categories collapsed to ``*``."""
        return _tidy(self)


def _fmt(x: float | None) -> str:
    if x is None or math.isinf(x):
        return ""
    return f"{round(x, 4):g}"


def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{round(value, 6):g}"
    return str(value)


def _dates(timing: Timing, start_year: float) -> tuple[float, float, float | None]:
    start = timing.effective if timing.effective is not None else start_year
    end = timing.sunset if timing.sunset is not None else NEVER
    return start, end, timing.announce


def _selectors(scenario: Scenario) -> dict[str, Selector]:
    return {name: s.item for name, s in scenario.groups.items()}


class _Cells:
    """Collects assignments per cell and resolves them into segments."""

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str, str, str], list[Assignment]] = defaultdict(list)

    def add(self, cell: tuple[str, str, str, str], a: Assignment) -> None:
        self.claims[cell].append(a)

    def resolve(self) -> tuple[dict[tuple[str, str, str, str], list[Segment]], list[Conflict]]:
        cells: dict[tuple[str, str, str, str], list[Segment]] = {}
        conflicts: dict[tuple[Origin, Origin], Conflict] = {}
        for cell, claims in self.claims.items():
            bounds = sorted({a.start for a in claims} | {a.end for a in claims if not math.isinf(a.end)})
            segments: list[Segment] = []
            for i, lo in enumerate(bounds):
                hi = bounds[i + 1] if i + 1 < len(bounds) else NEVER
                active = sorted(
                    (a for a in claims if a.start <= lo < a.end), key=lambda a: (a.key, a.origin.index), reverse=True
                )
                if not active:
                    continue
                win = active[0]
                if len(active) > 1 and active[1].key == win.key and active[1].value != win.value:
                    pair = (active[1].origin, win.origin)
                    conflicts.setdefault(pair, Conflict(pair[0], pair[1], cell, (active[1].value, win.value)))
                seg = Segment(lo, hi, win.value, win.start, win.phase_in_years, win.announce, win.origin.label)
                if segments and _same_rule(segments[-1], seg) and segments[-1].end == lo:
                    segments[-1] = Segment(**{**segments[-1].__dict__, "end": hi})
                else:
                    segments.append(seg)
            if segments:
                cells[cell] = segments
        return cells, list(conflicts.values())


def _same_rule(a: Segment, b: Segment) -> bool:
    return (a.value, a.ramp_start, a.phase_in_years, a.source) == (b.value, b.ramp_start, b.phase_in_years, b.source)


def resolve_policy(scenario: Scenario, economies: Sequence[str], sectors: Sequence[str], vocab: Any) -> ResolvedPolicy:
    """Resolve ``scenario`` into per-economy levers in calendar time (see the module docstring for precedence).

    Args:
        scenario: The merged, validated scenario.
        economies: Economy codes in world order.
        sectors: Sector codes in world order.
        vocab: The ``Vocabulary`` the scenario was checked against.
    """
    groups = _selectors(scenario)
    start_year = scenario.timeline.start_year
    categories = [str(c) for c in DataCategory]
    cells = _Cells()
    out = ResolvedPolicy(scenario, tuple(economies), tuple(sectors))

    def claim_rule(
        origin: Origin,
        members: Mapping[str, int],
        data: Iterable[Any] | None,
        sector_list: Iterable[str] | None,
        regime: Any,
        safeguards: Any,
        timing: Timing,
    ) -> None:
        start, end, announce = _dates(timing, start_year)
        cats = [str(c) for c in data] if data else categories
        secs = list(sector_list) if sector_list else list(sectors)
        for code, spec in members.items():
            if regime is not None:
                key = (float(spec), float(bool(sector_list)), float(bool(data)), start, float(origin.layer))
                a = Assignment(str(regime), start, end, timing.phase_in_years, announce, key, origin)
                for k in cats:
                    for s in secs:
                        cells.add((REGIME, code, k, s), a)
            if safeguards is not None:
                key = (float(spec), 0.0, 0.0, start, float(origin.layer))
                cells.add(
                    (SAFEGUARDS, code, ALL, ALL), Assignment(str(safeguards), start, end, 0.0, announce, key, origin)
                )

    for sourced in scenario.rules:
        rule = sourced.item
        members = resolve(rule.economies, vocab, groups)
        if rule.contingent:
            order = {c: i for i, c in enumerate(economies)}
            out.contingent.append(
                ContingentRule(
                    tuple(sorted(members, key=lambda c: order.get(c, len(order)))),
                    tuple(str(c) for c in rule.data) if rule.data else tuple(categories),
                    tuple(rule.sectors) if rule.sectors else tuple(sectors),
                    str(rule.regime),
                    rule.timing.phase_in_years,
                    sourced.origin,
                )
            )
            continue
        claim_rule(sourced.origin, members, rule.data, rule.sectors, rule.regime, rule.safeguards, rule.timing)

    for kind, items in (("agreement", scenario.agreements), ("payment", scenario.payments)):
        for sourced in items:
            out.blocs.append(_bloc_change(kind, sourced, vocab, groups, start_year))
            item = sourced.item
            if kind == "agreement" and item.harmonise is not None:
                change = out.blocs[-1]
                roster = change.members if change.is_club else tuple(vocab.members(change.key))
                members = {c: Specificity.BLOC for c in (*roster, *change.joiners)}
                h = item.harmonise
                claim_rule(sourced.origin, members, h.data, h.sectors, h.regime, h.safeguards, item.timing)

    for sourced in scenario.cloud_regions:
        item = sourced.item
        for code, spec in resolve(item.economies, vocab, groups).items():
            key = (float(spec), 0.0, 0.0, item.opens, float(sourced.origin.layer))
            cells.add(
                (CLOUD_REGION, code, ALL, ALL), Assignment(True, item.opens, NEVER, 0.0, None, key, sourced.origin)
            )

    for sourced in scenario.ecommerce:
        item = sourced.item
        start, end, announce = _dates(item.timing, start_year)
        levers: dict[str, Value] = {}
        if item.paperless_trading is not None:
            levers[BORDER_COST] = 1.0 - item.paperless_trading
        if item.source_code_disclosure is not None:
            levers[SOURCE_CODE] = item.source_code_disclosure
        if item.cryptography_restriction is not None:
            levers[CRYPTO] = item.cryptography_restriction
        if item.telecom_access is not None:
            levers[TELECOM] = 1.0 - item.telecom_access
        for code, spec in resolve(item.economies, vocab, groups).items():
            key = (float(spec), 0.0, 0.0, start, float(sourced.origin.layer))
            for lever, value in levers.items():
                a = Assignment(value, start, end, item.timing.phase_in_years, announce, key, sourced.origin)
                cells.add((lever, code, ALL, ALL), a)

    for sourced in scenario.connectivity:
        item = sourced.item
        starts = item.starts if item.starts is not None else start_year
        for code in resolve(item.economies, vocab, groups):
            out.connectivity.append(ConnectivityChange(code, item.add_points, starts, item.by, sourced.origin))

    out.cells, out.conflicts = cells.resolve()
    out.conflicts.extend(_bloc_conflicts(out.blocs))
    return out


def _bloc_change(
    kind: str, sourced: Sourced[Any], vocab: Any, groups: Mapping[str, Selector], start_year: float
) -> BlocChange:
    item = sourced.item
    start, end, _ = _dates(item.timing, start_year)
    members = tuple(resolve(item.members, vocab, groups)) if item.members is not None else ()
    joiners = tuple(resolve(item.join, vocab, groups)) if item.join is not None else ()
    if item.club is None:  # economies already members of a bloc of the world data do not join it again
        current = set(vocab.members(item.key))
        joiners = tuple(c for c in joiners if c not in current)
    effects: dict[str, float] = {}
    is_club = item.club is not None
    if kind == "agreement":
        w = item.waive
        named = {
            "transfer_waiver": w.transfer_conditions,
            "localisation_waiver": w.localisation,
            "ban_waiver": w.bans,
            "payment_interop": w.payment_friction,
        }
        if item.trade_agreement is not None:
            effects["trade_agreement"] = float(item.trade_agreement)
        for name, value in named.items():
            if value is not None:
                effects[name] = float(value)
        if is_club:
            for name in PAIR_FIELDS:
                effects.setdefault(name, 0.0)
    else:
        effects["payment_interop"] = float(item.interop)
    return BlocChange(
        item.key, is_club, members, joiners, effects, start, end, sourced.origin, item.timing.phase_in_years
    )


def _bloc_conflicts(changes: Sequence[BlocChange]) -> list[Conflict]:
    out = []
    for i, a in enumerate(changes):
        for b in changes[i + 1 :]:
            if a.key != b.key or a.start != b.start or a.origin.layer != b.origin.layer:
                continue
            for name in set(a.effects) & set(b.effects):
                if a.effects[name] != b.effects[name]:
                    out.append(Conflict(a.origin, b.origin, (name, a.key), (a.effects[name], b.effects[name])))
    return out


def bloc_effects_at(changes: Sequence[BlocChange], year: float) -> dict[str, tuple[dict[str, float], set[str], bool]]:
    """Return, per bloc or club changed by the scenario and in force at ``year``: its effects, extra members, club.

    Effects come from the item in force that took effect last (then the later file, then the later item), scaled
    by its phase-in.
    """
    state: dict[str, tuple[dict[str, float], set[str], bool]] = {}
    active = sorted(
        (c for c in changes if c.start <= year < c.end), key=lambda c: (c.start, c.origin.layer, c.origin.index)
    )
    for c in active:
        effects, extra, club = state.get(c.key, ({}, set(), c.is_club))
        ramp = c.strength(year)
        effects.update({k: (v if k == "trade_agreement" else v * ramp) for k, v in c.effects.items()})
        extra.update(c.members)
        extra.update(c.joiners)
        state[c.key] = (effects, extra, club or c.is_club)
    return state


def _segments_text(segments: Sequence[Segment]) -> str:
    return "|".join(f"{s.value}@{s.start}-{s.end}/{s.phase_in_years}/{s.source}" for s in segments)


def _tidy(policy: ResolvedPolicy) -> list[TidyRow]:
    by_cat: dict[tuple[str, str, str], dict[str, list[Segment]]] = defaultdict(dict)
    for (lever, code, k, s), segs in policy.cells.items():
        by_cat[(lever, code, k)][s] = segs
    collapsed: dict[tuple[str, str], dict[str, dict[str, list[Segment]]]] = defaultdict(dict)
    all_sectors = set(policy.sectors)
    for (lever, code, k), per_sector in by_cat.items():
        texts = {_segments_text(v) for v in per_sector.values()}
        if k != ALL and set(per_sector) == all_sectors and len(texts) == 1:
            per_sector = {ALL: next(iter(per_sector.values()))}
        collapsed[(lever, code)][k] = per_sector
    rows: list[TidyRow] = []
    categories = {str(c) for c in DataCategory}
    econ_order = {c: i for i, c in enumerate(policy.economies)}
    for (lever, code), per_cat in sorted(collapsed.items(), key=lambda kv: (kv[0][0], econ_order.get(kv[0][1], 0))):
        texts = {tuple(sorted((s, _segments_text(segs)) for s, segs in v.items())) for v in per_cat.values()}
        if set(per_cat) == categories and len(texts) == 1:
            per_cat = {ALL: next(iter(per_cat.values()))}
        for k in sorted(per_cat):
            for s in sorted(per_cat[k]):
                for seg in per_cat[k][s]:
                    rows.append(
                        TidyRow(
                            lever,
                            code,
                            k,
                            s,
                            _value_text(seg.value),
                            _fmt(seg.start),
                            _fmt(seg.end),
                            _fmt(seg.phase_in_years) if seg.phase_in_years else "",
                            _fmt(seg.announce),
                            seg.source,
                        )
                    )
    for change in policy.blocs:
        target = f"{'club' if change.is_club else 'bloc'}:{change.key}"
        for name in sorted(change.effects):
            rows.append(
                TidyRow(
                    lever=name,
                    target=target,
                    data_category=ALL,
                    sector=ALL,
                    value=_value_text(change.effects[name]),
                    start_year=_fmt(change.start),
                    end_year=_fmt(change.end),
                    phase_in_years=_fmt(change.phase_in_years) if change.phase_in_years else "",
                    announce_year="",
                    source=change.origin.label,
                )
            )
        for lever, codes in ((MEMBER_OF, change.members), (JOINS, change.joiners)):
            for code in codes:
                rows.append(
                    TidyRow(
                        lever=lever,
                        target=code,
                        data_category=ALL,
                        sector=ALL,
                        value=change.key,
                        start_year=_fmt(change.start),
                        end_year=_fmt(change.end),
                        phase_in_years="",
                        announce_year="",
                        source=change.origin.label,
                    )
                )
    for rule in policy.contingent:
        sector_text = [ALL] if set(rule.sectors) == set(policy.sectors) else list(rule.sectors)
        cats = [ALL] if set(rule.data) == {str(c) for c in DataCategory} else sorted(rule.data)
        for code in rule.economies:
            for k in cats:
                for s in sector_text:
                    rows.append(
                        TidyRow(
                            lever=REGIME,
                            target=code,
                            data_category=k,
                            sector=s,
                            value=rule.regime,
                            start_year=ON_DECISION,
                            end_year="",
                            phase_in_years=_fmt(rule.phase_in_years) if rule.phase_in_years else "",
                            announce_year="",
                            source=rule.origin.label,
                        )
                    )
    for prog in policy.connectivity:
        rows.append(
            TidyRow(
                lever=INTERNET,
                target=prog.economy,
                data_category=ALL,
                sector=ALL,
                value=f"+{_value_text(prog.points)}",
                start_year=_fmt(prog.starts),
                end_year="",
                phase_in_years=_fmt(prog.by - prog.starts),
                announce_year="",
                source=prog.origin.label,
            )
        )
    return rows

"""Compile a scenario against the world: its ``Vocabulary``, and its ``PolicySchedule`` (what the model consumes).

``compile_scenario`` starts from the status quo (``baseline_state``) and applies the scenario's resolved levers
(``simulator.scenario.resolution``) step by step. A change dated ``t`` takes effect at the first step starting at
or after ``t`` (``simulator.scenario.timeline``); changes in force at the start go into the initial state, later
ones become ``PolicyEvent``s labelled with the file and key path they come from. Announcements are kept in the tidy
table of the resolved policy; ``PolicyState`` has no field for them yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simulator.scenario.loader import Scenario
from simulator.scenario.resolution import (
    ALL,
    BORDER_COST,
    CLOUD_REGION,
    CRYPTO,
    INTERNET,
    PAIR_FIELDS,
    REGIME,
    SAFEGUARDS,
    SOURCE_CODE,
    TELECOM,
    ContingentRule,
    ResolvedPolicy,
    Segment,
    bloc_effects_at,
    resolve_policy,
)
from simulator.scenario.taxonomy import DataCategory, Safeguards
from simulator.scenario.timeline import phase_in_steps, step_to_year
from simulator.scenario.vocabulary import Vocabulary
from simulator.world.baseline import baseline_state, bloc_pairs
from simulator.world.policy import ContingentPolicy, PolicyEvent, PolicySchedule, PolicyState, regime_code
from simulator.world.world import World

VALUE_TOLERANCE = 1e-12
"""Changes smaller than this are not events."""

RAMP_EPSILON = 1e-9
"""Years before a rule's start at which the rule it replaces is looked up."""

MAX_INTERNET_PCT = 100.0
"""Internet use cannot exceed the whole population."""

ECONOMY_LEVERS = (SAFEGUARDS, CLOUD_REGION, BORDER_COST, SOURCE_CODE, CRYPTO, TELECOM)


def vocabulary(world: World) -> Vocabulary:
    """Return the names a scenario may use in ``world``: economies, sectors, regions, income groups, memberships."""
    econ = world.economies
    roster: dict[str, dict[str, str]] = {}
    for code, bloc, status in zip(
        world.memberships["iso3"], world.memberships["bloc"], world.memberships["status"], strict=True
    ):
        roster.setdefault(str(bloc), {})[str(code)] = str(status)
    return Vocabulary(
        economies=tuple(world.iso3),
        sectors=tuple(world.sector_codes),
        region_of={str(c): str(r) for c, r in econ["region"].items()},
        income_group_of={str(c): str(g) for c, g in econ["income_group"].items()},
        memberships=roster,
        names={str(c): str(n) for c, n in econ["name"].items()} if "name" in econ else {},
    )


def resolve(world: World, scenario: Scenario) -> ResolvedPolicy:
    """Resolve ``scenario`` against ``world`` (who gets which rule, from when)."""
    return resolve_policy(scenario, world.iso3, world.sector_codes, vocabulary(world))


def _segment_at(segments: Sequence[Segment], year: float) -> Segment | None:
    for seg in segments:
        if seg.start <= year < seg.end:
            return seg
    return None


def _strength(seg: Segment, step: int, start_year: float, step_years: float) -> float:
    if seg.phase_in_years <= 0:
        return 1.0
    ramp_steps = phase_in_steps(seg.phase_in_years, step_years)
    first = math.ceil((seg.ramp_start - start_year) / step_years - 1e-9)
    return float(min(1.0, max(0.0, (step - first + 1) / ramp_steps)))


def _economy_value(lever: str, value: object) -> float:
    if lever == SAFEGUARDS:
        return Safeguards(str(value)).level
    return float(value)  # type: ignore[arg-type]


class _Emitter:
    """Applies values step by step, writing step-0 values into the initial state and later ones as events."""

    def __init__(self, state: PolicyState) -> None:
        self.initial = state
        self.current = state.copy()
        self.events: list[PolicyEvent] = []

    def set(self, step: int, field: str, index: tuple[int, ...], value: float, label: str) -> None:
        current = getattr(self.current, field)
        if abs(float(current[index]) - float(value)) <= VALUE_TOLERANCE:
            return
        current[index] = value
        if step == 0:
            getattr(self.initial, field)[index] = value
        else:
            self.events.append(
                PolicyEvent(step, index[0], field, tuple(int(i) for i in index[1:]), float(value), label)
            )


def compile_scenario(world: World, scenario: Scenario) -> PolicySchedule:
    """Compile ``scenario`` into the policy path the model consumes.

    Args:
        world: The validated world.
        scenario: A scenario loaded (and checked) with ``vocabulary(world)``.

    Returns:
        The initial state (status quo plus changes in force at the start) and the dated events, sorted by step.
    """
    policy = resolve(world, scenario)
    start, dt, steps = scenario.timeline.start_year, scenario.timeline.step_years, scenario.run.steps
    base = baseline_state(world, year=start)
    out = _Emitter(base.copy())
    econ = {c: i for i, c in enumerate(world.iso3)}
    cat = {str(k): i for i, k in enumerate(DataCategory)}
    sect = {s: i for i, s in enumerate(world.sector_codes)}
    years = [step_to_year(n, start, dt) for n in range(steps + 1)]

    for (lever, code, k, s), segments in sorted(policy.cells.items()):
        c = econ[code]
        for n, year in enumerate(years):
            seg = _segment_at(segments, year)
            if lever == REGIME:
                idx = (c, cat[k], sect[s])
                if seg is None:
                    out.set(n, "regime", idx, float(base.regime[idx]), "baseline")
                    out.set(n, "regime_strength", idx, float(base.regime_strength[idx]), "baseline")
                else:
                    code_now = regime_code(str(seg.value))
                    before = _segment_at(segments, seg.ramp_start - RAMP_EPSILON)
                    code_before = regime_code(str(before.value)) if before else int(base.regime[idx])
                    ramps = code_before != code_now  # re-imposing the rule in force does not restart its phase-in
                    strength = _strength(seg, n, start, dt) if ramps else 1.0
                    out.set(n, "regime", idx, code_now, seg.source)
                    out.set(n, "regime_strength", idx, strength, seg.source)
            elif lever in ECONOMY_LEVERS:
                field = "safeguards" if lever == SAFEGUARDS else lever
                if seg is None:
                    out.set(n, field, (c,), float(getattr(base, field)[c]), "baseline")
                else:
                    out.set(n, field, (c,), _economy_value(lever, seg.value), seg.source)

    _compile_connectivity(policy, base, out, econ, years)
    _compile_pairs(world, policy, out, years)
    events = tuple(sorted(out.events, key=lambda e: e.step))
    contingent = tuple(_compile_contingent(rule, econ, cat, sect, start, dt) for rule in policy.contingent)
    return PolicySchedule(
        initial=out.initial,
        events=events,
        start_year=start,
        step_years=dt,
        horizon=steps,
        contingent=contingent,
    )


def _compile_contingent(
    rule: ContingentRule,
    econ: dict[str, int],
    cat: dict[str, int],
    sect: dict[str, int],
    start_year: float,
    step_years: float,
) -> ContingentPolicy:
    """A contingent rule as the model's governments adopt it: covered cells, regime code, and its phase-in ramp.

    The ramp is the strength a dated rule taking effect at step 0 has at steps 0, 1, ... (``_strength``), so that a
    rule adopted at step t ramps up from t exactly as the same rule dated at t would.
    """
    seg = Segment(start_year, math.inf, rule.regime, start_year, rule.phase_in_years, None, rule.origin.label)
    ramp = [_strength(seg, 0, start_year, step_years)]
    while ramp[-1] < 1.0:
        ramp.append(_strength(seg, len(ramp), start_year, step_years))
    cells = np.array([(cat[k], sect[s]) for k in rule.data for s in rule.sectors], dtype=np.int64).reshape(-1, 2)
    return ContingentPolicy(
        economies=tuple(econ[c] for c in rule.economies),
        cells=cells,
        regime=regime_code(rule.regime),
        ramp=tuple(ramp),
        label=rule.origin.label,
    )


def _compile_connectivity(
    policy: ResolvedPolicy, base: PolicyState, out: _Emitter, econ: dict[str, int], years: Sequence[float]
) -> None:
    by_economy: dict[str, list] = {}
    for prog in policy.connectivity:
        by_economy.setdefault(prog.economy, []).append(prog)
    for code, programmes in by_economy.items():
        c = econ[code]
        label = "; ".join(p.origin.label for p in programmes)
        for n, year in enumerate(years):
            added = 0.0
            for p in programmes:
                span = p.by - p.starts
                frac = (
                    1.0
                    if span <= 0 and year >= p.by
                    else (min(1.0, max(0.0, (year - p.starts) / span)) if span > 0 else 0.0)
                )
                added += p.points * frac
            value = min(MAX_INTERNET_PCT, float(base.internet_users_pct[c]) + added)
            out.set(n, INTERNET, (c,), value, label)


def _pair_matrices(world: World, policy: ResolvedPolicy, year: float, start_year: float) -> dict[str, np.ndarray]:
    n = len(world.iso3)
    mats = {name: np.zeros((n, n)) for name in PAIR_FIELDS}
    changed = bloc_effects_at(policy.blocs, year)
    codes = np.asarray(world.iso3)
    effects_table = getattr(world, "agreement_effects", None)
    rows: dict[str, dict[str, float]] = {}
    if effects_table is not None:
        for bloc, row in effects_table.iterrows():
            rows[str(bloc)] = {name: float(row[name]) for name in PAIR_FIELDS}
    for key, (effects, _, is_club) in changed.items():
        rows[key] = {**({} if is_club else rows.get(key, dict.fromkeys(PAIR_FIELDS, 0.0))), **effects}
    for key, effects in rows.items():
        extra = changed.get(key, ({}, set(), False))[1]
        is_club = changed.get(key, ({}, set(), False))[2]
        pairs = np.zeros((n, n), dtype=bool) if is_club else bloc_pairs(world, key, year=start_year)
        if extra:
            joined = np.isin(codes, sorted(extra))
            if not is_club and key in world.blocs.index and world.blocs.loc[key, "kind"] == "adequacy":
                hub = pairs.any(axis=1) & ~np.isin(codes, world.members(key))
                pairs |= (hub[:, None] & joined[None, :]) | (joined[:, None] & hub[None, :])
            else:
                members = joined | np.isin(codes, [] if is_club else world.members(key, year=start_year))
                pairs |= members[:, None] & members[None, :]
            np.fill_diagonal(pairs, False)
        for name in PAIR_FIELDS:
            value = effects.get(name, 0.0)
            if value:
                mats[name] = np.where(pairs, np.maximum(mats[name], value), mats[name])
    return mats


def _compile_pairs(world: World, policy: ResolvedPolicy, out: _Emitter, years: Sequence[float]) -> None:
    if not policy.blocs:
        return
    first_change = min(c.start for c in policy.blocs)
    label = "; ".join(sorted({c.origin.label for c in policy.blocs}))
    for n, year in enumerate(years):
        if year < first_change:
            continue
        mats = _pair_matrices(world, policy, year, years[0])
        for name in PAIR_FIELDS:
            target = mats[name] > 0 if name == "trade_agreement" else mats[name]
            current = getattr(out.current, name)
            for o, d in zip(
                *np.nonzero(np.abs(current.astype(float) - target.astype(float)) > VALUE_TOLERANCE), strict=True
            ):
                out.set(n, name, (int(o), int(d)), float(target[o, d]), label)


__all__ = ["ALL", "compile_scenario", "resolve", "vocabulary"]

"""The ``sweep:`` section of a scenario file: its checks, its factors' levels, and the scenario at a point.

A sweep varies *factors* over a design (``dlsim sweep``): uncertain parameters (a range inside the parameter's
declared range, or a list of values) and levers (an item of the scenario switched off and on; a rule whose regime
takes each of a list of regimes). The shapes are checked by the schema (``SweepSection``); this module checks what
needs names and declarations (parameters, item ids, economies, sectors, ranges) with the same ``file:line`` issues
as the rest of the scenario, and turns a point's lever levels into a scenario.

``against`` names the counterfactual of an effect sweep: a scenario file looked up like ``extends`` (a name next to
the file that declares the sweep, or a relative path); it must exist, load without errors, differ from the swept
scenario, have no ``sweep:`` of its own and share the swept scenario's timeline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from simulator.scenario.errors import Issue, IssueLog, ScenarioError, did_you_mean, show_value
from simulator.scenario.loader import (
    Origin,
    Scenario,
    Sourced,
    _candidates,
    _known_names,
    _load_chain,
    issue_at,
    load_scenario,
)
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.schema import (
    DEFAULT_FACTORIAL_LEVELS,
    LIST_SECTIONS,
    MAX_SWEEP_POINTS,
    Rule,
    SweepFactor,
    SweepSection,
)
from simulator.scenario.vocabulary import Vocabulary
from simulator.scenario.yamlsource import SourceDocument


@dataclass(frozen=True)
class Factor:
    """A factor of a sweep, resolved: its kind, name and levels.

    Attributes:
        name: Name in results (``factor`` column of ``indices.parquet``, a column of ``design.parquet``).
        kind: ``parameter`` (an uncertain parameter) or ``lever`` (an item switched off/on, a rule's regime).
        low: Lowest value (parameters with a range) — sampled uniformly between ``low`` and ``high``.
        high: Highest value.
        levels: The discrete levels, if the factor is discrete (``values``, ``off``/``on``, regimes); empty for a
            continuous range.
        integer: Whether the parameter takes whole numbers (values are rounded).
        spec: The factor as written.
        index: Its position under ``sweep.factors``.
    """

    name: str
    kind: str
    low: float
    high: float
    levels: tuple[Any, ...]
    integer: bool
    spec: SweepFactor
    index: int

    @property
    def discrete(self) -> bool:
        """Whether the factor takes a finite list of levels."""
        return bool(self.levels)

    def from_unit(self, u: float) -> Any:
        """The factor's value at ``u`` in [0, 1]: a level (equal-width bins) or low + u · (high − low)."""
        if self.discrete:
            i = min(len(self.levels) - 1, max(0, math.floor(u * len(self.levels))))
            return self.levels[i]
        value = self.low + min(1.0, max(0.0, u)) * (self.high - self.low)
        return float(round(value)) if self.integer else float(value)

    def grid(self, levels: int) -> tuple[Any, ...]:
        """The factor's values in a full factorial design: its levels, or ``levels`` evenly spaced values."""
        if self.discrete:
            return self.levels
        step = (self.high - self.low) / (levels - 1)
        values = [self.low + i * step for i in range(levels)]
        if self.integer:
            values = sorted({float(round(v)) for v in values})
        return tuple(float(v) for v in values)


def factors(section: SweepSection) -> list[Factor]:
    """The factors of a (checked) sweep section, in order."""
    out = []
    for i, f in enumerate(section.factors):
        if f.parameter is not None:
            p = PARAMETERS[f.parameter]
            if f.values is not None:
                levels = tuple(float(v) for v in f.values)
                out.append(Factor(f.key, "parameter", min(levels), max(levels), levels, p.integer, f, i))
            else:
                lo, hi = (f.range[0], f.range[1]) if f.range is not None else (p.minimum, p.maximum)
                out.append(Factor(f.key, "parameter", float(lo), float(hi), (), p.integer, f, i))
        elif f.item is not None:
            out.append(Factor(f.key, "lever", 0.0, 1.0, ("off", "on"), False, f, i))
        else:
            levels = tuple(str(r) for r in f.rule.regimes)
            out.append(Factor(f.key, "lever", 0.0, float(len(levels) - 1), levels, False, f, i))
    return out


def full_factorial_size(section: SweepSection) -> int:
    """Points of the full factorial design of ``section``."""
    levels = section.levels or DEFAULT_FACTORIAL_LEVELS
    return math.prod(len(f.grid(levels)) for f in factors(section))


def _item_ids(scenario: Scenario) -> dict[str, str]:
    return {str(s.item.id): section for section in LIST_SECTIONS for s in getattr(scenario, section) if s.item.id}


def check_sweep(scenario: Scenario, vocab: Vocabulary, docs: Mapping[str, SourceDocument], log: IssueLog) -> None:
    """Check the sweep section of ``scenario`` against the parameter declarations, its items and the world.

    Records one issue per problem (file, line, key path, what was expected, a suggestion) in ``log``.
    """
    from simulator.scenario.checks import _check_sectors, _check_selector

    if scenario.sweep is None:
        return
    section, origin = scenario.sweep.item, scenario.sweep.origin
    ids = _item_ids(scenario)
    seen: dict[str, int] = {}
    varied: dict[tuple[str, str], int] = {}
    for i, f in enumerate(section.factors):
        at = ("factors", i)
        for kind, key in (("parameter", f.parameter), ("item", f.item)):
            if key is None:
                continue
            if (kind, key) in varied:
                log.add(
                    issue_at(
                        docs,
                        origin,
                        (*at, kind),
                        f"{kind} {key!r} is already varied by factors[{varied[(kind, key)]}]",
                        value=show_value(key),
                        expected=f"each {kind} in one factor only",
                    )
                )
            varied.setdefault((kind, key), i)
        if f.key in seen:
            log.add(
                issue_at(
                    docs,
                    origin,
                    (*at, "name") if f.name else at,
                    f"factor name {f.key!r} is used twice (also factors[{seen[f.key]}])",
                    expected="a distinct 'name' for each factor",
                )
            )
        seen.setdefault(f.key, i)
        if f.parameter is not None:
            _check_parameter_factor(docs, origin, at, f, log)
        elif f.item is not None and f.item not in ids:
            log.add(
                issue_at(
                    docs,
                    origin,
                    (*at, "item"),
                    f"no item of the scenario has id {f.item!r}",
                    value=show_value(f.item),
                    expected="the id of a rule, agreement, payment, connectivity, cloud region or e-commerce item",
                    suggestion=did_you_mean(f.item, ids),
                )
            )
        elif f.rule is not None:
            _check_selector(docs, origin, (*at, "rule", "economies"), f.rule.economies, vocab, scenario, log, False)
            _check_sectors(docs, origin, (*at, "rule", "sectors"), f.rule.sectors, vocab, log)
    for j, code in enumerate(section.economies or ()):
        if vocab.knows_world and code not in vocab.economies:
            log.add(
                issue_at(
                    docs,
                    origin,
                    ("economies", j),
                    f"unknown economy {code!r}",
                    value=show_value(code),
                    expected="an ISO3 code of an economy of the world (dlsim world lists them)",
                    suggestion=did_you_mean(code, vocab.economies),
                )
            )
    if section.against is not None:
        check_against(scenario, vocab, docs, log)
    if log.errors:
        return
    if section.design == "sobol" and section.n is not None and section.n & (section.n - 1):
        lower = 1 << (section.n.bit_length() - 1)
        log.add(
            issue_at(
                docs,
                origin,
                ("n",),
                "Sobol' sampling needs a power of 2 for n (its sequence balances only then)",
                value=show_value(section.n),
                expected="a power of 2 such as 64, 128, 256, 512 or 1024",
                suggestion=f"{lower} or {lower * 2}",
            )
        )
    if section.design == "full_factorial" and full_factorial_size(section) > MAX_SWEEP_POINTS:
        log.add(
            issue_at(
                docs,
                origin,
                ("factors",),
                f"the full factorial design has {full_factorial_size(section):,} points",
                expected=f"at most {MAX_SWEEP_POINTS:,}: fewer factors or levels, or a latin_hypercube design",
            )
        )


def against_path(scenario: Scenario) -> Path | None:
    """The counterfactual file named by ``sweep.against``, looked up like ``extends``; ``None`` if none or absent."""
    if scenario.sweep is None or scenario.sweep.item.against is None:
        return None
    base = Path(scenario.sweep.origin.file).parent
    found = [c for c in _candidates(str(scenario.sweep.item.against), base, ()) if c.is_file()]
    return found[0] if found else None


def load_against(scenario: Scenario, vocab: Vocabulary) -> Scenario | None:
    """The counterfactual scenario of an effect sweep (``sweep.against``), loaded; ``None`` without ``against``.

    Raises:
        ScenarioError: The counterfactual cannot be found or is invalid (``check_sweep`` reports why).
    """
    if scenario.sweep is None or scenario.sweep.item.against is None:
        return None
    path = against_path(scenario)
    if path is None:
        raise ScenarioError(
            [Issue(str(scenario.sweep.origin.file), None, None, ("sweep", "against"), "counterfactual not found")]
        )
    return load_scenario(path, vocab)


def check_against(scenario: Scenario, vocab: Vocabulary, docs: Mapping[str, SourceDocument], log: IssueLog) -> None:
    """Check ``sweep.against``: the counterfactual exists and is valid, and suits an effect.

    It must not be the swept scenario, must have no sweep of its own and must share the swept scenario's timeline.
    """
    section, origin = scenario.sweep.item, scenario.sweep.origin
    name = str(section.against)
    at = ("against",)
    base = Path(origin.file).parent
    path = against_path(scenario)
    if path is None:
        log.add(
            issue_at(
                docs,
                origin,
                at,
                f"the counterfactual scenario {name!r} is not found",
                value=show_value(name),
                expected=f"the name of a scenario file next to {Path(origin.file).name}, or a path relative to it",
                suggestion=did_you_mean(name, _known_names(base, ())),
            )
        )
        return
    own = {Path(p).resolve() for p in (scenario.path, origin.file)}
    if path.resolve() in own:
        parent = scenario.chain[-2] if len(scenario.chain) > 1 else None
        log.add(
            issue_at(
                docs,
                origin,
                at,
                "the counterfactual is the swept scenario itself: every effect would be 0",
                value=show_value(name),
                expected="another scenario: the one the reform is measured against",
                suggestion=f"against: {Path(parent).stem}" if parent else None,
            )
        )
        return
    try:
        chain = _load_chain(path, ())
    except ScenarioError as exc:
        log.add(issue_at(docs, origin, at, f"the counterfactual {path.name} cannot be read", value=show_value(name)))
        for issue in exc.issues:
            log.add(issue)
        return
    if any(layer.model.sweep is not None for layer in chain):
        log.add(
            issue_at(
                docs,
                origin,
                at,
                f"the counterfactual {path.name} has a sweep: section of its own",
                value=show_value(name),
                expected="a scenario without sweep: (the one the reform is measured against)",
                suggestion="name the scenario that file sweeps",
            )
        )
        return
    try:
        other = load_scenario(path, vocab)
    except ScenarioError as exc:
        log.add(issue_at(docs, origin, at, f"the counterfactual {path.name} has errors", value=show_value(name)))
        for issue in exc.issues:
            log.add(issue)
        return
    mine, theirs = scenario.timeline, other.timeline
    if (mine.start_year, mine.step_years) != (theirs.start_year, theirs.step_years):
        log.add(
            issue_at(
                docs,
                origin,
                at,
                f"the counterfactual {path.name} has another timeline (start_year {theirs.start_year:g}, step_years "
                f"{theirs.step_years:g}) than the swept scenario (start_year {mine.start_year:g}, step_years "
                f"{mine.step_years:g}): their steps are not the same dates",
                value=show_value(name),
                expected="a counterfactual with the swept scenario's timeline",
                suggestion="give both the same timeline: section",
            )
        )


def _check_parameter_factor(
    docs: Mapping[str, SourceDocument], origin: Origin, at: tuple[str | int, ...], f: SweepFactor, log: IssueLog
) -> None:
    name = f.parameter
    if name not in PARAMETERS:
        log.add(
            issue_at(
                docs,
                origin,
                (*at, "parameter"),
                f"unknown parameter {name!r}",
                value=show_value(name),
                expected="a parameter of docs/parameters.md (dlsim params)",
                suggestion=did_you_mean(name, PARAMETERS),
            )
        )
        return
    p = PARAMETERS[name]
    declared = f"{p.minimum:g} – {p.maximum:g} ({p.unit})"
    if f.range is not None:
        for j, v in enumerate(f.range):
            if not p.minimum <= v <= p.maximum:
                log.add(
                    issue_at(
                        docs,
                        origin,
                        (*at, "range", j),
                        f"range of {name} goes outside its declared range {declared}",
                        value=show_value(v),
                        expected=f"a value between {p.minimum:g} and {p.maximum:g}",
                        suggestion=f"range: [{max(f.range[0], p.minimum):g}, {min(f.range[1], p.maximum):g}]",
                    )
                )
    for j, v in enumerate(f.values or ()):
        problem = p.check(v)
        if problem:
            log.add(
                issue_at(
                    docs,
                    origin,
                    (*at, "values", j),
                    f"value of {name} outside its declared range {declared}",
                    value=show_value(v),
                    expected=problem,
                )
            )


def with_levers(scenario: Scenario, levels: Mapping[str, Any], *, name: str | None = None) -> Scenario:
    """The scenario at a point of its sweep: each lever factor at the level given (others as written).

    Args:
        scenario: A scenario with a sweep section.
        levels: Factor name → level (``off``/``on`` for an item, a regime for a rule); parameter factors are
            ignored here (they are parameter values of the run).
        name: Name of the returned scenario (default: the scenario's).

    Returns:
        The scenario with every item switched ``off`` removed and every rule factor's rule added last.
    """
    if scenario.sweep is None:
        return scenario if name is None else replace(scenario, name=name)
    section, origin = scenario.sweep.item, scenario.sweep.origin
    drop: set[str] = set()
    added: list[Sourced[Any]] = []
    for f in factors(section):
        if f.kind != "lever" or f.name not in levels:
            continue
        level = levels[f.name]
        if f.spec.item is not None:
            if level == "off":
                drop.add(str(f.spec.item))
        else:
            r = f.spec.rule
            rule = Rule(
                id=f"sweep_{f.name}",
                economies=r.economies,
                data=r.data,
                sectors=r.sectors,
                regime=level,
                timing=r.timing,
                note=f"sweep factor {f.name}",
            )
            where = Origin(origin.file, origin.line, (*origin.path, "factors", f.index, "rule"), origin.layer)
            added.append(Sourced(rule, where))
    sections: dict[str, Sequence[Sourced[Any]]] = {}
    for s in LIST_SECTIONS:
        kept = [x for x in getattr(scenario, s) if x.item.id is None or str(x.item.id) not in drop]
        if s == "rules":
            kept += added
        sections[s] = tuple(Sourced(x.item, Origin(**{**x.origin.__dict__, "index": i})) for i, x in enumerate(kept))
    return replace(scenario, name=name or scenario.name, **sections)

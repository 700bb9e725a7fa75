"""Checks of a merged scenario that need names or the whole chain: economies, groups, sectors, parameters, dates.

Errors make the scenario unusable; warnings flag legal but implausible values (kept apart, shown by
``dlsim validate``). Every issue points at the file, line and key path where the value was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from simulator.scenario.errors import Issue, IssueLog, KeyPath, Severity, did_you_mean, show_value
from simulator.scenario.loader import Origin, Scenario, issue_at, warning_at
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.schema import Selector
from simulator.scenario.vocabulary import Vocabulary
from simulator.scenario.yamlsource import SourceDocument

ISO3_FORM = re.compile(r"^[A-Z]{3}$")
"""Form of an economy code when the world's codes are not known."""

MAX_PLAUSIBLE_POINTS_PER_YEAR = 10.0
"""Fastest plausible rise in internet use, percentage points a year (ITU: a few points a year is fast)."""

MIN_FIRMS_FOR_STATISTICS = 1_000
"""Fewer firms than this make per-economy metrics noisy."""

MIN_REPLICATES_FOR_CI = 2
"""Replicates needed for a confidence interval."""

STRONG_SAFEGUARDS = ("law", "law_with_authority")


def _selectors(scenario: Scenario) -> Iterator[tuple[Origin, KeyPath, Selector]]:
    for name, sourced in scenario.groups.items():
        yield sourced.origin, (), sourced.item
        del name
    for section, fields in (
        ("rules", ("economies",)),
        ("agreements", ("members", "join")),
        ("payments", ("members", "join")),
        ("connectivity", ("economies",)),
        ("cloud_regions", ("economies",)),
        ("ecommerce", ("economies",)),
    ):
        for sourced in getattr(scenario, section):
            for f in fields:
                sel = getattr(sourced.item, f)
                if sel is not None:
                    yield sourced.origin, (f,), sel


def _nested(sel: Selector, path: KeyPath) -> Iterator[tuple[KeyPath, Selector]]:
    yield path, sel
    if sel.within is not None:
        yield from _nested(sel.within, (*path, "within"))


def _code_issue(
    docs: Mapping[str, SourceDocument], origin: Origin, path: KeyPath, code: str, vocab: Vocabulary
) -> Issue | None:
    if vocab.knows_world:
        if code in vocab.economies:
            return None
        return issue_at(
            docs,
            origin,
            path,
            f"unknown economy {code!r}",
            value=show_value(code),
            expected="an economy code of the world data (dlsim world lists them)",
            suggestion=did_you_mean(code, vocab.economies),
        )
    if ISO3_FORM.match(code):
        return None
    return issue_at(docs, origin, path, "not an economy code", value=show_value(code), expected="three capital letters")


def _check_selector(
    docs: Mapping[str, SourceDocument],
    origin: Origin,
    base: KeyPath,
    selector: Selector,
    vocab: Vocabulary,
    scenario: Scenario,
    log: IssueLog,
    in_group: bool,
) -> None:
    from simulator.scenario.groups import resolve

    for path, sel in _nested(selector, base):
        for field_name in ("iso3", "exclude"):
            for i, code in enumerate(getattr(sel, field_name)):
                issue = _code_issue(docs, origin, _item_path(docs, origin, path, field_name, i), code, vocab)
                if issue:
                    log.add(issue)
        for i, name in enumerate(sel.group):
            sub = _item_path(docs, origin, path, "group", i)
            if in_group:
                log.add(issue_at(docs, origin, sub, "a custom group may not refer to another group", value=name))
            elif name not in scenario.groups:
                log.add(
                    issue_at(
                        docs,
                        origin,
                        sub,
                        f"unknown group {name!r}",
                        value=show_value(name),
                        expected="a name declared under 'groups'",
                        suggestion=did_you_mean(name, scenario.groups),
                    )
                )
    if vocab.knows_world and not log.errors:
        groups = {n: s.item for n, s in scenario.groups.items()}
        if not resolve(selector, vocab, groups):
            log.add(warning_at(docs, origin, base, "selects no economy of the world"))


def _raw(docs: Mapping[str, SourceDocument], origin: Origin, path: KeyPath) -> Any:
    doc = docs.get(origin.file)
    if doc is None:
        return None
    value: Any = doc.data
    for part in (*origin.path, *path):
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _is_list(docs: Mapping[str, SourceDocument], origin: Origin, path: KeyPath) -> bool:
    return isinstance(_raw(docs, origin, path), list)


def _item_path(docs: Mapping[str, SourceDocument], origin: Origin, path: KeyPath, name: str, i: int) -> KeyPath:
    """Where the ``i``-th entry of selector field ``name`` was written (shorthands and scalars included)."""
    raw = _raw(docs, origin, path)
    if isinstance(raw, list):
        return (*path, i)
    if not isinstance(raw, dict):
        return path
    return (*path, name, i) if isinstance(raw.get(name), list) else (*path, name)


def _check_sectors(
    docs: Mapping[str, SourceDocument], origin: Origin, base: KeyPath, sectors: Any, vocab: Vocabulary, log: IssueLog
) -> None:
    if not sectors or not vocab.sectors:
        return
    listed = _is_list(docs, origin, base)
    for i, code in enumerate(sectors):
        if code not in vocab.sectors:
            log.add(
                issue_at(
                    docs,
                    origin,
                    (*base, i) if listed else base,
                    f"unknown sector {code!r}",
                    value=show_value(code),
                    expected="a sector code of the world data",
                    suggestion=did_you_mean(code, vocab.sectors),
                )
            )


def _check_dates(
    docs: Mapping[str, SourceDocument], scenario: Scenario, log: IssueLog, from_command_line: bool
) -> None:
    end = scenario.horizon_end
    severity = Severity.WARNING if from_command_line else Severity.ERROR
    for section in ("rules", "agreements", "payments", "ecommerce", "cloud_regions", "connectivity"):
        for sourced in getattr(scenario, section):
            item = sourced.item
            dates: list[tuple[KeyPath, float | None]] = []
            timing = getattr(item, "timing", None)
            if timing is not None:
                dates += [(("timing", "announce"), timing.announce), (("timing", "enforce"), timing.effective)]
            for name in ("opens", "starts", "by"):
                if hasattr(item, name):
                    dates.append(((name,), getattr(item, name)))
            for path, year in dates:
                if year is not None and year >= end:
                    if not isinstance(_raw(docs, sourced.origin, ("timing",)), dict) and path[0] == "timing":
                        path = ("timing",)
                    log.add(
                        issue_at(
                            docs,
                            sourced.origin,
                            path,
                            "date outside the horizon"
                            + (" (never takes effect in this run)" if from_command_line else ""),
                            value=f"{year:g}",
                            expected=f"a date before the end of the last step ({end:g}: start_year "
                            f"{scenario.timeline.start_year:g} + {scenario.run.steps} steps × "
                            f"{scenario.timeline.step_years:g} y); or raise run.steps",
                            severity=severity,
                        )
                    )
            if timing is not None and timing.phase_in_years > end - scenario.timeline.start_year:
                log.add(warning_at(docs, sourced.origin, ("timing", "phase_in_years"), "phase-in longer than the run"))


def _check_parameters(scenario: Scenario, param_docs: Mapping[str, SourceDocument], log: IssueLog) -> None:
    for name, value in scenario.parameters.items():
        doc = param_docs[name]
        if name not in PARAMETERS:
            log.add(
                doc.issue(
                    ("parameters", name),
                    f"unknown parameter {name!r}",
                    key=True,
                    expected="a parameter of docs/parameters.md (dlsim params)",
                    suggestion=did_you_mean(name, PARAMETERS),
                )
            )
            continue
        p = PARAMETERS[name]
        problem = p.check(value)
        if problem:
            log.add(doc.issue(("parameters", name), f"{name} out of range", value=show_value(value), expected=problem))
        elif value in (p.minimum, p.maximum) and p.minimum != p.maximum:
            log.add(
                doc.issue(
                    ("parameters", name),
                    f"{name} at the edge of its range ({p.minimum:g}–{p.maximum:g})",
                    value=show_value(value),
                    severity=Severity.WARNING,
                )
            )


def _plausibility(docs: Mapping[str, SourceDocument], scenario: Scenario, log: IssueLog) -> None:
    for sourced in scenario.rules:
        rule = sourced.item
        if rule.regime == "none" and rule.safeguards is not None and str(rule.safeguards) in STRONG_SAFEGUARDS:
            log.add(
                warning_at(
                    docs, sourced.origin, ("safeguards",), "regime 'none' (no data rules) with a data-protection law"
                )
            )
        if rule.safeguards is not None and (rule.data or rule.sectors):
            log.add(
                warning_at(
                    docs,
                    sourced.origin,
                    ("safeguards",),
                    "safeguards apply to the whole economy, not only to the data categories or sectors listed",
                )
            )
    for sourced in scenario.connectivity:
        item = sourced.item
        starts = item.starts if item.starts is not None else scenario.timeline.start_year
        years = max(item.by - starts, scenario.timeline.step_years)
        if item.add_points / years > MAX_PLAUSIBLE_POINTS_PER_YEAR:
            log.add(
                warning_at(
                    docs,
                    sourced.origin,
                    ("add_points",),
                    f"internet use rising {item.add_points / years:.1f} points a year is implausibly fast",
                    expected=f"at most about {MAX_PLAUSIBLE_POINTS_PER_YEAR:g} points a year",
                )
            )
    for sourced in scenario.agreements:
        item = sourced.item
        w = item.waive
        changes = (
            w.transfer_conditions,
            w.localisation,
            w.bans,
            w.payment_friction,
            item.trade_agreement,
            item.harmonise,
        )
        if item.bloc is not None and all(v is None for v in changes) and item.join is None:
            log.add(warning_at(docs, sourced.origin, (), f"agreement on {item.key} changes nothing"))
    origin_file = str(scenario.chain[-1])
    if scenario.run.firms < MIN_FIRMS_FOR_STATISTICS:
        log.add(_run_warning(docs, origin_file, "firms", f"fewer than {MIN_FIRMS_FOR_STATISTICS} firms: noisy metrics"))
    if scenario.run.replicates < MIN_REPLICATES_FOR_CI:
        log.add(_run_warning(docs, origin_file, "replicates", "one replicate gives no confidence interval"))


def _run_warning(docs: Mapping[str, SourceDocument], file: str, key: str, message: str) -> Issue:
    for doc in reversed(list(docs.values())):
        if isinstance(doc.data, dict) and isinstance(doc.data.get("run"), dict) and key in doc.data["run"]:
            return doc.issue(("run", key), message, severity=Severity.WARNING)
    return Issue("<command line>", None, None, ("run", key), message, severity=Severity.WARNING)


def check_scenario(
    scenario: Scenario,
    vocab: Vocabulary,
    docs: Mapping[str, SourceDocument],
    param_docs: Mapping[str, SourceDocument],
    log: IssueLog,
    *,
    horizon_from_command_line: bool = False,
) -> None:
    """Check names, ranges, dates and precedence conflicts of a merged scenario, recording issues in ``log``."""
    _check_parameters(scenario, param_docs, log)
    group_origins = {s.origin for s in scenario.groups.values()}
    for origin, base, selector in _selectors(scenario):
        _check_selector(docs, origin, base, selector, vocab, scenario, log, in_group=origin in group_origins)
    for sourced in scenario.rules:
        _check_sectors(docs, sourced.origin, ("sectors",), sourced.item.sectors, vocab, log)
    for sourced in scenario.agreements:
        if sourced.item.harmonise is not None:
            _check_sectors(docs, sourced.origin, ("harmonise", "sectors"), sourced.item.harmonise.sectors, vocab, log)
    _check_dates(docs, scenario, log, horizon_from_command_line)
    _plausibility(docs, scenario, log)
    if vocab.knows_world and not log.errors:
        from simulator.scenario.resolution import resolve_policy

        policy = resolve_policy(scenario, vocab.economies, vocab.sectors or ("*",), vocab)
        for c in policy.conflicts:
            what = " / ".join(c.cell)
            log.add(
                issue_at(
                    docs,
                    c.second,
                    (),
                    f"conflicts with {c.first.label} on {what}: equally specific, same date, same file",
                    value=f"{c.values[1]} vs {c.values[0]}",
                    expected="make one rule more specific, give them different dates, or merge them",
                )
            )

"""Load a scenario file: read it safely, follow its ``extends`` chain, validate, merge, check names and dates.

``load_scenario`` returns a ``Scenario``: the merged, validated scenario, with every item tagged with the file and
line it came from, and the warnings found. Any error in any file of the chain raises one ``ScenarioError`` listing
every error of that file (never another exception).

Merging along ``extends`` (root first, the file given last):

- ``header`` and ``name`` are the file's own;
- ``timeline``, ``run`` and ``parameters`` are merged key by key, the later file winning;
- ``groups`` are merged by name, the later file winning;
- ``behaviours`` are merged by kind: a later file choosing another rule replaces the choice, one naming the same rule
  merges its ``params`` key by key (the later file winning);
- list sections are concatenated, the later file last; an item whose ``id`` matches an inherited item replaces it in
  place, and ``drop`` removes inherited items by ``id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.scenario.errors import Issue, IssueLog, KeyPath, ScenarioError, Severity, did_you_mean, show_value
from simulator.scenario.migrations import describe, find_key_changes
from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.schema import (
    LIST_SECTIONS,
    SCHEMA_VERSION,
    Header,
    RunSettings,
    ScenarioFile,
    Selector,
    SweepSection,
    TimelineSettings,
)
from simulator.scenario.vocabulary import Vocabulary
from simulator.scenario.yamlsource import SourceDocument, read_yaml

SCENARIO_SUFFIXES = (".yaml", ".yml")
"""File endings of scenario files."""

COMMAND_LINE = "<command line>"
"""Pseudo file name of settings given as command-line flags."""


@dataclass(frozen=True)
class Origin:
    """Where an item of a merged scenario was written.

    Attributes:
        file: The file.
        line: Its line (``None`` if unknown).
        path: Key path of the item in that file.
        layer: Position of the file in the ``extends`` chain (0 = root); later layers win ties.
        index: Position of the item in its merged section.
    """

    file: str
    line: int | None
    path: KeyPath
    layer: int
    index: int = 0

    @property
    def label(self) -> str:
        """``file:line key.path`` for messages and provenance."""
        from simulator.scenario.errors import format_path

        where = Path(self.file).name + (f":{self.line}" if self.line else "")
        return f"{where} {format_path(self.path)}"


@dataclass(frozen=True)
class Sourced[T]:
    """An item of a merged scenario together with where it was written."""

    item: T
    origin: Origin


@dataclass(frozen=True)
class ChosenBehaviour:
    """The behaviour a scenario chooses for one kind, with where each part was written.

    Only the shape is checked here; the rule and its parameters are checked against the behaviours' own declarations
    when the run is assembled (the scenario layer knows nothing of the model).

    Attributes:
        rule: Name of the rule.
        params: Values of its own parameters set along the chain.
        origin: Where the rule is chosen (``behaviours.<kind>.rule``).
        param_origins: Where each parameter value is set.
    """

    rule: str
    params: Mapping[str, float]
    origin: Origin
    param_origins: Mapping[str, Origin]


@dataclass(frozen=True)
class Scenario:
    """A scenario resolved along its ``extends`` chain, validated and merged.

    Attributes:
        name: Scenario name.
        path: The file loaded.
        chain: Files of the ``extends`` chain, root first (the file loaded last).
        header: The file's own header.
        timeline: Start year and step length.
        run: Run settings (file values, then command-line overrides).
        parameters: Parameter overrides (only those the chain sets).
        groups: Custom groups by name.
        rules, agreements, payments, connectivity, cloud_regions, ecommerce: Merged items, in precedence order.
        sweep: The sweep section of the last file of the chain that has one (``None`` if none has).
        behaviours: Behaviour chosen per kind (only the kinds the chain chooses; the others keep their default).
        warnings: Legal but implausible values found.
    """

    name: str
    path: Path
    chain: tuple[Path, ...]
    header: Header
    timeline: TimelineSettings
    run: RunSettings
    parameters: Mapping[str, float]
    groups: Mapping[str, Sourced[Selector]]
    rules: tuple[Sourced[Any], ...] = ()
    agreements: tuple[Sourced[Any], ...] = ()
    payments: tuple[Sourced[Any], ...] = ()
    connectivity: tuple[Sourced[Any], ...] = ()
    cloud_regions: tuple[Sourced[Any], ...] = ()
    ecommerce: tuple[Sourced[Any], ...] = ()
    sweep: Sourced[SweepSection] | None = None
    behaviours: Mapping[str, ChosenBehaviour] = field(default_factory=dict)
    warnings: tuple[Issue, ...] = field(default_factory=tuple)

    @property
    def horizon_end(self) -> float:
        """Calendar year at the end of the last step."""
        return self.timeline.start_year + self.run.steps * self.timeline.step_years

    def parameter_values(self, calibration: Mapping[str, float] | None) -> dict[str, float]:
        """Return every model parameter: the declared defaults, a world's calibration, then this scenario's overrides.

        Args:
            calibration: Fitted values of the world the scenario runs on (``World.calibration``; required, so that
                no caller forgets it: ``None`` for the declared defaults alone).
        """
        values = {**PARAMETERS.defaults(), **(calibration or {})}
        values.update(self.parameters)
        return values

    def behaviour_choice(self) -> dict[str, dict[str, Any]]:
        """Return the behaviour choice as plain data: kind → ``{"rule": name, "params": {name: value}}``."""
        return {kind: {"rule": c.rule, "params": dict(c.params)} for kind, c in self.behaviours.items()}

    def summary(self) -> str:
        """One line: name, title, extends chain, counts of items, horizon."""
        counts = ", ".join(f"{len(getattr(self, s))} {s}" for s in LIST_SECTIONS if getattr(self, s))
        chain = " → ".join(p.stem for p in self.chain)
        return (
            f"{self.name}: {self.header.title!r} [{chain}] {counts or 'no overrides'}; "
            f"{self.run.steps} steps of {self.timeline.step_years:g} y from {self.timeline.start_year:g}"
        )


@dataclass
class _Layer:
    doc: SourceDocument
    model: ScenarioFile
    index: int


# --- one file ---------------------------------------------------------------------------------------------------------


def _clean_loc(loc: Sequence[Any]) -> KeyPath:
    """Keep only the parts of a pydantic error location that are keys or list positions."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            out.append(part)
        elif isinstance(part, str) and not ("[" in part or part.startswith("function-")):
            out.append(part)
    return tuple(out)


def _all_field_names() -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        names.update(model.model_fields)
        for f in model.model_fields.values():
            for arg in _walk_types(f.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    visit(arg)

    visit(ScenarioFile)
    return names


def _walk_types(annotation: Any) -> list[Any]:
    import typing

    out = [annotation]
    for arg in typing.get_args(annotation):
        out.extend(_walk_types(arg))
    return out


FIELD_NAMES: frozenset[str] = frozenset()


TYPE_EXPECTATIONS = {
    "model_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "list_type": "a list (- item lines or [a, b])",
    "string_type": "text",
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
}
"""What to tell the author when pydantic reports a wrong type."""

SELECTOR_EXPECTATION = "'all', an economy code, a list of codes, or a mapping such as {region: AFR}"


def _expected_from(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    if "pattern" in ctx:
        return f"a name matching {ctx['pattern']}"
    bounds = [f"{k} {ctx[k]}" for k in ("ge", "gt", "le", "lt") if k in ctx]
    if bounds:
        words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
        return "a number " + " and ".join(f"{words[b.split()[0]]} {b.split()[1]}" for b in bounds)
    return ""


def _pydantic_issues(doc: SourceDocument, exc: ValidationError, skip: set[KeyPath]) -> list[Issue]:
    global FIELD_NAMES
    if not FIELD_NAMES:
        FIELD_NAMES = frozenset(_all_field_names())
    issues = []
    for error in exc.errors(include_url=False):
        path = _clean_loc(error["loc"])
        if path in skip:
            continue
        kind = error["type"]
        value = error.get("input")
        if kind == "extra_forbidden":
            key = path[-1] if path else ""
            issues.append(
                doc.issue(
                    path,
                    f"unknown key {key!r}",
                    key=True,
                    expected="one of the keys this section allows (see docs/scenario.schema.json)",
                    suggestion=did_you_mean(key, FIELD_NAMES),
                )
            )
            continue
        if kind == "missing":
            issues.append(doc.issue(path[:-1], f"missing required key {path[-1]!r}" if path else "missing value"))
            continue
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        suggestion = None
        expected = _expected_from(error)
        if kind in TYPE_EXPECTATIONS:
            expected = TYPE_EXPECTATIONS[kind]
            if kind == "model_type" and "Selector" in str(error.get("ctx", {}).get("class_name", message)):
                expected = SELECTOR_EXPECTATION
            message = "wrong type"
        if kind in ("enum", "literal_error"):
            allowed = [a.strip(" '") for a in expected.replace(" or ", ",").split(",") if a.strip(" '")]
            suggestion = did_you_mean(value, allowed)
            message = "not an allowed value"
        issues.append(
            doc.issue(
                doc.known_prefix(path) if path not in doc.values else path,
                message if path in doc.values or not path else f"{message} (at {'.'.join(map(str, path))})",
                value=show_value(value) if not isinstance(value, dict | list) else "",
                expected=expected,
                suggestion=suggestion,
            )
        )
    return issues


def parse_scenario_file(path: Path | str) -> _Layer:
    """Read and validate one scenario file on its own (no ``extends``, no world names).

    Raises:
        ScenarioError: Every error in the file.
    """
    doc = read_yaml(path)
    if doc.issues and not isinstance(doc.data, dict):
        raise ScenarioError(doc.issues)
    if not isinstance(doc.data, dict):
        raise ScenarioError(
            [doc.issue((), "the document must be a mapping of keys", value=show_value(doc.data), expected="key: value")]
        )
    log = IssueLog()
    skip: set[KeyPath] = set()
    for issue in doc.issues:
        log.add(issue)
        skip.add(issue.path)
    for key_path, change in find_key_changes(doc.data):
        log.add(doc.issue(key_path, describe(change), key=True, suggestion=change.new))
        skip.add(key_path)
        if change.new:
            skip.add((*key_path[:-1], change.new))
    if "schema_version" not in doc.data and "version" not in doc.data:
        log.add(doc.issue((), "missing required key 'schema_version'", expected=f"schema_version: {SCHEMA_VERSION}"))
        skip.add(("schema_version",))
    try:
        model = ScenarioFile.model_validate(doc.data)
    except ValidationError as exc:
        for issue in _pydantic_issues(doc, exc, skip):
            log.add(issue)
        log.raise_if_errors()
        raise ScenarioError([doc.issue((), "invalid scenario")]) from None
    log.raise_if_errors()
    return _Layer(doc, model, 0)


# --- the extends chain -----------------------------------------------------------------------------------------------


def _candidates(name: str, base_dir: Path, search_path: Sequence[Path]) -> list[Path]:
    if name.endswith(SCENARIO_SUFFIXES) or "/" in name:
        return [(base_dir / name).resolve()]
    dirs = [base_dir, *search_path]
    return [(d / f"{name}{suffix}").resolve() for d in dirs for suffix in SCENARIO_SUFFIXES]


def _known_names(base_dir: Path, search_path: Sequence[Path]) -> list[str]:
    names: list[str] = []
    for d in [base_dir, *search_path]:
        if d.is_dir():
            names.extend(p.stem for p in d.iterdir() if p.suffix in SCENARIO_SUFFIXES)
    return names


def _load_chain(path: Path, search_path: Sequence[Path]) -> list[_Layer]:
    chain: list[_Layer] = []
    seen: list[Path] = []
    current = path.resolve() if path.exists() else path
    while True:
        layer = parse_scenario_file(current)
        chain.append(layer)
        seen.append(current)
        parent = layer.model.extends
        if parent is None:
            break
        found = [c for c in _candidates(parent, current.parent, search_path) if c.is_file()]
        if not found:
            raise ScenarioError(
                [
                    layer.doc.issue(
                        ("extends",),
                        f"extends an unknown scenario {parent!r}",
                        value=show_value(parent),
                        expected=f"the name of a scenario file next to {current.name}",
                        suggestion=did_you_mean(parent, _known_names(current.parent, search_path)),
                    )
                ]
            )
        nxt = found[0]
        if nxt in seen:
            cycle = " → ".join(p.name for p in [*seen[seen.index(nxt) :], nxt])
            raise ScenarioError([layer.doc.issue(("extends",), f"'extends' forms a cycle: {cycle}")])
        current = nxt
    chain.reverse()
    for i, layer in enumerate(chain):
        layer.index = i
    return chain


# --- merging --------------------------------------------------------------------------------------------------------


def _origin(layer: _Layer, path: KeyPath, index: int = 0) -> Origin:
    mark = layer.doc.mark(path)
    return Origin(str(layer.doc.path), mark.line if mark else None, path, layer.index, index)


def _merge_settings(chain: Sequence[_Layer], section: str, model: type[BaseModel]) -> Any:
    values: dict[str, Any] = {}
    for layer in chain:
        part = getattr(layer.model, section)
        if part is not None:
            values.update({k: getattr(part, k) for k in part.model_fields_set})
    return model.model_validate(values)


def _merge_lists(chain: Sequence[_Layer], section: str, log: IssueLog) -> tuple[Sourced[Any], ...]:
    merged: list[Sourced[Any]] = []
    for layer in chain:
        inherited_ids = {s.item.id: i for i, s in enumerate(merged) if s.item.id is not None}
        for j, item in enumerate(getattr(layer.model, section)):
            sourced = Sourced(item, _origin(layer, (section, j)))
            if item.id is not None and item.id in inherited_ids and layer.index > 0:
                merged[inherited_ids[item.id]] = sourced
            else:
                merged.append(sourced)
    return tuple(Sourced(s.item, Origin(**{**s.origin.__dict__, "index": i})) for i, s in enumerate(merged))


def _merge_behaviours(chain: Sequence[_Layer]) -> dict[str, ChosenBehaviour]:
    merged: dict[str, ChosenBehaviour] = {}
    for layer in chain:
        for kind, choice in layer.model.behaviours.items():
            at = ("behaviours", kind)
            origin = _origin(layer, (*at, "rule"))
            here = {name: _origin(layer, (*at, "params", name)) for name in choice.params}
            old = merged.get(kind)
            if old is not None and old.rule == choice.rule:
                params = {**old.params, **choice.params}
                origins = {**old.param_origins, **here}
            else:
                params, origins = dict(choice.params), here
            merged[kind] = ChosenBehaviour(choice.rule, params, origin, origins)
    return merged


def _apply_drops(chain: Sequence[_Layer], sections: dict[str, tuple[Sourced[Any], ...]], log: IssueLog) -> None:
    for layer in chain:
        for j, item_id in enumerate(layer.model.drop):
            known = [s.item.id for items in sections.values() for s in items if s.item.id is not None]
            hit = False
            for name, items in sections.items():
                kept = tuple(s for s in items if not (s.item.id == item_id and s.origin.layer < layer.index))
                hit |= len(kept) != len(items)
                sections[name] = kept
            if not hit:
                log.add(
                    layer.doc.issue(
                        ("drop", j),
                        f"no inherited item has id {item_id!r}",
                        value=show_value(item_id),
                        suggestion=did_you_mean(item_id, known),
                    )
                )


def load_scenario(
    path: Path | str,
    vocabulary: Vocabulary | None = None,
    *,
    search_path: Sequence[Path | str] = (),
    run_overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load, merge and validate a scenario file and the files it extends.

    Args:
        path: The scenario file.
        vocabulary: Known economies, sectors and memberships (``simulator.world.compile.vocabulary``); without it,
            economy and sector codes are only checked for their form.
        search_path: Further directories where ``extends`` names are looked up (after the file's own directory).
        run_overrides: Run settings given on the command line (``firms``, ``steps``, ``replicates``, ``seed``);
            ``None`` values are ignored.

    Returns:
        The merged scenario, with its warnings.

    Raises:
        ScenarioError: Every error found in the first invalid file of the chain, or in the merged scenario.
    """
    from simulator.scenario.checks import check_scenario

    path = Path(path)
    vocabulary = vocabulary or Vocabulary.from_taxonomy()
    chain = _load_chain(path, [Path(p) for p in search_path])
    log = IssueLog()
    timeline = _merge_settings(chain, "timeline", TimelineSettings)
    run = _merge_settings(chain, "run", RunSettings)
    overrides = {k: v for k, v in (run_overrides or {}).items() if v is not None}
    if overrides:
        try:
            run = RunSettings.model_validate({**run.model_dump(), **overrides})
        except ValidationError as exc:
            raise ScenarioError(
                [
                    Issue(COMMAND_LINE, None, None, _clean_loc(e["loc"]), e["msg"], value=show_value(e.get("input")))
                    for e in exc.errors(include_url=False)
                ]
            ) from None
    parameters: dict[str, float] = {}
    groups: dict[str, Sourced[Selector]] = {}
    for layer in chain:
        parameters.update(layer.model.parameters)
        for name, selector in layer.model.groups.items():
            groups[name] = Sourced(selector, _origin(layer, ("groups", name)))
    sections = {s: _merge_lists(chain, s, log) for s in LIST_SECTIONS}
    _apply_drops(chain, sections, log)
    sweep = None
    for layer in chain:  # the whole section of the last file that has one
        if layer.model.sweep is not None:
            sweep = Sourced(layer.model.sweep, _origin(layer, ("sweep",)))
    top = chain[-1]
    scenario = Scenario(
        name=top.model.name or path.stem,
        path=path,
        chain=tuple(layer.doc.path for layer in chain),
        header=top.model.header,
        timeline=timeline,
        run=run,
        parameters=parameters,
        groups=groups,
        sweep=sweep,
        behaviours=_merge_behaviours(chain),
        **sections,
    )
    docs = {str(layer.doc.path): layer.doc for layer in chain}
    param_origins = {}
    for layer in chain:
        for name in layer.model.parameters:
            param_origins[name] = layer.doc
    check_scenario(scenario, vocabulary, docs, param_origins, log, horizon_from_command_line=bool(overrides))
    if sweep is not None:
        from simulator.scenario.sweeps import check_sweep

        check_sweep(scenario, vocabulary, docs, log)
    log.raise_if_errors()
    return Scenario(**{**scenario.__dict__, "warnings": tuple(log.warnings)})


def issue_at(docs: Mapping[str, SourceDocument], origin: Origin, sub: KeyPath, message: str, **details: Any) -> Issue:
    """Make an issue at ``sub`` inside the item written at ``origin``."""
    doc = docs.get(origin.file)
    if doc is None:
        return Issue(origin.file, origin.line, None, (*origin.path, *sub), message, **details)
    return doc.issue((*origin.path, *sub), message, **details)


def warning_at(docs: Mapping[str, SourceDocument], origin: Origin, sub: KeyPath, message: str, **details: Any) -> Issue:
    """Like ``issue_at`` but a warning."""
    return issue_at(docs, origin, sub, message, severity=Severity.WARNING, **details)

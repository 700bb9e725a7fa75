"""The behaviour registry: named rules of each kind, their own parameters, plugins, and the choice of a run.

A *behaviour* is a rule of one *kind* (a step of the model a researcher may swap) registered under a name, with the
parameters it declares for itself (``Parameter`` declarations, like every model parameter) and the version of the
behaviour interface it was written for (``BEHAVIOUR_API``). Kinds and the call of their rules:

- ``government_policy``: ``rule(model) -> adoptions`` (at the start of each step, before the governments apply their
  events: the governments' decisions to adopt the schedule's contingent rules, ``simulator.model.government``);
- ``hosting_choice``: ``rule(model, reconsider) -> HostingChoice`` (the hosting mode of the firms in ``reconsider``,
  and every firm's unit cost, ``simulator.model.hosting``);
- ``trade_choice``: ``rule(model) -> TradeResult`` (prices and flows on every link, ``simulator.model.trade``);
- ``innovation``: ``rule(model) -> InnovationResult`` (``simulator.model.innovation``);
- ``market_search``: ``rule(model, firms) -> destinations`` (one candidate export market per firm, -1 = none);
- ``supplier_search``: ``rule(model, buyers) -> suppliers`` (one candidate supplier slot per buyer, -1 = none);
- ``exit``: ``rule(model) -> exiting`` (bool per firm slot: the firms that exit at the end of the step);
- ``entry``: ``rule(model) -> entrants`` (int per economy × sector: the firms that enter this step).

Each kind is one stage of the step (``simulator.model.stages``). A rule is a function, or a class whose instances
are called like the function: a class is instantiated once per model (``rule()``, or ``rule(params=...)`` if it
declares parameters), so that the state and caches it keeps are its own and travel with the model it belongs to
(copies and branches of a model copy them).

A rule that declares parameters also receives ``params=`` (a dict of its declared parameters: defaults overridden
by the run's choice). Behaviours come from three places, looked up in this order:

1. this package and any code that calls ``register`` (``@register("innovation", "my_rule")``);
2. Python files named in the environment variable ``DLSIM_BEHAVIOURS`` (paths separated by ``os.pathsep``), imported
   once when a name is not found among the registered ones (quick experiments; worker processes inherit the variable);
3. installed packages' entry points in the group ``dlsim.behaviours``, named ``<kind>.<name>`` and pointing at a
   ``Behaviour`` (loaded only when that name is chosen, or when every behaviour is listed).

A run's choice is plain data, kind → rule name or ``{"rule": name, "params": {name: value}}``; ``check_choice``
returns every problem in it (unknown kind or rule, undeclared or out-of-range parameter) with its key path inside the
``behaviours`` section, so that the caller can point at the file and line it came from.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.scenario.errors import did_you_mean
from simulator.scenario.parameters import PARAMETERS, Parameter, ParameterSet

logger = logging.getLogger(__name__)

BEHAVIOUR_API = 1
"""Version of the behaviour interface (kinds, the call of each kind's rule, ``Behaviour``'s fields).

Raised when a change would break a rule written for the previous version; a behaviour declares the version it was
written for (``Behaviour.api``) and one written for another version is refused with both versions named.
"""

ENTRY_POINT_GROUP = "dlsim.behaviours"
"""Entry-point group of third-party behaviours: ``<kind>.<name> = package.module:BEHAVIOUR``."""

LOCAL_FILES_ENV = "DLSIM_BEHAVIOURS"
"""Environment variable naming Python files of behaviours to import (separated by ``os.pathsep``)."""

KINDS: tuple[str, ...] = (
    "government_policy",
    "hosting_choice",
    "trade_choice",
    "innovation",
    "market_search",
    "supplier_search",
    "exit",
    "entry",
)
"""Kinds of behaviour a run can choose."""

KIND_CALLS: dict[str, str] = {
    "hosting_choice": "rule(model, reconsider) -> HostingChoice (hosting modes of the reconsidering firms updated in "
    "firms.hosting and firms.access; per slot: cost, local_share, fixed, compliance, unit_cost; local_price per "
    "economy)",
    "trade_choice": "rule(model) -> TradeResult (prices and flows on every market link and supplier slot)",
    "exit": "rule(model) -> bool array per firm slot, the firms that exit at the end of the step",
    "entry": "rule(model) -> int array (economies, sectors), the firms that enter this step",
    "innovation": "rule(model) -> InnovationResult (arrays per firm slot: phi, innovated, rd)",
    "market_search": "rule(model, firms) -> int array, one candidate export market per firm (-1 = none)",
    "supplier_search": "rule(model, buyers) -> int array, one candidate supplier slot per buyer (-1 = none)",
    "government_policy": "rule(model) -> tuple of Adoption, the governments' decisions this step (adopted through "
    "Government.adopt)",
}
"""How the model calls a rule of each kind (shown in errors and ``dlsim params``)."""

DEFAULTS: dict[str, str] = {
    "hosting_choice": "least_cost",
    "trade_choice": "ces_logit",
    "exit": "loss_streak",
    "entry": "reference_margin",
    "innovation": "schumpeterian",
    "market_search": "gravity",
    "supplier_search": "gravity",
    "government_policy": "scheduled",
}
"""The rule of each kind when a run chooses none."""

BUILT_IN = "built-in"
"""``Behaviour.origin`` of the behaviours shipped in this package."""


class BehaviourError(ValueError):
    """A behaviour choice or a behaviour declaration that cannot be used.

    Attributes:
        problems: Every problem found, each with its key path inside the ``behaviours`` section.
    """

    def __init__(self, problems: Iterable[BehaviourProblem]) -> None:
        self.problems: list[BehaviourProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid behaviour choice")


@dataclass(frozen=True)
class BehaviourProblem:
    """One problem with a behaviour choice.

    Attributes:
        path: Key path inside the ``behaviours`` section, e.g. ``("innovation", "params", "rate")``.
        message: What is wrong.
        value: The value given, rendered (empty when not relevant).
        expected: What was expected.
        suggestion: A close known name, if any.
    """

    path: tuple[str, ...]
    message: str
    value: str = ""
    expected: str = ""
    suggestion: str | None = None

    def __str__(self) -> str:
        parts = [f"behaviours.{'.'.join(self.path)}: {self.message}" if self.path else self.message]
        if self.value:
            parts.append(f"got {self.value}")
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.suggestion:
            parts.append(f"did you mean {self.suggestion!r}?")
        return "; ".join(parts)


@dataclass(frozen=True)
class Behaviour:
    """A rule of one kind, registered under a name, with its own parameters.

    Attributes:
        kind: One of ``KINDS``.
        name: The name a scenario chooses it by (``[A-Za-z][A-Za-z0-9_-]*``).
        rule: The function the model calls (see ``KIND_CALLS``), or a class instantiated once per model whose
            instances are called so; it receives ``params=`` if ``parameters`` is not empty (a class, when it is
            instantiated).
        api: The version of the behaviour interface it was written for (compared with ``BEHAVIOUR_API``).
        parameters: Its own parameters (unit, default, range, meaning, source), set under ``params`` in a scenario.
        summary: One line on what it does (default: the first line of the rule's docstring).
        origin: Where it comes from: ``built-in``, a file, or ``plugin <distribution> <version>``.
        constraints: Checks between its parameters that ranges cannot express: ``constraints(values)`` returns
            ``(parameter, what is expected)`` for every violation (values: defaults overridden by the choice).
    """

    kind: str
    name: str
    rule: Callable[..., Any]
    api: int
    parameters: ParameterSet = field(default_factory=lambda: ParameterSet(()))
    summary: str = ""
    origin: str = BUILT_IN
    constraints: Callable[[Mapping[str, float]], list[tuple[str, str]]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.parameters, ParameterSet):
            object.__setattr__(self, "parameters", ParameterSet(tuple(self.parameters)))
        if not self.summary:
            doc = (getattr(self.rule, "__doc__", None) or "").strip()
            object.__setattr__(self, "summary", doc.splitlines()[0] if doc else "")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the rule once (with its default parameters if it declares any and none are given)."""
        params = kwargs.pop("params", None)
        return self.bind(params)(*args, **kwargs)

    @property
    def stateful(self) -> bool:
        """Whether the rule is a class (instantiated once per model, keeping its own state)."""
        return isinstance(self.rule, type)

    def bind(self, values: Mapping[str, float] | None = None) -> Callable[..., Any]:
        """Return what one model calls: the rule (a new instance for a class), with ``params`` bound if it declares any.

        ``params`` are the defaults overridden by ``values``.
        """
        if not self.parameters:
            return self.rule() if self.stateful else self.rule
        params = {**self.parameters.defaults(), **dict(values or {})}
        if self.stateful:
            return self.rule(params=params)
        return functools.partial(self.rule, params=params)


REGISTRY: dict[str, dict[str, Behaviour]] = {kind: {} for kind in KINDS}
"""Every behaviour loaded so far, by kind and name (plugins are added when first chosen or listed)."""

_loaded_files: set[Path] = set()


def _check_api(behaviour: Behaviour, where: str) -> None:
    if behaviour.api != BEHAVIOUR_API:
        raise BehaviourError(
            [
                BehaviourProblem(
                    (),
                    f"{where} ({behaviour.kind} rule {behaviour.name!r}) targets behaviour API {behaviour.api}, but "
                    f"this dlsim provides behaviour API {BEHAVIOUR_API}",
                    expected=f"a version of it written for behaviour API {BEHAVIOUR_API}",
                    suggestion=None,
                )
            ]
        )


def add(behaviour: Behaviour, where: str | None = None) -> Behaviour:
    """Add a behaviour to the registry after checking its kind, interface version and name.

    Raises:
        BehaviourError: Unknown kind, another interface version, or a name already taken by another rule.
    """
    where = where or f"behaviour {behaviour.name!r}"
    if behaviour.kind not in REGISTRY:
        raise BehaviourError(
            [
                BehaviourProblem(
                    (),
                    f"{where} has an unknown kind {behaviour.kind!r}",
                    expected="one of " + ", ".join(KINDS),
                    suggestion=did_you_mean(behaviour.kind, KINDS),
                )
            ]
        )
    _check_api(behaviour, where)
    existing = REGISTRY[behaviour.kind].get(behaviour.name)
    if existing is not None and existing.rule is not behaviour.rule:
        raise BehaviourError(
            [
                BehaviourProblem(
                    (),
                    f"{where}: {behaviour.kind} rule {behaviour.name!r} is already registered ({existing.origin})",
                    expected="a name not yet taken",
                )
            ]
        )
    REGISTRY[behaviour.kind][behaviour.name] = behaviour
    return behaviour


def register(
    kind: str,
    name: str,
    *,
    parameters: Iterable[Parameter] = (),
    api: int = BEHAVIOUR_API,
    summary: str = "",
    constraints: Callable[[Mapping[str, float]], list[tuple[str, str]]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return a decorator that registers a rule of ``kind`` under ``name`` (the function itself is returned).

    Args:
        kind: One of ``KINDS``.
        name: The name scenarios choose it by.
        parameters: Its own parameters; the rule then receives ``params=`` (a dict of their values).
        api: The behaviour interface version the rule was written for.
        summary: One line on what it does (default: the first line of the docstring).
        constraints: Checks between its parameters (see ``Behaviour.constraints``).
    """
    if kind not in REGISTRY:
        raise BehaviourError(
            [BehaviourProblem((), f"unknown behaviour kind {kind!r}", expected="one of " + ", ".join(KINDS))]
        )

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        module = getattr(fn, "__module__", "") or ""
        origin = BUILT_IN if module.startswith("simulator.") else f"module {module}"
        source = getattr(sys.modules.get(module), "__file__", None)
        if module.startswith("dlsim_local_behaviours.") and source:
            origin = f"file {source}"
        add(Behaviour(kind, name, fn, api, ParameterSet(tuple(parameters)), summary, origin, constraints))
        return fn

    return deco


# --- plugins ----------------------------------------------------------------------------------------------------------


def local_files() -> list[Path]:
    """The Python files named in ``DLSIM_BEHAVIOURS``."""
    text = os.environ.get(LOCAL_FILES_ENV, "")
    return [Path(p).expanduser().resolve() for p in text.split(os.pathsep) if p.strip()]


def load_local_files() -> None:
    """Import the files of ``DLSIM_BEHAVIOURS`` not imported yet (each registers its rules).

    Raises:
        BehaviourError: A file is missing or raises on import.
    """
    for path in local_files():
        if path in _loaded_files:
            continue
        if not path.is_file():
            raise BehaviourError(
                [
                    BehaviourProblem(
                        (),
                        f"{LOCAL_FILES_ENV} names {path}, which is not a file",
                        expected="paths of Python files that register behaviours, separated by " + repr(os.pathsep),
                    )
                ]
            )
        module_name = f"dlsim_local_behaviours.{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise BehaviourError([BehaviourProblem((), f"{path}: cannot be imported as a Python file")])
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # so that its rules pickle and deep-copy by reference
        _loaded_files.add(path)
        try:
            spec.loader.exec_module(module)
        except BehaviourError as exc:
            raise BehaviourError(BehaviourProblem((), f"{path}: {p}") for p in exc.problems) from None
        except Exception as exc:
            _loaded_files.discard(path)
            sys.modules.pop(module_name, None)
            raise BehaviourError(
                [BehaviourProblem((), f"{path} (from {LOCAL_FILES_ENV}) failed on import: {type(exc).__name__}: {exc}")]
            ) from exc


def _entry_points() -> dict[tuple[str, str], importlib.metadata.EntryPoint]:
    out = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        kind, _, name = ep.name.partition(".")
        out[(kind, name)] = ep
    return out


def _plugin_label(ep: importlib.metadata.EntryPoint) -> str:
    dist = ep.dist
    who = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
    return f"plugin {who}"


def load_entry_point(ep: importlib.metadata.EntryPoint) -> Behaviour:
    """Load one ``dlsim.behaviours`` entry point, check it and add it to the registry.

    Raises:
        BehaviourError: It fails on import, is not a ``Behaviour``, names another kind or rule than its entry point,
            or targets another behaviour interface version.
    """
    label = _plugin_label(ep)
    where = f"{label} (entry point {ep.name} = {ep.value})"
    try:
        obj = ep.load()
    except Exception as exc:
        raise BehaviourError([BehaviourProblem((), f"{where} failed on import: {type(exc).__name__}: {exc}")]) from exc
    if not isinstance(obj, Behaviour):
        api = getattr(obj, "api", None)
        if isinstance(api, int) and api != BEHAVIOUR_API:
            raise BehaviourError(
                [
                    BehaviourProblem(
                        (),
                        f"{where} targets behaviour API {api}, but this dlsim provides behaviour API {BEHAVIOUR_API}",
                        expected=f"a version of the plugin written for behaviour API {BEHAVIOUR_API}",
                    )
                ]
            )
        raise BehaviourError(
            [
                BehaviourProblem(
                    (),
                    f"{where} gives an object of type {type(obj).__name__}",
                    expected="a simulator.model.registry.Behaviour",
                )
            ]
        )
    if f"{obj.kind}.{obj.name}" != ep.name:
        raise BehaviourError(
            [
                BehaviourProblem(
                    (),
                    f"{where} declares {obj.kind}.{obj.name}",
                    expected=f"the entry point named <kind>.<name>: {obj.kind}.{obj.name}",
                )
            ]
        )
    _check_api(obj, where)
    if obj.origin == BUILT_IN:
        object.__setattr__(obj, "origin", label)
    return add(obj, where)


def lookup(kind: str, name: str) -> Behaviour | None:
    """Return the behaviour ``kind``/``name``, importing local files and the plugin that provides it if needed.

    Raises:
        BehaviourError: A local file or the plugin providing the name cannot be loaded.
    """
    if name in REGISTRY.get(kind, {}):
        return REGISTRY[kind][name]
    load_local_files()
    if name in REGISTRY.get(kind, {}):
        return REGISTRY[kind][name]
    ep = _entry_points().get((kind, name))
    if ep is None:
        return None
    return load_entry_point(ep)


def available(kind: str) -> list[str]:
    """Names of every rule of ``kind`` that can be chosen (plugins included, without loading them)."""
    try:
        load_local_files()
    except BehaviourError:
        logger.warning("behaviour files of %s not loaded", LOCAL_FILES_ENV, exc_info=True)
    names = set(REGISTRY.get(kind, {})) | {n for (k, n) in _entry_points() if k == kind}
    return sorted(names)


def all_behaviours() -> tuple[list[Behaviour], list[str]]:
    """Every behaviour (plugins and local files loaded) and the problems of those that could not be loaded."""
    problems: list[str] = []
    try:
        load_local_files()
    except BehaviourError as exc:
        problems.append(str(exc))
    for (kind, name), ep in sorted(_entry_points().items()):
        if name in REGISTRY.get(kind, {}):
            continue
        try:
            load_entry_point(ep)
        except BehaviourError as exc:
            problems.append(str(exc))
    return [b for kind in KINDS for b in REGISTRY[kind].values()], problems


# --- a run's choice ---------------------------------------------------------------------------------------------------

Choice = Mapping[str, "str | Mapping[str, Any]"]
"""A run's choice of behaviours: kind → rule name, or ``{"rule": name, "params": {name: value}}``."""


def _entry(value: Any) -> tuple[Any, Any]:
    if isinstance(value, Mapping):
        return value.get("rule"), value.get("params") or {}
    return value, {}


def check_choice(choice: Choice | None) -> list[BehaviourProblem]:
    """Return every problem of a run's choice (empty if it can be used).

    Checked: each kind is known, each rule is registered (or provided by a local file or an installed plugin), each
    parameter is declared by the chosen rule, and each value is within its declared range.
    """
    problems: list[BehaviourProblem] = []
    for kind, value in (choice or {}).items():
        if kind not in REGISTRY:
            problems.append(
                BehaviourProblem(
                    (str(kind),),
                    f"unknown behaviour kind {kind!r}",
                    expected="one of " + ", ".join(KINDS),
                    suggestion=did_you_mean(kind, KINDS),
                )
            )
            continue
        name, params = _entry(value)
        if not isinstance(params, Mapping):
            problems.append(
                BehaviourProblem((kind, "params"), "wrong type", value=repr(params), expected="a mapping name → number")
            )
            continue
        try:
            behaviour = lookup(kind, name) if isinstance(name, str) else None
        except BehaviourError as exc:
            problems.extend(BehaviourProblem((kind, "rule"), str(p)) for p in exc.problems)
            continue
        if behaviour is None:
            known = available(kind)
            problems.append(
                BehaviourProblem(
                    (kind, "rule"),
                    f"unknown {kind} rule {name!r}",
                    expected="one of the registered rules: " + ", ".join(known),
                    suggestion=did_you_mean(name, known)
                    or f"install the plugin that provides it (entry-point group {ENTRY_POINT_GROUP}), or name its "
                    f"file in {LOCAL_FILES_ENV}",
                )
            )
            continue
        problems.extend(_check_params(behaviour, params))
    return problems


def _check_params(behaviour: Behaviour, params: Mapping[str, Any]) -> list[BehaviourProblem]:
    out = []
    declared = behaviour.parameters
    for pname, value in params.items():
        path = (behaviour.kind, "params", str(pname))
        if pname not in declared:
            if declared:
                expected = f"a parameter of {behaviour.name}: " + ", ".join(declared)
                hint = did_you_mean(pname, declared)
            else:
                expected = f"nothing: {behaviour.kind} rule {behaviour.name!r} declares no parameters of its own"
                hint = None
            if pname in PARAMETERS:
                expected += f" ({pname} is a model-wide parameter: set it under 'parameters:')"
            out.append(BehaviourProblem(path, f"unknown parameter {pname!r}", expected=expected, suggestion=hint))
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(BehaviourProblem(path, "wrong type", value=repr(value), expected="a number"))
            continue
        problem = declared[pname].check(float(value))
        if problem is not None:
            out.append(BehaviourProblem(path, "out of range", value=f"{value!r}", expected=problem))
    if not out and behaviour.constraints is not None:
        values = {**declared.defaults(), **{k: float(v) for k, v in params.items()}}
        for pname, expected in behaviour.constraints(values):
            out.append(
                BehaviourProblem(
                    (behaviour.kind, "params", pname),
                    "inconsistent with the other parameters",
                    value=f"{values[pname]:g}",
                    expected=expected,
                )
            )
    return out


def chosen(choice: Choice | None) -> dict[str, tuple[Behaviour, dict[str, float]]]:
    """Return the behaviour of every kind and its parameter values (defaults overridden by ``choice``).

    Raises:
        BehaviourError: Every problem of the choice (``check_choice``).
    """
    problems = check_choice(choice)
    if problems:
        raise BehaviourError(problems)
    out: dict[str, tuple[Behaviour, dict[str, float]]] = {}
    picks = {kind: _entry(value) for kind, value in (choice or {}).items()}
    for kind in KINDS:
        name, params = picks.get(kind, (DEFAULTS[kind], {}))
        behaviour = lookup(kind, name)
        assert behaviour is not None  # checked above
        values = {**behaviour.parameters.defaults(), **{k: float(v) for k, v in params.items()}}
        out[kind] = (behaviour, values)
    return out


def resolve(choice: Choice | None) -> dict[str, Callable[..., Any]]:
    """Return what the model calls for every kind: the defaults overridden by ``choice``.

    Raises:
        BehaviourError: Every problem of the choice.
    """
    return {kind: b.bind(values) for kind, (b, values) in chosen(choice).items()}


def describe(choice: Choice | None) -> dict[str, dict[str, Any]]:
    """The choice as a manifest records it: every kind's rule, all its parameter values, origin and API version."""
    return {
        kind: {"rule": b.name, "params": values, "origin": b.origin, "api": b.api}
        for kind, (b, values) in chosen(choice).items()
    }

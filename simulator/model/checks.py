"""Conformance suite of behaviours: what every rule of a kind must do to run inside the model.

Like scikit-learn's ``check_estimator``: ``check_behaviour(kind, name_or_rule)`` runs every check on one behaviour
and raises ``BehaviourCheckError`` naming the first that fails; ``parametrize_with_checks()`` turns the checks of
every registered behaviour (or the ones given) into a pytest parametrisation, one test per (behaviour, check)::

    from simulator.model.checks import parametrize_with_checks

    @parametrize_with_checks()
    def test_behaviours(behaviour, check):
        check(behaviour)

The checks, on a small world built from the shipped data (14 economies; the subjects and the models they run on are
in ``simulator.model.check_models``):

- ``output``: the result has the kind's shapes and dtypes, lies in range, and holds no NaN or infinity;
- ``determinism``: the same generator state gives the same result, and two models built from the same seed give the
  same metrics after a few steps;
- ``global_random_state``: neither numpy's legacy global generator nor the ``random`` module is used or reseeded;
- ``accounting``: after a step with the rule, every sale is someone's purchase, world income is world final sales
  less inputs nobody supplied, spending is last step's income and money carried plus the imbalance, Σ imbalance = 0,
  and no quantity is NaN, infinite or negative;
- ``no_python_loop``: the rule runs no Python-level loop over firms, judged by counting the Python events it raises
  (function calls and lines, ``sys.settrace``) at ``n`` and ``10 n`` firms: a vectorised or compiled rule raises the
  same number at both sizes; it may grow by at most ``LOOP_EVENTS_PER_FIRM`` per extra firm.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import random
import sys
from collections.abc import Callable, Iterable, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.model import behaviours as _builtins  # noqa: F401  (registers the built-in rules)
from simulator.model.check_models import (
    CHECK_FIRMS,
    CHECK_STEPS,
    Subject,
    build_model,
    call_rule,
    clear_models,
    stepped_model,
    world_of,
)
from simulator.model.registry import (
    BEHAVIOUR_API,
    KINDS,
    REGISTRY,
    Behaviour,
    BehaviourError,
    add,
    check_choice,
    lookup,
)

if TYPE_CHECKING:
    from simulator.model.model import DataFlowModel

LOOP_EVENTS_PER_FIRM = 0.05
"""Most Python events (calls and lines) a rule may add per extra firm before it counts as looping over firms."""

LOOP_EVENTS_SLACK = 20
"""Python events a rule may add between ``n`` and ``10 n`` firms whatever the firm count (branches taken once)."""

LOOP_EVENTS_PER_DECISION = 1000
"""Python events a ``government_policy`` rule may spend per extra adoption (economy-level work: the events of the
adopted rule, one per covered cell; ≈ 770 for the checks' contingent rule), when the larger model's governments
happen to decide more."""

TRADE_FLOWS: tuple[str, ...] = (
    "sales_revenue",
    "market_revenue",
    "supplier_flow",
    "purchases",
    "revenue",
    "exports_by_economy",
    "imports_by_economy",
    "unplaced_inputs",
    "final_sales_by_cell",
)
"""Arrays of a ``TradeResult`` that must be finite (the flows; prices may be infinite and price indices NaN)."""

RELATIVE_TOLERANCE = 1e-9
"""Relative tolerance of the accounting identities (sums over firms in another order)."""


class BehaviourCheckError(AssertionError):
    """A behaviour failed a conformance check (the message names the behaviour, the check and what was wrong)."""


Check = Callable[[Subject], None]
"""A conformance check: raises ``BehaviourCheckError`` if the subject fails it."""


def _fail(subject: Subject, check: str, message: str) -> BehaviourCheckError:
    return BehaviourCheckError(f"{subject.label} fails the {check!r} check: {message}")


# --- the checks -------------------------------------------------------------------------------------------------------


def _check_adoptions(subject: Subject, out: Any, model: DataFlowModel) -> None:
    from simulator.model.government import Adoption

    if not isinstance(out, tuple | list) or not all(isinstance(a, Adoption) for a in out):
        raise _fail(subject, "output", f"the result is a {type(out).__name__}; expected a tuple of Adoption")
    n_rules = len(model.schedule.contingent)
    for a in out:
        if a.economy not in model.world.iso3 or not 0 <= a.rule < n_rules or a.step != model.steps:
            raise _fail(subject, "output", f"{a} names an unknown economy or rule, or another step")
        if sum(1 for b in model.governments[model.world.iso3.index(a.economy)].adopted if b == a) != 1:
            raise _fail(subject, "output", f"{a} is not recorded once by its government (use Government.adopt)")


def _fields_of(subject: Subject, out: Any, want: type, per_slot: tuple[str, ...], capacity: int) -> dict:
    """The arrays of a structured result, checked to be of type ``want`` with ``per_slot`` arrays of ``capacity``."""
    if not isinstance(out, want):
        raise _fail(subject, "output", f"the result is a {type(out).__name__}; expected a {want.__name__}")
    names = [f.name for f in dataclasses.fields(out)] if dataclasses.is_dataclass(out) else list(out._fields)
    arrays = {n: getattr(out, n) for n in names if isinstance(getattr(out, n), np.ndarray)}
    for name in per_slot:
        a = arrays.get(name)
        if a is None or a.shape[0] < capacity or a.dtype.kind not in "fiub":
            shape = None if a is None else a.shape
            raise _fail(subject, "output", f"{name} has shape {shape}; expected ({capacity},) numbers per firm slot")
    return arrays


def _check_structured(subject: Subject, out: Any, model: DataFlowModel) -> dict[str, np.ndarray] | None:
    """Shapes and ranges of the results of ``hosting_choice``, ``trade_choice``, ``exit`` and ``entry``."""
    from simulator.model.hosting import HostingChoice
    from simulator.model.trade import TradeResult

    kind, f = subject.behaviour.kind, model.firms
    if kind == "hosting_choice":
        arrays = _fields_of(subject, out, HostingChoice, HostingChoice._fields[:-1], f.capacity)
        a = f.alive
        if not ((out.unit_cost[a] > 0) & np.isfinite(out.unit_cost[a])).all():
            raise _fail(subject, "output", "unit_cost is not positive and finite for every firm alive")
        if not ((out.local_share >= 0) & (out.local_share <= 1)).all():
            raise _fail(subject, "output", "local_share outside [0, 1]")
        if (out.cost < 0).any() or (out.fixed < 0).any() or (out.compliance < 0).any():
            raise _fail(subject, "output", "a negative hosting cost, fixed cost or compliance")
        if not np.isin(f.hosting[a], (0, 1, 2)).all():
            raise _fail(subject, "output", "firms.hosting holds a code that is not a HostingMode")
        return arrays
    if kind == "trade_choice":
        arrays = _fields_of(subject, out, TradeResult, ("purchases", "revenue", "weight"), f.capacity)
        # prices may be infinite (an empty supplier slot) and price indices NaN (an empty pool): flows may not
        return {n: arrays[n] for n in TRADE_FLOWS}
    if kind == "exit":
        if not isinstance(out, np.ndarray) or out.shape != (f.capacity,) or out.dtype != bool:
            raise _fail(subject, "output", f"expected a bool array of shape ({f.capacity},) (one per firm slot)")
        if (out & ~f.alive).any():
            raise _fail(subject, "output", "a free slot (no firm alive) is flagged as exiting")
        return {"result": out}
    if kind == "entry":
        shape = (model.n_economies, model.n_sectors)
        if not isinstance(out, np.ndarray) or out.shape != shape or out.dtype.kind not in "iu" or (out < 0).any():
            raise _fail(subject, "output", f"expected non-negative integers of shape {shape} (economies × sectors)")
        return {"result": out}
    return None


def _result_arrays(subject: Subject, out: Any, model: DataFlowModel) -> dict[str, np.ndarray]:
    kind, f = subject.behaviour.kind, model.firms
    structured = _check_structured(subject, out, model)
    if structured is not None:
        return structured
    if kind == "innovation":
        arrays = {}
        for name, kinds in (("phi", "f"), ("innovated", "b"), ("rd", "f")):
            a = getattr(out, name, None)
            if not isinstance(a, np.ndarray):
                raise _fail(subject, "output", f"the result has no array {name!r} (got {type(out).__name__})")
            if a.shape != (f.capacity,) or a.dtype.kind not in kinds:
                want = "bool" if kinds == "b" else "float"
                raise _fail(
                    subject,
                    "output",
                    f"{name} has shape {a.shape} and dtype {a.dtype}; expected ({f.capacity},) {want}",
                )
            arrays[name] = a
        return arrays
    if not isinstance(out, np.ndarray):
        raise _fail(subject, "output", f"the result is a {type(out).__name__}; expected a numpy array")
    return {"result": out}


def check_output(subject: Subject) -> None:
    """The result has the kind's shapes and dtypes, lies in range and holds no NaN or infinity."""
    kind = subject.behaviour.kind
    model = stepped_model(subject)
    out, firms = call_rule(model, kind)
    if kind == "government_policy":
        _check_adoptions(subject, out, model)
        return
    arrays = _result_arrays(subject, out, model)
    f = model.firms
    for name, a in arrays.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise _fail(subject, "output", f"{name} holds NaN or infinity ({int((~np.isfinite(a)).sum())} values)")
    if kind in ("hosting_choice", "trade_choice", "exit", "entry"):
        return
    if kind == "innovation":
        if not (arrays["phi"][f.alive] > 0).all():
            raise _fail(subject, "output", "phi is not positive for every firm alive")
        if not (arrays["rd"] >= 0).all():
            raise _fail(subject, "output", "rd (R&D spending) is negative somewhere")
        return
    assert firms is not None
    a = arrays["result"]
    if a.shape != (firms.size,) or a.dtype.kind not in "iu":
        raise _fail(subject, "output", f"shape {a.shape}, dtype {a.dtype}; expected ({firms.size},) integers")
    if kind == "market_search":
        n_c = len(world_of(subject).iso3)
        if not ((a >= -1) & (a < n_c)).all():
            raise _fail(subject, "output", f"a destination outside -1 … {n_c - 1} (economy indices, -1 = none)")
        hit = a >= 0
        if (a[hit] == f.economy[firms[hit]]).any():
            raise _fail(subject, "output", "a firm's candidate export market is its own economy")
    elif kind == "supplier_search":
        if not ((a >= -1) & (a < f.capacity)).all():
            raise _fail(subject, "output", f"a supplier outside -1 … {f.capacity - 1} (firm slots, -1 = none)")
        if not f.alive[a[a >= 0]].all():
            raise _fail(subject, "output", "a candidate supplier is not alive")


def _same(a: Any, b: Any) -> bool:
    """Whether two results are the same: arrays element by element (NaN equal to NaN), structures field by field."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(_same(getattr(a, x.name), getattr(b, x.name)) for x in dataclasses.fields(a))
    if isinstance(a, tuple | list):
        return isinstance(b, tuple | list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check_determinism(subject: Subject) -> None:
    """The same generator state gives the same result; the same seed gives the same metrics after a few steps."""
    kind = subject.behaviour.kind
    first, _ = call_rule(stepped_model(subject), kind)
    again, _ = call_rule(stepped_model(subject), kind)
    if not _same(first, again):
        raise _fail(subject, "determinism", "two calls from the same model and generator state differ")
    runs = [build_model(subject).run(CHECK_STEPS).metrics_frame() for _ in range(2)]
    a, b = (r["value"].to_numpy(dtype=float) for r in runs)
    if not np.array_equal(a, b, equal_nan=True):
        raise _fail(subject, "determinism", f"two models built from seed {subject.seed} give different metrics")


def check_global_random_state(subject: Subject) -> None:
    """Neither numpy's legacy global generator nor the ``random`` module is drawn from or reseeded."""
    model = stepped_model(subject)
    # the legacy global state is read (and put back) on purpose: the check is that nothing else touches it
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        call_rule(model, subject.behaviour.kind)
        model.step()
        np_after, py_after = np.random.get_state(), random.getstate()  # noqa: NPY002
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    if not all(np.array_equal(x, y) for x, y in zip(np_state, np_after, strict=True)):
        raise _fail(subject, "global_random_state", "numpy's global generator (np.random.*) was used or reseeded")
    if py_state != py_after:
        raise _fail(subject, "global_random_state", "the random module's generator was used or reseeded")


def accounting_problems(model: DataFlowModel, income_prev: np.ndarray, carry_prev: np.ndarray) -> list[str]:
    """The accounting identities a step must keep (empty if they hold), given last step's income and carry."""
    tr, a, f = model.trade, model.accounts, model.firms
    rel = RELATIVE_TOLERANCE
    out = []

    def close(x: float, y: float) -> bool:
        return abs(x - y) <= rel * max(abs(x), abs(y), 1e-300)

    nm = tr.n_market_links
    w = tr.weight[tr.sales_seller]
    unplaced = tr.unplaced_inputs.sum()
    if not close((tr.sales_revenue[nm:] * w[nm:]).sum() + unplaced, (tr.purchases * tr.weight).sum()):
        out.append("sales to buyers (with inputs nobody supplied) differ from purchases")
    if not close((tr.market_revenue * w[:nm]).sum(), tr.final_sales_by_cell.sum()):
        out.append("final-market sales of the links differ from final sales by cell")
    sold = tr.final_sales_by_cell.sum()
    world_income = model.income.sum()
    if not close(world_income, sold - unplaced):
        out.append("world income differs from world final sales less unplaced inputs")
    if not close(model.spending.sum(), sold + model.carry.sum() - unplaced - model.debt.sum()):
        out.append("world spending differs from final sales plus money carried less unplaced inputs and debt")
    if abs(model.balance.sum()) > rel * abs(world_income):
        out.append("the imbalances do not sum to zero")
    if not ((model.spending >= 0).all() and (model.debt <= 0).all()):
        out.append("negative spending or positive debt")
    lhs = model.spending + model.debt - model.balance
    rhs = (income_prev + carry_prev) / model.omega
    if not np.allclose(lhs, rhs, rtol=rel, atol=0.0):
        out.append("spending is not last step's income and money carried plus the imbalance")
    for name in ("revenue", "exports", "compliance", "payment", "hosting", "local_hosting", "fixed", "purchases"):
        v = getattr(a, name)
        if not np.isfinite(v).all() or (v < -1e-9).any():
            out.append(f"accounts.{name} holds NaN, infinity or a negative value")
    if not (np.isfinite(f.phi[f.alive]).all() and (f.phi[f.alive] > 0).all()):
        out.append("a firm alive has a productivity that is not positive and finite")
    return out


def check_accounting(subject: Subject) -> None:
    """After a step with the rule, the model's accounting identities hold and no quantity is NaN or negative."""
    model = stepped_model(subject)
    income_prev, carry_prev = model.income.copy(), model.carry.copy()
    model.step()
    problems = accounting_problems(model, income_prev, carry_prev)
    if problems:
        raise _fail(subject, "accounting", "; ".join(problems))
    values = model.metrics_frame()["value"].to_numpy(dtype=float)
    if np.isinf(values).any():
        raise _fail(subject, "accounting", "a metric is infinite")


def python_events(fn: Callable[[], Any]) -> int:
    """Python-level events (function calls and lines executed, ``sys.settrace``) raised while ``fn()`` runs."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(previous)
    return count


def rule_events(subject: Subject, n_firms: int) -> tuple[int, Any]:
    """Python events of one call of the subject's rule on a stepped model of ``n_firms`` (after a warm-up call).

    Returns the count and the rule's result.
    """
    kind = subject.behaviour.kind
    model = stepped_model(subject, n_firms)
    call_rule(copy.deepcopy(model), kind)  # compiles what is compiled on first call
    out: list[Any] = []
    count = python_events(lambda: out.append(call_rule(model, kind)[0]))
    return count, out[0]


def check_no_python_loop(subject: Subject) -> None:
    """No Python-level loop over firms: the rule raises (nearly) as many Python events at 10 n firms as at n."""
    n = subject.n_firms
    (small, out_small), (large, out_large) = rule_events(subject, n), rule_events(subject, 10 * n)
    allowed = LOOP_EVENTS_SLACK + LOOP_EVENTS_PER_FIRM * 9 * n
    if subject.behaviour.kind == "government_policy":
        # governments decide economy by economy: work per decision is allowed, whatever the firm count
        allowed += LOOP_EVENTS_PER_DECISION * max(0, len(out_large) - len(out_small))
    if large - small > allowed:
        raise _fail(
            subject,
            "no_python_loop",
            f"{small} Python events (calls and lines) at {n} firms, {large} at {10 * n}: it grows with the firms "
            f"(more than {allowed:g}); vectorise the loop with numpy or compile it (numba)",
        )


def _guarded(name: str, check: Check) -> Check:
    """``check``, reporting any exception the model raises with the rule as a failure of the check."""

    @functools.wraps(check)
    def run(subject: Subject) -> None:
        try:
            check(subject)
        except BehaviourCheckError:
            raise
        except Exception as exc:
            raise _fail(subject, name, f"the model raised {type(exc).__name__}: {exc}") from exc

    return run


CHECKS: dict[str, Check] = {
    name: _guarded(name, check)
    for name, check in (
        ("output", check_output),
        ("determinism", check_determinism),
        ("global_random_state", check_global_random_state),
        ("accounting", check_accounting),
        ("no_python_loop", check_no_python_loop),
    )
}
"""Every conformance check, by name (in the order they run)."""


# --- entry points -----------------------------------------------------------------------------------------------------

_temporary = itertools.count()


def subject_of(
    kind: str,
    name_or_rule: str | Behaviour | Callable[..., Any],
    *,
    params: Mapping[str, float] | None = None,
    parameters: Iterable[Any] = (),
    world: Any = None,
    n_firms: int = CHECK_FIRMS,
    seed: int = 1,
) -> Subject:
    """The subject of the checks: a registered name, a ``Behaviour``, or a bare rule (registered temporarily).

    Raises:
        BehaviourError: Unknown kind or rule, or parameters the rule does not declare.
    """
    if kind not in KINDS or isinstance(name_or_rule, str):
        name = name_or_rule if isinstance(name_or_rule, str) else getattr(name_or_rule, "name", "?")
        problems = check_choice({kind: {"rule": name, "params": dict(params or {})}})
        if problems:
            raise BehaviourError(problems)
        behaviour = lookup(kind, str(name))
        assert behaviour is not None  # checked above
    elif isinstance(name_or_rule, Behaviour) and REGISTRY[kind].get(name_or_rule.name) is name_or_rule:
        behaviour = name_or_rule
    elif isinstance(name_or_rule, Behaviour):
        behaviour = _temporary_behaviour(kind, name_or_rule.rule, name_or_rule.parameters.values())
    else:
        behaviour = _temporary_behaviour(kind, name_or_rule, parameters)
    problems = check_choice({kind: {"rule": behaviour.name, "params": dict(params or {})}})
    if problems:
        raise BehaviourError(problems)
    return Subject(behaviour, dict(params or {}), world, n_firms, seed)


def _temporary_behaviour(kind: str, rule: Callable[..., Any], parameters: Iterable[Any]) -> Behaviour:
    name = f"checked-{getattr(rule, '__name__', 'rule')}-{next(_temporary)}"
    return add(Behaviour(kind, name, rule, BEHAVIOUR_API, tuple(parameters), origin="under check"))


def check_behaviour(
    kind: str,
    name_or_rule: str | Behaviour | Callable[..., Any],
    *,
    params: Mapping[str, float] | None = None,
    parameters: Iterable[Any] = (),
    checks: Iterable[str] | None = None,
    world: Any = None,
    n_firms: int = CHECK_FIRMS,
    seed: int = 1,
) -> None:
    """Run the conformance checks on one behaviour; raise at the first that fails.

    Args:
        kind: Its kind (``simulator.model.registry.KINDS``).
        name_or_rule: A registered name, a ``Behaviour``, or a bare rule function (registered for the checks).
        params: Values of its own parameters to run it with (defaults for the others).
        parameters: The ``Parameter`` declarations of a bare rule.
        checks: Names of the checks to run (default: every one of ``CHECKS``).
        world: The world to run on (default: ``CHECK_ECONOMIES`` of the shipped world).
        n_firms: Firms of the models built (the loop check also builds one with ten times as many).
        seed: Seed of the models built.

    Raises:
        BehaviourCheckError: A check failed (the message names the behaviour and the check).
        BehaviourError: The behaviour cannot be chosen (unknown name, undeclared or out-of-range parameter).
    """
    subject = subject_of(
        kind, name_or_rule, params=params, parameters=parameters, world=world, n_firms=n_firms, seed=seed
    )
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; checks: {', '.join(CHECKS)}")
    try:
        for name in names:
            CHECKS[name](subject)
    finally:
        clear_models()


def parametrize_with_checks(
    behaviours: Iterable[tuple[str, str] | tuple[str, str, Mapping[str, float]]] | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` over (behaviour, check): one test per check of each behaviour.

    Args:
        behaviours: ``(kind, name)`` or ``(kind, name, params)`` of registered behaviours; default: every registered
            behaviour (built-in ones, ``DLSIM_BEHAVIOURS`` files and installed plugins) with its default parameters.

    Returns:
        A decorator for a test taking ``behaviour`` (a ``Subject``) and ``check`` (call ``check(behaviour)``).
    """
    import pytest

    from simulator.model.registry import all_behaviours

    if behaviours is None:
        found, _ = all_behaviours()
        picks: list[tuple[str, str, Mapping[str, float]]] = [
            (b.kind, b.name, {}) for b in found if not b.origin == "under check"
        ]
    else:
        picks = [(b[0], b[1], b[2] if len(b) > 2 else {}) for b in behaviours]  # type: ignore[misc]
    cases, ids = [], []
    for kind, name, params in picks:
        subject = subject_of(kind, name, params=params)
        for check_name, check in CHECKS.items():
            cases.append((subject, check))
            ids.append(f"{subject.label}-{check_name}")
    return pytest.mark.parametrize(("behaviour", "check"), cases, ids=ids)

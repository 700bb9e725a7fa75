"""Parameter uncertainty in ``compare``: uncertain parameters drawn per replicate, shared by every scenario.

``compare --uncertain SPEC`` (repeatable) names the uncertain parameters:

* ``NAME``: the parameter over its declared range (``docs/parameters.md``);
* ``NAME=LOW:HIGH``: over a range inside the declared one;
* ``FILE.yaml``: the parameter factors of the file's ``sweep:`` section (a range, a list of values or the declared
  range each).

For replicate r every parameter is drawn uniformly (a listed value uniformly among the values; whole-number
parameters rounded) from the replicate's own child ``SeedSequence`` — entropy of the study's root, spawn key
``(r, UNCERTAIN_KEY)``, never used by a model — so the draws do not depend on the executor or the worker count and
the baseline and every reform of replicate r run with the same values (common random numbers and common
parameters). The paired intervals then carry parameter uncertainty as well as sampling noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulator.scenario.parameters import PARAMETERS
from simulator.scenario.schema import SweepFactor
from simulator.scenario.sweeps import Factor, factors

UNCERTAIN_KEY = 0x756E63
"""Last element of the spawn key of a replicate's draws ("unc"); replicate seeds have one-element keys."""


class UncertaintyError(Exception):
    """An ``--uncertain`` specification that cannot be used: the message names it and what was expected.

    Attributes:
        message: What is wrong.
        hint: What to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _declared(name: str, spec: str) -> Any:
    if name not in PARAMETERS:
        from simulator.scenario.errors import did_you_mean

        close = did_you_mean(name, PARAMETERS)
        raise UncertaintyError(
            f"--uncertain {spec}: unknown parameter {name!r}" + (f" (did you mean {close!r}?)" if close else ""),
            "dlsim params lists the declared parameters",
        )
    return PARAMETERS[name]


def parse_one(spec: str, index: int = 0, vocabulary: Any = None) -> list[Factor]:
    """The uncertain parameters of one ``--uncertain`` specification (see the module docstring).

    Raises:
        UncertaintyError: An unknown parameter, a malformed or out-of-range range, a file without parameter factors.
        ScenarioError: The file is not a valid scenario file.
    """
    text = spec.strip()
    if text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(text)
        if not path.is_file():
            raise UncertaintyError(f"--uncertain {spec}: no such file", "give a scenario file with a sweep: section")
        from simulator.scenario.loader import load_scenario

        scenario = load_scenario(path, vocabulary)
        if scenario.sweep is None:
            raise UncertaintyError(
                f"--uncertain {spec}: {path} has no sweep: section",
                "declare the uncertain parameters under sweep: factors: (see README, Sweeps)",
            )
        out = [f for f in factors(scenario.sweep.item) if f.kind == "parameter"]
        if not out:
            raise UncertaintyError(
                f"--uncertain {spec}: the sweep: section of {path} declares no parameter factor",
                "add factors such as '- {parameter: eta, range: [0.1, 0.6]}'",
            )
        return out
    name, _, rng = text.partition("=")
    name = name.strip()
    p = _declared(name, spec)
    if not rng:
        lo, hi = p.minimum, p.maximum
    else:
        parts = rng.split(":")
        try:
            lo, hi = (float(x) for x in parts)
        except ValueError:
            raise UncertaintyError(
                f"--uncertain {spec}: the range {rng!r} is not LOW:HIGH",
                f"write it as {name}=LOW:HIGH, e.g. {name}={p.minimum:g}:{p.maximum:g}",
            ) from None
        if not lo < hi:
            raise UncertaintyError(f"--uncertain {spec}: LOW must be below HIGH", f"e.g. {name}={hi:g}:{lo:g}")
        if lo < p.minimum or hi > p.maximum:
            raise UncertaintyError(
                f"--uncertain {spec}: the range {lo:g}:{hi:g} goes outside the declared range of {name}, "
                f"{p.minimum:g} – {p.maximum:g} ({p.unit})",
                f"use a range inside it, e.g. {name}={max(lo, p.minimum):g}:{min(hi, p.maximum):g}",
            )
    factor = SweepFactor(parameter=name, range=[float(lo), float(hi)])
    return [Factor(name, "parameter", float(lo), float(hi), (), p.integer, factor, index)]


def parse_uncertain(specs: Sequence[str], vocabulary: Any = None) -> list[Factor]:
    """Every uncertain parameter of ``specs``, in order.

    Raises:
        UncertaintyError: A specification is invalid, or a parameter is named twice.
    """
    out: list[Factor] = []
    for i, spec in enumerate(specs):
        for f in parse_one(spec, i, vocabulary):
            if any(g.name == f.name for g in out):
                raise UncertaintyError(f"--uncertain: parameter {f.name!r} is given twice", "give each once")
            out.append(f)
    return out


def draw_seed(root: np.random.SeedSequence, replicate_seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """The replicate's seed of its parameter draws: spawn key ``(*replicate key, UNCERTAIN_KEY)``."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*replicate_seed.spawn_key, UNCERTAIN_KEY))


def draw(params: Sequence[Factor], seed: np.random.SeedSequence) -> dict[str, float]:
    """One draw of every uncertain parameter from ``seed`` (uniform over its range or its listed values)."""
    rng = np.random.default_rng(seed)
    u = rng.random(len(params))
    return {
        f.name if f.spec.parameter is None else str(f.spec.parameter): float(f.from_unit(x))
        for f, x in zip(params, u, strict=True)
    }


def record(params: Sequence[Factor]) -> list[dict[str, Any]]:
    """The uncertain parameters as JSON data (manifest ``settings.uncertain``)."""
    return [
        {
            "parameter": str(f.spec.parameter),
            "low": f.low,
            "high": f.high,
            "values": list(f.levels) if f.levels else None,
            "integer": f.integer,
            "distribution": "uniform over the values" if f.levels else "uniform",
        }
        for f in params
    ]

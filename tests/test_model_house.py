"""House rules of the model's source, read with ``ast`` and ``tokenize`` (so they hold whether or not a test runs
the code): compiled kernels take their arguments by name, and the formatter lays out every line.

- A call of a compiled kernel (a function decorated with ``jit`` in ``simulator/model``) passes at most
  ``MAX_POSITIONAL`` arguments by position: per-firm arrays travel as one ``FirmArrays``, a trade pass's links as
  one ``TradeLinks``, and so on; scalars and the remaining arrays by keyword.
- No ``# fmt: skip`` / ``# fmt: off`` in ``simulator/`` (``ruff format`` lays out every statement).
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import fields
from pathlib import Path

import numpy as np

from simulator.model.population import FirmArrays, Firms, empty_firms

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
MAX_POSITIONAL = 8
"""Most arguments a kernel call may pass by position."""


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _is_jit(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "jit") or (
        isinstance(target, ast.Attribute) and target.attr == "jit"
    )


def kernel_names(paths: list[Path]) -> set[str]:
    """Names of the functions decorated with ``jit`` in ``paths``."""
    out: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(_is_jit(d) for d in node.decorator_list):
                out.add(node.name)
    return out


def long_kernel_calls(source: str, kernels: set[str]) -> list[tuple[int, str, str]]:
    """``(line, kernel, why)`` of each call of a kernel in ``source`` with too many (or uncountable) positional
    arguments; the callee is matched by name (``kernel(...)`` or ``module.kernel(...)``)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in kernels:
            continue
        if any(isinstance(a, ast.Starred) for a in node.args):
            out.append((node.lineno, name, "*args: positional arguments that cannot be counted"))
        elif len(node.args) > MAX_POSITIONAL:
            out.append((node.lineno, name, f"{len(node.args)} positional arguments"))
    return out


def formatter_pragmas(source: str) -> list[int]:
    """Lines of ``source`` with a ``# fmt: skip`` or ``# fmt: off`` comment, spaced or not (comments only)."""
    lines = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            text = "".join(tok.string.split())
            if "fmt:skip" in text or "fmt:off" in text:
                lines.append(tok.start[0])
    return lines


def test_kernel_calls_pass_few_arguments_by_position() -> None:
    kernels = kernel_names(sorted((PACKAGE / "model").rglob("*.py")))
    # the checker sees the kernels (it cannot pass by finding none)
    assert {"trade_terms", "trade_flows", "seller_accounts", "metric_cells", "hosting_step"} <= kernels
    found = []
    for path in source_files():
        rel = path.relative_to(PACKAGE)
        found += [
            f"simulator/{rel}:{line}: {name}: {why}" for line, name, why in long_kernel_calls(path.read_text(), kernels)
        ]
    assert not found, (
        f"compiled kernels called with more than {MAX_POSITIONAL} positional arguments (pass per-firm arrays as "
        "Firms.arrays(), links as TradeLinks, scalars by keyword):\n  " + "\n  ".join(found)
    )


def test_the_checks_catch_what_they_look_for() -> None:
    kernels = {"k"}
    src = "k(1, 2, 3, 4, 5, 6, 7, 8, x=9)\nm.k(1, 2, 3, 4, 5, 6, 7, 8, 9)\nk(*args)\nother(1, 2, 3, 4, 5, 6, 7, 8, 9)\n"
    assert [(line, why.split()[0]) for line, _, why in long_kernel_calls(src, kernels)] == [(2, "9"), (3, "*args:")]
    src = 'x = (\n    1,\n)  # fmt: skip\ny = "# fmt: skip"\n# fmt: off\nz = 1  #fmt:skip\n'
    assert formatter_pragmas(src) == [3, 5, 6]


def test_no_formatter_pragmas_in_the_package() -> None:
    found = []
    for path in source_files():
        rel = path.relative_to(PACKAGE).as_posix()
        found += [f"simulator/{rel}:{line}" for line in formatter_pragmas(path.read_text(encoding="utf-8"))]
    assert not found, "# fmt: skip / # fmt: off in the package (let ruff format lay it out):\n  " + "\n  ".join(found)


def test_firm_arrays_are_the_tables_arrays() -> None:
    assert FirmArrays._fields == tuple(f.name for f in fields(Firms))
    firms = empty_firms(5)
    arrays = firms.arrays()
    for name in FirmArrays._fields:
        assert getattr(arrays, name) is getattr(firms, name), name
    arrays.phi[2] = 3.0  # the same arrays: a kernel's in-place write is the table's
    assert firms.phi[2] == 3.0 and np.count_nonzero(firms.phi) == 1


def test_named_tuple_names_are_distinct() -> None:
    """numba's argument fingerprint of a named tuple is its class name and items: two of the same name would share it
    (and one of them would be typed in Python on every call)."""
    seen: dict[str, str] = {}
    clashes = []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id == "NamedTuple")
                or (isinstance(b, ast.Attribute) and b.attr == "NamedTuple")
                for b in node.bases
            ):
                where = f"simulator/{path.relative_to(PACKAGE)}"
                if node.name in seen:
                    clashes.append(f"{node.name}: {seen[node.name]} and {where}")
                seen.setdefault(node.name, where)
    assert {"FirmArrays", "TradeLinks"} <= set(seen)
    assert not clashes, "named tuples of the same name:\n  " + "\n  ".join(clashes)

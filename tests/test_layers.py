"""The layers only import downward: scenario → world → model → experiment → report → cli.

Read from the source with ``ast`` (imports inside functions count too), so a forbidden import fails here even if no
test happens to execute it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
LAYERS = ("scenario", "world", "model", "experiment", "report", "cli")
"""Lowest first: a layer may import itself and the layers before it."""
FORBIDDEN_LIBRARIES = {
    "scenario": {"plotly", "mesa", "dask"},
    "world": {"plotly", "mesa", "dask"},
    "model": {"plotly", "dask", "typer", "rich", "pyarrow"},
}
"""Libraries a layer must not use (the model knows nothing of files, executors or plotting)."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_no_upward_imports(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    bad = []
    for path in layer_files(layer):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "simulator" and len(parts) > 1 and parts[1] in LAYERS and parts[1] not in allowed:
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not bad, "upward imports:\n" + "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_LIBRARIES))
def test_no_forbidden_libraries(layer: str) -> None:
    bad = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in layer_files(layer)
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN_LIBRARIES[layer]
    ]
    assert not bad, "\n".join(bad)


def test_no_print_outside_the_cli() -> None:
    bad = []
    for layer in LAYERS:
        if layer == "cli":
            continue
        for path in layer_files(layer):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                    bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not bad, "print() outside the CLI: " + ", ".join(bad)


def test_import_reader_sees_nested_and_from_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("import os\nfrom simulator.model import x\n\ndef f():\n    import simulator.cli.app\n")
    assert imported_modules(src) == {"os", "simulator.model", "simulator.cli.app"}

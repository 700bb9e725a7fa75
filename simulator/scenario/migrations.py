"""Keys renamed or removed between scenario format versions, with the message that tells the author what to do.

When the format changes, add the old key here (with the version that changed it) instead of letting old files fail
with a bare "unknown key". Paths use ``*`` for "any list item".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from simulator.scenario.errors import KeyPath


@dataclass(frozen=True)
class KeyChange:
    """One renamed or removed key.

    Attributes:
        section: Path of the mapping that held the key (``()`` for the top level, ``*`` for any list item).
        old: The old key.
        new: The key that replaces it, or ``None`` if it was removed.
        version: The ``schema_version`` that made the change.
        advice: What to write instead.
    """

    section: tuple[str, ...]
    old: str
    new: str | None
    version: int
    advice: str


KEY_CHANGES: tuple[KeyChange, ...] = (
    KeyChange((), "version", "schema_version", 1, "write 'schema_version: 1'"),
    KeyChange((), "inherits", "extends", 1, "write 'extends: <name>'"),
    KeyChange((), "base", "extends", 1, "write 'extends: <name>'"),
    KeyChange((), "meta", "header", 1, "move title, author, description under 'header'"),
    KeyChange((), "params", "parameters", 1, "write 'parameters:'"),
    KeyChange((), "settings", "run", 1, "write 'run:' (firms, steps, replicates, seed)"),
    KeyChange((), "regimes", "rules", 1, "write 'rules:'; each rule names 'economies' and a 'regime'"),
    KeyChange((), "clubs", "agreements", 1, "write 'agreements:' with 'club:' and 'members:'"),
    KeyChange((), "policy", None, 1, "split it into 'rules' (regimes) and 'agreements' (waivers between members)"),
    KeyChange((), "horizon", None, 1, "give the horizon as 'run: {steps: N}' and 'timeline: {step_years: ...}'"),
    KeyChange(("rules", "*"), "countries", "economies", 1, "write 'economies:'"),
    KeyChange(("rules", "*"), "category", "data", 1, "write 'data: [<category>, ...]'"),
    KeyChange(("rules", "*"), "categories", "data", 1, "write 'data: [<category>, ...]'"),
    KeyChange(("rules", "*"), "year", None, 1, "write 'timing: {enforce: <date>}'"),
    KeyChange(("rules", "*", "timing"), "start", "enforce", 1, "write 'enforce:'"),
    KeyChange(("rules", "*", "timing"), "end", "sunset", 1, "write 'sunset:'"),
    KeyChange(("agreements", "*"), "waivers", "waive", 1, "write 'waive:'"),
)
"""Every key change since the first draft format (schema_version 0)."""


def _matches(section: tuple[str, ...], path: KeyPath) -> bool:
    if len(section) != len(path):
        return False
    return all((s == "*" and isinstance(p, int)) or s == p for s, p in zip(section, path, strict=True))


def _mappings(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    if isinstance(data, dict):
        yield path, data
        for key, value in data.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _mappings(value, (*path, i))


def find_key_changes(data: Any) -> list[tuple[KeyPath, KeyChange]]:
    """Return every old key in ``data`` with its change, as ``(path of the old key, change)``."""
    found = []
    for path, mapping in _mappings(data):
        for change in KEY_CHANGES:
            if change.old in mapping and _matches(change.section, path):
                found.append(((*path, change.old), change))
    return found


def describe(change: KeyChange) -> str:
    """Return the migration message for one key change."""
    what = f"renamed to {change.new!r}" if change.new else "removed"
    return f"key {change.old!r} was {what} in schema_version {change.version}: {change.advice}"

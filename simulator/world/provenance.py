"""``data/SOURCES.md``, generated from the per-file provenance sidecars (``data/*.meta.yaml``).

The sidecars are the single record of where each column comes from; ``SOURCES.md`` is their readable index, and
a test fails when the committed file and the sidecars drift apart. Regenerate with
``python -m simulator.world.provenance``.
"""

from __future__ import annotations

from pathlib import Path

from simulator.world.loader import default_data_dir, read_meta
from simulator.world.tables import ALL_TABLES, TARGET_TABLES

HEADER = """# Sources of the world data

Generated from the `*.meta.yaml` sidecar of each file by `python -m simulator.world.provenance`; edit the sidecars,
not this file. Status: **V** read in the publisher's file or in a named copy of it (the vintage names the copy:
repository, path and commit), **S** from a secondary report, **U** not verified here. A column that is not V carries
an *assumption*: what was not read and the reasoning for the value used (tests/test_data_provenance.py holds every
column to this).
"""


def _cell(value: object) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text.replace("|", "\\|")


def sources_markdown(data_dir: Path | str | None = None) -> str:
    """Return the Markdown index of every table's provenance: ``ALL_TABLES`` (the world), then ``TARGET_TABLES``."""
    parts = [HEADER]
    for spec in (*ALL_TABLES, *TARGET_TABLES):
        meta = read_meta(data_dir, spec)
        parts.append(f"\n## `{spec.file_name}`\n\n{_cell(meta.get('description') or spec.description)}\n")
        parts.append("\n| column | source | year | licence | status | assumption / note |\n|---|---|---|---|---|---|\n")
        columns = meta.get("columns") or {}
        for col in spec.columns:
            entry = columns.get(col.name) or {}
            source = _cell(entry.get("source"))
            if entry.get("url"):
                source += f" ({_cell(entry['url'])})"
            if entry.get("vintage"):
                source += f"; vintage: {_cell(entry['vintage'])}"
            note = entry.get("assumption")
            note_text = f"*assumption:* {_cell(note)}" if note else _cell(entry.get("note"))
            parts.append(
                f"| `{col.name}` | {source} | {_cell(entry.get('year'))} | {_cell(entry.get('licence'))} "
                f"| {_cell(entry.get('status'))} | {note_text} |\n"
            )
        if meta.get("notes"):
            parts.append(f"\n{str(meta['notes']).strip()}\n")
    return "".join(parts)


def write_sources(data_dir: Path | str | None = None) -> Path:
    """Write ``SOURCES.md`` into the data directory and return its path."""
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    path = root / "SOURCES.md"
    path.write_text(sources_markdown(root), encoding="utf-8")
    return path


if __name__ == "__main__":
    write_sources()

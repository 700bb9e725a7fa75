"""World facts the report needs besides the results: economy names, regions, map points, bloc memberships.

They are read from the world data (``data/``, the same files the runs read) through ``simulator.world.load_world``
— reading files, never running the model. When the data cannot be read the map falls back to ISO codes and the
bloc network is left out; when the data's checksums differ from those recorded in the results' manifest, the
report says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
TOPOJSON_FILE = ASSETS / "world_110m.json"
TOPOJSON_NAME = "world_110m"
"""The name plotly.js looks the geometry up by (``<scope>_<resolution>m`` for the world at 1:110m)."""


@dataclass(frozen=True)
class WorldContext:
    """World facts for labels and layouts.

    Attributes:
        economies: Indexed by ISO3: ``name``, ``region``, ``income_group``, ``is_aggregate``, ``lat``, ``lon``.
        memberships: Rows ``iso3``, ``bloc`` (members only).
        blocs: Indexed by bloc code: ``name``, ``kind``.
        data_dir: Where the data were read from.
        mismatched: Data files whose checksum differs from the manifest's record.
    """

    economies: pd.DataFrame
    memberships: pd.DataFrame
    blocs: pd.DataFrame
    data_dir: str = ""
    mismatched: list[str] = field(default_factory=list)


@cache
def _load(data_dir: str | None) -> tuple[WorldContext, dict[str, str]] | None:
    from simulator.world import WorldDataError, load_world

    try:
        world = load_world(data_dir)
    except WorldDataError as exc:
        logger.warning("world data not readable, map names and the bloc network are left out: %s", exc)
        return None
    eco = world.economies[["name", "region", "income_group", "is_aggregate", "lat", "lon"]].copy()
    members = world.memberships[world.memberships["status"] == "member"][["iso3", "bloc"]].astype(str)
    blocs = world.blocs[["name", "kind"]].copy()
    # the shipped data are named, not located: a report must not carry the path of the machine that wrote it
    where = str(data_dir) if data_dir is not None else "data/ (dlsim)"
    return WorldContext(eco, members.reset_index(drop=True), blocs, where), dict(world.checksums)


def world_context(manifest: dict[str, Any] | None = None, data_dir: Path | str | None = None) -> WorldContext | None:
    """The world facts, with the files whose checksums differ from ``manifest['data_checksums']``; ``None`` if none."""
    loaded = _load(str(data_dir) if data_dir is not None else None)
    if loaded is None:
        return None
    ctx, checksums = loaded
    recorded = (manifest or {}).get("data_checksums") or {}
    mismatched = sorted(k for k, v in recorded.items() if k in checksums and checksums[k] != v)
    return WorldContext(ctx.economies, ctx.memberships, ctx.blocs, ctx.data_dir, mismatched)


@cache
def topojson_text() -> str:
    """The shipped country geometry as compact JSON text."""
    return TOPOJSON_FILE.read_text(encoding="utf-8")


@cache
def mapped_iso3() -> frozenset[str]:
    """ISO3 codes that have a shape in the shipped geometry."""
    topology = json.loads(topojson_text())
    return frozenset(g["id"] for g in topology["objects"]["countries"]["geometries"] if "id" in g)

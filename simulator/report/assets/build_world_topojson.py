"""Rebuild ``world_110m.json`` (country geometry for the report's maps) from the ``world-atlas`` npm package.

A maintainer's tool, run by hand when the geometry is to be updated; the report only reads the committed result.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip install pycountry   # ISO 3166 numeric -> alpha-3 codes, needed by this script only
    python simulator/report/assets/build_world_topojson.py package/countries-110m.json

``world-atlas`` redistributes Natural Earth's Admin 0 boundaries (public domain) as TopoJSON with ISO 3166-1 numeric
ids. plotly.js matches ``locationmode="ISO-3"`` locations against the ``id`` of the features of a topology's
``countries`` object and draws its base layers from objects named ``land``, ``coastlines``, ``ocean``, ``lakes``,
``rivers`` and ``subunits``; this script rewrites the ids as ISO alpha-3 codes, adds ``coastlines`` (the land
polygons' rings as lines, sharing their arcs) and empty collections for the layers the report does not draw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "world_110m.json"
EXTRA_IDS = {"Kosovo": "XKX"}
"""Features without an ISO numeric code in Natural Earth, by name (user-assigned code used by the World Bank)."""


def convert(topology: dict) -> dict:
    """Return the topology with ISO alpha-3 ids and the objects plotly.js expects."""
    import pycountry  # a build-time tool only

    countries = topology["objects"]["countries"]
    for geom in countries["geometries"]:
        numeric = geom.get("id")
        name = geom.get("properties", {}).get("name", "")
        code = None
        if numeric is not None:
            match = pycountry.countries.get(numeric=str(numeric).zfill(3))
            code = match.alpha_3 if match else None
        code = code or EXTRA_IDS.get(name)
        if code:
            geom["id"] = code
        else:
            geom.pop("id", None)
    land = topology["objects"]["land"]
    lines = []
    for geom in land["geometries"]:
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        lines.extend(ring for polygon in polygons for ring in polygon)
    topology["objects"]["coastlines"] = {
        "type": "GeometryCollection",
        "geometries": [{"type": "MultiLineString", "arcs": lines}],
    }
    for name in ("ocean", "lakes", "rivers", "subunits"):
        topology["objects"][name] = {"type": "GeometryCollection", "geometries": []}
    return topology


def main(argv: list[str]) -> int:
    """Convert the file named on the command line into ``world_110m.json`` beside this script."""
    if len(argv) != 1:
        sys.stderr.write(__doc__ or "")
        return 2
    topology = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(convert(topology), separators=(",", ":")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

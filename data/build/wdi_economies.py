"""Rebuild the WDI columns of ``data/economies.csv`` and ``data/world_totals.csv`` from a named copy of WDI.

The copy is the datahub.io mirror of the World Bank bulk download, GitHub ``datasets/world-development-indicators``
(one ``indicators/<code>/data.csv`` per series, columns ``Country Name,Country Code,Year,Value``). Every figure is
read from one commit of it, so the columns share one vintage. Run from the repository root::

    git clone https://github.com/datasets/world-development-indicators /tmp/wdi
    python data/build/wdi_economies.py /tmp/wdi --commit 4ebec5a2273f531ba238a34dbe440394dc5a6c4b [--write]

Without ``--write`` it prints the differences from the committed files and writes nothing. Columns rebuilt:
``gdp_usd`` (NY.GDP.MKTP.CD), ``population`` (SP.POP.TOTL), ``fixed_broadband_per_100`` (IT.NET.BBND.P2) and
``secure_servers_per_million`` (IT.NET.SECR.P6), all for ``YEAR``; the World rows of the first two go to
``world_totals.csv``. Single economies and ``EUU`` (WDI's European Union aggregate) take their own value; the
rest-of-region aggregates (X-codes) are built from the members listed in ``MEMBERS``: GDP and population summed,
broadband and secure servers population-weighted over the members that report the year. A member without a
``YEAR`` value takes its latest earlier value for GDP and population (listed in the output); for the two
per-person series members without a ``YEAR`` value are left out of the weighted mean. It also prints each
economy's GNI per capita (Atlas method, NY.GNP.PCAP.CD) of ``GNI_YEAR`` against the World Bank FY2026 income
thresholds, to check ``income_group``.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from pathlib import Path

YEAR = 2023
GNI_YEAR = 2024
FY2026_THRESHOLDS = (1135, 4495, 13935)
"""Upper bounds of LIC, LMC and UMC in GNI per capita, Atlas method, current USD of 2024 (FY2026 classification)."""

MEMBERS: dict[str, tuple[str, ...]] = {
    "XLA": (
        "ATG BHS BRB BLZ CUB DMA GRD GUY HTI HND JAM NIC KNA LCA VCT SUR TTO VEN PRI ABW CUW CYM SXM TCA VGB VIR MAF"
    ).split(),
    "XAF": (
        "AGO BEN BWA BFA BDI CPV CAF TCD COM COG COD DJI GNQ ERI SWZ GAB GMB GIN GNB LSO LBR LBY MDG MWI MLI MRT MUS "
        "MOZ NAM NER STP SYC SLE SOM SSD SDN TGO ZMB ZWE"
    ).split(),
    "XEC": (
        "ALB AND ARM AZE BLR BIH GEO ISL KAZ XKX KGZ LIE MDA MCO MNE MKD NOR SMR SRB TJK TKM UKR UZB "
        "CHI IMN FRO GRL GIB"
    ).split(),
    "XEA": (
        "BRN KHM FJI KIR PRK LAO MHL FSM MNG MMR NRU PLW PNG PHL WSM SLB THA TLS TON TUV VUT "
        "HKG MAC GUM MNP ASM NCL PYF"
    ).split(),
    "XSA": "AFG BTN MDV NPL LKA".split(),
    "XME": "BHR IRN IRQ ISR JOR KWT LBN OMN PSE SYR YEM".split(),
}
"""Members of each rest-of-region aggregate (WDI codes), as described in data/economies.meta.yaml."""

SERIES = {
    "gdp_usd": "ny.gdp.mktp.cd",
    "population": "sp.pop.totl",
    "fixed_broadband_per_100": "it.net.bbnd.p2",
    "secure_servers_per_million": "it.net.secr.p6",
}
SUMMED = ("gdp_usd", "population")
DECIMALS = {"fixed_broadband_per_100": 2, "secure_servers_per_million": 1}


def read_series(repo: Path, commit: str, code: str) -> dict[str, dict[int, float]]:
    """Return ``{iso3: {year: value}}`` of one indicator at one commit of the copy."""
    text = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:indicators/{code}/data.csv"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out: dict[str, dict[int, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["Value"]:
            out.setdefault(row["Country Code"], {})[int(row["Year"])] = float(row["Value"])
    return out


def latest(values: dict[int, float], year: int) -> tuple[int, float] | None:
    """The value of ``year``, or the latest earlier one; ``None`` if there is none."""
    years = [y for y in values if y <= year]
    if not years:
        return None
    y = max(years)
    return y, values[y]


def build(repo: Path, commit: str) -> tuple[dict[str, dict[str, float | None]], dict[str, float], list[str]]:
    """Return per-economy values of the rebuilt columns, the world totals and notes on fallbacks."""
    data = {col: read_series(repo, commit, code) for col, code in SERIES.items()}
    econ_path = Path("data/economies.csv")
    with econ_path.open(encoding="utf-8") as fh:
        codes = [row["iso3"] for row in csv.DictReader(fh)]
    notes: list[str] = []
    values: dict[str, dict[str, float | None]] = {}
    pop = data["population"]
    for iso in codes:
        row: dict[str, float | None] = {}
        members = MEMBERS.get(iso)
        for col, series in data.items():
            if members is None:
                hit = series.get(iso, {}).get(YEAR)
                if hit is None and col in SUMMED:
                    raise SystemExit(f"{iso}: no {YEAR} value of {SERIES[col]} in the copy")
                if hit is None:
                    found = latest(series.get(iso, {}), YEAR)
                    if found is not None and found[0] >= YEAR - 2:
                        notes.append(f"{iso} {col}: {found[0]} value {found[1]:.4g} (no {YEAR})")
                        hit = found[1]
                    else:
                        notes.append(f"{iso} {col}: no value {YEAR - 2}-{YEAR}; left empty")
                row[col] = hit
                continue
            if col in SUMMED:
                total = 0.0
                for m in members:
                    found = latest(series.get(m, {}), YEAR)
                    if found is None:
                        notes.append(f"{iso} member {m} {col}: no value; counted 0")
                        continue
                    if found[0] != YEAR:
                        notes.append(f"{iso} member {m} {col}: {found[0]} value")
                    total += found[1]
                row[col] = total
            else:
                num = den = 0.0
                covered = []
                for m in members:
                    v = series.get(m, {}).get(YEAR)
                    p = pop.get(m, {}).get(YEAR)
                    if v is None or p is None:
                        continue
                    num += v * p
                    den += p
                    covered.append(m)
                all_pop = sum(pop.get(m, {}).get(YEAR, 0.0) for m in members)
                share = den / all_pop if all_pop else 0.0
                notes.append(f"{iso} {col}: {len(covered)} of {len(members)} members, {share:.0%} of population")
                row[col] = num / den if den and share >= 0.5 else None
        values[iso] = row
    world = {"gdp_usd": data["gdp_usd"]["WLD"][YEAR], "population": data["population"]["WLD"][YEAR]}
    gni = read_series(repo, commit, "ny.gnp.pcap.cd")
    for iso in codes:
        if iso in MEMBERS:
            continue
        v = gni.get(iso, {}).get(GNI_YEAR)
        if v is None:
            notes.append(f"{iso} GNI per capita {GNI_YEAR}: not in the copy")
            continue
        group = ("LIC", "LMC", "UMC", "HIC")[sum(v > t for t in FY2026_THRESHOLDS)]
        notes.append(f"{iso} GNI per capita {GNI_YEAR} {v:,.0f} -> {group}")
    return values, world, notes


def _fmt(col: str, value: float | None) -> str:
    if value is None:
        return ""
    if col in SUMMED:
        return str(int(value))
    return f"{value:.{DECIMALS[col]}f}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="git directory or clone of datasets/world-development-indicators")
    parser.add_argument("--commit", default="4ebec5a2273f531ba238a34dbe440394dc5a6c4b")
    parser.add_argument("--write", action="store_true", help="write data/economies.csv and data/world_totals.csv")
    args = parser.parse_args(argv)
    values, world, notes = build(args.repo, args.commit)
    for note in notes:
        print(note)
    econ_path = Path("data/economies.csv")
    with econ_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        for col in SERIES:
            new = _fmt(col, values[row["iso3"]][col])
            if new != row[col]:
                print(f"{row['iso3']} {col}: {row[col]!r} -> {new!r}")
                row[col] = new
    totals_path = Path("data/world_totals.csv")
    with totals_path.open(encoding="utf-8", newline="") as fh:
        totals = list(csv.DictReader(fh))
    for row in totals:
        new = str(round(world[row["measure"]]))
        print(f"world {row['measure']}: {row['value']} -> {new}")
        row["value"], row["year"] = new, str(YEAR)
    if args.write:
        with econ_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        with totals_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["measure", "value", "year"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rebuild ``data/input_output.csv`` and ``intermediate_share`` of ``data/sectors.csv``; print U.S. final-demand shares.

Source: U.S. Bureau of Economic Analysis, Benchmark Input-Output Accounts of the United States, 1997, Table 4 "The
Use of Commodities by Industries after Redefinitions", summary level, producers' prices (BEA file IOUseSummary.txt,
one line per cell: commodity, industry or final use, year, table, producers' value in million USD, ...). It is read
as redistributed in GitHub ``MacroFinanceHub/Skill-Biased-Structural-Change---Replication-Package``, file
``Sensitivity/Consumption_Investment_VA/summarytables1997/iousesummary.txt``. Run from the repository root::

    git clone https://github.com/MacroFinanceHub/Skill-Biased-Structural-Change---Replication-Package /tmp/bea
    python data/build/input_output.py /tmp/bea [--commit ef2d1785383e47dd734f144b6a8860f5ef1177aa] [--write]

Without ``--write`` it prints the differences from the committed files and writes nothing. ``demand_share`` is
never written: the model's column is a world composition (an assumption, see data/sectors.meta.yaml) and the U.S.
1997 shares computed here are printed only as its documented cross-check. Definitions (the I-O codes
of each sector are in ``SECTOR_OF``, as documented in data/input_output.meta.yaml):

* coefficient[s, s']: uses of the commodities of sector s' by the industries of sector s over their uses of the
  eight sectors' commodities (commodities S001-S008 have no sector and are left out), rounded to 3 decimals, the
  largest coefficient of each row absorbing the rounding;
* intermediate_share[s]: all intermediate uses by the industries of s over their gross output (intermediate uses
  plus value added V001-V003);
* demand_share[s]: domestic final uses (personal consumption F010, private fixed investment F020, change in
  inventories F030 and government consumption and investment F06C-F09I; exports F040 and imports F050 left out) of
  the commodities of s over the sum for the eight sectors, rounded to 3 decimals with the largest share absorbing
  the rounding. Government and owner-occupied output reaches final demand as commodities S001, S002, S005 and S008,
  which ``FINAL_ONLY`` assigns to sectors (postal service to logistics; state and local enterprises - mostly
  utilities and transit - to manufacturing, which holds utilities; general government, i.e. public administration
  and public education, and owner-occupied dwellings to business_services, which holds ISIC L, O and P).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PATH = "Sensitivity/Consumption_Investment_VA/summarytables1997/iousesummary.txt"
SECTORS = (
    "agri_mining",
    "manufacturing",
    "logistics",
    "retail_ecommerce",
    "finance_payments",
    "ict_digital",
    "business_services",
    "health",
)
DOMESTIC_FINAL = ("F010", "F020", "F030", "F06C", "F06I", "F07C", "F07I", "F08C", "F08I", "F09C", "F09I")
VALUE_ADDED = ("V001", "V002", "V003")
FINAL_ONLY = {"S001": "logistics", "S002": "manufacturing", "S005": "business_services", "S008": "business_services"}
"""Commodities without an industry sector that reach final demand, and the sector their final use is counted in."""


def sector_of(code: str) -> str | None:
    """The dlsim sector of a BEA 1997 summary I-O code (industry or commodity), ``None`` for S-, F- and V-codes."""
    if code[0] in "SFV":
        return None
    if code in ("5615",):
        return "logistics"
    if code in ("5415",):
        return "ict_digital"
    if code in ("4200", "4A00", "7210", "7220"):
        return "retail_ecommerce"
    head2 = code[:2]
    if head2 in ("11", "21"):
        return "agri_mining"
    if head2 in ("22", "23") or code[0] == "3":
        return "manufacturing"
    if head2 in ("48", "49"):
        return "logistics"
    if head2 == "52":
        return "finance_payments"
    if head2 == "51":
        return "ict_digital"
    if head2 == "62":
        return "health"
    if head2 in ("53", "54", "55", "56", "61", "71", "81"):
        return "business_services"
    raise ValueError(f"I-O code {code} has no sector")


def read_use(repo: Path, commit: str) -> list[tuple[str, str, float]]:
    """Return (commodity, column, producers' value) for every cell of the Use table."""
    text = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{PATH}"], check=True, capture_output=True, text=True
    ).stdout
    cells = []
    for row in csv.reader(text.splitlines()):
        if len(row) < 5:
            continue
        cells.append((row[0].strip(), row[1].strip(), float(row[4])))
    return cells


def round_to_one(shares: dict[str, float]) -> dict[str, float]:
    """Round shares to 3 decimals; the largest absorbs the rounding so that they sum to exactly 1."""
    rounded = {k: round(v, 3) for k, v in shares.items()}
    top = max(shares, key=lambda k: shares[k])
    rounded[top] = round(1.0 - sum(v for k, v in rounded.items() if k != top), 3)
    return rounded


def build(cells: list[tuple[str, str, float]]) -> tuple[dict, dict, dict]:
    """Return coefficients {(buyer, supplier): c}, intermediate shares {s: x} and demand shares {s: x}."""
    inputs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    all_inputs: dict[str, float] = defaultdict(float)
    value_added: dict[str, float] = defaultdict(float)
    final: dict[str, float] = defaultdict(float)
    for commodity, column, value in cells:
        buyer = sector_of(column)
        if buyer is not None:
            if commodity in VALUE_ADDED:
                value_added[buyer] += value
                continue
            all_inputs[buyer] += value
            supplier = sector_of(commodity)
            if supplier is not None:
                inputs[buyer][supplier] += value
        elif column in DOMESTIC_FINAL:
            target = FINAL_ONLY.get(commodity) or sector_of(commodity)
            if target is not None:
                final[target] += value
    coefficients = {}
    for s in SECTORS:
        total = sum(inputs[s].values())
        row = round_to_one({t: inputs[s][t] / total for t in SECTORS})
        coefficients.update({(s, t): row[t] for t in SECTORS})
    intermediate = {s: round(all_inputs[s] / (all_inputs[s] + value_added[s]), 3) for s in SECTORS}
    total_final = sum(final[s] for s in SECTORS)
    demand = round_to_one({s: final[s] / total_final for s in SECTORS})
    return coefficients, intermediate, demand


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="git directory or clone of the repository holding the Use table")
    parser.add_argument("--commit", default="ef2d1785383e47dd734f144b6a8860f5ef1177aa")
    parser.add_argument(
        "--write", action="store_true", help="write data/input_output.csv and intermediate_share in data/sectors.csv"
    )
    args = parser.parse_args(argv)
    coefficients, intermediate, demand = build(read_use(args.repo, args.commit))
    io_path, sec_path = Path("data/input_output.csv"), Path("data/sectors.csv")
    with io_path.open(encoding="utf-8", newline="") as fh:
        io_rows = list(csv.DictReader(fh))
    for row in io_rows:
        new = f"{coefficients[(row['sector'], row['supplier'])]:.3f}"
        if float(new) != float(row["coefficient"]):
            print(f"input_output {row['sector']} <- {row['supplier']}: {row['coefficient']} -> {new}")
        row["coefficient"] = new
    with sec_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        sec_fields = list(reader.fieldnames or [])
        sec_rows = list(reader)
    for row in sec_rows:
        new = f"{intermediate[row['sector']]:.3f}"
        if float(new) != float(row["intermediate_share"]):
            print(f"{row['sector']} intermediate_share: {row['intermediate_share']} -> {new}")
        row["intermediate_share"] = new
        print(f"{row['sector']} demand_share: model {row['demand_share']}, U.S. 1997 {demand[row['sector']]:.3f}")
    if args.write:
        with io_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["sector", "supplier", "coefficient"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(io_rows)
        with sec_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=sec_fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(sec_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

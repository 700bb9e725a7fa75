"""Load and validate the world data tables from ``data/``.

Every file is checked against its ``TableSpec`` (``simulator.world.tables``) before anything uses it: missing or
extra columns, wrong types, out-of-range values, values outside an enum, duplicate keys, and references between
tables (memberships naming an unknown economy or bloc, regimes naming an unknown sector), and figures given without
their reference year (``PAIRED_COLUMNS``). The first problem found raises ``WorldDataError`` with one message naming
the file, the row (as numbered in the file, header = line 1) and the column, what was found, what was expected and,
where possible, a suggestion.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from simulator.scenario.taxonomy import DataCategory
from simulator.world.tables import (
    AGREEMENT_EFFECTS,
    BLOCS,
    ECONOMIES,
    INPUT_OUTPUT,
    MEMBERSHIPS,
    REGIMES,
    SAFEGUARDS,
    SECTOR_DATA,
    SECTORS,
    WORLD_TOTALS,
    Column,
    TableSpec,
)
from simulator.world.world import World

ISO3_PATTERN = re.compile(r"^[A-Z]{3}$")
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}
SUM_TOLERANCE = 1e-6
"""Tolerance on shares that must add up to one (demand shares, exposures)."""
PAIRED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "economies": (("external_balance_pct_gdp", "external_balance_year"),),
}
"""Per table, (value, year) columns that must be both filled or both empty in every row."""


class WorldDataError(ValueError):
    """A world data file is missing, malformed or inconsistent.

    Attributes:
        file: Path of the offending file.
        row: Line number in the file (header = 1), or ``None`` when the problem is not one row.
        column: Column name, or ``None``.
    """

    def __init__(self, file: Path | str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.file = Path(file)
        self.row = row
        self.column = column
        where = str(self.file)
        if row is not None:
            where += f", line {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {message}")


def default_data_dir() -> Path:
    """Return the ``data/`` directory of the source tree this package was installed from."""
    return Path(__file__).resolve().parents[2] / "data"


def _suggest(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _line(i: int) -> int:
    """File line of data row ``i`` (0-based), the header being line 1."""
    return i + 2


def _read_csv(path: Path, spec: TableSpec) -> pd.DataFrame:
    if not path.is_file():
        raise WorldDataError(path, f"file not found (expected the {spec.name} table: {spec.description})")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorldDataError(path, f"not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise WorldDataError(path, f"not a readable CSV file ({str(exc).strip()})") from None
    expected = [c.name for c in spec.columns]
    found = [str(c) for c in frame.columns]
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing:
        hint = "".join(_suggest(m, extra) for m in missing[:1]) if extra else ""
        raise WorldDataError(path, f"missing column(s) {', '.join(missing)}; expected columns {expected}.{hint}")
    if extra:
        hint = _suggest(extra[0], expected)
        raise WorldDataError(path, f"unexpected column(s) {', '.join(extra)}; expected columns {expected}.{hint}")
    return frame[expected]


def _parse_value(path: Path, i: int, col: Column, raw: str) -> object:
    text = raw.strip()
    if text == "":
        if col.nullable:
            return None
        raise WorldDataError(path, f"empty value; expected {_expected(col)}", _line(i), col.name)
    value: object
    if col.kind in ("str", "iso3", "enum"):
        value = text
        if col.kind == "iso3" and not ISO3_PATTERN.match(text):
            raise WorldDataError(path, f"'{text}' is not a three-letter upper-case code", _line(i), col.name)
        if col.kind == "enum" and col.choices is not None:
            allowed = [str(e.value) for e in col.choices]
            if text not in allowed:
                raise WorldDataError(
                    path,
                    f"'{text}' is not one of {', '.join(allowed)}.{_suggest(text, allowed)}",
                    _line(i),
                    col.name,
                )
        return value
    if col.kind == "bool":
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise WorldDataError(path, f"'{text}' is not true or false", _line(i), col.name)
    try:
        number = float(text)
    except ValueError:
        raise WorldDataError(path, f"'{text}' is not a number; expected {_expected(col)}", _line(i), col.name) from None
    if not math.isfinite(number):
        raise WorldDataError(path, f"'{text}' is not a finite number", _line(i), col.name)
    if col.kind in ("int", "year"):
        if number != int(number):
            raise WorldDataError(path, f"'{text}' is not a whole number; expected {_expected(col)}", _line(i), col.name)
        value = int(number)
    else:
        value = number
    if (col.minimum is not None and number < col.minimum) or (col.maximum is not None and number > col.maximum):
        raise WorldDataError(path, f"{text} is out of range; expected {_expected(col)}", _line(i), col.name)
    return value


def _expected(col: Column) -> str:
    kind = {"str": "text", "iso3": "a three-letter code", "int": "a whole number", "year": "a year"}.get(
        col.kind, "a number" if col.kind == "float" else col.kind
    )
    if col.choices is not None:
        kind = "one of " + ", ".join(str(e.value) for e in col.choices)
    bounds = []
    if col.minimum is not None:
        bounds.append(f">= {col.minimum:g}")
    if col.maximum is not None:
        bounds.append(f"<= {col.maximum:g}")
    unit = f" {col.unit}" if col.unit else ""
    return kind + (f" {' and '.join(bounds)}{unit}" if bounds else unit)


def read_table(path: Path, spec: TableSpec) -> pd.DataFrame:
    """Read one CSV file and check it against ``spec`` (columns, types, ranges, enums, duplicate keys).

    Args:
        path: The CSV file.
        spec: Its declaration.

    Returns:
        A DataFrame with typed columns (numbers as float/int, missing values as ``NaN`` or ``None``).

    Raises:
        WorldDataError: On the first problem found, naming file, line and column.
    """
    raw = _read_csv(path, spec)
    records = raw.to_dict(orient="records")
    parsed: dict[str, list[object]] = {c.name: [] for c in spec.columns}
    for i, rec in enumerate(records):
        for col in spec.columns:
            parsed[col.name].append(_parse_value(path, i, col, str(rec[col.name])))
    frame = pd.DataFrame(parsed, columns=[c.name for c in spec.columns])
    for col in spec.columns:
        if col.kind in ("float", "int", "year"):
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
            if col.kind != "float" and not frame[col.name].isna().any():
                frame[col.name] = frame[col.name].astype("int64")
        elif col.kind == "bool":
            frame[col.name] = frame[col.name].astype(bool)
    keys = list(spec.key)
    dup = frame.duplicated(subset=keys, keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        first = int((frame[keys] == frame.loc[i, keys]).all(axis=1).to_numpy().nonzero()[0][0])
        key_text = ", ".join(f"{k}={frame.loc[i, k]}" for k in keys)
        raise WorldDataError(
            path, f"duplicate row for {key_text} (first given on line {_line(first)})", _line(i), keys[-1]
        )
    if frame.empty:
        raise WorldDataError(path, "the table has no rows")
    return frame


def _check_reference(
    path: Path, frame: pd.DataFrame, column: str, known: Sequence[str], what: str, allow: Sequence[str] = ()
) -> None:
    known_set = set(known) | set(allow)
    for i, value in enumerate(frame[column]):
        if value not in known_set:
            raise WorldDataError(
                path, f"'{value}' is not a known {what}.{_suggest(str(value), list(known))}", _line(i), column
            )


def _check_shares(path: Path, frame: pd.DataFrame, by: str | None, column: str) -> None:
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    for name, part in groups:
        total = float(part[column].sum())
        if abs(total - 1.0) > SUM_TOLERANCE:
            who = f" for {by}={name}" if by else ""
            raise WorldDataError(path, f"shares{who} add up to {total:.6f}; expected 1", column=column)


def _check_paired(path: Path, frame: pd.DataFrame, value: str, year: str) -> None:
    for i, (v, y) in enumerate(zip(frame[value], frame[year], strict=True)):
        if pd.isna(v) != pd.isna(y):
            empty, filled = (value, year) if pd.isna(v) else (year, value)
            raise WorldDataError(
                path,
                f"'{filled}' is filled but '{empty}' is empty; a {value} figure needs its reference year in {year} "
                "(fill both, or leave both empty)",
                _line(i),
                empty,
            )


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_world(data_dir: Path | str | None = None) -> World:
    """Load and validate every world table from ``data_dir``.

    Args:
        data_dir: Directory with the CSV files; defaults to the project's ``data/``.

    Returns:
        The validated ``World``.

    Raises:
        WorldDataError: If any file is missing, malformed or inconsistent (one clear message).
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if not root.is_dir():
        raise WorldDataError(root, "data directory not found")
    paths = {spec.name: root / spec.file_name for spec in (ECONOMIES, WORLD_TOTALS, BLOCS, MEMBERSHIPS)}
    paths |= {
        spec.name: root / spec.file_name
        for spec in (SECTORS, SECTOR_DATA, INPUT_OUTPUT, REGIMES, SAFEGUARDS, AGREEMENT_EFFECTS)
    }

    economies = read_table(paths["economies"], ECONOMIES)
    totals = read_table(paths["world_totals"], WORLD_TOTALS)
    blocs = read_table(paths["blocs"], BLOCS)
    memberships = read_table(paths["memberships"], MEMBERSHIPS)
    sectors = read_table(paths["sectors"], SECTORS)
    sector_data = read_table(paths["sector_data"], SECTOR_DATA)
    input_output = read_table(paths["input_output"], INPUT_OUTPUT)
    regimes = read_table(paths["regimes"], REGIMES)
    safeguards = read_table(paths["safeguards"], SAFEGUARDS)
    effects = read_table(paths["agreement_effects"], AGREEMENT_EFFECTS)

    iso3 = list(economies["iso3"])
    sector_codes = list(sectors["sector"])
    _check_reference(paths["world_totals"], totals, "measure", [c.name for c in ECONOMIES.columns], "economies column")
    _check_reference(paths["memberships"], memberships, "iso3", iso3, "economy in economies.csv")
    _check_reference(paths["memberships"], memberships, "bloc", list(blocs["bloc"]), "bloc in blocs.csv")
    _check_reference(paths["sector_data"], sector_data, "sector", sector_codes, "sector in sectors.csv")
    for col in ("sector", "supplier"):
        _check_reference(paths["input_output"], input_output, col, sector_codes, "sector in sectors.csv")
    _check_reference(paths["regimes"], regimes, "iso3", iso3, "economy in economies.csv")
    _check_reference(paths["regimes"], regimes, "sector", sector_codes, "sector in sectors.csv", allow=("*",))
    _check_reference(paths["safeguards"], safeguards, "iso3", iso3, "economy in economies.csv")
    _check_reference(paths["agreement_effects"], effects, "bloc", list(blocs["bloc"]), "bloc in blocs.csv")
    for value, year in PAIRED_COLUMNS["economies"]:
        _check_paired(paths["economies"], economies, value, year)
    _check_shares(paths["sectors"], sectors, None, "demand_share")
    _check_shares(paths["sector_data"], sector_data, "sector", "exposure")
    _check_shares(paths["input_output"], input_output, "sector", "coefficient")
    _check_complete(paths, iso3, regimes, safeguards)
    calibration_path = [p for p in (root / CALIBRATION_FILE,) if p.is_file()]
    calibration = read_calibration(calibration_path[0]) if calibration_path else {}

    return World(
        economies=economies.set_index("iso3", drop=False).rename_axis(None),
        world_totals=totals.set_index("measure", drop=False).rename_axis(None),
        blocs=blocs.set_index("bloc", drop=False).rename_axis(None),
        memberships=memberships,
        sectors=sectors.set_index("sector", drop=False).rename_axis(None),
        sector_data=sector_data,
        input_output=input_output,
        regimes=regimes,
        safeguards=safeguards.set_index("iso3", drop=False).rename_axis(None),
        agreement_effects=effects.set_index("bloc", drop=False).rename_axis(None),
        checksums={p.name: _checksum(p) for p in [*paths.values(), *calibration_path]},
        calibration=calibration,
    )


CALIBRATION_FILE = "calibration.yaml"
"""The fitted parameter values of a world (optional; written by ``dlsim calibrate --fit``)."""
CANDIDATE_FILE = "calibration_candidate.yaml"
"""A fit kept for the record but not adopted (the world loader does not read it)."""


def shipped_calibration(data_dir: Path | str | None = None) -> dict[str, float]:
    """The fitted parameter values of ``data_dir`` (default: the shipped ``data/``), or ``{}`` without a file.

    Raises:
        WorldDataError: The calibration file is bad (``read_calibration``).
    """
    path = (Path(data_dir) if data_dir is not None else default_data_dir()) / CALIBRATION_FILE
    return read_calibration(path) if path.is_file() else {}


def read_calibration(path: Path) -> dict[str, float]:
    """Read the fitted parameter values of a calibration file (``parameters.<name>.value``), checked.

    Every name must be a declared parameter and every value inside its declared range.

    Raises:
        WorldDataError: The file is not a calibration file, names an unknown parameter or holds a bad value.
    """
    from simulator.scenario.parameters import PARAMETERS

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WorldDataError(path, f"cannot read the calibration file: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise WorldDataError(
            path, "expected a calibration file with a 'parameters' mapping (written by dlsim calibrate --fit)"
        )
    out: dict[str, float] = {}
    for name, entry in doc["parameters"].items():
        key = f"parameters.{name}"
        if name not in PARAMETERS:
            close = [p for p in PARAMETERS if name in p or p in name]
            hint = f"; did you mean {close[0]}?" if close else "; see dlsim params"
            raise WorldDataError(path, f"{key}: unknown parameter{hint}")
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WorldDataError(path, f"{key}.value: expected a number, got {value!r}")
        problem = PARAMETERS[name].check(float(value))
        if problem:
            raise WorldDataError(path, f"{key}.value = {value!r}: expected {problem}")
        out[str(name)] = float(value)
    return out


def _check_complete(paths: dict[str, Path], iso3: list[str], regimes: pd.DataFrame, safeguards: pd.DataFrame) -> None:
    general = regimes[regimes["sector"] == "*"]
    have = set(zip(general["iso3"], general["data_category"], strict=True))
    for code in iso3:
        for cat in DataCategory:
            if (code, str(cat)) not in have:
                raise WorldDataError(
                    paths["regimes"],
                    f"no baseline rule for economy {code}, data category {cat.value} (sector '*'); "
                    "every economy needs a '*' row per data category",
                )
    missing = [c for c in iso3 if c not in set(safeguards["iso3"])]
    if missing:
        raise WorldDataError(paths["safeguards"], f"no row for economies {', '.join(missing)}")


def read_meta(data_dir: Path | str | None, spec: TableSpec) -> dict:
    """Read the provenance sidecar ``<table>.meta.yaml`` of ``spec`` (safe YAML loader).

    Raises:
        WorldDataError: If the sidecar is missing or not a YAML mapping.
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    path = root / spec.meta_name
    if not path.is_file():
        raise WorldDataError(path, f"provenance file missing for {spec.file_name}")
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorldDataError(path, f"not valid YAML ({exc})") from None
    if not isinstance(meta, dict):
        raise WorldDataError(path, "expected a YAML mapping with 'table' and 'columns'")
    return meta

"""The one reader of results folders for the report layer: it validates a folder against the results contract.

A results folder is written by the experiment layer (``dlsim compare``, ``dlsim sweep``); see
``notes/results-contract`` (the file list and the columns below). Everything the report shows is read through
:func:`load_results`, which checks that the files exist, hold the columns the report needs with usable types, and
agree with each other; any problem is one :class:`ResultsError` naming the file, what is wrong and what to do.

Figure functions also accept the experiment layer's effects object directly (anything with a ``.frame`` DataFrame
holding the ``effects.parquet`` columns, and optionally ``.paired``, ``.manifest``, ``.decomposition``, ``.flows``,
``.indices``, ``.design``): :func:`as_results` turns any of these into a :class:`Results`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MANIFEST_FILE = "manifest.json"
EFFECTS_FILE = "effects.parquet"
PAIRED_FILE = "paired.parquet"
DECOMPOSITION_FILE = "decomposition.parquet"
FLOWS_FILE = "flows.parquet"
SWEEP_DIR = "sweep"
DESIGN_FILE = "sweep/design.parquet"
INDICES_FILE = "sweep/indices.parquet"
VALIDATION_FILE = "validation/facts.parquet"
VALIDATION_MANIFEST = "validation/manifest.json"

EFFECTS_COLUMNS: dict[str, str] = {
    "scenario": "str",
    "baseline": "str",
    "metric": "str",
    "level": "str",
    "group": "str",
    "step": "int",
    "year": "float",
    "unit": "str",
    "direction": "int",
    "family": "str",
    "n": "int",
    "baseline_mean": "float",
    "reform_mean": "float",
    "diff": "float",
    "diff_lo": "float",
    "diff_hi": "float",
    "pct": "float",
    "pct_lo": "float",
    "pct_hi": "float",
    "diff_usd": "float",
    "distinguishable": "bool",
}
"""Columns of ``effects.parquet`` and the kind of values each must hold."""

PAIRED_COLUMNS: dict[str, str] = {
    "scenario": "str",
    "replicate": "int",
    "metric": "str",
    "level": "str",
    "group": "str",
    "step": "int",
    "year": "float",
    "baseline": "float",
    "reform": "float",
    "diff": "float",
    "pct": "float",
}
"""Columns of ``paired.parquet``."""

DECOMPOSITION_COLUMNS: dict[str, str] = {
    "scenario": "str",
    "kind": "str",
    "component": "str",
    "method": "str",
    "metric": "str",
    "level": "str",
    "group": "str",
    "effect": "float",
    "effect_lo": "float",
    "effect_hi": "float",
    "share": "float",
}
"""Columns of the optional ``decomposition.parquet``."""

FLOWS_COLUMNS: dict[str, str] = {
    "scenario": "str",
    "replicate": "int",
    "step": "int",
    "origin_region": "str",
    "dest_region": "str",
    "value": "float",
}
"""Columns of the optional ``flows.parquet``."""

INDICES_COLUMNS: dict[str, str] = {
    "method": "str",
    "factor": "str",
    "metric": "str",
    "level": "str",
    "group": "str",
    "index": "str",
    "value": "float",
    "conf": "float",
}
"""Columns of the optional ``sweep/indices.parquet``."""

VALIDATION_COLUMNS: dict[str, str] = {
    "id": "str",
    "fact": "int",
    "statement": "str",
    "measure": "str",
    "direction": "int",
    "band_low": "float",
    "band_high": "float",
    "unit": "str",
    "mean": "float",
    "ci_low": "float",
    "ci_high": "float",
    "n": "int",
    "pairs_positive": "int",
    "passed": "bool",
    "note": "str",
    "source": "str",
}
"""Columns of the optional ``validation/facts.parquet`` the report shows (``dlsim validate-model``)."""

REQUIRED_MANIFEST_KEYS: tuple[str, ...] = ("kind", "baseline", "scenarios", "settings")
"""Manifest keys the report cannot do without (the rest is shown when present)."""


class ResultsError(Exception):
    """A results folder the report cannot read: names the file, what is wrong and what to do."""

    def __init__(self, path: Path | str, problem: str, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.hint = hint or "rebuild the folder with dlsim compare (or dlsim sweep), or point to another folder"
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class Results:
    """A validated results folder (or an effects object turned into one).

    Attributes:
        frame: Effects, one row per (scenario, metric, level, group, step) — the ``effects.parquet`` columns.
        manifest: The folder's ``manifest.json`` (an empty-ish record when built from an effects object).
        paired: Per-replicate paired differences, or ``None`` when absent.
        decomposition: Decomposition by lever or channel, or ``None``.
        flows: Region × region flows, or ``None`` (then derived from metric ``region_flow``).
        design: Sweep design, or ``None``.
        indices: Sweep sensitivity indices, or ``None``.
        validation: The stylised facts' table (``dlsim validate-model``), or ``None``.
        validation_manifest: Its ``validation/manifest.json`` (empty without one).
        path: The folder, when read from disk.
    """

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    paired: pd.DataFrame | None = None
    decomposition: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    design: pd.DataFrame | None = None
    indices: pd.DataFrame | None = None
    validation: pd.DataFrame | None = None
    validation_manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def baseline(self) -> str:
        """Name of the baseline scenario."""
        name = self.manifest.get("baseline")
        if name:
            return str(name)
        values = self.frame["baseline"].dropna().unique() if "baseline" in self.frame else []
        return str(values[0]) if len(values) else "baseline"

    @cached_property
    def reforms(self) -> list[str]:
        """Reform scenarios in manifest order (those with effects), then any others found in the effects."""
        found = [str(s) for s in pd.unique(self.frame["scenario"])]
        order = [s for s in self.manifest.get("scenarios", {}) if s in found]
        return order + [s for s in found if s not in order]

    @cached_property
    def _parts(self) -> dict[tuple[str, str], pd.DataFrame]:
        return {(str(s), str(m)): part for (s, m), part in self.frame.groupby(["scenario", "metric"], sort=False)}

    def effects(self, scenario: str, metric: str) -> pd.DataFrame:
        """Effects rows of one scenario and metric (from an index built once)."""
        return self._parts.get((scenario, metric), self.frame.iloc[:0])

    @cached_property
    def _paired_parts(self) -> dict[tuple[str, str], pd.DataFrame]:
        if self.paired is None:
            return {}
        groups = self.paired.groupby(["scenario", "metric"], sort=False)
        return {(str(s), str(m)): part for (s, m), part in groups}

    def paired_rows(self, scenario: str, metric: str) -> pd.DataFrame | None:
        """Per-replicate paired rows of one scenario and metric, or ``None`` without ``paired`` data."""
        if self.paired is None:
            return None
        return self._paired_parts.get((scenario, metric), self.paired.iloc[:0])

    @cached_property
    def meta(self) -> pd.DataFrame:
        """Unit, direction and family of each metric, as the effects table records them (indexed by metric)."""
        return self.frame.drop_duplicates("metric").set_index("metric")[["unit", "direction", "family"]]

    @cached_property
    def levels(self) -> dict[str, set[str]]:
        """Levels present in the effects, by scenario."""
        pairs = self.frame[["scenario", "level"]].drop_duplicates()
        return {str(s): set(map(str, g["level"])) for s, g in pairs.groupby("scenario")}

    @cached_property
    def metrics(self) -> list[str]:
        """Metrics in the effects, in order of first appearance."""
        return [str(m) for m in pd.unique(self.frame["metric"])]

    def scenario_info(self, name: str) -> dict[str, Any]:
        """The manifest's record of scenario ``name`` (header, differences, file), or an empty record."""
        info = self.manifest.get("scenarios", {}).get(name)
        return info if isinstance(info, Mapping) else {}


def _kind_ok(series: pd.Series, kind: str) -> bool:
    if kind == "str":
        return (
            pd.api.types.is_string_dtype(series)
            or pd.api.types.is_object_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype)
        )
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series) or (
            pd.api.types.is_object_dtype(series) and series.dropna().map(type).eq(bool).all()
        )
    if kind == "int":
        return pd.api.types.is_integer_dtype(series)
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def check_frame(frame: pd.DataFrame, columns: Mapping[str, str], path: Path | str, *, empty_ok: bool = False) -> None:
    """Check that ``frame`` has ``columns`` with values of the declared kinds.

    Raises:
        ResultsError: Naming the file, the missing columns or the first column of the wrong kind.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultsError(
            path,
            f"missing column(s) {', '.join(missing)}; expected columns: {', '.join(columns)}",
        )
    for col, kind in columns.items():
        if not _kind_ok(frame[col], kind):
            raise ResultsError(path, f"column {col!r} holds {frame[col].dtype} values; expected {kind}")
    if frame.empty and not empty_ok:
        raise ResultsError(path, "has no rows")


def _normalise(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Plain ``str`` columns (not categorical) for the text columns, so that joins and filters behave alike."""
    out = frame.copy()
    for col, kind in columns.items():
        if kind == "str" and col in out:
            out[col] = out[col].astype(str)
        elif kind == "bool" and col in out:
            out[col] = out[col].astype(bool)
    return out


def _read_parquet(path: Path, columns: Mapping[str, str], *, empty_ok: bool = False) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ResultsError(path, f"is not a readable Parquet file ({exc})") from None
    check_frame(frame, columns, path, empty_ok=empty_ok)
    return _normalise(frame, columns)


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ResultsError(
            path,
            "not found: a results folder holds a manifest.json (or a validation/ table)",
            "give a folder written by dlsim compare, sweep or validate-model",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ResultsError(path, "must hold a JSON object")
    missing = [k for k in REQUIRED_MANIFEST_KEYS if k not in manifest]
    if missing:
        raise ResultsError(path, f"missing key(s) {', '.join(missing)}; expected {', '.join(REQUIRED_MANIFEST_KEYS)}")
    if not isinstance(manifest["scenarios"], dict):
        raise ResultsError(path, "key 'scenarios' must map scenario names to their records")
    return manifest


def empty_effects() -> pd.DataFrame:
    """An effects table with the contract's columns and no rows (a sweep without reforms)."""
    kinds = {"str": object, "int": np.int64, "float": float, "bool": bool}
    return pd.DataFrame({c: pd.Series(dtype=kinds[k]) for c, k in EFFECTS_COLUMNS.items()})


def load_results(results_dir: Path | str) -> Results:
    """Read and validate a results folder.

    A sweep folder (``kind: sweep``) needs no ``effects.parquet``: without one its effects are empty and the report
    shows the sweep's header, sensitivity indices and provenance.

    Args:
        results_dir: A folder written by ``dlsim compare`` or ``dlsim sweep``.

    Returns:
        The validated :class:`Results`.

    Raises:
        ResultsError: If a required file is missing or malformed, or the files disagree.
    """
    root = Path(results_dir)
    if not root.exists():
        raise ResultsError(root, "not found", "give the folder written by dlsim compare (e.g. results/compare)")
    if not root.is_dir():
        raise ResultsError(root, "is not a folder", "give the folder written by dlsim compare, not a file in it")
    validation, validation_manifest = _read_validation(root)
    if not (root / MANIFEST_FILE).is_file() and validation is not None:
        # a folder written by dlsim validate-model alone: its report is the validation table and its provenance
        return Results(
            frame=empty_effects(),
            manifest=_validation_only_manifest(validation_manifest),
            validation=validation,
            validation_manifest=validation_manifest,
            path=root,
        )
    if not (root / MANIFEST_FILE).is_file() and (root / VALIDATION_MANIFEST).is_file():
        raise ResultsError(
            root / VALIDATION_FILE,
            "not found: the folder holds a validation manifest but not its table",
            "rerun dlsim validate-model --out this folder --force",
        )
    manifest = _read_manifest(root / MANIFEST_FILE)
    effects_path = root / EFFECTS_FILE
    if effects_path.is_file():
        effects = _read_parquet(effects_path, EFFECTS_COLUMNS)
    elif manifest.get("kind") == "sweep" and (root / INDICES_FILE).is_file():
        # a sweep alone has no reform against a baseline: its report is the header, the tornado and the provenance
        effects = empty_effects()
    elif manifest.get("kind") == "sweep":
        raise ResultsError(
            root / INDICES_FILE,
            "not found: the report of a sweep shows its sensitivity indices",
            "finish the sweep (dlsim sweep FILE --resume --out this folder), or point to another folder",
        )
    else:
        raise ResultsError(effects_path, "not found: the report needs the effects of each reform against the baseline")
    baseline = str(manifest["baseline"])
    others = sorted(set(effects["baseline"]) - {baseline})
    if others:
        raise ResultsError(
            effects_path, f"column 'baseline' names {', '.join(others)} but manifest.json's baseline is {baseline!r}"
        )
    unknown = sorted(set(effects["scenario"]) - set(manifest["scenarios"]))
    if unknown:
        raise ResultsError(
            effects_path,
            f"scenario(s) {', '.join(unknown)} are not in manifest.json's 'scenarios'",
            "the folder mixes files from different runs; rebuild it",
        )

    def optional(name: str, columns: Mapping[str, str]) -> pd.DataFrame | None:
        path = root / name
        return _read_parquet(path, columns, empty_ok=True) if path.is_file() else None

    design_path = root / DESIGN_FILE
    design = None
    if design_path.is_file():
        try:
            design = pd.read_parquet(design_path)
        except (OSError, ValueError) as exc:
            raise ResultsError(design_path, f"is not a readable Parquet file ({exc})") from None
    return Results(
        frame=effects,
        manifest=manifest,
        paired=optional(PAIRED_FILE, PAIRED_COLUMNS),
        decomposition=optional(DECOMPOSITION_FILE, DECOMPOSITION_COLUMNS),
        flows=optional(FLOWS_FILE, FLOWS_COLUMNS),
        design=design,
        indices=optional(INDICES_FILE, INDICES_COLUMNS),
        validation=validation,
        validation_manifest=validation_manifest,
        path=root,
    )


def _read_validation(root: Path) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The validation table of ``root`` and its manifest (``None`` and ``{}`` without a table)."""
    path = root / VALIDATION_FILE
    if not path.is_file():
        return None, {}
    table = _read_parquet(path, VALIDATION_COLUMNS)
    manifest: dict[str, Any] = {}
    mpath = root / VALIDATION_MANIFEST
    if mpath.is_file():
        try:
            loaded = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(mpath, f"is not valid JSON ({exc})", "rerun dlsim validate-model --force") from None
        if not isinstance(loaded, dict):
            raise ResultsError(mpath, "must hold a JSON object", "rerun dlsim validate-model --force")
        manifest = loaded
    return table, manifest


def _validation_only_manifest(validation_manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The study record of a folder that holds only a validation table (its provenance fills the report's)."""
    out = {k: v for k, v in validation_manifest.items() if k != "settings"}
    settings = validation_manifest.get("settings") or {}
    design = next((v for v in settings.values() if isinstance(v, Mapping)), {}) if isinstance(settings, Mapping) else {}
    out.update(
        kind="validation",
        baseline="",
        scenarios={},
        settings={
            "firms": design.get("firms"),
            "steps": design.get("steps"),
            "replicates": design.get("pairs"),
            "executor": settings.get("executor") if isinstance(settings, Mapping) else None,
            "workers": settings.get("workers") if isinstance(settings, Mapping) else None,
        },
    )
    return out


def as_results(source: Any) -> Results:
    """Return a :class:`Results` from a results folder, a ``Results``, an effects object or an effects DataFrame.

    An effects object is anything with a ``.frame`` DataFrame holding the ``effects.parquet`` columns; its
    ``paired``, ``manifest``, ``decomposition``, ``flows``, ``design`` and ``indices`` attributes are used when
    present.

    Raises:
        ResultsError: If the effects (or paired) table lacks the contract's columns.
        TypeError: If ``source`` is none of the above.
    """
    if isinstance(source, Results):
        return source
    if isinstance(source, str | Path):
        return load_results(source)
    if isinstance(source, pd.DataFrame):
        frame, extra = source, None
    elif isinstance(getattr(source, "frame", None), pd.DataFrame):
        frame, extra = source.frame, source
    else:
        raise TypeError(
            f"expected a results folder, a Results, an effects object with .frame or a DataFrame; got {type(source)}"
        )
    label = f"<{type(source).__name__}>.frame" if extra is not None else "<effects DataFrame>"
    check_frame(frame, EFFECTS_COLUMNS, label)

    def attr(name: str, columns: Mapping[str, str] | None = None) -> pd.DataFrame | None:
        value = getattr(extra, name, None) if extra is not None else None
        if not isinstance(value, pd.DataFrame):
            return None
        if columns is not None:
            check_frame(value, columns, f"<{type(source).__name__}>.{name}", empty_ok=True)
            return _normalise(value, columns)
        return value

    manifest = getattr(extra, "manifest", None) if extra is not None else None
    return Results(
        frame=_normalise(frame, EFFECTS_COLUMNS),
        manifest=dict(manifest) if isinstance(manifest, Mapping) else {},
        paired=attr("paired", PAIRED_COLUMNS),
        decomposition=attr("decomposition", DECOMPOSITION_COLUMNS),
        flows=attr("flows", FLOWS_COLUMNS),
        design=attr("design"),
        indices=attr("indices", INDICES_COLUMNS),
        path=Path(extra.path) if isinstance(getattr(extra, "path", None), str | Path) else None,
    )


def last_step(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows at each scenario's last step (the end of the horizon)."""
    if frame.empty:
        return frame
    last = frame.groupby("scenario")["step"].transform("max")
    return frame[frame["step"] == last]


def select(
    frame: pd.DataFrame,
    *,
    scenario: str | None = None,
    metric: str | Sequence[str] | None = None,
    level: str | Sequence[str] | None = None,
    group: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of a tidy effects-like table matching every given filter (a string or a list of accepted values)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, value in (("scenario", scenario), ("metric", metric), ("level", level), ("group", group)):
        if value is None:
            continue
        column = frame[col].to_numpy(dtype=object)
        mask &= column == value if isinstance(value, str) else np.isin(column, list(value))
    return frame[mask]

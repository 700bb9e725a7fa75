"""The results folder: one Parquet shard per run written atomically, and a manifest of every run and its status.

Nothing already computed is lost or overwritten: a folder that exists is refused unless the caller asks to
``force`` (start again) or ``resume`` (keep the finished runs, compute the rest); each shard and the manifest are
written to a temporary file in the same folder and renamed into place, so an interrupted write never leaves half a
file; a resumed folder must come from the same model, data and settings (checksums in the manifest).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
RUNS_DIR = "runs"
EFFECTS = "effects.parquet"
PAIRED = "paired.parquet"
DECOMPOSITION = "decomposition.parquet"


class StoreError(Exception):
    """A results folder that cannot be used as asked (exists, unwritable, written by another model or data set).

    Attributes:
        message: What is wrong.
        hint: What to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (numpy scalars, paths, tuples and sets converted)."""
    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def atomic_write_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename (``sync``: fsync first)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(jsonable(data), indent=2) + "\n").encode("utf-8"))


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary encoding: every column but the floating-point ones.

    Values such as metric results are nearly all distinct: a dictionary for them costs time and space (a run's shard
    at 10,000 firms × 40 steps encodes in about two thirds of the time and is a fifth smaller without it).
    """
    return [f.name for f in schema if not pa.types.is_floating(f.type)]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` encoded as ``atomic_write_parquet`` writes it (no index, zstd, no dictionary for floats).

    A worker encodes its run's shard so that only the compressed bytes travel to the process writing the results.
    """
    import io

    buf = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, buf, compression="zstd", use_dictionary=dictionary_columns(table.schema))
    return buf.getvalue()


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as Parquet (no index, zstd, no dictionary for floats), atomically."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, tmp, compression="zstd", use_dictionary=dictionary_columns(table.schema))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(folder: Path) -> None:
    """Check, before any simulation, that ``folder`` (or the nearest existing parent) accepts new files.

    Raises:
        StoreError: The folder or its parent is not a directory or not writable.
    """
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise StoreError(f"{probe} is not a directory", "choose another --out")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dlsim-write-check.", dir=probe)
        os.close(fd)
        Path(tmp).unlink()
    except OSError as exc:
        raise StoreError(f"cannot write in {probe}: {exc.strerror or exc}", "choose another --out") from None


def shard_path(root: Path, scenario: str, replicate: int) -> Path:
    """``runs/<scenario>/r<replicate:03d>.parquet`` under ``root``."""
    return root / RUNS_DIR / scenario / f"r{replicate:03d}.parquet"


def shard_relpath(scenario: str, replicate: int) -> str:
    """The shard's path relative to the results folder (as written in the manifest)."""
    return f"{RUNS_DIR}/{scenario}/r{replicate:03d}.parquet"


class ResultsStore:
    """A results folder being written.

    Args:
        root: The folder.
        manifest: The manifest to keep (its ``runs`` list is filled as runs finish).
    """

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = root
        self.manifest = manifest
        self.manifest.setdefault("runs", [])

    # ------------------------------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        root: Path,
        manifest: dict[str, Any],
        *,
        force: bool = False,
        resume: bool = False,
        compatible_keys: tuple[str, ...] = ("kind", "model_checksum", "data_checksums", "settings", "seed"),
    ) -> ResultsStore:
        """Open ``root`` for writing ``manifest``'s runs.

        A new folder is created. An existing non-empty folder is refused unless ``force`` (its contents are removed)
        or ``resume`` (its finished runs are kept; its manifest must agree with ``manifest`` on ``compatible_keys``).

        Raises:
            StoreError: The folder exists (without ``force``/``resume``), is not writable, or was written by another
                model version, data set or settings.
        """
        check_writable(root)
        exists = root.exists() and any(root.iterdir()) if root.is_dir() else root.exists()
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root} exists and is not a directory", "choose another --out")
        if exists and resume:
            old_path = root / MANIFEST
            if not old_path.is_file():
                raise StoreError(
                    f"{root} has no {MANIFEST}: it is not a dlsim results folder", "choose another --out or use --force"
                )
            try:
                old = json.loads(old_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise StoreError(f"cannot read {old_path}: {exc}", "use --force to start again") from None
            problems = manifest_differences(old, manifest, compatible_keys)
            if problems:
                raise StoreError(
                    f"cannot resume {root}: it was written with another " + "; ".join(problems),
                    "use another --out, or --force to discard it and start again",
                )
            store = cls(root, manifest)
            store.manifest["runs"] = [r for r in old.get("runs", []) if r.get("status") == "done"]
            return store
        if exists and not force:
            raise StoreError(
                f"{root} already holds results",
                "add --resume to finish its missing runs, --force to replace it, or choose another --out",
            )
        if exists and force:
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, manifest)
        store.write_manifest()
        return store

    # ------------------------------------------------------------------------------------------ runs
    def finished(self) -> set[tuple[str, int]]:
        """(scenario, replicate) of every run whose shard is complete on disk.

        A shard exists only once fully written (atomic rename), so a shard without a manifest entry (the process was
        killed between the two writes) counts as finished, and is added to the manifest.
        """
        done = {(r["scenario"], int(r["replicate"])) for r in self.manifest["runs"] if r.get("status") == "done"}
        runs_dir = self.root / RUNS_DIR
        on_disk: set[tuple[str, int]] = set()
        if runs_dir.is_dir():
            for path in runs_dir.glob("*/r*.parquet"):
                try:
                    on_disk.add((path.parent.name, int(path.stem[1:])))
                except ValueError:
                    continue
        missing = done - on_disk
        self.manifest["runs"] = [
            r for r in self.manifest["runs"] if (r["scenario"], int(r["replicate"])) not in missing
        ]
        for scenario, replicate in sorted(on_disk - done):
            self.manifest["runs"].append(
                {
                    "id": f"{scenario}/r{replicate:03d}",
                    "scenario": scenario,
                    "replicate": replicate,
                    "status": "done",
                    "shard": shard_relpath(scenario, replicate),
                    "wall_s": None,
                }
            )
        return on_disk

    def record(
        self,
        scenario: str,
        replicate: int,
        status: str,
        frame: pd.DataFrame | bytes | None,
        wall_s: float,
        error: str | None,
    ) -> None:
        """Write a finished run's shard (a table, or its Parquet bytes) and add the run to the manifest."""
        entry: dict[str, Any] = {
            "id": f"{scenario}/r{replicate:03d}",
            "scenario": scenario,
            "replicate": int(replicate),
            "status": status,
            "wall_s": round(float(wall_s), 4),
        }
        if frame is not None and status == "done":
            path = shard_path(self.root, scenario, replicate)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(frame, bytes):
                atomic_write_bytes(path, frame, sync=False)
            else:
                atomic_write_parquet(path, frame)
            entry["shard"] = shard_relpath(scenario, replicate)
        if error:
            entry["error"] = error
        self.manifest["runs"] = [
            r for r in self.manifest["runs"] if not (r["scenario"] == scenario and int(r["replicate"]) == replicate)
        ]
        self.manifest["runs"].append(entry)

    def write_manifest(self) -> None:
        """Write the manifest (atomically)."""
        self.manifest["runs"].sort(key=lambda r: (r["scenario"], int(r["replicate"])))
        atomic_write_json(self.root / MANIFEST, self.manifest)

    def finish(self, wall_s: float, timing: dict[str, float], notes: list[str]) -> list[str]:
        """Close a study: note failed runs first, record wall time, phase timings and notes, write the manifest.

        Args:
            wall_s: Seconds the study took.
            timing: Seconds per phase (rounded to milliseconds when written).
            notes: Notes for the user; a note on failed runs is put first (the list is changed in place).

        Returns:
            ``notes``.
        """
        failed = [r for r in self.manifest["runs"] if r.get("status") == "failed"]
        if failed:
            notes.insert(0, f"{len(failed)} run(s) failed (see manifest.json runs[].error); --resume retries them")
        self.manifest["wall_s"] = round(wall_s, 3)
        self.manifest["timing"] = {k: round(v, 3) for k, v in timing.items()}
        self.manifest["notes"] = notes
        self.write_manifest()
        return notes


def manifest_differences(old: Mapping[str, Any], new: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    """What differs between two manifests on ``keys``, in words (empty when they agree)."""
    words = {
        "kind": "kind of study",
        "model_checksum": "model version (model checksum)",
        "data_checksums": "data set (data checksums)",
        "settings": "settings (firms, steps, start year or step length)",
        "seed": "root seed",
        "scenarios": "scenarios",
        "dlsim_version": "dlsim version",
    }
    out = []
    for key in keys:
        a, b = jsonable(old.get(key)), jsonable(new.get(key))
        if key == "settings" and isinstance(a, dict) and isinstance(b, dict):
            ignore = {"executor", "workers", "scheduler", "replicates", "executor_description"}
            a = {k: v for k, v in a.items() if k not in ignore}
            b = {k: v for k, v in b.items() if k not in ignore}
        if key == "seed" and isinstance(a, dict) and isinstance(b, dict):
            a, b = a.get("entropy"), b.get("entropy")
        if a != b:
            out.append(words.get(key, key))
    return out


def read_manifest(root: Path) -> dict[str, Any]:
    """Read ``root/manifest.json``.

    Raises:
        StoreError: It is missing or not JSON.
    """
    path = root / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            f"{root} has no {MANIFEST}: not a dlsim results folder", "give the --out of a compare"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None

"""Safe file names derived from scenario or folder names, and a check that a path stays inside its folder."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_NAME = 80
"""Longest file-name stem made from a name (characters)."""


def safe_name(text: str, fallback: str = "report") -> str:
    """Return ``text`` as a file-name stem: ASCII letters, digits, ``-``, ``_`` and ``.`` only, no leading dot.

    Path separators, ``..`` and control characters cannot survive, so the result never names another folder.
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    stem = re.sub(r"\.{2,}", ".", stem).strip(".-_")[:MAX_NAME].strip(".-_")
    return stem or fallback


def inside(folder: Path | str, name: str) -> Path:
    """Return ``folder / name`` after checking that it resolves inside ``folder``.

    Raises:
        ValueError: If the path would leave ``folder`` (an absolute name, ``..``, or a symlink pointing out).
    """
    base = Path(folder).resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{name!r} would be written outside {base}")
    return target

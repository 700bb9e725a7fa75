"""The report's one catalogue of strings (``catalogue.yaml``) in English, Spanish, Portuguese and French.

Every label, title and sentence the report shows comes from here through :func:`text`; the page carries the strings
it uses in all four languages and switches between them without reloading. Names of economies, regions, sectors,
size classes and metrics have helpers (:func:`metric_label`, :func:`group_label`) that fall back to the raw code
when the catalogue has no entry, so an unknown group never breaks a report (a test lists the missing ones).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr")
"""Languages of the report, English first (the source language)."""
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español", "pt": "Português", "fr": "Français"}
"""Each language's name in itself (shown in the language menu; proper names, not translated)."""
CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.yaml"
ALLOWLIST_KEY = "same_as_english"

GROUP_PREFIXES: dict[str, str] = {
    "world": "group",
    "development": "group",
    "region": "region",
    "income_group": "income",
    "size": "size",
    "sector": "sector",
    "economy": "economy",
}
"""Catalogue prefix of each level's group names."""


@cache
def _load() -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    allow = raw.pop(ALLOWLIST_KEY, {}) or {}
    return {str(k): {str(lang): str(s) for lang, s in v.items()} for k, v in raw.items()}, allow


def catalogue() -> dict[str, dict[str, str]]:
    """Every catalogue entry: key → {language → string}."""
    return _load()[0]


def same_as_english() -> dict[str, list[str]]:
    """Keys whose translation may equal the English, with the languages where it may (proper names, units)."""
    return _load()[1]


def has(key: str) -> bool:
    """Whether the catalogue holds ``key``."""
    return key in catalogue()


def text(key: str, lang: str = "en", **values: Any) -> str:
    """Return the string ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``.

    Raises:
        KeyError: If ``key`` is not in the catalogue (every string the report shows must be).
    """
    entry = catalogue()[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**values) if values else template


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a catalogue string expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def metric_label(metric: str, lang: str = "en") -> str:
    """A metric's short label (the metric name itself when the catalogue has none)."""
    key = f"metric.{metric}.label"
    return text(key, lang) if has(key) else metric


def group_label(level: str, group: str, lang: str = "en") -> str:
    """A group's name in ``lang`` (the group code when the catalogue has none)."""
    prefix = GROUP_PREFIXES.get(level)
    key = f"{prefix}.{group}" if prefix else ""
    return text(key, lang) if key and has(key) else group


def component_label(component: str, lang: str = "en") -> str:
    """A decomposition component's name (the raw name when the catalogue has none)."""
    key = f"component.{component}"
    return text(key, lang) if has(key) else component.replace("_", " ")


def family_label(family: str, lang: str = "en") -> str:
    """A metric family's name (the raw name when the catalogue has none)."""
    key = f"family.{family}"
    return text(key, lang) if has(key) else family.replace("_", " ")


def direction_label(direction: int, lang: str = "en") -> str:
    """How to read a metric: higher is better, lower is better, or neither."""
    return text({1: "direction.up", -1: "direction.down"}.get(int(direction), "direction.neutral"), lang)


def page_strings(keys: set[str] | None = None) -> dict[str, dict[str, str]]:
    """The catalogue entries the page switches between (all of them when ``keys`` is ``None``)."""
    cat = catalogue()
    return {k: v for k, v in cat.items() if keys is None or k in keys}

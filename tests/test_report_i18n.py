"""The report's catalogue: every string in four languages, placeholders alike, no untranslated copy of the English,
and every key the report's code and template use present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.model.metrics import EXTRA_METRICS, METRICS
from simulator.report import i18n
from simulator.report.glossary import declarations, glossary_rows
from simulator.world import load_world

REPORT = Path(__file__).resolve().parents[1] / "simulator" / "report"
CATALOGUE = i18n.catalogue()


def test_every_entry_has_every_language() -> None:
    bad = [
        f"{key}: missing {sorted(set(i18n.LANGUAGES) - {k for k, v in entry.items() if v.strip()})}"
        for key, entry in CATALOGUE.items()
        if any(not entry.get(lang, "").strip() for lang in i18n.LANGUAGES)
    ]
    assert not bad, "missing translations:\n" + "\n".join(bad)


def test_placeholders_are_the_same_in_every_language() -> None:
    bad = []
    for key, entry in CATALOGUE.items():
        expected = i18n.placeholders(entry["en"])
        bad += [f"{key} [{lang}]" for lang in i18n.LANGUAGES if i18n.placeholders(entry[lang]) != expected]
    assert not bad, "placeholder mismatch: " + ", ".join(bad)


def test_no_translation_is_a_copy_of_the_english_outside_the_allowlist() -> None:
    allow = i18n.same_as_english()
    copies = [
        f"{key} [{lang}]: {entry[lang]!r}"
        for key, entry in CATALOGUE.items()
        for lang in i18n.LANGUAGES[1:]
        if entry[lang] == entry["en"] and lang not in allow.get(key, [])
    ]
    assert not copies, "translations equal to the English (translate, or allowlist a proper name/unit):\n" + "\n".join(
        copies
    )


def test_allowlist_is_short_and_current() -> None:
    allow = i18n.same_as_english()
    stale = [
        f"{key} [{lang}]"
        for key, langs in allow.items()
        for lang in langs
        if key not in CATALOGUE or CATALOGUE[key][lang] != CATALOGUE[key]["en"]
    ]
    assert not stale, "allowlisted entries that differ from the English (remove them): " + ", ".join(stale)
    non_names = [k for k in allow if not k.startswith(("economy.", "size.", "family.", "component."))]
    assert not non_names, f"only proper names and units may be allowlisted: {non_names}"


def test_declared_metrics_have_labels_and_current_definitions() -> None:
    declared = {m.name: m.definition for m in METRICS} | {k: v[0] for k, v in EXTRA_METRICS.items()}
    missing = [m for m in declared if f"metric.{m}.label" not in CATALOGUE]
    missing += [m for m in declared if f"metric.{m}.definition" not in CATALOGUE]
    assert not missing, f"metrics without catalogue entries: {sorted(set(missing))}"
    stale = [m for m, d in declared.items() if CATALOGUE[f"metric.{m}.definition"]["en"] != d]
    assert not stale, (
        "the model's definition changed: update metric.NAME.definition (en, then es/pt/fr) in "
        f"simulator/report/catalogue.yaml for {stale}"
    )


def test_world_groups_have_names() -> None:
    world = load_world()
    missing = [f"region.{r}" for r in sorted(set(world.economies["region"])) if f"region.{r}" not in CATALOGUE]
    missing += [f"sector.{s}" for s in world.sector_codes if f"sector.{s}" not in CATALOGUE]
    missing += [f"economy.{e}" for e in world.iso3 if f"economy.{e}" not in CATALOGUE]
    missing += [f"income.{g}" for g in sorted(set(world.economies["income_group"])) if f"income.{g}" not in CATALOGUE]
    assert not missing, f"world groups without catalogue names: {missing}"


def _keys_used_in_code() -> set[str]:
    keys: set[str] = set()
    pattern = re.compile(r"""["']((?:ui|fig|group|direction|family)\.[a-z0-9_]+)["']""")
    for path in [
        *REPORT.glob("*.py"),
        REPORT / "templates" / "report.html.j2",
        REPORT.parent / "cli" / "report_cmd.py",
    ]:
        keys |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_code_uses_exists() -> None:
    used = _keys_used_in_code()
    assert len(used) > 60  # the scan sees the template and the figure functions
    missing = sorted(k for k in used if k not in CATALOGUE)
    assert not missing, f"keys used but not in catalogue.yaml: {missing}"


def test_text_fills_placeholders_and_refuses_unknown_keys() -> None:
    assert i18n.text("fig.fan_title", "fr", metric="X") == "X : effet dans le temps"
    with pytest.raises(KeyError):
        i18n.text("ui.no_such_string")


def test_glossary_is_translated_and_flags_stale_definitions() -> None:
    info = declarations()
    rows = glossary_rows(["cross_border_share"], info, "es")
    assert rows[0]["label"] == "Proporción transfronteriza de las ventas"
    assert rows[0]["definition"].startswith("Ventas transfronterizas") and not rows[0]["pending"]
    changed = dict(info)
    changed["cross_border_share"] = type(info["cross_border_share"])(
        "cross_border_share", "A new definition", 1, "market_integration"
    )
    stale = glossary_rows(["cross_border_share"], changed, "pt")[0]
    assert stale["definition"] == "A new definition" and stale["pending"] == i18n.text("ui.translation_pending", "pt")


def test_group_labels_fall_back_to_codes() -> None:
    assert i18n.group_label("region", "LAC", "pt") == "América Latina e Caribe"
    assert i18n.group_label("economy", "ZZZ", "fr") == "ZZZ"
    assert i18n.metric_label("not_a_metric", "es") == "not_a_metric"

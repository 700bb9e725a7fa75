"""Shared helpers for the scenario tests (no tests here): a small vocabulary and a file writer."""

from __future__ import annotations

import textwrap
from pathlib import Path

from simulator.scenario.vocabulary import Vocabulary

HEADER = "header: {title: T, author: A, description: D}\n"

VOCAB = Vocabulary(
    economies=("KEN", "UGA", "TZA", "NGA", "BRA", "ARG", "USA", "EUU"),
    sectors=("finance_payments", "ict_digital", "manufacturing"),
    region_of={
        "KEN": "AFR",
        "UGA": "AFR",
        "TZA": "AFR",
        "NGA": "AFR",
        "BRA": "LAC",
        "ARG": "LAC",
        "USA": "NAM",
        "EUU": "EUR",
    },
    income_group_of={
        "KEN": "LMC",
        "UGA": "LIC",
        "TZA": "LMC",
        "NGA": "LMC",
        "BRA": "UMC",
        "ARG": "UMC",
        "USA": "HIC",
        "EUU": "HIC",
    },
    memberships={
        "EAC": {"KEN": "member", "UGA": "member", "TZA": "member"},
        "MERCOSUR": {"BRA": "member", "ARG": "member"},
        "DEPA": {"USA": "applicant"},
    },
)


def write(tmp: Path, name: str, body: str, header: bool = True, version: bool = True) -> Path:
    text = textwrap.dedent(body)
    prefix = ("schema_version: 1\n" if version else "") + (HEADER if header else "")
    path = tmp / name
    path.write_text(prefix + text, encoding="utf-8")
    return path

"""Nothing in the project refers to a file outside it.

Scenarios, sweeps, parameters, data sidecars, help texts and docs cite primary sources or files of this repository,
never the design notes the project started from (kept elsewhere), a machine's absolute paths or a throwaway script.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OUTSIDE = {
    "a file of the shared design folder": re.compile(r"\.\./shared|shared/design"),
    "the design sketch": re.compile(r"model-sketch"),
    "the design notes' evidence file": re.compile(r"evidence\.md \(dlsim"),
    "an absolute path of a machine": re.compile(r"(?<![\w.:/-])/(?:work|home|Users|root)/[\w.-]"),
    "a script in a temporary folder": re.compile(r"(?<![\w.:/-])/tmp/[\w./-]*\.(?:py|sh|ipynb)\b"),
}
"""What a reference to a file outside the repository looks like, by the name shown in the failure."""

BARE_EVIDENCE = re.compile(r"(?<![\w/.-])evidence\.md")
"""``evidence.md`` without ``docs/`` names the design notes' file, except inside docs/ where it is the sibling page."""

SKIP_SUFFIXES = {".png", ".svg", ".parquet", ".gz", ".zip", ".pdf", ".ico", ".woff", ".woff2", ".jpg"}
SKIP_PREFIXES = ("tests/expected/",)
SELF = "tests/test_self_contained.py"


def _tracked_text_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:  # not a git checkout (e.g. an sdist)
        pytest.skip(f"git ls-files is not available here: {exc}")
    files = []
    for name in out.splitlines():
        if name == SELF or name.startswith(SKIP_PREFIXES) or Path(name).suffix.lower() in SKIP_SUFFIXES:
            continue
        files.append(name)
    return files


def _offences(name: str, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in OUTSIDE.items():
            if pattern.search(line):
                found.append(f"{name}:{number}: refers to {what}: {line.strip()[:160]}")
        if not name.startswith("docs/") and BARE_EVIDENCE.search(line):
            found.append(f"{name}:{number}: cites 'evidence.md' (say docs/evidence.md): {line.strip()[:160]}")
    return found


def test_no_tracked_file_refers_to_a_file_outside_the_repository() -> None:
    offences = []
    for name in _tracked_text_files():
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offences.extend(_offences(name, text))
    assert not offences, "references to files outside the repository:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "line",
    [
        "source: ../shared/design/evidence.md",
        "see model-sketch.md section 3",
        "https://example.org; evidence.md (dlsim)",
        "measured with /work/scratch/gft2.py data_autarky",
        "Measured with `/tmp/perf6/ab.py`-style runs",
        "data in /home/alice/dlsim/data",
    ],
)
def test_the_patterns_catch_outside_references(line: str) -> None:
    assert _offences("data/x.meta.yaml", line)


@pytest.mark.parametrize(
    "line",
    [
        "dlsim run scenarios/baseline.yaml --out /tmp/debug",
        "the calibration targets in docs/evidence.md",
        "https://www.bea.gov/industry/input-output-accounts-data",
        "python data/build/wdi_economies.py /tmp/wdi --write",
    ],
)
def test_the_patterns_leave_repository_references_alone(line: str) -> None:
    assert not _offences("README.md", line)


def test_bare_evidence_is_allowed_inside_docs() -> None:
    assert not _offences("docs/model.md", "see [the evidence](evidence.md)")
    assert _offences("data/memberships.csv", "per evidence.md")

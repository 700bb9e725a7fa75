"""docs/extending.md is true: its code is the example files verbatim, and its commands run as written.

``dlsim compare`` runs with ``--executor serial --no-report`` here (the tutorial's default process pool and report
take longer and write to reports/); ``--out`` folders are put in a temporary directory.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"(?:<!-- (?P<tag>[^>]*) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)
runner = CliRunner()


def blocks() -> list[tuple[str, str, str]]:
    """(tag, language, body) of every fenced block of the tutorial (tag: the HTML comment just above, if any)."""
    return [(m["tag"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_code_blocks_are_the_example_files_verbatim():
    same = [(tag.removeprefix("same as ").strip(), body) for tag, _, body in blocks() if tag.startswith("same as ")]
    assert {p for p, _ in same} >= {"examples/extending/catch_up.py", "examples/extending/catch_up.yaml"}
    for path, body in same:
        assert (ROOT / path).read_text(encoding="utf-8") == body, f"docs/extending.md and {path} differ"
    # the tutorial's promise: a new innovation rule in under 40 lines in one file
    assert len((ROOT / "examples/extending/catch_up.py").read_text(encoding="utf-8").splitlines()) < 40


@pytest.fixture
def tutorial_env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DLSIM_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


def test_the_tutorial_runs(tutorial_env):
    tmp = tutorial_env
    env: dict[str, str] = {"COLUMNS": "200", "DLSIM_CACHE_DIR": str(tmp / "cache")}
    ran = []
    for tag, lang, body in blocks():
        if tag != "run":
            continue
        if lang == "python":
            with pytest.MonkeyPatch.context() as mp:
                for k, v in env.items():
                    mp.setenv(k, v)
                exec(compile(body, str(DOC), "exec"), {})  # the tutorial's own code
            ran.append("python")
            continue
        for line in body.splitlines():
            words = shlex.split(line)
            if not words:
                continue
            if words[0] == "export":
                name, _, value = words[1].partition("=")
                env[name] = value
                continue
            assert words[0] == "dlsim", line
            args = words[1:]
            if "--out" in args:
                i = args.index("--out") + 1
                args[i] = str(tmp / args[i])
            if args[0] == "compare":
                args += ["--executor", "serial", "--no-report"]
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 0, f"{line}\n{result.output}"
            ran.append(args[0])
            if args[0] == "params":
                assert "catch_up" in result.output and "success_rate" in result.output
    assert ran == ["params", "python", "run", "compare"]
    import json

    run_manifest = json.loads((tmp / "results/catch_up/manifest.json").read_text())
    assert run_manifest["behaviours"]["innovation"]["rule"] == "catch_up"
    assert run_manifest["behaviours"]["innovation"]["params"] == {"success_rate": 0.08, "catch_up": 0.25}
    compare_manifest = json.loads((tmp / "results/catch_up_vs_ban/manifest.json").read_text())
    for name in ("catch_up", "catch_up_ban_nigeria"):
        assert compare_manifest["scenarios"][name]["behaviours"]["innovation"]["rule"] == "catch_up"

    # the error shown in the tutorial is the one dlsim prints
    [shown] = [body.strip() for _, lang, body in blocks() if lang == "text"]
    bad = tmp / "catch_up.yaml"
    text = (ROOT / "examples/extending/catch_up.yaml").read_text(encoding="utf-8")
    text = text.replace("../../scenarios/baseline.yaml", str(ROOT / "scenarios/baseline.yaml"))
    bad.write_text(text.replace("catch_up: 0.25", "catch_up: 1.5"), encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp / "never")], env=env)
    assert result.exit_code == 2
    assert shown in " ".join(result.output.split()), result.output
    assert not (tmp / "never").exists()

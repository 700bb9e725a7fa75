"""``dlsim validate-model``: the stylised facts as paired tests into ``validation/``, and the report's section of it.

The runs are small (400 firms, 2 pairs, 3 steps, fact 4; fact 7's design through the API with three scenarios):
these tests check the command, the files, the verdict logic and the report, not the facts themselves
(``tests/test_model_stylised*.py`` do, at full size).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_fixture import shared_results
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli import commands as _commands  # noqa: F401  (registers the commands)
from simulator.experiment import validation as v
from simulator.experiment.validation import FACTS, Effect, Fact
from simulator.report import i18n

runner = CliRunner()
SMALL = ("--firms", "400", "--pairs", "2", "--steps", "3")


def cli(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """One small validation of fact 4, serial."""
    out = tmp_path_factory.mktemp("validation") / "v"
    result = cli("validate-model", "--facts", "4", *SMALL, "--executor", "serial", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


# ----------------------------------------------------------------------------------------------------- the files
def test_writes_the_table_csv_and_manifest(small: Path) -> None:
    table = pd.read_parquet(small / "validation" / "facts.parquet")
    assert list(table.columns) == list(v.TABLE_COLUMNS)
    assert list(table["id"]) == ["fact4_sign", "fact4_band"]
    assert (table["n"] == 2).all() and (table["firms"] == 400).all() and (table["steps"] == 3).all()
    assert list(table["seeds"]) == ["20000-20001", "20000-20001"]
    csv = pd.read_csv(small / "validation" / "facts.csv", keep_default_na=False)
    assert list(csv["id"]) == list(table["id"])
    np.testing.assert_allclose(csv["mean"].to_numpy(float), table["mean"].to_numpy(float), rtol=1e-12)
    manifest = json.loads((small / "validation" / "manifest.json").read_text())
    assert manifest["kind"] == "validation" and manifest["facts"] == list(table["id"])
    assert manifest["settings"]["reforms"]["firms"] == 400 and manifest["settings"]["reforms"]["pairs"] == 2
    assert "trust" not in manifest["settings"]  # no fact 7: its design is not run
    assert manifest["model_checksum"] and manifest["data_checksums"] and manifest["versions"]["numpy"]
    assert manifest["command"].startswith("dlsim validate-model --facts 4 --firms 400")
    assert manifest["checked"] == 2 and manifest["passed"] == int(table["passed"].sum())
    assert not list(small.glob(".validation*"))  # no temporary folder left


def test_verdicts_follow_the_declarations(small: Path) -> None:
    """Each row's pass/fail is its fact's rule applied to the row's interval and mean, and the CI brackets the mean."""
    table = pd.read_parquet(small / "validation" / "facts.parquet")
    for r in table.itertuples(index=False):
        assert r.ci_low <= r.mean <= r.ci_high
        f = v.fact(r.id)
        side = r.ci_low > 0 if f.direction > 0 else r.ci_high < 0
        band = f.band is None or f.band[0] <= r.mean <= f.band[1]
        if not f.every_pair:
            assert r.passed == (side and band), r.id
        else:
            assert (not r.passed) or side
    four = table.set_index("id").loc[["fact4_sign", "fact4_band"]]
    assert four["mean"].nunique() == 1  # the same measure, two expectations


def test_same_seeds_same_table_on_any_executor(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    result = cli("validate-model", "--facts", "4", *SMALL, "--workers", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    a = pd.read_parquet(small / "validation" / "facts.parquet")
    b = pd.read_parquet(out / "validation" / "facts.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_refuses_to_overwrite_without_force(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(small, out)
    before = (out / "validation" / "facts.parquet").read_bytes()
    result = cli("validate-model", "--facts", "fact4_sign", *SMALL, "--out", str(out))
    assert result.exit_code == 2 and "already holds a validation table" in result.output and "--force" in result.output
    assert (out / "validation" / "facts.parquet").read_bytes() == before
    result = cli(
        "validate-model", "--facts", "fact4_sign", *SMALL, "--executor", "serial", "--out", str(out), "--force"
    )
    assert result.exit_code == 0, result.output
    assert list(pd.read_parquet(out / "validation" / "facts.parquet")["id"]) == ["fact4_sign"]
    assert "1 check(s)" in result.output and ("FAIL" in result.output or "pass" in result.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--facts", "9"), "no fact '9'"),
        (("--facts", "fact4_sing"), "did you mean 'fact4_sign'"),
        (("--pairs", "1"), "a t interval needs 2 pairs or more"),
        (("--steps", "1"), "the facts' window starts at step 2"),
        (("--firms", "10"), "too few for the full world"),
        (("--firms", "ten"), "not a number"),
        (("--executor", "cloud"), "--executor 'cloud' is not known"),
    ],
)
def test_bad_input_is_one_message_before_any_run(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cli("validate-model", "--facts", "4", *SMALL[:2], *args, "--out", str(tmp_path / "x"))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x" / "validation").exists()


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("validate-model", "--facts", "4", *SMALL, "--out", str(target))
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_list_shows_every_fact_and_runs_nothing() -> None:
    result = cli("validate-model", "--list")
    assert result.exit_code == 0
    for f in FACTS:
        assert f.id in result.output


def test_trust_design_measures_fact7(tmp_path: Path) -> None:
    """Fact 7's design (every scenario branched from one baseline model per replicate), three scenarios, tiny."""
    settings = v.Settings(firms=300, pairs=2, steps=3, seed0=24_000, window=8)
    study = v.TrustStudy(settings, ("baseline", "no_rules", "wto_jsi_data_flows"))
    table = v.validation_table([v.fact("fact7_trust_on"), v.fact("fact7_trust_off")], trust=study)
    assert list(table["id"]) == ["fact7_trust_on", "fact7_trust_off"] and (table["n"] == 2).all()
    assert table.loc[1, "every_pair"] and sorted(study.records) == [(False, 0), (False, 1), (True, 0), (True, 1)]
    assert set(study.records[(False, 0)]) == {"baseline", "no_rules"}
    on = study.real_income(True)
    effects = v.with_trust(study)
    assert set(effects) == {"baseline", "wto_jsi_data_flows"}
    np.testing.assert_allclose(effects["baseline"].values, 100.0 * (on["baseline"] / on["no_rules"] - 1.0))
    best = max(effects, key=lambda n: effects[n].interval[0])
    assert table.loc[0, "note"] == f"best: {best}" and table.loc[0, "mean"] == pytest.approx(effects[best].mean)


def test_innovation_design_measures_fact8() -> None:
    """Fact 8's runs: the implementers' mean % change against the paired baseline, from the kept runs."""
    settings = v.Settings(firms=1000, pairs=2, steps=3, seed0=30_000, window=2)
    study = v.InnovationStudy(settings)
    table = v.validation_table([v.fact("innovation_storage_conditional_cloud_ai_access")], innovation=study)
    assert sorted(study.records) == [("none", 0), ("none", 1), ("storage_conditional", 0), ("storage_conditional", 1)]
    expected = [
        np.mean(
            [
                100.0
                * (
                    study.records[("storage_conditional", r)][("cloud_ai_access", c)]
                    / study.records[("none", r)][("cloud_ai_access", c)]
                    - 1.0
                )
                for c in v.INNOVATION_IMPLEMENTERS
            ]
        )
        for r in range(2)
    ]
    assert np.isfinite(expected).all() and table.loc[0, "direction"] == -1
    assert table.loc[0, "mean"] == pytest.approx(np.mean(expected))


def test_an_undefined_pair_fails_with_a_note() -> None:
    """A zero baseline (possible at small sizes) makes the effect undefined: the check fails and says why."""
    study = v.InnovationStudy(v.Settings(firms=400, pairs=2, steps=3, seed0=1, window=2))
    for r in range(2):
        study.records[("none", r)] = {("rd_intensity", c): 1.0 for c in v.INNOVATION_IMPLEMENTERS}
        study.records[("storage_ban", r)] = {("rd_intensity", c): 0.5 for c in v.INNOVATION_IMPLEMENTERS}
    study.records[("none", 1)][("rd_intensity", "KEN")] = 0.0
    table = v.validation_table([v.fact("innovation_storage_ban_rd_intensity")], innovation=study)
    assert not table.loc[0, "passed"] and "undefined in 1 pair(s)" in table.loc[0, "note"]
    study.records[("none", 1)][("rd_intensity", "KEN")] = 1.0
    table = v.validation_table([v.fact("innovation_storage_ban_rd_intensity")], innovation=study)
    assert table.loc[0, "mean"] == pytest.approx(-50.0) and table.loc[0, "note"] == ""
    assert table.loc[0, "passed"] and table.loc[0, "ci_high"] == pytest.approx(-50.0)  # no spread: a point interval


# --------------------------------------------------------------------------------------------- the declarations
def _fact(direction: int, band: tuple[float, float] | None = None, every_pair: bool = False) -> Fact:
    return Fact(
        "x", 1, "s", "m", direction, band, "%", "src", "reforms", (), lambda s: (Effect(np.ones(2)), ""), every_pair
    )


def test_pass_rule() -> None:
    up, down = Effect(np.array([1.0, 1.2, 0.9])), Effect(np.array([-1.0, -1.2, -0.9]))
    noisy = Effect(np.array([3.0, -2.0, 0.5]))
    assert _fact(+1).passes(up) and not _fact(+1).passes(down) and not _fact(+1).passes(noisy)
    assert _fact(-1).passes(down) and not _fact(-1).passes(up)
    assert _fact(+1, (0.5, 2.0)).passes(up) and not _fact(+1, (6.0, 14.0)).passes(up)
    some_negative = Effect(np.array([5.0, 6.0, 5.5, 4.0, -0.1, 5.0]))
    assert _fact(+1).passes(some_negative) and not _fact(+1, every_pair=True).passes(some_negative)
    assert not _fact(+1).passes(Effect(np.array([1.0, np.nan, 2.0])))
    lo, hi = up.interval
    assert lo < up.mean < hi and hi - lo == pytest.approx(2 * up.half_width)


def test_facts_are_declared_once_with_sources_and_translated_statements() -> None:
    ids = [f.id for f in FACTS]
    assert len(ids) == len(set(ids))
    assert sorted({f.fact for f in FACTS}) == [1, 2, 3, 4, 5, 6, 7, 8]
    for f in FACTS:
        assert f.source and f.direction in (-1, 1) and f.design in ("reforms", "trust", "innovation") and f.needs
        key = f"fact.{f.id}.statement"
        assert i18n.has(key) and i18n.text(key, "en") == f.statement, f"catalogue.yaml {key} is missing or stale"


def test_select_facts_by_number_id_and_prefix() -> None:
    assert [f.id for f in v.select_facts(["2"])] == ["fact2_loss", "fact2_investment_falls", "fact2_investment_gap"]
    assert [f.id for f in v.select_facts(["fact5_non_exit,1"])][-1] == "fact5_non_exit"
    assert len(v.select_facts(["fact1"])) == 4 and len(v.select_facts(None)) == len(FACTS)


# ----------------------------------------------------------------------------------------------------- the report
def _page_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_report_of_a_study_shows_its_validation(small: Path, tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(shared_results(), study)
    shutil.copytree(small / "validation", study / "validation")
    out = tmp_path / "r.html"
    result = cli("report", str(study), "-o", str(out))
    assert result.exit_code == 0, result.output
    page = _page_text(out)
    table = pd.read_parquet(small / "validation" / "facts.parquet")
    assert 'id="validation"' in page and 'href="#validation"' in page and 'data-i18n="ui.validation"' in page
    assert 'data-i18n="fact.fact4_sign.statement"' in page and "fact4_band" in page
    assert 'data-i18n="ui.scenario"' in page  # the study's own sections are still there
    n_pass = int(table["passed"].sum())
    assert page.count('data-i18n="ui.pass"') == n_pass and page.count('data-i18n="ui.fail"') == len(table) - n_pass
    assert "Validación del modelo" in page and "Validation du modèle" in page and "Validação do modelo" in page


def test_report_of_a_validation_alone(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.html"
    result = cli("report", str(small), "-o", str(out))
    assert result.exit_code == 0, result.output
    page = _page_text(out)
    assert 'data-i18n="ui.subtitle_validation"' in page and 'id="validation"' in page
    assert "dlsim validate-model --facts" in page  # the command to rerun


def test_report_of_a_folder_with_neither_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cli("report", str(tmp_path / "empty"), "-o", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "validate-model" in result.output and "Traceback" not in result.output


def test_report_refuses_a_malformed_table(small: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(small, bad)
    path = bad / "validation" / "facts.parquet"
    pd.read_parquet(path).drop(columns=["ci_low"]).to_parquet(path)
    result = cli("report", str(bad), "-o", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "facts.parquet" in result.output and "ci_low" in result.output
    assert not (tmp_path / "x.html").exists()


def test_report_refuses_a_table_of_another_model_version(small: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(small, old)
    path = old / "validation" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["model_checksum"] = "0" * 64
    path.write_text(json.dumps(manifest))
    result = cli("report", str(old), "-o", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "was written with another model version" in result.output
    assert "dlsim validate-model --facts 4" in result.output and not (tmp_path / "x.html").exists()
    result = cli("report", str(old), "-o", str(tmp_path / "x.html"), "--allow-mismatch")
    assert result.exit_code == 0 and "warning" in result.output and (tmp_path / "x.html").is_file()

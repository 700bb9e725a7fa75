"""Groups resolve to economies; precedence (specific beats general, later beats earlier); compile to a schedule."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.scenario.diff import diff_policies
from simulator.scenario.errors import ScenarioError
from simulator.scenario.groups import Specificity, resolve
from simulator.scenario.loader import load_scenario
from simulator.scenario.resolution import resolve_policy
from simulator.scenario.schema import Selector
from tests.test_scenario_helpers import VOCAB, write


def policy_of(tmp_path, body, name="s.yaml"):
    s = load_scenario(write(tmp_path, name, body), VOCAB)
    return resolve_policy(s, VOCAB.economies, VOCAB.sectors, VOCAB)


def winner(policy, code, cat="personal", sector="ict_digital", year=2030.0, lever="regime"):
    for seg in policy.cells.get((lever, code, cat, sector), []):
        if seg.start <= year < seg.end:
            return seg.value
    return None


def test_selectors_resolve_with_specificity():
    sel = Selector.model_validate({"region": "AFR", "iso3": ["KEN"], "exclude": ["NGA"], "bloc": "EAC"})
    assert resolve(sel, VOCAB, {}) == {
        "KEN": Specificity.ECONOMY,
        "UGA": Specificity.BLOC,
        "TZA": Specificity.BLOC,
    }
    within = Selector.model_validate({"income_group": ["LMC", "LIC"], "within": {"region": "AFR"}})
    assert list(resolve(within, VOCAB, {})) == ["KEN", "UGA", "TZA", "NGA"]
    applicants = Selector.model_validate({"bloc": "DEPA", "status": "applicant"})
    assert list(resolve(applicants, VOCAB, {})) == ["USA"]
    assert list(resolve(Selector.model_validate("all"), VOCAB, {})) == list(VOCAB.economies)


def test_specific_beats_general(tmp_path):
    policy = policy_of(
        tmp_path,
        """\
        rules:
          - {economies: [KEN], regime: open}
          - {economies: {region: AFR}, regime: storage_ban}
          - {economies: {bloc: EAC}, regime: conditional}
          - {economies: {bloc: EAC}, sectors: [finance_payments], regime: storage_copy}
          - {economies: all, data: financial, regime: storage_conditional}
        """,
    )
    assert winner(policy, "KEN") == "open"  # economy by name beats everything
    assert winner(policy, "UGA") == "conditional"  # bloc beats region
    assert winner(policy, "UGA", sector="finance_payments") == "storage_copy"  # named sector beats all sectors
    assert winner(policy, "NGA") == "storage_ban"  # region beats all
    assert winner(policy, "BRA", cat="financial") == "storage_conditional"
    assert winner(policy, "BRA", cat="personal") is None  # untouched: baseline
    assert winner(policy, "NGA", cat="financial") == "storage_ban"  # economy specificity first, then category


def test_later_beats_earlier_and_sunset_falls_back(tmp_path):
    policy = policy_of(
        tmp_path,
        """\
        rules:
          - {economies: [KEN], regime: storage_copy, timing: {enforce: 2027, sunset: 2032}}
          - {economies: [KEN], regime: storage_ban, timing: 2029}
          - {economies: {region: AFR}, regime: conditional, timing: 2026}
        """,
    )
    assert winner(policy, "KEN", year=2025.5) is None
    assert winner(policy, "KEN", year=2026.5) == "conditional"
    assert winner(policy, "KEN", year=2028) == "storage_copy"
    assert winner(policy, "KEN", year=2030) == "storage_ban"
    assert winner(policy, "UGA", year=2033) == "conditional"


def test_child_file_beats_parent_at_the_same_date(tmp_path):
    write(tmp_path, "base.yaml", "rules:\n  - {economies: [KEN], regime: open, timing: 2027}\n")
    s = load_scenario(
        write(tmp_path, "c.yaml", "extends: base\nrules:\n  - {economies: [KEN], regime: none, timing: 2027}\n"), VOCAB
    )
    policy = resolve_policy(s, VOCAB.economies, VOCAB.sectors, VOCAB)
    assert winner(policy, "KEN") == "none"


def test_same_file_same_specificity_same_date_different_values_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        "rules:\n  - {economies: {region: AFR}, regime: open}\n  - {economies: {income_group: LMC}, regime: none}\n",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, VOCAB)
    [issue] = info.value.issues
    assert "conflicts with" in issue.message and issue.path == ("rules", 1) and issue.line == 5


def test_phase_in_and_timing_in_tidy_rows(tmp_path):
    policy = policy_of(
        tmp_path,
        "rules:\n  - economies: [KEN]\n    regime: storage_copy\n"
        "    timing: {announce: 2026, enforce: 2027, grace_years: 0.5, phase_in_years: 2}\n",
    )
    [row] = policy.rows()
    assert (row.lever, row.target, row.data_category, row.sector) == ("regime", "KEN", "*", "*")
    assert (row.value, row.start_year, row.phase_in_years, row.announce_year) == ("storage_copy", "2027.5", "2", "2026")


def test_diff_names_economies_sectors_and_dates(tmp_path):
    a = policy_of(tmp_path, "rules:\n  - {economies: {bloc: EAC}, regime: conditional, timing: 2027}\n", "a.yaml")
    b = policy_of(
        tmp_path,
        "rules:\n  - {economies: {bloc: EAC}, regime: conditional, timing: 2027}\n"
        "  - {economies: [KEN], sectors: finance_payments, regime: storage_ban, timing: 2028}\n",
        "b.yaml",
    )
    diffs = diff_policies(a, b)
    assert {(d.target, d.data_category, d.sector) for d in diffs} == {("KEN", "*", "finance_payments")}
    [d] = diffs
    assert d.a == "conditional from 2027"
    assert d.b == "conditional from 2027 until 2028; storage_ban from 2028"
    assert diff_policies(a, a) == []


# --- compile against the real world (subset) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    from simulator.world.loader import load_world

    return load_world().subset(["KEN", "UGA", "TZA", "NGA", "GHA", "BRA", "CHL", "USA", "EUU", "SGP"])


def compile_text(tmp_path, world, body):
    from simulator.world.compile import compile_scenario, vocabulary

    s = load_scenario(write(tmp_path, "s.yaml", body), vocabulary(world))
    return compile_scenario(world, s)


def test_empty_scenario_compiles_to_the_baseline(tmp_path, world):
    from simulator.world.baseline import baseline_state

    sched = compile_text(tmp_path, world, "")
    base = baseline_state(world)
    assert sched.events == ()
    assert np.array_equal(sched.initial.regime, base.regime)
    assert np.array_equal(sched.initial.transfer_waiver, base.transfer_waiver)


def test_regime_events_with_phase_in_and_sunset(tmp_path, world):
    from simulator.world.policy import regime_code

    sched = compile_text(
        tmp_path,
        world,
        "rules:\n  - economies: [KEN]\n    data: financial\n    regime: storage_ban\n"
        "    timing: {enforce: 2027, phase_in_years: 1, sunset: 2030}\n",
    )
    k, c, f = 1, world.index_of("KEN"), world.sector_codes.index("finance_payments")
    before, start = sched.state_at(7), sched.state_at(8)
    assert before.regime[c, k, f] != regime_code("storage_ban")
    assert start.regime[c, k, f] == regime_code("storage_ban")
    assert [sched.state_at(n).regime_strength[c, k, f] for n in (8, 9, 10, 11, 12)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert sched.state_at(20).regime[c, k, f] == sched.initial.regime[c, k, f]  # sunset 2030 = step 20
    assert {e.label.split(":")[0] for e in sched.events} == {"s.yaml", "baseline"}


def test_agreements_payments_connectivity_cloud_and_ecommerce(tmp_path, world):
    sched = compile_text(
        tmp_path,
        world,
        """\
        agreements:
          - {bloc: AFCFTA, waive: {transfer_conditions: 0.8}, timing: 2028}
          - {club: c1, members: [BRA, CHL], waive: {localisation: 1}, trade_agreement: true, timing: 2027}
        payments:
          - {system: PAPSS, join: [UGA], interop: 0.6, timing: 2026}
        connectivity:
          - {economies: [UGA], add_points: 8, starts: 2026, by: 2028}
        cloud_regions:
          - {economies: [KEN], opens: 2027}
        ecommerce:
          - {economies: [NGA], paperless_trading: 0.3, source_code_disclosure: true, telecom_access: 0.2, timing: 2027}
        """,
    )
    i = world.index_of
    end = sched.state_at(40)
    assert sched.state_at(11).transfer_waiver[i("KEN"), i("NGA")] == 0.0
    assert end.transfer_waiver[i("KEN"), i("NGA")] == pytest.approx(0.8)
    assert end.transfer_waiver[i("KEN"), i("BRA")] == 0.0
    assert end.localisation_waiver[i("BRA"), i("CHL")] == 1.0 and end.trade_agreement[i("CHL"), i("BRA")]
    assert end.payment_interop[i("UGA"), i("KEN")] == pytest.approx(0.6)  # KEN is a PAPSS member in the data
    base_uga = sched.initial.internet_users_pct[i("UGA")]
    assert sched.state_at(8).internet_users_pct[i("UGA")] == pytest.approx(base_uga + 4)  # halfway, 2027
    assert end.internet_users_pct[i("UGA")] == pytest.approx(base_uga + 8)
    assert not sched.state_at(7).cloud_region[i("KEN")] and end.cloud_region[i("KEN")]
    assert end.border_cost_factor[i("NGA")] == pytest.approx(0.7)
    assert end.telecom_cost_factor[i("NGA")] == pytest.approx(0.8)
    assert end.source_code_disclosure[i("NGA")]
    steps = [e.step for e in sched.events]
    assert steps == sorted(steps) and min(steps) >= 1


def test_reimposing_the_regime_in_force_does_not_restart_its_phase_in(tmp_path, world):
    from simulator.world.policy import regime_code

    c, k, f = world.index_of("UGA"), 1, world.sector_codes.index("finance_payments")
    current = sched_initial = compile_text(tmp_path, world, "").initial.regime[c, k, f]
    name = next(r for r in ("none", "open", "conditional", "storage_copy", "storage_conditional", "storage_ban")
                if regime_code(r) == current)  # fmt: skip
    timing = "{enforce: 2027, phase_in_years: 2}"
    body = f"rules:\n  - {{economies: [UGA], data: financial, regime: {name}, timing: {timing}}}\n"
    sched = compile_text(tmp_path, world, body)
    assert sched_initial == sched.initial.regime[c, k, f]
    assert all(sched.state_at(n).regime_strength[c, k, f] == 1.0 for n in range(0, 20))


def test_a_ban_is_waived_only_where_an_agreement_says_so(tmp_path, world):
    """``waive: {bans: …}`` sets the ban waiver; a localisation waiver alone leaves bans in force; a bloc whose
    computing-facility article covers bans waives them in the baseline (data/agreement_effects.csv), and a scenario
    can set that aside."""
    sched = compile_text(
        tmp_path,
        world,
        """\
        agreements:
          - {club: c1, members: [BRA, CHL], waive: {localisation: 1}, timing: 2027}
          - {club: c2, members: [KEN, NGA], waive: {localisation: 1, bans: 0.5}, timing: 2027}
          - {bloc: DEPA, waive: {bans: 0}, timing: 2027}
          - {bloc: CPTPP, waive: {bans: 0}, timing: 2027}
        """,
    )
    i = world.index_of
    start, end = sched.initial, sched.state_at(40)
    assert end.localisation_waiver[i("BRA"), i("CHL")] == 1.0 and end.ban_waiver[i("BRA"), i("CHL")] == 0.0
    assert end.ban_waiver[i("KEN"), i("NGA")] == pytest.approx(0.5)
    assert start.ban_waiver[i("SGP"), i("CHL")] == pytest.approx(0.8) and end.ban_waiver[i("SGP"), i("CHL")] == 0.0
    assert end.localisation_waiver[i("SGP"), i("CHL")] == pytest.approx(0.8)

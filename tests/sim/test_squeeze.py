"""The repo squeeze (seed 001) end to end: the corridor model's quarter end reaches the
on-ledger pool rate, the standing repo facility, repo margin calls and liquidations."""

from __future__ import annotations

import pytest

from glassledger.sim.engine import RunResult, run_scenario
from glassledger.sim.report import render
from glassledger.sim.scenario import load_scenario, parse_scenario
from glassledger.sim.squeeze import corridor


@pytest.fixture(scope="module")
def squeeze() -> RunResult:
    scenario, text = load_scenario("repo_squeeze")
    return run_scenario(scenario, text)


def test_the_quarter_end_reaches_the_pool_the_facility_and_the_margin_calls(squeeze):
    f = squeeze.figures
    days = {d["date"]: d for d in f["days"]}
    qe = days["2026-06-30"]
    # the model's SOFR crosses the SRF rate at the quarter end, and the facility is used
    # on the ledger on that day and no other, as in the model's take-up
    assert qe["sofr_bps"] > qe["srf_bps"] and qe["srf_model_usd_bn"] > 0
    assert [d["date"] for d in f["days"] if d["srf_takeup"]] == ["2026-06-30"]
    assert all((d["srf_takeup"] > 0) == (d["srf_model_usd_bn"] > 0.5) for d in f["days"])
    # the fund pulls cash; the pool's utilization and rate jump above SOFR and the SRF
    assert qe["utilization_bps"] == f["peak_utilization_bps"] > 8_000
    assert qe["pool_rate_bps"] == f["peak_pool_rate_bps"] > qe["srf_bps"]
    # refinancing at the facility brings the pool back to the corridor
    assert qe["pool_rate_after_bps"] < qe["srf_bps"] + 50
    # the note falls: two margin calls, dealer-1's missed -> default; dealer-2 liquidated
    assert (f["margin_calls"], f["calls_missed"], f["liquidations"]) == (2, 1, 1)
    assert [d["defaulter"] for d in f["defaults"]] == ["dealer-1"]
    assert f["losses_equal_claims"] and f["total_loss"] == f["defaults"][0]["claim"] > 0


def test_every_token_is_conserved_and_pool_events_match(squeeze):
    assert squeeze.tokens["conserved"].all()
    events = squeeze.events
    liquidated = events[(events["contract"] == "pool") & (events["name"] == "liquidated")]
    assert list(liquidated["data"].map(lambda d: d["borrower"])) == ["dealer-2"]
    opened = events[events["name"] == "srf_opened"]
    assert (
        int(opened["data"].map(lambda d: d["amount"]).sum()) == squeeze.figures["peak_srf_takeup"]
    )


def test_one_seed_gives_identical_results(squeeze):
    scenario, text = load_scenario("repo_squeeze")
    again = run_scenario(scenario, text)
    assert again.figures == squeeze.figures and again.agents.equals(squeeze.agents)


def test_the_report_charts_the_pool_rate_against_the_corridor(squeeze):
    page = render(squeeze)
    assert "The on-ledger pool rate against the corridor" in page and "SRF take-up" in page


def test_a_window_outside_the_model_run_is_one_clear_error():
    _, text = load_scenario("repo_squeeze")
    scenario = parse_scenario(
        text.replace('start: "2026-06-24"', 'start: "2030-01-02"').replace(
            'end: "2026-07-03"', 'end: "2030-01-09"'
        )
    )
    with pytest.raises(Exception, match="outside the quarter-end corridor run"):
        corridor(scenario)


def test_september_2019_has_no_facility_until_the_fed_operations_and_rate_shocks_apply():
    from glassledger.sim.sweep import apply_overrides

    _, text = load_scenario("repo_squeeze")
    text = apply_overrides(
        text,
        {
            "squeeze.corridor": "sept-2019",
            "squeeze.start": "2019-09-13",
            "squeeze.end": "2019-09-18",
            "start_ms": 1_568_376_000_000,  # 2019-09-13 12:00 UTC
            "shocks": [{"kind": "rate", "step": 1, "target": "USD.SOFR", "path": [20, 0]}],
        },
    )
    f = run_scenario(parse_scenario(text), text).figures
    by_date = {d["date"]: d for d in f["days"]}
    assert by_date["2019-09-13"]["srf_bps"] is None and not by_date["2019-09-13"]["srf_takeup"]
    assert by_date["2019-09-17"]["srf_takeup"] > 0  # the first operation, 17 September
    model = corridor(parse_scenario(text))
    posted = by_date["2019-09-16"]["sofr_bps"]
    assert posted == round(model.loc["2019-09-16", "sofr_pct"] * 100) + 20  # the path's +20
    assert by_date["2019-09-17"]["sofr_bps"] == round(model.loc["2019-09-17", "sofr_pct"] * 100)
    assert f["losses_equal_claims"] and f["defaults"] == []

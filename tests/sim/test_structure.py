"""The market-structure comparison (seed 000) end to end: the same shock through a dealer
market and the on-ledger pool with its facility; conservation, figures that agree with the
ledger's events, determinism, and monotonicity in the dealers' balance-sheet capacity."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from glassledger.cli import app
from glassledger.errors import InputError
from glassledger.sim.engine import RunResult, run_scenario
from glassledger.sim.report import render, write_structure_sweep_report
from glassledger.sim.scenario import load_scenario, parse_scenario
from glassledger.sim.structure_markets import NOTES, hhi
from glassledger.sim.sweep import apply_overrides, sweep


@pytest.fixture(scope="module")
def shipped() -> RunResult:
    scenario, text = load_scenario("market_structure")
    return run_scenario(scenario, text)


def _run(overrides: dict) -> dict:
    _, text = load_scenario("market_structure")
    text = apply_overrides(text, overrides)
    return run_scenario(parse_scenario(text), text).figures


def test_the_shipped_comparison_conserves_tokens_and_agrees_with_the_ledger(shipped):
    f = shipped.figures
    assert shipped.tokens["conserved"].all() and len(shipped.tokens) == 3  # USD, 2 notes
    assert int(shipped.blocks["rejected"].sum()) == 0
    events = shipped.events
    opened = events[(events["contract"] == "repo") & (events["name"] == "opened")]
    proposed = events[(events["contract"] == "repo") & (events["name"] == "proposed")]
    to_borrowers = {
        d["repo_id"]: d["cash"] for d in proposed["data"] if d["seller"].startswith("dm-rv-")
    }
    # every reverse repo to a borrower was opened (DvP), and they are the liquidity supplied
    assert set(to_borrowers) <= {d["repo_id"] for d in opened["data"]}
    assert sum(to_borrowers.values()) == f["dealer_liquidity_supplied"] == f["need_after_shock"]
    srf = events[(events["contract"] == "facility") & (events["name"] == "srf_opened")]
    by_market = {"dealer": 0, "ledger": 0}
    for d in srf["data"]:
        by_market["ledger" if d["party"].startswith("ol-rv-") else "dealer"] += d["amount"]
    assert by_market == {m: f[f"{m}_facility_outstanding"] for m in by_market}
    # the shock: the pool's lenders pulled 20% and the pool's rate spiked for one block
    withdrawn = events[(events["contract"] == "pool") & (events["name"] == "withdrawn")]
    assert sum(d["amount"] for d in withdrawn["data"]) == 4 * 15_000_000_00 // 5
    assert f["ledger_intra_round_peak_bps"] > 1_000 > f["ledger_peak_rate_bps"]
    # the on-ledger market clears sooner, with a smaller rate rise, less concentrated
    assert f["ledger_cleared"] and f["dealer_cleared"]
    assert f["ledger_time_to_clear_blocks"] < f["dealer_time_to_clear_blocks"]
    assert f["ledger_rate_impact_bps"] < f["dealer_rate_impact_bps"]
    assert f["ledger_hhi_after"] < f["ledger_hhi_before"] == hhi([1, 1, 1, 1]) == 2_500
    assert f["losses_equal_buyer_gains"]


def test_one_seed_gives_identical_results(shipped):
    scenario, text = load_scenario("market_structure")
    again = run_scenario(scenario, text)
    assert again.figures == shipped.figures and again.agents.equals(shipped.agents)


def test_the_report_has_the_comparison_charts(shipped):
    page = render(shipped)
    for title in ("Liquidity supplied to borrowers", "Rates borrowers pay", "Concentration"):
        assert title in page
    assert "on-ledger pool + facility: supplied $58,500,000" in page


def test_more_balance_sheet_supplies_at_least_as_much_at_no_higher_peak_rate():
    runs = [_run({"structure.balance_sheet_limit": x * 100_000_000}) for x in (6, 10, 15, 25)]
    supplied = [f["dealer_liquidity_supplied"] for f in runs]
    peak = [f["dealer_peak_rate_bps"] for f in runs]
    assert supplied == sorted(supplied) and supplied[0] < supplied[-1]
    assert peak == sorted(peak, reverse=True) and peak[0] > peak[-1]
    # short borrowers sell notes into the market: their loss is the buyer's gain, on the
    # ledger (notes at par less the cash paid)
    tight = runs[0]
    assert tight["dealer_unfunded"] > 0 and tight["dealer_fire_sale_loss"] > 0
    assert tight["dealer_fire_sale_loss"] == tight["dealer_buyer_gain"]
    assert tight["losses_equal_buyer_gains"]
    # the on-ledger market does not depend on the dealers
    assert len({f["ledger_liquidity_supplied"] for f in runs}) == 1


def test_a_sweep_over_the_number_of_dealers_is_monotone(tmp_path):
    _, text = load_scenario("market_structure")
    table = sweep(text, [0], {"structure.dealers": [2, 4, 8]}, n_workers=1, processes=False)
    assert list(table["structure.dealers"]) == [2, 4, 8]
    supplied = list(table["dealer_liquidity_supplied"])
    assert supplied == sorted(supplied) and supplied[0] < supplied[-1]
    assert list(table["dealer_peak_rate_bps"]) == sorted(table["dealer_peak_rate_bps"])[::-1]
    assert not table["dealer_cleared"].iloc[0] and table["dealer_cleared"].iloc[-1]
    page = write_structure_sweep_report(text, table, "structure.dealers", tmp_path / "s.html")
    html = page.read_text()
    assert "<h1>Market structure</h1>" in html and "<script src=" not in html
    assert "dealer market (rate)" in html and "on-ledger pool + facility" in html


def test_without_the_facility_the_pool_alone_leaves_borrowers_short():
    f = _run({"structure.facility_open": False})
    assert f["ledger_facility_outstanding"] == 0
    assert f["ledger_unfunded"] > 0 and not f["ledger_cleared"]
    assert f["ledger_fire_sale_loss"] == f["ledger_buyer_gain"] > 0


def test_a_bad_structure_is_one_clear_error():
    _, text = load_scenario("market_structure")
    with pytest.raises(InputError, match="shock_round"):
        parse_scenario(text.replace("shock_round: 2", "shock_round: 0"))
    assert NOTES["dealer"] != NOTES["ledger"]


def test_the_cli_runs_the_comparison_and_reloads_it_for_the_report(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["scenario", "run", "market_structure", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "on-ledger pool + facility: supplied $58,500,000" in result.output
    loaded = RunResult.load(out)
    assert loaded.figures["dealer_time_to_clear_blocks"] == 6
    assert "Losses and who bears them" in render(loaded)


def test_a_larger_withdrawal_makes_the_pool_s_lenders_wait_not_the_dealers():
    f = _run({"structure.withdraw_bps": 5_000})
    # the pool pays withdrawals only out of idle cash: its lenders bear the liquidity risk
    # until sideline cash and the facility refill it; the dealers repurchase at once
    assert f["dealer_withdrawals_paid_blocks"] == 1
    assert f["ledger_withdrawals_paid_blocks"] > 1 and f["ledger_pending_withdrawals"] == 0
    assert f["ledger_time_to_clear_blocks"] == f["ledger_withdrawals_paid_blocks"]
    assert f["dealer_facility_outstanding"] > 0  # the dealers replaced the cash at the SRF

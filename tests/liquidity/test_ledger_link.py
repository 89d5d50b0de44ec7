"""The corridor reaches the ledger's oracle and the basket reserve, and comes back beside SOFR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts.basket_book import holding_rate_keys, snapshot, value_e18
from glassledger.liquidity.interfaces import (
    DataRateSource,
    FundingMarket,
    SimulatedRateSource,
    side_by_side,
)
from glassledger.liquidity.ledger_link import (
    ORACLE_KEYS,
    BasketReserveMarket,
    LedgerMarket,
    OnLedgerFundingMarket,
    OraclePublisher,
    bill_money_market_yield_pct,
    expected_sofr_pct,
    to_bps,
    to_price_units,
)
from glassledger.liquidity.ledger_scenario import ReserveAllocation, run_parallel_dollar
from glassledger.liquidity.model.scenario import sample_panel
from glassledger.node.clocked import DAY_MS, ClockedChain, ms_of
from glassledger.node.devnet import devnet_genesis

SPIKE_DAY = pd.Timestamp("2026-03-16")


def corridor(days: int = 30, spike_bp: float = 300.0) -> SimulatedRateSource:
    """A flat corridor (ON RRP 3.50, IORB 3.65, SRF 3.75, SOFR 3.62 %) with SOFR
    ``spike_bp`` higher on one day, the way a tax date and coupon settlement hit it."""
    dates = pd.bdate_range("2026-03-02", periods=days, name="date")
    frame = pd.DataFrame(
        {"on_rrp_rate_pct": 3.50, "iorb_pct": 3.65, "srf_rate_pct": 3.75, "sofr_pct": 3.62},
        index=dates,
    )
    frame.loc[frame.index == SPIKE_DAY, "sofr_pct"] += spike_bp / 100.0
    return SimulatedRateSource(frame)


def publish(source, start, end) -> tuple[pd.DataFrame, ClockedChain]:
    """Post ``source``'s schedule day by day on a devnet chain; returns both."""
    publisher = OraclePublisher(source)
    schedule = publisher.schedule(start, end)
    genesis = devnet_genesis()
    genesis.time_ms = ms_of(start) - DAY_MS
    ledger = ClockedChain.start(genesis)
    for date, row in schedule.iterrows():
        assert not ledger.commit_on(date, publisher.calls(row, ms_of(date))).rejected
    return schedule, ledger


@pytest.fixture(scope="module")
def spike_run():
    source = corridor(days=100)  # bills look 63 business days ahead
    return source, run_parallel_dollar(source, "2026-03-02", "2026-04-10")


# -- integer conversion


def test_percent_to_basis_points_rounds_half_to_even_on_the_printed_decimal():
    assert to_bps(5.33) == 533  # 5.33 * 100 is 532.9999... as a float: no truncation
    assert to_bps(2.255) == 226 and to_bps(2.245) == 224  # halves go to the even bp
    assert to_bps(-0.105) == -10 and to_bps(0.0) == 0
    assert to_bps(float("nan")) is None
    assert to_price_units(99.50497512437812) == 9_950_497_512
    assert to_price_units(float("nan")) is None


@given(st.integers(min_value=-1_000, max_value=10_000))
def test_two_decimal_percent_rates_round_trip_exactly(bps):
    assert to_bps(bps / 100) == bps


@given(st.floats(min_value=-10.0, max_value=100.0, allow_nan=False))
def test_a_model_rate_loses_at_most_half_a_basis_point(rate_pct):
    assert abs(to_bps(rate_pct) - 100 * rate_pct) <= 0.5 + 1e-9


def test_bill_discount_rate_to_money_market_yield():
    # price of a 91-day bill at 4.00% discount: 1 - 0.04 x 91/360 = 0.989888...;
    # money-market yield = (1/price - 1) x 360/91 = 4.0409% (actual/360 on the price paid)
    price = 1 - 0.04 * 91 / 360
    expected = (1 / price - 1) * 360 / 91 * 100
    got = bill_money_market_yield_pct(pd.Series([4.0]))[0]
    assert got == pytest.approx(expected, rel=1e-12)
    assert round(got, 4) == 4.0409


def test_expected_sofr_is_the_forward_mean_cut_at_the_end():
    sofr = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert expected_sofr_pct(sofr, horizon=2).tolist() == [1.5, 2.5, 3.5, 4.0]


# -- the publisher posts what the source says


def test_publisher_posts_published_data_exactly():
    panel = sample_panel()
    schedule, ledger = publish(DataRateSource(panel), "2019-09-16", "2019-09-17")
    # FRED SOFR: 2.43 % on 2019-09-16 and 5.25 % on 2019-09-17 (the repo spike); IOER 2.10 %,
    # ON RRP 2.00 %; DTB3 1.95 % (discount basis); no SRF before 2021
    assert schedule["USD.SOFR"].tolist() == [243, 525]
    oracle = {key: ledger.get("oracle", f"v/rate/{key}") for key in ORACLE_KEYS}
    assert oracle["USD.SOFR"]["value"] == 525 and oracle["USD.SOFR"]["scale"] == 4
    assert oracle["USD.REPO"]["value"] == 525
    assert oracle["USD.IORB"]["value"] == 210 and oracle["USD.DEPOSIT"]["value"] == 200
    assert oracle["USD.ON_RRP"]["value"] == 200
    assert oracle["USD.SRF"] is None
    # 91-day bill at 1.95 % discount: 360 x 0.0195 / (360 - 0.0195 x 91) = 1.9596 % -> 196 bp
    assert oracle["USD.BILL"]["value"] == 196
    # the tokenized bill's price per 100 of face, scale 8: 100 / (1 + 1.9596 % x 91/360)
    bill = ledger.get("oracle", "v/price/UST.BILL3M")
    assert bill["scale"] == 8
    mmy = 360 * 0.0195 / (360 - 0.0195 * 91)
    assert bill["value"] == pytest.approx(1e10 / (1 + mmy * 91 / 360), abs=1)


def test_without_a_bill_quote_bills_yield_the_expected_sofr():
    panel = sample_panel()  # the shipped DTB3 ends on 2024-05-09
    publisher = OraclePublisher(DataRateSource(panel))
    rates = publisher.rates_pct("2025-10-27", "2025-10-31")
    ahead = panel.loc["2025-10-31":].iloc[:63]["sofr_pct"].mean()
    assert rates.at[pd.Timestamp("2025-10-31"), "bill_pct"] == pytest.approx(ahead)
    assert publisher.schedule("2025-10-27", "2025-10-31")["USD.BILL"].notna().all()


def test_a_missing_rate_is_not_posted():
    source = corridor(days=3)
    source.daily["srf_rate_pct"] = np.nan
    schedule = OraclePublisher(source).schedule("2026-03-02", "2026-03-04")
    assert schedule["USD.SRF"].isna().all()
    row = schedule.iloc[0]
    keys = [args["key"] for *_, args in OraclePublisher(source).calls(row, 0)]
    assert "USD.SRF" not in keys and "USD.SOFR" in keys


# -- the reserve's realised yield


def test_reserve_yield_is_the_value_weighted_posted_rate_every_day(spike_run):
    _, run = spike_run
    market = BasketReserveMarket("USD")
    history = OnLedgerFundingMarket(run.ledger.store, market).history(run.table.index)
    assert isinstance(market, LedgerMarket)
    for date in run.table.index[:-1]:
        height = int(history.at[date, "height"])
        book = snapshot(run.ledger.store.state_at(height).get).book
        cash, accrued = book.cash["USD"], book.accrued["USD"]
        securities = list(book.securities.values())
        posted = run.posted_bps.loc[date]
        earning = sum(s["amount"] * posted[s["rate_key"]] for s in securities)
        earning += book.deposits("USD") * posted["USD.DEPOSIT"]
        expected_pct = earning / (cash + accrued) / 100
        # interest is rounded down to the cent per position and accrual (actual/360, >= 1 day)
        rounding_pct = 100 * 360 * (len(securities) + 1) / (cash + accrued)
        got = history.at[date, "funding_rate_pct"]
        assert expected_pct - rounding_pct <= got <= expected_pct


def test_realised_yield_agrees_with_the_contracts_yield_view(spike_run):
    # the basket's own view (basket_book.snapshot().yield_bps) weights every holding of the
    # whole reserve by value; only the US dollar holdings earn here, so the view is the
    # sleeve's realised yield times the US dollar share of the holdings' value
    _, run = spike_run
    history = OnLedgerFundingMarket(run.ledger.store, BasketReserveMarket("USD")).history(
        run.table.index
    )
    for date in run.table.index[:-1:5]:
        view = snapshot(run.ledger.store.state_at(int(history.at[date, "height"])).get)
        values = [
            (key, value_e18(amount, view.book.config["decimals"][k], view.rates[k]))
            for key, k, amount in holding_rate_keys(view.book)
        ]
        usd = sum(v for key, v in values if key.startswith("USD."))
        usd_share = usd / sum(v for _, v in values)
        realised_bps = 100 * history.at[date, "funding_rate_pct"]
        assert view.yield_bps == pytest.approx(usd_share * realised_bps, abs=1.0)  # floor


def test_a_sofr_spike_reaches_the_reserve_through_its_repo_share(spike_run):
    _, run = spike_run
    table = run.table
    before = table.index[table.index.get_loc(SPIKE_DAY) - 1]
    jump_reserve = (
        table.at[SPIKE_DAY, "basket_reserve_pct"] - table.at[before, "basket_reserve_pct"]
    )
    jump_sofr = table.at[SPIKE_DAY, "sofr_pct"] - table.at[before, "sofr_pct"]
    jump_bill = table.at[SPIKE_DAY, "bill_pct"] - table.at[before, "bill_pct"]
    shares = ReserveAllocation()
    # direction: up with SOFR; magnitude: repo share x SOFR jump + bill share x bill jump,
    # within 1 bp (bp rounding of posts, shares drifting with the receivable)
    assert jump_reserve > 0
    assert jump_reserve == pytest.approx(
        shares.repo * jump_sofr + shares.bills * jump_bill, abs=0.01
    )
    # the next day the reserve is back, but for the bills' 1/63 share of the spike
    after = table.index[table.index.get_loc(SPIKE_DAY) + 1]
    back = table.at[after, "basket_reserve_pct"] - table.at[before, "basket_reserve_pct"]
    assert back == pytest.approx(-shares.bills * 3.0 / 63, abs=0.01)
    # the spread to SOFR widens by the non-repo share of the spike
    assert table.at[SPIKE_DAY, "basket_reserve_minus_sofr_bp"] < -200


def test_the_on_ledger_market_is_a_funding_market_for_side_by_side(spike_run):
    source, run = spike_run
    market = OnLedgerFundingMarket(run.ledger.store, BasketReserveMarket("USD"))
    assert isinstance(market, FundingMarket)
    table = side_by_side(source, [market], "2026-03-02", "2026-03-20")
    assert {"basket_reserve_pct", "basket_reserve_minus_sofr_bp"} <= set(table)
    assert table["basket_reserve_pct"].notna().all()  # the run goes past the 20th
    assert np.isnan(run.table["basket_reserve_pct"].iloc[-1])  # the last day has no yield yet


def test_same_corridor_same_ledger_state_root():
    source = corridor(days=12)
    first = run_parallel_dollar(source, "2026-03-02", "2026-03-17")
    second = run_parallel_dollar(source, "2026-03-02", "2026-03-17")
    assert first.state_root == second.state_root
    third = run_parallel_dollar(corridor(days=12, spike_bp=301.0), "2026-03-02", "2026-03-17")
    assert third.state_root != first.state_root

"""A corridor shock reaches the on-ledger lending pool through the same path as the basket:
oracle posts -> the ``pool`` contract's hooks -> :class:`LendingPoolMarket` readings beside
SOFR.

The ``pool`` market ``USDPOOL`` lends USD at the oracle's ``USD.REPO`` rate (SOFR) plus a
25 bp base, with a flat curve below the optimal utilization (``slope1_bps`` 0), so its borrow
rate is SOFR + 25 bp whatever the utilization. A relative-value fund (seed 001's basis trade)
finances tokenized 3-month bills there. A keeper watches the fund's health factor off the
ledger with the contract's own function (:func:`glassledger.contracts.pool.position_snapshot`
and :func:`glassledger.contracts.lending_math.account`) and liquidates when it falls below 1.
"""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool
from glassledger.liquidity.interfaces import SimulatedRateSource, side_by_side
from glassledger.liquidity.ledger_link import (
    LedgerMarket,
    LendingPoolMarket,
    OnLedgerFundingMarket,
    OraclePublisher,
)
from glassledger.node.clocked import DAY_MS, ClockedChain, ms_of
from glassledger.node.devnet import devnet_genesis

START, SPIKE, END = "2026-03-02", pd.Timestamp("2026-03-16"), "2026-03-27"
M = "USDPOOL"
MARKET = LendingPoolMarket(M, rate_keys=("USD.REPO",), price_keys=("UST.BILL3M",))


def corridor(spike_bp: float) -> SimulatedRateSource:
    """ON RRP 3.50, IORB 3.65, SRF 3.75, SOFR 3.62 % for 100 business days; SOFR higher by
    ``spike_bp`` on the spike day."""
    dates = pd.bdate_range(START, periods=100, name="date")
    frame = pd.DataFrame(
        {"on_rrp_rate_pct": 3.50, "iorb_pct": 3.65, "srf_rate_pct": 3.75, "sofr_pct": 3.62},
        index=dates,
    )
    frame.loc[frame.index == SPIKE, "sofr_pct"] += spike_bp / 100.0
    return SimulatedRateSource(frame)


def health_factor(ledger: ClockedChain, borrower: str) -> int:
    """The borrower's health factor (wad) as the contract computes it, from committed state."""
    get = lambda key: ledger.get("pool", key)  # noqa: E731
    m = pool.accrued(pool.read_market(get, M), ledger.time_ms)
    position = get(f"p/{M}/{borrower}")
    if position is None or position["scaled_debt"] == 0:
        return lm.NO_DEBT_HF
    terms = {s: get(f"c/{M}/{s}") for s in position["collateral"]}
    prices = {
        s: ledger.get("oracle", f"v/price/{t['price_key']}")["value"] for s, t in terms.items()
    }
    return lm.account(pool.position_snapshot(m, position, terms, prices)).health_factor


def run_pool(source: SimulatedRateSource, price_shock_pct: float = 0.0) -> ClockedChain:
    """Three lenders deposit USD 900,000 each; the fund borrows USD 950,000 against
    USD 1,000,000 face of bills (LTV 96%, liquidation threshold 97%). The corridor is
    published day by day; on the spike day the bill price also falls by ``price_shock_pct``
    (a fire sale). The keeper (``client-3``, USD 1,000,000) liquidates whenever the health
    factor is below 1."""
    publisher = OraclePublisher(source)
    schedule = publisher.schedule(START, END)
    genesis = devnet_genesis()
    genesis.time_ms = ms_of(START) - DAY_MS
    ledger = ClockedChain.start(genesis)
    first = schedule.index[0]
    setup = [
        ("regulator", "token", "create", {"symbol": "UST3M", "decimals": 2, "issuer": "bank"}),
        ("bank", "token", "mint", {"symbol": "UST3M", "to": "dealer-0", "amount": 10**8}),
        (
            "regulator",
            "pool",
            "open_market",
            {
                "market": M,
                "cash": "USD",
                "operator": "bank",
                "params": {"rate_key": "USD.REPO", "base_rate_bps": 25, "slope1_bps": 0},
            },
        ),
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": M,
                "symbol": "UST3M",
                "terms": {
                    "price_key": "UST.BILL3M",
                    "units_per_price": 100,
                    "ltv_bps": 9_600,
                    "threshold_bps": 9_700,
                    "bonus_bps": 10_100,
                },
            },
        ),
        *[
            (f"client-{i}", "pool", "deposit", {"market": M, "amount": 900_000_00})
            for i in range(3)
        ],
        ("dealer-0", "pool", "post_collateral", {"market": M, "symbol": "UST3M", "amount": 10**8}),
        ("dealer-0", "pool", "borrow", {"market": M, "amount": 950_000_00}),
    ]
    calls = publisher.calls(schedule.loc[first], ms_of(first))
    assert not ledger.commit_on(first, [*calls, *setup]).rejected
    for date, row in schedule.iloc[1:].iterrows():
        calls = publisher.calls(row, ms_of(date))
        if date == SPIKE and price_shock_pct:
            calls = [
                (who, c, m, a | {"value": int(a["value"] * (1 - price_shock_pct / 100))})
                if a["key"] == "UST.BILL3M"
                else (who, c, m, a)
                for who, c, m, a in calls
            ]
        assert not ledger.commit_on(date, calls).rejected
        if health_factor(ledger, "dealer-0") < lm.WAD:
            keeper = (
                "client-3",
                "pool",
                "liquidate",
                {
                    "market": M,
                    "borrower": "dealer-0",
                    "collateral": "UST3M",
                    "debt_to_cover": 10**12,
                },
            )
            block = ledger.commit_on(date, [keeper], hour=13.0)
            assert not block.rejected, block.rejected[0].message
    return ledger


@pytest.fixture(scope="module")
def runs():
    calm, shocked = corridor(0.0), corridor(300.0)
    return (calm, run_pool(calm)), (shocked, run_pool(shocked, price_shock_pct=2.0))


def test_the_pool_is_a_ledger_market():
    assert isinstance(MARKET, LedgerMarket)


def test_calm_corridor_pool_funds_at_sofr_plus_spread_and_survives(runs):
    (source, ledger), _ = runs
    history = OnLedgerFundingMarket(ledger.store, MARKET).history(source.daily.loc[START:END].index)
    # realised borrow rate = SOFR 3.62 % + 25 bp, actual/360; compounding every ms adds at most
    # r^2 x days / 720 (0.0006 percentage points over a weekend)
    assert history["funding_rate_pct"].iloc[:-1].to_numpy() == pytest.approx(3.87, abs=1e-3)
    assert history["liquidations"].sum() == 0
    # collateral: 1,000,000 face at 100 / (1 + 3.62 % x 91/360) per 100
    assert history["collateral_value"].iloc[0] == pytest.approx(
        1e6 / (1 + 0.0362 * 91 / 360), rel=1e-8
    )


def test_a_sofr_spike_reaches_the_pool_rate_and_a_fire_sale_a_liquidation(runs):
    (_, calm), (source, shocked) = runs
    dates = source.daily.loc[START:END].index
    before = OnLedgerFundingMarket(calm.store, MARKET).history(dates)
    after = OnLedgerFundingMarket(shocked.store, MARKET).history(dates)
    # the spike day's rate: SOFR 6.62 % + 25 bp
    assert after.at[SPIKE, "funding_rate_pct"] == pytest.approx(6.87, abs=1e-3)
    # the 2 % price fall takes the fund below a health factor of 1: one liquidation on the
    # spike day, in the interval read from the previous business day's last block
    previous = dates[dates.get_loc(SPIKE) - 1]
    assert after.at[previous, "liquidations"] == 1 and after["liquidations"].sum() == 1
    assert before["liquidations"].sum() == 0
    events = shocked.store.events(contract="pool", name="liquidated")
    assert len(events) == 1 and events[0].event.data["borrower"] == "dealer-0"
    # before the spike the bills already price in the expected spike (1/63 of 300 bp)
    day = dates[0]
    assert after.at[day, "collateral_value"] < before.at[day, "collateral_value"]
    table = side_by_side(
        source, [OnLedgerFundingMarket(shocked.store, MARKET)], START, "2026-03-12"
    )
    assert table[f"{MARKET.name}_minus_sofr_bp"].to_numpy() == pytest.approx(25.0, abs=0.1)

"""A corridor shock reaches a pool-like on-ledger market through the same path as the basket:
oracle posts -> the market's hooks -> :class:`LedgerMarket` readings beside SOFR.

``RepoPool`` is a test-only contract standing in for the on-ledger repo and lending pools of a
later issue: one borrower (a relative-value fund, seed 001) finances tokenized 3-month bills
at the oracle's ``USD.REPO`` rate plus a spread. Each new day, in ``begin_block``, the pool
accrues interest on the debt at the rate in force, values the collateral at the oracle's
``UST.BILL3M`` price and liquidates the position when the collateral no longer covers the
debt plus the margin, or when the funding rate exceeds the borrower's carry (the basis trade
stops paying: seed 001's deleveraging).
"""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.contracts import oracle
from glassledger.contracts.registry import standard_registry
from glassledger.ledger.abi import Context, Contract, Registry, method
from glassledger.liquidity.interfaces import SimulatedRateSource, side_by_side
from glassledger.liquidity.ledger_link import (
    LedgerMarket,
    LedgerView,
    MarketReading,
    OnLedgerFundingMarket,
    OraclePublisher,
)
from glassledger.node.clocked import DAY_MS, ClockedChain, ms_of
from glassledger.node.devnet import devnet_genesis

BPS = 10_000
START, SPIKE, END = "2026-03-02", pd.Timestamp("2026-03-16"), "2026-03-27"


class RepoPool(Contract):
    """Test-only pool (module docstring). Amounts in cents, rates in bps, prices x 1e8 per
    100 of face value."""

    name = "repo_pool"

    @method("regulator")
    def open(
        self, ctx: Context, debt: int, face: int, spread_bps: int, margin_bps: int, carry_bps: int
    ) -> None:
        ctx.put(
            "loan",
            {
                "debt": debt,
                "face": face,
                "spread_bps": spread_bps,
                "margin_bps": margin_bps,
                "carry_bps": carry_bps,
                "day": ctx.time_ms // DAY_MS,
                "interest": 0,
                "rate_bps": 0,
                "collateral_value": 0,
                "liquidations": 0,
                "open": True,
            },
        )

    def begin_block(self, ctx: Context) -> None:
        loan = ctx.get("loan")
        day = ctx.time_ms // DAY_MS
        if loan is None or not loan["open"] or day == loan["day"]:
            return
        days = day - loan["day"]
        age = (days + 1) * DAY_MS
        loan["rate_bps"] = oracle.value(ctx, "rate", "USD.REPO", 4, age) + loan["spread_bps"]
        interest = loan["debt"] * loan["rate_bps"] * days // (BPS * 360)
        loan["debt"] += interest
        loan["interest"] += interest
        price = oracle.value(ctx, "price", "UST.BILL3M", 8, age)
        loan["collateral_value"] = loan["face"] * price // (100 * 10**8)
        loan["day"] = day
        short = loan["collateral_value"] * BPS < loan["debt"] * (BPS + loan["margin_bps"])
        if short or loan["rate_bps"] > loan["carry_bps"]:
            loan["open"] = False
            loan["liquidations"] += 1
            ctx.emit("liquidated", debt=loan["debt"], collateral_value=loan["collateral_value"])
        ctx.put("loan", loan)


class RepoPoolMarket:
    """:class:`LedgerMarket` adapter of :class:`RepoPool`."""

    name = "repo_pool"
    contracts = ("repo_pool",)
    rate_keys = ("USD.REPO",)
    price_keys = ("UST.BILL3M",)

    def reading(self, before: LedgerView, after: LedgerView) -> MarketReading:
        start, end = before.get("repo_pool", "loan"), after.get("repo_pool", "loan")
        years = (after.day - before.day) / 360
        rate = 100.0 * (end["interest"] - start["interest"]) / start["debt"] / years
        return MarketReading(
            rate if start["open"] else float("nan"),
            end["collateral_value"] / 100,
            end["liquidations"] - start["liquidations"],
        )


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


def run_pool(source: SimulatedRateSource) -> ClockedChain:
    """Open the pool (USD 95 m debt against USD 100 m face of bills, 2 % margin, 25 bp
    spread, carry break-even 5 %) and publish the corridor day by day."""
    publisher = OraclePublisher(source)
    schedule = publisher.schedule(START, END)
    genesis = devnet_genesis()
    genesis.time_ms = ms_of(START) - DAY_MS
    ledger = ClockedChain.start(genesis, Registry([*standard_registry(), RepoPool()]))
    terms = {
        "debt": 95_000_000_00,
        "face": 100_000_000_00,
        "spread_bps": 25,
        "margin_bps": 200,
        "carry_bps": 500,
    }
    first = schedule.index[0]
    calls = publisher.calls(schedule.loc[first], ms_of(first))
    assert not ledger.commit_on(first, [*calls, ("regulator", "repo_pool", "open", terms)]).rejected
    for date, row in schedule.iloc[1:].iterrows():
        assert not ledger.commit_on(date, publisher.calls(row, ms_of(date))).rejected
    return ledger


@pytest.fixture(scope="module")
def runs():
    calm, shocked = corridor(0.0), corridor(300.0)
    return (calm, run_pool(calm)), (shocked, run_pool(shocked))


def test_the_pool_adapter_is_a_ledger_market():
    assert isinstance(RepoPoolMarket(), LedgerMarket)


def test_calm_corridor_pool_funds_at_sofr_plus_spread_and_survives(runs):
    (source, ledger), _ = runs
    market = OnLedgerFundingMarket(ledger.store, RepoPoolMarket())
    history = market.history(source.daily.loc[START:END].index)
    # realised rate = SOFR 3.62 % + 25 bp on the debt, actual/360; interest is rounded down
    # to the cent: 1 cent a day on USD 95 m is 100 x 360 / 9.5e9 = 3.8e-6 % a year
    assert history["funding_rate_pct"].iloc[:-1].to_numpy() == pytest.approx(3.87, abs=4e-6)
    assert history["liquidations"].sum() == 0
    # collateral: 100 m face at 100 / (1 + 3.62 % x 91/360) per 100 = 99.0932...
    assert history["collateral_value"].iloc[0] == pytest.approx(1e8 / (1 + 0.0362 * 91 / 360))


def test_a_sofr_spike_reaches_the_pool_rate_collateral_and_liquidation(runs):
    (_, calm), (source, shocked) = runs
    dates = source.daily.loc[START:END].index
    before = OnLedgerFundingMarket(calm.store, RepoPoolMarket()).history(dates)
    after = OnLedgerFundingMarket(shocked.store, RepoPoolMarket()).history(dates)
    # the spike day's rate: SOFR 6.62 % + 25 bp, above the 5 % carry: liquidated the next day
    assert after.at[SPIKE, "funding_rate_pct"] == pytest.approx(6.87, abs=4e-6)
    assert after.at[SPIKE, "liquidations"] == 1 and after["liquidations"].sum() == 1
    assert after.loc[SPIKE:, "funding_rate_pct"].iloc[1:].isna().all()  # no loan any more
    # before the spike the bills already price in the expected spike (1/63 of 300 bp)
    day = dates[0]
    assert after.at[day, "collateral_value"] < before.at[day, "collateral_value"]
    events = shocked.store.events(contract="repo_pool", name="liquidated")
    assert len(events) == 1
    # the same table as the basket: the pool's rate beside SOFR
    table = side_by_side(
        source, [OnLedgerFundingMarket(shocked.store, RepoPoolMarket())], START, "2026-03-13"
    )
    assert table["repo_pool_minus_sofr_bp"].to_numpy() == pytest.approx(
        25.0, abs=4e-4
    )  # the same rounding, in bp

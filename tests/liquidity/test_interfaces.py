"""The corridor seam: rate sources and funding markets plugged side by side."""

from __future__ import annotations

import pytest

from glassledger.errors import InputError
from glassledger.liquidity import data
from glassledger.liquidity.interfaces import (
    CORRIDOR_COLUMNS,
    DataRateSource,
    FundingMarket,
    PassThroughMarket,
    RateSource,
    SimulatedRateSource,
    side_by_side,
)


def test_shock_in_sofr_reaches_a_plugged_market():
    source = DataRateSource(data.build_panel("2019-09-10", "2019-09-20"))
    assert isinstance(source, RateSource)
    pool = PassThroughMarket("pool", spread_bp=25.0, beta=1.0)
    anchored = PassThroughMarket("anchored", spread_bp=0.0, beta=0.0)
    assert isinstance(pool, FundingMarket)
    table = side_by_side(source, [pool, anchored], "2019-09-16", "2019-09-18")
    assert table.loc["2019-09-17", "pool_pct"] == pytest.approx(5.25 + 0.25)
    assert table.loc["2019-09-17", "pool_minus_sofr_bp"] == pytest.approx(25.0)
    assert table.loc["2019-09-17", "anchored_pct"] == pytest.approx(2.10)
    assert list(table.columns[:4]) == list(CORRIDOR_COLUMNS)


def test_missing_corridor_columns_is_input_error():
    with pytest.raises(InputError, match="corridor columns missing"):
        SimulatedRateSource(data.build_panel("2025-01-02", "2025-01-10")[["sofr_pct"]]).corridor(
            "2025-01-02", "2025-01-10"
        )


def test_simulated_corridor_shock_reaches_a_plugged_market():
    from glassledger.liquidity.model import build_scenario, simulate

    run = simulate(build_scenario("basis-unwind", years=0.4)).daily
    source = SimulatedRateSource(run)
    pool = PassThroughMarket("pool", spread_bp=10.0)
    table = side_by_side(source, [pool], run.index[0], run.index[-1])
    calm, shock = table.iloc[:55], table.iloc[60:75]
    # the SOFR spike of the unwind shows in the pool's funding rate, one for one
    assert shock["pool_pct"].max() - calm["pool_pct"].max() > 0.2
    assert (table["pool_minus_sofr_bp"] - 10.0).abs().max() < 1e-9

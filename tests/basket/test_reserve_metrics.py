"""WAM, WAL and liquid-asset shares over time (Rule 2a-7 definitions), checked against a
direct per-day computation and a hand example."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.basket.reserve_metrics import first_days_within, reserve_metrics
from glassledger.contracts.business_days import (
    days_from_civil,
    first_day_within,
    within_business_days,
)
from glassledger.errors import InputError


def _rates(days, eur=2.0):
    return pd.DataFrame({"USD": 1.0, "EUR": eur}, index=pd.date_range("2024-01-01", periods=days))


def test_hand_example_with_a_floater():
    # Day 0: USD 100 fixed maturing day 10; EUR 50 (x2 = USD 100) floater maturing day 40
    # resetting every 7 days. WAM = (100*10 + 100*7)/200 = 8.5; WAL = (100*10 + 100*40)/200 = 25.
    holdings = pd.DataFrame(
        {
            "currency": ["USD", "EUR"],
            "amount": [100.0, 50.0],
            "start_day": [0, 0],
            "maturity_day": [10, 40],
            "reset_period": [0, 7],
            "daily_liquid": [True, False],
            "weekly_liquid": [True, False],
        }
    )
    metrics = reserve_metrics(holdings, _rates(12))
    day0, day8 = metrics.iloc[0], metrics.iloc[8]
    assert day0["wam_days"] == pytest.approx(8.5)
    assert day0["wal_days"] == pytest.approx(25.0)
    assert day0["daily_liquid_share"] == pytest.approx(0.5)
    # Day 8: USD has 2 days left, the floater 6 days to its reset on day 14.
    assert day8["wam_days"] == pytest.approx((100 * 2 + 100 * 6) / 200)
    # Day 10: the USD holding has matured and left the reserve.
    assert metrics.iloc[10]["units_USD"] == 0.0
    assert metrics.iloc[10]["wal_days"] == pytest.approx(30.0)


def _direct(holdings, rates, daily_horizon=1, weekly_horizon=5):
    """Straightforward per-day loop: the definition, holding by holding (horizons in US
    business days of the on-ledger calendar)."""
    origin = (rates.index[0] - pd.Timestamp("1970-01-01")).days
    rows = []
    for t, (_, rate) in enumerate(rates.iterrows()):
        value = wam = wal = daily = weekly = 0.0
        for h in holdings.itertuples():
            if not h.start_day <= t < h.maturity_day:
                continue
            v = h.amount * rate[h.currency]
            to_maturity = h.maturity_day - t
            to_reset = to_maturity
            if h.reset_period > 0:
                to_reset = min(h.reset_period - (t - h.start_day) % h.reset_period, to_maturity)
            value += v
            wam += v * to_reset
            wal += v * to_maturity
            today, maturity = origin + t, origin + h.maturity_day  # ledger day numbers
            near_daily = within_business_days(today, maturity, daily_horizon)
            near_weekly = within_business_days(today, maturity, weekly_horizon)
            daily += v if (h.daily_liquid or near_daily) else 0.0
            weekly += v if (h.weekly_liquid or near_weekly) else 0.0
        rows.append(
            [value]
            + ([wam / value, wal / value, daily / value, weekly / value] if value else [np.nan] * 4)
        )
    columns = [
        "reserve_value_usd",
        "wam_days",
        "wal_days",
        "daily_liquid_share",
        "weekly_liquid_share",
    ]
    return pd.DataFrame(rows, index=rates.index, columns=columns)


holding = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(["USD", "EUR"]),
        "amount": st.floats(1.0, 1000.0),
        "start_day": st.integers(-5, 25),
        "life": st.integers(1, 60),
        "reset_period": st.sampled_from([0, 0, 1, 7, 30]),
        "daily_liquid": st.booleans(),
        "weekly_liquid": st.booleans(),
    }
)


@given(st.lists(holding, min_size=1, max_size=12), st.floats(0.5, 2.0))
def test_sweep_equals_the_direct_definition(rows, eur):
    holdings = pd.DataFrame(rows)
    holdings["maturity_day"] = holdings["start_day"] + holdings.pop("life")
    rates = _rates(30, eur)
    fast = reserve_metrics(holdings, rates)
    slow = _direct(holdings, rates)
    pd.testing.assert_frame_equal(fast[slow.columns], slow, rtol=1e-9, atol=1e-9)


def test_bad_holding_named():
    holdings = pd.DataFrame(
        {
            "currency": ["USD"],
            "amount": [1.0],
            "start_day": [5],
            "maturity_day": [5],
            "reset_period": [0],
            "daily_liquid": [False],
            "weekly_liquid": [False],
        }
    )
    with pytest.raises(InputError, match="maturity_day"):
        reserve_metrics(holdings, _rates(3))
    holdings.loc[0, ["maturity_day", "currency"]] = [9, "CHF"]
    with pytest.raises(InputError, match="CHF"):
        reserve_metrics(holdings, _rates(3))


def _one(maturity_day, start="2024-01-05", days=10):
    holdings = pd.DataFrame(
        {
            "currency": ["USD", "USD"],
            "amount": [100.0, 100.0],
            "start_day": [0, 0],
            "maturity_day": [maturity_day, 60],
            "reset_period": [0, 0],
            "daily_liquid": [False, False],
            "weekly_liquid": [False, False],
        }
    )
    rates = pd.DataFrame({"USD": 1.0}, index=pd.date_range(start, periods=days))
    return reserve_metrics(holdings, rates).iloc[0]


def test_liquid_horizons_are_business_days():
    # Rule 2a-7: daily liquid = maturing within one business day, weekly within five.
    # Friday 5 January 2024: a Monday maturity (3 calendar days) is daily liquid.
    assert _one(3)["daily_liquid_share"] == pytest.approx(0.5)
    # A maturity 7 calendar days on (the next Friday) is 5 business days: weekly liquid.
    assert _one(7)["weekly_liquid_share"] == pytest.approx(0.5)
    # Friday 12 January 2024: Monday the 15th is Martin Luther King Day, so Tuesday is the
    # next business day (daily liquid) and Monday 22 January is 5 business days on.
    assert _one(4, start="2024-01-12")["daily_liquid_share"] == pytest.approx(0.5)
    assert _one(10, start="2024-01-12")["weekly_liquid_share"] == pytest.approx(0.5)
    assert _one(11, start="2024-01-12")["weekly_liquid_share"] == pytest.approx(0.0)


@given(st.lists(st.integers(0, 40_000), min_size=1, max_size=20), st.integers(1, 10))
def test_vectorised_first_day_agrees_with_the_ledger_calendar(targets, horizon):
    fast = first_days_within(np.array(targets), horizon)
    assert list(fast) == [first_day_within(t, horizon) for t in targets]
    for t, first in zip(targets, fast, strict=True):
        assert within_business_days(int(first), t, horizon)
        assert not within_business_days(int(first) - 1, t, horizon)
    assert days_from_civil(1970, 1, 1) == 0

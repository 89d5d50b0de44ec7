"""Currency amounts the IMF way, checked against the IMF's published SDR baskets.

Fixture: ``fixtures/imf_sdr_baskets.json`` (IMF Press Releases 15/543, 16/440, 22/153 and the
Jul 29, 2022 release on the new currency amounts) and ``fixtures/imf_sdr_valuations.json``
(IMF SDR Valuation page, Nov 29, 2022)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.basket.amounts import (
    basket_value,
    determine_amounts,
    effective_weights,
    round_significant,
)
from glassledger.basket.valuation import to_usd_per_unit
from glassledger.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
BASKETS = {
    b["name"]: b for b in json.loads((FIXTURES / "imf_sdr_baskets.json").read_text())["baskets"]
}
VALUATIONS = json.loads((FIXTURES / "imf_sdr_valuations.json").read_text())["valuations"]


def _amounts(name):
    return pd.Series(BASKETS[name]["amounts"])


def _weights(name):
    return pd.Series(BASKETS[name]["weights_pct"]) / 100


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(0.0808695, 5, 0.08087), (13.4515, 5, 13.452), (1.09925, 5, 1.0993), (0.5825249, 5, 0.58252)],
)
def test_round_significant_half_up_on_the_next_digit(value, digits, expected):
    assert round_significant(value, digits) == expected


@pytest.mark.parametrize("name", ["SDR 2016", "SDR 2022"])
def test_published_amounts_have_five_significant_digits(name):
    # IMF PR 16/358: amounts are rounded to five significant digits.
    for amount in _amounts(name):
        assert round_significant(amount, 5) == amount


def test_effective_weights_match_published_usd_equivalents_2022_11_29():
    # IMF SDR Valuation page, Nov 29, 2022: US dollar equivalents of the 2022 amounts.
    record = next(v for v in VALUATIONS if v["date"] == "2022-11-29")
    rates = to_usd_per_unit(pd.Series(record["quotes"]), tuple(record["quoted_per_usd"]))
    weights = effective_weights(_amounts("SDR 2022"), rates)
    published = pd.Series(record["usd_equivalents"]) / record["total"]
    pd.testing.assert_series_equal(
        weights[published.index], published, atol=2e-6, check_names=False
    )


@pytest.mark.parametrize("name", ["SDR 2016", "SDR 2022"])
def test_published_amounts_are_reproduced_from_published_weights(name):
    # Consistency check (not an independent replication: the IMF's three-month average rates
    # are not in our fixtures). At the average rates implied by the published amounts and
    # weights (avg_k = w_k * V / a_k, V = a_USD / w_USD, rounded to six significant digits as
    # rates are published), and with the transition-day rates of the IMF valuation of
    # Nov 29, 2022 standing in for the transition day, the procedure must give back the
    # published amounts to five significant digits.
    weights, amounts = _weights(name), _amounts(name)
    value_at_average = amounts["USD"] / weights["USD"]
    average = (weights * value_at_average / amounts).map(lambda r: round_significant(r, 6))
    spot = to_usd_per_unit(
        pd.Series({"CNY": 7.16950, "EUR": 1.03815, "JPY": 137.96, "GBP": 1.20235, "USD": 1.0})
    )
    value = basket_value(amounts, spot)
    result = determine_amounts(weights, average, spot, value)
    pd.testing.assert_series_equal(result, amounts[result.index], check_names=False)


rates_strategy = st.fixed_dictionaries(
    {c: st.floats(0.005, 2.0) for c in ["EUR", "JPY", "GBP", "CNY"]}
).map(lambda d: pd.Series({"USD": 1.0, **d}))


@given(
    st.lists(st.floats(0.05, 1.0), min_size=5, max_size=5),
    rates_strategy,
    st.lists(st.floats(0.9, 1.1), min_size=5, max_size=5),
    st.floats(1.0, 2.0),
)
def test_same_value_and_weights_at_average_rates(raw_weights, average, moves, value):
    weights = pd.Series(raw_weights, index=["USD", "EUR", "JPY", "GBP", "CNY"])
    weights = weights / weights.sum()
    spot = average * pd.Series(moves, index=average.index)
    spot["USD"] = 1.0
    amounts = determine_amounts(weights, average, spot, value)
    # Same value on the transition day, to the six digits at which the SDR is published.
    assert round_significant(basket_value(amounts, spot), 6) == round_significant(value, 6)
    # Shares at the average rates equal the weights up to the rounding of the amounts.
    shares = effective_weights(amounts, average)
    assert ((shares - weights[shares.index]).abs() < 2e-4).all()


def test_effective_weights_over_a_daily_frame_sum_to_one():
    rates = pd.DataFrame(
        {
            "USD": [1.0, 1.0],
            "EUR": [1.1, 1.0],
            "JPY": [0.007, 0.008],
            "GBP": [1.3, 1.2],
            "CNY": [0.14, 0.15],
        },
        index=pd.to_datetime(["2024-01-02", "2024-01-03"]),
    )
    weights = effective_weights(_amounts("SDR 2022"), rates)
    assert weights.sum(axis=1).round(12).eq(1.0).all()


def test_missing_rate_is_named():
    rates = pd.Series({"USD": 1.0, "EUR": 1.1, "JPY": 0.007, "GBP": 1.3})
    with pytest.raises(InputError, match="CNY"):
        basket_value(_amounts("SDR 2022"), rates)


def test_non_positive_rate_in_a_frame_names_the_date():
    rates = pd.DataFrame(
        {"USD": [1.0], "EUR": [0.0], "JPY": [0.007], "GBP": [1.3], "CNY": [0.14]}, index=["d1"]
    )
    with pytest.raises(InputError, match=r"'d1'.*EUR"):
        basket_value(_amounts("SDR 2022"), rates)

"""Seed 004, II.(2): single-currency delivery drifts the pool; basket delivery does not."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.basket.baskets import amounts_at, get_basket
from glassledger.basket.delivery import delivery_comparison
from glassledger.errors import InputError

RATES = pd.Series({"USD": 1.0, "EUR": 1.10, "JPY": 1 / 107.5, "GBP": 1.24, "SGD": 0.725})


def test_libra_amounts_reproduce_the_disclosed_weights():
    amounts = amounts_at(get_basket("libra-2019"), RATES)
    shares = amounts * RATES / (amounts * RATES).sum()
    assert shares["USD"] == pytest.approx(0.50, abs=1e-4)
    assert shares["SGD"] == pytest.approx(0.07, abs=1e-4)


def test_worked_example_of_the_user_guide():
    amounts = amounts_at(get_basket("libra-2019"), RATES)
    after = RATES.copy()
    after["SGD"] *= 0.9
    table = delivery_comparison(amounts, RATES, after, 1_000_000, 300_000, "SGD")
    basket, single = table.loc["basket delivery"], table.loc["single-currency delivery"]
    assert basket["SGD_pool_share"] == pytest.approx(0.07, abs=1e-4)
    assert single["SGD_pool_share"] == pytest.approx(0.2846, abs=1e-4)
    assert basket["per_currency_adequate"] and not single["per_currency_adequate"]
    assert single["min_coverage"] == pytest.approx(1 / 1.3)
    assert single["intrinsic_over_theoretical_before"] == pytest.approx(1.0)
    assert single["intrinsic_over_theoretical_after"] == pytest.approx(0.9784, abs=1e-4)


@given(st.floats(0.5, 1.5), st.floats(0.0, 1e7), st.sampled_from(["EUR", "JPY", "GBP", "SGD"]))
def test_basket_delivery_keeps_intrinsic_equal_to_theoretical_at_any_rates(move, minted, currency):
    amounts = amounts_at(get_basket("libra-2019"), RATES)
    after = RATES.copy()
    after[currency] *= move
    table = delivery_comparison(amounts, RATES, after, 1_000.0, minted, currency)
    assert table.loc["basket delivery", "intrinsic_over_theoretical_after"] == pytest.approx(1.0)


def test_unknown_basket_and_currency():
    with pytest.raises(InputError, match="unknown basket"):
        get_basket("bancor")
    amounts = amounts_at(get_basket("libra-2019"), RATES)
    with pytest.raises(InputError, match="surging"):
        delivery_comparison(amounts, RATES, RATES, 1.0, 1.0, "CHF")

"""Adequacy and the theoretical / intrinsic rates of seed 004 (section III)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.basket.adequacy import adequacy_report, reserve_value
from glassledger.errors import InputError

CURRENCIES = ["USD", "EUR", "JPY"]
AMOUNTS = pd.Series({"USD": 0.5, "EUR": 0.2, "JPY": 20.0})


def _frame(values):
    return pd.DataFrame([values], columns=CURRENCIES, index=pd.to_datetime(["2024-01-02"]))


def test_exact_basket_reserve_is_adequate_with_intrinsic_equal_theoretical():
    rates = _frame([1.0, 1.1, 0.007])
    holdings = _frame(list(AMOUNTS * 1000))
    report = adequacy_report(holdings, AMOUNTS, rates, 1000)
    row = report.iloc[0]
    assert row["theoretical_rate"] == pytest.approx(0.5 + 0.22 + 0.14)
    assert row["intrinsic_rate"] == pytest.approx(row["theoretical_rate"])
    assert row["per_currency_adequate"] and row["overall_adequate"]


def test_single_currency_inflow_breaks_per_currency_not_overall_adequacy():
    # Seed 004, II.(2): a surge of demand paid in one currency (here EUR) adds EUR only: the
    # pool is over-covered in EUR, under-covered in the others, overall still adequate.
    rates = _frame([1.0, 1.1, 0.007])
    mint_value = 100 * 0.86  # 100 new coins at the theoretical rate, paid in EUR
    holdings = _frame([500.0, 200.0 + mint_value / 1.1, 20_000.0])
    report = adequacy_report(holdings, AMOUNTS, rates, 1100).iloc[0]
    assert not report["per_currency_adequate"]
    assert report["coverage_EUR"] > 1 > report["coverage_USD"]
    assert report["overall_ratio"] == pytest.approx(1.0)


def test_bad_inputs_are_named():
    rates = _frame([1.0, 1.1, 0.007])
    with pytest.raises(InputError, match="EUR"):
        reserve_value(_frame([1.0, -1.0, 1.0]), rates)
    with pytest.raises(InputError, match="outstanding"):
        adequacy_report(_frame([1.0, 1.0, 1.0]), AMOUNTS, rates, 0)


positive = st.floats(0.01, 1e6)


@given(
    st.lists(positive, min_size=3, max_size=3),
    st.lists(st.floats(0.001, 10.0), min_size=3, max_size=3),
    st.floats(1.0, 1e5),
)
def test_adequacy_properties(holdings, rates, outstanding):
    report = adequacy_report(_frame(holdings), AMOUNTS, _frame(rates), outstanding).iloc[0]
    # Seed 004, conclusion 5: overall adequacy <=> intrinsic rate >= theoretical rate.
    # (floats: up to the report's relative tolerance of 1e-12)
    slack = 1 - 1e-12
    assert report["overall_adequate"] == (
        report["intrinsic_rate"] >= report["theoretical_rate"] * slack
    )
    # Per-currency adequacy implies overall adequacy.
    if report["per_currency_adequate"]:
        assert report["overall_adequate"]
    assert np.isclose(report["reserve_value_usd"], report["intrinsic_rate"] * outstanding)

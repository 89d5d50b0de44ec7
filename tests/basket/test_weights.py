"""IMF 2015 weight formula: 1/2 trade + 1/2 (1/3 reserves + 1/3 FX turnover + 1/3 IBL+IDS)."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.basket.baskets import sample_path
from glassledger.basket.weights import imf_weights, round_weights
from glassledger.errors import InputError
from glassledger.schemas import read_raw


def _two_currencies():
    return pd.DataFrame(
        {
            "currency": ["AAA", "BBB"],
            "exports": [3.0, 1.0],
            "gdp": [1.0, 1.0],
            "reserves": [0.6, 0.2],
            "fx_turnover": [0.5, 0.5],
            "ibl": [1.0, 0.0],
            "ids": [1.0, 2.0],
        }
    )


def test_formula_by_hand():
    # AAA: trade 3/4; reserves 0.6/0.8 = 3/4; FX 1/2; IBL+IDS 2/4 = 1/2.
    # w = 1/2 * 3/4 + 1/2 * (3/4 + 1/2 + 1/2) / 3 = 0.375 + 0.291666... = 0.6666...
    result = imf_weights(_two_currencies(), decimals=None)
    assert result.loc["AAA", "weight"] == pytest.approx(2 / 3)
    assert result.loc["AAA", "financial_share"] == pytest.approx(7 / 12)
    assert result["weight"].sum() == pytest.approx(1.0)


def test_gdp_variant_of_seed_002():
    # With GDP as the trade indicator (equal GDPs), AAA's trade share is 1/2.
    result = imf_weights(_two_currencies(), trade="gdp", decimals=None)
    assert result.loc["AAA", "weight"] == pytest.approx(0.25 + 7 / 24)


def test_rounded_weights_sum_to_exactly_one():
    result = imf_weights(_two_currencies(), decimals=4)
    assert round(result["weight"].sum(), 10) == 1.0
    assert result.loc["AAA", "weight"] == 0.6667


def test_sample_indicator_table_gives_usd_the_largest_weight():
    table = read_raw(sample_path("indicators_2018.csv"))
    result = imf_weights(table, trade="gdp")
    assert result["weight"].idxmax() == "USD"
    assert round(result["weight"].sum(), 10) == 1.0


def test_bad_value_named():
    table = _two_currencies()
    table.loc[1, "reserves"] = -1
    with pytest.raises(InputError, match="reserves"):
        imf_weights(table)


@given(
    st.lists(st.tuples(*[st.floats(0.01, 1000.0) for _ in range(4)]), min_size=2, max_size=6),
    st.floats(0.0, 1.0),
)
def test_weights_are_a_convex_mix_of_indicator_shares(rows, alpha):
    table = pd.DataFrame(rows, columns=["exports", "reserves", "fx_turnover", "ibl_ids"])
    table.insert(0, "currency", [f"C{i}" for i in range(len(rows))])
    result = imf_weights(table, trade_weight=alpha, decimals=None)
    assert result["weight"].sum() == pytest.approx(1.0)
    shares = result[["trade_share", "reserves_share", "fx_turnover_share", "ibl_ids_share"]]
    assert (result["weight"] >= shares.min(axis=1) - 1e-12).all()
    assert (result["weight"] <= shares.max(axis=1) + 1e-12).all()


@given(st.lists(st.floats(0.001, 1.0), min_size=1, max_size=8))
def test_round_weights_keeps_sum(raw):
    weights = pd.Series(raw) / sum(raw)
    rounded = round_weights(weights, 4)
    assert round(rounded.sum() * 10_000) == 10_000
    assert ((rounded - weights).abs() <= 1e-4 + 1e-12).all()

"""Currency screening (seed 002, section 2.3) on the shipped sample table."""

import pandas as pd
import pytest

from glassledger.basket.baskets import sample_path
from glassledger.basket.screening import screen_currencies
from glassledger.errors import InputError
from glassledger.schemas import read_raw


def _sample():
    economies = read_raw(sample_path("screening_2018.csv"))
    shares = read_raw(sample_path("reserve_shares_2018q4.csv"))
    return economies, shares


def test_seed_002_procedure_selects_usd_eur_jpy_gbp_as_the_top_four():
    # Seed 002: screening by credit score >= 75, GDP share > 3%, euro members merged into the
    # euro area, ranking by COFER share gives "USD, EUR, GBP and JPY".
    economies, shares = _sample()
    result = screen_currencies(economies, shares, top=4)
    assert set(result["currency"]) == {"USD", "EUR", "JPY", "GBP"}
    assert list(result["rank"]) == [1, 2, 3, 4]
    assert result.set_index("currency").loc["EUR", "economy"] == "Euro area"


def test_each_screen_removes_what_it_should():
    economies, shares = _sample()
    result = screen_currencies(economies, shares)
    # India (score 58) fails the credit screen; Canada (GDP ~2%) the GDP screen.
    assert "INR" not in set(result["currency"]) and "CAD" not in set(result["currency"])
    # France and Germany are merged into the euro area: one EUR row only.
    assert (result["currency"] == "EUR").sum() == 1
    assert result["reserve_share"].is_monotonic_decreasing


def test_union_member_stands_for_the_currency_when_the_union_row_fails():
    economies, shares = _sample()
    economies.loc[economies["economy"] == "Euro area", "credit_score"] = "10"
    result = screen_currencies(economies, shares).set_index("currency")
    assert result.loc["EUR", "economy"] == "Germany"


def test_thresholds_are_parameters():
    economies, shares = _sample()
    strict = screen_currencies(economies, shares, min_credit_score=95)
    assert set(strict["currency"]) == {"USD", "EUR"}


def test_bad_row_is_named():
    economies, shares = _sample()
    economies["gdp_usd_bn"] = economies["gdp_usd_bn"].astype(object)
    economies.loc[3, "gdp_usd_bn"] = "n/a"
    with pytest.raises(InputError, match=r"line 3.*gdp_usd_bn"):
        screen_currencies(economies, shares)


def test_world_row_is_required():
    economies, shares = _sample()
    with pytest.raises(InputError, match="World"):
        screen_currencies(economies[economies["economy"] != "World"], shares)


def test_missing_column_is_named():
    economies, shares = _sample()
    with pytest.raises(InputError, match="credit_score"):
        screen_currencies(economies.drop(columns="credit_score"), shares)


def test_currency_without_reserve_share_ranks_last():
    economies, _ = _sample()
    result = screen_currencies(
        economies, pd.DataFrame({"currency": ["EUR"], "reserve_share": [0.2]})
    )
    assert result.iloc[0]["currency"] == "EUR"


def test_economy_without_currency_is_named():
    economies, shares = _sample()
    economies.loc[5, "currency"] = None
    with pytest.raises(InputError, match=r"line 5.*currency"):
        screen_currencies(economies, shares)

"""Input validation of the SA-CCR tables: every bad value is reported with trade id and field."""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.risk.saccr import compute_saccr, load_portfolio, validate_trades


def base() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trade_id": ["s1", "c1", "c2"],
            "netting_set": ["ns", "ns", "ns"],
            "asset_class": ["IR", "CREDIT", "CREDIT"],
            "position": ["LONG", "SHORT", "LONG"],
            "notional": [100.0, 50.0, 50.0],
            "maturity": [5.0, 3.0, 4.0],
            "end": [5.0, 3.0, 4.0],
            "currency": ["USD", "", ""],
            "reference": ["", "FIRM A", "FIRM A"],
            "subclass": ["", "AA", "AA"],
        }
    )


@pytest.mark.parametrize(
    ("column", "row", "value", "field"),
    [
        ("asset_class", 1, "WEATHER", "asset_class"),
        ("notional", 0, -5.0, "notional"),
        ("end", 0, float("nan"), "end"),
        ("maturity", 2, 0.0, "maturity"),
        ("subclass", 2, "A", "subclass"),  # inconsistent rating for one entity
        ("subclass", 1, "ZZZ", "subclass"),
        ("position", 0, "UP", "position"),
        ("currency", 0, "", "currency"),
        ("notional", 1, "ten", "notional"),
        ("trade_id", 2, "c1", "trade_id"),
    ],
)
def test_bad_input_names_trade_and_field(column, row, value, field):
    trades = base()
    trades[column] = trades[column].astype(object)
    trades.loc[row, column] = value
    with pytest.raises(InputError) as info:
        compute_saccr(trades)
    assert info.value.field == field
    assert info.value.row == trades.loc[row, "trade_id"]


def test_missing_required_column_and_unknown_column():
    with pytest.raises(InputError, match="missing column"):
        validate_trades(base().drop(columns="notional"))
    with pytest.raises(InputError, match="unknown column"):
        validate_trades(base().assign(colour="red"))


def test_option_and_tranche_fields_are_required():
    option = (
        base()
        .iloc[:1]
        .assign(instrument="OPTION", option_type="CALL", exercise=1.0, underlying_price=0.02)
    )
    with pytest.raises(InputError) as info:
        validate_trades(option)
    assert (info.value.row, info.value.field) == ("s1", "strike")
    tranche = base().iloc[1:2].assign(instrument="TRANCHE", attachment=0.1, detachment=0.05)
    with pytest.raises(InputError) as info:
        validate_trades(tranche)
    assert (info.value.row, info.value.field) == ("c1", "detachment")


def test_fx_pair_must_name_two_currencies():
    fx = pd.DataFrame(
        {
            "trade_id": ["f"],
            "netting_set": ["n"],
            "asset_class": ["FX"],
            "position": ["LONG"],
            "notional": [1.0],
            "maturity": [1.0],
            "currency_pair": ["USD/USD"],
        }
    )
    with pytest.raises(InputError) as info:
        validate_trades(fx)
    assert info.value.field == "currency_pair"


def test_csv_and_parquet_load_the_same(tmp_path):
    trades = base()
    trades.to_csv(tmp_path / "p.csv", index=False)
    trades.to_parquet(tmp_path / "p.parquet", index=False)
    a = compute_saccr(load_portfolio(tmp_path / "p.csv")).netting_sets
    b = compute_saccr(load_portfolio(tmp_path / "p.parquet")).netting_sets
    pd.testing.assert_frame_equal(a, b)
    (tmp_path / "p.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match=r"csv or \.parquet"):
        load_portfolio(tmp_path / "p.xlsx")


def test_fx_currency_must_be_in_the_pair():
    fx = pd.DataFrame(
        {
            "trade_id": ["f", "g"],
            "netting_set": ["n", "n"],
            "asset_class": ["FX", "FX"],
            "position": ["LONG", "LONG"],
            "notional": [1.0, 1.0],
            "maturity": [1.0, 1.0],
            "currency_pair": ["EUR/USD", "EUR/USD"],
            "currency": ["USD", "JPY"],
        }
    )
    with pytest.raises(InputError, match="inconsistent currencies") as info:
        validate_trades(fx)
    assert (info.value.row, info.value.field) == ("g", "currency")

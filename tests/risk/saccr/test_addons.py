"""Trade-level measures and asset-class add-ons (CRE52.34-73)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.saccr import Bcbs2014, Cre52, compute_saccr, supervisory_parameters
from glassledger.risk.saccr.addons import option_delta, supervisory_duration, tranche_delta


def test_table_2_cells():
    """CRE52.72 Table 2, cell by cell for a sample of rows."""
    table = supervisory_parameters().set_index(["asset_class", "subclass"])
    assert table.loc[("IR", ""), "supervisory_factor"] == 0.005
    assert table.loc[("FX", ""), "option_volatility"] == 0.15
    assert table.loc[("CREDIT", "BB"), "supervisory_factor"] == 0.0106
    assert table.loc[("CREDIT", "SG"), "correlation"] == 0.80
    assert table.loc[("EQUITY", "SINGLE"), "option_volatility"] == 1.20
    assert table.loc[("EQUITY", "INDEX"), "supervisory_factor"] == 0.20
    assert table.loc[("COMMODITY", "ELECTRICITY"), "supervisory_factor"] == 0.40
    assert table.loc[("COMMODITY", "ELECTRICITY"), "option_volatility"] == 1.50
    assert table.loc[("COMMODITY", "AGRICULTURAL"), "correlation"] == 0.40
    assert len(table) == 19


def test_supervisory_duration_and_floor():
    """CRE52.34: SD = (e^{-0.05 S} - e^{-0.05 E}) / 0.05, S < 0 set to 0, floor 10/250."""
    sd = supervisory_duration(
        np.array([0.0, -1.0, 1.0, 0.0]), np.array([10.0, 4.0, 11.0, 0.01]), 10 / 250
    )
    assert sd[0] == pytest.approx((1 - math.exp(-0.5)) / 0.05)
    assert sd[1] == pytest.approx((1 - math.exp(-0.2)) / 0.05)
    assert sd[2] == pytest.approx((math.exp(-0.05) - math.exp(-0.55)) / 0.05)
    assert sd[3] == pytest.approx(0.04)


@given(st.floats(0.01, 5), st.floats(0.01, 5), st.floats(0.05, 1.5), st.floats(0.01, 10))
def test_option_delta_put_call_parity(price, strike, vol, expiry):
    """Bought call delta minus bought put delta is 1; sold options mirror bought ones."""
    args = [np.array([x]) for x in (price, strike, vol, expiry)]
    call = option_delta(*args, np.array([True]), np.array([True]))[0]
    put = option_delta(*args, np.array([False]), np.array([True]))[0]
    sold_call = option_delta(*args, np.array([True]), np.array([False]))[0]
    assert call - put == pytest.approx(1.0)
    assert sold_call == pytest.approx(-call)
    assert 0 <= call <= 1


def test_tranche_delta():
    """CRE52.41: 15 / ((1 + 14 A)(1 + 14 D)), + purchased protection, - sold."""
    d = tranche_delta(np.array([0.0, 0.03]), np.array([0.03, 0.07]), np.array([True, False]))
    assert d[0] == pytest.approx(15 / 1.42)
    assert d[1] == pytest.approx(-15 / (1.42 * 1.98))


def _trades(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    defaults = {
        "trade_id": [f"t{i}" for i in range(n)],
        "netting_set": ["ns"] * n,
        "maturity": [1.0] * n,
    }
    return pd.DataFrame(defaults | columns)


def test_fx_hedging_sets_by_currency_pair():
    """CRE52.59: |sum of effective notionals| x 4 % per currency pair, summed over pairs."""
    trades = _trades(
        asset_class=["FX"] * 3,
        position=["LONG", "SHORT", "SHORT"],
        notional=[10_000.0, 4_000.0, 5_000.0],
        currency_pair=["EUR/USD", "EUR/USD", "GBP/USD"],
    )
    result = compute_saccr(trades)
    assert result.netting_sets["addon_fx"].iloc[0] == pytest.approx(0.04 * (6_000 + 5_000))
    assert sorted(result.hedging_sets["hedging_set"]) == ["EUR/USD", "GBP/USD"]


def test_equity_single_factor_formula():
    """CRE52.66: sqrt((sum rho A)^2 + sum (1 - rho^2) A^2), 32 %/50 % single, 20 %/80 % index."""
    trades = _trades(
        asset_class=["EQUITY"] * 3,
        position=["LONG", "SHORT", "LONG"],
        notional=[100.0, 40.0, 200.0],
        reference=["ACME", "ACME", "SPX"],
        subclass=["SINGLE", "SINGLE", "INDEX"],
    )
    a_single, a_index = 0.32 * 60.0, 0.20 * 200.0
    expected = math.sqrt(
        (0.5 * a_single + 0.8 * a_index) ** 2 + 0.75 * a_single**2 + 0.36 * a_index**2
    )
    out = compute_saccr(trades).netting_sets
    assert out["addon_equity"].iloc[0] == pytest.approx(expected)


def test_commodity_electricity_and_hedging_sets():
    """CRE52.70: electricity 40 %, commodity types within energy at 40 % correlation,
    agricultural a separate hedging set."""
    trades = _trades(
        asset_class=["COMMODITY"] * 3,
        position=["LONG", "LONG", "SHORT"],
        notional=[100.0, 100.0, 50.0],
        reference=["POWER DE", "NAT GAS", "CORN"],
        subclass=["ELECTRICITY", "OIL/GAS", "AGRICULTURAL"],
    )
    out = compute_saccr(trades)
    a, b = 0.40 * 100, 0.18 * 100
    energy = math.sqrt((0.4 * a + 0.4 * b) ** 2 + 0.84 * (a**2 + b**2))
    assert out.netting_sets["addon_commodity"].iloc[0] == pytest.approx(energy + 0.18 * 50)
    assert set(out.hedging_sets["hedging_set"]) == {"ENERGY", "AGRICULTURAL"}


def test_basis_and_volatility_hedging_sets():
    """CRE52.46-47: basis trades form their own hedging set at half the factor, volatility
    trades their own at five times the factor; no offset with ordinary trades."""
    trades = _trades(
        asset_class=["IR"] * 3,
        position=["LONG", "SHORT", "LONG"],
        notional=[1_000.0] * 3,
        end=[3.0] * 3,
        maturity=[3.0] * 3,
        currency=["USD"] * 3,
        basis=["", "SOFR/TERM SOFR", ""],
        volatility=[False, False, True],
    )
    out = compute_saccr(trades)
    sd = (1 - math.exp(-0.15)) / 0.05
    by_set = out.hedging_sets.set_index("hedging_set")["addon"]
    assert by_set["USD"] == pytest.approx(0.005 * 1_000 * sd)
    assert by_set["USD basis SOFR/TERM SOFR"] == pytest.approx(0.0025 * 1_000 * sd)
    assert by_set["USD volatility"] == pytest.approx(0.025 * 1_000 * sd)


def test_ir_maturity_buckets_use_end_date():
    """CRE52.57(3): buckets < 1y, 1-5y, > 5y on E; 1y and 5y fall in bucket 2."""
    trades = _trades(
        asset_class=["IR"] * 4,
        position=["LONG"] * 4,
        notional=[1.0] * 4,
        end=[0.5, 1.0, 5.0, 5.5],
        maturity=[0.5, 1.0, 5.0, 5.5],
        currency=["USD"] * 4,
    )
    assert compute_saccr(trades).trades["component"].tolist() == ["<1y", "1-5y", "1-5y", ">5y"]


def test_lambda_shift_only_in_cre52():
    """CRE52.40 FAQ2: with negative rates ln(P/K) uses P + lambda and K + lambda; the 2014
    text has no shift, so a negative forward rate is an input error there."""
    trades = _trades(
        asset_class=["IR"],
        instrument=["OPTION"],
        position=["LONG"],
        notional=[1_000.0],
        end=[6.0],
        start=[1.0],
        exercise=[1.0],
        currency=["EUR"],
        option_type=["CALL"],
        underlying_price=[-0.002],
        strike=[0.001],
        lambda_shift=[0.01],
    )
    delta = compute_saccr(trades, regime=Cre52()).trades["delta"].iloc[0]
    d1 = (math.log(0.008 / 0.011) + 0.5 * 0.25) / 0.5
    assert delta == pytest.approx(0.5 * math.erfc(-d1 / math.sqrt(2)))
    with pytest.raises(InputError) as info:
        compute_saccr(trades, regime=Bcbs2014())
    assert (info.value.row, info.value.field) == ("t0", "lambda_shift")


def test_fx_option_and_cdo_tranche_through_the_pipeline():
    """An FX option uses the 15 % supervisory volatility (Table 2) and the 4 % factor; a sold
    CDO tranche on an IG index uses -15/((1 + 14 A)(1 + 14 D)) and the index factor 0.38 %."""
    trades = _trades(
        asset_class=["FX", "CREDIT"],
        instrument=["OPTION", "TRANCHE"],
        position=["SHORT", "SHORT"],
        notional=[1_000.0, 1_000.0],
        maturity=[0.5, 5.0],
        end=[np.nan, 5.0],
        exercise=[0.5, np.nan],
        currency_pair=["EUR/USD", ""],
        option_type=["PUT", ""],
        underlying_price=[1.10, np.nan],
        strike=[1.05, np.nan],
        reference=["", "CDX.IG TRANCHE"],
        subclass=["", "IG"],
        attachment=[np.nan, 0.03],
        detachment=[np.nan, 0.07],
    )
    out = compute_saccr(trades)
    d1 = (math.log(1.10 / 1.05) + 0.5 * 0.15**2 * 0.5) / (0.15 * math.sqrt(0.5))
    put_delta = 0.5 * math.erfc(d1 / math.sqrt(2))  # N(-d1); sold put: +N(-d1)
    fx = 0.04 * 1_000 * put_delta * math.sqrt(0.5)
    assert out.netting_sets["addon_fx"].iloc[0] == pytest.approx(fx)
    tranche = -15 / (1.42 * 1.98)
    assert out.trades["delta"].iloc[1] == pytest.approx(tranche)
    sd = (1 - math.exp(-0.25)) / 0.05
    credit = 0.0038 * 1_000 * sd * abs(tranche)  # one entity: sqrt(0.64 A^2 + 0.36 A^2)
    assert out.netting_sets["addon_credit"].iloc[0] == pytest.approx(credit)

"""The pool's integer lending math against Aave's published rules and examples.

Sources:

* health factor example: aave.com/docs/developers/liquidations ("if a user supplies $10,000
  in ETH with an 80% liquidation threshold and borrows $6,000 in GHO, the health factor would
  be 1.333");
* liquidation amount: docs.aave.com/developers/guides/liquidations, "Calculating
  profitability": ``maxAmountOfCollateralToLiquidate = debtAssetPrice x debtToCover x
  liquidationBonus / collateralPrice``; the close factor is 50% above
  ``CLOSE_FACTOR_HF_THRESHOLD`` (0.95) and 100% below it;
* Aave v3.3 ``LiquidationLogic`` (aave-dao/aave-v3-origin): the $2,000 small-position rule,
  the $1,000 dust rule, the protocol fee on the bonus, the deficit.

The worked liquidation continues the documented health-factor example: ETH falls from $2,000
to $1,400 (collateral $7,000, HF 0.9333 < 0.95) and the liquidator covers the whole $6,000
debt with a 5% bonus and a 10% protocol fee. The figures below are computed by hand from the
documented formula, not taken from an Aave page (Aave's pages give the formula, not these
numbers).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts import lending_math as lm
from glassledger.errors import ContractError

E8 = 10**8
ETH = 10**18
LIMITS = lm.LiquidationLimits(min_base=2_000_00, min_leftover=1_000_00)


def eth(amount_wei: int, price_usd: int, fee_bps: int = 1_000) -> lm.Collateral:
    return lm.Collateral("ETH", amount_wei, 18, price_usd * E8, 1, 7_500, 8_000, 10_500, fee_bps)


def position(debt_cents: int, *collateral: lm.Collateral) -> lm.Position:
    return lm.Position(debt_cents, 2, tuple(collateral))


def test_aave_docs_health_factor_example():
    # $10,000 of ETH (5 ETH at $2,000), 80% threshold, $6,000 borrowed: HF 1.333
    acct = lm.account(position(6_000_00, eth(5 * ETH, 2_000)))
    assert acct.collateral_value == 10_000_00
    assert acct.health_factor == 10_000_00 * 8_000 * lm.WAD // (lm.BPS * 6_000_00)
    assert lm.format_wad(acct.health_factor) == "1.3333"
    with pytest.raises(ContractError, match="healthy"):
        lm.liquidation(position(6_000_00, eth(5 * ETH, 2_000)), "ETH", 6_000_00, LIMITS)


def test_worked_liquidation_below_095_takes_the_whole_debt():
    pos = position(6_000_00, eth(5 * ETH, 1_400))
    assert lm.format_wad(lm.account(pos).health_factor) == "0.9333"
    result = lm.liquidation(pos, "ETH", 6_000_00, LIMITS)
    assert result.max_debt == 6_000_00  # HF < 0.95: close factor 100%
    assert result.debt_repaid == 6_000_00
    # 6,000 x 1.05 / 1,400 = 4.5 ETH seized; bonus 4.5 - 4.5/1.05 = 0.2142857... ETH;
    # protocol fee 10% of it = 0.02142857... ETH
    fee = 21_428_571_428_571_429  # percentMul rounds half up
    assert result.protocol_fee == fee
    assert result.collateral_to_liquidator == 4_500_000_000_000_000_000 - fee
    assert result.bad_debt == 0


def test_above_095_the_close_factor_is_half():
    pos = position(6_000_00, eth(5 * ETH, 1_450))  # HF 0.9667
    result = lm.liquidation(pos, "ETH", 6_000_00, LIMITS)
    assert result.max_debt == 3_000_00 and result.debt_repaid == 3_000_00


def test_small_positions_are_closed_in_full():
    # debt $1,500 < $2,000: 100% whatever the health factor
    pos = position(1_500_00, eth(ETH, 1_850))  # HF 0.9867
    assert lm.liquidation(pos, "ETH", 1_500_00, LIMITS).debt_repaid == 1_500_00


def test_dust_rule():
    pos = position(6_000_00, eth(5 * ETH, 1_450))
    # covering $2,500 of $6,000 leaves $3,500 of debt: allowed
    assert lm.liquidation(pos, "ETH", 2_500_00, LIMITS).debt_repaid == 2_500_00
    pos = position(2_500_00, eth(2 * ETH, 1_450))  # HF 0.928 < 0.95: 100% allowed
    # covering $2,000 would leave $500 < $1,000 of debt: refused
    with pytest.raises(ContractError, match="dust"):
        lm.liquidation(pos, "ETH", 2_000_00, LIMITS)
    assert lm.liquidation(pos, "ETH", 2_500_00, LIMITS).debt_repaid == 2_500_00


def test_bad_debt_when_collateral_runs_out():
    pos = position(6_000_00, eth(5 * ETH, 1_000))  # $5,000 against $6,000
    result = lm.liquidation(pos, "ETH", 6_000_00, LIMITS)
    # all 5 ETH go; the debt covered is 5,000 / 1.05 = 4,761.90
    assert result.collateral_to_liquidator + result.protocol_fee == 5 * ETH
    assert result.debt_repaid == 4_761_90
    assert result.bad_debt == 6_000_00 - 4_761_90


def test_rate_curve_kinks_at_optimal_utilization():
    rate = lambda u_bps: lm.borrow_rate_ray(lm.bps_to_ray(u_bps), 100, 400, 6_000, 9_000)  # noqa: E731
    assert lm.ray_to_bps(rate(0)) == 100
    assert lm.ray_to_bps(rate(4_500)) == 300
    assert lm.ray_to_bps(rate(9_000)) == 500
    assert lm.ray_to_bps(rate(9_500)) == 3_500
    assert lm.ray_to_bps(rate(10_000)) == 6_500


@given(
    a=st.integers(0, 10 * 86_400_000),
    b=st.integers(0, 10 * 86_400_000),
    rate_bps=st.integers(0, 5_000),
    debt=st.integers(1, 10**15),
)
def test_growth_is_independent_of_the_split(a, b, rate_bps, debt):
    rate = lm.bps_to_ray(rate_bps)
    one = lm.ray_mul(lm.RAY, lm.growth(rate, a + b))
    two = lm.ray_mul(lm.ray_mul(lm.RAY, lm.growth(rate, a)), lm.growth(rate, b))
    assert abs(lm.ray_mul_up(debt, one) - lm.ray_mul_up(debt, two)) <= 1


@given(
    debt=st.integers(1, 10**12),
    amount=st.integers(1, 10**24),
    price=st.integers(1, 10**13),
    threshold=st.integers(1, 9_500),
    cover=st.integers(1, 10**13),
)
def test_no_liquidation_at_or_above_health_factor_one(debt, amount, price, threshold, cover):
    c = lm.Collateral("X", amount, 18, price, 1, threshold, threshold, 10_500, 1_000)
    pos = position(debt, c)
    if lm.account(pos).health_factor >= lm.WAD:
        with pytest.raises(ContractError, match="healthy"):
            lm.liquidation(pos, "X", cover, LIMITS)
    else:
        try:
            result = lm.liquidation(pos, "X", cover, LIMITS)
        except ContractError as exc:
            assert "dust" in str(exc)
            return
        assert 0 <= result.debt_repaid <= debt and result.debt_repaid + result.bad_debt <= debt
        assert result.collateral_to_liquidator + result.protocol_fee <= amount
        assert (
            result.bad_debt == 0 or result.collateral_to_liquidator + result.protocol_fee == amount
        )

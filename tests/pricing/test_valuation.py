"""QuantLib valuations against textbook values, and marks posted as oracle data that the
derivative contract uses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.pricing.valuation import Market, cds, european, mark_points
from support.otc import otc_chain, post_marks, trade


def test_black_scholes_matches_hull():
    """Hull, Options, Futures and Other Derivatives (10th ed.), Example 15.6: S0=42, K=40,
    r=10%, sigma=20%, T=0.5: c = 4.76, p = 0.81."""
    assert european(42, 40, 0.10, 0.20, 0.5, "call") == pytest.approx(4.76, abs=0.005)
    assert european(42, 40, 0.10, 0.20, 0.5, "put") == pytest.approx(0.81, abs=0.005)


def _gk_closed_form(s, k, rd, rf, sigma, t, call=True):
    """Garman and Kohlhagen (1983), J. Int. Money Finance 2(3) 231-237, eq. (7)-(8)."""
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(s / k) + (rd - rf + sigma**2 / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if call:
        return s * math.exp(-rf * t) * n(d1) - k * math.exp(-rd * t) * n(d2)
    return k * math.exp(-rd * t) * n(-d2) - s * math.exp(-rf * t) * n(-d1)


def test_garman_kohlhagen_matches_the_closed_form_and_parity():
    # Hull's currency-option inputs (GBP call, S0=K=1.60, r=8%, rf=11%, sigma=14.1%, 4 months)
    s, k, rd, rf, sigma, t = 1.60, 1.60, 0.08, 0.11, 0.141, 4 / 12
    call = european(s, k, rd, sigma, t, "call", foreign_rate=rf)
    put = european(s, k, rd, sigma, t, "put", foreign_rate=rf)
    assert call == pytest.approx(_gk_closed_form(s, k, rd, rf, sigma, t), rel=1e-9)
    assert put == pytest.approx(_gk_closed_form(s, k, rd, rf, sigma, t, call=False), rel=1e-9)
    # FX put-call parity: c - p = S e^{-rf T} - K e^{-rd T}
    assert call - put == pytest.approx(s * math.exp(-rf * t) - k * math.exp(-rd * t), abs=1e-12)


def test_cds_par_spread_is_about_hazard_times_loss_given_default():
    """The credit triangle (Hull, ch. 24): par spread ~ lambda x (1 - R): 2% x 60% = 120 bp."""
    npv, par = cds(1_000_000, 0.012, 0.02, 0.40, 0.03, 5)
    assert par == pytest.approx(0.012, abs=0.0002)
    at_par, _ = cds(1_000_000, par, 0.02, 0.40, 0.03, 5)
    assert at_par == pytest.approx(0.0, abs=1e-6)
    assert (npv > 0) == (par > 0.012)  # the buyer gains when protection is worth more


@settings(max_examples=30, deadline=None)
@given(
    spot=st.floats(10, 200),
    strike=st.floats(10, 200),
    rate=st.floats(0, 0.1),
    sigma=st.floats(0.05, 0.8),
    years=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
)
def test_put_call_parity_holds_for_any_inputs(spot, strike, rate, sigma, years):
    c = european(spot, strike, rate, sigma, years, "call")
    p = european(spot, strike, rate, sigma, years, "put")
    assert c - p == pytest.approx(spot - strike * math.exp(-rate * years), abs=1e-8)


def test_marks_posted_by_the_agent_reach_the_contract():
    c = otc_chain()
    c.ok(
        "regulator",
        "oracle",
        "post",
        kind="rate",
        key="SOFR",
        value=5_000_000,
        scale=8,
        observed_ms=c.time_ms,
    )
    c.commit(
        [
            c.tx("dealer-0", "rfq", "set_credit_limit", counterparty="client-0", limit=10**9),
            c.tx(
                "dealer-0",
                "derivative",
                "post_collateral",
                counterparty="client-0",
                amount=200_000_00,
            ),
        ]
    )
    trade(
        c,
        "S1",
        "irs",
        {"period_days": 90, "periods": 4},
        1_000_000_00,
        "pay_fixed",
        "client-0",
        {"dealer-0": 4_000_000},
    )
    record = c.get("derivative", "c/S1")
    market = Market(rates={"SOFR": 0.05, "USD": 0.05})
    points = mark_points([record], market, c.time_ms)
    # the client pays 4% fixed and receives 5%: the swap is worth ~1% x 1y x 1m to the
    # client, so the dealer's (A's) mark is negative, about -$10,000 less discounting
    assert points[0][0] == "S1" and -1_000_000 < points[0][1] < -900_000
    post_marks(c, dict((k, v) for k, v in points))
    ns = c.get("derivative", "ns/dealer-0~client-0")
    assert ns["marks"]["S1"] == points[0][1]


def test_the_agent_values_every_live_trade_in_the_ledger_state():
    from glassledger.errors import InputError
    from glassledger.pricing import agent

    c = otc_chain()
    c.ok(
        "regulator",
        "oracle",
        "post",
        kind="rate",
        key="SOFR",
        value=5_000_000,
        scale=8,
        observed_ms=c.time_ms,
    )
    c.ok(
        "regulator",
        "oracle",
        "post",
        kind="price",
        key="ACME",
        value=42 * 10**8,
        scale=8,
        observed_ms=c.time_ms,
    )
    c.commit(
        [
            c.tx("dealer-0", "rfq", "set_credit_limit", counterparty="client-0", limit=10**9),
            c.tx(
                "dealer-0",
                "derivative",
                "post_collateral",
                counterparty="client-0",
                amount=200_000_00,
            ),
        ]
    )
    trade(
        c,
        "S1",
        "irs",
        {"period_days": 90, "periods": 4},
        1_000_000_00,
        "pay_fixed",
        "client-0",
        {"dealer-0": 4_000_000},
    )
    expiry = c.time_ms + 182 * 86_400_000
    trade(
        c,
        "O1",
        "european_option",
        {"underlying": "price:ACME", "strike_e8": 40 * 10**8, "expiry_ms": expiry},
        100,
        "buy",
        "client-0",
        {"dealer-0": 476_00},
    )
    state = c.store.state_at(c.height)
    with pytest.raises(InputError) as info:
        agent.points(state, c.time_ms)  # no volatility for ACME on the ledger
    assert info.value.row == "O1"
    # the market file's numbers are a seed: posted as oracle points, then read back
    seed = {"vols": {"price:ACME": 0.2}, "rates": {"USD": 0.1}}
    calls = agent.seed_calls(seed, c.time_ms)
    c.commit([c.tx("regulator", contract, method, **args) for contract, method, args in calls])
    assert c.get("oracle", "v/vol/price:ACME")["value"] == 20_000_000
    state = c.store.state_at(c.height)
    marks = dict(agent.points(state, c.time_ms))
    # the seed laid over the earlier state (the home mode) gives the same marks
    earlier = c.store.state_at(c.height - 1)
    laid = agent.with_seed(earlier, calls, "regulator", c.height)
    assert dict(agent.points(laid, c.time_ms)) == marks
    assert sorted(marks) == ["O1", "S1"]
    # 100 calls on Hull's example (T = 182 days): ~ -$475.6 to the dealer, who sold them
    assert marks["O1"] == pytest.approx(-475_60, abs=150)
    # inputs the contracts would call stale (older than oracle_max_age_ms, 1 day) are not
    # inputs of a mark either: two days on, ACME's price (posted first) stops the round
    with pytest.raises(InputError, match=r"stale: oracle price 'ACME' is .* ms old") as info:
        agent.points(state, c.time_ms + 2 * 86_400_000)
    assert info.value.row == "O1"
    # a discount rate is never taken as 0: without the USD rate the option is not valued
    del state[b"oracle/v/rate/USD"]
    with pytest.raises(InputError, match="no oracle input 'USD' on the ledger"):
        agent.points(state, c.time_ms)
    state = c.store.state_at(c.height)
    post_marks(c, marks)
    assert c.get("derivative", "ns/dealer-0~client-0")["marks"] == marks

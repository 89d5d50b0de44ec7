"""Daily repo-market clearing: the vectorised solver against the agent-by-agent oracle,
and the invariants of a cleared market."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.liquidity.model.clearing import (
    Market,
    clear,
    clear_reference,
    ramp_sum,
)


def random_market(seed: int, demand: float, srf: bool = True, limit: float = math.inf) -> Market:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-15, -10, 40)
    return Market(
        mmf_lo_bp=lo,
        mmf_hi_bp=lo + rng.uniform(1, 6, 40),
        mmf_cash=rng.uniform(1, 30, 40),
        dealer_capacity=float(rng.uniform(300, 900)),
        bank_excess=rng.uniform(-0.3, 1.5, 60),
        bank_weight=rng.uniform(1, 10, 60),
        slope_bp=3.0,
        bank_cost_bp=2.0,
        inelastic_demand=demand,
        other_demand=50.0,
        other_lo_bp=-20.0,
        other_hi_bp=1000.0,
        srf_bp=10.0 if srf else math.nan,
        srf_elasticity=2.3,
        srf_max_premium_bp=30.0,
        srf_limit=limit,
    )


@given(
    st.lists(
        st.tuples(st.floats(-50, 50), st.floats(0.1, 20), st.floats(0, 100)),
        min_size=1,
        max_size=20,
    ),
    st.floats(-80, 80),
)
def test_ramp_sum_matches_brute_force(ramps, x):
    lo = np.array([r[0] for r in ramps])
    hi = lo + np.array([r[1] for r in ramps])
    qty = np.array([r[2] for r in ramps])
    brute = sum(q * min(max((x - a) / (b - a), 0), 1) for a, b, q in zip(lo, hi, qty, strict=True))
    assert ramp_sum(lo, hi, qty, np.array([x]))[0] == pytest.approx(brute, abs=1e-9)


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.floats(100, 1200), st.booleans())
def test_vectorised_matches_reference(seed, demand, srf):
    market = random_market(seed, demand, srf)
    fast, slow = clear(market), clear_reference(market)
    # grid interpolation: within 1 bp (1 % of the spread where the grid is geometric)
    assert fast.spread_bp == pytest.approx(slow.spread_bp, abs=max(1.0, 0.01 * abs(slow.spread_bp)))
    assert fast.srf == pytest.approx(slow.srf, abs=3.0)
    assert fast.unmet == pytest.approx(slow.unmet, abs=1.0)


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.floats(50, 1500))
def test_cleared_market_balances(seed, demand):
    c = clear(random_market(seed, demand))
    assert c.mmf_lent + c.bank_lent + c.srf == pytest.approx(c.volume, rel=1e-6, abs=1e-6)
    assert c.unmet == 0.0  # an unlimited SRF meets all demand at its cap


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.floats(50, 1000), st.floats(1, 500))
def test_more_demand_never_lowers_sofr(seed, demand, extra):
    market = random_market(seed, demand)
    more = replace(market, inelastic_demand=demand + extra)
    assert clear(more).spread_bp >= clear(market).spread_bp - 1e-9


def test_srf_caps_sofr_and_lends_the_shortfall():
    market = random_market(1, demand=5_000.0)
    c = clear(market)
    assert c.spread_bp == pytest.approx(10.0 + 30.0)  # SRF rate + maximum premium
    assert c.srf > 1_000.0 and c.unmet == 0.0


def test_without_srf_cash_goes_unmet_and_rate_spikes():
    c = clear(random_market(1, demand=5_000.0, srf=False))
    assert c.spread_bp == pytest.approx(2000.0) and c.unmet > 1_000.0


def test_limited_operations_lend_up_to_their_limit():
    c = clear(random_market(1, demand=5_000.0, limit=75.0))
    assert c.srf == pytest.approx(75.0) and c.unmet > 0


def test_srf_ramp_matches_october_2025_calibration():
    # 2025-10-31: SRF lent 50.35 bn with SOFR 22 bp above the SRF rate -> 2.3 bn/bp x 22 bp
    base = random_market(3, demand=0.0)
    supply_without_srf = clear(replace(base, srf_elasticity=0.0, srf_max_premium_bp=1e9))
    assert supply_without_srf.srf == 0.0
    market = replace(
        base,
        srf_bp=0.0,
        mmf_cash=np.zeros(40),
        bank_weight=np.zeros(60),
        other_demand=0.0,
        inelastic_demand=50.6,
    )
    c = clear(market)
    assert c.spread_bp == pytest.approx(22.0, abs=0.1)
    assert c.srf == pytest.approx(50.6, abs=0.1)

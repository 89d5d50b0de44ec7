"""Agent behaviour: the money funds' bill market, the relative-value funds' coupon purchases,
the SRF's take-up below its rate."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from glassledger.liquidity.model import build_scenario
from glassledger.liquidity.model.agents import (
    build_market,
    make_population,
    mmf_step,
    rv_step,
    size_rv_funds,
)
from glassledger.liquidity.model.clearing import srf_supply


@pytest.fixture(scope="module")
def population():
    scenario = build_scenario("2025")
    return scenario, make_population(scenario.params, scenario.initial, np.random.default_rng(0))


def bills_after(population, extra_supply: float) -> tuple[float, float]:
    scenario, pop = population
    pop = copy.deepcopy(pop)
    init = scenario.initial
    p = scenario.params.with_(mmf_growth=0.0, mmf_flow_vol=0.0)
    spread = mmf_step(
        pop,
        p,
        public_bills=init.public_bills_usd_bn + extra_supply,
        other_bills_base=init.public_bills_usd_bn - init.mmf_bills_usd_bn,
        rng=np.random.default_rng(1),
    )
    return spread, float(pop.mmf.bills.sum())


def test_bills_clear_at_sofr_at_the_start(population):
    spread, held = bills_after(population, 0.0)
    assert spread == pytest.approx(0.0, abs=1e-6)
    assert held == pytest.approx(population[0].initial.mmf_bills_usd_bn, rel=1e-6)


def test_more_bills_cheapen_bills_and_draw_fund_cash(population):
    base_spread, base_held = bills_after(population, 0.0)
    spread, held = bills_after(population, 500.0)
    assert spread > base_spread + 5.0  # bills cheapen by several bp for USD 500 bn
    share = (held - base_held) / 500.0
    assert 0.5 < share < 0.7  # money funds take most of the marginal bills
    _, fewer = bills_after(population, -500.0)
    assert fewer < base_held


def coupons_bought(population, share: float, coupons: float) -> tuple[float, float, float]:
    """(position bought, new equity, leverage before/after ratio) for funds at their target
    utilisation offered ``coupons`` with positive carry."""
    scenario, pop = population
    pop = copy.deepcopy(pop)
    p = scenario.params.with_(rv_new_capital_share=share, rv_equity_growth=0.0)
    size_rv_funds(pop, p, 1_500.0, np.random.default_rng(2))
    before_pos, before_eq = pop.rv.position.sum(), pop.rv.equity.sum()
    lev = pop.rv.position / pop.rv.equity
    sold = rv_step(
        pop, p, sofr_bp=-10.0, basis_shock=0.0, leverage_mult=1.0, coupons_offered=coupons
    )
    assert sold == 0.0
    after_lev = pop.rv.position / pop.rv.equity
    return (
        float(pop.rv.position.sum() - before_pos),
        float(pop.rv.equity.sum() - before_eq),
        float(np.max(np.abs(after_lev / lev - 1.0))),
    )


def test_relative_value_funds_take_their_coupon_share_with_new_capital(population):
    # Funds sized at their target utilisation have spare room only from the day's carry:
    # with new capital (share 1) they take all of the coupons offered, at their target
    # leverage; without (share 0) only what the day's earnings allow (under USD 1 bn).
    bought, equity, drift = coupons_bought(population, 1.0, 100.0)
    assert bought == pytest.approx(100.0, rel=1e-9)
    assert 0.0 < equity < 100.0 / 10.0 and drift < 1e-3
    small, earned, _ = coupons_bought(population, 0.0, 100.0)
    assert small < 1.0 and earned < 0.05
    half, _, _ = coupons_bought(population, 0.5, 100.0)
    assert 50.0 < half < 51.0


def test_the_srf_lends_from_its_tail_below_its_rate(population):
    scenario, pop = population
    kwargs = dict(
        reserves=3_000.0,
        on_rrp_rate_pct=4.25,
        iorb_pct=4.40,
        srf_rate_pct=4.50,
        srf_limit=np.inf,
        bank_cut=0.0,
        dealer_cut=0.0,
        other_demand=0.0,
    )
    at = np.array([5.0, 10.0, 40.0])  # bp over IORB: 5 below the SRF rate, at it, at the cap
    none = build_market(pop, scenario.params.with_(srf_tail_bp=0.0), **kwargs)
    tail = build_market(pop, scenario.params.with_(srf_tail_bp=5.0), **kwargs)
    assert srf_supply(none, at)[:2] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert srf_supply(tail, at)[0] == pytest.approx(0.0, abs=1e-9)
    # 2.3 bn per bp from 5 bp below the rate: 11.5 bn at the rate (30 June 2025: 11.1 bn
    # with SOFR 5 bp below it); the cap stays at the SRF rate + 30 bp
    assert srf_supply(tail, at)[1] == pytest.approx(5.0 * 2.3)
    assert none.srf_bp + none.srf_max_premium_bp == tail.srf_bp + tail.srf_max_premium_bp

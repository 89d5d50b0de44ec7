"""Agent behaviour: the money funds' bill market."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from glassledger.liquidity.model import build_scenario
from glassledger.liquidity.model.agents import make_population, mmf_step


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

"""Invariants of every run, whatever the seed and the uncertain parameters: the Fed's balance
sheet balances, repo lent equals repo borrowed, balances are never negative."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.liquidity.model import Scenario, build_scenario, simulate


@pytest.fixture(scope="module")
def short_scenarios():
    out = []
    for name in ("sept-2019", "basis-unwind"):
        s = build_scenario(name, years=0.4)
        out.append(Scenario(s.name, s.description, s.initial, s.paths.iloc[:90], s.params))
    return out


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    slope=st.floats(1.0, 6.0),
    floor_shift=st.floats(-0.5, 0.5),
    which=st.integers(0, 1),
)
def test_accounting_invariants(short_scenarios, seed, slope, floor_shift, which):
    scenario = short_scenarios[which]
    params = scenario.params.with_(
        slope_bp=slope, floor_mean_pct=scenario.params.floor_mean_pct + floor_shift
    )
    d = simulate(scenario, seed=seed, params=params).daily
    liabilities = (
        d["reserves_usd_bn"] + d["tga_usd_bn"] + d["on_rrp_usd_bn"] + d["other_liabilities_usd_bn"]
    )
    assert np.allclose(liabilities, d["fed_assets_usd_bn"], atol=1e-6)
    lent = d["mmf_repo_usd_bn"] + d["bank_repo_usd_bn"] + d["srf_usd_bn"]
    assert np.allclose(lent, d["repo_volume_usd_bn"], rtol=1e-9, atol=1e-6)
    for column in (
        "on_rrp_usd_bn",
        "srf_usd_bn",
        "unmet_usd_bn",
        "mmf_repo_usd_bn",
        "bank_repo_usd_bn",
        "rv_equity_usd_bn",
        "dealer_inventory_usd_bn",
    ):
        assert (d[column] >= -1e-9).all(), column
    # with an unlimited SRF, SOFR never exceeds the SRF rate plus its maximum premium
    with_srf = d["srf_rate_pct"].notna() & np.isinf(scenario.paths["srf_limit_usd_bn"])
    cap = d["srf_rate_pct"] + scenario.params.srf_max_premium_bp / 100
    assert (d.loc[with_srf, "sofr_pct"] <= cap[with_srf] + 1e-9).all()

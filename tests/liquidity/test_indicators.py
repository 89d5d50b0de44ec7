"""Indicators on the shipped data, regime probabilities and alerts.

Reference points (all from the shipped FRED / DTS copies, see sample_data/README.md):
* 2019-09-17: SOFR 5.25 %, IOER 2.10 %, top of range 2.25 % (the September 2019 spike:
  SOFR - IOER = +315 bp; FRB New York, "The Repo Market Disruption of September 2019").
* 2019-09-18: WRESBAL 1,394.122 bn / H.8 bank assets 17,428.3792 bn = 8.00 %.
* Afonso et al., FRB New York Staff Report 1019: reserves above 12-13 % of bank assets are
  abundant (flat demand curve).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.liquidity import data, indicators


@pytest.fixture(scope="module")
def ind():
    return indicators.compute_indicators(data.build_panel("2019-06-03", "2025-12-31"))


def test_september_2019_spread(ind):
    day = ind.loc["2019-09-17"]
    assert day["sofr_minus_iorb_bp"] == pytest.approx(315.0)
    assert day["sofr_minus_top_bp"] == pytest.approx(300.0)
    assert day["effr_position_in_range"] == pytest.approx(1.2)  # EFFR 2.30 in 2.00-2.25


def test_reserve_ratio_september_2019(ind):
    assert ind.loc["2019-09-18", "reserves_to_bank_assets_pct"] == pytest.approx(
        100 * 1394.122 / 17428.3792
    )
    # The scarcity threshold is calibrated before the spike (9.54 %), so by the spike week
    # (8.00 %) reserves were scarce beyond doubt; with the spike week's own ratio as the
    # threshold this read 0.5 and the alert could only fire after the event.
    assert ind.loc["2019-09-18", "p_scarce"] > 0.99


def test_scarcity_threshold_is_calibrated_on_data_before_the_spike():
    panel = data.build_panel("2018-04-02", "2019-12-31")
    full = indicators.compute_indicators(panel)
    before = indicators.compute_indicators(panel.loc[:"2019-09-13"])
    threshold = indicators.calibrate_scarce_threshold(before)
    assert threshold == pytest.approx(indicators.RegimeThresholds().scarce_pct, abs=0.005)
    # The data from the spike on cannot move it: it is the same with or without them.
    assert indicators.calibrate_scarce_threshold(full) == threshold


def test_scarcity_alert_warns_months_before_the_spike():
    ind = indicators.compute_indicators(data.build_panel("2018-04-02", "2019-12-31"))
    fired = indicators.alerts(ind)
    first = indicators.alert_lead(fired, "scarce_reserves_likely", indicators.SEPT_2019_SPIKE)
    assert first == pd.Timestamp("2019-04-17")
    lead = len(data.us_business_days(first, "2019-09-16"))
    assert lead >= 100  # business days of warning


def test_ceiling_alert_fires_at_the_top_of_the_range():
    frame = pd.DataFrame(
        {"sofr_minus_top_bp": [-1.0, 0.0, 5.0, float("nan")]},
        index=pd.bdate_range("2024-01-02", periods=4),
    )
    fired = indicators.alerts(frame)
    assert list(fired["date"]) == list(frame.index[1:3])  # "at or above": 0 fires, NaN not


def test_alerts_count_only_days_the_market_was_open():
    ind = indicators.compute_indicators(data.build_panel("2019-01-01", "2019-12-31"))
    spread = ind["sofr_minus_top_bp"]
    assert (spread > 0).sum() == 18  # forward-filled holidays made it 20
    fired = indicators.alerts(ind)
    ceiling = fired[fired["alert"] == "sofr_above_ceiling"]
    assert len(ceiling) == (spread >= 0).sum() == 23
    assert pd.Timestamp("2019-01-01") not in ind.index  # a Fed holiday: no row
    assert pd.isna(ind.loc["2019-04-19", "sofr_minus_top_bp"])  # Good Friday: no SOFR print


def test_net_liquidity_formula(ind):
    day = ind.loc["2025-10-31"]
    # WALCL 2025-10-29 = 6,587,034 mn; TGA 926.328 bn (DTS); ON RRP 51.802 bn.
    assert day["net_liquidity_usd_bn"] == pytest.approx(6587.034 - 926.328 - 51.802)


def test_daily_srf_swaps_wednesday_balance():
    panel = data.build_panel("2025-10-27", "2025-11-07")
    srf = pd.Series(0.0, index=panel.index)
    srf.loc["2025-10-31"] = 50.35  # record take-up on 2025-10-31 (Reuters, NY Fed data)
    srf.loc["2025-10-29"] = 10.0
    panel["srf_usd_bn"] = srf
    ind = indicators.compute_indicators(panel)
    walcl = 6587.034
    # WALCL of Wednesday 10-29 holds that day's 10 bn of SRF loans, repaid on 10-30.
    assert ind.loc["2025-10-29", "fed_assets_usd_bn"] == pytest.approx(walcl)
    assert ind.loc["2025-10-30", "fed_assets_usd_bn"] == pytest.approx(walcl - 10.0)
    assert ind.loc["2025-10-31", "fed_assets_usd_bn"] == pytest.approx(walcl - 10.0 + 50.35)
    fired = indicators.alerts(ind)
    assert set(fired.loc[fired["alert"] == "srf_take_up", "date"]) == {
        pd.Timestamp("2025-10-29"),
        pd.Timestamp("2025-10-31"),
    }


@given(st.floats(min_value=0.0, max_value=40.0))
def test_regime_probabilities_sum_to_one(ratio):
    probs = indicators.regime_probabilities(pd.Series([ratio]))
    row = probs.iloc[0]
    assert row[["p_abundant", "p_ample", "p_scarce"]].sum() == pytest.approx(1.0)
    assert (row[["p_abundant", "p_ample", "p_scarce"]] >= -1e-12).all()


@given(st.floats(0.0, 30.0), st.floats(0.0, 30.0))
def test_more_reserves_never_more_scarce(a, b):
    low, high = sorted((a, b))
    probs = indicators.regime_probabilities(pd.Series([low, high]))
    assert probs["p_scarce"].iloc[1] <= probs["p_scarce"].iloc[0] + 1e-12
    assert probs["p_abundant"].iloc[1] >= probs["p_abundant"].iloc[0] - 1e-12


def test_regimes_follow_literature_thresholds():
    probs = indicators.regime_probabilities(pd.Series([18.0, 10.0, 6.0]))
    assert list(probs["regime"]) == ["abundant", "ample", "scarce"]


def test_alerts_fire_on_the_spike(ind):
    fired = indicators.alerts(ind)
    on_spike = fired[fired["date"] == pd.Timestamp("2019-09-17")]
    assert {"sofr_above_ceiling", "sofr_above_iorb"} <= set(on_spike["alert"])
    assert on_spike.set_index("alert").loc["sofr_above_ceiling", "level"] == "critical"


def test_extrapolated_bank_assets_flagged(ind):
    assert not ind.loc["2021-12-29", "bank_assets_extrapolated"]
    assert ind.loc["2025-06-02", "bank_assets_extrapolated"]


def test_stress_base_rates_by_regime(ind):
    rates = indicators.stress_base_rates(ind)
    assert set(rates.index) <= {"abundant", "ample", "scarce"}
    assert rates["p_sofr_at_ceiling"].between(0, 1).all()
    # Ceiling touches were far more frequent when reserves were below satiation.
    assert rates.loc["ample", "p_sofr_at_ceiling"] > rates.loc["abundant", "p_sofr_at_ceiling"]


def test_issuance_and_bill_incentive():
    panel = data.build_panel("2025-06-02", "2025-08-29")
    ind = indicators.compute_indicators(panel)
    # After the July 2025 debt-limit increase the Treasury rebuilt the TGA with bills.
    assert ind.loc["2025-08-29", "net_bills_20d_usd_bn"] > 200.0
    assert ind["bill_minus_on_rrp_bp"].notna().sum() == 0  # DTB3 sample ends 2024-05
    early = indicators.compute_indicators(data.build_panel("2023-01-02", "2023-03-31"))
    assert early["bill_minus_on_rrp_bp"].dropna().between(-100, 100).all()
    assert data.build_panel("2019-01-02", "2019-01-31")["net_bills_usd_bn"].isna().all()


def test_sofr_percentiles_when_supplied():
    # Illustrative 99th percentiles (the NY Fed series SOFR99 is not in the sample).
    p99 = pd.Series([2.35, 9.00], index=pd.to_datetime(["2019-09-16", "2019-09-17"]))
    panel = data.build_panel("2019-09-16", "2019-09-17", extra={"sofr_p99": p99})
    ind = indicators.compute_indicators(panel)
    assert ind.loc["2019-09-17", "sofr_p99_minus_iorb_bp"] == pytest.approx(690.0)
    assert "sofr_p1_minus_iorb_bp" not in ind

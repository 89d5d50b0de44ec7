"""The corridor model's fit to 2019 and 2025, in-sample and on held-out data (issue 15,
section 3), and the mechanisms added for it.

Data: shipped FRED SOFR / IORB and the reported 2025 SRF take-ups (NY Fed via Reuters, sources
in ``sample_data/SRF_takeup_reported_2025.csv``). The figures are those of
``benchmarks/corridor_fit.py``, recorded in docs/liquidity.md and docs/benchmarks.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.liquidity.data import load_reported_srf
from glassledger.liquidity.model import build_scenario, simulate
from glassledger.liquidity.model.fit import PERIODS, fit_report, in_sample_loss, spike_height
from glassledger.liquidity.model.scenario import previous_calibration, sample_panel
from glassledger.liquidity.model.simulate import _stress_cut


@pytest.fixture(scope="module")
def panel():
    return sample_panel()


def _fits(panel, previous=False):
    runs = {}
    for name in ("sept-2019", "2025"):
        scenario = build_scenario(name, panel=panel)
        runs[name] = simulate(previous_calibration(scenario) if previous else scenario).daily
    fits = {
        f.name: f for f in fit_report(runs["sept-2019"], runs["2025"], panel, load_reported_srf())
    }
    return fits, runs


def test_periods_split_each_replay_into_disjoint_in_sample_and_held_out_days():
    for year in ("2019", "2025"):
        (_, _, a1, ins), (_, b0, _, out) = [p for p in PERIODS if p[0].startswith(year)]
        assert ins and not out and pd.Timestamp(a1) < pd.Timestamp(b0)
    reported = load_reported_srf()
    held_out = reported.loc["2025-09-02":"2025-12-31"]
    assert len(held_out) == 6 and len(reported.loc[:"2025-08-29"]) == 1


def test_the_calibration_fits_2025_better_than_before(panel):
    fits, _ = _fits(panel)
    before, _ = _fits(panel, previous=True)
    year_model = sum(fits[n].model_days_above for n in ("2025 in-sample", "2025 held-out"))
    year_data = sum(fits[n].data_days_above for n in ("2025 in-sample", "2025 held-out"))
    assert year_data == 69  # days SOFR printed above IORB in 2025
    # 49 model days with the first issue-15 calibration (0.71x); now 81 (1.17x): the goal
    # (within 25 %) is met, with the held-out months (75 against 64) carrying most of it.
    assert year_model == pytest.approx(81, abs=4)
    assert abs(year_model / year_data - 1) <= 0.25
    old = sum(before[n].model_days_above for n in ("2025 in-sample", "2025 held-out"))
    assert old == 49
    assert fits["2025 in-sample"].rmse_bp < before["2025 in-sample"].rmse_bp
    assert fits["2025 in-sample"].rmse_bp == pytest.approx(4.7, abs=0.3)
    assert fits["2025 held-out"].rmse_bp == pytest.approx(11.1, abs=0.5)
    hits = sum(len(fits[n].srf_hits) for n in ("2025 in-sample", "2025 held-out"))
    missed = [d for n in ("2025 in-sample", "2025 held-out") for d in fits[n].srf_misses]
    assert hits >= 5  # of the 7 reported dates: the goal (3 before)
    assert missed == [pd.Timestamp("2025-12-29")]
    assert sum(len(before[n].srf_hits) for n in ("2025 in-sample", "2025 held-out")) == 3


def test_the_in_sample_loss_prefers_the_new_calibration(panel):
    reported = load_reported_srf()
    scenario = build_scenario("2025", panel=panel)
    new = in_sample_loss(simulate(scenario).daily, panel, reported)
    old = in_sample_loss(simulate(previous_calibration(scenario)).daily, panel, reported)
    assert new < old - 1.0  # 8.4 before


def test_the_2019_spike_lands_on_the_17th(panel):
    _, runs = _fits(panel)
    model, data, peak = spike_height(runs["sept-2019"], panel)
    assert peak == pd.Timestamp("2019-09-17") and data == pytest.approx(315.0)
    assert 150.0 < model < 400.0


def test_window_dressing_spills_into_the_first_day_of_the_month():
    assert _stress_cut(True, True, 0.4, 0.2, 1.0) == 0.4
    assert _stress_cut(False, True, 0.4, 0.2, 1.0) == 0.2
    assert _stress_cut(False, False, 0.4, 0.2, 1.0, True, 0.5) == pytest.approx(0.1)
    assert _stress_cut(False, False, 0.4, 0.2, 1.0, False, 0.5) == 0.0


def test_replays_calibrate_the_first_day_on_a_median_not_a_turn_of_year_print(panel):
    initial = build_scenario("2025", panel=panel).initial
    # 2 January 2025 printed IORB + 0 bp; the following days 9-13 bp below IORB.
    assert 100.0 * (initial.sofr_pct - initial.iorb_pct) == pytest.approx(0.0)
    assert initial.calibration_spread_bp < -8.0

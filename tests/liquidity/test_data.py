"""Loaders for FRED, DTS and FOMC layouts; units, missing markers and bad input.

Reference values are read off the shipped files (copies of FRED / Fiscal Data downloads, see
``sample_data/README.md``): e.g. SOFR printed 5.25 % on 2019-09-17 (NY Fed, the September 2019
repo spike) and WRESBAL is published in millions in the new FRED vintage and billions in the
old one, agreeing on their overlap.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.liquidity import data


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("header", ["observation_date", "DATE", "date"])
def test_fred_header_styles_and_missing_markers(tmp_path, header):
    path = write(
        tmp_path,
        "x.csv",
        f"{header},SOFR\n2024-01-02,5.31\n2024-01-03,\n2024-01-04,.\n2024-01-05,5.32\n",
    )
    sofr = data.read_fred_csv(path, "sofr")
    assert sofr.name == "sofr_pct"
    assert sofr.iloc[0] == 5.31 and sofr.iloc[3] == 5.32
    assert sofr.iloc[1:3].isna().all()


def test_millions_are_normalised_to_billions(tmp_path):
    path = write(
        tmp_path, "w.csv", "observation_date,WALCL\n2025-01-01,6853000\n2025-01-08,6850000\n"
    )
    walcl = data.read_fred_csv(path, "fed_assets")
    assert walcl.name == "fed_assets_usd_bn"
    assert walcl.iloc[0] == pytest.approx(6853.0)


def test_reserve_vintages_agree_after_scaling():
    new = data.read_fred_csv(
        data.sample_path("WRESBAL_2021-2026_millions.csv"), "reserves", unit="usd_mn"
    )
    old = data.read_fred_csv(
        data.sample_path("WRESBAL_1984-2024_billions.csv"), "reserves", unit="usd_bn"
    )
    both = pd.concat([new, old], axis=1, join="inner").dropna()
    assert len(both) > 150
    assert (both.iloc[:, 0] - both.iloc[:, 1]).abs().max() < 1e-6
    spliced = data.load_sample("reserves")
    assert spliced.index.min() == pd.Timestamp("1984-01-04")
    assert spliced.index.max() == pd.Timestamp("2026-06-17")


def test_effr_dayfirst_dates():
    effr = data.load_sample("effr")
    assert effr.index.min() == pd.Timestamp("2000-07-03")
    assert effr.loc["2000-07-03"] == 7.03


def test_september_2019_sofr_spike_in_sample():
    sofr = data.load_sample("sofr")
    assert sofr.loc["2019-09-17"] == 5.25


def test_unknown_series_is_input_error(tmp_path):
    path = write(tmp_path, "z.csv", "DATE,NOPE\n2024-01-02,1\n")
    with pytest.raises(InputError, match=r"z.csv.*unknown series"):
        data.read_fred_csv(path)
    with pytest.raises(InputError, match="unknown series"):
        data.spec_for("NOT_A_SERIES")


def test_wrong_column_for_expected_series(tmp_path):
    path = write(tmp_path, "z.csv", "DATE,EFFR\n2024-01-02,1\n")
    with pytest.raises(InputError, match="value column is not SOFR"):
        data.read_fred_csv(path, "sofr")


def test_wrong_units_named_with_file_and_row(tmp_path):
    # WALCL values in billions but declared (FRED default) millions -> 6.85 bn: implausible
    path = write(
        tmp_path, "walcl.csv", "observation_date,WALCL\n2025-01-01,6853\n2025-01-08,6850\n"
    )
    with pytest.raises(InputError) as err:
        data.read_fred_csv(path, "fed_assets")
    assert err.value.source == "walcl.csv" and err.value.row == 2
    assert "usd_mn" in str(err.value)


def test_bad_value_named_with_row(tmp_path):
    path = write(tmp_path, "s.csv", "DATE,SOFR\n2024-01-02,5.3\n2024-01-03,n/a\n")
    with pytest.raises(InputError) as err:
        data.read_fred_csv(path, "sofr")
    assert (err.value.source, err.value.row, err.value.value) == ("s.csv", 3, "n/a")


def test_gap_is_input_error(tmp_path):
    path = write(tmp_path, "s.csv", "DATE,SOFR\n2024-01-02,5.3\n2024-03-01,5.3\n")
    with pytest.raises(InputError, match="gap of 59 days") as err:
        data.read_fred_csv(path, "sofr")
    assert err.value.row == 3


def test_unordered_and_bad_dates(tmp_path):
    path = write(tmp_path, "s.csv", "DATE,SOFR\n2024-01-03,5.3\n2024-01-02,5.3\n")
    with pytest.raises(InputError, match="strictly increasing"):
        data.read_fred_csv(path, "sofr")
    path = write(tmp_path, "t.csv", "DATE,SOFR\n03/01/2024,5.3\n")
    with pytest.raises(InputError, match="dayfirst"):
        data.read_fred_csv(path, "sofr")


def test_dts_tga_closing_balance_both_layouts():
    tga = data.load_sample_tga()
    # From 2022-04-18: 'TGA Closing Balance' row, value in 'Opening Balance Today'.
    assert tga.loc["2022-04-19"] == pytest.approx(893.351)
    # Before: the closing balance is the next business day's opening balance.
    assert tga.loc["2022-04-15"] == pytest.approx(578.473)
    assert tga.loc["2021-06-24"] == pytest.approx(723.946)
    assert tga.index.is_monotonic_increasing and not tga.index.has_duplicates


def test_dts_public_debt_marketable_only():
    debt = data.load_sample_issuance()
    day = debt.loc["2025-06-16"]
    # DTS IIIA 2025-06-16: bills regular -6 + CMB 0; notes 98,744 + bonds 22,396 issued;
    # notes 46,586 redeemed (USD millions). Government Account Series excluded.
    assert day["bills_issued_usd_bn"] == pytest.approx(-0.006)
    assert day["coupons_issued_usd_bn"] == pytest.approx(121.140)
    assert day["coupons_redeemed_usd_bn"] == pytest.approx(46.586)
    assert day["net_marketable_usd_bn"] == pytest.approx(-0.006 + 121.140 - 46.586)


def test_dts_bad_amount_named(tmp_path):
    header = "Record Date,Type of Account,Opening Balance Today\n"
    path = write(
        tmp_path,
        "dts.csv",
        header + "2023-01-03,Treasury General Account (TGA) Closing Balance,abc\n",
    )
    with pytest.raises(InputError) as err:
        data.read_dts_operating_cash(path)
    assert (err.value.source, err.value.row, err.value.field) == (
        "dts.csv",
        2,
        "Opening Balance Today",
    )


def test_policy_rates_splices():
    index = pd.bdate_range("2019-09-16", "2026-01-05")
    rates = data.load_policy_rates(index)
    # IOER 2.10 before the 2019-09-19 cut to 1.80 (FOMC implementation note, 2019-09-18).
    assert rates.loc["2019-09-17", "iorb_pct"] == 2.10
    assert rates.loc["2019-09-19", "iorb_pct"] == 1.80
    assert math.isnan(rates.loc["2019-09-17", "srf_rate_pct"])
    # After DFEDTARU ends (2025-11-12): top = IORB + 0.10; Dec 2025 range 3.50-3.75.
    assert rates.loc["2026-01-05", "range_top_pct"] == pytest.approx(3.75)
    assert rates.loc["2026-01-05", "srf_rate_pct"] == pytest.approx(3.75)
    assert rates.loc["2026-01-05", "on_rrp_rate_pct"] == pytest.approx(3.50)
    assert (rates["range_top_pct"] - rates["range_bottom_pct"]).round(6).eq(0.25).all()


def test_panel_columns_carry_units():
    panel = data.build_panel("2025-01-01", "2025-03-31")
    assert all(c.endswith(("_pct", "_usd_bn")) for c in panel.columns)
    assert panel["fed_assets_usd_bn"].between(6000, 8000).all()
    assert panel["tga_usd_bn"].notna().all()


def test_sample_without_series_points_to_fetch():
    with pytest.raises(InputError, match="not in the sample data"):
        data.load_sample("srf")


def test_reported_srf_points():
    srf = data.load_reported_srf()
    assert srf.loc["2025-12-31"] == 74.6 and srf.loc["2025-10-31"] == 50.35
    assert srf.loc["2025-10-15"] == 6.5 and len(srf) == 7  # the seven reported 2025 dates
    assert srf.index.is_monotonic_increasing


def test_panel_has_no_print_on_days_without_a_market():
    panel = data.build_panel("2018-12-24", "2026-01-05")
    # Fed holidays are not business days: no row (they used to repeat the previous day).
    for holiday in ("2018-12-25", "2019-01-01", "2025-07-04", "2026-01-01"):
        assert pd.Timestamp(holiday) not in panel.index
    # Good Friday 2019: the Fed was open, the repo market closed: no SOFR, no ON RRP.
    assert panel.loc["2019-04-19", ["sofr_pct", "on_rrp_usd_bn"]].isna().all()
    assert panel.loc["2019-04-19", "effr_pct"] == pytest.approx(2.44)
    assert panel.index.equals(data.us_business_days("2018-12-24", "2026-01-05"))


def test_carried_never_runs_past_the_end_of_the_data():
    weekly = pd.Series([1.0, 2.0], index=pd.to_datetime(["2025-01-01", "2025-01-08"]))
    days = pd.bdate_range("2025-01-01", "2025-01-20")
    out = data.carried(weekly, days, 13)
    assert out.loc["2025-01-07"] == 1.0 and out.loc["2025-01-08"] == 2.0
    assert out.loc["2025-01-09":].isna().all()
    panel = data.build_panel("2026-06-01", "2026-06-30")
    last = data.load_sample("reserves").dropna().index[-1]
    assert panel.loc[:last, "reserves_usd_bn"].notna().any()
    assert panel.loc[last + pd.Timedelta(days=1) :, "reserves_usd_bn"].isna().all()


def test_shipped_srf_points_pass_back_through_the_srf_reader():
    srf = data.read_srf_file(data.sample_path(data.REPORTED_SRF_FILE))
    assert len(srf) == 7 and srf.loc["2025-12-31"] == pytest.approx(74.6)
    assert srf.name == "srf_usd_bn"

"""Funding-calendar flags."""

from __future__ import annotations

import pandas as pd

from glassledger.liquidity.model.calendar import calendar_flags


def test_september_2019_dates():
    flags = calendar_flags(pd.bdate_range("2019-09-03", "2019-10-31"))
    # 15 September 2019 was a Sunday: tax date and coupon settlement on Monday the 16th.
    assert flags.index[flags["tax_day"]].tolist() == [pd.Timestamp("2019-09-16")]
    assert flags.loc["2019-09-30", "quarter_end"] and flags.loc["2019-10-31", "month_end"]
    assert not flags.loc["2019-10-31", "quarter_end"]
    assert flags.loc["2019-10-01", "month_start"]


def test_window_starting_after_the_15th_flags_no_first_day():
    flags = calendar_flags(pd.bdate_range("2025-01-20", "2025-02-28"))
    assert not flags.iloc[0]["mid_month"]
    assert flags.index[flags["mid_month"]].tolist() == [pd.Timestamp("2025-02-17")]

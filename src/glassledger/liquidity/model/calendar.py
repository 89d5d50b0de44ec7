"""Funding-calendar flags for business days: quarter and month ends, tax and settlement dates.

US money-market pressure concentrates on a few dates: quarter ends (foreign banks and dealers
shrink balance sheets for regulatory snapshots), month ends, the mid-month coupon settlement
(the 15th) and the corporate tax dates (15th of March, April, June, September, December).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TAX_MONTHS = (3, 4, 6, 9, 12)


def _first_bday_on_or_after(days: pd.DatetimeIndex, targets: pd.DatetimeIndex) -> np.ndarray:
    positions = days.searchsorted(targets[targets >= days[0]])
    flags = np.zeros(len(days), dtype=bool)
    flags[positions[positions < len(days)]] = True
    return flags


def calendar_flags(days: pd.DatetimeIndex) -> pd.DataFrame:
    """Boolean flags per business day in ``days`` (which must be sorted business days).

    ``quarter_end``/``month_end``: last business day of the quarter/month in ``days``;
    ``mid_month``: first business day on or after the 15th (coupon settlement);
    ``tax_day``: ``mid_month`` in a corporate-tax month (March, April, June, September,
    December); ``month_start``: first business day of the month.
    """
    period = days.to_period("M")
    last_of_month = np.r_[period[1:] != period[:-1], True]
    first_of_month = np.r_[True, period[1:] != period[:-1]]
    quarter_end = last_of_month & np.isin(days.month, (3, 6, 9, 12))
    months = pd.period_range(days[0], days[-1], freq="M")
    fifteenths = pd.DatetimeIndex([m.to_timestamp() + pd.Timedelta(days=14) for m in months])
    mid = _first_bday_on_or_after(days, fifteenths)
    tax = mid & np.isin(days.month, TAX_MONTHS)
    return pd.DataFrame(
        {
            "quarter_end": quarter_end,
            "month_end": last_of_month,
            "month_start": first_of_month,
            "mid_month": mid,
            "tax_day": tax,
        },
        index=days,
    )

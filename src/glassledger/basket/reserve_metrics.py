"""Money-fund style metrics of a multi-currency reserve over time: value, WAM, WAL and the
daily / weekly liquid asset shares (SEC Rule 2a-7 definitions, seed 002 section 3.4).

Definitions (Rule 2a-7, 17 CFR 270.2a-7(a) and (d)):

* **WAM** (weighted average maturity), days: value-weighted days to the *earlier of final
  maturity and next interest-rate reset*;
* **WAL** (weighted average life), days: value-weighted days to *final maturity*, resets
  ignored;
* **daily liquid assets**: cash, direct government obligations and other assets flagged as such,
  plus anything maturing within ``daily_horizon`` US business days (one in the rule);
* **weekly liquid assets**: the same with the weekly flag and ``weekly_horizon`` (five US
  business days).

Business days are those of the shared US calendar (Federal Reserve holidays,
:mod:`glassledger.contracts.business_days`), the one the on-ledger reserve rules use, so a
Friday-to-Monday maturity is daily liquid here as on the ledger.

Holdings table (one row per holding): ``currency``; ``amount`` (units of the currency, at par
or amortised cost; the value is amount x USD rate); ``start_day`` (first day held),
``maturity_day`` (final maturity; held while start_day <= t < maturity_day); ``reset_period``
(days between rate resets for a floater, 0 for fixed rate: WAM then uses maturity); the flags
``daily_liquid`` and ``weekly_liquid``. Days are integers: calendar days since the first date
of the rates table.

The computation is an event sweep: each holding adds a constant amount on an interval of days,
and the weighted days are linear in t on each interval, so every series is a cumulative sum of
a difference array, O(holdings + days) per currency instead of O(holdings x days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.contracts.business_days import is_business_day
from glassledger.errors import InputError
from glassledger.schemas import validate
from glassledger.schemas.basket import HOLDINGS

HOLDING_COLUMNS = HOLDINGS.columns


def reserve_metrics(
    holdings: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    daily_horizon: int = 1,
    weekly_horizon: int = 5,
    source: str = "holdings table",
    rates_source: str = "rates table",
) -> pd.DataFrame:
    """Daily reserve metrics over the dates of ``rates``.

    ``rates``: rows = consecutive calendar dates (day 0 is the first row), columns =
    currencies, USD per unit. ``daily_horizon`` / ``weekly_horizon``: US business days.
    Returns a DataFrame indexed by those dates with
    ``units_<CCY>`` (units held), ``reserve_value_usd``, ``wam_days``, ``wal_days``,
    ``daily_liquid_share`` and ``weekly_liquid_share`` (decimals). Days with nothing held have
    NaN WAM/WAL/shares.
    """
    frame = _validated(holdings, rates, source, rates_source)
    days = len(rates)
    origin = (pd.Timestamp(rates.index[0]) - pd.Timestamp("1970-01-01")).days
    value = np.zeros(days)
    wam_num, wal_num, daily, weekly = (np.zeros(days) for _ in range(4))
    result = pd.DataFrame(index=rates.index)
    for currency, group in frame.groupby("currency", sort=True):
        rate = rates[currency].to_numpy(dtype=float)
        sums = _currency_sums(group, days, daily_horizon, weekly_horizon, origin)
        result[f"units_{currency}"] = sums["held"]
        value += sums["held"] * rate
        wam_num += sums["wam_weighted"] * rate
        wal_num += sums["wal_weighted"] * rate
        daily += sums["daily"] * rate
        weekly += sums["weekly"] * rate
    with np.errstate(invalid="ignore", divide="ignore"):
        held = np.where(value > 0, value, np.nan)
        result["reserve_value_usd"] = value
        result["wam_days"] = wam_num / held
        result["wal_days"] = wal_num / held
        result["daily_liquid_share"] = daily / held
        result["weekly_liquid_share"] = weekly / held
    return result


def first_days_within(epoch_days: np.ndarray, horizon: int) -> np.ndarray:
    """For each target day (days since 1970-01-01), the earliest day from which it lies within
    ``horizon >= 1`` US business days: vectorised
    :func:`glassledger.contracts.business_days.first_day_within`."""
    targets = np.asarray(epoch_days, dtype=np.int64)
    if targets.size == 0:
        return targets
    low = int(targets.min()) - 7 * horizon - 30
    span = np.arange(low, int(targets.max()) + 1)
    business = np.fromiter((is_business_day(int(d)) for d in span), bool, len(span))
    before = np.r_[0, np.cumsum(business)]  # before[i]: business days in [low, low + i)
    counts = before[targets - low]
    return low + np.searchsorted(before, counts - horizon, side="right") - 1


def _currency_sums(
    group: pd.DataFrame, days: int, daily_horizon: int, weekly_horizon: int, origin: int
) -> dict[str, np.ndarray]:
    """Per-day sums for one currency (units): held amount, amount x days to reset/maturity,
    amount x days to maturity, daily and weekly liquid amounts."""
    amount = group["amount"].to_numpy(dtype=float)
    start = group["start_day"].to_numpy(dtype=np.int64)
    maturity = group["maturity_day"].to_numpy(dtype=np.int64)
    t = np.arange(days, dtype=float)

    held = _interval_sum(start, maturity, amount, days)
    wal = _interval_sum(start, maturity, amount * maturity, days) - t * held
    seg_start, seg_end, seg_amount = _reset_segments(
        start, maturity, group["reset_period"].to_numpy(dtype=np.int64), amount
    )
    wam = _interval_sum(seg_start, seg_end, seg_amount * seg_end, days) - t * held

    def liquid(flag: np.ndarray, horizon: int) -> np.ndarray:
        always = _interval_sum(start[flag], maturity[flag], amount[flag], days)
        near = ~flag
        first = first_days_within(origin + maturity[near], horizon) - origin
        near_start = np.maximum(start[near], first)
        return always + _interval_sum(near_start, maturity[near], amount[near], days)

    sums = {
        "held": held,
        "wal_weighted": wal,
        "wam_weighted": wam,
        "daily": liquid(group["daily_liquid"].to_numpy(dtype=bool), daily_horizon),
        "weekly": liquid(group["weekly_liquid"].to_numpy(dtype=bool), weekly_horizon),
    }
    # Cumulative sums leave rounding residue on days when nothing is held: zero them exactly.
    empty = _interval_sum(start, maturity, np.ones(len(start)), days) < 0.5
    for values in sums.values():
        values[empty] = 0.0
    return sums


def _interval_sum(start: np.ndarray, end: np.ndarray, weight: np.ndarray, days: int) -> np.ndarray:
    """For each day t in [0, days): the sum of ``weight`` over intervals with start <= t < end."""
    diff = np.zeros(days + 1)
    np.add.at(diff, np.clip(start, 0, days), weight)
    np.add.at(diff, np.clip(end, 0, days), -weight)
    return np.cumsum(diff[:days])


def _reset_segments(
    start: np.ndarray, maturity: np.ndarray, period: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each holding's life into reset periods: on [seg_start, seg_end) its days to the
    next reset (or maturity) are seg_end - t. A fixed-rate holding is one segment."""
    life = maturity - start
    count = np.where(period > 0, -(-life // np.maximum(period, 1)), 1)
    owner = np.repeat(np.arange(len(start)), count)
    first = np.cumsum(count) - count
    index = np.arange(len(owner)) - first[owner]
    seg_start = start[owner] + index * period[owner]
    seg_end = np.where(
        period[owner] > 0, np.minimum(seg_start + period[owner], maturity[owner]), maturity[owner]
    )
    return seg_start, seg_end, amount[owner]


def _validated(
    holdings: pd.DataFrame, rates: pd.DataFrame, source: str, rates_source: str
) -> pd.DataFrame:
    """The holdings checked against their schema; every currency must have a rate column
    with a positive, finite rate on every day."""
    frame = validate(holdings, HOLDINGS, source=source)
    absent = ~frame["currency"].isin(rates.columns)
    if absent.any():
        k = int(absent.to_numpy().argmax())
        raise InputError(
            "no exchange rate for this currency",
            source=source,
            line=int(frame.index[k]) if frame.index.name == "line" else None,
            field="currency",
            value=frame["currency"].iloc[k],
            hint=f"add a {frame['currency'].iloc[k]} column to {rates_source}",
        )
    for currency in frame["currency"].unique():
        values = rates[currency].to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise InputError(
                "exchange rate must be a positive number",
                source=rates_source,
                row=str(rates.index[int(bad.argmax())]),
                field=currency,
                value=float(values[int(bad.argmax())]),
            )
    return frame

"""Reserve adequacy and the three exchange rates of seed 004 (Zou Chuanwei, 2019, section III).

Notation (seed 004, all rates in US dollars per unit): a basket unit holds ``amount_k`` of
currency k; N coins are outstanding; the reserve pool holds ``H_k`` units of currency k.

* theoretical rate (理论汇率) = sum_k amount_k x rate_k;
* intrinsic rate (内涵汇率) = reserve value / N = sum_k H_k x rate_k / N;
* per-currency adequacy (分币种充足): H_k >= amount_k x N for every k;
* overall adequacy (总体充足): reserve value >= N x theoretical rate, which is the same as
  intrinsic rate >= theoretical rate (seed 004, conclusion 5).

Per-currency adequacy implies overall adequacy at any rates; the converse does not hold (the
pool may be short of one currency and long another). These are off-ledger float analytics; the
ledger's exact checks live in the basket contract.
"""

from __future__ import annotations

import pandas as pd

from glassledger.basket.amounts import basket_value, check_rates
from glassledger.errors import InputError


def reserve_value(holdings: pd.DataFrame, rates: pd.DataFrame) -> pd.Series:
    """US dollar value of the reserve pool per date: sum_k H_k(t) x rate_k(t).

    ``holdings``: rows = dates, columns = currencies, units of each currency (negative values
    are rejected). ``rates``: same shape, USD per unit."""
    _check_holdings(holdings)
    check_rates(pd.Series(1.0, index=holdings.columns), rates)
    return (holdings * rates[holdings.columns]).sum(axis=1).rename("reserve_value_usd")


def adequacy_report(
    holdings: pd.DataFrame,
    amounts: pd.Series,
    rates: pd.DataFrame,
    outstanding: pd.Series | float,
    *,
    tolerance: float = 1e-12,
) -> pd.DataFrame:
    """Adequacy of the reserve per date.

    ``holdings``: dates x currencies, units held; ``amounts``: units of each currency per coin;
    ``rates``: dates x currencies, USD per unit; ``outstanding``: coins outstanding per date
    (a Series on the same dates, or one number), must be positive. ``tolerance``: relative
    slack for float rounding in the adequacy flags (an exact basket reserve is adequate).

    Columns: ``coverage_<CCY>`` = H_k / (amount_k x N) (1.0 = exactly covered),
    ``per_currency_adequate``, ``theoretical_rate`` and ``intrinsic_rate`` (USD per coin),
    ``reserve_value_usd``, ``overall_ratio`` = intrinsic / theoretical, ``overall_adequate``.
    """
    missing = [c for c in amounts.index if c not in holdings.columns]
    if missing:
        raise InputError("no holdings column for a basket currency", field=str(missing[0]))
    outstanding = _as_series(outstanding, holdings.index)
    value = reserve_value(holdings, rates)
    theoretical = basket_value(amounts, rates)
    report = pd.DataFrame(index=holdings.index)
    coverage = holdings[amounts.index].div(outstanding, axis=0) / amounts
    for currency in amounts.index:
        report[f"coverage_{currency}"] = coverage[currency]
    report["per_currency_adequate"] = (coverage >= 1.0 - tolerance).all(axis=1)
    report["theoretical_rate"] = theoretical
    report["intrinsic_rate"] = value / outstanding
    report["reserve_value_usd"] = value
    report["overall_ratio"] = report["intrinsic_rate"] / theoretical
    report["overall_adequate"] = report["overall_ratio"] >= 1.0 - tolerance
    return report


def _as_series(outstanding: pd.Series | float, index: pd.Index) -> pd.Series:
    """Coins outstanding as a Series on ``index``; reject zero or negative values."""
    series = (
        outstanding.reindex(index)
        if isinstance(outstanding, pd.Series)
        else pd.Series(float(outstanding), index=index)
    )
    bad = series.isna() | (series <= 0)
    if bad.any():
        row = series.index[bad.to_numpy()][0]
        raise InputError("coins outstanding must be positive", row=row, field="outstanding")
    return series.astype(float)


def _check_holdings(holdings: pd.DataFrame) -> None:
    """Reject negative or missing holdings, naming the date and currency."""
    bad = holdings.isna() | (holdings < 0)
    if bad.any().any():
        row = holdings.index[bad.any(axis=1).to_numpy()][0]
        column = bad.columns[bad.loc[row].to_numpy()][0]
        raise InputError("holding must be a non-negative number", row=row, field=str(column))

"""Valuation of a basket unit: theoretical rate, IMF-style daily valuation, the basket interest
rate as the IMF computes the SDR interest rate, and basket inflation and its volatility.

Exchange rates are **US dollars per unit of currency** unless a function says otherwise; the
theoretical rate (seed 004's 理论汇率) is USD per basket unit. Interest rates are in percent per
year, as the IMF publishes them. Inflation rates are in percent per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassledger.basket.amounts import basket_value, check_rates, round_decimals, round_significant
from glassledger.errors import InputError


def to_usd_per_unit(quotes: pd.Series | pd.DataFrame, per_usd: tuple[str, ...] = ("JPY", "CNY")):
    """Convert market quotes to USD per unit: currencies in ``per_usd`` are quoted in units per
    US dollar (the IMF quotes JPY and CNY that way) and are inverted; the others are kept."""
    converted = quotes.astype(float).copy()
    labels = converted.columns if isinstance(converted, pd.DataFrame) else converted.index
    for currency in per_usd:
        if currency in labels:
            converted[currency] = 1.0 / converted[currency]
    return converted


def theoretical_rate(amounts: pd.Series, rates: pd.DataFrame) -> pd.Series:
    """Daily theoretical rate of the basket unit, USD per unit: sum_k amount_k x rate_k(t).

    ``rates``: rows = dates, columns = currencies, USD per unit. A missing or non-positive rate
    raises ``InputError`` naming the date and currency (fill holidays before calling)."""
    return basket_value(amounts, rates).rename("usd_per_unit")


@dataclass(frozen=True)
class SdrValuation:
    """One day's valuation as the IMF publishes it (SDR Valuation page, Rule O-2(a)).

    ``usd_equivalents``: amount_k x rate_k, US dollars, rounded to six decimals (as published
    and summed by the IMF); ``total``: their sum;
    ``sdr_per_usd``: reciprocal of the total rounded to six significant digits;
    ``usd_per_sdr``: reciprocal of ``sdr_per_usd`` rounded to six significant digits."""

    usd_equivalents: pd.Series
    total: float
    sdr_per_usd: float
    usd_per_sdr: float


def imf_valuation(amounts: pd.Series, rates: pd.Series) -> SdrValuation:
    """Value one basket unit the way the IMF values the SDR each day (Rule O-2(a)): the US
    dollar is worth the reciprocal of the sum of the dollar equivalents, rounded to six
    significant digits, and the SDR the reciprocal of that, again to six digits."""
    check_rates(amounts, rates)
    equivalents = (rates[amounts.index] * amounts).map(lambda x: round_decimals(x, 6))
    total = round_decimals(float(equivalents.sum()), 6)
    sdr_per_usd = round_significant(1.0 / total, 6)
    return SdrValuation(equivalents, total, sdr_per_usd, round_significant(1.0 / sdr_per_usd, 6))


@dataclass(frozen=True)
class InterestRule:
    """How the basket interest rate is set from the combined market rate (IMF Rule T-1).

    ``decimals``: the combined rate is rounded to this many decimals (percent); ``floor``: the
    lowest rate allowed, percent, or ``None``."""

    name: str
    decimals: int
    floor: float | None


#: Rule T-1 before October 27, 2014: rounded to two decimals, no floor.
RULE_T1_BEFORE_2014 = InterestRule("IMF Rule T-1 (before Oct 2014)", decimals=2, floor=None)
#: Rule T-1 as amended October 24, 2014 (Press Release 14/484): three decimals, 0.050% floor.
RULE_T1_2014 = InterestRule("IMF Rule T-1 (Oct 2014)", decimals=3, floor=0.050)


def basket_interest_rate(
    amounts: pd.Series,
    sdr_per_unit: pd.Series,
    yields_pct: pd.Series,
    rule: InterestRule = RULE_T1_2014,
) -> float:
    """Basket interest rate, percent per year, as the IMF computes the weekly SDR rate.

    combined = sum_k amount_k x (basket units per unit of currency k) x yield_k, rounded to
    ``rule.decimals`` (half away from zero), then at least ``rule.floor``. ``sdr_per_unit``
    is the exchange rate of each currency against the basket unit (basket units per currency
    unit, i.e. USD-per-unit rate / basket value); ``yields_pct`` are the three-month
    instrument yields in percent (equivalent annual bond yield)."""
    check_rates(amounts, sdr_per_unit)
    missing = [c for c in amounts.index if c not in yields_pct.index or pd.isna(yields_pct[c])]
    if missing:
        raise InputError("no interest rate for a basket currency", field=missing[0])
    combined = float((amounts * sdr_per_unit[amounts.index] * yields_pct[amounts.index]).sum())
    rate = round_decimals(combined, rule.decimals)
    return max(rate, rule.floor) if rule.floor is not None else rate


def weekly_interest_rates(
    amounts: pd.Series,
    rates: pd.DataFrame,
    yields_pct: pd.DataFrame,
    rule: InterestRule = RULE_T1_2014,
) -> pd.Series:
    """Weekly basket interest rate series, percent, indexed by the Monday each rate applies from.

    As Rule T-1: the rate for the week starting each Monday uses the rates of the preceding
    Friday; a yield or exchange rate not available that Friday is replaced by the latest one
    available (forward fill). ``rates`` are daily USD-per-unit rates, ``yields_pct`` daily
    three-month yields in percent, both indexed by date."""
    days = pd.date_range(
        min(rates.index.min(), yields_pct.index.min()), rates.index.max(), freq="D"
    )
    fx = rates[amounts.index].reindex(days).ffill()
    ylds = yields_pct[amounts.index].reindex(days).ffill()
    fridays = days[
        (days.day_of_week == 4)
        & fx.notna().all(axis=1).to_numpy()
        & ylds.notna().all(axis=1).to_numpy()
    ]
    values = fx.loc[fridays] @ amounts
    sdr_per_unit = fx.loc[fridays].div(values, axis=0)
    combined = (sdr_per_unit * ylds.loc[fridays] * amounts).sum(axis=1).to_numpy()
    rounded = np.array([round_decimals(x, rule.decimals) for x in combined])
    if rule.floor is not None:
        rounded = np.maximum(rounded, rule.floor)
    return pd.Series(rounded, index=fridays + pd.Timedelta(days=3), name="basket_rate_pct")


def basket_inflation(inflation_pct: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Inflation of the basket, percent: the weight-averaged inflation of its economies.

    Seed 002 weights each economy's GDP-deflator inflation by its currency's 2015 SDR weight.
    ``inflation_pct``: rows = years, columns = currencies (or economies named like the
    weights). A year missing any basket economy raises ``InputError``."""
    missing = [c for c in weights.index if c not in inflation_pct.columns]
    if missing:
        raise InputError("no inflation series for a basket economy", field=str(missing[0]))
    data = inflation_pct[weights.index]
    if data.isna().any().any():
        year = data.index[data.isna().any(axis=1).to_numpy()][0]
        raise InputError("missing inflation value", row=year)
    return (data @ (weights / weights.sum())).rename("basket")


def rolling_volatility(series: pd.DataFrame | pd.Series, window: int = 5) -> pd.DataFrame:
    """Rolling standard deviation (sample, ddof=1) over ``window`` observations (5 years in
    seed 002), in the units of the series (percentage points for inflation)."""
    return series.rolling(window).std(ddof=1)


def volatility_comparison(
    inflation_pct: pd.DataFrame, weights: pd.Series, window: int = 5, statistic: str = "mean"
) -> pd.Series:
    """Summary (``"mean"`` or ``"median"``) over time of the ``window``-year rolling standard
    deviation of inflation, for each single economy and for the basket (seed 002 compares the
    basket's 0.8 with Japan's 2.5 etc.), sorted ascending, percentage points."""
    if statistic not in ("mean", "median"):
        raise InputError("statistic must be 'mean' or 'median'", field="statistic", value=statistic)
    table = inflation_pct[weights.index].assign(basket=basket_inflation(inflation_pct, weights))
    rolling = rolling_volatility(table, window)
    summary = rolling.mean() if statistic == "mean" else rolling.median()
    return summary.sort_values().rename(f"{statistic}_rolling_std")

"""Currency amounts of a basket, determined the IMF way, and effective weights.

Conventions: exchange rates are **US dollars per unit of currency** (EUR/USD 1.08, JPY/USD
0.0067), as in seed 004; the basket value is in US dollars per basket unit. Amounts are units of
each currency in one basket unit.

IMF procedure (Decision 16033-(16/17) of July 20, 2016, as described in Press Release 16/358,
"IMF Modifies Rounding Methodology for Determining Currency Amounts in the SDR Basket"):

* amounts are fixed on the transition date (the last business day before the new basket takes
  effect) so that (i) the basket's US dollar value that day equals the value of the prevailing
  basket ("same value") and (ii) at the average exchange rates of the three months ending that
  day, each currency's share equals its weight;
* each amount is rounded to five significant digits based on the sixth; if the rounded basket
  no longer has the same value (to the six significant digits at which the SDR is published),
  the US dollar amount is adjusted (by steps of its last digit, 0.00001 for 0.58xxx); if no
  such adjustment works, the same steps are taken with six significant digits.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from glassledger.errors import InputError


def round_significant(value: float, digits: int) -> float:
    """Round ``value`` to ``digits`` significant digits, halves away from zero (the IMF rounds
    "based on the next significant digit"). Works on the decimal representation, so
    ``round_significant(0.0808695, 5) == 0.08087``."""
    if value == 0 or not np.isfinite(value):
        return float(value)
    number = Decimal(repr(float(value)))
    exponent = number.adjusted() - digits + 1
    return float(number.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


def round_decimals(value: float, decimals: int) -> float:
    """Round ``value`` to ``decimals`` decimal places, halves away from zero, on its decimal
    representation (``round_decimals(0.0467, 3) == 0.047``; Python's ``round`` would use
    banker's rounding on the binary value)."""
    if not np.isfinite(value):
        return float(value)
    magnitude = Decimal(repr(abs(float(value)))).quantize(
        Decimal(1).scaleb(-decimals), ROUND_HALF_UP
    )
    return float(np.sign(value)) * float(magnitude)


def basket_value(amounts: pd.Series, rates: pd.Series | pd.DataFrame) -> float | pd.Series:
    """US dollar value of one basket unit: sum of amount_k x rate_k (rates in USD per unit).

    ``rates`` is a Series (one day) or a DataFrame (rows = dates, columns = currencies)."""
    check_rates(amounts, rates)
    if isinstance(rates, pd.DataFrame):
        return rates[amounts.index] @ amounts
    return float((rates[amounts.index] * amounts).sum())


def effective_weights(
    amounts: pd.Series, rates: pd.Series | pd.DataFrame
) -> pd.Series | pd.DataFrame:
    """Share of each currency in the basket value at ``rates`` (decimal fractions summing to 1).

    With a DataFrame of daily rates, returns a DataFrame of daily effective weights."""
    check_rates(amounts, rates)
    values = rates[amounts.index] * amounts
    if isinstance(values, pd.DataFrame):
        return values.div(values.sum(axis=1), axis=0)
    return values / values.sum()


def determine_amounts(
    weights: pd.Series,
    average_rates: pd.Series,
    transition_rates: pd.Series,
    value_usd: float,
    *,
    digits: int = 5,
    anchor: str = "USD",
    value_digits: int = 6,
    max_steps: int = 50,
) -> pd.Series:
    """Currency amounts for a new basket, fixed on the transition date the IMF way.

    ``weights``: target weights (decimals summing to 1), indexed by currency. ``average_rates``:
    mean USD-per-unit rates over the three months ending on the transition date.
    ``transition_rates``: USD-per-unit rates on the transition date. ``value_usd``: the value of
    the prevailing basket that day (USD per unit). ``anchor`` is the currency whose amount is
    adjusted after rounding (the US dollar for the SDR).

    Unrounded, amount_k = w_k x S / avg_k with S = value_usd / sum_j(w_j x spot_j / avg_j): the
    shares at the average rates are exactly the weights and the value at the transition rates
    is exactly ``value_usd``. Amounts are then rounded to ``digits`` significant digits and the
    anchor amount moved by the fewest steps of its last digit that restore the same value to
    ``value_digits`` significant digits; if none does within ``max_steps``, rounding is redone
    with one more digit (the IMF's fallback).
    """
    currencies = weights.index
    if anchor not in currencies:
        raise InputError("the anchor currency must be in the basket", field="anchor", value=anchor)
    if not np.isclose(weights.sum(), 1.0, atol=1e-9) or (weights <= 0).any():
        raise InputError(
            "weights must be positive and sum to 1", field="weights", value=weights.sum()
        )
    check_rates(weights, average_rates)
    check_rates(weights, transition_rates)
    spot, avg = transition_rates[currencies], average_rates[currencies]
    scale = value_usd / float((weights * spot / avg).sum())
    exact = weights * scale / avg
    target = round_significant(value_usd, value_digits)
    for places in (digits, digits + 1):
        rounded = exact.map(lambda a, p=places: round_significant(a, p))
        adjusted = _adjust_anchor(rounded, spot, anchor, target, places, value_digits, max_steps)
        if adjusted is not None:
            return adjusted
    raise InputError(
        "no rounding of the amounts keeps the basket value unchanged",
        field="value_usd",
        value=value_usd,
    )


def _adjust_anchor(
    amounts: pd.Series,
    spot: pd.Series,
    anchor: str,
    target: float,
    places: int,
    value_digits: int,
    max_steps: int,
) -> pd.Series | None:
    """Move the anchor amount by k steps of its last significant digit (k = 0, 1, -1, 2, ...)
    until the basket value rounds to ``target``; ``None`` if no k within ``max_steps`` does."""
    base = float(amounts[anchor])
    step = 10.0 ** (Decimal(repr(base)).adjusted() - places + 1)
    for k in sorted(range(-max_steps, max_steps + 1), key=lambda s: (abs(s), -s)):
        trial = amounts.copy()
        trial[anchor] = round_significant(base + k * step, places + 1)
        value = float((trial * spot).sum())
        if round_significant(value, value_digits) == target:
            return trial
    return None


def check_rates(amounts: pd.Series, rates: pd.Series | pd.DataFrame) -> None:
    """Raise ``InputError`` for a basket currency without a positive, finite rate."""
    columns = rates.columns if isinstance(rates, pd.DataFrame) else rates.index
    for currency in amounts.index:
        if currency not in columns:
            raise InputError("no exchange rate for a basket currency", field=str(currency))
        values = np.asarray(rates[currency], dtype=float)
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            row = rates.index[np.flatnonzero(bad)[0]] if isinstance(rates, pd.DataFrame) else None
            raise InputError(
                "exchange rate must be a positive number (USD per unit)",
                row=row,
                field=str(currency),
                value=float(np.atleast_1d(values)[np.flatnonzero(np.atleast_1d(bad))[0]]),
            )

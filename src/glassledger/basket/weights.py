"""Currency weights by the IMF formula adopted in the 2015 SDR valuation review.

IMF (2015), *Review of the Method of Valuation of the SDR*, and Decision 15891-(15/109): the
weight of currency k is

    w_k = alpha * trade_share_k
          + (1 - alpha) * (reserves_share_k + fx_turnover_share_k + (ibl + ids)_share_k) / 3

with alpha = 1/2. ``trade_share`` is the currency issuer's share of exports of goods, services
and primary income among the basket issuers (IMF); seed 002 uses GDP instead, so the trade
indicator is a parameter. The three financial thirds are the currency's share of official
reserves held by other countries, of foreign-exchange turnover, and of international banking
liabilities plus international debt securities. Each indicator is turned into shares *within
the basket* (the values are divided by their sum over the basket currencies), so inputs may be
amounts (billions of USD) or shares of a world total alike.
"""

from __future__ import annotations

import pandas as pd

from glassledger.errors import InputError
from glassledger.schemas import validate
from glassledger.schemas.basket import INDICATORS

FINANCIAL_INDICATORS = ("reserves", "fx_turnover", "ibl_ids")


def imf_weights(
    indicators: pd.DataFrame,
    *,
    trade: str = "exports",
    trade_weight: float = 0.5,
    decimals: int | None = 4,
    source: str = "indicators",
) -> pd.DataFrame:
    """Weights of the basket currencies by the IMF 2015 formula.

    ``indicators`` has one row per currency: ``currency``, the trade column named by ``trade``
    (``"exports"`` as the IMF, ``"gdp"`` as seed 002), ``reserves``, ``fx_turnover`` and either
    ``ibl_ids`` or both ``ibl`` and ``ids`` (summed). ``trade_weight`` is alpha (0.5).
    ``decimals`` rounds the final weights (decimal fractions; 4 = hundredths of a percent, as
    the IMF publishes) with the largest-remainder rule so they still sum to exactly 1; ``None``
    leaves them unrounded.

    Returns a DataFrame indexed by currency with the share of each indicator within the basket
    (``trade_share``, ``reserves_share``, ``fx_turnover_share``, ``ibl_ids_share``), the
    ``financial_share`` (mean of the three financial shares) and the ``weight``.
    """
    if not 0.0 <= trade_weight <= 1.0:
        raise InputError(
            "trade_weight must lie in [0, 1]", field="trade_weight", value=trade_weight
        )
    if trade not in ("exports", "gdp"):
        raise InputError("the trade indicator must be exports or gdp", field="trade", value=trade)
    frame = validate(indicators, INDICATORS, source=source)
    # ibl_ids may be given directly or as ibl and ids (summed), row by row.
    frame["ibl_ids"] = frame["ibl_ids"].fillna(frame["ibl"] + frame["ids"])
    columns = [trade, *FINANCIAL_INDICATORS]
    for column in columns:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise InputError(
                "missing value (blank or missing column)",
                source=source,
                row=frame["currency"].iloc[int(missing.argmax())],
                field=column,
                hint="the weights need the trade indicator, reserves, fx_turnover and ibl_ids "
                "(or ibl and ids) for every currency",
            )
    frame = frame.set_index("currency")
    totals = frame[columns].sum()
    for column in columns:
        if totals[column] <= 0:
            raise InputError("indicator sums to zero over the basket", source=source, field=column)
    shares = frame[columns] / totals
    result = pd.DataFrame(index=frame.index)
    result["trade_share"] = shares[trade]
    for column in FINANCIAL_INDICATORS:
        result[f"{column}_share"] = shares[column]
    result["financial_share"] = shares[list(FINANCIAL_INDICATORS)].mean(axis=1)
    weight = trade_weight * result["trade_share"] + (1 - trade_weight) * result["financial_share"]
    result["weight"] = weight if decimals is None else round_weights(weight, decimals)
    return result


def round_weights(weights: pd.Series, decimals: int = 4) -> pd.Series:
    """Round weights (decimal fractions summing to 1) to ``decimals`` places, keeping the sum at
    exactly 1 by giving the leftover units to the largest remainders (Hamilton's method)."""
    unit = 10**decimals
    scaled = weights / weights.sum() * unit
    floors = scaled.astype(float).apply(int)
    leftover = unit - int(floors.sum())
    order = (scaled - floors).sort_values(ascending=False, kind="stable").index[:leftover]
    floors.loc[order] += 1
    return floors / unit

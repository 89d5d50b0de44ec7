"""Why authorized dealers should deliver the basket, not a single currency (seed 004, II.(2)).

When dealers mint coins by paying a single currency (say SGD, after a surge of demand in
Singapore), the reserve pool's composition drifts away from the basket: the pool holds too much
SGD and too little of the rest. At today's rates the pool still covers the coins (overall
adequacy), but per-currency adequacy is lost, and once SGD moves against the others the
intrinsic rate departs from the theoretical rate. Minting against the basket (each currency's
amount x coins) keeps the pool proportional to the basket, so the intrinsic rate tracks the
theoretical rate at any rates.
"""

from __future__ import annotations

import pandas as pd

from glassledger.basket.adequacy import adequacy_report
from glassledger.basket.amounts import basket_value
from glassledger.errors import InputError


def delivery_comparison(
    amounts: pd.Series,
    rates_before: pd.Series,
    rates_after: pd.Series,
    outstanding: float,
    minted: float,
    currency: str,
) -> pd.DataFrame:
    """Compare basket delivery with single-currency delivery of a mint.

    The pool starts as an exact basket for ``outstanding`` coins; ``minted`` new coins are paid
    either as the basket (amount_k x minted of each currency) or entirely in ``currency`` (its
    value at the theoretical rate, converted at ``rates_before``). Rates are USD per unit.

    Returns one row per delivery mode with: the ``currency`` share of the pool value (decimal)
    and its target weight, the lowest and highest per-currency coverage, per-currency adequacy,
    and intrinsic / theoretical rate before and after the rates move to ``rates_after``.
    """
    if currency not in amounts.index:
        raise InputError(
            "the surging currency is not in the basket", field="currency", value=currency
        )
    if outstanding <= 0 or minted < 0:
        raise InputError("coins outstanding must be positive and minted non-negative")
    pools = pools_after_mint(amounts, rates_before, outstanding, minted, currency)
    rows = {}
    for mode, pool in pools.items():
        holdings = pd.DataFrame([pool, pool], index=["before", "after"])
        rates = pd.DataFrame([rates_before, rates_after], index=["before", "after"])
        report = adequacy_report(holdings, amounts, rates, outstanding + minted)
        coverage = report[[f"coverage_{c}" for c in amounts.index]].loc["before"]
        value = pool * rates_before[amounts.index]
        rows[mode] = {
            f"{currency}_pool_share": value[currency] / value.sum(),
            f"{currency}_target_weight": (amounts * rates_before[amounts.index])[currency]
            / basket_value(amounts, rates_before),
            "min_coverage": coverage.min(),
            "max_coverage": coverage.max(),
            "per_currency_adequate": bool(report.loc["before", "per_currency_adequate"]),
            "intrinsic_over_theoretical_before": report.loc["before", "overall_ratio"],
            "intrinsic_over_theoretical_after": report.loc["after", "overall_ratio"],
        }
    return pd.DataFrame(rows).T


def pools_after_mint(
    amounts: pd.Series, rates: pd.Series, outstanding: float, minted: float, currency: str
) -> dict[str, pd.Series]:
    """The reserve pool (units of each currency) after minting ``minted`` coins on top of an
    exact basket for ``outstanding`` coins, paid as the basket or all in ``currency`` (at the
    theoretical rate, converted at ``rates``, USD per unit)."""
    start = amounts * outstanding
    single = start.copy()
    single[currency] += minted * basket_value(amounts, rates) / rates[currency]
    return {"basket delivery": start + amounts * minted, "single-currency delivery": single}


def composition_chart(
    amounts: pd.Series, rates: pd.Series, outstanding: float, minted: float, currency: str
):
    """Plotly bar chart of the pool's value shares by currency, target weights next to the
    pool after basket delivery and after single-currency delivery."""
    import plotly.graph_objects as go

    pools = pools_after_mint(amounts, rates, outstanding, minted, currency)
    target = amounts * rates[amounts.index]
    series = {"target weights": target / target.sum()}
    for mode, pool in pools.items():
        value = pool * rates[amounts.index]
        series[mode] = value / value.sum()
    figure = go.Figure(
        [go.Bar(name=name, x=list(s.index), y=list(s.values)) for name, s in series.items()]
    )
    figure.update_layout(
        barmode="group",
        title=f"Reserve pool after minting {minted:,.0f} coins paid in {currency} or in the basket",
        yaxis_title="share of pool value",
        yaxis_tickformat=".0%",
    )
    return figure

"""Currency screening for a basket, following seed 002 (Binance Research, 2019, section 2.3).

The four steps of the seed, in order:

1. keep sovereigns whose credit score is at least ``min_credit_score`` (Trading Economics
   0-100 score; 75 in the seed);
2. keep economies whose GDP is more than ``min_gdp_share`` of world GDP (3% in the seed);
3. merge members of a currency union into the union (France and Germany into the euro area,
   as the SDR does): among the rows that passed and share a currency, the union row stands for
   the currency; if no union row passed, the largest member by GDP does;
4. rank the remaining currencies by their share of official foreign-exchange reserves (IMF
   COFER) and keep the ``top`` first.

Input table (one row per economy; see ``data/README.md`` for the shipped sample and its sources):

=================  =====================================================================
column             meaning
=================  =====================================================================
economy            name; a row named ``World`` (no currency) gives world GDP
currency           ISO 4217 code of the economy's currency
currency_union     ``yes`` for the row that stands for a currency union (e.g. euro area)
credit_score       sovereign credit score, 0-100 (higher is better)
gdp_usd_bn         GDP, billions of current US dollars
=================  =====================================================================

Reserve shares: one row per currency, ``currency, reserve_share`` (decimal share of allocated
reserves).
"""

from __future__ import annotations

import pandas as pd

from glassledger.errors import InputError
from glassledger.schemas import validate
from glassledger.schemas.basket import RESERVE_SHARES, SCREENING

SCREENING_COLUMNS = SCREENING.columns


def screen_currencies(
    economies: pd.DataFrame,
    reserve_shares: pd.DataFrame,
    *,
    min_credit_score: float = 75.0,
    min_gdp_share: float = 0.03,
    top: int | None = None,
    source: str = "screening table",
    reserve_source: str = "reserve shares table",
) -> pd.DataFrame:
    """Select and rank basket currencies by the seed-002 screens.

    ``min_gdp_share`` is a decimal (0.03 = 3% of world GDP; the test is strictly greater, as
    the seed says "超过"). Returns one row per selected currency with columns ``currency``,
    ``economy`` (the row that stands for it), ``credit_score``, ``gdp_share`` (decimal),
    ``reserve_share`` (decimal) and ``rank`` (1 = largest reserve share), sorted by rank.
    """
    economies = validate(economies, SCREENING, source=source)
    reserve_shares = validate(reserve_shares, RESERVE_SHARES, source=reserve_source)
    world_rows = economies["economy"].str.lower() == "world"
    if world_rows.sum() != 1:
        raise InputError(
            "exactly one 'World' row is needed for world GDP",
            source=source,
            field="economy",
            value=int(world_rows.sum()),
            hint="add one row named World with the world's GDP in gdp_usd_bn",
        )
    world_gdp = float(economies.loc[world_rows, "gdp_usd_bn"].iloc[0])
    rows = economies[~world_rows].copy()
    rows["gdp_share"] = rows["gdp_usd_bn"] / world_gdp
    rows["is_union"] = rows["currency_union"].astype(bool)

    passed = rows[(rows["credit_score"] >= min_credit_score) & (rows["gdp_share"] > min_gdp_share)]
    merged = (
        passed.sort_values(["is_union", "gdp_usd_bn"], ascending=False)
        .groupby("currency", sort=False)
        .head(1)
    )
    ranked = merged.merge(reserve_shares[["currency", "reserve_share"]], on="currency", how="left")
    ranked["reserve_share"] = ranked["reserve_share"].fillna(0.0)
    ranked = ranked.sort_values("reserve_share", ascending=False, kind="stable")
    ranked["rank"] = range(1, len(ranked) + 1)
    if top is not None:
        ranked = ranked.head(top)
    columns = ["rank", "currency", "economy", "credit_score", "gdp_share", "reserve_share"]
    return ranked[columns].reset_index(drop=True)

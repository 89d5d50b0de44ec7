"""Basket analytics input tables: screening, reserve shares, indicators, holdings, rates,
inflation. Currencies are ISO codes (upper case); shares and weights decimals."""

from __future__ import annotations

import pandas as pd

from glassledger.schemas._core import Field, RowRule, Table

NAN = float("nan")
CURRENCY = r"^[A-Z]{3}$"

SCREENING = Table(
    name="Screening economies",
    doc="One row per economy, and one `World` row for world GDP (`basket screen --table`).",
    key="economy",
    fields=(
        Field("economy", "text", "economy name; exactly one row named World", unique=True),
        Field("currency", "code", "ISO currency code (blank only on the World row)", default=None),
        Field("currency_union", "bool", "yes if the currency is shared by a union", default=False),
        Field(
            "credit_score",
            "float",
            "sovereign credit score (blank only on the World row)",
            unit="0-100",
            default=NAN,
            ge=0.0,
            le=100.0,
        ),
        Field("gdp_usd_bn", "float", "GDP", unit="USD bn", gt=0.0),
    ),
    rules=(
        RowRule(
            "currency",
            "an economy other than World needs a currency",
            lambda f: f["economy"].str.lower().eq("world") | f["currency"].notna(),
        ),
        RowRule(
            "credit_score",
            "an economy other than World needs a credit score",
            lambda f: f["economy"].str.lower().eq("world") | f["credit_score"].notna(),
        ),
    ),
)

RESERVE_SHARES = Table(
    name="Reserve shares",
    doc="Share of each currency in world FX reserves (`basket screen --reserves`).",
    key="currency",
    fields=(
        Field("currency", "code", "ISO currency code", unique=True),
        Field(
            "reserve_share", "float", "share of allocated reserves", unit="decimal", ge=0.0, le=1.0
        ),
    ),
)

INDICATORS = Table(
    name="Basket indicators",
    doc="IMF 2015 weight formula inputs per currency (`basket weights --indicators`); give "
    "`ibl_ids` or both `ibl` and `ids`.",
    key="currency",
    fields=(
        Field("currency", "code", "ISO currency code", unique=True),
        Field(
            "exports", "float", "exports of goods and services", unit="USD bn", default=NAN, ge=0.0
        ),
        Field(
            "gdp", "float", "GDP (seed 002's trade indicator)", unit="USD bn", default=NAN, ge=0.0
        ),
        Field("reserves", "float", "share of official reserves", default=NAN, ge=0.0),
        Field("fx_turnover", "float", "FX market turnover", default=NAN, ge=0.0),
        Field("ibl", "float", "international banking liabilities", default=NAN, ge=0.0),
        Field("ids", "float", "international debt securities", default=NAN, ge=0.0),
        Field("ibl_ids", "float", "ibl + ids", default=NAN, ge=0.0),
    ),
)

HOLDINGS = Table(
    name="Reserve holdings",
    doc="One row per holding of the reserve (`basket reserve HOLDINGS`); days are calendar "
    "days since the first date of the rates file.",
    fields=(
        Field("currency", "code", "ISO currency code; the rates file needs its column"),
        Field(
            "amount",
            "float",
            "units of the currency at par or amortised cost",
            unit="currency units",
            ge=0.0,
        ),
        Field("start_day", "int", "first day held (may be before day 0)", unit="days"),
        Field(
            "maturity_day",
            "int",
            "final maturity (held while start_day <= t < maturity)",
            unit="days",
        ),
        Field(
            "reset_period",
            "int",
            "days between rate resets (0 = fixed rate)",
            unit="days",
            default=0,
            ge=0,
        ),
        Field(
            "daily_liquid",
            "bool",
            "daily liquid whatever its maturity (cash, governments)",
            default=False,
        ),
        Field("weekly_liquid", "bool", "weekly liquid whatever its maturity", default=False),
    ),
    rules=(
        RowRule(
            "maturity_day",
            "maturity_day must be after start_day",
            lambda f: f["maturity_day"] > f["start_day"],
        ),
    ),
)

RATES = Table(
    name="Exchange rates",
    doc="Dated exchange rates (`basket value --rates`, `basket reserve RATES`): a `date` "
    "column, then one column per currency (ISO code) in USD per unit (or units per USD for "
    "the currencies named in `--per-usd`).",
    index="date",
    sorted_index=True,
    fields=(Field("date", "date", "the date of the rates", unique=True),),
    pattern=CURRENCY,
    # The bound says "not an exchange rate" (the highest rates quoted per USD are near 1e5),
    # and keeps the basket's Decimal arithmetic and reserve sums from overflowing.
    pattern_field=Field("CCY", "float", "exchange rate of the currency", gt=0.0, le=1e9),
)

INFLATION = Table(
    name="Inflation",
    doc="Annual inflation per economy (`basket inflation --table`): a `year` column, then "
    "one column per currency, in percent.",
    index="year",
    sorted_index=True,
    fields=(Field("year", "int", "calendar year", unique=True, ge=1800, le=2200),),
    pattern=CURRENCY,
    pattern_field=Field(
        "CCY",
        "float",
        "inflation of the currency's economy",
        unit="percent",
        default=NAN,
        ge=-100.0,
    ),
)


def currencies(frame: pd.DataFrame) -> list[str]:
    """The currency columns of a validated wide table."""
    return [str(c) for c in frame.columns]

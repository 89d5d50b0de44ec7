"""``glassledger basket``: basket analytics from the command line (screening, weights,
amounts, valuation, interest rate, delivery drift, reserve metrics).

"Rate" has three meanings across these commands; each option names the one it takes:

* ``--usd-per-unit CCY=x`` (``amounts``, ``drift``) and the ``USD_PER_UNIT`` file of
  ``reserve``: exchange rates in US dollars per unit of the currency;
* ``--basket-per-unit CCY=x`` (``interest``): exchange rates against the basket unit, basket
  units per unit of the currency (the IMF's "SDR per currency unit");
* ``--yield CCY=x`` (``interest``): interest rates, the three-month yields in percent, from
  which the basket *interest rate* is computed.

``value`` takes market quotes (``--quote``, ``--quotes-file``) as dealers quote them: US
dollars per unit, or units per US dollar for the currencies in ``--per-usd``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from glassledger.errors import InputError
from glassledger.options import iso_date, out_file
from glassledger.schemas import options_error, read
from glassledger.tables import write_table

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Basket coin analytics (SDR-style basket and its reserve)",
    no_args_is_help=True,
)
console = Console()


def _show(frame: pd.DataFrame, title: str, index_name: str = "") -> None:
    table = Table(title=title)
    table.add_column(index_name or (frame.index.name or ""))
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for label, row in frame.iterrows():
        table.add_row(str(label), *(_cell(v) for v in row))
    console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _pairs(values: list[str], option: str, *, positive: bool = True) -> pd.Series:
    """Parse repeated ``CCY=number`` options (finite numbers; > 0 if ``positive``)."""
    parsed = {}
    for item in values:
        currency, _, number = item.partition("=")
        currency = currency.strip().upper()
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not re.fullmatch(r"[A-Z]{3}", currency) or not math.isfinite(value):
            raise options_error("expects CCY=number", option, item, "for example EUR=1.08")
        if positive and value <= 0:
            raise options_error("must be a positive number", option, item)
        if currency in parsed:
            raise options_error("currency given twice", option, item)
        parsed[currency] = value
    return pd.Series(parsed, dtype=float)


def _date(text: str, option: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError):
        raise options_error("not a date (write YYYY-MM-DD)", option, text) from None


def _basket(name: str):
    from glassledger.basket.baskets import get_basket

    return get_basket(name)


@app.command()
def screen(
    table: Path | None = typer.Option(None, help="economies table (default: shipped 2018 sample)"),
    reserves: Path | None = typer.Option(None, help="reserve shares table (default: COFER 2018Q4)"),
    min_score: float = typer.Option(
        75.0, min=0.0, max=100.0, help="minimum sovereign credit score (0-100)"
    ),
    min_gdp_share: float = typer.Option(
        0.03, min=0.0, max=1.0, help="minimum share of world GDP (decimal)"
    ),
    top: int | None = typer.Option(None, min=1, help="keep the first N currencies"),
) -> None:
    """Screen currencies as seed 002: credit score, GDP share, union merge, reserve ranking."""
    from glassledger.basket.baskets import sample_path
    from glassledger.basket.screening import screen_currencies
    from glassledger.schemas.basket import RESERVE_SHARES, SCREENING

    table = table or sample_path("screening_2018.csv")
    reserves = reserves or sample_path("reserve_shares_2018q4.csv")
    result = screen_currencies(
        read(table, SCREENING),
        read(reserves, RESERVE_SHARES),
        min_credit_score=min_score,
        min_gdp_share=min_gdp_share,
        top=top,
        source=table.name,
        reserve_source=reserves.name,
    )
    _show(result.set_index("rank"), "Screened basket currencies", "rank")


@app.command()
def weights(
    indicators: Path | None = typer.Option(None, help="indicator table (default: 2018 sample)"),
    trade: str = typer.Option("exports", help="trade indicator column: exports (IMF) or gdp"),
    basket: str | None = typer.Option(None, help="show a shipped basket instead (e.g. sdr-2022)"),
) -> None:
    """Currency weights by the IMF 2015 formula, or a shipped basket's published weights."""
    from glassledger.basket.baskets import sample_path
    from glassledger.basket.weights import imf_weights
    from glassledger.schemas.basket import INDICATORS

    if basket is not None:
        chosen = _basket(basket)
        _show(chosen.weights.rename("weight").to_frame(), chosen.description, "currency")
        return
    if trade not in ("exports", "gdp"):
        raise options_error("must be exports or gdp", "--trade", trade)
    path = indicators or sample_path("indicators_2018.csv")
    result = imf_weights(read(path, INDICATORS), trade=trade, source=path.name)
    _show(result, f"IMF 2015 formula weights (trade indicator: {trade})", "currency")


@app.command()
def amounts(
    basket: str = typer.Option("sdr-2022", help="shipped basket name"),
    usd_per_unit: list[str] = typer.Option(
        [],
        "--usd-per-unit",
        help="exchange rate, US dollars per unit, CCY=x (to fix amounts of a basket without "
        "published ones)",
    ),
) -> None:
    """Currency amounts of a shipped basket (published, or fixed from its weights at the
    --usd-per-unit exchange rates)."""
    from glassledger.basket.baskets import amounts_at

    chosen = _basket(basket)
    rates = _pairs(usd_per_unit, "--usd-per-unit")
    rates["USD"] = rates.get("USD", 1.0)
    result = amounts_at(chosen, rates)
    _show(result.rename("amount").to_frame(), chosen.description, "currency")


@app.command()
def value(
    basket: str = typer.Option("sdr-2022", help="shipped basket name"),
    date: str | None = typer.Option(
        None, "--date", parser=iso_date, help="date to value (row of --quotes-file)"
    ),
    quotes_file: Path | None = typer.Option(
        None, help="CSV of market quotes: date column then one column per currency"
    ),
    quote: list[str] = typer.Option([], help="market quote CCY=x (instead of --quotes-file)"),
    per_usd: str = typer.Option("JPY,CNY", help="currencies quoted in units per USD"),
) -> None:
    """Value one basket unit in USD the IMF way (Rule O-2(a)) on a date."""
    from glassledger.basket.valuation import imf_valuation, to_usd_per_unit
    from glassledger.schemas.basket import RATES

    chosen = _basket(basket)
    if chosen.amounts is None:
        raise options_error(
            "this basket has no published amounts", "--basket", basket, "use sdr-2016 or sdr-2022"
        )
    if quotes_file is not None:
        if quote:
            raise options_error("give --quotes-file or --quote, not both", "--quote", quote[0])
        table = read(quotes_file, RATES)
        day = _date(date, "--date") if date is not None else None
        if day is None or day not in table.index:
            raise InputError(
                "date not found in the quotes file",
                source=quotes_file.name,
                field="date",
                value=date,
                hint=f"give --date, one of {table.index[0]:%Y-%m-%d} ... "
                f"{table.index[-1]:%Y-%m-%d}",
            )
        quotes = table.loc[day].dropna()
    else:
        quotes = _pairs(quote, "--quote")
        quotes["USD"] = 1.0
    missing = [c for c in chosen.amounts.index if c not in quotes.index]
    if missing:
        raise options_error(
            f"no exchange rate for {missing}",
            "--quotes-file" if quotes_file else "--quote",
            missing[0],
        )
    usd_rates = to_usd_per_unit(quotes, tuple(c.strip().upper() for c in per_usd.split(",") if c))
    result = imf_valuation(chosen.amounts, usd_rates)
    frame = pd.DataFrame({"amount": chosen.amounts, "usd_equivalent": result.usd_equivalents})
    _show(frame, f"{chosen.name} on {date or 'the quoted rates'}", "currency")
    console.print(f"US$1.00 = {result.sdr_per_usd:.6g} units; 1 unit = US${result.usd_per_sdr:.6g}")


@app.command()
def interest(
    basket: str = typer.Option("sdr-2022", help="shipped basket name"),
    basket_per_unit: list[str] = typer.Option(
        ...,
        "--basket-per-unit",
        help="exchange rate against the basket unit: basket units per unit of currency, CCY=x",
    ),
    yld: list[str] = typer.Option(
        ..., "--yield", help="interest rate: three-month yield in percent, CCY=x"
    ),
    before_2014: bool = typer.Option(
        False, help="use Rule T-1 before Oct 2014 (2 decimals, no floor)"
    ),
) -> None:
    """Basket interest rate as the IMF computes the weekly SDR interest rate (Rule T-1)."""
    from glassledger.basket.valuation import RULE_T1_2014, RULE_T1_BEFORE_2014, basket_interest_rate

    rule = RULE_T1_BEFORE_2014 if before_2014 else RULE_T1_2014
    chosen = _basket(basket)
    if chosen.amounts is None:
        raise options_error(
            "this basket has no published amounts, so no interest rate",
            "--basket",
            basket,
            "use sdr-2016 or sdr-2022",
        )
    rates = _pairs(basket_per_unit, "--basket-per-unit")
    yields = _pairs(yld, "--yield", positive=False)
    for option, given in (("--basket-per-unit", rates), ("--yield", yields)):
        missing = [c for c in chosen.amounts.index if c not in given.index]
        if missing:
            raise options_error(f"missing for {missing}", option, None, "give CCY=x for each")
    result = basket_interest_rate(chosen.amounts, rates, yields, rule)
    console.print(f"{chosen.name} interest rate under {rule.name}: {result:.{rule.decimals}f}%")


@app.command()
def drift(
    basket: str = typer.Option("libra-2019", help="shipped basket name"),
    usd_per_unit: list[str] = typer.Option(
        ["EUR=1.10", "JPY=0.0093023", "GBP=1.24", "SGD=0.725"],
        "--usd-per-unit",
        help="exchange rate, US dollars per unit, CCY=x",
    ),
    surge: str = typer.Option("SGD", help="currency of the demand surge"),
    outstanding: float = typer.Option(
        1_000_000, min=0.0, help="coins outstanding before the surge"
    ),
    minted: float = typer.Option(300_000, min=0.0, help="coins minted in the surge"),
    move: float = typer.Option(
        -0.10, min=-0.99, max=100.0, help="move of the surge currency against USD afterwards"
    ),
    html: Path | None = typer.Option(
        None, parser=out_file, help="write a Plotly chart of the pool to this file"
    ),
) -> None:
    """Seed 004's argument: single-currency delivery drifts the pool, basket delivery does not."""
    from glassledger.basket.baskets import amounts_at
    from glassledger.basket.delivery import composition_chart, delivery_comparison

    rates = _pairs(usd_per_unit, "--usd-per-unit")
    rates["USD"] = 1.0
    chosen = _basket(basket)
    surge = surge.strip().upper()
    if surge not in chosen.weights.index:
        raise options_error(
            "not a currency of the basket", "--surge", surge, f"one of {list(chosen.weights.index)}"
        )
    if outstanding + minted <= 0:
        raise options_error("no coins: outstanding + minted must be > 0", "--minted", minted)
    basket_amounts = amounts_at(chosen, rates)
    after = rates.copy()
    after[surge.upper()] = rates[surge.upper()] * (1 + move)
    result = delivery_comparison(basket_amounts, rates, after, outstanding, minted, surge.upper())
    title = f"{chosen.name}: {minted:,.0f} coins minted in {surge.upper()}, then {move:+.0%}"
    _show(result.T, title, "figure")
    if html is not None:
        chart = composition_chart(basket_amounts, rates, outstanding, minted, surge.upper())
        chart.write_html(html, include_plotlyjs=True)
        console.print(f"chart written to {html}")


@app.command()
def inflation(
    table: Path | None = typer.Option(None, help="years x currencies, inflation in percent"),
    basket: str = typer.Option("sdr-2016", help="shipped basket whose weights are used"),
    start: int = typer.Option(1965, help="first year"),
    end: int = typer.Option(2018, help="last year"),
    window: int = typer.Option(5, min=2, help="rolling window, years"),
    statistic: str = typer.Option("mean", help="mean or median of the rolling std"),
) -> None:
    """Seed 002's comparison: inflation volatility of single economies and of the basket."""
    from glassledger.basket.baskets import sample_path
    from glassledger.basket.valuation import basket_inflation, volatility_comparison
    from glassledger.schemas.basket import INFLATION

    if statistic not in ("mean", "median"):
        raise options_error("must be mean or median", "--statistic", statistic)
    if start > end:
        raise options_error(f"--start {start} is after --end {end}", "--start", start)
    path = table or sample_path("inflation_gdp_deflator.csv")
    full = read(path, INFLATION)
    data = full.loc[start:end]
    if len(data) < window:
        raise options_error(
            f"{len(data)} year(s) of data between {start} and {end}, fewer than the "
            f"{window}-year window",
            "--start",
            start,
            f"{path.name} covers {full.index[0]}-{full.index[-1]}",
        )
    weights = _basket(basket).weights
    absent = [c for c in weights.index if c not in data.columns]
    if absent:
        raise InputError(
            f"no inflation column for the basket currency {absent[0]}",
            source=path.name,
            field=absent[0],
            hint=f"add a {absent[0]} column or choose another --basket",
        )
    summary = volatility_comparison(data, weights, window, statistic)
    peak = data[weights.index].stack().idxmax()
    basket_series = basket_inflation(data, weights)
    _show(
        summary.to_frame(), f"{window}-year rolling std of inflation, {start}-{end} (pp)", "economy"
    )
    console.print(
        f"highest single-year inflation: {peak[1]} {peak[0]} {data.loc[peak]:.1f}%;"
        f" basket that year {basket_series.loc[peak[0]]:.1f}%"
    )


@app.command()
def reserve(
    holdings: Path = typer.Argument(
        ..., help="holdings CSV (see glassledger.basket.reserve_metrics)"
    ),
    usd_per_unit: Path = typer.Argument(
        ..., help="exchange rates CSV: date column then US dollars per unit, one per currency"
    ),
    out: Path | None = typer.Option(None, parser=out_file, help="write the daily metrics to .csv"),
) -> None:
    """Daily reserve value, WAM, WAL and liquid-asset shares of a holdings table."""
    from glassledger.basket.reserve_metrics import reserve_metrics
    from glassledger.schemas.basket import HOLDINGS, RATES

    table = read(holdings, HOLDINGS)
    # Calendar days: a day without a fixing (weekend, holiday) keeps the last rate.
    daily = read(usd_per_unit, RATES).asfreq("D").ffill()
    result = reserve_metrics(table, daily, source=holdings.name, rates_source=usd_per_unit.name)
    if out is not None:
        write_table(result.reset_index(), out)
    summary = result[
        ["reserve_value_usd", "wam_days", "wal_days", "daily_liquid_share", "weekly_liquid_share"]
    ]
    _show(
        summary.describe().loc[["mean", "min", "max"]],
        "Reserve metrics over the period",
        "statistic",
    )

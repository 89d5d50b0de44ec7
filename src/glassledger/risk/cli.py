"""``glassledger risk``: counterparty credit risk analytics from the command line."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from glassledger.options import currency, iso_date, out_file
from glassledger.risk import credit_cli, ledger_cli
from glassledger.risk.contagion import cli as contagion_cli
from glassledger.schemas import options_error
from glassledger.tables import write_table

app = typer.Typer(rich_markup_mode="markdown", help="Risk analytics", no_args_is_help=True)
app.command("el")(credit_cli.el)
app.command("ratings")(credit_cli.ratings)
app.command("contagion")(contagion_cli.contagion)
app.command("exposures")(ledger_cli.exposures)
app.command("monitor")(ledger_cli.monitor)


def _fx_rates(pairs: list[str]) -> dict[str, float]:
    """``--fx-rate CCY=rate`` options: positive finite rates, each currency once."""
    rates: dict[str, float] = {}
    for item in pairs:
        ccy, _, value = item.partition("=")
        ccy = ccy.strip().upper()
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if len(ccy) != 3 or not ccy.isalpha() or not math.isfinite(rate) or rate <= 0:
            raise options_error(
                "expects CCY=rate with a positive rate", "--fx-rate", item, "e.g. EUR=1.08"
            )
        if ccy in rates:
            raise options_error("currency given twice", "--fx-rate", item)
        rates[ccy] = rate
    return rates


def _sources(*paths: Path | None) -> dict[str, str]:
    """File names for error messages, keyed by the table each file holds."""
    keys = ("trades", "netting_sets", "margin_agreements", "collateral")
    return {k: p.name for k, p in zip(keys, paths, strict=True) if p is not None}


@app.command()
def saccr(
    portfolio: Path = typer.Argument(..., help="trade table (.csv, .parquet or CDM .json)"),
    netting_sets: Path | None = typer.Option(
        None, "--netting-sets", "-n", help="netting-set margin terms (.csv or .parquet)"
    ),
    margin_agreements: Path | None = typer.Option(
        None,
        "--margin-agreements",
        "-m",
        help="terms of the margin agreements that trades name (CRE52.74; .csv or .parquet)",
    ),
    collateral: Path | None = typer.Option(
        None,
        "--collateral",
        help="collateral by type, haircut with CRE22.49 (.csv or .parquet)",
    ),
    alpha: float | None = typer.Option(None, "--alpha", help="override alpha (default 1.4)"),
    regime: str = typer.Option("cre52", "--regime", help="cre52, bcbs2014 or cre52-alpha1"),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=out_file,
        help="write the netting-set table to .csv or .parquet",
    ),
    trades_out: Path | None = typer.Option(
        None,
        "--trades-out",
        parser=out_file,
        help="write the per-trade table to .csv or .parquet",
    ),
    agreements_out: Path | None = typer.Option(
        None,
        "--agreements-out",
        parser=out_file,
        help="write the shared margin agreements (CRE52.75) to .csv or .parquet",
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", parser=iso_date, help="calculation date for CDM input"
    ),
    bank: str | None = typer.Option(None, "--bank", help="the bank's party id for CDM input"),
    reporting_currency: str | None = typer.Option(
        None,
        "--reporting-currency",
        parser=currency,
        help="currency of netting sets that name none (and of CDM notionals)",
    ),
    fx_rate: list[str] = typer.Option(
        [],
        "--fx-rate",
        help="CCY=rate: units of the reporting currency per unit of CCY; converts trades whose "
        "notional_currency is not their netting set's (and CDM notionals)",
    ),
) -> None:
    """SA-CCR exposure at default per netting set (Basel CRE52): RC, PFE, add-ons, EAD."""
    from glassledger.risk.saccr import (
        compute_saccr,
        load_margin_agreements,
        load_netting_sets,
        load_portfolio,
        regime_named,
        validate_trades,
    )
    from glassledger.risk.saccr.exposure import ADDON_COLUMNS
    from glassledger.schemas import read_raw

    console = Console()
    if portfolio.suffix.lower() == ".json" and (as_of is None or bank is None):
        raise typer.BadParameter("CDM input needs --as-of and --bank")
    if alpha is not None and not alpha > 0:
        raise options_error("alpha must be > 0", "--alpha", alpha)
    with console.status(f"SA-CCR: reading {portfolio.name} and computing exposures"):
        rates = _fx_rates(fx_rate)
        chosen = regime_named(regime, alpha)
        if portfolio.suffix.lower() == ".json":
            from glassledger.risk.saccr.cdm import load_cdm_trades

            trades = load_cdm_trades(
                portfolio,
                as_of=as_of,
                bank_party=bank,
                reporting_currency=reporting_currency,
                fx_rates=rates,
            )
            trades = validate_trades(trades, source=portfolio.name)
        else:
            trades = load_portfolio(portfolio)
        terms = load_netting_sets(netting_sets) if netting_sets else None
        agreements = load_margin_agreements(margin_agreements) if margin_agreements else None
        items = read_raw(collateral) if collateral else None
        result = compute_saccr(
            trades,
            terms,
            chosen,
            agreements,
            collateral=items,
            fx_rates=rates,
            reporting_currency=reporting_currency,
            sources=_sources(portfolio, netting_sets, margin_agreements, collateral),
        )
    frame = result.netting_sets
    table = Table(title=f"SA-CCR ({result.regime.name}, alpha = {result.regime.alpha:g})")
    used = [c for c in ADDON_COLUMNS if (frame[c] != 0).any()]
    columns = ["netting_set", "trades", "V", "C", "RC", *used, "multiplier", "PFE", "EAD"]
    for col in columns:
        table.add_column(col, justify="left" if col == "netting_set" else "right")
    for row in frame[columns].head(50).itertuples(index=False):
        table.add_row(
            str(row[0]),
            str(row[1]),
            *(
                f"{x:,.4f}" if col == "multiplier" else f"{x:,.0f}"
                for col, x in zip(columns[2:], row[2:], strict=True)
            ),
        )
    console.print(table)
    if len(frame) > 50:
        console.print(f"... {len(frame) - 50} more netting sets (use --out)")
    shared = result.margin_agreements
    if len(shared):
        agreements = Table(title="Margin agreements covering several netting sets (CRE52.75)")
        for col in ("shared_margin_agreement", "netting_sets", "C", "RC", "PFE", "EAD"):
            agreements.add_column(col, justify="left" if col.startswith("shared") else "right")
        for row in shared.itertuples(index=False):
            agreements.add_row(
                str(row.shared_margin_agreement),
                str(row.netting_sets),
                *(f"{x:,.0f}" for x in (row.C, row.RC, row.PFE, row.EAD)),
            )
        console.print(agreements)
    console.print(f"total EAD: {frame['EAD'].sum() + shared['EAD'].sum():,.2f}")
    if out:
        write_table(frame, out)
        console.print(f"wrote {out}")
    if trades_out:
        write_table(result.trades, trades_out)
        console.print(f"wrote {trades_out}")
    if agreements_out:
        write_table(result.margin_agreements, agreements_out)
        console.print(f"wrote {agreements_out}")

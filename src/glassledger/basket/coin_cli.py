"""``glassledger coin``: the basket coin on the ledger, read from a node home at any height.

It needs a node home whose chain runs the basket coin: ``glassledger demo --home DIR`` creates
one (the demo sets the coin up on the SDR basket and has dealers mint and redeem).

Reads the block store of a home (``--home``, as the ``glassledger`` ledger commands) and prints
the views of :func:`glassledger.contracts.basket_book.snapshot`: the issuer's balance sheet per
currency and in US dollars, per-currency and overall adequacy, the theoretical, intrinsic and
market rates, the reserve's yield and the netting totals. See ``docs/basket-contract.md``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from glassledger.errors import GlassledgerError
from glassledger.options import DEFAULT_HOME, HomeOption, refuse

app = typer.Typer(
    rich_markup_mode="markdown",
    help="The basket coin on the ledger (balance sheet, adequacy, rates). Needs a node home "
    "whose chain runs the coin: create one with `glassledger demo --home DIR`.",
    no_args_is_help=True,
)
console = Console()
HINT = "create one with `glassledger demo --home DIR`, then pass `--home DIR`"


@app.command()
def status(
    home: HomeOption = DEFAULT_HOME,
    height: Annotated[int | None, typer.Option(help="Block height (default: the head).")] = None,
) -> None:
    """Balance sheet, adequacy and the three rates of the basket coin after block HEIGHT.

    Needs a node home whose chain runs the basket coin, such as the one
    `glassledger demo --home DIR` creates.
    """
    from glassledger.contracts.basket_book import e18_to_minor, snapshot
    from glassledger.ledger.sqlite_store import SQLiteStore
    from glassledger.node.home import Home

    try:
        store = SQLiteStore.open(Home(home).store, readonly=True)
        at = store.head_height() if height is None else height
        state = store.state_at(at)
        view = snapshot(state.get)
    except (GlassledgerError, LookupError) as exc:
        refuse(f"{exc}. `coin status` reads a node home whose chain runs the basket coin: {HINT}")
    book, sheet, check = view.book, view.sheet, view.adequacy
    sheet_table = Table(title=f"{book.config['coin']} issuer balance sheet after block {at}")
    for column in ("currency", "assets", "liabilities", "equity", "coverage (bps)"):
        sheet_table.add_column(column, justify="right")
    for k in book.currencies:
        coverage = check.coverage_bps(k)
        sheet_table.add_row(
            k,
            f"{sheet.assets[k]:,}",
            f"{sheet.liabilities[k]:,}",
            f"{sheet.equity[k]:,}",
            "-" if coverage is None else f"{coverage:,}",
        )
    sheet_table.add_row(
        "US$ (cents)",
        f"{e18_to_minor(sheet.assets_e18):,}",
        f"{e18_to_minor(sheet.liabilities_e18):,}",
        f"{e18_to_minor(sheet.equity_e18):,}",
        "",
    )
    console.print(sheet_table)
    rates = Table(title="rates (US$ per coin) and adequacy")
    rates.add_column("item")
    rates.add_column("value", justify="right")
    for name, rate in (
        ("theoretical rate", view.theoretical),
        ("intrinsic rate", view.intrinsic),
        ("market rate", view.market),
    ):
        rates.add_row(name, "-" if rate is None else f"{float(rate):.6f}")
    rates.add_row("per-currency adequacy", str(check.per_currency))
    rates.add_row("overall adequacy", str(check.overall))
    rates.add_row("coins outstanding", f"{book.outstanding / 10 ** book.config['coin_decimals']:,}")
    rates.add_row("reserve yield (bps)", str(view.yield_bps))
    raw = state.get(b"basket/netting")
    if raw is not None:
        totals = msgspec.msgpack.decode(raw)
        rates.add_row(
            "netting windows / gross / net units",
            f"{totals['windows']} / {totals['gross_units']} / {totals['net_units']}",
        )
    console.print(rates)

"""``glassledger funding``: the funding market of a node home at a height, as Rich tables."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from glassledger.errors import GlassledgerError
from glassledger.options import DEFAULT_HOME, HomeOption, refuse

app = typer.Typer(
    no_args_is_help=True, help="On-ledger funding market: positions, rates, concentration."
)
console = Console()

HeightOption = Annotated[int | None, typer.Option(min=0, help="Block height (default: the head).")]


def _snapshot(home: Path, height: int | None):
    from glassledger.funding.snapshot import snapshot_at
    from glassledger.node.home import Home

    chain = Home(home).open_chain()
    if height is not None and height > chain.height:
        raise typer.BadParameter(f"no block at height {height} (head {chain.height})")
    return snapshot_at(chain.store, height)


def _print(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    for column in frame.columns:
        numeric = frame[column].dtype.kind in "fiu"
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(
                    "inf"
                    if math.isinf(value)
                    else f"{value:,.4g}"
                    if abs(value) < 100
                    else f"{value:,.0f}"
                )
            elif isinstance(value, int):
                cells.append(f"{value:,}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)


def _run(home: Path, height: int | None, show) -> None:
    try:
        snap = _snapshot(home, height)
        show(snap)
    except GlassledgerError as exc:
        refuse(exc)


@app.command()
def positions(home: HomeOption = DEFAULT_HOME, height: HeightOption = None) -> None:
    """Per participant: cash, securities, posted collateral, lent, borrowed, leverage, margin
    excess (repo), health factor (pool), open margin calls. Amounts in USD cents."""
    from glassledger.funding.views import participants

    _run(home, height, lambda s: _print(participants(s), f"funding positions at height {s.height}"))


@app.command()
def market(home: HomeOption = DEFAULT_HOME, height: HeightOption = None) -> None:
    """On-ledger SOFR (volume-weighted median of overnight repos) per day, pool markets and
    standing-facility take-up."""
    from glassledger.funding.views import facility_take_up, ledger_sofr, pool_markets

    def show(s):
        _print(ledger_sofr(s), f"on-ledger overnight repo rate (SOFR method) at height {s.height}")
        _print(pool_markets(s), "pool markets")
        _print(facility_take_up(s), "standing facilities")

    _run(home, height, show)


@app.command()
def concentration(home: HomeOption = DEFAULT_HOME, height: HeightOption = None) -> None:
    """Top-N shares and the Herfindahl index of lenders, borrowers, dealers and collateral."""
    from glassledger.funding.views import concentration as conc

    _run(home, height, lambda s: _print(conc(s), f"concentration at height {s.height}"))


@app.command()
def repos(home: HomeOption = DEFAULT_HOME, height: HeightOption = None) -> None:
    """Every repo: parties, state, cash, rate, term, amount due, collateral, margin excess."""
    from glassledger.funding.views import repo_book

    _run(home, height, lambda s: _print(repo_book(s), f"repos at height {s.height}"))

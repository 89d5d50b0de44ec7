"""``glassledger risk el`` and ``glassledger risk ratings``: expected loss and credit ratings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from glassledger.options import iso_date, out_file
from glassledger.risk.expected_loss import (
    expected_loss,
    expected_loss_by_counterparty,
    exposures_from_saccr,
)
from glassledger.risk.rating import (
    DEFAULT_ALPHA,
    EXTERNAL_COLUMNS,
    TRADE_COLUMNS,
    current_ratings,
    replay_trades,
)
from glassledger.schemas import read
from glassledger.schemas.credit import (
    CREDIT_TERMS,
    EXPOSURES,
    EXTERNAL_RATINGS,
    RATINGS,
    SACCR_EXPOSURES,
    TRADE_HISTORY,
)
from glassledger.tables import rich_table, write_table

OutOption = Annotated[
    Path | None,
    typer.Option("--out", parser=out_file, help="Write the full table to .csv or .parquet."),
]
EL_SCREEN = [
    "counterparty",
    "netting_set",
    "ead",
    "grade",
    "pd",
    "lgd_effective",
    "guaranteed_ead",
    "el",
]
PATH_SCREEN = [
    "counterparty",
    "trade_id",
    "closed_at",
    "defaulted",
    "internal",
    "external",
    "composite",
    "composite_grade",
    "credit_score",
]
RowsOption = Annotated[int, typer.Option("--rows", min=1, help="Rows shown on screen.")]


def el(
    exposures: Annotated[
        Path,
        typer.Argument(
            help="Exposures per counterparty and netting set, or SA-CCR output with --terms."
        ),
    ],
    ratings: Annotated[
        Path, typer.Argument(help="Ratings per counterparty: counterparty, rating (.csv/.parquet).")
    ],
    terms: Annotated[
        Path | None,
        typer.Option(
            "--terms",
            help="Credit terms per netting set (netting_set, counterparty, ...) for SA-CCR output.",
        ),
    ] = None,
    out: OutOption = None,
    pd_floor: Annotated[
        float,
        typer.Option(
            "--pd-floor", min=0.0, max=0.99, help="PD floor, decimal (Basel corporate: 0.0003)."
        ),
    ] = 0.0,
    by_counterparty: Annotated[
        bool,
        typer.Option(
            "--by-counterparty", help="Totals per counterparty instead of per netting set."
        ),
    ] = False,
    rows: RowsOption = 50,
) -> None:
    """Expected loss EL = PD x EAD x LGD per counterparty and netting set."""
    console = Console()
    with console.status("computing expected loss"):
        if terms is not None:
            frame = exposures_from_saccr(
                read(exposures, SACCR_EXPOSURES),
                read(terms, CREDIT_TERMS),
                source=exposures.name,
                terms_source=terms.name,
            )
        else:
            frame = read(exposures, EXPOSURES)
        table = expected_loss(
            frame,
            read(ratings, RATINGS),
            pd_floor=pd_floor,
            source=exposures.name,
            ratings_source=ratings.name,
        )
    table = expected_loss_by_counterparty(table) if by_counterparty else table
    screen = table if by_counterparty else table[EL_SCREEN]
    console.print(
        rich_table(screen, title=f"Expected loss, total {table['el'].sum():,.2f}", max_rows=rows)
    )
    if out is not None:
        console.print(f"wrote {write_table(table, out)}")


def ratings(
    trades: Annotated[
        Path, typer.Argument(help=f"Closed-trade history (.csv/.parquet): {TRADE_COLUMNS}.")
    ],
    external: Annotated[
        Path | None,
        typer.Option("--external", help=f"External ratings (.csv/.parquet): {EXTERNAL_COLUMNS}."),
    ] = None,
    alpha: Annotated[
        float,
        typer.Option(
            "--alpha", min=0.0, max=1.0, help="Weight of the external rating in the composite."
        ),
    ] = DEFAULT_ALPHA,
    path: Annotated[
        bool, typer.Option("--path", help="Show the rating path (one row per trade).")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", parser=iso_date, help="Date of the current ratings (default: latest)."
        ),
    ] = None,
    out: OutOption = None,
    rows: RowsOption = 50,
) -> None:
    """Internal, external and composite ratings from a closed-trade history."""
    console = Console()
    with console.status("replaying trade histories"):
        external_table = read(external, EXTERNAL_RATINGS) if external is not None else None
        names = {
            "source": trades.name,
            "external_source": external.name if external else "external ratings",
        }
        history = replay_trades(
            read(trades, TRADE_HISTORY), external=external_table, alpha=alpha, **names
        )
        table = (
            history
            if path
            else current_ratings(
                history,
                external=external_table,
                as_of=as_of,
                alpha=alpha,
                external_source=names["external_source"],
            )
        )
    title = "Rating path" if path else f"Ratings as of {table['as_of'].iloc[0]:%Y-%m-%d}"
    console.print(rich_table(table[PATH_SCREEN] if path else table, title=title, max_rows=rows))
    if out is not None:
        console.print(f"wrote {write_table(table, out)}")

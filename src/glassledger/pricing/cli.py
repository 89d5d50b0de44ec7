"""``glassledger agent valuation``: run the valuation agent against a node home."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from glassledger.options import in_file, node_home, participant

app = typer.Typer(help="Off-ledger agents that post to the ledger.", no_args_is_help=True)


@app.command()
def valuation(
    home: Annotated[
        Path, typer.Option(parser=node_home, help="Node home (embedded: marks go to its inbox).")
    ],
    participant: Annotated[
        str,
        typer.Option(
            "--as", parser=participant, help="Signing participant; needs the oracle role."
        ),
    ] = "regulator",
    market: Annotated[
        Path | None,
        typer.Option(
            parser=in_file, help="JSON market file: vols, hazards, recovery, rates (see docs)."
        ),
    ] = None,
    every: Annotated[
        float | None, typer.Option(help="Run again every SECONDS (default: once).")
    ] = None,
) -> None:
    """Value every live derivative at the home's head with QuantLib and queue the marks as
    one signed ``oracle.post_batch`` (kind ``mark``)."""
    from glassledger.node.home import Home
    from glassledger.pricing.agent import load_market_file, run_once

    extra = load_market_file(market)
    while True:
        count = run_once(Home(home), participant, extra)
        typer.echo(f"queued {count} marks")
        if every is None:
            return
        time.sleep(every)

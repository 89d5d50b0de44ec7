"""``glassledger agent valuation``: run the valuation agent against a node home or a
networked node, once or in a loop that stops cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from glassledger.errors import GlassledgerError
from glassledger.options import DEFAULT_HOME, HOME_ENV, address, in_file, key_home, participant

app = typer.Typer(help="Off-ledger agents that post to the ledger.", no_args_is_help=True)


@app.command()
def valuation(
    home: Annotated[
        Path,
        typer.Option(
            "--home",
            envvar=HOME_ENV,
            parser=key_home,
            help="Node home (with --node: the network folder holding genesis and keys).",
        ),
    ] = DEFAULT_HOME,
    node_address: Annotated[
        str | None,
        typer.Option(
            "--node",
            parser=address,
            help="Run against this networked node (host:port): read the ledger from it, submit "
            "the marks and wait for their receipts. --home then names the network folder "
            "(genesis and keys). Without it, marks are queued to the home's inbox.",
        ),
    ] = None,
    participant: Annotated[
        str,
        typer.Option(
            "--as", parser=participant, help="Signing participant; needs the oracle role."
        ),
    ] = "regulator",
    market: Annotated[
        Path | None,
        typer.Option(
            parser=in_file,
            help="JSON market file (rates, vols, hazards, recoveries; see docs/valuation.md) "
            "posted to the oracle once, first, as a seed; the marks use only what the ledger "
            "holds.",
        ),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Value once and exit.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between valuations when looping.")
    ] = 60.0,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for receipts (--node).")
    ] = 30.0,
) -> None:
    """Value every live derivative on the ledger with QuantLib from the oracle's curves,
    prices, vols and hazard rates at one height, and post the marks as signed
    ``oracle.post_batch`` (kind ``mark``). Loops every --interval seconds until SIGINT or
    SIGTERM (the round under way finishes first), or runs --once. The first round's error
    ends the run (exit 1); a later round's error is printed and the next round tries again."""
    from glassledger.node.home import Home
    from glassledger.pricing.agent import load_market_file, run_on_node, run_once

    seed = load_market_file(market)
    h = Home(home)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    rounds = 0
    try:
        while True:
            try:
                if node_address is None:
                    done = run_once(h, participant, seed)
                else:
                    done = run_on_node(h, node_address, participant, seed, timeout)
            except GlassledgerError as error:
                if rounds == 0 or once:
                    raise
                typer.echo(f"error: {' '.join(str(error).split())}", err=True)
            else:
                seed = {}  # posted once; later rounds read it from the ledger
                verb = "queued" if node_address is None else "posted"
                typer.echo(
                    f"{verb} {len(done.marks)} marks valued at height {done.height}", err=False
                )
            rounds += 1
            if once or stop.wait(interval):
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not once:
        typer.echo(f"stopped after {rounds} valuations")

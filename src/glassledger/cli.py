"""The ``glassledger`` command.

Each concept contributes its own Typer sub-application, registered here; this module only
assembles them so that importing one concept never imports the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from glassledger.api import cli as api_cli
from glassledger.basket import cli as basket_cli
from glassledger.basket import coin_cli
from glassledger.funding import cli as funding_cli
from glassledger.liquidity import cli as liquidity_cli
from glassledger.node import cli as node_cli
from glassledger.node import governance_cli, keys_cli
from glassledger.node.indexer import cli as index_cli
from glassledger.risk import cli as risk_cli

app = typer.Typer(
    rich_markup_mode="markdown",
    name="glassledger",
    help="Transparent, programmable market infrastructure for dollar liquidity, collateral "
    "and OTC derivatives.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


node_cli.register(app)
app.add_typer(risk_cli.app, name="risk")
app.add_typer(basket_cli.app, name="basket")
app.add_typer(coin_cli.app, name="coin")
app.add_typer(liquidity_cli.app, name="liquidity")
app.add_typer(funding_cli.app, name="funding")
app.add_typer(governance_cli.app, name="governance")
app.command("serve")(api_cli.serve)
app.command("index")(index_cli.index)
app.add_typer(keys_cli.app, name="keys")


@app.command()
def demo(
    home: Annotated[
        Path | None, typer.Option(help="Directory for the demo's node home (default: temporary).")
    ] = None,
    transfers: Annotated[int, typer.Option(help="Number of token transfers.")] = 2_000,
) -> None:
    """Run the guided demo: network, participants, authority election, transfers, verify."""
    from glassledger.demo import run_demo

    run_demo(home, transfers)


@app.command()
def version() -> None:
    """Print the installed glassledger version."""
    from glassledger import __version__

    typer.echo(__version__)


@app.callback()
def main() -> None:
    """glassledger: run `glassledger demo` for a tour."""

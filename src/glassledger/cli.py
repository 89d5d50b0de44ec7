"""The ``glassledger`` command.

Each concept contributes its own Typer sub-application, registered here; this module only
assembles them so that importing one concept never imports the others.
"""

from __future__ import annotations

import typer

from glassledger.basket import cli as basket_cli
from glassledger.risk import cli as risk_cli

app = typer.Typer(
    name="glassledger",
    help="Transparent, programmable market infrastructure for dollar liquidity, collateral "
    "and OTC derivatives.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


app.add_typer(risk_cli.app, name="risk")
app.add_typer(basket_cli.app, name="basket")


@app.command()
def version() -> None:
    """Print the installed glassledger version."""
    from glassledger import __version__

    typer.echo(__version__)


@app.callback()
def main() -> None:
    """glassledger: run `glassledger demo` for a tour."""

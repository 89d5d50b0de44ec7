"""``glassledger risk``: the risk analytics sub-commands."""

from __future__ import annotations

import typer

from glassledger.risk import credit_cli

app = typer.Typer(help="Risk analytics", no_args_is_help=True)

app.command("el")(credit_cli.el)
app.command("ratings")(credit_cli.ratings)

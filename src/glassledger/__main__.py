"""``python -m glassledger``: the command line."""

from glassledger.cli import app

app()

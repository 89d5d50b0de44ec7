"""``python -m glassledger``: the command line (as the ``glassledger`` script)."""

from glassledger.cli import app

app(prog_name="glassledger")

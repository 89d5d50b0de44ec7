"""``python -m glassledger.node.indexer``: the indexer alone, without loading every other
command (a long-running indexer started by a supervisor starts in a fraction of a second)."""

import typer

from glassledger.node.indexer.cli import index

if __name__ == "__main__":
    typer.run(index)

"""``glassledger index``: stream a home's finalized blocks into its private database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from glassledger.errors import GlassledgerError
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.node.home import Home
from glassledger.node.indexer.run import BATCH_BLOCKS, index_store
from glassledger.node.indexer.sinks import open_sink
from glassledger.options import DEFAULT_HOME, HOME_ENV, out_file, refuse, store_home

console = Console()


def index(
    home: Annotated[
        Path,
        typer.Option(
            "--home",
            envvar=HOME_ENV,
            parser=store_home,
            help="Node home directory (its chain.sqlite is indexed).",
        ),
    ] = DEFAULT_HOME,
    sqlite: Annotated[
        Path | None,
        typer.Option(
            parser=out_file,
            help="SQLite index file (default: HOME/index.sqlite unless --postgres).",
        ),
    ] = None,
    postgres: Annotated[
        str | None,
        typer.Option(help="PostgreSQL DSN, e.g. postgresql://user:pass@127.0.0.1/db."),
    ] = None,
    batch_blocks: Annotated[
        int, typer.Option(min=1, help="Blocks written per database transaction.")
    ] = BATCH_BLOCKS,
    follow: Annotated[
        float | None,
        typer.Option(help="Keep indexing new blocks for this many seconds (0: until Ctrl-C)."),
    ] = None,
) -> None:
    """Index finalized blocks, transactions, events, state history and balances into SQL.

    Idempotent and resumable: run it again after any interruption and it continues from the
    last block it committed. Schema and example queries: docs/indexer.md."""
    h = Home(home)
    try:
        if postgres is None and sqlite is None:
            sqlite = h.path / "index.sqlite"
        sink = open_sink(sqlite, postgres)
        store = SQLiteStore.open(h.store, readonly=True)
        start = time.monotonic()
        deadline = None if not follow else start + follow
        total = index_store(store, sink, batch_blocks=batch_blocks)
        while follow is not None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
            store.close()
            store = SQLiteStore.open(h.store, readonly=True)
            total += index_store(store, sink, batch_blocks=batch_blocks)
        console.print(
            f"indexed to height {sink.last_height()}: {total:,} rows in "
            f"{time.monotonic() - start:.2f} s"
        )
        sink.close()
        store.close()
    except GlassledgerError as exc:
        refuse(exc)
    except KeyboardInterrupt:
        console.print(f"stopped at height {sink.last_height()}")

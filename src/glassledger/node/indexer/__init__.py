"""A node's private database: finalized blocks, transactions, events, state history and
balances streamed from the block store into SQL (SQLite by default, PostgreSQL with
``glassledger index --postgres DSN``). See docs/indexer.md for the schema and queries."""

from glassledger.node.indexer.rows import BlockRows, block_rows
from glassledger.node.indexer.run import index_store
from glassledger.node.indexer.sinks import PostgresSink, Sink, SQLiteSink, open_sink

__all__ = [
    "BlockRows",
    "PostgresSink",
    "SQLiteSink",
    "Sink",
    "block_rows",
    "index_store",
    "open_sink",
]

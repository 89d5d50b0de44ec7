"""Stream a block store into a :class:`~glassledger.node.indexer.sinks.Sink`."""

from __future__ import annotations

from collections.abc import Callable

from glassledger.ledger.abc import BlockStore
from glassledger.node.indexer.rows import block_rows
from glassledger.node.indexer.sinks import Sink

#: Blocks written per database transaction (each transaction is atomic with its height).
BATCH_BLOCKS = 16


def index_store(
    store: BlockStore,
    sink: Sink,
    until: int | None = None,
    batch_blocks: int = BATCH_BLOCKS,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every finalized block after the sink's ``last_height`` up to ``until`` (default:
    the store's head); return the number of rows written. Idempotent and resumable: run it
    again after any crash and it continues where the last committed batch ended.
    ``progress(height, rows)`` is called after each batch."""
    head = store.head_height() if until is None else min(until, store.head_height())
    owners = sink.key_owners()
    written = 0
    height = sink.last_height() + 1
    while height <= head:
        stop = min(head, height + batch_blocks - 1)
        batch = [block_rows(store, h, owners) for h in range(height, stop + 1)]
        sink.write(batch)
        written += sum(rows.count for rows in batch)
        if progress is not None:
            progress(stop, written)
        height = stop + 1
    return written

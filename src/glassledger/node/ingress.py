"""The durable ingress queue of a networked node: every transaction it accepted and has not
yet seen in a finalized block.

A node answers "accepted" to a client only after the transaction's bytes are in this queue
(SQLite, WAL, ``synchronous=FULL``: on disk before the reply). Rows leave when a finalized
block carries the transaction (its receipt, success or rejection) or when the signature check
refuses it. After a crash the node reloads the queue, so a transaction it accepted ends in a
block or in a rejection receipt whatever was killed: the node itself (it reloads and
gossips again) or authorities that held it in memory (the node re-gossips what stays queued).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("glassledger.node.ingress")


class IngressQueue:
    """The queue on disk. Every statement runs on one thread of its own, in order: a durable
    write waits for its ``fsync`` there, not on the node's event loop (at 5 ms an ``fsync``
    on this kind of disk, a node answering 50 submissions a second would otherwise spend a
    quarter of its time blocked). :meth:`add_async` lets the loop wait for durability without
    blocking; :meth:`remove` does not wait at all (the order of statements is kept, and a
    removal lost with a crash only leaves a row that :meth:`all` returns after the restart,
    which the node then finds in its store)."""

    def __init__(self, path: Path) -> None:
        self._io = ThreadPoolExecutor(1, thread_name_prefix="ingress")
        self._db: sqlite3.Connection = self._io.submit(self._connect, path).result()

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # ``id`` keeps the order of acceptance: one sender's transactions must reach the
        # proposers in nonce order (a later nonce committed first makes the earlier invalid)
        db.execute(
            "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "hash BLOB NOT NULL UNIQUE, tx BLOB NOT NULL, accepted_ms INTEGER NOT NULL)"
        )
        return db

    def add(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Queue ``(hash, tx bytes)`` pairs durably, in one transaction."""
        self._io.submit(self._add, list(items)).result()

    async def add_async(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """:meth:`add`, awaited without blocking the event loop."""
        await asyncio.wrap_future(self._io.submit(self._add, list(items)))

    def _add(self, items: list[tuple[bytes, bytes]]) -> None:
        now = time.time_ns() // 1_000_000
        rows = [(h, tx, now) for h, tx in items]
        if not rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR IGNORE INTO pending (hash, tx, accepted_ms) VALUES (?, ?, ?)", rows
        )
        self._db.execute("COMMIT")

    def remove(self, hashes: Iterable[bytes]) -> Future:
        """Drop rows, without waiting (a failure is logged; the rows then stay queued)."""
        future = self._io.submit(self._remove, [(h,) for h in hashes])
        future.add_done_callback(_log_failure)
        return future

    def _remove(self, keys: list[tuple[bytes]]) -> None:
        if not keys:
            return
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM pending WHERE hash = ?", keys)
        self._db.execute("COMMIT")

    def all(self) -> list[tuple[bytes, bytes]]:
        """Every queued ``(hash, tx bytes)``, in the order they were accepted."""
        return self._io.submit(self._all).result()

    def _all(self) -> list[tuple[bytes, bytes]]:
        rows = self._db.execute("SELECT hash, tx FROM pending ORDER BY id").fetchall()
        return [(bytes(h), bytes(tx)) for h, tx in rows]

    def __len__(self) -> int:
        return self._io.submit(self._count).result()

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0]

    def close(self) -> None:
        """Finish the statements already submitted, then close."""
        self._io.submit(self._db.close).result()
        self._io.shutdown(wait=True)


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("ingress queue: removal failed: %s", future.exception())

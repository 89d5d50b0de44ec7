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

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path


class IngressQueue:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # ``id`` keeps the order of acceptance: one sender's transactions must reach the
        # proposers in nonce order (a later nonce committed first makes the earlier invalid)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "hash BLOB NOT NULL UNIQUE, tx BLOB NOT NULL, accepted_ms INTEGER NOT NULL)"
        )

    def add(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Queue ``(hash, tx bytes)`` pairs durably, in one transaction."""
        now = time.time_ns() // 1_000_000
        rows = [(h, tx, now) for h, tx in items]
        if not rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR IGNORE INTO pending (hash, tx, accepted_ms) VALUES (?, ?, ?)", rows
        )
        self._db.execute("COMMIT")

    def remove(self, hashes: Iterable[bytes]) -> None:
        keys = [(h,) for h in hashes]
        if not keys:
            return
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM pending WHERE hash = ?", keys)
        self._db.execute("COMMIT")

    def all(self) -> list[tuple[bytes, bytes]]:
        """Every queued ``(hash, tx bytes)``, in the order they were accepted."""
        rows = self._db.execute("SELECT hash, tx FROM pending ORDER BY id").fetchall()
        return [(bytes(h), bytes(tx)) for h, tx in rows]

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0]

    def close(self) -> None:
        self._db.close()

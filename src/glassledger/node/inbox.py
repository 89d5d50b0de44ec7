"""A durable submission queue between ``glassledger tx`` and a running ``glassledger node``.

``glassledger tx`` signs a transaction and appends its canonical bytes to the node home's
``inbox.sqlite``; the node drains the inbox into its mempool. SQLite in WAL mode lets the
writer and the reader run in different processes at once. The inbox holds bytes only: the
node decodes and checks everything as if the bytes had come from the network.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class Inbox:
    """Append-only queue of signed transaction bytes."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, tx BLOB)"
        )

    def push(self, tx_bytes: bytes) -> None:
        self._db.execute("INSERT INTO inbox (tx) VALUES (?)", (tx_bytes,))

    def pending(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]

    def pop_all(self, limit: int = 100_000) -> list[bytes]:
        """Remove and return up to ``limit`` queued transactions, oldest first."""
        self._db.execute("BEGIN IMMEDIATE")
        rows = self._db.execute("SELECT id, tx FROM inbox ORDER BY id LIMIT ?", (limit,)).fetchall()
        if rows:
            self._db.execute("DELETE FROM inbox WHERE id <= ?", (rows[-1][0],))
        self._db.execute("COMMIT")
        return [bytes(tx) for _, tx in rows]

    def close(self) -> None:
        self._db.close()

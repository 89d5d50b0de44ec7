"""A durable submission queue between ``glassledger tx`` and a running ``glassledger node``.

``glassledger tx`` signs a transaction and appends its canonical bytes to the node home's
``inbox.sqlite``; the node reads the inbox into its mempool. SQLite in WAL mode with
``synchronous=FULL`` lets the writer and the reader run in different processes at once, and a
row is on disk once :meth:`Inbox.push_signed` returns. The inbox holds bytes only: the node
decodes and checks everything as if the bytes had come from the network.

**Nothing queued is lost.** The node *reads* rows without removing them; a row leaves the
inbox only

* after the block holding its transaction is durable in the block store (:meth:`remove`,
  called once ``put_block`` has returned), the block's receipt saying how it ended; or
* with a refusal receipt written in the same inbox transaction that deletes it
  (:meth:`refuse`: wrong chain, bad signature), readable with :meth:`refusal`; or
* moved to the ``quarantine`` table with its reason, in the same transaction, when the row
  is not transaction bytes at all (TEXT, NULL, INTEGER, undecodable) (:meth:`quarantine`).

A node killed at any moment re-reads every remaining row when it restarts; rows whose
transaction is already in the chain (committed, but killed before the row was removed) are
recognised by hash and removed then: delivery is at least once, de-duplicated by hash.

Tables::

    inbox(id, tx, sender, nonce)          queued, oldest first (sender/nonce: set by `tx`)
    refusals(hash, reason, message, id)   transactions refused before any block
    quarantine(id, tx, reason)            rows that are not transaction bytes
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from glassledger.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tx BLOB, sender BLOB, nonce INTEGER
);
CREATE TABLE IF NOT EXISTS refusals (
    hash BLOB PRIMARY KEY, reason TEXT NOT NULL, message TEXT NOT NULL, id INTEGER
);
CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY, tx, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_by_sender ON inbox (sender, nonce);
"""
_SCHEMA_TABLES = [statement.strip() for statement in _SCHEMA.split(";") if statement.strip()]


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One queued row: its bytes, or (``data`` None) why it holds no transaction bytes."""

    id: int
    data: bytes | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A transaction refused before any block: its typed reason and message."""

    reason: str
    message: str


class Inbox:
    """The home's queue of signed transaction bytes (see the module docstring)."""

    def __init__(self, path: Path, timeout_s: float = 30.0) -> None:
        try:
            self._db = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # One write transaction, so that processes opening a new inbox at once agree.
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(_SCHEMA_TABLES[0])
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(inbox)")}
            for column, kind in (("sender", "BLOB"), ("nonce", "INTEGER")):
                if column not in columns:  # an inbox written by an older version
                    self._db.execute(f"ALTER TABLE inbox ADD COLUMN {column} {kind}")
            for statement in _SCHEMA_TABLES[1:]:
                self._db.execute(statement)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the inbox {path}: {exc}") from exc
        self.path = path

    # ------------------------------------------------------------------ writing (tx)

    def push(self, tx_bytes: bytes) -> None:
        """Append raw bytes (no sender or nonce bookkeeping)."""
        self._db.execute("INSERT INTO inbox (tx) VALUES (?)", (tx_bytes,))

    def push_signed(
        self,
        sender: bytes,
        committed_nonce: Callable[[], int],
        build: Callable[[int], bytes],
    ) -> int:
        """Choose the sender's next nonce and append the transaction ``build(nonce)`` signs,
        in one write transaction; returns the nonce.

        The nonce is one above both the sender's last committed nonce (``committed_nonce()``,
        read *inside* the transaction) and every nonce of the sender still queued. Writers
        are serialised by SQLite, and the node removes a row only after its block is durable,
        so two concurrent ``tx`` calls for one sender never pick the same nonce."""
        with self._write() as db:
            (queued,) = db.execute(
                "SELECT max(nonce) FROM inbox WHERE sender = ?", (sender,)
            ).fetchone()
            nonce = max(committed_nonce(), -1 if queued is None else queued) + 1
            data = build(nonce)
            db.execute(
                "INSERT INTO inbox (tx, sender, nonce) VALUES (?, ?, ?)", (data, sender, nonce)
            )
        return nonce

    # ------------------------------------------------------------------ reading (node)

    def max_nonce(self, sender: bytes) -> int:
        """The highest nonce of ``sender``'s transactions still queued (-1: none)."""
        (queued,) = self._db.execute(
            "SELECT max(nonce) FROM inbox WHERE sender = ?", (sender,)
        ).fetchone()
        return -1 if queued is None else queued

    def pending(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]

    def read(self, after_id: int = 0, limit: int = 100_000) -> list[InboxRow]:
        """Up to ``limit`` queued rows with ``id > after_id``, oldest first, left in place.
        A row that does not hold a BLOB is returned with its problem, never raised."""
        rows = self._db.execute(
            "SELECT id, typeof(tx), CASE WHEN typeof(tx) = 'blob' THEN tx END FROM inbox "
            "WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        out = []
        for row_id, kind, data in rows:
            if kind == "blob":
                out.append(InboxRow(row_id, bytes(data)))
            else:
                out.append(
                    InboxRow(row_id, None, f"the row holds {kind.upper()}, not transaction bytes")
                )
        return out

    def pop_all(self, limit: int = 100_000) -> list[bytes]:
        """Remove and return up to ``limit`` queued transaction bytes at once (for tools that
        take responsibility for them; the node uses :meth:`read` and :meth:`remove`)."""
        with self._write() as db:
            rows = db.execute(
                "SELECT id, tx FROM inbox WHERE typeof(tx) = 'blob' ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            db.executemany("DELETE FROM inbox WHERE id = ?", [(row_id,) for row_id, _ in rows])
        return [bytes(tx) for _, tx in rows]

    def remove(self, ids: Iterable[int]) -> None:
        """Delete rows whose transactions are in a durable block."""
        ids = [(i,) for i in ids]
        if ids:
            with self._write() as db:
                db.executemany("DELETE FROM inbox WHERE id = ?", ids)

    def refuse(self, refused: Sequence[tuple[int, bytes, str, str]]) -> None:
        """Delete rows ``(id, tx hash, reason, message)`` and record why, in one transaction."""
        if refused:
            with self._write() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO refusals (hash, reason, message, id) "
                    "VALUES (?, ?, ?, ?)",
                    [(h, reason, message, i) for i, h, reason, message in refused],
                )
                db.executemany("DELETE FROM inbox WHERE id = ?", [(r[0],) for r in refused])

    def quarantine(self, rows: Sequence[tuple[int, str]]) -> None:
        """Move rows ``(id, reason)`` that hold no valid transaction to ``quarantine``."""
        if rows:
            with self._write() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO quarantine (id, tx, reason) "
                    "SELECT id, tx, ? FROM inbox WHERE id = ?",
                    [(reason, i) for i, reason in rows],
                )
                db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i, _ in rows])

    def refusal(self, tx_hash: bytes) -> Refusal | None:
        row = self._db.execute(
            "SELECT reason, message FROM refusals WHERE hash = ?", (tx_hash,)
        ).fetchone()
        return None if row is None else Refusal(*row)

    def quarantined(self) -> list[tuple[int, str]]:
        return self._db.execute("SELECT id, reason FROM quarantine ORDER BY id").fetchall()

    def close(self) -> None:
        self._db.close()

    def _write(self) -> _WriteTransaction:
        return _WriteTransaction(self._db, self.path)


class _WriteTransaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.path = db, path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the inbox {self.path} is not writable: {exc}") from exc
        return self.db

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")

"""The durable block store: one SQLite file in WAL mode with ``synchronous=FULL``.

Every block is written in one SQLite transaction: its header, transactions and the parent's
certificate (``last_commit``), its own certificate, receipts, events, the state changes with
the values they replaced, and the update of the current-state table. SQLite's write-ahead log
makes the transaction atomic and, with ``synchronous=FULL``, durable once
:meth:`SQLiteStore.put_block` returns: a ``kill -9`` (or a power cut) at any instant leaves
either the whole block or none of it.

Tables (blobs are canonical msgspec encodings, :mod:`glassledger.ledger.codec`)::

    blocks(height, header, last_commit, certificate)
    txs(height, idx, hash, body, ok, reason, message)
                                                 body: the SignedTransaction; hash, ok,
                                                 reason, message: its receipt
    events(height, tx_index, seq, contract, name, data, visible_to)
                                                 tx_index -1: begin/end-block hook events;
                                                 visible_to: JSON array of participant ids
    changes(height, key, value, prev)            value/prev NULL: absent
    state(key, value)                            the state after the head block

Events are queryable by height, transaction, contract, name and reader
(:meth:`SQLiteStore.events`); the state after any height is rebuilt backwards from the head
with one query over ``changes`` (:meth:`SQLiteStore.state_at`).

A store is written by one process; any number of others may read it at the same time
(``SQLiteStore.open(path, readonly=True)``), as WAL allows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from glassledger.errors import DecodeError, IntegrityError, StoreError
from glassledger.ledger import codec
from glassledger.ledger.abc import BlockStore, EventRecord
from glassledger.ledger.block import Block, BlockHeader, Certificate
from glassledger.ledger.tx import Event, Receipt, SignedTransaction

T = TypeVar("T")

#: ``PRAGMA application_id`` of a glassledger store ("GLSL").
APPLICATION_ID = 0x474C534C
SCHEMA_VERSION = 1
SYSTEM_TX_INDEX = -1

_SCHEMA = """
CREATE TABLE blocks (
    height INTEGER PRIMARY KEY,
    header BLOB NOT NULL,
    last_commit BLOB NOT NULL,
    certificate BLOB NOT NULL
);
CREATE TABLE txs (
    height INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    body BLOB NOT NULL,
    ok INTEGER NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (height, idx)
) WITHOUT ROWID;
CREATE INDEX txs_by_hash ON txs (hash);
CREATE TABLE events (
    height INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    contract TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    visible_to TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, seq)
) WITHOUT ROWID;
CREATE INDEX events_by_name ON events (contract, name, height);
CREATE TABLE changes (
    height INTEGER NOT NULL,
    key BLOB NOT NULL,
    value BLOB,
    prev BLOB,
    PRIMARY KEY (height, key)
) WITHOUT ROWID;
CREATE TABLE state (
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
"""

_INSERT_BLOCK = "INSERT INTO blocks VALUES (?, ?, ?, ?)"
_INSERT_TX = "INSERT INTO txs VALUES (?, ?, ?, ?, ?, ?, ?)"
_INSERT_EVENT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)"
# The replaced value is read inside the same statement, before the state table moves on.
_INSERT_CHANGE = "INSERT INTO changes VALUES (?1, ?2, ?3, (SELECT value FROM state WHERE key = ?2))"
_DELETE_STATE = (
    "DELETE FROM state WHERE key IN (SELECT key FROM changes WHERE height = ? AND value IS NULL)"
)
_UPSERT_STATE = (
    "INSERT INTO state (key, value) SELECT key, value FROM changes "
    "WHERE height = ? AND value IS NOT NULL ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_PUBLIC = "[]"


class TxLocation(NamedTuple):
    """A transaction's block height and index, and its receipt's status and reason."""

    height: int
    index: int
    ok: bool
    reason: str
    message: str


def damaged(path: Path, exc: BaseException) -> StoreError:
    """The typed error for a store SQLite cannot read (truncated, overwritten, bit flips)."""
    return StoreError(
        f"the block store {path} is damaged ({exc}): stop the node, restore chain.sqlite "
        "from a backup (or remove it), then catch up from peers "
        "(docs/ledger-storage.md, 'Recovering a damaged store')"
    )


def _key_range(prefix: bytes) -> tuple[bytes, bytes | None]:
    """``[low, high)`` of the byte strings starting with ``prefix`` (``high`` None: no end)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return prefix, None
    return prefix, stripped[:-1] + bytes([stripped[-1] + 1])


class SQLiteStore(BlockStore):
    """A :class:`BlockStore` in one SQLite file. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, connection: sqlite3.Connection, path: Path, readonly: bool = False) -> None:
        self._db = connection
        self.path = path
        self.readonly = readonly
        # One connection serves every thread: a reader must not see a block half written.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        path: Path | str,
        genesis: Block,
        certificate: Certificate,
        state: Mapping[bytes, bytes],
    ) -> SQLiteStore:
        """A new store at ``path`` (which must not exist) holding the genesis block, its
        (empty) certificate and the genesis state as block 0's changes.

        Atomic: the store is built beside ``path`` and renamed into place once complete, so
        a crash never leaves a store without its genesis block at ``path``."""
        path = Path(path)
        if path.exists():
            raise StoreError(f"{path} already exists; refusing to overwrite a block store")
        if genesis.header.height != 0:
            raise StoreError(f"a store starts at block 0, got block {genesis.header.height}")
        draft = path.with_name(path.name + ".creating")
        _remove(draft)  # left by a create that crashed
        try:
            with cls(_connect(draft, readonly=False), draft) as store:
                store._db.executescript(
                    f"BEGIN; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
                    f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
                store.put_block(genesis, certificate, [], [], dict(state))
        except BaseException:
            _remove(draft)
            raise
        # Closing the last connection checkpointed the log into the (synced) database file.
        os.replace(draft, path)
        _sync_directory(path.parent)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path | str, readonly: bool = False) -> SQLiteStore:
        """Open an existing store (recovering from a crash of its last writer, if any).
        ``readonly`` opens it for reading while another process writes it."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no block store at {path}")
        db = _connect(path, readonly)
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StoreError(f"{path} is not a glassledger block store: {exc}") from exc
        if app_id != APPLICATION_ID or version != SCHEMA_VERSION:
            db.close()
            raise StoreError(
                f"{path} is not a glassledger block store of schema {SCHEMA_VERSION} "
                f"(application id {app_id:#x}, schema {version})"
            )
        if not readonly:
            try:  # receipts by transaction hash (`find_tx`); stores made before it lack it
                db.execute("CREATE INDEX IF NOT EXISTS txs_by_hash ON txs (hash)")
            except sqlite3.DatabaseError as exc:
                db.close()
                raise damaged(path, exc) from exc
        return cls(db, path, readonly)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:  # SQLite may already have rolled back (disk full)
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: write failed, nothing written: {exc}") from exc
                raise

    # ------------------------------------------------------------------ writing

    def put_block(
        self,
        block: Block,
        certificate: Certificate,
        receipts: Sequence[Receipt],
        system_events: Sequence[Event],
        changes: Mapping[bytes, bytes | None],
    ) -> None:
        header = block.header
        height = header.height
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        if len(receipts) != len(block.txs):
            raise StoreError(
                f"block {height}: {len(receipts)} receipts for {len(block.txs)} transactions"
            )
        tx_rows = [
            (height, i, r.tx_hash, codec.encode(tx), r.ok, r.reason, r.message)
            for i, (tx, r) in enumerate(zip(block.txs, receipts, strict=True))
        ]
        event_rows = _event_rows(height, SYSTEM_TX_INDEX, system_events)
        for index, receipt in enumerate(receipts):
            if receipt.events:
                event_rows += _event_rows(height, index, receipt.events)
        change_rows = [(height, key, value) for key, value in changes.items()]
        block_row = (
            height,
            codec.encode(header),
            codec.encode(block.last_commit),
            codec.encode(certificate),
        )
        with self._transaction() as db:
            head = self.head_height()
            if height != head + 1:
                raise StoreError(f"expected block {head + 1}, got block {height}")
            db.execute(_INSERT_BLOCK, block_row)
            db.executemany(_INSERT_TX, tx_rows)
            db.executemany(_INSERT_EVENT, event_rows)
            db.executemany(_INSERT_CHANGE, change_rows)
            db.execute(_DELETE_STATE, (height,))
            db.execute(_UPSERT_STATE, (height,))

    # ------------------------------------------------------------------ reading

    def head_height(self) -> int:
        (head,) = self._rows("SELECT max(height) FROM blocks")[0]
        return -1 if head is None else head

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise damaged(self.path, exc) from exc

    def check_file(self) -> None:
        """Raise :class:`StoreError` unless SQLite finds the file (and its write-ahead log)
        sound and the block table holds heights ``0..head`` without a gap. Reads every page
        (``PRAGMA quick_check``): a truncated or overwritten file fails here."""
        problems = [row[0] for row in self._rows("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise damaged(self.path, "; ".join(str(p) for p in problems[:3]))
        count, low, high = self._rows("SELECT count(*), min(height), max(height) FROM blocks")[0]
        if count == 0 or low != 0 or high != count - 1:
            raise damaged(
                self.path, f"block heights are not 0..head ({count} blocks, {low}..{high})"
            )

    def history_problem(self) -> tuple[int, str] | None:
        """Check the ``changes`` table against itself and the ``state`` table in SQL: each
        write's replaced value is the previous write's value of that key, and the last write of
        every key is the current state. Returns ``(height, what differs)``, or None."""
        row = self._rows(
            "SELECT height, key FROM (SELECT height, key, prev, "
            "lag(value) OVER (PARTITION BY key ORDER BY height) AS before, "
            "row_number() OVER (PARTITION BY key ORDER BY height) AS n FROM changes) "
            "WHERE (n = 1 AND prev IS NOT NULL) OR (n > 1 AND prev IS NOT before) LIMIT 1"
        )
        if row:
            return row[0][0], (
                "the stored state changes and replaced values disagree: the value replaced "
                f"at key {row[0][1]!r} is not the one written there before"
            )
        row = self._rows(
            "SELECT key FROM (SELECT key, value, row_number() OVER "
            "(PARTITION BY key ORDER BY height DESC) AS n FROM changes) AS last "
            "WHERE n = 1 AND value IS NOT (SELECT value FROM state WHERE state.key = last.key) "
            "UNION ALL SELECT key FROM state WHERE key NOT IN (SELECT key FROM changes) LIMIT 1"
        )
        if row:
            return self.head_height(), (
                f"the stored current state differs from the last value written at key {row[0][0]!r}"
            )
        return None

    def find_tx(self, tx_hash: bytes) -> TxLocation | None:
        """Where transaction ``tx_hash`` was included, with its receipt's status, or None."""
        found = self._rows(
            "SELECT height, idx, ok, reason, message FROM txs WHERE hash = ? "
            "ORDER BY height LIMIT 1",
            (tx_hash,),
        )
        return TxLocation(*found[0][:2], bool(found[0][2]), *found[0][3:]) if found else None

    def get_state(self, key: bytes) -> bytes | None:
        """One key of the current state (the state after the head block)."""
        found = self._rows("SELECT value FROM state WHERE key = ?", (key,))
        return found[0][0] if found else None

    def _block_row(self, height: int, columns: str) -> tuple:
        found = self._rows(f"SELECT {columns} FROM blocks WHERE height = ?", (height,))
        if not found:
            raise StoreError(f"no block at height {height} (head is {self.head_height()})")
        return found[0]

    def get_header(self, height: int) -> BlockHeader:
        """The header of block ``height`` alone (cheaper than :meth:`get_block`)."""
        (raw,) = self._block_row(height, "header")
        return _decode(raw, BlockHeader, f"block {height} header")

    def headers(self, start: int = 0) -> Iterator[BlockHeader]:
        for height in range(start, self.head_height() + 1):
            yield self.get_header(height)

    def get_block(self, height: int) -> Block:
        raw_header, raw_commit = self._block_row(height, "header, last_commit")
        rows = self._rows("SELECT idx, body FROM txs WHERE height = ? ORDER BY idx", (height,))
        txs = tuple(
            _decode(body, SignedTransaction, f"block {height} transaction {index}")
            for index, body in rows
        )
        return Block(
            _decode(raw_header, BlockHeader, f"block {height} header"),
            txs,
            _decode(raw_commit, Certificate, f"block {height} last commit"),
        )

    def get_certificate(self, height: int) -> Certificate:
        (raw,) = self._block_row(height, "certificate")
        return _decode(raw, Certificate, f"block {height} certificate")

    def get_receipts(self, height: int) -> list[Receipt]:
        self._block_row(height, "height")
        events: dict[int, list[Event]] = {}
        for index, event in self._events_of(height, "tx_index >= 0"):
            events.setdefault(index, []).append(event)
        rows = self._rows(
            "SELECT idx, hash, ok, reason, message FROM txs WHERE height = ? ORDER BY idx",
            (height,),
        )
        return [
            Receipt(tx_hash, bool(ok), reason, message, tuple(events.get(index, ())))
            for index, tx_hash, ok, reason, message in rows
        ]

    def get_system_events(self, height: int) -> list[Event]:
        self._block_row(height, "height")
        return [event for _, event in self._events_of(height, f"tx_index = {SYSTEM_TX_INDEX}")]

    def _events_of(self, height: int, condition: str) -> Iterator[tuple[int, Event]]:
        rows = self._rows(
            "SELECT tx_index, contract, name, data, visible_to FROM events "
            f"WHERE height = ? AND {condition} ORDER BY tx_index, seq",
            (height,),
        )
        for tx_index, contract, name, data, visible_to in rows:
            yield tx_index, _event(height, contract, name, data, visible_to)

    def get_changes(self, height: int) -> dict[bytes, bytes | None]:
        self._block_row(height, "height")
        return dict(self._rows("SELECT key, value FROM changes WHERE height = ?", (height,)))

    def get_previous(self, height: int) -> dict[bytes, bytes | None]:
        self._block_row(height, "height")
        return dict(self._rows("SELECT key, prev FROM changes WHERE height = ?", (height,)))

    def load_state(self) -> dict[bytes, bytes]:
        return dict(self._rows("SELECT key, value FROM state"))

    def state_at(self, height: int) -> dict[bytes, bytes]:
        return self.scan_at(b"", height)

    def scan_at(self, prefix: bytes, height: int) -> dict[bytes, bytes]:
        """The keys starting with ``prefix`` and their values after block ``height``: the
        current state of that key range with every key written after ``height`` set back to
        the value its first later write replaced (two range queries)."""
        self._check_height(height)
        low, high = _key_range(prefix)
        where, args = ("key >= ?", [low]) if high is None else ("key >= ? AND key < ?", [low, high])
        state = dict(self._rows(f"SELECT key, value FROM state WHERE {where}", args))
        rows = self._rows(
            f"SELECT key, prev, min(height) FROM changes WHERE height > ? AND {where} "
            "GROUP BY key",  # SQLite returns the bare column `prev` from the min(height) row
            (height, *args),
        )
        for key, prev, _ in rows:
            if prev is None:
                state.pop(key, None)
            else:
                state[key] = prev
        return state

    def events(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        contract: str | None = None,
        name: str | None = None,
        visible_to: str | None = None,
    ) -> list[EventRecord]:
        """As :meth:`BlockStore.events`, answered by one indexed SQL query."""
        where = ["height >= ?"]
        params: list[Any] = [start]
        if stop is not None:
            where.append("height < ?")
            params.append(stop)
        if contract is not None:
            where.append("contract = ?")
            params.append(contract)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        if visible_to is not None:
            where.append(
                f"(visible_to = '{_PUBLIC}' OR EXISTS "
                "(SELECT 1 FROM json_each(events.visible_to) WHERE json_each.value = ?))"
            )
            params.append(visible_to)
        rows = self._rows(
            "SELECT height, tx_index, contract, name, data, visible_to FROM events "
            f"WHERE {' AND '.join(where)} ORDER BY height, tx_index, seq",
            params,
        )
        return [
            EventRecord(
                height,
                None if tx_index == SYSTEM_TX_INDEX else tx_index,
                _event(height, contract_, name_, data, readers),
            )
            for height, tx_index, contract_, name_, data, readers in rows
        ]


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        else:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            # Checkpoint the log every ~64 MiB instead of every 4 MiB: big blocks would
            # otherwise pay a checkpoint on most commits.
            db.execute("PRAGMA wal_autocheckpoint = 16384")
        db.execute("PRAGMA cache_size = -65536")
        return db
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the block store at {path}: {exc}") from exc


def _remove(database: Path) -> None:
    """Delete a database file with its write-ahead log and shared-memory index, if any."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _sync_directory(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _event_rows(height: int, tx_index: int, events: Sequence[Event]) -> list[tuple]:
    return [
        (
            height,
            tx_index,
            seq,
            event.contract,
            event.name,
            codec.encode(event.data),
            json.dumps(list(event.visible_to)) if event.visible_to else _PUBLIC,
        )
        for seq, event in enumerate(events)
    ]


def _event(height: int, contract: str, name: str, data: bytes, visible_to: str) -> Event:
    try:
        readers = () if visible_to == _PUBLIC else tuple(json.loads(visible_to))
    except ValueError as exc:
        raise IntegrityError(f"block {height} event readers are corrupt: {exc}") from exc
    return Event(contract, name, _decode(data, dict, f"block {height} event data"), readers)


def _decode(raw: bytes, type_: type[T], what: str) -> T:
    """Decode a stored blob; a blob that is not canonical is tampering, not bad input."""
    try:
        return codec.decode(raw, type_)
    except DecodeError as exc:
        raise IntegrityError(f"{what} is corrupt: {exc}") from exc

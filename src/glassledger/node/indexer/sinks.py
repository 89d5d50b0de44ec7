"""Where the indexer writes: one interface, two adapters (SQLite, PostgreSQL).

:class:`Sink` is the contract every adapter fulfils (STYLE.md lesson 3):

* ``last_height()`` (required): the highest block fully written, ``-1`` when empty;
* ``write(blocks)`` (required): write the rows of consecutive blocks and move
  ``last_height`` to the last of them **in one database transaction**, idempotently (a row
  already present is left as it is);
* ``key_owners()`` (required): the public-key -> participant map written so far;
* ``close()`` (required).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from glassledger.errors import ConfigError, StoreError
from glassledger.node.indexer.rows import BlockRows
from glassledger.node.indexer.schema import TABLES, columns, ddl

ROW_TABLES = [name for name, _, _ in TABLES if name != "index_meta"]
LAST_HEIGHT = "last_height"


class Sink(ABC):
    """A database the indexer writes to (see the module docstring)."""

    @abstractmethod
    def last_height(self) -> int: ...

    @abstractmethod
    def write(self, blocks: Sequence[BlockRows]) -> None: ...

    @abstractmethod
    def key_owners(self) -> dict[str, str]: ...

    @abstractmethod
    def close(self) -> None: ...


class SQLiteSink(Sink):
    """The default private database: one SQLite file (WAL, synchronous=FULL)."""

    def __init__(self, path: Path | str) -> None:
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            for statement in ddl("sqlite"):
                self.db.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the index database: {exc}") from exc
        self._inserts = {
            table: f"INSERT INTO {table} ({', '.join(columns(table))}) VALUES "
            f"({', '.join('?' for _ in columns(table))}) ON CONFLICT DO NOTHING"
            for table in ROW_TABLES
        }

    def last_height(self) -> int:
        row = self.db.execute(
            "SELECT value FROM index_meta WHERE name = ?", (LAST_HEIGHT,)
        ).fetchone()
        return -1 if row is None else row[0]

    def key_owners(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT public_key, participant FROM participant_keys"))

    def write(self, blocks: Sequence[BlockRows]) -> None:
        if not blocks:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for table in ROW_TABLES:
                rows = [row for block in blocks for row in getattr(block, table)]
                if rows:
                    self.db.executemany(self._inserts[table], rows)
            self.db.execute(
                "INSERT INTO index_meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (LAST_HEIGHT, blocks[-1].height),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


class PostgresSink(Sink):
    """PostgreSQL through psycopg 3 (``pip install glassledger[postgres]``)."""

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                "PostgreSQL indexing needs psycopg: pip install 'glassledger[postgres]'"
            ) from exc
        try:
            self.db = psycopg.connect(dsn, autocommit=False)
            with self.db.transaction():
                for statement in ddl("postgres"):
                    self.db.execute(statement)
        except psycopg.Error as exc:
            raise StoreError(f"cannot use PostgreSQL at {_redact(dsn)}: {exc}") from exc
        # Rows are COPYed into a session-local staging table, then moved with
        # ON CONFLICT DO NOTHING: COPY's speed with INSERT's idempotency.
        with self.db.transaction():
            for table in ROW_TABLES:
                self.db.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS stage_{table} "
                    f"(LIKE {table}) ON COMMIT DELETE ROWS"
                )

    def last_height(self) -> int:
        with self.db.transaction():
            row = self.db.execute(
                "SELECT value FROM index_meta WHERE name = %s", (LAST_HEIGHT,)
            ).fetchone()
        return -1 if row is None else row[0]

    def key_owners(self) -> dict[str, str]:
        with self.db.transaction():
            rows = self.db.execute("SELECT public_key, participant FROM participant_keys")
            return {key: who for key, who in rows}

    def write(self, blocks: Sequence[BlockRows]) -> None:
        if not blocks:
            return
        with self.db.transaction(), self.db.cursor() as cursor:
            for table in ROW_TABLES:
                rows = [row for block in blocks for row in getattr(block, table)]
                if not rows:
                    continue
                names = ", ".join(columns(table))
                with cursor.copy(f"COPY stage_{table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM stage_{table} "
                    "ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"TRUNCATE stage_{table}")
            cursor.execute(
                "INSERT INTO index_meta (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (LAST_HEIGHT, blocks[-1].height),
            )

    def close(self) -> None:
        self.db.close()


def _redact(dsn: str) -> str:
    """The DSN without its password (for messages)."""
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return dsn


def open_sink(sqlite: Path | str | None = None, postgres: str | None = None) -> Sink:
    """The sink named by exactly one of ``sqlite`` (a file) or ``postgres`` (a DSN)."""
    if (sqlite is None) == (postgres is None):
        raise ConfigError("name exactly one index database: an SQLite file or a PostgreSQL DSN")
    return SQLiteSink(sqlite) if sqlite is not None else PostgresSink(str(postgres))

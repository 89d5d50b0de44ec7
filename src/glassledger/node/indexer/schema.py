"""The indexer's tables, one definition for SQLite and PostgreSQL.

Every table is keyed so that writing a block twice changes nothing (``ON CONFLICT DO
NOTHING``), and ``index_meta.last_height`` moves in the same database transaction as the
block's rows: after a crash the indexer resumes at ``last_height + 1`` with no gap and no
duplicate.
"""

from __future__ import annotations

#: ``(table, columns with types, primary key)``; ``{json}`` is JSONB on PostgreSQL, TEXT on
#: SQLite; ``{bool}`` BOOLEAN / INTEGER.
TABLES: list[tuple[str, list[tuple[str, str]], str]] = [
    (
        "blocks",
        [
            ("height", "BIGINT NOT NULL"),
            ("hash", "TEXT NOT NULL"),
            ("prev_hash", "TEXT NOT NULL"),
            ("time_ms", "BIGINT NOT NULL"),
            ("proposer", "TEXT NOT NULL"),
            ("tx_count", "INTEGER NOT NULL"),
            ("ok_count", "INTEGER NOT NULL"),
            ("state_root", "TEXT NOT NULL"),
        ],
        "height",
    ),
    (
        "transactions",
        [
            ("height", "BIGINT NOT NULL"),
            ("idx", "INTEGER NOT NULL"),
            ("hash", "TEXT NOT NULL"),
            ("sender_key", "TEXT NOT NULL"),
            ("sender", "TEXT NOT NULL"),
            ("nonce", "NUMERIC NOT NULL"),
            ("contract", "TEXT NOT NULL"),
            ("method", "TEXT NOT NULL"),
            ("args", "{json} NOT NULL"),
            ("ok", "{bool} NOT NULL"),
            ("reason", "TEXT NOT NULL"),
            ("message", "TEXT NOT NULL"),
        ],
        "height, idx",
    ),
    (
        "events",
        [
            ("height", "BIGINT NOT NULL"),
            ("seq", "INTEGER NOT NULL"),
            ("tx_index", "INTEGER NOT NULL"),
            ("tx_hash", "TEXT NOT NULL"),
            ("contract", "TEXT NOT NULL"),
            ("name", "TEXT NOT NULL"),
            ("netting_set", "TEXT NOT NULL"),
            ("data", "{json} NOT NULL"),
            ("visible_to", "{json} NOT NULL"),
        ],
        "height, seq",
    ),
    (
        "state_changes",
        [
            ("height", "BIGINT NOT NULL"),
            ("contract", "TEXT NOT NULL"),
            ("key", "TEXT NOT NULL"),
            ("value", "{json}"),
        ],
        "contract, key, height",
    ),
    (
        "balances",
        [
            ("height", "BIGINT NOT NULL"),
            ("symbol", "TEXT NOT NULL"),
            ("holder", "TEXT NOT NULL"),
            ("amount", "NUMERIC NOT NULL"),
        ],
        "symbol, holder, height",
    ),
    (
        "participant_keys",
        [("public_key", "TEXT NOT NULL"), ("participant", "TEXT NOT NULL"), ("height", "BIGINT")],
        "public_key",
    ),
    ("index_meta", [("name", "TEXT NOT NULL"), ("value", "BIGINT NOT NULL")], "name"),
]

INDEXES = [
    "CREATE INDEX IF NOT EXISTS transactions_hash ON transactions (hash)",
    "CREATE INDEX IF NOT EXISTS transactions_sender ON transactions (sender, height)",
    "CREATE INDEX IF NOT EXISTS events_netting_set ON events (netting_set, height)",
    "CREATE INDEX IF NOT EXISTS events_contract_name ON events (contract, name, height)",
    "CREATE INDEX IF NOT EXISTS balances_holder ON balances (holder, symbol, height)",
]


def ddl(dialect: str) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` statements for ``sqlite`` or ``postgres``."""
    json_type, bool_type = ("JSONB", "BOOLEAN") if dialect == "postgres" else ("TEXT", "INTEGER")
    statements = []
    for table, columns, key in TABLES:
        cols = ", ".join(
            f"{name} {kind.format(json=json_type, bool=bool_type)}" for name, kind in columns
        )
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({key}))")
    return statements + INDEXES


def columns(table: str) -> list[str]:
    for name, cols, _ in TABLES:
        if name == table:
            return [c for c, _ in cols]
    raise KeyError(table)

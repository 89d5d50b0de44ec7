"""The indexer: finalized blocks into SQL, idempotent, resumable, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest

from glassledger.ledger.codec import decode
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.node.indexer import PostgresSink, SQLiteSink, index_store, open_sink
from support.desk import DeskChain


def _book(ns, client, trade, notional, mtm=0):
    args = {"netting_set": ns, "counterparty": client, "trade_id": trade, "notional": notional}
    return ("dealer-0", "book", {**args, "days": 365, "mtm": mtm})


def _chain(tmp_path, blocks: int = 12):
    """A desk chain on SQLite: transfers, bookings and marks over ``blocks`` blocks."""
    desk = DeskChain.create()
    desk.run(_book("ns1", "client-0", "t1", 5_000_000_00, 10))
    desk.run(_book("ns2", "client-1", "t2", 1_000_000_00))
    for i in range(blocks):
        desk.send(
            (
                "client-0",
                "token",
                "transfer",
                {"symbol": "USD", "to": "client-1", "amount": 100 + i},
            ),
            ("dealer-0", "desk", "mark", {"trade_id": "t1", "mtm": 1_000 * i}),
        )
    path = tmp_path / "chain.sqlite"
    from glassledger.node.bookkeeper import export

    export(desk.store, path, desk.registry)
    return desk, path


def _balance_at(db, holder: str, height: int) -> int:
    row = db.execute(
        "SELECT amount FROM balances WHERE symbol = 'USD' AND holder = ? AND height <= ? "
        "ORDER BY height DESC LIMIT 1",
        (holder, height),
    ).fetchone()
    return 0 if row is None else int(row[0])


def test_balances_at_any_height_match_the_ledger_state(tmp_path):
    desk, path = _chain(tmp_path)
    sink = SQLiteSink(tmp_path / "index.sqlite")
    rows = index_store(SQLiteStore.open(path, readonly=True), sink)
    assert rows > 0 and sink.last_height() == desk.height
    db = sqlite3.connect(tmp_path / "index.sqlite")
    for height in (0, 3, desk.height):
        state = desk.store.state_at(height)
        for holder in ("client-0", "client-1"):
            raw = state.get(f"token/b/USD/{holder}".encode())
            assert _balance_at(db, holder, height) == (0 if raw is None else decode(raw, Any))
    (blocks,) = db.execute("SELECT count(*) FROM blocks").fetchone()
    assert blocks == desk.height + 1
    senders = {s for (s,) in db.execute("SELECT DISTINCT sender FROM transactions")}
    assert senders == {"client-0", "dealer-0"}


def test_every_event_of_a_netting_set_is_queryable(tmp_path):
    _, path = _chain(tmp_path, blocks=5)
    index_store(SQLiteStore.open(path, readonly=True), SQLiteSink(tmp_path / "i.sqlite"))
    db = sqlite3.connect(tmp_path / "i.sqlite")
    names = [
        n
        for (n,) in db.execute(
            "SELECT name FROM events WHERE netting_set = 'ns1' ORDER BY height, seq"
        )
    ]
    assert names == ["netting_set_opened", "trade_recorded"] + ["trade_marked"] * 5
    (data,) = db.execute(
        "SELECT data FROM events WHERE netting_set = 'ns1' AND name = 'trade_marked' "
        "ORDER BY height DESC LIMIT 1"
    ).fetchone()
    assert json.loads(data)["mtm"] == 4_000


def test_indexing_twice_or_in_pieces_gives_the_same_rows(tmp_path):
    _, path = _chain(tmp_path)
    store = SQLiteStore.open(path, readonly=True)
    whole = SQLiteSink(tmp_path / "whole.sqlite")
    index_store(store, whole)
    pieces = SQLiteSink(tmp_path / "pieces.sqlite")
    for stop in (0, 3, 4, 9):
        index_store(store, pieces, until=stop, batch_blocks=2)
    index_store(store, pieces)
    assert index_store(store, pieces) == 0  # nothing new: nothing written
    tables = ["blocks", "transactions", "events", "state_changes", "balances"]
    for table in tables:
        a = sorted(whole.db.execute(f"SELECT * FROM {table}").fetchall())
        b = sorted(pieces.db.execute(f"SELECT * FROM {table}").fetchall())
        assert a == b, table


def test_postgres_matches_sqlite_row_for_row(tmp_path, postgres_dsn):
    _, path = _chain(tmp_path, blocks=6)
    store = SQLiteStore.open(path, readonly=True)
    lite = SQLiteSink(tmp_path / "i.sqlite")
    pg = PostgresSink(postgres_dsn)
    assert index_store(store, lite) == index_store(store, pg)
    with pg.db.transaction():
        (count,) = pg.db.execute("SELECT count(*) FROM events").fetchone()
        (mtm,) = pg.db.execute(
            "SELECT (data->>'mtm')::bigint FROM events WHERE netting_set = 'ns1' "
            "AND name = 'trade_marked' ORDER BY height DESC LIMIT 1"
        ).fetchone()
    assert count == lite.db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert mtm == 5_000


def _counts(sink) -> dict[str, int]:
    out = {}
    for table in ("blocks", "transactions", "events", "state_changes", "balances"):
        with sink.db.transaction():
            out[table] = sink.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return out


@pytest.mark.slow
def test_postgres_indexer_survives_kills_mid_stream(tmp_path, postgres_dsn):
    """SIGKILL the indexing process at random moments; each restart resumes with no gap and
    no duplicate, ending with exactly the rows of one uninterrupted run."""
    desk, path = _chain(tmp_path, blocks=150)
    home = tmp_path / "home"
    home.mkdir()
    (home / "chain.sqlite").write_bytes(path.read_bytes())
    command = [sys.executable, "-m", "glassledger.node.indexer", "--home", str(home)]
    command += ["--postgres", postgres_dsn, "--batch-blocks", "2"]
    rng = random.Random(7)
    env = dict(os.environ)
    pg = open_sink(postgres=postgres_dsn)
    seen = []
    for _ in range(6):
        before = pg.last_height()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while pg.last_height() == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen.append(pg.last_height())
    assert any(0 <= h < desk.height for h in seen), seen  # some kill landed mid-stream
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert pg.last_height() == desk.height
    lite = SQLiteSink(tmp_path / "ref.sqlite")
    index_store(SQLiteStore.open(path, readonly=True), lite)
    expected = {t: lite.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _counts(pg)}
    assert _counts(pg) == expected
    with pg.db.transaction():
        heights = [h for (h,) in pg.db.execute("SELECT height FROM blocks ORDER BY height")]
    assert heights == list(range(desk.height + 1))

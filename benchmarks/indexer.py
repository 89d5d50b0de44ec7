"""Indexer throughput: rows per second into PostgreSQL, against SQLite in the same run.

Run: ``.venv/bin/python benchmarks/indexer.py [--blocks 20] [--txs 2000] [--postgres DSN]``
(DSN default: ``$GLASSLEDGER_TEST_POSTGRES``; a fresh schema is made and dropped).

Builds a chain of ``blocks`` blocks of ``txs`` signed transfers (in memory), then indexes it
into (1) a new SQLite file (WAL, synchronous=FULL) — the baseline — and (2) PostgreSQL
through psycopg 3; prints rows/s for each and the ratio PostgreSQL / SQLite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from glassledger.node.indexer import PostgresSink, SQLiteSink, index_store
from ledger_storage import build_chain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--txs", type=int, default=2_000)
    parser.add_argument("--postgres", default=os.environ.get("GLASSLEDGER_TEST_POSTGRES", ""))
    args = parser.parse_args()
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    store = build_chain(args.blocks, args.txs)
    transfers = args.blocks * args.txs
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        rows = index_store(store, SQLiteSink(Path(tmp) / "index.sqlite"))
        lite = rows / (time.perf_counter() - start)
    print(f"chain: {args.blocks} blocks x {args.txs} transfers = {transfers:,}; {rows:,} rows")
    print(f"SQLite (baseline):  {lite:12,.0f} rows/s")
    if not args.postgres:
        print("PostgreSQL: no DSN (--postgres or GLASSLEDGER_TEST_POSTGRES)")
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            joiner = "&" if "?" in args.postgres else "?"
            sink = PostgresSink(f"{args.postgres}{joiner}options=-csearch_path%3D{schema}")
            start = time.perf_counter()
            rows = index_store(store, sink)
            pg = rows / (time.perf_counter() - start)
            sink.close()
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    print(f"PostgreSQL:         {pg:12,.0f} rows/s  ({pg / lite:.2f}x SQLite)")
    print(f"PostgreSQL:         {pg * transfers / rows:12,.0f} transfers/s indexed")


if __name__ == "__main__":
    main()

"""Storage, replay and proof costs of the SQLite block store.

Run: ``.venv/bin/python benchmarks/ledger_storage.py [--blocks 5] [--txs 10000]``

Prints, measured in the same run:

1. ``SQLiteStore.put_block`` of a block of N signed transfers (header, transactions,
   certificate, receipts, events, state changes with replaced values, current state) in one
   durable transaction (WAL, ``synchronous=FULL``), against the baseline of writing the same
   block's encoded bytes as one blob in one transaction of an identically configured SQLite
   file (the floor for any durable write of that data);
2. ``verify_chain`` replay throughput (transfers per second, every signature checked, every
   root recomputed), against the raw Ed25519 verification rate of one core and, with a
   ``BatchVerifier``, of all cores;
3. ``state_at`` and ``prove`` at the oldest height (state rebuilt backwards from the head).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.ledger import codec
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair, verify
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.verify import prove, verify_chain
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

CLIENTS = 200


def build_chain(blocks: int, txs: int) -> MemoryStore:
    """A devnet chain of ``blocks`` blocks of ``txs`` transfers each, in memory."""
    genesis = devnet_genesis(clients=CLIENTS, params={"max_block_txs": txs})
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    chain = Chain(registry, store, state)
    signer = Signer(genesis.chain_id)
    authorities = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    for _ in range(blocks):
        batch = [
            signer.tx(
                f"client-{i % CLIENTS}",
                "token",
                "transfer",
                symbol="USD",
                to=f"client-{(i * 7 + 1) % CLIENTS}",
                amount=1 + i % 50,
            )
            for i in range(txs)
        ]
        height = chain.height + 1
        block = chain.propose(chain.head.timestamp_ms + 1000, authorities[height % 4].public, batch)
        seals = tuple(CommitSeal.make(k, block.hash) for k in authorities[:3])
        chain.commit(block, Certificate(0, seals))
    return store


def time_put_blocks(source: MemoryStore, folder: Path) -> tuple[SQLiteStore, list[float]]:
    store = SQLiteStore.create(
        folder / "chain.sqlite", source.get_block(0), GENESIS_CERTIFICATE, source.get_changes(0)
    )
    times = []
    for height in range(1, source.head_height() + 1):
        record = (
            source.get_block(height),
            source.get_certificate(height),
            source.get_receipts(height),
            source.get_system_events(height),
            source.get_changes(height),
        )
        start = time.perf_counter()
        store.put_block(*record)
        times.append(time.perf_counter() - start)
    return store, times


def time_blob_baseline(source: MemoryStore, folder: Path) -> list[float]:
    """One durable transaction per block writing the block's encoded bytes as one blob."""
    db = sqlite3.connect(folder / "blob.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA wal_autocheckpoint = 16384")
    db.execute("CREATE TABLE blocks (height INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    times = []
    for height in range(1, source.head_height() + 1):
        changes = sorted(source.get_changes(height).items())
        start = time.perf_counter()
        body = codec.encode(
            [
                source.get_block(height),
                source.get_certificate(height),
                source.get_receipts(height),
                changes,
            ]
        )
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO blocks VALUES (?, ?)", (height, body))
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    db.close()
    return times


def raw_verify_rate(store: MemoryStore, verifier: BatchVerifier | None) -> float:
    items = [tx.verification_item() for tx in store.get_block(1).txs]
    start = time.perf_counter()
    if verifier is None:
        assert all(verify(*item) for item in items)
    else:
        assert all(verifier.verify_many(items))
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--txs", type=int, default=10_000)
    args = parser.parse_args()
    registry = standard_registry()
    print(f"building {args.blocks} blocks of {args.txs:,} signed transfers in memory ...")
    source = build_chain(args.blocks, args.txs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, put = time_put_blocks(source, folder)
        blob = time_blob_baseline(source, folder)
        print("\n1. durable write of one block (WAL, synchronous=FULL), median of blocks")
        print(f"   SQLiteStore.put_block        {statistics.median(put) * 1e3:8.1f} ms")
        print(f"   baseline: one blob per block {statistics.median(blob) * 1e3:8.1f} ms")
        ratio = statistics.median(put) / statistics.median(blob)
        print(f"   ratio put_block / blob       {ratio:8.2f}x")
        print(f"   max put_block                {max(put) * 1e3:8.1f} ms")
        total = args.blocks * args.txs

        start = time.perf_counter()
        verify_chain(store, registry)
        serial = total / (time.perf_counter() - start)
        one_core = raw_verify_rate(source, None)
        with BatchVerifier() as verifier:
            all_cores = raw_verify_rate(source, verifier)
            start = time.perf_counter()
            verify_chain(store, registry, verifier=verifier)
            batched = total / (time.perf_counter() - start)
        print("\n2. verify_chain replay (signatures, seals, re-execution, every root)")
        print(f"   replay, signatures inline      {serial:10,.0f} transfers/s")
        print(
            f"   raw Ed25519 verify, one core   {one_core:10,.0f} /s  ratio {serial / one_core:.2f}"
        )
        print(f"   replay, BatchVerifier          {batched:10,.0f} transfers/s")
        ratio = batched / all_cores
        print(f"   raw Ed25519 verify, all cores  {all_cores:10,.0f} /s  ratio {ratio:.2f}")

        start = time.perf_counter()
        state = store.state_at(0)
        rebuilt = time.perf_counter() - start
        start = time.perf_counter()
        proof = prove(store, b"token/b/USD/client-1", 0)
        proving = time.perf_counter() - start
        assert proof.verify(store.get_header(0).state_root)
        print("\n3. reading the past")
        keys = len(state)
        print(f"   state_at(0) after {total:,} transfers: {rebuilt * 1e3:.1f} ms ({keys:,} keys)")
        print(f"   prove(key, 0) incl. tree rebuild:            {proving * 1e3:.1f} ms")
        size = sum(f.stat().st_size for f in folder.glob("chain.sqlite*"))
        print(f"   store size (database + log): {size / 1e6:.1f} MB")
        store.close()


if __name__ == "__main__":
    main()

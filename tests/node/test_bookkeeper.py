"""Bookkeeping nodes follow a chain, check every signature and keep a private copy."""

from __future__ import annotations

import threading

import pytest

from glassledger.errors import StoreError
from glassledger.ledger import codec
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.verify import ChainIntegrityError, verify_chain
from glassledger.node.bookkeeper import Bookkeeper, export


def transfer(dev, sender: str, to: str, amount: int):
    return dev.tx(sender, "token", "transfer", symbol="USD", to=to, amount=amount)


def test_bookkeeper_follows_a_growing_chain_from_a_readonly_source(make_dev, tmp_path):
    source = make_dev(path=tmp_path / "authority.sqlite")
    source.commit([transfer(source, "client-0", "client-1", 100)])
    reader = SQLiteStore.open(tmp_path / "authority.sqlite", readonly=True)
    keeper = Bookkeeper.start(reader, tmp_path / "keeper.sqlite", source.registry)
    assert keeper.sync() == 1
    source.commit([transfer(source, "client-1", "client-2", 30)])
    source.commit([transfer(source, "client-2", "client-3", 10**15)])
    seen = []
    assert keeper.sync(progress=seen.append) == 2 and seen == [2, 3]
    assert keeper.sync() == 0
    assert keeper.store.load_state() == source.store.load_state()
    for height in range(4):
        assert keeper.store.get_block(height) == source.store.get_block(height)
        assert codec.encode(keeper.store.get_receipts(height)) == codec.encode(
            source.store.get_receipts(height)
        )
    keeper.close()
    # restart: the private database is reopened and the bookkeeper carries on
    source.commit([])
    keeper = Bookkeeper.start(reader, tmp_path / "keeper.sqlite", source.registry)
    assert keeper.chain.height == 3 and keeper.sync() == 1
    assert verify_chain(keeper.store, source.registry) == 4


def test_bookkeeper_with_batch_signature_checks_and_follow_loop(make_dev, tmp_path):
    source = make_dev()
    source.commit([transfer(source, "client-0", "client-1", 5) for _ in range(3)])
    stop = threading.Event()
    with BatchVerifier(workers=1) as verifier:
        keeper = Bookkeeper.start(
            source.store, tmp_path / "k.sqlite", source.registry, verifier=verifier
        )
        source.commit([transfer(source, "client-1", "client-0", 1)])
        thread = threading.Thread(target=keeper.follow, args=(stop, 0.01))
        thread.start()
        try:
            for _ in range(500):
                if keeper.chain.height == 2:
                    break
                stop.wait(0.01)
        finally:
            stop.set()
            thread.join()
    assert keeper.chain.height == 2
    assert keeper.store.load_state() == source.store.load_state()


def _forged_source(dev) -> MemoryStore:
    """A copy of ``dev``'s chain whose block 2 was signed by non-authorities."""
    block2 = dev.store.get_block(2)
    outsiders = [dev.keys(f"client-{i}") for i in range(3)]
    forged = Certificate(0, tuple(CommitSeal.make(k, block2.hash) for k in outsiders))
    copy = MemoryStore()
    for height in range(dev.store.head_height() + 1):
        copy.put_block(
            dev.store.get_block(height),
            forged if height == 2 else dev.store.get_certificate(height),
            dev.store.get_receipts(height),
            dev.store.get_system_events(height),
            dev.store.get_changes(height),
        )
    return copy


def test_bookkeeper_refuses_seals_from_non_authorities_and_writes_nothing(make_dev, tmp_path):
    dev = make_dev()
    dev.commit([transfer(dev, "client-0", "client-1", 7)])
    dev.commit([transfer(dev, "client-1", "client-2", 3)])
    keeper = Bookkeeper.start(_forged_source(dev), tmp_path / "k.sqlite", dev.registry)
    with pytest.raises(ChainIntegrityError, match=r"block 2: refused: .*not an authority"):
        keeper.sync()
    assert keeper.store.head_height() == 1
    assert keeper.store.load_state() == dev.store.state_at(1)


def test_bookkeeper_refuses_a_block_with_a_forged_transaction(make_dev, tmp_path):
    dev = make_dev()
    dev.commit([transfer(dev, "client-0", "client-1", 7)])
    good = dev.store.get_block(1)
    signed = good.txs[0]
    forged_tx = type(signed)(signed.tx, bytes(64))
    forged = type(good)(good.header, (forged_tx,), good.last_commit)
    source = MemoryStore()
    source.put_block(
        dev.store.get_block(0), dev.store.get_certificate(0), [], [], dev.store.get_changes(0)
    )
    source.put_block(forged, dev.store.get_certificate(1), [], [], {})
    keeper = Bookkeeper.start(source, tmp_path / "k.sqlite", dev.registry)
    with pytest.raises(ChainIntegrityError, match="block 1: refused"):
        keeper.sync()
    assert keeper.store.head_height() == 0


def test_export_writes_a_verified_copy(make_dev, tmp_path):
    dev = make_dev()
    for amount in (1, 2, 3):
        dev.commit([transfer(dev, "client-0", "client-3", amount)])
    assert export(dev.store, tmp_path / "copy.sqlite", dev.registry) == 3
    copy = SQLiteStore.open(tmp_path / "copy.sqlite")
    assert verify_chain(copy, dev.registry, genesis_hash=dev.store.get_block(0).hash) == 3
    assert copy.load_state() == dev.store.load_state()
    with pytest.raises(StoreError, match="already exists"):
        export(dev.store, tmp_path / "copy.sqlite", dev.registry)


def test_bookkeeper_refuses_a_database_of_another_chain(make_dev, tmp_path):
    a = make_dev()
    b = make_dev(clients=5)
    export(a.store, tmp_path / "a.sqlite", a.registry)
    with pytest.raises(StoreError, match="different chain"):
        Bookkeeper.start(b.store, tmp_path / "a.sqlite", b.registry)
    with pytest.raises(StoreError, match="different chain"):
        Bookkeeper.start(a.store, tmp_path / "a.sqlite", a.registry, genesis_hash=bytes(32))
    keeper = Bookkeeper.start(
        a.store, tmp_path / "a.sqlite", a.registry, genesis_hash=a.store.get_block(0).hash
    )
    assert keeper.sync() == 0

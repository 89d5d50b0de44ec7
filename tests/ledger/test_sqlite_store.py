"""SQLiteStore: round trip against MemoryStore, state at any height, event queries, atomicity."""

from __future__ import annotations

import sqlite3

import pytest

from glassledger.errors import StoreError
from glassledger.ledger import codec
from glassledger.ledger.block import Certificate
from glassledger.ledger.chain import Chain
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import Event
from glassledger.node.genesis import GENESIS_CERTIFICATE


def run_activity(dev) -> None:
    """Four blocks: transfers, a mint, a burn, rejected transactions, an empty block."""
    dev.commit(
        [
            dev.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=250),
            dev.tx("client-1", "token", "transfer", symbol="USD", to="client-2", amount=10**15),
            dev.tx("bank", "token", "mint", symbol="USD", to="client-3", amount=7_00),
        ]
    )
    dev.commit([])
    dev.commit(
        [
            dev.tx("bank", "token", "mint", symbol="USD", to="bank", amount=50),
            dev.tx("bank", "token", "burn", symbol="USD", amount=50),
            dev.tx("client-2", "token", "nope", symbol="USD"),
        ]
    )
    dev.commit([dev.tx("client-3", "token", "transfer", symbol="USD", to="client-0", amount=1)])


@pytest.fixture
def pair(make_dev, tmp_path):
    """The same activity on a MemoryStore chain and on a SQLiteStore chain."""
    memory, disk = make_dev(), make_dev(path=tmp_path / "chain.sqlite")
    run_activity(memory)
    run_activity(disk)
    return memory, disk


def test_round_trip_equals_memory_store(pair):
    memory, disk = pair
    a, b = memory.store, disk.store
    assert a.head_height() == b.head_height() == 4
    for height in range(5):
        assert b.get_block(height) == a.get_block(height)
        assert b.get_certificate(height) == a.get_certificate(height)
        assert codec.encode(b.get_receipts(height)) == codec.encode(a.get_receipts(height))
        assert codec.encode(b.get_system_events(height)) == codec.encode(
            a.get_system_events(height)
        )
        assert b.get_changes(height) == a.get_changes(height)
        assert b.get_previous(height) == a.get_previous(height)
        assert b.get_header(height) == a.get_block(height).header
    assert b.load_state() == a.load_state() == disk.chain.state.data
    assert [r.ok for r in b.get_receipts(1)] == [True, False, True]


def test_state_at_every_height_matches_the_header_root(pair):
    memory, disk = pair
    for height in range(5):
        from glassledger.ledger.state import State

        state = disk.store.state_at(height)
        assert state == memory.store.state_at(height)
        assert State.from_items(state).root == disk.store.get_header(height).state_root
    assert disk.store.state_at(4) == disk.store.load_state()
    with pytest.raises(StoreError, match="no block at height 5"):
        disk.store.state_at(5)


def test_scan_at_reads_one_key_range_as_state_at_does(pair):
    """The range read (used by the client protocol's StateRequest) equals filtering the
    whole state, on both stores, for prefixes inside, across and past the keys (a prefix
    ending in 0xff has no simple upper bound)."""
    memory, disk = pair
    keys = sorted(disk.store.load_state())
    prefixes = [b"", b"token/", b"token/b/USD/", keys[0][:3], b"token\xff", b"\xff\xff", b"zzz"]
    for height in range(5):
        full = disk.store.state_at(height)
        for prefix in prefixes:
            want = {k: v for k, v in full.items() if k.startswith(prefix)}
            assert disk.store.scan_at(prefix, height) == want, (prefix, height)
            assert memory.store.scan_at(prefix, height) == want, (prefix, height)
    assert disk.store.scan_at(b"token/", 1) != disk.store.scan_at(b"token/", 4)
    with pytest.raises(StoreError, match="no block at height 5"):
        disk.store.scan_at(b"token/", 5)


def test_reopen_resumes_the_chain(pair, tmp_path):
    _, disk = pair
    disk.store.close()
    store = SQLiteStore.open(tmp_path / "chain.sqlite")
    chain = Chain.open(disk.registry, store)
    assert chain.height == 4
    assert chain.state.root == store.get_header(4).state_root
    disk.chain = chain
    receipts = disk.commit(
        [disk.tx("client-0", "token", "transfer", symbol="USD", to="client-2", amount=3)]
    )
    assert receipts[0].ok and store.head_height() == 5


def test_events_query_by_contract_name_height(pair):
    memory, disk = pair
    minted = disk.store.events(contract="token", name="minted")
    assert [(r.height, r.tx_index, r.event.data["amount"]) for r in minted] == [
        (1, 2, 7_00),
        (3, 0, 50),
    ]
    assert disk.store.events(2, 4, name="transferred") == []
    assert [r.height for r in disk.store.events(4, name="transferred")] == [4]
    assert codec.encode(disk.store.events()) == codec.encode(memory.store.events())


def test_events_visible_to_filters_private_events(dev, tmp_path):
    block = dev.chain.propose(dev.chain.head.timestamp_ms + 1, dev.authority_keys[1].public, [])
    result = dev.chain.receipts_of(block.hash)
    store = SQLiteStore.create(
        tmp_path / "s.sqlite", dev.store.get_block(0), GENESIS_CERTIFICATE, dev.store.load_state()
    )
    private = [
        Event("c", "quote", {"px": 1}, ("dealer-1", "client-0")),
        Event("c", "quote", {"px": 2}, ()),
        Event("c", "quote", {"px": 3}, ("dealer-2",)),
    ]
    store.put_block(block, Certificate(0, ()), [], private, result.overlay.changes)
    for other in (store, _memory_copy(store)):
        seen = other.events(visible_to="client-0")
        assert [r.event.data["px"] for r in seen] == [1, 2]
        assert [r.tx_index for r in seen] == [None, None]
        assert [r.event.data["px"] for r in other.events(visible_to="dealer-2")] == [2, 3]
        assert len(other.events()) == 3


def _memory_copy(store):
    from glassledger.ledger.store import MemoryStore

    copy = MemoryStore()
    for h in range(store.head_height() + 1):
        copy.put_block(
            store.get_block(h),
            store.get_certificate(h),
            store.get_receipts(h),
            store.get_system_events(h),
            store.get_changes(h),
        )
    return copy


def test_put_block_out_of_order_writes_nothing(pair):
    memory, disk = pair
    before = disk.store.load_state()
    with pytest.raises(StoreError, match="expected block 5, got block 2"):
        disk.store.put_block(
            memory.store.get_block(2),
            memory.store.get_certificate(2),
            memory.store.get_receipts(2),
            [],
            {b"token/x": b"\x01"},
        )
    assert disk.store.head_height() == 4 and disk.store.load_state() == before


def test_failed_write_rolls_back_the_whole_block(pair, tmp_path):
    """A block whose insert fails part-way (here: a receipt row the schema refuses) leaves no
    trace: not its header, not its state changes."""
    memory, disk = pair
    block = disk.chain.propose(disk.chain.head.timestamp_ms + 1, disk.authority_keys[1].public, [])
    changes = disk.chain.receipts_of(block.hash).overlay.changes
    db = sqlite3.connect(tmp_path / "chain.sqlite")
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'x'); END")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="nothing written"):
        disk.store.put_block(block, Certificate(0, ()), [], [], changes)
    assert disk.store.head_height() == 4
    assert disk.store.load_state() == memory.store.load_state()


def test_create_refuses_an_existing_file_and_open_a_foreign_one(make_dev, tmp_path):
    dev = make_dev(path=tmp_path / "a.sqlite")
    with pytest.raises(StoreError, match="already exists"):
        SQLiteStore.create(tmp_path / "a.sqlite", dev.store.get_block(0), GENESIS_CERTIFICATE, {})
    foreign = tmp_path / "other.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="not a glassledger block store"):
        SQLiteStore.open(foreign)
    with pytest.raises(StoreError, match="no block store"):
        SQLiteStore.open(tmp_path / "missing.sqlite")


def test_store_is_in_wal_mode_with_full_sync(pair, tmp_path):
    _, disk = pair
    db = disk.store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_readonly_reader_sees_blocks_committed_by_the_writer(pair, tmp_path):
    _, disk = pair
    reader = SQLiteStore.open(tmp_path / "chain.sqlite", readonly=True)
    assert reader.head_height() == 4
    disk.commit([])
    assert reader.head_height() == 5
    assert reader.get_block(5) == disk.store.get_block(5)
    with pytest.raises(StoreError, match="read-only"):
        reader.put_block(disk.store.get_block(5), Certificate(0, ()), [], [], {})


def test_a_reader_thread_never_sees_a_half_written_block(make_dev, tmp_path):
    import threading

    dev = make_dev(path=tmp_path / "chain.sqlite")
    stop, problems = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            head = dev.store.head_height()
            block, receipts = dev.store.get_block(head), dev.store.get_receipts(head)
            if len(receipts) != len(block.txs):
                problems.append(head)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for amount in range(1, 9):
            dev.commit(
                [
                    dev.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=a)
                    for a in range(1, 20 * amount)
                ]
            )
    finally:
        stop.set()
        reader.join()
    assert problems == [] and dev.store.head_height() == 8


def test_create_is_atomic(dev, tmp_path):
    """A store appears at its path only complete; a draft left by a crashed create is
    replaced, and a create that fails leaves nothing at the path."""
    path = tmp_path / "chain.sqlite"
    (tmp_path / "chain.sqlite.creating").write_bytes(b"half-written by a killed process")
    genesis = dev.store.get_block(0)
    bad = type(genesis)(
        genesis.header,
        (*genesis.txs, dev.tx("bank", "x", "y")),
        genesis.last_commit,
    )
    with pytest.raises(StoreError, match="0 receipts for 1 transactions"):
        SQLiteStore.create(path, bad, GENESIS_CERTIFICATE, dev.store.load_state())
    assert list(tmp_path.iterdir()) == []
    store = SQLiteStore.create(path, genesis, GENESIS_CERTIFICATE, dev.store.get_changes(0))
    assert store.head_height() == 0 and store.load_state() == dev.store.get_changes(0)
    assert not any("creating" in p.name for p in tmp_path.iterdir())

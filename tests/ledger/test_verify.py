"""verify_chain detects tampering on disk; state proofs at any height."""

from __future__ import annotations

import shutil
import sqlite3

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glassledger.errors import IntegrityError, StoreError
from glassledger.ledger import codec
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction
from glassledger.ledger.verify import (
    ChainIntegrityError,
    check_store,
    prove,
    prove_many,
    verify_chain,
)

BALANCE = b"token/b/USD/client-1"


@pytest.fixture
def disk(make_dev, tmp_path):
    """A 4-block chain in SQLite: transfers in blocks 1 and 3, an empty block 2, and a
    rejected transfer in block 4."""
    dev = make_dev(path=tmp_path / "chain.sqlite")
    t = dev.tx
    dev.commit([t("client-0", "token", "transfer", symbol="USD", to="client-1", amount=250)])
    dev.commit([])
    dev.commit(
        [
            t("client-1", "token", "transfer", symbol="USD", to="client-2", amount=40),
            t("client-2", "token", "transfer", symbol="USD", to="client-3", amount=5),
        ]
    )
    dev.commit([t("client-3", "token", "transfer", symbol="USD", to="client-0", amount=10**15)])
    dev.path = tmp_path / "chain.sqlite"
    return dev


def tamper(dev, sql: str, *params) -> SQLiteStore:
    """Change the file behind the store's back, as an attacker with disk access would."""
    dev.store.close()
    db = sqlite3.connect(dev.path)
    assert db.execute(sql, params).rowcount == 1
    db.commit()
    db.close()
    return SQLiteStore.open(dev.path)


def test_an_untouched_chain_verifies(disk):
    seen = []
    assert verify_chain(disk.store, disk.registry, progress=seen.append) == 4
    assert seen == [0, 1, 2, 3, 4]
    with BatchVerifier(workers=1) as verifier:
        assert verify_chain(disk.store, disk.registry, verifier=verifier) == 4


def test_pinned_genesis_hash(disk):
    genesis = disk.store.get_block(0).hash
    assert verify_chain(disk.store, disk.registry, genesis_hash=genesis) == 4
    with pytest.raises(ChainIntegrityError, match="block 0: genesis hash"):
        verify_chain(disk.store, disk.registry, genesis_hash=bytes(32))


def _stored_tx(dev, height: int, index: int) -> SignedTransaction:
    return dev.store.get_block(height).txs[index]


def test_amount_changed_inside_a_stored_transaction_is_detected(disk):
    signed = _stored_tx(disk, 3, 0)
    forged = SignedTransaction(
        msgspec.structs.replace(signed.tx, args={**signed.tx.args, "amount": 4_000}),
        signed.signature,
    )
    store = tamper(
        disk, "UPDATE txs SET body = ? WHERE height = 3 AND idx = 0", codec.encode(forged)
    )
    with pytest.raises(ChainIntegrityError, match="transaction root mismatch") as caught:
        verify_chain(store, disk.registry)
    assert caught.value.height == 3


def test_a_flipped_byte_in_a_header_is_detected(disk):
    raw = bytearray(
        disk.store._db.execute("SELECT header FROM blocks WHERE height = 2").fetchone()[0]
    )
    raw[raw.find(disk.store.get_header(2).state_root) + 5] ^= 0x01
    store = tamper(disk, "UPDATE blocks SET header = ? WHERE height = 2", bytes(raw))
    with pytest.raises(ChainIntegrityError, match=r"block 2: certificate: .*bad seal") as caught:
        verify_chain(store, disk.registry)
    assert caught.value.height == 2


def test_undecodable_blob_is_reported_at_its_height(disk):
    store = tamper(disk, "UPDATE txs SET body = x'c1' WHERE height = 1 AND idx = 0")
    with pytest.raises(ChainIntegrityError, match=r"block 1: unreadable: .*corrupt"):
        verify_chain(store, disk.registry)


def test_a_forged_certificate_is_detected(disk):
    header = disk.store.get_block(3).header
    outsider = disk.keys("client-0")
    seals = [*disk.store.get_certificate(3).seals[:2], CommitSeal.make(outsider, header.hash)]
    store = tamper(
        disk,
        "UPDATE blocks SET certificate = ? WHERE height = 3",
        codec.encode(Certificate(0, tuple(seals))),
    )
    with pytest.raises(ChainIntegrityError, match=r"block 3: certificate: .*not an authority"):
        verify_chain(store, disk.registry)


def test_a_certificate_short_of_a_quorum_is_detected(disk):
    seals = disk.store.get_certificate(1).seals[:2]
    store = tamper(
        disk,
        "UPDATE blocks SET certificate = ? WHERE height = 1",
        codec.encode(Certificate(0, seals)),
    )
    with pytest.raises(ChainIntegrityError, match="block 1: certificate: 2 valid seals"):
        verify_chain(store, disk.registry)


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        (
            "UPDATE txs SET message = 'fine' WHERE height = 4 AND idx = 0",
            (),
            "block 4: the stored receipts differ",
        ),
        (
            "UPDATE events SET data = ? WHERE height = 3 AND tx_index = 1",
            (codec.encode({"amount": 6, "sender": "client-2", "symbol": "USD", "to": "client-3"}),),
            "block 3: the stored receipts differ",
        ),
        (
            "UPDATE changes SET prev = NULL WHERE height = 3 AND key = ?",
            (BALANCE,),
            "block 3: the stored state changes and replaced values disagree",
        ),
        (
            "UPDATE changes SET value = x'07' WHERE height = 1 AND key = ?",
            (BALANCE,),
            "the stored state changes and replaced values disagree",
        ),
        (
            "UPDATE state SET value = ? WHERE key = ?",
            (codec.encode(10**12), BALANCE),
            "block 4: the stored current state differs .* key b'token/b/USD/client-1'",
        ),
        (
            "DELETE FROM state WHERE key = ?",
            (BALANCE,),
            "block 4: the stored current state differs",
        ),
    ],
)
def test_tampered_records_are_detected(disk, sql, params, message):
    store = tamper(disk, sql, *params)
    with pytest.raises(ChainIntegrityError, match=message):
        verify_chain(store, disk.registry)
    with pytest.raises(ChainIntegrityError, match=message):  # start-up's check agrees
        check_store(store)


def test_a_genesis_certificate_is_empty(disk):
    outsider = disk.keys("client-0")
    seal = CommitSeal.make(outsider, disk.store.get_header(0).hash)
    store = tamper(
        disk,
        "UPDATE blocks SET certificate = ? WHERE height = 0",
        codec.encode(Certificate(0, (seal,))),
    )
    with pytest.raises(ChainIntegrityError, match="block 0: the genesis certificate"):
        verify_chain(store, disk.registry)


@pytest.mark.parametrize("params", [b"\xb6", codec.encode({"state_depth": "deep"})])
def test_unreadable_genesis_parameters_are_detected(disk, params):
    store = tamper(
        disk, "UPDATE changes SET value = ? WHERE height = 0 AND key = ?", params, b"sys/params"
    )
    with pytest.raises(ChainIntegrityError, match="block 0: the genesis parameters"):
        verify_chain(store, disk.registry)


def test_a_tampered_genesis_state_is_detected(disk):
    store = tamper(
        disk,
        "UPDATE changes SET value = ? WHERE height = 0 AND key = ?",
        codec.encode(5),
        BALANCE,
    )
    with pytest.raises(ChainIntegrityError, match="block 0: the stored genesis state"):
        verify_chain(store, disk.registry)


# ---------------------------------------------------------------- proofs


def test_proof_of_a_present_key_at_every_height(disk):
    values = []
    for height in range(5):
        proof = prove(disk.store, BALANCE, height)
        assert proof.verify(disk.store.get_header(height).state_root)
        values.append(codec.decode(proof.value, int))
    assert (
        values == [1_000_000_00, 1_000_000_00 + 250, 1_000_000_00 + 250] + [1_000_000_00 + 210] * 2
    )


def test_proof_at_an_old_height_fails_against_the_new_root(disk):
    old = prove(disk.store, BALANCE, 1)
    assert old.verify(disk.store.get_header(1).state_root)
    assert not old.verify(disk.store.get_header(3).state_root)


def test_proof_of_an_absent_key(disk):
    key = b"token/b/USD/nobody"
    proof = prove(disk.store, key, 2)
    assert proof.value is None
    assert proof.verify(disk.store.get_header(2).state_root)


def test_tampered_proofs_fail(disk):
    root = disk.store.get_header(3).state_root
    proof = prove(disk.store, BALANCE, 3)
    replace = msgspec.structs.replace
    forged_value = replace(proof, value=codec.encode(10**9))
    absent_claim = replace(proof, value=None)
    sibling = bytearray(proof.siblings[5])
    sibling[0] ^= 1
    forged_sibling = replace(proof, siblings=[*proof.siblings[:5], bytes(sibling)])
    dropped_entry = replace(proof, bucket=proof.bucket[1:], value=None)
    for forged in (forged_value, absent_claim, forged_sibling, dropped_entry):
        assert not forged.verify(root)
    assert proof.verify(root)


def test_prove_many_and_memory_store_agree(make_dev, disk):
    memory = make_dev()
    for height in range(1, 5):
        block = disk.store.get_block(height)
        memory.chain.commit(block, disk.store.get_certificate(height))
    keys = [BALANCE, b"token/b/USD/client-2", b"sys/none"]
    for height in (0, 2, 4):
        a = prove_many(memory.store, keys, height)
        b = prove_many(disk.store, keys, height)
        assert codec.encode(list(a.values())) == codec.encode(list(b.values()))


def test_prove_refuses_a_state_that_does_not_match_its_header(disk):
    store = tamper(disk, "UPDATE state SET value = ? WHERE key = ?", codec.encode(1), BALANCE)
    with pytest.raises(IntegrityError, match="does not match the header's state root"):
        prove(store, BALANCE, 4)
    assert prove(store, BALANCE, 2).verify(store.get_header(2).state_root)  # untouched there
    with pytest.raises(StoreError, match="no block at height 9"):
        prove(store, BALANCE, 9)


# ---------------------------------------------------------------- random tampering

#: Stored values covered by a commitment: ``(table, column, primary key columns)``.
COMMITTED = [
    ("blocks", "header", "height"),
    ("blocks", "last_commit", "height"),
    ("txs", "body", "height, idx"),
    ("txs", "hash", "height, idx"),
    ("txs", "message", "height, idx"),
    ("events", "data", "height, tx_index, seq"),
    ("events", "name", "height, tx_index, seq"),
    ("changes", "value", "height, key"),
    ("changes", "prev", "height, key"),
    ("state", "value", "key"),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(target=("blocks", "last_commit", "height"), row=0, position=1, bit=0)  # genesis
@given(
    target=st.sampled_from(COMMITTED),
    row=st.integers(0, 10**6),
    position=st.integers(0, 10**6),
    bit=st.integers(0, 7),
)
def test_any_flipped_bit_in_committed_data_is_detected(
    disk, tmp_path_factory, target, row, position, bit
):
    """Flip one bit anywhere in any stored value that a root, a hash or a replay covers:
    verify names a block, and never fails any other way."""
    table, column, key = target
    disk.store.close()
    copy = tmp_path_factory.mktemp("tampered") / "chain.sqlite"
    shutil.copy(disk.path, copy)
    db = sqlite3.connect(copy)
    rows = db.execute(
        f"SELECT {key}, {column} FROM {table} WHERE length({column}) > 0 ORDER BY {key}"
    ).fetchall()
    *where, value = rows[row % len(rows)]
    raw = bytearray(value.encode() if isinstance(value, str) else value)
    raw[position % len(raw)] ^= 1 << bit
    new = raw.decode(errors="replace") if isinstance(value, str) else bytes(raw)
    condition = " AND ".join(f"{name} = ?" for name in key.split(", "))
    db.execute(f"UPDATE {table} SET {column} = ? WHERE {condition}", (new, *where))
    db.commit()
    db.close()
    with SQLiteStore.open(copy) as store, pytest.raises(ChainIntegrityError):
        verify_chain(store, disk.registry)


def test_verify_while_the_node_keeps_writing(disk):
    """verify checks the chain up to the head it saw first; blocks committed meanwhile wait
    for the next run."""
    reader = SQLiteStore.open(disk.path, readonly=True)
    commit_during_replay = []

    def progress(height: int) -> None:
        if height == 2 and not commit_during_replay:
            commit_during_replay.append(
                disk.commit(
                    [
                        disk.tx(
                            "client-0", "token", "transfer", symbol="USD", to="client-3", amount=9
                        )
                    ]
                )
            )

    assert verify_chain(reader, disk.registry, progress=progress) == 4
    assert reader.head_height() == 5 and verify_chain(reader, disk.registry) == 5


def test_a_light_client_checks_certificate_and_proof_together(tmp_path):
    """`check_bundle`: the value is trusted only with a quorum of seals over the header and a
    proof against that header's state root."""
    import msgspec
    import pytest as _pytest

    from glassledger.errors import BlockInvalid, IntegrityError
    from glassledger.ledger.block import Certificate
    from glassledger.ledger.crypto import KeyPair
    from glassledger.ledger.verify import ProofBundle, bundle, check_bundle
    from support.desk import DeskChain

    desk = DeskChain.create()
    desk.send(("client-0", "token", "transfer", {"symbol": "USD", "to": "client-1", "amount": 5}))
    keys = [KeyPair.from_name(f"dealer-{i}").public for i in range(4)]
    key = b"token/b/USD/client-1"
    proven = bundle(desk.store, key, 1)
    assert msgspec.msgpack.decode(check_bundle(proven, keys)) == 1_000_000_00 + 5
    absent = bundle(desk.store, b"token/b/USD/nobody", 1)
    assert check_bundle(absent, keys) is None
    strangers = [KeyPair.from_name(f"stranger-{i}").public for i in range(4)]
    with _pytest.raises(BlockInvalid):
        check_bundle(proven, strangers)
    short = ProofBundle(proven.proof, proven.header, Certificate(0, proven.certificate.seals[:2]))
    with _pytest.raises(BlockInvalid, match="quorum"):
        check_bundle(short, keys)
    forged = ProofBundle(
        type(proven.proof)(
            key, b"\x01", proven.proof.depth, proven.proof.bucket, proven.proof.siblings
        ),
        proven.header,
        proven.certificate,
    )
    with _pytest.raises(IntegrityError, match="does not match"):
        check_bundle(forged, keys)

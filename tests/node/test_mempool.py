"""Mempool admission: typed refusals, duplicates, order, capacity."""

from __future__ import annotations

import pytest

from glassledger.errors import DecodeError, RejectReason, TxRejected
from glassledger.node.devnet import Signer
from glassledger.node.mempool import Mempool


def _txs(n, chain="c"):
    signer = Signer(chain)
    return [
        signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
        for _ in range(n)
    ]


def test_order_duplicates_and_hand_out():
    pool = Mempool("c")
    txs = _txs(5)
    hashes = [pool.submit(tx) for tx in txs]
    assert pool.submit(txs[0]) == hashes[0] and len(pool) == 5
    taken, flags = pool.take(3)
    assert taken == txs[:3] and flags == [True] * 3
    pool.committed(taken[:2])  # the third was in flight but not decided: back to the front
    again, _ = pool.take(10)
    assert again == [txs[2], txs[3], txs[4]]


def test_typed_refusals():
    pool = Mempool("c", capacity=2)
    with pytest.raises(DecodeError):
        pool.submit(b"\xff\x00")
    with pytest.raises(TxRejected) as wrong:
        pool.submit(_txs(1, chain="other")[0])
    assert wrong.value.reason == RejectReason.WRONG_CHAIN
    for tx in _txs(2):
        pool.submit(tx)
    with pytest.raises(TxRejected) as full:
        pool.submit(Signer("c").tx("client-9", "token", "transfer", symbol="USD", to="x", amount=1))
    assert full.value.reason == RejectReason.MEMPOOL_FULL


def test_unregistered_senders_and_replays_are_dropped_with_a_logged_reason(dev, caplog):
    """Issue 9 section 6: they used to reach blocks and cost their sender nothing."""
    from glassledger.ledger.crypto import KeyPair
    from glassledger.ledger.tx import Transaction

    signer = Signer(dev.genesis.chain_id)
    pool = Mempool(dev.genesis.chain_id, state=lambda: dev.chain.state)
    sent = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
    assert dev.commit([sent])[0].ok
    outsider = KeyPair.from_name("outsider")
    stranger = Transaction(
        dev.genesis.chain_id, outsider.public, 0, "token", "transfer", {"symbol": "USD"}
    ).sign(outsider)
    with caplog.at_level("WARNING", logger="glassledger.mempool"):
        outcomes = pool.submit_many([stranger, sent])
    assert [o.reason for o in outcomes] == [RejectReason.UNKNOWN_SENDER, RejectReason.BAD_NONCE]
    assert "replay" in str(outcomes[1])
    assert "not registered" in caplog.text and "replay" in caplog.text
    # a registered sender's doomed transaction still reaches a block and gets its receipt
    broke = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=10**15)
    pool.submit(broke)
    taken, _ = pool.take(10)
    assert taken == [broke]
    receipt = dev.commit(taken)[0]
    assert (receipt.ok, receipt.reason) == (False, "contract_error")
    # a transaction admitted before its nonce was used elsewhere is dropped at hand-out
    twin = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=2)
    pool.submit(twin)
    assert dev.commit([twin])[0].ok  # committed by another proposer meanwhile
    assert pool.take(10)[0] == [] and pool.dropped[-1].reason == RejectReason.BAD_NONCE

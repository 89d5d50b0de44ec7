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


def test_a_sender_nonces_leave_in_order_whatever_the_arrival_order(dev):
    """Issue 10 defect: at saturation about 1,000 of 30,000 networked transfers ended
    ``bad_nonce``. Nonce gaps are legal, so a later nonce reaching a proposer first (a gossip
    frame lost and re-sent, a client on two connections) was proposed and executed, and the
    earlier one, arriving next, was rejected for ever. Now the later one is queued until the
    earlier one arrives (or for GAP_WAIT_S, when the gap is taken as intended)."""
    from glassledger.node.mempool import GAP_WAIT_S

    now = [0.0]
    signer = Signer(dev.genesis.chain_id)
    pool = Mempool(dev.genesis.chain_id, state=lambda: dev.chain.committed, clock=lambda: now[0])
    first, second, third = (
        signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
        for _ in range(3)
    )
    other = signer.tx("client-1", "token", "transfer", symbol="USD", to="client-2", amount=1)
    pool.submit_many([third, second, other])  # nonces 2 and 1 arrive before 0
    taken, _ = pool.take(10)
    assert taken == [other]  # client-0's are queued behind the missing nonce 0
    assert dev.commit(taken)[0].ok
    pool.committed(taken)
    pool.submit(first)
    taken, _ = pool.take(10)
    assert taken == [first, second, third]
    assert all(r.ok for r in dev.commit(taken))  # before the fix: nonce 0 and 1 bad_nonce
    pool.committed(taken)
    # a gap the sender left on purpose (nonce 3 never sent) holds nonce 4 only GAP_WAIT_S
    signer.nonces["client-0"] += 1
    skipped = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
    pool.submit(skipped)
    assert pool.take(10)[0] == []
    now[0] += GAP_WAIT_S
    assert pool.take(10)[0] == [skipped]


def test_a_rejected_transaction_does_not_hold_its_successor(dev):
    """A rejected transaction leaves its nonce unused; the next one, one above it, is not a
    gap to wait for once the rejection is in a finalized block."""
    signer = Signer(dev.genesis.chain_id)
    pool = Mempool(dev.genesis.chain_id, state=lambda: dev.chain.committed, clock=lambda: 0.0)
    broke = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=10**15)
    pool.submit(broke)
    taken, _ = pool.take(10)
    assert not dev.commit(taken)[0].ok
    pool.committed(taken)
    after = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
    pool.submit(after)
    assert pool.take(10)[0] == [after]


def test_a_transaction_finalized_while_being_verified_does_not_come_back(dev):
    """Issue 10 defect (the ~1,000 ``bad_nonce`` of 30,000 at saturation): a transaction
    finalized in another proposer's block while it still waited for signature verification
    here came back from the workers as ready, was then dropped as a replay, and the node
    reported that drop as its outcome (``bad_nonce``) over the block's success receipt."""
    signer = Signer(dev.genesis.chain_id)
    pool = Mempool(dev.genesis.chain_id, state=lambda: dev.chain.committed)
    tx = signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
    pool.submit(tx)  # queued for the next verification batch
    assert not pool.is_verified(tx.hash)
    assert dev.commit([tx])[0].ok  # another proposer's block carries it meanwhile
    pool.committed([tx])
    assert pool.take(10)[0] == []
    assert list(pool.dropped) == [] and len(pool) == 0

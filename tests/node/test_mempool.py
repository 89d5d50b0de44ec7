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

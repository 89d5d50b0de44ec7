"""Chain: proposing, validating and committing blocks; rejected transactions change nothing."""

from __future__ import annotations

import pytest

from glassledger.errors import BlockInvalid
from glassledger.ledger.block import Certificate, CommitSeal


def test_transfer_commits_and_moves_balance(dev):
    receipts = dev.commit(
        [dev.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=250)]
    )
    assert receipts[0].ok, receipts[0]
    assert dev.balance("client-0") == 1_000_000_00 - 250
    assert dev.balance("client-1") == 1_000_000_00 + 250
    assert dev.chain.height == 1


def test_rejected_transaction_changes_no_state(dev):
    before = dict(dev.chain.state.data)
    root = dev.chain.state.root
    receipts = dev.commit(
        [dev.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=10**15)]
    )
    assert not receipts[0].ok and receipts[0].reason == "contract_error"
    assert "insufficient" in receipts[0].message
    changed = {k for k in dev.chain.state.data if before.get(k) != dev.chain.state.data[k]}
    assert {k for k in changed if not k.startswith(b"sys/blockhash/")} == set()
    assert root != dev.chain.state.root  # only the block-hash record moved


def test_certificate_without_quorum_is_refused(dev):
    block = dev.chain.propose(dev.chain.head.timestamp_ms + 1, dev.authority_keys[1].public, [])
    seals = tuple(CommitSeal.make(k, block.hash) for k in dev.authority_keys[:2])
    with pytest.raises(BlockInvalid, match="quorum needs 3"):
        dev.chain.commit(block, Certificate(0, seals))
    assert dev.chain.height == 0


def test_certificate_round_is_signed(dev):
    """A certificate whose round was altered after sealing is refused (governance counts
    failed proposers from it)."""
    block = dev.chain.propose(dev.chain.head.timestamp_ms + 1, dev.authority_keys[1].public, [])
    seals = tuple(CommitSeal.make(k, block.hash, 2) for k in dev.authority_keys[:3])
    with pytest.raises(BlockInvalid, match="bad seal"):
        dev.chain.commit(block, Certificate(5, seals))
    dev.chain.commit(block, Certificate(2, seals))
    assert dev.chain.height == 1

"""Shared test configuration.

Tests that need an outside service (PostgreSQL, Chromium, a Dask cluster) call
:func:`require_service`. Locally a missing service skips the test with the reason; under CI
(``GLASSLEDGER_REQUIRE_SERVICES=1``, set by ``.ci/run``) it fails, so a skipped test is never
counted as a passing one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip (locally) or fail (under CI) when service ``name`` is not available."""
    if available:
        return
    message = f"service {name!r} is not available{': ' + why if why else ''}"
    if os.environ.get("GLASSLEDGER_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (GLASSLEDGER_REQUIRE_SERVICES=1: .ci/run must start it)")
    pytest.skip(message)


class DevChain:
    """A chain plus helpers to sign transactions and finalize blocks with 4 authorities."""

    def __init__(self, clients: int = 4, path: Path | None = None, registry=None) -> None:
        """``path``: keep the chain in a new SQLite store there (default: in memory);
        ``registry``: the contracts (default: the standard ones)."""
        self.genesis = devnet_genesis(clients=clients)
        self.registry = registry or standard_registry()
        block0, state = build_genesis(self.genesis, self.registry)
        if path is None:
            self.store = MemoryStore()
            self.store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        else:
            from glassledger.ledger.sqlite_store import SQLiteStore

            self.store = SQLiteStore.create(path, block0, GENESIS_CERTIFICATE, state.data)
        self.chain = Chain(self.registry, self.store, state)
        self.signer = Signer(self.genesis.chain_id)
        self.authority_keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]

    def tx(self, who: str, contract: str, method: str, **args):
        return self.signer.tx(who, contract, method, **args)

    def commit(self, txs):
        """Propose, seal by every authority and commit; returns the receipts. (An authority
        whose seal is missing misses a round in ``governance``; see docs/governance.md.)"""
        height = self.chain.height + 1
        proposer = self.authority_keys[height % 4]
        block = self.chain.propose(self.chain.head.timestamp_ms + 1000, proposer.public, txs)
        receipts = self.chain.receipts_of(block.hash).receipts
        seals = tuple(CommitSeal.make(k, block.hash) for k in self.authority_keys)
        self.chain.commit(block, Certificate(0, seals))
        return receipts

    def get(self, contract: str, key: str):
        """The committed value of ``key`` in ``contract``'s namespace (``None``: absent)."""
        from typing import Any

        from glassledger.ledger.codec import decode

        raw = self.chain.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)

    def balance(self, holder: str, symbol: str = "USD") -> int:
        from glassledger.ledger.codec import decode

        raw = self.chain.state.get(f"token/b/{symbol}/{holder}".encode())
        return 0 if raw is None else decode(raw, int)


@pytest.fixture
def dev() -> DevChain:
    return DevChain()


@pytest.fixture
def make_dev() -> type[DevChain]:
    """The :class:`DevChain` class, for tests that build several chains or one on disk."""
    return DevChain

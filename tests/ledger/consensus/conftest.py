"""Fixtures for consensus tests: a settable clock and devnet chains on in-memory stores."""

from __future__ import annotations

from typing import Any

import pytest

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import GENESIS_TIME_MS, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis


class Clock:
    """A clock the test moves by hand (ms since the Unix epoch)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def build_chain(authorities: int = 4, params: dict[str, Any] | None = None) -> Chain:
    """A fresh devnet chain (genesis only) on its own in-memory store."""
    genesis = devnet_genesis(authorities=authorities, params=params)
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    return Chain(registry, store, state)


@pytest.fixture
def clock() -> Clock:
    return Clock(GENESIS_TIME_MS + 1_000)


@pytest.fixture
def chain_factory():
    return build_chain

"""Fixtures for contract tests: a devnet chain that seals with whatever authority set the
governance contract names, with control over absent sealers and the deciding round."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.abi import Registry
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import Event, Receipt, SignedTransaction, Transaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, ParticipantSpec, build_genesis

#: Candidates beside the devnet's four dealers (scores 700, 770, 840, 910): C_min is 571.
EXTRA_CANDIDATES = [
    ParticipantSpec("ccp-a", ["ccp"], legal_name="Central Counterparty A", credit_score=900),
    ParticipantSpec("guarantor-b", ["guarantor"], legal_name="Guarantor B", credit_score=800),
    ParticipantSpec("dealer-x", ["dealer"], legal_name="Dealer X", credit_score=650),
    ParticipantSpec("dealer-low", ["dealer"], legal_name="Dealer Low", credit_score=500),
]


class GovChain:
    """A devnet chain on a memory store whose blocks are sealed by the current authorities."""

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        extra: Iterable[ParticipantSpec] = (),
        authorities: int = 4,
        registry: Registry | None = None,
    ) -> None:
        self.genesis = devnet_genesis(
            authorities=authorities, clients=2, params=params, extra=list(extra)
        )
        self.registry = registry or standard_registry()
        block0, state = build_genesis(self.genesis, self.registry)
        self.store = MemoryStore()
        self.store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        self.chain = Chain(self.registry, self.store, state)
        self.nonces: dict[str, int] = {}

    @property
    def height(self) -> int:
        return self.chain.height

    def tx(self, who: str, contract: str, method: str, **args: Any) -> SignedTransaction:
        """``who`` calls ``contract.method(**args)`` (signed, next nonce)."""
        nonce = self.nonces.get(who, 0)
        self.nonces[who] = nonce + 1
        keys = KeyPair.from_name(who)
        return Transaction(self.genesis.chain_id, keys.public, nonce, contract, method, args).sign(
            keys
        )

    def authority_ids(self, height: int | None = None) -> list[str]:
        """Ids of the authorities that sign block ``height`` (default: the next block)."""
        target = self.height + 1 if height is None else height
        return [who for who, _ in authorities_at(self.chain.state, target)]

    def commit(
        self, txs=(), round_: int = 0, absent: Iterable[str] = ()
    ) -> tuple[list[Receipt], list[Event]]:
        """Propose block ``h`` by ``authorities[(h + round) % N]``, seal it by every authority
        not ``absent`` with certificate round ``round_``; returns (receipts, system events)."""
        height = self.height + 1
        signers = self.authority_ids(height)
        proposer = KeyPair.from_name(signers[(height + round_) % len(signers)])
        block = self.chain.propose(self.chain.head.timestamp_ms + 1000, proposer.public, list(txs))
        result = self.chain.receipts_of(block.hash)
        seals = tuple(
            CommitSeal.make(KeyPair.from_name(who), block.hash, round_)
            for who in signers
            if who not in set(absent)
        )
        self.chain.commit(block, Certificate(round_, seals))
        return result.receipts, result.system_events

    def commit_one(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        """Commit a block with one transaction; return its receipt."""
        receipts, _ = self.commit([self.tx(who, contract, method, **args)])
        return receipts[0]

    def advance_to(self, height: int, **commit_args: Any) -> list[tuple[int, Event]]:
        """Commit empty blocks until the head is ``height``; the system events, by height."""
        events = []
        while self.height < height:
            _, system = self.commit(**commit_args)
            events += [(self.height, e) for e in system]
        return events

    def get(self, contract: str, key: str) -> Any:
        raw = self.chain.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)


def names(events: Iterable[tuple[int, Event]] | Iterable[Event]) -> list[str]:
    return [e[1].name if isinstance(e, tuple) else e.name for e in events]


@pytest.fixture
def gov() -> GovChain:
    """Short election cycle: period 30, window 5, reveal timeout 4, max 3 missed rounds."""
    return GovChain(
        params={
            "election_period": 30,
            "election_window": 5,
            "reveal_timeout": 4,
            "max_missed_rounds": 3,
        },
        extra=EXTRA_CANDIDATES,
    )

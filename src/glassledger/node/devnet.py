"""A ready-made development network: genesis, keys and a transaction signer.

Keys come from :meth:`KeyPair.from_name`, so anyone can rebuild them: for demos, tests,
simulations and benchmarks only, never for real value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.genesis import BalanceSpec, Genesis, ParticipantSpec, TokenSpec

GENESIS_TIME_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def devnet_genesis(
    authorities: int = 4,
    clients: int = 4,
    chain_id: str = "glassledger-dev",
    cash_per_client: int = 1_000_000_00,
    params: dict[str, Any] | None = None,
    extra: Iterable[ParticipantSpec] = (),
) -> Genesis:
    """Regulator (also the oracle), a cash issuer bank, ``authorities`` dealers that form the
    first authority set, and ``clients`` clients holding ``cash_per_client`` minor units of
    ``USD`` (2 decimals)."""
    people = [
        ParticipantSpec(
            "regulator", ["regulator", "oracle"], legal_name="Market Regulator", credit_score=950
        ),
        ParticipantSpec(
            "bank", ["issuer", "settlement_bank"], legal_name="Settlement Bank", credit_score=900
        ),
    ]
    people += [
        ParticipantSpec(
            f"dealer-{i}",
            ["dealer"],
            legal_name=f"Dealer {i}",
            credit_score=700 + (i * 70) % 250,
            authority=True,
        )
        for i in range(authorities)
    ]
    people += [ParticipantSpec(f"client-{i}", ["client"]) for i in range(clients)]
    people += list(extra)
    for person in people:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    return Genesis(
        chain_id=chain_id,
        time_ms=GENESIS_TIME_MS,
        participants=people,
        params=dict(params or {}),
        tokens=[TokenSpec("USD", 2, "bank")],
        balances=[BalanceSpec("USD", f"client-{i}", cash_per_client) for i in range(clients)],
    )


@dataclass
class Signer:
    """Signs transactions for named participants, tracking each one's next nonce."""

    chain_id: str
    nonces: dict[str, int] = field(default_factory=dict)

    _keys: dict[str, KeyPair] = field(default_factory=dict)

    def keys(self, participant: str) -> KeyPair:
        keys = self._keys.get(participant)
        if keys is None:
            keys = self._keys[participant] = KeyPair.from_name(participant)
        return keys

    def tx(self, participant: str, contract: str, method: str, **args: Any) -> SignedTransaction:
        nonce = self.nonces.get(participant, 0)
        self.nonces[participant] = nonce + 1
        keys = self.keys(participant)
        return Transaction(self.chain_id, keys.public, nonce, contract, method, args).sign(keys)

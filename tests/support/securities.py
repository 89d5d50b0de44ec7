"""A devnet chain for the funding contracts (treasury, repo): a Treasury issuer, dealers,
clients, a money fund and a tri-party agent, blocks committed at chosen times."""

from __future__ import annotations

from typing import Any

from glassledger.contracts.registry import standard_registry
from glassledger.contracts.treasury_math import DAY_MS, day_of
from glassledger.ledger.abi import Registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import Event, Receipt
from glassledger.node.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.node.genesis import (
    GENESIS_CERTIFICATE,
    BalanceSpec,
    ParticipantSpec,
    build_genesis,
)

EXTRA = [
    ParticipantSpec("ust", ["issuer"], legal_name="US Treasury"),
    ParticipantSpec("fund-0", ["client"], legal_name="Money Fund 0"),
    ParticipantSpec("agent", ["settlement_bank"], legal_name="Tri-party Agent"),
]
CASH = 10_000_000_000_00  # USD 10bn in cents per participant funded


class SecuritiesChain:
    """Chain with the standard contracts; ``commit`` at ``time_ms`` (default +1 s)."""

    def __init__(self, registry: Registry | None = None, params: dict[str, Any] | None = None):
        genesis = devnet_genesis(clients=2, params=params, extra=EXTRA)
        funded = ["dealer-0", "dealer-1", "dealer-2", "fund-0", "ust", "client-0", "client-1"]
        genesis.balances = [BalanceSpec("USD", who, CASH) for who in funded]
        self.genesis = genesis
        self.registry = registry or standard_registry()
        block0, state = build_genesis(genesis, self.registry)
        self.store = MemoryStore()
        self.store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        self.chain = Chain(self.registry, self.store, state)
        self.signer = Signer(genesis.chain_id)
        self.keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
        self.system_events: list[Event] = []

    @property
    def time_ms(self) -> int:
        return self.chain.head.timestamp_ms

    @property
    def day(self) -> int:
        return self.time_ms // DAY_MS

    def tx(self, who: str, contract: str, method: str, **args: Any):
        return self.signer.tx(who, contract, method, **args)

    def commit(self, txs=(), time_ms: int | None = None) -> list[Receipt]:
        """Commit a block at ``time_ms`` (default: one second after the head)."""
        txs = list(txs)
        height = self.chain.height + 1
        when = self.time_ms + 1000 if time_ms is None else time_ms
        block = self.chain.propose(when, self.keys[height % 4].public, txs)
        result = self.chain.receipts_of(block.hash)
        seals = tuple(CommitSeal.make(k, block.hash) for k in self.keys)
        self.chain.commit(block, Certificate(0, seals))
        self.system_events += result.system_events
        return result.receipts

    def call(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        """Commit one call in its own block; returns its receipt."""
        return self.commit([self.tx(who, contract, method, **args)])[0]

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        receipt = self.call(who, contract, method, **args)
        assert receipt.ok, receipt.message
        return receipt

    def at_date(self, iso: str, hour: int = 12) -> int:
        return day_of(iso) * DAY_MS + hour * 3_600_000

    def advance_to(self, iso: str, hour: int = 12) -> list[Receipt]:
        """Commit an empty block at ``iso`` ``hour``:00 UTC."""
        return self.commit([], self.at_date(iso, hour))

    def get(self, contract: str, key: str) -> Any:
        raw = self.chain.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)

    def balance(self, holder: str, symbol: str = "USD") -> int:
        raw = self.chain.state.get(f"token/b/{symbol}/{holder}".encode())
        return 0 if raw is None else decode(raw, int)

    def supply(self, symbol: str) -> int:
        return self.get("token", f"t/{symbol}")["supply"]

    def total_held(self, symbol: str) -> int:
        """Free balances plus locked amounts of ``symbol`` (equals the supply)."""
        total = 0
        for _key, raw in self.chain.state.items_with_prefix(f"token/b/{symbol}/".encode()):
            total += decode(raw, int)
        for _key, raw in self.chain.state.items_with_prefix(b"token/l/"):
            record = decode(raw, Any)
            if record["symbol"] == symbol:
                total += record["amount"]
        return total

    def events(self, name: str) -> list[Event]:
        """System (hook) events named ``name`` so far."""
        return [e for e in self.system_events if e.name == name]

    def post_price(self, cusip: str, price_e8: int, observed_ms: int | None = None) -> None:
        when = self.time_ms + 1000 if observed_ms is None else observed_ms
        self.ok(
            "regulator",
            "oracle",
            "post",
            kind="price",
            key=f"UST-{cusip}",
            value=price_e8,
            scale=8,
            observed_ms=when,
        )


START_MS = GENESIS_TIME_MS

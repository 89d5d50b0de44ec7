"""A devnet chain for the funding contracts (treasury, repo): a Treasury issuer, dealers,
clients, a money fund and a tri-party agent, blocks committed at chosen times."""

from __future__ import annotations

from typing import Any

from glassledger.contracts.treasury_math import DAY_MS, day_of
from glassledger.ledger.abi import Registry
from glassledger.ledger.codec import decode
from glassledger.ledger.tx import Event, Receipt
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import GENESIS_TIME_MS, devnet_genesis
from glassledger.node.genesis import BalanceSpec, ParticipantSpec

EXTRA = [
    ParticipantSpec("ust", ["issuer"], legal_name="US Treasury"),
    ParticipantSpec("fund-0", ["client"], legal_name="Money Fund 0"),
    ParticipantSpec("agent", ["settlement_bank"], legal_name="Tri-party Agent"),
]
CASH = 10_000_000_000_00  # USD 10bn in cents per participant funded


class SecuritiesChain(ClockedChain):
    """The one chain harness with the funding participants; ``commit`` at ``time_ms``
    (default: one second after the head). ``system_events`` here are plain events."""

    @classmethod
    def create(
        cls, registry: Registry | None = None, params: dict[str, Any] | None = None
    ) -> SecuritiesChain:
        genesis = devnet_genesis(clients=2, params=params, extra=EXTRA)
        funded = ["dealer-0", "dealer-1", "dealer-2", "fund-0", "ust", "client-0", "client-1"]
        genesis.balances = [BalanceSpec("USD", who, CASH) for who in funded]
        return cls.start(genesis, registry, draw_seed=None)

    def commit(self, txs=(), time_ms: int | None = None) -> list[Receipt]:
        """Commit a block at ``time_ms`` (default: one second after the head)."""
        when = self.time_ms + 1000 if time_ms is None else time_ms
        return self.commit_at(when, list(txs)).receipts

    def at_date(self, iso: str, hour: int = 12) -> int:
        return day_of(iso) * DAY_MS + hour * 3_600_000

    def advance_to(self, iso: str, hour: int = 12) -> list[Receipt]:
        """Commit an empty block at ``iso`` ``hour``:00 UTC."""
        return self.commit([], self.at_date(iso, hour))

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
        return [e for _, e in self.system_events if e.name == name]

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

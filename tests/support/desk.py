"""A test contract that books trades through the ``trades`` register, and a chain running it.

Shared by the contract tests and the risk-service tests (the issue's "small test contract that
records trades on that interface").
"""

from __future__ import annotations

from glassledger.contracts.identity import Identity
from glassledger.contracts.monitor import Monitor
from glassledger.contracts.token import Token
from glassledger.contracts.trades import Trades
from glassledger.ledger.abi import Context, Contract, Registry, method
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

DAY_MS = 86_400_000


class TradeDesk(Contract):
    """A minimal exposure-creating contract for tests: dealers book trades through it."""

    name = "desk"

    @method("dealer")
    def book(
        self,
        ctx: Context,
        netting_set: str,
        counterparty: str,
        trade_id: str,
        notional: int,
        days: int,
        mtm: int = 0,
    ) -> None:
        if not ctx.read("trades", f"ns/{netting_set}"):
            ctx.call(
                "trades",
                "open_netting_set",
                netting_set=netting_set,
                party_a=ctx.caller,
                party_b=counterparty,
                currency="USD",
            )
        ctx.call(
            "trades",
            "record_trade",
            trade_id=trade_id,
            netting_set=netting_set,
            asset_class="IR",
            position="LONG",
            notional=notional,
            maturity_ms=ctx.time_ms + days * DAY_MS,
            terms={"mtm": mtm, "end_ms": ctx.time_ms + days * DAY_MS},
        )

    @method("dealer")
    def close(self, ctx: Context, trade_id: str, outcome: str, recovery_bps: int = 10_000) -> None:
        ctx.call(
            "trades", "close_trade", trade_id=trade_id, outcome=outcome, recovery_bps=recovery_bps
        )

    @method("dealer")
    def mark(self, ctx: Context, trade_id: str, mtm: int) -> None:
        ctx.call("trades", "mark", trade_id=trade_id, mtm=mtm)


class DeskChain:
    def __init__(self) -> None:
        self.genesis = devnet_genesis()
        self.registry = Registry([Identity(), Token(), Trades(), Monitor(), TradeDesk()])
        block0, state = build_genesis(self.genesis, self.registry)
        self.store = MemoryStore()
        self.store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        self.chain = Chain(self.registry, self.store, state)
        self.signer = Signer(self.genesis.chain_id)
        self.keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]

    def run(self, *calls):
        """Run ``(who, method, args)`` calls of the desk contract in one block."""
        return self.send(*[(who, "desk", m, args) for who, m, args in calls])

    def send(self, *calls):
        """Run ``(who, contract, method, args)`` calls in one block; returns the receipts."""
        txs = [self.signer.tx(who, c, m, **args) for who, c, m, args in calls]
        block = self.chain.propose(
            self.chain.head.timestamp_ms + DAY_MS,
            self.keys[(self.chain.height + 1) % 4].public,
            txs,
        )
        receipts = self.chain.receipts_of(block.hash).receipts
        self.chain.commit(
            block, Certificate(0, tuple(CommitSeal.make(k, block.hash) for k in self.keys[:3]))
        )
        return receipts

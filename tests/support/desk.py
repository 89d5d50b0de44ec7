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
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis

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


class DeskChain(ClockedChain):
    """The devnet running the test desk on the one chain harness, one day per block."""

    @classmethod
    def create(cls) -> DeskChain:
        registry = Registry([Identity(), Token(), Trades(), Monitor(), TradeDesk()])
        return cls.start(devnet_genesis(), registry, draw_seed=None, block_ms=DAY_MS)

    def run(self, *calls):
        """Run ``(who, method, args)`` calls of the desk contract in one block."""
        return self.send(*[(who, "desk", m, args) for who, m, args in calls])

    def send(self, *calls):
        """Run ``(who, contract, method, args)`` calls in one block; returns the receipts."""
        return self.commit(calls)

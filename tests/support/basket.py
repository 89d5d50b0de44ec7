"""A basket-coin chain for contract tests: genesis of :mod:`glassledger.sim.basket_devnet`,
blocks sealed by the four devnet authorities, readers for balances and the books."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassledger.contracts.basket_book import Book, load_book
from glassledger.ledger.tx import Event
from glassledger.node.clocked import ClockedChain
from glassledger.sim import basket_devnet as devnet

BLOCK_MS = 1_000
DAY_MS = 86_400_000


class BasketChain(ClockedChain):
    """The basket devnet on the one chain harness, with readers for the books."""

    rates: dict[str, int]

    @classmethod
    def create(
        cls, rates_e10: dict[str, int] | None = None, path: Path | None = None, **setup_args: Any
    ) -> BasketChain:
        """In memory, or in a new SQLite store at ``path``; ``setup_args`` go to
        ``basket.setup``."""
        chain = cls.start(devnet.basket_genesis(), path=path, draw_seed=None, block_ms=BLOCK_MS)
        chain.rates = dict(devnet.RATES_E10 if rates_e10 is None else rates_e10)
        calls = devnet.setup_calls(chain.time_ms + BLOCK_MS, chain.rates, **setup_args)
        receipts = chain.commit(calls)
        assert all(r.ok for r in receipts), [r.message for r in receipts if not r.ok]
        return chain

    @property
    def events(self) -> list[Event]:
        """Hook events of every block so far, in order."""
        return [event for _, event in self.system_events]

    def post_rates(self, rates_e10: dict[str, int]) -> None:
        self.rates.update(rates_e10)
        receipts = self.commit(devnet.fx_calls(self.time_ms + BLOCK_MS, rates_e10))
        assert all(r.ok for r in receipts), [r.message for r in receipts]

    def post_rate(self, key: str, bps: int) -> None:
        """Oracle interest rate ``key`` (e.g. ``USD.BILL``) in basis points."""
        self.ok(
            "regulator",
            "oracle",
            "post",
            kind="rate",
            key=key,
            value=bps,
            scale=4,
            observed_ms=self.time_ms + BLOCK_MS,
        )

    def book(self) -> Book:
        return load_book(lambda key: self.get("basket", key))

    def finish_window(self) -> None:
        """Commit empty blocks until a netting window has just closed."""
        window = self.get("basket", "config")["window_blocks"]
        self.commit()
        while self.height % window:
            self.commit()

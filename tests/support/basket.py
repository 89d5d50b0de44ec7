"""A basket-coin chain for contract tests: genesis of :mod:`glassledger.sim.basket_devnet`,
blocks sealed by the four devnet authorities, readers for balances and the books."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassledger.contracts.basket_book import Book, load_book
from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import Receipt, Transaction
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis
from glassledger.sim import basket_devnet as devnet

BLOCK_MS = 1_000
DAY_MS = 86_400_000


class BasketChain:
    """The basket devnet on a memory store. ``setup_args`` go to ``basket.setup``."""

    def __init__(
        self, rates_e10: dict[str, int] | None = None, path: Path | None = None, **setup_args: Any
    ) -> None:
        """``path``: keep the chain in a new SQLite store there (default: in memory)."""
        self.genesis = devnet.basket_genesis()
        self.registry = standard_registry()
        block0, state = build_genesis(self.genesis, self.registry)
        if path is None:
            self.store = MemoryStore()
            self.store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        else:
            self.store = SQLiteStore.create(path, block0, GENESIS_CERTIFICATE, state.data)
        self.chain = Chain(self.registry, self.store, state)
        self.authorities = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
        self.nonces: dict[str, int] = {}
        self.events: list = []
        self.rates = dict(devnet.RATES_E10 if rates_e10 is None else rates_e10)
        calls = devnet.setup_calls(self.time_ms + BLOCK_MS, self.rates, **setup_args)
        receipts = self.commit(calls)
        assert all(r.ok for r in receipts), [r.message for r in receipts if not r.ok]

    @property
    def time_ms(self) -> int:
        return self.chain.head.timestamp_ms

    @property
    def height(self) -> int:
        return self.chain.height

    def commit(self, calls=(), step_ms: int = BLOCK_MS) -> list[Receipt]:
        """Commit one block of ``(signer, contract, method, args)`` calls, ``step_ms`` after
        the head; returns the receipts (system events go to ``self.events``)."""
        txs = []
        for who, contract, method, args in calls:
            nonce = self.nonces.get(who, 0)
            self.nonces[who] = nonce + 1
            keys = KeyPair.from_name(who)
            txs.append(
                Transaction(self.genesis.chain_id, keys.public, nonce, contract, method, args).sign(
                    keys
                )
            )
        height = self.height + 1
        block = self.chain.propose(self.time_ms + step_ms, self.authorities[height % 4].public, txs)
        result = self.chain.receipts_of(block.hash)
        seals = tuple(CommitSeal.make(k, block.hash) for k in self.authorities)
        self.chain.commit(block, Certificate(0, seals))
        self.events += result.system_events
        return result.receipts

    def call(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        return self.commit([(who, contract, method, args)])[0]

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        receipt = self.call(who, contract, method, **args)
        assert receipt.ok, receipt.message
        return receipt

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

    def get(self, contract: str, key: str) -> Any:
        raw = self.chain.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)

    def balance(self, holder: str, symbol: str) -> int:
        return self.get("token", f"b/{symbol}/{holder}") or 0

    def supply(self, symbol: str) -> int:
        return self.get("token", f"t/{symbol}")["supply"]

    def book(self) -> Book:
        return load_book(lambda key: self.get("basket", key))

    def finish_window(self) -> None:
        """Commit empty blocks until a netting window has just closed."""
        window = self.get("basket", "config")["window_blocks"]
        self.commit()
        while self.height % window:
            self.commit()

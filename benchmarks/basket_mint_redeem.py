"""Basket-coin mint and redeem calls committed per second through the embedded ledger.

Run: ``.venv/bin/python benchmarks/basket_mint_redeem.py [--calls 4000] [--rounds 2]``

One :class:`~glassledger.node.embedded.EmbeddedNetwork` (four QBFT authorities in process,
mempool, batch signature verification) over a SQLite block store (WAL, ``synchronous=FULL``),
as ``glassledger demo`` runs it, on the basket devnet (:mod:`glassledger.sim.basket_devnet`).
Each round measures, on the same network:

1. **baseline**: ``--calls`` plain ``token.transfer`` calls (USD between the five authorized
   dealers);
2. **basket**: ``--calls`` basket calls, each dealer alternating ``basket.mint(units=1)`` and
   ``basket.redeem(units=1)`` (a mint delivers five currencies and mints coins: six token
   moves; a redeem reads five FX rates, checks the reserve rules and pays five currencies).

The figure is committed calls per second from the first submission to the block that holds
the last call (every receipt is checked to be ``ok``), and the ratio basket / baseline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis
from glassledger.sim import basket_devnet as devnet

DEALERS = [devnet.dealer(k) for k in devnet.CURRENCIES]


class Driver:
    """Signs for devnet participants with nonces read from the chain, runs calls to the end."""

    def __init__(self, net: EmbeddedNetwork) -> None:
        self.net = net
        self.nonces: dict[str, int] = {}

    def tx(self, who: str, contract: str, method: str, **args) -> SignedTransaction:
        keys = KeyPair.from_name(who)
        nonce = self.nonces.get(who, last_nonce(self.net.chain.state, keys.public) + 1)
        self.nonces[who] = nonce + 1
        chain_id = self.net.chain.chain_id
        return Transaction(chain_id, keys.public, nonce, contract, method, args).sign(keys)

    def run(self, txs: list[SignedTransaction]) -> float:
        """Submit ``txs``, wait until all are final; returns the seconds it took. Raises if a
        receipt is not ``ok``."""
        chain = self.net.chain
        start_height = chain.height
        start = time.perf_counter()
        hashes = {self.net.submit(tx) for tx in txs}
        self.net.drain(timeout_s=600)
        elapsed = time.perf_counter() - start
        receipts = [
            r
            for h in range(start_height + 1, chain.height + 1)
            for r in chain.store.get_receipts(h)
            if r.tx_hash in hashes
        ]
        bad = [r.message for r in receipts if not r.ok]
        if len(receipts) != len(txs) or bad:
            raise RuntimeError(f"{len(receipts)} of {len(txs)} committed; rejected: {bad[:3]}")
        return elapsed


def open_network(folder: Path, verifier: BatchVerifier) -> tuple[EmbeddedNetwork, Driver]:
    genesis = devnet.basket_genesis(
        users_per_currency=1,
        time_ms=wall_clock_ms() - 60_000,
        params={"block_interval_ms": 20, "round_timeout_ms": 2_000},
    )
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = SQLiteStore.create(folder / "chain.sqlite", block0, GENESIS_CERTIFICATE, state.data)
    chain = Chain(registry, store, state)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    net = EmbeddedNetwork(chain, keys, verifier=verifier)
    driver = Driver(net)
    net.run_blocks(1)
    setup = devnet.setup_calls(chain.head.timestamp_ms)
    driver.run([driver.tx(who, c, m, **args) for who, c, m, args in setup])
    driver.run([driver.tx(d, "basket", "mint", units=50) for d in DEALERS])  # inventory
    return net, driver


def transfers(driver: Driver, calls: int) -> list[SignedTransaction]:
    return [
        driver.tx(
            DEALERS[i % 5],
            "token",
            "transfer",
            symbol="USD",
            to=DEALERS[(i + 1) % 5],
            amount=1 + i % 100,
        )
        for i in range(calls)
    ]


def mint_redeem(driver: Driver, calls: int) -> list[SignedTransaction]:
    return [
        driver.tx(DEALERS[i % 5], "basket", "redeem" if (i // 5) % 2 else "mint", units=1)
        for i in range(calls)
    ]


def measure(driver: Driver, build: Callable[[Driver, int], list], calls: int) -> float:
    txs = build(driver, calls)
    return calls / driver.run(txs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, BatchVerifier() as verifier:
        net, driver = open_network(Path(folder), verifier)
        baseline, basket = [], []
        for round_ in range(args.rounds):
            baseline.append(measure(driver, transfers, args.calls))
            basket.append(measure(driver, mint_redeem, args.calls))
            print(
                f"round {round_ + 1}: transfers {baseline[-1]:,.0f}/s, "
                f"mint/redeem {basket[-1]:,.0f}/s"
            )
        blocks = net.chain.height
        store_mb = sum(p.stat().st_size for p in Path(folder).glob("chain.sqlite*")) / 1e6
    ratios = [b / t for b, t in zip(basket, baseline, strict=True)]
    print(f"calls per run: {args.calls:,}; blocks: {blocks}; store {store_mb:.1f} MB")
    print(
        f"baseline token.transfer committed: {max(baseline):,.0f} calls/s (best of {args.rounds})"
    )
    print(f"basket mint/redeem committed:     {max(basket):,.0f} calls/s (best of {args.rounds})")
    print(
        f"ratio mint/redeem / transfer: best {max(basket) / max(baseline):.2f}, "
        f"median per round {statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()

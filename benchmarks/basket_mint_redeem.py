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
import tempfile
from pathlib import Path

from embedded_driver import PARAMS, Driver, compare_rounds, open_embedded
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.tx import SignedTransaction
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.sim import basket_devnet as devnet

DEALERS = [devnet.dealer(k) for k in devnet.CURRENCIES]


def open_network(folder: Path, verifier: BatchVerifier) -> tuple[EmbeddedNetwork, Driver]:
    genesis = devnet.basket_genesis(
        users_per_currency=1,
        time_ms=wall_clock_ms() - 60_000,
        params=PARAMS,
    )
    net, driver = open_embedded(folder, genesis, verifier)
    setup = devnet.setup_calls(net.chain.head.timestamp_ms)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, BatchVerifier() as verifier:
        _, driver = open_network(Path(folder), verifier)
        compare_rounds(
            driver,
            args.calls,
            args.rounds,
            "mint/redeem",
            transfers,
            lambda d, n, _: n / d.run(mint_redeem(d, n)),
            "(basket coin: six token moves and the issuer's books per call)",
        )
        store_mb = sum(p.stat().st_size for p in Path(folder).glob("chain.sqlite*")) / 1e6
    print(f"store {store_mb:.1f} MB")


if __name__ == "__main__":
    main()

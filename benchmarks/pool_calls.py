"""Pool calls committed per second through the embedded ledger, against transfers.

Run: ``.venv/bin/python benchmarks/pool_calls.py [--calls 4000] [--rounds 2]``

One :class:`~glassledger.node.embedded.EmbeddedNetwork` (four QBFT authorities in process,
mempool, batch signature verification) over a SQLite block store (WAL, ``synchronous=FULL``),
as ``benchmarks/basket_mint_redeem.py`` runs it. Set-up: a tokenized bill ``UST3M`` priced by
the oracle, a ``pool`` market lending USD against it, eight lenders with deposits and eight
borrowers with collateral and an open borrow (so every borrow and repay also marks its trade
in the ``trades`` register). Each round measures, on the same network:

1. **baseline**: ``--calls`` plain ``token.transfer`` calls (USD between the lenders);
2. **pool**: ``--calls`` pool calls, a rotating mix: lenders ``deposit`` / ``withdraw``,
   borrowers ``borrow`` / ``repay`` (each accrues the market, moves cash through
   ``token.settle``, recomputes the rate; a borrow values the collateral at the oracle price and
   checks the loan-to-value; borrow and repay mark the trade).

The figure is committed calls per second from the first submission to the block that holds
the last call (every receipt is checked to be ``ok``), and the ratio pool / baseline.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from embedded_driver import PARAMS, Driver, compare_rounds, open_embedded
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.tx import SignedTransaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import ParticipantSpec

LENDERS = [f"client-{i}" for i in range(8)]
BORROWERS = [f"fund-{i}" for i in range(8)]
M = "USDPOOL"


def open_network(folder: Path, verifier: BatchVerifier) -> tuple[EmbeddedNetwork, Driver]:
    genesis = devnet_genesis(
        clients=len(LENDERS),
        params=PARAMS,
        extra=[ParticipantSpec(b, ["client"]) for b in BORROWERS],
    )
    genesis.time_ms = wall_clock_ms() - 60_000
    for person in genesis.participants:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    net, driver = open_embedded(folder, genesis, verifier)
    now = net.chain.head.timestamp_ms
    tx = driver.tx
    driver.run(
        [
            tx("regulator", "token", "create", symbol="UST3M", decimals=2, issuer="bank"),
            tx(
                "regulator",
                "oracle",
                "post",
                kind="price",
                key="UST.BILL3M",
                value=99 * 10**8,
                scale=8,
                observed_ms=now,
            ),
        ]
    )
    driver.run(
        [tx("regulator", "pool", "open_market", market=M, cash="USD", operator="bank")]
        + [tx("bank", "token", "mint", symbol="UST3M", to=b, amount=10**10) for b in BORROWERS]
    )
    driver.run(
        [
            tx(
                "regulator",
                "pool",
                "list_collateral",
                market=M,
                symbol="UST3M",
                terms={"price_key": "UST.BILL3M", "units_per_price": 100},
            ),
        ]
        + [tx(lender, "pool", "deposit", market=M, amount=500_000_00) for lender in LENDERS]
    )
    driver.run(
        [
            tx(b, "pool", "post_collateral", market=M, symbol="UST3M", amount=10**10)
            for b in BORROWERS
        ]
    )
    driver.run([tx(b, "pool", "borrow", market=M, amount=100_000_00) for b in BORROWERS])
    return net, driver


def transfers(driver: Driver, calls: int) -> list[SignedTransaction]:
    n = len(LENDERS)
    return [
        driver.tx(
            LENDERS[i % n],
            "token",
            "transfer",
            symbol="USD",
            to=LENDERS[(i + 1) % n],
            amount=1 + i % 100,
        )
        for i in range(calls)
    ]


def pool_calls(driver: Driver, calls: int) -> list[SignedTransaction]:
    """Rotating mix; each participant alternates the two calls of its side, so balances
    return to where they were."""
    txs = []
    for i in range(calls):
        k, side, turn = i % 8, (i // 8) % 2, (i // 16) % 2
        amount = 100_00 + k
        if side == 0:
            method = "withdraw" if turn else "deposit"
            txs.append(driver.tx(LENDERS[k], "pool", method, market=M, amount=amount))
        else:
            method = "repay" if turn else "borrow"
            txs.append(driver.tx(BORROWERS[k], "pool", method, market=M, amount=amount))
    return txs


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
            "pool",
            transfers,
            lambda d, n, _: n / d.run(pool_calls(d, n)),
            "target >= 5,000 pool calls/s",
        )


if __name__ == "__main__":
    main()

"""Repo calls committed per second through the embedded ledger, against transfers.

Run: ``.venv/bin/python benchmarks/repo_calls.py [--calls 3000] [--rounds 2]``

One :class:`~glassledger.node.embedded.EmbeddedNetwork` (four QBFT authorities in process,
mempool, batch signature verification) over a SQLite block store (WAL, ``synchronous=FULL``),
as ``benchmarks/pool_calls.py`` runs it. Set-up: a tokenized 2-year note (``treasury``)
issued to eight dealers, its price posted, the note and cash listed as repo collateral.
Each round measures, on the same network:

1. **baseline**: ``--calls`` plain ``token.transfer`` calls (USD between the clients);
2. **repo**: ``--calls`` repo calls in three waves of equal size: dealers ``propose`` repos
   (collateral escrowed through ``token.settle``), clients ``accept`` them (delivery versus
   payment in one ``token.settle`` batch, collateral valued at the oracle's full price, trade
   recorded in the ``trades`` register, mark-to-market index updated), dealers
   ``repurchase`` them (cash plus interest against the collateral, trade closed).

The figure is committed calls per second from the first submission to the block that holds
the last call of each wave (every receipt is checked to be ``ok``), and the ratio repo /
baseline.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from embedded_driver import PARAMS, Driver, compare_rounds, open_embedded
from glassledger.contracts import treasury_math as tm
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.tx import SignedTransaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import ParticipantSpec

BUYERS = [f"client-{i}" for i in range(8)]
SELLERS = [f"seller-{i}" for i in range(8)]
NOTE = "912828YK0"


def open_network(folder: Path, verifier: BatchVerifier) -> tuple[EmbeddedNetwork, Driver]:
    genesis = devnet_genesis(
        clients=len(BUYERS),
        params=PARAMS,
        extra=[ParticipantSpec(s, ["dealer"]) for s in SELLERS]
        + [ParticipantSpec("ust", ["issuer"])],
    )
    genesis.time_ms = wall_clock_ms() - 60_000
    for person in genesis.participants:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    net, driver = open_embedded(folder, genesis, verifier)
    now = net.chain.head.timestamp_ms
    today = now // tm.DAY_MS
    tx = driver.tx
    driver.run(
        [
            tx(
                "ust",
                "treasury",
                "create_issue",
                cusip=NOTE,
                kind="note",
                issue_date=tm.iso_of(today - 10),
                maturity_date=tm.iso_of(today + 720),
                rate_e8=4_000_000,
            ),
            tx("regulator", "repo", "set_class", name="note", haircut_bps=200),
            tx("regulator", "repo", "set_class", name="cash", haircut_bps=0),
        ]
    )
    driver.run(
        [tx("ust", "treasury", "issue", cusip=NOTE, to=s, face=10**13) for s in SELLERS]
        + [
            tx("regulator", "repo", "list_collateral", symbol=NOTE, class_name="note"),
            tx("regulator", "repo", "list_collateral", symbol="USD", class_name="cash"),
            tx(
                "regulator",
                "oracle",
                "post",
                kind="price",
                key=f"UST-{NOTE}",
                value=100 * 10**8,
                scale=8,
                observed_ms=now,
            ),
        ]
        + [tx("bank", "token", "mint", symbol="USD", to=s, amount=10**11) for s in SELLERS + BUYERS]
    )
    return net, driver


def transfers(driver: Driver, calls: int) -> list[SignedTransaction]:
    n = len(BUYERS)
    return [
        driver.tx(
            BUYERS[i % n],
            "token",
            "transfer",
            symbol="USD",
            to=BUYERS[(i + 1) % n],
            amount=1 + i % 100,
        )
        for i in range(calls)
    ]


def repo_waves(driver: Driver, calls: int, round_: int) -> list[list[SignedTransaction]]:
    """Three waves of ``calls // 3``: propose, accept, repurchase."""
    n = calls // 3
    ids = [f"b{round_}-{i}" for i in range(n)]
    propose, accept, repurchase = [], [], []
    for i, repo_id in enumerate(ids):
        seller, buyer = SELLERS[i % 8], BUYERS[(i // 8) % 8]
        propose.append(
            driver.tx(
                seller,
                "repo",
                "propose",
                repo_id=repo_id,
                side="seller",
                counterparty=buyer,
                cash=10_000_00,
                rate_bps=530,
                term_days=1,
                collateral={NOTE: 10_500_00},
            )
        )
    for i, repo_id in enumerate(ids):  # each wave signed after the one before (nonces)
        accept.append(driver.tx(BUYERS[(i // 8) % 8], "repo", "accept", repo_id=repo_id))
    for i, repo_id in enumerate(ids):
        repurchase.append(driver.tx(SELLERS[i % 8], "repo", "repurchase", repo_id=repo_id))
    return [propose, accept, repurchase]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, BatchVerifier() as verifier:
        _, driver = open_network(Path(folder), verifier)
        compare_rounds(
            driver,
            args.calls,
            args.rounds,
            "repo",
            transfers,
            measure_repo,
            "target >= 5,000 repo calls/s",
        )


def measure_repo(driver: Driver, calls: int, round_: int) -> float:
    """Repo calls per second over the dependent waves (proposals, then acceptances ...)."""
    waves = repo_waves(driver, calls, round_)
    return sum(len(w) for w in waves) / sum(driver.run(wave) for wave in waves)


if __name__ == "__main__":
    main()

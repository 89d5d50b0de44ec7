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
import statistics
import tempfile
import time
from pathlib import Path

from glassledger.contracts import treasury_math as tm
from glassledger.contracts.registry import standard_registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import GENESIS_CERTIFICATE, ParticipantSpec, build_genesis

BUYERS = [f"client-{i}" for i in range(8)]
SELLERS = [f"seller-{i}" for i in range(8)]
NOTE = "912828YK0"


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
        """Submit ``txs``, wait until all are final; the seconds it took. Raises if a receipt
        is not ``ok``."""
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
    genesis = devnet_genesis(
        clients=len(BUYERS),
        params={"block_interval_ms": 20, "round_timeout_ms": 2_000},
        extra=[ParticipantSpec(s, ["dealer"]) for s in SELLERS]
        + [ParticipantSpec("ust", ["issuer"])],
    )
    genesis.time_ms = wall_clock_ms() - 60_000
    for person in genesis.participants:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = SQLiteStore.create(folder / "chain.sqlite", block0, GENESIS_CERTIFICATE, state.data)
    chain = Chain(registry, store, state)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    net = EmbeddedNetwork(chain, keys, verifier=verifier)
    driver = Driver(net)
    net.run_blocks(1)
    now = chain.head.timestamp_ms
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
        net, driver = open_network(Path(folder), verifier)
        baseline, repo = [], []
        for round_ in range(args.rounds):
            baseline.append(args.calls / driver.run(transfers(driver, args.calls)))
            waves = repo_waves(driver, args.calls, round_)
            seconds = sum(driver.run(wave) for wave in waves)
            repo.append(sum(len(w) for w in waves) / seconds)
            print(f"round {round_ + 1}: transfers {baseline[-1]:,.0f}/s, repo {repo[-1]:,.0f}/s")
        blocks = net.chain.height
    ratios = [p / t for p, t in zip(repo, baseline, strict=True)]
    print(f"calls per run: {args.calls:,}; blocks: {blocks}")
    print(
        f"baseline token.transfer committed: {max(baseline):,.0f} calls/s (best of {args.rounds})"
    )
    print(f"repo calls committed:              {max(repo):,.0f} calls/s (best of {args.rounds})")
    print(
        f"ratio repo / transfer: best {max(repo) / max(baseline):.2f}, "
        f"median per round {statistics.median(ratios):.2f}; target >= 5,000 repo calls/s"
    )


if __name__ == "__main__":
    main()

"""The embedded network the call benchmarks share: a chain from a genesis on a SQLite store
(WAL, ``synchronous=FULL``) run by four in-process QBFT authorities, a :class:`Driver` that
signs for devnet participants and runs calls to the end, and :func:`compare_rounds`, which
times a baseline and the calls under test in alternating rounds and prints their ratio.

Imported by ``basket_mint_redeem.py``, ``pool_calls.py`` and ``repo_calls.py`` (run from the
repository root; the script's folder is on ``sys.path``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import GENESIS_CERTIFICATE
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.embedded import EmbeddedNetwork
from glassledger.node.genesis import Genesis, build_genesis

#: Block interval and round timeout of the benchmarks' networks (ms).
PARAMS = {"block_interval_ms": 20, "round_timeout_ms": 2_000}


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


def open_embedded(
    folder: Path, genesis: Genesis, verifier: BatchVerifier
) -> tuple[EmbeddedNetwork, Driver]:
    """The standard contracts on ``genesis`` in a new store under ``folder``, one empty block
    committed by the devnet's four authorities."""
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = SQLiteStore.create(folder / "chain.sqlite", block0, GENESIS_CERTIFICATE, state.data)
    chain = Chain(registry, store, state)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    net = EmbeddedNetwork(chain, keys, verifier=verifier)
    net.run_blocks(1)
    return net, Driver(net)


def compare_rounds(
    driver: Driver,
    calls: int,
    rounds: int,
    name: str,
    baseline: Callable[[Driver, int], list[SignedTransaction]],
    measured: Callable[[Driver, int, int], float],
    target: str,
) -> None:
    """Time ``calls`` baseline transfers (built by ``baseline``) and the calls under test
    (``measured(driver, calls, round) -> calls per second``) in each of ``rounds`` rounds on
    the same network; print the best rates and the ratio against the baseline."""
    base, under = [], []
    for round_ in range(rounds):
        base.append(calls / driver.run(baseline(driver, calls)))
        under.append(measured(driver, calls, round_))
        print(f"round {round_ + 1}: transfers {base[-1]:,.0f}/s, {name} {under[-1]:,.0f}/s")
    ratios = [u / b for u, b in zip(under, base, strict=True)]
    print(f"calls per run: {calls:,}; blocks: {driver.net.chain.height}")
    print(f"baseline token.transfer committed: {max(base):,.0f} calls/s (best of {rounds})")
    print(f"{name + ' calls committed:':<35}{max(under):,.0f} calls/s (best of {rounds})")
    print(
        f"ratio {name} / transfer: best {max(under) / max(base):.2f}, "
        f"median per round {statistics.median(ratios):.2f}; {target}"
    )

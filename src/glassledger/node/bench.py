"""Ledger throughput and latency measurement (``glassledger bench ledger``).

Three figures, measured in one run so their ratios are meaningful on a shared machine:

1. **raw verification**: Ed25519 signatures verified per second on all cores (libsodium
   through a process pool, the same :class:`BatchVerifier` the node uses) and on one core;
2. **throughput**: signed token transfers committed per second by the embedded network of 4
   authorities on SQLite (``synchronous=FULL``: every block durable before the next starts),
   every signature verified — overall (first submit to last commit: the headline figure) and
   after the first block (by then the workers have verified ahead, so this shows execution and
   storage with verification overlapped, not a sustainable rate);
3. **latency**: submit-to-finality percentiles with transfers offered open-loop at a fixed
   rate (each transfer's clock starts at its *scheduled* submit time, so queueing counts).

Transactions are signed before the clock starts: signing is the clients' work, not the
ledger's.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import Block, Certificate
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import TX_DOMAIN, SignedTransaction
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

AUTHORITIES = 4


@dataclass
class LedgerBenchResult:
    cores: int
    verify_all_cores_per_s: float
    verify_one_core_per_s: float
    transfers: int
    committed_per_s: float
    steady_committed_per_s: float
    blocks: int
    offered_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float

    @property
    def ratio_to_verification(self) -> float:
        """Committed (first submit to last commit) over the raw verification ceiling."""
        return self.committed_per_s / self.verify_all_cores_per_s

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio_to_verification": self.ratio_to_verification}


def _network(directory: Path, clients: int, verifier: BatchVerifier) -> EmbeddedNetwork:
    registry = standard_registry()
    genesis = devnet_genesis(
        authorities=AUTHORITIES,
        clients=clients,
        params={"block_interval_ms": 50, "max_block_txs": 10_000, "round_timeout_ms": 10_000},
    )
    genesis.time_ms = wall_clock_ms() - 60_000
    block0, state = build_genesis(genesis, registry)
    store = SQLiteStore.create(directory / "chain.sqlite", block0, GENESIS_CERTIFICATE, state.data)
    chain = Chain(registry, store, state)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(AUTHORITIES)]
    return EmbeddedNetwork(chain, keys, verifier=verifier)


def _transfers(chain_id: str, count: int, clients: int) -> list[SignedTransaction]:
    signer = Signer(chain_id)
    return [
        signer.tx(
            f"client-{i % clients}",
            "token",
            "transfer",
            symbol="USD",
            to=f"client-{(i + 1) % clients}",
            amount=1,
        )
        for i in range(count)
    ]


def verification_rate(verifier: BatchVerifier, count: int = 20_000) -> float:
    """Signatures verified per second by ``verifier`` (warm pool)."""
    keys = KeyPair.from_name("bench")
    items = [
        (
            keys.public,
            TX_DOMAIN,
            i.to_bytes(8, "big") * 12,
            keys.sign(TX_DOMAIN, i.to_bytes(8, "big") * 12),
        )
        for i in range(count)
    ]
    verifier.verify_many(items[:512])  # start the workers
    start = time.perf_counter()
    assert all(verifier.verify_many(items))
    return count / (time.perf_counter() - start)


def measure_throughput(net: EmbeddedNetwork, txs: list[SignedTransaction]) -> tuple[float, float]:
    """``(overall, steady)`` committed transfers per second for ``txs`` submitted at once."""
    net.start()
    first_height = net.chain.height
    start = time.perf_counter()
    net.submit_many(txs)
    marks: list[tuple[float, int]] = []
    net.on_block = lambda block, cert: marks.append((time.perf_counter(), len(block.txs)))
    net.drain(timeout_s=600)
    overall = len(txs) / (marks[-1][0] - start)
    full = [(t, n) for t, n in marks if n]
    steady = sum(n for _, n in full[1:]) / (full[-1][0] - full[0][0]) if len(full) > 2 else overall
    net.on_block = None
    assert net.chain.height > first_height
    return overall, steady


def measure_latency(net: EmbeddedNetwork, txs: list[SignedTransaction], rate: float) -> np.ndarray:
    """Submit ``txs`` open-loop at ``rate`` per second; returns latencies in ms."""
    scheduled: dict[bytes, float] = {}
    finished: dict[bytes, float] = {}

    def on_block(block: Block, certificate: Certificate) -> None:
        now = time.perf_counter()
        for tx in block.txs:
            finished[tx.hash] = now

    net.on_block = on_block
    start = time.perf_counter()
    sent = 0
    while sent < len(txs) or len(net.mempool):
        due = min(len(txs), int((time.perf_counter() - start) * rate) + 1)
        if due > sent:
            batch = txs[sent:due]
            for i, tx in enumerate(batch):
                scheduled[tx.hash] = start + (sent + i) / rate
            net.submit_many(batch)
            sent = due
        net.step()
    net.on_block = None
    return np.array([(finished[h] - t) * 1000 for h, t in scheduled.items()])


def run(
    transfers: int = 100_000,
    clients: int = 5_000,
    offered_rate: float = 5_000,
    latency_seconds: float = 10.0,
    report: Callable[[str], None] = print,
) -> LedgerBenchResult:
    """Run all three measurements (see the module docstring)."""
    cores = os.cpu_count() or 1
    with BatchVerifier(workers=cores) as verifier, tempfile.TemporaryDirectory() as tmp:
        report(f"raw Ed25519 verification on {cores} cores ...")
        all_cores = verification_rate(verifier)
        with BatchVerifier(workers=1) as single:
            one_core = verification_rate(single, 5_000)
        net = _network(Path(tmp), clients, verifier)
        latency_count = int(offered_rate * latency_seconds)
        report(f"signing {transfers + latency_count:,} transfers ...")
        txs = _transfers(net.chain.chain_id, transfers + latency_count, clients)
        report(f"throughput: {transfers:,} transfers through 4 authorities on SQLite ...")
        overall, steady = measure_throughput(net, txs[:transfers])
        blocks = net.chain.height
        report(f"latency: {latency_count:,} transfers offered at {offered_rate:,.0f}/s ...")
        latencies = measure_latency(net, txs[transfers:], offered_rate)
    return LedgerBenchResult(
        cores=cores,
        verify_all_cores_per_s=all_cores,
        verify_one_core_per_s=one_core,
        transfers=transfers,
        committed_per_s=overall,
        steady_committed_per_s=steady,
        blocks=blocks,
        offered_per_s=offered_rate,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        latency_max_ms=float(latencies.max()),
    )


def format_result(result: LedgerBenchResult) -> str:
    r = result
    return "\n".join(
        [
            f"raw Ed25519 verification, {r.cores} cores : {r.verify_all_cores_per_s:10,.0f} /s",
            f"raw Ed25519 verification, 1 core   : {r.verify_one_core_per_s:10,.0f} /s",
            f"committed transfers, overall      : {r.committed_per_s:10,.0f} /s "
            f"({r.transfers:,} in {r.blocks} blocks)",
            f"  after the first block             : {r.steady_committed_per_s:10,.0f} /s "
            "(verification of later blocks overlapped with the first)",
            f"ratio committed / verification ceiling: {r.ratio_to_verification:6.2f}",
            f"latency at {r.offered_per_s:,.0f}/s offered: p50 {r.latency_p50_ms:,.0f} ms, "
            f"p99 {r.latency_p99_ms:,.0f} ms, max {r.latency_max_ms:,.0f} ms",
        ]
    )

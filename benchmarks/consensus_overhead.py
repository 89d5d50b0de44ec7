"""What QBFT consensus costs on the embedded network (N engines sharing one chain).

Commits the same pre-signed transfer blocks twice, on fresh devnet chains in memory:
through N QbftEngines over the in-process transport (proposal, prepares, commits, seals,
certificate checks), and — the baseline — straight through ``Chain.propose`` and
``Chain.commit`` with a quorum certificate made by hand. Signatures of transfers are passed as
pre-verified in both, so the difference is consensus alone. Also prints the time of an empty
block (consensus plus the fixed cost of a block).

    python benchmarks/consensus_overhead.py [--authorities 4] [--blocks 10] [--txs 1000]
                                            [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import Certificate, CommitSeal, quorum
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus import InProcessTransport, QbftEngine
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

CLIENTS = 50


def fresh_chain(authorities: int) -> Chain:
    genesis = devnet_genesis(authorities=authorities, clients=CLIENTS)
    registry = standard_registry()
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    return Chain(registry, store, state)


def transfer_blocks(chain_id: str, blocks: int, per_block: int) -> list[list]:
    signer = Signer(chain_id)
    batches = []
    for b in range(blocks):
        batch = []
        for i in range(per_block):
            sender = (b * per_block + i) % CLIENTS
            batch.append(
                signer.tx(
                    f"client-{sender}",
                    "token",
                    "transfer",
                    symbol="USD",
                    to=f"client-{(sender + 1) % CLIENTS}",
                    amount=1,
                )
            )
        batches.append(batch)
    return batches


def with_consensus(authorities: int, batches: list[list]) -> float:
    """Seconds to commit ``batches`` through the engines (after an empty first block)."""
    chain = fresh_chain(authorities)
    transport = InProcessTransport()
    now = [GENESIS_TIME_MS + 1_000]
    queue = list(batches)

    def tx_source(limit: int):
        batch = queue.pop(0) if queue else []
        return batch, [True] * len(batch)

    engines = [
        QbftEngine(KeyPair.from_name(f"dealer-{i}"), chain, transport, lambda: now[0], tx_source)
        for i in range(authorities)
    ]
    queue.insert(0, [])  # block 1 (proposed at start) is empty
    for engine in engines:
        engine.start()
    transport.deliver_all()
    start = time.perf_counter()
    while chain.height < 1 + len(batches):
        now[0] += 250
        for engine in engines:
            engine.on_tick()
        transport.deliver_all()
    return time.perf_counter() - start


def without_consensus(authorities: int, batches: list[list]) -> float:
    """Seconds to propose and commit the same blocks with a hand-made quorum certificate."""
    chain = fresh_chain(authorities)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(authorities)]
    block = chain.propose(GENESIS_TIME_MS + 1_000, keys[1].public, [])
    seals = tuple(CommitSeal.make(k, block.hash) for k in keys[: quorum(authorities)])
    chain.commit(block, Certificate(0, seals))
    start = time.perf_counter()
    for batch in batches:
        proposer = keys[(chain.height + 1) % authorities]
        block = chain.propose(
            chain.head.timestamp_ms + 250, proposer.public, batch, [True] * len(batch)
        )
        seals = tuple(CommitSeal.make(k, block.hash) for k in keys[: quorum(authorities)])
        chain.commit(block, Certificate(0, seals))
    return time.perf_counter() - start


def best_interleaved(authorities: int, batches: list[list], repeat: int) -> tuple[float, float]:
    """Best times of both paths, run alternately (a shared machine's load shifts over time)."""
    consensus, direct = [], []
    for _ in range(repeat):
        consensus.append(with_consensus(authorities, batches))
        direct.append(without_consensus(authorities, batches))
    return min(consensus), min(direct)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authorities", type=int, default=4)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--txs", type=int, default=1_000)
    parser.add_argument("--empty-blocks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    args = parser.parse_args()
    n = args.authorities
    chain_id = devnet_genesis(authorities=n).chain_id
    batches = transfer_blocks(chain_id, args.blocks, args.txs)
    consensus, baseline = best_interleaved(n, batches, args.repeat)
    transfers = args.blocks * args.txs
    print(f"{n} authorities, {args.blocks} blocks of {args.txs} transfers")
    print(f"  with QBFT:        {transfers / consensus:10,.0f} transfers/s")
    print(f"  without (direct): {transfers / baseline:10,.0f} transfers/s")
    print(f"  ratio (QBFT / direct throughput): {baseline / consensus:.3f}")
    print(f"  consensus cost per block: {(consensus - baseline) / args.blocks * 1000:.1f} ms")
    empty = [[] for _ in range(args.empty_blocks)]
    consensus_empty, direct_empty = (
        t / args.empty_blocks for t in best_interleaved(n, empty, args.repeat)
    )
    print(
        f"  empty block: {consensus_empty * 1000:.2f} ms with QBFT, "
        f"{direct_empty * 1000:.2f} ms direct (ratio {consensus_empty / direct_empty:.1f}x)"
    )


if __name__ == "__main__":
    main()

"""Benchmark: what governance costs the chain, and how long a lottery takes.

Claims (docs/governance.md): the governance contract's per-block work (promotion, missed-round
count from the parent certificate, draw clock) is a small fraction of executing a block of
transfers; an election of 25 authorities among hundreds of candidates takes milliseconds.

1. Empty blocks (the fixed per-block cost) proposed and committed with 4 seals, on the
   standard registry and on the same registry without ``governance``, interleaved; the
   difference is compared with the time of a block of ``--transfers`` token transfers.
2. ``elect`` of 25 among ``--candidates`` with T = 1,000,000 tokens, against the baseline of
   the draws alone (SHA-256 stream, no allocation), same run.

Run: ``python benchmarks/governance_overhead.py`` (defaults: 300 empty blocks, 20 blocks of 500
transfers, 300 candidates).
"""

from __future__ import annotations

import argparse
import hashlib
import time

from glassledger.contracts.lottery import elect, uniform_draws
from glassledger.contracts.registry import standard_registry
from glassledger.ledger.abi import Registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.node.devnet import Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis


def chain_seconds(registry: Registry, blocks: int, transfers: int) -> float:
    """Seconds to propose and commit ``blocks`` blocks of ``transfers`` transfers each
    (signatures pre-verified, so the figure is execution and state, not Ed25519)."""
    genesis = devnet_genesis(clients=2)
    block0, state = build_genesis(genesis, registry)
    store = MemoryStore()
    store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
    chain = Chain(registry, store, state)
    signer = Signer(genesis.chain_id)
    keys = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    batches = [
        [
            signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=1)
            for _ in range(transfers)
        ]
        for _ in range(blocks)
    ]
    start = time.perf_counter()
    for txs in batches:
        height = chain.height + 1
        block = chain.propose(
            chain.head.timestamp_ms + 1000, keys[height % 4].public, txs, [True] * len(txs)
        )
        seals = tuple(CommitSeal.make(k, block.hash) for k in keys)
        chain.commit(block, Certificate(0, seals), verify=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--empty-blocks", type=int, default=300)
    parser.add_argument("--transfers", type=int, default=500)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    with_governance = standard_registry()
    without = Registry([c for c in with_governance if c.name != "governance"])
    empty = {"without governance": float("inf"), "standard": float("inf")}
    for _ in range(args.repeats):  # interleaved, best of each: the machine is shared
        for name, registry in (("without governance", without), ("standard", with_governance)):
            empty[name] = min(empty[name], chain_seconds(registry, args.empty_blocks, 0))
    per_block = {name: t / args.empty_blocks * 1e3 for name, t in empty.items()}
    print(f"{args.empty_blocks} empty blocks (best of {args.repeats}):")
    for name, ms in per_block.items():
        print(f"  {name:20s} {ms:8.3f} ms/block")
    overhead = per_block["standard"] - per_block["without governance"]
    full = min(
        chain_seconds(with_governance, args.blocks, args.transfers) for _ in range(args.repeats)
    )
    full_ms = full / args.blocks * 1e3
    print(
        f"governance fixed cost {overhead:.3f} ms/block = {overhead / full_ms:.2%} of a block of "
        f"{args.transfers} transfers ({full_ms:.2f} ms, standard registry)"
    )

    scores = {f"cand-{i:04}": 500 + (i * 37) % 500 for i in range(args.candidates)}
    seed = hashlib.sha256(b"benchmark").digest()
    runs = 200
    start = time.perf_counter()
    for i in range(runs):
        elect(scores, 571, 25, 1_000_000, seed + i.to_bytes(2, "big"))
    lottery_ms = (time.perf_counter() - start) / runs * 1e3
    start = time.perf_counter()
    for i in range(runs):
        stream = uniform_draws(seed + i.to_bytes(2, "big"), 1_000_000)
        for _ in range(25):
            next(stream)
    draws_ms = (time.perf_counter() - start) / runs * 1e3
    print(
        f"election of 25 among {args.candidates}, T = 1,000,000: {lottery_ms:.3f} ms "
        f"(25 bare draws: {draws_ms:.3f} ms, ratio {lottery_ms / draws_ms:.1f}x)"
    )


if __name__ == "__main__":
    main()

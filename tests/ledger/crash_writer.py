"""Child process of ``test_crash.py`` (not a test module): an authority node's writer.

Usage: ``python crash_writer.py STORE SEED``. Opens the SQLite store (recovering from the
previous kill), then forever: signs a block of random devnet transfers, proposes it, seals it
with a quorum of the devnet authority keys and commits it through ``Chain.commit``; once
``commit`` has returned (the block is durable) it prints ``<height> <block hash hex>``.
"""

from __future__ import annotations

import random
import sys

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import Transaction

TXS_PER_BLOCK = 40
CLIENTS = [f"client-{i}" for i in range(4)]


def main(path: str, seed: int) -> None:
    chain = Chain.open(standard_registry(), SQLiteStore.open(path))
    authorities = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
    keys = {name: KeyPair.from_name(name) for name in CLIENTS}
    nonces = {name: last_nonce(chain.state, k.public) + 1 for name, k in keys.items()}
    rng = random.Random(seed)
    while True:
        txs = []
        for _ in range(TXS_PER_BLOCK):
            sender, to = rng.sample(CLIENTS, 2)
            args = {"symbol": "USD", "to": to, "amount": rng.randint(1, 100)}
            tx = Transaction(
                chain.chain_id, keys[sender].public, nonces[sender], "token", "transfer", args
            )
            nonces[sender] += 1
            txs.append(tx.sign(keys[sender]))
        height = chain.height + 1
        proposer = authorities[height % len(authorities)].public
        block = chain.propose(chain.head.timestamp_ms + 1000, proposer, txs)
        seals = tuple(CommitSeal.make(k, block.hash) for k in authorities[:3])
        chain.commit(block, Certificate(0, seals))
        sys.stdout.write(f"{height} {block.hash.hex()}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

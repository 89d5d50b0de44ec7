"""What the sign state costs the embedded network (issue 9, section 1).

Every authority signature is preceded by a durable write of the key's sign state (temporary
file, fsync, rename, directory fsync). This runs the same embedded network twice on a fresh
home — first with in-memory vote guards (the baseline, no durable mark), then with each key's
``FileSignState`` as ``glassledger node`` runs it — and prints empty blocks per second and
transfers finalized per second, with the ratio to the baseline measured in the same run.

    python benchmarks/sign_state_overhead.py --blocks 40 --transfers 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.tx import Transaction
from glassledger.node.embedded import EmbeddedNetwork
from glassledger.node.home import init_home

CLIENTS = [f"client-{i}" for i in range(4)]


def _run(root: Path, durable: bool, blocks: int, transfers: int) -> tuple[float, float, float]:
    home = init_home(root)
    chain = home.open_chain()
    keys = home.authority_capable_keys()
    guards = home.sign_states(keys) if durable else {}
    clients = {c: home.load_keys(c) for c in CLIENTS}
    with BatchVerifier() as verifier:
        net = EmbeddedNetwork(chain, keys, verifier=verifier, guards=dict(guards))
        net.start()
        start = time.perf_counter()
        net.run_blocks(blocks, timeout_s=600)
        empty = blocks / (time.perf_counter() - start)
        txs = []
        for i in range(transfers):
            sender = CLIENTS[i % 4]
            args = {"symbol": "USD", "to": CLIENTS[(i + 1) % 4], "amount": 1}
            tx = Transaction(
                chain.chain_id, clients[sender].public, i // 4, "token", "transfer", args
            )
            txs.append(tx.sign(clients[sender]))
        height = chain.height
        start = time.perf_counter()
        net.submit_many(txs)
        net.drain(timeout_s=600)
        rate = transfers / (time.perf_counter() - start)
        per_block = (time.perf_counter() - start) / max(chain.height - height, 1) * 1000
    chain.store.close()
    return empty, rate, per_block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--transfers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):  # alternate, keep the best of each (shared machine)
            for durable in (i % 2 == 1, i % 2 == 0):
                where = Path(tmp) / f"{i}-{durable}"
                runs[durable].append(_run(where, durable, args.blocks, args.transfers))
    base = max(runs[False], key=lambda r: r[1])
    file = max(runs[True], key=lambda r: r[1])
    print(
        f"empty blocks/s: in-memory guards {base[0]:.1f}, sign state {file[0]:.1f} "
        f"(ratio {file[0] / base[0]:.2f})"
    )
    print(
        f"transfers/s:    in-memory guards {base[1]:,.0f}, sign state {file[1]:,.0f} "
        f"(ratio {file[1] / base[1]:.2f}); ms per loaded block {base[2]:.0f} vs {file[2]:.0f}"
    )


if __name__ == "__main__":
    main()

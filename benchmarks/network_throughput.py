"""Networked throughput, finality latency and catch-up: 4 authorities + 1 bookkeeper, each its
own process on loopback, against the embedded network measured in the same run.

1. **saturation**: ``--saturation`` signed transfers submitted at once (batches of 500, each
   client's to its own authority, the 4 authorities' clients side by side over the client
   protocol); finalized transfers per second from the first submit to the last receipt, and
   CPU per transfer of the node processes and their signature workers (from /proc);
2. **fixed offered load**: transfers offered open-loop at ``--rate`` per second (and at
   ``--low-rate``) for ``--seconds``; submit-to-finality latency per batch of 1/50 s (the
   batch's clock starts at its scheduled submit time and stops when its last transfer's
   receipt arrives: per-transfer latency, rounded up to its batch); the schedule never waits
   for a node's reply (each node's submitter sends all that is due for it in one request);
3. **embedded**: the same two measurements on the embedded network (4 engines, one process,
   ``glassledger.node.bench``), so the ratio networked / embedded is from one machine state;
4. **catch-up**: the bookkeeper is started only after the others finalized at least
   ``--catchup`` transfers; it downloads and verifies every block (certificate, re-execution,
   every signature) before joining; blocks/s and transfers/s from its ``caught_up`` log line.

Besu publishes 520-1,200 tx/s for 4 validators (IBFT 2.0 / QBFT); that figure is printed as a
published reference, not measured here. Transactions are signed before any clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from glassledger.ledger.crypto import BatchVerifier, load_key
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.client import NodeClient
from glassledger.node.network import chain_identity, init_network, load_network, start_node

AUTHORITIES = [f"dealer-{i}" for i in range(4)]
BATCH = 500
#: Connections waiting for receipts at once: at 50 batches/s, exact up to 4 s of latency (a
#: batch waiting for a free connection would be timed late).
WATCHERS = 200
BESU_PUBLISHED = "520-1,200 tx/s (Besu, 4 validators, published; not measured here)"


def sign_transfers(
    folder: Path, chain_id: str, clients: int, count: int
) -> list[SignedTransaction]:
    keys = [load_key(folder / "keys" / f"client-{i}.json")[1] for i in range(clients)]
    nonces = [0] * clients
    out = []
    for i in range(count):
        c = i % clients
        tx = Transaction(
            chain_id,
            keys[c].public,
            nonces[c],
            "token",
            "transfer",
            {"symbol": "USD", "to": f"client-{(c + 1) % clients}", "amount": 1},
        )
        nonces[c] += 1
        out.append(tx.sign(keys[c]))
    return out


def shard(txs: list[SignedTransaction]) -> list[list[SignedTransaction]]:
    """Transfers by ingress node: client ``c`` submits to ``dealer-(c mod 4)``."""
    parts: list[list[SignedTransaction]] = [[] for _ in AUTHORITIES]
    for tx in txs:
        parts[tx.tx.sender[0] % len(AUTHORITIES)].append(tx)
    return parts


async def submit_all(client: NodeClient, raws: list[bytes]) -> None:
    reply = await client.submit(raws)
    refused = [r for r in reply.refusals if r]
    if refused:
        raise RuntimeError(f"{len(refused)} refused, e.g. {refused[:2]}")


def check_receipts(receipts) -> None:
    """Every transfer finalized and successful (a rejected one would inflate the figure)."""
    bad = [r for r in receipts if r.height <= 0 or not r.ok]
    if bad:
        reasons = sorted({r.reason for r in bad})
        raise RuntimeError(f"{len(bad)} of {len(receipts)} transfers not finalized ok: {reasons}")


def tree_cpu_s(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by ``roots`` and every live descendant
    (the nodes' signature workers), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    total, wanted = 0.0, set(roots)
    for pid, (_, cpu) in stats.items():
        ancestor = pid
        while ancestor not in wanted and ancestor in stats and ancestor > 1:
            ancestor = stats[ancestor][0]
        if ancestor in wanted:
            total += cpu
    return total


class Cluster:
    def __init__(self, folder: Path, clients: int, base_port: int, interval_ms: int) -> None:
        params = {
            "block_interval_ms": interval_ms,
            "round_timeout_ms": 2_000,
            "max_block_txs": 10_000,
        }
        init_network(folder, 4, 1, base_port, clients=clients, params=params)
        self.folder = folder
        self.entries = {e.name: e for e in load_network(folder)}
        self.chain_id, self.genesis_hash = chain_identity(folder)
        self.processes = {}

    def start(self, *names: str) -> None:
        for name in names:
            self.processes[name] = start_node(self.entries[name])

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except Exception:
                os.killpg(process.pid, signal.SIGKILL)

    def client(self, name: str) -> NodeClient:
        return NodeClient(self.entries[name].listen, self.chain_id, self.genesis_hash, "bench")

    async def wait_ready(self, names: list[str], height: int = 2, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                heights = []
                for name in names:
                    async with self.client(name) as c:
                        heights.append((await c.status()).height)
                if min(heights) >= height:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.3)
        raise TimeoutError("network did not start")

    async def saturate(self, txs: list[SignedTransaction]) -> float:
        """Transfers finalized per second, all submitted at once (each client's transfers go
        to its own node, in nonce order, as a client of one institution would; the four
        institutions' clients submit side by side, not one after another)."""
        clients = [self.client(n) for n in AUTHORITIES]
        for c in clients:
            await c.__aenter__()
        watcher = self.client("dealer-0")
        await watcher.__aenter__()
        shards = shard(txs)

        async def feed(client: NodeClient, part: list[SignedTransaction]) -> None:
            for offset in range(0, len(part), BATCH):
                await submit_all(client, [tx.encode() for tx in part[offset : offset + BATCH]])

        start = time.perf_counter()
        await asyncio.gather(*(feed(c, part) for c, part in zip(clients, shards, strict=True)))
        receipts = await watcher.receipts([tx.hash for tx in txs], 900_000)
        elapsed = time.perf_counter() - start
        check_receipts(receipts)
        for c in [*clients, watcher]:
            await c.__aexit__()
        return len(txs) / elapsed

    async def offered(self, txs: list[SignedTransaction], rate: float) -> np.ndarray:
        """Latencies (ms) of ``txs`` offered open-loop at ``rate`` per second."""
        per_batch = max(1, int(rate / 50))
        batches = [txs[i : i + per_batch] for i in range(0, len(txs), per_batch)]
        submitters = [self.client(n) for n in AUTHORITIES]
        for c in submitters:
            await c.__aenter__()
        # open loop: the schedule never waits for a node's reply; each node's submitter sends
        # what is due for it, everything queued meanwhile in one request (order kept)
        queues: list[asyncio.Queue[list[bytes]]] = [asyncio.Queue() for _ in AUTHORITIES]

        async def feed(client: NodeClient, queue: asyncio.Queue[list[bytes]]) -> None:
            while True:
                raws = await queue.get()
                while not queue.empty():
                    raws += queue.get_nowait()
                await submit_all(client, raws)

        feeders = [
            asyncio.ensure_future(feed(c, q)) for c, q in zip(submitters, queues, strict=True)
        ]
        pool: asyncio.Queue[NodeClient] = asyncio.Queue()
        for _ in range(WATCHERS):
            c = self.client("dealer-0")
            await c.__aenter__()
            pool.put_nowait(c)
        latencies: list[float] = []

        async def watch(hashes: list[bytes], scheduled: float, n: int) -> None:
            c = await pool.get()
            try:
                receipts = await c.receipts(hashes, 120_000)
            finally:
                pool.put_nowait(c)
            done = time.perf_counter()
            check_receipts(receipts)
            latencies.extend([(done - scheduled) * 1000] * n)

        start = time.perf_counter()
        watchers = []
        for index, batch in enumerate(batches):
            scheduled = start + index * per_batch / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            for node, part in enumerate(shard(batch)):
                if part:
                    queues[node].put_nowait([tx.encode() for tx in part])
            watchers.append(
                asyncio.ensure_future(watch([tx.hash for tx in batch], scheduled, len(batch)))
            )
        try:
            await asyncio.gather(*watchers)
        finally:
            for feeder in feeders:
                if feeder.done():
                    feeder.result()  # a refused submission, rather than receipts never seen
                feeder.cancel()
        for c in submitters:
            await c.__aexit__()
        while not pool.empty():
            await pool.get_nowait().__aexit__()
        return np.array(latencies)

    def catch_up_line(self, name: str, timeout_s: float = 600) -> dict:
        log = self.entries[name].config.parent / "node.log"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in log.read_text().splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    if record["event"] == "caught_up":
                        return record
            time.sleep(0.2)
        raise TimeoutError("no caught_up line")


def embedded(
    count: int, rate: float, seconds: float, clients: int
) -> tuple[float, np.ndarray, float]:
    """Throughput at saturation, latencies at ``rate``, and CPU ms per transfer (this
    process and its signature workers, during the saturation run)."""
    from glassledger.node.bench import _network, _transfers, measure_latency, measure_throughput

    with BatchVerifier(workers=2) as verifier, tempfile.TemporaryDirectory() as tmp:
        net = _network(Path(tmp), clients, verifier)
        txs = _transfers(net.chain.chain_id, count + int(rate * seconds), clients)
        cpu = tree_cpu_s([os.getpid()])
        overall, _ = measure_throughput(net, txs[:count])
        cpu = tree_cpu_s([os.getpid()]) - cpu
        latencies = measure_latency(net, txs[count:], rate)
    return overall, latencies, 1000 * cpu / count


def pct(values: np.ndarray) -> str:
    return (
        f"p50 {np.percentile(values, 50):,.0f} ms, p99 {np.percentile(values, 99):,.0f} ms, "
        f"max {values.max():,.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saturation", type=int, default=30_000)
    parser.add_argument("--rate", type=float, default=5_000)
    parser.add_argument("--low-rate", type=float, default=1_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--catchup", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--base-port", type=int, default=28600)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument(
        "--block-interval-ms",
        type=int,
        default=200,
        help="networked block interval (the embedded network keeps its 50 ms)",
    )
    options = parser.parse_args(argv)
    out = sys.stdout
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")

    sat, rate, low, secs = options.saturation, options.rate, options.low_rate, options.seconds
    if not options.skip_embedded:
        print(f"embedded: {sat:,} transfers, then {rate:,.0f}/s for {secs} s ...", file=out)
        emb_tput, emb_lat, emb_cpu = embedded(sat, rate, secs, options.clients)
        print(f"  embedded finalized: {emb_tput:,.0f} /s; at {rate:,.0f}/s: {pct(emb_lat)}")
        print(f"  embedded CPU per transfer at saturation: {emb_cpu:.3f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "net"
        cluster = Cluster(folder, options.clients, options.base_port, options.block_interval_ms)
        n_rate, n_low = int(rate * secs), int(low * secs)
        total = max(options.catchup, sat + n_rate + n_low)
        print(f"signing {total:,} transfers ...", file=out)
        txs = sign_transfers(folder, cluster.chain_id, options.clients, total)
        try:
            cluster.start(*AUTHORITIES)
            asyncio.run(cluster.wait_ready(AUTHORITIES))
            print("networked: 4 authority processes (bookkeeper down: it will catch up)")
            pids = [cluster.processes[n].pid for n in AUTHORITIES]
            cpu = tree_cpu_s(pids)
            tput = asyncio.run(cluster.saturate(txs[:sat]))
            cpu = 1000 * (tree_cpu_s(pids) - cpu) / sat
            print(f"  networked finalized at saturation: {tput:,.0f} /s ({sat:,} transfers)")
            print(
                f"  networked CPU per transfer at saturation: {cpu:.3f} ms (4 nodes and their "
                f"signature workers; {cpu / 4:.3f} ms a node)"
            )
            lat_low = asyncio.run(cluster.offered(txs[sat : sat + n_low], low))
            print(f"  at {low:,.0f}/s offered: {pct(lat_low)}")
            lat = asyncio.run(cluster.offered(txs[sat + n_low : sat + n_low + n_rate], rate))
            print(f"  at {rate:,.0f}/s offered: {pct(lat)}")
            rest = txs[sat + n_low + n_rate :]
            if rest:
                print(f"  filling to {total:,} transfers for the catch-up ...")
                asyncio.run(cluster.saturate(rest))
            cluster.start("regulator")
            record = cluster.catch_up_line("regulator")
            print(
                f"catch-up of the bookkeeper: {record['blocks']:,} blocks, {record['txs']:,} "
                f"transfers in {record['seconds']} s = {record['blocks_per_s']:,} blocks/s, "
                f"{record['txs_per_s']:,.0f} transfers/s (certificates, re-execution, signatures)"
            )
        finally:
            cluster.stop()
    if not options.skip_embedded:
        print(f"ratio networked / embedded (saturation, same run): {tput / emb_tput:.2f}")
        print(f"ratio of CPU per transfer, networked / embedded: {cpu / emb_cpu:.2f}")
    print(f"published reference: {BESU_PUBLISHED}")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

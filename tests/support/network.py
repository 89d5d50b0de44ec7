"""A local network of node processes for tests: start, kill, restart, stop, ask.

Every process is started by the test and stopped by it (``close`` kills what is left), and
every wait is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

from glassledger.ledger.crypto import load_key
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.node.client import NodeClient
from glassledger.node.devnet import Signer
from glassledger.node.network import chain_identity, init_network, load_network, node_command


def free_base_port(count: int) -> int:
    """A base port with ``count`` free ports above it and at +100 (metrics)."""
    for _ in range(200):
        base = random.randrange(20_000, 40_000)
        try:
            for port in [*range(base, base + count), *range(base + 100, base + 100 + count)]:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free ports")


class LocalNet:
    def __init__(
        self,
        folder: Path,
        authorities: int = 4,
        bookkeepers: int = 1,
        params: dict | None = None,
        proxied: bool = False,
    ) -> None:
        self.folder = folder
        count = authorities + bookkeepers
        self.base = free_base_port(count * 2 if proxied else count)
        proxy_ports = None
        if proxied:  # peers dial a proxy in front of each node, at base + count + index
            names = [f"dealer-{i}" for i in range(authorities)] + ["regulator", "bank"][
                :bookkeepers
            ]
            proxy_ports = {n: self.base + count + i for i, n in enumerate(names)}
        self.proxy_ports = proxy_ports or {}
        params = {"block_interval_ms": 50, "round_timeout_ms": 600, **(params or {})}
        init_network(
            folder, authorities, bookkeepers, self.base, params=params, peer_ports=proxy_ports
        )
        self.entries = {e.name: e for e in load_network(folder)}
        self.chain_id, self.genesis_hash = chain_identity(folder)
        self.processes: dict[str, subprocess.Popen] = {}
        self.signer = Signer(self.chain_id)
        self.signer._keys = {p.stem: load_key(p)[1] for p in (folder / "keys").glob("*.json")}

    # ------------------------------------------------------------------ processes

    def start(self, *names: str) -> None:
        for name in names or list(self.entries):
            entry = self.entries[name]
            log = open(entry.config.parent / "node.log", "ab")  # noqa: SIM115
            self.processes[name] = subprocess.Popen(
                node_command(entry.config),
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kill takes its workers too
            )
            log.close()

    def kill(self, *names: str) -> None:
        """``kill -9`` the node and its signature workers (a machine dying)."""
        for name in names:
            process = self.processes.pop(name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def terminate(self, *names: str, timeout_s: float = 30.0) -> dict[str, int]:
        codes = {}
        for name in names or list(self.processes):
            self.processes[name].send_signal(signal.SIGTERM)
        for name in names or list(self.processes):
            codes[name] = self.processes.pop(name).wait(timeout_s)
        return codes

    def close(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        self.processes.clear()

    # ------------------------------------------------------------------ asking

    def address(self, name: str) -> str:
        return self.entries[name].listen

    def client(self, name: str) -> NodeClient:
        return NodeClient(self.address(name), self.chain_id, self.genesis_hash)

    def status(self, name: str):
        async def ask():
            async with self.client(name) as client:
                return await client.status()

        return asyncio.run(ask())

    def height(self, name: str) -> int:
        try:
            return self.status(name).height
        except Exception:
            return -1

    def wait_height(self, target: int, names: list[str], timeout_s: float = 120.0) -> None:
        """Until every node in ``names`` is at ``target`` or above (bounded: the default is
        generous because the machine running the tests may be loaded)."""
        wait_until(
            lambda: all(self.height(n) >= target for n in names),
            timeout_s,
            lambda: f"heights {[self.height(n) for n in names]} did not reach {target}",
        )

    def wait_log(self, name: str, event: str, timeout_s: float = 60.0) -> list[dict]:
        """Until node ``name`` has logged ``event``; its lines with that event."""
        wait_until(
            lambda: any(e["event"] == event for e in self.log(name)),
            timeout_s,
            lambda: f"{name} logged no {event!r}",
        )
        return [e for e in self.log(name) if e["event"] == event]

    def submit(self, name: str, txs, wait_s: float = 60.0):
        """Submit signed transactions to node ``name``; returns (refusals, receipts)."""

        async def go():
            async with self.client(name) as client:
                reply = await client.submit([tx.encode() for tx in txs])
                accepted = [h for h in reply.hashes if h]
                receipts = await client.receipts(accepted, int(wait_s * 1000)) if accepted else []
                return reply.refusals, receipts

        return asyncio.run(go())

    def transfers(self, count: int, clients: int = 4):
        return [
            self.signer.tx(
                f"client-{i % clients}",
                "token",
                "transfer",
                symbol="USD",
                to=f"client-{(i + 1) % clients}",
                amount=1,
            )
            for i in range(count)
        ]

    def log(self, name: str) -> list[dict]:
        path = self.entries[name].config.parent / "node.log"
        out = []
        for line in path.read_text().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def store(self, name: str) -> SQLiteStore:
        return SQLiteStore.open(
            self.entries[name].config.parent / "data" / "chain.sqlite", readonly=True
        )

    def block_hashes(self, name: str) -> dict[int, bytes]:
        store = self.store(name)
        try:
            return {h: store.get_block(h).hash for h in range(store.head_height() + 1)}
        finally:
            store.close()


def wait_until(condition, timeout_s: float, what) -> None:
    """Poll ``condition`` until true; :class:`TimeoutError` with ``what()`` after
    ``timeout_s`` (tests wait on conditions, never on fixed sleeps)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError(what())


def assert_no_fork(net: LocalNet, names: list[str]) -> int:
    """Every pair of stores agrees on every height both hold; returns the lowest head."""
    chains = [net.block_hashes(n) for n in names]
    for height in set.intersection(*(set(c) for c in chains)):
        assert len({c[height] for c in chains}) == 1, f"fork at height {height}"
    return min(max(c) for c in chains)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

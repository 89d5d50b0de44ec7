"""A fault-injecting TCP proxy in front of node processes (tests and fault drills).

Each node gets a front port; its peers dial the front port instead of the node (``network
init`` with ``peer_ports``). The proxy understands the framing (:mod:`glassledger.node.frames`):
it learns who is on each side of a connection from the two :class:`Hello` frames and then
forwards, delays or drops whole frames according to a :class:`FaultPlan` — the same faults the
deterministic simulator draws (:class:`glassledger.node.simulator.SimConfig`: partitions that
start and heal, per-message loss and delay), so a simulator schedule can be replayed against
real processes with :meth:`FaultPlan.from_sim`. Dropping whole frames keeps each TCP stream
well-formed; the receiver's sequence check accepts the gaps, as it would a lossy link.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import struct
import threading
import time
from dataclasses import dataclass, field

from glassledger.errors import DecodeError
from glassledger.node.frames import Hello, decode_frame

_LENGTH = struct.Struct(">I")


@dataclass
class FaultPlan:
    """What the proxy does, as a function of the time since :meth:`start` (ms).

    ``partitions``: ``(start_ms, end_ms, groups)``, nodes (by name) in different groups cannot
    reach each other meanwhile (a node in no group reaches no one); ``loss``: probability of
    dropping a frame; ``delay_ms``: uniform extra delay per frame (order kept per stream).
    :meth:`partition` and :meth:`heal` change the plan by hand, from now on.
    """

    partitions: list[tuple[int, int, tuple[tuple[str, ...], ...]]] = field(default_factory=list)
    loss: float = 0.0
    delay_ms: tuple[int, int] = (0, 0)
    seed: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()
        self.dropped = 0
        self.forwarded = 0

    @classmethod
    def from_sim(cls, config, names: list[str]) -> FaultPlan:
        """The network faults of a simulator run (replica ``i`` is ``names[i]``)."""
        partitions = [
            (p.start_ms, p.end_ms, tuple(tuple(names[i] for i in g) for g in p.groups))
            for p in config.partitions
        ]
        return cls(partitions, config.loss, tuple(config.delay_ms), config.seed)

    def now_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def partition(self, *groups: tuple[str, ...], duration_ms: int = 10**9) -> None:
        with self.lock:
            now = self.now_ms()
            self.partitions.append((now, now + duration_ms, tuple(groups)))

    def heal(self) -> None:
        with self.lock:
            now = self.now_ms()
            self.partitions = [(s, min(e, now), g) for s, e, g in self.partitions]

    def separated(self, a: str, b: str) -> bool:
        now = self.now_ms()
        with self.lock:
            for start, end, groups in self.partitions:
                if start <= now < end and not any(a in g and b in g for g in groups):
                    return True
        return False

    def fate(self, a: str, b: str) -> float | None:
        """``None`` to drop a frame from ``a`` to ``b``, else its delay in seconds."""
        if self.separated(a, b):
            self.dropped += 1
            return None
        with self.lock:
            if self.loss and self.rng.random() < self.loss:
                self.dropped += 1
                return None
            low, high = self.delay_ms
            delay = self.rng.uniform(low, high) / 1000 if high else 0.0
        self.forwarded += 1
        return delay


class FaultProxy:
    """Front ports for nodes, run on an asyncio loop in a background thread."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._routes: list[tuple[str, int, str, int, str]] = []
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()

    def add(self, name: str, front: str, target: str) -> None:
        """Front address ``front`` forwards to node ``name`` at ``target`` (host:port)."""
        fh, _, fp = front.rpartition(":")
        th, _, tp = target.rpartition(":")
        self._routes.append((fh, int(fp), th, int(tp), name))

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            for fh, fp, th, tp, name in self._routes:
                server = self._loop.run_until_complete(
                    asyncio.start_server(self._handler(th, tp, name), fh, fp)
                )
                self._servers.append(server)
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        self.plan.started = time.monotonic()

    def stop(self) -> None:
        async def shutdown() -> None:
            for server in self._servers:
                server.close()
            for writer in list(self._writers):
                writer.close()

        if self._thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _handler(self, host: str, port: int, name: str):
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                writer.close()
                return
            self._writers.update((writer, up_writer))
            sides = {"dialer": "", "node": name}
            ends = [asyncio.Event(), asyncio.Event()]
            await asyncio.gather(
                self._pump(reader, up_writer, sides, "dialer", "node", ends[0]),
                self._pump(up_reader, writer, sides, "node", "dialer", ends[1]),
                return_exceptions=True,
            )
            for w in (writer, up_writer):
                w.close()
                self._writers.discard(w)

        return handle

    async def _pump(self, reader, writer, sides, src: str, dst: str, done) -> None:
        first = True
        release = 0.0
        try:
            while True:
                header = await reader.readexactly(4)
                body = await reader.readexactly(_LENGTH.unpack(header)[0])
                if first and src == "dialer":
                    with contextlib.suppress(DecodeError):
                        hello = decode_frame(body)
                        if isinstance(hello, Hello):
                            sides["dialer"] = hello.name or "client"
                first = False
                if not sides["dialer"] or sides["dialer"] == "client":
                    delay: float | None = 0.0
                else:
                    delay = self.plan.fate(sides[src], sides[dst])
                if delay is None:
                    continue
                if delay:
                    release = max(release, time.monotonic() + delay)
                    await asyncio.sleep(max(0.0, release - time.monotonic()))
                writer.write(header + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            done.set()
            writer.close()

"""Transports for consensus messages. :class:`InProcessTransport` is the embedded default.

The simulator's faulty network lives in ``consensus.simulator``; nodes in separate processes
get their own transport later (see ``ledger.abc.Transport`` for the contract).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from glassledger.ledger.abc import Transport

Handler = Callable[[bytes, bytes], None]


class InProcessTransport(Transport):
    """N authority identities in one process: immediate, in-order, lossless delivery.

    Sending only enqueues; :meth:`deliver_all` drains the queue in FIFO order (messages sent
    while delivering are appended and delivered in the same call), so handlers never recurse
    into each other and a run is deterministic. A broadcast is not delivered to its sender.
    """

    def __init__(self) -> None:
        self._handlers: dict[bytes, Handler] = {}
        self._queue: deque[tuple[bytes, bytes, bytes]] = deque()
        #: Messages delivered so far.
        self.delivered = 0

    def register(self, key: bytes, handler: Handler) -> None:
        self._handlers[key] = handler

    def broadcast(self, sender: bytes, payload: bytes) -> None:
        for key in self._handlers:
            if key != sender:
                self._queue.append((key, sender, payload))

    def send(self, sender: bytes, recipient: bytes, payload: bytes) -> None:
        if recipient in self._handlers:
            self._queue.append((recipient, sender, payload))

    def pending(self) -> int:
        """Messages queued and not yet delivered."""
        return len(self._queue)

    def deliver_all(self, limit: int | None = None) -> int:
        """Deliver queued messages (at most ``limit``) until the queue is empty; returns how
        many were delivered."""
        count = 0
        while self._queue and (limit is None or count < limit):
            recipient, sender, payload = self._queue.popleft()
            self._handlers[recipient](sender, payload)
            count += 1
        self.delivered += count
        return count

"""What the API reads and writes: a block store followed as it grows, and a way to submit.

:class:`LedgerView` wraps any :class:`~glassledger.ledger.abc.BlockStore` (a node's SQLite
store opened read-only, or a test chain's memory store). It keeps, as the store grows
(:meth:`LedgerView.follow`): an index from transaction hash to its place, the set of revoked
keys, and the committed state of the head (one copy, refreshed per new block). Older states
are rebuilt by the store on demand (``state_at``) and a few are cached.

Submission goes through a :class:`Submitter`: the home's inbox (the embedded
``glassledger node``), a networked node's client port, or an in-process network.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from glassledger.errors import DecodeError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode
from glassledger.ledger.tx import Event, Receipt, SignedTransaction, decode_transaction

IDENTITY_KEY = b"identity/k/"
IDENTITY_RECORD = b"identity/p/"


class Submitter(Protocol):
    """Hands a signed transaction (its canonical bytes) to the ledger; raises ``ValueError``
    with the reason if it is refused at the door."""

    def __call__(self, tx_bytes: bytes) -> None: ...


@dataclass(frozen=True)
class TxLocation:
    height: int
    index: int


@dataclass(frozen=True)
class LocatedEvent:
    """An event with its place: ``seq`` counts the block's events, hook events first."""

    height: int
    seq: int
    tx_index: int  # -1: begin/end-block hooks
    event: Event

    @property
    def cursor(self) -> str:
        return f"{self.height}:{self.seq}"


class LedgerView:
    """Read side of the API over ``store`` (see the module docstring)."""

    def __init__(
        self, store: BlockStore, submitter: Submitter | None = None, chain_id: str = ""
    ) -> None:
        self.store = store
        self.submitter = submitter
        self._lock = threading.RLock()
        self._indexed = -1
        self.tx_index: dict[bytes, TxLocation] = {}
        self.revoked: set[bytes] = set()
        self._head_state: dict[bytes, bytes] = {}
        self._head_state_height = -1
        self._states: OrderedDict[int, dict[bytes, bytes]] = OrderedDict()
        self.chain_id = chain_id or store.get_block(0).header.chain_id
        self.follow()

    # ------------------------------------------------------------------ following

    @property
    def height(self) -> int:
        return self._indexed

    def follow(self) -> int:
        """Index blocks committed since the last call; returns the head height."""
        with self._lock:
            head = self.store.head_height()
            for height in range(self._indexed + 1, head + 1):
                for index, receipt in enumerate(self.store.get_receipts(height)):
                    self.tx_index[receipt.tx_hash] = TxLocation(height, index)
                    for event in receipt.events:
                        if event.contract == "identity" and event.name == "key_revoked":
                            self.revoked.add(bytes(event.data["key"]))
            self._indexed = head
            return head

    def head_state(self) -> Mapping[bytes, bytes]:
        with self._lock:
            if self._head_state_height != self._indexed:
                self._head_state = self.store.state_at(self._indexed)
                self._head_state_height = self._indexed
            return self._head_state

    def state_at(self, height: int) -> Mapping[bytes, bytes]:
        """Committed state after block ``height`` (cached for a few heights)."""
        if height == self._indexed:
            return self.head_state()
        with self._lock:
            if height not in self._states:
                self._states[height] = self.store.state_at(height)
                while len(self._states) > 4:
                    self._states.popitem(last=False)
            return self._states[height]

    def value(self, contract: str, key: str, height: int | None = None) -> Any:
        state = self.head_state() if height is None else self.state_at(height)
        raw = state.get(f"{contract}/{key}".encode())
        if raw is None:
            return None
        try:
            return decode(raw, Any)
        except DecodeError:
            return raw

    def scan(self, contract: str, prefix: str, height: int | None = None) -> Iterator[tuple]:
        state = self.head_state() if height is None else self.state_at(height)
        full = f"{contract}/{prefix}".encode()
        cut = len(contract) + 1
        for key in sorted(k for k in state if k.startswith(full)):
            yield key[cut:].decode(errors="replace"), decode(state[key], Any)

    # ------------------------------------------------------------------ identity

    def participant_of(self, key: bytes) -> tuple[str, dict[str, Any]] | None:
        """``(participant id, record)`` of the holder of ``key`` at the head, or None."""
        state = self.head_state()
        raw = state.get(IDENTITY_KEY + key.hex().encode())
        if raw is None:
            return None
        who = decode(raw, str)
        return who, decode(state[IDENTITY_RECORD + who.encode()], Any)

    # ------------------------------------------------------------------ reading

    def transaction(self, tx_hash: bytes) -> tuple[TxLocation, SignedTransaction, Receipt] | None:
        self.follow()
        where = self.tx_index.get(tx_hash)
        if where is None:
            return None
        block = self.store.get_block(where.height)
        return where, block.txs[where.index], self.store.get_receipts(where.height)[where.index]

    def events(self, start: int = 0, stop: int | None = None) -> Iterator[LocatedEvent]:
        """Events of blocks ``start <= height < stop`` in ledger order."""
        stop = self.height + 1 if stop is None else min(stop, self.height + 1)
        for height in range(max(start, 0), stop):
            seq = 0
            for event in self.store.get_system_events(height):
                yield LocatedEvent(height, seq, -1, event)
                seq += 1
            for index, receipt in enumerate(self.store.get_receipts(height)):
                for event in receipt.events:
                    yield LocatedEvent(height, seq, index, event)
                    seq += 1

    # ------------------------------------------------------------------ writing

    def submit_and_wait(self, tx: SignedTransaction, wait_s: float) -> Receipt | None:
        """Submit ``tx`` and wait up to ``wait_s`` for its receipt (None: not yet)."""
        if self.submitter is None:
            raise ValueError("this API serves a read-only copy: submit to an authority's API")
        self.submitter(tx.encode())
        deadline = time.monotonic() + wait_s
        while True:
            found = self.transaction(tx.hash)
            if found is not None:
                return found[2]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)


def inbox_submitter(inbox_path: Any) -> Submitter:
    """Queue into a home's inbox for the embedded ``glassledger node`` to pick up."""
    from glassledger.node.inbox import Inbox

    def submit(tx_bytes: bytes) -> None:
        inbox = Inbox(inbox_path)
        try:
            inbox.push(tx_bytes)
        finally:
            inbox.close()

    return submit


def network_submitter(address: str, chain_id: str, genesis_hash: bytes) -> Submitter:
    """Submit to a networked node's client port (see docs/network.md)."""
    from glassledger.node.client import NodeClient

    def submit(tx_bytes: bytes) -> None:
        async def go() -> None:
            async with NodeClient(address, chain_id, genesis_hash, name="api") as client:
                reply = await client.submit([tx_bytes])
            if reply.refusals[0]:
                raise ValueError(f"node refused the transaction: {reply.refusals[0]}")

        asyncio.run(go())

    return submit


def callable_submitter(submit: Callable[[SignedTransaction], Any]) -> Submitter:
    """Adapt an in-process network's ``submit(tx)`` (e.g. EmbeddedNetwork.submit)."""
    return lambda tx_bytes: submit(decode_transaction(tx_bytes))

"""The ledger's seams, in one place (STYLE.md lesson 2): block store, transport, consensus
application. Each interface states its contract; implementations live beside it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence

import msgspec

from glassledger.errors import StoreError
from glassledger.ledger.block import Block, BlockHeader, Certificate
from glassledger.ledger.tx import Event, Receipt


class EventRecord(msgspec.Struct, frozen=True):
    """An event with where it happened: block ``height`` and the index of the transaction
    that emitted it (``None`` for begin/end-block hook events)."""

    height: int
    tx_index: int | None
    event: Event


class BlockStore(ABC):
    """Durable home of finalized blocks and the state they produce.

    Contract: :meth:`put_block` is atomic — after a crash at any instant either the whole
    block (header, transactions, certificate, receipts, events, state changes with the values
    they replaced, the new current state) is there or none of it is. Heights are contiguous
    from 0 (genesis). Block 0's changes are the whole genesis state.

    A store keeps, for every block, the values its writes replaced (:meth:`get_previous`), so
    the state after any height can be rebuilt backwards from the head (:meth:`state_at`)
    without replaying from genesis.
    """

    @abstractmethod
    def head_height(self) -> int:
        """Height of the last stored block, -1 when empty."""

    @abstractmethod
    def put_block(
        self,
        block: Block,
        certificate: Certificate,
        receipts: Sequence[Receipt],
        system_events: Sequence[Event],
        changes: Mapping[bytes, bytes | None],
    ) -> None:
        """Store block ``head_height() + 1`` and apply ``changes`` to the current state."""

    @abstractmethod
    def get_block(self, height: int) -> Block:
        """The block at ``height``; :class:`StoreError` if there is none."""

    @abstractmethod
    def get_certificate(self, height: int) -> Certificate:
        """The certificate (commit seals) that finalized block ``height``; genesis has an
        empty one."""

    @abstractmethod
    def get_receipts(self, height: int) -> list[Receipt]:
        """One receipt per transaction of block ``height``, in order, with its events."""

    @abstractmethod
    def get_system_events(self, height: int) -> list[Event]:
        """Events of the begin/end-block hooks of block ``height`` (not tied to a
        transaction), in the order they were emitted."""

    @abstractmethod
    def get_changes(self, height: int) -> dict[bytes, bytes | None]:
        """The state writes block ``height`` made (``None``: deleted)."""

    @abstractmethod
    def get_previous(self, height: int) -> dict[bytes, bytes | None]:
        """For every key block ``height`` wrote, the value it held just before that block
        (``None``: absent). Same keys as :meth:`get_changes`."""

    @abstractmethod
    def load_state(self) -> dict[bytes, bytes]:
        """The current state (after the head block)."""

    def state_at(self, height: int) -> dict[bytes, bytes]:
        """The state after block ``height``, rebuilt by undoing the later blocks from the
        current state (newest first). :class:`StoreError` for a height not stored."""
        head = self._check_height(height)
        state = self.load_state()
        for later in range(head, height, -1):
            apply_writes(state, self.get_previous(later))
        return state

    def scan_at(self, prefix: bytes, height: int) -> dict[bytes, bytes]:
        """The keys starting with ``prefix`` and their values after block ``height`` (a
        store may read only that key range; this default filters :meth:`state_at`)."""
        return {k: v for k, v in self.state_at(height).items() if k.startswith(prefix)}

    def events(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        contract: str | None = None,
        name: str | None = None,
        visible_to: str | None = None,
    ) -> list[EventRecord]:
        """Events of blocks ``start <= height < stop`` (default: to the head), in order
        (hook events of a block before its transactions' events), optionally only those of
        ``contract``, named ``name``, or readable by participant ``visible_to`` (public events
        and those listing it; pass ``None`` for the regulator's view of everything)."""
        stop = self.head_height() + 1 if stop is None else stop
        found = []
        for height in range(max(start, 0), min(stop, self.head_height() + 1)):
            located = [(None, e) for e in self.get_system_events(height)]
            for index, receipt in enumerate(self.get_receipts(height)):
                located += [(index, e) for e in receipt.events]
            found += [
                EventRecord(height, index, event)
                for index, event in located
                if (contract is None or event.contract == contract)
                and (name is None or event.name == name)
                and (visible_to is None or not event.visible_to or visible_to in event.visible_to)
            ]
        return found

    def headers(self, start: int = 0) -> Iterator[BlockHeader]:
        for height in range(start, self.head_height() + 1):
            yield self.get_block(height).header

    def _check_height(self, height: int) -> int:
        """The head height, after checking that ``height`` is stored."""
        head = self.head_height()
        if not 0 <= height <= head:
            raise StoreError(f"no block at height {height} (head is {head})")
        return head

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""


class Transport(ABC):
    """Delivers consensus messages between authorities.

    Contract: :meth:`broadcast` sends to every other registered endpoint (and may also
    deliver to the sender); delivery may be delayed, duplicated, reordered or lost — the
    consensus tolerates all of these. Handlers are called with ``(sender_key, payload)``.
    """

    @abstractmethod
    def register(self, key: bytes, handler: Callable[[bytes, bytes], None]) -> None: ...

    @abstractmethod
    def broadcast(self, sender: bytes, payload: bytes) -> None: ...

    @abstractmethod
    def send(self, sender: bytes, recipient: bytes, payload: bytes) -> None: ...


def apply_writes(state: dict[bytes, bytes], values: Mapping[bytes, bytes | None]) -> None:
    """Write ``values`` into ``state`` in place (``None``: delete the key)."""
    for key, value in values.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value

"""The ledger's seams, in one place (STYLE.md lesson 2): block store, transport, consensus
application. Each interface states its contract; implementations live beside it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence

from glassledger.ledger.block import Block, BlockHeader, Certificate
from glassledger.ledger.tx import Event, Receipt


class BlockStore(ABC):
    """Durable home of finalized blocks and the state they produce.

    Contract: :meth:`put_block` is atomic — after a crash at any instant either the whole
    block (header, transactions, certificate, receipts, events, state changes, the new current
    state) is there or none of it is. Heights are contiguous from 0 (genesis).
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
    def get_certificate(self, height: int) -> Certificate: ...

    @abstractmethod
    def get_receipts(self, height: int) -> list[Receipt]: ...

    @abstractmethod
    def get_system_events(self, height: int) -> list[Event]: ...

    @abstractmethod
    def get_changes(self, height: int) -> dict[bytes, bytes | None]:
        """The state writes block ``height`` made (``None``: deleted)."""

    @abstractmethod
    def load_state(self) -> dict[bytes, bytes]:
        """The current state (after the head block)."""

    def headers(self, start: int = 0) -> Iterator[BlockHeader]:
        for height in range(start, self.head_height() + 1):
            yield self.get_block(height).header

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

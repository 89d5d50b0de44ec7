"""Block stores: :class:`MemoryStore` (tests, simulations); the durable store is
:class:`glassledger.ledger.sqlite_store.SQLiteStore`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from glassledger.errors import StoreError
from glassledger.ledger.abc import BlockStore, apply_writes
from glassledger.ledger.block import Block, Certificate
from glassledger.ledger.tx import Event, Receipt


class _Entry(NamedTuple):
    block: Block
    certificate: Certificate
    receipts: list[Receipt]
    system_events: list[Event]
    changes: dict[bytes, bytes | None]
    previous: dict[bytes, bytes | None]


class MemoryStore(BlockStore):
    """Blocks and state in memory; nothing survives the process.

    ``keep`` bounds memory for long replays and simulations: only the last ``keep`` blocks
    are kept (older ones raise :class:`StoreError`); ``None`` keeps every block.
    """

    def __init__(self, keep: int | None = None) -> None:
        if keep is not None and keep < 1:
            raise ValueError(f"keep must be at least 1 block, got {keep}")
        self.keep = keep
        self._blocks: dict[int, _Entry] = {}
        self._head = -1
        self._state: dict[bytes, bytes] = {}

    def head_height(self) -> int:
        return self._head

    def put_block(
        self,
        block: Block,
        certificate: Certificate,
        receipts: Sequence[Receipt],
        system_events: Sequence[Event],
        changes: Mapping[bytes, bytes | None],
    ) -> None:
        height = block.header.height
        if height != self._head + 1:
            raise StoreError(f"expected block {self._head + 1}, got block {height}")
        previous = {key: self._state.get(key) for key in changes}
        self._blocks[height] = _Entry(
            block, certificate, list(receipts), list(system_events), dict(changes), previous
        )
        apply_writes(self._state, changes)
        self._head = height
        if self.keep is not None:
            self._blocks.pop(height - self.keep, None)

    def _entry(self, height: int) -> _Entry:
        self._check_height(height)
        entry = self._blocks.get(height)
        if entry is None:
            raise StoreError(f"block {height} was pruned (this store keeps {self.keep} blocks)")
        return entry

    def get_block(self, height: int) -> Block:
        return self._entry(height).block

    def get_certificate(self, height: int) -> Certificate:
        return self._entry(height).certificate

    def get_receipts(self, height: int) -> list[Receipt]:
        return list(self._entry(height).receipts)

    def get_system_events(self, height: int) -> list[Event]:
        return list(self._entry(height).system_events)

    def get_changes(self, height: int) -> dict[bytes, bytes | None]:
        return dict(self._entry(height).changes)

    def get_previous(self, height: int) -> dict[bytes, bytes | None]:
        return dict(self._entry(height).previous)

    def load_state(self) -> dict[bytes, bytes]:
        return dict(self._state)

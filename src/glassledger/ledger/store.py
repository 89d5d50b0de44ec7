"""Block stores: :class:`MemoryStore` (tests, simulations) and the SQLite store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from glassledger.errors import StoreError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.block import Block, Certificate
from glassledger.ledger.tx import Event, Receipt


class MemoryStore(BlockStore):
    """Blocks and state in memory; nothing survives the process."""

    def __init__(self) -> None:
        self._blocks: list[tuple[Block, Certificate, list[Receipt], list[Event], dict]] = []
        self._state: dict[bytes, bytes] = {}

    def head_height(self) -> int:
        return len(self._blocks) - 1

    def put_block(
        self,
        block: Block,
        certificate: Certificate,
        receipts: Sequence[Receipt],
        system_events: Sequence[Event],
        changes: Mapping[bytes, bytes | None],
    ) -> None:
        if block.header.height != len(self._blocks):
            raise StoreError(f"expected block {len(self._blocks)}, got block {block.header.height}")
        self._blocks.append(
            (block, certificate, list(receipts), list(system_events), dict(changes))
        )
        for key, value in changes.items():
            if value is None:
                self._state.pop(key, None)
            else:
                self._state[key] = value

    def _entry(self, height: int) -> tuple:
        if not 0 <= height < len(self._blocks):
            raise StoreError(f"no block at height {height} (head is {self.head_height()})")
        return self._blocks[height]

    def get_block(self, height: int) -> Block:
        return self._entry(height)[0]

    def get_certificate(self, height: int) -> Certificate:
        return self._entry(height)[1]

    def get_receipts(self, height: int) -> list[Receipt]:
        return list(self._entry(height)[2])

    def get_system_events(self, height: int) -> list[Event]:
        return list(self._entry(height)[3])

    def get_changes(self, height: int) -> dict[bytes, bytes | None]:
        return dict(self._entry(height)[4])

    def load_state(self) -> dict[bytes, bytes]:
        return dict(self._state)

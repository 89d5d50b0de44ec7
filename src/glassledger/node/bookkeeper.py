"""Bookkeeping nodes (seed 003's 记账节点): read-only followers with a private copy.

A :class:`Bookkeeper` follows a source chain (any :class:`BlockStore`: an authority's SQLite
file opened read-only, or an in-memory store in a simulation). It takes each new block with
its certificate, checks the seals against the authority set its own replayed state names,
checks every transaction signature and re-executes the block through :meth:`Chain.commit`,
which compares every root byte for byte, and only then writes the block into its own SQLite
database. It never signs anything and never trusts the source's receipts or state: what it
stores is what it computed. The first block that fails raises
:class:`~glassledger.ledger.verify.ChainIntegrityError` and nothing of it is written.

:func:`export` is a one-shot bookkeeper: it copies a chain, verified block by block, into a
new SQLite file.
"""

from __future__ import annotations

import threading
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.errors import BlockInvalid, StoreError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.abi import Registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.forks import Checkpoint
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.verify import (
    ChainIntegrityError,
    Progress,
    check_checkpoints,
    check_genesis,
)


class Bookkeeper:
    """A read-only node replicating ``source`` into its own :class:`SQLiteStore`.

    Build with :meth:`start`. ``verifier`` checks each block's transaction signatures in
    batch on all cores (default: one by one during execution).
    """

    def __init__(
        self, source: BlockStore, chain: Chain, verifier: BatchVerifier | None = None
    ) -> None:
        self.source = source
        self.chain = chain
        self.verifier = verifier

    @classmethod
    def start(
        cls,
        source: BlockStore,
        path: Path | str,
        registry: Registry | None = None,
        *,
        genesis_hash: bytes | None = None,
        verifier: BatchVerifier | None = None,
    ) -> Bookkeeper:
        """A bookkeeper whose private database is ``path``: created from the source's
        (checked) genesis on first use, reopened afterwards. ``genesis_hash`` pins the
        genesis block the bookkeeper accepts."""
        registry = registry or standard_registry()
        path = Path(path)
        source_genesis = source.get_block(0)
        if path.exists():
            store = SQLiteStore.open(path)
            own = store.get_block(0).hash
            if own != source_genesis.hash or genesis_hash not in (None, own):
                store.close()
                raise StoreError(f"{path} holds a different chain (genesis) than expected")
        else:
            state = check_genesis(source, genesis_hash)
            store = SQLiteStore.create(path, source_genesis, source.get_certificate(0), state.data)
        return cls(source, Chain.open(registry, store), verifier)

    @property
    def store(self) -> SQLiteStore:
        """The bookkeeper's private database."""
        return self.chain.store  # type: ignore[return-value]

    def sync(self, progress: Progress | None = None) -> int:
        """Check and store every block the source has beyond ours; returns how many. A
        source that now holds a different certified block at our head height raises
        :class:`~glassledger.ledger.verify.ForkDetected` carrying the evidence (two quorum
        certificates at one height) to submit to governance."""
        start = self.chain.height + 1
        head = self.source.head_height()
        if 1 <= self.chain.height <= head:
            ours = Checkpoint(self.chain.head, self.store.get_certificate(self.chain.height))
            check_checkpoints(self.source, [ours])
        for height in range(start, head + 1):
            self._follow_block(height)
            if progress is not None:
                progress(height)
        return max(head + 1 - start, 0)

    def follow(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        """Keep syncing every ``interval_s`` seconds until ``stop`` is set."""
        while not stop.is_set():
            self.sync()
            stop.wait(interval_s)

    def _follow_block(self, height: int) -> None:
        try:
            block = self.source.get_block(height)
            certificate = self.source.get_certificate(height)
        except StoreError as exc:
            raise ChainIntegrityError(height, f"unreadable at the source: {exc}") from exc
        signatures_ok = None
        if self.verifier is not None:
            signatures_ok = self.verifier.verify_many([t.verification_item() for t in block.txs])
        try:
            self.chain.validate(block, signatures_ok=signatures_ok)
            self.chain.commit(block, certificate, verify=True)
        except BlockInvalid as exc:
            raise ChainIntegrityError(height, f"refused: {exc}") from exc

    def close(self) -> None:
        self.store.close()


def export(
    source: BlockStore,
    path: Path | str,
    registry: Registry | None = None,
    progress: Progress | None = None,
    *,
    genesis_hash: bytes | None = None,
) -> int:
    """Copy ``source`` into a new SQLite file at ``path``, verifying every block as a
    bookkeeper does (signatures, seals, re-execution, roots). Returns the head height
    copied. ``path`` must not exist."""
    path = Path(path)
    if path.exists():
        raise StoreError(f"{path} already exists; export writes a new file")
    keeper = Bookkeeper.start(source, path, registry, genesis_hash=genesis_hash)
    try:
        keeper.sync(progress)
        return keeper.chain.height
    finally:
        keeper.close()

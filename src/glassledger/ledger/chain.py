"""A replica's chain: committed state, block store and the deterministic state transition.

:class:`Chain` is what consensus drives (its *application*): it builds a proposal from
transactions, validates a proposal by executing it and comparing every root, and commits a
finalized block with its certificate. Executing a proposal applies its changes to the state
tree speculatively (to compute the state root) and keeps an undo record; a different proposal
at the same height first reverts it. Only :meth:`commit` makes a block durable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glassledger.errors import BlockInvalid
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.abi import Registry
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.block import (
    Block,
    BlockHeader,
    Certificate,
    authority_set_hash,
    certificate_hash,
    receipts_root,
    tx_root,
    verify_certificate,
)
from glassledger.ledger.codec import decode
from glassledger.ledger.execution import PARAMS_KEY, BlockResult, execute_block, load_params
from glassledger.ledger.merkle import DEFAULT_DEPTH
from glassledger.ledger.state import State, StateUndo
from glassledger.ledger.tx import SignedTransaction


@dataclass
class _Speculative:
    block_hash: bytes
    result: BlockResult
    undo: StateUndo


class _Committed:
    """Read-only view of the committed state while a speculative block is applied."""

    __slots__ = ("chain",)

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def get(self, key: bytes) -> bytes | None:
        spec = self.chain._speculative
        if spec is not None and key in spec.undo.previous:
            return spec.undo.previous[key]
        return self.chain.state.get(key)


class Chain:
    """One replica's view of the ledger. ``store`` holds at least the genesis block."""

    def __init__(self, registry: Registry, store: BlockStore, state: State) -> None:
        self.registry = registry
        self.store = store
        self.state = state
        self.head: BlockHeader = store.get_block(store.head_height()).header
        self.params = load_params(state)
        self.chain_id: str = self.params["chain_id"]
        self._speculative: _Speculative | None = None
        #: Execution result (receipts, hook events) of the last committed block.
        self.last_result: BlockResult | None = None
        if state.root != self.head.state_root:
            raise BlockInvalid(
                f"state root {state.root.hex()} does not match head block "
                f"{self.head.height} ({self.head.state_root.hex()})"
            )

    @classmethod
    def open(cls, registry: Registry, store: BlockStore) -> Chain:
        """Resume from a store (rebuilding the state tree from the stored current state)."""
        data = store.load_state()
        raw = data.get(PARAMS_KEY)
        depth = (
            DEFAULT_DEPTH if raw is None else decode(raw, dict).get("state_depth", DEFAULT_DEPTH)
        )
        return cls(registry, store, State.from_items(data, depth))

    @property
    def height(self) -> int:
        return self.head.height

    @property
    def committed(self) -> _Committed:
        """Read-only view (``get``) of the state after the head block, ignoring a proposal
        being executed: what admission checks (nonces, identities) must read."""
        return _Committed(self)

    def authorities(self, height: int | None = None) -> list[bytes]:
        """Keys of the authorities that sign block ``height`` (default: the next block)."""
        target = self.height + 1 if height is None else height
        return [key for _, key in authorities_at(_Committed(self), target)]

    # ------------------------------------------------------------------ proposing

    def propose(
        self,
        time_ms: int,
        proposer: bytes,
        txs: Sequence[SignedTransaction],
        signatures_ok: Sequence[bool] | None = None,
        last_commit: Certificate | None = None,
    ) -> Block:
        """Build and execute the next block from ``txs`` (in order). ``last_commit`` is the
        certificate that finalized the head (default: the stored one)."""
        height = self.height + 1
        time_ms = max(time_ms, self.head.timestamp_ms + 1)
        self._revert_speculative()
        authorities = self.authorities(height)
        if last_commit is None:
            last_commit = self.store.get_certificate(self.height)
        hashes = [tx.hash for tx in txs]
        result = execute_block(
            self.state,
            self.registry,
            height,
            time_ms,
            self.head.hash,
            txs,
            signatures_ok,
            proposer,
            last_commit,
            hashes,
        )
        undo = self.state.apply(result.overlay.changes)
        header = BlockHeader(
            chain_id=self.chain_id,
            height=height,
            prev_hash=self.head.hash,
            timestamp_ms=time_ms,
            proposer=proposer,
            tx_root=tx_root(txs, hashes),
            state_root=self.state.root,
            receipts_root=receipts_root(result.receipts),
            authority_set_hash=authority_set_hash(authorities),
            last_commit_hash=certificate_hash(last_commit),
        )
        block = Block(header, tuple(txs), last_commit)
        self._speculative = _Speculative(block.hash, result, undo)
        return block

    # ------------------------------------------------------------------ validating

    def validate(
        self,
        block: Block,
        now_ms: int | None = None,
        signatures_ok: Sequence[bool] | None = None,
    ) -> None:
        """Raise :class:`BlockInvalid` unless ``block`` is a correct next block: linkage,
        time (strictly after the parent, at most ``max_clock_skew_ms`` ahead of ``now_ms``),
        proposer is an authority, and re-execution reproduces every root."""
        header = block.header
        if self._speculative is not None and self._speculative.block_hash == block.hash:
            return
        if header.chain_id != self.chain_id:
            raise BlockInvalid(f"block for chain {header.chain_id!r}, this is {self.chain_id!r}")
        if header.height != self.height + 1:
            raise BlockInvalid(f"block height {header.height}, expected {self.height + 1}")
        if header.prev_hash != self.head.hash:
            raise BlockInvalid(f"block {header.height} does not extend the current head")
        if header.timestamp_ms <= self.head.timestamp_ms:
            raise BlockInvalid(
                f"block {header.height} timestamp {header.timestamp_ms} is not after its "
                f"parent's {self.head.timestamp_ms}"
            )
        skew = self.params.get("max_clock_skew_ms", 5_000)
        if now_ms is not None and header.timestamp_ms > now_ms + skew:
            raise BlockInvalid(
                f"block {header.height} timestamp is {header.timestamp_ms - now_ms} ms in the "
                f"future (limit {skew} ms)"
            )
        if len(block.txs) > self.params.get("max_block_txs", 10_000):
            raise BlockInvalid(f"block {header.height} has too many transactions")
        self._revert_speculative()
        authorities = self.authorities(header.height)
        if header.proposer not in authorities:
            raise BlockInvalid(f"block {header.height} proposer is not an authority")
        if header.authority_set_hash != authority_set_hash(authorities):
            raise BlockInvalid(f"block {header.height} names the wrong authority set")
        hashes = [tx.hash for tx in block.txs]
        if header.tx_root != tx_root(block.txs, hashes):
            raise BlockInvalid(f"block {header.height} transaction root mismatch")
        if header.last_commit_hash != certificate_hash(block.last_commit):
            raise BlockInvalid(f"block {header.height} last-commit hash mismatch")
        if self.height > 0:
            verify_certificate(self.head, block.last_commit, self._head_authorities())
        result = execute_block(
            self.state,
            self.registry,
            header.height,
            header.timestamp_ms,
            header.prev_hash,
            block.txs,
            signatures_ok,
            header.proposer,
            block.last_commit,
            hashes,
        )
        undo = self.state.apply(result.overlay.changes)
        self._speculative = _Speculative(block.hash, result, undo)
        if header.receipts_root != receipts_root(result.receipts):
            self._revert_speculative()
            raise BlockInvalid(f"block {header.height} receipts root mismatch")
        if header.state_root != self.state.root:
            self._revert_speculative()
            raise BlockInvalid(f"block {header.height} state root mismatch")

    # ------------------------------------------------------------------ committing

    def commit(self, block: Block, certificate: Certificate, verify: bool = True) -> None:
        """Make ``block`` durable. With ``verify``, the certificate is checked against the
        authority set and the block re-validated unless it is the one just executed."""
        if verify:
            verify_certificate(block.header, certificate, self.authorities(block.header.height))
        self.validate(block)
        spec = self._speculative
        assert spec is not None and spec.block_hash == block.hash
        self.store.put_block(
            block,
            certificate,
            spec.result.receipts,
            spec.result.system_events,
            spec.result.overlay.changes,
        )
        self.last_result = spec.result
        self._speculative = None
        self.head = block.header

    def _head_authorities(self) -> list[bytes]:
        """Keys that sign the head block. A change decided in block ``h`` takes effect at
        ``h + delay`` with ``delay >= 1``, so the committed state after the head still names
        the head's signers."""
        return [key for _, key in authorities_at(_Committed(self), self.head.height)]

    def _revert_speculative(self) -> None:
        if self._speculative is not None:
            self.state.revert(self._speculative.undo)
            self._speculative = None

    def receipts_of(self, block_hash: bytes) -> BlockResult | None:
        """Execution result of the speculative block ``block_hash``, if it is the current one."""
        spec = self._speculative
        return spec.result if spec is not None and spec.block_hash == block_hash else None

"""The mempool: admission, batched signature verification, and hand-out to proposals.

Admission is cheap and synchronous: bytes are decoded (typed :class:`DecodeError` for
anything malformed or oversized), the chain id checked, duplicates dropped. Signatures are
verified in batches on all cores (:class:`~glassledger.ledger.crypto.BatchVerifier`) when a
proposal takes transactions; a transaction with a bad signature is dropped with its reason
recorded in :attr:`Mempool.dropped` and never reaches a block. Everything else (sender, nonce,
permissions, contract rules) is decided by execution and recorded in the block's receipts.

Transactions leave in arrival order, so one sender's transactions keep their nonce order.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from glassledger.errors import DecodeError, RejectReason, TxRejected
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.tx import SignedTransaction, decode_transaction


@dataclass(frozen=True, slots=True)
class Dropped:
    """A transaction refused before any block: its hash and why."""

    tx_hash: bytes
    reason: RejectReason
    message: str


class Mempool:
    """Pending transactions of one node. ``capacity`` bounds the number held."""

    def __init__(
        self, chain_id: str, verifier: BatchVerifier | None = None, capacity: int = 200_000
    ) -> None:
        self.chain_id = chain_id
        self.capacity = capacity
        self.verifier = verifier or BatchVerifier(workers=1)
        self._pending: OrderedDict[bytes, SignedTransaction] = OrderedDict()
        self._in_flight: OrderedDict[bytes, SignedTransaction] = OrderedDict()
        self.dropped: deque[Dropped] = deque(maxlen=10_000)

    def __len__(self) -> int:
        return len(self._pending) + len(self._in_flight)

    def submit(self, tx: SignedTransaction | bytes) -> bytes:
        """Admit one transaction (object or canonical bytes); returns its hash.

        Raises :class:`DecodeError` for malformed bytes and :class:`TxRejected` for a wrong
        chain or a full mempool. A duplicate is accepted silently (same hash).
        """
        signed = decode_transaction(bytes(tx)) if isinstance(tx, bytes | bytearray) else tx
        if signed.tx.chain_id != self.chain_id:
            raise TxRejected(
                RejectReason.WRONG_CHAIN,
                f"transaction is for chain {signed.tx.chain_id!r}, not {self.chain_id!r}",
            )
        tx_hash = signed.hash
        if tx_hash in self._pending or tx_hash in self._in_flight:
            return tx_hash
        if len(self) >= self.capacity:
            raise TxRejected(RejectReason.MALFORMED, f"mempool is full ({self.capacity})")
        self._pending[tx_hash] = signed
        return tx_hash

    def submit_many(self, txs: Iterable[SignedTransaction | bytes]) -> list[bytes | Exception]:
        """Admit many; per item, its hash or the typed error that refused it."""
        out: list[bytes | Exception] = []
        for tx in txs:
            try:
                out.append(self.submit(tx))
            except (DecodeError, TxRejected) as exc:
                out.append(exc)
        return out

    def take(self, limit: int) -> tuple[list[SignedTransaction], list[bool]]:
        """Up to ``limit`` transactions with verified signatures, in arrival order, moved
        in flight until :meth:`committed` or :meth:`restore`. Returns ``(txs, flags)`` where
        every flag is ``True`` (the batch was verified here)."""
        chosen: list[tuple[bytes, SignedTransaction]] = []
        while self._pending and len(chosen) < limit:
            want = min(limit - len(chosen), len(self._pending))
            batch = [self._pending.popitem(last=False) for _ in range(want)]
            results = self.verifier.verify_many([tx.verification_item() for _, tx in batch])
            for (tx_hash, tx), ok in zip(batch, results, strict=True):
                if ok:
                    chosen.append((tx_hash, tx))
                else:
                    self.dropped.append(
                        Dropped(tx_hash, RejectReason.BAD_SIGNATURE, "signature does not verify")
                    )
        self._in_flight.update(chosen)
        return [tx for _, tx in chosen], [True] * len(chosen)

    def committed(self, txs: Iterable[SignedTransaction]) -> None:
        """Forget transactions included in a finalized block; return the rest in flight to
        the front of the queue (their proposal was not the one decided)."""
        for tx in txs:
            self._in_flight.pop(tx.hash, None)
        self.restore()

    def restore(self) -> None:
        """Put in-flight transactions back at the front, in their order."""
        if not self._in_flight:
            return
        rest = self._pending
        self._pending = self._in_flight
        self._pending.update(rest)
        self._in_flight = OrderedDict()

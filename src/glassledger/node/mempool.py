"""The mempool: admission, pipelined signature verification, and hand-out to proposals.

Admission is cheap and synchronous: bytes are decoded (typed :class:`DecodeError` for
anything malformed or oversized), the chain id checked, duplicates dropped. Signatures are
verified in batches on all cores (:class:`~glassledger.ledger.crypto.BatchVerifier`) *as soon
as transactions arrive*: batches go to worker processes in the background, so while the
proposer executes one block the workers verify the next. A transaction with a bad signature
is dropped with its reason recorded in :attr:`Mempool.dropped` and never reaches a block.

Given the chain's committed ``state`` (a callable), the mempool also drops, at admission and
again when handing transactions to a proposal, those that could only be rejected at no cost
to their sender: a sender key that is not registered (or a suspended participant) and a
*replay* (nonce not above the sender's last committed nonce). Each drop is logged (logger
``glassledger.mempool``); at admission the typed :class:`TxRejected` goes back to the
submitter, at hand-out the drop is recorded in :attr:`Mempool.dropped` with its reason. Everything
else (a registered sender's permissions, arguments, contract rules) is decided by execution
and recorded in the block's receipts, so a registered sender always gets a receipt.

Transactions leave in arrival order, except that one sender's transactions leave in nonce
order and without a gap the mempool cannot explain (Ethereum's "pending" and "queued"
transactions): the ledger allows nonce gaps (a client may abandon a nonce), so a nonce
executed before a lower one arrives makes the lower one invalid for ever. Arrival order is not
nonce order when a transaction travels by another path (a gossip frame lost with a connection
and re-gossiped seconds later, a client submitting over several connections, a proposer
proposing twice at one height). Given the committed state, a sender's next expected nonce is
one above the highest of its last committed nonce and the nonces of its transactions seen in
finalized blocks (a rejected transaction does not consume its nonce, but its successor must not
wait for it); a transaction above the expected nonce is *queued* until the missing ones arrive,
or for at most :data:`GAP_WAIT_S`, after which the gap is taken as intended.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass

from glassledger.errors import DecodeError, RejectReason, TxRejected
from glassledger.ledger.crypto import BatchVerifier
from glassledger.ledger.execution import last_nonce, sender_identity
from glassledger.ledger.state import Overlay, State
from glassledger.ledger.tx import SignedTransaction, decode_transaction

log = logging.getLogger("glassledger.mempool")

#: Transactions per background verification batch.
VERIFY_BATCH = 1_000
#: A partial batch is sent once its oldest transaction has waited this long (seconds).
VERIFY_MAX_WAIT_S = 0.02
#: Longest a transaction waits for a lower nonce of its sender before it leaves anyway
#: (longer than the node's first re-gossip of what it accepted, 3 s).
GAP_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class Dropped:
    """A transaction refused before any block: its hash and why."""

    tx_hash: bytes
    reason: RejectReason
    message: str


class Mempool:
    """Pending transactions of one node. ``capacity`` bounds the number held."""

    def __init__(
        self,
        chain_id: str,
        verifier: BatchVerifier | None = None,
        capacity: int = 500_000,
        state: Callable[[], State | Overlay] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chain_id = chain_id
        self.state = state
        self.clock = clock
        #: Admission time of each pending transaction (how long a queued one has waited).
        self._arrived: dict[bytes, float] = {}
        #: Per sender, the highest nonce seen in a finalized block (success or rejection).
        self._decided: dict[bytes, int] = {}
        self.capacity = capacity
        self.verifier = verifier or BatchVerifier(workers=1)
        self._known: set[bytes] = set()
        self._unverified: list[tuple[bytes, SignedTransaction]] = []
        self._oldest_unverified = 0.0
        self._verifying: deque[tuple[list[tuple[bytes, SignedTransaction]], Future]] = deque()
        self._ready: OrderedDict[bytes, SignedTransaction] = OrderedDict()
        self._in_flight: OrderedDict[bytes, SignedTransaction] = OrderedDict()
        self.dropped: deque[Dropped] = deque(maxlen=10_000)

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, tx_hash: bytes) -> bool:
        """Whether ``tx_hash`` is pending here (admitted and not yet committed or dropped)."""
        return tx_hash in self._known

    # ------------------------------------------------------------------ admission

    def submit(self, tx: SignedTransaction | bytes) -> bytes:
        """Admit one transaction (object or canonical bytes); returns its hash.

        Raises :class:`DecodeError` for malformed bytes and :class:`TxRejected` for a wrong
        chain or a full mempool. A duplicate is accepted silently (same hash).
        """
        tx_hash = self._admit(tx)
        self.pump()
        return tx_hash

    def submit_many(self, txs: Iterable[SignedTransaction | bytes]) -> list[bytes | Exception]:
        """Admit many; per item, its hash or the typed error that refused it."""
        out: list[bytes | Exception] = []
        for tx in txs:
            try:
                out.append(self._admit(tx))
            except (DecodeError, TxRejected) as exc:
                out.append(exc)
        self.pump()
        return out

    def _admit(self, tx: SignedTransaction | bytes) -> bytes:
        signed = decode_transaction(bytes(tx)) if isinstance(tx, bytes | bytearray) else tx
        if signed.tx.chain_id != self.chain_id:
            raise TxRejected(
                RejectReason.WRONG_CHAIN,
                f"transaction is for chain {signed.tx.chain_id!r}, not {self.chain_id!r}",
            )
        tx_hash = signed.hash
        if tx_hash in self._known:
            return tx_hash
        refusal = self._free_rejection(signed)
        if refusal is not None:  # refused to the submitter; a late duplicate is no news
            log.warning("refused %s: %s", tx_hash.hex(), refusal)
            raise refusal
        if len(self._known) >= self.capacity:
            raise TxRejected(
                RejectReason.MEMPOOL_FULL,
                f"mempool is full ({self.capacity} transactions); resubmit later",
            )
        self._known.add(tx_hash)
        self._arrived[tx_hash] = self.clock()
        if not self._unverified:
            self._oldest_unverified = time.monotonic()
        self._unverified.append((tx_hash, signed))
        return tx_hash

    def _free_rejection(
        self, signed: SignedTransaction, state: State | Overlay | None = None
    ) -> TxRejected | None:
        """Why ``signed`` could only be rejected at no cost (unregistered or suspended
        sender, replayed nonce), given the committed state; ``None`` otherwise."""
        if state is None:
            if self.state is None:
                return None
            state = self.state()
        try:
            sender_identity(state, signed.tx.sender)
        except TxRejected as exc:
            return exc
        last = last_nonce(state, signed.tx.sender)
        if signed.tx.nonce <= last:
            return TxRejected(
                RejectReason.BAD_NONCE,
                f"replay: nonce {signed.tx.nonce} is not above the sender's last committed "
                f"nonce {last}",
            )
        return None

    def _forget(self, tx_hash: bytes) -> None:
        self._known.discard(tx_hash)
        self._arrived.pop(tx_hash, None)

    def _drop(self, tx_hash: bytes, refusal: TxRejected) -> None:
        self._forget(tx_hash)
        self.dropped.append(Dropped(tx_hash, refusal.reason, refusal.message))
        log.warning("dropped %s: %s", tx_hash.hex(), refusal)

    # ------------------------------------------------------------------ verification

    def pump(self) -> None:
        """Send full batches to the verifier, and a partial one once its oldest transaction
        has waited :data:`VERIFY_MAX_WAIT_S` (call it often, e.g. every network step)."""
        stale = time.monotonic() - self._oldest_unverified >= VERIFY_MAX_WAIT_S
        self._dispatch(full_batches_only=not stale)

    def _dispatch(self, full_batches_only: bool) -> None:
        """Send unverified transactions to the verifier in batches (in the background)."""
        while len(self._unverified) >= VERIFY_BATCH or (self._unverified and not full_batches_only):
            batch = self._unverified[:VERIFY_BATCH]
            del self._unverified[:VERIFY_BATCH]
            self._oldest_unverified = time.monotonic()
            future = self.verifier.submit([tx.verification_item() for _, tx in batch])
            self._verifying.append((batch, future))

    def _collect(self) -> None:
        """Move verified batches to the ready queue, in order: every batch already done, and
        the oldest one (waiting for it) only if nothing is ready at all. A proposal thus
        takes what the workers have verified and never waits on work still queued behind."""
        self._dispatch(full_batches_only=False)
        while self._verifying and (self._verifying[0][1].done() or not self._ready):
            self._verified(*self._verifying.popleft())

    def _verified(self, batch: list[tuple[bytes, SignedTransaction]], future: Future) -> None:
        for (tx_hash, tx), ok in zip(batch, future.result(), strict=True):
            if tx_hash not in self._known:
                continue  # finalized (in another proposer's block) while being verified
            if ok:
                self._ready[tx_hash] = tx
            else:
                self._forget(tx_hash)
                self.dropped.append(
                    Dropped(tx_hash, RejectReason.BAD_SIGNATURE, "signature does not verify")
                )

    def collect_done(self) -> None:
        """Move every batch the workers have finished to the ready queue without waiting (a
        node that does not propose calls it so its signature checks are known when it
        validates a proposal). Bad signatures go to :attr:`dropped`."""
        self._dispatch(full_batches_only=False)
        while self._verifying and self._verifying[0][1].done():
            self._verified(*self._verifying.popleft())

    def is_verified(self, tx_hash: bytes) -> bool:
        """Whether ``tx_hash`` is pending here with its signature already verified."""
        return tx_hash in self._ready or tx_hash in self._in_flight

    # ------------------------------------------------------------------ proposals

    def take(self, limit: int) -> tuple[list[SignedTransaction], list[bool]]:
        """Up to ``limit`` transactions with verified signatures, in arrival order but each
        sender's in nonce order and without an unexplained gap (see the module docstring),
        moved in flight until :meth:`committed` or :meth:`restore`. Returns ``(txs, flags)``
        with every flag ``True`` (verified here)."""
        self._collect()
        state = self.state() if self.state is not None else None
        now = self.clock()
        chosen: list[tuple[bytes, SignedTransaction]] = []
        expected: dict[bytes, int] = {}
        queued: dict[bytes, dict[int, tuple[bytes, SignedTransaction]]] = {}
        while self._ready and len(chosen) < limit:
            tx_hash, tx = self._ready.popitem(last=False)
            refusal = self._free_rejection(tx, state)
            if refusal is not None:
                self._drop(tx_hash, refusal)
                continue
            if state is None:
                chosen.append((tx_hash, tx))
                continue
            sender, nonce = tx.tx.sender, tx.tx.nonce
            following = expected.get(sender)
            if following is None:
                following = max(last_nonce(state, sender), self._decided.get(sender, -1)) + 1
            if nonce > following and now - self._arrived.get(tx_hash, now) < GAP_WAIT_S:
                queued.setdefault(sender, {})[nonce] = (tx_hash, tx)  # a lower one is missing
                continue
            chosen.append((tx_hash, tx))
            following = max(following, nonce + 1)
            waiting = queued.get(sender)
            while waiting and following in waiting and len(chosen) < limit:
                chosen.append(waiting.pop(following))
                following += 1
            expected[sender] = following
        if queued:  # back to the front, in arrival order, ahead of what was not looked at
            held = sorted(
                (item for waiting in queued.values() for item in waiting.values()),
                key=lambda item: self._arrived.get(item[0], now),
            )
            rest = self._ready
            self._ready = OrderedDict(held)
            self._ready.update(rest)
        self._in_flight.update(chosen)
        return [tx for _, tx in chosen], [True] * len(chosen)

    def committed(
        self, txs: Iterable[SignedTransaction], hashes: Iterable[bytes] | None = None
    ) -> None:
        """Forget transactions included in a finalized block (``hashes``: their hashes, if
        known, e.g. from the receipts), also those still waiting for or under signature
        verification here (they are skipped when their batch comes back); return the rest in
        flight to the front of the queue (their proposal was not the one decided)."""
        txs = list(txs)
        for tx_hash in hashes if hashes is not None else (tx.hash for tx in txs):
            self._in_flight.pop(tx_hash, None)
            self._ready.pop(tx_hash, None)
            self._forget(tx_hash)
        for tx in txs:
            sender, nonce = tx.tx.sender, tx.tx.nonce
            if nonce > self._decided.get(sender, -1):
                self._decided[sender] = nonce
        self.restore()

    def restore(self) -> None:
        """Put in-flight transactions back at the front, in their order."""
        if not self._in_flight:
            return
        rest = self._ready
        self._ready = self._in_flight
        self._ready.update(rest)
        self._in_flight = OrderedDict()

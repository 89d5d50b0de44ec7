"""QBFT (IBFT 2.0) consensus engine: one instance per authority identity.

The engine is event-driven and deterministic: no threads, no sleeping, no randomness. Its
owner feeds it three kinds of events and it reacts by sending messages through a
:class:`~glassledger.ledger.abc.Transport` and committing blocks to a
:class:`~glassledger.ledger.chain.Chain`:

* :meth:`QbftEngine.start` — begin agreeing on the block after the chain's head;
* :meth:`QbftEngine.on_message` — a payload arrived from the network;
* :meth:`QbftEngine.on_tick` — time passed; fires due timeouts and, for the round-0
  proposer, proposes once ``block_interval_ms`` has passed since the head's timestamp.

Protocol (per height ``h``; Moniz, *The Istanbul BFT Consensus Algorithm*, 2020, and the QBFT
specification; see docs/consensus.md):

1. The proposer of ``(h, r)`` is ``authorities(h)[(h + r) mod N]``. It broadcasts PROPOSAL
   with the block; for ``r > 0`` the proposal carries a quorum of ROUND_CHANGE votes and, if
   any of them reports a prepared block, the highest one and its prepare certificate: a block
   that may have been decided is always re-proposed.
2. A replica that accepts the proposal (right proposer, justified, ``Chain.validate`` passes
   with the local clock) broadcasts PREPARE.
3. On a quorum (``ceil(2N/3)``) of PREPAREs for the accepted block it is *prepared* (locks the
   block and the certificate) and broadcasts COMMIT with its commit seal.
4. On a quorum of COMMITs with valid seals for a block it knows, the block is final:
   ``chain.commit(block, Certificate(round, seals))``.
5. If round ``r`` does not finish before ``round_timeout_ms * 2**r`` (silent or invalid
   proposer, lost messages), the replica moves to ``r + 1`` and broadcasts ROUND_CHANGE with its
   prepared block and certificate; on ``f + 1`` round changes for higher rounds it jumps
   forward; on a quorum for its round the new proposer proposes.
6. Every ``round_timeout_ms / 2`` without progress a replica re-broadcasts what it sent at
   the current height (lossy links); the next proposer carries every commit seal it collected
   for the parent, late ones included, as the block's ``last_commit``.

Lagging replicas catch up through SYNC: a replica that sees messages for a future height asks
the sender for the decided blocks, and a replica that sees a round change for a height it has
already decided pushes the decided blocks to the sender. Every synced block is committed only
if its certificate verifies.

Several engines may share one :class:`Chain` (the embedded network: N identities, one state,
one store). Whichever engine reaches a commit quorum first commits; the others see
``chain.height`` reach their height and move on without committing again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from glassledger.errors import ConsensusError, GlassledgerError, StoreError
from glassledger.ledger.abc import Transport
from glassledger.ledger.authorities import authority_keys_at
from glassledger.ledger.block import Block, Certificate, CommitSeal, quorum
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.forks import (
    Checkpoint,
    ConflictingCertificates,
    conflict,
    double_signers,
)
from glassledger.ledger.consensus.guard import SignLock, SignState, VoteGuard
from glassledger.ledger.consensus.messages import (
    NO_DIGEST,
    ConsensusMessage,
    EquivocationEvidence,
    SignedVote,
    SyncRequest,
    SyncResponse,
    Vote,
    VoteKind,
    check_equivocation,
)
from glassledger.ledger.consensus.wire import (
    DEFAULT_MAX_MESSAGE_BYTES,
    decode_packet,
    encode_packet,
    make_seal,
    seal_valid,
    sign_vote,
    vote_valid,
)
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import SignedTransaction

log = logging.getLogger("glassledger.consensus")

#: Rounds above this are refused outright (a timeout of 2**20 rounds would never expire).
MAX_ROUND = 1 << 20
#: Votes for rounds further ahead than this are dropped (rounds grow with log2 of the time
#: spent at a height, so no honest replica is ever that far ahead); bounds memory.
MAX_ROUNDS_AHEAD = 64
#: The round timeout stops doubling after this many doublings.
MAX_TIMEOUT_DOUBLINGS = 16
#: Messages for heights up to this far ahead are kept until the replica gets there.
FUTURE_HEIGHTS = 8
MAX_BUFFERED_MESSAGES = 4096
#: Blocks per sync response.
MAX_SYNC_BLOCKS = 16
MAX_REJECTIONS_KEPT = 256

TxSource = Callable[[int], tuple[list[SignedTransaction], list[bool] | None]]
CommitCallback = Callable[[Block, Certificate], None]
EvidenceCallback = Callable[[EquivocationEvidence | ConflictingCertificates], None]


def proposer_of(authorities: list[bytes], height: int, round_: int) -> bytes:
    """The proposer of ``(height, round)``: round-robin over the height's authority list."""
    return authorities[(height + round_) % len(authorities)]


def round_timeout(base_ms: int, round_: int) -> int:
    """Timeout of round ``round_`` in ms: ``base_ms * 2**round_`` (doubling capped at
    :data:`MAX_TIMEOUT_DOUBLINGS`)."""
    return base_ms << min(round_, MAX_TIMEOUT_DOUBLINGS)


class QbftEngine:
    """The QBFT state machine of one authority (see the module docstring).

    ``clock()`` returns the local time in milliseconds since the Unix epoch. ``tx_source(n)``
    returns up to ``n`` transactions for a fresh proposal and optionally their pre-verified
    signature flags. ``on_commit(block, certificate)`` is called after this engine commits a
    block (by consensus or by sync). ``on_evidence(evidence)`` is called for each new piece
    of equivocation evidence (also appended to :attr:`evidence`).

    The engine registers :meth:`on_message` with ``transport`` under its public key.
    """

    def __init__(
        self,
        keys: KeyPair,
        chain: Chain,
        transport: Transport,
        clock: Callable[[], int],
        tx_source: TxSource,
        on_commit: CommitCallback | None = None,
        *,
        on_evidence: EvidenceCallback | None = None,
        vote_guard: VoteGuard | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.keys = keys
        self.chain = chain
        self.transport = transport
        self.clock = clock
        self.tx_source = tx_source
        self.on_commit = on_commit
        self.on_evidence = on_evidence
        self.vote_guard = vote_guard or VoteGuard()
        self.max_message_bytes = max_message_bytes
        params = chain.params
        self.round_timeout_ms: int = params.get("round_timeout_ms", 1_000)
        self.block_interval_ms: int = params.get("block_interval_ms", 200)
        self.max_block_txs: int = params.get("max_block_txs", 10_000)
        self.max_clock_skew_ms: int = params.get("max_clock_skew_ms", 5_000)
        #: Equivocation evidence found so far (each conflict once).
        self.evidence: list[EquivocationEvidence] = []
        #: The most recent rejected messages (typed errors), and how many in total.
        self.rejected: deque[ConsensusError] = deque(maxlen=MAX_REJECTIONS_KEPT)
        self.rejected_count = 0
        self.height = 0
        self.round = 0
        self._commits: dict[tuple[int, bytes], dict[bytes, CommitSeal]] = {}
        self._started = False
        self._pending: deque[tuple[bytes, ConsensusMessage, bool]] = deque()
        self._future: dict[int, dict[tuple, tuple[bytes, ConsensusMessage]]] = {}
        self._future_count = 0
        self._seen: dict[tuple[bytes, int, int, int], SignedVote] = {}
        self._accused: set[tuple[bytes, int, int, int]] = set()
        self._last_sync_request_ms: int | None = None
        self._served: dict[tuple[bytes, int], int] = {}
        self._refusal_logged = -1
        transport.register(keys.public, self.on_message)

    # ------------------------------------------------------------------ events

    def start(self) -> None:
        """Begin agreeing on the block after the chain's head (resuming from the key's sign
        state when it has already signed at that height)."""
        self._started = True
        self._enter_height(self.chain.height + 1)
        self._resume()
        self.on_tick()

    def refusal(self) -> str | None:
        """Why this authority must not sign now (its sign state is ahead of the store), or
        None. Logged once per height while it lasts."""
        guard = self.vote_guard
        if not isinstance(guard, SignState):
            return None
        reason = guard.refusal(self.chain.height)
        if reason is not None and self._refusal_logged != self.chain.height:
            self._refusal_logged = self.chain.height
            log.warning("authority %s refuses to sign: %s", self.keys.public.hex()[:16], reason)
        return reason

    def _resume(self) -> None:
        """After a restart at the height of the key's sign state: take back the block it
        sealed there (its lock) and the round it reached, and send its COMMIT again (the
        same digest at the same mark may be signed again), so the network can finish that
        block instead of building a second one."""
        guard = self.vote_guard
        if not isinstance(guard, SignState) or self.refusal() is not None:
            return
        mark, lock = guard.mark, guard.lock
        if mark is None or mark.height != self.height:
            return
        if mark.round > self.round:
            self._enter_round(mark.round)
        if lock is None or lock.height != self.height:
            return
        block = lock.block
        self._blocks[block.hash] = block
        self._prepared_round = lock.round
        self._prepared_block = block
        self._prepared_cert = lock.prepares
        if lock.round == self.round:
            self._proposals[lock.round] = block
            self._committed_rounds.add(lock.round)
            if self._sign_allowed(VoteKind.COMMIT, lock.round, block.hash):
                vote = self._vote(VoteKind.COMMIT, lock.round, block.hash)
                seal = make_seal(self.keys, block.hash, lock.round)
                self._broadcast(ConsensusMessage(vote, seal=seal))

    def on_message(self, sender: bytes, payload: bytes) -> None:
        """Handle a payload from ``sender`` (a transport address; identities come from the
        signatures). Invalid payloads are dropped and recorded in :attr:`rejected`; only a
        local storage fault (:class:`StoreError`) propagates."""
        if not self._started:
            return
        try:
            packet = decode_packet(payload, self.max_message_bytes)
            self._follow_chain()
            if isinstance(packet, ConsensusMessage):
                self._pending.append((sender, packet, False))
            elif isinstance(packet, SyncRequest):
                self._on_sync_request(packet)
            else:
                self._on_sync_response(packet, sender)
        except StoreError:
            raise  # a local storage fault: fail-stop, never swallowed as a bad message
        except GlassledgerError as exc:
            self._reject(exc)
        self._drain()

    def on_tick(self) -> None:
        """Fire due timeouts and, as round-0 proposer, propose when the block interval has
        passed since the head's timestamp."""
        if not self._started:
            return
        try:
            self._follow_chain()
            now = self.clock()
            if (
                self.round == 0
                and 0 not in self._proposed
                and self._leader(0) == self.keys.public
                and now >= self.chain.head.timestamp_ms + self.block_interval_ms
            ):
                self._propose(0, {})
            if now >= self._deadline:
                self._enter_round(self.round + 1)
                self._send_round_change()
            elif now >= self._next_resend:
                self._resend()
        except StoreError:
            raise  # a local storage fault: fail-stop, never swallowed as a bad message
        except GlassledgerError as exc:
            self._reject(exc)
        self._drain()

    # ------------------------------------------------------------------ heights and rounds

    def _enter_height(self, height: int) -> None:
        self._carry_seals(height)
        self.height = height
        self.round = 0
        self._authorities = self.chain.authorities(height)
        self._members = frozenset(self._authorities)
        self._next_members = frozenset(self.chain.authorities(height + 1))
        self._quorum = quorum(len(self._authorities))
        self._f = (len(self._authorities) - 1) // 3
        self._blocks: dict[bytes, Block] = {}
        self._proposals: dict[int, Block] = {}
        self._proposed: set[int] = set()
        self._prepares: dict[tuple[int, bytes], dict[bytes, SignedVote]] = {}
        self._commits: dict[tuple[int, bytes], dict[bytes, CommitSeal]] = {}
        self._round_changes: dict[int, dict[bytes, ConsensusMessage]] = {}
        self._committed_rounds: set[int] = set()
        self._prepared_round = -1
        self._prepared_block: Block | None = None
        self._prepared_cert: tuple[SignedVote, ...] = ()
        start = max(self.clock(), self.chain.head.timestamp_ms + self.block_interval_ms)
        self._deadline = start + round_timeout(self.round_timeout_ms, 0)
        self._sent: dict[tuple[int, int], bytes] = {}
        self._next_resend = self._deadline
        self._seen = {k: v for k, v in self._seen.items() if k[2] >= height - 1}
        self._accused = {k for k in self._accused if k[2] >= height - 1}
        recent = self.clock() - self.round_timeout_ms
        self._served = {k: t for k, t in self._served.items() if t >= recent}
        self.vote_guard.forget_below(height - 1)
        for old in [h for h in self._future if h <= height]:
            for sender, msg in self._future.pop(old).values():
                self._future_count -= 1
                if old == height:
                    self._pending.append((sender, msg, False))

    def _carry_seals(self, height: int) -> None:
        """Start collecting the head's commit seals: those in its stored certificate, those
        this engine received for it, and (later) late ones. The next proposal carries them
        all as its ``last_commit``, so an authority whose COMMIT arrived after the quorum is
        not counted as absent (as Tendermint's LastCommit)."""
        head = self.chain.head
        self._head_members = frozenset(self.chain.authorities(head.height))
        certificate = self.chain.store.get_certificate(head.height)
        self._head_round = certificate.round
        self._head_seals = {seal.signer: seal for seal in certificate.seals}
        if self.height == head.height:
            for (round_, digest), seals in self._commits.items():
                if digest == head.hash and round_ == certificate.round:
                    self._head_seals.update(seals)

    def _on_late_commit(self, msg: ConsensusMessage) -> None:
        """A COMMIT for the head block that arrived after it was decided."""
        head = self.chain.head
        signed, seal = msg.vote, msg.seal
        if (
            signed.vote.height != head.height
            or signed.vote.digest != head.hash
            or signed.vote.round != self._head_round
            or head.height == 0
            or seal is None
            or seal.signer != signed.signer
            or signed.signer in self._head_seals
            or signed.signer not in self._head_members
        ):
            return
        if not (vote_valid(signed) and seal_valid(seal, head.hash, self._head_round)):
            raise ConsensusError(f"late commit by {signed.signer.hex()[:16]} with a bad signature")
        self._head_seals[signed.signer] = seal

    def _last_commit(self) -> Certificate | None:
        """The head's certificate with every seal collected (None at genesis: the store's)."""
        if self.chain.height == 0:
            return None
        seals = tuple(sorted(self._head_seals.values(), key=lambda s: s.signer))
        return Certificate(self._head_round, seals)

    def _enter_round(self, round_: int) -> None:
        self.round = round_
        self._deadline = self.clock() + round_timeout(self.round_timeout_ms, round_)

    def _follow_chain(self) -> None:
        """Move to the next height when the chain is already there (another engine sharing
        the chain committed, or a sync did)."""
        if self.chain.height >= self.height:
            self._enter_height(self.chain.height + 1)

    def _leader(self, round_: int) -> bytes:
        return proposer_of(self._authorities, self.height, round_)

    # ------------------------------------------------------------------ dispatch

    def _drain(self) -> None:
        while self._pending:
            sender, msg, own = self._pending.popleft()
            try:
                self._follow_chain()
                self._handle(sender, msg, own)
            except StoreError:
                raise
            except GlassledgerError as exc:
                self._reject(exc)

    def _reject(self, error: GlassledgerError) -> None:
        if not isinstance(error, ConsensusError):
            error = ConsensusError(f"{type(error).__name__}: {error}")
        self.rejected.append(error)
        self.rejected_count += 1
        log.info("%s dropped a message: %s", self.keys.public.hex()[:8], error)

    def _handle(self, sender: bytes, msg: ConsensusMessage, own: bool) -> None:
        signed = msg.vote
        vote = signed.vote
        if vote.chain_id != self.chain.chain_id:
            raise ConsensusError(
                f"vote for chain {vote.chain_id!r}, this is {self.chain.chain_id!r}"
            )
        if not own and signed.signer == self.keys.public:
            return
        if vote.height < self.height:
            if vote.kind == VoteKind.COMMIT:
                self._on_late_commit(msg)
            elif vote.kind == VoteKind.ROUND_CHANGE:
                self._authenticate(signed)
                self._serve_sync(signed.signer, vote.height)
            return
        if vote.height > self.height:
            self._buffer(sender, msg)
            return
        if vote.round > self.round + MAX_ROUNDS_AHEAD:
            raise ConsensusError(f"vote for round {vote.round}, far beyond round {self.round}")
        if not own:
            self._authenticate(signed)
        self._note(signed)
        if vote.kind == VoteKind.PROPOSAL:
            self._on_proposal(msg)
        elif vote.kind == VoteKind.PREPARE:
            self._on_prepare(msg)
        elif vote.kind == VoteKind.COMMIT:
            self._on_commit(msg)
        elif vote.kind == VoteKind.ROUND_CHANGE:
            self._on_round_change(msg)
        else:
            raise ConsensusError(f"vote kind {vote.kind} does not belong in a consensus message")

    def _buffer(self, sender: bytes, msg: ConsensusMessage) -> None:
        vote = msg.vote.vote
        if vote.kind == VoteKind.ROUND_CHANGE or vote.height > self.height + 1:
            self._request_sync(msg.vote.signer)
        if vote.height > self.height + FUTURE_HEIGHTS:
            return
        # only authorities of this height or the next may fill the buffer (the next height's
        # set is known: a change decided in the coming block takes effect after it)
        self._authenticate(msg.vote, self._members | self._next_members)
        if self._future_count >= MAX_BUFFERED_MESSAGES:
            raise ConsensusError(f"future-message buffer full; dropped a vote for {vote.height}")
        slot = (msg.vote.signer, vote.kind, vote.round, vote.digest)
        waiting = self._future.setdefault(vote.height, {})
        if slot not in waiting:
            waiting[slot] = (sender, msg)
            self._future_count += 1

    # ------------------------------------------------------------------ checks

    def _authenticate(self, signed: SignedVote, members: frozenset[bytes] | None = None) -> None:
        """Signer is an authority of this height (or of ``members``), fields are sane,
        signature is valid."""
        vote = signed.vote
        if signed.signer not in (self._members if members is None else members):
            raise ConsensusError(
                f"vote by {signed.signer.hex()[:16]} at height {self.height}: not an authority"
            )
        if not 0 <= vote.round <= MAX_ROUND or len(vote.digest) != 32:
            raise ConsensusError(f"vote with round {vote.round} / digest of {len(vote.digest)} B")
        if not vote_valid(signed):
            raise ConsensusError(f"bad vote signature by {signed.signer.hex()[:16]}")

    def _note(self, signed: SignedVote) -> None:
        """Remember a valid vote; a second one in the same slot with another digest is
        equivocation evidence."""
        vote = signed.vote
        if vote.kind not in (VoteKind.PROPOSAL, VoteKind.PREPARE, VoteKind.COMMIT):
            return
        slot = (signed.signer, vote.kind, vote.height, vote.round)
        first = self._seen.setdefault(slot, signed)
        if first.vote.digest == vote.digest or slot in self._accused:
            return
        evidence = EquivocationEvidence(first, signed)
        if check_equivocation(evidence) is None:
            self._accused.add(slot)
            self.evidence.append(evidence)
            log.warning(
                "equivocation by %s: %s votes at height %d round %d",
                signed.signer.hex()[:16],
                VoteKind(vote.kind).name,
                vote.height,
                vote.round,
            )
            if self.on_evidence is not None:
                self.on_evidence(evidence)

    def _check_votes(
        self, votes: tuple[SignedVote, ...], kind: VoteKind, round_: int, digest: bytes | None
    ) -> dict[bytes, SignedVote]:
        """Authenticate a justification: votes of ``kind`` for this height and ``round_``
        (and ``digest`` unless None) by a quorum of distinct authorities."""
        signers: dict[bytes, SignedVote] = {}
        for signed in votes:
            vote = signed.vote
            if (vote.kind, vote.chain_id, vote.height, vote.round) != (
                kind,
                self.chain.chain_id,
                self.height,
                round_,
            ) or (digest is not None and vote.digest != digest):
                raise ConsensusError(f"justification holds a foreign {VoteKind(vote.kind).name}")
            self._authenticate(signed)
            self._note(signed)
            signers[signed.signer] = signed
        if len(signers) < self._quorum:
            raise ConsensusError(
                f"justification has {len(signers)} {kind.name} votes, a quorum is {self._quorum}"
            )
        return signers

    def _justify_proposal(self, msg: ConsensusMessage, round_: int) -> bool:
        """Check a proposal's round-change justification; True when it re-proposes a
        prepared block (which then need not be the proposer's own)."""
        if round_ == 0:
            return False
        changes = self._check_votes(msg.round_changes, VoteKind.ROUND_CHANGE, round_, None)
        highest = max(v.vote.prepared_round for v in changes.values())
        if highest < 0:
            return False
        block_hash = msg.vote.vote.digest
        if not any(
            v.vote.prepared_round == highest and v.vote.digest == block_hash
            for v in changes.values()
        ):
            raise ConsensusError(f"round {round_} proposal ignores the highest prepared block")
        self._check_votes(msg.prepares, VoteKind.PREPARE, highest, block_hash)
        return True

    # ------------------------------------------------------------------ message kinds

    def _on_proposal(self, msg: ConsensusMessage) -> None:
        signed = msg.vote
        round_ = signed.vote.round
        if signed.signer != self._leader(round_):
            raise ConsensusError(f"proposal for round {round_} by a replica that is not its leader")
        if round_ < self.round or round_ in self._proposals:
            return
        block = msg.block
        if block is None or block.hash != signed.vote.digest:
            raise ConsensusError("proposal digest does not match its block")
        reproposal = self._justify_proposal(msg, round_)
        if not reproposal:
            if block.header.proposer != signed.signer:
                raise ConsensusError("fresh proposal names another proposer in its header")
            if block.header.timestamp_ms < self.clock() - self.max_clock_skew_ms:
                raise ConsensusError(
                    f"proposal timestamp {block.header.timestamp_ms} is more than "
                    f"{self.max_clock_skew_ms} ms behind the local clock"
                )
        self.chain.validate(block, now_ms=self.clock())
        if round_ > self.round:
            self._enter_round(round_)
        self._blocks[block.hash] = block
        self._proposals[round_] = block
        if self._sign_allowed(VoteKind.PREPARE, round_, block.hash):
            vote = self._vote(VoteKind.PREPARE, round_, block.hash)
            self._broadcast(ConsensusMessage(vote, proposal=signed))
        self._check_prepared(round_, block.hash)
        for round_seen, digest in list(self._commits):
            if digest == block.hash:
                self._check_committed(round_seen, digest)

    def _on_prepare(self, msg: ConsensusMessage) -> None:
        signed = msg.vote
        vote = signed.vote
        proposal = msg.proposal
        if proposal is not None:
            pv = proposal.vote
            if (pv.kind, pv.chain_id, pv.height, pv.round) != (
                VoteKind.PROPOSAL,
                vote.chain_id,
                vote.height,
                vote.round,
            ) or proposal.signer != self._leader(vote.round):
                raise ConsensusError("prepare carries a proposal vote for another slot")
            self._authenticate(proposal)
            self._note(proposal)
        self._prepares.setdefault((vote.round, vote.digest), {})[signed.signer] = signed
        self._check_prepared(vote.round, vote.digest)

    def _on_commit(self, msg: ConsensusMessage) -> None:
        signed = msg.vote
        vote = signed.vote
        seal = msg.seal
        if (
            seal is None
            or seal.signer != signed.signer
            or not seal_valid(seal, vote.digest, vote.round)
        ):
            raise ConsensusError(f"commit by {signed.signer.hex()[:16]} without a valid seal")
        self._commits.setdefault((vote.round, vote.digest), {})[signed.signer] = seal
        self._check_committed(vote.round, vote.digest)

    def _on_round_change(self, msg: ConsensusMessage) -> None:
        vote = msg.vote.vote
        if vote.prepared_round >= 0:
            if vote.prepared_round >= vote.round:
                raise ConsensusError("round change prepared in a round not before its own")
            if msg.block is None or msg.block.hash != vote.digest:
                raise ConsensusError("round change without the block it prepared")
            self._check_votes(msg.prepares, VoteKind.PREPARE, vote.prepared_round, vote.digest)
            self._blocks.setdefault(vote.digest, msg.block)
        elif vote.digest != NO_DIGEST or msg.block is not None:
            raise ConsensusError("round change names a block but no prepared round")
        if vote.round < self.round:
            return
        self._round_changes.setdefault(vote.round, {})[msg.vote.signer] = msg
        self._check_round_jump()
        self._check_round_change_quorum()

    # ------------------------------------------------------------------ quorum rules

    def _check_prepared(self, round_: int, digest: bytes) -> None:
        block = self._proposals.get(round_)
        if round_ != self.round or round_ in self._committed_rounds:
            return
        if block is None or block.hash != digest:
            return
        votes = self._prepares.get((round_, digest), {})
        if len(votes) < self._quorum:
            return
        self._committed_rounds.add(round_)
        self._prepared_round = round_
        self._prepared_block = block
        self._prepared_cert = tuple(votes.values())
        lock = SignLock(self.height, round_, block, self._prepared_cert)
        if self._sign_allowed(VoteKind.COMMIT, round_, digest, lock):
            vote = self._vote(VoteKind.COMMIT, round_, digest)
            self._broadcast(ConsensusMessage(vote, seal=make_seal(self.keys, digest, round_)))

    def _check_committed(self, round_: int, digest: bytes) -> None:
        seals = self._commits.get((round_, digest), {})
        block = self._blocks.get(digest)
        if len(seals) < self._quorum or block is None:
            return
        certificate = Certificate(round_, tuple(sorted(seals.values(), key=lambda s: s.signer)))
        self._decide(block, certificate)

    def _check_round_jump(self) -> None:
        """``f + 1`` replicas at higher rounds: at least one honest replica is there too."""
        highest: dict[bytes, int] = {}
        for round_, changes in self._round_changes.items():
            if round_ > self.round:
                for signer in changes:
                    highest[signer] = max(highest.get(signer, 0), round_)
        if len(highest) <= self._f:
            return
        target = sorted(highest.values(), reverse=True)[self._f]
        self._enter_round(target)
        self._send_round_change()

    def _check_round_change_quorum(self) -> None:
        round_ = self.round
        changes = self._round_changes.get(round_, {})
        if (
            round_ == 0
            or round_ in self._proposed
            or len(changes) < self._quorum
            or self._leader(round_) != self.keys.public
        ):
            return
        self._propose(round_, changes)

    # ------------------------------------------------------------------ sending

    def _sign_allowed(
        self, kind: VoteKind, round_: int, digest: bytes, lock: SignLock | None = None
    ) -> bool:
        if self.keys.public not in self._members:
            return False
        guard = self.vote_guard
        if isinstance(guard, SignState):
            if self.refusal() is not None:
                return False
            return guard.allow(kind, self.height, round_, digest, lock)
        return guard.allow(kind, self.height, round_, digest)

    def _vote(self, kind: VoteKind, round_: int, digest: bytes, prepared: int = -1) -> SignedVote:
        vote = Vote(kind, self.chain.chain_id, self.height, round_, digest, prepared)
        return sign_vote(self.keys, vote)

    def _broadcast(self, msg: ConsensusMessage) -> None:
        self._pending.append((self.keys.public, msg, True))
        payload = encode_packet(msg)
        vote = msg.vote.vote
        self._sent[(vote.kind, vote.round)] = payload
        self.transport.broadcast(self.keys.public, payload)
        self._next_resend = self.clock() + self.round_timeout_ms // 2

    def _resend(self) -> None:
        """Broadcast again everything sent at this height: over lossy links, retransmission
        is what turns "eventually delivered" into a fact (duplicates are harmless)."""
        for payload in self._sent.values():
            self.transport.broadcast(self.keys.public, payload)
        self._next_resend = self.clock() + self.round_timeout_ms // 2

    def _propose(self, round_: int, changes: dict[bytes, ConsensusMessage]) -> None:
        """Propose for ``round_``: the highest prepared block among the round changes, or
        a fresh block of transactions."""
        self._proposed.add(round_)
        if self.refusal() is not None:
            return
        prepared = [m for m in changes.values() if m.vote.vote.prepared_round >= 0]
        if prepared:
            best = max(prepared, key=lambda m: m.vote.vote.prepared_round)
            block, prepares = best.block, best.prepares
            assert block is not None
        else:
            txs, flags = self.tx_source(self.max_block_txs)
            block = self.chain.propose(
                self.clock(), self.keys.public, txs, flags, last_commit=self._last_commit()
            )
            prepares = ()
        if not self._sign_allowed(VoteKind.PROPOSAL, round_, block.hash):
            return
        vote = self._vote(VoteKind.PROPOSAL, round_, block.hash)
        justification = tuple(m.vote for m in changes.values())
        self._broadcast(
            ConsensusMessage(vote, block=block, prepares=prepares, round_changes=justification)
        )

    def _send_round_change(self) -> None:
        if self.keys.public not in self._members or self.refusal() is not None:
            return
        block = self._prepared_block
        digest = NO_DIGEST if block is None else block.hash
        vote = self._vote(VoteKind.ROUND_CHANGE, self.round, digest, self._prepared_round)
        self._broadcast(ConsensusMessage(vote, block=block, prepares=self._prepared_cert))

    # ------------------------------------------------------------------ deciding and syncing

    def _decide(self, block: Block, certificate: Certificate) -> None:
        if self.chain.height < block.header.height:
            self.chain.commit(block, certificate)
            log.debug("%s committed block %d", self.keys.public.hex()[:8], block.header.height)
            if self.on_commit is not None:
                self.on_commit(block, certificate)
        self._enter_height(self.chain.height + 1)

    def _request_sync(self, peer: bytes) -> None:
        now = self.clock()
        last = self._last_sync_request_ms
        if last is not None and now - last < self.round_timeout_ms:
            return
        self._last_sync_request_ms = now
        vote = Vote(VoteKind.SYNC_REQUEST, self.chain.chain_id, self.chain.height + 1, 0, NO_DIGEST)
        request = SyncRequest(sign_vote(self.keys, vote))
        self.transport.send(self.keys.public, peer, encode_packet(request))

    def _on_sync_request(self, request: SyncRequest) -> None:
        """Any replica with a valid signature may fetch decided blocks (an evicted authority
        or a restarted one must be able to follow the chain); answers are rate-limited."""
        signed = request.vote
        vote = signed.vote
        if vote.kind != VoteKind.SYNC_REQUEST or vote.chain_id != self.chain.chain_id:
            raise ConsensusError("sync request with a foreign vote")
        if not vote_valid(signed):
            raise ConsensusError(f"bad sync request signature by {signed.signer.hex()[:16]}")
        self._serve_sync(signed.signer, vote.height)

    def _serve_sync(self, peer: bytes, from_height: int) -> None:
        """Send decided blocks from ``from_height`` to ``peer``, at most once per
        ``round_timeout_ms`` for one peer and starting height."""
        if from_height < 1 or from_height > self.chain.height:
            return
        now = self.clock()
        last_served = self._served.get((peer, from_height))
        if last_served is not None and now - last_served < self.round_timeout_ms:
            return
        self._served[(peer, from_height)] = now
        last = min(self.chain.height, from_height + MAX_SYNC_BLOCKS - 1)
        store = self.chain.store
        heights = range(from_height, last + 1)
        response = SyncResponse(
            tuple(store.get_block(h) for h in heights),
            tuple(store.get_certificate(h) for h in heights),
        )
        self.transport.send(self.keys.public, peer, encode_packet(response))

    def _check_fork(self, block: Block, certificate: Certificate) -> None:
        """A synced block at a height this chain already holds: when it differs and its
        certificate holds a quorum too, the two certificates are evidence of double-signing
        (:class:`ConflictingCertificates`), passed to ``on_evidence`` like equivocation."""
        height = block.header.height
        if height < 1:
            return
        try:
            local = self.chain.store.get_block(height).header
            if local.hash == block.hash:
                return
            authorities = authority_keys_at(self.chain.store.state_at(height - 1), height)
            mine = Checkpoint(local, self.chain.store.get_certificate(height))
        except StoreError:
            return  # pruned here: nothing to compare with
        evidence = conflict(mine, authorities, Checkpoint(block.header, certificate), authorities)
        signers, problem = double_signers(evidence)
        if problem is not None:
            raise ConsensusError(f"sync response with a different block {height}: {problem}")
        log.warning(
            "conflicting certificates at height %d: %d keys sealed both", height, len(signers)
        )
        self.evidence.append(evidence)
        if self.on_evidence is not None:
            self.on_evidence(evidence)

    def _on_sync_response(self, response: SyncResponse, sender: bytes) -> None:
        if len(response.blocks) != len(response.certificates):
            raise ConsensusError("sync response with unmatched blocks and certificates")
        committed = 0
        for block, certificate in zip(response.blocks, response.certificates, strict=True):
            height = block.header.height
            if height <= self.chain.height:
                self._check_fork(block, certificate)
                continue
            if height != self.chain.height + 1:
                break
            self.chain.commit(block, certificate)
            committed += 1
            if self.on_commit is not None:
                self.on_commit(block, certificate)
        if committed:
            log.debug("%s synced to %d", self.keys.public.hex()[:8], self.chain.height)
            self._follow_chain()
            if len(response.blocks) == MAX_SYNC_BLOCKS:
                self._last_sync_request_ms = None
                self._request_sync(sender)

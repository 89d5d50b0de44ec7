"""One node as a long-running process (``glassledger node --config FILE``).

A :class:`NetworkNode` holds one identity (the node key, a registered participant's key) and
composes the kernel's :class:`~glassledger.ledger.chain.Chain` on its own SQLite store, a
QBFT engine over the :class:`~glassledger.node.peer.PeerTransport`, a mempool, the durable
ingress queue, catch-up and metrics, all on one asyncio loop:

* every node runs the engine; whether it proposes and votes at a height is decided by the
  ledger (its key in the authority set of that height), so an authority-set change takes
  effect on every node at the agreed height without a restart, and a node that loses its seat
  stops proposing and voting there (a bookkeeper is a node whose key holds no seat);
* clients submit over the client protocol (``frames``); an accepted transaction is durably
  queued, gossiped to the authorities, and its receipt sent back on request;
* a node behind its peers downloads the missing blocks (:class:`BlockBatch`), commits each only
  if its certificate verifies and its re-execution reproduces every root, then joins consensus;
* structured log lines (one JSON object per line on stderr): commits with height, round and
  peers, refused peers and transactions with their reasons; Prometheus metrics over HTTP.

SIGTERM and SIGINT stop the node between two events: blocks are durable when committed,
accepted transactions when acknowledged, and votes when signed, so a stop (or a kill) loses
nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import json
import os
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.errors import (
    BlockInvalid,
    DecodeError,
    GlassledgerError,
    RejectReason,
    TxRejected,
)
from glassledger.ledger import codec
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.block import Block, Certificate
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.guard import FileSignState, sign_state_path
from glassledger.ledger.consensus.messages import (
    ConsensusMessage,
    EquivocationEvidence,
    SignedVote,
    Vote,
    VoteKind,
)
from glassledger.ledger.consensus.qbft import QbftEngine, proposer_of
from glassledger.ledger.consensus.wire import decode_packet, encode_packet
from glassledger.ledger.crypto import BatchVerifier, load_key, sha256
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.tx import SignedTransaction, Transaction, decode_transaction
from glassledger.ledger.verify import check_store
from glassledger.node.config import NodeConfig, parse_address
from glassledger.node.embedded import evidence_method
from glassledger.node.frames import (
    STATE_READ_WINDOW_MS,
    AwaitReceipts,
    BlockBatch,
    BlocksRequest,
    Hello,
    Kind,
    NonceReply,
    NonceRequest,
    ReceiptInfo,
    Receipts,
    StateReply,
    StateRequest,
    Status,
    StatusRequest,
    Submit,
    Submitted,
    decode_frame,
    encode_frame,
    read_frame,
    state_request_valid,
)
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis, load_genesis
from glassledger.node.ingress import IngressQueue
from glassledger.node.mempool import Mempool
from glassledger.node.peer import PeerConnection, PeerTransport

#: Blocks per catch-up request, and at most this many bytes of blocks per answer.
CATCHUP_BLOCKS = 32
CATCHUP_BYTES = 32 << 20
#: A node this many blocks behind its best peer catches up by download (smaller gaps are
#: closed by the consensus engine's own sync).
CATCHUP_GAP = 2
TIP_PERIOD_S = 0.5
#: Accepted transactions still queued after this long are gossiped again.
REGOSSIP_S = 3.0
RECENT_COMMITTED = 500_000
REGOSSIP_BATCH = 5_000
REGOSSIP_MAX_S = 30.0
#: A clean stop taking longer than this is abandoned (exit code 1, stacks in the log).
STOP_TIMEOUT_S = 10
OUTCOMES_KEPT = 200_000
#: One page of a client state read: at most this many keys, and it stops once past this
#: many bytes (a reply stays well under the frame limit); the client asks for the next page.
STATE_PAGE_KEYS = 10_000
STATE_PAGE_BYTES = 8 << 20


def state_page(
    store: BlockStore,
    request: StateRequest,
    max_keys: int = STATE_PAGE_KEYS,
    max_bytes: int = STATE_PAGE_BYTES,
) -> StateReply:
    """One page of the state under ``request.prefixes`` after block ``request.height`` (-1:
    the head) of ``store``: the keys after ``request.after`` in order, at most ``max_keys``,
    stopping once past ``max_bytes``; ``more`` when keys are left."""
    head = store.head_height()
    height = head if request.height < 0 else request.height
    if height > head:
        return StateReply(height, 0, [], f"height {height} is above the head {head}")
    found: dict[bytes, bytes] = {}
    for prefix in request.prefixes:
        found.update(store.scan_at(prefix, height))
    keys = sorted(k for k in found if k > request.after)
    items, size = [], 0
    for key in keys[:max_keys]:
        if size > max_bytes:
            break
        items.append((key, found[key]))
        size += len(key) + len(found[key])
    more = len(items) < len(keys)
    return StateReply(height, store.get_header(height).timestamp_ms, items, more=more)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class NodeChain(Chain):
    """A chain whose validation reuses the signature checks the mempool already made, and
    checks the others in batch on all cores (a networked authority re-executes every block it
    did not propose)."""

    mempool: Mempool | None = None
    verifier: BatchVerifier | None = None

    def validate(self, block: Block, now_ms=None, signatures_ok=None) -> None:  # type: ignore[override]
        spec = self._speculative
        if spec is not None and spec.block_hash == block.hash:
            return  # just executed (commit validates again): nothing to check twice
        if signatures_ok is None and block.txs and self.verifier is not None:
            signatures_ok = self.signature_flags(block.txs)
        super().validate(block, now_ms, signatures_ok)

    def signature_flags(self, txs: Sequence[SignedTransaction]) -> list[bool]:
        flags = [False] * len(txs)
        unknown = []
        for index, tx in enumerate(txs):
            if self.mempool is not None and self.mempool.is_verified(tx.hash):
                flags[index] = True
            else:
                unknown.append(index)
        if unknown:
            assert self.verifier is not None
            results = self.verifier.verify_many([txs[i].verification_item() for i in unknown])
            for index, ok in zip(unknown, results, strict=True):
                flags[index] = ok
        return flags


class NetworkNode:
    """One node process; see the module docstring. ``run()`` until :meth:`stop`."""

    def __init__(self, config: NodeConfig, log_stream=None) -> None:
        self.config = config
        self.log_stream = log_stream or sys.stderr
        self.name = config.name
        _, self.keys = load_key(config.path(config.key), os.environ.get("GLASSLEDGER_PASSPHRASE"))
        data = config.path(config.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.registry = standard_registry()
        genesis = load_genesis(config.path(config.genesis))
        block0, state = build_genesis(genesis, self.registry)
        self.genesis_hash = block0.hash
        store_path = data / "chain.sqlite"
        if not store_path.exists():
            store = SQLiteStore.create(store_path, block0, GENESIS_CERTIFICATE, state.data)
            self.chain: NodeChain = NodeChain(self.registry, store, state)
        else:
            # The integrity check `glassledger verify` also runs (docs/ledger-storage.md).
            store = SQLiteStore.open(store_path)
            checked = check_store(store, genesis_hash=self.genesis_hash)
            self.chain = NodeChain(self.registry, store, checked)
        self.verifier = BatchVerifier(workers=config.verify_workers)
        # start the workers now, before any socket is open: forked later, they would inherit
        # the listening sockets and hold the ports after a crash of this process
        self.verifier.submit([]).result()
        self.mempool = Mempool(
            self.chain.chain_id, self.verifier, state=lambda: self.chain.committed
        )
        self.chain.mempool = self.mempool
        self.chain.verifier = self.verifier
        self.ingress = IngressQueue(data / "ingress.sqlite")
        # The sign state lives beside the key, not in the data directory: restoring or
        # losing chain.sqlite cannot roll it back (docs/ledger-storage.md).
        self.guard = FileSignState(sign_state_path(config.path(config.key)), self.keys.public)
        self.transport = PeerTransport(
            self.keys,
            self._hello,
            self.admit,
            self._on_peer_message,
            self._serve_client,
            self.event,
        )
        self.engine = QbftEngine(
            self.keys,
            self.chain,
            self.transport,
            wall_clock_ms,
            self._take,
            self._committed,
            on_evidence=self._evidence,
            vote_guard=self.guard,
        )
        self.transport.on_connect = self._peer_connected
        if config.equivocate:
            self.transport.equivocator = self._equivocate
        #: Accepted here and not yet in a block: hash -> accept time (monotonic s).
        self.pending: dict[bytes, float] = {}
        self._pending_nonce: dict[bytes, int] = {}
        #: Accepted here and queued: hash -> bytes, and when to gossip it again (backing off).
        self._pending_raw: dict[bytes, bytes] = {}
        self._gossiped: dict[bytes, tuple[float, float]] = {}
        self._recent: OrderedDict[bytes, int] = OrderedDict()
        self._outcomes: OrderedDict[bytes, ReceiptInfo] = OrderedDict()
        self._waiters: dict[bytes, list[asyncio.Future]] = {}
        self._own_submissions: set[asyncio.Future] = set()
        self._catchup_inbox: asyncio.Queue[bytes] | None = None
        self._catching_up = False
        self._catchup_task: asyncio.Future | None = None
        self._stop: asyncio.Event | None = None
        self._last_round = (0, 0)
        self.evidence: list[EquivocationEvidence] = []
        self.caught_up_blocks = 0
        self.metrics = _Metrics(config.metrics) if config.metrics else None
        self.duties = self._regulator_duties(data)

    # ------------------------------------------------------------------ logging and status

    def event(self, event: str, **fields) -> None:
        """One structured log line (JSON) on the node's log stream."""
        record = {"ts": round(time.time(), 3), "node": self.name, "event": event, **fields}
        self.log_stream.write(json.dumps(record, default=str) + "\n")
        self.log_stream.flush()
        if self.metrics is not None and event in ("peer_refused", "frame_dropped", "tx_refused"):
            self.metrics.refusals.labels(event).inc()

    def participant_of(self, key: bytes) -> str | None:
        raw = self.chain.committed.get(b"identity/k/" + key.hex().encode())
        return None if raw is None else codec.decode(raw, str)

    def admit(self, key: bytes) -> str | None:
        """``None`` when ``key`` is a registered, active participant's key; else why not."""
        participant = self.participant_of(key)
        if participant is None:
            return "key not in the identity registry"
        raw = self.chain.committed.get(b"identity/p/" + participant.encode())
        if raw is not None and not codec.decode(raw, dict).get("active", True):
            return f"participant {participant!r} is not active"
        return None

    def _hello(self) -> Hello:
        role = self.config.role
        return Hello(
            role, self.chain.chain_id, self.genesis_hash, height=self.chain.height, name=self.name
        )

    def status(self) -> Status:
        authorities = self.chain.authorities(self.engine.height)
        leader = proposer_of(authorities, self.engine.height, self.engine.round)
        return Status(
            name=self.name,
            role=self.config.role,
            key=self.keys.public,
            height=self.chain.height,
            round=self.engine.round,
            leader=self.participant_of(leader) or leader.hex()[:16],
            authority=self.keys.public in authorities,
            peers=sorted(c.name for c in self.transport.peers.values()),
            mempool=len(self.mempool),
            head_hash=self.chain.head.hash,
            authorities=[self.participant_of(k) or k.hex()[:16] for k in self.chain.authorities()],
        )

    # ------------------------------------------------------------------ running

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def run(self, install_signals: bool = True) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop.set)
        host, port = parse_address(self.config.listen)
        if self.metrics is not None:
            self.metrics.serve()
        self._reload_pending()
        await self.transport.start(host, port, list(self.config.peers))
        self.event(
            "started",
            height=self.chain.height,
            key=self.keys.public.hex()[:16],
            listen=self.config.listen,
            role=self.config.role,
        )
        tasks = [asyncio.ensure_future(self._ticker()), asyncio.ensure_future(self._announcer())]
        tasks.append(asyncio.ensure_future(self._join()))
        try:
            await self._stop.wait()
        finally:
            # a stop that does not finish in time leaves a trace of where it hangs, and exits
            faulthandler.dump_traceback_later(STOP_TIMEOUT_S, exit=True, file=self.log_stream)
            self.event("stopping", height=self.chain.height)
            if self._catchup_task is not None:
                tasks.append(self._catchup_task)
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=2.0)
            await self.transport.stop()
            self.close()
            faulthandler.cancel_dump_traceback_later()
            self.event("stopped", height=self.chain.height)

    def close(self) -> None:
        self.ingress.close()
        self.guard.close()
        self.chain.store.close()
        self.verifier.close()
        if self.metrics is not None:
            self.metrics.close()

    async def _ticker(self) -> None:
        period = self.config.tick_ms / 1000
        while not self._stop.is_set():
            try:
                self._tick()
            except GlassledgerError as exc:
                self.event("error", reason=str(exc))
            await asyncio.sleep(period)

    def _tick(self) -> None:
        self.mempool.pump()
        self.mempool.collect_done()
        while self.mempool.dropped:
            dropped = self.mempool.dropped.popleft()
            if dropped.tx_hash in self._recent:
                continue  # a late copy of a finalized transaction: its receipt stands
            self._resolve(
                ReceiptInfo(dropped.tx_hash, -1, False, str(dropped.reason), dropped.message)
            )
            if dropped.tx_hash in self.pending:
                self._forget_pending([dropped.tx_hash])
            self.event("tx_refused", tx=dropped.tx_hash.hex()[:16], reason=str(dropped.reason))
        if self.engine._started:
            before = (self.engine.height, self.engine.round)
            self.engine.on_tick()
            self._note_round(before)
        if self.metrics is not None:
            self.metrics.mempool.set(len(self.mempool))
            self.metrics.peers.set(len(self.transport.peers))
        if self.evidence:
            self._report_evidence()

    def _note_round(self, before: tuple[int, int]) -> None:
        height, round_ = self.engine.height, self.engine.round
        if height == before[0] and round_ > before[1]:
            self.event("round_change", height=height, round=round_, peers=len(self.transport.peers))
            if self.metrics is not None:
                self.metrics.round_changes.inc(round_ - before[1])

    async def _announcer(self) -> None:
        """Tell peers our height; gossip again what stayed queued; catch up when behind."""
        while not self._stop.is_set():
            await asyncio.sleep(TIP_PERIOD_S)
            self.transport.send_all(Kind.TIP, codec.encode(self.chain.height))
            self._regossip()
            best = max((c.height for c in self.transport.peers.values()), default=0)
            if best >= self.chain.height + CATCHUP_GAP and not self._catching_up:
                self._catchup_task = asyncio.ensure_future(self._catch_up())

    # ------------------------------------------------------------------ consensus hooks

    def _take(self, limit: int) -> tuple[list[SignedTransaction], list[bool]]:
        return self.mempool.take(limit)

    def _committed(self, block: Block, certificate: Certificate) -> None:
        result = self.chain.last_result
        receipts = result.receipts if result is not None else []
        height = block.header.height
        hashes = [r.tx_hash for r in receipts] if len(receipts) == len(block.txs) else None
        self.mempool.committed(block.txs, hashes)
        if hashes is None:
            hashes = [tx.hash for tx in block.txs]
            receipts = self.chain.store.get_receipts(height)
        mine = [h for h in hashes if h in self.pending]
        now = time.monotonic()
        if self.metrics is not None:
            self.metrics.height.set(height)
            self.metrics.committed.inc(len(hashes))
            for h in mine:
                self.metrics.finality.observe(now - self.pending[h])
        self._forget_pending(mine)
        for receipt in receipts:
            self._recent[receipt.tx_hash] = height
            self._resolve(
                ReceiptInfo(receipt.tx_hash, height, receipt.ok, receipt.reason, receipt.message)
            )
        while len(self._recent) > RECENT_COMMITTED:
            self._recent.popitem(last=False)
        if self.duties is not None:
            self._perform_duties()
        self.event(
            "commit",
            height=height,
            round=certificate.round,
            txs=len(block.txs),
            proposer=self.participant_of(block.header.proposer),
            peers=len(self.transport.peers),
        )

    def _regulator_duties(self, data: Path):
        """The regulator's node commits and reveals the authority draws' seeds (kept in
        ``data/regulator-seeds.json``), as the embedded node does."""
        from glassledger.node.regulator import DrawSeeds

        participant = self.participant_of(self.keys.public)
        raw = self.chain.committed.get(b"identity/p/" + (participant or "").encode())
        if raw is None or "regulator" not in codec.decode(raw, dict).get("roles", []):
            return None
        return DrawSeeds(data / "regulator-seeds.json")

    def _perform_duties(self) -> None:
        calls = self.duties.due(self.chain.state, self.chain.height + 1)
        if not calls:
            return
        nonce = self._next_nonce(self.keys.public)
        txs = []
        for method, args in calls:
            tx = Transaction(
                self.chain.chain_id, self.keys.public, nonce, "governance", method, args
            )
            txs.append(tx.sign(self.keys).encode())
            nonce += 1
        self.event("regulator_duty", calls=[m for m, _ in calls])
        self._accept_later(txs)

    def _evidence(self, evidence: EquivocationEvidence) -> None:
        if not isinstance(evidence, EquivocationEvidence):  # conflicting certificates
            self.event("conflicting_certificates", height=evidence.first.header.height)
            self.evidence.append(evidence)
            return
        culprit = self.participant_of(evidence.first.signer)
        self.event(
            "equivocation",
            authority=culprit,
            height=evidence.first.vote.height,
            round=evidence.first.vote.round,
        )
        self.evidence.append(evidence)

    def _report_evidence(self) -> None:
        """Submit the evidence to ``governance.report_equivocation``, signed by this node."""
        txs = []
        nonce = self._next_nonce(self.keys.public)
        for evidence in self.evidence:
            tx = Transaction(
                self.chain.chain_id,
                self.keys.public,
                nonce,
                "governance",
                evidence_method(evidence),
                {"evidence": codec.encode(evidence)},
            )
            txs.append(tx.sign(self.keys).encode())
            nonce += 1
        self.evidence.clear()
        self._accept_later(txs)

    def _equivocate(self, payload: bytes) -> bytes | None:
        """Test-only fault: for our own PROPOSAL, another valid block for the same slot."""
        packet = decode_packet(payload)
        if not isinstance(packet, ConsensusMessage) or packet.vote.vote.kind != VoteKind.PROPOSAL:
            return None
        if packet.vote.signer != self.keys.public or packet.block is None:
            return None
        block = packet.block
        alternative = self.chain.propose(
            block.header.timestamp_ms + 1,
            self.keys.public,
            block.txs,
            last_commit=block.last_commit,
        )
        vote = packet.vote.vote
        alt_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, alternative.hash)
        return encode_packet(
            ConsensusMessage(
                SignedVote.make(self.keys, alt_vote),
                block=alternative,
                prepares=packet.prepares,
                round_changes=packet.round_changes,
            )
        )

    # ------------------------------------------------------------------ ingress

    def _next_nonce(self, sender: bytes) -> int:
        return (
            max(last_nonce(self.chain.committed, sender), self._pending_nonce.get(sender, -1)) + 1
        )

    def _check(self, raw: bytes, tx_hash: bytes | None = None) -> tuple[SignedTransaction, bytes]:
        """Decode and admit one transaction (``tx_hash``: ``sha256(raw)`` if known);
        :class:`TxRejected`/:class:`DecodeError` with the reason (duplicate, replay, wrong
        chain, malformed)."""
        signed = decode_transaction(raw, tx_hash)
        if signed.tx.chain_id != self.chain.chain_id:
            raise TxRejected(RejectReason.WRONG_CHAIN, f"transaction is for {signed.tx.chain_id!r}")
        tx_hash = signed.hash
        if tx_hash in self._recent:
            raise TxRejected(
                RejectReason.BAD_NONCE, f"replay: already in block {self._recent[tx_hash]}"
            )
        if tx_hash in self.pending:
            raise TxRejected(RejectReason.MALFORMED, "duplicate: already accepted, pending")
        last = last_nonce(self.chain.committed, signed.tx.sender)
        if signed.tx.nonce <= last:
            raise TxRejected(
                RejectReason.BAD_NONCE,
                f"replay: nonce {signed.tx.nonce} already used (last {last})",
            )
        return signed, tx_hash

    async def accept(self, raws: Sequence[bytes]) -> Submitted:
        """Client ingress: check, queue durably, then gossip to the authorities. The event
        loop keeps running while the queue's ``fsync`` completes; meanwhile the transactions
        count as pending (a second submission of one is refused as a duplicate) and their
        nonces as used (:meth:`_next_nonce`)."""
        hashes: list[bytes] = []
        refusals: list[str] = []
        accepted: list[tuple[bytes, bytes, SignedTransaction]] = []
        seen: set[bytes] = set()
        for raw in raws:
            try:
                signed, tx_hash = self._check(raw)
                if tx_hash in seen:
                    raise TxRejected(RejectReason.MALFORMED, "duplicate: twice in one submission")
                seen.add(tx_hash)
            except (TxRejected, DecodeError) as exc:
                reason = exc.message if isinstance(exc, TxRejected) else str(exc)
                if isinstance(exc, TxRejected) and not reason.startswith(("replay", "duplicate")):
                    reason = f"{exc.reason.value}: {reason}"
                hashes.append(b"")
                refusals.append(reason)
                self.event("tx_refused", reason=reason)
                continue
            hashes.append(tx_hash)
            refusals.append("")
            accepted.append((tx_hash, raw, signed))
        now = time.monotonic()
        for tx_hash, _, signed in accepted:
            self.pending[tx_hash] = now
            sender = signed.tx.sender
            self._pending_nonce[sender] = max(self._pending_nonce.get(sender, -1), signed.tx.nonce)
        try:
            await self.ingress.add_async((h, raw) for h, raw, _ in accepted)
        except BaseException:
            for tx_hash, _, _ in accepted:
                self.pending.pop(tx_hash, None)
            raise
        now = time.monotonic()
        # one finalized meanwhile (submitted to another node too) is no longer pending
        accepted = [item for item in accepted if item[0] in self.pending]
        for tx_hash, raw, _ in accepted:
            self._pending_raw[tx_hash] = raw
            self._gossiped[tx_hash] = (now + REGOSSIP_S, REGOSSIP_S)
        self.mempool.submit_many([s for _, _, s in accepted])
        self._gossip([raw for _, raw, _ in accepted])
        return Submitted(hashes, refusals)

    def _accept_later(self, raws: list[bytes]) -> None:
        """:meth:`accept` the node's own transactions (duties, evidence) from synchronous code;
        a failure is logged."""
        task = asyncio.ensure_future(self.accept(raws))
        self._own_submissions.add(task)
        task.add_done_callback(self._own_submitted)

    def _own_submitted(self, task: asyncio.Future) -> None:
        self._own_submissions.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.event("error", reason=f"own transactions not queued: {task.exception()}")

    def _gossip(self, raws: list[bytes]) -> None:
        if raws:
            authorities = set(self.chain.authorities()) - {self.keys.public}
            self.transport.send_all(Kind.TXS, codec.encode(raws), only=authorities)

    def _regossip(self) -> None:
        """Gossip again what stays queued here (authorities holding it may have been killed),
        each transaction after 3, 6, 12... s, at most :data:`REGOSSIP_BATCH` at a time."""
        now = time.monotonic()
        batch = []
        for tx_hash, (due, _) in self._gossiped.items():
            if due <= now:
                batch.append(tx_hash)
                if len(batch) >= REGOSSIP_BATCH:
                    break
        raws = []
        for tx_hash in batch:
            _, interval = self._gossiped[tx_hash]
            interval = min(2 * interval, REGOSSIP_MAX_S)
            self._gossiped[tx_hash] = (now + interval, interval)
            raw = self._pending_raw[tx_hash]
            raws.append(raw)
            if tx_hash not in self.mempool:
                with contextlib.suppress(TxRejected, DecodeError):
                    self.mempool.submit(raw)
        self._gossip(raws)

    def _peer_connected(self, conn: PeerConnection) -> None:
        """A (re)connected authority gets every transaction still queued here: it may have
        restarted with an empty mempool."""
        if conn.key in self.chain.authorities() and self._pending_raw:
            raws = list(self._pending_raw.values())
            for start in range(0, len(raws), REGOSSIP_BATCH):
                conn.send(Kind.TXS, codec.encode(raws[start : start + REGOSSIP_BATCH]))

    def _on_gossip(self, body: bytes) -> None:
        try:
            raws = codec.decode(body, list[bytes])
        except DecodeError as exc:
            self.event("tx_refused", reason=f"malformed gossip: {exc}")
            return
        fresh = []
        for raw in raws:
            quick = sha256(raw)  # the hash of canonical bytes: known ones skip decoding
            if quick in self.mempool or quick in self._recent:
                continue
            try:
                signed, _ = self._check(raw, quick)
            except (TxRejected, DecodeError):
                continue  # duplicates and replays of gossip are expected; dropped quietly
            fresh.append(signed)
        for outcome in self.mempool.submit_many(fresh):
            if isinstance(outcome, Exception):
                self.event("tx_refused", reason=str(outcome))

    def _forget_pending(self, hashes: list[bytes]) -> None:
        if not hashes:
            return
        for h in hashes:
            self.pending.pop(h, None)
            self._gossiped.pop(h, None)
            self._pending_raw.pop(h, None)
        self.ingress.remove(hashes)

    def _reload_pending(self) -> None:
        """After a restart: queue again what was accepted and not seen in a block."""
        rows = self.ingress.all()
        if not rows:
            return
        done = set()
        for tx_hash, _ in rows:  # finalized before the crash: the row's removal was lost
            found = self.chain.store.find_tx(tx_hash)
            if found is not None:
                done.add(tx_hash)
                self._resolve(
                    ReceiptInfo(tx_hash, found.height, found.ok, found.reason, found.message)
                )
        self._forget_pending(list(done))
        now = time.monotonic()
        kept = []
        for tx_hash, raw in rows:
            if tx_hash in done:
                continue
            try:
                signed = decode_transaction(raw)
            except DecodeError:
                continue
            self.pending[tx_hash] = now
            self._pending_raw[tx_hash] = raw
            self._gossiped[tx_hash] = (now, REGOSSIP_S / 2)
            sender = signed.tx.sender
            self._pending_nonce[sender] = max(self._pending_nonce.get(sender, -1), signed.tx.nonce)
            kept.append(signed)
        self.mempool.submit_many(kept)
        self.event("ingress_reloaded", pending=len(kept))

    def _resolve(self, info: ReceiptInfo) -> None:
        self._outcomes[info.tx_hash] = info
        while len(self._outcomes) > OUTCOMES_KEPT:
            self._outcomes.popitem(last=False)
        for future in self._waiters.pop(info.tx_hash, []):
            if not future.done():
                future.set_result(info)

    async def _await_receipts(self, request: AwaitReceipts) -> Receipts:
        loop = asyncio.get_running_loop()
        futures = []
        for tx_hash in request.hashes:
            future = loop.create_future()
            known = self._outcomes.get(tx_hash)
            if known is not None:
                future.set_result(known)
            else:
                self._waiters.setdefault(tx_hash, []).append(future)
            futures.append(future)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*futures), request.timeout_ms / 1000)
        out = []
        for tx_hash, future in zip(request.hashes, futures, strict=True):
            if future.done() and not future.cancelled():
                out.append(future.result())
            else:
                out.append(ReceiptInfo(tx_hash, -1, False, "pending", "no receipt yet"))
        return Receipts(out)

    async def _serve_client(self, reader, writer, hello: Hello) -> None:
        self.event("client_connected", client=hello.name)
        try:
            while True:
                frame = decode_frame(await read_frame(reader))
                if isinstance(frame, Submit):
                    reply = await self.accept(frame.txs)
                elif isinstance(frame, AwaitReceipts):
                    reply = await self._await_receipts(frame)
                elif isinstance(frame, StatusRequest):
                    reply = self.status()
                elif isinstance(frame, NonceRequest):
                    reply = NonceReply(self._next_nonce(frame.sender))
                elif isinstance(frame, StateRequest):
                    reply = self.read_state(frame)
                else:
                    raise DecodeError(f"unexpected {type(frame).__name__} from a client")
                writer.write(encode_frame(reply))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, DecodeError, OSError):
            pass
        finally:
            writer.close()

    def read_state(self, request: StateRequest) -> StateReply:
        """A page of the committed state (:func:`state_page`) from the store, never a block
        being executed, for a reader allowed by :meth:`may_read_state`."""
        refused = self.may_read_state(request)
        if refused is not None:
            self.event("state_read_refused", reason=refused)
            return StateReply(request.height, 0, [], refused)
        return state_page(self.chain.store, request)

    def may_read_state(self, request: StateRequest) -> str | None:
        """``None`` when ``request`` is signed for this chain, recent, and by a registered,
        active participant with the ``oracle`` or ``regulator`` role; else why not."""
        if not state_request_valid(request, self.chain.chain_id):
            return "bad signature on the state read"
        if abs(wall_clock_ms() - request.issued_ms) > STATE_READ_WINDOW_MS:
            return f"the state read was issued more than {STATE_READ_WINDOW_MS} ms from now"
        refused = self.admit(request.reader)
        if refused is not None:
            return refused
        who = self.participant_of(request.reader)
        record = self.chain.committed.get(b"identity/p/" + who.encode())
        roles = codec.decode(record, dict)["roles"] if record is not None else []
        if not {"oracle", "regulator"} & set(roles):
            return f"{who} may not read the state here: the oracle and regulator roles may"
        return None

    # ------------------------------------------------------------------ peers and catch-up

    def _on_peer_message(self, conn: PeerConnection, kind: int, body: bytes) -> None:
        try:
            if kind == Kind.TXS:
                self._on_gossip(body)
            elif kind == Kind.TIP:
                conn.height = codec.decode(body, int)
            elif kind == Kind.BLOCKS_REQUEST:
                self._serve_blocks(conn, codec.decode(body, BlocksRequest))
            elif kind == Kind.BLOCKS:
                if self._catchup_inbox is not None:
                    self._catchup_inbox.put_nowait(body)
            else:
                self.event("frame_dropped", peer=conn.name, reason=f"unknown kind {kind}")
        except DecodeError as exc:
            self.event("frame_dropped", peer=conn.name, reason=f"malformed body: {exc}")

    def _serve_blocks(self, conn: PeerConnection, request: BlocksRequest) -> None:
        store = self.chain.store
        blocks, certificates, size = [], [], 0
        height = max(1, request.from_height)
        while height <= self.chain.height and len(blocks) < min(request.max_blocks, 64):
            block = store.get_block(height)
            blocks.append(block)
            certificates.append(store.get_certificate(height))
            size += 300 * len(block.txs)
            height += 1
            if size > CATCHUP_BYTES:
                break
        conn.send(Kind.BLOCKS, codec.encode(BlockBatch(blocks, certificates, self.chain.height)))

    async def _join(self) -> None:
        """Catch up, then join consensus (a stop may come meanwhile)."""
        await self._initial_catchup()
        if not self._stop.is_set():
            self.engine.start()

    async def _initial_catchup(self) -> None:
        """Before joining consensus: wait briefly for peers, then download what we miss."""
        deadline = time.monotonic() + 1.5
        while not self.transport.peers and time.monotonic() < deadline and not self._stop.is_set():
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Download and commit blocks from the highest peer until level with it. One request
        is kept ahead: the next batch travels while this one is checked."""
        if self._catching_up:
            return
        self._catching_up = True
        start_height, start = self.chain.height, time.monotonic()
        txs = 0
        inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._catchup_inbox = inbox
        try:
            while True:
                peers = sorted(self.transport.peers.values(), key=lambda c: -c.height)
                if not peers or peers[0].height <= self.chain.height:
                    break
                peer = peers[0]
                before = self.chain.height
                asked = before + 1
                peer.send(Kind.BLOCKS_REQUEST, codec.encode(BlocksRequest(asked, CATCHUP_BLOCKS)))
                checking: tuple[BlockBatch, list[Future]] | None = None
                while True:
                    try:
                        body = await asyncio.wait_for(inbox.get(), 10.0)
                    except TimeoutError:
                        break
                    batch = codec.decode(body, BlockBatch, max_size=1 << 30)
                    peer.height = max(peer.height, batch.tip)
                    if not batch.blocks:
                        break
                    following = batch.blocks[-1].header.height + 1
                    if following <= batch.tip and following > asked:
                        asked = following
                        request = BlocksRequest(following, CATCHUP_BLOCKS)
                        peer.send(Kind.BLOCKS_REQUEST, codec.encode(request))
                    # the workers check this batch's signatures while we execute the last one
                    verifying = (batch, self._verify_in_background(batch))
                    if checking is not None:
                        committed = self._apply_batch(*checking, peer)
                        txs += committed[1]
                        if committed[0] == 0:
                            checking = None
                            break
                    checking = verifying
                    await asyncio.sleep(0)
                    if following > batch.tip:
                        break
                if checking is not None:
                    txs += self._apply_batch(*checking, peer)[1]
                if self.chain.height == before:
                    break  # no progress from the best peer: the engine's sync takes over
        finally:
            self._catching_up = False
            self._catchup_inbox = None
        gained = self.chain.height - start_height
        if gained:
            elapsed = time.monotonic() - start
            self.caught_up_blocks += gained
            self.event(
                "caught_up",
                height=self.chain.height,
                blocks=gained,
                txs=txs,
                seconds=round(elapsed, 3),
                blocks_per_s=round(gained / max(elapsed, 1e-9), 1),
                txs_per_s=round(txs / max(elapsed, 1e-9), 1),
            )

    def _verify_in_background(self, batch: BlockBatch) -> list[Future]:
        items = [tx.verification_item() for block in batch.blocks for tx in block.txs]
        parts = max(1, self.verifier.workers)
        size = -(-len(items) // parts) if items else 1
        return [self.verifier.submit(items[i : i + size]) for i in range(0, len(items), size)]

    def _apply_batch(
        self, batch: BlockBatch, checks: list[Future], peer: PeerConnection
    ) -> tuple[int, int]:
        """Commit the blocks of ``batch`` that extend our chain, each only if its certificate
        verifies and re-executing it reproduces every root (``checks``: the signature checks
        of its transactions, in order). Returns (blocks, transactions)."""
        flags_all = [ok for future in checks for ok in future.result()]
        blocks = txs = offset = 0
        for block, certificate in zip(batch.blocks, batch.certificates, strict=False):
            flags = flags_all[offset : offset + len(block.txs)] if block.txs else None
            offset += len(block.txs)
            if block.header.height <= self.chain.height:
                continue
            try:
                self.chain.validate(block, signatures_ok=flags)
                self.chain.commit(block, certificate)
            except (BlockInvalid, GlassledgerError) as exc:
                self.event(
                    "catchup_refused", peer=peer.name, height=block.header.height, reason=str(exc)
                )
                break
            self._committed(block, certificate)
            blocks += 1
            txs += len(block.txs)
        return blocks, txs


class _Metrics:
    """Prometheus metrics of one node, served at ``http://ADDRESS/metrics``."""

    def __init__(self, address: str) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.address = address
        self.registry = CollectorRegistry()
        r = self.registry
        self.height = Gauge("glassledger_height", "Height of the last finalized block", registry=r)
        self.round_changes = Counter(
            "glassledger_round_changes", "Rounds abandoned (timeouts and jumps)", registry=r
        )
        self.mempool = Gauge("glassledger_mempool_size", "Transactions pending", registry=r)
        self.peers = Gauge("glassledger_peers", "Authenticated peer connections", registry=r)
        self.committed = Counter(
            "glassledger_committed_transactions", "Transactions in finalized blocks", registry=r
        )
        self.finality = Histogram(
            "glassledger_finality_latency_seconds",
            "From acceptance at this node to the finalized block that carries it",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
            registry=r,
        )
        self.refusals = Counter(
            "glassledger_refusals",
            "Refused peers, dropped frames and refused transactions",
            ["kind"],
            registry=r,
        )
        self._server = None

    def serve(self) -> None:
        from prometheus_client import start_http_server

        host, port = parse_address(self.address)
        self._server, _ = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()


def run_node(config: NodeConfig) -> None:
    """Run one node until SIGTERM or SIGINT."""
    node = NetworkNode(config)
    profile = os.environ.get("GLASSLEDGER_PROFILE")
    if not profile:
        asyncio.run(node.run())
        return
    import cProfile  # a performance investigation: profile written on a clean stop

    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, node.run())
    profiler.dump_stats(f"{profile}.{config.name}")


def main(argv: list[str] | None = None) -> int:
    """``python -m glassledger.node.process --config FILE``: the same as ``glassledger node
    --config FILE`` without loading the whole command line (faster start for ``network up``)."""
    import argparse

    from glassledger.node.config import load_config

    parser = argparse.ArgumentParser(prog="glassledger-node")
    parser.add_argument("--config", required=True, type=Path)
    options = parser.parse_args(argv)
    try:
        run_node(load_config(options.config))
    except GlassledgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

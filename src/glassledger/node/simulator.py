"""A deterministic network simulator for the QBFT engine (in the spirit of TigerBeetle's VOPR).

A :class:`SimConfig` and its seed fully determine a run: one seeded RNG draws every message
delay, loss, duplication and reordering; the clock is simulated; events run in (time, sequence)
order. Each replica is a real :class:`QbftEngine` on its own :class:`Chain` and
:class:`MemoryStore`, all built from the same devnet genesis. Faults:

* network: per-message delay (uniform in ``delay_ms``), loss, duplication, reordering (an
  extra delay), partitions that start and heal at given times;
* crashes: a replica stops (its engine and in-flight messages to it are gone) and restarts
  later from its store, keeping only what a node keeps on disk (store and vote guard);
* Byzantine authorities: a proposer that sends different blocks to different peers
  (``EQUIVOCATE``), a voter that sends a conflicting PREPARE and COMMIT for each one it sends
  (``DOUBLE_VOTE``), an authority that never speaks (``SILENT``), a proposer whose blocks
  claim a wrong state root (``INVALID_BLOCK``), a proposer that after a round change
  proposes a fresh block justified by the round changes that report no prepared block,
  hiding a possible lock (``HIDE_LOCK``);
* an intruder outside the authority set sending signed votes, votes with forged signer
  fields, garbage bytes and an oversized payload;
* selective withholding (``WITHHOLD``): an authority that sends each of its messages to only
  one peer (a different one per height) and never answers sync requests;
* forged sync responses (``FORGE_SYNC``): an authority that pushes sync responses to its peers
  with blocks that do not match their certificates, or with certificates sealed by itself
  alone;
* **colluding keys** (``COLLUDE``): the replicas in this mode act as one cabal. When one of
  them proposes, it sends one block to half of the honest replicas and another to the other
  half, and every colluder votes (PREPARE and COMMIT, with commit seals) for each block towards
  its half. With ``f + 1`` colluders each half reaches a quorum: two blocks are finalized at one
  height. This is *beyond* what BFT tolerates, and the checker must catch it: the run records
  the SAFETY violation, and :attr:`SimResult.double_signers` lists the keys that sealed both
  conflicting certificates (at least ``f + 1`` of them, all colluders): the evidence governance
  acts on.

:func:`byzantine_config` draws seeded runs of the new modes: ``f`` Byzantine authorities
(withholding, forged sync, and the older modes) combined with crashes of honest replicas that
restart, or a cabal of ``f + 1`` colluders. ``benchmarks/consensus_byzantine.py`` runs at least
1,000 of them; docs/benchmarks.md has the figures.

With ``report_evidence``, equivocation evidence found by honest replicas is submitted to the
governance contract as a transaction, which evicts the culprit from the authority set.

After every commit the run checks SAFETY (no two different finalized blocks at one height
across honest replicas); at the end it checks LIVENESS: once every partition has healed and
every crashed replica that restarts is back, every honest replica reaches the target height
and a block decided after the healing (one above the highest honest height at that moment).
A failing seed replays exactly: the run's :attr:`SimResult.fingerprint` hashes every delivery
and trace event.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import msgspec

from glassledger.contracts.registry import standard_registry
from glassledger.ledger import codec
from glassledger.ledger.abc import Transport
from glassledger.ledger.block import Block, Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.guard import VoteGuard
from glassledger.ledger.consensus.messages import (
    ConsensusMessage,
    EquivocationEvidence,
    SignedVote,
    SyncResponse,
    Vote,
    VoteKind,
)
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.wire import decode_packet, encode_packet
from glassledger.ledger.crypto import KeyPair, sha256
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import SignedTransaction
from glassledger.node.devnet import GENESIS_TIME_MS, Signer, devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

CLIENTS = 4
REPORTER = "client-0"


class Byzantine(StrEnum):
    """How a faulty authority misbehaves."""

    EQUIVOCATE = "equivocate"
    DOUBLE_VOTE = "double_vote"
    SILENT = "silent"
    INVALID_BLOCK = "invalid_block"
    HIDE_LOCK = "hide_lock"
    WITHHOLD = "withhold"
    FORGE_SYNC = "forge_sync"
    COLLUDE = "collude"


#: Modes within BFT's bound for any number up to ``f`` (``COLLUDE`` needs a cabal of ``f + 1``
#: to do harm, and then breaks safety by design).
TOLERATED = tuple(mode for mode in Byzantine if mode != Byzantine.COLLUDE)
#: The modes of the original fault mix (``random_config`` keeps drawing among these, so its
#: seeds replay as before).
CLASSIC = (
    Byzantine.EQUIVOCATE,
    Byzantine.DOUBLE_VOTE,
    Byzantine.SILENT,
    Byzantine.INVALID_BLOCK,
    Byzantine.HIDE_LOCK,
)


@dataclass(frozen=True)
class Partition:
    """From ``start_ms`` to ``end_ms`` (simulated ms since the run began), replicas in
    different ``groups`` cannot reach each other; a replica in no group reaches no one."""

    start_ms: int
    end_ms: int
    groups: tuple[tuple[int, ...], ...]

    def separates(self, a: int, b: int, now_ms: int) -> bool:
        if not self.start_ms <= now_ms < self.end_ms:
            return False
        return not any(a in group and b in group for group in self.groups)


@dataclass(frozen=True)
class Crash:
    """Replica ``replica`` stops at ``at_ms`` and restarts from its store at ``restart_ms``
    (never, when ``None``)."""

    replica: int
    at_ms: int
    restart_ms: int | None = None


@dataclass
class SimConfig:
    """One simulated run. Times are simulated milliseconds from the start of the run."""

    seed: int = 0
    authorities: int = 4
    target_height: int = 5
    delay_ms: tuple[int, int] = (1, 40)
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    partitions: tuple[Partition, ...] = ()
    crashes: tuple[Crash, ...] = ()
    byzantine: dict[int, Byzantine] = field(default_factory=dict)
    intruder: bool = False
    clock_skew_ms: int = 0
    txs_per_block: int = 3
    tick_ms: int = 10
    round_timeout_ms: int = 200
    block_interval_ms: int = 50
    max_time_ms: int = 120_000
    max_message_bytes: int = 1 << 20
    #: Honest replicas submit the first evidence against each culprit to
    #: ``governance.report_equivocation`` (signed by a client), which evicts it.
    report_evidence: bool = False

    @property
    def faults_end_ms(self) -> int:
        """When the last partition heals and the last crashed replica restarts."""
        ends = [p.end_ms for p in self.partitions]
        ends += [c.restart_ms for c in self.crashes if c.restart_ms is not None]
        return max(ends, default=0)


@dataclass
class SimResult:
    """What a run produced. ``violations`` lists safety breaks; ``live`` is the liveness
    verdict; ``trace`` the notable events ``(time_ms, replica, event, detail)``."""

    config: SimConfig
    trace: list[tuple[int, int, str, str]]
    heights: dict[int, int]
    finalized: dict[int, bytes]
    violations: list[str]
    evidence: list[EquivocationEvidence]
    time_ms: int
    messages: int
    fingerprint: str
    live: bool
    #: Keys that sealed two conflicting finalized blocks at one height (from the honest
    #: replicas' certificates): who a safety violation convicts.
    double_signers: list[bytes] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        return not self.violations


class _Replica:
    def __init__(self, index: int, keys: KeyPair, store: MemoryStore) -> None:
        self.index = index
        self.keys = keys
        self.store = store
        self.guard = VoteGuard()
        self.engine: QbftEngine | None = None
        self.chain: Chain | None = None


class _SimTransport(Transport):
    """One replica's port onto the simulated network."""

    def __init__(self, sim: Simulation, index: int) -> None:
        self.sim = sim
        self.index = index

    def register(self, key: bytes, handler: Callable[[bytes, bytes], None]) -> None:
        self.sim._handlers[self.index] = handler

    def broadcast(self, sender: bytes, payload: bytes) -> None:
        for other in range(len(self.sim.replicas)):
            if other != self.index:
                self.sim._send(self.index, other, payload)

    def send(self, sender: bytes, recipient: bytes, payload: bytes) -> None:
        other = self.sim._index_of.get(recipient)
        if other is not None:
            self.sim._send(self.index, other, payload)


class _ByzantineTransport(_SimTransport):
    """Rewrites what a faulty authority sends, according to its :class:`Byzantine` mode."""

    def __init__(self, sim: Simulation, index: int, mode: Byzantine) -> None:
        super().__init__(sim, index)
        self.mode = mode

    def send(self, sender: bytes, recipient: bytes, payload: bytes) -> None:
        if self.mode in (Byzantine.SILENT, Byzantine.WITHHOLD):
            return  # silent; the withholder never answers sync requests
        super().send(sender, recipient, payload)

    def broadcast(self, sender: bytes, payload: bytes) -> None:
        if self.mode == Byzantine.SILENT:
            return
        msg = decode_packet(payload)
        assert isinstance(msg, ConsensusMessage)
        kind = msg.vote.vote.kind
        if self.mode == Byzantine.WITHHOLD:
            self._withhold(msg, payload)
            return
        if self.mode == Byzantine.COLLUDE:
            self._collude(msg, payload)
            return
        if self.mode == Byzantine.FORGE_SYNC:
            self._forge_sync(msg)
        if self.mode == Byzantine.EQUIVOCATE and kind == VoteKind.PROPOSAL:
            self._equivocate(msg, payload)
            return
        if self.mode == Byzantine.INVALID_BLOCK and kind == VoteKind.PROPOSAL:
            payload = self._tampered(msg)
        if self.mode == Byzantine.HIDE_LOCK and kind == VoteKind.PROPOSAL and msg.prepares:
            payload = self._hide_lock(msg)
        super().broadcast(sender, payload)
        if self.mode == Byzantine.DOUBLE_VOTE and kind in (VoteKind.PREPARE, VoteKind.COMMIT):
            super().broadcast(sender, self._conflicting(msg))

    def _keys(self) -> KeyPair:
        return self.sim.replicas[self.index].keys

    def _peers(self) -> list[int]:
        return [i for i in range(len(self.sim.replicas)) if i != self.index]

    def _withhold(self, msg: ConsensusMessage, payload: bytes) -> None:
        """Send to one peer only, a different one per height (selective withholding)."""
        peers = self._peers()
        self.sim._send(self.index, peers[msg.vote.vote.height % len(peers)], payload)

    def _forge_sync(self, msg: ConsensusMessage) -> None:
        """Push a forged sync response for the next height to every peer: the replica's own
        next block under a certificate sealed by itself alone, or a decided block with one
        transaction dropped under that block's real certificate."""
        chain = self.sim.replicas[self.index].chain
        assert chain is not None
        height = msg.vote.vote.height
        if self.sim.rng.random() < 0.5 and 1 <= height - 1 <= chain.height:
            real = chain.store.get_block(height - 1)
            forged = Block(real.header, real.txs[1:] + real.txs[:1], real.last_commit)
            if forged.hash == real.hash:  # fewer than two transactions: change the header
                header = msgspec.structs.replace(
                    real.header, timestamp_ms=real.header.timestamp_ms + 1
                )
                forged = Block(header, real.txs, real.last_commit)
            certificate = chain.store.get_certificate(height - 1)
        else:
            forged = chain.propose(self.sim._clock(self.index)() + 1, self._keys().public, [])
            certificate = Certificate(0, (CommitSeal.make(self._keys(), forged.hash),) * 3)
        packet = encode_packet(SyncResponse((forged,), (certificate,)))
        for other in self._peers():
            self.sim._send(self.index, other, packet)
        self.sim.forged_syncs += 1

    def _collude(self, msg: ConsensusMessage, payload: bytes) -> None:
        """The cabal's broadcast: split proposals between the two halves of the honest
        replicas, and vote for every block of the split towards its half (module doc)."""
        vote = msg.vote.vote
        cabal = [i for i, m in self.sim.config.byzantine.items() if m == Byzantine.COLLUDE]
        honest = [i for i in range(len(self.sim.replicas)) if i not in self.sim.config.byzantine]
        halves = (honest[: (len(honest) + 1) // 2], honest[(len(honest) + 1) // 2 :])
        friends = [i for i in cabal if i != self.index]
        key = (vote.height, vote.round)
        if vote.kind == VoteKind.PROPOSAL and msg.block is not None:
            alternative = self._alternative(msg)
            self.sim.splits[key] = (msg.vote.vote.digest, alternative.vote.vote.digest)
            variants = (payload, encode_packet(alternative))
            for half, packet in zip(halves, variants, strict=True):
                for other in half + friends:
                    self.sim._send(self.index, other, packet)
            return
        split = self.sim.splits.get(key)
        if split is None or vote.kind not in (VoteKind.PREPARE, VoteKind.COMMIT):
            for other in self._peers():
                self.sim._send(self.index, other, payload)
            return
        for half, digest in zip(halves, split, strict=True):
            other_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, digest)
            seal = (
                CommitSeal.make(self._keys(), digest, vote.round)
                if vote.kind == VoteKind.COMMIT
                else None
            )
            packet = encode_packet(
                ConsensusMessage(SignedVote.make(self._keys(), other_vote), seal=seal)
            )
            for other in half + friends:
                self.sim._send(self.index, other, packet)

    def _alternative(self, msg: ConsensusMessage) -> ConsensusMessage:
        """Another valid proposal for the same height and round (the equivocating block)."""
        chain = self.sim.replicas[self.index].chain
        block = msg.block
        assert chain is not None and block is not None
        alternative = chain.propose(block.header.timestamp_ms + 1, self._keys().public, block.txs)
        vote = msg.vote.vote
        alt_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, alternative.hash)
        return ConsensusMessage(
            SignedVote.make(self._keys(), alt_vote),
            block=alternative,
            prepares=msg.prepares,
            round_changes=msg.round_changes,
        )

    def _equivocate(self, msg: ConsensusMessage, payload: bytes) -> None:
        """Send the real proposal to half of the peers and another valid block to the rest."""
        chain = self.sim.replicas[self.index].chain
        block = msg.block
        assert chain is not None and block is not None
        alternative = chain.propose(block.header.timestamp_ms + 1, self._keys().public, block.txs)
        vote = msg.vote.vote
        alt_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, alternative.hash)
        alt_msg = ConsensusMessage(
            SignedVote.make(self._keys(), alt_vote),
            block=alternative,
            prepares=msg.prepares,
            round_changes=msg.round_changes,
        )
        alt_payload = encode_packet(alt_msg)
        peers = [i for i in range(len(self.sim.replicas)) if i != self.index]
        half = len(peers) // 2 + 1
        for position, other in enumerate(peers):
            self.sim._send(self.index, other, payload if position < half else alt_payload)

    def _tampered(self, msg: ConsensusMessage) -> bytes:
        """The proposal with a block whose header claims a wrong state root."""
        block = msg.block
        assert block is not None
        header = msgspec.structs.replace(block.header, state_root=sha256(b"not the state"))
        bad = Block(header, block.txs, block.last_commit)
        vote = msg.vote.vote
        bad_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, bad.hash)
        return encode_packet(
            msgspec.structs.replace(msg, vote=SignedVote.make(self._keys(), bad_vote), block=bad)
        )

    def _hide_lock(self, msg: ConsensusMessage) -> bytes:
        """Replace a re-proposal by a fresh block, justified by the round changes that report
        nothing prepared first (valid only when they alone make a quorum, which is exactly
        when no block can have been decided)."""
        replica = self.sim.replicas[self.index]
        assert replica.chain is not None and replica.engine is not None
        vote = msg.vote.vote
        changes = sorted(msg.round_changes, key=lambda v: v.vote.prepared_round)
        fresh = replica.chain.propose(self.sim._clock(self.index)(), self._keys().public, [])
        fresh_vote = Vote(vote.kind, vote.chain_id, vote.height, vote.round, fresh.hash)
        justification = tuple(changes[: replica.engine._quorum])
        return encode_packet(
            ConsensusMessage(
                SignedVote.make(self._keys(), fresh_vote),
                block=fresh,
                round_changes=justification,
            )
        )

    def _conflicting(self, msg: ConsensusMessage) -> bytes:
        vote = msg.vote.vote
        digest = sha256(b"conflict" + vote.digest)
        other = Vote(vote.kind, vote.chain_id, vote.height, vote.round, digest)
        seal = (
            CommitSeal.make(self._keys(), digest, vote.round)
            if vote.kind == VoteKind.COMMIT
            else None
        )
        return encode_packet(ConsensusMessage(SignedVote.make(self._keys(), other), seal=seal))


class Simulation:
    """Runs one :class:`SimConfig`; use :func:`simulate`."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.now = 0
        self._seq = 0
        self._events: list[tuple[int, int, str, tuple]] = []
        self._handlers: dict[int, Callable[[bytes, bytes], None]] = {}
        self._alive: dict[int, bool] = {}
        self._digest = hashlib.sha256()
        self.trace: list[tuple[int, int, str, str]] = []
        self.finalized: dict[int, bytes] = {}
        self.violations: list[str] = []
        self.evidence: list[EquivocationEvidence] = []
        self.messages = 0
        #: (height, round) -> the two block digests of a colluders' split proposal
        self.splits: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        #: (height, block hash) -> the certificate an honest replica finalized it with
        self.certificates: dict[tuple[int, bytes], Certificate] = {}
        self.forged_syncs = 0
        genesis = devnet_genesis(
            authorities=config.authorities,
            clients=CLIENTS,
            params={
                "round_timeout_ms": config.round_timeout_ms,
                "block_interval_ms": config.block_interval_ms,
            },
        )
        self.registry = standard_registry()
        block0, state = build_genesis(genesis, self.registry)
        self.signer = Signer(genesis.chain_id)
        self.replicas: list[_Replica] = []
        for index in range(config.authorities):
            store = MemoryStore()
            store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
            self.replicas.append(_Replica(index, KeyPair.from_name(f"dealer-{index}"), store))
        self._index_of = {r.keys.public: r.index for r in self.replicas}
        self._skew = [
            self.rng.randint(-config.clock_skew_ms, config.clock_skew_ms) for _ in self.replicas
        ]
        self.intruder = KeyPair.from_name("intruder")
        self._reports: list[SignedTransaction] = []
        self._heal_height: int | None = None
        self._reported: set[bytes] = set()
        self.chain_id = genesis.chain_id

    # ------------------------------------------------------------------ scheduling

    def _push(self, at_ms: int, kind: str, *args: object) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at_ms, self._seq, kind, args))

    def _send(self, src: int, dst: int, payload: bytes) -> None:
        config = self.config
        if self.rng.random() < config.loss:
            return
        copies = 2 if self.rng.random() < config.duplicate else 1
        low, high = config.delay_ms
        for _ in range(copies):
            delay = self.rng.randint(low, high)
            if self.rng.random() < config.reorder:
                delay += self.rng.randint(high, 4 * high)
            self._push(self.now + delay, "deliver", src, dst, payload)

    def _record(self, replica: int, event: str, detail: str) -> None:
        self.trace.append((self.now, replica, event, detail))
        self._digest.update(f"{self.now}|{replica}|{event}|{detail}".encode())

    # ------------------------------------------------------------------ replicas

    def _clock(self, index: int) -> Callable[[], int]:
        base = GENESIS_TIME_MS + 1_000
        return lambda: base + self.now + self._skew[index]

    def _tx_source(self, limit: int) -> tuple[list[SignedTransaction], list[bool] | None]:
        txs = self._reports[:limit]
        del self._reports[:limit]
        for _ in range(min(limit - len(txs), self.config.txs_per_block)):
            sender = self.rng.randrange(CLIENTS)
            receiver = (sender + self.rng.randrange(1, CLIENTS)) % CLIENTS
            amount = self.rng.randint(1, 1_000)
            txs.append(
                self.signer.tx(
                    f"client-{sender}",
                    "token",
                    "transfer",
                    symbol="USD",
                    to=f"client-{receiver}",
                    amount=amount,
                )
            )
        return txs, None

    def _boot(self, replica: _Replica) -> None:
        index = replica.index
        mode = self.config.byzantine.get(index)
        transport = (
            _SimTransport(self, index) if mode is None else _ByzantineTransport(self, index, mode)
        )
        replica.chain = Chain.open(self.registry, replica.store)
        replica.engine = QbftEngine(
            replica.keys,
            replica.chain,
            transport,
            self._clock(index),
            self._tx_source,
            on_commit=lambda block, cert: self._on_commit(index, block, cert),
            on_evidence=lambda evidence: self._on_evidence(index, evidence),
            vote_guard=replica.guard,
            max_message_bytes=self.config.max_message_bytes,
        )
        self._alive[index] = True
        replica.engine.start()

    def _on_commit(self, index: int, block: Block, certificate: Certificate) -> None:
        height = block.header.height
        self._record(index, "commit", f"{height}:{block.hash.hex()[:16]}:r{certificate.round}")
        if index in self.config.byzantine:
            return
        self.certificates.setdefault((height, block.hash), certificate)
        known = self.finalized.setdefault(height, block.hash)
        if known != block.hash:
            self.violations.append(
                f"t={self.now} replica {index} finalized {block.hash.hex()[:16]} at height "
                f"{height}, another honest replica finalized {known.hex()[:16]}"
            )

    def _on_evidence(self, index: int, evidence: EquivocationEvidence) -> None:
        vote = evidence.first.vote
        self._record(
            index,
            "evidence",
            f"{evidence.first.signer.hex()[:8]}:{VoteKind(vote.kind).name}:{vote.height}:"
            f"{vote.round}",
        )
        self.evidence.append(evidence)
        culprit = evidence.first.signer
        honest = index not in self.config.byzantine
        if self.config.report_evidence and honest and culprit not in self._reported:
            self._reported.add(culprit)
            self._reports.append(
                self.signer.tx(
                    REPORTER, "governance", "report_equivocation", evidence=codec.encode(evidence)
                )
            )

    # ------------------------------------------------------------------ intruder

    def _intrude(self) -> None:
        """One act of the outsider: a signed vote from a non-authority, a vote claiming an
        authority's key with the outsider's signature, or garbage bytes."""
        target = self.rng.randrange(len(self.replicas))
        chain = self.replicas[target].chain
        height = 1 if chain is None else chain.height + 1
        digest = self.rng.randbytes(32)
        act = self.rng.randrange(3)
        if act == 2:
            payload = self.rng.randbytes(self.rng.randrange(1, 300))
        else:
            kind = VoteKind(self.rng.choice([VoteKind.PREPARE, VoteKind.COMMIT]))
            vote = Vote(kind, self.chain_id, height, 0, digest)
            signed = SignedVote.make(self.intruder, vote)
            if act == 1:
                victim = self.replicas[self.rng.randrange(len(self.replicas))].keys.public
                signed = SignedVote(vote, victim, signed.signature)
            seal = CommitSeal.make(self.intruder, digest) if kind == VoteKind.COMMIT else None
            payload = encode_packet(ConsensusMessage(signed, seal=seal))
        self._push(
            self.now + self.rng.randint(*self.config.delay_ms), "deliver", -1, target, payload
        )

    # ------------------------------------------------------------------ running

    def _honest_heights(self) -> dict[int, int | None]:
        """Heights of the honest replicas that are up or will restart (None while down)."""
        return {
            r.index: None if r.chain is None else r.chain.height
            for r in self.replicas
            if r.index not in self.config.byzantine
            and (r.chain is not None or self._will_restart(r.index))
        }

    def _honest_done(self) -> bool:
        """Liveness: every fault is over, and every honest replica reached the target and
        a block decided after the network healed (``heal_height + 1``)."""
        if self._heal_height is None:
            return False
        need = max(self.config.target_height, self._heal_height + 1)
        return all(h is not None and h >= need for h in self._honest_heights().values())

    def _will_restart(self, index: int) -> bool:
        return any(c.replica == index and c.restart_ms is not None for c in self.config.crashes)

    def _partitioned(self, a: int, b: int) -> bool:
        return any(p.separates(a, b, self.now) for p in self.config.partitions)

    def run(self) -> SimResult:
        config = self.config
        for replica in self.replicas:
            self._boot(replica)
        self._push(config.tick_ms, "tick")
        for crash in config.crashes:
            self._push(crash.at_ms, "crash", crash.replica)
            if crash.restart_ms is not None:
                self._push(crash.restart_ms, "restart", crash.replica)
        for partition in config.partitions:
            self._push(partition.start_ms, "note", -1, "partition", repr(partition.groups))
            self._push(partition.end_ms, "note", -1, "heal", repr(partition.groups))
        if config.intruder:
            oversized = b"\x91" + self.rng.randbytes(config.max_message_bytes)
            self._push(1, "deliver", -1, 0, oversized)
            self._push(5, "intrude")
        while self._events:
            at, _, kind, args = heapq.heappop(self._events)
            self.now = at
            if at > config.max_time_ms:
                break
            getattr(self, f"_event_{kind}")(*args)
            if kind == "tick" and at >= config.faults_end_ms:
                if self._heal_height is None:
                    heights = [h for h in self._honest_heights().values() if h is not None]
                    self._heal_height = max(heights, default=0)
                    self._record(-1, "healed", f"honest height {self._heal_height}")
                if self._honest_done():
                    break
            if self.violations:
                break  # a fork is final: nothing later can undo it
        self._check_stores()
        heights = {r.index: r.store.head_height() for r in self.replicas}
        live = self._honest_done()
        self._record(-1, "end", f"live={live} heights={sorted(heights.items())}")
        return SimResult(
            config=config,
            trace=self.trace,
            heights=heights,
            finalized=dict(self.finalized),
            violations=self.violations,
            evidence=self.evidence,
            time_ms=self.now,
            messages=self.messages,
            fingerprint=self._digest.hexdigest(),
            live=live,
            double_signers=self._double_signers(),
        )

    def _double_signers(self) -> list[bytes]:
        """Keys that sealed two different finalized blocks at one height, sorted."""
        by_height: dict[int, list[Certificate]] = {}
        for (height, _), certificate in self.certificates.items():
            by_height.setdefault(height, []).append(certificate)
        culprits: set[bytes] = set()
        for certificates in by_height.values():
            for i, first in enumerate(certificates):
                for second in certificates[i + 1 :]:
                    culprits |= {s.signer for s in first.seals} & {s.signer for s in second.seals}
        return sorted(culprits)

    def _event_tick(self) -> None:
        for replica in self.replicas:
            if self._alive.get(replica.index) and replica.engine is not None:
                replica.engine.on_tick()
        self._push(self.now + self.config.tick_ms, "tick")

    def _event_deliver(self, src: int, dst: int, payload: bytes) -> None:
        if not self._alive.get(dst) or (src >= 0 and self._partitioned(src, dst)):
            return
        self.messages += 1
        self._digest.update(f"{self.now}|{src}|{dst}|".encode() + sha256(payload))
        sender = self.intruder.public if src < 0 else self.replicas[src].keys.public
        self._handlers[dst](sender, payload)

    def _event_crash(self, index: int) -> None:
        self._record(index, "crash", f"height {self.replicas[index].store.head_height()}")
        self._alive[index] = False
        self.replicas[index].engine = None
        self.replicas[index].chain = None

    def _event_restart(self, index: int) -> None:
        self._record(index, "restart", f"height {self.replicas[index].store.head_height()}")
        self._boot(self.replicas[index])

    def _event_note(self, replica: int, event: str, detail: str) -> None:
        self._record(replica, event, detail)

    def _event_intrude(self) -> None:
        self._intrude()
        if self.now < self.config.max_time_ms:
            self._push(self.now + self.rng.randint(20, 80), "intrude")

    def _check_stores(self) -> None:
        """End-of-run safety: every honest store agrees with the finalized record."""
        for replica in self.replicas:
            if replica.index in self.config.byzantine:
                continue
            for height in range(1, replica.store.head_height() + 1):
                block_hash = replica.store.get_block(height).hash
                known = self.finalized.setdefault(height, block_hash)
                if known != block_hash:
                    self.violations.append(
                        f"replica {replica.index} stores {block_hash.hex()[:16]} at height "
                        f"{height}, another honest replica {known.hex()[:16]}"
                    )


def simulate(config: SimConfig) -> SimResult:
    """Run ``config`` and return its result (same config and seed, same result)."""
    return Simulation(config).run()


def random_config(seed: int, target_height: int = 4) -> SimConfig:
    """A seeded mix of faults that stays within what BFT tolerates: at most ``f`` crashed or
    Byzantine authorities, partitions that heal, lossy and reordering links."""
    rng = random.Random(seed * 7919 + 1)
    n = rng.choice([4, 4, 4, 5, 7])
    f = (n - 1) // 3
    config = SimConfig(
        seed=seed,
        authorities=n,
        target_height=target_height,
        delay_ms=(1, rng.choice([10, 40, 120])),
        loss=rng.choice([0.0, 0.02, 0.1]),
        duplicate=rng.choice([0.0, 0.05, 0.2]),
        reorder=rng.choice([0.0, 0.1, 0.3]),
        intruder=rng.random() < 0.5,
        clock_skew_ms=rng.choice([0, 20, 100]),
        report_evidence=rng.random() < 0.5,
    )
    faulty = rng.sample(range(n), f)
    for index in faulty:
        fault = rng.choice(["crash", "byzantine", "none"])
        if fault == "crash":
            at = rng.randint(50, 1_500)
            restart = at + rng.randint(200, 3_000) if rng.random() < 0.7 else None
            config.crashes += (Crash(index, at, restart),)
        elif fault == "byzantine":
            config.byzantine[index] = rng.choice(CLASSIC)
    if rng.random() < 0.5:
        start = rng.randint(0, 1_500)
        members = list(range(n))
        rng.shuffle(members)
        cut = rng.randint(1, n - 1)
        groups = (tuple(sorted(members[:cut])), tuple(sorted(members[cut:])))
        config.partitions = (Partition(start, start + rng.randint(200, 4_000), groups),)
    return config


def byzantine_config(seed: int, target_height: int = 4) -> SimConfig:
    """A seeded run of the adversarial modes. One run in ten is a cabal of ``f + 1``
    colluders among ``3f + 1`` (beyond BFT: the checker must report the fork and its double
    signers); the
    others have exactly ``f`` Byzantine authorities (any tolerated mode, withholding and
    forged sync responses most often) *and* crashes of up to ``f`` honest replicas that
    restart, on a lossy, reordering network: safety must hold, and liveness once the crashed
    replicas are back."""
    rng = random.Random(seed * 104_729 + 3)
    cabal = rng.random() < 0.1
    # a cabal of f + 1 forks only where two quorums meet in exactly f + 1 keys: n = 3f + 1
    n = rng.choice([4, 7]) if cabal else rng.choice([4, 4, 5, 7])
    f = (n - 1) // 3
    config = SimConfig(
        seed=seed,
        authorities=n,
        target_height=target_height,
        delay_ms=(1, rng.choice([10, 40, 120])),
        loss=rng.choice([0.0, 0.02, 0.1]),
        duplicate=rng.choice([0.0, 0.05]),
        reorder=rng.choice([0.0, 0.1, 0.3]),
        intruder=rng.random() < 0.3,
        clock_skew_ms=rng.choice([0, 20]),
        report_evidence=rng.random() < 0.5,
    )
    members = list(range(n))
    rng.shuffle(members)
    if cabal:  # long enough for the cabal to propose several times
        config.byzantine = {i: Byzantine.COLLUDE for i in members[: f + 1]}
        config.target_height = 3 * target_height
        config.max_time_ms = 30_000
        return config
    weighted = [Byzantine.WITHHOLD, Byzantine.FORGE_SYNC] * 3 + list(CLASSIC)
    config.byzantine = {i: rng.choice(weighted) for i in members[:f]}
    for index in members[f : f + rng.randint(1, f)]:
        at = rng.randint(50, 1_500)
        config.crashes += (Crash(index, at, at + rng.randint(200, 2_000)),)
    return config


def verdict(result: SimResult) -> str:
    """``ok`` (safe and live), ``caught`` (a colluders' fork reported with at least ``f + 1``
    double signers, all colluders), ``held`` (a cabal run in which the network foiled the
    split: no fork, nothing reported, nobody convicted), or a failure: ``UNSAFE``,
    ``NOT LIVE``, ``MISSED`` (a fork without ``f + 1`` convicted colluders, or with an honest
    key among the double signers)."""
    config = result.config
    cabal = {i for i, m in config.byzantine.items() if m == Byzantine.COLLUDE}
    if len(cabal) > (config.authorities - 1) // 3:
        keys = {KeyPair.from_name(f"dealer-{i}").public for i in cabal}
        signers = set(result.double_signers)
        if result.safe:
            return "held" if not signers else "MISSED"
        caught = len(signers) > (config.authorities - 1) // 3 and signers <= keys
        return "caught" if caught else "MISSED"
    if not result.safe:
        return "UNSAFE"
    return "ok" if result.live else "NOT LIVE"


def main(argv: list[str] | None = None) -> int:
    """Replay seeds of :func:`random_config` and print their verdicts (and, for one seed, the
    trace): ``python -m glassledger.node.simulator SEED [SEED...]``."""
    import sys

    seeds = [int(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    failed = 0
    for seed in seeds:
        result = simulate(random_config(seed))
        if len(seeds) == 1:
            for time_ms, replica, event, detail in result.trace:
                print(f"{time_ms:>8} ms  replica {replica:>2}  {event:<9} {detail}")
        verdict = "ok" if result.safe and result.live else "FAILED"
        failed += verdict != "ok"
        print(
            f"seed {seed}: {verdict} safe={result.safe} live={result.live} "
            f"heights={result.heights} t={result.time_ms} ms messages={result.messages} "
            f"evidence={len(result.evidence)} fingerprint={result.fingerprint[:16]}"
        )
        for violation in result.violations:
            print(f"  {violation}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

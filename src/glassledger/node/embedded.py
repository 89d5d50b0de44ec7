"""The embedded network: N authority identities in one process, one chain, one store.

:class:`EmbeddedNetwork` wires a :class:`~glassledger.node.mempool.Mempool`, one
:class:`~glassledger.ledger.consensus.qbft.QbftEngine` per authority key and an
:class:`~glassledger.ledger.consensus.transport.InProcessTransport` around one
:class:`~glassledger.ledger.chain.Chain`. It is the default deployment (``glassledger node``,
``glassledger demo``) and what the throughput benchmark measures. Time is the wall clock in
milliseconds (consensus timeouts, block timestamps); contracts see only block timestamps.

Equivocation evidence found by any engine is submitted to the governance contract at the
next step, signed by ``reporter`` (default: the first key of the pool; any registered
participant may report).

With ``duties`` (:class:`~glassledger.node.regulator.DrawDuties` for the committers whose keys
this process holds: the regulator and the authorities), their seed commitments and reveals of
the authority draws are submitted after every commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from glassledger.errors import ConfigError
from glassledger.ledger import codec
from glassledger.ledger.block import Block, Certificate, quorum
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.forks import ConflictingCertificates
from glassledger.ledger.consensus.guard import SignState, VoteGuard
from glassledger.ledger.consensus.messages import EquivocationEvidence
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.transport import InProcessTransport
from glassledger.ledger.crypto import BatchVerifier, KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.node.mempool import Mempool
from glassledger.node.regulator import DrawDuties


def evidence_method(evidence: object) -> str:
    """The governance method that takes ``evidence``: two conflicting votes, or two
    conflicting certificates."""
    if isinstance(evidence, ConflictingCertificates):
        return "report_conflicting_certificates"
    return "report_equivocation"


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class CommitRecord:
    """A finalized block as the network saw it: when (wall-clock ms) and what."""

    height: int
    committed_ms: int
    tx_count: int
    ok_count: int


@dataclass
class EmbeddedNetwork:
    """N authorities over an in-process transport, sharing ``chain``.

    ``authority_keys`` is the pool of keys this process holds; it must include every current
    authority. An engine runs for each pool key that is an authority of the next height;
    when governance changes the set, engines for newly elected keys start.
    """

    chain: Chain
    authority_keys: list[KeyPair]
    verifier: BatchVerifier | None = None
    clock: Callable[[], int] = wall_clock_ms
    on_block: Callable[[Block, Certificate], None] | None = None
    reporter: KeyPair | None = None
    duties: DrawDuties | None = None
    commits: list[CommitRecord] = field(default_factory=list)
    #: Sign state (double-sign guard) of each pool key, by public key; keys without one get
    #: an in-memory guard. A node gives each key its :class:`FileSignState`.
    guards: dict[bytes, VoteGuard] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.reporter is None and self.authority_keys:
            self.reporter = self.authority_keys[0]
        self.mempool = Mempool(
            self.chain.chain_id, self.verifier, state=lambda: self.chain.committed
        )
        self.transport = InProcessTransport()
        self.pool = {keys.public: keys for keys in self.authority_keys}
        self.engines: dict[bytes, QbftEngine] = {}
        self.evidence: list[EquivocationEvidence] = []
        self._reporter_nonce = 0
        self._started = False

    # ------------------------------------------------------------------ driving

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._submit_duties()
            self._sync_engines()
            self.transport.deliver_all()

    def _sync_engines(self) -> None:
        """Start an engine for every pool key that signs upcoming blocks. All new engines are
        registered with the transport before any starts: a proposer that starts first must
        not broadcast its proposal to peers that are not listening yet."""
        fresh = []
        for public in self.chain.authorities():
            if public not in self.engines and public in self.pool:
                engine = QbftEngine(
                    self.pool[public],
                    self.chain,
                    self.transport,
                    self.clock,
                    self.mempool.take,
                    self._committed,
                    on_evidence=self._evidence,
                    vote_guard=self.guards.get(public),
                )
                self.engines[public] = engine
                fresh.append(engine)
        for engine in fresh:
            engine.start()
        authorities = self.chain.authorities()
        held = sum(1 for k in authorities if k in self.pool)
        if held < quorum(len(authorities)):
            raise ConfigError(
                f"this process holds {held} of {len(authorities)} authority keys; the "
                f"embedded network needs a quorum of {quorum(len(authorities))}"
            )

    def refusals(self) -> dict[bytes, str]:
        """Pool keys of the next height's authorities that refuse to sign, with why (their
        sign state is ahead of the store: see :meth:`SignState.refusal`)."""
        out = {}
        for public in self.chain.authorities():
            guard = self.guards.get(public)
            if isinstance(guard, SignState):
                reason = guard.refusal(self.chain.height)
                if reason is not None:
                    out[public] = reason
        return out

    def able_to_finalize(self) -> bool:
        """Whether the pool holds a quorum of next-height authority keys free to sign."""
        authorities = self.chain.authorities()
        refused = self.refusals()
        able = sum(1 for k in authorities if k in self.pool and k not in refused)
        return able >= quorum(len(authorities))

    def step(self) -> None:
        """Let each engine act on the current time, delivering all messages after each one
        (so a proposal that took long to build reaches the others before their timeouts are
        checked: in one process they could not have received it earlier)."""
        self.start()
        if self.evidence:
            self.submit_evidence()
        self.mempool.pump()
        for engine in list(self.engines.values()):
            engine.on_tick()
            self.transport.deliver_all()

    def run_until(self, done: Callable[[], bool], timeout_s: float = 60.0) -> None:
        """Step until ``done()`` or the timeout (then :class:`TimeoutError`)."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"network did not finish within {timeout_s} s")
            before = self.chain.height
            self.step()
            if self.chain.height == before:
                time.sleep(0.001)

    def run_blocks(self, count: int, timeout_s: float = 60.0) -> None:
        """Produce ``count`` more blocks."""
        target = self.chain.height + count
        self.run_until(lambda: self.chain.height >= target, timeout_s)

    def drain(self, timeout_s: float = 120.0) -> None:
        """Run until every submitted transaction is in a finalized block."""
        self.run_until(lambda: len(self.mempool) == 0, timeout_s)

    # ------------------------------------------------------------------ submitting

    def submit(self, tx: SignedTransaction | bytes) -> bytes:
        """Admit a transaction (object or bytes) to the mempool; returns its hash."""
        return self.mempool.submit(tx)

    def submit_many(self, txs: Iterable[SignedTransaction | bytes]) -> list[bytes | Exception]:
        return self.mempool.submit_many(txs)

    def submit_evidence(self) -> list[bytes]:
        """Submit every new piece of equivocation evidence to ``governance`` as ``reporter``."""
        if self.reporter is None:
            return []
        hashes = []
        nonce = max(
            self._reporter_nonce, last_nonce(self.chain.committed, self.reporter.public) + 1
        )
        for evidence in self.evidence:
            tx = Transaction(
                self.chain.chain_id,
                self.reporter.public,
                nonce,
                "governance",
                evidence_method(evidence),
                {"evidence": codec.encode(evidence)},
            )
            hashes.append(self.submit(tx.sign(self.reporter)))
            nonce += 1
        self._reporter_nonce = nonce
        self.evidence.clear()
        return hashes

    # ------------------------------------------------------------------ callbacks

    def _committed(self, block: Block, certificate: Certificate) -> None:
        result = self.chain.last_result
        receipts = result.receipts if result is not None else []
        if len(receipts) == len(block.txs):
            self.mempool.committed(block.txs, [r.tx_hash for r in receipts])
        else:  # committed by sync: the last execution result is not this block's
            self.mempool.committed(block.txs)
        self.commits.append(
            CommitRecord(
                block.header.height,
                self.clock(),
                len(block.txs),
                sum(1 for r in receipts if r.ok),
            )
        )
        if self.on_block is not None:
            self.on_block(block, certificate)
        self._submit_duties()
        self._sync_engines()

    def _submit_duties(self) -> None:
        if self.duties is not None:
            self.submit_many(self.duties.due(self.chain.state, self.chain.height + 1))

    def _evidence(self, evidence: EquivocationEvidence) -> None:
        self.evidence.append(evidence)

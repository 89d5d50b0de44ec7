"""The real chain on a simulated clock: months or years of daily blocks in seconds.

:class:`ClockedChain` runs the ledger exactly as a node does — the standard contracts (or a
registry you pass), signed transactions checked and executed by
:func:`~glassledger.ledger.execution.execute_block`, every block carrying the certificate of
its parent, every commit checked against the authority set the state names, state roots,
an in-memory or SQLite block store — but takes block timestamps from a simulated clock
instead of the wall clock. One block can jump a day (or any interval), so a year of daily
corridor rates is a few hundred blocks.

**What is short-cut: consensus messaging.** Blocks are not agreed through QBFT rounds
(pre-prepare, prepare, commit messages over a transport); the harness proposes each block
with the authority whose turn it is (height modulo the set size) and seals it with the commit
signatures of *every* current authority, read from the state at that height (governance can
change the set; keys are looked up in a pool, by default the devnet's
:meth:`KeyPair.from_name` keys of every genesis participant). This is what the store and
crash tests do. Why: the embedded network (:mod:`glassledger.node.embedded`) runs on the wall
clock, and its round timeouts (``round_timeout_ms``) and clock-skew check
(``max_clock_skew_ms``) would reject or time out a block stamped a day after its parent.
Consensus safety and liveness are tested elsewhere (``tests/ledger/consensus``); what a
simulation needs from the ledger is the state transition and the evidence (certificates,
receipts, events, roots), and those are the real ones. Sealing with every authority (not a
bare quorum) keeps governance from counting missed rounds against absent signers.

**Governance keeps running.** The committers' off-ledger duty, committing and revealing the
seeds of the authority draws (:class:`~glassledger.node.regulator.DrawSeeds`), is done by the
harness for the regulator and for every genesis participant whose key is in the pool (the
authorities sitting when a draw opens are its committers): every block carries the
``commit_seed`` / ``reveal_seed`` calls due, with seeds from a seeded generator
(``draw_seed``), so periodic elections and by-elections run in long simulations and the set
of sealing authorities follows them.

Determinism: with the same genesis, the same calls at the same times and the same
``draw_seed``, the state root after each block is the same byte for byte (keys, signatures,
nonces and draw seeds are deterministic).

Units: times are milliseconds since the Unix epoch (UTC); a day is ``time_ms // 86_400_000``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from glassledger.contracts.registry import standard_registry
from glassledger.errors import ConfigError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.abi import Registry
from glassledger.ledger.block import Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import Event, Receipt, SignedTransaction, Transaction
from glassledger.node.genesis import GENESIS_CERTIFICATE, Genesis, build_genesis
from glassledger.node.regulator import DrawDuties

DAY_MS = 86_400_000
REGULATOR = "regulator"
#: ``(signer participant id, contract, method, arguments)``.
Call = tuple[str, str, str, dict[str, Any]]


def day_of(time_ms: int) -> int:
    """Days since 1970-01-01 (UTC) of a time in ms since the epoch: the contracts' day."""
    return time_ms // DAY_MS


def ms_of(date: str | pd.Timestamp, hour: float = 12.0) -> int:
    """Milliseconds since the epoch of ``date`` at ``hour`` o'clock UTC."""
    stamp = pd.Timestamp(date)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.normalize().value // 1_000_000 + round(hour * 3_600_000))


@dataclass(frozen=True)
class SealedBlock:
    """A committed block as the harness saw it: height, timestamp (ms), the receipt of each
    transaction (in order) and the begin/end-block hook events."""

    height: int
    time_ms: int
    receipts: list[Receipt]
    system_events: list[Event]

    @property
    def rejected(self) -> list[Receipt]:
        return [r for r in self.receipts if not r.ok]


@dataclass
class ClockedChain:
    """A chain whose blocks are stamped by a simulated clock (see the module docstring).

    Build with :meth:`start`. ``keys(participant_id)`` gives a participant's key pair (to
    sign transactions and seals); ``key_pool`` maps public keys to the pairs the harness may
    seal with; ``seeds`` makes the regulator's draw seeds (``None``: no regulator duties).
    """

    genesis: Genesis
    chain: Chain
    keys: Callable[[str], KeyPair]
    key_pool: dict[bytes, KeyPair]
    seeds: DrawDuties | None = None
    nonces: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        genesis: Genesis,
        registry: Registry | None = None,
        path: Path | str | None = None,
        keys: Callable[[str], KeyPair] = KeyPair.from_name,
        draw_seed: int = 0,
    ) -> ClockedChain:
        """A new chain from ``genesis`` (block 0 at ``genesis.time_ms``), in memory or in a
        new SQLite store at ``path``. ``registry`` defaults to the standard contracts. When
        the genesis has a ``regulator``, its draw seeds come from ``random.Random(draw_seed)``
        (simulations only: a predictable seed lets a proposer steer a real draw)."""
        registry = registry or standard_registry()
        block0, state = build_genesis(genesis, registry)
        store: BlockStore
        if path is None:
            store = MemoryStore()
            store.put_block(block0, GENESIS_CERTIFICATE, [], [], dict(state.data))
        else:
            from glassledger.ledger.sqlite_store import SQLiteStore

            store = SQLiteStore.create(path, block0, GENESIS_CERTIFICATE, state.data)
        pool = {keys(p.id).public: keys(p.id) for p in genesis.participants}
        seeds = None
        if any(p.id == REGULATOR for p in genesis.participants):
            generator = random.Random(draw_seed)
            committers = [(p.id, keys(p.id), "regulator" in p.roles) for p in genesis.participants]
            seeds = DrawDuties.for_keys(
                genesis.chain_id, committers, random_bytes=lambda who: generator.randbytes
            )
        return cls(genesis, Chain(registry, store, state), keys, pool, seeds)

    # ------------------------------------------------------------------ reading

    @property
    def store(self) -> BlockStore:
        return self.chain.store

    @property
    def height(self) -> int:
        return self.chain.height

    @property
    def time_ms(self) -> int:
        """The head block's timestamp (the simulated now), ms since the epoch."""
        return self.chain.head.timestamp_ms

    @property
    def day(self) -> int:
        return day_of(self.time_ms)

    @property
    def state_root(self) -> bytes:
        return self.chain.state.root

    def get(self, contract: str, key: str) -> Any:
        """The committed value of ``key`` in ``contract``'s namespace (``None``: absent)."""
        raw = self.chain.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)

    # ------------------------------------------------------------------ writing

    def sign(self, who: str, contract: str, method: str, args: dict[str, Any]) -> SignedTransaction:
        """A transaction of participant ``who`` with its next nonce, signed."""
        nonce = self.nonces.get(who, 0)
        self.nonces[who] = nonce + 1
        pair = self.keys(who)
        tx = Transaction(self.genesis.chain_id, pair.public, nonce, contract, method, args)
        return tx.sign(pair)

    def commit_at(self, time_ms: int, calls: Iterable[Call] = ()) -> SealedBlock:
        """Propose one block stamped ``time_ms`` (must be after the head) holding ``calls``,
        seal it with every current authority and commit it."""
        if time_ms <= self.time_ms:
            raise ConfigError(
                f"simulated clock cannot go back: block at {time_ms} ms, head at {self.time_ms}"
            )
        duties = [] if self.seeds is None else self.seeds.calls(self.chain.state, self.height + 1)
        calls = [(who, "governance", m, args) for who, m, args in duties] + list(calls)
        txs = [self.sign(*call) for call in calls]
        return self._seal(time_ms, txs)

    def commit_on(
        self, date: str | pd.Timestamp, calls: Iterable[Call] = (), hour: float = 12.0
    ) -> SealedBlock:
        """Commit a block stamped ``date`` at ``hour`` UTC (the clock jumps to that day)."""
        return self.commit_at(ms_of(date, hour), calls)

    def advance(self, step_ms: int, calls: Iterable[Call] = ()) -> SealedBlock:
        """Commit a block ``step_ms`` after the head (one day: ``DAY_MS``)."""
        return self.commit_at(self.time_ms + step_ms, calls)

    def _seal(self, time_ms: int, txs: Sequence[SignedTransaction]) -> SealedBlock:
        height = self.height + 1
        authorities = self.chain.authorities(height)
        missing = [k.hex()[:16] for k in authorities if k not in self.key_pool]
        if missing:
            raise ConfigError(f"no key in the pool for authorities {missing} at height {height}")
        proposer = authorities[height % len(authorities)]
        block = self.chain.propose(time_ms, proposer, txs)
        result = self.chain.receipts_of(block.hash)
        seals = tuple(CommitSeal.make(self.key_pool[k], block.hash) for k in authorities)
        self.chain.commit(block, Certificate(0, seals))
        return SealedBlock(height, time_ms, list(result.receipts), list(result.system_events))

    def close(self) -> None:
        self.store.close()


def last_height_of_each_day(store: BlockStore, start: int = 0) -> dict[int, int]:
    """``{day: height of the last block stamped that day}`` for blocks from ``start``."""
    return {day_of(h.timestamp_ms): h.height for h in store.headers(start)}

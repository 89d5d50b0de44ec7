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
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.block import GENESIS_CERTIFICATE, Certificate, CommitSeal
from glassledger.ledger.chain import Chain
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.store import MemoryStore
from glassledger.ledger.tx import Event, Receipt, SignedTransaction, Transaction
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import Genesis, build_genesis
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

    @property
    def events(self) -> list[Event]:
        """Every event of the block: the transactions' (in order), then the hooks'."""
        return [e for r in self.receipts for e in r.events] + list(self.system_events)


@dataclass
class ClockedChain:
    """A chain whose blocks are stamped by a simulated clock (see the module docstring).

    The one chain harness of the project: simulations, scenarios and tests build on it.
    Build with :meth:`start`. ``keys(participant_id)`` gives a participant's key pair (to
    sign transactions and seals); ``key_pool`` maps public keys to the pairs the harness may
    seal with; ``seeds`` does the draw duties of the regulator and of every genesis
    participant (committers of the authority draws; ``None``: no duties);
    ``block_ms`` is the default step between blocks; ``system_events`` collects the hook
    events of every block, in order.
    """

    genesis: Genesis
    chain: Chain
    keys: Callable[[str], KeyPair]
    key_pool: dict[bytes, KeyPair]
    seeds: DrawDuties | None = None
    nonces: dict[str, int] = field(default_factory=dict)
    block_ms: int = 1_000
    system_events: list[tuple[int, Event]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        genesis: Genesis | None = None,
        registry: Registry | None = None,
        path: Path | str | None = None,
        keys: Callable[[str], KeyPair] = KeyPair.from_name,
        draw_seed: int | None = 0,
        block_ms: int = 1_000,
    ) -> ClockedChain:
        """A new chain from ``genesis`` (default: the devnet's; block 0 at
        ``genesis.time_ms``), in memory or in a new SQLite store at ``path``. ``registry``
        defaults to the standard contracts. When the genesis has a ``regulator`` and
        ``draw_seed`` is not ``None``, the harness performs the draw duties (regulator and
        sitting authorities) with
        seeds from ``random.Random(draw_seed)`` (simulations only: a predictable seed lets a
        proposer steer a real draw); ``draw_seed=None`` leaves them to the caller."""
        genesis = genesis if genesis is not None else devnet_genesis()
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
        if draw_seed is not None and any(p.id == REGULATOR for p in genesis.participants):
            generator = random.Random(draw_seed)
            committers = [(p.id, keys(p.id), "regulator" in p.roles) for p in genesis.participants]
            seeds = DrawDuties.for_keys(
                genesis.chain_id, committers, random_bytes=lambda who: generator.randbytes
            )
        return cls(genesis, Chain(registry, store, state), keys, pool, seeds, block_ms=block_ms)

    # ------------------------------------------------------------------ reading

    @property
    def store(self) -> BlockStore:
        return self.chain.store

    @property
    def registry(self) -> Registry:
        return self.chain.registry

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

    def balance(self, holder: str, symbol: str = "USD") -> int:
        """Free balance of ``holder`` in ``symbol`` (minor units)."""
        return self.get("token", f"b/{symbol}/{holder}") or 0

    def supply(self, symbol: str) -> int:
        """Total supply of ``symbol`` (minor units)."""
        return self.get("token", f"t/{symbol}")["supply"]

    def authority_ids(self, height: int | None = None) -> list[str]:
        """Ids of the authorities that sign block ``height`` (default: the next block)."""
        target = self.height + 1 if height is None else height
        return [who for who, _ in authorities_at(self.chain.state, target)]

    @property
    def authority_keys(self) -> list[KeyPair]:
        """Key pairs of the authorities that sign the next block (from the key pool)."""
        return [self.key_pool[key] for key in self.chain.authorities()]

    # ------------------------------------------------------------------ writing

    def sign(self, who: str, contract: str, method: str, args: dict[str, Any]) -> SignedTransaction:
        """A transaction of participant ``who`` with its next nonce, signed."""
        nonce = self.nonces.get(who, 0)
        self.nonces[who] = nonce + 1
        pair = self.keys(who)
        tx = Transaction(self.genesis.chain_id, pair.public, nonce, contract, method, args)
        return tx.sign(pair)

    def tx(self, who: str, contract: str, method: str, **args: Any) -> SignedTransaction:
        """``who`` calls ``contract.method(**args)``: signed, with its next nonce."""
        return self.sign(who, contract, method, args)

    def commit_at(
        self,
        time_ms: int,
        calls: Iterable[Call | SignedTransaction] = (),
        round_: int = 0,
        absent: Iterable[str] = (),
    ) -> SealedBlock:
        """Propose one block stamped ``time_ms`` (must be after the head) holding ``calls``
        (``(who, contract, method, args)`` tuples or signed transactions), seal it with every
        current authority not ``absent`` (certificate round ``round_``) and commit it."""
        if time_ms <= self.time_ms:
            raise ConfigError(
                f"simulated clock cannot go back: block at {time_ms} ms, head at {self.time_ms}"
            )
        duties = [] if self.seeds is None else self.seeds.calls(self.chain.state, self.height + 1)
        txs = [self.sign(who, "governance", m, args) for who, m, args in duties]
        txs += [c if isinstance(c, SignedTransaction) else self.sign(*c) for c in calls]
        return self._seal(time_ms, txs, round_, frozenset(absent))

    def commit_on(
        self, date: str | pd.Timestamp, calls: Iterable[Call] = (), hour: float = 12.0
    ) -> SealedBlock:
        """Commit a block stamped ``date`` at ``hour`` UTC (the clock jumps to that day)."""
        return self.commit_at(ms_of(date, hour), calls)

    def advance(
        self, step_ms: int | None = None, calls: Iterable[Call | SignedTransaction] = (), **seal
    ) -> SealedBlock:
        """Commit a block ``step_ms`` (default ``block_ms``; one day: ``DAY_MS``) after the
        head; ``seal`` passes ``round_`` / ``absent`` to :meth:`commit_at`."""
        return self.commit_at(self.time_ms + (step_ms or self.block_ms), calls, **seal)

    def commit(
        self, calls: Iterable[Call | SignedTransaction] = (), step_ms: int | None = None, **seal
    ) -> list[Receipt]:
        """Commit one block of ``calls`` :meth:`advance`-style; return its receipts."""
        return self.advance(step_ms, calls, **seal).receipts

    def call(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        """Commit a block holding one call; return its receipt."""
        return self.commit([(who, contract, method, args)])[0]

    def ok(self, who: str, contract: str, method: str, **args: Any) -> Receipt:
        """:meth:`call`, asserting the transaction was accepted (raises with its reason)."""
        receipt = self.call(who, contract, method, **args)
        if not receipt.ok:
            raise AssertionError(f"{contract}.{method} by {who} rejected: {receipt.message}")
        return receipt

    def advance_to(self, height: int, **seal: Any) -> list[tuple[int, Event]]:
        """Commit empty blocks until the head is ``height``; the hook events, by height."""
        events = []
        while self.height < height:
            block = self.advance(**seal)
            events += [(block.height, e) for e in block.system_events]
        return events

    def _seal(
        self, time_ms: int, txs: Sequence[SignedTransaction], round_: int, absent: frozenset[str]
    ) -> SealedBlock:
        height = self.height + 1
        signers = authorities_at(self.chain.state, height)
        authorities = [key for _, key in signers]
        missing = [k.hex()[:16] for k in authorities if k not in self.key_pool]
        if missing:
            raise ConfigError(f"no key in the pool for authorities {missing} at height {height}")
        proposer = authorities[(height + round_) % len(authorities)]
        block = self.chain.propose(time_ms, proposer, txs)
        result = self.chain.receipts_of(block.hash)
        seals = tuple(
            CommitSeal.make(self.key_pool[key], block.hash, round_)
            for who, key in signers
            if who not in absent
        )
        self.chain.commit(block, Certificate(round_, seals))
        self.system_events += [(height, e) for e in result.system_events]
        return SealedBlock(height, time_ms, list(result.receipts), list(result.system_events))

    def close(self) -> None:
        self.store.close()


def last_height_of_each_day(store: BlockStore, start: int = 0) -> dict[int, int]:
    """``{day: height of the last block stamped that day}`` for blocks from ``start``."""
    return {day_of(h.timestamp_ms): h.height for h in store.headers(start)}

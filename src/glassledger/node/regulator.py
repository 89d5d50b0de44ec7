"""The committers' off-ledger share of governance: secret seeds for the authority draws.

The ``governance`` contract runs each authority lottery from the seeds of several committers:
the regulator and the authorities sitting when the draw opens. Each commits ``sha256(seed)``
before the draw closes and reveals ``seed`` after it, the regulator first (see
docs/governance.md). A seed must be secret until its reveal and must not be lost in between,
so it is made and kept off the ledger, by the committer's node. :class:`DrawSeeds` does that
for one committer: given the committed state and the height of the next block, it says which
``governance`` call that committer should submit now::

    seeds = DrawSeeds(Path("regulator-seeds.json"))               # the regulator
    seeds = DrawSeeds(Path("dealer-1-seeds.json"), participant="dealer-1", regulator=False)
    for method, args in seeds.due(chain.state, chain.height + 1):
        mempool.submit(signer.tx(participant, "governance", method, **args))

:class:`DrawDuties` runs that for every committer whose key a node holds and signs the calls
(the embedded network, ``glassledger node`` and :class:`~glassledger.node.clocked.ClockedChain`
use it). Each call is returned once per draw and phase (commit, reveal); if its transaction is
lost, :meth:`DrawSeeds.retry` makes it due again. Seeds are 32 bytes from
``secrets.token_bytes`` by default; simulations pass a seeded ``random_bytes`` for reproducible
runs (never on a real network: a predictable seed is no contribution at all).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from glassledger.contracts.governance import SEED_BYTES, regulator_window_over
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.params import DEFAULT_PARAMS
from glassledger.ledger.state import Overlay, State
from glassledger.ledger.tx import SignedTransaction, Transaction

DRAW_KEY = b"governance/draw"
PARAMS_KEY = b"sys/params"
Call = tuple[str, dict[str, Any]]


def _reveal_timeout(state: State | Overlay) -> int:
    raw = state.get(PARAMS_KEY)
    params = {} if raw is None else msgspec.msgpack.decode(raw)
    return params.get("reveal_timeout", DEFAULT_PARAMS["reveal_timeout"])


class DrawSeeds:
    """Seeds of one committer's draws, by draw number; optionally persisted to ``path``
    (JSON, hex seeds, written before the commitment is handed out, mode 0600).

    ``participant`` is the committer's id; ``regulator`` says whether it holds the regulator
    role (the regulator commits to every draw; an authority only to draws listing it among
    their ``committers``)."""

    def __init__(
        self,
        path: Path | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        participant: str = "regulator",
        regulator: bool = True,
    ) -> None:
        self.path = path
        self.random_bytes = random_bytes
        self.participant = participant
        self.regulator = regulator
        self.seeds: dict[int, bytes] = {}
        self._handed_out: set[tuple[int, str]] = set()
        if path is not None and path.exists():
            stored = json.loads(path.read_text())
            self.seeds = {int(n): bytes.fromhex(s) for n, s in stored.items()}

    def due(self, state: State | Overlay, next_height: int) -> list[Call]:
        """The ``governance`` call (method, arguments) this committer should submit for block
        ``next_height`` given the committed ``state``: a commitment while the open draw lacks
        one and has not closed; a reveal once it has closed, in this committer's window (the
        regulator first, the authorities after the regulator's reveal or window)."""
        raw = state.get(DRAW_KEY)
        if raw is None:
            return []
        draw = msgspec.msgpack.decode(raw)
        number, me = draw["number"], self.participant
        may_commit = self.regulator or me in draw["committers"]
        if draw["state"] == "open" and next_height < draw["close"] and may_commit:
            if me in draw["digests"]:
                return []
            return self._once(
                number, "commit_seed", {"draw": number, "digest": self._digest(number)}
            )
        if (
            draw["state"] == "revealing"
            and me in draw["digests"]
            and me not in draw["seeds"]
            and number in self.seeds
            and draw["close"] < next_height
        ):
            timeout = _reveal_timeout(state)
            if me == draw.get("regulator"):
                allowed = next_height <= draw["close"] + timeout
            else:
                allowed = (
                    regulator_window_over(draw, next_height, timeout)
                    and next_height <= draw["deadline"]
                )
            if allowed:
                return self._once(
                    number, "reveal_seed", {"draw": number, "seed": self.seeds[number]}
                )
        return []

    def retry(self, draw: int, method: str) -> None:
        """Make a call handed out before due again (its transaction was lost or rejected)."""
        self._handed_out.discard((draw, method))

    def _once(self, number: int, method: str, args: dict[str, Any]) -> list[Call]:
        if (number, method) in self._handed_out:
            return []
        self._handed_out.add((number, method))
        return [(method, args)]

    def _digest(self, number: int) -> bytes:
        if number not in self.seeds:
            self.seeds[number] = self.random_bytes(SEED_BYTES)
            self._save()
        return hashlib.sha256(self.seeds[number]).digest()

    def _save(self) -> None:
        if self.path is None:
            return
        text = json.dumps({str(n): s.hex() for n, s in sorted(self.seeds.items())})
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.chmod(0o600)
        temporary.replace(self.path)


class DrawDuties:
    """The draw duties of every committer whose key a node holds: ``committers`` maps
    participant id to ``(key pair, DrawSeeds)``. :meth:`due` signs the calls due for the next
    block with each committer's next nonce (tracked here, against the state and above every
    nonce ``queued(public key)`` says the committer's transactions still queued hold: a
    transaction a user queued in the home's inbox with the same key is not refused as a
    reused nonce)."""

    def __init__(
        self,
        chain_id: str,
        committers: dict[str, tuple[KeyPair, DrawSeeds]],
        queued: Callable[[bytes], int] | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.committers = committers
        self.queued = queued
        self._nonces: dict[str, int] = {}

    @classmethod
    def for_keys(
        cls,
        chain_id: str,
        keys: Iterable[tuple[str, KeyPair, bool]],
        seed_path: Callable[[str], Path | None] = lambda who: None,
        random_bytes: Callable[[str], Callable[[int], bytes]] | None = None,
        queued: Callable[[bytes], int] | None = None,
    ) -> DrawDuties:
        """Duties for ``(participant id, key pair, holds the regulator role)`` triples;
        ``seed_path(id)`` where that committer's seeds are kept (``None``: in memory)."""
        committers = {}
        for who, pair, is_regulator in keys:
            source = secrets.token_bytes if random_bytes is None else random_bytes(who)
            seeds = DrawSeeds(seed_path(who), source, participant=who, regulator=is_regulator)
            committers[who] = (pair, seeds)
        return cls(chain_id, committers, queued)

    def calls(self, state: State | Overlay, next_height: int) -> list[tuple[str, str, dict]]:
        """``(participant, method, args)`` due for block ``next_height``."""
        out = []
        for who, (_, seeds) in self.committers.items():
            out += [(who, method, args) for method, args in seeds.due(state, next_height)]
        return out

    def due(self, state: State | Overlay, next_height: int) -> list[SignedTransaction]:
        """The signed ``governance`` transactions due for block ``next_height``."""
        out = []
        for who, method, args in self.calls(state, next_height):
            pair = self.committers[who][0]
            nonce = max(self._nonces.get(who, 0), last_nonce(state, pair.public) + 1)
            if self.queued is not None:
                nonce = max(nonce, self.queued(pair.public) + 1)
            self._nonces[who] = nonce + 1
            tx = Transaction(self.chain_id, pair.public, nonce, "governance", method, args)
            out.append(tx.sign(pair))
        return out

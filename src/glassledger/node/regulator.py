"""The regulator node's off-ledger share of governance: secret seeds for the authority draws.

The ``governance`` contract runs each authority lottery from a seed that the regulator commits
before the draw closes and reveals after (see docs/governance.md). The seed must be secret
until the reveal and must not be lost in between, so it is made and kept off the ledger, by
the regulator's node. :class:`DrawSeeds` does that: given the committed state and the height
of the next block, it says which ``governance`` call the regulator should submit now::

    seeds = DrawSeeds(Path("regulator-seeds.json"))      # or DrawSeeds() to keep them in memory
    for method, args in seeds.due(chain.state, chain.height + 1):
        mempool.submit(signer.tx("regulator", "governance", method, **args))

Each call is returned once per draw and phase (commit, reveal); if its transaction is lost,
:meth:`DrawSeeds.retry` makes it due again. Seeds are 32 bytes from ``secrets.token_bytes`` by
default; simulations pass a seeded ``random_bytes`` for reproducible runs (never on a real
network: a predictable seed lets the proposer of the closing block steer the draw).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from glassledger.contracts.governance import SEED_BYTES
from glassledger.ledger.state import Overlay, State

DRAW_KEY = b"governance/draw"
Call = tuple[str, dict[str, Any]]


class DrawSeeds:
    """Seeds of the regulator's draws, by draw number; optionally persisted to ``path``
    (JSON, hex seeds, written before the commitment is handed out, mode 0600)."""

    def __init__(
        self,
        path: Path | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.path = path
        self.random_bytes = random_bytes
        self.seeds: dict[int, bytes] = {}
        self._handed_out: set[tuple[int, str]] = set()
        if path is not None and path.exists():
            stored = json.loads(path.read_text())
            self.seeds = {int(n): bytes.fromhex(s) for n, s in stored.items()}

    def due(self, state: State | Overlay, next_height: int) -> list[Call]:
        """The ``governance`` call (method, arguments) the regulator should submit for block
        ``next_height`` given the committed ``state``: a commitment while the open draw has
        none and has not closed, a reveal once it has closed and before its deadline."""
        raw = state.get(DRAW_KEY)
        if raw is None:
            return []
        draw = msgspec.msgpack.decode(raw)
        number = draw["number"]
        if draw["state"] == "open" and next_height < draw["close"]:
            return self._once(
                number, "commit_seed", {"draw": number, "digest": self._digest(number)}
            )
        if (
            draw["state"] == "committed"
            and draw["close"] < next_height <= draw["deadline"]
            and number in self.seeds
        ):
            return self._once(number, "reveal_seed", {"draw": number, "seed": self.seeds[number]})
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

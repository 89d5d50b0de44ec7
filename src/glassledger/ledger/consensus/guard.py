"""Vote guards: an authority never signs two different digests for one (kind, height, round).

An honest authority that crashes and restarts forgets what it signed; as round-0 proposer it
would build a new block for a slot it already proposed in, and peers would hold equivocation
evidence against it. The engine asks its guard before every PROPOSAL, PREPARE and COMMIT.
"""

from __future__ import annotations

import os
from pathlib import Path


class VoteGuard:
    """What this authority has signed, by ``(kind, height, round)``: the engine never signs
    two different digests for one of them. Keep it across restarts (on disk in a node, in the
    simulator's replica) so that a restarted authority cannot equivocate by forgetting."""

    def __init__(self) -> None:
        self._signed: dict[tuple[int, int, int], bytes] = {}

    def allow(self, kind: int, height: int, round_: int, digest: bytes) -> bool:
        """Record the intent to sign; False when a different digest was signed before."""
        key = (kind, height, round_)
        previous = self._signed.setdefault(key, digest)
        return previous == digest

    def forget_below(self, height: int) -> None:
        self._signed = {key: d for key, d in self._signed.items() if key[1] >= height}


class FileVoteGuard(VoteGuard):
    """A :class:`VoteGuard` kept in an append-only file (one line ``kind height round
    digest-hex`` per signed slot, flushed and fsynced before the vote leaves), so an authority
    restarted after ``kill -9`` still refuses to sign a second digest for a slot. The file
    is rewritten with the recent slots only when it has grown past ``compact_after`` lines."""

    def __init__(self, path: Path, compact_after: int = 10_000) -> None:
        super().__init__()
        self.path = Path(path)
        self.compact_after = compact_after
        self._lines = 0
        text = self.path.read_text() if self.path.exists() else ""
        if text:
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 4:  # a torn last line is ignored: its vote never left
                    kind, height, round_ = (int(p) for p in parts[:3])
                    self._signed[(kind, height, round_)] = bytes.fromhex(parts[3])
                    self._lines += 1
        self._file = self.path.open("a")
        if text and not text.endswith("\n"):
            self._file.write("\n")  # end the torn line so the next record stands alone

    def allow(self, kind: int, height: int, round_: int, digest: bytes) -> bool:
        key = (kind, height, round_)
        if key in self._signed:
            return self._signed[key] == digest
        self._signed[key] = digest
        self._file.write(f"{kind} {height} {round_} {digest.hex()}\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._lines += 1
        return True

    def forget_below(self, height: int) -> None:
        super().forget_below(height)
        if self._lines > self.compact_after:
            self._file.close()
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(
                "".join(f"{k} {h} {r} {d.hex()}\n" for (k, h, r), d in self._signed.items())
            )
            os.replace(temporary, self.path)
            self._lines = len(self._signed)
            self._file = self.path.open("a")

    def close(self) -> None:
        self._file.close()

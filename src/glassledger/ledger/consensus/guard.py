"""Vote guards: an authority never signs two different digests for one (kind, height, round);
and the last-sign state (:class:`SignState`, :class:`FileSignState`): it never signs at or below
the highest (height, round, step) it has signed, whatever its block store says.

An honest authority that crashes and restarts forgets what it signed; as round-0 proposer it
would build a new block for a slot it already proposed in, and peers would hold equivocation
evidence against it. The engine asks its guard before every PROPOSAL, PREPARE and COMMIT.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from glassledger.errors import ConfigError, DecodeError
from glassledger.ledger import codec
from glassledger.ledger.block import Block
from glassledger.ledger.consensus.messages import SignedVote
from glassledger.ledger.crypto import sha256


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


# ---------------------------------------------------------------------- last-sign state

#: Steps of one round in the order an authority signs them (the vote kinds' own values).
STEP_NAMES = {0: "proposal", 1: "prepare", 2: "commit"}
SIGN_STATE_VERSION = 1


class SignMark(msgspec.Struct, array_like=True, frozen=True):
    """The highest (height, round, step) a key has signed, and the digest it signed there."""

    height: int
    round: int
    step: int
    digest: bytes

    def describe(self) -> str:
        return f"height {self.height} round {self.round} {STEP_NAMES.get(self.step, self.step)}"


class SignLock(msgspec.Struct, array_like=True, frozen=True):
    """The block a key sealed (signed COMMIT for) at ``height`` in ``round``, with the quorum
    of PREPARE votes that prepared it: after a restart the key still reports it prepared, so
    a block that may have been finalized is re-proposed instead of replaced."""

    height: int
    round: int
    block: Block
    prepares: tuple[SignedVote, ...]


class _SignStateFile(msgspec.Struct, array_like=True, frozen=True):
    version: int
    public_key: bytes
    mark: SignMark | None
    lock: SignLock | None
    checksum: bytes = b""


class SignState(VoteGuard):
    """Double-sign protection of one authority key, in the manner of CometBFT's privval
    ``FilePVLastSignState``: the key signs only strictly above its mark (height, round,
    step); at the mark itself it may sign the same digest again, never another one. Held in
    memory; :class:`FileSignState` keeps it on disk beside the key.

    Stricter than :class:`VoteGuard`: a key that has signed at height 7 never signs at height
    6 again, whatever its block store says."""

    def __init__(self) -> None:
        super().__init__()
        self.mark: SignMark | None = None
        self.lock: SignLock | None = None

    def allow(
        self, kind: int, height: int, round_: int, digest: bytes, lock: SignLock | None = None
    ) -> bool:
        """True when signing ``digest`` at (height, round, kind) is safe, after recording it
        (durably, in :class:`FileSignState`) as the new mark; ``lock`` is recorded with it
        (COMMIT). False, recording nothing, below the mark or for another digest at it."""
        mark = self.mark
        if mark is not None:
            here = (height, round_, kind)
            top = (mark.height, mark.round, mark.step)
            if here < top:
                return False
            if here == top:
                return digest == mark.digest
        if lock is None and self.lock is not None and self.lock.height == height:
            lock = self.lock  # a lock only matters at its own height
        self._record(SignMark(height, round_, kind, digest), lock)
        return True

    def _record(self, mark: SignMark, lock: SignLock | None) -> None:
        self.mark, self.lock = mark, lock

    def forget_below(self, height: int) -> None:
        """Nothing to forget: the mark is one record."""

    def close(self) -> None:
        """Nothing to release: every mark is on disk when :meth:`allow` returns."""

    def refusal(self, head_height: int) -> str | None:
        """Why this key must not sign while the store's head is ``head_height``, or None.

        A key whose mark is above the next height has signed for blocks this store does not
        hold: the store was restored from an older copy, or lost its write-ahead log. Signing
        again could seal a second block at a finalized height, so it refuses until the node
        has caught up (from peers) to the mark's height."""
        mark = self.mark
        if mark is None or mark.height <= head_height + 1:
            return None
        return (
            f"its last signature was at {mark.describe()} but the block store ends at height "
            f"{head_height}: the store was restored from an older copy or lost recent blocks. "
            f"It signs nothing until the node has caught up to height {mark.height - 1} from "
            "peers (see docs/ledger-storage.md, 'Recovering a damaged store')"
        )


class FileSignState(SignState):
    """A :class:`SignState` kept in a file beside the key (``keys/<id>.signstate``), apart
    from the block store so that restoring or damaging ``chain.sqlite`` cannot roll it back.

    Every new mark is written to a temporary file, fsynced, renamed over the old one, and the
    directory fsynced, all *before* :meth:`allow` returns, hence before the signature leaves
    the process. A file that is unreadable, or that belongs to another key, is refused with
    a :class:`ConfigError`: deleting it would let the key sign twice."""

    def __init__(self, path: Path, public_key: bytes) -> None:
        super().__init__()
        self.path = Path(path)
        self.public_key = public_key
        if self.path.exists():
            record = _read_sign_state(self.path)
            if record.public_key != public_key:
                raise ConfigError(
                    f"{self.path} is the sign state of key {record.public_key.hex()[:16]}, "
                    f"not of {public_key.hex()[:16]}"
                )
            self.mark, self.lock = record.mark, record.lock

    def _record(self, mark: SignMark, lock: SignLock | None) -> None:
        body = _SignStateFile(SIGN_STATE_VERSION, self.public_key, mark, lock)
        raw = codec.encode(body)
        data = codec.encode(
            _SignStateFile(SIGN_STATE_VERSION, self.public_key, mark, lock, sha256(raw))
        )
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        super()._record(mark, lock)


def _read_sign_state(path: Path) -> _SignStateFile:
    try:
        record = codec.decode(path.read_bytes(), _SignStateFile, max_size=64 << 20)
    except (DecodeError, OSError) as exc:
        raise ConfigError(
            f"the sign state {path} is unreadable ({exc}); do not delete it: restore it from "
            "a backup, or only if you know the highest height this key signed, see "
            "docs/ledger-storage.md"
        ) from exc
    body = _SignStateFile(record.version, record.public_key, record.mark, record.lock)
    if record.version != SIGN_STATE_VERSION or record.checksum != sha256(codec.encode(body)):
        raise ConfigError(f"the sign state {path} is corrupt (checksum or version mismatch)")
    return record


def sign_state_path(key_file: Path) -> Path:
    """Where the sign state of the key in ``key_file`` lives: beside it, ``<id>.signstate``."""
    key_file = Path(key_file)
    return key_file.with_name(key_file.stem + ".signstate")

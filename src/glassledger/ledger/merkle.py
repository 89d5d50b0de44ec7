"""Merkle commitments: list roots (transactions, receipts) and the state tree with proofs.

**List root.** A binary Merkle tree over item hashes with domain-separated leaves
(``0x00``) and nodes (``0x01``); an odd node is promoted unchanged. The empty list's root is
``sha256(b"")``.

**State tree (hashed buckets).** Each state key is hashed, ``kh = sha256(key)``; the first
``depth`` bits of ``kh`` choose one of ``2**depth`` buckets. A bucket's hash commits to its
entries sorted by ``kh``::

    bucket = sha256(0x02 || kh_1 || vh_1 || kh_2 || vh_2 || ...)     vh = sha256(value)

and a complete binary tree of depth ``depth`` over the buckets (``node = sha256(0x03 || left ||
right)``) gives the state root. An update rehashes only the touched buckets and their paths to
the root, and batches a block's updates level by level, so a block costs one hash per touched
bucket plus one per touched internal node. A proof for a key is the list of
``(kh, vh)`` pairs of its bucket plus ``depth`` sibling hashes: it proves the key's value, or
its absence, against the root alone. (A sparse 256-level tree would need 256 hashes per key;
with buckets of a few dozen entries the proof stays small and updates stay cheap. The bucket
depth is a chain parameter fixed at genesis.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from glassledger.errors import IntegrityError
from glassledger.ledger.crypto import sha256

DEFAULT_DEPTH = 16
#: Deepest state tree allowed (bucket indices come from the first 4 bytes of a key hash).
MAX_DEPTH = 24


def list_root(hashes: Iterable[bytes]) -> bytes:
    """Merkle root over a list of 32-byte item hashes, in order."""
    level = [sha256(b"\x00" + h) for h in hashes]
    if not level:
        return sha256(b"")
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def bucket_of(key_hash: bytes, depth: int) -> int:
    """Index of the bucket that holds a key with hash ``key_hash``."""
    return int.from_bytes(key_hash[:4], "big") >> (32 - depth)


def bucket_hash(entries: Mapping[bytes, bytes]) -> bytes:
    """Hash of a bucket given ``{key_hash: value_hash}``."""
    return sha256(b"\x02" + b"".join(kh + entries[kh] for kh in sorted(entries)))


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x03" + left + right)


def _empty_hashes(depth: int) -> list[bytes]:
    """``empty[d]`` is the hash of an empty subtree ``d`` levels above the buckets."""
    empty = [bucket_hash({})]
    for _ in range(depth):
        empty.append(node_hash(empty[-1], empty[-1]))
    return empty


class StateProof(msgspec.Struct, array_like=True, frozen=True):
    """Proof of a key's value (or absence) against a state root.

    ``bucket`` holds every ``(key_hash, value_hash)`` of the key's bucket; ``siblings`` the
    hashes from the bucket's sibling up to the root's child.
    """

    key: bytes
    value: bytes | None
    depth: int
    bucket: list[tuple[bytes, bytes]]
    siblings: list[bytes]

    def verify(self, root: bytes) -> bool:
        """True when this proof shows ``key`` -> ``value`` (``None``: absent) under ``root``."""
        if not 1 <= self.depth <= MAX_DEPTH or len(self.siblings) != self.depth:
            return False
        kh = sha256(self.key)
        entries = dict(self.bucket)
        if len(entries) != len(self.bucket):
            return False
        if self.value is None:
            if kh in entries:
                return False
        elif entries.get(kh) != sha256(self.value):
            return False
        if any(bucket_of(k, self.depth) != bucket_of(kh, self.depth) for k in entries):
            return False
        index = bucket_of(kh, self.depth)
        current = bucket_hash(entries)
        for sibling in self.siblings:
            current = node_hash(sibling, current) if index & 1 else node_hash(current, sibling)
            index >>= 1
        return current == root


class TreeUndo(msgspec.Struct):
    """What one :meth:`StateTree.update` changed: previous bucket contents and node hashes
    (``None`` where there was nothing)."""

    buckets: dict[int, dict[bytes, bytes] | None]
    nodes: list[dict[int, bytes | None]]


class StateTree:
    """The hashed-bucket Merkle tree over a key-value state.

    Holds only hashes: ``buckets[b]`` maps key hash to value hash, ``levels[d]`` maps a node
    index at height ``d`` (0 = buckets) to its hash when it differs from the empty subtree.
    """

    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"state tree depth must be in [1, 24], got {depth}")
        self.depth = depth
        self.empty = _empty_hashes(depth)
        self.buckets: dict[int, dict[bytes, bytes]] = {}
        self.levels: list[dict[int, bytes]] = [{} for _ in range(depth + 1)]

    @property
    def root(self) -> bytes:
        return self.levels[self.depth].get(0, self.empty[self.depth])

    def update(self, changes: Mapping[bytes, bytes | None]) -> TreeUndo:
        """Apply ``{key: new value, or None to delete}``; returns what :meth:`revert` needs
        to undo it (used for blocks that are proposed but not finalized)."""
        undo = TreeUndo({}, [{} for _ in range(self.depth + 1)])
        dirty: set[int] = set()
        for key, value in changes.items():
            kh = sha256(key)
            b = bucket_of(kh, self.depth)
            bucket = self.buckets.get(b)
            if b not in undo.buckets:
                undo.buckets[b] = dict(bucket) if bucket else None
            if value is None:
                if bucket is not None and bucket.pop(kh, None) is not None:
                    dirty.add(b)
            else:
                if bucket is None:
                    bucket = self.buckets[b] = {}
                bucket[kh] = sha256(value)
                dirty.add(b)
        self._rehash(dirty, undo)
        return undo

    def revert(self, undo: TreeUndo) -> None:
        """Undo one :meth:`update` (the most recent one not yet reverted)."""
        for b, entries in undo.buckets.items():
            if entries is None:
                self.buckets.pop(b, None)
            else:
                self.buckets[b] = entries
        for level, saved in zip(self.levels, undo.nodes, strict=True):
            for index, previous in saved.items():
                if previous is None:
                    level.pop(index, None)
                else:
                    level[index] = previous

    def _rehash(self, dirty: set[int], undo: TreeUndo) -> None:
        level0, saved0 = self.levels[0], undo.nodes[0]
        for b in dirty:
            saved0.setdefault(b, level0.get(b))
            entries = self.buckets.get(b)
            if entries:
                level0[b] = bucket_hash(entries)
            else:
                self.buckets.pop(b, None)
                level0.pop(b, None)
        for d in range(1, self.depth + 1):
            below, here, empty = self.levels[d - 1], self.levels[d], self.empty[d - 1]
            saved = undo.nodes[d]
            parents = {i >> 1 for i in dirty}
            for p in parents:
                saved.setdefault(p, here.get(p))
                left = below.get(2 * p, empty)
                right = below.get(2 * p + 1, empty)
                if left == empty and right == empty:
                    here.pop(p, None)
                else:
                    here[p] = node_hash(left, right)
            dirty = parents

    def prove(self, key: bytes, value: bytes | None) -> StateProof:
        """Proof for ``key`` whose current value is ``value`` (``None`` when absent)."""
        kh = sha256(key)
        b = bucket_of(kh, self.depth)
        entries = self.buckets.get(b, {})
        expected = entries.get(kh)
        if (value is None) != (expected is None) or (
            value is not None and sha256(value) != expected
        ):
            raise IntegrityError(f"value given for key {key!r} does not match the state tree")
        siblings = []
        index = b
        for d in range(self.depth):
            siblings.append(self.levels[d].get(index ^ 1, self.empty[d]))
            index >>= 1
        return StateProof(key, value, self.depth, sorted(entries.items()), siblings)

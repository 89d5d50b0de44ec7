"""The ledger's key-value state, its Merkle commitment, and copy-on-write overlays.

Keys are bytes namespaced by contract: ``b"<contract>/<key>"``; the ledger's own bookkeeping
lives under ``b"sys/"``. Values are canonical encodings (:mod:`glassledger.ledger.codec`).

Execution never writes the committed :class:`State` directly: a block executes in an
:class:`Overlay`, and each transaction in a child overlay that is merged on success and simply
dropped on rejection, so a rejected transaction leaves no trace (STYLE.md lesson 4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from glassledger.ledger.merkle import DEFAULT_DEPTH, StateProof, StateTree, TreeUndo

_MISSING = object()


class State:
    """Committed state: a dict of bytes to bytes plus its :class:`StateTree`."""

    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        self.data: dict[bytes, bytes] = {}
        self.tree = StateTree(depth)

    @classmethod
    def from_items(cls, items: Mapping[bytes, bytes], depth: int = DEFAULT_DEPTH) -> State:
        state = cls(depth)
        state.apply(dict(items))
        return state

    @property
    def root(self) -> bytes:
        return self.tree.root

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> StateUndo:
        """Write ``{key: value or None to delete}``; returns the undo record."""
        previous = {key: self.data.get(key) for key in changes}
        for key, value in changes.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        return StateUndo(previous, self.tree.update(changes))

    def revert(self, undo: StateUndo) -> None:
        """Undo the most recent :meth:`apply` not yet reverted."""
        for key, value in undo.previous.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        self.tree.revert(undo.tree)

    def prove(self, key: bytes) -> StateProof:
        """Inclusion (or absence) proof of ``key`` against :attr:`root`."""
        return self.tree.prove(key, self.data.get(key))

    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """All ``(key, value)`` whose key starts with ``prefix``, sorted by key."""
        for key in sorted(k for k in self.data if k.startswith(prefix)):
            yield key, self.data[key]


class StateUndo:
    """Previous values and tree hashes overwritten by one :meth:`State.apply`."""

    __slots__ = ("previous", "tree")

    def __init__(self, previous: dict[bytes, bytes | None], tree: TreeUndo) -> None:
        self.previous = previous
        self.tree = tree


class Overlay:
    """Copy-on-write writes over a parent (:class:`State` or another overlay).

    ``changes`` maps key to new value, ``None`` meaning deleted. :meth:`child` opens a nested
    scope; :meth:`commit_to_parent` folds it into its parent overlay.
    """

    __slots__ = ("changes", "parent")

    def __init__(self, parent: State | Overlay) -> None:
        self.parent = parent
        self.changes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        value = self.changes.get(key, _MISSING)
        if value is _MISSING:
            return self.parent.get(key)
        return value  # type: ignore[return-value]

    def put(self, key: bytes, value: bytes) -> None:
        self.changes[key] = value

    def delete(self, key: bytes) -> None:
        self.changes[key] = None

    def child(self) -> Overlay:
        return Overlay(self)

    def commit_to_parent(self) -> None:
        parent = self.parent
        if not isinstance(parent, Overlay):
            raise TypeError("only a child overlay can be folded into its parent")
        parent.changes.update(self.changes)

    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Merged view of keys under ``prefix``, sorted by key."""
        merged: dict[bytes, bytes | None] = dict(self.parent.items_with_prefix(prefix))
        for key, value in self.changes.items():
            if key.startswith(prefix):
                merged[key] = value
        for key in sorted(merged):
            value = merged[key]
            if value is not None:
                yield key, value

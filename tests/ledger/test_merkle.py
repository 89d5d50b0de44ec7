"""The hashed-bucket state tree: roots, proofs of presence and absence, revert."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from glassledger.ledger.merkle import StateTree, list_root
from glassledger.ledger.state import State

keys = st.binary(min_size=1, max_size=12)
changes = st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=8)), max_size=30)


@given(st.lists(changes, max_size=5))
def test_root_depends_only_on_final_contents(batches):
    incremental = StateTree(depth=6)
    final: dict[bytes, bytes] = {}
    for batch in batches:
        incremental.update(batch)
        for k, v in batch.items():
            if v is None:
                final.pop(k, None)
            else:
                final[k] = v
    fresh = StateTree(depth=6)
    fresh.update(final)
    assert incremental.root == fresh.root


@given(changes, changes)
def test_revert_restores_the_previous_root_exactly(first, second):
    state = State(depth=5)
    state.apply({k: v for k, v in first.items() if v is not None})
    root, data = state.root, dict(state.data)
    undo = state.apply(second)
    state.revert(undo)
    assert state.root == root and state.data == data


@given(st.dictionaries(keys, st.binary(max_size=8), min_size=1, max_size=40), keys)
def test_proofs_of_presence_and_absence(contents, probe):
    state = State(depth=4)
    state.apply(contents)
    for key, value in contents.items():
        proof = state.prove(key)
        assert proof.value == value and proof.verify(state.root)
    absent = state.prove(probe)
    assert absent.verify(state.root)
    assert (absent.value is None) == (probe not in contents)


def test_tampered_proof_fails():
    state = State(depth=4)
    state.apply({b"a": b"1", b"b": b"2", b"c": b"3"})
    proof = state.prove(b"a")
    forged = type(proof)(proof.key, b"9", proof.depth, proof.bucket, proof.siblings)
    assert not forged.verify(state.root)
    hidden = type(proof)(b"a", None, proof.depth, [e for e in proof.bucket], proof.siblings)
    assert not hidden.verify(state.root)
    wrong_path = type(proof)(
        proof.key, proof.value, proof.depth, proof.bucket, [b"\x00" * 32, *proof.siblings[1:]]
    )
    assert not wrong_path.verify(state.root)


def test_list_root_is_order_sensitive():
    a, b = b"\x01" * 32, b"\x02" * 32
    assert list_root([a, b]) != list_root([b, a])
    assert list_root([]) != list_root([a])

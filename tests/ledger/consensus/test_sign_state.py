"""The last-sign state (CometBFT privval style): monotone (height, round, step), idempotent
at the mark for the same digest, durable beside the key, refusing when the store is behind."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import ConfigError
from glassledger.ledger.consensus.guard import FileSignState, SignState

A, B = b"a" * 32, b"b" * 32
PUB = b"k" * 32


def test_refuses_at_or_below_the_mark_except_the_same_digest():
    s = SignState()
    assert s.allow(1, 5, 0, A)
    assert s.allow(1, 5, 0, A)  # the same vote again: idempotent
    assert not s.allow(1, 5, 0, B)  # another digest at the mark: equivocation
    assert not s.allow(0, 5, 0, A)  # a lower step
    assert not s.allow(2, 4, 9, A)  # a lower height
    assert s.allow(0, 5, 1, B)  # a higher round
    assert s.allow(0, 6, 0, A)


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), st.integers(0, 3), st.booleans())))
def test_signed_marks_only_increase(moves):
    s = SignState()
    signed = []
    for step, height, round_, which in moves:
        if s.allow(step, height, round_, A if which else B):
            signed.append((height, round_, step, which))
    for before, after in itertools.pairwise(signed):
        assert before[:3] < after[:3] or before == after


def test_file_sign_state_survives_a_restart_and_refuses_a_restored_store(tmp_path):
    path = tmp_path / "dealer-0.signstate"
    s = FileSignState(path, PUB)
    assert s.allow(2, 7, 1, A)
    again = FileSignState(path, PUB)
    assert (again.mark.height, again.mark.round, again.mark.step) == (7, 1, 2)
    assert not again.allow(2, 7, 1, B) and not again.allow(1, 7, 0, A)
    assert again.refusal(6) is None  # resuming at the mark's height is allowed
    reason = again.refusal(3)
    assert reason is not None and "height 7" in reason and "ends at height 3" in reason


def test_a_damaged_or_foreign_sign_state_is_refused(tmp_path):
    path = tmp_path / "x.signstate"
    FileSignState(path, PUB).allow(0, 1, 0, A)
    with pytest.raises(ConfigError, match="not of"):
        FileSignState(path, b"z" * 32)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="sign state"):
        FileSignState(path, PUB)

"""Vote guards: one digest per (kind, height, round), kept across a restart on disk."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassledger.ledger.consensus.guard import FileVoteGuard, VoteGuard
from glassledger.ledger.consensus.messages import VoteKind
from glassledger.ledger.crypto import sha256


def test_memory_guard_allows_one_digest_per_slot_and_forgets_old_heights():
    guard = VoteGuard()
    a, b = sha256(b"a"), sha256(b"b")
    assert guard.allow(VoteKind.PREPARE, 3, 0, a) and guard.allow(VoteKind.PREPARE, 3, 0, a)
    assert not guard.allow(VoteKind.PREPARE, 3, 0, b)
    assert guard.allow(VoteKind.COMMIT, 3, 0, b) and guard.allow(VoteKind.PREPARE, 3, 1, b)
    guard.forget_below(4)
    assert guard.allow(VoteKind.PREPARE, 3, 0, b)


def test_file_vote_guard_survives_a_restart(tmp_path):
    path = tmp_path / "votes.guard"
    guard = FileVoteGuard(path)
    a, b = sha256(b"a"), sha256(b"b")
    assert guard.allow(VoteKind.PROPOSAL, 7, 0, a)
    assert guard.allow(VoteKind.PROPOSAL, 7, 0, a)  # the same vote again is fine
    assert not guard.allow(VoteKind.PROPOSAL, 7, 0, b)
    guard.close()
    with path.open("a") as torn:
        torn.write("0 7 1")  # a crash in the middle of a line
    restarted = FileVoteGuard(path)
    assert not restarted.allow(VoteKind.PROPOSAL, 7, 0, b)
    assert restarted.allow(VoteKind.PREPARE, 7, 0, b)
    restarted.close()
    again = FileVoteGuard(path)
    assert not again.allow(VoteKind.PREPARE, 7, 0, a)  # the record after the torn line holds
    again.close()


def test_file_vote_guard_compacts_old_heights(tmp_path):
    path = tmp_path / "votes.guard"
    guard = FileVoteGuard(path, compact_after=5)
    for height in range(1, 10):
        guard.allow(VoteKind.PREPARE, height, 0, sha256(bytes([height])))
    guard.forget_below(8)
    guard.close()
    assert len(path.read_text().splitlines()) == 2
    assert not FileVoteGuard(path).allow(VoteKind.PREPARE, 9, 0, sha256(b"other"))


slots = st.tuples(st.sampled_from([0, 1, 2]), st.integers(0, 6), st.integers(0, 2))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("sign"), slots, st.sampled_from([b"a", b"b"])),
        st.tuples(st.just("forget"), st.integers(0, 6)),
        st.just(("restart",)),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps)
def test_file_guard_never_allows_two_digests_for_a_live_slot(tmp_path_factory, script):
    """Across restarts and compactions: a slot at or above the forget threshold (the engine
    never votes below it) gets one digest at most, and a fresh slot is always allowed."""
    path = tmp_path_factory.mktemp("guard") / "votes.guard"
    guard = FileVoteGuard(path, compact_after=8)
    first: dict[tuple[int, int, int], bytes] = {}
    threshold = 0
    for step in script:
        if step[0] == "sign":
            slot, digest = step[1], sha256(step[2])
            allowed = guard.allow(*slot, digest)
            if slot[1] >= threshold:
                assert allowed == (first.setdefault(slot, digest) == digest)
        elif step[0] == "forget":
            threshold = max(threshold, step[1])
            guard.forget_below(step[1])
        else:
            guard.close()
            guard = FileVoteGuard(path, compact_after=8)
    guard.close()

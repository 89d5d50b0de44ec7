"""Consensus messages: what counts as equivocation evidence."""

from __future__ import annotations

import pytest

from glassledger.ledger.consensus.messages import (
    EquivocationEvidence,
    SignedVote,
    Vote,
    VoteKind,
    check_equivocation,
)
from glassledger.ledger.crypto import KeyPair, sha256

ALICE, BOB = KeyPair.from_name("dealer-0"), KeyPair.from_name("dealer-1")
A, B = sha256(b"block A"), sha256(b"block B")


def signed(keys, kind=VoteKind.PREPARE, round_=0, digest=A, height=5, chain="c"):
    return SignedVote.make(keys, Vote(kind, chain, height, round_, digest))


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (signed(ALICE), signed(BOB, digest=B), "different signers"),
        (
            signed(ALICE),
            signed(ALICE, round_=1, digest=B),
            "differ in kind, chain, height or round",
        ),
        (signed(ALICE), signed(ALICE, VoteKind.COMMIT, digest=B), "differ in kind"),
        (signed(ALICE), signed(ALICE, height=6, digest=B), "differ in kind"),
        (signed(ALICE), signed(ALICE, chain="other", digest=B), "differ in kind"),
        (signed(ALICE), signed(ALICE), "same block"),
        (
            signed(ALICE, VoteKind.ROUND_CHANGE, 1),
            signed(ALICE, VoteKind.ROUND_CHANGE, 1, B),
            "round-change votes are not evidence",
        ),
        (
            signed(ALICE),
            SignedVote(signed(ALICE, digest=B).vote, ALICE.public, bytes(64)),
            "signature is invalid",
        ),
    ],
)
def test_what_is_not_equivocation(first, second, reason):
    assert reason in check_equivocation(EquivocationEvidence(first, second))


@pytest.mark.parametrize("kind", [VoteKind.PROPOSAL, VoteKind.PREPARE, VoteKind.COMMIT])
def test_two_digests_in_one_slot_are_equivocation(kind):
    evidence = EquivocationEvidence(signed(ALICE, kind), signed(ALICE, kind, digest=B))
    assert check_equivocation(evidence) is None

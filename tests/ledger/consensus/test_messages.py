"""Consensus messages: canonical packets and what counts as equivocation evidence."""

from __future__ import annotations

import pytest

from glassledger.errors import ConsensusError
from glassledger.ledger import codec
from glassledger.ledger.block import CommitSeal
from glassledger.ledger.consensus.messages import (
    NO_DIGEST,
    ConsensusMessage,
    EquivocationEvidence,
    SignedVote,
    SyncRequest,
    Vote,
    VoteKind,
    check_equivocation,
)
from glassledger.ledger.consensus.qbft import decode_packet, encode_packet
from glassledger.ledger.crypto import KeyPair, sha256

ALICE, BOB = KeyPair.from_name("dealer-0"), KeyPair.from_name("dealer-1")
A, B = sha256(b"block A"), sha256(b"block B")


def signed(keys, kind=VoteKind.PREPARE, round_=0, digest=A, height=5, chain="c"):
    return SignedVote.make(keys, Vote(kind, chain, height, round_, digest))


def test_packets_round_trip_and_are_told_apart_by_their_tag():
    message = ConsensusMessage(signed(ALICE, VoteKind.COMMIT), seal=CommitSeal.make(ALICE, A))
    request = SyncRequest(signed(ALICE, VoteKind.SYNC_REQUEST, digest=NO_DIGEST))
    for packet in (message, request):
        payload = codec.encode(packet)
        assert codec.decode(payload, type(packet)) == packet
        assert decode_packet(bytes(payload)) == packet  # a fresh bytes object: really decoded
    assert codec.encode(message)[1] == 0 and codec.encode(request)[1] == 1


def test_non_canonical_payload_is_a_consensus_error():
    payload = bytearray(encode_packet(ConsensusMessage(signed(ALICE))))
    payload[0] = 0xDC  # array header in a longer (non-canonical) form
    with pytest.raises(ConsensusError, match="malformed"):
        decode_packet(bytes(payload[:1]) + b"\x00\x07" + bytes(payload[1:]))


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

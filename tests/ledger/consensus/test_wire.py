"""The wire: canonical packets, typed errors for anything else, memoized signature checks."""

from __future__ import annotations

import pytest

from glassledger.errors import ConsensusError
from glassledger.ledger import codec
from glassledger.ledger.block import CommitSeal
from glassledger.ledger.consensus.messages import (
    NO_DIGEST,
    ConsensusMessage,
    SignedVote,
    SyncRequest,
    Vote,
    VoteKind,
)
from glassledger.ledger.consensus.wire import (
    decode_packet,
    encode_packet,
    make_seal,
    seal_valid,
    sign_vote,
    vote_valid,
)
from glassledger.ledger.crypto import KeyPair, sha256

ALICE = KeyPair.from_name("dealer-0")
A = sha256(b"block A")


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


def test_signature_checks_are_memoized_and_never_wrong():
    vote = Vote(VoteKind.COMMIT, "c", 9, 2, A)
    mine = sign_vote(ALICE, vote)
    assert vote_valid(mine) and mine.valid()
    forged = SignedVote(vote, KeyPair.from_name("dealer-1").public, mine.signature)
    assert not vote_valid(forged) and not vote_valid(forged)  # cached as invalid, too
    seal = make_seal(ALICE, A, 2)
    assert seal_valid(seal, A, 2) and not seal_valid(seal, sha256(b"other"), 2)
    assert not seal_valid(seal, A, 0)  # the round is signed: another round does not verify

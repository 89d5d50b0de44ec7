"""QBFT engine, one replica at a time: timeouts, round jumps, authentication, evidence, fuzzing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassledger.ledger import codec
from glassledger.ledger.block import CommitSeal, quorum
from glassledger.ledger.consensus.messages import (
    NO_DIGEST,
    ConsensusMessage,
    EquivocationEvidence,
    SignedVote,
    Vote,
    VoteKind,
    check_equivocation,
)
from glassledger.ledger.consensus.qbft import QbftEngine, proposer_of, round_timeout
from glassledger.ledger.consensus.transport import InProcessTransport
from glassledger.ledger.consensus.wire import decode_packet, encode_packet
from glassledger.ledger.crypto import KeyPair, sha256

DEALERS = [KeyPair.from_name(f"dealer-{i}") for i in range(4)]
OUTSIDER = KeyPair.from_name("outsider")


def no_txs(limit):
    return [], None


def lone_engine(chain, clock, keys=DEALERS[2]):
    """One engine whose peers are silent; ``sent`` collects what it broadcasts."""
    transport = InProcessTransport()
    sent: list[ConsensusMessage] = []
    transport.register(
        DEALERS[0].public, lambda sender, payload: sent.append(decode_packet(payload))
    )
    engine = QbftEngine(keys, chain, transport, clock, no_txs)
    return engine, transport, sent


def vote(keys, kind, height, round_, digest, prepared=-1, chain_id="glassledger-dev"):
    return SignedVote.make(keys, Vote(kind, chain_id, height, round_, digest, prepared))


def round_changes(sent):
    return sorted({m.vote.vote.round for m in sent if m.vote.vote.kind == VoteKind.ROUND_CHANGE})


def test_quorum_and_timeout_match_the_qbft_specification():
    # Consensys/qbft-formal-spec-and-verification, dafny/spec/L1/node_auxiliary_functions.dfy:
    # quorum(n) = (2n - 1) / 3 + 1 (integer division), f(n) = (n - 1) / 3, roundTimeout(r) = 2^r
    for n in range(1, 101):
        assert quorum(n) == (2 * n - 1) // 3 + 1
        assert 2 * quorum(n) - n >= (n - 1) // 3 + 1  # two quorums share an honest authority
    assert [round_timeout(1, r) for r in range(6)] == [1, 2, 4, 8, 16, 32]


def test_quorum_and_proposer_rotation():
    keys = [k.public for k in DEALERS]
    assert [proposer_of(keys, 1, r) for r in range(4)] == [keys[1], keys[2], keys[3], keys[0]]
    assert round_timeout(1_000, 0) == 1_000 and round_timeout(1_000, 3) == 8_000


def test_silent_proposer_makes_rounds_time_out_with_doubling(chain_factory, clock):
    chain = chain_factory(params={"round_timeout_ms": 1_000, "block_interval_ms": 200})
    engine, transport, sent = lone_engine(chain, clock)
    start = clock.now  # the genesis is older than block_interval_ms: round 0 starts now
    engine.start()
    expected_rounds = []
    elapsed = 0
    for round_ in range(4):
        elapsed += 1_000 * 2**round_  # round r lasts round_timeout_ms * 2**r
        clock.now = start + elapsed - 1
        engine.on_tick()
        assert engine.round == round_
        clock.now = start + elapsed
        engine.on_tick()
        transport.deliver_all()
        expected_rounds.append(round_ + 1)
        assert engine.round == round_ + 1
        assert round_changes(sent) == expected_rounds
    assert engine.height == 1 and chain.height == 0


def test_f_plus_one_round_changes_make_a_replica_jump(chain_factory, clock):
    chain = chain_factory()
    engine, transport, sent = lone_engine(chain, clock)
    engine.start()
    rc = vote(DEALERS[0], VoteKind.ROUND_CHANGE, 1, 5, NO_DIGEST)
    engine.on_message(DEALERS[0].public, encode_packet(ConsensusMessage(rc)))
    assert engine.round == 0  # one replica (f = 1) may be faulty: not enough
    rc = vote(DEALERS[3], VoteKind.ROUND_CHANGE, 1, 5, NO_DIGEST)
    engine.on_message(DEALERS[3].public, encode_packet(ConsensusMessage(rc)))
    transport.deliver_all()
    assert engine.round == 5
    assert round_changes(sent) == [5]


def test_votes_from_non_authorities_and_forged_signers_are_rejected(chain_factory, clock):
    chain = chain_factory()
    engine, _, _ = lone_engine(chain, clock)
    engine.start()
    digest = sha256(b"some block")
    outsider = vote(OUTSIDER, VoteKind.PREPARE, 1, 0, digest)
    forged = SignedVote(outsider.vote, DEALERS[0].public, outsider.signature)
    foreign_chain = vote(DEALERS[0], VoteKind.PREPARE, 1, 0, digest, chain_id="other-chain")
    for signed in (outsider, forged, foreign_chain):
        engine.on_message(OUTSIDER.public, encode_packet(ConsensusMessage(signed)))
    reasons = [str(e) for e in engine.rejected]
    assert "not an authority" in reasons[0]
    assert "bad vote signature" in reasons[1]
    assert "other-chain" in reasons[2]
    assert engine._prepares == {}  # none of them counted


def test_commit_without_a_valid_seal_is_rejected(chain_factory, clock):
    chain = chain_factory()
    engine, _, _ = lone_engine(chain, clock)
    engine.start()
    digest = sha256(b"block")
    signed = vote(DEALERS[0], VoteKind.COMMIT, 1, 0, digest)
    wrong_seal = CommitSeal.make(DEALERS[0], sha256(b"another block"))
    engine.on_message(DEALERS[0].public, encode_packet(ConsensusMessage(signed, seal=wrong_seal)))
    assert "without a valid seal" in str(engine.rejected[-1])
    assert engine._commits == {}


def test_conflicting_votes_in_one_round_are_evidence(chain_factory, clock):
    chain = chain_factory()
    found = []
    engine, _, _ = lone_engine(chain, clock)
    engine.on_evidence = found.append
    engine.start()
    first = vote(DEALERS[0], VoteKind.PREPARE, 1, 0, sha256(b"block A"))
    second = vote(DEALERS[0], VoteKind.PREPARE, 1, 0, sha256(b"block B"))
    later_round = vote(DEALERS[0], VoteKind.PREPARE, 1, 1, sha256(b"block C"))
    for signed in (first, first, later_round, second, second):
        engine.on_message(DEALERS[0].public, encode_packet(ConsensusMessage(signed)))
    assert found == engine.evidence and len(engine.evidence) == 1  # each conflict once
    evidence = engine.evidence[0]
    assert (evidence.first, evidence.second) == (first, second)
    assert check_equivocation(evidence) is None
    # what a node submits to governance.report_equivocation: canonical bytes that decode back
    raw = codec.encode(evidence)
    assert codec.decode(raw, EquivocationEvidence) == evidence


def test_round_changes_naming_different_blocks_are_not_evidence(chain_factory, clock):
    chain = chain_factory()
    engine, _, _ = lone_engine(chain, clock)
    engine.start()
    for digest in (NO_DIGEST, sha256(b"x")):
        rc = vote(DEALERS[0], VoteKind.ROUND_CHANGE, 1, 1, digest, -1 if digest == NO_DIGEST else 0)
        engine.on_message(DEALERS[0].public, encode_packet(ConsensusMessage(rc)))
    assert engine.evidence == []


def test_oversized_payload_is_dropped_with_a_typed_error(chain_factory, clock):
    chain = chain_factory()
    engine, _, _ = lone_engine(chain, clock)
    engine.max_message_bytes = 1_000
    engine.start()
    engine.on_message(DEALERS[0].public, b"\x91" + bytes(1_000))
    assert "exceeds the limit" in str(engine.rejected[-1])


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_random_bytes_never_crash_the_engine(chain_factory, clock, payloads):
    engine, _, _ = lone_engine(chain_factory(), clock)
    engine.start()
    for payload in payloads:
        engine.on_message(DEALERS[0].public, payload)
    assert engine.height == 1 and engine.round == 0
    assert engine.rejected_count == len(payloads)


def prepared_block(chain_factory, clock):
    """Block B proposed by dealer-1 in (height 1, round 0), and a quorum of PREPAREs for it
    (built on a twin chain from the same genesis)."""
    twin = chain_factory()
    block = twin.propose(clock.now, DEALERS[1].public, [])
    prepares = tuple(vote(DEALERS[i], VoteKind.PREPARE, 1, 0, block.hash) for i in (0, 1, 3))
    return block, prepares


def round_change_quorum(block, prepares):
    """ROUND_CHANGE(height 1, round 1) from dealers 0, 1, 3; dealer-0 reports B prepared."""
    locked = vote(DEALERS[0], VoteKind.ROUND_CHANGE, 1, 1, block.hash, prepared=0)
    messages = [ConsensusMessage(locked, block=block, prepares=prepares)]
    messages += [
        ConsensusMessage(vote(DEALERS[i], VoteKind.ROUND_CHANGE, 1, 1, NO_DIGEST)) for i in (1, 3)
    ]
    return messages


def test_new_proposer_re_proposes_the_highest_prepared_block(chain_factory, clock):
    block, prepares = prepared_block(chain_factory, clock)
    chain = chain_factory()
    # dealer-2 leads (height 1, round 1); it saw nothing of round 0
    engine, transport, sent = lone_engine(chain, clock, keys=DEALERS[2])
    engine.start()
    for message in round_change_quorum(block, prepares):
        engine.on_message(message.vote.signer, encode_packet(message))
    transport.deliver_all()
    [proposal] = [m for m in sent if m.vote.vote.kind == VoteKind.PROPOSAL]
    assert proposal.vote.vote.round == 1 and proposal.block == block
    assert proposal.block.header.proposer == DEALERS[1].public  # the original header, unchanged
    assert set(proposal.prepares) == set(prepares)
    # proposed as soon as a quorum was there: dealers 0 and 1 (f + 1: it jumped), then its own
    signers = [v.signer for v in proposal.round_changes]
    assert signers == [DEALERS[0].public, DEALERS[1].public, DEALERS[2].public]


def test_a_proposal_that_ignores_the_prepared_block_is_refused(chain_factory, clock):
    block, prepares = prepared_block(chain_factory, clock)
    chain = chain_factory()
    engine, transport, sent = lone_engine(chain, clock, keys=DEALERS[3])
    engine.start()
    justification = tuple(m.vote for m in round_change_quorum(block, prepares))
    other = chain_factory().propose(clock.now + 1, DEALERS[2].public, [])
    for candidate in (other, block):
        signed = vote(DEALERS[2], VoteKind.PROPOSAL, 1, 1, candidate.hash)
        message = ConsensusMessage(
            signed, block=candidate, prepares=prepares, round_changes=justification
        )
        engine.on_message(DEALERS[2].public, encode_packet(message))
    transport.deliver_all()
    assert "ignores the highest prepared block" in str(engine.rejected[0])
    assert engine.round == 1  # the justified proposal moved it to round 1
    [prepare] = [m for m in sent if m.vote.vote.kind == VoteKind.PREPARE]
    assert prepare.vote.vote.digest == block.hash


def test_a_round_change_claiming_a_prepared_block_needs_its_certificate(chain_factory, clock):
    block, prepares = prepared_block(chain_factory, clock)
    chain = chain_factory()
    engine, _, _ = lone_engine(chain, clock)
    engine.start()
    claim = vote(DEALERS[0], VoteKind.ROUND_CHANGE, 1, 1, block.hash, prepared=0)
    short = ConsensusMessage(claim, block=block, prepares=prepares[:2])
    engine.on_message(DEALERS[0].public, encode_packet(short))
    assert "a quorum is 3" in str(engine.rejected[-1])
    assert engine._round_changes == {}

"""Governance (seed 003): candidates, commit-reveal elections, eviction and by-election."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glassledger.contracts.governance import MIN_AUTHORITIES, lottery_randomness
from glassledger.contracts.lottery import elect
from glassledger.ledger import codec
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.consensus.messages import (
    EquivocationEvidence,
    SignedVote,
    Vote,
    VoteKind,
)
from glassledger.ledger.consensus.qbft import proposer_of
from glassledger.ledger.crypto import KeyPair
from glassledger.node.clocked import ClockedChain
from glassledger.node.regulator import DrawSeeds

from .conftest import EXTRA_CANDIDATES, gov_chain, names

SEED = hashlib.sha256(b"regulator's secret seed").digest()
DEALERS = ["dealer-0", "dealer-1", "dealer-2", "dealer-3"]
CANDIDATE_SCORES = {
    "dealer-0": 70,
    "dealer-1": 77,
    "dealer-2": 84,
    "dealer-3": 91,
    "ccp-a": 90,
    "guarantor-b": 80,
    "dealer-x": 65,
}  # dealer-low (500) is below C_min = 571; the regulator and the bank are not candidates


def evidence(signer: str, height: int, round_: int = 0, chain_id: str = "glassledger-dev") -> bytes:
    keys = KeyPair.from_name(signer)
    votes = [
        SignedVote.make(keys, Vote(VoteKind.PREPARE, chain_id, height, round_, bytes([d]) * 32))
        for d in (1, 2)
    ]
    return codec.encode(EquivocationEvidence(*votes))


def elected_of(events) -> list[str]:
    return next(e.data["authorities"] for e in events if e.name == "elected")


def run_draw(gov: ClockedChain, number: int, seed: bytes = SEED) -> tuple[int, list]:
    """Commit the regulator's seed now, advance past the draw's close, reveal (the regulator
    is the only committer: the harness does no duties here); returns (reveal height,
    receipt events)."""
    draw = gov.get("governance", "draw")
    assert draw["number"] == number
    digest = hashlib.sha256(seed).digest()
    assert gov.call("regulator", "governance", "commit_seed", draw=number, digest=digest).ok
    gov.advance_to(draw["close"])
    receipt = gov.call("regulator", "governance", "reveal_seed", draw=number, seed=seed)
    assert receipt.ok, receipt.message
    return gov.height, list(receipt.events)


# ---------------------------------------------------------------- permissions and scores


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("set_score", {"participant": "dealer-0", "score": 990}),
        ("veto", {"candidate": "ccp-a", "reason": "x"}),
        ("credit_event", {"participant": "ccp-a", "description": "default"}),
        ("reinstate", {"participant": "ccp-a"}),
    ],
)
def test_regulator_methods_refuse_everyone_else(gov, method, args):
    for who in ("dealer-0", "client-0", "ccp-a"):
        receipt = gov.call(who, "governance", method, **args)
        assert (receipt.ok, receipt.reason) == (False, "permission_denied")
        assert "regulator" in receipt.message


def test_set_score_is_checked_and_recorded(gov):
    assert gov.get("governance", "score/dealer-x") == 650  # written by genesis
    receipt = gov.call("regulator", "governance", "set_score", participant="dealer-x", score=880)
    assert receipt.ok and [e.name for e in receipt.events] == ["score_set"]
    assert gov.get("governance", "score/dealer-x") == 880
    bad = gov.call("regulator", "governance", "set_score", participant="dealer-x", score=-1)
    assert bad.reason == "contract_error" and "non-negative" in bad.message
    ghost = gov.call("regulator", "governance", "set_score", participant="ghost", score=1)
    assert ghost.reason == "contract_error" and "no participant" in ghost.message


# ---------------------------------------------------------------- periodic election


def test_election_with_commit_reveal_changes_the_set_at_the_documented_height(gov):
    events = gov.advance_to(25)  # window opens at 30 - 5
    assert (25, "draw_opened") in [(h, e.name) for h, e in events]
    assert gov.get("governance", "draw")["close"] == 30
    reveal_height, receipt_events = run_draw(gov, 1)
    assert reveal_height == 31
    randomness = lottery_randomness(1, gov.store.get_block(30).hash, [("regulator", SEED)])
    expected = elect(CANDIDATE_SCORES, 60, 4, 10_000, randomness)
    assert [e.name for e in receipt_events] == [
        "seed_revealed",
        "draw_completed",
        "elected",
        "authorities_changed",
    ]
    assert receipt_events[1].data["randomness"] == randomness
    assert receipt_events[2].data["authorities"] == expected
    assert expected != DEALERS  # this seed changes the set
    effective = reveal_height + 2  # authority_change_delay
    assert receipt_events[3].data["effective_height"] == effective
    assert gov.authority_ids(effective - 1) == DEALERS
    assert gov.authority_ids(effective) == expected
    gov.advance_to(effective)  # block `effective` is sealed by the new set
    assert [m["id"] for m in gov.get("governance", "authorities")["current"]] == expected
    assert gov.get("governance", "authorities")["pending"] is None


def test_draw_rules_reject_late_commits_early_or_wrong_reveals(gov):
    gov.advance_to(25)
    digest = hashlib.sha256(SEED).digest()
    wrong_draw = gov.call("regulator", "governance", "commit_seed", draw=7, digest=digest)
    assert "draw 7 is not open" in wrong_draw.message
    assert gov.call("regulator", "governance", "commit_seed", draw=1, digest=digest).ok
    again = gov.call("regulator", "governance", "commit_seed", draw=1, digest=digest)
    assert "already committed to draw 1" in again.message
    early = gov.call("regulator", "governance", "reveal_seed", draw=1, seed=SEED)
    assert "reveal after it" in early.message
    gov.advance_to(30)
    other = hashlib.sha256(b"another seed").digest()
    wrong = gov.call("regulator", "governance", "reveal_seed", draw=1, seed=other)
    assert "does not match the commitment" in wrong.message
    assert gov.call("regulator", "governance", "reveal_seed", draw=1, seed=SEED).ok


def test_committers_are_the_regulator_and_the_sitting_authorities(gov):
    gov.advance_to(25)
    assert gov.get("governance", "draw")["committers"] == DEALERS
    digest = hashlib.sha256(SEED).digest()
    outsider = gov.call("client-0", "governance", "commit_seed", draw=1, digest=digest)
    assert "'client-0' is not a committer of draw 1" in outsider.message
    candidate = gov.call("ccp-a", "governance", "commit_seed", draw=1, digest=digest)
    assert "is not a committer" in candidate.message  # not sitting when the draw opened
    assert gov.call("dealer-2", "governance", "commit_seed", draw=1, digest=digest).ok


def test_commit_after_close_is_refused_and_missed_commit_is_public(gov):
    events = gov.advance_to(30)
    late = gov.call(
        "regulator", "governance", "commit_seed", draw=1, digest=hashlib.sha256(SEED).digest()
    )
    assert "draw 1 is not open" in late.message
    assert (30, "commit_missed") in [(h, e.name) for h, e in events]
    assert gov.get("governance", "draw") is None
    assert gov.authority_ids() == DEALERS


def test_a_withheld_reveal_is_a_public_fault_and_the_draw_is_never_reopened(gov):
    """Issue 9 section 4: withholding used to reopen the draw with fresh randomness (a
    re-roll). Now the draw runs without the missing reveal at its deadline, once."""
    gov.advance_to(25)
    digest = hashlib.sha256(SEED).digest()
    assert gov.call("regulator", "governance", "commit_seed", draw=1, digest=digest).ok
    events = gov.advance_to(40)
    missed = [(h, e) for h, e in events if e.name == "reveal_missed"]
    # reveal_timeout 4: the regulator's window ends at 34, the authorities' at 38
    assert [(h, e.data["draw"], e.data["committer"]) for h, e in missed] == [(39, 1, "regulator")]
    assert gov.get("governance", "faults/regulator") == 1
    completed = next(e for _, e in events if e.name == "draw_completed")
    assert completed.data["revealed"] == []
    assert completed.data["randomness"] == lottery_randomness(1, gov.store.get_block(30).hash, [])
    assert "draw_opened" not in names(events)  # no re-roll
    late = gov.call("regulator", "governance", "reveal_seed", draw=1, seed=SEED)
    assert "draw 1 is not open" in late.message
    gov.advance_to(55)
    assert gov.get("governance", "draw")["number"] == 2  # the next periodic election


# ---------------------------------------------------------------- eviction and by-election


def test_equivocation_evidence_from_anyone_evicts_and_a_by_election_fills_the_seat(gov):
    gov.advance_to(3)
    receipt = gov.call(
        "client-0", "governance", "report_equivocation", evidence=evidence("dealer-1", 2)
    )
    assert receipt.ok, receipt.message
    assert [e.name for e in receipt.events] == [
        "equivocation",
        "excluded",
        "authorities_changed",
        "draw_opened",
    ]
    assert gov.get("governance", "excluded/dealer-1")["reason"] == "equivocation"
    assert gov.get("governance", "excluded/dealer-1")["proven_height"] == 2
    # convicted: it stops counting at the next activation height, below the floor of four
    assert gov.authority_ids(gov.height + 1) == DEALERS
    assert gov.authority_ids(gov.height + 2) == ["dealer-0", "dealer-2", "dealer-3"]
    draw = gov.get("governance", "draw")
    assert (draw["kind"], draw["close"]) == ("by-election", 4 + 5)
    reveal_height, events = run_draw(gov, 1)
    close_hash = gov.store.get_block(draw["close"]).hash
    randomness = lottery_randomness(1, close_hash, [("regulator", SEED)])
    newcomers = {c: s for c, s in CANDIDATE_SCORES.items() if c not in DEALERS}
    drawn = elect(newcomers, 60, 1, 10_000, randomness)
    assert elected_of(events) == drawn
    new_set = ["dealer-0", "dealer-2", "dealer-3", *drawn]
    assert gov.authority_ids(reveal_height + 2) == new_set
    gov.advance_to(reveal_height + 3)
    again = gov.call("ccp-a", "governance", "report_equivocation", evidence=evidence("dealer-1", 2))
    assert "already excluded for equivocation" in again.message


def test_above_the_floor_an_equivocator_leaves_at_once():
    gov = gov_chain(params={"authority_count": 5}, authorities=5, extra=EXTRA_CANDIDATES)
    gov.advance_to(2)
    receipt = gov.call(
        "dealer-4", "governance", "report_equivocation", evidence=evidence("dealer-0", 1)
    )
    assert receipt.ok, receipt.message
    assert gov.authority_ids(gov.height + 1) == [f"dealer-{i}" for i in range(5)]
    assert gov.authority_ids(gov.height + 2) == ["dealer-1", "dealer-2", "dealer-3", "dealer-4"]
    gov.advance_to(gov.height + 2)  # sealed by the four remaining authorities
    assert gov.get("governance", "draw")["kind"] == "by-election"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"\x93\x01", "not an encoded EquivocationEvidence"),
        (evidence("client-0", 2), "not an authority at height 2"),
        (evidence("dealer-1", 2, chain_id="other"), "another chain"),
        (evidence("dealer-1", 99), "future height 99"),
    ],
)
def test_bad_evidence_is_refused(gov, bad, message):
    gov.advance_to(3)
    receipt = gov.call("client-0", "governance", "report_equivocation", evidence=bad)
    assert (receipt.ok, receipt.reason) == (False, "contract_error")
    assert message in receipt.message


def test_votes_for_the_same_block_are_not_equivocation(gov):
    keys = KeyPair.from_name("dealer-2")
    vote = SignedVote.make(keys, Vote(VoteKind.COMMIT, "glassledger-dev", 1, 0, b"\x05" * 32))
    same = codec.encode(EquivocationEvidence(vote, vote))
    gov.advance_to(2)
    receipt = gov.call("client-0", "governance", "report_equivocation", evidence=same)
    assert "not equivocation: the two votes are for the same block" in receipt.message


def test_missing_seals_beyond_the_limit_evict(gov):
    events = gov.advance_to(4, absent=["dealer-2"])  # blocks 1..4 lack dealer-2's seal
    assert gov.get("governance", "missed/dealer-2") == 3  # block 1..3 counted so far
    assert "excluded" not in names(events)
    system = gov.advance(absent=["dealer-2"]).system_events  # block 5 counts block 4's certificate
    assert gov.get("governance", "missed/dealer-2") == 4
    excluded = [e for e in system if e.name == "excluded"]
    assert [(e.data["participant"], e.data["reason"]) for e in excluded] == [
        ("dealer-2", "missed_rounds")
    ]
    assert "draw_opened" in names(system)


def test_failed_proposer_rounds_count_and_a_seal_resets(gov):
    gov.advance_to(2)
    gov.advance(round_=2)  # block 3 decided in round 2: proposers of rounds 0, 1 failed
    gov.advance()  # block 4 reads block 3's certificate
    # the consensus engine's rotation: round r at height 3 is proposed by authorities[(3+r) % 4]
    keys = [KeyPair.from_name(d).public for d in DEALERS]
    failed = [DEALERS[keys.index(proposer_of(keys, 3, r))] for r in (0, 1)]
    assert failed == ["dealer-3", "dealer-0"]
    assert gov.get("governance", "missed/dealer-3") == 1
    assert gov.get("governance", "missed/dealer-0") == 1
    assert gov.get("governance", "missed/dealer-1") is None
    gov.advance()  # block 4 was decided in round 0 with every seal: counts reset
    assert gov.get("governance", "missed/dealer-3") is None


def test_credit_event_and_veto_exclude_and_reinstate_restores(gov):
    gov.advance_to(1)
    receipt = gov.call(
        "regulator", "governance", "credit_event", participant="dealer-3", description="default"
    )
    assert [e.name for e in receipt.events] == ["excluded", "draw_opened"]
    vetoed = gov.call("regulator", "governance", "veto", candidate="ccp-a", reason="audit")
    assert vetoed.ok and gov.get("governance", "excluded/ccp-a")["reason"] == "veto"
    reveal_height, events = run_draw(gov, 1)
    drawn = elected_of(events)
    assert len(drawn) == 1 and drawn[0] in {"guarantor-b", "dealer-x"}  # not ccp-a, not low
    assert gov.authority_ids(reveal_height + 2) == ["dealer-0", "dealer-1", "dealer-2", *drawn]
    restored = gov.call("regulator", "governance", "reinstate", participant="ccp-a")
    assert restored.ok and gov.get("governance", "excluded/ccp-a") is None
    twice = gov.call("regulator", "governance", "reinstate", participant="ccp-a")
    assert "not excluded" in twice.message


def test_the_set_never_drops_below_the_minimum_without_candidates():
    gov = gov_chain()  # the four dealers are the only candidates
    gov.advance_to(1)
    for who in ("dealer-0", "dealer-1"):
        receipt = gov.call(
            "regulator", "governance", "credit_event", participant=who, description="x"
        )
        assert [e.name for e in receipt.events] == ["excluded"]  # nobody to draw
    assert len(gov.authority_ids(gov.height + 5)) == MIN_AUTHORITIES
    assert gov.get("governance", "draw") is None


def test_evidence_about_a_past_set_uses_the_history(gov):
    gov.advance_to(25)
    reveal_height, events = run_draw(gov, 1)
    gov.advance_to(reveal_height + 2)  # the elected set now signs
    elected = elected_of(events)
    gone = next(d for d in DEALERS if d not in elected)
    receipt = gov.call("client-1", "governance", "report_equivocation", evidence=evidence(gone, 2))
    assert receipt.ok, receipt.message
    assert [e.name for e in receipt.events] == ["equivocation", "excluded"]  # no seat to free
    assert gov.authority_ids() == elected
    newcomer = next(c for c in elected if c not in DEALERS)
    late = gov.call("client-1", "governance", "report_equivocation", evidence=evidence(newcomer, 2))
    assert "not an authority at height 2" in late.message


def test_periodic_election_supersedes_an_open_by_election(gov):
    gov.advance_to(21)
    receipt = gov.call(
        "regulator", "governance", "credit_event", participant="dealer-0", description="default"
    )
    assert gov.get("governance", "draw")["kind"] == "by-election"
    events = gov.advance_to(25)
    assert [(h, e.name) for h, e in events if e.name in {"superseded", "draw_opened"}] == [
        (25, "superseded"),
        (25, "draw_opened"),
    ]
    draw = gov.get("governance", "draw")
    assert (draw["number"], draw["kind"], draw["close"]) == (2, "election", 30)
    _, events = run_draw(gov, 2)
    assert "dealer-0" not in elected_of(events)
    assert receipt.ok


def test_an_election_with_too_few_candidates_changes_nothing():
    gov = gov_chain(params={"election_period": 30, "election_window": 5, "reveal_timeout": 4})
    gov.advance_to(2)
    assert gov.call("regulator", "governance", "veto", candidate="dealer-3", reason="x").ok
    gov.advance_to(25)
    _, events = run_draw(gov, 1)
    assert [e.name for e in events] == ["seed_revealed", "draw_completed", "election_failed"]
    assert gov.authority_ids() == DEALERS  # dealer-3 sits on: four is the floor


ACTORS = ["dealer-0", "dealer-1", "dealer-2", "dealer-3", "ccp-a", "guarantor-b", "dealer-x"]
ACTIONS = st.one_of(
    st.tuples(st.sampled_from(["credit_event", "veto", "reinstate"]), st.sampled_from(ACTORS)),
    st.tuples(st.just("set_score"), st.sampled_from(ACTORS), st.integers(0, 1000)),
    st.tuples(st.just("equivocate"), st.sampled_from(ACTORS)),
    st.tuples(st.just("absent"), st.sampled_from(ACTORS), st.integers(1, 6)),
    st.tuples(st.just("advance"), st.integers(1, 10)),
)


def _apply(gov: ClockedChain, action: tuple) -> list:
    """Perform ``action``; returns the receipts and system events it produced."""
    kind, *rest = action
    if kind in {"advance", "absent"}:
        absent = [rest[0]] if kind == "absent" else []
        return [e for _, e in gov.advance_to(gov.height + rest[-1], absent=absent)]
    if kind == "equivocate":
        call = ("client-0", "report_equivocation", {"evidence": evidence(rest[0], 1)})
    elif kind == "set_score":
        call = ("regulator", kind, {"participant": rest[0], "score": rest[1]})
    elif kind == "veto":
        call = ("regulator", kind, {"candidate": rest[0], "reason": "test"})
    elif kind == "credit_event":
        call = ("regulator", kind, {"participant": rest[0], "description": "test"})
    else:
        call = ("regulator", kind, {"participant": rest[0]})
    block = gov.advance(calls=[gov.tx(call[0], "governance", call[1], **call[2])])
    receipts, events = block.receipts, block.system_events
    return receipts + events


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=8))
@example(  # found by Hypothesis: dealer-2 convicted, then reinstated before the by-election
    actions=[
        ("credit_event", "dealer-0"),
        ("credit_event", "dealer-0"),
        ("advance", 1),
        ("credit_event", "dealer-0"),
        ("equivocate", "dealer-2"),
        ("reinstate", "dealer-2"),
    ]
)
def test_any_sequence_of_faults_keeps_a_sound_authority_set(actions):
    gov = gov_chain(
        params={
            "election_period": 20,
            "election_window": 4,
            "reveal_timeout": 3,
            "max_missed_rounds": 2,
        },
        extra=EXTRA_CANDIDATES,
    )
    seeds = DrawSeeds(random_bytes=lambda n: bytes(n))
    ever_convicted: set[str] = set()  # a reinstatement does not give the seat back at once
    for action in actions:
        outcomes = _apply(gov, action)
        for method, args in seeds.due(gov.chain.state, gov.height + 1):
            # may be refused: a periodic election opening in that block supersedes a draw
            outcomes += gov.commit([gov.tx("regulator", "governance", method, **args)])
        assert not [o for o in outcomes if "internal error" in getattr(o, "message", "")]
        assert "hook_failed" not in [getattr(o, "name", "") for o in outcomes]
        convicted = {
            who
            for who in ACTORS
            if (gov.get("governance", f"excluded/{who}") or {}).get("reason") == "equivocation"
        }
        ever_convicted |= convicted
        assert not convicted & set(gov.authority_ids(gov.height + 2))  # convicts leave
        for height in (gov.height + 1, gov.height + 2):
            members = gov.authority_ids(height)
            assert len(members) == len(set(members))
            # only convictions take the set below the floor (until a by-election refills it,
            # even when the convict has been reinstated meanwhile)
            assert len(members) >= MIN_AUTHORITIES or ever_convicted
            assert set(members) <= set(ACTORS)  # only candidates ever sit
            assert "dealer-low" not in members


# ------------------------------------------------ membership takes effect (issue 9 s3)


def test_a_revoked_authority_key_stops_counting_at_the_activation_delay(gov):
    """dealer-2 rotates its key: the old key stops sealing at H + delay, the new one sits."""
    gov.advance_to(2)
    new = KeyPair.from_name("dealer-2-rotated")
    old = KeyPair.from_name("dealer-2").public
    assert gov.call("regulator", "identity", "add_key", participant="dealer-2", key=new.public).ok
    revoked = gov.call("regulator", "identity", "revoke_key", participant="dealer-2", key=old)
    assert revoked.ok, revoked.message
    decided = gov.height
    keys_at = lambda h: [k for _, k in authorities_at(gov.chain.state, h)]  # noqa: E731
    assert old in keys_at(decided + 1) and new.public not in keys_at(decided + 1)
    assert old not in keys_at(decided + 2) and new.public in keys_at(decided + 2)
    assert gov.authority_ids(decided + 2) == DEALERS  # the seat stays with dealer-2


def test_a_suspended_authority_leaves_the_set_and_a_by_election_opens(gov):
    gov.advance_to(2)
    receipt = gov.call("regulator", "identity", "set_active", participant="dealer-2", active=False)
    assert receipt.ok
    decided = gov.height
    assert gov.authority_ids(decided + 1) == DEALERS
    assert gov.authority_ids(decided + 2) == ["dealer-0", "dealer-1", "dealer-3"]
    assert gov.get("governance", "draw")["kind"] == "by-election"
    gov.advance_to(decided + 2)  # sealed without dealer-2
    seals = gov.store.get_certificate(decided + 2).seals
    assert KeyPair.from_name("dealer-2").public not in {s.signer for s in seals}


def test_two_convicted_equivocators_both_stop_counting_at_n_4(gov):
    gov.advance_to(3)
    for who in ("dealer-0", "dealer-3"):
        receipt = gov.call(
            "client-0", "governance", "report_equivocation", evidence=evidence(who, 2)
        )
        assert receipt.ok, receipt.message
    assert gov.authority_ids(gov.height + 2) == ["dealer-1", "dealer-2"]
    gov.advance_to(gov.height + 3)  # the two honest ones seal alone: quorum(2) = 2


def test_evidence_predating_a_reinstatement_is_refused(gov):
    gov.advance_to(3)
    old = evidence("dealer-1", 2)
    assert gov.call("client-0", "governance", "report_equivocation", evidence=old).ok
    assert gov.call("regulator", "governance", "reinstate", participant="dealer-1").ok
    reinstated = gov.height
    replay = gov.call("client-1", "governance", "report_equivocation", evidence=old)
    assert (replay.ok, replay.reason) == (False, "contract_error")
    assert f"predates 'dealer-1''s reinstatement at block {reinstated}" in replay.message
    # evidence about a later height passes this check (dealer-1 no longer sits, though)
    later = gov.call(
        "client-1", "governance", "report_equivocation", evidence=evidence("dealer-1", gov.height)
    )
    assert "predates" not in later.message and "not an authority" in later.message


def test_a_later_exclusion_does_not_erase_a_conviction(gov):
    """Found by the property test: a credit event after a conviction overwrote it."""
    gov.advance_to(3)
    assert gov.call(
        "client-0", "governance", "report_equivocation", evidence=evidence("dealer-0", 2)
    ).ok
    assert gov.call(
        "regulator", "governance", "credit_event", participant="dealer-0", description="x"
    ).ok
    record = gov.get("governance", "excluded/dealer-0")
    assert (record["reason"], record["proven_height"]) == ("equivocation", 2)
    assert "dealer-0" not in gov.authority_ids(gov.height + 2)


def test_authorities_reveal_after_the_regulator_and_every_reveal_enters_the_randomness(gov):
    gov.advance_to(25)
    mine, theirs = b"\x07" * 32, SEED
    for who, seed in (("dealer-1", mine), ("regulator", theirs)):
        digest = hashlib.sha256(seed).digest()
        assert gov.call(who, "governance", "commit_seed", draw=1, digest=digest).ok
    gov.advance_to(30)
    early = gov.call("dealer-1", "governance", "reveal_seed", draw=1, seed=mine)
    assert "authorities reveal after the regulator" in early.message
    assert gov.call("regulator", "governance", "reveal_seed", draw=1, seed=theirs).ok
    receipt = gov.call("dealer-1", "governance", "reveal_seed", draw=1, seed=mine)
    assert receipt.ok, receipt.message
    completed = next(e for e in receipt.events if e.name == "draw_completed")
    assert completed.data["revealed"] == ["regulator", "dealer-1"]
    reveals = [("regulator", theirs), ("dealer-1", mine)]
    assert completed.data["randomness"] == lottery_randomness(
        1, gov.store.get_block(30).hash, reveals
    )

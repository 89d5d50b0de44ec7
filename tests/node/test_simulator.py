"""The QBFT engine in the deterministic network simulator: safety and liveness under faults.

Safety: no two different finalized blocks at one height across honest replicas (checked after
every commit and over every store at the end). Liveness: once partitions heal and crashed
replicas restart, every honest replica reaches the target height.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassledger.ledger import codec
from glassledger.ledger.consensus.messages import (
    EquivocationEvidence,
    VoteKind,
    check_equivocation,
)
from glassledger.ledger.crypto import KeyPair
from glassledger.node.simulator import (
    TOLERATED,
    Byzantine,
    Crash,
    Partition,
    SimConfig,
    Simulation,
    byzantine_config,
    main,
    random_config,
    simulate,
    verdict,
)


def key(index: int) -> bytes:
    return KeyPair.from_name(f"dealer-{index}").public


def commits(result, replica: int | None = None) -> list[tuple[int, int, int, int]]:
    """``(time, replica, height, round)`` of every commit in the trace."""
    out = []
    for time, who, event, detail in result.trace:
        if event == "commit" and (replica is None or who == replica):
            height, _, round_ = detail.split(":")
            out.append((time, who, int(height), int(round_[1:])))
    return out


def assert_safe_and_live(result):
    assert result.safe, result.violations
    assert result.live, (result.heights, result.time_ms)


@pytest.mark.parametrize("authorities", [4, 7])
def test_happy_path_decides_every_block_in_round_zero(authorities):
    result = simulate(SimConfig(authorities=authorities, target_height=5))
    assert_safe_and_live(result)
    assert all(height >= 5 for height in result.heights.values())
    assert {round_ for *_, round_ in commits(result)} == {0}
    assert len(commits(result)) == authorities * len(result.finalized)  # one commit per replica
    assert result.evidence == []


def test_silent_proposer_forces_a_round_change():
    # the proposer of (height 1, round 0) is authority (1 + 0) mod 4 = 1
    config = SimConfig(byzantine={1: Byzantine.SILENT}, target_height=5)
    result = simulate(config)
    assert_safe_and_live(result)
    first = [c for c in commits(result) if c[2] == 1 and c[1] != 1]
    assert {round_ for *_, round_ in first} == {1}
    # round 0 waited for the block interval plus its timeout before anyone moved on
    assert min(time for time, *_ in first) >= config.block_interval_ms + config.round_timeout_ms
    # heights whose round-0 proposer is honest are still decided in round 0
    assert {c[3] for c in commits(result) if c[2] in (2, 3, 4)} == {0}


def test_split_partition_halts_then_heals():
    config = SimConfig(
        partitions=(Partition(100, 2_000, ((0, 1), (2, 3))),), target_height=5, delay_ms=(1, 20)
    )
    result = simulate(config)
    assert_safe_and_live(result)
    # 2 of 4 is no quorum: nothing is decided while the halves cannot talk
    assert not [c for c in commits(result) if 200 <= c[0] < 2_000]
    assert max(time for time, *_ in commits(result)) >= 2_000


def test_isolated_replica_catches_up_after_the_partition_heals():
    config = SimConfig(partitions=(Partition(50, 3_000, ((1, 2, 3), (0,))),), target_height=6)
    result = simulate(config)
    assert_safe_and_live(result)
    late = [c for c in commits(result, replica=0) if c[0] >= 3_000]
    assert late, "replica 0 should have synced the blocks decided without it"
    majority_progress = [c for c in commits(result, replica=1) if c[0] < 3_000]
    assert len(majority_progress) >= 3  # three of four are a quorum: they kept going


def test_crashed_replica_restarts_from_its_store_and_catches_up():
    config = SimConfig(crashes=(Crash(3, 150, 2_500),), target_height=8)
    result = simulate(config)
    assert_safe_and_live(result)
    restart = next(time for time, who, event, _ in result.trace if event == "restart")
    assert [c for c in commits(result, replica=3) if c[0] >= restart]
    assert result.evidence == []  # the vote guard kept the restarted replica from equivocating


@pytest.mark.parametrize("mode", [Byzantine.EQUIVOCATE, Byzantine.DOUBLE_VOTE])
def test_byzantine_equivocation_produces_valid_evidence(mode):
    culprit = 1
    result = simulate(SimConfig(byzantine={culprit: mode}, target_height=5))
    assert_safe_and_live(result)
    assert result.evidence
    for evidence in result.evidence:
        assert check_equivocation(evidence) is None
        assert evidence.first.signer == key(culprit)
        assert codec.decode(codec.encode(evidence), EquivocationEvidence) == evidence
    kinds = {VoteKind(e.first.vote.kind) for e in result.evidence}
    if mode == Byzantine.EQUIVOCATE:
        assert VoteKind.PROPOSAL in kinds
    else:
        assert {VoteKind.PREPARE, VoteKind.COMMIT} <= kinds


def test_outsider_votes_garbage_and_oversized_payloads_are_rejected():
    simulation = Simulation(SimConfig(intruder=True, target_height=12, loss=0.05))
    result = simulation.run()
    assert_safe_and_live(result)
    assert result.evidence == []
    reasons = " ".join(str(e) for r in simulation.replicas for e in r.engine.rejected)
    for reason in ("not an authority", "bad vote signature", "malformed", "exceeds the limit"):
        assert reason in reasons


@pytest.mark.parametrize("seed", range(30))
def test_random_faults_keep_safety_and_liveness(seed):
    config = random_config(seed)
    result = simulate(config)
    assert_safe_and_live(result)
    culprits = {key(index) for index in config.byzantine}
    assert {e.first.signer for e in result.evidence} <= culprits  # no honest replica accused


def test_a_seed_replays_exactly():
    first, again = simulate(random_config(11)), simulate(random_config(11))
    assert first.fingerprint == again.fingerprint
    assert first.trace == again.trace
    assert simulate(random_config(12)).fingerprint != first.fingerprint


def test_invalid_proposal_is_refused_and_the_round_changes():
    # authority 1 proposes (height 1, round 0) a block whose header claims a wrong state root
    simulation = Simulation(SimConfig(byzantine={1: Byzantine.INVALID_BLOCK}, target_height=5))
    result = simulation.run()
    assert_safe_and_live(result)
    first = [c for c in commits(result) if c[2] == 1 and c[1] != 1]
    assert {round_ for *_, round_ in first} == {1}
    honest = [r for r in simulation.replicas if r.index != 1]
    assert all(any("state root mismatch" in str(e) for e in r.engine.rejected) for r in honest)


def test_a_seed_replays_exactly_in_another_process():
    # another interpreter with another hash seed: nothing may depend on set or dict hashing
    script = (
        "from glassledger.node.simulator import random_config, simulate;"
        "print(simulate(random_config(11)).fingerprint)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == simulate(random_config(11)).fingerprint


def test_replay_command_prints_the_trace(capsys):
    assert main(["3"]) == 0
    printed = capsys.readouterr().out
    assert "commit" in printed and "seed 3: ok" in printed


def test_byzantine_equivocation_leads_to_eviction():
    # five authorities: governance never evicts below four (3f + 1 with f = 1)
    culprit = 1
    config = SimConfig(
        authorities=5,
        byzantine={culprit: Byzantine.DOUBLE_VOTE},
        report_evidence=True,
        target_height=10,
    )
    simulation = Simulation(config)
    result = simulation.run()
    assert_safe_and_live(result)
    chain = simulation.replicas[0].chain
    reported = next(
        height
        for height in range(1, chain.height + 1)
        if any(
            tx.tx.method == "report_equivocation" and receipt.ok
            for tx, receipt in zip(
                chain.store.get_block(height).txs, chain.store.get_receipts(height), strict=True
            )
        )
    )
    effective = reported + chain.params["authority_change_delay"]
    assert chain.height >= effective + 2
    assert key(culprit) not in chain.authorities()
    assert len(chain.authorities()) == 4
    for height in range(effective, chain.height + 1):
        seals = chain.store.get_certificate(height).seals
        assert key(culprit) not in {seal.signer for seal in seals}
    # once evicted, its double votes are no longer an authority's votes: no new evidence
    assert max(e.first.vote.height for e in result.evidence) < effective


@st.composite
def fault_plans(draw):
    """Any network within BFT's assumptions: at most f faulty authorities, partitions heal."""
    n = draw(st.sampled_from([4, 5, 7]))
    f = (n - 1) // 3
    faulty = draw(st.lists(st.integers(0, n - 1), max_size=f, unique=True))
    byzantine, crashes = {}, ()
    for index in faulty:
        if draw(st.booleans()):
            byzantine[index] = draw(st.sampled_from(TOLERATED))
        else:
            at = draw(st.integers(0, 2_000))
            crashes += (Crash(index, at, at + draw(st.integers(1, 3_000))),)
    partitions = ()
    if draw(st.booleans()):
        side = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True))
        rest = tuple(i for i in range(n) if i not in side)
        start = draw(st.integers(0, 2_000))
        partitions = (Partition(start, start + draw(st.integers(1, 3_000)), (tuple(side), rest)),)
    return SimConfig(
        seed=draw(st.integers(0, 2**32)),
        authorities=n,
        target_height=3,
        delay_ms=(1, draw(st.sampled_from([5, 50, 150]))),
        loss=draw(st.sampled_from([0.0, 0.05, 0.2])),
        duplicate=draw(st.sampled_from([0.0, 0.2])),
        reorder=draw(st.sampled_from([0.0, 0.3])),
        byzantine=byzantine,
        crashes=crashes,
        partitions=partitions,
        intruder=draw(st.booleans()),
        report_evidence=draw(st.booleans()),
    )


@settings(max_examples=8, deadline=None, derandomize=True)
@given(config=fault_plans())
def test_any_fault_plan_within_the_bft_bound_is_safe_and_live(config):
    assert_safe_and_live(simulate(config))


def test_a_proposer_hiding_a_lock_is_refused_and_safety_holds():
    # authority 1 never re-proposes: after a round change it proposes a fresh block justified
    # by the round changes that report nothing prepared. Heavy loss leaves replicas prepared
    # without a decision (locked) in about half of the seeds, so over eight seeds the attack
    # is made, and refused, many times; every run must stay safe and live.
    refused = 0
    for seed in range(8):
        config = SimConfig(seed=seed, byzantine={1: Byzantine.HIDE_LOCK}, loss=0.4, target_height=6)
        simulation = Simulation(config)
        assert_safe_and_live(simulation.run())
        refused += sum(
            "ignores the highest prepared block" in str(error)
            for replica in simulation.replicas
            if replica.index != 1
            for error in replica.engine.rejected
        )
    assert refused > 0


def test_an_authority_evicted_while_down_still_catches_up_by_sync():
    # down long enough to miss more than max_missed_rounds (50) seals in a row: governance
    # evicts it (five authorities: the set may shrink to four); it must still follow the chain
    config = SimConfig(
        authorities=5,
        crashes=(Crash(3, 100, 3_000),),
        block_interval_ms=0,
        round_timeout_ms=100,
        delay_ms=(1, 5),
        target_height=5,
    )
    simulation = Simulation(config)
    result = simulation.run()
    assert_safe_and_live(result)
    chain = simulation.replicas[0].chain
    assert key(3) not in chain.authorities()
    assert result.heights[3] > 50


# ---------------------------------------------------------------- adversarial modes (issue 9)


@pytest.mark.parametrize("authorities", [4, 7])
def test_colluding_f_plus_1_keys_fork_and_the_checker_catches_them(authorities):
    """Beyond BFT: f + 1 colluders split the honest replicas and finalize two blocks at one
    height. The checker must report the fork and convict exactly the colluders."""
    f = (authorities - 1) // 3
    cabal = {i: Byzantine.COLLUDE for i in range(f + 1)}
    result = simulate(SimConfig(authorities=authorities, byzantine=cabal, target_height=4))
    assert not result.safe and "finalized" in result.violations[0]
    assert set(result.double_signers) == {key(i) for i in cabal}
    assert verdict(result) == "caught"


def test_a_single_colluder_is_within_the_bound():
    result = simulate(SimConfig(byzantine={0: Byzantine.COLLUDE}, target_height=5))
    assert_safe_and_live(result)
    assert result.double_signers == []


def test_selective_withholding_keeps_safety_and_liveness():
    result = simulate(SimConfig(byzantine={2: Byzantine.WITHHOLD}, target_height=6))
    assert_safe_and_live(result)


def test_forged_sync_responses_are_refused():
    simulation = Simulation(
        SimConfig(
            byzantine={1: Byzantine.FORGE_SYNC}, target_height=5, crashes=(Crash(3, 100, 900),)
        )
    )
    result = simulation.run()
    assert_safe_and_live(result)
    assert simulation.forged_syncs > 0
    reasons = " ".join(str(e) for r in simulation.replicas if r.engine for e in r.engine.rejected)
    assert reasons  # the forged blocks were refused, none committed (safe above)


def test_f_byzantine_with_crashes_of_honest_replicas():
    config = SimConfig(
        authorities=7,
        byzantine={0: Byzantine.WITHHOLD, 1: Byzantine.FORGE_SYNC},
        crashes=(Crash(2, 200, 1_500), Crash(3, 400, 2_000)),
        target_height=5,
    )
    assert_safe_and_live(simulate(config))


@pytest.mark.parametrize("seed", range(12))
def test_adversarial_seeds_are_ok_or_caught(seed):
    """A small share of the >= 1,000 seeds of benchmarks/consensus_byzantine.py."""
    config = byzantine_config(seed)
    result = simulate(config)
    assert verdict(result) in ("ok", "caught", "held"), (seed, result.violations, result.heights)

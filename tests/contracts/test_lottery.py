"""The seed-003 authority lottery: token allocation, uniform draws, selection frequencies."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from glassledger.contracts.lottery import (
    MAX_AUTHORITIES,
    allocate_tokens,
    draw_authorities,
    elect,
    lottery_weights,
    uniform_draws,
)
from glassledger.errors import ContractError
from glassledger.sim.lottery_stats import selected_set_probabilities

SCORES = {
    "ccp-a": 95,
    "dealer-b": 80,
    "dealer-c": 72,
    "guarantor-d": 65,
    "dealer-e": 61,
    "dealer-f": 50,  # below C_min: never a candidate
}
C_MIN = 60


def seed(i: int) -> bytes:
    return hashlib.sha256(b"chi-square" + i.to_bytes(8, "big")).digest()


def test_largest_remainder_matches_hamilton_worked_example():
    # Wikipedia, "Largest remainder method", Examples (Hare quota, 10 seats): 47,000 / 16,000 /
    # 15,800 / 12,000 / 6,100 / 3,100 votes -> 5 / 2 / 1 / 1 / 1 / 0 seats.
    votes = {
        "yellows": 47_000,
        "whites": 16_000,
        "reds": 15_800,
        "greens": 12_000,
        "blues": 6_100,
        "pinks": 3_100,
    }
    assert allocate_tokens(votes, 10) == {
        "yellows": 5,
        "whites": 2,
        "reds": 1,
        "greens": 1,
        "blues": 1,
        "pinks": 0,
    }


def test_ties_go_to_larger_weight_then_smaller_id():
    assert allocate_tokens({"b": 1, "a": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    # quotas 0.5 / 1.5 / 1.0: "a" and "z" tie on remainder, the larger weight wins the token
    assert allocate_tokens({"a": 1, "z": 3, "m": 2}, 3) == {"a": 0, "m": 1, "z": 2}


def test_weights_of_both_variants_leave_out_ineligible_candidates():
    assert lottery_weights(SCORES, C_MIN) == {
        "ccp-a": 95,
        "dealer-b": 80,
        "dealer-c": 72,
        "dealer-e": 61,
        "guarantor-d": 65,
    }
    excess = lottery_weights(SCORES, C_MIN, "excess")
    assert excess == {"ccp-a": 35, "dealer-b": 20, "dealer-c": 12, "dealer-e": 1, "guarantor-d": 5}
    with pytest.raises(ContractError, match="variant"):
        lottery_weights(SCORES, C_MIN, "square")


def test_bad_parameters_are_refused():
    with pytest.raises(ContractError, match="positive lottery weight"):
        allocate_tokens({"a": 0}, 100)
    with pytest.raises(ContractError, match="tokens T"):
        allocate_tokens({"a": 1}, 0)
    with pytest.raises(ContractError, match="cannot draw 3"):
        draw_authorities({"a": 5, "b": 5, "c": 0}, 3, b"seed")
    with pytest.raises(ContractError, match="cannot draw 26"):
        draw_authorities({f"c{i:02}": 1 for i in range(30)}, MAX_AUTHORITIES + 1, b"seed")


@given(
    weights=st.dictionaries(st.text(min_size=1, max_size=6), st.integers(0, 10**6), min_size=1),
    total=st.integers(1, 100_000),
)
def test_allocation_sums_to_total_and_stays_within_one_token_of_quota(weights, total):
    if sum(weights.values()) == 0:
        weights = {**weights, "x": 1}
    counts = allocate_tokens(weights, total)
    assert sum(counts.values()) == total
    weight_sum = sum(weights.values())
    for candidate, weight in weights.items():
        # |count - w T / W| < 1, in integers
        assert abs(counts[candidate] * weight_sum - weight * total) < weight_sum


@given(
    tokens=st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.integers(1, 50), min_size=1),
    data=st.data(),
    seed_bytes=st.binary(min_size=0, max_size=32),
)
def test_draw_selects_distinct_token_holders_deterministically(tokens, data, seed_bytes):
    seats = data.draw(st.integers(1, len(tokens)))
    selected = draw_authorities(tokens, seats, seed_bytes)
    assert len(selected) == seats == len(set(selected))
    assert set(selected) <= set(tokens)
    assert draw_authorities(tokens, seats, seed_bytes) == selected


def test_draw_reaches_a_one_token_candidate_by_discarding_repeats():
    assert sorted(draw_authorities({"big": 9_999, "tiny": 1}, 2, b"any seed")) == ["big", "tiny"]


def test_uniform_draws_are_uniform_with_rejection():
    # T = 3 keeps 2 bits per hash and rejects the value 3: no modulo bias towards 0.
    stream = uniform_draws(b"uniform", 3)
    counts = Counter(next(stream) for _ in range(6_000))
    assert set(counts) == {0, 1, 2}
    assert chisquare([counts[0], counts[1], counts[2]]).pvalue > 0.01
    assert {next(uniform_draws(b"x", 1)) for _ in range(3)} == {0}


def _selected_set_counts(variant: str, runs: int) -> Counter:
    return Counter(
        tuple(sorted(elect(SCORES, C_MIN, 3, 1_000, seed(i), variant))) for i in range(runs)
    )


@pytest.mark.parametrize("variant", ["proportional", "excess"])
def test_selection_frequencies_match_exact_without_replacement_probabilities(variant):
    runs = 3_000
    counts = _selected_set_counts(variant, runs)
    tokens = allocate_tokens(lottery_weights(SCORES, C_MIN, variant), 1_000)
    exact = selected_set_probabilities(tokens, 3)
    observed = [counts[subset] for subset in exact.index]
    assert sum(observed) == runs
    assert chisquare(observed, exact.to_numpy() * runs).pvalue > 0.01
    # the same frequencies against a uniform choice of the 10 sets are rejected (test has power)
    if variant == "proportional":
        uniform = [runs / len(exact)] * len(exact)
        assert chisquare(observed, uniform).pvalue < 1e-6


def test_excess_variant_differs_from_proportional():
    proportional = _selected_set_counts("proportional", 500)
    excess = _selected_set_counts("excess", 500)
    # with (C_i - C_min) weights the weakest eligible candidate almost never sits
    assert sum(n for s, n in excess.items() if "dealer-e" in s) < sum(
        n for s, n in proportional.items() if "dealer-e" in s
    )

"""Exact without-replacement (successive sampling) probabilities of the authority lottery."""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.sim.lottery_stats import inclusion_probabilities, selected_set_probabilities


def test_hand_computed_successive_sampling():
    # tokens a=1, b=1, c=2 (T=4), two seats:
    # P{a,b} = 1/4*1/3 + 1/4*1/3 = 1/6; P{a,c} = 1/4*2/3 + 2/4*1/2 = 5/12 = P{b,c}.
    sets = selected_set_probabilities({"a": 1, "b": 1, "c": 2}, 2)
    assert sets[("a", "b")] == pytest.approx(1 / 6)
    assert sets[("a", "c")] == pytest.approx(5 / 12)
    assert sets[("b", "c")] == pytest.approx(5 / 12)
    inclusion = inclusion_probabilities({"a": 1, "b": 1, "c": 2, "z": 0}, 2)
    assert inclusion.to_dict() == pytest.approx({"a": 7 / 12, "b": 7 / 12, "c": 5 / 6, "z": 0.0})


def test_probabilities_sum_to_one_and_to_seats():
    tokens = {f"c{i}": i + 1 for i in range(8)}
    assert selected_set_probabilities(tokens, 4).sum() == pytest.approx(1.0)
    assert inclusion_probabilities(tokens, 4).sum() == pytest.approx(4.0)


def test_one_seat_is_proportional_to_tokens():
    assert inclusion_probabilities({"a": 3, "b": 1}, 1).to_dict() == pytest.approx(
        {"a": 0.75, "b": 0.25}
    )


def test_bad_inputs_name_the_problem():
    with pytest.raises(InputError, match="seats"):
        selected_set_probabilities({"a": 1}, 2)
    with pytest.raises(InputError, match="negative"):
        selected_set_probabilities({"a": -1, "b": 2}, 1)


def test_inclusion_integral_agrees_with_summing_the_selected_sets():
    tokens = {"a": 950, "b": 800, "c": 720, "d": 650, "e": 610, "f": 1, "g": 0}
    for seats in (1, 3, 5, 6):
        sets = selected_set_probabilities(tokens, seats)
        by_sets = {c: sum(p for s, p in sets.items() if c in s) for c in tokens}
        assert inclusion_probabilities(tokens, seats).to_dict() == pytest.approx(by_sets, abs=1e-9)


def test_inclusion_scales_to_a_large_consortium():
    tokens = {f"c{i:03}": 10 + i for i in range(60)}
    inclusion = inclusion_probabilities(tokens, 25)
    assert inclusion.sum() == pytest.approx(25.0, abs=1e-6)
    assert inclusion.is_monotonic_increasing  # more tokens, more likely
    assert (inclusion < 25 * pd.Series(tokens) / sum(tokens.values())).iloc[-1]

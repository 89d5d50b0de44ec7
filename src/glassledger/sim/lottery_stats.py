"""Exact selection probabilities of the seed-003 authority lottery (off-ledger).

The on-ledger lottery (``glassledger.contracts.lottery``) draws tokens uniformly out of ``T``
and discards a draw whose owner is already selected. That is *successive sampling*: with the
set ``S`` already selected, candidate ``i`` (holding ``t_i`` tokens) is selected next with
probability ``t_i / (T - t(S))``. This module computes, exactly (no Monte Carlo), the
probability of every selected set and every candidate's inclusion probability, by dynamic
programming over the selected sets. The number of sets is ``C(K, N)`` for ``K`` candidates,
so it is meant for the sizes of tests and studies (``K`` up to about 20).

Inputs are plain mappings of candidate id to token count; outputs are pandas Series of floats.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from glassledger.errors import InputError


def selected_set_probabilities(tokens: Mapping[str, int], seats: int) -> pd.Series:
    """Probability of each possible selected set (index: tuple of ids, sorted).

    ``tokens`` maps candidate id to its lottery token count (non-negative integers); ``seats``
    is the number of authorities drawn. The probabilities sum to 1.
    """
    holders = {c: t for c, t in tokens.items() if t > 0}
    for candidate, count in tokens.items():
        if count < 0:
            raise InputError("negative token count", source="tokens", row=candidate, value=count)
    if not 1 <= seats <= len(holders):
        raise InputError(
            f"seats must be in [1, {len(holders)}] (candidates holding tokens)",
            source="seats",
            value=seats,
        )
    total = sum(holders.values())
    layer: dict[frozenset[str], float] = {frozenset(): 1.0}
    for _ in range(seats):
        following: dict[frozenset[str], float] = {}
        for chosen, probability in layer.items():
            remaining = total - sum(holders[c] for c in chosen)
            for candidate, count in holders.items():
                if candidate not in chosen:
                    key = chosen | {candidate}
                    following[key] = following.get(key, 0.0) + probability * count / remaining
        layer = following
    index = [tuple(sorted(chosen)) for chosen in layer]
    return pd.Series(list(layer.values()), index=index, name="probability").sort_index()


def inclusion_probabilities(tokens: Mapping[str, int], seats: int) -> pd.Series:
    """Probability that each candidate is among the ``seats`` selected (index: candidate id).

    Candidates without tokens have probability 0. The probabilities sum to ``seats``.
    """
    sets = selected_set_probabilities(tokens, seats)
    inclusion = dict.fromkeys(sorted(tokens), 0.0)
    for chosen, probability in sets.items():
        for candidate in chosen:
            inclusion[candidate] += probability
    return pd.Series(inclusion, name="inclusion_probability")

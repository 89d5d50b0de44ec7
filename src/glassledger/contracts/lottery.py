"""The credit-weighted authority lottery of seed 003 (B-OTC framework, PoA section).

Seed 003 draws the N (N <= 25) authorities from the candidates (dealers, CCPs, guarantors)
whose credit score ``C_i`` is at least ``C_min``. Its formula (2) for the probability ``P_i``
is an image missing from the text; glassledger reads it as::

    proportional (default):  P_i = C_i / sum_j C_j
    excess (variant):        P_i = (C_i - C_min) / sum_j (C_j - C_min)

with both sums over the eligible candidates. The seed then gives each candidate a whole number
of lottery tokens in proportion to ``P_i``, draws uniform random numbers, selects the owner of
the token drawn, discards a draw whose owner is already selected, and repeats until N are
selected. This module is that procedure, as pure deterministic integer functions usable on the
ledger:

* :func:`lottery_weights` -- ``C_i`` or ``C_i - C_min`` for each eligible candidate;
* :func:`allocate_tokens` -- the token counts: largest-remainder (Hamilton) rounding of the
  quotas ``w_i * T / W`` so that they sum to exactly ``T``. Each candidate first gets
  ``floor(w_i * T / W)``; the ``T - sum floor`` leftover tokens (fewer than the candidate
  count) go one each to the largest remainders ``w_i * T mod W``. Ties are broken by the larger
  weight, then by the candidate id in ascending byte order. Every count is within one token of
  its exact quota;
* :func:`uniform_draws` -- uniform integers in ``[0, T)`` from a SHA-256 stream of the seed:
  draw ``k`` hashes ``seed || k`` (8-byte big-endian counter), keeps the top
  ``bit_length(T - 1)`` bits, and rejects values ``>= T`` (rejection sampling, no modulo bias);
* :func:`draw_authorities` -- tokens are numbered consecutively in candidate-id order; each draw
  selects the owner of that token unless already selected, until ``seats`` are selected;
* :func:`elect` -- all of the above.

Selecting with discards is *successive sampling* (sampling without replacement with
probabilities proportional to the token counts): given the set ``S`` already selected, the
next selected is ``i`` with probability ``t_i / (T - sum_{j in S} t_j)``. The exact inclusion
probabilities are computed off-ledger in :mod:`glassledger.sim.lottery_stats`.

The draw needs ``T / (T - tokens already selected)`` hashes per seat on average; ``T`` is capped
at :data:`MAX_TOKENS` so that even a worst case stays cheap inside a block.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator, Mapping

from glassledger.errors import ContractError

MAX_AUTHORITIES = 25
"""Seed 003: a fixed number N <= 25 of authorities."""
MAX_TOKENS = 1_000_000
"""Largest lottery size T accepted (bounds the work of one draw)."""
VARIANTS = ("proportional", "excess")


def lottery_weights(
    scores: Mapping[str, int], min_score: int, variant: str = "proportional"
) -> dict[str, int]:
    """Integer lottery weight of every eligible candidate (``C_i >= C_min``), by id.

    ``scores`` maps candidate id to its credit score ``C_i`` (a non-negative integer on the
    rating system's scale); ``variant`` is ``"proportional"`` (weight ``C_i``) or ``"excess"``
    (weight ``C_i - C_min``). Ineligible candidates are left out; a weight may be 0.
    """
    if variant not in VARIANTS:
        raise ContractError(f"lottery variant must be one of {VARIANTS}, got {variant!r}")
    for candidate, score in scores.items():
        if score < 0:
            raise ContractError(f"credit score of {candidate!r} is negative ({score})")
    offset = min_score if variant == "excess" else 0
    return {c: s - offset for c, s in sorted(scores.items()) if s >= min_score}


def allocate_tokens(weights: Mapping[str, int], total: int) -> dict[str, int]:
    """Split ``total`` lottery tokens in proportion to ``weights`` by largest remainder.

    Returns token counts by candidate id (every candidate of ``weights``, possibly 0) summing
    to exactly ``total``. See the module docstring for the tie-breaking rule.
    """
    if not 1 <= total <= MAX_TOKENS:
        raise ContractError(f"lottery tokens T must be in [1, {MAX_TOKENS}], got {total}")
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise ContractError("no eligible candidate has a positive lottery weight")
    counts = {c: w * total // weight_sum for c, w in weights.items()}
    leftover = total - sum(counts.values())
    by_remainder = sorted(
        weights, key=lambda c: (-(weights[c] * total % weight_sum), -weights[c], c)
    )
    for candidate in by_remainder[:leftover]:
        counts[candidate] += 1
    return counts


def uniform_draws(seed: bytes, total: int) -> Iterator[int]:
    """Endless stream of independent uniform integers in ``[0, total)`` derived from ``seed``."""
    bits = (total - 1).bit_length()
    counter = 0
    while True:
        digest = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
        value = int.from_bytes(digest, "big") >> (256 - bits)
        if value < total:
            yield value


def draw_authorities(tokens: Mapping[str, int], seats: int, seed: bytes) -> list[str]:
    """Draw ``seats`` distinct candidates from the token allocation ``tokens``, in draw order.

    Tokens ``0 .. t_a - 1`` belong to the first candidate in id order, the next ``t_b`` to the
    second, and so on. A draw landing on an already selected candidate is discarded.
    """
    owners = [c for c in sorted(tokens) if tokens[c] > 0]
    if not 1 <= seats <= min(MAX_AUTHORITIES, len(owners)):
        raise ContractError(
            f"cannot draw {seats} authorities: N must be in [1, {MAX_AUTHORITIES}] and at most "
            f"the {len(owners)} candidates holding tokens"
        )
    ends = []
    running = 0
    for candidate in owners:
        running += tokens[candidate]
        ends.append(running)
    selected: list[str] = []
    draws = uniform_draws(seed, running)
    while len(selected) < seats:
        owner = owners[bisect.bisect_right(ends, next(draws))]
        if owner not in selected:
            selected.append(owner)
    return selected


def elect(
    scores: Mapping[str, int],
    min_score: int,
    seats: int,
    total_tokens: int,
    seed: bytes,
    variant: str = "proportional",
) -> list[str]:
    """Run the seed-003 lottery: ``seats`` authorities among the candidates of ``scores``
    with ``C_i >= min_score``, ``total_tokens`` lottery tokens, randomness from ``seed``."""
    weights = lottery_weights(scores, min_score, variant)
    return draw_authorities(allocate_tokens(weights, total_tokens), seats, seed)

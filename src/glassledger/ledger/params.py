"""The chain's parameters and their defaults (fixed at genesis, stored at ``sys/params``).

Times in milliseconds, counts in blocks unless the name says otherwise; credit scores on the
0..1000 scale of :mod:`glassledger.contracts.governance`.
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger.merkle import DEFAULT_DEPTH

DEFAULT_PARAMS: dict[str, Any] = {
    "state_depth": DEFAULT_DEPTH,
    "max_block_txs": 10_000,
    "block_interval_ms": 200,
    "round_timeout_ms": 1_000,
    "max_clock_skew_ms": 5_000,
    "authority_change_delay": 2,
    # governance (seed 003): C_min, N, E, lottery tokens T, probability variant
    "min_credit_score": 571,  # C_min on the 0..1000 credit-score scale: 571 = BBB-
    "authority_count": 4,
    "election_period": 10_000,
    "election_window": 20,
    "reveal_timeout": 50,
    "lottery_tokens": 10_000,
    "lottery_variant": "proportional",
    "max_missed_rounds": 50,
    "oracle_max_age_ms": 86_400_000,
    # repo (issue 11): margin-call deadline after the call; price age for collateral (0: the
    # oracle's limit)
    "repo_margin_deadline_ms": 4 * 3_600_000,
    "repo_price_max_age_ms": 0,
    "repo_mark_buckets_per_block": 8,
}

"""Issue 9 section 4: the authority lottery cannot be biased by withholding a reveal.

The adversary of the issue is a regulator that reveals its seed only when its favourite wins.
Under the old rule a withheld reveal reopened the draw with fresh randomness, and the
adversary seated a 19.8 % candidate in 30 of 30 runs. Here the regulator must reveal before
the authorities do, so when it decides it knows only its own seed and the closing block hash:
the favourite's win rate must match its exact probability
(:func:`glassledger.sim.lottery_stats.inclusion_probabilities`, a binomial test), while the
rate such an adversary would reach if it could see the outcome (``2p - p^2``) is rejected.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from scipy.stats import binomtest

from glassledger.contracts.governance import lottery_randomness
from glassledger.contracts.lottery import allocate_tokens, draw_authorities, lottery_weights
from glassledger.node.regulator import DrawSeeds
from glassledger.sim.lottery_stats import inclusion_probabilities

from .conftest import EXTRA_CANDIDATES, gov_chain

SCORES = {
    "dealer-0": 700,
    "dealer-1": 770,
    "dealer-2": 840,
    "dealer-3": 910,
    "ccp-a": 900,
    "guarantor-b": 800,
    "dealer-x": 650,
}
FAVOURITE = "dealer-x"
DRAWS = 160
PARAMS = {
    "election_period": 8,
    "election_window": 3,
    "reveal_timeout": 1,
    "max_missed_rounds": 1_000,
}


@pytest.mark.slow
def test_a_regulator_that_reveals_only_when_its_favourite_wins_gains_nothing():
    gov = gov_chain(params=PARAMS, extra=EXTRA_CANDIDATES)
    rng = random.Random(20261204)
    authorities = {
        who: DrawSeeds(participant=who, regulator=False, random_bytes=rng.randbytes)
        for who in SCORES
    }
    tokens = allocate_tokens(lottery_weights(SCORES, 571), 10_000)
    seats = 4
    regulator_seeds: dict[int, bytes] = {}
    withheld = wins = draws = 0
    while draws < DRAWS:
        txs = []
        draw = gov.get("governance", "draw")
        next_height = gov.height + 1
        for who, seeds in authorities.items():  # honest authorities do their duties
            txs += [
                gov.tx(who, "governance", m, **a)
                for m, a in seeds.due(gov.chain.state, next_height)
            ]
        if draw is not None:
            number = draw["number"]
            if draw["state"] == "open" and number not in regulator_seeds:
                regulator_seeds[number] = rng.randbytes(32)
                digest = hashlib.sha256(regulator_seeds[number]).digest()
                txs.append(
                    gov.tx("regulator", "governance", "commit_seed", draw=number, digest=digest)
                )
            if draw["state"] == "revealing" and next_height == draw["close"] + 1:
                # the adversary: everything it can know now is its seed and the close hash
                seed = regulator_seeds[number]
                guess = lottery_randomness(
                    number, gov.store.get_block(draw["close"]).hash, [("regulator", seed)]
                )
                if FAVOURITE in draw_authorities(tokens, seats, guess):
                    txs.append(
                        gov.tx("regulator", "governance", "reveal_seed", draw=number, seed=seed)
                    )
                else:
                    withheld += 1
        block = gov.advance(calls=txs)
        receipts, events = block.receipts, block.system_events
        assert all(r.ok for r in receipts), [r.message for r in receipts if not r.ok]
        for event in [*events, *(e for r in receipts for e in r.events)]:
            if event.name == "elected":
                draws += 1
                wins += FAVOURITE in event.data["authorities"]
    p = float(inclusion_probabilities(tokens, seats)[FAVOURITE])
    assert 0.2 < p < 0.8 and withheld > DRAWS // 5  # the adversary did act
    assert gov.get("governance", "faults/regulator") == withheld  # each time in public
    assert binomtest(wins, draws, p).pvalue > 0.001, (wins, draws, p)
    biased = 2 * p - p * p  # what "reveal only if it wins" gives when the outcome is visible
    assert binomtest(wins, draws, biased).pvalue < 0.001, (wins, draws, biased)

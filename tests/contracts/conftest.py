"""Fixtures for contract tests: a devnet chain (the one harness, :class:`ClockedChain`) that
seals with whatever authority set the governance contract names, with control over absent
sealers and the deciding round."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from glassledger.ledger.abi import Registry
from glassledger.ledger.tx import Event
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec

#: Candidates beside the devnet's four dealers (scores 700, 770, 840, 910): C_min is 571.
EXTRA_CANDIDATES = [
    ParticipantSpec("ccp-a", ["ccp"], legal_name="Central Counterparty A", credit_score=900),
    ParticipantSpec("guarantor-b", ["guarantor"], legal_name="Guarantor B", credit_score=800),
    ParticipantSpec("dealer-x", ["dealer"], legal_name="Dealer X", credit_score=650),
    ParticipantSpec("dealer-low", ["dealer"], legal_name="Dealer Low", credit_score=500),
]


def gov_chain(
    params: dict[str, Any] | None = None,
    extra: Iterable[ParticipantSpec] = (),
    authorities: int = 4,
    registry: Registry | None = None,
) -> ClockedChain:
    """A devnet chain on a memory store whose blocks are sealed by the current authorities
    (the one harness; draw duties are left to the tests)."""
    genesis = devnet_genesis(authorities=authorities, clients=2, params=params, extra=list(extra))
    return ClockedChain.start(genesis, registry, draw_seed=None)


def names(events: Iterable[tuple[int, Event]] | Iterable[Event]) -> list[str]:
    return [e[1].name if isinstance(e, tuple) else e.name for e in events]


@pytest.fixture
def gov() -> ClockedChain:
    """Short election cycle: period 30, window 5, reveal timeout 4, max 3 missed rounds."""
    return gov_chain(
        params={
            "election_period": 30,
            "election_window": 5,
            "reveal_timeout": 4,
            "max_missed_rounds": 3,
        },
        extra=EXTRA_CANDIDATES,
    )

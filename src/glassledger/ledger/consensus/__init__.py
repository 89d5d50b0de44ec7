"""Consensus with immediate finality in the style of IBFT 2.0 / QBFT (see docs/consensus.md).

* :mod:`.messages` — signed votes, wire packets, equivocation evidence;
* :mod:`.qbft` — :class:`QbftEngine`, the per-authority state machine;
* :mod:`.wire` — canonical packet bytes and memoized signature checks;
* :mod:`.guard` — vote guards (never sign two digests for one slot), in memory or on disk;
* :mod:`.transport` — :class:`InProcessTransport`, the embedded default;
* :mod:`.simulator` — the deterministic faulty network for tests.
"""

from glassledger.ledger.consensus.guard import FileVoteGuard, VoteGuard
from glassledger.ledger.consensus.messages import EquivocationEvidence, check_equivocation
from glassledger.ledger.consensus.qbft import QbftEngine
from glassledger.ledger.consensus.transport import InProcessTransport

__all__ = [
    "EquivocationEvidence",
    "FileVoteGuard",
    "InProcessTransport",
    "QbftEngine",
    "VoteGuard",
    "check_equivocation",
]

"""Off-ledger views of the on-ledger funding market (seed 000's "collateral, leverage and
exposures visible as a live stream"): per participant, per market, concentration, and the
on-ledger counterpart of SOFR, at any block height, as DataFrames. See docs/funding.md."""

from glassledger.funding.snapshot import Snapshot, snapshot_at
from glassledger.funding.views import (
    collateral_by_issue,
    concentration,
    facility_take_up,
    ledger_sofr,
    participants,
    pool_markets,
    repo_book,
)

__all__ = [
    "Snapshot",
    "collateral_by_issue",
    "concentration",
    "facility_take_up",
    "ledger_sofr",
    "participants",
    "pool_markets",
    "repo_book",
    "snapshot_at",
]

"""The standard set of contracts a glassledger chain runs, in hook order."""

from __future__ import annotations

from glassledger.contracts.amm import Amm
from glassledger.contracts.basket import Basket
from glassledger.contracts.derivatives.contract import Derivative
from glassledger.contracts.facility import Facility
from glassledger.contracts.governance import Governance
from glassledger.contracts.guarantee import Guarantee
from glassledger.contracts.identity import Identity
from glassledger.contracts.monitor import Monitor
from glassledger.contracts.oracle import Oracle
from glassledger.contracts.pool import Pool
from glassledger.contracts.repo import Repo
from glassledger.contracts.repository import Repository
from glassledger.contracts.rfq import Rfq
from glassledger.contracts.stablecoin import Stablecoin
from glassledger.contracts.token import Token
from glassledger.contracts.trades import Trades
from glassledger.contracts.treasury import Treasury
from glassledger.ledger.abi import Registry


def standard_registry() -> Registry:
    """Every contract of the standard chain (identity first: others read it)."""
    return Registry(
        [
            Identity(),
            Oracle(),
            Token(),
            Governance(),
            Trades(),
            Monitor(),
            Basket(),
            Amm(),
            Treasury(),
            Repo(),
            Pool(),
            Stablecoin(),
            Facility(),
            Rfq(),
            Derivative(),
            Guarantee(),
            Repository(),
        ]
    )

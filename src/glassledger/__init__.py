"""glassledger: transparent, programmable market infrastructure for dollar liquidity,
collateral and OTC derivatives.

On-ledger packages (deterministic): :mod:`glassledger.ledger`, :mod:`glassledger.contracts`.
Off-ledger packages (analytics, interfaces): :mod:`glassledger.risk`, :mod:`glassledger.basket`,
:mod:`glassledger.liquidity`, :mod:`glassledger.sim`, :mod:`glassledger.api`,
:mod:`glassledger.report`. Imports point from off-ledger to on-ledger, never back.
"""

__version__ = "0.1.0"

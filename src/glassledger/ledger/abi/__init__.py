"""The contract ABI: how on-ledger code is written, registered, called and settled.

* :mod:`~glassledger.ledger.abi.contract`: :class:`Contract`, :func:`method`, :class:`Context`
  (the contract's only door to the world), :class:`Registry`, :class:`BlockInfo`, roles;
* :mod:`~glassledger.ledger.abi.lifecycle`: transition tables for lifecycles (repo, margin
  call, RFQ, derivative, default) and :class:`InvalidTransition`;
* :mod:`~glassledger.ledger.abi.settlement`: settlement instructions, the one path by which
  lifecycle effects move tokens (delivery versus payment, all legs or none).

The kernel (:mod:`glassledger.ledger`) defines this interface and imports no concrete
contract; :mod:`glassledger.contracts` implements it.
"""

from glassledger.ledger.abi.contract import (
    ANY,
    CONTRACT,
    ROLES,
    SYSTEM,
    BlockInfo,
    Context,
    Contract,
    MethodSpec,
    Registry,
    method,
)

__all__ = [
    "ANY",
    "CONTRACT",
    "ROLES",
    "SYSTEM",
    "BlockInfo",
    "Context",
    "Contract",
    "MethodSpec",
    "Registry",
    "method",
]

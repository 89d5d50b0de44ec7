"""Settlement instructions: the one path by which lifecycle effects move tokens.

STYLE.md lesson 7 (Daml Finance's Lifecycle and Settlement interfaces): a lifecycle event
(a repo opening, a coupon date, a variation-margin call, a close-out) produces **effects**;
the contract turns its effects into **settlement instructions**, one :class:`Instruction`
per leg; :func:`settle` hands the whole batch to the token contract's ``settle`` method, which
checks every leg and moves them all or none (delivery versus payment: cash against
collateral in one atomic step; the transaction scope makes a failing leg roll back the
others and everything the contract wrote before).

A leg moves ``amount`` minor units of ``symbol`` from ``payer`` to ``payee``:

* from the payer's **free balance**: the payer must be the transaction's signer
  (``ctx.origin``, who thereby consents) or the settling contract itself
  (``contract:<name>``);
* or out of an escrow **lock** ``from_lock`` owned by the settling contract (the payer is
  then the lock's holder, named for the record);
* to the payee's free balance, or into a lock ``to_lock`` owned by the settling contract and
  held for the payee (collateral, initial margin, a guarantee reserve): created on first use,
  topped up after.

Nothing else can move a participant's tokens: a contract hook (no signer) can only pay out of
what was escrowed with it. :func:`net` nets opposite free-balance legs between the same two
parties in the same token (payment netting, close-out netting).

Amounts are integers in the token's minor units, strictly positive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from glassledger.ledger.abi.contract import Context

TOKEN_CONTRACT = "token"


class Instruction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One settlement leg (see the module docstring). ``amount`` in minor units, > 0."""

    symbol: str
    payer: str
    payee: str
    amount: int
    from_lock: str = ""
    to_lock: str = ""

    def to_value(self) -> dict[str, Any]:
        """The leg as a codec value (for the token contract's ``settle`` arguments)."""
        return msgspec.to_builtins(self)


def settle(ctx: Context, instructions: Sequence[Instruction], reference: str) -> None:
    """Settle every leg of ``instructions`` atomically through the token contract.

    ``reference`` names the lifecycle event (``repo/R1/open``, ``swap/S7/vm/2026-03-02``): it
    is carried on the ``settled`` event so every movement traces back to its cause. Legs with
    a zero amount are dropped; an empty batch does nothing.
    """
    legs = [leg.to_value() for leg in instructions if leg.amount != 0]
    if legs:
        ctx.call(TOKEN_CONTRACT, "settle", legs=legs, reference=reference)


def net(instructions: Iterable[Instruction]) -> list[Instruction]:
    """Net free-balance legs per ``(symbol, unordered pair of parties)`` into at most one leg
    each (from the net payer); legs touching a lock are kept as they are. The result moves
    the same net amount between every pair, in a deterministic order."""
    kept: list[Instruction] = []
    totals: dict[tuple[str, str, str], int] = {}
    for leg in instructions:
        if leg.from_lock or leg.to_lock:
            kept.append(leg)
            continue
        low, high = sorted((leg.payer, leg.payee))
        sign = 1 if leg.payer == low else -1  # + : low pays high
        key = (leg.symbol, low, high)
        totals[key] = totals.get(key, 0) + sign * leg.amount
    for (symbol, low, high), amount in sorted(totals.items()):
        if amount > 0:
            kept.append(Instruction(symbol, low, high, amount))
        elif amount < 0:
            kept.append(Instruction(symbol, high, low, -amount))
    return kept

"""``monitor``: the regulator's systemic-risk monitor on the ledger (seed 003).

Seed 003's monitoring model needs each institution's capital and an alert threshold on the
default-risk coefficient ``dr_j = exposure_j / capital_j``; when it is exceeded, the regulator
warns every institution in the resulting default cascade. The computation runs off the ledger
(:mod:`glassledger.risk.contagion.ledger_feed`) on exposures read at a block height; this
contract holds its inputs and publishes its outcome:

* ``set_capital`` (regulator): an institution's capital, integer minor units of ``currency``;
* ``set_threshold`` (regulator): the alert threshold on ``dr_j`` in basis points
  (``50_000`` = exposure five times capital);
* ``warn`` (regulator): one ``warning`` event per warned institution, **visible only to that
  institution** (and, as every event, to the regulator), stating the height the analysis was
  run at, the institution's cascade round and its ``dr_j`` in basis points. Only the count of
  warnings per run is public state, so the warned names never leak to other participants.

State: ``capital/<id>`` -> ``{"amount", "currency"}``; ``threshold_bps`` -> int;
``runs/<height>`` -> number of institutions warned for the analysis at that height.
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger.abi import Context, Contract, method

NAME = "monitor"
DEFAULT_THRESHOLD_BPS = 50_000


class Monitor(Contract):
    """Capital, alert threshold and restricted early warnings; regulator only."""

    name = NAME

    @method("regulator")
    def set_capital(self, ctx: Context, institution: str, amount: int, currency: str) -> None:
        """Record ``institution``'s capital (minor units of ``currency``, >= 0)."""
        ctx.require(
            ctx.read("identity", f"p/{institution}") is not None, f"no participant {institution!r}"
        )
        ctx.require(amount >= 0, f"capital must be non-negative, got {amount}")
        ctx.put(f"capital/{institution}", {"amount": amount, "currency": currency})
        ctx.emit("capital_set", institution=institution, amount=amount, currency=currency)

    @method("regulator")
    def set_threshold(self, ctx: Context, threshold_bps: int) -> None:
        """Set the alert threshold on ``dr_j`` (basis points, > 0)."""
        ctx.require(threshold_bps > 0, f"threshold must be positive, got {threshold_bps}")
        ctx.put("threshold_bps", threshold_bps)
        ctx.emit("threshold_set", threshold_bps=threshold_bps)

    @method("regulator")
    def warn(self, ctx: Context, height: int, warnings: list[dict[str, Any]]) -> None:
        """Publish the warnings of the analysis run at block ``height`` (<= current height):
        each item ``{"institution": str, "round": int, "dr_bps": int, "reason": str}``."""
        ctx.require(0 <= height < ctx.height, f"analysis height {height} is not a past block")
        ctx.require(not ctx.has(f"runs/{height}"), f"warnings for height {height} already sent")
        seen = set()
        for item in warnings:
            ctx.require(
                set(item) == {"institution", "round", "dr_bps", "reason"},
                f"a warning has institution, round, dr_bps and reason: {sorted(item)}",
            )
            who = item["institution"]
            ctx.require(who not in seen, f"{who!r} warned twice")
            ctx.require(ctx.read("identity", f"p/{who}") is not None, f"no participant {who!r}")
            seen.add(who)
            ctx.emit("warning", visible_to=(who,), height=height, **item)
        ctx.put(f"runs/{height}", len(warnings))
        ctx.emit("warnings_sent", height=height, count=len(warnings))

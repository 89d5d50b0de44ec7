"""``monitor``: the regulator's systemic-risk monitor on the ledger (seed 003).

Seed 003's monitoring model needs each institution's capital and an alert threshold on the
default-risk coefficient ``dr_j = exposure_j / capital_j``; when it is exceeded, the regulator
warns every institution in the resulting default cascade. The computation runs off the ledger
(:mod:`glassledger.risk.contagion.ledger_feed`) on exposures read at a block height; this
contract holds its inputs and publishes its outcome:

* ``set_capital`` (regulator): an institution's capital, integer minor units of ``currency``;
* ``set_threshold`` (regulator): the alert threshold on ``dr_j`` in basis points
  (``50_000`` = exposure five times capital);
* ``warn`` (regulator): the warnings of one analysis as **private payloads**
  (:mod:`glassledger.ledger.private`): one sealed :class:`~glassledger.ledger.private.Envelope`
  per *monitored* institution (every institution with a recorded capital), sealed to that
  institution and the regulator, warned or not, each payload padded to one size. The
  ledger keeps each envelope's hash (``warnings/<height>/<id>``) and a ``warning`` event per
  institution (its hash, restricted to that institution); the envelopes themselves travel in
  the transaction's arguments.

**What every copy holder sees** (stated in docs/ledger.md): that the regulator ran an analysis
at a height, which institutions were monitored (public already: their capital is public
state), each envelope's size (the same for all) and hash. Not who was warned, nor any cascade
round, ``dr_j`` or reason: those are inside the envelopes, which only the institution and the
regulator can open (``glassledger risk monitor --read --as <id>``).

State: ``capital/<id>`` -> ``{"amount", "currency"}``; ``threshold_bps`` -> int;
``runs/<height>`` -> number of envelopes of the analysis at that height;
``warnings/<height>/<id>`` -> hash of the envelope sealed to ``<id>``.
"""

from __future__ import annotations

from typing import Any

from glassledger.errors import CryptoError
from glassledger.ledger.abi import Context, Contract, method
from glassledger.ledger.private import Envelope

NAME = "monitor"
DEFAULT_THRESHOLD_BPS = 50_000


def monitored(ctx: Context) -> list[str]:
    """Institutions with a recorded capital, sorted: every run seals one envelope to each."""
    return sorted(key.removeprefix("capital/") for key, _ in ctx.scan("capital/"))


class Monitor(Contract):
    """Capital, alert threshold and private early warnings; regulator only."""

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
    def warn(self, ctx: Context, height: int, envelopes: list[dict[str, Any]]) -> None:
        """Publish the sealed warnings of the analysis run at block ``height`` (< current
        height): exactly one envelope (:meth:`Envelope.to_value` form) per monitored
        institution, each sealed to that institution and the regulator (the signer)."""
        ctx.require(0 <= height < ctx.height, f"analysis height {height} is not a past block")
        ctx.require(not ctx.has(f"runs/{height}"), f"warnings for height {height} already sent")
        covered = []
        for value in envelopes:
            try:
                envelope = Envelope.from_value(value)
            except CryptoError as exc:
                ctx.require(False, str(exc))
            others = set(envelope.keys) - {ctx.caller}
            ctx.require(
                ctx.caller in envelope.keys and len(others) == 1,
                "a warning envelope is sealed to one institution and the regulator, got "
                f"recipients {envelope.recipients}",
            )
            (who,) = others
            ctx.require(who not in covered, f"two envelopes for {who!r}")
            covered.append(who)
            digest = envelope.hash
            ctx.put(f"warnings/{height}/{who}", digest)
            ctx.emit("warning", visible_to=(who,), height=height, institution=who, hash=digest)
        expected = monitored(ctx)
        ctx.require(
            sorted(covered) == expected,
            f"one envelope per monitored institution {expected}, got {sorted(covered)}: "
            "sealing only to the warned would tell everyone who they are",
        )
        ctx.put(f"runs/{height}", len(envelopes))
        ctx.emit("warnings_sent", height=height, count=len(envelopes))

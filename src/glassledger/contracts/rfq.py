"""``rfq``: broadcast request for quote with sealed quotes (seed 003, figure 4).

1. A client **requests** quotes from chosen dealers or from every dealer: product template,
   parameters, notional, side, expiry. Before it may ask, a **suitability** check compares
   its investor category (identity ``category``: retail 1, qualified 2, professional 3) with
   the template's complexity (FX forward 1, swap and option 2, CDS 3).
2. Each dealer answers with a **firm quote** (price, threshold, minimum transfer amount,
   margin-call window, validity) as a **private payload**: sealed off the ledger with
   :func:`glassledger.ledger.private.seal` to the client and the regulator. The transaction
   carries the envelope (ciphertext only); the state keeps its hash, the dealer's
   **commitment** to the terms and the dealer's **signature** of that commitment (checked
   against its registered key when the quote arrives). No price is ever written in clear.
3. The client opens the envelopes it received, picks one and **accepts** it by revealing
   its terms and salt. The contract recomputes the commitment, checks it and the dealer's
   signature, checks the quote's validity, and atomically books the trade in the
   ``derivative`` contract (credit limit, margin, register). The other quotes are marked
   ``lost`` and are never revealed.

What a competing dealer can read: that a request exists and its terms (template, notional,
side; they are not secret among invited dealers), which dealers quoted and when, envelope
hashes, commitments and signatures (SHA-256 and Ed25519 outputs reveal nothing of the terms).
The **accepted** quote's price becomes the trade's economics (the fixed rate, premium,
spread the contract must compute with) and is in the ``derivative`` state from then on, as
in post-trade public dissemination; losing quotes stay sealed.

Dealers set **credit limits** per counterparty here (:meth:`Rfq.set_credit_limit`, minor
units of schedule initial margin, the contract's measure of potential exposure); a trade
beyond the limit needs the client's guarantee line (``guarantee`` contract) to cover the
excess.

Lifecycles (transition tables): :data:`REQUEST` and :data:`QUOTE`.

State: ``r/<rfq id>`` request; ``q/<rfq id>/<dealer>`` quote
``{"state", "envelope_hash", "commitment", "signature", "quoted_ms"}``;
``limit/<dealer>/<client>`` credit limit.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts.derivatives.templates import template
from glassledger.contracts.derivatives.terms import (
    CATEGORY_LEVEL,
    QUOTE_FIELDS,
    QUOTE_SIGNATURE_DOMAIN,
    quote_commitment,
)
from glassledger.errors import CryptoError
from glassledger.ledger.abi import Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.crypto import verify
from glassledger.ledger.private import Envelope

NAME = "rfq"
MAX_DEALERS = 64
MAX_ID = 48

REQUEST = Lifecycle.of(
    "rfq",
    initial="open",
    rows=[
        ("open", "quote", "open"),
        ("open", "accept", "accepted"),
        ("open", "cancel", "cancelled"),
    ],
)
QUOTE = Lifecycle.of(
    "quote",
    initial="submitted",
    rows=[
        ("submitted", "withdraw", "withdrawn"),
        ("submitted", "accept", "accepted"),
        ("submitted", "lose", "lost"),
    ],
)


class Rfq(Contract):
    """Broadcast request for quote with sealed quotes; see the module docstring."""

    name = NAME

    @method("client", "dealer", "ccp")
    def request(
        self,
        ctx: Context,
        rfq_id: str,
        template_name: str,
        params: dict[str, Any],
        notional: int,
        side: str,
        expiry_ms: int,
        dealers: list[str] | None = None,
        currency: str = "USD",
        guarantee_line: str = "",
    ) -> None:
        """Ask ``dealers`` (empty or absent: every dealer) for quotes on ``template_name``
        with ``params`` (the price field is left to the dealers), ``notional`` (minor units;
        an option's quantity) and the client's ``side``, open until ``expiry_ms``."""
        ctx.require(0 < len(rfq_id) <= MAX_ID and "/" not in rfq_id, f"bad rfq id {rfq_id!r}")
        ctx.require(not ctx.has(f"r/{rfq_id}"), f"rfq {rfq_id!r} exists")
        tpl = template(template_name)
        client = ctx.read("identity", f"p/{ctx.origin}")
        level = CATEGORY_LEVEL.get(client["category"], 0)
        ctx.require(
            level >= tpl.complexity,
            f"unsuitable: {ctx.origin} is a {client['category']} investor (level {level}); "
            f"{tpl.name} has complexity {tpl.complexity}",
        )
        ctx.require(tpl.price_field not in params, f"{tpl.price_field} is for dealers to quote")
        tpl.check(ctx, params | {tpl.price_field: 1}, notional, side)
        ctx.require(expiry_ms > ctx.time_ms, "the request expires before it opens")
        dealers = sorted(set(dealers or []))
        ctx.require(len(dealers) <= MAX_DEALERS, f"at most {MAX_DEALERS} dealers")
        for dealer in dealers:
            record = ctx.read("identity", f"p/{dealer}")
            ctx.require(
                record is not None and "dealer" in record["roles"] and record["active"],
                f"{dealer!r} is not an active dealer",
            )
            ctx.require(dealer != ctx.origin, "a client cannot ask itself")
        ctx.require(ctx.read("token", f"t/{currency}") is not None, f"no token {currency!r}")
        record = {
            "id": rfq_id,
            "state": REQUEST.initial,
            "client": ctx.origin,
            "template": tpl.name,
            "params": params,
            "notional": notional,
            "side": side,
            "expiry_ms": expiry_ms,
            "dealers": dealers,
            "currency": currency,
            "guarantee_line": guarantee_line,
            "quotes": [],
            "requested_ms": ctx.time_ms,
        }
        ctx.put(f"r/{rfq_id}", record)
        ctx.emit(
            "requested",
            visible_to=tuple([ctx.origin, *dealers]) if dealers else (),
            rfq_id=rfq_id,
            client=ctx.origin,
            template=tpl.name,
            params=params,
            notional=notional,
            side=side,
            expiry_ms=expiry_ms,
            dealers=dealers,
        )

    @method("dealer")
    def quote(
        self,
        ctx: Context,
        rfq_id: str,
        envelope: dict[str, Any],
        commitment: bytes,
        signature: bytes,
    ) -> None:
        """Submit a sealed firm quote: ``envelope`` (sealed to the client and the regulator;
        only its hash is kept), ``commitment`` to the terms and the dealer's ``signature``
        of it (:func:`~glassledger.contracts.derivatives.terms.sign_quote`)."""
        rfq = self._rfq(ctx, rfq_id)
        dealer = ctx.origin
        ctx.require(
            ctx.time_ms <= rfq["expiry_ms"],
            f"quote after expiry: rfq {rfq_id} closed at {rfq['expiry_ms']}, now {ctx.time_ms}",
        )
        ctx.require(not rfq["dealers"] or dealer in rfq["dealers"], f"{dealer} was not asked")
        ctx.require(dealer != rfq["client"], "a dealer cannot quote its own request")
        ctx.require(not ctx.has(f"q/{rfq_id}/{dealer}"), f"{dealer} already quoted {rfq_id}")
        try:
            sealed = Envelope.from_value(envelope)
        except CryptoError as exc:
            ctx.require(False, str(exc))
        ctx.require(
            set(sealed.keys) == {rfq["client"], "regulator"},
            "a quote is sealed to the client and the regulator only",
        )
        ctx.require(len(commitment) == 32, "a commitment is 32 bytes (SHA-256)")
        ctx.require(self._signed(ctx, dealer, commitment, signature), "bad quote signature")
        REQUEST.fire(rfq, "quote")
        rfq["quotes"].append(dealer)
        ctx.put(f"r/{rfq_id}", rfq)
        quote = {
            "state": QUOTE.initial,
            "envelope_hash": sealed.hash,
            "commitment": commitment,
            "signature": signature,
            "quoted_ms": ctx.time_ms,
        }
        ctx.put(f"q/{rfq_id}/{dealer}", quote)
        ctx.emit(
            "quoted",
            visible_to=(rfq["client"], dealer),
            rfq_id=rfq_id,
            dealer=dealer,
            envelope_hash=sealed.hash,
            commitment=commitment,
        )

    @method("dealer")
    def withdraw(self, ctx: Context, rfq_id: str) -> None:
        """Withdraw the signer's quote on ``rfq_id`` (it can no longer be accepted)."""
        quote = ctx.get(f"q/{rfq_id}/{ctx.origin}")
        ctx.require(quote is not None, f"{ctx.origin} has no quote on {rfq_id}")
        QUOTE.fire(quote, "withdraw")
        ctx.put(f"q/{rfq_id}/{ctx.origin}", quote)
        ctx.emit(
            "withdrawn",
            visible_to=(self._rfq(ctx, rfq_id)["client"], ctx.origin),
            rfq_id=rfq_id,
            dealer=ctx.origin,
        )

    @method("client", "dealer", "ccp")
    def accept(
        self, ctx: Context, rfq_id: str, dealer: str, terms: dict[str, Any], salt: bytes
    ) -> None:
        """Accept ``dealer``'s quote by revealing its ``terms`` and ``salt``: checked against
        the commitment and the dealer's signature, then the trade is booked atomically."""
        rfq = self._rfq(ctx, rfq_id)
        ctx.require(ctx.origin == rfq["client"], f"only {rfq['client']} accepts quotes on {rfq_id}")
        quote = ctx.get(f"q/{rfq_id}/{dealer}")
        ctx.require(quote is not None, f"{dealer} has no quote on {rfq_id}")
        ctx.require(quote["state"] != "withdrawn", f"{dealer}'s quote on {rfq_id} was withdrawn")
        ctx.require(set(terms) == set(QUOTE_FIELDS), f"quote terms are {list(QUOTE_FIELDS)}")
        for key in QUOTE_FIELDS:
            kind = str if key in ("rfq_id", "dealer") else int
            ctx.require(type(terms[key]) is kind, f"quote term {key!r} must be {kind.__name__}")
        ctx.require(
            quote_commitment(terms, salt) == quote["commitment"],
            f"revealed quote does not match {dealer}'s commitment on {rfq_id}",
        )
        ctx.require(
            terms["rfq_id"] == rfq_id and terms["dealer"] == dealer,
            "the revealed quote names another request or dealer",
        )
        ctx.require(
            self._signed(ctx, dealer, quote["commitment"], quote["signature"]),
            f"{dealer}'s signature no longer verifies against its registered keys",
        )
        ctx.require(
            ctx.time_ms <= terms["valid_until_ms"],
            f"{dealer}'s quote expired at {terms['valid_until_ms']}, now {ctx.time_ms}",
        )
        REQUEST.fire(rfq, "accept")
        QUOTE.fire(quote, "accept")
        ctx.put(f"r/{rfq_id}", rfq)
        ctx.put(f"q/{rfq_id}/{dealer}", quote)
        for other in rfq["quotes"]:
            if other == dealer:
                continue
            lost = ctx.get(f"q/{rfq_id}/{other}")
            if lost["state"] == "submitted":
                QUOTE.fire(lost, "lose")
                ctx.put(f"q/{rfq_id}/{other}", lost)
        tpl = template(rfq["template"])
        ctx.call(
            "derivative",
            "execute",
            trade_id=rfq_id,
            template_name=rfq["template"],
            params=rfq["params"] | {tpl.price_field: terms["price"]},
            notional=rfq["notional"],
            client_side=rfq["side"],
            dealer=dealer,
            client=rfq["client"],
            threshold=terms["threshold"],
            mta=terms["mta"],
            call_window_ms=terms["call_window_ms"],
            currency=rfq["currency"],
            rfq_id=rfq_id,
            guarantee_line=rfq["guarantee_line"],
        )
        ctx.emit(
            "accepted",
            visible_to=(rfq["client"], dealer),
            rfq_id=rfq_id,
            dealer=dealer,
            trade_id=rfq_id,
        )

    @method("client", "dealer", "ccp")
    def cancel(self, ctx: Context, rfq_id: str) -> None:
        """The client cancels an open request."""
        rfq = self._rfq(ctx, rfq_id)
        ctx.require(ctx.origin == rfq["client"], "only the requesting client cancels")
        REQUEST.fire(rfq, "cancel")
        ctx.put(f"r/{rfq_id}", rfq)
        ctx.emit("cancelled", rfq_id=rfq_id)

    @method("dealer")
    def set_credit_limit(self, ctx: Context, counterparty: str, limit: int) -> None:
        """The signing dealer's credit limit for ``counterparty`` (minor units of potential
        exposure, measured as schedule initial margin)."""
        ctx.require(limit >= 0, f"a credit limit is non-negative, got {limit}")
        ctx.require(
            ctx.read("identity", f"p/{counterparty}") is not None,
            f"no participant {counterparty!r}",
        )
        ctx.put(f"limit/{ctx.origin}/{counterparty}", limit)
        ctx.emit(
            "credit_limit",
            visible_to=(ctx.origin, counterparty),
            dealer=ctx.origin,
            counterparty=counterparty,
            limit=limit,
        )

    # -- helpers
    @staticmethod
    def _rfq(ctx: Context, rfq_id: str) -> dict[str, Any]:
        rfq = ctx.get(f"r/{rfq_id}")
        ctx.require(rfq is not None, f"no rfq {rfq_id!r}")
        return rfq

    @staticmethod
    def _signed(ctx: Context, dealer: str, commitment: bytes, signature: bytes) -> bool:
        record = ctx.read("identity", f"p/{dealer}")
        return record is not None and any(
            verify(bytes.fromhex(key), QUOTE_SIGNATURE_DOMAIN, commitment, signature)
            for key in record["keys"]
        )

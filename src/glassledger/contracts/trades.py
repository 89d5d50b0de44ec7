"""``trades``: the ledger's register of netting sets and bilateral trades.

This is the one interface through which exposure-creating contracts (derivatives, repo,
lending) tell the rest of the system what they created: the counterparty-risk service, the
contagion monitor and the credit-rating system read it (through
:mod:`glassledger.risk.ledger_view`), never the individual contracts. Only contracts may
write it (role ``contract``): a derivative contract records the trade it books, marks it when
the oracle moves, and closes it at maturity, termination or default.

A **netting set** is between ``party_a`` and ``party_b``; every trade figure is from
``party_a``'s side (``mtm > 0``: ``party_b`` owes ``party_a``; ``position`` is ``party_a``'s),
and the view mirrors it for ``party_b``. Amounts are integers in minor units of the netting
set's ``currency``; times are block timestamps in ms; prices, rates and volatilities are
integers scaled by ``1e8`` (``_e8``); tranche points in basis points.

Events (public to the two parties, the guarantor and the regulator): ``netting_set_opened``,
``trade_recorded``, ``trade_marked``, ``trades_marked`` (many marks of one netting set),
``collateral_changed``, ``guarantee_changed``, ``trade_closed``. Each carries
``netting_set``, so a reader knows exactly which netting sets a block touched.
``trade_closed`` carries what the rating system needs: size, tenor, collateral, guarantee,
margined, defaulted, recovery.

Each event stamps the netting set's ``updated_ms`` with the block time.

State: ``ns/<id>`` -> netting set; ``tr/<id>`` -> trade; ``open/<netting set>/<trade id>`` ->
1 while the trade is open; ``mk/<netting set>`` -> ``{trade id: mtm}``, marks set in bulk
(:meth:`Trades.mark_many`). A trade's current mark is its entry in ``mk/<netting set>`` when
there is one, else its record's ``mtm`` (``mark`` and ``close_trade`` fold the entry back).
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger.abi import CONTRACT, Context, Contract, method

NAME = "trades"
ASSET_CLASSES = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY")
INSTRUMENTS = ("LINEAR", "OPTION", "TRANCHE")
OUTCOMES = ("matured", "terminated", "defaulted")

#: Optional netting-set terms and their defaults (minor units unless stated).
NETTING_SET_TERMS: dict[str, Any] = {
    "margined": False,
    "variation_margin": 0,  # net VM held by party_a: + received from party_b, - posted
    "im_received": 0,  # IM party_a received from party_b
    "im_posted": 0,  # IM party_a posted to party_b (unsegregated)
    "im_posted_segregated": 0,
    "threshold": 0,
    "mta": 0,
    "mpor_days": 10,
    "cleared": False,
    "guarantor": "",  # third-party guarantor of party_b's obligations (seed 003)
    "guarantee_amount": 0,
}

#: Optional trade terms and their defaults.
TRADE_TERMS: dict[str, Any] = {
    "instrument": "LINEAR",
    "mtm": 0,
    "start_ms": 0,
    "end_ms": 0,
    "exercise_ms": 0,
    "currency_pair": "",
    "reference": "",
    "subclass": "",
    "basis": "",
    "volatility": False,
    "option_type": "",
    "underlying_price_e8": 0,
    "strike_e8": 0,
    "lambda_e8": 0,
    "attachment_bps": 0,
    "detachment_bps": 0,
    "collateral": 0,
}


def _with_defaults(ctx: Context, terms: dict[str, Any], defaults: dict[str, Any], what: str):
    unknown = set(terms) - set(defaults)
    ctx.require(not unknown, f"{what}: unknown term(s) {sorted(unknown)}")
    merged = dict(defaults)
    for key, value in terms.items():
        ctx.require(
            type(value) is type(defaults[key]),
            f"{what}: term {key!r} must be {type(defaults[key]).__name__}, got {value!r}",
        )
        merged[key] = value
    return merged


class Trades(Contract):
    """Register of netting sets and trades, written by exposure-creating contracts."""

    name = NAME

    @method(CONTRACT)
    def open_netting_set(
        self,
        ctx: Context,
        netting_set: str,
        party_a: str,
        party_b: str,
        currency: str,
        terms: dict[str, Any] | None = None,
    ) -> None:
        """Open netting set ``netting_set`` between two registered participants."""
        ctx.require(not ctx.has(f"ns/{netting_set}"), f"netting set {netting_set!r} exists")
        ctx.require(party_a != party_b, "a netting set needs two different parties")
        for party in (party_a, party_b):
            ctx.require(ctx.read("identity", f"p/{party}") is not None, f"no participant {party!r}")
        record = _with_defaults(ctx, terms or {}, NETTING_SET_TERMS, netting_set)
        ctx.require(record["mpor_days"] > 0, "mpor_days must be positive")
        record.update(
            id=netting_set,
            party_a=party_a,
            party_b=party_b,
            currency=currency,
            owner=ctx.caller.removeprefix("contract:"),
        )
        ctx.put(f"ns/{netting_set}", record)
        self._emit(ctx, "netting_set_opened", record, netting_set=netting_set)

    @method(CONTRACT)
    def record_trade(
        self,
        ctx: Context,
        trade_id: str,
        netting_set: str,
        asset_class: str,
        position: str,
        notional: int,
        maturity_ms: int,
        currency: str = "",
        terms: dict[str, Any] | None = None,
    ) -> None:
        """Record an open trade (figures from ``party_a``'s side)."""
        ns = self._netting_set(ctx, netting_set)
        ctx.require(not ctx.has(f"tr/{trade_id}"), f"trade {trade_id!r} exists")
        ctx.require(asset_class in ASSET_CLASSES, f"unknown asset class {asset_class!r}")
        ctx.require(position in ("LONG", "SHORT"), f"position must be LONG or SHORT: {position!r}")
        ctx.require(notional >= 0, f"notional must be non-negative, got {notional}")
        ctx.require(maturity_ms > ctx.time_ms, "maturity must be after the block time")
        record = _with_defaults(ctx, terms or {}, TRADE_TERMS, trade_id)
        ctx.require(
            record["instrument"] in INSTRUMENTS, f"unknown instrument {record['instrument']!r}"
        )
        record.update(
            id=trade_id,
            netting_set=netting_set,
            asset_class=asset_class,
            position=position,
            notional=notional,
            maturity_ms=maturity_ms,
            currency=currency or ns["currency"],
            opened_ms=ctx.time_ms,
            status="open",
        )
        ctx.put(f"tr/{trade_id}", record)
        ctx.put(f"open/{netting_set}/{trade_id}", 1)
        self._emit(
            ctx,
            "trade_recorded",
            ns,
            netting_set=netting_set,
            trade_id=trade_id,
            notional=notional,
            asset_class=asset_class,
        )

    @method(CONTRACT)
    def mark(self, ctx: Context, trade_id: str, mtm: int) -> None:
        """Set an open trade's market value (minor units, ``party_a``'s side)."""
        trade = self._open_trade(ctx, trade_id)
        trade["mtm"] = mtm
        ctx.put(f"tr/{trade_id}", trade)
        self._unmap(ctx, trade)
        ns = self._netting_set(ctx, trade["netting_set"])
        self._emit(
            ctx, "trade_marked", ns, netting_set=trade["netting_set"], trade_id=trade_id, mtm=mtm
        )

    @method(CONTRACT)
    def mark_many(self, ctx: Context, marks: list[list[Any]], netting_set: str = "") -> None:
        """Set many open trades' market values at once (``[[trade_id, mtm], ...]``, minor
        units, ``party_a``'s side); one ``trades_marked`` event per netting set. With
        ``netting_set`` named (every trade must be open in it), the marks go to its mark map
        ``mk/<netting set>``: one write however many trades (an oracle valuation of thousands
        of trades in one block); without, each trade's record is updated."""
        by_ns: dict[str, list[list[Any]]] = {}
        for entry in marks:
            ctx.require(
                len(entry) == 2 and type(entry[0]) is str and type(entry[1]) is int,
                f"mark_many: each mark is [trade_id, mtm], got {entry!r}",
            )
            if netting_set:
                ctx.require(
                    ctx.has(f"open/{netting_set}/{entry[0]}"),
                    f"no open trade {entry[0]!r} in netting set {netting_set!r}",
                )
                by_ns.setdefault(netting_set, []).append(entry)
            else:  # each trade's record is read anyway: its mtm is written there
                trade = self._open_trade(ctx, entry[0])
                trade["mtm"] = entry[1]
                ctx.put(f"tr/{entry[0]}", trade)
                self._unmap(ctx, trade)
                by_ns.setdefault(trade["netting_set"], []).append(entry)
        for ns_id, group in by_ns.items():
            ns = self._netting_set(ctx, ns_id)
            if netting_set:
                book = ctx.get(f"mk/{ns_id}", {})
                book.update(dict(group))
                ctx.put(f"mk/{ns_id}", book)
            self._emit(ctx, "trades_marked", ns, netting_set=ns_id, marks=group)

    @method(CONTRACT)
    def set_guarantee(
        self, ctx: Context, netting_set: str, guarantor: str, guarantee_amount: int
    ) -> None:
        """Record the third-party guarantee of ``party_b``'s obligations on a netting set
        (``guarantor`` participant id, ``""`` for none; ``guarantee_amount`` minor units)."""
        ns = self._netting_set(ctx, netting_set)
        ctx.require(guarantee_amount >= 0, "guarantee_amount must be non-negative")
        ctx.require(
            not guarantor or ctx.read("identity", f"p/{guarantor}") is not None,
            f"no participant {guarantor!r}",
        )
        ns.update(guarantor=guarantor, guarantee_amount=guarantee_amount)
        self._emit(
            ctx,
            "guarantee_changed",
            ns,
            netting_set=netting_set,
            guarantor=guarantor,
            guarantee_amount=guarantee_amount,
        )

    @method(CONTRACT)
    def set_collateral(self, ctx: Context, netting_set: str, terms: dict[str, Any]) -> None:
        """Update collateral figures of a netting set (variation_margin, im_received, ...)."""
        ns = self._netting_set(ctx, netting_set)
        allowed = {"variation_margin", "im_received", "im_posted", "im_posted_segregated"}
        ctx.require(set(terms) <= allowed, f"only {sorted(allowed)} can change")
        ns.update(_with_defaults(ctx, terms, {k: 0 for k in allowed}, netting_set) | terms)
        ctx.put(f"ns/{netting_set}", ns)
        self._emit(ctx, "collateral_changed", ns, netting_set=netting_set, **terms)

    @method(CONTRACT)
    def close_trade(
        self, ctx: Context, trade_id: str, outcome: str, recovery_bps: int = 10_000
    ) -> None:
        """Close a trade: ``matured``, ``terminated`` or ``defaulted`` (by ``party_b``, with
        ``recovery_bps`` of the amount due recovered)."""
        ctx.require(outcome in OUTCOMES, f"outcome must be one of {OUTCOMES}: {outcome!r}")
        ctx.require(0 <= recovery_bps <= 10_000, "recovery_bps must be in [0, 10000]")
        trade = self._open_trade(ctx, trade_id)
        trade["mtm"] = self._unmap(ctx, trade)
        trade.update(status=outcome, closed_ms=ctx.time_ms, recovery_bps=recovery_bps)
        ctx.put(f"tr/{trade_id}", trade)
        ctx.delete(f"open/{trade['netting_set']}/{trade_id}")
        ns = self._netting_set(ctx, trade["netting_set"])
        self._emit(
            ctx,
            "trade_closed",
            ns,
            netting_set=trade["netting_set"],
            trade_id=trade_id,
            party=ns["party_a"],
            counterparty=ns["party_b"],
            notional=trade["notional"],
            tenor_ms=ctx.time_ms - trade["opened_ms"],
            collateral=trade["collateral"],
            guarantee=ns["guarantee_amount"],
            margined=ns["margined"],
            defaulted=outcome == "defaulted",
            recovery_bps=recovery_bps,
        )

    # -- helpers
    @staticmethod
    def _unmap(ctx: Context, trade: dict[str, Any]) -> int:
        """Remove ``trade`` from its netting set's mark map; its current mark."""
        key = f"mk/{trade['netting_set']}"
        book = ctx.get(key)
        if book is None or trade["id"] not in book:
            return trade["mtm"]
        mtm = book.pop(trade["id"])
        if book:
            ctx.put(key, book)
        else:
            ctx.delete(key)
        return mtm

    @staticmethod
    def _netting_set(ctx: Context, netting_set: str) -> dict[str, Any]:
        ns = ctx.get(f"ns/{netting_set}")
        ctx.require(ns is not None, f"no netting set {netting_set!r}")
        owner = ctx.caller.removeprefix("contract:")
        ctx.require(ns["owner"] == owner, f"netting set {netting_set!r} belongs to {ns['owner']!r}")
        return ns

    @staticmethod
    def _open_trade(ctx: Context, trade_id: str) -> dict[str, Any]:
        trade = ctx.get(f"tr/{trade_id}")
        ctx.require(trade is not None, f"no trade {trade_id!r}")
        ctx.require(trade["status"] == "open", f"trade {trade_id!r} is {trade['status']}")
        return trade

    @staticmethod
    def _emit(ctx: Context, name: str, ns: dict[str, Any], **data: Any) -> None:
        """Emit ``name`` and stamp the netting set's ``updated_ms``: its risk is measured as
        of its last event, so a replay at any height reproduces it exactly."""
        ns["updated_ms"] = ctx.time_ms
        ctx.put(f"ns/{ns['id']}", ns)
        viewers = tuple(p for p in (ns["party_a"], ns["party_b"], ns["guarantor"]) if p)
        ctx.emit(name, visible_to=viewers, **data)

"""``guarantee``: third-party guarantors' credit lines for OTC clients (seed 003).

Seed 003 brings in institutions able to value, manage and dispose of physical assets as
third-party guarantors: they grant clients credit lines, the line's usage is on the ledger
and "smart contracts complete the operations automatically".

* :meth:`Guarantee.grant`: a guarantor grants ``client`` a line: ``limit`` (minor units,
  locked from the guarantor's free balance into an escrow the contract owns, so a call is
  paid without anyone's signature), a ``fee_bps`` charged on each reservation, the eligible
  product templates and an expiry.
* :meth:`Guarantee.reserve` (called by ``derivative`` when a trade exceeds the dealer's own
  credit limit for the client): the excess is reserved on the line and the fee is paid by the
  client, who signed the acceptance. :meth:`Guarantee.release` frees it when the trade closes.
* :meth:`Guarantee.call` (``derivative``, on the client's default): pays the dealer the
  unrecovered close-out amount, up to what the line holds.
* :meth:`Guarantee.register_collateral` / :meth:`Guarantee.revalue_collateral`: the
  physical assets the client pledged to the guarantor, with a valuation and a haircut; the
  line's ``collateral_value`` is ``sum(valuation x (1 - haircut))``, the guarantor's recourse
  after a call.

The ``derivative`` contract records the guarantor and the reserved amount on the netting set
(``guarantor``, ``guarantee_amount`` terms of the ``trades`` register), which is where the
expected-loss service substitutes the guarantee.

Lifecycle :data:`LINE`. State: ``line/<id>`` (the escrow is token lock ``gl/<id>``).
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts.derivatives.templates import TEMPLATES
from glassledger.contracts.derivatives.terms import BPS, mul_div
from glassledger.ledger.abi import CONTRACT, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "guarantee"
DERIVATIVE = "contract:derivative"

LINE = Lifecycle.of(
    "guarantee_line",
    initial="active",
    rows=[
        ("active", "reserve", "active"),
        ("active", "release", "active"),
        ("active", "call", "called"),
        ("called", "release", "called"),
        ("called", "call", "called"),
        ("active", "close", "closed"),
        ("called", "close", "closed"),
    ],
)


def escrow_id(line_id: str) -> str:
    return f"gl/{line_id}"


class Guarantee(Contract):
    """Credit lines of third-party guarantors; see the module docstring."""

    name = NAME

    @method("guarantor")
    def grant(
        self,
        ctx: Context,
        line_id: str,
        client: str,
        limit: int,
        fee_bps: int,
        products: list[str],
        expiry_ms: int,
        currency: str = "USD",
    ) -> None:
        """Grant ``client`` a line of ``limit`` minor units of ``currency`` (escrowed from
        the signer now) for ``products`` (template names) until ``expiry_ms``."""
        ctx.require(0 < len(line_id) <= 48 and "/" not in line_id, f"bad line id {line_id!r}")
        ctx.require(not ctx.has(f"line/{line_id}"), f"line {line_id!r} exists")
        ctx.require(limit > 0, "a line's limit is positive")
        ctx.require(0 <= fee_bps <= BPS, "fee_bps must be in [0, 10000]")
        ctx.require(expiry_ms > ctx.time_ms, "the line expires before it starts")
        unknown = set(products) - set(TEMPLATES)
        ctx.require(bool(products) and not unknown, f"unknown products {sorted(unknown)}")
        record = ctx.read("identity", f"p/{client}")
        ctx.require(record is not None and record["active"], f"no active participant {client!r}")
        ctx.require(client != ctx.origin, "a guarantor cannot guarantee itself")
        settle(
            ctx,
            [Instruction(currency, ctx.origin, ctx.origin, limit, to_lock=escrow_id(line_id))],
            reference=f"guarantee/{line_id}/grant",
        )
        line = {
            "id": line_id,
            "state": LINE.initial,
            "guarantor": ctx.origin,
            "client": client,
            "currency": currency,
            "limit": limit,
            "fee_bps": fee_bps,
            "products": sorted(set(products)),
            "expiry_ms": expiry_ms,
            "reserved": 0,
            "reservations": {},
            "paid": 0,
            "collateral": {},
        }
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx,
            line,
            "line_granted",
            limit=limit,
            fee_bps=fee_bps,
            products=line["products"],
            expiry_ms=expiry_ms,
        )

    @method(CONTRACT)
    def reserve(
        self,
        ctx: Context,
        line_id: str,
        trade_id: str,
        client: str,
        template_name: str,
        amount: int,
    ) -> None:
        """Reserve ``amount`` of the line for ``trade_id`` (only ``derivative`` calls); the
        client (the signer) pays the fee ``amount x fee_bps``."""
        line = self._line(ctx, line_id)
        ctx.require(ctx.caller == DERIVATIVE, "only the derivative contract reserves")
        ctx.require(line["client"] == client, f"line {line_id} guarantees {line['client']}")
        ctx.require(ctx.time_ms < line["expiry_ms"], f"line {line_id} has expired")
        ctx.require(
            template_name in line["products"], f"line {line_id} does not cover {template_name}"
        )
        available = line["limit"] - line["paid"] - line["reserved"]
        ctx.require(
            amount <= available,
            f"trade beyond credit limit: line {line_id} has {available} available, {amount} needed",
        )
        LINE.fire(line, "reserve")
        line["reserved"] += amount
        line["reservations"][trade_id] = amount
        fee = mul_div(amount, line["fee_bps"], BPS)
        if fee:
            settle(
                ctx,
                [Instruction(line["currency"], client, line["guarantor"], fee)],
                reference=f"guarantee/{line_id}/fee/{trade_id}",
            )
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx,
            line,
            "reserved",
            trade_id=trade_id,
            amount=amount,
            fee=fee,
            reserved=line["reserved"],
        )

    @method(CONTRACT)
    def release(self, ctx: Context, line_id: str, trade_id: str) -> None:
        """Release ``trade_id``'s reservation (the trade closed)."""
        line = self._line(ctx, line_id)
        ctx.require(ctx.caller == DERIVATIVE, "only the derivative contract releases")
        amount = line["reservations"].pop(trade_id, 0)
        LINE.fire(line, "release")
        line["reserved"] -= amount
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx, line, "released", trade_id=trade_id, amount=amount, reserved=line["reserved"]
        )

    @method(CONTRACT)
    def call(
        self, ctx: Context, line_id: str, beneficiary: str, amount: int, reference: str
    ) -> int:
        """Pay ``beneficiary`` up to ``amount`` out of the line's escrow (the client
        defaulted); returns what was paid (minor units)."""
        line = self._line(ctx, line_id)
        ctx.require(ctx.caller == DERIVATIVE, "only the derivative contract calls a line")
        held = ctx.read("token", f"l/{escrow_id(line_id)}")
        paid = min(amount, 0 if held is None else held["amount"])
        LINE.fire(line, "call")
        if paid:
            settle(
                ctx,
                [
                    Instruction(
                        line["currency"],
                        line["guarantor"],
                        beneficiary,
                        paid,
                        from_lock=escrow_id(line_id),
                    )
                ],
                reference=f"guarantee/{line_id}/call/{reference}",
            )
        line["paid"] += paid
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx,
            line,
            "called",
            beneficiary=beneficiary,
            amount=paid,
            asked=amount,
            reference=reference,
            recourse_collateral=self._collateral_value(line),
        )
        return paid

    @method("guarantor")
    def close(self, ctx: Context, line_id: str) -> None:
        """Close a line with nothing reserved; the rest of the escrow returns to the
        guarantor."""
        line = self._own(ctx, line_id)
        ctx.require(line["reserved"] == 0, f"line {line_id} still has {line['reserved']} reserved")
        LINE.fire(line, "close")
        held = ctx.read("token", f"l/{escrow_id(line_id)}")
        if held is not None and held["amount"]:
            settle(
                ctx,
                [
                    Instruction(
                        line["currency"],
                        line["guarantor"],
                        line["guarantor"],
                        held["amount"],
                        from_lock=escrow_id(line_id),
                    )
                ],
                reference=f"guarantee/{line_id}/close",
            )
        ctx.put(f"line/{line_id}", line)
        self._emit(ctx, line, "line_closed")

    @method("guarantor")
    def register_collateral(
        self,
        ctx: Context,
        line_id: str,
        asset_id: str,
        description: str,
        valuation: int,
        haircut_bps: int,
    ) -> None:
        """Register a physical asset the client pledged for the line: ``valuation`` in minor
        units, ``haircut_bps`` taken off it."""
        line = self._own(ctx, line_id)
        ctx.require(asset_id not in line["collateral"], f"asset {asset_id!r} is registered")
        ctx.require(valuation > 0, "a valuation is positive")
        ctx.require(0 <= haircut_bps < BPS, "haircut_bps must be in [0, 10000)")
        line["collateral"][asset_id] = {
            "description": description,
            "valuation": valuation,
            "haircut_bps": haircut_bps,
            "valued_ms": ctx.time_ms,
        }
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx,
            line,
            "collateral_registered",
            asset_id=asset_id,
            description=description,
            valuation=valuation,
            haircut_bps=haircut_bps,
            collateral_value=self._collateral_value(line),
        )

    @method("guarantor")
    def revalue_collateral(self, ctx: Context, line_id: str, asset_id: str, valuation: int) -> None:
        """A new valuation (minor units) of a registered asset."""
        line = self._own(ctx, line_id)
        asset = line["collateral"].get(asset_id)
        ctx.require(asset is not None, f"no asset {asset_id!r} on line {line_id}")
        ctx.require(valuation > 0, "a valuation is positive")
        asset.update(valuation=valuation, valued_ms=ctx.time_ms)
        ctx.put(f"line/{line_id}", line)
        self._emit(
            ctx,
            line,
            "collateral_revalued",
            asset_id=asset_id,
            valuation=valuation,
            collateral_value=self._collateral_value(line),
        )

    # -- helpers
    @staticmethod
    def _collateral_value(line: dict[str, Any]) -> int:
        """Sum of the pledged assets' valuations after haircuts (minor units)."""
        return sum(
            mul_div(a["valuation"], BPS - a["haircut_bps"], BPS)
            for a in line["collateral"].values()
        )

    @staticmethod
    def _line(ctx: Context, line_id: str) -> dict[str, Any]:
        line = ctx.get(f"line/{line_id}")
        ctx.require(line is not None, f"no guarantee line {line_id!r}")
        return line

    def _own(self, ctx: Context, line_id: str) -> dict[str, Any]:
        line = self._line(ctx, line_id)
        ctx.require(line["guarantor"] == ctx.origin, f"line {line_id} is {line['guarantor']}'s")
        return line

    @staticmethod
    def _emit(ctx: Context, line: dict[str, Any], name: str, **data: Any) -> None:
        ctx.emit(name, visible_to=(line["guarantor"], line["client"]), line_id=line["id"], **data)

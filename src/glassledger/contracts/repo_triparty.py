"""The tri-party variant of ``repo``: an agent allocates eligible collateral from a schedule.

A **tri-party agent** (a participant with role ``settlement_bank``) publishes collateral
schedules (:meth:`TripartyMethods.set_schedule`): the collateral classes it accepts, in its
order of preference, and a concentration limit (the most any one issue may cover, after
haircut, of a repo's cash, in basis points). A seller keeps securities in its **tri-party account**
(:meth:`TripartyMethods.deposit` / :meth:`TripartyMethods.withdraw`): escrow locks
``repo/tp/<seller>/<symbol>`` owned by the repo contract, mirrored in ``box/<seller>``.

A repo proposed with ``schedule`` gets its collateral chosen by :func:`allocate` when the buyer
accepts: the seller's holdings, ordered by the schedule's class order then by symbol, each
taken up to the concentration limit, until the collateral after haircut covers the cash.
Collateral and cash then settle in one batch (from the account's locks into the repo's). When
the daily mark shows a deficit, the agent first tops the repo up from the same account
(event ``allocated``); only if the account cannot cover it is a margin call issued.

State: ``sched/<id>`` -> ``{"agent", "classes": [class names], "concentration_bps"}``;
``box/<seller>`` -> ``{symbol: amount}``.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import repo_book as rb
from glassledger.contracts.repo_book import price_e8
from glassledger.contracts.treasury_math import DAY_MS
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, method
from glassledger.ledger.abi.settlement import Instruction, settle

PREFIX = "repo"


def box_lock(seller: str, symbol: str) -> str:
    return f"{PREFIX}/tp/{seller}/{symbol}"


def allocate(ctx: Context, record: dict[str, Any], seller: str, need: int) -> dict[str, int]:
    """The collateral the agent allocates from ``seller``'s tri-party account to cover
    ``need`` (minor units, after haircut) under ``record``'s schedule: ``{symbol: amount}``.
    :class:`ContractError` when the account cannot cover it."""
    schedule = ctx.get(f"sched/{record['schedule']}")
    box = ctx.get(f"box/{seller}", {})
    until = record["maturity_day"] or ctx.time_ms // DAY_MS + record["term_days"]
    cap = record["cash"] * schedule["concentration_bps"] // rb.BPS  # per issue, after haircut
    ranked = []
    for symbol, held in box.items():
        cls = ctx.get(f"elig/{symbol}")
        if cls not in schedule["classes"] or held <= 0:
            continue
        sec = ctx.read("treasury", f"s/{symbol}")
        if sec is not None and sec["maturity_day"] <= until:
            continue
        ranked.append((schedule["classes"].index(cls), symbol, held, cls))
    chosen: dict[str, int] = {}
    remaining = need
    for _, symbol, held, cls in sorted(ranked):
        if remaining <= 0:
            break
        haircut = ctx.get(f"class/{cls}")["haircut_bps"]
        price = price_e8(ctx, symbol, record["cash_symbol"])
        terms = ({symbol: price}, {symbol: haircut})
        existing = record["collateral"].get(symbol, 0)
        room = cap - (rb.collateral_value([(symbol, existing)], *terms)[1] if existing else 0)
        if room <= 0:
            continue
        per_unit = price * (rb.BPS - haircut)  # value after haircut of one unit, x 1e14
        if remaining <= room:  # enough room: cover the rest (rounded up)
            amount = -(-remaining * 10**14 // per_unit) + 1
        else:  # up to the concentration limit (rounded down)
            amount = room * 10**14 // per_unit
        amount = min(amount, held)
        adjusted = rb.collateral_value([(symbol, amount)], *terms)[1] if amount > 0 else 0
        if adjusted <= 0:
            continue
        chosen[symbol] = amount
        remaining -= adjusted
    if remaining > 0:
        raise ContractError(
            f"tri-party account of {seller} cannot cover {need} under schedule "
            f"{record['schedule']!r}: short by {remaining} after haircut"
        )
    return chosen


class TripartyMethods:
    """Tri-party schedule and account methods of the ``repo`` contract."""

    @method("settlement_bank")
    def set_schedule(
        self, ctx: Context, schedule: str, classes: list[str], concentration_bps: int = 10_000
    ) -> None:
        """Publish (or change) tri-party schedule ``schedule``: accepted collateral
        ``classes`` in order of preference and the concentration limit per issue (bps of the
        cash secured; 10,000 = none)."""
        ctx.require(
            0 < len(schedule) <= 32 and "/" not in schedule, f"bad schedule id {schedule!r}"
        )
        existing = ctx.get(f"sched/{schedule}")
        ctx.require(
            existing is None or existing["agent"] == ctx.caller,
            f"schedule {schedule} belongs to {existing and existing['agent']}",
        )
        ctx.require(bool(classes), "a schedule accepts at least one collateral class")
        for name in classes:
            ctx.require(ctx.has(f"class/{name}"), f"no collateral class {name!r}")
        ctx.require(0 < concentration_bps <= rb.BPS, "concentration_bps must be in (0, 10000]")
        record = {
            "agent": ctx.caller,
            "classes": list(classes),
            "concentration_bps": concentration_bps,
        }
        ctx.put(f"sched/{schedule}", record)
        ctx.emit("schedule_set", schedule=schedule, **record)

    @method(ANY)
    def deposit(self, ctx: Context, symbol: str, amount: int) -> None:
        """Move ``amount`` of listed ``symbol`` into the caller's tri-party account."""
        ctx.require(
            ctx.has(f"elig/{symbol}"), f"ineligible collateral: {symbol} is not listed for repo"
        )
        have = ctx.read("token", f"b/{symbol}/{ctx.caller}", 0)
        ctx.require(
            0 < amount <= have,
            f"insufficient balance: {ctx.caller} holds {have} {symbol}, needs {amount}",
        )
        leg = Instruction(
            symbol, ctx.caller, ctx.caller, amount, to_lock=box_lock(ctx.caller, symbol)
        )
        settle(ctx, [leg], reference=f"repo/tp/{ctx.caller}/deposit")
        box = ctx.get(f"box/{ctx.caller}", {})
        box[symbol] = box.get(symbol, 0) + amount
        ctx.put(f"box/{ctx.caller}", box)
        ctx.emit("deposited", visible_to=(ctx.caller,), symbol=symbol, amount=amount)

    @method(ANY)
    def withdraw(self, ctx: Context, symbol: str, amount: int) -> None:
        """Take ``amount`` of unallocated ``symbol`` back from the caller's account."""
        box = ctx.get(f"box/{ctx.caller}", {})
        held = box.get(symbol, 0)
        ctx.require(0 < amount <= held, f"tri-party account holds {held} {symbol}")
        leg = Instruction(
            symbol, ctx.caller, ctx.caller, amount, from_lock=box_lock(ctx.caller, symbol)
        )
        settle(ctx, [leg], reference=f"repo/tp/{ctx.caller}/withdraw")
        box[symbol] = held - amount
        self._save_box(ctx, ctx.caller, box)
        ctx.emit("withdrawn", visible_to=(ctx.caller,), symbol=symbol, amount=amount)

    # -- used by the repo contract
    def _box_legs(self, seller: str, repo_id: str, chosen: dict[str, int]) -> list[Instruction]:
        """Legs moving ``chosen`` from the seller's account into the repo's locks (the
        account record is updated by the caller through :meth:`_take_from_box`)."""
        return [
            Instruction(
                s,
                seller,
                seller,
                a,
                from_lock=box_lock(seller, s),
                to_lock=rb.collateral_lock(repo_id, s),
            )
            for s, a in sorted(chosen.items())
        ]

    def _take_from_box(self, ctx: Context, seller: str, chosen: dict[str, int]) -> None:
        box = ctx.get(f"box/{seller}", {})
        for symbol, amount in chosen.items():
            box[symbol] -= amount
        self._save_box(ctx, seller, box)

    def _triparty_top_up(self, ctx: Context, record: dict[str, Any], deficit: int) -> bool:
        """Cover ``deficit`` from the seller's account; False if it cannot."""
        try:
            chosen = allocate(ctx, record, record["seller"], deficit)
        except ContractError:
            return False
        settle(
            ctx,
            self._box_legs(record["seller"], record["id"], chosen),
            reference=f"repo/{record['id']}/allocate",
        )
        self._take_from_box(ctx, record["seller"], chosen)
        self._index_remove(ctx, record)  # type: ignore[attr-defined]
        for symbol, amount in chosen.items():
            record["collateral"][symbol] = record["collateral"].get(symbol, 0) + amount
        ctx.put(f"r/{record['id']}", record)
        self._index_put(ctx, record)  # type: ignore[attr-defined]
        ctx.emit(
            "allocated",
            visible_to=(record["buyer"], record["seller"]),
            repo_id=record["id"],
            collateral=chosen,
            deficit=deficit,
        )
        return True

    @staticmethod
    def _save_box(ctx: Context, seller: str, box: dict[str, int]) -> None:
        box = {s: a for s, a in box.items() if a}
        if box:
            ctx.put(f"box/{seller}", box)
        else:
            ctx.delete(f"box/{seller}")

"""Two-level netting of the basket coin's flows (seed 004 II.(2)) and T+0 for users (seed 002).

Mixed into :class:`glassledger.contracts.basket.Basket`; the methods below are ``basket``
methods.

**Users and dealers (level 1).** A user buys coins from an authorized dealer, or sells them
back, in the dealer's local currency at the theoretical rate converted at the oracle's FX rate,
plus or minus the dealer's spread (:meth:`NettingMethods.buy`, :meth:`NettingMethods.sell`).
The dealer carries the FX position: it takes local currency and must deliver the basket to
the pool. Each dealer keeps a settlement account at the pool (``acct/<dealer>/<symbol>``: its
coin inventory, local currency and basket currencies, funded with
:meth:`NettingMethods.deposit`). A purchase is filled from the coin inventory at once or, when
it is short, at the window's close; coins sold back go to the inventory and first fill waiting
purchases: the dealer nets its users' purchases and redemptions.

**T+0 for users.** A sale is paid at once (T+0), first from the dealer's local-currency balance
at the pool (its settlement reserve, 备付金) and then from an advance facility (垫资) that a
settlement bank opens for the dealer (:meth:`NettingMethods.open_facility`: a limit, funded up
front, and a rate in basis points a year, actual/365). The advance is repaid from the dealer's
local balance when the window closes; its cost, ``drawn x rate x time``, is charged to the
dealer and recorded (``cost_total``). A sale that neither can fund is refused.

**Dealers and the pool (level 2).** At the close of each window (every ``window_blocks``
blocks, in ``end_block``) each dealer's order is its explicit orders
(:meth:`NettingMethods.order`, creation units: + create, - redeem) plus what its users' net
flow needs: creation units to fill waiting purchases, or, when its users sold more than they
bought, the whole creation units of that excess to redeem. Creators deliver the basket plus
fee from their accounts, redeemers return coins and receive the basket less fees (same rules
as a direct redemption: gates, liquidity fees, NAV). Only the net of all orders is minted or
burned and only the net basket moves the reserve; the gross and net are recorded per window
(``netting``).

State: ``dealer/<id>`` (``{"currency", "spread_bps"}``), ``acct/<dealer>/<symbol>``,
``win/dealers`` (active dealers), ``win/<dealer>`` (``{"bought", "sold", "order",
"pending": [[user, coins], ...]}``), ``fac/<dealer>`` (facility), ``netting`` (totals).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from glassledger.contracts.basket_book import (
    BPS,
    HOLDER,
    Book,
    ceil_div,
    fee_amount,
    fx_rates,
    load_book,
    save_book,
    theoretical_rate,
)
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, method

YEAR_MS = 365 * 86_400_000


class NettingMethods:
    """Dealer accounts, user trades, advance facilities and the netting window."""

    # ------------------------------------------------------------------ dealer accounts

    @method("authorized_dealer")
    def deposit(self, ctx: Context, symbol: str, amount: int) -> None:
        """Move ``amount`` of the dealer's ``symbol`` into its settlement account."""
        self._dealer(ctx, ctx.caller)
        ctx.call("token", "transfer", symbol=symbol, to=HOLDER, amount=amount)
        _credit(ctx, ctx.caller, symbol, amount)

    @method("authorized_dealer")
    def withdraw(self, ctx: Context, symbol: str, amount: int) -> None:
        """Take ``amount`` of ``symbol`` out of the dealer's settlement account."""
        self._dealer(ctx, ctx.caller)
        ctx.require(amount > 0, "amount must be positive")
        _credit(ctx, ctx.caller, symbol, -amount)
        ctx.call("token", "pay", symbol=symbol, to=ctx.caller, amount=amount)

    @method("authorized_dealer")
    def set_spread(self, ctx: Context, spread_bps: int) -> None:
        """The dealer's spread over the theoretical rate on user trades, basis points."""
        record = self._dealer(ctx, ctx.caller)
        ctx.require(0 <= spread_bps < BPS, f"spread must be in [0, 10000) bps, got {spread_bps}")
        record["spread_bps"] = spread_bps
        ctx.put(f"dealer/{ctx.caller}", record)

    @method("authorized_dealer")
    def order(self, ctx: Context, units: int) -> None:
        """Queue a pool order for this window: ``units`` creation units to create (> 0) or
        redeem (< 0), settled net of every other dealer's at the window's close."""
        self._dealer(ctx, ctx.caller)
        ctx.require(units != 0, "an order of zero units")
        window = _window(ctx, ctx.caller)
        window["order"] += units
        _save_window(ctx, ctx.caller, window)
        ctx.emit("order_queued", dealer=ctx.caller, units=units)

    # ------------------------------------------------------------------ users

    @method(ANY)
    def buy(self, ctx: Context, dealer: str, coins: int) -> None:
        """Buy ``coins`` (coin minor units) from ``dealer``, paying its local currency at the
        theoretical rate plus its spread (rounded up); filled from its inventory at once or
        at the window's close."""
        record = self._dealer(ctx, dealer)
        ctx.require(coins > 0, "coins must be positive")
        ctx.require(ctx.caller != dealer, "a dealer does not trade with itself")
        price = _local_price(ctx, record["currency"], coins)
        cost = math.ceil(price * (BPS + record["spread_bps"]) / BPS)
        ctx.require(cost > 0, "order too small to price")
        ctx.call("token", "transfer", symbol=record["currency"], to=HOLDER, amount=cost)
        _credit(ctx, dealer, record["currency"], cost)
        window = _window(ctx, dealer)
        window["bought"] += coins
        window["pending"].append([ctx.caller, coins])
        self._fill_pending(ctx, dealer, window)
        _save_window(ctx, dealer, window)
        ctx.emit("bought", user=ctx.caller, dealer=dealer, coins=coins, paid=cost)

    @method(ANY)
    def sell(self, ctx: Context, dealer: str, coins: int) -> None:
        """Sell ``coins`` back to ``dealer`` for its local currency at the theoretical rate less
        its spread (rounded down), paid at once from its settlement reserve and, beyond it, its
        advance facility."""
        record = self._dealer(ctx, dealer)
        ctx.require(coins > 0, "coins must be positive")
        ctx.require(ctx.caller != dealer, "a dealer does not trade with itself")
        config = ctx.get("config")
        local = record["currency"]
        price = _local_price(ctx, local, coins)
        proceeds = math.floor(price * (BPS - record["spread_bps"]) / BPS)
        ctx.require(proceeds > 0, "order too small to price")
        ctx.call("token", "transfer", symbol=config["coin"], to=HOLDER, amount=coins)
        _credit(ctx, dealer, config["coin"], coins)
        reserve = min(_balance(ctx, dealer, local), proceeds)
        advanced = proceeds - reserve
        if reserve:
            _credit(ctx, dealer, local, -reserve)
        if advanced:
            self._draw(ctx, dealer, local, advanced)
        ctx.call("token", "pay", symbol=local, to=ctx.caller, amount=proceeds)
        window = _window(ctx, dealer)
        window["sold"] += coins
        self._fill_pending(ctx, dealer, window)
        _save_window(ctx, dealer, window)
        ctx.emit(
            "sold",
            user=ctx.caller,
            dealer=dealer,
            coins=coins,
            paid=proceeds,
            from_reserve=reserve,
            advanced=advanced,
        )

    # ------------------------------------------------------------------ advance facilities

    @method("settlement_bank")
    def open_facility(self, ctx: Context, dealer: str, limit: int, rate_bps: int) -> None:
        """Fund an advance facility of ``limit`` (the dealer's local currency, paid in now) at
        ``rate_bps`` a year for the dealer's T+0 redemptions."""
        record = self._dealer(ctx, dealer)
        ctx.require(not ctx.has(f"fac/{dealer}"), f"{dealer!r} already has a facility")
        ctx.require(limit > 0 and 0 <= rate_bps < BPS, "limit > 0, rate in [0, 10000) bps")
        ctx.call("token", "transfer", symbol=record["currency"], to=HOLDER, amount=limit)
        facility = {
            "bank": ctx.caller,
            "currency": record["currency"],
            "limit": limit,
            "held": limit,
            "drawn": 0,
            "rate_bps": rate_bps,
            "since_ms": ctx.time_ms,
            "cost_due": 0,
            "cost_total": 0,
        }
        ctx.put(f"fac/{dealer}", facility)
        ctx.emit("facility_opened", dealer=dealer, bank=ctx.caller, limit=limit, rate_bps=rate_bps)

    @method("settlement_bank")
    def close_facility(self, ctx: Context, dealer: str) -> None:
        """The bank takes its facility back once nothing is drawn."""
        facility = ctx.get(f"fac/{dealer}")
        ctx.require(facility is not None and facility["bank"] == ctx.caller, "not your facility")
        ctx.require(facility["drawn"] == 0, f"{facility['drawn']} is still advanced")
        ctx.delete(f"fac/{dealer}")
        if facility["held"]:
            ctx.call(
                "token", "pay", symbol=facility["currency"], to=ctx.caller, amount=facility["held"]
            )
        ctx.emit("facility_closed", dealer=dealer, returned=facility["held"])

    # ------------------------------------------------------------------ the window

    def _close_window(self, ctx: Context, config: dict[str, Any]) -> None:
        """Settle every active dealer's order net at the pool (see the module docstring)."""
        dealers = ctx.get("win/dealers") or []
        if not dealers:
            return
        unit = config["unit_coins"]
        book = load_book(ctx.get)
        cash_before = dict(book.cash)
        orders = {}
        for dealer in dealers:
            window = _window(ctx, dealer)
            self._fill_pending(ctx, dealer, window)
            waiting = sum(coins for _, coins in window["pending"])
            units = window["order"] + ceil_div(waiting, unit)
            excess = window["sold"] - window["bought"]
            if not waiting and excess > 0:
                units -= excess // unit
            orders[dealer] = units
            _save_window(ctx, dealer, window)
        settled = {}
        for dealer in dealers:  # creations first: the reserve only ever sees the net
            if orders[dealer] > 0:
                settled[dealer] = self._settle_creation(ctx, book, dealer, orders[dealer])
        for dealer in dealers:
            if orders[dealer] < 0:
                settled[dealer] = -self._settle_redemption(ctx, book, dealer, -orders[dealer])
        net = sum(settled.values())
        if net > 0:
            ctx.call("token", "mint", symbol=config["coin"], to=HOLDER, amount=net * unit)
        elif net < 0:
            ctx.call("token", "burn", symbol=config["coin"], amount=-net * unit)
        save_book(ctx, book)
        for dealer in dealers:
            window = _window(ctx, dealer)
            self._fill_pending(ctx, dealer, window)
            if window["pending"] or self._repay(ctx, dealer):
                _save_window(ctx, dealer, {**window, "bought": 0, "sold": 0, "order": 0})
            else:
                ctx.delete(f"win/{dealer}")
        ctx.put("win/dealers", [d for d in dealers if ctx.has(f"win/{d}")])
        gross = sum(abs(u) for u in settled.values())
        totals = ctx.get("netting") or {"windows": 0, "gross_units": 0, "net_units": 0}
        totals = {
            "windows": totals["windows"] + 1,
            "gross_units": totals["gross_units"] + gross,
            "net_units": totals["net_units"] + abs(net),
        }
        ctx.put("netting", totals)
        ctx.emit(
            "window_closed",
            orders=settled,
            gross_units=gross,
            net_units=net,
            reserve_flow={k: book.cash[k] - cash_before[k] for k in book.currencies},
        )

    def _settle_creation(self, ctx: Context, book: Book, dealer: str, units: int) -> int:
        """Take the basket plus fee from the dealer's account; 0 units if it is short."""
        config = book.config
        due = {
            k: config["unit_amounts"][k] * units
            + fee_amount(config["unit_amounts"][k] * units, config["fee_bps"])
            for k in book.currencies
        }
        short = {
            k: a - _balance(ctx, dealer, k) for k, a in due.items() if a > _balance(ctx, dealer, k)
        }
        if short:
            ctx.emit("order_failed", dealer=dealer, units=units, reason=f"short of {short}")
            return 0
        for k, amount in self._create(ctx, book, units).items():
            _credit(ctx, dealer, k, -amount)
        _credit(ctx, dealer, config["coin"], units * config["unit_coins"])
        return units

    def _settle_redemption(self, ctx: Context, book: Book, dealer: str, units: int) -> int:
        """Return the dealer's coins for the basket less fees; clipped to its inventory; 0
        units when the redemption is refused (gate, NAV, liquidity)."""
        config = book.config
        held = _balance(ctx, dealer, config["coin"]) // config["unit_coins"]
        if held < units:
            ctx.emit("order_clipped", dealer=dealer, units=-units, inventory_units=held)
            units = held
        if units == 0:
            return 0
        try:
            paid = self._redeem_payout(ctx, book, units)
        except ContractError as exc:
            ctx.emit("order_failed", dealer=dealer, units=-units, reason=exc.message)
            return 0
        _credit(ctx, dealer, config["coin"], -units * config["unit_coins"])
        for k, amount in paid.items():
            if amount:
                _credit(ctx, dealer, k, amount)
        return units

    # ------------------------------------------------------------------ helpers

    def _fill_pending(self, ctx: Context, dealer: str, window: dict[str, Any]) -> None:
        """Deliver waiting purchases from the dealer's coin inventory, oldest first. A user
        who cannot receive (suspended) keeps waiting without holding up the others."""
        coin = ctx.get("config")["coin"]
        waiting = []
        for user, coins in window["pending"]:
            give = min(coins, _balance(ctx, dealer, coin))
            if give:
                try:
                    ctx.call("token", "pay", symbol=coin, to=user, amount=give)
                except ContractError:
                    give = 0
                else:
                    _credit(ctx, dealer, coin, -give)
            if give < coins:
                waiting.append([user, coins - give])
        window["pending"] = waiting

    def _draw(self, ctx: Context, dealer: str, currency: str, amount: int) -> None:
        facility = ctx.get(f"fac/{dealer}")
        available = (
            0 if facility is None else min(facility["held"], facility["limit"] - facility["drawn"])
        )
        ctx.require(
            amount <= available,
            f"T+0 capacity of {dealer!r} exhausted: {amount} {currency} needed beyond its "
            f"settlement reserve, {available} available in advance funding",
        )
        _accrue_cost(facility, ctx.time_ms)
        facility["held"] -= amount
        facility["drawn"] += amount
        ctx.put(f"fac/{dealer}", facility)
        ctx.emit("advanced", dealer=dealer, currency=currency, amount=amount)

    def _repay(self, ctx: Context, dealer: str) -> int:
        """Repay the dealer's advance (cost first, then principal) from its local balance;
        returns what is still advanced (the dealer stays in the window list until repaid)."""
        facility = ctx.get(f"fac/{dealer}")
        if facility is None or facility["drawn"] == 0:
            return 0
        _accrue_cost(facility, ctx.time_ms)
        owed = facility["drawn"] + facility["cost_due"]
        paid = min(owed, _balance(ctx, dealer, facility["currency"]))
        if paid == 0:
            ctx.put(f"fac/{dealer}", facility)
            return facility["drawn"]
        _credit(ctx, dealer, facility["currency"], -paid)
        cost = min(paid, facility["cost_due"])
        facility["cost_due"] -= cost
        facility["cost_total"] += cost
        facility["drawn"] -= paid - cost
        facility["held"] += paid
        ctx.put(f"fac/{dealer}", facility)
        ctx.emit("advance_repaid", dealer=dealer, principal=paid - cost, cost=cost)
        return facility["drawn"]

    def _dealer(self, ctx: Context, dealer: str) -> dict[str, Any]:
        ctx.require(ctx.has("config"), "the basket is not set up")
        record = ctx.get(f"dealer/{dealer}")
        ctx.require(record is not None, f"{dealer!r} is not an admitted dealer")
        return record


def _local_price(ctx: Context, local: str, coins: int) -> Fraction:
    """Value of ``coins`` (coin minor units) at the theoretical rate, in minor units of the
    currency ``local`` at the oracle's FX rates (exact)."""
    config = ctx.get("config")
    rates = fx_rates(ctx, sorted({*config["currencies"], local}))
    decimals = ctx.read("token", f"t/{local}")["decimals"]
    usd = theoretical_rate(config, rates) * Fraction(coins, 10 ** config["coin_decimals"])
    return usd * Fraction(10**10, rates[local]) * 10**decimals


def _accrue_cost(facility: dict[str, Any], now_ms: int) -> None:
    """Add the cost of the amount drawn since the last change (actual/365, rounded up)."""
    elapsed = max(now_ms - facility["since_ms"], 0)
    facility["cost_due"] += ceil_div(
        facility["drawn"] * facility["rate_bps"] * elapsed, BPS * YEAR_MS
    )
    facility["since_ms"] = now_ms


def _balance(ctx: Context, dealer: str, symbol: str) -> int:
    return ctx.get(f"acct/{dealer}/{symbol}", 0)


def _credit(ctx: Context, dealer: str, symbol: str, amount: int) -> None:
    """Change a dealer's settlement-account balance; never below zero."""
    balance = _balance(ctx, dealer, symbol) + amount
    ctx.require(
        balance >= 0, f"{dealer!r} holds {balance - amount} {symbol} at the pool, needs {-amount}"
    )
    ctx.put(f"acct/{dealer}/{symbol}", balance)


def _window(ctx: Context, dealer: str) -> dict[str, Any]:
    return ctx.get(f"win/{dealer}") or {"bought": 0, "sold": 0, "order": 0, "pending": []}


def _save_window(ctx: Context, dealer: str, window: dict[str, Any]) -> None:
    ctx.put(f"win/{dealer}", window)
    dealers = ctx.get("win/dealers") or []
    if dealer not in dealers:
        ctx.put("win/dealers", sorted([*dealers, dealer]))

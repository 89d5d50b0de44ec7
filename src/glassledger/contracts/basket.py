"""``basket``: a basket-backed coin issued by an SPV and its reserve, run like a money fund.

Seeds 004 (Zou Chuanwei on Libra basket management) and 002 (Binance Research). See
``docs/basket-contract.md`` for the user guide and :mod:`glassledger.contracts.basket_book`
for the books (units, the balance-sheet identity, adequacy and the three rates).

Roles:

* the **regulator** sets the basket up (:meth:`Basket.setup`, after creating the coin token
  with issuer ``contract:basket``), admits authorized dealers, and recomposes the basket at a
  future height (seed 004's last resort after an attack);
* the **manager** (named at setup) runs the reserve: capital, investments checked against the
  reserve rule set chosen at setup, liquidity fees and gates
  (:mod:`glassledger.contracts.basket_reserve`);
* the **custodian** (a settlement bank, named at setup) holds the reserve's cash and pays the
  interest it accrues;
* **authorized dealers** (role ``authorized_dealer``) create and redeem coins with the pool
  against the basket (:meth:`Basket.mint`, :meth:`Basket.redeem` settle at once; orders and
  their users' trades are netted per window, :mod:`glassledger.contracts.basket_netting`) and
  swap currencies with the pool to bring it back to its target amounts
  (:meth:`Basket.rebalance`).

Custody: every token of the pool and of the dealers' settlement accounts is held by the
holder ``contract:basket``; the contract's state says whose it is (``cash/<CCY>`` the
reserve, ``acct/<dealer>/<symbol>`` dealers, ``fac/<dealer>`` advance facilities). Securities
are bought with reserve cash held at the custodian: the principal stays in ``cash/<CCY>`` and
is earmarked by the ``sec/<id>`` record until it matures.

Time: days are ``block time // 86_400_000`` (days since the Unix epoch); interest accrues in
``begin_block`` on the first block of each day from oracle rates (kind ``rate``, keys
``<CCY>.DEPOSIT`` for deposits and each security's ``rate_key`` such as ``USD.BILL``, scale 4 =
basis points); securities mature and floating ones reset in the same hook.

State (besides the books of :func:`~glassledger.contracts.basket_book.load_book`): ``config``,
``dealer/<id>``, ``gate`` (``{"from_day", "until_day"}``), ``gate_history`` (gated
[first, until) day ranges within the rule set's window), ``liquidity_fee_bps``, ``day_flow``,
``recompose`` (pending), ``accrual_day``, ``sec_count``.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts.basket_book import (
    BPS,
    HOLDER,
    NAME,
    Book,
    adequacy,
    fee_amount,
    fx_rates,
    load_book,
    rebalance_targets,
    save_book,
    today,
    value_e18,
)
from glassledger.contracts.basket_netting import NettingMethods
from glassledger.contracts.basket_reserve import RULE_SETS, ReserveMethods, rules_of
from glassledger.errors import ContractError
from glassledger.ledger.abi import Context, Contract, method


class Basket(ReserveMethods, NettingMethods, Contract):
    """The basket coin: issuer books, direct and netted creation/redemption, reserve rules."""

    name = NAME
    accepts_tokens = True

    # ------------------------------------------------------------------ setup (regulator)

    @method("regulator")
    def setup(
        self,
        ctx: Context,
        coin: str,
        unit_coins: int,
        unit_amounts: dict[str, int],
        manager: str,
        custodian: str,
        fee_bps: int = 0,
        window_blocks: int = 10,
        rules: str = "none",
        rule_params: dict[str, Any] | None = None,
        floating_nav: bool = False,
        institutional: bool = False,
        day_count: int = 360,
    ) -> None:
        """Define the coin: ``unit_coins`` coin minor units (a creation unit) are backed by
        ``unit_amounts[k]`` minor units of each currency token k; ``fee_bps`` is charged on
        each currency delivered or paid; ``rules`` names a reserve rule set (``RULE_SETS``)
        and ``rule_params`` overrides its limits; ``floating_nav`` pays redemptions at the
        reserve's value when below the basket; ``day_count`` is the interest basis (days)."""
        ctx.require(not ctx.has("config"), "the basket is already set up")
        token = ctx.read("token", f"t/{coin}")
        ctx.require(
            token is not None and token["issuer"] == HOLDER,
            f"create token {coin!r} with issuer {HOLDER!r} first",
        )
        ctx.require(bool(unit_amounts), "the basket needs at least one currency")
        decimals = {}
        for k, amount in sorted(unit_amounts.items()):
            record = ctx.read("token", f"t/{k}")
            ctx.require(record is not None, f"no reserve currency token {k!r}")
            ctx.require(record["decimals"] <= 8, f"{k}: reserve tokens have at most 8 decimals")
            ctx.require(amount > 0, f"{k}: amount per creation unit must be positive")
            decimals[k] = record["decimals"]
        ctx.require(unit_coins > 0, "a creation unit holds a positive number of coins")
        ctx.require(0 <= fee_bps < BPS, f"fee must be in [0, 10000) bps, got {fee_bps}")
        ctx.require(window_blocks > 0, "the netting window spans at least one block")
        ctx.require(rules in RULE_SETS, f"rule set must be one of {sorted(RULE_SETS)}")
        ctx.require(day_count in (360, 365), "day count basis is 360 or 365")
        for who in (manager, custodian):
            ctx.require(ctx.read("identity", f"p/{who}") is not None, f"no participant {who!r}")
        config = {
            "coin": coin,
            "coin_decimals": token["decimals"],
            "currencies": sorted(unit_amounts),
            "decimals": decimals,
            "unit_coins": unit_coins,
            "unit_amounts": dict(unit_amounts),
            "manager": manager,
            "custodian": custodian,
            "fee_bps": fee_bps,
            "window_blocks": window_blocks,
            "rules": rules,
            "rule_params": dict(rule_params or {}),
            "floating_nav": floating_nav,
            "institutional": institutional,
            "day_count": day_count,
        }
        try:
            rules_of(config)
        except ContractError as exc:
            raise ContractError(f"rule_params: {exc.message}") from exc
        ctx.put("config", config)
        ctx.put("accrual_day", today(ctx))
        ctx.emit("set_up", coin=coin, unit_coins=unit_coins, unit_amounts=dict(unit_amounts))

    @method("regulator")
    def admit_dealer(self, ctx: Context, dealer: str, currency: str) -> None:
        """Admit an authorized dealer serving users in ``currency`` (its local currency)."""
        self._config(ctx)
        record = ctx.read("identity", f"p/{dealer}")
        ctx.require(
            record is not None and "authorized_dealer" in record["roles"],
            f"{dealer!r} is not a participant with the authorized_dealer role",
        )
        ctx.require(ctx.read("token", f"t/{currency}") is not None, f"no token {currency!r}")
        ctx.put(f"dealer/{dealer}", {"currency": currency, "spread_bps": 0})
        ctx.emit("dealer_admitted", dealer=dealer, currency=currency)

    @method("regulator")
    def recompose(self, ctx: Context, unit_amounts: dict[str, int], effective_height: int) -> None:
        """Replace the basket's amounts from block ``effective_height`` on (seed 004,
        conclusion 7). Currencies stay the same; the difference in what the coins are owed
        goes to equity, currency by currency."""
        config = self._config(ctx)
        ctx.require(
            sorted(unit_amounts) == config["currencies"],
            f"the new basket must name the currencies {config['currencies']}",
        )
        ctx.require(all(a > 0 for a in unit_amounts.values()), "amounts must be positive")
        ctx.require(effective_height > ctx.height, "the new basket takes effect in the future")
        ctx.put("recompose", {"unit_amounts": dict(unit_amounts), "height": effective_height})
        ctx.emit("recomposition_scheduled", unit_amounts=unit_amounts, height=effective_height)

    @method("regulator")
    def set_floating_nav(self, ctx: Context, floating: bool) -> None:
        """Switch redemptions to floating NAV (the basket scaled by reserve value / coins'
        value when below one) or back to stable NAV."""
        config = self._config(ctx)
        config["floating_nav"] = floating
        ctx.put("config", config)
        ctx.emit("nav_mode_set", floating=floating)

    # ------------------------------------------------------------------ dealers: direct

    @method("authorized_dealer")
    def mint(self, ctx: Context, units: int) -> None:
        """Create ``units`` creation units: the dealer delivers ``unit_amounts[k] x units`` of
        every currency plus the fee (``fee_bps``, rounded up) and receives ``unit_coins x
        units`` coins, at once."""
        book = self._dealer_book(ctx)
        config = book.config
        ctx.require(units > 0, f"units must be positive, got {units}")
        delivered = self._create(ctx, book, units)
        for k, amount in delivered.items():
            ctx.call("token", "transfer", symbol=k, to=HOLDER, amount=amount)
        coins = units * config["unit_coins"]
        ctx.call("token", "mint", symbol=config["coin"], to=ctx.caller, amount=coins)
        save_book(ctx, book)
        ctx.emit("minted", dealer=ctx.caller, units=units, coins=coins, delivered=delivered)

    @method("authorized_dealer")
    def redeem(self, ctx: Context, units: int) -> None:
        """Redeem ``units`` creation units: the dealer's ``unit_coins x units`` coins are
        burned and it receives the basket less the fees, at once (see :meth:`_redeem_payout`
        for fees, gates and floating NAV)."""
        book = self._dealer_book(ctx)
        config = book.config
        ctx.require(units > 0, f"units must be positive, got {units}")
        coins = units * config["unit_coins"]
        ctx.call("token", "transfer", symbol=config["coin"], to=HOLDER, amount=coins)
        ctx.call("token", "burn", symbol=config["coin"], amount=coins)
        paid = self._redeem_payout(ctx, book, units)
        for k, amount in paid.items():
            if amount:
                ctx.call("token", "pay", symbol=k, to=ctx.caller, amount=amount)
        save_book(ctx, book)
        ctx.emit("redeemed", dealer=ctx.caller, units=units, coins=coins, paid=paid)

    @method("authorized_dealer")
    def rebalance(self, ctx: Context, give: str, amount: int, take: str) -> None:
        """Swap with the pool at oracle rates to bring it back to its target amounts
        (:func:`~glassledger.contracts.basket_book.rebalance_targets`): the dealer delivers
        ``amount`` of ``give`` (a currency the pool is short of) and receives its value in
        ``take`` (one the pool holds in excess), rounded down. Neither leg may overshoot."""
        book = self._dealer_book(ctx)
        config = book.config
        ctx.require(give != take and {give, take} <= set(book.currencies), "two basket currencies")
        ctx.require(amount > 0, "amount must be positive")
        rates = fx_rates(ctx, book.currencies)
        targets = rebalance_targets(book, rates)
        value = value_e18(amount, config["decimals"][give], rates[give])
        taken = value // value_e18(1, config["decimals"][take], rates[take])
        ctx.require(
            book.assets(give) + amount <= targets[give],
            f"{give}: the pool holds {book.assets(give)}, target {targets[give]}; "
            f"{amount} more would overshoot",
        )
        ctx.require(
            taken > 0 and book.assets(take) - taken >= targets[take],
            f"{take}: the pool holds {book.assets(take)}, target {targets[take]}; "
            f"paying {taken} would go below it",
        )
        self._require_deposits(ctx, book, take, taken)
        ctx.call("token", "transfer", symbol=give, to=HOLDER, amount=amount)
        ctx.call("token", "pay", symbol=take, to=ctx.caller, amount=taken)
        self._book_cash(book, give, amount)
        self._book_cash(book, take, -taken)
        save_book(ctx, book)
        ctx.emit("rebalanced", dealer=ctx.caller, give=give, amount=amount, take=take, taken=taken)

    # ------------------------------------------------------------------ hooks

    def begin_block(self, ctx: Context) -> None:
        """Apply a due recomposition; on a new day accrue interest, mature and reset
        securities, and end an expired gate."""
        config = ctx.get("config")
        if config is None:
            return
        pending = ctx.get("recompose")
        if pending is not None and ctx.height >= pending["height"]:
            self._apply_recomposition(ctx, config, pending["unit_amounts"])
        day, last = today(ctx), ctx.get("accrual_day")
        if day > last:
            self._accrue(ctx, day, day - last)
            ctx.put("accrual_day", day)
            gate = ctx.get("gate")
            if gate is not None and day >= gate["until_day"]:
                ctx.delete("gate")
                ctx.emit("gate_lifted")

    def end_block(self, ctx: Context) -> None:
        """Close the netting window every ``window_blocks`` blocks."""
        config = ctx.get("config")
        if config is not None and ctx.height % config["window_blocks"] == 0:
            self._close_window(ctx, config)

    # ------------------------------------------------------------------ internals

    def _create(self, ctx: Context, book: Book, units: int) -> dict[str, int]:
        """Book a creation of ``units``; returns what must be delivered per currency."""
        fee_bps = book.config["fee_bps"]
        delivered = {}
        for k in book.currencies:
            base = book.config["unit_amounts"][k] * units
            fee = fee_amount(base, fee_bps)
            book.cash[k] += base + fee
            book.equity[k] += fee
            delivered[k] = base + fee
        book.units += units
        self._count_flow(ctx, book, minted=units)
        return delivered

    def _redeem_payout(self, ctx: Context, book: Book, units: int) -> dict[str, int]:
        """Book a redemption of ``units``; returns what is paid per currency.

        Redemptions are refused while a gate is up. The fee is ``fee_bps`` plus the
        liquidity fee due under the rule set (its default fee, or the manager's
        discretionary fee up to the permitted maximum). Stable NAV pays the basket while the
        reserve is worth at least the coins' theoretical value less the rule set's
        tolerance (1/2 of 1%), and refuses beyond ("breaking the buck"); floating NAV (set by
        the regulator, or required by the rule set for an institutional coin, as Rule 2a-7
        requires of institutional prime funds since 2014) pays the basket scaled down by
        reserve value / coins' value when that is below one."""
        config = book.config
        gate = ctx.get("gate")
        ctx.require(gate is None, f"redemptions are gated until day {gate and gate['until_day']}")
        ctx.require(units <= book.units, f"only {book.units} units are outstanding")
        rates = fx_rates(ctx, book.currencies)
        check = adequacy(book, rates)
        reserve, owed = check.reserve_value_e18, check.required_value_e18
        terms = self._terms(ctx, book, units)
        liquidity_fee = max(terms.fee_bps, min(ctx.get("liquidity_fee_bps", 0), terms.max_fee_bps))
        scale_num, scale_den = 1, 1
        rules = rules_of(config)
        floating = config["floating_nav"] or (
            rules.floating_nav_institutional_prime and config["institutional"]
        )
        if reserve < owed:
            if floating:
                scale_num, scale_den = reserve, owed
            else:
                tolerance = rules.stable_nav_tolerance_bps
                ctx.require(
                    BPS * reserve >= (BPS - tolerance) * owed,
                    f"the reserve covers {reserve * BPS // owed} bps of the coins' value, more "
                    f"than {tolerance} bps below par: stable NAV cannot be kept (breaking the "
                    "buck); the regulator may switch the basket to floating NAV",
                )
        paid = {}
        for k in book.currencies:
            base = config["unit_amounts"][k] * units * scale_num // scale_den
            paid[k] = base - fee_amount(base, config["fee_bps"] + liquidity_fee)
            self._require_deposits(ctx, book, k, paid[k])
        for k, amount in paid.items():
            book.cash[k] -= amount
            book.equity[k] += config["unit_amounts"][k] * units - amount
        book.units -= units
        self._count_flow(ctx, book, redeemed=units)
        return paid

    def _apply_recomposition(self, ctx: Context, config: dict[str, Any], new: dict) -> None:
        book = load_book(ctx.get)
        for k in book.currencies:
            book.equity[k] += (config["unit_amounts"][k] - new[k]) * book.units
        config["unit_amounts"] = dict(new)
        book.config = config
        ctx.put("config", config)
        ctx.delete("recompose")
        save_book(ctx, book)
        ctx.emit("recomposed", unit_amounts=dict(new))

    @staticmethod
    def _book_cash(book: Book, currency: str, amount: int) -> None:
        """Cash in (or out, negative) with the same change in equity."""
        book.cash[currency] += amount
        book.equity[currency] += amount

    @staticmethod
    def _require_deposits(ctx: Context, book: Book, currency: str, amount: int) -> None:
        ctx.require(
            amount <= book.deposits(currency),
            f"{currency}: {amount} needed but only {book.deposits(currency)} is held as "
            f"deposits ({book.invested(currency)} is invested in securities)",
        )

    @staticmethod
    def _config(ctx: Context) -> dict[str, Any]:
        config = ctx.get("config")
        ctx.require(config is not None, "the basket is not set up")
        return config

    def _dealer_book(self, ctx: Context) -> Book:
        self._config(ctx)
        ctx.require(ctx.has(f"dealer/{ctx.caller}"), f"{ctx.caller!r} is not an admitted dealer")
        return load_book(ctx.get)

    def _manager_book(self, ctx: Context) -> Book:
        config = self._config(ctx)
        ctx.require(ctx.caller == config["manager"], f"only the manager {config['manager']!r}")
        return load_book(ctx.get)

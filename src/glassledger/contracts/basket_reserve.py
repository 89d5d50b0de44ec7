"""Running the basket coin's reserve like a money-market fund (seed 002): capital, investments
checked against a reserve rule set, liquidity fees and gates, and interest.

Mixed into :class:`glassledger.contracts.basket.Basket`; the methods below are ``basket``
methods, called by the manager named at setup (the custodian for :meth:`settle_interest`).

* The rule set is chosen at setup by name (:data:`RULE_SETS`, the versions of
  :mod:`glassledger.contracts.reserve_rules`) with every limit overridable
  (``rule_params``); :meth:`ReserveMethods.invest` is rejected, naming the rule and the
  figures, when the reserve would break it (WAM, WAL, liquidity minimums, maximum maturity,
  eligibility, issuer concentration, MiCA deposit shares).
* Redemptions pay the liquidity fee the rule set imposes (its default fee below the trigger,
  or the manager's discretionary fee up to the permitted maximum) and stop while a gate is up;
  a gate can only be imposed when the rule set permits one (Rule 2a-7 of 2014: weekly liquid
  assets below 30%), for at most 10 US business days in any 90-day period (the rule set's
  ``gate_max_business_days`` and ``gate_window_days``; business days of
  :mod:`glassledger.contracts.business_days`). Past gates are kept in ``gate_history`` while
  they fall within the window.
* Interest accrues on the first block of each day from oracle rates (kind ``rate``, scale 4 =
  basis points): ``<CCY>.DEPOSIT`` on deposits, each security's ``rate_key`` (``USD.BILL``,
  ``USD.REPO``...) on it; actual/``day_count``. It is receivable from the custodian until
  :meth:`ReserveMethods.settle_interest`.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import business_days as bd
from glassledger.contracts import oracle
from glassledger.contracts import reserve_rules as rr
from glassledger.contracts.basket_book import (
    BPS,
    DAY_MS,
    HOLDER,
    Book,
    balance_sheet,
    fx_rates,
    interest_for,
    load_book,
    save_book,
    today,
    value_e18,
)
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, method

RULE_SETS: dict[str, type[rr.ReserveRuleSet]] = {
    "none": rr.ReserveRuleSet,
    "2a7-2010": rr.Rule2a7v2010,
    "2a7-2014": rr.Rule2a7v2014,
    "2a7-2023": rr.Rule2a7v2023,
    "mica": rr.MiCAReserve,
    "mica-significant": rr.MiCASignificantReserve,
}
SECURITY_KINDS = rr.MONEY_MARKET_KINDS - {rr.DEPOSIT}


def rules_of(config: dict[str, Any]) -> rr.ReserveRuleSet:
    """The reserve rule set chosen at setup with its parameter overrides. Cash deposits at the
    custodian are not securities: they are exempt from the issuer-concentration limit."""
    params = dict(config["rule_params"])
    for key in ("eligible_kinds", "issuer_limit_exempt_kinds"):
        if key in params:
            params[key] = frozenset(params[key])
    if "eligible_issuers" in params:
        params["eligible_issuers"] = frozenset(tuple(p) for p in params["eligible_issuers"])
    rules = RULE_SETS[config["rules"]](**params)
    rules.issuer_limit_exempt_kinds = rules.issuer_limit_exempt_kinds | {rr.DEPOSIT}
    return rules


def portfolio(book: Book, rates: dict[str, int], day: int) -> list[rr.Holding]:
    """The reserve as rule-set holdings: one overnight deposit per currency at the custodian
    and each security, valued in 1e-18 USD. Government paper counts as daily and weekly
    liquid (Rule 2a-7's "direct obligations of the US government"); agency discount notes
    (kind ``agency_discount_note``) are weekly liquid within 60 days of maturity by the rule
    set itself (:func:`~glassledger.contracts.reserve_rules.weekly_liquid_value`)."""
    decimals = book.config["decimals"]
    holdings = [
        rr.Holding(
            k,
            book.config["custodian"],
            rr.DEPOSIT,
            book.deposits(k),
            value_e18(book.deposits(k), decimals[k], rates[k]),
            day + 1,
            day + 1,
            True,
            True,
        )
        for k in book.currencies
        if book.deposits(k) > 0
    ]
    for s in book.securities.values():
        government = s["kind"] == rr.GOVERNMENT
        holdings.append(
            rr.Holding(
                s["currency"],
                s["issuer"],
                s["kind"],
                s["amount"],
                value_e18(s["amount"], decimals[s["currency"]], rates[s["currency"]]),
                s["reset_day"],
                s["maturity_day"],
                government,
                government,
            )
        )
    return holdings


class ReserveMethods:
    """Capital, investments, liquidity fees and gates, interest."""

    @method(ANY)
    def contribute_capital(self, ctx: Context, currency: str, amount: int) -> None:
        """The manager pays ``amount`` of ``currency`` into the reserve as equity."""
        book = self._manager_book(ctx)
        ctx.require(currency in book.currencies and amount > 0, "a basket currency, amount > 0")
        ctx.call("token", "transfer", symbol=currency, to=HOLDER, amount=amount)
        self._book_cash(book, currency, amount)
        save_book(ctx, book)
        ctx.emit("capital_contributed", currency=currency, amount=amount)

    @method(ANY)
    def withdraw_capital(self, ctx: Context, currency: str, amount: int) -> None:
        """The manager takes ``amount`` of equity out, only while every currency stays covered
        and the capital buffer of the rule set holds."""
        book = self._manager_book(ctx)
        config = book.config
        ctx.require(currency in book.currencies and amount > 0, "a basket currency, amount > 0")
        self._require_deposits(ctx, book, currency, amount)
        self._book_cash(book, currency, -amount)
        rates = fx_rates(ctx, book.currencies)
        ctx.require(
            book.assets(currency) >= book.liabilities(currency),
            f"{currency}: withdrawing {amount} leaves {book.assets(currency)} against "
            f"{book.liabilities(currency)} owed to coin holders",
        )
        sheet = balance_sheet(book, rates)
        rr.check_capital_buffer(sheet.equity_e18, sheet.assets_e18, rules_of(config))
        ctx.call("token", "pay", symbol=currency, to=ctx.caller, amount=amount)
        save_book(ctx, book)
        ctx.emit("capital_withdrawn", currency=currency, amount=amount)

    @method(ANY)
    def invest(
        self,
        ctx: Context,
        currency: str,
        issuer: str,
        kind: str,
        amount: int,
        maturity_day: int,
        rate_key: str,
        reset_period_days: int = 0,
    ) -> None:
        """The manager moves ``amount`` of ``currency`` deposits into a security (``kind`` of
        :data:`SECURITY_KINDS`) of ``issuer`` maturing on ``maturity_day`` (days since the
        epoch), earning the oracle rate ``rate_key`` (e.g. ``USD.BILL``); a floating-rate one
        resets every ``reset_period_days``. Rejected, naming the rule and the figures, when
        the reserve would break its rule set."""
        book = self._manager_book(ctx)
        config = book.config
        day = today(ctx)
        ctx.require(currency in book.currencies and amount > 0, "a basket currency, amount > 0")
        ctx.require(kind in SECURITY_KINDS, f"kind must be one of {sorted(SECURITY_KINDS)}")
        ctx.require(maturity_day > day, f"maturity day {maturity_day} is not after today {day}")
        ctx.require(reset_period_days >= 0, "reset period must be non-negative")
        self._require_deposits(ctx, book, currency, amount)
        reset_day = (
            min(day + reset_period_days, maturity_day) if reset_period_days else maturity_day
        )
        count = ctx.get("sec_count", 0) + 1
        sid = f"{count:08d}"
        book.securities[sid] = {
            "currency": currency,
            "issuer": issuer,
            "kind": kind,
            "amount": amount,
            "reset_day": reset_day,
            "maturity_day": maturity_day,
            "reset_period_days": reset_period_days,
            "rate_key": rate_key,
        }
        rates = fx_rates(ctx, book.currencies)
        rr.check_portfolio(portfolio(book, rates, day), day, rules_of(config))
        ctx.put("sec_count", count)
        save_book(ctx, book)
        ctx.emit("invested", security=sid, **book.securities[sid])

    @method(ANY)
    def sell_security(
        self, ctx: Context, security: str, amount: int, price_key: str, buyer: str
    ) -> None:
        """The manager sells ``amount`` of the principal of ``security`` before maturity to
        ``buyer`` at the oracle price ``price_key`` (kind ``price``, scale 8, per 100 of
        principal, at most par): a fire sale at the price the market bids (seed 004,
        conclusion 6). The proceeds (``amount x price / 100``, rounded down) become deposits;
        the discount is a realised loss to equity and goes to the buyer (securities are
        principal earmarked in custody cash, so the buyer's purchase at a discount settles
        as the discount paid to it), so the intrinsic rate falls."""
        book = self._manager_book(ctx)
        ctx.require(security in book.securities, f"no security {security!r} in the reserve")
        record = book.securities[security]
        ctx.require(
            0 < amount <= record["amount"],
            f"amount must be in (0, {record['amount']}], got {amount}",
        )
        ctx.require(ctx.read("identity", f"p/{buyer}") is not None, f"no participant {buyer!r}")
        price = oracle.value(ctx, "price", price_key, 8)
        ctx.require(0 < price <= 100 * 10**8, f"price {price}e-8 is not in (0, 100]")
        proceeds = amount * price // (100 * 10**8)
        discount = amount - proceeds
        currency = record["currency"]
        if amount == record["amount"]:
            del book.securities[security]
        else:
            record["amount"] -= amount
        self._book_cash(book, currency, -discount)
        if discount:
            ctx.call("token", "pay", symbol=currency, to=buyer, amount=discount)
        save_book(ctx, book)
        ctx.emit(
            "security_sold",
            security=security,
            currency=currency,
            amount=amount,
            proceeds=proceeds,
            loss=discount,
            buyer=buyer,
        )

    @method(ANY)
    def set_liquidity_fee(self, ctx: Context, fee_bps: int) -> None:
        """The manager (the fund's board) sets a discretionary liquidity fee on redemptions;
        it applies only while the rule set permits one, capped at its maximum."""
        self._manager_book(ctx)
        ctx.require(0 <= fee_bps < BPS, f"fee must be in [0, 10000) bps, got {fee_bps}")
        ctx.put("liquidity_fee_bps", fee_bps)
        ctx.emit("liquidity_fee_set", fee_bps=fee_bps)

    @method(ANY)
    def impose_gate(self, ctx: Context, days: int) -> None:
        """The manager suspends redemptions for ``days`` US business days, from today (or the
        next business day) on, when the rule set permits a gate (Rule 2a-7 of 2014: weekly
        liquid assets below 30%) and the gate keeps the fund within the rule set's limit of
        gated business days in any window (10 in any 90 days under Rule 2a-7 of 2014)."""
        book = self._manager_book(ctx)
        rules = rules_of(book.config)
        day = today(ctx)
        ctx.require(days > 0, f"a gate lasts at least one business day, got {days}")
        ctx.require(ctx.get("gate") is None, "redemptions are already gated")
        terms = self._terms(ctx, book, 0)
        ctx.require(
            terms.gate_permitted and rules.gate_max_business_days is not None,
            f"{rules.name} permits no gate now (weekly liquid assets "
            f"{self._weekly_liquid(ctx, book).floor_bps()} bps)",
        )
        first = bd.next_business_day(day)
        until = bd.add_business_days(first, days - 1) + 1
        window = rules.gate_window_days
        history = [g for g in ctx.get("gate_history", []) if g[1] > day - window]
        gated = sorted(
            {
                d
                for start, end in [*history, [first, until]]
                for d in range(start, end)
                if bd.is_business_day(d)
            }
        )
        most = max(sum(1 for e in gated if d <= e < d + window) for d in gated)
        ctx.require(
            most <= rules.gate_max_business_days,
            f"a gate of {days} business days would suspend redemptions on {most} business days "
            f"within {window} days, more than the {rules.gate_max_business_days} allowed by "
            f"{rules.name}",
        )
        ctx.put("gate", {"from_day": first, "until_day": until})
        ctx.put("gate_history", [*history, [first, until]])
        ctx.emit("gate_imposed", from_day=first, until_day=until, business_days=days)

    @method(ANY)
    def lift_gate(self, ctx: Context) -> None:
        """The manager ends a gate early; today still counts as a gated day."""
        self._manager_book(ctx)
        gate = ctx.get("gate")
        ctx.require(gate is not None, "no gate is up")
        history = ctx.get("gate_history", [])
        if history and history[-1][0] == gate["from_day"]:
            end = max(history[-1][0], min(history[-1][1], today(ctx) + 1))
            history = [*history[:-1], [history[-1][0], end]]
            ctx.put("gate_history", history)
        ctx.delete("gate")
        ctx.emit("gate_lifted")

    @method(ANY)
    def settle_interest(self, ctx: Context, currency: str, amount: int) -> None:
        """The custodian pays accrued interest in: receivable becomes cash."""
        config = self._config(ctx)
        ctx.require(ctx.caller == config["custodian"], "only the custodian pays interest")
        book = load_book(ctx.get)
        ctx.require(
            0 < amount <= book.accrued.get(currency, 0),
            f"{currency}: {book.accrued.get(currency, 0)} interest is receivable",
        )
        ctx.call("token", "transfer", symbol=currency, to=HOLDER, amount=amount)
        book.accrued[currency] -= amount
        book.cash[currency] += amount
        save_book(ctx, book)
        ctx.emit("interest_settled", currency=currency, amount=amount)

    # ------------------------------------------------------------------ internals

    def _terms(self, ctx: Context, book: Book, units: int) -> rr.RedemptionTerms:
        """Fees and gates the rule set allows now, with ``units`` more redeemed today."""
        flow = self._day_flow(ctx, book)
        net = flow["redeemed"] + units - flow["minted"]
        return rules_of(book.config).redemption_terms(
            weekly_liquid=self._weekly_liquid(ctx, book),
            net_redemptions=rr.Ratio(max(net, 0), max(flow["start_units"], 1)),
            institutional=book.config["institutional"],
        )

    def _weekly_liquid(self, ctx: Context, book: Book) -> rr.Ratio:
        """Weekly liquid assets over total assets, exact (1/1 for an empty reserve)."""
        day = today(ctx)
        holdings = portfolio(book, fx_rates(ctx, book.currencies), day)
        total = sum(h.value for h in holdings)
        if total == 0:
            return rr.Ratio(1, 1)
        return rr.Ratio(rr.weekly_liquid_value(holdings, day, rules_of(book.config)), total)

    def _day_flow(self, ctx: Context, book: Book) -> dict[str, int]:
        flow = ctx.get("day_flow")
        if flow is None or flow["day"] != today(ctx):
            flow = {"day": today(ctx), "start_units": book.units, "minted": 0, "redeemed": 0}
        return flow

    def _count_flow(self, ctx: Context, book: Book, minted: int = 0, redeemed: int = 0) -> None:
        flow = self._day_flow(ctx, book)
        flow["minted"] += minted
        flow["redeemed"] += redeemed
        ctx.put("day_flow", flow)

    def _accrue(self, ctx: Context, day: int, days: int) -> None:
        """Accrue ``days`` of interest on every position at the oracle rates in force, then
        mature and reset securities."""
        book = load_book(ctx.get)
        basis, start = book.config["day_count"], day - days
        positions = [(f"{k}.DEPOSIT", k, book.deposits(k), days) for k in book.currencies]
        positions += [
            (s["rate_key"], s["currency"], s["amount"], min(day, s["maturity_day"]) - start)
            for s in book.securities.values()
        ]  # a security earns until its maturity
        for key, currency, amount, accrual_days in positions:
            if amount <= 0 or accrual_days <= 0:
                continue
            try:  # the rate in force at the start of the period accrues over all of it
                rate = oracle.value(ctx, "rate", key, 4, max_age_ms=(days + 1) * DAY_MS)
            except ContractError:
                continue  # no rate in force: the position earns nothing today
            interest = interest_for(amount, rate, accrual_days, basis)
            book.accrued[currency] += interest
            book.equity[currency] += interest
        for sid, s in list(book.securities.items()):
            if s["maturity_day"] <= day:
                del book.securities[sid]
                ctx.emit("matured", security=sid, currency=s["currency"], amount=s["amount"])
            elif s["reset_period_days"]:
                while s["reset_day"] <= day:
                    s["reset_day"] = min(s["reset_day"] + s["reset_period_days"], s["maturity_day"])
        save_book(ctx, book)

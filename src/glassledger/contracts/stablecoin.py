"""``stablecoin``: fiat-backed payment stable coins issued 1:1 against cash, reserve held to a
rule set (GENIUS Act by default).

Cash on the ledger is the ``USD`` token: the settlement bank's tokenized deposit (issuer
``bank``, role ``settlement_bank``; mint and burn by the bank against deposits off the
ledger, :mod:`glassledger.contracts.token`). A stable coin is a second token whose issuer is
this contract (``contract:stablecoin``), registered here with its issuer participant and its
cash token:

* **mint** (anyone): the holder pays ``amount`` cash into the coin's segregated reserve (the
  contract's own balance) and receives ``amount`` coins, 1:1 (same decimals);
* **redeem** (anyone): the holder hands in coins (burned) and is paid cash at par from the
  reserve at once; when the reserve's cash is short the request queues and is paid in
  ``end_block`` as cash comes back, oldest first; past the rule set's deadline (two business
  days under GENIUS) it is flagged ``redemption_overdue`` (a breach event; still owed);
* **invest** / **divest** (the coin's issuer): cash leaves the reserve to buy an asset held
  off the ledger (a bill, a deposit at another bank, overnight repo, a government money fund),
  recorded as a :class:`~glassledger.contracts.reserve_rules.Holding` at its cost; divesting
  pays the cash back in and removes the holding. An investment that would leave the reserve
  breaking the rules is rejected.

The reserve portfolio checked against the rules is the on-ledger cash (a demand deposit at
the cash token's issuer, daily liquid) plus the holdings. Mint and redeem are never refused
for a rule (a holder's right to redeem at par comes first); they update the coin's
``compliant`` flag and ``violations`` and emit ``reserve_breach`` / ``reserve_compliant``
when it changes. Backing (reserve >= coins outstanding) holds by construction.

State: ``coin/<symbol>`` -> coin record; ``h/<symbol>/<id>`` -> holding; ``r/<symbol>/<n>``
-> queued redemption (lifecycle :data:`REDEMPTION`).
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import reserve_rules as rr
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "stablecoin"
HOLDER = f"contract:{NAME}"
DAY_MS = 86_400_000
#: Rule sets a coin may be held to, by name.
RULE_SETS: dict[str, type[rr.ReserveRuleSet]] = {
    "GENIUS": rr.GeniusReserve,
    "MICA": rr.MiCAReserve,
    "2A7-2023": rr.Rule2a7v2023,
}
REDEMPTION = Lifecycle.of(
    "redemption",
    initial="queued",
    rows=[("queued", "pay", "paid"), ("queued", "deadline", "overdue"), ("overdue", "pay", "paid")],
)


def reserve_holdings(ctx_get, symbol: str, coin: dict[str, Any], today: int) -> list[rr.Holding]:
    """The reserve portfolio: on-ledger cash plus the recorded holdings (``ctx_get(key)``
    reads this contract's state)."""
    holdings = []
    if coin["cash_reserve"]:
        holdings.append(
            rr.Holding(
                currency=coin["cash"],
                issuer=coin["cash_bank"],
                kind=rr.DEPOSIT,
                amount=coin["cash_reserve"],
                value=coin["cash_reserve"],
                reset_day=today + 1,
                maturity_day=today + 1,
                daily_liquid=True,
                weekly_liquid=True,
            )
        )
    for hid in coin["holdings"]:
        holdings.append(rr.Holding.from_record(ctx_get(f"h/{symbol}/{hid}")))
    return holdings


class Stablecoin(Contract):
    """Fiat-backed stable coins (module docstring)."""

    name = NAME
    accepts_tokens = True

    @method("regulator")
    def register(
        self, ctx: Context, symbol: str, issuer: str, cash: str = "USD", rules: str = "GENIUS"
    ) -> None:
        """Register coin ``symbol`` (a token whose issuer is ``contract:stablecoin``) issued by
        participant ``issuer`` against ``cash``, held to rule set ``rules``."""
        ctx.require(not ctx.has(f"coin/{symbol}"), f"coin {symbol!r} exists")
        token = ctx.read("token", f"t/{symbol}")
        ctx.require(
            token is not None and token["issuer"] == HOLDER,
            f"token {symbol!r} must exist with issuer {HOLDER!r}",
        )
        cash_token = ctx.read("token", f"t/{cash}")
        ctx.require(cash_token is not None, f"no cash token {cash!r}")
        ctx.require(token["decimals"] == cash_token["decimals"], "coin and cash decimals differ")
        ctx.require(rules in RULE_SETS, f"rules must be one of {sorted(RULE_SETS)}")
        who = ctx.read("identity", f"p/{issuer}")
        ctx.require(who is not None and "issuer" in who["roles"], f"{issuer!r} is not an issuer")
        record = {
            "symbol": symbol,
            "issuer": issuer,
            "cash": cash,
            "cash_bank": cash_token["issuer"],
            "rules": rules,
            "outstanding": 0,
            "cash_reserve": 0,
            "holdings": [],
            "next_id": 0,
            "queue": [],
            "next_request": 0,
            "compliant": True,
            "violations": [],
        }
        ctx.put(f"coin/{symbol}", record)
        ctx.emit("coin_registered", symbol=symbol, issuer=issuer, cash=cash, rules=rules)

    @method(ANY)
    def mint(self, ctx: Context, symbol: str, amount: int) -> None:
        """Pay ``amount`` cash into the reserve, receive ``amount`` coins."""
        coin = self._coin(ctx, symbol)
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        who = ctx.origin
        settle(ctx, [Instruction(coin["cash"], who, HOLDER, amount)], f"stablecoin/{symbol}/mint")
        ctx.call("token", "mint", symbol=symbol, to=who, amount=amount)
        coin["outstanding"] += amount
        coin["cash_reserve"] += amount
        self._save(ctx, coin)
        ctx.emit("minted", visible_to=(who,), symbol=symbol, holder=who, amount=amount)

    @method(ANY)
    def redeem(self, ctx: Context, symbol: str, amount: int) -> None:
        """Hand in ``amount`` coins for cash at par (now, or queued: module docstring)."""
        coin = self._coin(ctx, symbol)
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        who = ctx.origin
        settle(ctx, [Instruction(symbol, who, HOLDER, amount)], f"stablecoin/{symbol}/redeem")
        ctx.call("token", "burn", symbol=symbol, amount=amount)
        coin["outstanding"] -= amount
        if not coin["queue"] and coin["cash_reserve"] >= amount:
            self._pay(ctx, coin, who, amount)
        else:
            n = coin["next_request"]
            coin["next_request"] += 1
            deadline = (
                self._rules(coin).redemption_deadline(ctx.time_ms // DAY_MS)
                if isinstance(self._rules(coin), rr.GeniusReserve)
                else ctx.time_ms // DAY_MS + 2
            )
            ctx.put(
                f"r/{symbol}/{n}",
                {
                    "state": REDEMPTION.initial,
                    "holder": who,
                    "amount": amount,
                    "deadline_day": deadline,
                },
            )
            coin["queue"].append(n)
            ctx.emit(
                "redemption_queued",
                visible_to=(who,),
                symbol=symbol,
                holder=who,
                amount=amount,
                request=n,
                deadline_day=deadline,
            )
        self._save(ctx, coin)

    @method("issuer")
    def invest(
        self,
        ctx: Context,
        symbol: str,
        kind: str,
        institution: str,
        amount: int,
        maturity_day: int,
        daily_liquid: bool = False,
        weekly_liquid: bool = False,
    ) -> None:
        """Take ``amount`` cash out of the reserve to buy an asset of ``kind`` at
        ``institution`` maturing on ``maturity_day`` (ledger day); rejected if the reserve
        would then break a rule it did not already break, or if the asset itself is
        ineligible, too long, or repo that is not overnight."""
        coin = self._coin(ctx, symbol)
        ctx.require(ctx.origin == coin["issuer"], f"only {coin['issuer']!r} manages the reserve")
        ctx.require(
            0 < amount <= coin["cash_reserve"] - self._queued(ctx, coin),
            f"insufficient balance: the reserve has {coin['cash_reserve']} cash, "
            "less queued redemptions",
        )
        today = ctx.time_ms // DAY_MS
        holding = {
            "currency": coin["cash"],
            "issuer": institution,
            "kind": kind,
            "amount": amount,
            "value": amount,
            "reset_day": maturity_day,
            "maturity_day": maturity_day,
            "daily_liquid": daily_liquid,
            "weekly_liquid": weekly_liquid,
        }
        rules = self._rules(coin)
        before = reserve_holdings(ctx.get, symbol, coin, today)
        already = {v.rule for v in rr.violations(before, today, rules)}
        coin["cash_reserve"] -= amount
        hid = coin["next_id"]
        coin["next_id"] += 1
        ctx.put(f"h/{symbol}/{hid}", holding)
        coin["holdings"] = [*coin["holdings"], hid]
        per_asset = ("holding", "eligible assets", "maximum maturity", "overnight repo")
        found = [
            v
            for v in rr.violations(reserve_holdings(ctx.get, symbol, coin, today), today, rules)
            if v.rule not in already or v.rule in per_asset
        ]
        if found:
            raise ContractError("; ".join(v.message for v in found))
        settle(
            ctx,
            [Instruction(coin["cash"], HOLDER, coin["issuer"], amount)],
            f"stablecoin/{symbol}/invest/{hid}",
        )
        self._save(ctx, coin)
        ctx.emit(
            "invested",
            symbol=symbol,
            holding=hid,
            kind=kind,
            institution=institution,
            amount=amount,
            maturity_day=maturity_day,
        )

    @method("issuer")
    def divest(self, ctx: Context, symbol: str, holding: int) -> None:
        """The issuer pays a holding's value back into the reserve in cash (it matured or was
        sold); the holding is removed."""
        coin = self._coin(ctx, symbol)
        ctx.require(ctx.origin == coin["issuer"], f"only {coin['issuer']!r} manages the reserve")
        ctx.require(holding in coin["holdings"], f"no holding {holding} in {symbol}")
        record = ctx.get(f"h/{symbol}/{holding}")
        settle(
            ctx,
            [Instruction(coin["cash"], coin["issuer"], HOLDER, record["value"])],
            f"stablecoin/{symbol}/divest/{holding}",
        )
        ctx.delete(f"h/{symbol}/{holding}")
        coin["holdings"] = [h for h in coin["holdings"] if h != holding]
        coin["cash_reserve"] += record["value"]
        self._save(ctx, coin)
        ctx.emit("divested", symbol=symbol, holding=holding, amount=record["value"])

    def end_block(self, ctx: Context) -> None:
        """Pay queued redemptions oldest first while cash allows; flag those past their
        deadline."""
        today = ctx.time_ms // DAY_MS
        for _, coin in ctx.scan("coin/"):
            if not coin["queue"]:
                continue
            changed = False
            for n in list(coin["queue"]):
                request = ctx.get(f"r/{coin['symbol']}/{n}")
                if coin["cash_reserve"] >= request["amount"] and coin["queue"][0] == n:
                    self._pay(ctx, coin, request["holder"], request["amount"])
                    REDEMPTION.fire(request, "pay")
                    coin["queue"].remove(n)
                    changed = True
                elif request["state"] == "queued" and today > request["deadline_day"]:
                    REDEMPTION.fire(request, "deadline")
                    ctx.emit(
                        "redemption_overdue",
                        symbol=coin["symbol"],
                        request=n,
                        holder=request["holder"],
                        amount=request["amount"],
                    )
                else:
                    continue
                ctx.put(f"r/{coin['symbol']}/{n}", request)
            if changed:
                self._save(ctx, coin)

    # -- helpers
    @staticmethod
    def _coin(ctx: Context, symbol: str) -> dict[str, Any]:
        coin = ctx.get(f"coin/{symbol}")
        ctx.require(coin is not None, f"no stable coin {symbol!r}")
        return coin

    @staticmethod
    def _rules(coin: dict[str, Any]) -> rr.ReserveRuleSet:
        return RULE_SETS[coin["rules"]]()

    @staticmethod
    def _queued(ctx: Context, coin: dict[str, Any]) -> int:
        return sum(ctx.get(f"r/{coin['symbol']}/{n}")["amount"] for n in coin["queue"])

    @staticmethod
    def _pay(ctx: Context, coin: dict[str, Any], holder: str, amount: int) -> None:
        coin["cash_reserve"] -= amount
        settle(
            ctx,
            [Instruction(coin["cash"], HOLDER, holder, amount)],
            f"stablecoin/{coin['symbol']}/pay",
        )
        ctx.emit(
            "redeemed", visible_to=(holder,), symbol=coin["symbol"], holder=holder, amount=amount
        )

    def _save(self, ctx: Context, coin: dict[str, Any]) -> None:
        """Store the coin with its compliance status (events when it changes)."""
        today = ctx.time_ms // DAY_MS
        rules = self._rules(coin)
        holdings = reserve_holdings(ctx.get, coin["symbol"], coin, today)
        found = rr.violations(holdings, today, rules) if coin["outstanding"] else []
        reserve = sum(h.value for h in holdings)
        try:
            rr.check_backing(reserve, coin["outstanding"], rules)
        except ContractError as exc:
            found.append(rr.Violation("backing", str(exc)))
        compliant = not found
        if compliant != coin["compliant"]:
            ctx.emit(
                "reserve_compliant" if compliant else "reserve_breach",
                symbol=coin["symbol"],
                violations=[v.message for v in found],
            )
        coin["compliant"] = compliant
        coin["violations"] = [v.message for v in found]
        ctx.put(f"coin/{coin['symbol']}", coin)

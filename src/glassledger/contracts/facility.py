"""``facility``: the Fed's standing facilities on the ledger, the corridor's floor and ceiling.

Seed 001's corridor runs from the overnight reverse-repo (ON RRP) rate, the floor, to the
standing repo facility (SRF) rate, the ceiling; seed 000 imagines a "tokenized reverse-repo
facility" as a new funding layer. One facility, run by an ``operator`` participant (the
central bank's desk), offers both, at rates the oracle posts (kind ``rate``, basis points at
scale 4; keys ``USD.ON_RRP`` and ``USD.SRF`` by default, as
:mod:`glassledger.liquidity.ledger_link` publishes them):

* **Reverse repo (floor)**: a cash lender (money fund, bank) places cash overnight with the
  facility and receives tokenized Treasuries from the facility's inventory, valued at the
  oracle price (no haircut: the lender holds the collateral), in escrow for it. At maturity
  (the next business day, ``unwind_ms_of_day`` after midnight UTC) ``begin_block`` unwinds it:
  cash plus interest at the floor rate (actual/360, rounded down) back to the lender, the
  collateral back to the facility. Interest comes out of the facility's cash ``float``, which
  the operator funds; a take-up whose interest the float cannot cover is refused.
* **Standing repo (ceiling)**: an eligible counterparty (roles ``dealer`` or
  ``settlement_bank``) bids for overnight cash at a rate at or above the **minimum bid rate**
  (the ceiling rate plus ``min_bid_spread_bps``, 0 by default as at the Fed), posting eligible
  collateral worth, after the collateral's haircut, at least the cash. Take-up is limited in
  aggregate per day (``srf_aggregate_limit``) and per counterparty (``srf_counterparty_limit``).
  The borrower repays principal plus interest at its bid rate (actual/360, rounded up) with
  ``srf_repay`` up to maturity plus ``srf_grace_ms``; after that ``end_block`` defaults the loan:
  the operator keeps the collateral, the trade closes ``defaulted`` with the recovery the
  collateral's last price implies. (The hook cannot pull cash from a borrower's account: only
  a signed call can.)

Every operation is a trade in the ``trades`` register: netting set ``facility/rrp/<lender>``
(lender party_a, operator party_b) or ``facility/srf/<borrower>`` (operator party_a).
Lifecycles: :data:`RRP` and :data:`SRF`. Bad input (ineligible collateral, a stale rate or
price, a bid under the minimum, a limit exceeded, a short balance) is rejected and changes
nothing.

Parameters and defaults: :data:`FACILITY_DEFAULTS`, :data:`COLLATERAL_DEFAULTS`
(docs/funding.md). State: ``cfg``; ``col/<symbol>``; ``op/<id>`` -> operation;
``out/<kind>/<participant>`` -> outstanding cash; ``open/<id>`` -> 1 while open.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import lending_math as lm
from glassledger.contracts import oracle
from glassledger.contracts.reserve_rules import add_business_days
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "facility"
HOLDER = f"contract:{NAME}"
DAY_MS = 86_400_000
BPS = 10_000
DAY_COUNT = 360

#: Facility parameters and defaults (amounts in cash minor units, 0 = no limit).
FACILITY_DEFAULTS: dict[str, Any] = {
    "floor_key": "USD.ON_RRP",
    "ceiling_key": "USD.SRF",
    "min_bid_spread_bps": 0,
    "rrp_counterparty_limit": 0,  # the Fed's ON RRP: USD 160 bn per counterparty
    "rrp_aggregate_limit": 0,
    "srf_counterparty_limit": 0,
    "srf_aggregate_limit": 0,  # per day; the Fed's SRF: USD 500 bn (per operation)
    "srf_grace_ms": 4 * 3_600_000,
    "unwind_ms_of_day": 0,
    "rate_max_age_ms": 0,  # 0: the chain's oracle_max_age_ms
}
#: Collateral terms and defaults.
COLLATERAL_DEFAULTS: dict[str, Any] = {
    "price_key": "",
    "units_per_price": 1,
    "haircut_bps": 200,  # SRF: value after haircut must cover the cash
    "rrp": True,  # delivered to reverse-repo lenders
    "srf": True,  # accepted from standing-repo borrowers
}

RRP = Lifecycle.of("rrp", initial="open", rows=[("open", "unwind", "matured")])
SRF = Lifecycle.of(
    "srf", initial="open", rows=[("open", "repay", "repaid"), ("open", "default", "defaulted")]
)


def rrp_interest(amount: int, rate_bps: int, days: int) -> int:
    """Reverse-repo interest the facility pays: actual/360, rounded down (minor units)."""
    return amount * rate_bps * days // (BPS * DAY_COUNT)


def srf_interest(amount: int, rate_bps: int, days: int) -> int:
    """Standing-repo interest the borrower pays: actual/360, rounded up (minor units)."""
    return -(-amount * rate_bps * days // (BPS * DAY_COUNT))


class Facility(Contract):
    """Reverse-repo and standing-repo facilities (module docstring)."""

    name = NAME
    accepts_tokens = True

    @method("regulator")
    def configure(
        self, ctx: Context, cash: str, operator: str, params: dict[str, Any] | None = None
    ) -> None:
        """Set the facility up once: ``cash`` token, ``operator`` participant, parameters."""
        ctx.require(not ctx.has("cfg"), "the facility is configured")
        ctx.require(ctx.read("token", f"t/{cash}") is not None, f"no token {cash!r}")
        ctx.require(ctx.read("identity", f"p/{operator}") is not None, f"no {operator!r}")
        p = dict(FACILITY_DEFAULTS)
        for key, value in (params or {}).items():
            ctx.require(key in p, f"unknown facility parameter {key!r}")
            ctx.require(type(value) is type(p[key]), f"{key} must be {type(p[key]).__name__}")
            p[key] = value
        p.update(
            cash=cash,
            operator=operator,
            float=0,
            reserved=0,
            rrp_total=0,
            srf_total=0,
            srf_day=-1,
            srf_today=0,
            next_id=0,
            next_ms=0,
        )
        ctx.put("cfg", p)
        ctx.emit("configured", cash=cash, operator=operator)

    @method("regulator")
    def list_collateral(self, ctx: Context, symbol: str, terms: dict[str, Any]) -> None:
        """Accept ``symbol`` as facility collateral (:data:`COLLATERAL_DEFAULTS`)."""
        self._cfg(ctx)
        ctx.require(ctx.read("token", f"t/{symbol}") is not None, f"no token {symbol!r}")
        t = dict(COLLATERAL_DEFAULTS)
        for key, value in terms.items():
            ctx.require(key in t, f"unknown collateral term {key!r}")
            ctx.require(type(value) is type(t[key]), f"{key} must be {type(t[key]).__name__}")
            t[key] = value
        ctx.require(bool(t["price_key"]) and t["units_per_price"] > 0, "need a price_key")
        ctx.require(0 <= t["haircut_bps"] < BPS, "haircut must be in [0, 100%)")
        ctx.put(f"col/{symbol}", t)
        ctx.emit("collateral_listed", symbol=symbol, **t)

    @method(ANY)
    def fund(self, ctx: Context, amount: int) -> None:
        """The operator adds ``amount`` cash to the facility's float."""
        cfg = self._cfg(ctx)
        ctx.require(ctx.origin == cfg["operator"], f"only {cfg['operator']!r} funds the facility")
        ctx.require(amount > 0, "amount must be positive")
        settle(ctx, [Instruction(cfg["cash"], ctx.origin, HOLDER, amount)], "facility/fund")
        cfg["float"] += amount
        ctx.put("cfg", cfg)

    @method(ANY)
    def supply_collateral(self, ctx: Context, symbol: str, amount: int) -> None:
        """The operator adds ``amount`` of ``symbol`` to the inventory it delivers in reverse
        repo."""
        cfg = self._cfg(ctx)
        ctx.require(ctx.origin == cfg["operator"], f"only {cfg['operator']!r} supplies it")
        self._terms(ctx, symbol, "rrp")
        ctx.require(amount > 0, "amount must be positive")
        settle(ctx, [Instruction(symbol, ctx.origin, HOLDER, amount)], "facility/inventory")
        ctx.put(f"inv/{symbol}", ctx.get(f"inv/{symbol}", 0) + amount)

    # -- reverse repo (floor) --------------------------------------------------------------
    @method(ANY)
    def rrp_invest(self, ctx: Context, amount: int, collateral: str) -> None:
        """Place ``amount`` cash overnight at the floor rate against ``collateral``."""
        cfg = self._cfg(ctx)
        who = ctx.origin
        ctx.require(who != cfg["operator"], "the operator cannot invest with itself")
        ctx.require(amount > 0, "amount must be positive")
        terms = self._terms(ctx, collateral, "rrp")
        rate = self._rate(ctx, cfg, cfg["floor_key"])
        outstanding = ctx.get(f"out/rrp/{who}", 0)
        self._limit(ctx, cfg["rrp_counterparty_limit"], outstanding, amount, "counterparty")
        self._limit(ctx, cfg["rrp_aggregate_limit"], cfg["rrp_total"], amount, "aggregate")
        price = self._price(ctx, cfg, terms)
        c = self._collateral(ctx, collateral, terms, price)
        units = lm.amount_for(c, amount, self._decimals(ctx, cfg["cash"]))
        while lm.value_of(c, units, self._decimals(ctx, cfg["cash"])) < amount:
            units += 1
        stock = ctx.get(f"inv/{collateral}", 0)
        ctx.require(
            units <= stock,
            f"insufficient balance: the facility holds {stock} {collateral}, {units} needed",
        )
        today = ctx.time_ms // DAY_MS
        maturity_day = add_business_days(today, 1)
        interest = rrp_interest(amount, rate, maturity_day - today)
        ctx.require(
            cfg["float"] - cfg["reserved"] >= interest,
            f"insufficient balance: the facility's float cannot pay {interest} of interest",
        )
        op_id = f"rrp{cfg['next_id']}"
        cfg["next_id"] += 1
        lock = f"{NAME}/{op_id}"
        settle(
            ctx,
            [
                Instruction(cfg["cash"], who, HOLDER, amount),
                Instruction(collateral, HOLDER, who, units, to_lock=lock),
            ],
            f"facility/{op_id}/open",
        )
        ctx.put(f"inv/{collateral}", stock - units)
        cfg["reserved"] += interest
        cfg["rrp_total"] += amount
        ctx.put(f"out/rrp/{who}", outstanding + amount)
        maturity_ms = maturity_day * DAY_MS + cfg["unwind_ms_of_day"]
        record = {
            "state": RRP.initial,
            "kind": "rrp",
            "party": who,
            "amount": amount,
            "rate_bps": rate,
            "interest": interest,
            "collateral": collateral,
            "units": units,
            "start_day": today,
            "maturity_ms": maturity_ms,
            "lock": lock,
        }
        self._open(ctx, cfg, op_id, record, party_a=who, party_b=cfg["operator"])
        ctx.emit(
            "rrp_opened",
            visible_to=(who,),
            id=op_id,
            party=who,
            amount=amount,
            rate_bps=rate,
            collateral=collateral,
            units=units,
        )

    # -- standing repo (ceiling) ------------------------------------------------------------
    @method("dealer", "settlement_bank")
    def srf_borrow(
        self,
        ctx: Context,
        amount: int,
        rate_bps: int,
        collateral: str,
        collateral_amount: int,
    ) -> None:
        """Borrow ``amount`` cash overnight at ``rate_bps`` (>= the minimum bid rate) against
        ``collateral_amount`` of ``collateral``."""
        cfg = self._cfg(ctx)
        who = ctx.origin
        ctx.require(amount > 0 and collateral_amount > 0, "amounts must be positive")
        terms = self._terms(ctx, collateral, "srf")
        minimum = self._rate(ctx, cfg, cfg["ceiling_key"]) + cfg["min_bid_spread_bps"]
        ctx.require(
            rate_bps >= minimum, f"bid {rate_bps} bp is below the minimum bid rate {minimum} bp"
        )
        today = ctx.time_ms // DAY_MS
        if cfg["srf_day"] != today:
            cfg["srf_day"], cfg["srf_today"] = today, 0
        outstanding = ctx.get(f"out/srf/{who}", 0)
        self._limit(ctx, cfg["srf_counterparty_limit"], outstanding, amount, "counterparty")
        self._limit(ctx, cfg["srf_aggregate_limit"], cfg["srf_today"], amount, "aggregate")
        price = self._price(ctx, cfg, terms)
        c = self._collateral(ctx, collateral, terms, price)
        value = lm.value_of(c, collateral_amount, self._decimals(ctx, cfg["cash"]))
        lendable = value * (BPS - terms["haircut_bps"]) // BPS
        ctx.require(
            lendable >= amount,
            f"collateral worth {value} lends {lendable} after the "
            f"{terms['haircut_bps']} bp haircut, less than {amount}",
        )
        available = cfg["float"] - cfg["reserved"]
        ctx.require(amount <= available, f"insufficient balance: the facility can lend {available}")
        op_id = f"srf{cfg['next_id']}"
        cfg["next_id"] += 1
        lock = f"{NAME}/{op_id}"
        settle(
            ctx,
            [
                Instruction(collateral, who, who, collateral_amount, to_lock=lock),
                Instruction(cfg["cash"], HOLDER, who, amount),
            ],
            f"facility/{op_id}/open",
        )
        maturity_day = add_business_days(today, 1)
        due = amount + srf_interest(amount, rate_bps, maturity_day - today)
        cfg["float"] -= amount
        cfg["srf_today"] += amount
        cfg["srf_total"] += amount
        ctx.put(f"out/srf/{who}", outstanding + amount)
        record = {
            "state": SRF.initial,
            "kind": "srf",
            "party": who,
            "amount": amount,
            "rate_bps": rate_bps,
            "due": due,
            "collateral": collateral,
            "units": collateral_amount,
            "start_day": today,
            "maturity_ms": maturity_day * DAY_MS + cfg["unwind_ms_of_day"],
            "lock": lock,
        }
        self._open(ctx, cfg, op_id, record, party_a=cfg["operator"], party_b=who)
        ctx.emit(
            "srf_opened",
            visible_to=(who,),
            id=op_id,
            party=who,
            amount=amount,
            rate_bps=rate_bps,
            collateral=collateral,
            units=collateral_amount,
        )

    @method("dealer", "settlement_bank")
    def srf_repay(self, ctx: Context, loan: str) -> None:
        """Repay standing-repo ``loan`` (principal and interest); the collateral comes back."""
        cfg = self._cfg(ctx)
        record = ctx.get(f"op/{loan}")
        ctx.require(record is not None and record["kind"] == "srf", f"no standing repo {loan!r}")
        ctx.require(record["party"] == ctx.origin, f"only {record['party']!r} repays {loan}")
        SRF.fire(record, "repay")
        settle(
            ctx,
            [
                Instruction(cfg["cash"], ctx.origin, HOLDER, record["due"]),
                Instruction(
                    record["collateral"],
                    ctx.origin,
                    ctx.origin,
                    record["units"],
                    from_lock=record["lock"],
                ),
            ],
            f"facility/{loan}/repay",
        )
        cfg["float"] += record["due"]
        cfg["srf_total"] -= record["amount"]
        self._close(ctx, cfg, loan, record, "matured")
        ctx.emit("srf_repaid", visible_to=(ctx.origin,), id=loan, due=record["due"])

    # -- hooks --------------------------------------------------------------------------------
    def begin_block(self, ctx: Context) -> None:
        """Unwind matured reverse repos; default standing repos past maturity and grace."""
        cfg = ctx.get("cfg")
        if cfg is None or not cfg["next_ms"] or ctx.time_ms < cfg["next_ms"]:
            return
        next_ms = 0
        for key, _ in list(ctx.scan("open/")):
            op_id = key.removeprefix("open/")
            record = ctx.get(f"op/{op_id}")
            due_ms = record["maturity_ms"] + (cfg["srf_grace_ms"] if record["kind"] == "srf" else 0)
            if ctx.time_ms < due_ms:
                next_ms = due_ms if not next_ms else min(next_ms, due_ms)
                continue
            if record["kind"] == "rrp":
                self._unwind(ctx, cfg, op_id, record)
            else:
                self._default(ctx, cfg, op_id, record)
        cfg["next_ms"] = next_ms
        ctx.put("cfg", cfg)

    def _unwind(self, ctx: Context, cfg: dict, op_id: str, record: dict) -> None:
        RRP.fire(record, "unwind")
        settle(
            ctx,
            [
                Instruction(
                    cfg["cash"], HOLDER, record["party"], record["amount"] + record["interest"]
                ),
                Instruction(
                    record["collateral"],
                    record["party"],
                    HOLDER,
                    record["units"],
                    from_lock=record["lock"],
                ),
            ],
            f"facility/{op_id}/unwind",
        )
        ctx.put(
            f"inv/{record['collateral']}",
            ctx.get(f"inv/{record['collateral']}", 0) + record["units"],
        )
        cfg["float"] -= record["interest"]
        cfg["reserved"] -= record["interest"]
        cfg["rrp_total"] -= record["amount"]
        self._close(ctx, cfg, op_id, record, "matured")
        ctx.emit(
            "rrp_unwound",
            visible_to=(record["party"],),
            id=op_id,
            paid=record["amount"] + record["interest"],
        )

    def _default(self, ctx: Context, cfg: dict, op_id: str, record: dict) -> None:
        SRF.fire(record, "default")
        settle(
            ctx,
            [
                Instruction(
                    record["collateral"],
                    record["party"],
                    cfg["operator"],
                    record["units"],
                    from_lock=record["lock"],
                )
            ],
            f"facility/{op_id}/default",
        )
        terms = ctx.get(f"col/{record['collateral']}")
        point = ctx.read("oracle", oracle.point_key("price", terms["price_key"]))
        recovery = 0
        if point is not None:
            price = point["value"] * 10**lm.PRICE_SCALE // 10 ** point["scale"]
            c = self._collateral(ctx, record["collateral"], terms, price)
            value = lm.value_of(c, record["units"], self._decimals(ctx, cfg["cash"]))
            recovery = min(BPS, value * BPS // record["due"])
        cfg["srf_total"] -= record["amount"]
        self._close(ctx, cfg, op_id, record, "defaulted", recovery)
        ctx.emit(
            "srf_defaulted",
            visible_to=(record["party"],),
            id=op_id,
            due=record["due"],
            recovery_bps=recovery,
        )

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _cfg(ctx: Context) -> dict[str, Any]:
        cfg = ctx.get("cfg")
        ctx.require(cfg is not None, "the facility is not configured")
        return cfg

    @staticmethod
    def _terms(ctx: Context, symbol: str, use: str) -> dict[str, Any]:
        terms = ctx.get(f"col/{symbol}")
        ctx.require(
            terms is not None and terms[use],
            f"ineligible collateral: {symbol!r} is not eligible for {use.upper()}",
        )
        return terms

    @staticmethod
    def _rate(ctx: Context, cfg: dict[str, Any], key: str) -> int:
        return oracle.value(ctx, "rate", key, 4, cfg["rate_max_age_ms"] or None)

    @staticmethod
    def _price(ctx: Context, cfg: dict[str, Any], terms: dict[str, Any]) -> int:
        age = cfg["rate_max_age_ms"] or None
        return oracle.value(ctx, "price", terms["price_key"], lm.PRICE_SCALE, age)

    @staticmethod
    def _decimals(ctx: Context, symbol: str) -> int:
        return ctx.read("token", f"t/{symbol}")["decimals"]

    def _collateral(self, ctx: Context, symbol: str, terms: dict, price: int) -> lm.Collateral:
        return lm.Collateral(
            symbol, 0, self._decimals(ctx, symbol), price, terms["units_per_price"], 0, 0, BPS, 0
        )

    @staticmethod
    def _limit(ctx: Context, limit: int, used: int, amount: int, what: str) -> None:
        ctx.require(
            limit == 0 or used + amount <= limit,
            f"{what} limit: {used} taken up + {amount} exceeds {limit}",
        )

    def _open(
        self, ctx: Context, cfg: dict, op_id: str, record: dict, party_a: str, party_b: str
    ) -> None:
        netting_set = f"{NAME}/{record['kind']}/{record['party']}"
        if ctx.read("trades", f"ns/{netting_set}") is None:
            ctx.call(
                "trades",
                "open_netting_set",
                netting_set=netting_set,
                party_a=party_a,
                party_b=party_b,
                currency=cfg["cash"],
            )
        ctx.call(
            "trades",
            "record_trade",
            trade_id=f"{NAME}/{op_id}",
            netting_set=netting_set,
            asset_class="IR",
            position="LONG",
            notional=record["amount"],
            maturity_ms=record["maturity_ms"],
            terms={
                "mtm": record["amount"],
                "start_ms": ctx.time_ms,
                "end_ms": record["maturity_ms"],
                "reference": f"facility:{op_id}",
            },
        )
        ctx.put(f"op/{op_id}", record)
        ctx.put(f"open/{op_id}", 1)
        due = record["maturity_ms"] + (cfg["srf_grace_ms"] if record["kind"] == "srf" else 0)
        cfg["next_ms"] = due if not cfg["next_ms"] else min(cfg["next_ms"], due)
        ctx.put("cfg", cfg)

    def _close(
        self,
        ctx: Context,
        cfg: dict,
        op_id: str,
        record: dict,
        outcome: str,
        recovery_bps: int = BPS,
    ) -> None:
        key = f"out/{record['kind']}/{record['party']}"
        left = ctx.get(key, 0) - record["amount"]
        if left:
            ctx.put(key, left)
        else:
            ctx.delete(key)
        ctx.put(f"op/{op_id}", record)
        ctx.delete(f"open/{op_id}")
        ctx.call(
            "trades",
            "close_trade",
            trade_id=f"{NAME}/{op_id}",
            outcome=outcome,
            recovery_bps=recovery_bps,
        )
        ctx.put("cfg", cfg)

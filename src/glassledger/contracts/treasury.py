"""``treasury``: tokenized US Treasury bills, notes and bonds.

Each security is a token of the ``token`` contract whose symbol is its CUSIP and whose issuer
is ``contract:treasury``: one minor unit of the security is one minor unit of **face** in its
cash token (``USD`` cents), so holdings, collateral locks and transfers are ordinary token
operations and other contracts (``repo``, ``pool``, ``facility``) post them as collateral.

Roles and calls:

* an **issuer** (participant with role ``issuer``; the US Treasury of the chain) defines a
  security with :meth:`Treasury.create_issue` (CUSIP with a valid check digit, kind ``bill``,
  ``note`` or ``bond``, issue and maturity dates, coupon rate, coupon frequency), then issues
  face into custody accounts with :meth:`Treasury.issue` (mint to the holder's free balance;
  reopenings issue more of the same CUSIP);
* the issuer **pre-funds the paying agent**: :meth:`Treasury.fund` moves its cash into the
  escrow lock ``treasury/pa/<CUSIP>`` (held for the issuer, owned by this contract). Coupons
  and redemptions are paid only out of that escrow, by settlement instructions
  (:mod:`glassledger.ledger.abi.settlement`) settled by ``token.settle``; the issuer takes
  back what is left after the security is retired with :meth:`Treasury.defund`;
* ``begin_block`` pays every coupon and redemption falling due on a day up to the block's day
  (``time_ms // 86_400_000``), to the **holders of record at payment**: free balances and
  escrow locks alike (a coupon on collateral locked by ``repo`` or ``pool`` goes to the lock's
  holder, the collateral giver: a manufactured payment, as in repo practice);
* **redemption** at maturity pays face to every free balance and retires those tokens
  (``token.retire``); face locked as collateral at maturity cannot be retired under another
  contract's lock, so its cash stays reserved in the escrow (``unsurrendered``) until whoever
  holds the tokens after release surrenders them with :meth:`Treasury.redeem`;
* **failure to pay**: when the escrow holds less than a payment due, nothing is paid, the
  payment is queued and the event ``failure_to_pay`` (cusip, kind, index, due, shortfall) is
  emitted; the security's lifecycle moves to ``in_arrears``. Every later block retries the
  queue in order; a queued payment paid late emits ``paid`` with ``late=True``. No balance
  ever goes negative.

Prices and yields: the oracle posts each security's **clean price per 100**, kind ``price``,
key :func:`price_key` (``UST-<CUSIP>``), any scale. :func:`quote` returns clean, accrued and
full price per 100 (scale 1e8) at the block's day, and for bills the discount rate and the
investment rate, for a note or bond its yield (``note_yield_e8``); :func:`value` the
market value of a face amount (minor units). The
conventions (bills: discount basis actual/360, investment rate; notes and bonds:
actual/actual ICMA) are in :mod:`glassledger.contracts.treasury_math`.

Lifecycle of a security (:data:`ISSUE_LIFECYCLE`): ``outstanding`` -> ``in_arrears`` on a
missed payment -> ``outstanding`` when the arrears are paid; ``outstanding`` -> ``matured``
when the redemption is paid.

State layout (namespace ``treasury/``):

* ``s/<CUSIP>`` -> security ``{"cusip", "kind", "issuer", "cash", "issue_day",
  "maturity_day", "rate_e8", "frequency", "schedule": [quasi-coupon days], "state",
  "issued" (face ever issued), "paid_coupons", "pending": [[kind, index, due_day, missed]],
  "unsurrendered"}``;
* ``due/<day>`` -> ``[[CUSIP, kind, index]]`` payments falling due that day (``kind``
  ``coupon`` with the 1-based coupon index, or ``redemption``);
* ``day`` -> last day whose payments were queued; ``arrears`` -> sorted CUSIPs with queued
  payments (normally empty: one read per block when nothing is due);
* ``issues`` -> sorted list of every CUSIP.

Events: ``issue_created``, ``issued``, ``funded``, ``defunded``, ``paid`` (cusip, kind,
index, due_day, amount, holders, late), ``failure_to_pay``, ``matured``, ``redeemed``.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import oracle
from glassledger.contracts import treasury_math as tm
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, CONTRACT, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "treasury"
HOLDER = f"contract:{NAME}"
KINDS = ("bill", "note", "bond")
#: Longest original term per kind, in days (bills up to 52 weeks plus a margin for
#: cash-management bills; notes up to 10 years; bonds up to 30 years), and shortest.
MAX_TERM_DAYS = {"bill": 371, "note": 3_660, "bond": 11_000}
MIN_TERM_DAYS = {"bill": 1, "note": 360, "bond": 3_650}
#: Legs per ``token.settle`` call when paying many holders.
CHUNK = 500

ISSUE_LIFECYCLE = Lifecycle.of(
    "treasury_security",
    initial="outstanding",
    rows=[
        ("outstanding", "coupon_paid", "outstanding"),
        ("outstanding", "payment_missed", "in_arrears"),
        ("in_arrears", "payment_missed", "in_arrears"),
        ("in_arrears", "arrears_paid", "outstanding"),
        ("in_arrears", "coupon_paid", "in_arrears"),
        ("outstanding", "redeemed", "matured"),
    ],
)


def price_key(cusip: str) -> str:
    """The oracle price key of a security: ``UST-<CUSIP>`` (clean price per 100)."""
    return f"UST-{cusip}"


def agent_lock(cusip: str) -> str:
    """Token lock id of a security's paying-agent escrow."""
    return f"{NAME}/pa/{cusip}"


def security(ctx: Context, cusip: str) -> dict[str, Any]:
    """The security record (read from any contract); :class:`ContractError` if unknown."""
    record = ctx.read(NAME, f"s/{cusip}")
    if record is None:
        raise ContractError(f"no Treasury security {cusip!r}")
    return record


def accrued_e8(sec: dict[str, Any], day: int) -> int:
    """Accrued interest per 100 of face at ``day`` (scale 1e8); 0 for a bill."""
    if not sec["rate_e8"]:
        return 0
    return tm.accrued_per_100_e8(
        sec["rate_e8"], sec["frequency"], sec["schedule"], sec["issue_day"], day
    )


def full_price_e8(ctx: Context, cusip: str, max_age_ms: int | None = None) -> int:
    """Full (dirty) price per 100, scale 1e8, at the block's day: the oracle's clean price
    plus accrued interest. 0 once matured (the security is then a claim on the escrow,
    valued by :func:`value` at par if the escrow holds it). Stale or missing price:
    :class:`ContractError`."""
    sec = security(ctx, cusip)
    day = ctx.time_ms // tm.DAY_MS
    if day >= sec["maturity_day"]:
        return tm.PAR_E8 if sec["state"] == "matured" else 0
    clean = oracle.value(ctx, "price", price_key(cusip), 8, max_age_ms)
    return clean + accrued_e8(sec, day)


def value(ctx: Context, cusip: str, face: int, max_age_ms: int | None = None) -> int:
    """Market value (cash minor units, rounded down) of ``face`` minor units of ``cusip``
    at the full price in force."""
    return tm.value_of(face, full_price_e8(ctx, cusip, max_age_ms))


def quote(ctx: Context, cusip: str, max_age_ms: int | None = None) -> dict[str, int]:
    """Clean, accrued and full price per 100 (scale 1e8) at the block's day and, for a bill,
    its discount rate and investment rate, for a note or bond its yield (all scale 1e8), with
    the days to maturity."""
    sec = security(ctx, cusip)
    day = ctx.time_ms // tm.DAY_MS
    clean = oracle.value(ctx, "price", price_key(cusip), 8, max_age_ms)
    accrued = accrued_e8(sec, day)
    out = {"clean_e8": clean, "accrued_e8": accrued, "full_e8": clean + accrued}
    days = sec["maturity_day"] - day
    out["days_to_maturity"] = days
    if sec["kind"] == "bill" and days > 0:
        out["discount_rate_e8"] = tm.bill_discount_rate_e8(clean, days)
        out["investment_rate_e8"] = tm.bill_investment_rate_e8(clean, days, tm.year_days_after(day))
    elif sec["kind"] != "bill" and days > 0 and day > sec["issue_day"]:
        out["yield_e8"] = tm.note_yield_e8(
            clean, sec["rate_e8"], sec["frequency"], sec["schedule"], sec["issue_day"], day
        )
    return out


class Treasury(Contract):
    """Tokenized Treasuries: terms, issuance, paying agent, coupons and redemption."""

    name = NAME
    accepts_tokens = True

    @method("issuer")
    def create_issue(
        self,
        ctx: Context,
        cusip: str,
        kind: str,
        issue_date: str,
        maturity_date: str,
        rate_e8: int = 0,
        frequency: int = 2,
        cash: str = "USD",
    ) -> None:
        """Define security ``cusip``: ``kind`` bill (``rate_e8`` 0, discount security) or
        note/bond (coupon ``rate_e8``, decimal rate scaled 1e8, paid ``frequency`` times a
        year); dates ``YYYY-MM-DD``; face in minor units of token ``cash``. Creates the token
        ``cusip`` (issuer ``contract:treasury``, the cash token's decimals)."""
        problem = tm.cusip_problem(cusip)
        ctx.require(not problem, problem)
        ctx.require(kind in KINDS, f"kind must be one of {KINDS}, got {kind!r}")
        ctx.require(not ctx.has(f"s/{cusip}"), f"security {cusip} exists")
        try:
            issue_day, maturity_day = tm.day_of(issue_date), tm.day_of(maturity_date)
        except ValueError as exc:
            raise ContractError(f"dates must be YYYY-MM-DD: {exc}") from exc
        term = maturity_day - issue_day
        ctx.require(
            MIN_TERM_DAYS[kind] <= term <= MAX_TERM_DAYS[kind],
            f"a {kind} runs {MIN_TERM_DAYS[kind]}..{MAX_TERM_DAYS[kind]} days; "
            f"{issue_date}..{maturity_date} is {term}",
        )
        ctx.require(maturity_day > ctx.time_ms // tm.DAY_MS, f"maturity {maturity_date} has passed")
        cash_token = ctx.read("token", f"t/{cash}")
        ctx.require(cash_token is not None, f"no cash token {cash!r}")
        if kind == "bill":
            ctx.require(rate_e8 == 0, "a bill pays no coupon: rate_e8 must be 0")
            schedule = [issue_day, maturity_day]
            frequency = 0
        else:
            ctx.require(
                0 < rate_e8 <= 25 * tm.E8 // 100, f"coupon rate {rate_e8}e-8 not in (0, 25%]"
            )
            ctx.require(frequency in (1, 2, 4, 12), f"frequency {frequency} not in 1, 2, 4, 12")
            schedule = tm.coupon_schedule(issue_day, maturity_day, frequency)
        ctx.call("token", "create", symbol=cusip, decimals=cash_token["decimals"], issuer=HOLDER)
        sec = {
            "cusip": cusip,
            "kind": kind,
            "issuer": ctx.caller,
            "cash": cash,
            "issue_day": issue_day,
            "maturity_day": maturity_day,
            "rate_e8": rate_e8,
            "frequency": frequency,
            "schedule": schedule,
            "state": ISSUE_LIFECYCLE.initial,
            "issued": 0,
            "paid_coupons": 0,
            "pending": [],
            "unsurrendered": 0,
        }
        ctx.put(f"s/{cusip}", sec)
        if kind != "bill":
            for index in range(1, len(schedule)):
                self._schedule(ctx, schedule[index], [cusip, "coupon", index])
        self._schedule(ctx, maturity_day, [cusip, "redemption", 0])
        issues = ctx.get("issues", [])
        issues.append(cusip)
        ctx.put("issues", sorted(issues))
        if not ctx.has("day"):
            ctx.put("day", ctx.time_ms // tm.DAY_MS)
        ctx.emit(
            "issue_created",
            cusip=cusip,
            kind=kind,
            issue_date=issue_date,
            maturity_date=maturity_date,
            rate_e8=rate_e8,
            frequency=frequency,
            coupon_dates=[tm.iso_of(d) for d in schedule[1:]] if kind != "bill" else [],
        )

    @method("issuer")
    def issue(self, ctx: Context, cusip: str, to: str, face: int) -> None:
        """Issue ``face`` minor units of ``cusip`` into the custody account ``to``."""
        sec = self._own(ctx, cusip)
        ctx.require(face > 0, f"face must be positive, got {face}")
        day = ctx.time_ms // tm.DAY_MS
        ctx.require(day < sec["maturity_day"], f"{cusip} has matured")
        ctx.require(sec["state"] == "outstanding", f"{cusip} is {sec['state']}: no new issuance")
        ctx.call("token", "mint", symbol=cusip, to=to, amount=face)
        sec["issued"] += face
        ctx.put(f"s/{cusip}", sec)
        ctx.emit("issued", cusip=cusip, to=to, face=face)

    @method("issuer")
    def fund(self, ctx: Context, cusip: str, amount: int) -> None:
        """Move ``amount`` of the issuer's cash into the paying-agent escrow of ``cusip``."""
        sec = self._own(ctx, cusip)
        ctx.require(amount > 0, f"amount must be positive, got {amount}")
        leg = Instruction(sec["cash"], ctx.caller, ctx.caller, amount, to_lock=agent_lock(cusip))
        settle(ctx, [leg], reference=f"treasury/{cusip}/fund")
        ctx.emit("funded", cusip=cusip, amount=amount, escrow=self._escrow(ctx, cusip))

    @method("issuer")
    def defund(self, ctx: Context, cusip: str, amount: int) -> None:
        """Take back ``amount`` of escrow not owed to anyone: only after the redemption, and
        only beyond what still-unsurrendered face is owed."""
        sec = self._own(ctx, cusip)
        ctx.require(sec["state"] == "matured", f"{cusip} is {sec['state']}: escrow is owed")
        free = self._escrow(ctx, cusip) - sec["unsurrendered"]
        ctx.require(0 < amount <= free, f"escrow of {cusip} has {free} not owed; asked {amount}")
        leg = Instruction(sec["cash"], sec["issuer"], sec["issuer"], amount, agent_lock(cusip))
        settle(ctx, [leg], reference=f"treasury/{cusip}/defund")
        ctx.emit("defunded", cusip=cusip, amount=amount)

    @method(ANY, CONTRACT)
    def redeem(self, ctx: Context, cusip: str, face: int) -> None:
        """Surrender ``face`` of a matured security (face that was locked as collateral at
        maturity) for its cash, paid from the escrow reserved for it."""
        sec = security(ctx, cusip)
        ctx.require(sec["state"] == "matured", f"{cusip} is {sec['state']}, not matured")
        ctx.require(0 < face <= sec["unsurrendered"], f"{sec['unsurrendered']} face unsurrendered")
        holder = ctx.origin
        legs = [
            Instruction(cusip, holder, HOLDER, face),
            Instruction(sec["cash"], sec["issuer"], holder, face, from_lock=agent_lock(cusip)),
        ]
        settle(ctx, legs, reference=f"treasury/{cusip}/surrender")
        ctx.call("token", "burn", symbol=cusip, amount=face)
        sec["unsurrendered"] -= face
        ctx.put(f"s/{cusip}", sec)
        ctx.emit("redeemed", cusip=cusip, holder=holder, face=face)

    # ------------------------------------------------------------------ hooks

    def begin_block(self, ctx: Context) -> None:
        """Queue the payments due up to today and pay every queue the escrow can pay."""
        last = ctx.get("day")
        if last is None:
            return
        today = ctx.time_ms // tm.DAY_MS
        arrears = ctx.get("arrears", [])
        if today > last:
            touched = set(arrears)
            for day in range(last + 1, today + 1):
                for cusip, kind, index in ctx.get(f"due/{day}", []):
                    sec = ctx.get(f"s/{cusip}")
                    sec["pending"].append([kind, index, day, False])
                    ctx.put(f"s/{cusip}", sec)
                    touched.add(cusip)
                ctx.delete(f"due/{day}")
            ctx.put("day", today)
            arrears = sorted(touched)
        if not arrears:
            return
        left = [cusip for cusip in arrears if not self._pay_queue(ctx, cusip)]
        if left != ctx.get("arrears", []):
            ctx.put("arrears", left) if left else ctx.delete("arrears")

    # ------------------------------------------------------------------ internals

    def _pay_queue(self, ctx: Context, cusip: str) -> bool:
        """Pay ``cusip``'s queued payments in order; True when the queue is empty."""
        sec = ctx.get(f"s/{cusip}")
        while sec["pending"]:
            kind, index, due_day, missed = sec["pending"][0]
            holdings = ctx.call("token", "holders", symbol=cusip)
            legs, total, retire = self._legs(sec, kind, index, holdings)
            escrow = self._escrow(ctx, cusip)
            locked = sum(amount for _, amount, lock in holdings if lock)
            need = total + (locked if kind == "redemption" else 0)
            if escrow < need:
                if not missed:
                    sec["pending"][0][3] = True
                    ISSUE_LIFECYCLE.fire(sec, "payment_missed")
                    ctx.emit(
                        "failure_to_pay",
                        cusip=cusip,
                        kind=kind,
                        index=index,
                        due_day=due_day,
                        due=need,
                        escrow=escrow,
                        shortfall=need - escrow,
                    )
                ctx.put(f"s/{cusip}", sec)
                return False
            for start in range(0, len(legs), CHUNK):
                settle(
                    ctx, legs[start : start + CHUNK], reference=f"treasury/{cusip}/{kind}/{index}"
                )
            for holder, amount in retire:
                ctx.call("token", "retire", symbol=cusip, holder=holder, amount=amount)
            sec["pending"].pop(0)
            if sec["state"] == "in_arrears" and not any(p[3] for p in sec["pending"]):
                ISSUE_LIFECYCLE.fire(sec, "arrears_paid")
            if kind == "coupon":
                sec["paid_coupons"] = index
                ISSUE_LIFECYCLE.fire(sec, "coupon_paid")
            else:
                sec["unsurrendered"] = locked
                ISSUE_LIFECYCLE.fire(sec, "redeemed")
                ctx.emit("matured", cusip=cusip, unsurrendered=locked)
            ctx.emit(
                "paid",
                cusip=cusip,
                kind=kind,
                index=index,
                due_day=due_day,
                amount=total,
                holders=len(legs),
                late=missed or ctx.time_ms // tm.DAY_MS > due_day,
            )
        ctx.put(f"s/{cusip}", sec)
        return True

    @staticmethod
    def _legs(
        sec: dict[str, Any], kind: str, index: int, holdings: list[list[Any]]
    ) -> tuple[list[Instruction], int, list[tuple[str, int]]]:
        """Payment legs per holder of record (coupons on free and locked holdings; the
        redemption on free holdings, which are retired), their total, and what to retire."""
        per_holder: dict[str, int] = {}
        retire: list[tuple[str, int]] = []
        for holder, amount, lock in holdings:
            if kind == "coupon":
                due = tm.coupon_amount(
                    amount,
                    sec["rate_e8"],
                    sec["frequency"],
                    sec["schedule"],
                    sec["issue_day"],
                    index,
                )
            elif lock:
                continue  # reserved in the escrow until surrendered
            else:
                due = amount
                retire.append((holder, amount))
            if due:
                per_holder[holder] = per_holder.get(holder, 0) + due
        lock = agent_lock(sec["cusip"])
        legs = [
            Instruction(sec["cash"], sec["issuer"], holder, due, from_lock=lock)
            for holder, due in sorted(per_holder.items())
            if holder != HOLDER
        ]
        return legs, sum(leg.amount for leg in legs), retire

    @staticmethod
    def _schedule(ctx: Context, day: int, entry: list[Any]) -> None:
        due = ctx.get(f"due/{day}", [])
        due.append(entry)
        ctx.put(f"due/{day}", due)

    @staticmethod
    def _escrow(ctx: Context, cusip: str) -> int:
        record = ctx.read("token", f"l/{agent_lock(cusip)}")
        return 0 if record is None else record["amount"]

    @staticmethod
    def _own(ctx: Context, cusip: str) -> dict[str, Any]:
        sec = ctx.get(f"s/{cusip}")
        ctx.require(sec is not None, f"no Treasury security {cusip!r}")
        ctx.require(sec["issuer"] == ctx.caller, f"{cusip} is issued by {sec['issuer']!r}")
        return sec

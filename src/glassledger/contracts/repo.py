"""``repo``: bilateral repurchase agreements on the ledger, with a tri-party variant.

A repo is a loan of cash (``cash`` minor units of ``cash_symbol``) from the **buyer** to the
**seller** against collateral (tokenized Treasuries, or cash as margin) that the seller
repurchases later with interest. Everything runs on the contract ABI's lifecycle tables
(:data:`REPO_LIFECYCLE`, :data:`MARGIN_CALL_LIFECYCLE`) and moves tokens only through
:func:`glassledger.ledger.abi.settlement.settle`.

**Collateral custody.** Collateral sits in escrow locks ``repo/<id>/c/<symbol>`` owned by this
contract and held for the seller: the buyer cannot re-use it, the seller cannot take it back
without meeting the requirement, coupons on it are paid to the seller (manufactured
coupon, see :mod:`glassledger.contracts.treasury`). The only party that can fail is therefore
the seller (margin call or repurchase missed); the buyer's cash obligation is settled at the
opening.

**Opening with delivery versus payment.** The proposer escrows its leg at once
(:meth:`Repo.propose`: the seller its collateral, the buyer its cash, in offer locks
``repo/<id>/o/<symbol>``); the counterparty's :meth:`Repo.accept` settles in **one**
``token.settle`` batch its own leg from its free balance and the escrowed leg: cash to the
seller and collateral into the repo's locks, or nothing at all. The proposer may
:meth:`Repo.cancel` before acceptance and gets its escrow back.

**Terms.** ``term_days`` 1 is overnight, more a term repo, 0 an **open** repo (no maturity
until either party calls :meth:`Repo.terminate`). ``rate_bps``: the repo rate, basis points a
year, actual/360 simple interest per whole day (:mod:`glassledger.contracts.repo_book`).
``threshold`` and ``mta`` (minor units) of the margin agreement. Collateral must be listed
(:meth:`Repo.list_collateral`, regulator) in a **collateral class** with its haircut
(:meth:`Repo.set_class`), and must mature after the repo's maturity.

**Mark-to-market** in the block hooks: on the first block of each day (``begin_block``)
every open repo is marked (collateral at the oracle's full price, requirement = cash +
accrued interest) and margin calls issued; the trades of the open repos are then re-marked
in the ``trades`` register ``repo_mark_buckets_per_block`` index buckets (default 8 x 128
repos) per block over the first blocks of the day; within the day, a
price posted in a block re-marks, in that block's ``end_block``, only the repos holding that
security (index ``ix/<symbol>``). A **margin call** is issued when the deficit exceeds the
threshold and the MTA, due by ``repo_margin_deadline_ms`` (chain parameter, default 4 h).
The seller meets it by :meth:`Repo.post_margin` (securities or cash); a tri-party repo's
agent first tops it up from the seller's tri-party account. A stale price leaves the repos
holding that collateral unmarked (event ``stale_price``) and rejects every call that needs it.

**Life of an open repo**: :meth:`Repo.substitute` (collateral swap, refused if the collateral
after haircut would fall below the requirement), :meth:`Repo.withdraw_excess`,
:meth:`Repo.rollover` (both parties call it with the same terms: the accrued interest is
added to the principal and a new term starts, nothing moves), :meth:`Repo.repurchase` (the
seller only: cash plus interest to the buyer, collateral back to the seller, in one batch).

**Default**: a margin call not met by its deadline or a repurchase not made by the end of the
maturity day. The buyer keeps the collateral (paid out of the locks into its free balance; it
may sell it), the difference between the amount due and the collateral's market value is
recorded as a **claim** (``claim/<id>``: positive, the buyer's unsecured claim on the seller;
negative, the excess the buyer owes back), the trade is closed ``defaulted`` with the
recovery in basis points, and the public event ``default`` is emitted for the risk analytics
and the rating system.

**Tri-party** (:mod:`glassledger.contracts.repo_triparty`): an agent (role
``settlement_bank``) publishes a collateral schedule; sellers keep securities in a tri-party
account; a repo proposed with ``schedule`` gets its collateral allocated by the agent's rule
from that account at acceptance, and margin deficits are topped up from it automatically.

**Exposure**: netting set ``repo/<buyer>/<seller>`` (party_a the buyer), one trade
``repo/<id>`` per repo (``notional`` = cash, ``mtm`` = cash + accrued interest owed by the
seller, ``collateral`` = collateral market value at opening), re-marked daily and on margin
calls, closed ``matured`` on repurchase or rollover (a rollover records ``repo/<id>/<n>``) and
``defaulted`` on default.

State layout (namespace ``repo/``):

* ``r/<id>`` -> repo ``{"id", "seq", "state", "buyer", "seller", "proposer", "cash_symbol",
  "cash", "rate_bps", "term_days", "start_day", "opened_ms", "maturity_day" (0: open),
  "threshold", "mta", "collateral": {symbol: amount}, "offer": {symbol: amount},
  "call": margin call or null, "schedule", "roll", "rolls", "trade"}``; margin call
  ``{"state", "issued_ms", "deadline_ms", "requirement", "deficit"}``;
* ``class/<name>`` -> ``{"haircut_bps"}``; ``elig/<symbol>`` -> class name; ``symbols`` ->
  sorted listed symbols;
* ``mx/<bucket>``, ``ix/<symbol>``: the mark-to-market index (:mod:`.repo_book`); ``seq``;
* ``next_deadline`` (the nearest margin-call deadline, ms); ``day`` (last marked day);
  ``seen/<symbol>`` -> observation time of the price last marked (due repurchases and missed
  calls are found by the pass over the index);
* ``claim/<id>`` -> ``{"creditor", "debtor", "amount", "symbol", "due", "collateral_value"}``;
* tri-party: ``sched/<id>``, ``box/<seller>`` (see :mod:`.repo_triparty`).

Events (visible to the two parties and the regulator unless stated): ``proposed``,
``cancelled``, ``opened``, ``margin_call``, ``margin_posted``, ``margin_met``,
``substituted``, ``excess_withdrawn``, ``rollover_requested``, ``rolled``, ``terminated``,
``repurchased``, ``default`` (public), ``stale_price`` (public), tri-party ``allocated``.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts import repo_book as rb
from glassledger.contracts import treasury
from glassledger.contracts.repo_book import collateral_lock, price_e8
from glassledger.contracts.repo_triparty import TripartyMethods, allocate
from glassledger.contracts.treasury_math import DAY_MS, PAR_E8
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "repo"
HOLDER = f"contract:{NAME}"
DEFAULT_MARGIN_DEADLINE_MS = 4 * 3_600_000
#: Index buckets whose trades are re-marked in the ``trades`` register per block.
DEFAULT_MARK_BUCKETS = 8
#: Longest repo term (days) and largest repo rate accepted (bps a year).
MAX_TERM_DAYS = 3_660
MAX_RATE_BPS = 10_000
#: Maturity recorded in the trades register for an open repo (no contractual maturity).
OPEN_RECORD_DAYS = 365

REPO_LIFECYCLE = Lifecycle.of(
    "repo",
    initial="proposed",
    rows=[
        ("proposed", "accept", "open"),
        ("proposed", "cancel", "cancelled"),
        ("open", "margin_call", "called"),
        ("called", "margin_met", "open"),
        ("open", "substitute", "open"),
        ("open", "withdraw_excess", "open"),
        ("open", "post_margin", "open"),
        ("called", "post_margin", "called"),
        ("open", "rollover", "open"),
        ("open", "terminate", "open"),
        ("called", "terminate", "called"),
        ("open", "repurchase", "closed"),
        ("called", "repurchase", "closed"),
        ("open", "default", "defaulted"),
        ("called", "default", "defaulted"),
    ],
)

MARGIN_CALL_LIFECYCLE = Lifecycle.of(
    "margin_call",
    initial="issued",
    rows=[
        ("issued", "meet", "met"),
        ("issued", "deadline", "missed"),
        ("issued", "repurchase", "settled"),
    ],
)


def offer_lock(repo_id: str, symbol: str) -> str:
    return f"{NAME}/{repo_id}/o/{symbol}"


def netting_set_id(buyer: str, seller: str) -> str:
    return f"{NAME}/{buyer}/{seller}"


class Repo(TripartyMethods, Contract):
    """Bilateral and tri-party repo; see the module docstring."""

    name = NAME

    # ------------------------------------------------------------------ set-up

    @method("regulator")
    def set_class(self, ctx: Context, name: str, haircut_bps: int) -> None:
        """Create or change collateral class ``name`` with its haircut (bps of value)."""
        ctx.require(0 < len(name) <= 32 and "/" not in name, f"bad class name {name!r}")
        ctx.require(0 <= haircut_bps < rb.BPS, f"haircut must be in [0, 10000), got {haircut_bps}")
        ctx.put(f"class/{name}", {"haircut_bps": haircut_bps})
        ctx.emit("class_set", class_name=name, haircut_bps=haircut_bps)

    @method("regulator")
    def list_collateral(self, ctx: Context, symbol: str, class_name: str) -> None:
        """Make ``symbol`` (a Treasury security or a cash token) eligible in ``class_name``."""
        ctx.require(ctx.has(f"class/{class_name}"), f"no collateral class {class_name!r}")
        token = ctx.read("token", f"t/{symbol}")
        ctx.require(token is not None, f"no token {symbol!r}")
        is_security = ctx.read("treasury", f"s/{symbol}") is not None
        ctx.require(
            is_security or token["issuer"] != "contract:treasury",
            f"{symbol} is neither a Treasury security nor a cash token",
        )
        ctx.put(f"elig/{symbol}", class_name)
        symbols = ctx.get("symbols", [])
        if symbol not in symbols:
            ctx.put("symbols", sorted([*symbols, symbol]))
        ctx.emit("collateral_listed", symbol=symbol, class_name=class_name)

    # ------------------------------------------------------------------ opening

    @method(ANY)
    def propose(
        self,
        ctx: Context,
        repo_id: str,
        side: str,
        counterparty: str,
        cash: int,
        rate_bps: int,
        term_days: int,
        collateral: dict[str, int] | None = None,
        cash_symbol: str = "USD",
        threshold: int = 0,
        mta: int = 0,
        schedule: str = "",
    ) -> None:
        """Propose repo ``repo_id`` as the ``side`` (``seller``: borrows cash against
        ``collateral``, escrowed now; ``buyer``: lends ``cash``, escrowed now) with
        ``counterparty``. ``schedule`` names a tri-party schedule: the seller's collateral is
        then allocated by the agent at acceptance (no ``collateral`` given)."""
        ctx.require(
            0 < len(repo_id) <= 64 and "/" not in repo_id and repo_id.isprintable(),
            f"repo id must be 1..64 printable characters without '/': {repo_id!r}",
        )
        ctx.require(not ctx.has(f"r/{repo_id}"), f"repo {repo_id!r} exists")
        ctx.require(side in ("seller", "buyer"), f"side must be seller or buyer, got {side!r}")
        ctx.require(counterparty != ctx.caller, "a repo needs two different parties")
        other = ctx.read("identity", f"p/{counterparty}")
        ctx.require(
            other is not None and other["active"], f"no active participant {counterparty!r}"
        )
        ctx.require(cash > 0, f"cash must be positive, got {cash}")
        ctx.require(0 <= term_days <= MAX_TERM_DAYS, f"term_days must be 0..{MAX_TERM_DAYS}")
        ctx.require(-MAX_RATE_BPS <= rate_bps <= MAX_RATE_BPS, f"rate {rate_bps} bps out of range")
        ctx.require(threshold >= 0 and mta >= 0, "threshold and mta must be non-negative")
        ctx.require(ctx.read("token", f"t/{cash_symbol}") is not None, f"no token {cash_symbol!r}")
        collateral = dict(collateral or {})
        if schedule:
            ctx.require(ctx.has(f"sched/{schedule}"), f"no tri-party schedule {schedule!r}")
            ctx.require(not collateral, "a tri-party repo's collateral is allocated by the agent")
        seller, buyer = (
            (ctx.caller, counterparty) if side == "seller" else (counterparty, ctx.caller)
        )
        today = ctx.time_ms // DAY_MS
        record = {
            "id": repo_id,
            "seq": -1,
            "state": REPO_LIFECYCLE.initial,
            "buyer": buyer,
            "seller": seller,
            "proposer": ctx.caller,
            "cash_symbol": cash_symbol,
            "cash": cash,
            "rate_bps": rate_bps,
            "term_days": term_days,
            "start_day": today,
            "opened_ms": 0,
            "maturity_day": 0,
            "threshold": threshold,
            "mta": mta,
            "collateral": {},
            "offer": {},
            "call": None,
            "schedule": schedule,
            "roll": None,
            "rolls": 0,
            "trade": "",
        }
        legs = []
        if side == "seller" and not schedule:
            ctx.require(bool(collateral), "the seller's proposal names its collateral")
            self._check_collateral(ctx, record, collateral, today + term_days)
            self._require_cover(ctx, record, collateral, cash)
            for symbol, amount in sorted(collateral.items()):
                self._require_balance(ctx, seller, symbol, amount)
                legs.append(
                    Instruction(symbol, seller, seller, amount, to_lock=offer_lock(repo_id, symbol))
                )
            record["offer"] = collateral
        elif side == "buyer":
            if collateral:
                self._check_collateral(ctx, record, collateral, today + term_days)
            self._require_balance(ctx, buyer, cash_symbol, cash)
            legs.append(
                Instruction(
                    cash_symbol, buyer, buyer, cash, to_lock=offer_lock(repo_id, cash_symbol)
                )
            )
            record["offer"] = {cash_symbol: cash}
            record["wanted"] = collateral
        settle(ctx, legs, reference=f"repo/{repo_id}/propose")
        ctx.put(f"r/{repo_id}", record)
        ctx.emit(
            "proposed",
            visible_to=(buyer, seller),
            repo_id=repo_id,
            buyer=buyer,
            seller=seller,
            cash=cash,
            rate_bps=rate_bps,
            term_days=term_days,
            collateral=collateral,
            schedule=schedule,
        )

    @method(ANY)
    def cancel(self, ctx: Context, repo_id: str) -> None:
        """Withdraw a proposal not yet accepted (proposer only); its escrow is returned."""
        record = self._repo(ctx, repo_id)
        ctx.require(ctx.caller == record["proposer"], f"only {record['proposer']} may cancel")
        REPO_LIFECYCLE.fire(record, "cancel")
        legs = [
            Instruction(
                symbol, ctx.caller, ctx.caller, amount, from_lock=offer_lock(repo_id, symbol)
            )
            for symbol, amount in sorted(record["offer"].items())
        ]
        settle(ctx, legs, reference=f"repo/{repo_id}/cancel")
        record["offer"] = {}
        ctx.put(f"r/{repo_id}", record)
        ctx.emit("cancelled", visible_to=(record["buyer"], record["seller"]), repo_id=repo_id)

    @method(ANY)
    def accept(self, ctx: Context, repo_id: str, collateral: dict[str, int] | None = None) -> None:
        """Accept a proposal (the counterparty only): delivery versus payment in one batch.
        A seller accepting a buyer's proposal names its ``collateral`` here (default: what
        the buyer asked for)."""
        record = self._repo(ctx, repo_id)
        ctx.require(record["state"] == "proposed", f"repo {repo_id} is {record['state']}")
        proposer = record["proposer"]
        counterparty = record["seller"] if proposer == record["buyer"] else record["buyer"]
        ctx.require(ctx.caller == counterparty, f"only {counterparty} may accept repo {repo_id}")
        REPO_LIFECYCLE.fire(record, "accept")
        today = ctx.time_ms // DAY_MS
        seller, buyer, cash_symbol, cash = (
            record["seller"],
            record["buyer"],
            record["cash_symbol"],
            record["cash"],
        )
        maturity = today + record["term_days"] if record["term_days"] else 0
        legs: list[Instruction] = []
        if record["schedule"]:
            chosen = allocate(ctx, record, seller, cash)
            self._check_collateral(ctx, record, chosen, maturity or today)
            legs += self._box_legs(seller, repo_id, chosen)
            self._take_from_box(ctx, seller, chosen)
            if proposer == buyer:
                legs.append(
                    Instruction(
                        cash_symbol, buyer, seller, cash, from_lock=offer_lock(repo_id, cash_symbol)
                    )
                )
            else:
                self._require_balance(ctx, buyer, cash_symbol, cash)
                legs.append(Instruction(cash_symbol, buyer, seller, cash))
        elif proposer == seller:
            chosen = record["offer"]
            self._check_collateral(ctx, record, chosen, maturity or today)
            legs += [
                Instruction(
                    s,
                    seller,
                    seller,
                    a,
                    from_lock=offer_lock(repo_id, s),
                    to_lock=collateral_lock(repo_id, s),
                )
                for s, a in sorted(chosen.items())
            ]
            self._require_balance(ctx, buyer, cash_symbol, cash)
            legs.append(Instruction(cash_symbol, buyer, seller, cash))
        else:
            chosen = dict(collateral or record.get("wanted") or {})
            ctx.require(bool(chosen), "name the collateral to deliver")
            self._check_collateral(ctx, record, chosen, maturity or today)
            for s, a in sorted(chosen.items()):
                self._require_balance(ctx, seller, s, a)
                legs.append(Instruction(s, seller, seller, a, to_lock=collateral_lock(repo_id, s)))
            legs.append(
                Instruction(
                    cash_symbol, buyer, seller, cash, from_lock=offer_lock(repo_id, cash_symbol)
                )
            )
        market, adjusted = self._require_cover(ctx, record, chosen, cash)
        settle(ctx, legs, reference=f"repo/{repo_id}/open")
        seq = ctx.get("seq", 0)
        ctx.put("seq", seq + 1)
        record.update(
            seq=seq,
            collateral=chosen,
            offer={},
            start_day=today,
            opened_ms=ctx.time_ms,
            maturity_day=maturity,
        )
        record.pop("wanted", None)
        record["trade"] = self._record_trade(ctx, record, market)
        self._credit(ctx, record, adjusted)
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)
        if not ctx.has("day"):
            ctx.put("day", today)
        ctx.emit(
            "opened",
            visible_to=(buyer, seller),
            repo_id=repo_id,
            buyer=buyer,
            seller=seller,
            cash=cash,
            rate_bps=record["rate_bps"],
            maturity_day=maturity,
            collateral=chosen,
            collateral_value=market,
        )

    # ------------------------------------------------------------------ life

    @method(ANY)
    def post_margin(self, ctx: Context, repo_id: str, symbol: str, amount: int) -> None:
        """The seller adds ``amount`` of eligible ``symbol`` (a security or the cash token) to
        the collateral; meets an outstanding margin call once the deficit is back within the
        threshold."""
        record = self._repo(ctx, repo_id)
        self._require_seller(ctx, record, "post margin")
        REPO_LIFECYCLE.fire(record, "post_margin")
        self._check_collateral(
            ctx, record, {symbol: amount}, record["maturity_day"] or ctx.time_ms // DAY_MS
        )
        self._require_balance(ctx, record["seller"], symbol, amount)
        leg = Instruction(
            symbol,
            record["seller"],
            record["seller"],
            amount,
            to_lock=collateral_lock(repo_id, symbol),
        )
        settle(ctx, [leg], reference=f"repo/{repo_id}/margin")
        self._index_remove(ctx, record)
        record["collateral"][symbol] = record["collateral"].get(symbol, 0) + amount
        self._credit(ctx, record, self._value(ctx, record, record["collateral"])[1])
        parties = (record["buyer"], record["seller"])
        ctx.emit("margin_posted", visible_to=parties, repo_id=repo_id, symbol=symbol, amount=amount)
        if record["call"] is not None:
            _, deficit = self._deficit(ctx, record)
            if deficit <= record["threshold"]:
                self._end_call(ctx, record, "meet")
                REPO_LIFECYCLE.fire(record, "margin_met")
                ctx.emit("margin_met", visible_to=parties, repo_id=repo_id, deficit=deficit)
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)

    @method(ANY)
    def substitute(
        self,
        ctx: Context,
        repo_id: str,
        out_symbol: str,
        out_amount: int,
        in_symbol: str,
        in_amount: int,
    ) -> None:
        """The seller swaps ``out_amount`` of ``out_symbol`` for ``in_amount`` of
        ``in_symbol`` in one batch; refused if collateral after haircut would fall below the
        requirement (cash + accrued interest)."""
        record = self._repo(ctx, repo_id)
        self._require_seller(ctx, record, "substitute collateral")
        REPO_LIFECYCLE.fire(record, "substitute")
        held = record["collateral"].get(out_symbol, 0)
        ctx.require(0 < out_amount <= held, f"repo {repo_id} holds {held} of {out_symbol}")
        self._check_collateral(
            ctx, record, {in_symbol: in_amount}, record["maturity_day"] or ctx.time_ms // DAY_MS
        )
        after = dict(record["collateral"])
        after[out_symbol] -= out_amount
        after[in_symbol] = after.get(in_symbol, 0) + in_amount
        after = {s: a for s, a in after.items() if a}
        self._require_requirement(ctx, record, after, "substitution")
        self._require_balance(ctx, record["seller"], in_symbol, in_amount)
        seller = record["seller"]
        legs = [
            Instruction(
                in_symbol, seller, seller, in_amount, to_lock=collateral_lock(repo_id, in_symbol)
            ),
            Instruction(
                out_symbol,
                seller,
                seller,
                out_amount,
                from_lock=collateral_lock(repo_id, out_symbol),
            ),
        ]
        settle(ctx, legs, reference=f"repo/{repo_id}/substitute")
        self._index_remove(ctx, record)
        record["collateral"] = after
        self._credit(ctx, record, self._value(ctx, record, after)[1])
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)
        ctx.emit(
            "substituted",
            visible_to=(record["buyer"], seller),
            repo_id=repo_id,
            out_symbol=out_symbol,
            out_amount=out_amount,
            in_symbol=in_symbol,
            in_amount=in_amount,
        )

    @method(ANY)
    def withdraw_excess(self, ctx: Context, repo_id: str, symbol: str, amount: int) -> None:
        """The seller takes back ``amount`` of ``symbol`` while the collateral after haircut
        still covers the requirement."""
        record = self._repo(ctx, repo_id)
        self._require_seller(ctx, record, "withdraw collateral")
        REPO_LIFECYCLE.fire(record, "withdraw_excess")
        held = record["collateral"].get(symbol, 0)
        ctx.require(0 < amount <= held, f"repo {repo_id} holds {held} of {symbol}")
        after = dict(record["collateral"])
        after[symbol] -= amount
        after = {s: a for s, a in after.items() if a}
        ctx.require(bool(after), "a repo keeps some collateral")
        self._require_requirement(ctx, record, after, "withdrawal")
        seller = record["seller"]
        leg = Instruction(
            symbol, seller, seller, amount, from_lock=collateral_lock(repo_id, symbol)
        )
        settle(ctx, [leg], reference=f"repo/{repo_id}/withdraw")
        self._index_remove(ctx, record)
        record["collateral"] = after
        self._credit(ctx, record, self._value(ctx, record, after)[1])
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)
        ctx.emit(
            "excess_withdrawn",
            visible_to=(record["buyer"], seller),
            repo_id=repo_id,
            symbol=symbol,
            amount=amount,
        )

    @method(ANY)
    def rollover(self, ctx: Context, repo_id: str, term_days: int, rate_bps: int) -> None:
        """Roll an open repo into a new term at ``rate_bps``: both parties call with the
        same terms; on the second call the accrued interest is added to the principal, the
        new term starts today, the old trade closes ``matured`` and a new one is recorded."""
        record = self._repo(ctx, repo_id)
        parties = (record["buyer"], record["seller"])
        ctx.require(ctx.caller in parties, f"only {parties[0]} or {parties[1]} may roll {repo_id}")
        ctx.require(record["state"] == "open", f"repo {repo_id} is {record['state']}: cannot roll")
        ctx.require(1 <= term_days <= MAX_TERM_DAYS, f"term_days must be 1..{MAX_TERM_DAYS}")
        ctx.require(-MAX_RATE_BPS <= rate_bps <= MAX_RATE_BPS, f"rate {rate_bps} bps out of range")
        today = ctx.time_ms // DAY_MS
        ctx.require(
            not record["maturity_day"] or today <= record["maturity_day"],
            f"repo {repo_id} matured on day {record['maturity_day']}",
        )
        request = {"by": ctx.caller, "term_days": term_days, "rate_bps": rate_bps}
        pending = record["roll"]
        if (
            pending is None
            or pending["by"] == ctx.caller
            or pending["term_days"] != term_days
            or pending["rate_bps"] != rate_bps
        ):
            record["roll"] = request
            ctx.put(f"r/{repo_id}", record)
            ctx.emit("rollover_requested", visible_to=parties, repo_id=repo_id, **request)
            return
        REPO_LIFECYCLE.fire(record, "rollover")
        new_maturity = today + term_days
        self._check_collateral(ctx, record, record["collateral"], new_maturity)
        self._index_remove(ctx, record)
        accrued = rb.interest(record["cash"], record["rate_bps"], today - record["start_day"])
        ctx.call("trades", "close_trade", trade_id=record["trade"], outcome="matured")
        record.update(
            cash=record["cash"] + accrued,
            rate_bps=rate_bps,
            term_days=term_days,
            start_day=today,
            maturity_day=new_maturity,
            roll=None,
            rolls=record["rolls"] + 1,
        )
        market, _ = self._value(ctx, record, record["collateral"])
        record["trade"] = self._record_trade(ctx, record, market)
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)
        ctx.emit(
            "rolled",
            visible_to=parties,
            repo_id=repo_id,
            capitalized_interest=accrued,
            cash=record["cash"],
            rate_bps=rate_bps,
            maturity_day=new_maturity,
        )

    @method(ANY)
    def terminate(self, ctx: Context, repo_id: str) -> None:
        """End an open repo (either party): repurchase falls due tomorrow."""
        record = self._repo(ctx, repo_id)
        parties = (record["buyer"], record["seller"])
        ctx.require(ctx.caller in parties, f"only {parties[0]} or {parties[1]} may terminate")
        ctx.require(
            record["term_days"] == 0 and not record["maturity_day"],
            f"repo {repo_id} is not an open repo",
        )
        REPO_LIFECYCLE.fire(record, "terminate")
        self._index_remove(ctx, record)
        record["maturity_day"] = ctx.time_ms // DAY_MS + 1
        ctx.put(f"r/{repo_id}", record)
        self._index_put(ctx, record)
        ctx.emit(
            "terminated", visible_to=parties, repo_id=repo_id, maturity_day=record["maturity_day"]
        )

    @method(ANY)
    def repurchase(self, ctx: Context, repo_id: str) -> None:
        """The seller repays cash plus accrued interest and takes its collateral back, in one
        batch. Closes the trade (``matured``) and any outstanding margin call."""
        record = self._repo(ctx, repo_id)
        ctx.require(
            ctx.caller == record["seller"],
            f"only the seller {record['seller']} may repurchase repo {repo_id}, not {ctx.caller}",
        )
        REPO_LIFECYCLE.fire(record, "repurchase")
        today = ctx.time_ms // DAY_MS
        due = record["cash"] + rb.interest(
            record["cash"], record["rate_bps"], today - record["start_day"]
        )
        seller, buyer = record["seller"], record["buyer"]
        self._require_balance(ctx, seller, record["cash_symbol"], due)
        legs = [Instruction(record["cash_symbol"], seller, buyer, due)]
        legs += [
            Instruction(s, seller, seller, a, from_lock=collateral_lock(repo_id, s))
            for s, a in sorted(record["collateral"].items())
        ]
        settle(ctx, legs, reference=f"repo/{repo_id}/repurchase")
        if record["call"] is not None:
            self._end_call(ctx, record, "repurchase")
        self._index_remove(ctx, record)
        self._credit(ctx, record, 0)
        ctx.call("trades", "close_trade", trade_id=record["trade"], outcome="matured")
        ctx.put(f"r/{repo_id}", record)
        ctx.emit("repurchased", visible_to=(buyer, seller), repo_id=repo_id, amount=due)

    # ------------------------------------------------------------------ hooks

    def begin_block(self, ctx: Context) -> None:
        """Defaults past their deadline, then the daily (or price-driven) mark-to-market."""
        last = ctx.get("day")
        if last is None:
            return
        now = ctx.time_ms
        today = now // DAY_MS
        symbols = ctx.get("symbols", [])
        deadline = ctx.get("next_deadline", 0)
        if today > last or (deadline and now >= deadline):
            self._defaults(ctx, now)
        if today > last:
            ctx.put("day", today)
            self.mark_to_market(ctx, symbols, None)
            ctx.put("mark_cursor", 0)
        self._mark_trades_slice(ctx)

    def _mark_trades_slice(self, ctx: Context) -> None:
        """Re-mark the trades of the next ``repo_mark_buckets_per_block`` index buckets in the
        ``trades`` register (cash + interest to date): a day's re-marking of every open repo
        is spread over the first blocks of the day, so no block carries all of it."""
        cursor = ctx.get("mark_cursor")
        if cursor is None:
            return
        per_block = ctx.params.get("repo_mark_buckets_per_block", DEFAULT_MARK_BUCKETS)
        last = ctx.get("seq", 0) // rb.BUCKET
        today = ctx.time_ms // DAY_MS
        for bucket in range(cursor, min(cursor + per_block, last + 1)):
            marks = []
            for row in rb.load_rows(ctx, bucket).values():
                cash = row[rb.CASH]
                mtm = cash + cash * row[rb.RATE] * (today - row[rb.START]) // rb.ACT360_BPS
                marks.append([row[rb.TRADE], mtm])
            if marks:
                ctx.call("trades", "mark_many", marks=marks)
        if cursor + per_block > last:
            ctx.delete("mark_cursor")
        else:
            ctx.put("mark_cursor", cursor + per_block)

    def end_block(self, ctx: Context) -> None:
        """Re-mark the repos holding a security whose price was posted in this block."""
        if ctx.get("day") is None:
            return
        changed = []
        for symbol in ctx.get("symbols", []):
            point = ctx.read("oracle", f"v/price/{treasury.price_key(symbol)}")
            if point is not None and point["observed_ms"] != ctx.get(f"seen/{symbol}"):
                changed.append(symbol)
        if changed:
            buckets: set[int] = set()
            for symbol in changed:
                buckets.update(int(b) for b in rb.load_ix(ctx, symbol))
            self.mark_to_market(ctx, ctx.get("symbols", []), sorted(buckets))

    def _buckets(self, ctx: Context) -> range:
        return range(ctx.get("seq", 0) // rb.BUCKET + 1)

    def _defaults(self, ctx: Context, now: int) -> None:
        """Default every repo whose margin call deadline or repurchase day has passed (one
        pass over the index); keep the nearest remaining call deadline."""
        today = now // DAY_MS
        nearest = 0
        for bucket in self._buckets(ctx):
            rows = rb.load_rows(ctx, bucket)
            if not rows:
                continue
            late = []
            for repo_id, row in rows.items():
                called, maturity = row[rb.CALLED], row[rb.MATURITY]
                if called and called <= now:
                    late.append((repo_id, "margin_call_missed"))
                elif maturity and maturity < today:
                    late.append((repo_id, "repurchase_missed"))
                elif called:
                    nearest = called if not nearest else min(nearest, called)
            for repo_id, reason in late:
                self._default(ctx, ctx.get(f"r/{repo_id}"), reason)
        if nearest:
            ctx.put("next_deadline", nearest)
        else:
            ctx.delete("next_deadline")

    def mark_to_market(self, ctx: Context, symbols: list[str], buckets: list[int] | None) -> int:
        """Mark the repos of ``buckets`` (all when ``None``) and issue the margin calls due
        (each call also marks its trade). Returns the number of margin calls issued."""
        prices: dict[str, int] = {}
        haircuts: dict[str, int] = {}
        skip: set[str] = set()
        for symbol in symbols:
            cls = ctx.get(f"class/{ctx.get(f'elig/{symbol}')}")
            haircuts[symbol] = cls["haircut_bps"]
            if ctx.read("treasury", f"s/{symbol}") is None:
                prices[symbol] = PAR_E8
                continue
            try:
                prices[symbol] = price_e8(ctx, symbol, "")
            except ContractError as exc:
                skip.add(symbol)
                ctx.emit("stale_price", symbol=symbol, reason=str(exc))
                continue
            point = ctx.read("oracle", f"v/price/{treasury.price_key(symbol)}")
            if point is not None and point["observed_ms"] != ctx.get(f"seen/{symbol}"):
                ctx.put(f"seen/{symbol}", point["observed_ms"])
        today = ctx.time_ms // DAY_MS
        frozen_skip = frozenset(skip)
        issued = 0
        nearest = ctx.get("next_deadline", 0)
        for bucket in self._buckets(ctx) if buckets is None else buckets:
            rows = rb.load_rows(ctx, bucket)
            if not rows:
                continue
            hits = rb.scan_bucket(rows, today, prices, haircuts, frozen_skip)
            deadlines = {}
            marks = []
            for repo_id, requirement, deficit, market in hits:
                deadline, trade_id = self._issue_call(ctx, repo_id, requirement, deficit, market)
                if deadline:
                    deadlines[repo_id] = deadline
                    marks.append([trade_id, requirement])
                    nearest = deadline if not nearest else min(nearest, deadline)
                    issued += 1
            if marks:
                ctx.call("trades", "mark_many", marks=marks)
            if hits:
                rows = rb.load_rows(ctx, bucket)  # a tri-party top-up may have changed it
                for repo_id, deadline in deadlines.items():
                    rows[repo_id][rb.CALLED] = deadline
                rb.save_rows(ctx, bucket, rows)
        if nearest:
            ctx.put("next_deadline", nearest)
        return issued

    # ------------------------------------------------------------------ margin calls

    def _issue_call(
        self, ctx: Context, repo_id: str, requirement: int, deficit: int, market: int
    ) -> tuple[int, str]:
        """Issue a margin call (or let the tri-party agent top the repo up); returns the
        call's deadline (ms; 0 when topped up) and the trade id (the caller marks the trades
        of a bucket's calls in one ``trades.mark_many``)."""
        record = ctx.get(f"r/{repo_id}")
        if record["schedule"] and self._triparty_top_up(ctx, record, deficit):
            return 0, record["trade"]
        REPO_LIFECYCLE.fire(record, "margin_call")
        deadline = ctx.time_ms + ctx.params.get(
            "repo_margin_deadline_ms", DEFAULT_MARGIN_DEADLINE_MS
        )
        record["call"] = {
            "state": MARGIN_CALL_LIFECYCLE.initial,
            "issued_ms": ctx.time_ms,
            "deadline_ms": deadline,
            "requirement": requirement,
            "deficit": deficit,
        }
        ctx.put(f"r/{repo_id}", record)
        ctx.emit(
            "margin_call",
            visible_to=(record["buyer"], record["seller"]),
            repo_id=repo_id,
            seller=record["seller"],
            buyer=record["buyer"],
            requirement=requirement,
            deficit=deficit,
            collateral_value=market,
            deadline_ms=deadline,
        )
        return deadline, record["trade"]

    def _end_call(self, ctx: Context, record: dict[str, Any], event: str) -> None:
        MARGIN_CALL_LIFECYCLE.fire(record["call"], event)
        record["call"] = None

    # ------------------------------------------------------------------ default

    def _default(self, ctx: Context, record: dict[str, Any], reason: str) -> None:
        """The seller failed: the buyer keeps the collateral, the difference is a claim."""
        repo_id = record["id"]
        if record["call"] is not None:
            self._end_call(ctx, record, "deadline")
        REPO_LIFECYCLE.fire(record, "default")
        today = ctx.time_ms // DAY_MS
        due = record["cash"] + rb.interest(
            record["cash"], record["rate_bps"], today - record["start_day"]
        )
        market, valued = 0, True
        for symbol, amount in record["collateral"].items():
            try:
                market += amount * price_e8(ctx, symbol, record["cash_symbol"]) // PAR_E8
            except ContractError:
                valued = False
        seller, buyer = record["seller"], record["buyer"]
        legs = [
            Instruction(s, seller, buyer, a, from_lock=collateral_lock(repo_id, s))
            for s, a in sorted(record["collateral"].items())
        ]
        settle(ctx, legs, reference=f"repo/{repo_id}/default")
        claim = due - market
        creditor, debtor = (buyer, seller) if claim >= 0 else (seller, buyer)
        ctx.put(
            f"claim/{repo_id}",
            {
                "creditor": creditor,
                "debtor": debtor,
                "amount": abs(claim),
                "symbol": record["cash_symbol"],
                "due": due,
                "collateral_value": market,
                "valued": valued,
            },
        )
        self._index_remove(ctx, record)
        recovery = rb.BPS if market >= due else market * rb.BPS // due
        self._credit(ctx, record, 0)
        ctx.call(
            "trades",
            "close_trade",
            trade_id=record["trade"],
            outcome="defaulted",
            recovery_bps=recovery,
        )
        ctx.put(f"r/{repo_id}", record)
        ctx.emit(
            "default",
            repo_id=repo_id,
            defaulter=seller,
            counterparty=buyer,
            reason=reason,
            due=due,
            collateral_value=market,
            claim=claim,
            recovery_bps=recovery,
        )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _repo(ctx: Context, repo_id: str) -> dict[str, Any]:
        record = ctx.get(f"r/{repo_id}")
        ctx.require(record is not None, f"no repo {repo_id!r}")
        return record

    @staticmethod
    def _require_seller(ctx: Context, record: dict[str, Any], what: str) -> None:
        ctx.require(
            ctx.caller == record["seller"],
            f"only the seller {record['seller']} may {what} in repo {record['id']}",
        )

    @staticmethod
    def _require_balance(ctx: Context, holder: str, symbol: str, amount: int) -> None:
        ctx.require(amount > 0, f"amount of {symbol} must be positive, got {amount}")
        have = ctx.read("token", f"b/{symbol}/{holder}", 0)
        ctx.require(
            have >= amount, f"insufficient balance: {holder} holds {have} {symbol}, needs {amount}"
        )

    def _check_collateral(
        self, ctx: Context, record: dict[str, Any], collateral: dict[str, int], until_day: int
    ) -> None:
        """Every symbol listed, positive amounts, securities maturing after ``until_day``."""
        for symbol, amount in collateral.items():
            ctx.require(amount > 0, f"collateral amount of {symbol} must be positive")
            ctx.require(
                ctx.has(f"elig/{symbol}"),
                f"ineligible collateral: {symbol} is not listed for repo",
            )
            sec = ctx.read("treasury", f"s/{symbol}")
            if sec is not None:
                ctx.require(
                    sec["maturity_day"] > until_day,
                    f"ineligible collateral: {symbol} matures on day {sec['maturity_day']}, "
                    f"not after the repo (day {until_day})",
                )
            else:
                ctx.require(symbol == record["cash_symbol"], f"ineligible collateral: {symbol}")

    def _value(
        self, ctx: Context, record: dict[str, Any], collateral: dict[str, int]
    ) -> tuple[int, int]:
        """(market value, value after haircut) at fresh prices (stale: rejected)."""
        prices, haircuts = {}, {}
        for symbol in collateral:
            prices[symbol] = price_e8(ctx, symbol, record["cash_symbol"])
            haircuts[symbol] = ctx.get(f"class/{ctx.get(f'elig/{symbol}')}")["haircut_bps"]
        return rb.collateral_value(sorted(collateral.items()), prices, haircuts)

    def _credit(self, ctx: Context, record: dict[str, Any], value: int) -> None:
        """Credit the repo's collateral, ``value`` after haircut (minor units), to its netting
        set in the ``trades`` register as collateral the buyer holds (``im_received``), in
        place of what was credited before: the counterparty-risk service then nets it
        against the cash owed (the repo's exposure is the uncollateralized part). Credited at
        opening, margin posts, substitutions and price marks of the call path; removed at
        repurchase and default."""
        delta = value - record.get("credited", 0)
        if not delta:
            return
        ns_id = netting_set_id(record["buyer"], record["seller"])
        held = max(ctx.read("trades", f"ns/{ns_id}")["im_received"] + delta, 0)
        ctx.call("trades", "set_collateral", netting_set=ns_id, terms={"im_received": held})
        record["credited"] = value

    def _require_cover(
        self, ctx: Context, record: dict[str, Any], collateral: dict[str, int], cash: int
    ) -> tuple[int, int]:
        market, adjusted = self._value(ctx, record, collateral)
        ctx.require(
            adjusted >= cash,
            f"collateral after haircut is {adjusted}, below the cash {cash}",
        )
        return market, adjusted

    def _deficit(self, ctx: Context, record: dict[str, Any]) -> tuple[int, int]:
        _, adjusted = self._value(ctx, record, record["collateral"])
        days = ctx.time_ms // DAY_MS - record["start_day"]
        requirement = record["cash"] + rb.interest(record["cash"], record["rate_bps"], days)
        return requirement, requirement - adjusted

    def _require_requirement(
        self, ctx: Context, record: dict[str, Any], after: dict[str, int], what: str
    ) -> None:
        _, adjusted = self._value(ctx, record, after)
        days = ctx.time_ms // DAY_MS - record["start_day"]
        requirement = record["cash"] + rb.interest(record["cash"], record["rate_bps"], days)
        ctx.require(
            adjusted >= requirement,
            f"{what} lowers collateral after haircut to {adjusted}, below the requirement "
            f"{requirement} (cash + accrued interest)",
        )

    def _record_trade(self, ctx: Context, record: dict[str, Any], market: int) -> str:
        buyer, seller = record["buyer"], record["seller"]
        netting_set = netting_set_id(buyer, seller)
        if ctx.read("trades", f"ns/{netting_set}") is None:
            ctx.call(
                "trades",
                "open_netting_set",
                netting_set=netting_set,
                party_a=buyer,
                party_b=seller,
                currency=record["cash_symbol"],
                terms={"margined": True, "threshold": record["threshold"], "mta": record["mta"]},
            )
        trade_id = f"{NAME}/{record['id']}" + (f"/{record['rolls']}" if record["rolls"] else "")
        if record["maturity_day"]:
            end_ms = (record["maturity_day"] + 1) * DAY_MS
        else:
            end_ms = ctx.time_ms + OPEN_RECORD_DAYS * DAY_MS
        ctx.call(
            "trades",
            "record_trade",
            trade_id=trade_id,
            netting_set=netting_set,
            asset_class="IR",
            position="LONG",
            notional=record["cash"],
            maturity_ms=end_ms,
            terms={
                "mtm": record["cash"],
                "start_ms": ctx.time_ms,
                "end_ms": end_ms,
                "reference": f"repo:{record['id']}",
                "collateral": market,
            },
        )
        return trade_id

    # -- the MtM index
    @staticmethod
    def _index_put(ctx: Context, record: dict[str, Any]) -> None:
        bucket = record["seq"] // rb.BUCKET
        rows = rb.load_rows(ctx, bucket)
        rows[record["id"]] = [
            record["cash"],
            record["rate_bps"],
            record["start_day"],
            record["threshold"],
            record["mta"],
            record["call"]["deadline_ms"] if record["call"] is not None else 0,
            record["maturity_day"],
            record["trade"],
            [[s, a] for s, a in sorted(record["collateral"].items())],
        ]
        rb.save_rows(ctx, bucket, rows)
        for symbol in record["collateral"]:
            ix = rb.load_ix(ctx, symbol)
            ix[str(bucket)] = ix.get(str(bucket), 0) + 1
            rb.save_ix(ctx, symbol, ix)

    @staticmethod
    def _index_remove(ctx: Context, record: dict[str, Any]) -> None:
        bucket = record["seq"] // rb.BUCKET
        rows = rb.load_rows(ctx, bucket)
        if rows.pop(record["id"], None) is None:
            return
        rb.save_rows(ctx, bucket, rows)
        for symbol in record["collateral"]:
            ix = rb.load_ix(ctx, symbol)
            count = ix.get(str(bucket), 0) - 1
            if count > 0:
                ix[str(bucket)] = count
            else:
                ix.pop(str(bucket), None)
            rb.save_ix(ctx, symbol, ix)

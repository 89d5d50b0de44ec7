"""``derivative``: smart derivative contracts run from templates, with automatic margining,
margin calls, close-out netting, termination and novation.

One contract (``derivative``) runs every trade; each trade is a record ``c/<id>`` whose
payoff class is a :mod:`~glassledger.contracts.derivatives.templates` template and whose
lifecycle is the template's transition table. Trades are created only by the ``rfq``
contract when a client accepts a revealed, signed quote (:meth:`Derivative.execute`), so no
trade exists without an accepted quote.

Shared components, built once and used by every template (seed 003, figure 6):

* **Oracle access.** Marks arrive as oracle data points of kind ``mark`` keyed by trade id
  (value: MtM in minor units, party A's side, scale 0), usually many in one
  ``oracle.post_batch``; fixings and underliers as ``rate``/``fx``/``price`` points read at
  scale 8. ``end_block`` picks up the marks posted in the block (``oracle`` ``touched/mark``).
* **Netting sets.** One per master agreement, i.e. per ordered pair (dealer = party A, client =
  party B): id ``<A>~<B>``. Each is mirrored in the ``trades`` register (opened on the first
  trade, every trade recorded, marks, collateral and guarantee updated, trades closed with
  ``matured``/``terminated``/``defaulted``).
* **Margin accounts and payment.** Each party has an escrow lock per netting set and token
  (``dv/<netting set>/<party>/<symbol>``), funded by :meth:`Derivative.post_collateral`.
  Every flow (premium, coupon, variation margin, payoff, delivery) is an obligation settled
  lock-to-lock through :func:`glassledger.ledger.abi.settlement.settle` (all legs or none:
  DvP for physical deliveries). A party's schedule initial margin stays in its own lock
  (segregated); only the excess above it pays flows. An obligation the excess cannot cover
  becomes a **margin call** with a deadline (``call_window_ms`` of the master agreement);
  a top-up settles it; a missed deadline is a **failure to pay**, which defaults the party
  and closes the netting set out.

Variation margin, on every valuation: the netting set's MtM ``V`` (sum of its open trades'
marks, A's side) less the unsecured ``threshold`` gives the credit support party A should
hold, ``max(V - threshold, 0)`` or ``min(V + threshold, 0)``; the difference from what A
holds moves if it is at least the minimum transfer amount ``mta``.

Initial margin, the documented schedule: BCBS-IOSCO standardised schedule
(:data:`~glassledger.contracts.derivatives.terms.IM_SCHEDULE_BPS`) on each trade's notional,
posted by both parties for linear products and by the seller for options, fixed at
execution; the requirement is the sum over open trades.

Close-out (ISDA 2002 §6(e), one amount over all trades under the master agreement): the
close-out amount is ``sum(marks) - variation margin held + unpaid obligations`` from A's side;
the party owing it pays from its whole account (initial margin included); a client's unpaid
remainder is claimed from its guarantor's line (``guarantee.call``); what is still missing
is the loss, recorded as the recovery rate on every closed trade.

Events (the catalogue in docs/derivatives.md; visible to both parties and the guarantor,
the regulator reads all): ``execution``, ``reset``, ``observation``, ``payment``,
``valuation``, ``variation_margin``, ``initial_margin``, ``collateral``, ``margin_call``,
``margin_call_met``, ``failure_to_pay``, ``default``, ``early_termination``, ``exercise``,
``expiry``, ``maturity``, ``settlement``, ``termination``, ``novation``, ``credit_event``,
``proposal``.

State: ``c/<id>`` trade; ``ns/<id>`` netting set (``marks`` maps each open trade to its last
mark: the open set); ``nsof/<id>`` a trade's netting set; ``usage/<A>/<B>`` credit used;
``calls`` netting set -> earliest call deadline; ``ref/<entity>`` live CDS ids;
``due_cursor`` day; ``due/<day>`` the number of chunks ``due/<day>/<n>`` of
``[[due_ms, id], ...]`` (events falling due that day); ``agree/<id>`` a pending
termination or novation.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts.derivatives.templates import (
    Flow,
    Step,
    Template,
    asset_class_of,
    template,
)
from glassledger.contracts.derivatives.terms import BPS, DAY_MS, im_rate_bps, mul_div
from glassledger.contracts.repository import REPORTABLE
from glassledger.errors import ContractError
from glassledger.ledger.abi import ANY, CONTRACT, Context, Contract, method
from glassledger.ledger.abi.lifecycle import Lifecycle
from glassledger.ledger.abi.settlement import Instruction, settle

NAME = "derivative"
RFQ = "contract:rfq"
#: Scheduled events of one day are kept in lists of at most this many entries.
DUE_CHUNK = 128

#: A netting set (master agreement) moves from active to closed out after a default.
NETTING_SET = Lifecycle.of(
    "netting_set",
    initial="active",
    rows=[("active", "default", "defaulted"), ("defaulted", "close_out", "closed_out")],
)
#: A margin call: met by a top-up, or missed at its deadline (failure to pay).
MARGIN_CALL = Lifecycle.of(
    "margin_call",
    initial="issued",
    rows=[
        ("issued", "top_up", "issued"),
        ("issued", "meet", "met"),
        ("issued", "deadline", "failed"),
    ],
)
#: Termination or novation by agreement: proposed by one party, agreed by the others.
AGREEMENT = Lifecycle.of(
    "agreement",
    initial="proposed",
    rows=[
        ("proposed", "consent", "proposed"),
        ("proposed", "agree", "agreed"),
        ("proposed", "withdraw", "withdrawn"),
    ],
)


def netting_set_id(party_a: str, party_b: str) -> str:
    return f"{party_a}~{party_b}"


def lock_id(netting_set: str, party: str, symbol: str) -> str:
    return f"dv/{netting_set}/{party}/{symbol}"


class Derivative(Contract):
    """Smart derivative contracts; see the module docstring."""

    name = NAME

    # ------------------------------------------------------------------ execution
    @method(CONTRACT)
    def execute(
        self,
        ctx: Context,
        trade_id: str,
        template_name: str,
        params: dict[str, Any],
        notional: int,
        client_side: str,
        dealer: str,
        client: str,
        threshold: int,
        mta: int,
        call_window_ms: int,
        currency: str,
        rfq_id: str,
        guarantee_line: str = "",
    ) -> None:
        """Book a trade from an accepted quote (only the ``rfq`` contract may): checks the
        dealer's credit limit (extended by the client's guarantee line), opens or reuses the
        netting set, takes initial margin and any premium, records the trade."""
        ctx.require(ctx.caller == RFQ, "trades are created only by accepting a quote (rfq)")
        ctx.require(not ctx.has(f"c/{trade_id}"), f"trade {trade_id!r} exists")
        tpl = template(template_name)
        params = tpl.check(ctx, params, notional, client_side)
        ctx.require(threshold >= 0 and mta >= 0, "threshold and mta must be non-negative")
        ctx.require(call_window_ms > 0, "call_window_ms must be positive")
        token = ctx.read("token", f"t/{currency}")
        ctx.require(token is not None, f"no token {currency!r}")
        ns_id = netting_set_id(dealer, client)
        ns = ctx.get(f"ns/{ns_id}")
        if ns is None:
            ns = self._open_netting_set(
                ctx, ns_id, dealer, client, currency, threshold, mta, call_window_ms
            )
        ctx.require(ns["state"] == "active", f"netting set {ns_id} is {ns['state']}")
        ctx.require(ns["currency"] == currency, f"netting set {ns_id} settles in {ns['currency']}")
        lei = (ctx.read("identity", f"p/{dealer}") or {}).get("lei", "")
        c: dict[str, Any] = {
            "id": trade_id,
            "uti": (lei or "GLASSLEDGER000000000") + trade_id,
            "template": tpl.name,
            "state": tpl.lifecycle.initial,
            "netting_set": ns_id,
            "party_a": dealer,
            "party_b": client,
            "a_long": not tpl.client_long(client_side),
            "client_side": client_side,
            "notional": notional,
            "currency": currency,
            "decimals": token["decimals"],
            "params": params,
            "price": params[tpl.price_field],
            "rfq_id": rfq_id,
            "executed_ms": ctx.time_ms,
            "due_ms": 0,
            "line": "",
            "reserved": 0,
        }
        c["maturity_ms"] = tpl.maturity_ms(c)
        ctx.require(c["maturity_ms"] > ctx.time_ms, "the trade matures before it starts")
        value = tpl.notional_value(c)
        c["im"] = mul_div(
            value, im_rate_bps(asset_class_of(c), c["maturity_ms"] - ctx.time_ms), BPS
        )
        c["usage"] = c["im"]
        self._reserve_credit(ctx, c, guarantee_line, ns)
        steps = tpl.setup(ctx, c)
        ns["marks"][trade_id] = 0
        ctx.put(f"nsof/{trade_id}", ns_id)
        for party in tpl.im_payers(c):
            ns["im_req"][party] = ns["im_req"].get(party, 0) + c["im"]
        self._emit(
            ctx,
            ns,
            "execution",
            **self._report_fields(ctx, c, tpl),
            rfq_id=rfq_id,
            side=client_side,
            threshold=ns["threshold"],
            mta=ns["mta"],
        )
        self._put_trade(ctx, c)
        ctx.call(
            "trades",
            "record_trade",
            trade_id=trade_id,
            netting_set=ns_id,
            asset_class=asset_class_of(c),
            position="LONG" if c["a_long"] else "SHORT",
            notional=value,
            maturity_ms=c["maturity_ms"],
            terms=tpl.trade_terms(c),
        )
        if c["reserved"]:
            ns["guarantee_amount"] += c["reserved"]
            ns["guarantee_line"] = c["line"]
            ctx.call(
                "trades",
                "set_guarantee",
                netting_set=ns_id,
                guarantor=ns["guarantor"],
                guarantee_amount=ns["guarantee_amount"],
            )
        # the signer tops its account up to what execution needs; the other party must
        # have posted it already (a hook or the client cannot spend the dealer's cash)
        flows = [f for s in steps for f in s.flows]
        self._fund_signer(ctx, ns, flows)
        for party in (dealer, client):
            short = -self._excess_after(ctx, ns, party, ns["currency"], flows)
            ctx.require(
                short <= 0,
                f"{party}'s margin account in netting set {ns_id} is short by {short} "
                f"{currency} minor units (initial margin and premium); post collateral first",
            )
        self._run_steps(ctx, ns, c, tpl, steps, pay_now=True)
        self._im_event(ctx, ns)
        if tpl.name == "cds":
            refs = ctx.get(f"ref/{params['reference']}", [])
            ctx.put(f"ref/{params['reference']}", [*refs, trade_id])
        self._schedule(ctx, c)
        self._put_trade(ctx, c)
        self._save(ctx, ns)

    # ------------------------------------------------------------------ accounts
    @method(ANY)
    def post_collateral(
        self, ctx: Context, counterparty: str, amount: int, symbol: str = ""
    ) -> None:
        """Post ``amount`` minor units of ``symbol`` (default: the netting-set currency, or
        ``USD`` before the first trade) from the signer's free balance to its margin account
        with ``counterparty``; pending obligations are then settled if now covered."""
        ns_id, ns = self._signer_netting_set(ctx, counterparty)
        symbol = symbol or (ns["currency"] if ns else "USD")
        ctx.require(ns is None or ns["state"] == "active", f"netting set {ns_id} is closed out")
        ctx.require(amount > 0, f"collateral amount must be positive, got {amount}")
        self._move_collateral(ctx, ns_id, counterparty, symbol, amount)
        if ns is not None:
            self._note_symbol(ns, symbol)
            self._try_settle(ctx, ns)
            self._save(ctx, ns)

    @method(ANY)
    def withdraw_collateral(
        self, ctx: Context, counterparty: str, amount: int, symbol: str = ""
    ) -> None:
        """Take back ``amount`` of the signer's margin account above its initial margin, when
        it owes nothing pending."""
        ns_id, ns = self._signer_netting_set(ctx, counterparty)
        symbol = symbol or (ns["currency"] if ns else "USD")
        if ns is not None:
            ctx.require(
                not any(leg["payer"] == ctx.origin for ob in ns["pending"] for leg in ob["legs"]),
                f"{ctx.origin} has unpaid obligations in {ns_id}",
            )
            excess = self._excess(ctx, ns, ctx.origin, symbol)
        else:
            excess = self._lock_amount(ctx, ns_id, ctx.origin, symbol)
        ctx.require(amount > 0, f"collateral amount must be positive, got {amount}")
        ctx.require(amount <= excess, f"{ctx.origin} can withdraw at most {excess} {symbol}")
        self._move_collateral(ctx, ns_id, counterparty, symbol, -amount)

    @staticmethod
    def _move_collateral(
        ctx: Context, ns_id: str, counterparty: str, symbol: str, amount: int
    ) -> None:
        """Move ``|amount|`` of the signer's ``symbol`` into (``amount > 0``) or out of its
        margin account (an escrow lock) in netting set ``ns_id``; emit ``collateral``."""
        lock = lock_id(ns_id, ctx.origin, symbol)
        leg = (
            Instruction(symbol, ctx.origin, ctx.origin, amount, to_lock=lock)
            if amount > 0
            else Instruction(symbol, ctx.origin, ctx.origin, -amount, from_lock=lock)
        )
        kind = "collateral" if amount > 0 else "withdraw"
        settle(ctx, [leg], reference=f"derivative/{ns_id}/{kind}")
        Derivative._report(
            ctx,
            (ctx.origin, counterparty),
            "collateral",
            {"netting_set": ns_id, "party": ctx.origin, "symbol": symbol, "amount": amount},
        )

    # ------------------------------------------------------------------ agreements
    @method(ANY)
    def propose(
        self,
        ctx: Context,
        trade_id: str,
        action: str,
        payment: int = 0,
        step_out: str = "",
        step_in: str = "",
    ) -> None:
        """Propose terminating a trade (``action="termination"``, ``payment`` minor units
        from party B to party A; negative: A pays B) or novating it (``"novation"``:
        ``step_out`` party leaves, ``step_in`` takes its place; a CCP stepping in is a
        novation to a central counterparty). The proposer consents by proposing."""
        c = self._live(ctx, trade_id)
        ctx.require(ctx.origin in (c["party_a"], c["party_b"]), "only a party proposes")
        ctx.require(action in ("termination", "novation"), "action: termination or novation")
        ctx.require(not ctx.has(f"agree/{trade_id}"), f"{trade_id} has a pending proposal")
        needed = sorted({c["party_a"], c["party_b"]})
        if action == "novation":
            ctx.require(step_out in needed, f"step_out must be a party of {trade_id}")
            ctx.require(step_in not in needed, "step_in must be a third party")
            record = ctx.read("identity", f"p/{step_in}")
            ctx.require(record is not None and record["active"], f"no participant {step_in!r}")
            needed = sorted(set(needed) | {step_in})
        else:
            ctx.require(not step_out and not step_in, "a termination names no step_out/step_in")
        agreement = {
            "state": AGREEMENT.initial,
            "action": action,
            "payment": payment,
            "step_out": step_out,
            "step_in": step_in,
            "needed": needed,
            "consents": [ctx.origin],
        }
        ctx.put(f"agree/{trade_id}", agreement)
        ns = ctx.get(f"ns/{c['netting_set']}")
        self._emit(
            ctx,
            ns,
            "proposal",
            uti=c["uti"],
            trade_id=trade_id,
            action=action,
            payment=payment,
            step_out=step_out,
            step_in=step_in,
            by=ctx.origin,
        )

    @method(ANY)
    def consent(self, ctx: Context, trade_id: str) -> None:
        """Consent to the pending proposal on ``trade_id``; the last consent executes it."""
        agreement = ctx.get(f"agree/{trade_id}")
        ctx.require(agreement is not None, f"no pending proposal on {trade_id}")
        ctx.require(ctx.origin in agreement["needed"], f"{ctx.origin} is not asked to consent")
        ctx.require(ctx.origin not in agreement["consents"], f"{ctx.origin} already consented")
        agreement["consents"].append(ctx.origin)
        if set(agreement["consents"]) != set(agreement["needed"]):
            AGREEMENT.fire(agreement, "consent")
            ctx.put(f"agree/{trade_id}", agreement)
            return
        AGREEMENT.fire(agreement, "agree")
        ctx.delete(f"agree/{trade_id}")
        c = self._live(ctx, trade_id)
        ns = ctx.get(f"ns/{c['netting_set']}")
        ctx.require(ns["state"] == "active", f"netting set {ns['id']} is {ns['state']}")
        if agreement["action"] == "termination":
            self._terminate(ctx, ns, c, agreement["payment"])
        else:
            self._novate(ctx, ns, c, agreement["step_out"], agreement["step_in"])
        self._save(ctx, ns)

    @method(ANY)
    def withdraw_proposal(self, ctx: Context, trade_id: str) -> None:
        """Withdraw a pending proposal (any party asked to consent may)."""
        agreement = ctx.get(f"agree/{trade_id}")
        ctx.require(agreement is not None, f"no pending proposal on {trade_id}")
        ctx.require(ctx.origin in agreement["needed"], f"{ctx.origin} is not a party to it")
        AGREEMENT.fire(agreement, "withdraw")
        ctx.delete(f"agree/{trade_id}")

    # ------------------------------------------------------------------ credit events
    @method("regulator")
    def credit_event(self, ctx: Context, reference: str, final_price_bps: int) -> None:
        """Declare a credit event on ``reference`` settled at the auction
        ``final_price_bps`` (of par; the regulator acts as determinations committee): every
        live CDS on it pays ``notional x (1 - final price)`` to the protection buyer."""
        ctx.require(0 <= final_price_bps <= BPS, "final_price_bps must be in [0, 10000]")
        ids = ctx.get(f"ref/{reference}", [])
        live = [i for i in ids if ctx.get(f"c/{i}")["state"] == "live"]
        ctx.require(bool(live), f"no live CDS on {reference!r}")
        tpl = template("cds")
        for trade_id in live:
            c = ctx.get(f"c/{trade_id}")
            ns = ctx.get(f"ns/{c['netting_set']}")
            if ns["state"] != "active":
                continue
            self._run_steps(ctx, ns, c, tpl, tpl.credit_event(c, final_price_bps))
            self._put_trade(ctx, c)
            self._save(ctx, ns)
        ctx.delete(f"ref/{reference}")

    # ------------------------------------------------------------------ hooks
    def end_block(self, ctx: Context) -> None:
        """Margin on the marks posted in this block, run scheduled events that fell due,
        and turn missed margin-call deadlines into failures to pay."""
        touched = ctx.read("oracle", "touched/mark")
        if touched is not None and touched["height"] == ctx.height:
            self._margin_on_marks(ctx, touched["points"])
        self._run_due(ctx)
        calls = ctx.get("calls", {})
        for ns_id, deadline in sorted(calls.items()):
            if deadline <= ctx.time_ms:
                ns = ctx.get(f"ns/{ns_id}")
                self._fail(ctx, ns)
                self._save(ctx, ns)

    # ------------------------------------------------------------------ margining
    def _margin_on_marks(self, ctx: Context, points: list[list[Any]]) -> None:
        """The marks posted in this block (the last per trade), by netting set: open
        trades are re-marked, each netting set's MtM netted and its VM settled or called."""
        latest = dict(points)
        by_ns: dict[str, list[list[Any]]] = {}
        for trade_id, mtm in latest.items():
            ns_id = ctx.get(f"nsof/{trade_id}")
            if ns_id is not None:
                by_ns.setdefault(ns_id, []).append([trade_id, mtm])
        for ns_id, marks in sorted(by_ns.items()):
            ns = ctx.get(f"ns/{ns_id}")
            if ns["state"] != "active":
                continue
            marks = [m for m in marks if m[0] in ns["marks"]]  # open trades only
            if not marks:
                continue
            for trade_id, mtm in marks:
                ns["mtm"] += mtm - ns["marks"][trade_id]
                ns["marks"][trade_id] = mtm
            ctx.call("trades", "mark_many", netting_set=ns_id, marks=marks)
            self._emit(ctx, ns, "valuation", marks=marks, mtm=ns["mtm"])
            self._variation_margin(ctx, ns)
            self._save(ctx, ns)

    def _variation_margin(self, ctx: Context, ns: dict[str, Any]) -> None:
        """Recompute the VM owed on the netting set's MtM (threshold, MTA) and settle or call
        it; a pending VM obligation is replaced (its deadline kept for the same payer)."""
        old = next((ob for ob in ns["pending"] if ob["kind"] == "vm"), None)
        if old is not None:
            ns["pending"].remove(old)
        mtm, threshold = ns["mtm"], ns["threshold"]
        target = max(mtm - threshold, 0) if mtm >= 0 else min(mtm + threshold, 0)
        delta = target - ns["vm"]
        if delta == 0 or abs(delta) < ns["mta"]:
            self._try_settle(ctx, ns)
            return
        a, b = ns["party_a"], ns["party_b"]
        payer, payee = (b, a) if delta > 0 else (a, b)
        leg = {"symbol": ns["currency"], "payer": payer, "payee": payee, "amount": abs(delta)}
        deadline = (
            old["deadline_ms"]
            if old and old["legs"][0]["payer"] == payer
            else ctx.time_ms + ns["call_window_ms"]
        )
        ns["pending"].insert(
            0,
            {
                "kind": "vm",
                "legs": [leg],
                "reason": "variation margin",
                "uti": "",
                "deadline_ms": deadline,
                "vm": delta,
            },
        )
        self._try_settle(ctx, ns)

    def _try_settle(self, ctx: Context, ns: dict[str, Any]) -> None:
        """Settle, in order, every pending obligation the payers' excess covers; issue or
        update margin calls for the parties short of what remains."""
        remaining = []
        for ob in ns["pending"]:
            if self._covered(ctx, ns, ob["legs"]):
                self._settle_legs(ctx, ns, ob)
            else:
                remaining.append(ob)
        ns["pending"] = remaining
        self._update_calls(ctx, ns)

    def _covered(self, ctx: Context, ns: dict[str, Any], legs: list[dict[str, Any]]) -> bool:
        need: dict[tuple[str, str], int] = {}
        for leg in legs:
            key = (leg["payer"], leg["symbol"])
            need[key] = need.get(key, 0) + leg["amount"]
        return all(self._excess(ctx, ns, p, s) >= n for (p, s), n in need.items())

    def _settle_legs(self, ctx: Context, ns: dict[str, Any], ob: dict[str, Any]) -> None:
        ns_id = ns["id"]
        legs = [
            Instruction(
                leg["symbol"],
                leg["payer"],
                leg["payee"],
                leg["amount"],
                from_lock=lock_id(ns_id, leg["payer"], leg["symbol"]),
                to_lock=lock_id(ns_id, leg["payee"], leg["symbol"]),
            )
            for leg in ob["legs"]
        ]
        for leg in ob["legs"]:
            self._note_symbol(ns, leg["symbol"])
        settle(ctx, legs, reference=f"derivative/{ns_id}/{ob['kind']}/{ob['uti']}")
        if ob["kind"] == "vm":
            ns["vm"] += ob["vm"]
            leg = ob["legs"][0]
            self._emit(
                ctx,
                ns,
                "variation_margin",
                payer=leg["payer"],
                payee=leg["payee"],
                amount=leg["amount"],
                currency=ns["currency"],
                vm_held_by_a=ns["vm"],
                mtm=ns["mtm"],
            )
            ctx.call(
                "trades", "set_collateral", netting_set=ns_id, terms={"variation_margin": ns["vm"]}
            )
        else:
            for leg in ob["legs"]:
                self._emit(
                    ctx,
                    ns,
                    "payment",
                    uti=ob["uti"],
                    payer=leg["payer"],
                    payee=leg["payee"],
                    amount=leg["amount"],
                    currency=leg["symbol"],
                    reason=ob["reason"],
                )

    def _update_calls(self, ctx: Context, ns: dict[str, Any]) -> None:
        """One margin call per party with unpaid obligations (amount short, deadline of the
        oldest); calls whose party is now paid up are met."""
        owed: dict[str, dict[str, Any]] = {}
        for ob in ns["pending"]:
            for leg in ob["legs"]:
                entry = owed.setdefault(
                    leg["payer"], {"deadline_ms": ob["deadline_ms"], "legs": {}}
                )
                entry["deadline_ms"] = min(entry["deadline_ms"], ob["deadline_ms"])
                entry["legs"][leg["symbol"]] = entry["legs"].get(leg["symbol"], 0) + leg["amount"]
        shorts: dict[str, dict[str, int]] = {}
        for party, entry in owed.items():
            short = {s: a - self._excess(ctx, ns, party, s) for s, a in entry["legs"].items()}
            short = {s: a for s, a in short.items() if a > 0}
            if short:
                shorts[party] = short
        for party, call in list(ns["calls"].items()):
            if party not in shorts:
                MARGIN_CALL.fire(call, "meet")
                self._emit(ctx, ns, "margin_call_met", party=party, call_id=call["id"])
                del ns["calls"][party]
        for party, short in shorts.items():
            entry = owed[party]
            call = ns["calls"].get(party)
            if call is None:
                call = {
                    "state": MARGIN_CALL.initial,
                    "id": f"{ns['id']}/{ctx.height}/{party}",
                    "short": {},
                    "deadline_ms": entry["deadline_ms"],
                }
            else:
                MARGIN_CALL.fire(call, "top_up")
            if call["short"] != short or party not in ns["calls"]:
                self._emit(
                    ctx,
                    ns,
                    "margin_call",
                    party=party,
                    call_id=call["id"],
                    amounts=short,
                    deadline_ms=call["deadline_ms"],
                    threshold=ns["threshold"],
                    mta=ns["mta"],
                )
            call["short"] = short
            call["deadline_ms"] = min(call["deadline_ms"], entry["deadline_ms"])
            ns["calls"][party] = call
        calls = ctx.get("calls", {})
        before = calls.get(ns["id"])
        if ns["calls"]:
            calls[ns["id"]] = min(c["deadline_ms"] for c in ns["calls"].values())
        else:
            calls.pop(ns["id"], None)
        if calls.get(ns["id"]) != before:
            ctx.put("calls", calls)

    # ------------------------------------------------------------------ default
    def _fail(self, ctx: Context, ns: dict[str, Any]) -> None:
        """The oldest missed margin call is a failure to pay: its party defaults and the
        netting set is closed out."""
        party, call = min(ns["calls"].items(), key=lambda kv: (kv[1]["deadline_ms"], kv[0]))
        MARGIN_CALL.fire(call, "deadline")
        self._emit(
            ctx,
            ns,
            "failure_to_pay",
            party=party,
            call_id=call["id"],
            amounts=call["short"],
            deadline_ms=call["deadline_ms"],
        )
        self._close_out(ctx, ns, party)

    def _close_out(self, ctx: Context, ns: dict[str, Any], defaulter: str) -> None:
        NETTING_SET.fire(ns, "default")
        self._emit(ctx, ns, "default", defaulter=defaulter)
        a, b, cur = ns["party_a"], ns["party_b"], ns["currency"]
        unpaid = 0
        for ob in ns["pending"]:
            if ob["kind"] == "vm":
                continue
            for leg in ob["legs"]:
                if leg["symbol"] == cur:
                    unpaid += leg["amount"] if leg["payee"] == a else -leg["amount"]
        amount = ns["mtm"] - ns["vm"] + unpaid  # owed to A (negative: A owes B)
        payer, payee = (b, a) if amount > 0 else (a, b)
        due = abs(amount)
        paid = min(due, self._lock_amount(ctx, ns["id"], payer, cur))
        legs = []
        if paid:
            legs.append(
                Instruction(cur, payer, payee, paid, from_lock=lock_id(ns["id"], payer, cur))
            )
        guarantee_paid = 0
        shortfall = due - paid
        if shortfall and payer == b and ns["guarantee_line"]:
            guarantee_paid = ctx.call(
                "guarantee",
                "call",
                line_id=ns["guarantee_line"],
                beneficiary=a,
                amount=min(shortfall, ns["guarantee_amount"]),
                reference=ns["id"],
            )
        loss = shortfall - guarantee_paid
        recovery_bps = BPS if due == 0 or payer != defaulter else (due - loss) * BPS // due
        # return what is left in every account to its owner
        for party in (a, b):
            for symbol in ns["symbols"]:
                left = self._lock_amount(ctx, ns["id"], party, symbol)
                left -= paid if (party == payer and symbol == cur) else 0
                if left:
                    legs.append(
                        Instruction(
                            symbol, party, party, left, from_lock=lock_id(ns["id"], party, symbol)
                        )
                    )
        settle(ctx, legs, reference=f"derivative/{ns['id']}/close_out")
        marks = sorted(ns["marks"].items())
        for trade_id, _ in marks:
            c = ctx.get(f"c/{trade_id}")
            tpl = template(c["template"])
            tpl.lifecycle.fire(c, "default")
            self._close(ctx, ns, c, "defaulted", recovery_bps)
            self._put_trade(ctx, c)
        ns["pending"], ns["calls"], ns["vm"], ns["mtm"] = [], {}, 0, 0
        calls = ctx.get("calls", {})
        calls.pop(ns["id"], None)
        ctx.put("calls", calls)
        NETTING_SET.fire(ns, "close_out")
        self._emit(
            ctx,
            ns,
            "early_termination",
            defaulter=defaulter,
            close_out_amount=amount,
            trades=[[t, m] for t, m in marks],
            unpaid_obligations=unpaid,
            paid=paid,
            guarantee_paid=guarantee_paid,
            loss=loss,
            recovery_bps=recovery_bps,
            currency=cur,
        )

    # ------------------------------------------------------------------ scheduled events
    def _run_due(self, ctx: Context) -> None:
        today = ctx.time_ms // DAY_MS
        cursor = ctx.get("due_cursor", today)
        for day in range(cursor, today + 1):
            chunks = ctx.get(f"due/{day}", 0)
            now: list[list[Any]] = []
            for chunk in range(chunks):
                items = ctx.get(f"due/{day}/{chunk}")
                if not items:
                    continue
                ready = [it for it in items if it[0] <= ctx.time_ms]
                if not ready:
                    continue
                now += ready
                later = [it for it in items if it[0] > ctx.time_ms]
                if later:
                    ctx.put(f"due/{day}/{chunk}", later)
                else:
                    ctx.delete(f"due/{day}/{chunk}")
            for due_ms, trade_id in sorted(now):
                c = ctx.get(f"c/{trade_id}")
                if c is None or c["state"] not in ("live", "fixed") or c["due_ms"] != due_ms:
                    continue
                ns = ctx.get(f"ns/{c['netting_set']}")
                if ns["state"] != "active":
                    continue
                tpl = template(c["template"])
                try:
                    steps = tpl.on_due(ctx, c)  # reads the oracle, writes nothing
                except ContractError as exc:
                    # a missing or stale fixing holds this event, not the whole hook: it is
                    # retried every block until the data arrives
                    c = ctx.get(f"c/{trade_id}")
                    self._emit(
                        ctx,
                        ns,
                        "observation_missing",
                        uti=c["uti"],
                        trade_id=trade_id,
                        due_ms=due_ms,
                        error=exc.message,
                    )
                    self._schedule(ctx, c)
                    continue
                self._run_steps(ctx, ns, c, tpl, steps)
                self._schedule(ctx, c)
                self._put_trade(ctx, c)
                self._save(ctx, ns)
        if cursor != today:
            ctx.put("due_cursor", today)

    def _schedule(self, ctx: Context, c: dict[str, Any]) -> None:
        if c["due_ms"] and not template(c["template"]).lifecycle.is_final(c["state"]):
            day = max(c["due_ms"] // DAY_MS, ctx.get("due_cursor", ctx.time_ms // DAY_MS))
            chunks = ctx.get(f"due/{day}", 0)
            items = ctx.get(f"due/{day}/{chunks - 1}", []) if chunks else []
            if not chunks or len(items) >= DUE_CHUNK:
                chunks, items = chunks + 1, []
                ctx.put(f"due/{day}", chunks)
            items.append([c["due_ms"], c["id"]])
            ctx.put(f"due/{day}/{chunks - 1}", items)

    def _run_steps(
        self,
        ctx: Context,
        ns: dict[str, Any],
        c: dict[str, Any],
        tpl: Template,
        steps: list[Step],
        pay_now: bool = False,
    ) -> None:
        """Fire each step's event in the trade's table, emit it, and owe its flows (settled
        at once when covered, otherwise called); close the trade on a final state."""
        for step in steps:
            tpl.lifecycle.fire(c, step.event)
            self._emit(ctx, ns, step.event, uti=c["uti"], trade_id=c["id"], **dict(step.data))
            flows = [self._leg(ns, f) for f in step.flows if f.amount]
            if flows:
                ob = {
                    "kind": "flow",
                    "legs": flows,
                    "reason": step.event,
                    "uti": c["uti"],
                    "deadline_ms": ctx.time_ms + ns["call_window_ms"],
                }
                if pay_now:
                    self._settle_legs(ctx, ns, ob)
                else:
                    ns["pending"].append(ob)
        if tpl.lifecycle.is_final(c["state"]):
            outcome = "terminated" if c["state"] in ("terminated", "novated") else "matured"
            self._close(ctx, ns, c, outcome)
            self._variation_margin(ctx, ns)
        elif not pay_now:
            self._try_settle(ctx, ns)

    @staticmethod
    def _leg(ns: dict[str, Any], flow: Flow) -> dict[str, Any]:
        return {
            "symbol": flow.symbol or ns["currency"],
            "payer": flow.payer,
            "payee": flow.payee,
            "amount": flow.amount,
        }

    def _close(
        self,
        ctx: Context,
        ns: dict[str, Any],
        c: dict[str, Any],
        outcome: str,
        recovery_bps: int = BPS,
    ) -> None:
        """Take a closed trade out of the netting set, the register, the credit usage, the
        initial margin and its guarantee reservation."""
        tpl = template(c["template"])
        mark = ns["marks"].pop(c["id"])
        if ns["state"] == "active":
            ns["mtm"] -= mark
        for party in tpl.im_payers(c):
            ns["im_req"][party] -= c["im"]
        ctx.call(
            "trades", "close_trade", trade_id=c["id"], outcome=outcome, recovery_bps=recovery_bps
        )
        key = f"usage/{c['party_a']}/{c['party_b']}"
        ctx.put(key, ctx.get(key, 0) - c["usage"])
        if c["reserved"]:
            ctx.call("guarantee", "release", line_id=c["line"], trade_id=c["id"])
            ns["guarantee_amount"] -= c["reserved"]
            if ns["state"] == "active":
                ctx.call(
                    "trades",
                    "set_guarantee",
                    netting_set=ns["id"],
                    guarantor=ns["guarantor"],
                    guarantee_amount=ns["guarantee_amount"],
                )
        if ns["state"] == "active":
            self._im_event(ctx, ns)

    def _terminate(self, ctx: Context, ns: dict[str, Any], c: dict[str, Any], payment: int) -> None:
        tpl = template(c["template"])
        a, b = c["party_a"], c["party_b"]
        flows = (
            (Flow(b, a, payment, reason="termination"),)
            if payment > 0
            else (Flow(a, b, -payment, reason="termination"),)
            if payment < 0
            else ()
        )
        self._fund_signer(ctx, ns, [f for f in flows])
        for f in flows:
            ctx.require(
                self._excess(ctx, ns, f.payer, ns["currency"]) >= f.amount,
                f"{f.payer}'s margin account cannot pay the termination amount {f.amount}",
            )
        self._run_steps(
            ctx, ns, c, tpl, [Step("termination", flows, (("payment", payment),))], pay_now=True
        )
        self._put_trade(ctx, c)

    def _novate(
        self, ctx: Context, ns: dict[str, Any], c: dict[str, Any], step_out: str, step_in: str
    ) -> None:
        """Replace ``step_out`` by ``step_in``: the trade closes as ``novated`` and a new
        trade ``<id>.n`` with the same economics opens in the netting set of the remaining
        party and ``step_in`` (the dealer stays party A; a CCP stepping in for the dealer
        becomes party A)."""
        tpl = template(c["template"])
        new_a = step_in if c["party_a"] == step_out else c["party_a"]
        new_b = step_in if c["party_b"] == step_out else c["party_b"]
        new_id = f"{c['id']}.n"
        self._run_steps(
            ctx,
            ns,
            c,
            tpl,
            [
                Step(
                    "novation",
                    (),
                    (("step_out", step_out), ("step_in", step_in), ("new_trade_id", new_id)),
                )
            ],
            pay_now=True,
        )
        self._put_trade(ctx, c)
        ns2_id = netting_set_id(new_a, new_b)
        ns2 = ctx.get(f"ns/{ns2_id}") if ns2_id != ns["id"] else ns
        if ns2 is None:
            ns2 = self._open_netting_set(
                ctx,
                ns2_id,
                new_a,
                new_b,
                ns["currency"],
                ns["threshold"],
                ns["mta"],
                ns["call_window_ms"],
            )
        ctx.require(ns2["state"] == "active", f"netting set {ns2_id} is {ns2['state']}")
        lei = (ctx.read("identity", f"p/{new_a}") or {}).get("lei", "")
        n = dict(
            c,
            id=new_id,
            uti=(lei or "GLASSLEDGER000000000") + new_id,
            state=tpl.lifecycle.initial,
            netting_set=ns2_id,
            party_a=new_a,
            party_b=new_b,
            executed_ms=ctx.time_ms,
            line="",
            reserved=0,
            novated_from=c["id"],
        )
        ns2["marks"][new_id] = 0
        ctx.put(f"nsof/{new_id}", ns2_id)
        for party in tpl.im_payers(n):
            ns2["im_req"][party] = ns2["im_req"].get(party, 0) + n["im"]
        self._fund_signer(ctx, ns2, [])
        for party in tpl.im_payers(n):
            short = -self._excess(ctx, ns2, party, ns2["currency"])
            ctx.require(
                short <= 0,
                f"{party}'s margin account in {ns2_id} is short by {short} "
                "for the novated trade's initial margin",
            )
        key = f"usage/{new_a}/{new_b}"
        ctx.put(key, ctx.get(key, 0) + n["usage"])
        ctx.call(
            "trades",
            "record_trade",
            trade_id=new_id,
            netting_set=ns2_id,
            asset_class=asset_class_of(n),
            position="LONG" if n["a_long"] else "SHORT",
            notional=tpl.notional_value(n),
            maturity_ms=n["maturity_ms"],
            terms=tpl.trade_terms(n),
        )
        self._emit(
            ctx,
            ns2,
            "execution",
            **self._report_fields(ctx, n, tpl),
            rfq_id=c["rfq_id"],
            side=c["client_side"],
            novated_from=c["id"],
            threshold=ns2["threshold"],
            mta=ns2["mta"],
        )
        if c["template"] == "cds":
            refs = ctx.get(f"ref/{c['params']['reference']}", [])
            ctx.put(f"ref/{c['params']['reference']}", [*refs, new_id])
        self._schedule(ctx, n)
        self._put_trade(ctx, n)
        self._im_event(ctx, ns2)
        if ns2 is not ns:
            self._save(ctx, ns2)

    # ------------------------------------------------------------------ helpers
    def _open_netting_set(
        self,
        ctx: Context,
        ns_id: str,
        a: str,
        b: str,
        currency: str,
        threshold: int,
        mta: int,
        call_window_ms: int,
    ) -> dict[str, Any]:
        ns = {
            "id": ns_id,
            "state": NETTING_SET.initial,
            "party_a": a,
            "party_b": b,
            "currency": currency,
            "threshold": threshold,
            "mta": mta,
            "call_window_ms": call_window_ms,
            "marks": {},
            "mtm": 0,
            "vm": 0,
            "im_req": {},
            "pending": [],
            "calls": {},
            "symbols": [currency],
            "guarantor": "",
            "guarantee_line": "",
            "guarantee_amount": 0,
        }
        ctx.call(
            "trades",
            "open_netting_set",
            netting_set=ns_id,
            party_a=a,
            party_b=b,
            currency=currency,
            terms={
                "margined": True,
                "threshold": threshold,
                "mta": mta,
                "mpor_days": max(1, call_window_ms // DAY_MS + 9),
            },
        )
        return ns

    def _reserve_credit(
        self, ctx: Context, c: dict[str, Any], line: str, ns: dict[str, Any]
    ) -> None:
        """Check the dealer's credit limit for the client (set in ``rfq``); usage beyond it
        is reserved on the client's guarantee line, or the trade is refused."""
        a, b = c["party_a"], c["party_b"]
        limit = ctx.read("rfq", f"limit/{a}/{b}", 0)
        used = ctx.get(f"usage/{a}/{b}", 0)
        beyond = min(c["usage"], used + c["usage"] - limit)
        if beyond > 0:
            ctx.require(
                bool(line),
                f"trade beyond credit limit: {a} grants {b} {limit}, {used} used, trade needs "
                f"{c['usage']}; name a guarantee line or ask for a higher limit",
            )
            record = ctx.read("guarantee", f"line/{line}")
            ctx.require(record is not None, f"no guarantee line {line!r}")
            ctx.require(
                not ns["guarantor"] or ns["guarantor"] == record["guarantor"],
                f"netting set {ns['id']} is guaranteed by {ns['guarantor']}",
            )
            ctx.call(
                "guarantee",
                "reserve",
                line_id=line,
                trade_id=c["id"],
                client=b,
                template_name=c["template"],
                amount=beyond,
            )
            c["line"], c["reserved"] = line, beyond
            ns["guarantor"] = record["guarantor"]
        ctx.put(f"usage/{a}/{b}", used + c["usage"])

    def _fund_signer(self, ctx: Context, ns: dict[str, Any], flows: list[Flow]) -> None:
        """Top the signer's account up from its free balance to cover its initial margin and
        ``flows`` it pays (it signed, so its free balance may move)."""
        who = ctx.origin
        if who not in (ns["party_a"], ns["party_b"]):
            return
        short = -self._excess_after(ctx, ns, who, ns["currency"], flows)
        if short > 0:
            settle(
                ctx,
                [
                    Instruction(
                        ns["currency"],
                        who,
                        who,
                        short,
                        to_lock=lock_id(ns["id"], who, ns["currency"]),
                    )
                ],
                reference=f"derivative/{ns['id']}/collateral",
            )
            self._report(
                ctx,
                (ns["party_a"], ns["party_b"]),
                "collateral",
                {"netting_set": ns["id"], "party": who, "symbol": ns["currency"], "amount": short},
            )

    def _excess_after(
        self, ctx: Context, ns: dict[str, Any], party: str, symbol: str, flows: list[Flow]
    ) -> int:
        pays = sum(f.amount for f in flows if f.payer == party and (f.symbol or symbol) == symbol)
        return self._excess(ctx, ns, party, symbol) - pays

    def _excess(self, ctx: Context, ns: dict[str, Any], party: str, symbol: str) -> int:
        """A party's margin account above its initial-margin requirement (may be < 0)."""
        held = self._lock_amount(ctx, ns["id"], party, symbol)
        return held - (ns["im_req"].get(party, 0) if symbol == ns["currency"] else 0)

    @staticmethod
    def _lock_amount(ctx: Context, ns_id: str, party: str, symbol: str) -> int:
        record = ctx.read("token", f"l/{lock_id(ns_id, party, symbol)}")
        return 0 if record is None else record["amount"]

    @staticmethod
    def _note_symbol(ns: dict[str, Any], symbol: str) -> None:
        if symbol not in ns["symbols"]:
            ns["symbols"].append(symbol)

    def _signer_netting_set(
        self, ctx: Context, counterparty: str
    ) -> tuple[str, dict[str, Any] | None]:
        """The netting set between the signer and ``counterparty`` (either may be party A)."""
        me = ctx.origin
        for ns_id in (netting_set_id(me, counterparty), netting_set_id(counterparty, me)):
            ns = ctx.get(f"ns/{ns_id}")
            if ns is not None:
                return ns_id, ns
        other = ctx.read("identity", f"p/{counterparty}")
        ctx.require(other is not None, f"no participant {counterparty!r}")
        record = ctx.read("identity", f"p/{me}")
        me_a = bool({"dealer", "ccp"} & set(record["roles"]))
        other_a = bool({"dealer", "ccp"} & set(other["roles"]))
        first = me_a or not other_a  # party A: the dealer (or CCP); the signer if both are
        return (
            netting_set_id(me, counterparty) if first else netting_set_id(counterparty, me)
        ), None

    def _live(self, ctx: Context, trade_id: str) -> dict[str, Any]:
        c = ctx.get(f"c/{trade_id}")
        ctx.require(c is not None, f"no trade {trade_id!r}")
        return c

    def _put_trade(self, ctx: Context, c: dict[str, Any]) -> None:
        ctx.put(f"c/{c['id']}", c)

    def _im_event(self, ctx: Context, ns: dict[str, Any]) -> None:
        a, b = ns["party_a"], ns["party_b"]
        ctx.call(
            "trades",
            "set_collateral",
            netting_set=ns["id"],
            terms={
                "im_received": ns["im_req"].get(b, 0),
                "im_posted_segregated": ns["im_req"].get(a, 0),
            },
        )
        self._emit(
            ctx,
            ns,
            "initial_margin",
            required={a: ns["im_req"].get(a, 0), b: ns["im_req"].get(b, 0)},
            schedule="BCBS-IOSCO standardised",
            currency=ns["currency"],
        )

    @staticmethod
    def _report_fields(ctx: Context, c: dict[str, Any], tpl: Template) -> dict[str, Any]:
        """Fields a trade report (CFTC Part 45, EMIR Refit) needs from the execution."""
        ids = {
            p: (ctx.read("identity", f"p/{p}") or {}).get("lei", "")
            for p in (c["party_a"], c["party_b"])
        }
        return {
            "uti": c["uti"],
            "upi": tpl.upi(c),
            "trade_id": c["id"],
            "template": c["template"],
            "asset_class": asset_class_of(c),
            "party_a": c["party_a"],
            "party_b": c["party_b"],
            "lei_a": ids[c["party_a"]],
            "lei_b": ids[c["party_b"]],
            "a_long": c["a_long"],
            "notional": c["notional"],
            "notional_value": tpl.notional_value(c),
            "currency": c["currency"],
            "price": c["price"],
            "price_field": tpl.price_field,
            "params": c["params"],
            "execution_ms": c["executed_ms"],
            "effective_ms": c["executed_ms"],
            "maturity_ms": c["maturity_ms"],
            "initial_margin": c["im"],
            "guarantee_line": c["line"],
            "guarantee_reserved": c["reserved"],
        }

    @staticmethod
    def _emit(ctx: Context, ns: dict[str, Any], name: str, **data: Any) -> None:
        viewers = tuple(p for p in (ns["party_a"], ns["party_b"], ns["guarantor"]) if p)
        Derivative._report(ctx, viewers, name, {"netting_set": ns["id"], **data})

    @staticmethod
    def _report(ctx: Context, viewers: tuple[str, ...], name: str, fields: dict[str, Any]) -> None:
        """Emit event ``name`` with ``fields`` to ``viewers`` and, if it is a reportable
        lifecycle event, report it to the trade repository in the same transaction."""
        ctx.emit(name, visible_to=viewers, **fields)
        if name in REPORTABLE:
            ctx.call("repository", "record", event=name, fields=fields)

    @staticmethod
    def _save(ctx: Context, ns: dict[str, Any]) -> None:
        ctx.put(f"ns/{ns['id']}", ns)

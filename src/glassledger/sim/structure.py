"""The market-structure comparison (seed 000): the same shock through a dealer market and
through the on-ledger pool with its standing facility.

Seed 000 ("from balance sheets to blockchain") says today's dollar funding markets clear
through balance-sheet capacity, not prices: a few dealers stand between cash lenders and
borrowers, and when their balance sheets are full liquidity vanishes; an on-ledger market
(transparent collateral, margining and settlement by code, open participation) should
distribute liquidity better. This runner puts the claim to a test on one chain, two markets
side by side, every agent acting by signed transactions on the real contracts:

**(a) Dealer market** (``dealer-0..K-1``). Core cash lenders ``dm-fund-i`` lend to dealers by
open repo against the dealers' notes, each lender up to ``lender_cash / K`` per dealer;
sideline cash holders ``dm-cash-i`` lend to dealers at their hurdle rate when that is under
the standing repo facility's rate; beyond both, a dealer borrows at the facility
(``facility.srf_borrow``). Dealers lend to borrowers ``dm-rv-j`` by open repo (the borrower
proposes as seller with its notes, the dealer accepts and pays: DvP), each dealer at most
``balance_sheet_limit`` in total, at its marginal funding cost plus ``spread_bps + slope_bps x
u^2`` (``u`` its balance sheet's utilization after the loan: balance-sheet cost rising as
it fills). A borrower knows its relationship dealer (``j mod K``) at first; while it is short
after a round it learns one more dealer (a seeded order): search is bilateral and capacity
is not visible. It takes, cheapest quote first, the most each known dealer will lend at a
rate up to its reservation ``SOFR + max_spread_bps``.

**(b) On-ledger market.** Core lenders ``ol-fund-i`` deposit their cash in the ``pool``
(rate ``USD.SOFR`` plus a two-slope curve, +10 bp to 80% utilization, +1,500 bp more to
100%); sideline holders ``ol-cash-i`` deposit as much as keeps the pool's supply rate at or
above their hurdle (they see the pool's state: it is public); borrowers ``ol-rv-j`` post notes
and borrow from the pool as much as keeps its rate at or under their cap (their reservation,
or the facility's rate when they may use it: ``facility_open``), and bid for the rest at the
facility. Pool loans float: every pool borrower pays the pool's rate in force.

**The shock** at round ``shock_round``: core lenders withdraw ``withdraw_bps`` of their cash
(from the dealers: the share of each repo they treat as hot money is repurchased; from the
pool: what its idle cash allows, the rest is retried each round) and borrowers need
``demand_bps`` more. Each round is two blocks: (1) core lenders act, (2) sideline lenders,
dealers' funding and borrowers act, in that order.

**Measures**, per market, read at the end of each round (the second block): liquidity
supplied (funding borrowers hold); the marginal rate (the highest rate any borrower pays on
funding taken in the round, the pool's floating rate on all pool debt, and the reservation
rate for a borrower still short: it would pay up to that and is not funded) and its rise
over the round before the shock (the price impact); the blocks from the shock until every
borrower is funded and every withdrawal paid (time to clear); the Herfindahl-Hirschman index
(0..10,000) of the balance sheets borrowers' funding sits on (the dealers' books in (a); in
(b) the pool's lenders, pro rata to their claims, and the facility) before the shock and at
the end. At the end, borrowers still short sell notes to ``buyer`` at a price
``par x (1 - impact_bps x g(sold / depth))`` (:func:`glassledger.sim.attack.impact`): their
fire-sale loss (at par) is the buyer's gain. Interest: the run lasts hours of one day and
repo interest accrues per whole day, so repos and standing repos carry their rates but
settle no interest within the run; the pool accrues by the millisecond.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool as pool_contract
from glassledger.contracts import treasury_math as tm
from glassledger.ledger.codec import decode
from glassledger.ledger.crypto import KeyPair
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import Genesis, ParticipantSpec
from glassledger.sim.attack import impact
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import DAY_MS, E8, Call, cusip, must
from glassledger.sim.scenario import Scenario, Structure

BPS = 10_000
PAR_E8 = 100 * E8
MARKET = "USDPOOL"
ORACLE = "regulator"
BUYER = "buyer"
ISSUER = "ust"
POOL_OPERATOR = "pool-op"
#: The notes each market's agents hold and post (the same terms, two CUSIPs, so that the
#: two markets share no collateral price).
NOTES = {"dealer": cusip("91282CDM"), "ledger": cusip("91282COL")}
POOL_PARAMS = {
    "rate_key": "USD.SOFR",
    "slope1_bps": 10,
    "slope2_bps": 1_500,
    "optimal_utilization_bps": 8_000,
    "reserve_factor_bps": 500,
}
HAIRCUT_BPS = 200
LTV_BPS = 9_000
MARKETS = ("dealer", "ledger")


def dealer(k: int) -> str:
    return f"dealer-{k}"


def agent(market: str, kind: str, i: int) -> str:
    """``dm-fund-0``, ``ol-rv-3``...: ``kind`` is ``fund`` (core lender), ``cash``
    (sideline) or ``rv`` (borrower) of market ``dealer`` (dm) or ``ledger`` (ol)."""
    return f"{'dm' if market == 'dealer' else 'ol'}-{kind}-{i}"


def structure_genesis(scenario: Scenario, extra: Iterable[ParticipantSpec]) -> Genesis:
    """The devnet (dealers 0..3 its authorities) plus dealers 4.., both markets' lenders,
    sideline holders and borrowers, the note issuer, the pool operator and the buyer."""
    s = scenario.structure
    people = [
        ParticipantSpec(ISSUER, ["issuer"], legal_name="US Treasury"),
        ParticipantSpec(POOL_OPERATOR, ["settlement_bank"], legal_name="Lending Pool Operator"),
        ParticipantSpec(BUYER, ["client"], legal_name="Fire-sale buyers"),
    ]
    people += [ParticipantSpec(dealer(k), ["dealer"]) for k in range(4, s.dealers)]
    for market in MARKETS:
        people += [ParticipantSpec(agent(market, "fund", i), ["client"]) for i in range(s.lenders)]
        people += [
            ParticipantSpec(agent(market, "cash", i), ["client"]) for i in range(len(s.hurdles_bps))
        ]
    people += [ParticipantSpec(agent("dealer", "rv", j), ["client"]) for j in range(s.borrowers)]
    # open participation: the on-ledger borrowers may bid at the facility (role dealer)
    roles = ["client", "dealer"] if s.facility_open else ["client"]
    people += [ParticipantSpec(agent("ledger", "rv", j), roles) for j in range(s.borrowers)]
    people += list(extra)
    genesis = devnet_genesis(params=dict(scenario.params), extra=people)
    for person in genesis.participants:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    return genesis


def cover(cash: int) -> int:
    """Note units (face cents, at par) that cover ``cash`` after the 2% haircut, with room."""
    return cash * 103 // 100 + 1


def hhi(amounts: Iterable[int]) -> float:
    """Herfindahl-Hirschman index of the positive ``amounts`` on the 0..10,000 scale."""
    positive = [a for a in amounts if a > 0]
    total = sum(positive)
    return 0.0 if not total else round(sum((a / total) ** 2 for a in positive) * BPS, 1)


class _State:
    """Reads of the chain state at the head (one decode per key)."""

    def __init__(self, ledger: Recorder) -> None:
        self.state = ledger.store.state_at(ledger.store.head_height())

    def get(self, contract: str, key: str) -> Any:
        raw = self.state.get(f"{contract}/{key}".encode())
        return None if raw is None else decode(raw, Any)


# ---------------------------------------------------------------------- (a) dealers


@dataclass
class _Loan:
    repo_id: str
    borrower: str
    dealer: str
    cash: int
    rate_bps: int


@dataclass
class DealerMarket:
    """The dealer market's agents and what they did (minor units, bp)."""

    s: Structure
    sofr: int
    srf: int
    seed: int
    note: str = NOTES["dealer"]
    loans: list[_Loan] = field(default_factory=list)
    #: core funding (lender, dealer) -> [(repo id, cash, hot)]: ``hot`` is the share the
    #: lender withdraws at the shock
    core: dict[tuple[str, str], list[tuple[str, int, bool]]] = field(default_factory=dict)
    sideline_lent: dict[str, int] = field(default_factory=dict)
    srf_outstanding: dict[str, int] = field(default_factory=dict)
    known: dict[str, list[str]] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    shocked: bool = False
    n: int = 0

    def __post_init__(self) -> None:
        s = self.s
        self.dealers = [dealer(k) for k in range(s.dealers)]
        self.lenders = [agent("dealer", "fund", i) for i in range(s.lenders)]
        self.sideline = sorted(
            ((h, agent("dealer", "cash", i)) for i, h in enumerate(s.hurdles_bps)),
            key=lambda x: (x[0], x[1]),
        )
        self.borrowers = [agent("dealer", "rv", j) for j in range(s.borrowers)]
        for j, b in enumerate(self.borrowers):
            first = self.dealers[j % s.dealers]
            rest = [d for d in self.dealers if d != first]
            random.Random(f"{self.seed}/{b}").shuffle(rest)
            self.order[b] = [first, *rest]
            self.known[b] = [first]

    # -- books --------------------------------------------------------------------------
    def book(self, d: str) -> int:
        return sum(loan.cash for loan in self.loans if loan.dealer == d)

    def funded(self, b: str) -> int:
        return sum(loan.cash for loan in self.loans if loan.borrower == b)

    def core_cap(self) -> int:
        share = BPS - (self.s.withdraw_bps if self.shocked else 0)
        return self.s.lender_cash * share // BPS // self.s.dealers

    def _core_lent(self, lender: str, d: str) -> int:
        return sum(c for _, c, _ in self.core.get((lender, d), []))

    def sources(self, d: str, amount: int) -> list[tuple[str, str, int, int]]:
        """How dealer ``d`` raises ``amount`` (no calls): ``(kind, lender, amount, rate)``
        from core lenders (SOFR), sideline holders under the facility's rate (their
        hurdle), then the facility."""
        out: list[tuple[str, str, int, int]] = []
        left = amount
        for lender in self.lenders:
            room = self.core_cap() - self._core_lent(lender, d)
            if left and room > 0:
                take = min(left, room)
                out.append(("core", lender, take, self.sofr))
                left -= take
        for hurdle, holder in self.sideline:
            room = self.s.sideline_cash - self.sideline_lent.get(holder, 0)
            rate = max(hurdle, self.sofr)  # a dealer pays the repo rate, at least SOFR
            if left and room > 0 and rate < self.srf:
                take = min(left, room)
                out.append(("sideline", holder, take, rate))
                left -= take
        if left:
            out.append(("facility", ORACLE, left, self.srf))
        return out

    def quote(self, d: str, amount: int) -> int:
        """Dealer ``d``'s rate (bp) for lending ``amount`` more: marginal funding cost plus
        ``spread + slope x u^2``."""
        cost = self.sources(d, amount)[-1][3] if amount else self.sofr
        used = self.book(d) + amount
        limit = self.s.balance_sheet_limit
        return cost + self.s.spread_bps + self.s.slope_bps * used * used // (limit * limit)

    def _repo(self, seller: str, buyer: str, cash: int, rate: int, note_units: int) -> list[Call]:
        self.n += 1
        rid = f"dm-{self.n}"
        self.last_repo = rid
        return [
            (
                seller,
                "repo",
                "propose",
                {
                    "repo_id": rid,
                    "side": "seller",
                    "counterparty": buyer,
                    "cash": cash,
                    "rate_bps": rate,
                    "term_days": 0,
                    "collateral": {self.note: note_units},
                },
            ),
            (buyer, "repo", "accept", {"repo_id": rid}),
        ]

    def fund(self, d: str, amount: int) -> list[Call]:
        """Calls by which dealer ``d`` raises ``amount`` cash (and the books updated)."""
        calls: list[Call] = []
        for kind, lender, take, rate in self.sources(d, amount):
            if kind == "facility":
                calls.append(
                    (
                        d,
                        "facility",
                        "srf_borrow",
                        {
                            "amount": take,
                            "rate_bps": self.srf,
                            "collateral": self.note,
                            "collateral_amount": cover(take),
                        },
                    )
                )
                self.srf_outstanding[d] = self.srf_outstanding.get(d, 0) + take
                continue
            if kind == "core" and not self.shocked and self.s.withdraw_bps:
                hot = take * self.s.withdraw_bps // BPS
                parts = [(take - hot, False), (hot, True)]
            else:
                parts = [(take, False)]
            for cash, hot in parts:
                if cash <= 0:
                    continue
                calls += self._repo(d, lender, cash, rate, cover(cash))
                if kind == "core":
                    self.core.setdefault((lender, d), []).append((self.last_repo, cash, hot))
                else:
                    self.sideline_lent[lender] = self.sideline_lent.get(lender, 0) + cash
        return calls

    # -- the rounds ---------------------------------------------------------------------
    def lenders_act(self, shock: bool) -> list[Call]:
        """Block 1 of a round: at the shock, dealers replace and repurchase the hot repos."""
        if not shock:
            return []
        self.shocked = True
        calls: list[Call] = []
        for d in self.dealers:
            hot = [
                (key, rid, cash)
                for key, repos in sorted(self.core.items())
                if key[1] == d
                for rid, cash, is_hot in repos
                if is_hot
            ]
            for key, _, _ in hot:
                self.core[key] = [r for r in self.core[key] if not r[2]]
            need = sum(cash for _, _, cash in hot)
            if need:
                calls += self.fund(d, need)
            calls += [(d, "repo", "repurchase", {"repo_id": rid}) for _, rid, _ in hot]
        return calls

    def borrowers_act(self, need: int, rnd: int) -> tuple[list[Call], list[int]]:
        """Block 2: borrowers take what known dealers lend at acceptable rates (dealers
        raise the cash first); the rates of the loans made."""
        cap = self.sofr + self.s.max_spread_bps
        calls: list[Call] = []
        rates: list[int] = []
        borrowers = list(self.borrowers)
        random.Random(f"{self.seed}/round/{rnd}").shuffle(borrowers)
        for b in borrowers:
            gap = need - self.funded(b)
            if gap <= 0:
                continue
            ranked = sorted(self.known[b], key=lambda d: (self.quote(d, 1), d))
            for d in ranked:
                room = min(gap, self.s.balance_sheet_limit - self.book(d))
                take = _most_under(lambda a, d=d: self.quote(d, a), room, cap)
                if take <= 0:
                    continue
                rate = self.quote(d, take)
                calls += self.fund(d, take)
                calls += self._repo(b, d, take, rate, cover(take))
                self.loans.append(_Loan(self.last_repo, b, d, take, rate))
                rates.append(rate)
                gap -= take
                if not gap:
                    break
            if gap > 0 and len(self.known[b]) < len(self.order[b]):
                self.known[b].append(self.order[b][len(self.known[b])])  # search on
        return calls, rates

    def average_rate(self) -> float:
        total = sum(loan.cash for loan in self.loans)
        return 0.0 if not total else sum(x.cash * x.rate_bps for x in self.loans) / total

    def concentration(self, view: _State) -> float:
        """HHI of the dealers' books as the ledger has them (open reverse repos)."""
        books = {d: 0 for d in self.dealers}
        for loan in self.loans:
            record = view.get("repo", f"r/{loan.repo_id}")
            if record and record["state"] in ("open", "called"):
                books[record["buyer"]] += record["cash"]
        return hhi(books.values())


def _most_under(rate_of: Any, room: int, cap: int) -> int:
    """The largest amount in [0, room] whose rate ``rate_of(amount)`` is at most ``cap``
    (the rate rises with the amount)."""
    if room <= 0 or rate_of(1) > cap:
        return 0
    lo, hi = 1, room
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if rate_of(mid) <= cap:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _least_under(rate_of: Any, most: int, cap: int) -> int:
    """The least amount in [0, most] whose rate ``rate_of(amount)`` is at most ``cap`` (the
    rate falls with the amount), or ``most`` if none is."""
    if rate_of(most) > cap:
        return most
    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi) // 2
        if rate_of(mid) <= cap:
            hi = mid
        else:
            lo = mid + 1
    return lo


# ---------------------------------------------------------------------- (b) the pool


@dataclass
class LedgerMarket:
    """The on-ledger market's agents: pool lenders, sideline holders, borrowers."""

    s: Structure
    sofr: int
    srf: int
    seed: int
    note: str = NOTES["ledger"]
    posted: dict[str, int] = field(default_factory=dict)
    srf_outstanding: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    #: the highest pool rate seen at the end of any block (bp), and when
    block_peak: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        s = self.s
        self.lenders = [agent("ledger", "fund", i) for i in range(s.lenders)]
        self.sideline = sorted(
            ((h, agent("ledger", "cash", i)) for i, h in enumerate(s.hurdles_bps)),
            key=lambda x: (x[0], x[1]),
        )
        self.borrowers = [agent("ledger", "rv", j) for j in range(s.borrowers)]

    @staticmethod
    def market(view: _State) -> dict[str, Any]:
        return pool_contract.read_market(lambda key: view.get("pool", key), MARKET)

    def rate(self, debt: int, cash: int) -> int:
        """The pool's borrow rate (bp) at ``debt`` and ``cash`` (the contract's curve)."""
        u = lm.utilization_ray(debt, cash)
        ray = lm.borrow_rate_ray(
            u,
            self.sofr,
            POOL_PARAMS["slope1_bps"],
            POOL_PARAMS["slope2_bps"],
            POOL_PARAMS["optimal_utilization_bps"],
        )
        return ray * BPS // lm.RAY

    def supply_rate(self, debt: int, cash: int) -> int:
        u = lm.utilization_ray(debt, cash)
        borrow = lm.bps_to_ray(self.rate(debt, cash))
        ray = lm.supply_rate_ray(borrow, u, POOL_PARAMS["reserve_factor_bps"])
        return ray * BPS // lm.RAY

    def debt_of(self, view: _State, m: dict[str, Any], who: str) -> int:
        pos = view.get("pool", f"p/{MARKET}/{who}")
        return 0 if not pos else pool_contract.debt_of(m, pos["scaled_debt"])

    def funded(self, view: _State, m: dict[str, Any], who: str) -> int:
        return self.debt_of(view, m, who) + self.srf_outstanding.get(who, 0)

    def lenders_act(self, view: _State, first: bool, shock: bool) -> list[Call]:
        """Block 1: core lenders deposit (first round), withdraw their share at the shock
        and retry what the pool's idle cash did not pay."""
        if first:
            return [
                (who, "pool", "deposit", {"market": MARKET, "amount": self.s.lender_cash})
                for who in self.lenders
            ]
        if shock:
            for who in self.lenders:
                self.pending[who] = self.s.lender_cash * self.s.withdraw_bps // BPS
        cash = self.market(view)["cash_held"]
        calls: list[Call] = []
        for who in self.lenders:
            take = min(self.pending.get(who, 0), cash)
            if take > 0:
                calls.append((who, "pool", "withdraw", {"market": MARKET, "amount": take}))
                self.pending[who] -= take
                cash -= take
        return calls

    def _srf(self, b: str, amount: int) -> list[Call]:
        self.srf_outstanding[b] = self.srf_outstanding.get(b, 0) + amount
        return [
            (
                b,
                "facility",
                "srf_borrow",
                {
                    "amount": amount,
                    "rate_bps": self.srf,
                    "collateral": self.note,
                    "collateral_amount": cover(amount),
                },
            )
        ]

    def borrowers_act(self, view: _State, need: int, rnd: int) -> tuple[list[Call], list[int]]:
        """Block 2: sideline holders deposit down to their hurdle; borrowers who may use the
        facility move pool debt there while the pool is dearer; then borrowers borrow from
        the pool up to their cap and bid for the rest at the facility."""
        m = self.market(view)
        debt, cash = pool_contract.total_debt(m), m["cash_held"]
        calls: list[Call] = []
        for hurdle, holder in self.sideline:
            held = view.get("pool", f"s/{MARKET}/{holder}") or 0
            room = self.s.sideline_cash - pool_contract.lender_claim(m, held)
            # the most it can deposit with the supply rate still at or above its hurdle
            amount = _most_under(
                lambda a, d=debt, c=cash: -self.supply_rate(d, c + a), room, -hurdle
            )
            if amount > 0:
                calls.append((holder, "pool", "deposit", {"market": MARKET, "amount": amount}))
                cash += amount
        reservation = self.sofr + self.s.max_spread_bps
        at_facility = self.s.facility_open and self.srf <= reservation
        cap = min(reservation, self.srf) if at_facility else reservation
        rates: list[int] = []
        borrowers = list(self.borrowers)
        random.Random(f"{self.seed}/round/{rnd}").shuffle(borrowers)
        gaps = {b: need - self.funded(view, m, b) for b in borrowers}
        if at_facility:  # refinance pool debt at the facility while the pool is dearer
            for b in borrowers:
                owed = self.debt_of(view, m, b)
                if not owed or self.rate(debt, cash) <= cap:
                    continue
                move = _least_under(lambda a, d=debt, c=cash: self.rate(d - a, c + a), owed, cap)
                calls += self._srf(b, move)
                calls.append((b, "pool", "repay", {"market": MARKET, "amount": move}))
                debt, cash = debt - move, cash + move
                rates.append(self.srf)
        for b in borrowers:
            gap = gaps[b]
            if gap <= 0:
                continue
            take = _most_under(
                lambda a, d=debt, c=cash: self.rate(d + a, c - a), min(gap, cash - 1), cap
            )
            if take > 0:
                units = cover(take) * BPS // LTV_BPS
                calls += [
                    (
                        b,
                        "pool",
                        "post_collateral",
                        {"market": MARKET, "symbol": self.note, "amount": units},
                    ),
                    (b, "pool", "borrow", {"market": MARKET, "amount": take}),
                ]
                self.posted[b] = self.posted.get(b, 0) + units
                debt, cash, gap = debt + take, cash - take, gap - take
                rates.append(self.rate(debt, cash))
            if gap > 0 and at_facility:
                calls += self._srf(b, gap)
                rates.append(self.srf)
        return calls, rates

    def concentration(self, view: _State) -> float:
        """HHI of who funds the borrowers: the pool's lenders pro rata to their claims on
        what the pool has lent, and the facility."""
        m = self.market(view)
        debt = pool_contract.total_debt(m)
        claims = {}
        for who in [*self.lenders, *(h for _, h in self.sideline)]:
            shares = view.get("pool", f"s/{MARKET}/{who}") or 0
            claims[who] = pool_contract.lender_claim(m, shares)
        total = sum(claims.values())
        amounts = [c * debt // total for c in claims.values()] if total else []
        facility = sum(view.get("facility", f"out/srf/{b}") or 0 for b in self.borrowers)
        return hhi([*amounts, facility])

    def average_rate(self, view: _State) -> float:
        m = self.market(view)
        debt = pool_contract.total_debt(m)
        pool_rate = int(m["rate_ray"]) * BPS // lm.RAY
        srf = sum(self.srf_outstanding.values())
        total = debt + srf
        return 0.0 if not total else (debt * pool_rate + srf * self.srf) / total


# ---------------------------------------------------------------------- the run


def _setup(ledger: Recorder, scenario: Scenario, dm: DealerMarket, ol: LedgerMarket) -> None:
    s = scenario.structure
    today = ledger.time_ms // DAY_MS
    issue = {
        "kind": "note",
        "issue_date": tm.iso_of(today),
        "maturity_date": tm.iso_of(tm.add_months(today, 24)),
        "rate_e8": 4_000_000,
    }
    total_need = s.borrower_need * (BPS + s.demand_bps) // BPS * s.borrowers
    cash_calls: list[Call] = [
        (scenario.cash_issuer, "token", "mint", {"symbol": "USD", "to": who, "amount": amount})
        for who, amount in [
            *((w, s.lender_cash) for w in dm.lenders + ol.lenders),
            *((h, s.sideline_cash) for _, h in dm.sideline + ol.sideline),
            (BUYER, 2 * total_need),
            (ORACLE, 2 * total_need),
        ]
    ]
    must(
        ledger,
        [
            *[(ISSUER, "treasury", "create_issue", {"cusip": n, **issue}) for n in NOTES.values()],
            *cash_calls,
        ],
        "issuing the notes and the cash",
    )
    holders = [(NOTES["dealer"], b, 3 * total_need // s.borrowers) for b in dm.borrowers]
    holders += [(NOTES["dealer"], d, 4 * s.balance_sheet_limit) for d in dm.dealers]
    holders += [(NOTES["ledger"], b, 3 * total_need // s.borrowers) for b in ol.borrowers]
    posts = [
        ("USD.SOFR", dm.sofr, "rate", 4),
        ("USD.SRF", dm.srf, "rate", 4),
        *((f"UST-{n}", PAR_E8, "price", 8) for n in NOTES.values()),
    ]
    setup: list[Call] = [
        (ISSUER, "treasury", "issue", {"cusip": n, "to": who, "face": face_})
        for n, who, face_ in holders
    ]
    setup += [
        (
            ORACLE,
            "oracle",
            "post",
            {"kind": kind, "key": key, "value": v, "scale": sc, "observed_ms": ledger.time_ms},
        )
        for key, v, kind, sc in posts
    ]
    setup += [
        ("regulator", "repo", "set_class", {"name": "note", "haircut_bps": HAIRCUT_BPS}),
        *[
            ("regulator", "repo", "list_collateral", {"symbol": n, "class_name": "note"})
            for n in NOTES.values()
        ],
        (
            "regulator",
            "pool",
            "open_market",
            {"market": MARKET, "cash": "USD", "operator": POOL_OPERATOR, "params": POOL_PARAMS},
        ),
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": MARKET,
                "symbol": NOTES["ledger"],
                "terms": {
                    "price_key": f"UST-{NOTES['ledger']}",
                    "units_per_price": 100,
                    "ltv_bps": LTV_BPS,
                    "threshold_bps": 9_200,
                    "bonus_bps": 10_200,
                },
            },
        ),
        ("regulator", "facility", "configure", {"cash": "USD", "operator": ORACLE, "params": {}}),
        *[
            (
                "regulator",
                "facility",
                "list_collateral",
                {
                    "symbol": n,
                    "terms": {
                        "price_key": f"UST-{n}",
                        "units_per_price": 100,
                        "haircut_bps": HAIRCUT_BPS,
                    },
                },
            )
            for n in NOTES.values()
        ],
        (ORACLE, "facility", "fund", {"amount": 2 * total_need}),
    ]
    must(ledger, setup, "notes, prices and the markets")


def market_structure(ledger: Recorder, scenario: Scenario) -> dict[str, Any]:
    """The comparison (module docstring); returns its key figures."""
    s = scenario.structure
    srf = s.sofr_bps + s.srf_spread_bps
    dm = DealerMarket(s, s.sofr_bps, srf, ledger.seed)
    ol = LedgerMarket(s, s.sofr_bps, srf, ledger.seed)
    _setup(ledger, scenario, dm, ol)
    reservation = s.sofr_bps + s.max_spread_bps
    rows: list[dict[str, Any]] = []
    shock_height = 0
    hhi_before: dict[str, float] = {}
    for rnd in range(s.rounds):
        shock = rnd == s.shock_round
        need = s.borrower_need * (BPS + (s.demand_bps if rnd >= s.shock_round else 0)) // BPS
        view = _State(ledger)
        must(
            ledger,
            dm.lenders_act(shock) + ol.lenders_act(view, rnd == 0, shock),
            f"round {rnd}: lenders",
        )
        if shock:
            shock_height = ledger.chain.height
        view = _State(ledger)
        ol.block_peak = max(ol.block_peak, (_pool_rate(ol, view), ledger.chain.height))
        dm_calls, dm_rates = dm.borrowers_act(need, rnd)
        ol_calls, ol_rates = ol.borrowers_act(view, need, rnd)
        must(ledger, dm_calls + ol_calls, f"round {rnd}: borrowers")
        view = _State(ledger)
        m = ol.market(view)
        pool_rate = _pool_rate(ol, view)
        ol.block_peak = max(ol.block_peak, (pool_rate, ledger.chain.height))
        # the need funded (a pool debt's accrued interest is not new funding)
        dm_funded = sum(min(dm.funded(b), need) for b in dm.borrowers)
        ol_funded = sum(min(ol.funded(view, m, b), need) for b in ol.borrowers)
        total_need = need * s.borrowers
        dm_short = total_need - dm_funded
        ol_short = total_need - ol_funded
        pending = sum(ol.pending.values())
        debt = pool_contract.total_debt(m)
        row = {
            "round": rnd,
            "height": ledger.chain.height,
            "shocked": rnd >= s.shock_round,
            "need": total_need,
            "dealer_funded": dm_funded,
            "ledger_funded": ol_funded,
            "dealer_marginal_bps": max(
                dm_rates + ([reservation] if dm_short > 0 else []), default=0
            ),
            "ledger_marginal_bps": max(
                ol_rates + ([pool_rate] if debt else []) + ([reservation] if ol_short > 0 else []),
                default=0,
            ),
            "dealer_average_bps": round(dm.average_rate(), 1),
            "ledger_average_bps": round(ol.average_rate(view), 1),
            "pool_rate_bps": pool_rate,
            "utilization_bps": lm.utilization_ray(debt, m["cash_held"]) * BPS // lm.RAY,
            "dealer_facility": sum(dm.srf_outstanding.values()),
            "ledger_facility": sum(ol.srf_outstanding.values()),
            "ledger_pending_withdrawals": pending,
            "dealer_hhi": dm.concentration(view),
            "ledger_hhi": ol.concentration(view),
            "dealer_books": {d: dm.book(d) for d in dm.dealers},
        }
        for market in MARKETS:  # a round with nothing new keeps the last marginal rate
            if not row[f"{market}_marginal_bps"] and rows:
                row[f"{market}_marginal_bps"] = rows[-1][f"{market}_marginal_bps"]
        rows.append(row)
        if rnd == s.shock_round - 1:
            hhi_before = {mk: row[f"{mk}_hhi"] for mk in MARKETS}
    if not hhi_before:  # shock in round 0: before = as the first round left it
        hhi_before = {mk: rows[0][f"{mk}_hhi"] for mk in MARKETS}
    losses = _fire_sale(ledger, s, dm, ol, rows[-1])
    return _figures(s, rows, shock_height, hhi_before, losses, ol)


def _pool_rate(ol: LedgerMarket, view: _State) -> int:
    return int(ol.market(view)["rate_ray"]) * BPS // lm.RAY


def _fire_sale(
    ledger: Recorder, s: Structure, dm: DealerMarket, ol: LedgerMarket, last: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Borrowers still short sell notes to the buyer at the price after impact (one price
    per market: the sellers of a market sell the same note into the same depth)."""
    view = _State(ledger)
    m = ol.market(view)
    shorts = {
        "dealer": {b: last["need"] // s.borrowers - dm.funded(b) for b in dm.borrowers},
        "ledger": {b: last["need"] // s.borrowers - ol.funded(view, m, b) for b in ol.borrowers},
    }
    calls: list[Call] = []
    out: dict[str, dict[str, Any]] = {}
    for market in MARKETS:
        short = {b: g for b, g in shorts[market].items() if g > 0}
        raised = sum(short.values())
        # the price after selling what raises the cash at that price (a fixed point)
        mult = 1.0
        for _ in range(60):
            mult = impact(raised / mult, s.depth, s.impact_bps, s.impact_law)
        per: dict[str, int] = {}
        for b, gap in sorted(short.items()):
            units = -(-gap * 1_000_000 // round(mult * 1_000_000))  # ceil(gap / mult)
            per[b] = units - gap
            calls += [
                (b, "token", "transfer", {"symbol": NOTES[market], "to": BUYER, "amount": units}),
                (BUYER, "token", "transfer", {"symbol": "USD", "to": b, "amount": gap}),
            ]
        out[market] = {
            "unfunded": raised,
            "price_bps": round(mult * BPS, 1),
            "losses": per,
            "loss": sum(per.values()),
        }
    if calls:
        must(ledger, calls, "fire sales")
    view = _State(ledger)
    for market in MARKETS:
        held = view.get("token", f"b/{NOTES[market]}/{BUYER}") or 0
        sold = sum(out[market]["losses"].values()) + out[market]["unfunded"]
        out[market]["buyer_gain"] = held - out[market]["unfunded"]  # notes at par less cash
        out[market]["buyer_notes"] = held
        out[market]["sold_units"] = sold
    return out


def _figures(
    s: Structure,
    rows: list[dict[str, Any]],
    shock_height: int,
    hhi_before: dict[str, float],
    losses: dict[str, dict[str, Any]],
    ol: LedgerMarket,
) -> dict[str, Any]:
    before = rows[s.shock_round - 1] if s.shock_round else rows[0]
    after = [r for r in rows if r["shocked"]]
    last = rows[-1]
    figures: dict[str, Any] = {"rounds": rows, "dealers": s.dealers}
    figures["balance_sheet_limit"] = s.balance_sheet_limit
    figures["need_after_shock"] = last["need"]
    for market in MARKETS:
        clear = [
            r
            for r in after
            if r[f"{market}_funded"] >= r["need"]
            and (market == "dealer" or not r["ledger_pending_withdrawals"])
        ]
        first_clear = clear[0]["height"] - shock_height + 1 if clear else None
        peak = max(r[f"{market}_marginal_bps"] for r in after)
        f = losses[market]
        figures |= {
            f"{market}_liquidity_supplied": last[f"{market}_funded"],
            f"{market}_funded_share_bps": last[f"{market}_funded"] * BPS // last["need"],
            f"{market}_rate_before_bps": before[f"{market}_marginal_bps"],
            f"{market}_peak_rate_bps": peak,
            f"{market}_rate_impact_bps": peak - before[f"{market}_marginal_bps"],
            f"{market}_peak_average_bps": max(r[f"{market}_average_bps"] for r in after),
            f"{market}_cleared": first_clear is not None,
            f"{market}_time_to_clear_blocks": first_clear,
            f"{market}_unfunded": f["unfunded"],
            f"{market}_fire_sale_loss": f["loss"],
            f"{market}_fire_sale_price_bps": f["price_bps"],
            f"{market}_buyer_gain": f["buyer_gain"],
            f"{market}_facility_outstanding": last[f"{market}_facility"],
            f"{market}_hhi_before": hhi_before[market],
            f"{market}_hhi_after": last[f"{market}_hhi"],
        }
    figures["fire_sale_losses"] = {m: losses[m]["losses"] for m in MARKETS}
    figures["ledger_pending_withdrawals"] = last["ledger_pending_withdrawals"]
    figures["ledger_intra_round_peak_bps"] = ol.block_peak[0]
    figures["losses_equal_buyer_gains"] = all(
        losses[m]["loss"] == losses[m]["buyer_gain"] for m in MARKETS
    )
    return figures


market_structure.blocks = 24  # type: ignore[attr-defined]  # progress-bar total (about)
market_structure.genesis = structure_genesis  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- report

LABELS = {"dealer": "dealer market", "ledger": "on-ledger pool + facility"}


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The comparison's key figures in words."""
    f = figures
    usd = lambda cents: f"${cents / 100:,.0f}"  # noqa: E731
    lines = [
        f"{f['dealers']} dealers with {usd(f['balance_sheet_limit'])} balance sheets each; "
        f"after the shock borrowers need {usd(f['need_after_shock'])}."
    ]
    for m in MARKETS:
        clear = (
            f"cleared {f[f'{m}_time_to_clear_blocks']} block(s) after the shock"
            if f[f"{m}_cleared"]
            else "never cleared within the run"
        )
        lines.append(
            f"{LABELS[m]}: supplied {usd(f[f'{m}_liquidity_supplied'])} "
            f"({f[f'{m}_funded_share_bps'] / 100:.1f}% of the need); marginal rate "
            f"{f[f'{m}_rate_before_bps'] / 100:.2f}% before, peak "
            f"{f[f'{m}_peak_rate_bps'] / 100:.2f}% (+{f[f'{m}_rate_impact_bps']} bp); {clear}; "
            f"fire-sale loss {usd(f[f'{m}_fire_sale_loss'])} borne by the borrowers short "
            f"{usd(f[f'{m}_unfunded'])}; facility outstanding "
            f"{usd(f[f'{m}_facility_outstanding'])}; HHI {f[f'{m}_hhi_before']:,.0f} before, "
            f"{f[f'{m}_hhi_after']:,.0f} after."
        )
    lines.append(
        f"Within the shock round the pool's floating rate peaked at "
        f"{f['ledger_intra_round_peak_bps'] / 100:.2f}% for one block (lenders had withdrawn, "
        f"sideline cash had not yet arrived); withdrawals still unpaid at the end: "
        f"{usd(f['ledger_pending_withdrawals'])}. Fire-sale losses equal the buyer's gains: "
        f"{f['losses_equal_buyer_gains']}."
    )
    return lines


def report_charts(run: Any) -> list[tuple[str, Any]]:
    """Liquidity supplied, marginal rates, concentration and losses, per market."""
    import plotly.graph_objects as go

    f = run.figures
    rows = f["rounds"]
    x = [r["round"] for r in rows]
    fig = go.Figure(go.Scatter(x=x, y=[r["need"] / 100 for r in rows], name="need"))
    for m in MARKETS:
        fig.add_trace(go.Scatter(x=x, y=[r[f"{m}_funded"] / 100 for r in rows], name=LABELS[m]))
    fig.update_layout(xaxis_title="round", yaxis_title="USD funded")
    out = [("Liquidity supplied to borrowers", fig)]
    fig = go.Figure()
    for m in MARKETS:
        fig.add_trace(
            go.Scatter(x=x, y=[r[f"{m}_marginal_bps"] for r in rows], name=f"{LABELS[m]}, marginal")
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r[f"{m}_average_bps"] for r in rows],
                name=f"{LABELS[m]}, average",
                line={"dash": "dot"},
            )
        )
    fig.update_layout(xaxis_title="round", yaxis_title="bp a year")
    out.append(("Rates borrowers pay (price impact)", fig))
    names = [LABELS[m] for m in MARKETS]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[f[f"{m}_hhi_before"] for m in MARKETS], name="before the shock"),
            go.Bar(x=names, y=[f[f"{m}_hhi_after"] for m in MARKETS], name="at the end"),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="HHI (0..10,000)")
    out.append(("Concentration of the balance sheets borrowers depend on", fig))
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[f[f"{m}_fire_sale_loss"] / 100 for m in MARKETS],
                name="borrowers' fire-sale loss",
            ),
            go.Bar(
                x=names, y=[f[f"{m}_unfunded"] / 100 for m in MARKETS], name="need left unfunded"
            ),
            go.Bar(
                x=names,
                y=[f[f"{m}_facility_outstanding"] / 100 for m in MARKETS],
                name="standing repo facility outstanding",
            ),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="USD")
    out.append(("Losses and who bears them", fig))
    return out


def sweep_chart(table: Any, param: str) -> Any:
    """Liquidity supplied and peak marginal rate of both markets against ``param`` (the
    dealers' number or balance-sheet limit), averaged over the seeds."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    means = table.groupby(param).mean(numeric_only=True).reset_index()
    fig = make_subplots(rows=1, cols=2, subplot_titles=("liquidity supplied, USD", "peak rate, bp"))
    for m in MARKETS:
        fig.add_trace(
            go.Scatter(x=means[param], y=means[f"{m}_liquidity_supplied"] / 100, name=LABELS[m]),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(x=means[param], y=means[f"{m}_peak_rate_bps"], name=f"{LABELS[m]} (rate)"),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text=param)
    return fig

"""The two markets' agents of the market-structure comparison (seed 000): what each
dealer, lender, sideline holder and borrower decides, as calls on the real contracts, and the
books they keep of what they did. :mod:`glassledger.sim.structure` runs them on one chain
and states the model (module docstring there, docs/scenarios.md).

Amounts are minor units (USD cents; notes in face cents, priced at par), rates basis points a
year. Decisions read the chain at the head (:class:`HeadState`) or the agents' own books; the
contracts are authoritative (a call they refuse stops the run).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool as pool_contract
from glassledger.ledger.codec import decode
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import E8, Call, cusip
from glassledger.sim.scenario import Structure

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


def cover(cash: int) -> int:
    """Note units (face cents, at par) that cover ``cash`` after the 2% haircut, with room."""
    return cash * 103 // 100 + 1


def hhi(amounts: Iterable[int]) -> float:
    """Herfindahl-Hirschman index of the positive ``amounts`` on the 0..10,000 scale."""
    positive = [a for a in amounts if a > 0]
    total = sum(positive)
    return 0.0 if not total else round(sum((a / total) ** 2 for a in positive) * BPS, 1)


class HeadState:
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

    def concentration(self, view: HeadState) -> float:
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
    def market(view: HeadState) -> dict[str, Any]:
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

    def debt_of(self, view: HeadState, m: dict[str, Any], who: str) -> int:
        pos = view.get("pool", f"p/{MARKET}/{who}")
        return 0 if not pos else pool_contract.debt_of(m, pos["scaled_debt"])

    def funded(self, view: HeadState, m: dict[str, Any], who: str) -> int:
        return self.debt_of(view, m, who) + self.srf_outstanding.get(who, 0)

    def lenders_act(self, view: HeadState, first: bool, shock: bool) -> list[Call]:
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

    def borrowers_act(self, view: HeadState, need: int, rnd: int) -> tuple[list[Call], list[int]]:
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

    def concentration(self, view: HeadState) -> float:
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

    def average_rate(self, view: HeadState) -> float:
        m = self.market(view)
        debt = pool_contract.total_debt(m)
        pool_rate = int(m["rate_ray"]) * BPS // lm.RAY
        srf = sum(self.srf_outstanding.values())
        total = debt + srf
        return 0.0 if not total else (debt * pool_rate + srf * self.srf) / total

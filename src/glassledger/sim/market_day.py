"""A market day through the real contracts: the funding market and the derivatives market,
then the stress that shocks their positions.

Used by ``glassledger demo`` on the embedded network (wall clock) and by tests and scenarios
on the simulated-clock harness: every step is a signed transaction of a participant, run
through a :class:`Ledger` adapter, and every step's receipts are checked.

**Funding day** (seeds 000 and 001): the Treasury issues a 2-year note and a 26-week bill to
the dealers and funds its paying agent; the regulator lists them as repo collateral and posts
prices; dealers repo notes to a money fund (DvP); the fund also lends in the pool and places
cash at the reverse-repo facility (the corridor's floor); a dealer borrows from the pool
against bills, near its loan-to-value limit.

**Derivatives day** (seed 003): a client asks three dealers for quotes on a swap (sealed
quotes; the best revealed and accepted), then sells an option, both under a guarantor's
credit line.

**Stress** (:func:`stress`): scripted shocks (a scenario's ``shocks``), round by round: the
oracle moves the Treasuries' prices and the valuation agent the trades' marks; margin calls
are met by everyone not scripted to miss them; a pool position under water is liquidated;
the deadlines pass, and a missed call is a default: the repo lender keeps the collateral and
records a claim; the derivatives master agreement closes out the netting set and calls the
guarantee.

Deadlines are chain parameters and quote terms (``repo_margin_deadline_ms``,
``call_window_ms``): the demo's genesis makes them seconds so the day fits in a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from glassledger.contracts import lending_math as lm
from glassledger.contracts import pool as pool_contract
from glassledger.contracts import treasury_math as tm
from glassledger.contracts.derivatives.contract import netting_set_id
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import Receipt
from glassledger.node.genesis import ParticipantSpec
from glassledger.sim.scenario import Shock

#: ``(signer, contract, method, arguments)``.
Call = tuple[str, str, str, dict[str, Any]]
DAY_MS = 86_400_000
E8 = 10**8
#: the lending pool's market, the derivatives day's trades and its quotes' call window (ms:
#: seconds, so the demo sees a default within its minute)
POOL = "USDPOOL"
TRADES = ("SWAP1", "OPT1")
CALL_WINDOW_MS = 2_000

#: Participants the market day needs beside dealers ``dealer-0..3``, the regulator (oracle,
#: facility operator), a guarantor and clients.
PARTICIPANTS = [
    ParticipantSpec("ust", ["issuer"], legal_name="US Treasury", lei="254900HROIFWPRGM1V77"),
    ParticipantSpec("fund-0", ["client"], legal_name="Money Market Fund 0"),
    ParticipantSpec("pool-op", ["settlement_bank"], legal_name="Lending Pool Operator"),
]


class Ledger(Protocol):
    """What the market day needs from a ledger: run calls in a block (receipts in order),
    let ``ms`` of block time pass, the head's time and the store."""

    def run(self, calls: Sequence[Call]) -> list[Receipt]: ...

    def wait(self, ms: int) -> None: ...

    @property
    def time_ms(self) -> int: ...

    @property
    def store(self) -> BlockStore: ...

    def keys(self, who: str) -> KeyPair: ...


class MarketDayError(RuntimeError):
    """A step of the market day was refused by the ledger."""


def must(ledger: Ledger, calls: Sequence[Call], what: str) -> list[Receipt]:
    receipts = ledger.run(calls)
    bad = [
        f"{c[1]}.{c[2]} by {c[0]}: {r.message}"
        for c, r in zip(calls, receipts, strict=True)
        if not r.ok
    ]
    if bad:
        raise MarketDayError(f"{what}: " + "; ".join(bad))
    return receipts


def cusip(base: str) -> str:
    """A CUSIP with its check digit."""
    return base + str(tm.cusip_check_digit(base))


@dataclass
class FundingDay:
    """What the funding day did (figures in USD cents)."""

    note: str
    bill: str
    repos: dict[str, int] = field(default_factory=dict)
    pool_deposit: int = 0
    pool_borrowed: int = 0
    rrp_placed: int = 0
    #: the oracle prices posted (scale 8) by CUSIP
    prices: dict[str, int] = field(default_factory=dict)
    #: who borrows from the pool, and the dealer who liquidates positions under water
    pool_borrowers: list[str] = field(default_factory=list)
    liquidator: str = ""


def funding_day(ledger: Ledger, cash_issuer: str, dealers: Sequence[str]) -> FundingDay:
    """Run the funding market day (module docstring); ``cash_issuer`` mints USD."""
    today = ledger.time_ms // DAY_MS
    note, bill = cusip("91282CZZ"), cusip("912797ZZ")
    iso = tm.iso_of(today)
    out = FundingDay(note, bill)
    d0, d1, d2, d3 = dealers[:4]
    face = 50_000_000_00
    calls: list[Call] = [
        (
            "ust",
            "treasury",
            "create_issue",
            {
                "cusip": note,
                "kind": "note",
                "issue_date": iso,
                "maturity_date": tm.iso_of(tm.add_months(today, 24)),
                "rate_e8": 4_000_000,
            },
        ),
        (
            "ust",
            "treasury",
            "create_issue",
            {
                "cusip": bill,
                "kind": "bill",
                "issue_date": iso,
                "maturity_date": tm.iso_of(today + 182),
            },
        ),
        (cash_issuer, "token", "mint", {"symbol": "USD", "to": "ust", "amount": 10**11}),
        (cash_issuer, "token", "mint", {"symbol": "USD", "to": "fund-0", "amount": 10**11}),
        (cash_issuer, "token", "mint", {"symbol": "USD", "to": "regulator", "amount": 10**11}),
        (cash_issuer, "token", "mint", {"symbol": "USD", "to": d3, "amount": 10**11}),
    ]
    must(ledger, calls, "issuing Treasuries")
    calls = [
        ("ust", "treasury", "issue", {"cusip": c, "to": who, "face": face})
        for c in (note, bill)
        for who in (d0, d1, d2, "regulator")
    ]
    calls += [
        ("ust", "treasury", "fund", {"cusip": c, "amount": 10_000_000_00}) for c in (note, bill)
    ]
    bill_price = tm.bill_price_e8(4_200_000, 182)
    calls += _prices(ledger, {note: 100 * E8, bill: bill_price})
    calls += [
        ("regulator", "repo", "set_class", {"name": "note", "haircut_bps": 200}),
        ("regulator", "repo", "set_class", {"name": "bill", "haircut_bps": 100}),
        ("regulator", "repo", "set_class", {"name": "cash", "haircut_bps": 0}),
        ("regulator", "repo", "list_collateral", {"symbol": "USD", "class_name": "cash"}),
        ("regulator", "repo", "list_collateral", {"symbol": note, "class_name": "note"}),
        ("regulator", "repo", "list_collateral", {"symbol": bill, "class_name": "bill"}),
        (
            "regulator",
            "pool",
            "open_market",
            {"market": POOL, "cash": "USD", "operator": "pool-op", "params": {}},
        ),
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": POOL,
                "symbol": bill,
                "terms": {
                    "price_key": f"UST-{bill}",
                    "units_per_price": 100,
                    "ltv_bps": 9_000,
                    "threshold_bps": 9_500,
                    "bonus_bps": 10_200,
                    "protocol_fee_bps": 1_000,
                },
            },
        ),
        (
            "regulator",
            "facility",
            "configure",
            {"cash": "USD", "operator": "regulator", "params": {}},
        ),
        (
            "regulator",
            "facility",
            "list_collateral",
            {
                "symbol": bill,
                "terms": {"price_key": f"UST-{bill}", "units_per_price": 100, "haircut_bps": 200},
            },
        ),
    ]
    must(ledger, calls, "setting up the markets")
    calls = [
        ("regulator", "facility", "fund", {"amount": 1_000_000_00}),
        ("regulator", "facility", "supply_collateral", {"symbol": bill, "amount": face}),
        *_rates(ledger, {"USD.ON_RRP": 430, "USD.SRF": 450}),
    ]
    must(ledger, calls, "funding the facility")

    # repos: two overnight, one term, all DvP
    repos = {
        "R1": (d0, 20_000_000_00, 531, 1),
        "R2": (d1, 15_000_000_00, 533, 1),
        "R3": (d2, 5_000_000_00, 545, 7),
    }
    calls = [
        (
            seller,
            "repo",
            "propose",
            {
                "repo_id": rid,
                "side": "seller",
                "counterparty": "fund-0",
                "cash": cash,
                "rate_bps": rate,
                "term_days": term,
                "collateral": {note: cash * 104 // 100},
            },
        )
        for rid, (seller, cash, rate, term) in repos.items()
    ]
    must(ledger, calls, "proposing repos")
    must(
        ledger,
        [("fund-0", "repo", "accept", {"repo_id": rid}) for rid in repos],
        "accepting repos (DvP)",
    )
    out.repos = {rid: cash for rid, (_, cash, _, _) in repos.items()}

    # pool and facility
    out.pool_deposit, out.rrp_placed = 30_000_000_00, 5_000_000_00
    must(
        ledger,
        [
            ("fund-0", "pool", "deposit", {"market": POOL, "amount": out.pool_deposit}),
            ("fund-0", "facility", "rrp_invest", {"amount": out.rrp_placed, "collateral": bill}),
            (
                d2,
                "pool",
                "post_collateral",
                {"market": POOL, "symbol": bill, "amount": 20_000_000_00},
            ),
        ],
        "lending in the pool and at the facility",
    )
    value = 20_000_000_00 * bill_price // (100 * E8)
    out.pool_borrowed = value * 8_900 // 10_000  # just under the 90% LTV
    must(
        ledger,
        [(d2, "pool", "borrow", {"market": POOL, "amount": out.pool_borrowed})],
        "borrowing from the pool",
    )

    out.prices = {note: 100 * E8, bill: bill_price}
    out.pool_borrowers = [d2]
    out.liquidator = d3
    return out


@dataclass
class DerivativesDay:
    """What the derivatives day did (USD cents)."""

    quotes: dict[str, int] = field(default_factory=dict)
    winner: str = ""
    trades: list[str] = field(default_factory=list)
    netting_sets: list[str] = field(default_factory=list)
    call_window_ms: int = 0


def derivatives_day(
    ledger: Ledger,
    cash_issuer: str,
    dealers: Sequence[str],
    client: str,
    guarantor: str,
    call_window_ms: int = CALL_WINDOW_MS,
) -> DerivativesDay:
    """Run the derivatives day (module docstring); ``cash_issuer`` mints USD; the quotes'
    margin calls give ``call_window_ms`` to pay."""
    from glassledger.node import rfq_client

    out = DerivativesDay(call_window_ms=call_window_ms)
    now = ledger.time_ms
    calls: list[Call] = [
        (
            "regulator",
            "oracle",
            "post",
            {"kind": "rate", "key": "SOFR", "value": 4_300_000, "scale": 8, "observed_ms": now},
        )
    ]
    calls += [
        (
            "regulator",
            "oracle",
            "post",
            {
                "kind": "price",
                "key": "SPX",
                "value": 600_000_000_000,
                "scale": 8,
                "observed_ms": now,
            },
        )
    ]
    calls += [
        (cash_issuer, "token", "mint", {"symbol": "USD", "to": who, "amount": 10**10})
        for who in (*dealers[:3], guarantor, client)
    ]
    must(ledger, calls, "oracle data and cash")
    calls = []
    for dealer in dealers[:3]:
        calls.append(
            (dealer, "rfq", "set_credit_limit", {"counterparty": client, "limit": 100_000_00})
        )
        calls.append(
            (
                dealer,
                "derivative",
                "post_collateral",
                {"counterparty": client, "amount": 300_000_00},
            )
        )
    calls.append(
        (
            guarantor,
            "guarantee",
            "grant",
            {
                "line_id": "GL1",
                "client": client,
                "limit": 500_000_00,
                "fee_bps": 50,
                "products": ["irs", "european_option"],
                "expiry_ms": now + 400 * DAY_MS,
            },
        )
    )
    must(ledger, calls, "credit limits, dealer margin and a guarantee line")

    def rfq(
        rfq_id: str,
        template: str,
        params: dict,
        notional: int,
        side: str,
        prices: dict[str, int],
        pick: Callable[[dict[str, int]], str],
    ) -> str:
        expiry = ledger.time_ms + 60_000
        must(
            ledger,
            [
                (
                    client,
                    "rfq",
                    "request",
                    {
                        "rfq_id": rfq_id,
                        "template_name": template,
                        "params": params,
                        "notional": notional,
                        "side": side,
                        "expiry_ms": expiry,
                        "dealers": sorted(prices),
                        "guarantee_line": "GL1",
                    },
                )
            ],
            f"request {rfq_id}",
        )
        regulator = ledger.keys("regulator").public
        quotes = {
            d: rfq_client.make_quote(
                ledger.keys(d),
                rfq_id,
                d,
                {client: ledger.keys(client).public, "regulator": regulator},
                p,
                expiry + 60_000,
                0,
                0,
                call_window_ms,
            )
            for d, p in prices.items()
        }
        must(
            ledger,
            [(d, "rfq", "quote", q.args) for d, q in quotes.items()],
            f"sealed quotes for {rfq_id}",
        )
        winner = pick(prices)
        args = rfq_client.accept_args(quotes[winner].envelope, client, ledger.keys(client))
        must(ledger, [(client, "rfq", "accept", args)], f"accepting {rfq_id}")
        return winner

    # a payer swap: the client takes the lowest fixed rate of three sealed quotes
    swap_quotes = {dealers[0]: 4_150_000, dealers[1]: 4_120_000, dealers[2]: 4_180_000}
    winner = rfq(
        TRADES[0],
        "irs",
        {"periods": 8},
        10_000_000_00,
        "pay_fixed",
        swap_quotes,
        lambda p: min(p, key=p.get),
    )
    out.quotes, out.winner = dict(swap_quotes), winner
    # the client sells an index call to the same dealer (premium received)
    rfq(
        TRADES[1],
        "european_option",
        {
            "underlying": "price:SPX",
            "strike_e8": 620_000_000_000,
            "expiry_ms": ledger.time_ms + 90 * DAY_MS,
        },
        100,
        "sell",
        {winner: 60_000_00},
        lambda p: winner,
    )
    out.trades = list(TRADES)
    out.netting_sets = [netting_set_id(winner, client)]
    return out


@dataclass
class StressRound:
    """What one round (a ``step`` of the shocks) of the stress did (USD cents)."""

    step: int
    height: int
    prices: dict[str, int] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)
    repo_calls: list[str] = field(default_factory=list)
    repo_calls_met: list[str] = field(default_factory=list)
    vm_calls: list[str] = field(default_factory=list)
    vm_calls_met: list[str] = field(default_factory=list)
    liquidated: list[str] = field(default_factory=list)


@dataclass
class Stress:
    """What the stress did: its rounds, the repo defaults (claims recorded by the
    lenders) and the derivatives close-outs (``early_termination`` event data)."""

    start_height: int
    rounds: list[StressRound] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)
    claims: dict[str, int] = field(default_factory=dict)
    close_outs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def margin_calls(self) -> int:
        """Repo margin calls issued over the stress."""
        return sum(len(r.repo_calls) for r in self.rounds)

    @property
    def liquidations(self) -> int:
        return sum(len(r.liquidated) for r in self.rounds)


def check_shocks(shocks: Sequence[Shock], where: str = "shocks") -> None:
    """Refuse (:class:`~glassledger.errors.InputError`) shocks the stress cannot play:
    ``price`` moves ``note`` or ``bill`` (the day's Treasuries), ``mark`` re-marks a trade of
    the derivatives day (``SWAP1``, ``OPT1``), ``miss_call`` names who stops paying."""
    from glassledger.errors import InputError

    for i, shock in enumerate(shocks):
        at = f"{where}[{i}]"
        if shock.kind not in ("price", "mark", "miss_call"):
            raise InputError(
                f"{at}: a {shock.kind} shock is not played by the dealer-default stress "
                "(price, mark, miss_call are)"
            )
        if shock.kind == "price" and shock.target not in ("note", "bill"):
            raise InputError(f"{at}: a price shock moves 'note' or 'bill', not {shock.target!r}")
        if shock.kind == "mark" and shock.target not in TRADES:
            raise InputError(
                f"{at}: a mark shock re-marks {' or '.join(TRADES)}, not {shock.target!r}"
            )


def stress(
    ledger: Ledger,
    shocks: Sequence[Shock],
    funding: FundingDay,
    derivatives: DerivativesDay,
    before_deadline: Callable[[], None] | None = None,
    on_round: Callable[[int, int], None] | None = None,
) -> Stress:
    """Play ``shocks`` on the positions of a market day, one round per ``step`` (0 to the
    last step listed). Each round: the oracle posts the round's ``price`` shocks (bps off
    the last price of ``note`` / ``bill``) and the valuation agent its ``mark`` shocks; repo
    margin calls and variation-margin calls are met in cash by every party except those a
    ``miss_call`` shock names from its step on; a pool position under a health factor of 1
    is liquidated by the funding day's liquidator; then ``before_deadline`` runs (the
    regulator's monitor) and the clock passes the margin deadlines, turning missed calls
    into defaults (repo: the lender keeps the collateral and records a claim; derivatives:
    netted close-out, the guarantee called). ``on_round(done, total)`` after each round
    (a progress bar)."""
    check_shocks(shocks)
    out = Stress(ledger.store.head_height())
    prices = dict(funding.prices)
    names = {"note": funding.note, "bill": funding.bill}
    repo_deadline = ledger_param(ledger, "repo_margin_deadline_ms", 4 * 3_600_000)
    rounds = max((s.step for s in shocks), default=-1) + 1
    for step in range(rounds):
        now = [s for s in shocks if s.step == step]
        missing = {s.target for s in shocks if s.kind == "miss_call" and s.step <= step}
        done = StressRound(step, ledger.store.head_height())
        for s in now:
            if s.kind == "price":
                cusip_ = names[s.target]
                prices[cusip_] = prices[cusip_] * (10_000 + s.bps) // 10_000
                done.prices[s.target] = prices[cusip_]
            elif s.kind == "mark":
                done.marks[s.target] = s.amount
        posts = _prices(ledger, {names[t]: prices[names[t]] for t in done.prices})
        if done.marks:
            posts.append(_marks(ledger, done.marks))
        if posts:
            must(ledger, posts, f"round {step}: oracle prices and marks")
        done.repo_calls, done.repo_calls_met, meet = repo_margin(ledger, funding.repos, missing)
        for ns_id in derivatives.netting_sets:
            ns = ledger_get(ledger, "derivative", f"ns/{ns_id}")
            for party, call in sorted((ns or {}).get("calls", {}).items()):
                done.vm_calls.append(f"{ns_id}:{party}")
                if party not in missing:
                    done.vm_calls_met.append(f"{ns_id}:{party}")
                    other = ns["party_b"] if party == ns["party_a"] else ns["party_a"]
                    meet += [
                        (
                            party,
                            "derivative",
                            "post_collateral",
                            {
                                "counterparty": other,
                                "amount": amount,
                                "symbol": symbol,
                            },
                        )
                        for symbol, amount in sorted(call["short"].items())
                    ]
        if meet:
            must(ledger, meet, f"round {step}: meeting margin calls")
        liquidate: list[Call] = []
        for who in funding.pool_borrowers:
            acct = pool_account(ledger, POOL, who, prices)
            if acct and acct.debt and acct.health_factor < lm.WAD:
                position = ledger_get(ledger, "pool", f"p/{POOL}/{who}")
                liquidate.append(
                    (
                        funding.liquidator,
                        "pool",
                        "liquidate",
                        {
                            "market": POOL,
                            "borrower": who,
                            "collateral": max(
                                position["collateral"], key=position["collateral"].get
                            ),
                            "debt_to_cover": pool_debt(ledger, POOL, who),
                        },
                    )
                )
                done.liquidated.append(who)
        if liquidate:
            must(ledger, liquidate, f"round {step}: liquidating pool positions")
        # let the deadlines pass (once, and until every missed call has defaulted: a loaded
        # machine may lag the wall clock of the embedded network)
        for _ in range(20):
            if before_deadline is not None:
                before_deadline()
            ledger.wait(max(repo_deadline, derivatives.call_window_ms) + 1)
            ledger.run([])
            if not _calls_open(ledger, funding, derivatives, missing):
                break
        out.rounds.append(done)
        if on_round is not None:
            on_round(step + 1, rounds)
    for record in ledger.store.events(out.start_height + 1, contract="repo", name="default"):
        rid = record.event.data["repo_id"]
        out.defaults.append(rid)
        claim = ledger_get(ledger, "repo", f"claim/{rid}")
        if claim:
            out.claims[rid] = claim["amount"]
    out.close_outs = [
        dict(e.data)
        for e in _events_since(ledger, "derivative", "early_termination", out.start_height)
    ]
    return out


def repo_margin(
    ledger: Ledger, repo_ids: Sequence[str], missing: set[str]
) -> tuple[list[str], list[str], list[Call]]:
    """The repos of ``repo_ids`` with a margin call issued, those whose seller meets it (every
    seller not in ``missing``), and the sellers' ``post_margin`` calls (cash, the deficit)."""
    called: list[str] = []
    met: list[str] = []
    calls: list[Call] = []
    for rid in repo_ids:
        r = ledger_get(ledger, "repo", f"r/{rid}")
        call = r and r.get("call")
        if not call or call.get("state") != "issued":
            continue
        called.append(rid)
        if r["seller"] not in missing:
            met.append(rid)
            args = {"repo_id": rid, "symbol": "USD", "amount": call["deficit"]}
            calls.append((r["seller"], "repo", "post_margin", args))
    return called, met, calls


def _calls_open(
    ledger: Ledger, funding: FundingDay, derivatives: DerivativesDay, missing: set[str]
) -> bool:
    """Whether a missed call (of a party in ``missing``) is still waiting for its deadline."""
    for rid in funding.repos:
        r = ledger_get(ledger, "repo", f"r/{rid}")
        if r and r["state"] == "called" and r["seller"] in missing:
            return True
    for ns_id in derivatives.netting_sets:
        ns = ledger_get(ledger, "derivative", f"ns/{ns_id}")
        if ns and set(ns.get("calls", {})) & missing:
            return True
    return False


# ---------------------------------------------------------------------- helpers


def _prices(ledger: Ledger, prices: dict[str, int]) -> list[Call]:
    return [
        (
            "regulator",
            "oracle",
            "post",
            {
                "kind": "price",
                "key": f"UST-{c}",
                "value": p,
                "scale": 8,
                "observed_ms": ledger.time_ms,
            },
        )
        for c, p in prices.items()
    ]


def _marks(ledger: Ledger, marks: dict[str, int]) -> Call:
    """The valuation agent (the regulator's oracle) posts ``marks`` (trade: minor units)."""
    return (
        "regulator",
        "oracle",
        "post_batch",
        {
            "kind": "mark",
            "points": [[trade, value] for trade, value in sorted(marks.items())],
            "scale": 0,
            "observed_ms": ledger.time_ms,
        },
    )


def _rates(ledger: Ledger, rates: dict[str, int]) -> list[Call]:
    return [
        (
            "regulator",
            "oracle",
            "post",
            {"kind": "rate", "key": k, "value": v, "scale": 4, "observed_ms": ledger.time_ms},
        )
        for k, v in rates.items()
    ]


def ledger_get(ledger: Ledger, contract: str, key: str) -> Any:
    from glassledger.ledger.codec import decode

    state = ledger.store.state_at(ledger.store.head_height())
    raw = state.get(f"{contract}/{key}".encode())
    return None if raw is None else decode(raw, Any)


def pool_market(ledger: Ledger, market: str) -> dict[str, Any] | None:
    """Pool market ``market`` at the head (configuration and state)."""
    return pool_contract.read_market(lambda key: ledger_get(ledger, "pool", key), market)


def pool_debt(ledger: Ledger, market: str, who: str) -> int:
    """Cash (minor units) ``who`` owes pool ``market`` at the head."""
    m = pool_market(ledger, market)
    pos = ledger_get(ledger, "pool", f"p/{market}/{who}")
    return 0 if not pos or m is None else pool_contract.debt_of(m, pos["scaled_debt"])


def pool_account(
    ledger: Ledger, market: str, who: str, prices: dict[str, int]
) -> lm.Account | None:
    """The pool position of ``who`` at oracle ``prices`` (scale 8, by collateral symbol):
    what the contract evaluates; ``None`` without a position."""
    m = pool_market(ledger, market)
    pos = ledger_get(ledger, "pool", f"p/{market}/{who}")
    if not pos or m is None:
        return None
    held = [symbol for symbol, amount in pos["collateral"].items() if amount > 0]
    terms = {symbol: ledger_get(ledger, "pool", f"c/{market}/{symbol}") for symbol in held}
    return lm.account(pool_contract.position_snapshot(m, pos, terms, prices))


def ledger_param(ledger: Ledger, name: str, default: int) -> int:
    from glassledger.ledger.execution import load_params

    params = load_params(ledger.store.state_at(ledger.store.head_height()))
    return params.get(name, default)


def _events_since(ledger: Ledger, contract: str, name: str, height: int) -> list:
    """Events ``contract.name`` of the blocks after ``height``."""
    return [r.event for r in ledger.store.events(height + 1, contract=contract, name=name)]


class ClockedLedger:
    """:class:`Ledger` over the simulated-clock harness (tests, simulations)."""

    def __init__(self, chain: Any, step_ms: int = 1_000) -> None:
        self.chain = chain
        self.step_ms = step_ms

    def run(self, calls: Sequence[Call]) -> list[Receipt]:
        return self.chain.commit(list(calls), step_ms=self.step_ms)

    def wait(self, ms: int) -> None:
        self.chain.advance(ms)

    @property
    def time_ms(self) -> int:
        return self.chain.time_ms

    @property
    def store(self) -> BlockStore:
        return self.chain.store

    def keys(self, who: str) -> KeyPair:
        return self.chain.keys(who)

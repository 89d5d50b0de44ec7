"""A market day through the real contracts: the funding market and the derivatives market.

Used by ``glassledger demo`` on the embedded network (wall clock) and by tests on the
simulated-clock harness: every step is a signed transaction of a participant, run through a
:class:`Ledger` adapter, and every step's receipts are checked.

**Funding day** (seeds 000 and 001): the Treasury issues a 2-year note and a 26-week bill to
the dealers and funds its paying agent; the regulator lists them as repo collateral and posts
prices; dealers repo notes overnight to a money fund (DvP); the fund also lends in the pool
and places cash at the reverse-repo facility (the corridor's floor); a dealer borrows from the
pool against bills; then the oracle drops the Treasuries' prices: repo margin calls, one met
and one missed (a default: the fund keeps the collateral and records a claim), and the pool
position falls below a health factor of 1 and is liquidated by another dealer.

**Derivatives day** (seed 003): a client asks three dealers for quotes on a swap (sealed
quotes; the best revealed and accepted), then sells an option, both under a guarantor's
credit line; the valuation agent's marks move against the client; the variation-margin call
is missed; the client defaults and the master agreement closes out both trades netted, the
guarantee is called.

Deadlines are chain parameters and quote terms (``repo_margin_deadline_ms``,
``call_window_ms``): the demo's genesis makes them seconds so the day fits in a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from glassledger.contracts import treasury_math as tm
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import Receipt
from glassledger.node.genesis import ParticipantSpec

#: ``(signer, contract, method, arguments)``.
Call = tuple[str, str, str, dict[str, Any]]
DAY_MS = 86_400_000
E8 = 10**8

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
    margin_calls: int = 0
    defaults: list[str] = field(default_factory=list)
    claims: dict[str, int] = field(default_factory=dict)
    liquidations: int = 0
    pool_deposit: int = 0
    pool_borrowed: int = 0
    rrp_placed: int = 0


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
            {"market": "USDPOOL", "cash": "USD", "operator": "pool-op", "params": {}},
        ),
        (
            "regulator",
            "pool",
            "list_collateral",
            {
                "market": "USDPOOL",
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
            ("fund-0", "pool", "deposit", {"market": "USDPOOL", "amount": out.pool_deposit}),
            ("fund-0", "facility", "rrp_invest", {"amount": out.rrp_placed, "collateral": bill}),
            (
                d2,
                "pool",
                "post_collateral",
                {"market": "USDPOOL", "symbol": bill, "amount": 20_000_000_00},
            ),
        ],
        "lending in the pool and at the facility",
    )
    value = 20_000_000_00 * bill_price // (100 * E8)
    out.pool_borrowed = value * 8_900 // 10_000  # just under the 90% LTV
    must(
        ledger,
        [(d2, "pool", "borrow", {"market": "USDPOOL", "amount": out.pool_borrowed})],
        "borrowing from the pool",
    )

    # the shock: Treasuries fall; repos call margin, the pool position goes under
    must(
        ledger, _prices(ledger, {note: 96 * E8, bill: bill_price * 93 // 100}), "oracle price drop"
    )
    calls_now = {
        rid: r["call"]
        for rid in repos
        if (r := ledger_get(ledger, "repo", f"r/{rid}"))
        and r.get("call")
        and r["call"].get("state") == "issued"
    }
    out.margin_calls = len(calls_now)
    # every seller but dealer-1 meets its call in cash; dealer-1 lets R2's lapse
    met = [
        (
            repos[rid][0],
            "repo",
            "post_margin",
            {"repo_id": rid, "symbol": "USD", "amount": c},
        )
        for rid, c in sorted((rid, call["deficit"]) for rid, call in calls_now.items())
        if rid != "R2"
    ]
    if met:
        must(ledger, met, "meeting margin calls")
    # dealer-3 liquidates the pool position (HF < 1 after the bill's fall)
    must(
        ledger,
        [
            (
                d3,
                "pool",
                "liquidate",
                {
                    "market": "USDPOOL",
                    "borrower": d2,
                    "collateral": bill,
                    "debt_to_cover": out.pool_borrowed,
                },
            )
        ],
        "liquidating the pool position",
    )
    out.liquidations = 1
    # dealer-1 lets its call lapse: the deadline passes, the repo defaults
    deadline = ledger_param(ledger, "repo_margin_deadline_ms", 4 * 3_600_000)
    for _ in range(20):  # the deadline passes within the first wait; a loaded machine may lag
        ledger.wait(deadline + 1)
        ledger.run([])
        r2 = ledger_get(ledger, "repo", "r/R2")
        if r2 is None or r2["state"] != "called":
            break
    for rid in repos:
        record = ledger_get(ledger, "repo", f"r/{rid}")
        if record and record["state"] == "defaulted":
            out.defaults.append(rid)
            claim = ledger_get(ledger, "repo", f"claim/{rid}")
            if claim:
                out.claims[rid] = claim["amount"]
    return out


@dataclass
class DerivativesDay:
    """What the derivatives day did (USD cents)."""

    quotes: dict[str, int] = field(default_factory=dict)
    winner: str = ""
    trades: list[str] = field(default_factory=list)
    close_out: dict[str, Any] = field(default_factory=dict)


def derivatives_day(
    ledger: Ledger, cash_issuer: str, dealers: Sequence[str], client: str, guarantor: str
) -> DerivativesDay:
    """Run the derivatives day (module docstring); ``cash_issuer`` mints USD."""
    from glassledger.node import rfq_client

    out = DerivativesDay()
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
    window = 2_000  # the call window of the quotes: seconds, so the demo sees a default

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
                window,
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
        "SWAP1",
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
        "OPT1",
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
    out.trades = ["SWAP1", "OPT1"]
    # the valuation agent's marks move against the client: a VM call it does not meet
    marked_at = ledger.store.head_height()
    must(
        ledger,
        [
            (
                "regulator",
                "oracle",
                "post_batch",
                {
                    "kind": "mark",
                    "points": [["SWAP1", 250_000_00], ["OPT1", 900_000_00]],
                    "scale": 0,
                    "observed_ms": ledger.time_ms,
                },
            )
        ],
        "posting marks",
    )
    for _ in range(20):  # the deadline passes within the first wait; a loaded machine may lag
        ledger.wait(window + 1)
        ledger.run([])
        for event in _events_since(ledger, "derivative", "early_termination", marked_at):
            out.close_out = dict(event.data)
        if out.close_out:
            break
    return out


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

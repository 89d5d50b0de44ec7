"""An OTC desk on the devnet: dealers with cash, a guarantor, a CCP, a retail client, and
helpers that run the RFQ exactly as participants do (seal, commit, sign, open, reveal).

Shared by the derivative tests and the benchmarks.
"""

from __future__ import annotations

from typing import Any

from glassledger.contracts.derivatives.terms import DAY_MS
from glassledger.ledger.crypto import KeyPair, sha256
from glassledger.node import rfq_client
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import BalanceSpec, ParticipantSpec
from glassledger.node.rfq_client import SealedQuote

CASH = 1_000_000_00  # $1,000,000.00 in cents
DEALERS = ("dealer-0", "dealer-1", "dealer-2")
EXTRA = [
    ParticipantSpec("guarantor-g", ["guarantor"], legal_name="Guarantor G"),
    ParticipantSpec("ccp-c", ["ccp"], legal_name="CCP C"),
    ParticipantSpec("retail-r", ["client"], legal_name="Retail R", category="retail"),
    ParticipantSpec("qualified-q", ["client"], legal_name="Qualified Q", category="qualified"),
]


def otc_chain(
    clients: int = 4, path=None, cash: int = CASH, leis: dict[str, str] | None = None
) -> ClockedChain:
    """The devnet with the extra participants above; every dealer, the guarantor, the CCP
    and the retail/qualified clients hold ``cash`` USD; clients hold the devnet's $1m.
    ``leis``: legal entity identifiers to register for some participants."""
    genesis = devnet_genesis(clients=clients, extra=EXTRA)
    for spec in genesis.participants:
        spec.lei = (leis or {}).get(spec.id, spec.lei)
    for who in (
        *[f"dealer-{i}" for i in range(4)],
        "guarantor-g",
        "ccp-c",
        "retail-r",
        "qualified-q",
    ):
        genesis.balances.append(BalanceSpec("USD", who, cash))
    return ClockedChain.start(genesis, path=path, draw_seed=None)


def public(who: str) -> bytes:
    return KeyPair.from_name(who).public


def make_quote(
    rfq_id: str,
    dealer: str,
    client: str,
    price: int,
    valid_until_ms: int,
    threshold: int = 0,
    mta: int = 0,
    call_window_ms: int = DAY_MS,
) -> SealedQuote:
    """A dealer's firm quote, sealed to the client and the regulator, committed and signed
    (a fixed salt per quote keeps test runs reproducible)."""
    return rfq_client.make_quote(
        KeyPair.from_name(dealer),
        rfq_id,
        dealer,
        {client: public(client), "regulator": public("regulator")},
        price,
        valid_until_ms,
        threshold,
        mta,
        call_window_ms,
        salt=sha256(f"salt/{rfq_id}/{dealer}".encode())[:16],
    )


def open_quote(envelope: dict[str, Any], client: str) -> tuple[dict[str, Any], bytes]:
    """The client opens a sealed quote with its own key: ``(terms, salt)``."""
    return rfq_client.open_quote(envelope, client, KeyPair.from_name(client))


def trade(
    chain: ClockedChain,
    rfq_id: str,
    template: str,
    params: dict[str, Any],
    notional: int,
    side: str,
    client: str,
    prices: dict[str, int],
    winner: str | None = None,
    threshold: int = 0,
    mta: int = 0,
    call_window_ms: int = DAY_MS,
    guarantee_line: str = "",
) -> dict[str, SealedQuote]:
    """Request, quote by every dealer in ``prices``, accept ``winner`` (default: the first):
    three blocks, each asserted accepted. Returns the sealed quotes."""
    expiry = chain.time_ms + 60_000
    chain.ok(
        client,
        "rfq",
        "request",
        rfq_id=rfq_id,
        template_name=template,
        params=params,
        notional=notional,
        side=side,
        expiry_ms=expiry,
        dealers=sorted(prices),
        guarantee_line=guarantee_line,
    )
    quotes = {
        d: make_quote(rfq_id, d, client, p, expiry + 60_000, threshold, mta, call_window_ms)
        for d, p in prices.items()
    }
    receipts = chain.commit([chain.tx(d, "rfq", "quote", **q.args) for d, q in quotes.items()])
    assert all(r.ok for r in receipts), [r.message for r in receipts]
    winner = winner or next(iter(prices))
    terms, salt = open_quote(quotes[winner].envelope, client)
    chain.ok(client, "rfq", "accept", rfq_id=rfq_id, dealer=winner, terms=terms, salt=salt)
    return quotes


def post_marks(chain: ClockedChain, marks: dict[str, int]):
    """The valuation agent posts marks (minor units, party A's side) in one batch."""
    return chain.ok(
        "regulator",
        "oracle",
        "post_batch",
        kind="mark",
        points=[[k, v] for k, v in marks.items()],
        scale=0,
        observed_ms=chain.time_ms,
    )


def post(chain: ClockedChain, kind: str, key: str, value_e8: int):
    return chain.ok(
        "regulator",
        "oracle",
        "post",
        kind=kind,
        key=key,
        value=value_e8,
        scale=8,
        observed_ms=chain.time_ms,
    )


def otc_desk(path=None, leis: dict[str, str] | None = None) -> ClockedChain:
    """:func:`otc_chain` ready to trade: SOFR at 5% on the oracle, each of dealers 0-2 grants
    client-0, client-1 and qualified-q a $1m credit limit and posts $200,000 to its margin
    account with each."""
    chain = otc_chain(path=path, leis=leis)
    post(chain, "rate", "SOFR", 5_000_000)
    for dealer in DEALERS:
        for client in ("client-0", "client-1", "qualified-q"):
            chain.commit(
                [
                    chain.tx(
                        dealer, "rfq", "set_credit_limit", counterparty=client, limit=1_000_000_00
                    ),
                    chain.tx(
                        dealer,
                        "derivative",
                        "post_collateral",
                        counterparty=client,
                        amount=200_000_00,
                    ),
                ]
            )
    return chain


LEIS = {
    "dealer-0": "5493001KJTIIGC8Y1R12",
    "dealer-1": "529900T8BM49AURSDO55",
    "client-0": "213800D1EI4B9WTWWD28",
}


def lifecycle(c) -> None:
    """Every template through its lifecycle, termination, novation to a CCP, valuation,
    variation margin, a credit event, a margin call missed into default and close-out."""
    expiry = c.time_ms + 10 * DAY_MS
    trade(
        c,
        "S",
        "irs",
        {"period_days": 10, "periods": 1},
        1_000_000_00,
        "pay_fixed",
        "client-0",
        {"dealer-0": 4_100_000},
    )
    trade(
        c,
        "F",
        "fx_forward",
        {"pair": "EUR/USD", "value_date_ms": expiry},
        100_000_00,
        "buy",
        "client-0",
        {"dealer-0": 108_500_000},
    )
    option = {"underlying": "price:SPX", "strike_e8": 500_000_000_000, "expiry_ms": expiry}
    trade(c, "O1", "european_option", option, 10, "buy", "client-0", {"dealer-0": 1_000_00})
    trade(
        c,
        "O2",
        "european_option",
        option | {"option_type": "put"},
        10,
        "buy",
        "client-0",
        {"dealer-0": 500_00},
    )
    trade(
        c,
        "C",
        "cds",
        {"reference": "ACME", "maturity_ms": c.time_ms + 360 * DAY_MS},
        1_000_000_00,
        "buy",
        "client-1",
        {"dealer-1": 100},
    )
    trade(c, "T", "irs", {}, 1_000_000_00, "pay_fixed", "qualified-q", {"dealer-2": 4_000_000})
    trade(c, "N", "irs", {}, 1_000_000_00, "pay_fixed", "qualified-q", {"dealer-2": 4_000_000})
    c.ok("dealer-2", "derivative", "propose", trade_id="T", action="termination", payment=100_00)
    c.ok("qualified-q", "derivative", "consent", trade_id="T")
    c.ok("ccp-c", "derivative", "post_collateral", counterparty="qualified-q", amount=50_000_00)
    c.ok(
        "dealer-2",
        "derivative",
        "propose",
        trade_id="N",
        action="novation",
        step_out="dealer-2",
        step_in="ccp-c",
    )
    c.ok("ccp-c", "derivative", "consent", trade_id="N")
    c.ok("qualified-q", "derivative", "consent", trade_id="N")
    post_marks(c, {"S": -5_000_00, "O1": -2_000_00, "F": 1_000_00, "N.n": 10_000_00})
    # qualified-q owes the CCP 10,000 of VM: called, then met by a top-up
    c.ok("qualified-q", "derivative", "post_collateral", counterparty="ccp-c", amount=10_000_00)
    c.ok("regulator", "derivative", "credit_event", reference="ACME", final_price_bps=9_000)
    c.commit_at(expiry - 5_000)
    post(c, "price", "SPX", 520_000_000_000)
    post(c, "fx", "EUR/USD", 110_000_000)
    post(c, "rate", "SOFR", 5_000_000)
    c.commit_at(expiry + 1)
    trade(c, "D", "irs", {}, 10_000_000_00, "pay_fixed", "client-1", {"dealer-0": 4_000_000})
    post_marks(c, {"D": 500_000_00})  # client-1 owes 500,000 of VM: a margin call
    c.advance(2 * DAY_MS)  # missed: failure to pay, default, close-out

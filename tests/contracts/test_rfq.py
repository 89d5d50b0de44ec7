"""Request for quote: sealed quotes stay sealed, bad input is refused without a trace."""

from __future__ import annotations

import pytest

from glassledger.contracts.derivatives.terms import encode_quote
from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import seal
from support import leak
from support.otc import make_quote, open_quote, otc_chain, public, trade

SWAP = {"periods": 4}
NOTIONAL = 10_000_000_00


def price_forms(price: int) -> list[bytes]:
    """How an integer price could appear in readable bytes: its canonical (msgpack)
    encoding, its decimal digits, 8-byte big- and little-endian."""
    return [
        codec.encode(price),
        str(price).encode(),
        price.to_bytes(8, "big"),
        price.to_bytes(8, "little"),
    ]


@pytest.fixture
def c():
    chain = otc_chain()
    chain.ok(
        "regulator",
        "oracle",
        "post",
        kind="rate",
        key="SOFR",
        value=5_000_000,
        scale=8,
        observed_ms=chain.time_ms,
    )
    for dealer in ("dealer-0", "dealer-1", "dealer-2"):
        chain.commit(
            [
                chain.tx(
                    dealer, "rfq", "set_credit_limit", counterparty="client-0", limit=1_000_000_00
                ),
                chain.tx(
                    dealer,
                    "derivative",
                    "post_collateral",
                    counterparty="client-0",
                    amount=200_000_00,
                ),
            ]
        )
    return chain


def snapshot(chain) -> dict[bytes, bytes]:
    """Contract state (without the kernel's per-block bookkeeping under ``sys/``)."""
    return {k: v for k, v in chain.chain.state.data.items() if not k.startswith(b"sys/")}


def rejected(chain, who, contract, method, **args) -> str:
    """Submit a call expected to fail; assert it changed no contract state; its message."""
    before = snapshot(chain)
    receipt = chain.call(who, contract, method, **args)
    assert not receipt.ok, f"{contract}.{method} was accepted"
    assert receipt.events == ()
    assert snapshot(chain) == before
    return receipt.message


def request(chain, rfq_id, client="client-0", dealers=("dealer-0", "dealer-1"), **extra):
    args = {
        "rfq_id": rfq_id,
        "template_name": "irs",
        "params": SWAP,
        "notional": NOTIONAL,
        "side": "pay_fixed",
        "expiry_ms": chain.time_ms + 60_000,
        "dealers": list(dealers),
    }
    chain.ok(client, "rfq", "request", **(args | extra))
    return args["expiry_ms"]


def test_unsuitable_request_is_refused(c):
    message = rejected(
        c,
        "retail-r",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="cds",
        params={"reference": "ACME", "maturity_ms": c.time_ms + 10**10},
        notional=NOTIONAL,
        side="buy",
        expiry_ms=c.time_ms + 60_000,
    )
    assert "unsuitable: retail-r is a retail investor (level 1); cds has complexity 3" in message
    assert "unsuitable" in rejected(
        c,
        "qualified-q",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="cds",
        params={"reference": "ACME", "maturity_ms": c.time_ms + 10**10},
        notional=NOTIONAL,
        side="buy",
        expiry_ms=c.time_ms + 60_000,
    )
    # a qualified investor may ask for a swap, a retail one for an FX forward
    request(c, "R2", client="qualified-q")
    c.ok(
        "retail-r",
        "rfq",
        "request",
        rfq_id="R3",
        template_name="fx_forward",
        params={"pair": "EUR/USD", "value_date_ms": c.time_ms + 10**9},
        notional=1_000_00,
        side="buy",
        expiry_ms=c.time_ms + 60_000,
    )


def test_bad_parameters_are_named(c):
    message = rejected(
        c,
        "client-0",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="irs",
        params={"periods": "four"},
        notional=NOTIONAL,
        side="pay_fixed",
        expiry_ms=c.time_ms + 60_000,
    )
    assert message == "irs: parameter 'periods' must be int, got 'four'"
    assert "side must be one of" in rejected(
        c,
        "client-0",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="irs",
        params={},
        notional=NOTIONAL,
        side="long",
        expiry_ms=c.time_ms + 60_000,
    )
    assert "fixed_rate_e8 is for dealers to quote" in rejected(
        c,
        "client-0",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="irs",
        params={"fixed_rate_e8": 1},
        notional=NOTIONAL,
        side="pay_fixed",
        expiry_ms=c.time_ms + 60_000,
    )
    assert "no derivative template 'swaption'" in rejected(
        c,
        "client-0",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="swaption",
        params={},
        notional=NOTIONAL,
        side="buy",
        expiry_ms=c.time_ms + 60_000,
    )


def test_quote_after_expiry_is_refused(c):
    expiry = request(c, "R1")
    c.commit_at(expiry + 1)
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry + 60_000)
    assert "quote after expiry" in rejected(c, "dealer-0", "rfq", "quote", **quote.args)


def test_quote_checks(c):
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry)
    forged = dict(quote.args, signature=KeyPair.from_name("dealer-1").sign(b"x", b"y"))
    assert rejected(c, "dealer-0", "rfq", "quote", **forged) == "bad quote signature"
    leaky = seal(
        encode_quote(quote.terms, quote.salt),
        {
            "client-0": public("client-0"),
            "regulator": public("regulator"),
            "dealer-1": public("dealer-1"),
        },
    )
    assert "sealed to the client and the regulator only" in rejected(
        c, "dealer-0", "rfq", "quote", **dict(quote.args, envelope=leaky.to_value())
    )
    assert "was not asked" in rejected(
        c, "dealer-2", "rfq", "quote", **make_quote("R1", "dealer-2", "client-0", 1, expiry).args
    )
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    assert "already quoted" in rejected(c, "dealer-0", "rfq", "quote", **quote.args)


def test_withdrawn_quote_cannot_be_accepted(c):
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry)
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    c.ok("dealer-0", "rfq", "withdraw", rfq_id="R1")
    terms, salt = open_quote(quote.envelope, "client-0")
    message = rejected(
        c, "client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt
    )
    assert message == "dealer-0's quote on R1 was withdrawn"
    # and a second withdrawal is a lifecycle event not allowed in the current state
    message = rejected(c, "dealer-0", "rfq", "withdraw", rfq_id="R1")
    assert message == "quote: event 'withdraw' is not allowed in state 'withdrawn'; it is final"


def test_revealed_quote_must_match_its_commitment(c):
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry)
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    terms, salt = open_quote(quote.envelope, "client-0")
    cheaper = dict(terms, price=3_900_000)
    message = rejected(
        c, "client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=cheaper, salt=salt
    )
    assert message == "revealed quote does not match dealer-0's commitment on R1"
    assert "does not match" in rejected(
        c,
        "client-0",
        "rfq",
        "accept",
        rfq_id="R1",
        dealer="dealer-0",
        terms=terms,
        salt=b"other salt",
    )
    assert "only client-0 accepts" in rejected(
        c, "client-1", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt
    )
    assert c.get("derivative", "c/R1") is None


def test_expired_quote_cannot_be_accepted(c):
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, c.time_ms + 1_500)
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    c.commit_at(expiry)
    terms, salt = open_quote(quote.envelope, "client-0")
    assert "quote expired" in rejected(
        c, "client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt
    )


def test_trade_beyond_credit_limit_is_refused(c):
    c.ok("dealer-0", "rfq", "set_credit_limit", counterparty="client-0", limit=50_000_00)
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry)
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    terms, salt = open_quote(quote.envelope, "client-0")
    message = rejected(
        c, "client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt
    )
    assert message.startswith("trade beyond credit limit: dealer-0 grants client-0 5000000")


def test_payment_without_funds_is_refused(c):
    c.ok("client-0", "token", "transfer", symbol="USD", to="client-1", amount=999_990_00)
    expiry = request(c, "R1")
    quote = make_quote("R1", "dealer-0", "client-0", 4_000_000, expiry)
    c.ok("dealer-0", "rfq", "quote", **quote.args)
    terms, salt = open_quote(quote.envelope, "client-0")
    message = rejected(
        c, "client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt
    )
    assert message == "'client-0' has insufficient USD: short by 9999000"
    assert "can withdraw at most" in rejected(
        c,
        "dealer-0",
        "derivative",
        "withdraw_collateral",
        counterparty="client-0",
        amount=300_000_00,
    )


def test_lifecycle_events_out_of_state_are_refused(c):
    trade(c, "R1", "irs", SWAP, NOTIONAL, "pay_fixed", "client-0", {"dealer-0": 4_000_000})
    assert rejected(c, "client-0", "rfq", "cancel", rfq_id="R1") == (
        "rfq: event 'cancel' is not allowed in state 'accepted'; it is final"
    )
    c.ok("dealer-0", "derivative", "propose", trade_id="R1", action="termination")
    c.ok("client-0", "derivative", "consent", trade_id="R1")
    c.ok("dealer-0", "derivative", "propose", trade_id="R1", action="termination")
    message = rejected(c, "client-0", "derivative", "consent", trade_id="R1")
    assert message == ("irs: event 'termination' is not allowed in state 'terminated'; it is final")
    # a trade cannot be booked except by accepting a quote
    message = rejected(
        c,
        "client-0",
        "derivative",
        "execute",
        trade_id="X",
        template_name="irs",
        params={"fixed_rate_e8": 1},
        notional=1,
        client_side="pay_fixed",
        dealer="dealer-0",
        client="client-0",
        threshold=0,
        mta=0,
        call_window_ms=1,
        currency="USD",
        rfq_id="X",
    )
    assert "execute" in message


def test_competing_dealers_never_read_another_dealers_price(tmp_path):
    chain = otc_chain(path=tmp_path / "chain.sqlite")
    chain.ok(
        "regulator",
        "oracle",
        "post",
        kind="rate",
        key="SOFR",
        value=5_000_000,
        scale=8,
        observed_ms=chain.time_ms,
    )
    for dealer in ("dealer-0", "dealer-1", "dealer-2"):
        chain.commit(
            [
                chain.tx(
                    dealer, "rfq", "set_credit_limit", counterparty="client-0", limit=1_000_000_00
                ),
                chain.tx(
                    dealer,
                    "derivative",
                    "post_collateral",
                    counterparty="client-0",
                    amount=200_000_00,
                ),
            ]
        )
    prices = {"dealer-0": 4_137_291, "dealer-1": 4_152_863, "dealer-2": 4_168_477}
    expiry = chain.time_ms + 60_000
    chain.ok(
        "client-0",
        "rfq",
        "request",
        rfq_id="R1",
        template_name="irs",
        params=SWAP,
        notional=NOTIONAL,
        side="pay_fixed",
        expiry_ms=expiry,
        dealers=sorted(prices),
    )
    quotes = {d: make_quote("R1", d, "client-0", p, expiry + 60_000) for d, p in prices.items()}
    receipts = chain.commit([chain.tx(d, "rfq", "quote", **q.args) for d, q in quotes.items()])
    assert all(r.ok for r in receipts)
    secrets = {d: price_forms(p) for d, p in prices.items()}
    # positive control: the client (a recipient) does read every price in its envelope
    for dealer, quote in quotes.items():
        terms, _ = open_quote(quote.envelope, "client-0")
        assert terms["price"] == prices[dealer]
        assert codec.encode(prices[dealer]) in encode_quote(terms, quote.salt)
    # before acceptance no price of any dealer is readable by anyone else
    leak.assert_nowhere(chain, *[f for forms in secrets.values() for f in forms])
    terms, salt = open_quote(quotes["dealer-0"].envelope, "client-0")
    chain.ok("client-0", "rfq", "accept", rfq_id="R1", dealer="dealer-0", terms=terms, salt=salt)
    chain.commit([])
    store = chain.chain.store
    exported = tmp_path / "export.sqlite"
    from glassledger.node.bookkeeper import export

    export(store, exported)
    # after: the accepted price is the trade's fixed rate (public economics of the trade);
    # the losing quotes stay sealed everywhere, the exported copy included
    assert leak.find(chain, codec.encode(prices["dealer-0"]))
    losing = [f for d in ("dealer-1", "dealer-2") for f in secrets[d]]
    leak.assert_nowhere(chain, *losing)
    exported_bytes = exported.read_bytes()
    assert not any(f in exported_bytes for f in losing)
    assert chain.get("rfq", "q/R1/dealer-1")["state"] == "lost"

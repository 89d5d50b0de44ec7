"""CDM interchange: template params -> CDM JSON -> params identical for every template,
CDM JSON fixtures -> model -> JSON equal, and bad CDM input refused with the field named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.cdm import (
    TemplateTrade,
    decode,
    encode,
    from_cdm,
    read_trade_state,
    read_trade_states,
    to_cdm,
)
from glassledger.cdm.io import to_builtins
from glassledger.cdm.mapping import DAY_MS, date_to_ms, execution_event, termination_event
from glassledger.cdm.model import BusinessEvent
from glassledger.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
SACCR_FIXTURE = Path(__file__).parents[1] / "risk" / "fixtures" / "saccr_cdm_trades.json"
DAY = date(2026, 3, 2)
LATER = date_to_ms(date(2027, 3, 2))

EXAMPLES = {
    "irs": TemplateTrade(
        "irs",
        {
            "fixed_rate_e8": 4_250_000,
            "float_index": "SOFR",
            "spread_e8": 12_500,
            "period_days": 90,
            "periods": 8,
        },
        10_000_000_00,
        "pay_fixed",
        "dealer-0",
        "client-0",
        "USD",
        DAY,
        "5493001KJTIIGC8Y1R12S1",
        {"dealer-0": "5493001KJTIIGC8Y1R12"},
    ),
    "fx_forward": TemplateTrade(
        "fx_forward",
        {
            "forward_rate_e8": 108_500_000,
            "pair": "EUR/USD",
            "value_date_ms": LATER,
            "base_decimals": 2,
            "settlement": "physical",
        },
        1_000_000_00,
        "sell",
        "dealer-1",
        "client-1",
        "USD",
        DAY,
        "F1",
    ),
    "european_option": TemplateTrade(
        "european_option",
        {
            "premium": 4_760_00,
            "underlying": "price:ACME",
            "option_type": "call",
            "strike_e8": 40 * 10**8,
            "expiry_ms": LATER,
            "settlement": "cash",
            "deliverable": "",
            "deliverable_decimals": 0,
            "asset_class": "EQUITY",
        },
        1_000,
        "buy",
        "dealer-0",
        "client-2",
        "USD",
        DAY,
        "O1",
    ),
    "fx_option": TemplateTrade(
        "european_option",
        {
            "premium": 1_234_56,
            "underlying": "fx:EUR/USD",
            "option_type": "put",
            "strike_e8": 110_000_000,
            "expiry_ms": LATER,
            "settlement": "physical",
            "deliverable": "EUR",
            "deliverable_decimals": 2,
            "asset_class": "FX",
        },
        50_000,
        "sell",
        "dealer-2",
        "client-0",
        "USD",
        DAY,
        "O2",
    ),
    "gold_option": TemplateTrade(
        "european_option",
        {
            "premium": 99_00,
            "underlying": "price:GOLD",
            "option_type": "call",
            "strike_e8": 2_000 * 10**8,
            "expiry_ms": LATER,
            "settlement": "physical",
            "deliverable": "XAU",
            "deliverable_decimals": 3,
            "asset_class": "COMMODITY",
        },
        10,
        "buy",
        "dealer-2",
        "client-0",
        "USD",
        DAY,
        "O3",
    ),
    "cds": TemplateTrade(
        "cds",
        {"spread_bps": 125, "reference": "FIRM B", "period_days": 91, "maturity_ms": LATER},
        5_000_000_00,
        "buy",
        "dealer-0",
        "client-0",
        "USD",
        DAY,
        "C1",
    ),
}
DECIMALS = {"EUR": 2, "USD": 2, "XAU": 3}


def roundtrip(t: TemplateTrade) -> TemplateTrade:
    text = encode(to_cdm(t, decimals=DECIMALS))
    return from_cdm(read_trade_state(text), decimals=DECIMALS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_template_round_trips_through_cdm_json(name):
    t = EXAMPLES[name]
    assert roundtrip(t) == t


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_fixture_json_reads_and_writes_back_equal(name):
    """The committed CDM JSON of each example (written once by the mapping and reviewed
    against the CDM type names) reads into the model and writes back equal, and maps to the
    example's params."""
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    state = read_trade_state(json.dumps(raw, indent=2))
    assert to_builtins(state) == raw
    assert from_cdm(state, decimals=DECIMALS) == EXAMPLES[name]


def test_the_saccr_fixture_round_trips_through_the_model():
    envelopes = json.loads(SACCR_FIXTURE.read_text())
    states = read_trade_states(json.dumps([e["trade"] for e in envelopes]))
    assert [to_builtins(s.trade) for s in states] == [e["trade"] for e in envelopes]


def test_cdm_names_on_the_wire():
    doc = to_builtins(to_cdm(EXAMPLES["irs"]))
    trade = doc["trade"]
    assert doc["state"] == {"positionState": "Executed"}
    assert trade["tradeIdentifier"][0]["identifierType"] == "UniqueTransactionIdentifier"
    assert trade["party"][0]["partyId"][1] == {
        "identifier": {"value": "5493001KJTIIGC8Y1R12"},
        "identifierType": "LEI",
    }
    payout = trade["tradableProduct"]["product"]["contractualProduct"]["economicTerms"]["payout"]
    fixed, floating = payout["interestRatePayout"]
    assert fixed["payerReceiver"] == {"payer": "Party2", "receiver": "Party1"}  # client pays
    assert fixed["rateSpecification"]["fixedRate"]["rateSchedule"]["price"]["value"] == 0.0425
    rate = floating["rateSpecification"]["floatingRate"]
    assert rate["rateOption"]["value"]["floatingRateIndex"] == "SOFR"
    assert fixed["calculationPeriodDates"]["terminationDate"]["adjustableDate"] == {
        "unadjustedDate": "2028-02-20"  # 2026-03-02 + 720 days (2028 is a leap year)
    }


def test_business_events_round_trip():
    state = to_cdm(EXAMPLES["cds"])
    for event in (execution_event(state), termination_event(state, date(2026, 6, 1))):
        text = encode(event)
        back = decode(text, BusinessEvent)
        assert back == event
        assert json.loads(encode(back)) == json.loads(text)
    done = termination_event(state, date(2026, 6, 1))
    change = done.instruction[0].primitive_instruction.quantity_change
    assert change.direction == "Replace" and change.change[0].quantity[0].value.value == 0.0


def _doc(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["trade"]["tradeDate"].update(value="2026-02-30"), "trade.tradeDate.value"),
        (
            lambda d: d["trade"]["tradableProduct"]["tradeLot"][0]["priceQuantity"][0]["quantity"][
                0
            ]["value"].update(value="1000000"),
            "trade.tradableProduct.tradeLot[0].priceQuantity[0].quantity[0].value.value",
        ),
        (lambda d: d["trade"].pop("tradableProduct"), "trade"),
    ],
)
def test_bad_dates_and_text_numbers_are_input_errors_naming_the_field(edit, field):
    doc = _doc("fx_forward")
    edit(doc)
    with pytest.raises(InputError) as info:
        read_trade_state(json.dumps(doc), source="f.json")
    assert info.value.field == field and info.value.row == "F1"
    assert info.value.source == "f.json"


def test_unsupported_and_incomplete_cdm_are_input_errors():
    doc = _doc("irs")
    payout = doc["trade"]["tradableProduct"]["product"]["contractualProduct"]["economicTerms"]
    payout["payout"] = {}
    with pytest.raises(InputError, match="unsupported CDM payout") as info:
        from_cdm(read_trade_state(json.dumps(doc)))
    assert info.value.field == "payout"
    doc = _doc("european_option")
    doc["trade"]["tradableProduct"]["product"]["contractualProduct"]["economicTerms"]["payout"][
        "optionPayout"
    ][0]["optionType"] = "Straddle"
    with pytest.raises(InputError) as info:
        from_cdm(read_trade_state(json.dumps(doc)))
    assert info.value.field == "optionPayout.optionType" and info.value.row == "O1"
    with pytest.raises(InputError, match="not JSON"):
        read_trade_state("{")


days = st.integers(20_000, 30_000).map(lambda d: d * DAY_MS)


@given(
    fixed=st.integers(-500_000, 20_000_000),
    spread=st.integers(-1_000_000, 1_000_000),
    period=st.integers(1, 366),
    periods=st.integers(1, 120),
    notional=st.integers(1, 10**13),
    side=st.sampled_from(["pay_fixed", "receive_fixed"]),
)
def test_any_swap_round_trips(fixed, spread, period, periods, notional, side):
    t = TemplateTrade(
        "irs",
        {
            "fixed_rate_e8": fixed,
            "float_index": "EURIBOR",
            "spread_e8": spread,
            "period_days": period,
            "periods": periods,
        },
        notional,
        side,
        "d",
        "c",
        "EUR",
        DAY,
        "U",
    )
    assert roundtrip(t) == t


@given(
    rate=st.integers(1, 10**12),
    value_ms=days,
    notional=st.integers(1, 10**13),
    base_decimals=st.integers(0, 8),
    settlement=st.sampled_from(["cash", "physical"]),
    side=st.sampled_from(["buy", "sell"]),
)
def test_any_fx_forward_round_trips(rate, value_ms, notional, base_decimals, settlement, side):
    t = TemplateTrade(
        "fx_forward",
        {
            "forward_rate_e8": rate,
            "pair": "GBP/JPY",
            "value_date_ms": value_ms,
            "base_decimals": base_decimals,
            "settlement": settlement,
        },
        notional,
        side,
        "d",
        "c",
        "JPY",
        DAY,
        "U",
    )
    decimals = {"GBP": base_decimals, "JPY": 0}
    text = encode(to_cdm(t, decimals=decimals))
    assert from_cdm(read_trade_state(text), decimals=decimals) == t


@given(
    premium=st.integers(0, 10**12),
    strike=st.integers(1, 10**14),
    expiry=days,
    quantity=st.integers(1, 10**9),
    kind=st.sampled_from(["call", "put"]),
    side=st.sampled_from(["buy", "sell"]),
    spread=st.integers(0, 10_000),
    maturity=days,
)
def test_any_option_and_cds_round_trip(
    premium, strike, expiry, quantity, kind, side, spread, maturity
):
    option = TemplateTrade(
        "european_option",
        {
            "premium": premium,
            "underlying": "price:ACME",
            "option_type": kind,
            "strike_e8": strike,
            "expiry_ms": expiry,
            "settlement": "cash",
            "deliverable": "",
            "deliverable_decimals": 0,
            "asset_class": "EQUITY",
        },
        quantity,
        side,
        "d",
        "c",
        "USD",
        DAY,
        "U",
    )
    cds = TemplateTrade(
        "cds",
        {"spread_bps": spread, "reference": "X", "period_days": 30, "maturity_ms": maturity},
        quantity * 100,
        side,
        "d",
        "c",
        "USD",
        DAY,
        "U",
    )
    assert roundtrip(option) == option
    assert roundtrip(cds) == cds


def test_rfq_args_leave_the_price_to_dealers():
    args = EXAMPLES["irs"].rfq_args()
    assert "fixed_rate_e8" not in args["params"] and args["template_name"] == "irs"
    assert args["side"] == "pay_fixed" and args["notional"] == 10_000_000_00

"""Both ways between CDM trades and the smart derivative templates' parameters.

:func:`to_cdm` writes a template trade (template name, ``params``, ``notional``, the
client's ``side``, dealer = ``Party1``, client = ``Party2``) as a CDM :class:`TradeState`;
:func:`from_cdm` reads it back into :class:`TemplateTrade`, so a CDM product can be asked
for in an RFQ (:meth:`TemplateTrade.rfq_args`) and every ledger trade (a ``derivative``
record, :func:`ledger_trade_to_cdm`) exports as CDM JSON.

Units: the ledger's integers become CDM decimals: rates and prices ``_e8`` -> ``x / 1e8``
(4.25% is ``0.0425``), CDS spreads bps -> ``x / 1e4``, amounts in minor units -> major
units with the currency's ``decimals`` (default 2; pass ``decimals`` for others, e.g.
``{"JPY": 0}``), block times (ms, UTC) -> dates. CDM carries dates, not times: a timestamp
is written as its UTC date and read back as midnight UTC, so params round-trip exactly when
their times are whole UTC days (which is how the RFQ examples and tests write them).

Mapping per template (payer/receiver and buyer/seller use the counterparty roles):

* ``irs``: two ``interestRatePayout`` legs: fixed (payer = fixed payer = long) with
  ``fixedRate`` ``fixed_rate_e8``; floating with ``floatingRateIndex`` ``float_index`` and
  ``spreadSchedule`` ``spread_e8``; ``paymentFrequency`` ``period_days`` D; ``ACT/360``;
  effective date = trade date, termination = trade date + periods x period_days.
* ``fx_forward``: ``settlementPayout`` (payer delivers the base currency = short) with
  ``settlementType`` Cash/Physical and ``valueDate``; the trade lot's price is the forward
  (``ExchangeRate``, ``unit`` quote per ``perUnitOf`` base) and quantities the base notional
  and its quote-currency value.
* ``european_option``: ``optionPayout`` (buyer = long) ``optionType`` Call/Put, European
  ``expirationDate``, ``strike.strikePrice``, underlier ``security`` (equity), ``commodity``
  or ``currencyPair`` (FX); the physical deliverable token as a second underlier identifier
  (``identifierType`` ``Other``); the premium as a ``Premium`` price in the trade lot;
  quantity in underlier units.
* ``cds``: ``creditDefaultPayout`` (payer = protection seller = short) on
  ``referenceEntity`` ``reference`` plus a fixed premium ``interestRatePayout`` (payer =
  protection buyer) at ``spread_bps``; ``economicTerms.terminationDate`` = maturity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from glassledger.cdm import model as m
from glassledger.errors import InputError

DAY_MS = 86_400_000
E8 = 100_000_000
BPS = 10_000
EPOCH = date(1970, 1, 1)
SIDES = {
    "irs": ("pay_fixed", "receive_fixed"),
    "fx_forward": ("buy", "sell"),
    "european_option": ("buy", "sell"),
    "cds": ("buy", "sell"),
}
ROLES = ("Party1", "Party2")  # dealer (party A), client (party B)


@dataclass
class TemplateTrade:
    """A template trade as the RFQ and the ``derivative`` contract see it."""

    template: str
    params: dict[str, Any]
    notional: int
    side: str  # the client's side
    dealer: str
    client: str
    currency: str
    trade_date: date
    uti: str = ""
    leis: dict[str, str] = field(default_factory=dict)

    def rfq_args(self) -> dict[str, Any]:
        """Arguments of ``rfq.request`` for this product (the price is left to dealers)."""
        price_field = {
            "irs": "fixed_rate_e8",
            "fx_forward": "forward_rate_e8",
            "european_option": "premium",
            "cds": "spread_bps",
        }[self.template]
        return {
            "template_name": self.template,
            "params": {k: v for k, v in self.params.items() if k != price_field},
            "notional": self.notional,
            "side": self.side,
            "currency": self.currency,
        }


# -- small conversions --------------------------------------------------------------------
def ms_to_date(ms: int) -> date:
    return datetime.fromtimestamp(ms // 1000, UTC).date()


def date_to_ms(day: date) -> int:
    return (day - EPOCH).days * DAY_MS


def _scaled(value: int, scale: int) -> float:
    return value / scale


def _unscaled(value: float, scale: int) -> int:
    return round(value * scale)


def _ccy(code: str) -> m.UnitType:
    return m.UnitType(currency=m.FieldWithMetaString(code))


def _adj(day: date) -> m.AdjustableOrRelativeDate:
    return m.AdjustableOrRelativeDate(adjustable_date=m.AdjustableDate(unadjusted_date=day))


def _need(value: Any, trade_id: str, path: str, source: str) -> Any:
    if value is None or value == []:
        raise InputError("CDM field missing", source=source, row=trade_id, field=path)
    return value


# -- writer -------------------------------------------------------------------------------
def to_cdm(t: TemplateTrade, *, decimals: dict[str, int] | None = None) -> m.TradeState:
    """The CDM TradeState of a template trade (see the module docstring)."""
    dec = decimals or {}
    cur_dec = dec.get(t.currency, 2)
    p = t.params
    long_is_client = t.side == SIDES[t.template][0]
    long, short = ("Party2", "Party1") if long_is_client else ("Party1", "Party2")
    lot = m.PriceQuantity()
    econ: m.EconomicTerms
    upi = t.template
    if t.template == "irs":
        end = t.trade_date + timedelta(days=p["period_days"] * p["periods"])
        dates = m.CalculationPeriodDates(
            effective_date=_adj(t.trade_date), termination_date=_adj(end)
        )
        freq = m.PaymentDates(
            payment_frequency=m.Frequency(period_multiplier=p["period_days"], period="D")
        )
        dcf = m.FieldWithMetaString("ACT/360")
        fixed = m.InterestRatePayout(
            payer_receiver=m.PayerReceiver(payer=long, receiver=short),
            rate_specification=m.RateSpecification(
                fixed_rate=m.FixedRateSpecification(
                    rate_schedule=m.RateSchedule(
                        price=m.Price(value=_scaled(p["fixed_rate_e8"], E8))
                    )
                )
            ),
            day_count_fraction=dcf,
            calculation_period_dates=dates,
            payment_dates=freq,
        )
        floating = m.InterestRatePayout(
            payer_receiver=m.PayerReceiver(payer=short, receiver=long),
            rate_specification=m.RateSpecification(
                floating_rate=m.FloatingRateSpecification(
                    rate_option=m.FieldWithMetaRateOption(m.FloatingRateOption(p["float_index"])),
                    spread_schedule=[
                        m.SpreadSchedule(price=m.Price(value=_scaled(p["spread_e8"], E8)))
                    ],
                )
            ),
            day_count_fraction=dcf,
            calculation_period_dates=dates,
            payment_dates=freq,
        )
        econ = m.EconomicTerms(payout=m.Payout(interest_rate_payout=[fixed, floating]))
        lot.quantity = [_amount(t.notional, t.currency, cur_dec)]
        lot.price = [
            m.FieldWithMetaPrice(
                m.Price(
                    value=_scaled(p["fixed_rate_e8"], E8),
                    unit=_ccy(t.currency),
                    per_unit_of=_ccy(t.currency),
                    price_type="InterestRate",
                )
            )
        ]
        upi = f"irs:{p['float_index']}"
    elif t.template == "fx_forward":
        base, _, quote = p["pair"].partition("/")
        payout = m.SettlementPayout(
            payer_receiver=m.PayerReceiver(payer=short, receiver=long),
            settlement_terms=m.SettlementTerms(
                settlement_type=p["settlement"].capitalize(),
                settlement_date=m.SettlementDate(value_date=ms_to_date(p["value_date_ms"])),
                settlement_currency=m.FieldWithMetaString(quote),
            ),
            underlier=m.Underlier(
                currency_pair=m.QuotedCurrencyPair(
                    currency1=m.FieldWithMetaString(base), currency2=m.FieldWithMetaString(quote)
                )
            ),
        )
        econ = m.EconomicTerms(payout=m.Payout(settlement_payout=[payout]))
        rate = _scaled(p["forward_rate_e8"], E8)
        base_amount = t.notional / 10 ** p["base_decimals"]
        lot.price = [
            m.FieldWithMetaPrice(
                m.Price(
                    value=rate, unit=_ccy(quote), per_unit_of=_ccy(base), price_type="ExchangeRate"
                )
            )
        ]
        lot.quantity = [
            m.FieldWithMetaQuantity(m.Measure(value=base_amount, unit=_ccy(base))),
            m.FieldWithMetaQuantity(m.Measure(value=base_amount * rate, unit=_ccy(quote))),
        ]
        upi = f"fx_forward:{p['pair']}"
    elif t.template == "european_option":
        kind, _, key = p["underlying"].partition(":")
        ids = [m.AssetIdentifier(identifier=m.FieldWithMetaString(key), identifier_type="Ticker")]
        if p["deliverable"]:
            ids.append(
                m.AssetIdentifier(
                    identifier=m.FieldWithMetaString(p["deliverable"]), identifier_type="Other"
                )
            )
        if kind == "fx":
            c1, _, c2 = key.partition("/")
            underlier = m.Underlier(
                currency_pair=m.QuotedCurrencyPair(
                    currency1=m.FieldWithMetaString(c1), currency2=m.FieldWithMetaString(c2)
                ),
                security=m.Asset(identifier=ids[1:]) if p["deliverable"] else None,
            )
        elif p["asset_class"] == "COMMODITY":
            underlier = m.Underlier(commodity=m.Asset(identifier=ids))
        else:
            underlier = m.Underlier(security=m.Asset(identifier=ids))
        option = m.OptionPayout(
            buyer_seller=m.BuyerSeller(buyer=long, seller=short),
            option_type=p["option_type"].capitalize(),
            exercise_terms=m.ExerciseTerms(
                option_style=m.OptionStyle(
                    european_exercise=m.EuropeanExercise(
                        expiration_date=[_adj(ms_to_date(p["expiry_ms"]))]
                    )
                )
            ),
            strike=m.OptionStrike(
                strike_price=m.Price(value=_scaled(p["strike_e8"], E8), unit=_ccy(t.currency))
            ),
            settlement_terms=m.SettlementTerms(
                settlement_type=p["settlement"].capitalize(),
                settlement_currency=m.FieldWithMetaString(t.currency),
            ),
            underlier=underlier,
        )
        econ = m.EconomicTerms(payout=m.Payout(option_payout=[option]))
        lot.price = [
            m.FieldWithMetaPrice(
                m.Price(
                    value=_scaled(p["premium"], 10**cur_dec),
                    unit=_ccy(t.currency),
                    price_type="Premium",
                )
            )
        ]
        lot.quantity = [
            m.FieldWithMetaQuantity(
                m.Measure(value=float(t.notional), unit=m.UnitType(financial_unit="Share"))
            )
        ]
        upi = f"european_option:{p['option_type']}:{p['underlying']}"
    elif t.template == "cds":
        maturity = ms_to_date(p["maturity_ms"])
        premium = m.InterestRatePayout(
            payer_receiver=m.PayerReceiver(payer=long, receiver=short),
            rate_specification=m.RateSpecification(
                fixed_rate=m.FixedRateSpecification(
                    rate_schedule=m.RateSchedule(price=m.Price(value=_scaled(p["spread_bps"], BPS)))
                )
            ),
            day_count_fraction=m.FieldWithMetaString("ACT/360"),
            calculation_period_dates=m.CalculationPeriodDates(
                effective_date=_adj(t.trade_date), termination_date=_adj(maturity)
            ),
            payment_dates=m.PaymentDates(
                payment_frequency=m.Frequency(period_multiplier=p["period_days"], period="D")
            ),
        )
        protection = m.CreditDefaultPayout(
            payer_receiver=m.PayerReceiver(payer=short, receiver=long),
            general_terms=m.GeneralTerms(
                reference_information=m.ReferenceInformation(
                    reference_entity=m.ReferenceEntity(name=m.FieldWithMetaString(p["reference"]))
                )
            ),
        )
        econ = m.EconomicTerms(
            payout=m.Payout(interest_rate_payout=[premium], credit_default_payout=protection),
            effective_date=m.AdjustableDate(unadjusted_date=t.trade_date),
            termination_date=m.AdjustableDate(unadjusted_date=maturity),
        )
        lot.quantity = [_amount(t.notional, t.currency, cur_dec)]
        upi = f"cds:{p['reference']}"
    else:
        raise InputError("no CDM mapping for this template", field="template", value=t.template)
    parties = [_party(t.dealer, "p1", t.leis), _party(t.client, "p2", t.leis)]
    trade = m.Trade(
        trade_identifier=[
            m.TradeIdentifier(
                assigned_identifier=[m.AssignedIdentifier(m.FieldWithMetaString(t.uti))],
                identifier_type="UniqueTransactionIdentifier",
            )
        ],
        trade_date=m.FieldWithMetaDate(t.trade_date),
        party=parties,
        tradable_product=m.TradableProduct(
            product=m.Product(
                contractual_product=m.ContractualProduct(
                    economic_terms=econ,
                    product_identifier=[
                        m.ProductIdentifier(m.FieldWithMetaString(upi), source="UPI")
                    ],
                )
            ),
            trade_lot=[m.TradeLot(price_quantity=[lot])],
            counterparty=[
                m.Counterparty(role="Party1", party_reference=m.PartyReference("p1")),
                m.Counterparty(role="Party2", party_reference=m.PartyReference("p2")),
            ],
        ),
    )
    return m.TradeState(trade=trade, state=m.State(position_state="Executed"))


def _amount(minor: int, currency: str, decimals: int) -> m.FieldWithMetaQuantity:
    return m.FieldWithMetaQuantity(m.Measure(value=minor / 10**decimals, unit=_ccy(currency)))


def _party(pid: str, key: str, leis: dict[str, str]) -> m.Party:
    ids = [m.PartyIdentifier(identifier=m.FieldWithMetaString(pid))]
    if leis.get(pid):
        ids.append(
            m.PartyIdentifier(identifier=m.FieldWithMetaString(leis[pid]), identifier_type="LEI")
        )
    return m.Party(party_id=ids, meta=m.Meta(external_key=key))


# -- reader -------------------------------------------------------------------------------
def party_roles(trade: m.Trade, *, source: str = "CDM") -> dict[str, str]:
    """Counterparty role (Party1/Party2) -> party id (the first ``partyId``)."""
    tid = trade_id(trade)
    keys = {}
    for i, party in enumerate(trade.party):
        ident = _need(party.party_id, tid, f"party[{i}].partyId", source)[0].identifier.value
        keys[party.meta.external_key if party.meta else None] = ident
    roles = {}
    for cp in trade.tradable_product.counterparty:
        ref = cp.party_reference.external_reference
        roles[cp.role] = keys.get(ref, ref)
    return roles


def party_leis(trade: m.Trade) -> dict[str, str]:
    """Party id -> LEI, for parties that carry one."""
    out = {}
    for party in trade.party:
        leis = [p.identifier.value for p in party.party_id if p.identifier_type == "LEI"]
        if party.party_id and leis:
            out[party.party_id[0].identifier.value] = leis[0]
    return out


def trade_id(trade: m.Trade) -> str:
    return trade.trade_identifier[0].assigned_identifier[0].identifier.value


def from_cdm(
    state: m.TradeState | m.Trade,
    *,
    decimals: dict[str, int] | None = None,
    source: str = "CDM",
) -> TemplateTrade:
    """The template trade a CDM trade describes; InputError naming the CDM field otherwise."""
    trade = state.trade if isinstance(state, m.TradeState) else state
    dec = decimals or {}
    tid = trade_id(trade)
    roles = party_roles(trade, source=source)
    for role in ROLES:
        _need(roles.get(role), tid, f"tradableProduct.counterparty[{role}]", source)
    lots = _need(trade.tradable_product.trade_lot, tid, "tradableProduct.tradeLot", source)
    lot = _need(lots[0].price_quantity, tid, "tradableProduct.tradeLot[0].priceQuantity", source)[0]
    payout = trade.tradable_product.product.contractual_product.economic_terms.payout
    econ = trade.tradable_product.product.contractual_product.economic_terms
    trade_date = _need(trade.trade_date, tid, "tradeDate", source).value

    def side(long_role: str, template: str) -> str:
        if long_role not in ROLES:
            raise InputError(
                "role must be Party1 or Party2",
                source=source,
                row=tid,
                field="payout.payerReceiver",
                value=long_role,
            )
        return SIDES[template][0 if long_role == "Party2" else 1]

    def quantity(i: int = 0) -> m.Measure:
        q = _need(lot.quantity, tid, "priceQuantity.quantity", source)
        return q[i].value

    def currency_of(measure: m.Measure, path: str) -> str:
        unit = measure.unit
        return _need(unit and unit.currency, tid, path, source).value

    def positive(value: float, path: str) -> float:
        if not value > 0:
            raise InputError("must be positive", source=source, row=tid, field=path, value=value)
        return value

    if payout.credit_default_payout is not None:
        cds = payout.credit_default_payout
        pr = _need(cds.payer_receiver, tid, "creditDefaultPayout.payerReceiver", source)
        gt = _need(cds.general_terms, tid, "creditDefaultPayout.generalTerms", source)
        ref = _need(gt.reference_information, tid, "generalTerms.referenceInformation", source)
        legs = _need(payout.interest_rate_payout, tid, "payout.interestRatePayout", source)
        fixed = _need(
            legs[0].rate_specification and legs[0].rate_specification.fixed_rate,
            tid,
            "interestRatePayout[0].rateSpecification.fixedRate",
            source,
        )
        freq = _need(legs[0].payment_dates, tid, "interestRatePayout[0].paymentDates", source)
        end = _need(econ.termination_date, tid, "economicTerms.terminationDate", source)
        amount = quantity()
        currency = currency_of(amount, "priceQuantity.quantity[0].unit.currency")
        template = "cds"
        params = {
            "spread_bps": _unscaled(fixed.rate_schedule.price.value, BPS),
            "reference": ref.reference_entity.name.value,
            "period_days": _days(freq.payment_frequency, tid, source),
            "maturity_ms": date_to_ms(end.unadjusted_date),
        }
        notional = _unscaled(positive(amount.value, "quantity.value"), 10 ** dec.get(currency, 2))
        client_side = side(pr.receiver, template)
    elif payout.interest_rate_payout:
        legs = payout.interest_rate_payout
        fixed = [g for g in legs if g.rate_specification and g.rate_specification.fixed_rate]
        floating = [g for g in legs if g.rate_specification and g.rate_specification.floating_rate]
        if len(legs) != 2 or len(fixed) != 1 or len(floating) != 1:
            raise InputError(
                "only fixed-floating swaps are mapped",
                source=source,
                row=tid,
                field="payout.interestRatePayout",
            )
        fx, fl = fixed[0], floating[0]
        dates = _need(fx.calculation_period_dates, tid, "calculationPeriodDates", source)
        start = _need(dates.effective_date, tid, "calculationPeriodDates.effectiveDate", source)
        end = _need(dates.termination_date, tid, "calculationPeriodDates.terminationDate", source)
        freq = _need(fx.payment_dates, tid, "interestRatePayout.paymentDates", source)
        period_days = _days(freq.payment_frequency, tid, source)
        span = (end.adjustable_date.unadjusted_date - start.adjustable_date.unadjusted_date).days
        if span <= 0 or span % period_days:
            raise InputError(
                "the swap's term must be a whole number of payment periods",
                source=source,
                row=tid,
                field="calculationPeriodDates.terminationDate",
                value=span,
            )
        spread = fl.rate_specification.floating_rate.spread_schedule
        amount = quantity()
        currency = currency_of(amount, "priceQuantity.quantity[0].unit.currency")
        template = "irs"
        params = {
            "fixed_rate_e8": _unscaled(
                fx.rate_specification.fixed_rate.rate_schedule.price.value, E8
            ),
            "float_index": (
                fl.rate_specification.floating_rate.rate_option.value.floating_rate_index
            ),
            "spread_e8": _unscaled(spread[0].price.value, E8) if spread else 0,
            "period_days": period_days,
            "periods": span // period_days,
        }
        notional = _unscaled(positive(amount.value, "quantity.value"), 10 ** dec.get(currency, 2))
        client_side = side(_need(fx.payer_receiver, tid, "payerReceiver", source).payer, template)
        trade_date = start.adjustable_date.unadjusted_date
    elif payout.settlement_payout:
        sp = payout.settlement_payout[0]
        terms = _need(sp.settlement_terms, tid, "settlementPayout.settlementTerms", source)
        value_date = _need(
            terms.settlement_date and terms.settlement_date.value_date,
            tid,
            "settlementTerms.settlementDate.valueDate",
            source,
        )
        price = _need(lot.price, tid, "priceQuantity.price", source)[0].value
        base = _need(
            price.per_unit_of and price.per_unit_of.currency,
            tid,
            "priceQuantity.price[0].perUnitOf.currency",
            source,
        ).value
        quote = _need(
            price.unit and price.unit.currency, tid, "priceQuantity.price[0].unit.currency", source
        ).value
        amount = quantity()
        base_decimals = dec.get(base, 2)
        template = "fx_forward"
        params = {
            "forward_rate_e8": _unscaled(positive(price.value, "price.value"), E8),
            "pair": f"{base}/{quote}",
            "value_date_ms": date_to_ms(value_date),
            "base_decimals": base_decimals,
            "settlement": _settlement(terms, tid, source),
        }
        notional = _unscaled(positive(amount.value, "quantity.value"), 10**base_decimals)
        currency = quote
        client_side = side(
            _need(sp.payer_receiver, tid, "payerReceiver", source).receiver, template
        )
    elif payout.option_payout:
        op = payout.option_payout[0]
        bs = _need(op.buyer_seller, tid, "optionPayout.buyerSeller", source)
        style = _need(op.exercise_terms, tid, "optionPayout.exerciseTerms", source).option_style
        euro = _need(
            style.european_exercise, tid, "exerciseTerms.optionStyle.europeanExercise", source
        )
        und = _need(op.underlier, tid, "optionPayout.underlier", source)
        strike = _need(op.strike, tid, "optionPayout.strike", source).strike_price
        currency = _need(
            strike.unit and strike.unit.currency, tid, "strike.strikePrice.unit", source
        ).value
        terms = _need(op.settlement_terms, tid, "optionPayout.settlementTerms", source)
        premium = [p.value for p in lot.price if p.value.price_type == "Premium"]
        deliverable = ""
        if und.currency_pair is not None:
            underlying = (
                f"fx:{und.currency_pair.currency1.value}/{und.currency_pair.currency2.value}"
            )
            asset_class = "FX"
            if und.security and und.security.identifier:
                deliverable = und.security.identifier[0].identifier.value
        else:
            asset = und.commodity or und.security
            ids = _need(asset and asset.identifier, tid, "optionPayout.underlier", source)
            underlying = f"price:{ids[0].identifier.value}"
            asset_class = "COMMODITY" if und.commodity else "EQUITY"
            deliverable = ids[1].identifier.value if len(ids) > 1 else ""
        kind = (op.option_type or "").lower()
        if kind not in ("call", "put"):
            raise InputError(
                "optionType must be Call or Put",
                source=source,
                row=tid,
                field="optionPayout.optionType",
                value=op.option_type,
            )
        template = "european_option"
        params = {
            "premium": _unscaled(premium[0].value, 10 ** dec.get(currency, 2)) if premium else 0,
            "underlying": underlying,
            "option_type": kind,
            "strike_e8": _unscaled(positive(strike.value, "strike.strikePrice.value"), E8),
            "expiry_ms": date_to_ms(euro.expiration_date[0].adjustable_date.unadjusted_date),
            "settlement": _settlement(terms, tid, source),
            "deliverable": deliverable,
            "deliverable_decimals": dec.get(deliverable, 0) if deliverable else 0,
            "asset_class": asset_class,
        }
        notional = round(positive(quantity().value, "quantity.value"))
        client_side = side(bs.buyer, template)
    else:
        raise InputError(
            "unsupported CDM payout (mapped: interestRatePayout, settlementPayout, "
            "optionPayout, creditDefaultPayout)",
            source=source,
            row=tid,
            field="payout",
        )
    return TemplateTrade(
        template=template,
        params=params,
        notional=notional,
        side=client_side,
        dealer=roles["Party1"],
        client=roles["Party2"],
        currency=currency,
        trade_date=trade_date,
        uti=tid,
        leis=party_leis(trade),
    )


def _days(freq: m.Frequency, tid: str, source: str) -> int:
    per = {"D": 1, "W": 7}.get(freq.period)
    if per is None or freq.period_multiplier <= 0:
        raise InputError(
            "payment frequency must be in days (D) or weeks (W) on the ledger",
            source=source,
            row=tid,
            field="paymentDates.paymentFrequency",
            value=freq.period,
        )
    return freq.period_multiplier * per


def _settlement(terms: m.SettlementTerms, tid: str, source: str) -> str:
    kind = (terms.settlement_type or "").lower()
    if kind not in ("cash", "physical"):
        raise InputError(
            "settlementType must be Cash or Physical",
            source=source,
            row=tid,
            field="settlementTerms.settlementType",
            value=terms.settlement_type,
        )
    return kind


# -- ledger records -----------------------------------------------------------------------
def ledger_trade(c: dict[str, Any], leis: dict[str, str] | None = None) -> TemplateTrade:
    """The template trade of a ``derivative`` contract record ``c/<id>``."""
    return TemplateTrade(
        template=c["template"],
        params=dict(c["params"]),
        notional=c["notional"],
        side=c["client_side"],
        dealer=c["party_a"],
        client=c["party_b"],
        currency=c["currency"],
        trade_date=ms_to_date(c["executed_ms"]),
        uti=c["uti"],
        leis=leis or {},
    )


_CLOSED = {
    "terminated": "Terminated",
    "novated": "Novated",
    "matured": "Matured",
    "expired": "Expired",
    "exercised": "Exercised",
    "closed_out": "Terminated",
    "settled": "Matured",
    "triggered": "Terminated",
}


def ledger_trade_to_cdm(
    c: dict[str, Any], *, leis: dict[str, str] | None = None, decimals: dict[str, int] | None = None
) -> m.TradeState:
    """A ledger ``derivative`` record as a CDM TradeState with its position state."""
    dec = {c["currency"]: c["decimals"]} | (decimals or {})
    state = to_cdm(ledger_trade(c, leis), decimals=dec)
    if c["state"] in _CLOSED:
        state.state = m.State(position_state="Closed", closed_state=_CLOSED[c["state"]])
    return state


def execution_event(state: m.TradeState) -> m.BusinessEvent:
    """The CDM BusinessEvent that executes ``state`` (one ``execution`` primitive)."""
    t = state.trade
    execution = m.ExecutionInstruction(
        product=t.tradable_product.product,
        price_quantity=t.tradable_product.trade_lot[0].price_quantity,
        counterparty=t.tradable_product.counterparty,
        parties=t.party,
        trade_date=t.trade_date,
        trade_identifier=t.trade_identifier,
    )
    return m.BusinessEvent(
        instruction=[
            m.Instruction(primitive_instruction=m.PrimitiveInstruction(execution=execution))
        ],
        after=[state],
        event_date=t.trade_date.value if t.trade_date else None,
    )


def termination_event(before: m.TradeState, on: date) -> m.BusinessEvent:
    """A termination by agreement: a quantity change replacing every quantity by zero."""
    lot = before.trade.tradable_product.trade_lot[0].price_quantity[0]
    zero = m.PriceQuantity(
        quantity=[
            m.FieldWithMetaQuantity(m.Measure(value=0.0, unit=q.value.unit)) for q in lot.quantity
        ]
    )
    return m.BusinessEvent(
        instruction=[
            m.Instruction(
                primitive_instruction=m.PrimitiveInstruction(
                    quantity_change=m.QuantityChangeInstruction(change=[zero], direction="Replace")
                ),
                before=before,
            )
        ],
        event_date=on,
        intent="EarlyTerminationProvision",
    )

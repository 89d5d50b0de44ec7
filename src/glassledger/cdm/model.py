"""A small typed model of the ISDA Common Domain Model (CDM) JSON: the types glassledger
reads and writes, with the CDM's names and shapes (msgspec Structs, camelCase on the wire).

Shapes follow the CDM 5 JSON serialisation (the one the Java/Rosetta tooling writes and the
existing SA-CCR fixture uses: ``rateSpecification.fixedRate``/``floatingRate``,
``exerciseTerms.optionStyle.europeanExercise``) plus CDM 6's ``SettlementPayout`` for
FX forwards. Wrappers such as ``FieldWithMetaString`` (``{"value": ...}``) are kept so the
JSON is the CDM's, not a look-alike. Only the fields glassledger maps are modelled; unknown
fields in an input are ignored on read (CDM files carry much more) and not written back.

Numbers are JSON numbers (a number written as text is rejected); dates are ISO
``YYYY-MM-DD``. Everything optional in the CDM is optional here; the mapping
(:mod:`glassledger.cdm.mapping`) says which fields a template needs.
"""

from __future__ import annotations

from datetime import date

import msgspec


class Base(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Common options: camelCase names, absent fields omitted on write."""


# -- wrappers and identifiers -------------------------------------------------------------
class FieldWithMetaString(Base):
    value: str


class FieldWithMetaDate(Base):
    value: date


class Meta(Base):
    external_key: str | None = None
    global_key: str | None = None


class AssignedIdentifier(Base):
    identifier: FieldWithMetaString


class TradeIdentifier(Base):
    """``tradeIdentifier``: the UTI when ``identifierType`` is ``UniqueTransactionIdentifier``."""

    assigned_identifier: list[AssignedIdentifier]
    issuer: FieldWithMetaString | None = None
    identifier_type: str | None = None


class PartyIdentifier(Base):
    identifier: FieldWithMetaString
    identifier_type: str | None = None  # "LEI" for a legal entity identifier


class Party(Base):
    party_id: list[PartyIdentifier]
    name: FieldWithMetaString | None = None
    meta: Meta | None = None


class PartyReference(Base):
    external_reference: str


class Counterparty(Base):
    """``role`` is ``Party1`` or ``Party2`` (CounterpartyRoleEnum)."""

    role: str
    party_reference: PartyReference


class PartyRole(Base):
    """``partyRole``: e.g. ``ReportingParty``, ``Guarantor`` (PartyRoleEnum)."""

    party_reference: PartyReference
    role: str


# -- price and quantity -------------------------------------------------------------------
class UnitType(Base):
    currency: FieldWithMetaString | None = None
    financial_unit: str | None = None


class Measure(Base):
    value: float
    unit: UnitType | None = None


class FieldWithMetaQuantity(Base):
    value: Measure


class Price(Base):
    value: float
    unit: UnitType | None = None
    per_unit_of: UnitType | None = None
    price_type: str | None = None  # PriceTypeEnum: ExchangeRate, InterestRate, Premium...


class FieldWithMetaPrice(Base):
    value: Price


class PriceQuantity(Base):
    price: list[FieldWithMetaPrice] = []
    quantity: list[FieldWithMetaQuantity] = []


class TradeLot(Base):
    price_quantity: list[PriceQuantity]


# -- dates --------------------------------------------------------------------------------
class AdjustableDate(Base):
    unadjusted_date: date


class AdjustableOrRelativeDate(Base):
    adjustable_date: AdjustableDate


class CalculationPeriodDates(Base):
    effective_date: AdjustableOrRelativeDate | None = None
    termination_date: AdjustableOrRelativeDate | None = None


class Frequency(Base):
    """``period``: D, W, M, Y (PeriodExtendedEnum)."""

    period_multiplier: int
    period: str


class PaymentDates(Base):
    payment_frequency: Frequency


# -- payouts ------------------------------------------------------------------------------
class PayerReceiver(Base):
    """Counterparty roles (Party1/Party2) of who pays and who receives the payout."""

    payer: str
    receiver: str


class BuyerSeller(Base):
    buyer: str
    seller: str


class RateSchedule(Base):
    price: Price


class FixedRateSpecification(Base):
    rate_schedule: RateSchedule


class FloatingRateOption(Base):
    floating_rate_index: str


class FieldWithMetaRateOption(Base):
    value: FloatingRateOption


class SpreadSchedule(Base):
    price: Price


class FloatingRateSpecification(Base):
    rate_option: FieldWithMetaRateOption
    spread_schedule: list[SpreadSchedule] = []


class RateSpecification(Base):
    fixed_rate: FixedRateSpecification | None = None
    floating_rate: FloatingRateSpecification | None = None


class InterestRatePayout(Base):
    payer_receiver: PayerReceiver | None = None
    rate_specification: RateSpecification | None = None
    day_count_fraction: FieldWithMetaString | None = None
    calculation_period_dates: CalculationPeriodDates | None = None
    payment_dates: PaymentDates | None = None


class SettlementDate(Base):
    value_date: date | None = None


class SettlementTerms(Base):
    """``settlementType``: ``Cash`` or ``Physical`` (SettlementTypeEnum)."""

    settlement_type: str | None = None
    settlement_date: SettlementDate | None = None
    settlement_currency: FieldWithMetaString | None = None


class AssetIdentifier(Base):
    identifier: FieldWithMetaString
    identifier_type: str | None = None


class Asset(Base):
    identifier: list[AssetIdentifier]


class QuotedCurrencyPair(Base):
    """``quoteBasis`` ``Currency2PerCurrency1``: the rate is currency2 per unit of currency1."""

    currency1: FieldWithMetaString
    currency2: FieldWithMetaString
    quote_basis: str = "Currency2PerCurrency1"


class Underlier(Base):
    """One of: an equity ``security``, a ``commodity``, an FX ``currencyPair``."""

    security: Asset | None = None
    commodity: Asset | None = None
    currency_pair: QuotedCurrencyPair | None = None


class SettlementPayout(Base):
    """FX forward (CDM 6): the payer delivers the underlier (the base currency) at the value
    date to the receiver, against the forward price in the trade lot."""

    payer_receiver: PayerReceiver | None = None
    settlement_terms: SettlementTerms | None = None
    underlier: Underlier | None = None


class EuropeanExercise(Base):
    expiration_date: list[AdjustableOrRelativeDate]


class OptionStyle(Base):
    european_exercise: EuropeanExercise | None = None


class ExerciseTerms(Base):
    option_style: OptionStyle


class OptionStrike(Base):
    strike_price: Price


class OptionPayout(Base):
    """``optionType``: ``Call`` or ``Put``."""

    buyer_seller: BuyerSeller | None = None
    option_type: str | None = None
    exercise_terms: ExerciseTerms | None = None
    strike: OptionStrike | None = None
    settlement_terms: SettlementTerms | None = None
    underlier: Underlier | None = None


class ReferenceEntity(Base):
    name: FieldWithMetaString


class ReferenceInformation(Base):
    reference_entity: ReferenceEntity


class IndexReferenceInformation(Base):
    index_name: FieldWithMetaString


class GeneralTerms(Base):
    reference_information: ReferenceInformation | None = None
    index_reference_information: IndexReferenceInformation | None = None


class CreditDefaultPayout(Base):
    """The payer of a credit default payout is the protection seller."""

    payer_receiver: PayerReceiver | None = None
    general_terms: GeneralTerms | None = None


class Payout(Base):
    interest_rate_payout: list[InterestRatePayout] = []
    settlement_payout: list[SettlementPayout] = []
    option_payout: list[OptionPayout] = []
    credit_default_payout: CreditDefaultPayout | None = None


class EconomicTerms(Base):
    payout: Payout
    effective_date: AdjustableDate | None = None
    termination_date: AdjustableDate | None = None


class ProductIdentifier(Base):
    identifier: FieldWithMetaString
    source: str | None = None  # "UPI" (ProductIdSourceEnum)


class ContractualProduct(Base):
    economic_terms: EconomicTerms
    product_identifier: list[ProductIdentifier] = []


class Product(Base):
    contractual_product: ContractualProduct


class TradableProduct(Base):
    product: Product
    trade_lot: list[TradeLot] = []
    counterparty: list[Counterparty] = []


# -- trade, state, events -----------------------------------------------------------------
class Trade(Base):
    trade_identifier: list[TradeIdentifier]
    tradable_product: TradableProduct
    party: list[Party] = []
    party_role: list[PartyRole] = []
    trade_date: FieldWithMetaDate | None = None


class State(Base):
    """``positionState``: Executed, Settled, Cancelled, Closed (PositionStatusEnum)."""

    position_state: str | None = None
    closed_state: str | None = None  # ClosedStateEnum: Matured, Terminated, Novated...


class TradeState(Base):
    trade: Trade
    state: State | None = None


class ExecutionInstruction(Base):
    product: Product
    price_quantity: list[PriceQuantity]
    counterparty: list[Counterparty]
    parties: list[Party]
    trade_date: FieldWithMetaDate
    trade_identifier: list[TradeIdentifier]


class QuantityChangeInstruction(Base):
    """``direction``: Increase, Decrease, Replace; a termination replaces quantity by 0."""

    change: list[PriceQuantity]
    direction: str


class PartyChangeInstruction(Base):
    """Novation: ``counterparty`` is the role the step-in party takes."""

    counterparty: Counterparty
    trade_id: list[TradeIdentifier]


class ExerciseInstruction(Base):
    exercise_date: FieldWithMetaDate | None = None


class Transfer(Base):
    quantity: Measure
    payer_receiver: PayerReceiver
    settlement_date: FieldWithMetaDate | None = None


class TransferInstruction(Base):
    transfer_state: list[Transfer] = []


class PrimitiveInstruction(Base):
    execution: ExecutionInstruction | None = None
    quantity_change: QuantityChangeInstruction | None = None
    party_change: PartyChangeInstruction | None = None
    exercise: ExerciseInstruction | None = None
    transfer: TransferInstruction | None = None


class Instruction(Base):
    primitive_instruction: PrimitiveInstruction
    before: TradeState | None = None


class BusinessEvent(Base):
    """``intent``: EventIntentEnum (e.g. ``ContractTermsAmendment``, ``Novation``,
    ``EarlyTerminationProvision``, ``OptionExercise``)."""

    instruction: list[Instruction]
    after: list[TradeState] = []
    event_date: date | None = None
    intent: str | None = None

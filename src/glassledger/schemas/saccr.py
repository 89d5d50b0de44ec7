"""SA-CCR input tables: trades, netting sets, margin agreements, collateral, FX rates.

Amounts are in the netting set's currency (the reporting currency unless the netting-set table
says otherwise and the trade is converted with an FX rate), floats in major units; times are
years from the calculation date. Market values are the bank's view: positive means the
counterparty owes the bank. See ``docs/risk-saccr.md`` for the meaning of each field.
"""

from __future__ import annotations

import pandas as pd

from glassledger.schemas._core import Field, RowRule, Table

ASSET_CLASSES = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY")
INSTRUMENTS = ("LINEAR", "OPTION", "TRANCHE")
POSITIONS = ("LONG", "SHORT")
OPTION_TYPES = ("CALL", "PUT")
NAN = float("nan")


def _given(frame: pd.DataFrame, *columns: str) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column in columns:
        mask &= frame[column].notna()
    return mask


def _not_after(early: str, late: str):
    """Row test: ``frame[early] <= frame[late]`` where both are given."""

    def test(frame: pd.DataFrame) -> pd.Series:
        return ~_given(frame, early, late) | (frame[early] <= frame[late])

    return test


TRADES = Table(
    name="SA-CCR trades",
    doc="One row per derivative trade (CRE52). The first argument of `glassledger risk saccr`.",
    key="trade_id",
    fields=(
        Field("trade_id", "id", "unique trade identifier", unique=True),
        Field("netting_set", "id", "netting set the trade belongs to"),
        Field(
            "asset_class",
            "code",
            "primary risk driver (CRE52.40)",
            isin=ASSET_CLASSES,
        ),
        Field(
            "instrument",
            "code",
            "LINEAR, OPTION or TRANCHE (CDO tranche, nth-to-default); blank = LINEAR",
            default="LINEAR",
            isin=INSTRUMENTS,
        ),
        Field(
            "position",
            "code",
            "LONG or SHORT in the primary risk factor; options: LONG = bought; credit and "
            "tranches: LONG = protection bought",
            isin=POSITIONS,
        ),
        Field(
            "notional",
            "float",
            "trade notional (CRE52.34-36); direction in 'position'",
            unit="currency units",
            ge=0.0,
        ),
        Field(
            "notional_currency",
            "code",
            "currency of notional and mtm when it is not the netting set's (converted with "
            "--fx-rate); blank = the netting set's currency",
            default="",
        ),
        Field("mtm", "float", "market value to the bank", unit="currency units", default=0.0),
        Field(
            "maturity",
            "float",
            "M: years until the last day the contract may be active",
            unit="years",
            gt=0.0,
        ),
        Field(
            "start",
            "float",
            "S: years until the referenced period starts (IR, credit)",
            unit="years",
            default=0.0,
        ),
        Field(
            "end",
            "float",
            "E: years until the referenced period ends (IR, credit)",
            unit="years",
            default=NAN,
        ),
        Field(
            "exercise",
            "float",
            "T: years until the latest exercise date (options)",
            unit="years",
            default=NAN,
            gt=0.0,
        ),
        Field(
            "currency",
            "code",
            "IR: currency of the hedging set; FX: optional, in the pair",
            default="",
        ),
        Field("currency_pair", "code", "FX: currency pair such as EUR/USD", default=""),
        Field(
            "reference",
            "text",
            "credit/equity: entity or index; commodity: commodity type",
            default="",
        ),
        Field(
            "subclass",
            "code",
            "rating / IG, SG / SINGLE, INDEX / commodity class (CRE52.72 Table 2)",
            default="",
        ),
        Field(
            "basis",
            "text",
            "name of the basis (two risk factors) for basis transactions",
            default="",
        ),
        Field(
            "volatility",
            "bool",
            "true for volatility transactions (variance swaps ...)",
            default=False,
        ),
        Field("option_type", "code", "CALL or PUT (options)", default="", isin=(*OPTION_TYPES, "")),
        Field(
            "underlying_price", "float", "P: forward price or rate of the underlying", default=NAN
        ),
        Field("strike", "float", "K: strike price or rate", default=NAN),
        Field(
            "lambda_shift",
            "float",
            "lambda: negative-rate shift of P and K (CRE52 only)",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "attachment",
            "float",
            "A: tranche attachment point",
            unit="decimal",
            default=NAN,
            ge=0.0,
            lt=1.0,
        ),
        Field(
            "detachment",
            "float",
            "D: tranche detachment point",
            unit="decimal",
            default=NAN,
            gt=0.0,
            le=1.0,
        ),
        Field(
            "margin_agreement",
            "id",
            "VM agreement covering the trade inside a netting set with several (CRE52.74)",
            default="",
        ),
        Field(
            "premium_paid",
            "bool",
            "sold option whose premium was paid up front: EAD 0 if alone (CRE52.1 FAQ1)",
            default=False,
        ),
        Field(
            "settled_daily",
            "bool",
            "settled every business day (such as futures): unmargined, M for the maturity "
            "factor is the time to the next reset, one business day, floored at 10: MF 0.2 "
            "(CRE52.37(5), CRE52.32 FAQ1)",
            default=False,
        ),
        Field(
            "unpaid_premium",
            "float",
            "protection sold: premia still to receive; caps EAD if alone (CRE52.1 FAQ2)",
            unit="currency units",
            default=NAN,
            ge=0.0,
        ),
    ),
    rules=(
        RowRule(
            "exercise",
            "the exercise date T is after the maturity M",
            _not_after("exercise", "maturity"),
        ),
        RowRule(
            "maturity", "the maturity M is before the start S", _not_after("start", "maturity")
        ),
        RowRule(
            "detachment",
            "the detachment point D is not above the attachment point A",
            lambda f: ~_given(f, "attachment", "detachment") | (f["detachment"] > f["attachment"]),
        ),
    ),
)

NETTING_SETS = Table(
    name="SA-CCR netting sets",
    doc="Margin terms per netting set (`--netting-sets`); a netting set without a row is "
    "unmargined with no collateral.",
    key="netting_set",
    min_rows=0,
    fields=(
        Field("netting_set", "id", "netting set identifier", unique=True),
        Field(
            "currency",
            "code",
            "currency of the netting set's amounts; trades in another notional_currency are "
            "converted with --fx-rate (blank = the reporting currency)",
            default="",
        ),
        Field("margined", "bool", "true if the counterparty posts variation margin", default=False),
        Field(
            "variation_margin",
            "float",
            "net VM held, haircut value: + received, - posted",
            unit="currency units",
            default=0.0,
        ),
        Field(
            "im_received",
            "float",
            "initial margin / IA received, haircut value",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "im_posted_unsegregated",
            "float",
            "IM posted by the bank, not segregated",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "im_posted_segregated",
            "float",
            "IM posted to a segregated account (not NICA)",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "threshold",
            "float",
            "TH: threshold before the counterparty must post VM",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "mta",
            "float",
            "MTA: minimum transfer amount of the counterparty",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "mpor_days",
            "float",
            "estimated margin period of risk",
            unit="business days",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "remargin_days",
            "float",
            "re-margining period (1 = daily)",
            unit="business days",
            default=1.0,
            ge=1.0,
        ),
        Field(
            "cleared", "bool", "centrally cleared netting set (MPOR floor 5 days)", default=False
        ),
        Field(
            "illiquid",
            "bool",
            "illiquid collateral or hard-to-replace OTC derivative",
            default=False,
        ),
        Field("disputes", "int", "margin call disputes in the last two quarters", default=0, ge=0),
        Field(
            "shared_margin_agreement",
            "id",
            "margin agreement covering this and other netting sets (CRE52.75-77)",
            default="",
        ),
    ),
)

MARGIN_AGREEMENTS = Table(
    name="SA-CCR margin agreements",
    doc="Terms of the variation-margin agreements that trades name (CRE52.74), "
    "`--margin-agreements`.",
    key="margin_agreement",
    min_rows=0,
    fields=(
        Field(
            "margin_agreement", "id", "margin agreement identifier, as in the trades", unique=True
        ),
        Field(
            "variation_margin",
            "float",
            "net VM held, haircut value: + received, - posted",
            unit="currency units",
            default=0.0,
        ),
        Field(
            "threshold", "float", "TH of the agreement", unit="currency units", default=0.0, ge=0.0
        ),
        Field("mta", "float", "MTA of the agreement", unit="currency units", default=0.0, ge=0.0),
        Field(
            "mpor_days",
            "float",
            "estimated margin period of risk",
            unit="business days",
            default=0.0,
            ge=0.0,
        ),
        Field(
            "remargin_days",
            "float",
            "re-margining period (1 = daily)",
            unit="business days",
            default=1.0,
            ge=1.0,
        ),
        Field("cleared", "bool", "centrally cleared (MPOR floor 5 days)", default=False),
        Field(
            "illiquid",
            "bool",
            "illiquid collateral or hard-to-replace OTC derivative",
            default=False,
        ),
        Field("disputes", "int", "margin call disputes in the last two quarters", default=0, ge=0),
    ),
)

COLLATERAL_TYPES = (
    "SOVEREIGN",
    "OTHER_ISSUER",
    "SECURITISATION",
    "CASH",
    "MAIN_INDEX_EQUITY",
    "GOLD",
    "OTHER_EQUITY",
)

COLLATERAL = Table(
    name="SA-CCR collateral",
    doc="Collateral item by item, haircut with CRE22.49 (`--collateral`).",
    min_rows=0,
    fields=(
        Field("netting_set", "id", "netting set the collateral secures"),
        Field(
            "role", "code", "VM (variation margin) or IM (initial margin / IA)", isin=("VM", "IM")
        ),
        Field(
            "direction", "code", "RECEIVED by the bank or POSTED by it", isin=("RECEIVED", "POSTED")
        ),
        Field(
            "segregated",
            "bool",
            "posted IM in a bankruptcy-remote account (not NICA)",
            default=False,
        ),
        Field("amount", "float", "market value", unit="currency units", ge=0.0),
        Field("type", "code", "collateral type (CRE22.49)", isin=COLLATERAL_TYPES),
        Field(
            "rating", "code", "debt: issue rating band AAA-AA, A-BBB or BB (CRE22.49)", default=""
        ),
        Field(
            "residual_maturity",
            "float",
            "debt: residual maturity",
            unit="years",
            default=NAN,
            gt=0.0,
        ),
        Field(
            "currency_mismatch", "bool", "collateral currency differs: + 8% (Hfx)", default=False
        ),
    ),
)

FX_RATES = Table(
    name="FX rates",
    doc="Exchange rates for converting trades into their netting set's currency "
    "(`--fx-rates`): units of `quote` per unit of `base`.",
    key="base",
    fields=(
        Field("base", "code", "currency converted from (the trade's notional_currency)"),
        Field("quote", "code", "currency converted into (the netting set's currency)"),
        Field("rate", "float", "units of quote per unit of base", gt=0.0),
    ),
    rules=(
        RowRule("quote", "base and quote are the same currency", lambda f: f["base"] != f["quote"]),
    ),
)


def fx_table(rates: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``{(base, quote): rate}`` of a validated FX table, with the inverse pairs added."""
    out: dict[tuple[str, str], float] = {}
    for base, quote, rate in rates[["base", "quote", "rate"]].itertuples(index=False):
        out[(base, quote)] = float(rate)
        out.setdefault((quote, base), 1.0 / float(rate))
    return out


__all__ = [
    "ASSET_CLASSES",
    "COLLATERAL",
    "FX_RATES",
    "INSTRUMENTS",
    "MARGIN_AGREEMENTS",
    "NETTING_SETS",
    "OPTION_TYPES",
    "POSITIONS",
    "TRADES",
    "fx_table",
]

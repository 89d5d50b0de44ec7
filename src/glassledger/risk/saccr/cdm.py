"""ISDA CDM trades into the SA-CCR trade table, read with the typed model of
:mod:`glassledger.cdm` (the one CDM reader of glassledger; see docs/cdm.md).

Supported products: interest rate swaps with one fixed and one floating ``interestRatePayout``
and single-name or index credit default swaps (``creditDefaultPayout``). Anything else raises
:class:`~glassledger.errors.InputError` naming the trade and the CDM path: never a silent drop.
Bad dates and numbers written as text are refused by the reader with the JSON path.

CDM carries neither market values nor credit ratings, so each trade comes in a small
envelope::

    {"trade": { ...CDM Trade... }, "mtm": 12.5, "netting_set": "NS-1", "subclass": "AA"}

``netting_set`` defaults to the counterparty's party id; ``subclass`` is required for credit
(rating AAA-CCC for single names, IG/SG for indices). A file holds one envelope or a list.
Times are ACT/365 years from ``as_of``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from glassledger.cdm import model as m
from glassledger.cdm.io import convert
from glassledger.cdm.mapping import party_roles, trade_id
from glassledger.errors import InputError


def _years(day: date, as_of: date) -> float:
    return (day - as_of).days / 365.0


def _number(value: Any, trade_id: str, source: str, field: str) -> float:
    """A finite number from an envelope value (a JSON number)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            "not a finite number", source=source, row=trade_id, field=field, value=value
        )
    return float(value)


def _missing(trade_id: str, source: str, field: str) -> InputError:
    return InputError("CDM path not found", source=source, row=trade_id, field=field)


def cdm_trade_row(
    envelope: dict,
    *,
    as_of: date,
    bank_party: str,
    source: str = "CDM",
    reporting_currency: str | None = None,
    fx_rates: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Map one CDM envelope to a row of the SA-CCR trade table (see module docstring)."""
    trade = convert(envelope.get("trade", envelope), m.Trade, source=source, prefix="trade")
    tid = trade_id(trade)
    roles = party_roles(trade, source=source)
    if bank_party not in roles.values():
        raise InputError(
            "the bank is not a party to the trade",
            source=source,
            row=tid,
            field="party",
            value=bank_party,
        )
    other = next(p for p in roles.values() if p != bank_party)
    tp = trade.tradable_product
    if not tp.trade_lot or not tp.trade_lot[0].price_quantity:
        raise _missing(tid, source, "tradableProduct.tradeLot.0.priceQuantity")
    quantities = tp.trade_lot[0].price_quantity[0].quantity
    if not quantities:
        raise _missing(tid, source, "tradableProduct.tradeLot.0.priceQuantity.0.quantity")
    quantity = quantities[0].value
    if quantity.unit is None or quantity.unit.currency is None:
        raise _missing(tid, source, "quantity.value.unit.currency.value")
    currency = quantity.unit.currency.value
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise InputError(
            "the notional currency is not an ISO 4217 code (three capital letters)",
            source=source,
            row=tid,
            field="quantity.value.unit.currency.value",
            value=currency,
        )
    payout = tp.product.contractual_product.economic_terms.payout
    econ = tp.product.contractual_product.economic_terms
    rate = 1.0
    if reporting_currency is not None and currency != reporting_currency:
        if currency not in (fx_rates or {}):
            raise InputError(
                f"inconsistent currencies: notional in {currency}, reporting currency "
                f"{reporting_currency}, and no FX rate for {currency}",
                source=source,
                row=tid,
                field="currency",
                value=currency,
            )
        rate = float(fx_rates[currency])
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(
                "FX rate must be a positive number", field="fx_rates", value=rate, row=currency
            )
    row: dict[str, Any] = {
        "trade_id": tid,
        "netting_set": envelope.get("netting_set", other),
        "notional": _number(quantity.value, tid, source, "quantity.value") * rate,
        "mtm": _number(envelope.get("mtm", 0.0), tid, source, "mtm"),
        "currency": currency,
    }
    if payout.credit_default_payout is not None:
        cds = payout.credit_default_payout
        terms = cds.general_terms
        if terms is None:
            raise _missing(tid, source, "creditDefaultPayout.generalTerms")
        if terms.index_reference_information is not None:
            reference = terms.index_reference_information.index_name.value
        elif terms.reference_information is not None:
            reference = terms.reference_information.reference_entity.name.value
        else:
            raise _missing(tid, source, "generalTerms.referenceInformation")
        if cds.payer_receiver is None:
            raise _missing(tid, source, "creditDefaultPayout.payerReceiver")
        # CDM: the payer of the credit default payout is the protection seller.
        seller = roles.get(cds.payer_receiver.payer)
        if econ.termination_date is None:
            raise _missing(tid, source, "economicTerms.terminationDate.unadjustedDate")
        end = _years(econ.termination_date.unadjusted_date, as_of)
        if "subclass" not in envelope:
            raise InputError(
                "credit trades need the rating or IG/SG as 'subclass'",
                source=source,
                row=tid,
                field="subclass",
            )
        row |= {
            "asset_class": "CREDIT",
            "position": "SHORT" if seller == bank_party else "LONG",
            "reference": reference,
            "subclass": envelope["subclass"],
            "start": 0.0,
            "end": end,
            "maturity": end,
        }
    elif payout.interest_rate_payout:
        legs = payout.interest_rate_payout
        fixed = [g for g in legs if g.rate_specification and g.rate_specification.fixed_rate]
        if len(legs) != 2 or len(fixed) != 1:
            raise InputError(
                "only fixed-floating swaps are mapped",
                source=source,
                row=tid,
                field="payout.interestRatePayout",
            )
        dates = fixed[0].calculation_period_dates
        if dates is None or dates.effective_date is None:
            raise _missing(tid, source, "effectiveDate.adjustableDate.unadjustedDate")
        if dates.termination_date is None:
            raise _missing(tid, source, "terminationDate.adjustableDate.unadjustedDate")
        if fixed[0].payer_receiver is None:
            raise _missing(tid, source, "payerReceiver.payer")
        fixed_payer = roles.get(fixed[0].payer_receiver.payer)
        start = _years(dates.effective_date.adjustable_date.unadjusted_date, as_of)
        end = _years(dates.termination_date.adjustable_date.unadjusted_date, as_of)
        row |= {
            "asset_class": "IR",
            "position": "LONG" if fixed_payer == bank_party else "SHORT",
            "start": max(start, 0.0),
            "end": end,
            "maturity": end,
        }
    else:
        raise InputError(
            "unsupported CDM payout for SA-CCR (mapped: interestRatePayout, creditDefaultPayout)",
            source=source,
            row=tid,
            field="payout",
        )
    return row


def trades_from_cdm(
    envelopes: list[dict],
    *,
    as_of: str | date,
    bank_party: str,
    source: str = "CDM",
    reporting_currency: str | None = None,
    fx_rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Map CDM envelopes to an (unvalidated) SA-CCR trade table.

    Notionals are converted to ``reporting_currency`` with ``fx_rates`` (units of the
    reporting currency per unit of the notional currency); a notional in another currency
    without a rate is an InputError. Without ``reporting_currency`` notionals are taken as
    they are, which is refused when one netting set has notionals in two currencies; a
    currency that is not a three-letter ISO code is refused. ``mtm`` in the envelope must
    already be in the reporting currency.
    """
    try:
        day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    except ValueError:
        raise InputError(
            "the calculation date --as-of is not a date (write YYYY-MM-DD)",
            field="as_of",
            value=as_of,
        ) from None
    if not isinstance(envelopes, list) or not all(isinstance(e, dict) for e in envelopes):
        raise InputError("expected a CDM envelope (a JSON object) or a list of them", source=source)
    rows = [
        cdm_trade_row(
            e,
            as_of=day,
            bank_party=bank_party,
            source=source,
            reporting_currency=reporting_currency,
            fx_rates=fx_rates,
        )
        for e in envelopes
    ]
    if reporting_currency is None:
        _one_currency_per_netting_set(rows, source)
    return pd.DataFrame(rows)


def _one_currency_per_netting_set(rows: list[dict[str, Any]], source: str) -> None:
    """Without a reporting currency nothing is converted, so a netting set whose notionals
    are in two currencies would add them up as if they were one: refused, naming the trade."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen = first.setdefault(row["netting_set"], row)
        if seen["currency"] != row["currency"]:
            raise InputError(
                f"netting set {row['netting_set']!r} has notionals in {seen['currency']} "
                f"(trade {seen['trade_id']}) and {row['currency']}, and no reporting currency "
                "to convert them into",
                source=source,
                row=row["trade_id"],
                field="currency",
                value=row["currency"],
                hint="give --reporting-currency and --fx-rate CCY=rate",
            )


def load_cdm_trades(
    path: str | Path,
    *,
    as_of: str | date,
    bank_party: str,
    reporting_currency: str | None = None,
    fx_rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Read a JSON file of CDM envelopes (one or a list) into an SA-CCR trade table."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read CDM JSON: {exc}", source=path.name) from exc
    envelopes = data if isinstance(data, list) else [data]
    return trades_from_cdm(
        envelopes,
        as_of=as_of,
        bank_party=bank_party,
        source=path.name,
        reporting_currency=reporting_currency,
        fx_rates=fx_rates,
    )

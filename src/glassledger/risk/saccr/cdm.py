"""A minimal mapping from ISDA CDM (JSON, CDM 5/6 ``Trade`` shape) to the SA-CCR trade table.

Supported products: interest rate swaps with one fixed and one floating ``interestRatePayout``
and single-name or index credit default swaps (``creditDefaultPayout``). Anything else raises
:class:`~glassledger.errors.InputError` naming the trade and the CDM path: never a silent drop.

CDM carries neither market values nor credit ratings, so each trade comes in a small
envelope::

    {"trade": { ...CDM Trade... }, "mtm": 12.5, "netting_set": "NS-1", "subclass": "AA"}

``netting_set`` defaults to the counterparty's party id; ``subclass`` is required for credit
(rating AAA-CCC for single names, IG/SG for indices). A file holds one envelope or a list.
Read paths (all under ``trade``): ``tradeIdentifier[0].assignedIdentifier[0].identifier.value``;
``party[*].partyId[0].identifier.value`` with ``party[*].meta.externalKey``;
``tradableProduct.counterparty[*].{role, partyReference.externalReference}``;
``tradableProduct.tradeLot[0].priceQuantity[0].quantity[0].value.{value, unit.currency.value}``;
``tradableProduct.product.contractualProduct.economicTerms.payout``. Times are ACT/365 years
from ``as_of``.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from glassledger.errors import InputError

_ECONOMIC = ("tradableProduct", "product", "contractualProduct", "economicTerms")


def _get(node: Any, path: tuple[str | int, ...], trade_id: str, source: str) -> Any:
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise InputError(
                "CDM path not found",
                source=source,
                row=trade_id,
                field=".".join(str(p) for p in path),
            ) from None
    return node


def _years(text: Any, as_of: date, trade_id: str, source: str, field: str) -> float:
    """ACT/365 years from ``as_of`` to the ISO date ``text``; InputError if not a date."""
    try:
        return (date.fromisoformat(str(text)) - as_of).days / 365.0
    except ValueError:
        raise InputError(
            "not a date (write YYYY-MM-DD)", source=source, row=trade_id, field=field, value=text
        ) from None


def _number(value: Any, trade_id: str, source: str, field: str) -> float:
    """A finite number from a CDM value (a JSON number or numeric text)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not math.isfinite(number) or isinstance(value, bool):
        raise InputError(
            "not a finite number", source=source, row=trade_id, field=field, value=value
        )
    return number


def _party_roles(trade: dict, trade_id: str, source: str) -> dict[str, str]:
    """Counterparty role (Party1/Party2) -> party id."""
    keys = {
        p.get("meta", {}).get("externalKey"): _get(
            p, ("partyId", 0, "identifier", "value"), trade_id, source
        )
        for p in _get(trade, ("party",), trade_id, source)
    }
    roles = {}
    for cp in _get(trade, ("tradableProduct", "counterparty"), trade_id, source):
        ref = _get(cp, ("partyReference", "externalReference"), trade_id, source)
        roles[cp["role"]] = keys.get(ref, ref)
    return roles


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
    trade = envelope.get("trade", envelope)
    trade_id = str(
        _get(
            trade,
            ("tradeIdentifier", 0, "assignedIdentifier", 0, "identifier", "value"),
            "?",
            source,
        )
    )
    roles = _party_roles(trade, trade_id, source)
    if bank_party not in roles.values():
        raise InputError(
            "the bank is not a party to the trade",
            source=source,
            row=trade_id,
            field="party",
            value=bank_party,
        )
    other = next(p for p in roles.values() if p != bank_party)
    quantity = _get(
        trade,
        ("tradableProduct", "tradeLot", 0, "priceQuantity", 0, "quantity", 0, "value"),
        trade_id,
        source,
    )
    payout = _get(trade, (*_ECONOMIC, "payout"), trade_id, source)
    currency = _get(quantity, ("unit", "currency", "value"), trade_id, source)
    rate = 1.0
    if reporting_currency is not None and currency != reporting_currency:
        if currency not in (fx_rates or {}):
            raise InputError(
                f"inconsistent currencies: notional in {currency}, reporting currency "
                f"{reporting_currency}, and no FX rate for {currency}",
                source=source,
                row=trade_id,
                field="currency",
                value=currency,
            )
        rate = float(fx_rates[currency])
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(
                "FX rate must be a positive number", field="fx_rates", value=rate, row=currency
            )
    row: dict[str, Any] = {
        "trade_id": trade_id,
        "netting_set": envelope.get("netting_set", other),
        "notional": _number(
            _get(quantity, ("value",), trade_id, source), trade_id, source, "quantity.value"
        )
        * rate,
        "mtm": _number(envelope.get("mtm", 0.0), trade_id, source, "mtm"),
        "currency": currency,
    }
    if "interestRatePayout" in payout:
        legs = payout["interestRatePayout"]
        fixed = [leg for leg in legs if "fixedRate" in leg.get("rateSpecification", {})]
        if len(legs) != 2 or len(fixed) != 1:
            raise InputError(
                "only fixed-floating swaps are mapped",
                source=source,
                row=trade_id,
                field="payout.interestRatePayout",
            )
        dates = fixed[0].get("calculationPeriodDates", {})
        start = _get(dates, ("effectiveDate", "adjustableDate", "unadjustedDate"), trade_id, source)
        end = _get(dates, ("terminationDate", "adjustableDate", "unadjustedDate"), trade_id, source)
        fixed_payer = roles.get(_get(fixed[0], ("payerReceiver", "payer"), trade_id, source))
        start_years = _years(start, as_of, trade_id, source, "effectiveDate")
        end_years = _years(end, as_of, trade_id, source, "terminationDate")
        row |= {
            "asset_class": "IR",
            "position": "LONG" if fixed_payer == bank_party else "SHORT",
            "start": max(start_years, 0.0),
            "end": end_years,
            "maturity": end_years,
        }
    elif "creditDefaultPayout" in payout:
        cds = payout["creditDefaultPayout"]
        terms = _get(cds, ("generalTerms",), trade_id, source)
        if "indexReferenceInformation" in terms:
            reference = _get(
                terms, ("indexReferenceInformation", "indexName", "value"), trade_id, source
            )
        else:
            reference = _get(
                terms,
                ("referenceInformation", "referenceEntity", "name", "value"),
                trade_id,
                source,
            )
        # CDM: the payer of the credit default payout is the protection seller.
        seller = roles.get(_get(cds, ("payerReceiver", "payer"), trade_id, source))
        end = _get(trade, (*_ECONOMIC, "terminationDate", "unadjustedDate"), trade_id, source)
        if "subclass" not in envelope:
            raise InputError(
                "credit trades need the rating or IG/SG as 'subclass'",
                source=source,
                row=trade_id,
                field="subclass",
            )
        row |= {
            "asset_class": "CREDIT",
            "position": "SHORT" if seller == bank_party else "LONG",
            "reference": reference,
            "subclass": envelope["subclass"],
            "start": 0.0,
            "end": _years(end, as_of, trade_id, source, "terminationDate"),
            "maturity": _years(end, as_of, trade_id, source, "terminationDate"),
        }
    else:
        raise InputError(
            "unsupported CDM payout (mapped: interestRatePayout, creditDefaultPayout)",
            source=source,
            row=trade_id,
            field="payout",
            value=sorted(payout),
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
    they are. ``mtm`` in the envelope must already be in the reporting currency.
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
    return pd.DataFrame(rows)


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

"""Read netting sets and trades off the ledger as SA-CCR, expected-loss and contagion inputs.

The ``trades`` contract (:mod:`glassledger.contracts.trades`) is the single on-ledger source.
Every netting set between ``party_a`` and ``party_b`` yields two *directed* netting sets,
``"<id>|<party>"``: ``party``'s exposure to ``counterparty``. The ``party_a`` direction takes the
recorded figures; the ``party_b`` direction mirrors them (market value negated, positions
flipped, variation margin negated, initial margin received and posted swapped; margin that
``party_a`` posted segregated counts as received by ``party_b``, and what ``party_a`` received
counts as posted unsegregated by ``party_b`` — the conservative reading when segregation is not
recorded).

Units: amounts leave the ledger as integers in minor units of the netting set's currency and
enter the analytics in major units (divided by ``10**decimals`` of that token, 2 when the
currency is not a token); times become years (365-day) from the netting set's measurement time,
``updated_ms`` (the block time of its last event), so a replay at any height gives the same
figures; ``_e8`` integers are divided by ``1e8``; basis points by ``1e4``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec
import numpy as np
import pandas as pd

from glassledger.contracts.trades import NAME as TRADES

MS_PER_YEAR = 365 * 86_400_000
_decode = msgspec.msgpack.decode
_NS_PREFIX = f"{TRADES}/ns/".encode()
_TRADE_PREFIX = f"{TRADES}/tr/".encode()
_MARKS_PREFIX = f"{TRADES}/mk/".encode()


def directed_id(netting_set: str, party: str) -> str:
    return f"{netting_set}|{party}"


def _decimals(state: Mapping[bytes, bytes], currency: str) -> int:
    raw = state.get(f"token/t/{currency}".encode())
    return 2 if raw is None else _decode(raw)["decimals"]


def read_records(
    state: Mapping[bytes, bytes], netting_sets: Iterable[str] | None = None
) -> tuple[dict[str, dict], list[dict]]:
    """Netting sets (by id) and their open trades from a state mapping (optionally only
    ``netting_sets``)."""
    wanted = None if netting_sets is None else set(netting_sets)
    sets: dict[str, dict] = {}
    trades: list[dict] = []
    marks: dict[str, dict[str, int]] = {}
    for key, raw in state.items():
        if key.startswith(_MARKS_PREFIX):
            marks[key[len(_MARKS_PREFIX) :].decode()] = _decode(raw)
        elif key.startswith(_NS_PREFIX):
            record = _decode(raw)
            if wanted is None or record["id"] in wanted:
                sets[record["id"]] = record
        elif key.startswith(_TRADE_PREFIX):
            record = _decode(raw)
            if record["status"] == "open" and (wanted is None or record["netting_set"] in wanted):
                trades.append(record)
    for record in trades:  # bulk marks (trades.mark_many) override the records' mtm
        record["mtm"] = marks.get(record["netting_set"], {}).get(record["id"], record["mtm"])
    return sets, trades


def portfolio_tables(
    state: Mapping[bytes, bytes], netting_sets: Iterable[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(trades, netting_sets, credit_terms)`` for every directed netting set.

    ``trades`` and ``netting_sets`` follow the SA-CCR schemas
    (``TRADE_COLUMNS`` and ``NETTING_SET_COLUMNS`` of :mod:`glassledger.risk.saccr`);
    ``credit_terms`` has ``netting_set``, ``party``, ``counterparty``, ``guarantor``,
    ``guarantee_amount`` (major units) for expected loss and contagion.
    """
    sets, open_trades = read_records(state, netting_sets)
    scale = {ns_id: 10.0 ** _decimals(state, ns["currency"]) for ns_id, ns in sets.items()}
    ns_rows, term_rows = [], []
    for ns_id, ns in sorted(sets.items()):
        k = scale[ns_id]
        a, b = ns["party_a"], ns["party_b"]
        common = {
            "margined": ns["margined"],
            "threshold": ns["threshold"] / k,
            "mta": ns["mta"] / k,
            "mpor_days": float(ns["mpor_days"]),
            "cleared": ns["cleared"],
        }
        ns_rows.append(
            {
                "netting_set": directed_id(ns_id, a),
                "variation_margin": ns["variation_margin"] / k,
                "im_received": ns["im_received"] / k,
                "im_posted_unsegregated": ns["im_posted"] / k,
                "im_posted_segregated": ns["im_posted_segregated"] / k,
                **common,
            }
        )
        ns_rows.append(
            {
                "netting_set": directed_id(ns_id, b),
                "variation_margin": -ns["variation_margin"] / k,
                "im_received": (ns["im_posted"] + ns["im_posted_segregated"]) / k,
                "im_posted_unsegregated": ns["im_received"] / k,
                "im_posted_segregated": 0.0,
                **common,
            }
        )
        guarantee = ns["guarantee_amount"] / k
        term_rows.append(
            {
                "netting_set": directed_id(ns_id, a),
                "party": a,
                "counterparty": b,
                "guarantor": ns["guarantor"],
                "guarantee_amount": guarantee,
                "base": ns_id,
            }
        )
        term_rows.append(
            {
                "netting_set": directed_id(ns_id, b),
                "party": b,
                "counterparty": a,
                "guarantor": "",
                "guarantee_amount": 0.0,
                "base": ns_id,
            }
        )
    trade_rows = []
    for trade in sorted(open_trades, key=lambda t: t["id"]):
        ns = sets[trade["netting_set"]]
        row = _trade_row(_with_spot(state, trade), scale[trade["netting_set"]], ns["updated_ms"])
        trade_rows.append({**row, "netting_set": directed_id(ns["id"], ns["party_a"])})
        mirrored = dict(row)
        mirrored["trade_id"] = row["trade_id"] + "|" + ns["party_b"]
        mirrored["position"] = "SHORT" if row["position"] == "LONG" else "LONG"
        mirrored["mtm"] = -row["mtm"]
        trade_rows.append({**mirrored, "netting_set": directed_id(ns["id"], ns["party_b"])})
    return (
        pd.DataFrame(trade_rows, columns=_TRADE_COLUMNS),
        pd.DataFrame(ns_rows, columns=_NS_COLUMNS),
        pd.DataFrame(term_rows, columns=_TERMS_COLUMNS),
    )


_TRADE_COLUMNS = [
    "trade_id",
    "netting_set",
    "asset_class",
    "instrument",
    "position",
    "notional",
    "mtm",
    "maturity",
    "start",
    "end",
    "exercise",
    "currency",
    "currency_pair",
    "reference",
    "subclass",
    "basis",
    "volatility",
    "option_type",
    "underlying_price",
    "strike",
    "lambda_shift",
    "attachment",
    "detachment",
]
_NS_COLUMNS = [
    "netting_set",
    "margined",
    "variation_margin",
    "im_received",
    "im_posted_unsegregated",
    "im_posted_segregated",
    "threshold",
    "mta",
    "mpor_days",
    "cleared",
]
_TERMS_COLUMNS = ["netting_set", "party", "counterparty", "guarantor", "guarantee_amount", "base"]


def _years(ms: int, as_of_ms: int) -> float:
    return (ms - as_of_ms) / MS_PER_YEAR


def _with_spot(state: Mapping[bytes, bytes], trade: dict) -> dict:
    """An option whose register entry has no underlying price (the derivative contract
    records its ``reference`` as an oracle key, ``price:SPX``) takes the oracle's latest
    value of that key (scale 1e8); with none, the strike (at the money)."""
    if trade["instrument"] != "OPTION" or trade["underlying_price_e8"]:
        return trade
    kind, _, key = trade["reference"].partition(":")
    raw = state.get(f"oracle/v/{kind}/{key}".encode()) if key else None
    spot = trade["strike_e8"]
    if raw is not None:
        point = _decode(raw)
        spot = point["value"] * 10 ** (8 - point["scale"]) if point["scale"] <= 8 else spot
    return {**trade, "underlying_price_e8": spot}


def _trade_row(trade: dict, scale: float, as_of_ms: int) -> dict:
    option = trade["instrument"] == "OPTION"
    tranche = trade["instrument"] == "TRANCHE"
    return {
        "trade_id": trade["id"],
        "asset_class": trade["asset_class"],
        "instrument": trade["instrument"],
        "position": trade["position"],
        "notional": trade["notional"] / scale,
        "mtm": trade["mtm"] / scale,
        "maturity": max(_years(trade["maturity_ms"], as_of_ms), 1e-9),
        "start": max(_years(trade["start_ms"], as_of_ms), 0.0) if trade["start_ms"] else 0.0,
        # a loan, repo or pool borrow records no separate end date: its adjusted-notional
        # period ends at maturity (CRE52.34: E is the end of the period referenced)
        "end": _years(trade["end_ms"] or trade["maturity_ms"], as_of_ms),
        "exercise": _years(trade["exercise_ms"], as_of_ms) if option else np.nan,
        "currency": trade["currency"],
        "currency_pair": trade["currency_pair"],
        "reference": trade["reference"],
        # the register leaves an equity trade's subclass empty when the contract does not
        # know it (an option on an oracle price key): single name is the conservative reading
        # (CRE52.72: supervisory factor 32% against 20% for an index)
        "subclass": trade["subclass"] or ("SINGLE" if trade["asset_class"] == "EQUITY" else ""),
        "basis": trade["basis"],
        "volatility": trade["volatility"],
        "option_type": trade["option_type"],
        "underlying_price": trade["underlying_price_e8"] / 1e8 if option else np.nan,
        "strike": trade["strike_e8"] / 1e8 if option else np.nan,
        "lambda_shift": trade["lambda_e8"] / 1e8,
        "attachment": trade["attachment_bps"] / 1e4 if tranche else np.nan,
        "detachment": trade["detachment_bps"] / 1e4 if tranche else np.nan,
    }

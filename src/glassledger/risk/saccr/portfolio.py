"""The SA-CCR input tables: trades and netting sets, their schema, validation and loaders.

A portfolio is one row per trade (schema :data:`TRADE_COLUMNS`) and, optionally, one row per
netting set with its margin terms (schema :data:`NETTING_SET_COLUMNS`). Amounts are in the
reporting (domestic) currency of the bank, as floats in major units; times are in years from
the calculation date. Market values are the bank's view: positive means the counterparty owes
the bank. The user guide ``docs/risk-saccr.md`` documents every column.

Validation is vectorized and complete: a bad value raises :class:`~glassledger.errors.InputError`
naming the source, the trade id (or netting set) and the field; no row is ever dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.saccr.supervisory import ASSET_CLASSES, parameter_keys
from glassledger.schemas import Table, read_raw, validate
from glassledger.schemas.saccr import MARGIN_AGREEMENTS, NETTING_SETS, TRADES

#: The declared tables (see :mod:`glassledger.schemas.saccr` and ``docs/inputs.md``).
TRADE_COLUMNS = TRADES.fields
NETTING_SET_COLUMNS = NETTING_SETS.fields
MARGIN_AGREEMENT_COLUMNS = MARGIN_AGREEMENTS.fields

INSTRUMENTS = ("LINEAR", "OPTION", "TRANCHE")
POSITIONS = ("LONG", "SHORT")
OPTION_TYPES = ("CALL", "PUT")
_VALID_SUBCLASS = {
    asset: {sub for a, sub in parameter_keys() if a == asset} for asset in ASSET_CLASSES
}


def _first_bad(
    frame: pd.DataFrame, bad: np.ndarray, field: str, message: str, source: str, key: str | None
) -> None:
    """Raise InputError for the first row flagged in ``bad`` (vectorized check, exact report)."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = frame[field].iloc[i] if field in frame.columns else None
        row = frame[key].iloc[i] if key is not None else i  # no key: the 0-based row number
        raise InputError(message, source=source, row=row, field=field, value=value)


def normalise_table(frame: pd.DataFrame, table: Table, source: str) -> pd.DataFrame:
    """``frame`` validated against ``table`` (:func:`glassledger.schemas.validate`), with a
    0-based row index and its text columns (other than the key) as Categoricals, which the
    vectorized SA-CCR code groups on."""
    checked = validate(frame, table, source=source)
    out = {}
    for spec in table.fields:
        values = checked[spec.name].to_numpy()
        if spec.kind in ("id", "text", "code") and spec.name != table.key:
            codes, categories = pd.factorize(np.append(values, ""))
            out[spec.name] = pd.Categorical.from_codes(
                codes[:-1], categories=pd.Index(categories, dtype=object)
            )
        else:
            out[spec.name] = values
    result = pd.DataFrame(out, index=pd.RangeIndex(len(checked)))
    if table.key is not None:
        result[table.key] = result[table.key].astype(object)
    return result


def validate_trades(frame: pd.DataFrame, source: str = "trades DataFrame") -> pd.DataFrame:
    """Return the normalised trade table, or raise InputError naming trade id and field.

    The declared schema (:data:`glassledger.schemas.saccr.TRADES`: types, ranges, allowed
    values, unique ids, exercise <= maturity, start <= maturity...) first; then the SA-CCR
    rules across fields: subclass in CRE52.72 Table 2; end > start for IR and credit;
    options with option type, exercise date, price and strike (positive after the lambda
    shift is checked by the regime); tranches with A and D; one subclass per credit or
    equity entity and per commodity type; one lambda per currency.
    """
    t = normalise_table(frame, TRADES, source)

    def check(bad: np.ndarray, field: str, message: str) -> None:
        _first_bad(t, np.asarray(bad), field, message, source, "trade_id")

    asset = t["asset_class"]

    duration_based = asset.isin(["IR", "CREDIT"]).to_numpy()
    end, start = t["end"].to_numpy(), t["start"].to_numpy()
    check(duration_based & np.isnan(end), "end", "end date E is required for IR and credit")
    check(duration_based & ~(end > np.maximum(start, 0.0)), "end", "end date E must be after S")

    for a in ASSET_CLASSES:
        rows = (asset == a).to_numpy()
        check(
            rows & ~t["subclass"].isin(_VALID_SUBCLASS[a]).to_numpy(),
            "subclass",
            f"subclass not in CRE52.72 Table 2 for {a}: {sorted(_VALID_SUBCLASS[a])}",
        )
    check(
        (asset == "IR").to_numpy() & t["currency"].eq("").to_numpy(),
        "currency",
        "IR trades need the currency of their hedging set",
    )
    fx = (asset == "FX").to_numpy()
    codes = t["currency_pair"].cat.codes.to_numpy()
    pairs = pd.Series(t["currency_pair"].cat.categories, dtype=object)
    malformed = ~pairs.str.fullmatch(r"[A-Z]{3}/[A-Z]{3}").to_numpy(dtype=bool)
    check(fx & malformed[codes], "currency_pair", "FX trades need a currency pair such as EUR/USD")
    same = (pairs.str[:3] == pairs.str[4:]).to_numpy()
    check(fx & same[codes], "currency_pair", "a currency pair needs two different currencies")
    rows = np.flatnonzero(fx & t["currency"].ne("").to_numpy())
    if rows.size:
        pair = pd.Series(pairs.to_numpy()[codes[rows]], dtype=object)
        ccy = t["currency"].astype(object).to_numpy()[rows]
        outside = np.zeros(len(t), dtype=bool)
        outside[rows] = (ccy != pair.str[:3].to_numpy()) & (ccy != pair.str[4:].to_numpy())
        check(outside, "currency", "inconsistent currencies: not one of the FX trade's pair")
    named = asset.isin(["CREDIT", "EQUITY", "COMMODITY"]).to_numpy()
    check(
        named & t["reference"].eq("").to_numpy(),
        "reference",
        "credit and equity need the reference entity or index, commodity the commodity type",
    )

    option = (t["instrument"] == "OPTION").to_numpy()
    check(
        option & ~t["option_type"].isin(OPTION_TYPES).to_numpy(),
        "option_type",
        "options need option_type CALL or PUT",
    )
    check(
        option & ~(t["exercise"].to_numpy() > 0),
        "exercise",
        "options need the latest exercise date T > 0 years",
    )
    for field in ("underlying_price", "strike"):
        check(option & ~np.isfinite(t[field].to_numpy()), field, "options need P and K")
    tranche = (t["instrument"] == "TRANCHE").to_numpy()
    check(tranche & (asset != "CREDIT").to_numpy(), "instrument", "tranches are credit trades")
    a_pt, d_pt = t["attachment"].to_numpy(), t["detachment"].to_numpy()
    check(tranche & np.isnan(a_pt), "attachment", "tranches need A, 0 <= A < 1")
    check(tranche & np.isnan(d_pt), "detachment", "tranches need D, A < D <= 1")

    short = (t["position"] == "SHORT").to_numpy()
    check(
        t["premium_paid"].to_numpy(dtype=bool) & ~(option & short),
        "premium_paid",
        "premium_paid is for sold options only (CRE52.1 FAQ1)",
    )
    unpaid = t["unpaid_premium"].to_numpy()
    check(
        np.isfinite(unpaid) & ~((asset == "CREDIT").to_numpy() & short),
        "unpaid_premium",
        "unpaid_premium is for credit protection sold only (CRE52.1 FAQ2)",
    )

    _check_consistent(t, named, ["netting_set", "asset_class", "reference"], "subclass", source)
    ir_option = option & (asset == "IR").to_numpy()
    _check_consistent(t, ir_option, ["currency"], "lambda_shift", source)
    t.attrs["source"] = source
    return t


def first_occurrence(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code, for codes numbered in order of first
    appearance (as ``pd.factorize(..., sort=False)`` numbers them)."""
    return np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())


def _check_consistent(
    t: pd.DataFrame, rows: np.ndarray, keys: list[str], field: str, source: str
) -> None:
    """One value of ``field`` per group of ``keys`` among ``rows`` (else InputError)."""
    if not rows.any():
        return
    idx = np.flatnonzero(rows)
    key = np.zeros(len(idx), dtype=np.int64)
    for k in keys:
        codes = t[k].cat.codes.to_numpy()[idx].astype(np.int64)
        key = key * (len(t[k].cat.categories) + 1) + codes
    group, _ = pd.factorize(key)
    values = t[field]
    values = (
        values.cat.codes.to_numpy()
        if isinstance(values.dtype, pd.CategoricalDtype)
        else (values.to_numpy())
    )
    values = values[idx]
    first = first_occurrence(group)
    bad = values != values[first[group]]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = idx[i]
        raise InputError(
            f"inconsistent {field} within the same {'/'.join(keys)} (first trade has "
            f"{t[field].iloc[idx[first[group[i]]]]!r})",
            source=source,
            row=t["trade_id"].iloc[row],
            field=field,
            value=t[field].iloc[row],
        )


def validate_netting_sets(
    frame: pd.DataFrame | None, source: str = "netting-sets DataFrame"
) -> pd.DataFrame:
    """Return the normalised netting-set table (empty if ``frame`` is None)."""
    if frame is None:
        frame = pd.DataFrame({"netting_set": pd.Series([], dtype=object)})
    n = normalise_table(frame, NETTING_SETS, source)
    n["shared_margin_agreement"] = n["shared_margin_agreement"].astype(object)
    n.attrs["source"] = source
    return n


def validate_margin_agreements(
    frame: pd.DataFrame | None, source: str = "margin-agreements DataFrame"
) -> pd.DataFrame:
    """Return the normalised margin-agreement table (empty if ``frame`` is None)."""
    if frame is None:
        frame = pd.DataFrame({"margin_agreement": pd.Series([], dtype=object)})
    m = normalise_table(frame, MARGIN_AGREEMENTS, source)
    m.attrs["source"] = source
    return m


def load_margin_agreements(path: str | Path) -> pd.DataFrame:
    """Load and validate a margin-agreement table from CSV or Parquet."""
    return validate_margin_agreements(read_raw(path), source=Path(path).name)


def load_portfolio(path: str | Path) -> pd.DataFrame:
    """Load and validate a trade table from CSV or Parquet."""
    return validate_trades(read_raw(path), source=Path(path).name)


def load_netting_sets(path: str | Path) -> pd.DataFrame:
    """Load and validate a netting-set table from CSV or Parquet."""
    return validate_netting_sets(read_raw(path), source=Path(path).name)

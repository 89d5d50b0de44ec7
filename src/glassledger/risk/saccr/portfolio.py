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

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.saccr.supervisory import ASSET_CLASSES, parameter_keys
from glassledger.tables import read_table

#: Identifier columns, read as text from CSV.
ID_COLUMNS = ("trade_id", "netting_set")


@dataclass(frozen=True)
class Column:
    """One documented input column: its name, kind, default (``None`` = required) and meaning."""

    name: str
    kind: str  # "str", "float", "bool", "int"
    default: object
    doc: str


TRADE_COLUMNS: tuple[Column, ...] = (
    Column("trade_id", "str", None, "unique trade identifier"),
    Column("netting_set", "str", None, "netting set the trade belongs to"),
    Column("asset_class", "str", None, "IR, FX, CREDIT, EQUITY or COMMODITY (primary risk driver)"),
    Column(
        "instrument", "str", "LINEAR", "LINEAR, OPTION or TRANCHE (CDO tranche, nth-to-default)"
    ),
    Column(
        "position",
        "str",
        None,
        "LONG or SHORT in the primary risk factor; options: LONG = bought; credit and tranches: "
        "LONG = protection bought",
    ),
    Column("notional", "float", None, "trade notional in reporting currency, >= 0 (CRE52.34-36)"),
    Column("mtm", "float", 0.0, "market value to the bank in reporting currency"),
    Column("maturity", "float", None, "M: years until the last day the contract may be active"),
    Column("start", "float", 0.0, "S: years until the referenced period starts (IR, credit)"),
    Column("end", "float", np.nan, "E: years until the referenced period ends (IR, credit)"),
    Column("exercise", "float", np.nan, "T: years until the latest exercise date (options)"),
    Column("currency", "str", "", "IR: currency of the hedging set; FX: optional, in the pair"),
    Column("currency_pair", "str", "", "FX: currency pair such as EUR/USD"),
    Column("reference", "str", "", "credit/equity: entity or index; commodity: commodity type"),
    Column("subclass", "str", "", "rating / IG, SG / SINGLE, INDEX / commodity class (Table 2)"),
    Column("basis", "str", "", "name of the basis (two risk factors) for basis transactions"),
    Column("volatility", "bool", False, "true for volatility transactions (variance swaps ...)"),
    Column("option_type", "str", "", "CALL or PUT (options)"),
    Column("underlying_price", "float", np.nan, "P: forward price or rate of the underlying"),
    Column("strike", "float", np.nan, "K: strike price or rate"),
    Column("lambda_shift", "float", 0.0, "lambda: negative-rate shift of P and K (CRE52 only)"),
    Column("attachment", "float", np.nan, "A: tranche attachment point, decimal"),
    Column("detachment", "float", np.nan, "D: tranche detachment point, decimal"),
    Column(
        "margin_agreement",
        "str",
        "",
        "VM agreement covering the trade inside a netting set with several (CRE52.74)",
    ),
    Column(
        "premium_paid",
        "bool",
        False,
        "sold option whose premium was paid up front: EAD 0 if alone (CRE52.1 FAQ1)",
    ),
    Column(
        "unpaid_premium",
        "float",
        np.nan,
        "protection sold: premia still to receive; caps EAD if alone (CRE52.1 FAQ2)",
    ),
)

NETTING_SET_COLUMNS: tuple[Column, ...] = (
    Column("netting_set", "str", None, "netting set identifier"),
    Column("margined", "bool", False, "true if the counterparty posts variation margin"),
    Column("variation_margin", "float", 0.0, "net VM held, haircut value: + received, - posted"),
    Column("im_received", "float", 0.0, "initial margin / IA received, haircut value"),
    Column("im_posted_unsegregated", "float", 0.0, "IM posted by the bank, not segregated"),
    Column("im_posted_segregated", "float", 0.0, "IM posted to a segregated account (not NICA)"),
    Column("threshold", "float", 0.0, "TH: threshold before the counterparty must post VM"),
    Column("mta", "float", 0.0, "MTA: minimum transfer amount of the counterparty"),
    Column("mpor_days", "float", 0.0, "estimated margin period of risk, business days"),
    Column("remargin_days", "float", 1.0, "re-margining period, business days (1 = daily)"),
    Column("cleared", "bool", False, "centrally cleared netting set (MPOR floor 5 days)"),
    Column("illiquid", "bool", False, "illiquid collateral or hard-to-replace OTC derivative"),
    Column("disputes", "int", 0, "margin call disputes in the last two quarters"),
    Column(
        "shared_margin_agreement",
        "str",
        "",
        "margin agreement covering this and other netting sets (CRE52.75-77)",
    ),
)

#: Terms of the variation-margin agreements named by trades (CRE52.74): one row each.
MARGIN_AGREEMENT_COLUMNS: tuple[Column, ...] = (
    Column("margin_agreement", "str", None, "margin agreement identifier, as in the trades"),
    Column("variation_margin", "float", 0.0, "net VM held, haircut value: + received, - posted"),
    Column("threshold", "float", 0.0, "TH of the agreement"),
    Column("mta", "float", 0.0, "MTA of the agreement"),
    Column("mpor_days", "float", 0.0, "estimated margin period of risk, business days"),
    Column("remargin_days", "float", 1.0, "re-margining period, business days (1 = daily)"),
    Column("cleared", "bool", False, "centrally cleared (MPOR floor 5 days)"),
    Column("illiquid", "bool", False, "illiquid collateral or hard-to-replace OTC derivative"),
    Column("disputes", "int", 0, "margin call disputes in the last two quarters"),
)

_CASE_SENSITIVE = frozenset(
    {
        "trade_id",
        "netting_set",
        "reference",
        "basis",
        "shared_margin_agreement",
        "margin_agreement",
    }
)
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


def _categorical(values: pd.Series, name: str) -> pd.Categorical:
    """Strip (and upper-case unless case-sensitive) a text column; missing becomes ''.

    The cleaning runs on the distinct values only, so it costs little on a million rows.
    """
    codes, uniques = pd.factorize(values)
    clean = [str(u).strip() for u in uniques]
    if name not in _CASE_SENSITIVE:
        clean = [u.upper() for u in clean]
    clean_codes, categories = pd.factorize(np.array([*clean, ""], dtype=object))
    return pd.Categorical.from_codes(clean_codes[codes], categories=categories)


def normalise_table(
    frame: pd.DataFrame, columns: tuple[Column, ...], source: str, key: str | None
) -> pd.DataFrame:
    """Check required columns, fill defaults, coerce kinds; upper-case the str columns."""
    unknown = set(frame.columns) - {c.name for c in columns}
    if unknown:
        raise InputError(f"unknown columns {sorted(unknown)}", source=source)
    out = {}
    n = len(frame)
    for col in columns:
        if col.name not in frame.columns:
            if col.default is None:
                raise InputError("required column is missing", source=source, field=col.name)
            if col.kind == "str":  # one category, all codes 0: no per-row work
                out[col.name] = pd.Categorical.from_codes(
                    np.zeros(n, dtype=np.int8), categories=pd.Index([col.default], dtype=object)
                )
            else:
                out[col.name] = np.full(n, col.default)
            continue
        values = frame[col.name].reset_index(drop=True)
        if col.kind == "str":
            missing = values.isna().to_numpy()
            if col.default is None:
                _first_bad(frame, missing, col.name, "value is missing", source, key)
            out[col.name] = (
                values.astype("str") if col.name == key else _categorical(values, col.name)
            )
        elif col.kind in ("float", "int"):
            numeric = pd.to_numeric(values, errors="coerce")
            bad = numeric.isna().to_numpy() & values.notna().to_numpy()
            _first_bad(frame, bad, col.name, "not a number", source, key)
            if col.default is None:
                _first_bad(
                    frame, numeric.isna().to_numpy(), col.name, "value is missing", source, key
                )
            out[col.name] = numeric.fillna(col.default).to_numpy(dtype=float)
        else:  # bool
            codes, uniques = pd.factorize(values)
            text = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
            truthy = np.isin(text, ["true", "1", "1.0", "yes", "y", "t"])
            falsy = np.isin(text, ["false", "0", "0.0", "no", "n", "f", "", "nan", "none"])
            _first_bad(frame, ~(truthy | falsy)[codes], col.name, "not a boolean", source, key)
            out[col.name] = truthy[codes]
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def validate_trades(frame: pd.DataFrame, source: str = "portfolio") -> pd.DataFrame:
    """Return the normalised trade table, or raise InputError naming trade id and field.

    Checks: required columns and values, unique trade ids, known asset class, instrument,
    position and subclass; notional >= 0; maturity > 0; end > start for IR and credit;
    options with option type, exercise date, price and strike (positive after the lambda
    shift is checked by the regime); tranches with 0 <= A < D <= 1; one subclass per credit
    or equity entity and per commodity type; one lambda per currency.
    """
    t = normalise_table(frame, TRADE_COLUMNS, source, "trade_id")

    def check(bad: np.ndarray, field: str, message: str) -> None:
        _first_bad(t, np.asarray(bad), field, message, source, "trade_id")

    check(t["trade_id"].eq("").to_numpy(), "trade_id", "empty trade id")
    if pd.Index(t["trade_id"]).has_duplicates:
        check(t["trade_id"].duplicated().to_numpy(), "trade_id", "duplicate trade id")
    check(t["netting_set"].eq("").to_numpy(), "netting_set", "empty netting set")
    asset = t["asset_class"]
    check(
        ~asset.isin(ASSET_CLASSES).to_numpy(),
        "asset_class",
        f"unknown asset class, expected one of {ASSET_CLASSES}",
    )
    check(
        ~t["instrument"].isin(INSTRUMENTS).to_numpy(),
        "instrument",
        f"unknown instrument, expected one of {INSTRUMENTS}",
    )
    check(
        ~t["position"].isin(POSITIONS).to_numpy(),
        "position",
        f"unknown position, expected one of {POSITIONS}",
    )
    check(
        ~np.isfinite(t["notional"].to_numpy()) | (t["notional"].to_numpy() < 0),
        "notional",
        "notional must be a finite number >= 0 (direction goes in 'position')",
    )
    check(~np.isfinite(t["mtm"].to_numpy()), "mtm", "market value must be finite")
    check(~(t["maturity"].to_numpy() > 0), "maturity", "maturity M must be > 0 years")

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
    check(tranche & ~((a_pt >= 0) & (a_pt < 1)), "attachment", "need 0 <= A < 1")
    check(tranche & ~((d_pt > a_pt) & (d_pt <= 1)), "detachment", "need A < D <= 1")

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
    check((unpaid < 0) | np.isinf(unpaid), "unpaid_premium", "must be a finite amount >= 0")

    _check_consistent(t, named, ["netting_set", "asset_class", "reference"], "subclass", source)
    ir_option = option & (asset == "IR").to_numpy()
    _check_consistent(t, ir_option, ["currency"], "lambda_shift", source)
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


def validate_netting_sets(frame: pd.DataFrame | None, source: str = "netting sets") -> pd.DataFrame:
    """Return the normalised netting-set table (empty if ``frame`` is None)."""
    if frame is None:
        frame = pd.DataFrame({"netting_set": pd.Series([], dtype=object)})
    n = normalise_table(frame, NETTING_SET_COLUMNS, source, "netting_set")
    n["shared_margin_agreement"] = n["shared_margin_agreement"].astype(object)

    def check(bad: np.ndarray, field: str, message: str) -> None:
        _first_bad(n, np.asarray(bad), field, message, source, "netting_set")

    check(n["netting_set"].duplicated().to_numpy(), "netting_set", "duplicate netting set")
    for field in (
        "im_received",
        "im_posted_unsegregated",
        "im_posted_segregated",
        "threshold",
        "mta",
        "mpor_days",
    ):
        check(~(n[field].to_numpy() >= 0), field, "must be >= 0")
    check(~(n["remargin_days"].to_numpy() >= 1), "remargin_days", "must be >= 1 business day")
    check(~(n["disputes"].to_numpy() >= 0), "disputes", "must be >= 0")
    check(~np.isfinite(n["variation_margin"].to_numpy()), "variation_margin", "must be finite")
    return n


def validate_margin_agreements(
    frame: pd.DataFrame | None, source: str = "margin agreements"
) -> pd.DataFrame:
    """Return the normalised margin-agreement table (empty if ``frame`` is None)."""
    if frame is None:
        frame = pd.DataFrame({"margin_agreement": pd.Series([], dtype=object)})
    m = normalise_table(frame, MARGIN_AGREEMENT_COLUMNS, source, "margin_agreement")

    def check(bad: np.ndarray, field: str, message: str) -> None:
        _first_bad(m, np.asarray(bad), field, message, source, "margin_agreement")

    key = m["margin_agreement"]
    check(key.eq("").to_numpy(), "margin_agreement", "empty margin agreement")
    check(key.duplicated().to_numpy(), "margin_agreement", "duplicate margin agreement")
    for field in ("threshold", "mta", "mpor_days", "disputes"):
        check(~(m[field].to_numpy() >= 0), field, "must be >= 0")
    check(~(m["remargin_days"].to_numpy() >= 1), "remargin_days", "must be >= 1 business day")
    check(~np.isfinite(m["variation_margin"].to_numpy()), "variation_margin", "must be finite")
    return m


def load_margin_agreements(path: str | Path) -> pd.DataFrame:
    """Load and validate a margin-agreement table from CSV or Parquet."""
    frame = read_table(path, text_columns=("margin_agreement",))
    return validate_margin_agreements(frame, source=Path(path).name)


def load_portfolio(path: str | Path) -> pd.DataFrame:
    """Load and validate a trade table from CSV or Parquet."""
    return validate_trades(read_table(path, text_columns=ID_COLUMNS), source=Path(path).name)


def load_netting_sets(path: str | Path) -> pd.DataFrame:
    """Load and validate a netting-set table from CSV or Parquet."""
    return validate_netting_sets(read_table(path, text_columns=ID_COLUMNS), source=Path(path).name)

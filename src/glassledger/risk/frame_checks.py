"""Column readers for analytic input tables that reject bad rows by name.

Each reader returns a NumPy array for one column and raises :class:`InputError` naming the
source, the row label and the field at the first bad value; nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.errors import InputError

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def require_columns(frame: pd.DataFrame, columns: list[str], *, source: str) -> None:
    """Raise :class:`InputError` if any of ``columns`` is missing from ``frame``."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; present: {list(frame.columns)}",
            source=source,
            field=missing[0],
        )


def fail_at(frame: pd.DataFrame, mask: np.ndarray, column: str, message: str, source: str):
    """Raise :class:`InputError` for the first row where ``mask`` is true."""
    position = int(np.flatnonzero(mask)[0])
    value = frame[column].iloc[position] if column in frame.columns else None
    raise InputError(message, source=source, row=frame.index[position], field=column, value=value)


def numbers(
    frame: pd.DataFrame,
    column: str,
    *,
    source: str,
    default: float | None = None,
    low: float = -np.inf,
    high: float = np.inf,
) -> np.ndarray:
    """Finite floats in ``[low, high]``; a missing column or blank cell takes ``default``.

    Without a default, the column and every cell are required. ``default=np.nan`` makes a
    column optional cell by cell (blank stays NaN).
    """
    if column not in frame.columns:
        if default is None:
            require_columns(frame, [column], source=source)
        return np.full(len(frame), default, dtype=float)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    blank = raw.isna().to_numpy()
    bad = ~np.isfinite(values) & ~(blank & (default is not None))
    if bad.any():
        fail_at(frame, bad, column, "not a finite number", source)
    values = np.where(blank, default if default is not None else np.nan, values)
    outside = (values < low) | (values > high)
    if outside.any():
        fail_at(frame, outside, column, f"must lie in [{low}, {high}]", source)
    return values


def flags(
    frame: pd.DataFrame, column: str, *, source: str, default: bool | None = False
) -> np.ndarray:
    """Booleans from bool, 0/1 or true/false/yes/no text; blank takes ``default``."""
    if column not in frame.columns:
        if default is None:
            require_columns(frame, [column], source=source)
        return np.full(len(frame), bool(default))
    raw = frame[column]
    text = raw.astype("string").str.strip().str.lower()
    truthy = text.isin(_TRUE).to_numpy(dtype=bool, copy=True)
    falsy = text.isin(_FALSE).to_numpy(dtype=bool, copy=True)
    blank = raw.isna().to_numpy()
    if default is not None:
        truthy |= blank & default
        falsy |= blank & (not default)
    unknown = ~(truthy | falsy)
    if unknown.any():
        fail_at(frame, unknown, column, "not a true/false flag", source)
    return truthy


def labels(frame: pd.DataFrame, column: str, *, source: str, required: bool = True) -> pd.Series:
    """Non-empty text identifiers (stripped string Series); blanks are errors if ``required``,
    else missing (NA)."""
    if column not in frame.columns:
        if required:
            require_columns(frame, [column], source=source)
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[column].astype("string").str.strip()
    text = text.mask(text == "")
    if required and text.isna().any():
        fail_at(frame, text.isna().to_numpy(), column, "missing identifier", source)
    return text


def timestamps(frame: pd.DataFrame, column: str, *, source: str) -> pd.DatetimeIndex:
    """Parsed dates/times (required, naive UTC)."""
    require_columns(frame, [column], source=source)
    parsed = pd.to_datetime(frame[column], errors="coerce", utc=True)
    if parsed.isna().any():
        fail_at(frame, parsed.isna().to_numpy(), column, "not a date/time", source)
    return pd.DatetimeIndex(parsed).tz_localize(None).as_unit("ns")


def identifiers(
    frame: pd.DataFrame, column: str, *, source: str, required: bool = True
) -> pd.Categorical:
    """Text identifiers (stripped) as a Categorical; blanks are errors if ``required``, else NaN.

    Factorizes the raw column first and strips only the distinct values, so that a million rows
    of a few thousand ids cost one hashing pass.
    """
    if column not in frame.columns:
        if required:
            require_columns(frame, [column], source=source)
        return pd.Categorical([None] * len(frame), categories=pd.Index([], dtype=object))
    raw_codes, raw_names = pd.factorize(frame[column])
    stripped = pd.Series(raw_names, dtype="string").str.strip()
    stripped = stripped.mask(stripped == "")
    name_codes, names = pd.factorize(stripped)
    codes = np.where(raw_codes >= 0, name_codes[raw_codes], -1)
    if required and (codes < 0).any():
        fail_at(frame, codes < 0, column, "missing identifier", source)
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))

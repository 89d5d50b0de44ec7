"""Reading and checking the plain tables the basket analytics take as input.

Every check names the source, row and field it rejects (``InputError``); no row is dropped
silently.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from glassledger import tables
from glassledger.errors import InputError


def sample_path(name: str) -> Path:
    """Path of a sample table shipped in ``glassledger/basket/data`` (see its README)."""
    return Path(str(resources.files("glassledger.basket") / "data" / name))


def read_table(path: str | Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV or Parquet table and check it has ``columns``; ``InputError`` otherwise."""
    return tables.read_table(path, columns=columns)


def require_columns(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    """Raise ``InputError`` naming the first of ``columns`` missing from ``frame``."""
    for column in columns:
        if column not in frame.columns:
            raise InputError("missing column", source=source, field=column)


def require_numeric(
    frame: pd.DataFrame, columns: list[str], source: str, *, non_negative: bool = True
) -> pd.DataFrame:
    """Return ``frame`` with ``columns`` as floats; raise on a blank, non-number or negative."""
    frame = frame.copy()
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values < 0 if non_negative else False)
        if bad.any():
            row = frame.index[np.flatnonzero(bad.to_numpy())[0]]
            raise InputError(
                "expected a non-negative number" if non_negative else "expected a number",
                source=source,
                row=row,
                field=column,
                value=frame.at[row, column],
            )
        frame[column] = values.astype(float)
    return frame

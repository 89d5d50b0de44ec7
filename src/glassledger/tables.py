"""Writing analytic tables (CSV or Parquet) and showing them as Rich tables.

Input files are read and checked by :mod:`glassledger.schemas`; outputs are written here, the
format chosen by the file's extension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

from glassledger.errors import InputError

FORMATS = (".csv", ".parquet", ".pq")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"unsupported file type {suffix!r}; use .csv or .parquet", source=str(path)
        )
    return suffix


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` to CSV or Parquet according to the file's extension; returns the path."""
    path = Path(path)
    if not path.parent.is_dir() or path.is_dir():
        raise InputError(
            "cannot write here: " + ("a directory" if path.is_dir() else "no such folder"),
            source=str(path),
            hint="give a file path in an existing folder",
        )
    if _suffix(path) == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:,.6g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    return str(value)


def rich_table(frame: pd.DataFrame, *, title: str, max_rows: int = 50) -> Table:
    """A Rich table of the first ``max_rows`` rows (the caption says how many were left out)."""
    table = Table(title=title)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows not shown (use --out to write them all)"
    return table

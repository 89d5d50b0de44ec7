"""The input boundary: one declaration per table, one reader, one validator.

A :class:`Table` is a list of :class:`Field` declarations (name, kind, unit, default, range,
allowed values, uniqueness) plus row-level rules; :meth:`Table.schema` turns it into a
pandera ``DataFrameSchema``, which does the type coercion and every check. :func:`read`
reads a CSV or Parquet file and :func:`validate` checks a DataFrame given through the Python
API; both return the same typed frame, or raise one :class:`~glassledger.errors.InputError`
naming the file, the line, the field, what was wrong and what to do.

Policies, the same for every table:

* **Identifiers are text.** CSV cells are read as text, so ``007`` stays ``007`` and ``1``
  and ``01`` are different ids. Surrounding spaces are stripped.
* **Blank is not the text NaN.** A blank cell takes the field's documented default (a
  required field has none: blank is an error). In a CSV file the text ``NaN``, ``inf`` or
  ``-inf`` in a number field is an error, never a default. In a DataFrame (and Parquet) the
  missing marker is NaN/None, so there a NaN cell is a blank cell; ``inf`` is always an error.
  Fields whose default is "not given" (``NaN``) accept a blank and leave it missing.
* **Flags** accept ``true/false``, ``yes/no``, ``t/f``, ``y/n`` and ``1/0`` in any case;
  anything else (``"Flase"``, ``2``) is an error. ``"False"`` is False.
* **Dates** are ISO ``YYYY-MM-DD`` (a time may follow).
* Unknown columns are refused in strict tables (a misspelt optional column would otherwise be
  ignored silently) and kept in the others.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from glassledger.errors import InputError

Kind = Literal["id", "text", "code", "float", "int", "bool", "date"]

#: Sentinel default of a required field.
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()
#: File types the reader accepts.
FORMATS = (".csv", ".parquet", ".pq")

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})
#: Text kinds have no pandera dtype: :func:`_parse` makes them Python ``str`` (or None).
_DTYPES = {
    "id": None,
    "text": None,
    "code": None,
    "float": "float64",
    "int": "int64",
    "bool": "bool",
    "date": "datetime64[ns]",
}
_KIND_WORDS = {
    "id": "identifier (text)",
    "text": "text",
    "code": "code (upper case)",
    "float": "number",
    "int": "whole number",
    "bool": "true/false",
    "date": "date YYYY-MM-DD",
}


@dataclass(frozen=True)
class Field:
    """One column: its name, kind, meaning, default and the values it may take.

    ``default`` is :data:`REQUIRED` for a required column, ``np.nan`` (or ``None`` for text)
    for "not given", or the value a missing column or blank cell takes. ``ge``/``gt``/``le``/
    ``lt`` bound numbers, ``isin`` lists allowed text values (codes are upper-cased first).
    """

    name: str
    kind: Kind
    doc: str
    default: Any = REQUIRED
    unit: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    isin: tuple[str, ...] | None = None
    unique: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def optional_missing(self) -> bool:
        """Blank means "not given" and stays missing (NaN / None)."""
        return not self.required and (
            self.default is None or (isinstance(self.default, float) and np.isnan(self.default))
        )

    def checks(self) -> list[pa.Check]:
        out = []
        if self.kind in ("float", "int"):
            out.append(
                pa.Check(
                    lambda s: ~np.isinf(s.astype(float)),
                    name="finite",
                    error="must be a finite number (inf is not allowed)",
                    ignore_na=True,
                )
            )
        bounds = {
            "ge": (pa.Check.ge, "must be >= {}"),
            "gt": (pa.Check.gt, "must be > {}"),
            "le": (pa.Check.le, "must be <= {}"),
            "lt": (pa.Check.lt, "must be < {}"),
        }
        for key, (make, words) in bounds.items():
            bound = getattr(self, key)
            if bound is not None:
                out.append(make(bound, error=words.format(_num(bound))))
        if self.isin is not None:
            out.append(pa.Check.isin(list(self.isin), error=f"must be one of {list(self.isin)}"))
        if self.kind in ("id", "code") and self.required:
            out.append(pa.Check.str_length(min_value=1, error="must not be blank"))
        return out

    def column(self) -> pa.Column:
        return pa.Column(
            _DTYPES[self.kind],
            checks=self.checks(),
            nullable=self.optional_missing,
            unique=self.unique,
            required=self.required,
            coerce=self.kind in ("float", "int", "date"),
            description=self.doc,
            title=self.name,
        )

    def describe(self) -> dict[str, str]:
        """One row of the documentation table of the field."""
        rules = []
        for key, words in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(self, key) is not None:
                rules.append(f"{words} {_num(getattr(self, key))}")
        if self.isin is not None:
            rules.append("one of " + ", ".join(self.isin))
        if self.unique:
            rules.append("unique")
        if self.required:
            default = "required"
        elif self.optional_missing:
            default = "blank = not given"
        else:
            default = f"{self.default!r}".strip("'") if self.default != "" else "blank"
        kind = _KIND_WORDS[self.kind] + (f", {self.unit}" if self.unit else "")
        return {
            "column": self.name,
            "type": kind,
            "default": default,
            "rules": "; ".join(rules),
            "meaning": self.doc,
        }


@dataclass(frozen=True)
class RowRule:
    """A rule over several fields of a row (such as ``exercise <= maturity``).

    ``test(frame) -> bool Series`` is True where the row is fine; ``field`` is the field named
    in the error; rows where any of ``needs`` is missing are not tested.
    """

    field: str
    message: str
    test: Callable[[pd.DataFrame], pd.Series]

    def check(self) -> pa.Check:
        return pa.Check(self.test, name=f"{self.field}: {self.message}", error=self.message)


@dataclass(frozen=True)
class Table:
    """An input table: its fields, row rules, key column and what the user should do.

    ``pattern`` (with ``pattern_field``) declares "any further column whose name matches"
    (a wide table: one column per currency); ``index`` names the field that becomes the
    frame's index after validation (``date`` of a rates table).
    """

    name: str
    doc: str
    fields: tuple[Field, ...]
    rules: tuple[RowRule, ...] = ()
    key: str | None = None
    strict: bool = True
    min_rows: int = 1
    pattern: str | None = None
    pattern_field: Field | None = None
    index: str | None = None
    sorted_index: bool = False
    extra_checks: tuple[Callable[[pd.DataFrame, str], None], ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def schema(self) -> pa.DataFrameSchema:
        columns = {f.name: f.column() for f in self.fields}
        if self.pattern is not None and self.pattern_field is not None:
            pf = self.pattern_field
            columns[self.pattern] = pa.Column(
                _DTYPES[pf.kind],
                checks=pf.checks(),
                nullable=pf.optional_missing,
                coerce=True,
                regex=True,
                required=False,
                description=pf.doc,
            )
        return pa.DataFrameSchema(
            columns,
            checks=[rule.check() for rule in self.rules],
            strict=self.strict and self.pattern is None,
            name=self.name,
            description=self.doc,
        )

    def hint(self) -> str:
        required = [f.name for f in self.fields if f.required]
        return (
            f"Fix the value and run again; the {self.name} table needs the column(s) "
            f"{', '.join(required) or '(none required)'} (see docs/inputs.md#{_anchor(self.name)})"
        )


@functools.cache
def _schema_of(table: Table) -> pa.DataFrameSchema:
    """The pandera schema of ``table``, built once."""
    return table.schema()


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------------------- reading
def read(path: str | Path, table: Table) -> pd.DataFrame:
    """Read a CSV or Parquet file and :func:`validate` it against ``table``.

    Row labels of the result are file line numbers (the header is line 1) for CSV and
    1-based row numbers for Parquet. Errors name ``path``'s file name.
    """
    return validate(read_raw(path), table, source=Path(path).name)


def read_raw(path: str | Path) -> pd.DataFrame:
    """The cells of a CSV (all as text, blank as ``""``) or Parquet file, unchecked.

    The index holds file line numbers (CSV) or 1-based row numbers (Parquet), named
    ``line``. A missing, empty, unreadable or wrongly typed file is an ``InputError``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}",
            source=path.name,
            hint="give a .csv or .parquet file",
        )
    if not path.is_file():
        raise InputError("file not found", source=str(path), hint="check the path")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig"
            )
            frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
        else:
            frame = pd.read_parquet(path)
            frame.index = pd.RangeIndex(1, len(frame) + 1, name="line")
    except pd.errors.EmptyDataError:
        raise InputError(
            "the file is empty", source=path.name, hint="give a header line and data rows"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError) as error:  # ParserError, ArrowInvalid
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"cannot read the file: {first}",
            source=path.name,
            hint=f"give a well-formed {suffix[1:]} file",
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def validate(frame: pd.DataFrame, table: Table, *, source: str | None = None) -> pd.DataFrame:
    """``frame`` parsed and checked against ``table``: defaults filled, types coerced, every
    rule checked. Raises one ``InputError`` for the first problem (in column order, then row
    order), saying how many more there are. The input frame is not modified."""
    source = source or f"{table.name} table"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a DataFrame, got {type(frame).__name__}", source=source)
    if frame.columns.has_duplicates:
        name = str(frame.columns[frame.columns.duplicated()][0])
        raise InputError("column appears twice", source=source, field=name)
    _check_columns(frame, table, source)
    if len(frame) < table.min_rows:
        raise InputError(
            "no data rows" if len(frame) == 0 else f"needs at least {table.min_rows} rows",
            source=source,
            hint="give at least one data row below the header",
        )
    parsed = _parse(frame, table, source)
    checked = _fast_check(parsed, table)
    try:
        if checked is None:  # something is off: pandera finds it and says what
            checked = _schema_of(table).validate(parsed, lazy=True, inplace=True)
    except SchemaErrors as errors:
        raise _first_error(errors.failure_cases, parsed, frame, table, source) from None
    except SchemaError as error:  # pragma: no cover - lazy validation collects them all
        raise InputError(str(error), source=source, hint=table.hint()) from None
    for extra in table.extra_checks:
        extra(checked, source)
    if table.index is not None:
        checked = checked.set_index(table.index)
        if checked.index.has_duplicates:
            label = checked.index[checked.index.duplicated()][0]
            raise InputError("appears twice", source=source, field=table.index, value=_plain(label))
        if table.sorted_index and not checked.index.is_monotonic_increasing:
            values = checked.index.to_numpy()
            position = int(np.flatnonzero(values[1:] < values[:-1])[0])
            raise InputError(
                "not in increasing order",
                source=source,
                field=table.index,
                value=_plain(checked.index[position + 1]),
                hint=f"sort the rows by {table.index}",
            )
    return checked


def _fast_check(parsed: pd.DataFrame, table: Table) -> pd.DataFrame | None:
    """The frame with its declared types when every declared rule of ``table`` holds, checked
    with vectorized NumPy (what pandera would return, in microseconds instead of tenths of a
    second); ``None`` as soon as anything fails or is unusual, and :func:`validate` then runs
    the pandera schema, which finds the first problem and explains it. Both read the same
    :class:`Field` and :class:`RowRule` declarations; tests check they agree."""
    fields = {f.name: f for f in table.fields}
    out: dict[str, Any] = {}
    for name in parsed.columns:
        spec = fields.get(name)
        patterned = table.pattern_field is not None and table.pattern is not None
        if spec is None and patterned and re.fullmatch(str(table.pattern), str(name)):
            spec = table.pattern_field
        column = parsed[name]
        if spec is None:
            out[name] = column
            continue
        checked = _fast_column(column, spec)
        if checked is None:
            return None
        out[name] = checked
    frame = pd.DataFrame(out, index=parsed.index)
    for rule in table.rules:
        try:
            ok = np.asarray(rule.test(frame), dtype=object)
        except Exception:
            return None
        if ok.shape and not all(v is True or v is np.True_ for v in ok.ravel()):
            return None
        if not ok.shape and not bool(ok):
            return None
    return frame


def _fast_column(column: pd.Series, spec: Field) -> pd.Series | None:
    kind = spec.kind
    if kind in ("float", "int"):
        if column.dtype.kind not in "fiu":
            return None
        values = column.to_numpy(dtype=float)
        missing = np.isnan(values)
        if missing.any() and (kind == "int" or not spec.optional_missing):
            return None
        given = values[~missing]
        if np.isinf(given).any():
            return None
        if kind == "int" and column.dtype.kind == "f" and (given != np.floor(given)).any():
            return None
        for key, fails in (
            ("ge", np.less),
            ("gt", np.less_equal),
            ("le", np.greater),
            ("lt", np.greater_equal),
        ):
            bound = getattr(spec, key)
            if bound is not None and fails(given, bound).any():
                return None
        column = column.astype("int64" if kind == "int" else "float64")
    elif kind == "bool":
        if column.dtype != bool:
            return None
    elif kind == "date":
        if str(column.dtype) != "datetime64[ns]":
            return None
        if column.isna().any() and not spec.optional_missing:
            return None
    else:
        if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
            return None
        values = column.to_numpy(dtype=object, na_value=None)
        none = np.fromiter((v is None for v in values), bool, len(values))
        if none.any() and not spec.optional_missing:
            return None
        if not all(type(v) is str for v in values[~none]):
            return None
        given = values[~none]
        if spec.isin is not None and not np.isin(given, np.array(spec.isin, dtype=object)).all():
            return None
        if kind in ("id", "code") and spec.required and any(not v for v in given):
            return None
    if spec.unique and column.duplicated().any():
        return None
    return column


def _check_columns(frame: pd.DataFrame, table: Table, source: str) -> None:
    present = set(map(str, frame.columns))
    missing = [f.name for f in table.fields if f.required and f.name not in present]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the file has {sorted(present)}",
            source=source,
            field=missing[0],
            hint=table.hint(),
        )
    if table.pattern is not None:
        unknown = sorted(
            c for c in present - set(table.columns) if not re.fullmatch(table.pattern, c)
        )
        if unknown:
            raise InputError(
                f"column name {unknown[0]!r} does not match {table.pattern}",
                source=source,
                field=unknown[0],
                hint=f"name the columns {', '.join(table.columns)} and then currency codes "
                "such as USD",
            )
    elif table.strict:
        unknown = sorted(present - set(table.columns))
        if unknown:
            raise InputError(
                f"unknown column(s) {unknown}",
                source=source,
                field=unknown[0],
                hint=f"known columns: {', '.join(table.columns)} (check the spelling)",
            )


def _is_text(values: pd.Series) -> bool:
    return values.dtype != object and pd.api.types.is_string_dtype(values.dtype)


def _blank(values: pd.Series) -> np.ndarray:
    """Blank cells: missing markers (None, NA, and NaN in a float column: pandas has no other
    blank) and empty or all-space text; never the *text* ``NaN`` of a CSV cell, which is an
    error in a number column."""
    missing = values.isna().to_numpy(dtype=bool)
    if values.dtype == object or _is_text(values):
        codes, uniques = pd.factorize(values.to_numpy(dtype=object, na_value=None))
        empty = np.array([isinstance(u, str) and not u.strip() for u in uniques] + [False])
        return missing | empty[codes]
    return missing


def _parse(frame: pd.DataFrame, table: Table, source: str) -> pd.DataFrame:
    """Defaults for missing columns and blank cells; text stripped; flags parsed."""
    out: dict[str, Any] = {}
    n = len(frame)
    fields = {f.name: f for f in table.fields}
    names = list(frame.columns) + [f.name for f in table.fields if f.name not in frame.columns]
    for name in names:
        spec = fields.get(name)
        if spec is None:
            if table.pattern is not None and table.pattern_field is not None:
                spec = dataclasses.replace(table.pattern_field, name=name)
            else:
                out[name] = frame[name].to_numpy()
                continue
        if name not in frame.columns:
            fill = spec.default if not spec.optional_missing else _missing(spec)
            out[name] = np.full(
                n, fill, dtype=object if spec.kind in ("id", "text", "code") else None
            )
            if spec.kind == "date":
                out[name] = pd.to_datetime(out[name])
            continue
        values = frame[name].reset_index(drop=True)
        blank = _blank(values)
        if spec.kind in ("id", "text", "code"):
            out[name] = _text(values, blank, spec)
        elif spec.kind == "bool":
            out[name] = _flags(values, blank, spec, frame, source)
        else:
            column = values.astype(object).to_numpy(copy=True) if blank.any() else values
            if blank.any():
                fill = spec.default if not spec.required else None
                if spec.optional_missing or spec.required:
                    fill = np.nan if spec.kind != "date" else pd.NaT
                column[blank] = fill
            out[name] = column
    arrays = {k: v.to_numpy() if isinstance(v, pd.Series) else v for k, v in out.items()}
    return pd.DataFrame(arrays, index=frame.index)


def _missing(spec: Field) -> Any:
    if spec.kind in ("id", "text", "code"):
        return None
    return pd.NaT if spec.kind == "date" else np.nan


def _text(values: pd.Series, blank: np.ndarray, spec: Field) -> np.ndarray:
    # Strip (and upper-case) the distinct values only: a million rows of a few thousand ids
    # cost one hashing pass.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object, na_value=None))
    clean = []
    for u in uniques:
        word = (u if isinstance(u, str) else _plain_text(u)).strip()
        clean.append(word.upper() if spec.kind == "code" else word)
    result = np.array([*clean, None], dtype=object)[codes]
    if blank.any():
        result[blank] = None if (spec.required or spec.optional_missing) else spec.default
    return result


def _plain_text(value: Any) -> str:
    """A non-text value (from Parquet or a DataFrame) as text: 7 -> '7', 7.0 -> '7.0'."""
    return str(_plain(value))


def _flags(
    values: pd.Series, blank: np.ndarray, spec: Field, frame: pd.DataFrame, source: str
) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    words = [str(_plain(u)).strip().lower() for u in uniques]
    truthy = np.array([w in _TRUE for w in words] + [False])
    falsy = np.array([w in _FALSE for w in words] + [False])
    result = truthy[codes].copy()
    known = (truthy | falsy)[codes] | blank
    if blank.any():
        if spec.required:
            known &= ~blank
        else:
            result[blank] = bool(spec.default)
    if not known.all():
        position = int(np.flatnonzero(~known)[0])
        raise _error_at(
            frame,
            position,
            spec.name,
            "missing value" if blank[position] else "not a true/false flag",
            source,
            None,
            hint="write true or false (also yes/no, 1/0)",
        )
    return result


# -------------------------------------------------------------------------------- errors
_ORDER = {"column_in_dataframe": 0, "coerce": 1, "not_nullable": 2, "dtype": 3}


def _rank(check: str) -> int:
    if check.startswith("coerce_dtype"):
        return _ORDER["coerce"]
    if check.startswith("dtype("):
        return _ORDER["dtype"]
    return _ORDER.get(check, 5)


def _first_error(
    cases: pd.DataFrame,
    parsed: pd.DataFrame,
    raw: pd.DataFrame,
    table: Table,
    source: str,
) -> InputError:
    cases = cases.copy()
    # A check that crashed (TypeError...) after a coercion failure says nothing new.
    crashed = cases["index"].isna() & cases["check"].astype(str).ne("column_in_dataframe")
    if crashed.all():
        cases = _locate_coercion(cases, parsed, table)
        crashed = cases["index"].isna() & cases["check"].astype(str).ne("column_in_dataframe")
    if crashed.all():  # a check that cannot run on well-typed data is a bug of ours
        first = cases.iloc[0]
        raise RuntimeError(
            f"schema {table.name!r}: check {first['check']!r} on {first['column']!r} failed "
            f"with {first['failure_case']}"
        )
    cases = cases[~crashed]
    order = {name: k for k, name in enumerate(parsed.columns)}
    rows = {label: k for k, label in enumerate(parsed.index)}
    cases["_rank"] = cases["check"].astype(str).map(_rank)
    cases["_row"] = cases["index"].map(lambda i: rows.get(i, -1))
    cases["_col"] = cases["column"].map(lambda c: order.get(c, len(order)))
    cases = cases.sort_values(["_rank", "_row", "_col"])
    first = cases.iloc[0]
    check = str(first["check"])
    column = first["column"] if isinstance(first["column"], str) else None
    rule = next((r for r in table.rules if r.message == check), None)
    if rule is not None:
        column = rule.field
    spec = next((f for f in table.fields if f.name == column), None)
    kind = (
        spec.kind if spec is not None else (table.pattern_field.kind if table.pattern_field else "")
    )
    if check.startswith("coerce_dtype") or check.startswith("dtype("):
        message = {
            "float": "not a number",
            "int": "not a whole number",
            "date": "not a date (write YYYY-MM-DD)",
        }.get(kind, "wrong type")
    elif check == "not_nullable":
        message = (
            "missing value (blank or NaN), and the column has no default"
            if spec is None or spec.required
            else f"NaN is not allowed here (leave the cell blank or drop the column for the "
            f"default {spec.default!r})"
        )
    elif check == "field_uniqueness":
        message = "appears more than once; each value must be unique"
    else:
        message = check
    position = int(first["_row"])
    if check == "field_uniqueness" and column in parsed.columns:  # name the repeat
        position = int(np.flatnonzero(parsed[column].duplicated().to_numpy())[0])
    if column is not None and column not in raw.columns and position >= 0:
        column = _pattern_column(raw, position, column, first["failure_case"])
    count = len(cases.drop_duplicates(["_row", "check"]))
    more = f" [and {count - 1} more problem(s)]" if count > 1 else ""
    if position < 0:
        return InputError(message + more, source=source, field=column, hint=table.hint())
    return _error_at(raw, position, column, message + more, source, table.key, hint=table.hint())


def _locate_coercion(cases: pd.DataFrame, parsed: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Coercion failures that pandera could not pin to a row, pinned by coercing each distinct
    value alone. pandera finds failing cells by re-parsing leniently; a value the lenient parse
    accepts but the strict cast refuses (``-1`` is the year -1, outside datetime64[ns]) comes
    back with no row."""
    columns = _schema_of(table).columns
    pinned = []
    for _, case in cases.iterrows():
        column = case["column"]
        if not (str(case["check"]).startswith("coerce_dtype") and column in parsed.columns):
            continue
        dtype = columns[column].dtype if column in columns else None
        if dtype is None:
            continue
        codes, uniques = pd.factorize(parsed[column].to_numpy(dtype=object))
        for code, value in enumerate(uniques):
            try:
                dtype.coerce(pd.Series([value], dtype=object))
            except Exception:  # any refusal of the cast is the finding
                label = parsed.index[int(np.flatnonzero(codes == code)[0])]
                pinned.append({**case.to_dict(), "index": label, "failure_case": value})
                break
    return pd.DataFrame(pinned) if pinned else cases


def _pattern_column(raw: pd.DataFrame, position: int, pattern: str, failed: Any) -> str:
    """The real column behind a failure pandera reports under a wide table's column pattern
    (``^[A-Z]{3}$``): the first matching column whose cell in that row is the failing value."""
    try:
        names = [c for c in raw.columns if re.fullmatch(pattern, str(c))]
    except re.error:
        return pattern
    for name in names:
        if str(raw[name].iloc[position]) == str(failed):
            return name
    return names[0] if names else pattern


def _error_at(
    raw: pd.DataFrame,
    position: int,
    column: str | None,
    message: str,
    source: str,
    key: str | None,
    *,
    hint: str | None = None,
) -> InputError:
    label = raw.index[position]
    line = int(label) if raw.index.name == "line" else None
    value = None
    if column is not None and column in raw.columns:
        value = _plain(raw[column].iloc[position])
    row: Any = None
    if key is not None and key in raw.columns:
        row = _plain(raw[key].iloc[position])
    elif line is None:
        row = _plain(label)
    return InputError(
        message, source=source, line=line, row=row, field=column, value=value, hint=hint
    )


def _plain(value: Any) -> Any:
    """NumPy scalars as plain Python values, so that messages read ``7.0`` and ``'007'``."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------------------ helpers
def check_sorted_unique(
    frame: pd.DataFrame, column: str, source: str, *, hint: str | None = None
) -> None:
    """Raise ``InputError`` unless ``frame[column]`` increases strictly row by row."""
    values = frame[column].to_numpy()
    if len(values) < 2:
        return
    steps = values[1:] > values[:-1]
    if not steps.all():
        position = int(np.flatnonzero(~steps)[0]) + 1
        message = (
            "repeats the previous row"
            if values[position] == values[position - 1]
            else ("is before the previous row")
        )
        raise _error_at(
            frame,
            position,
            column,
            f"{message}; rows must be in increasing order",
            source,
            None,
            hint=hint,
        )


def fail_at(
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str | None,
    message: str,
    source: str,
    *,
    key: str | None = None,
    hint: str | None = None,
) -> None:
    """Raise ``InputError`` for the first row where ``mask`` is true (a rule checked outside
    the schema, such as a lookup in another table); names the line when ``frame`` came from
    :func:`read`."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        raise _error_at(
            frame, int(np.flatnonzero(mask)[0]), column, message, source, key, hint=hint
        )


def options_error(message: str, option: str, value: Any, hint: str | None = None) -> InputError:
    """An ``InputError`` about a command-line option (named like a field)."""
    return InputError(message, source="command line", field=option, value=value, hint=hint)


def describe(table: Table) -> pd.DataFrame:
    """The documentation table of ``table`` (one row per field)."""
    rows = [f.describe() for f in table.fields]
    if table.pattern_field is not None:
        row = table.pattern_field.describe()
        row["column"] = f"any column matching {table.pattern}"
        rows.append(row)
    return pd.DataFrame(rows)


def sequence_text(values: Sequence[str]) -> str:
    return ", ".join(values)

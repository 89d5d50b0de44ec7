"""Loaders for the public dollar-funding series in their published CSV layouts.

Three layouts are read:

* **FRED downloads** (``fredgraph.csv``): two columns, a date column headed
  ``observation_date``, ``DATE`` or ``date`` and a value column headed with the FRED series
  id. Missing observations are an empty field or a dot ``.``; holidays are absent rows.
* **Daily Treasury Statement** tables from Treasury Fiscal Data: Table I (operating cash
  balance, i.e. the TGA) and Table IIIA (public debt transactions: issues and redemptions).
* **FOMC rate-change tables**: one row per change with its ``effective_date``.

Every loaded series is normalised to one unit per kind: rates in **percent** (as published,
column suffix ``_pct``) and amounts in **US dollars billions** (suffix ``_usd_bn``). The unit is
part of each column name and of the :class:`SeriesSpec` catalogue below.

Bad input raises :class:`glassledger.errors.InputError` naming the file and the line (the
header is line 1): an unknown series id, a value that is neither a number nor a missing
marker, an unparseable or out-of-order date, values whose magnitude does not fit the declared
unit (millions read as billions or the reverse), and gaps longer than the series' frequency
allows. Missing markers are not errors: they stay as NaN in the raw series.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from glassledger.contracts import business_days
from glassledger.errors import InputError

Unit = Literal["percent", "usd_bn", "usd_mn"]
Frequency = Literal["daily", "weekly", "event"]

#: Multiply a value in the published unit by this to get the normalised unit.
TO_NORMALISED: dict[str, float] = {"percent": 1.0, "usd_bn": 1.0, "usd_mn": 1e-3}
#: Column suffix of the normalised unit.
SUFFIX: dict[str, str] = {"percent": "pct", "usd_bn": "usd_bn", "usd_mn": "usd_bn"}
DATE_HEADERS = ("observation_date", "DATE", "date")
MISSING_MARKERS = ("", ".")
#: Longest tolerated distance between two observations, in calendar days.
MAX_GAP_DAYS: dict[str, int] = {"daily": 10, "weekly": 15, "event": 100_000}


@dataclass(frozen=True)
class SampleFile:
    """One shipped file: its name in ``sample_data/`` and the unit its values are in."""

    name: str
    unit: Unit
    dayfirst: bool = False


@dataclass(frozen=True)
class SeriesSpec:
    """A known series: canonical key, FRED id, published unit and plausible range.

    ``plausible`` is the (low, high) range of the normalised values (percent or USD bn); a
    value outside it means the file's unit is not the declared one. ``samples`` are the
    shipped files holding the series, newest vintage first.
    """

    key: str
    fred_id: str
    unit: Unit
    frequency: Frequency
    description: str
    plausible: tuple[float, float]
    samples: tuple[SampleFile, ...] = ()

    @property
    def column(self) -> str:
        """Column name in the normalised panel, unit included (``sofr_pct``)."""
        return f"{self.key}_{SUFFIX[self.unit]}"


_RATE = (-1.0, 25.0)
SERIES: dict[str, SeriesSpec] = {
    s.key: s
    for s in (
        SeriesSpec(
            "sofr",
            "SOFR",
            "percent",
            "daily",
            "Secured overnight financing rate",
            _RATE,
            (SampleFile("SOFR.csv", "percent"),),
        ),
        SeriesSpec(
            "effr",
            "EFFR",
            "percent",
            "daily",
            "Effective federal funds rate",
            _RATE,
            (SampleFile("EFFR_2000-2026_ddmmyyyy.csv", "percent", dayfirst=True),),
        ),
        SeriesSpec(
            "iorb",
            "IORB",
            "percent",
            "daily",
            "Interest rate on reserve balances",
            _RATE,
            (SampleFile("IORB.csv", "percent"),),
        ),
        SeriesSpec(
            "range_top",
            "DFEDTARU",
            "percent",
            "daily",
            "Federal funds target range, upper limit",
            _RATE,
            (SampleFile("DFEDTARU.csv", "percent"),),
        ),
        SeriesSpec(
            "range_bottom",
            "DFEDTARL",
            "percent",
            "daily",
            "Federal funds target range, lower limit",
            _RATE,
            (SampleFile("DFEDTARL_2017-2022.csv", "percent"),),
        ),
        SeriesSpec(
            "on_rrp_award",
            "RRPONTSYAWARD",
            "percent",
            "daily",
            "ON RRP award rate",
            _RATE,
            (SampleFile("RRPONTSYAWARD.csv", "percent"),),
        ),
        SeriesSpec(
            "bill_3m",
            "DTB3",
            "percent",
            "daily",
            "3-month Treasury bill, secondary market, discount basis",
            _RATE,
            (SampleFile("DTB3.csv.gz", "percent"),),
        ),
        SeriesSpec(
            "on_rrp",
            "RRPONTSYD",
            "usd_bn",
            "daily",
            "ON RRP take-up",
            (0.0, 3_500.0),
            (SampleFile("RRPONTSYD.csv", "usd_bn"),),
        ),
        SeriesSpec(
            "fed_assets",
            "WALCL",
            "usd_mn",
            "weekly",
            "Fed total assets, Wednesday level (includes SRF loans)",
            (500.0, 15_000.0),
            (SampleFile("WALCL.csv", "usd_mn"),),
        ),
        SeriesSpec(
            "reserves",
            "WRESBAL",
            "usd_mn",
            "weekly",
            "Reserve balances with Federal Reserve Banks, week average",
            (1.0, 6_000.0),
            (
                SampleFile("WRESBAL_2021-2026_millions.csv", "usd_mn"),
                SampleFile("WRESBAL_1984-2024_billions.csv", "usd_bn"),
            ),
        ),
        SeriesSpec(
            "tga_weekly",
            "WTREGEN",
            "usd_bn",
            "weekly",
            "Treasury General Account, week average",
            (0.0, 2_500.0),
            (SampleFile("WTREGEN_2013-2024.csv", "usd_bn"),),
        ),
        SeriesSpec(
            "bank_assets",
            "TLAACBW027SBOG",
            "usd_bn",
            "weekly",
            "Total assets, all commercial banks (SA)",
            (5_000.0, 60_000.0),
            (SampleFile("TLAACBW027SBOG_2009-2021.csv", "usd_bn"),),
        ),
        SeriesSpec(
            "srf",
            "RPONTTLD",
            "usd_bn",
            "event",  # take-up on a few days: a day without a row had none
            "Fed overnight repo (Standing Repo Facility) take-up, all collateral",
            (0.0, 1_000.0),
        ),
        SeriesSpec("sofr_p99", "SOFR99", "percent", "daily", "SOFR 99th percentile", _RATE),
        SeriesSpec("sofr_p1", "SOFR1", "percent", "daily", "SOFR 1st percentile", _RATE),
        SeriesSpec("sofr_volume", "SOFRVOL", "usd_bn", "daily", "SOFR volume", (10.0, 10_000.0)),
        SeriesSpec(
            "tga_wednesday",
            "WDTGAL",
            "usd_mn",
            "weekly",
            "Treasury General Account, Wednesday level",
            (0.0, 2_500.0),
        ),
    )
}

DTS_CASH_FILE = "DTS_OpCashBal_20210624_20260623.csv.gz"
DTS_DEBT_FILE = "DTS_PubDebtTrans_20210624_20260623.csv.gz"
IORB_CHANGES_FILE = "FOMC_IOER_IORB_rate_changes_2018-2026.csv"
ON_RRP_CHANGES_FILE = "FOMC_ON_RRP_rate_changes_2017-2026.csv"


def spec_for(key_or_id: str) -> SeriesSpec:
    """The catalogue entry for a canonical key (``"sofr"``) or FRED id (``"SOFR"``).

    Raises InputError for a series the catalogue does not know.
    """
    if key_or_id in SERIES:
        return SERIES[key_or_id]
    for spec in SERIES.values():
        if spec.fred_id == key_or_id.upper():
            return spec
    known = ", ".join(sorted(SERIES))
    raise InputError(f"unknown series; known keys: {known}", field="series", value=key_or_id)


def sample_path(name: str) -> Path:
    """Path of a file shipped in ``glassledger/liquidity/sample_data``."""
    path = Path(str(resources.files("glassledger.liquidity") / "sample_data" / name))
    if not path.exists():
        raise InputError("no such sample file", source="sample_data", value=name)
    return path


# --------------------------------------------------------------------------------------------
# FRED layout


def _parse_dates(raw: pd.Series, source: str, dayfirst: bool) -> pd.DatetimeIndex:
    """Dates of a FRED file: ISO, or dd/mm/yyyy when ``dayfirst``; line numbers in errors."""
    fmt = "%d/%m/%Y" if dayfirst else "%Y-%m-%d"
    dates = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        hint = (
            " (slash dates: pass dayfirst=True)"
            if re.fullmatch(r"\d+/\d+/\d+", raw.iloc[i])
            else ""
        )
        raise InputError(
            f"unparseable date{hint}", source=source, row=i + 2, field="date", value=raw.iloc[i]
        )
    order = np.diff(dates.to_numpy().astype("datetime64[D]").astype(np.int64))
    if (order <= 0).any():
        i = int(np.flatnonzero(order <= 0)[0]) + 1
        raise InputError(
            "dates must be strictly increasing (duplicate or out of order)",
            source=source,
            row=i + 2,
            field="date",
            value=raw.iloc[i],
        )
    return pd.DatetimeIndex(dates)


def read_fred_csv(
    path: str | Path,
    series: str | None = None,
    *,
    unit: Unit | None = None,
    dayfirst: bool = False,
    check_gaps: bool = True,
) -> pd.Series:
    """Read a FRED CSV download into a Series in the normalised unit (percent or USD bn).

    ``series`` is the expected series (key or FRED id); when given, the value column must be
    headed with its FRED id. ``unit`` is the unit of the file's values (default: the
    catalogue's published unit). The result is named after the catalogue column
    (``reserves_usd_bn``) and keeps NaN for missing markers.
    """
    source = Path(path).name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if frame.shape[1] != 2 or frame.columns[0] not in DATE_HEADERS:
        raise InputError(
            f"expected a FRED layout: a date column ({'/'.join(DATE_HEADERS)}) "
            "and one value column",
            source=source,
            row=1,
            value=list(frame.columns),
        )
    header = frame.columns[1]
    try:
        spec = spec_for(series if series is not None else header)
    except InputError as exc:
        raise InputError(str(exc), source=source, row=1, field=header) from exc
    if header.upper() != spec.fred_id:
        raise InputError(
            f"value column is not {spec.fred_id}", source=source, row=1, field=header, value=header
        )
    unit = unit or spec.unit
    raw = frame[header].str.strip()
    values = pd.to_numeric(raw.where(~raw.isin(MISSING_MARKERS)), errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() & ~raw.isin(MISSING_MARKERS).to_numpy())
    if bad.size:
        i = int(bad[0])
        raise InputError(
            "not a number nor a missing marker ('' or '.')",
            source=source,
            row=i + 2,
            field=header,
            value=raw.iloc[i],
        )
    index = _parse_dates(frame.iloc[:, 0].str.strip(), source, dayfirst)
    out = pd.Series(values.to_numpy() * TO_NORMALISED[unit], index=index, name=spec.column)
    out.index.name = "date"
    check_plausible(out, spec, source, unit)
    if check_gaps:
        check_no_gaps(out, spec.frequency, source)
    return out


def check_plausible(values: pd.Series, spec: SeriesSpec, source: str, unit: str) -> None:
    """Raise InputError when a value does not fit the declared unit (millions vs billions)."""
    low, high = spec.plausible
    outside = np.flatnonzero(((values < low) | (values > high)).to_numpy())
    if outside.size:
        i = int(outside[0])
        raise InputError(
            f"value outside the plausible range {low:g}..{high:g} {SUFFIX[unit]} for "
            f"{spec.fred_id}: is the file really in {unit}?",
            source=source,
            row=i + 2,
            field=spec.fred_id,
            value=float(values.iloc[i]),
        )


def check_no_gaps(values: pd.Series, frequency: Frequency, source: str) -> None:
    """Raise InputError at the first row after a gap longer than the frequency allows.

    Only rows (present or marked missing) count; a long run of missing markers is not a
    gap in the file but is reported by :func:`check_no_missing_runs`.
    """
    limit = MAX_GAP_DAYS[frequency]
    days = values.index.to_numpy().astype("datetime64[D]").astype(np.int64)
    gaps = np.flatnonzero(np.diff(days) > limit)
    if gaps.size:
        i = int(gaps[0]) + 1
        raise InputError(
            f"gap of {int(days[i] - days[i - 1])} days before this row exceeds the {limit} "
            f"days allowed for a {frequency} series",
            source=source,
            row=i + 2,
            field="date",
            value=str(values.index[i].date()),
        )


# --------------------------------------------------------------------------------------------
# Daily Treasury Statement


def _require_columns(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing DTS columns {missing}", source=source, row=1, value=list(frame.columns)
        )


def _dts_amounts(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    raw = frame[column].astype(str).str.strip()
    values = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise InputError(
            "not a number",
            source=source,
            row=int(frame.index[i]) + 2,
            field=column,
            value=raw.iloc[i],
        )
    return values * TO_NORMALISED["usd_mn"]


#: Treasury Fiscal Data API field names -> the column titles of the website's CSV download.
DTS_API_FIELDS = {
    "record_date": "Record Date",
    "account_type": "Type of Account",
    "open_today_bal": "Opening Balance Today",
    "transaction_type": "Transaction Type",
    "security_market": "Security Marketability",
    "security_type": "Security Type",
    "transaction_today_amt": "Transactions Today",
}
TGA_PLAUSIBLE_USD_BN = (0.0, 3_000.0)


def _read_dts(path: str | Path) -> pd.DataFrame:
    """A DTS table as strings, from either the website download or the API's CSV."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.rename(columns=DTS_API_FIELDS)


def read_dts_operating_cash(path: str | Path) -> pd.Series:
    """TGA closing balance (USD bn, daily) from DTS Table I (Operating Cash Balance).

    Reads the website download or the Fiscal Data API CSV (fields renamed with
    :data:`DTS_API_FIELDS`); amounts are USD millions as published.

    From 2022-04-18 the rows ``Treasury General Account (TGA) Closing Balance`` carry the
    closing balance in the misnamed column ``Opening Balance Today``. Before that the table
    only has opening balances (``Federal Reserve Account`` / ``Treasury General Account
    (TGA)``); the closing balance of a day is the next business day's opening balance.
    """
    source = Path(path).name
    frame = _read_dts(path)
    _require_columns(frame, ["Record Date", "Type of Account", "Opening Balance Today"], source)
    kind = frame["Type of Account"].str.strip()
    dates = pd.to_datetime(frame["Record Date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise InputError(
            "unparseable date",
            source=source,
            row=i + 2,
            field="Record Date",
            value=frame["Record Date"].iloc[i],
        )
    amounts = _dts_amounts(frame, "Opening Balance Today", source)
    closing = pd.Series(
        amounts[kind == "Treasury General Account (TGA) Closing Balance"].to_numpy(),
        index=dates[kind == "Treasury General Account (TGA) Closing Balance"],
    )
    opening_kinds = {
        "Federal Reserve Account",
        "Treasury General Account (TGA)",
        "Treasury General Account (TGA) Opening Balance",
    }
    opening = pd.Series(
        amounts[kind.isin(opening_kinds)].to_numpy(), index=dates[kind.isin(opening_kinds)]
    ).sort_index()
    opening = opening[~opening.index.duplicated(keep="first")]
    from_opening = pd.Series(opening.to_numpy()[1:], index=opening.index[:-1])
    before = from_opening[
        from_opening.index
        < (closing.index.min() if len(closing) else opening.index.max() + pd.Timedelta(days=1))
    ]
    tga = pd.concat([before, closing]).sort_index()
    tga = tga[~tga.index.duplicated(keep="last")]
    tga.index.name = "date"
    tga.name = "tga_usd_bn"
    low, high = TGA_PLAUSIBLE_USD_BN
    outside = tga[(tga < low) | (tga > high)]
    if len(outside):
        raise InputError(
            f"TGA outside {low:g}..{high:g} USD bn: are the amounts in millions "
            "(as DTS publishes them)?",
            source=source,
            row=str(outside.index[0].date()),
            field="Opening Balance Today",
            value=float(outside.iloc[0]),
        )
    check_no_gaps(tga, "daily", source)
    return tga


#: DTS Table IIIA security types that make up marketable issuance to the public.
MARKETABLE_TYPES = {"Bills": "bills", "Notes": "coupons", "Bonds": "coupons"}


def read_dts_public_debt(path: str | Path) -> pd.DataFrame:
    """Marketable issues and redemptions (USD bn, daily) from DTS Table IIIA.

    Keeps ``Security Marketability == Marketable`` and security types Bills, Notes and Bonds
    (Government Account Series are intragovernmental and excluded). Columns:
    ``bills_issued_usd_bn``, ``bills_redeemed_usd_bn``, ``coupons_issued_usd_bn``,
    ``coupons_redeemed_usd_bn`` and ``net_marketable_usd_bn`` (issues minus redemptions).
    """
    source = Path(path).name
    frame = _read_dts(path)
    needed = [
        "Record Date",
        "Transaction Type",
        "Security Marketability",
        "Security Type",
        "Transactions Today",
    ]
    _require_columns(frame, needed, source)
    keep = (frame["Security Marketability"].str.strip() == "Marketable") & frame[
        "Security Type"
    ].str.strip().isin(MARKETABLE_TYPES)
    rows = frame[keep]
    amounts = _dts_amounts(rows, "Transactions Today", source)
    kind = rows["Transaction Type"].str.strip()
    unknown = ~kind.isin(["Issues", "Redemptions"])
    if unknown.any():
        i = int(rows.index[np.flatnonzero(unknown.to_numpy())[0]])
        raise InputError(
            "transaction type must be Issues or Redemptions",
            source=source,
            row=i + 2,
            field="Transaction Type",
            value=frame.loc[i, "Transaction Type"],
        )
    label = (
        rows["Security Type"].str.strip().map(MARKETABLE_TYPES)
        + "_"
        + kind.map({"Issues": "issued", "Redemptions": "redeemed"})
        + "_usd_bn"
    )
    dates = pd.to_datetime(rows["Record Date"], format="%Y-%m-%d")
    table = (
        pd.DataFrame({"date": dates, "label": label, "amount": amounts})
        .pivot_table(index="date", columns="label", values="amount", aggfunc="sum")
        .fillna(0.0)
    )
    for col in (
        "bills_issued_usd_bn",
        "bills_redeemed_usd_bn",
        "coupons_issued_usd_bn",
        "coupons_redeemed_usd_bn",
    ):
        if col not in table:
            table[col] = 0.0
    table["net_marketable_usd_bn"] = (
        table["bills_issued_usd_bn"]
        + table["coupons_issued_usd_bn"]
        - table["bills_redeemed_usd_bn"]
        - table["coupons_redeemed_usd_bn"]
    )
    table.columns.name = None
    return table.sort_index()


# --------------------------------------------------------------------------------------------
# FOMC rate-change tables


def read_rate_changes(path: str | Path, name: str) -> pd.Series:
    """A policy rate (percent) stepped from an FOMC change table, indexed by effective date."""
    source = Path(path).name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require_columns(frame, ["effective_date", "rate_percent"], source)
    rates = pd.to_numeric(frame["rate_percent"], errors="coerce")
    if rates.isna().any():
        i = int(np.flatnonzero(rates.isna().to_numpy())[0])
        raise InputError(
            "not a number",
            source=source,
            row=i + 2,
            field="rate_percent",
            value=frame["rate_percent"].iloc[i],
        )
    index = _parse_dates(frame["effective_date"].str.strip(), source, dayfirst=False)
    out = pd.Series(rates.to_numpy(), index=index, name=name)
    out.index.name = "date"
    return out


def step_daily(changes: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """Forward-fill a change table onto ``index``; NaN before the first change."""
    return changes.reindex(changes.index.union(index)).ffill().reindex(index)


# --------------------------------------------------------------------------------------------
# Sources of series


SeriesLoader = Callable[[str], pd.Series]


def load_sample(key: str) -> pd.Series:
    """A catalogued series from the shipped sample files (normalised unit).

    Vintages are spliced newest first: where the newer file has a value it wins (the two
    WRESBAL vintages agree exactly on their overlap after scaling millions to billions).
    """
    spec = spec_for(key)
    if not spec.samples:
        raise InputError(
            f"series {spec.fred_id} is not in the sample data; fetch it "
            "(glassledger.liquidity.fetch) or load your own file with "
            "read_fred_csv",
            field="series",
            value=key,
        )
    return _spliced_sample(spec.key).copy()


@cache
def _spliced_sample(key: str) -> pd.Series:
    spec = SERIES[key]
    parts = [
        read_fred_csv(sample_path(f.name), key, unit=f.unit, dayfirst=f.dayfirst)
        for f in spec.samples
    ]
    out = parts[0]
    for older in parts[1:]:
        out = out.combine_first(older)
    return out.rename(spec.column)


REPORTED_SRF_FILE = "SRF_takeup_reported_2025.csv"


def load_reported_srf() -> pd.Series:
    """SRF take-ups of 2025 as reported from NY Fed data (USD bn; a few dates, not a full
    daily series; sources in the file), read by :func:`read_srf_file`."""
    return read_srf_file(sample_path(REPORTED_SRF_FILE)).rename("reported_srf_usd_bn")


def read_srf_file(path: str | Path) -> pd.Series:
    """SRF take-up (USD bn, column ``srf_usd_bn``) from either layout:

    * a FRED download of RPONTTLD (``observation_date,RPONTTLD``), or
    * the take-up points layout of the shipped ``SRF_takeup_reported_2025.csv``: a ``date``
      column, a ``srf_usd_bn`` column and any further columns (``source``...).

    Take-up is an event series: the file may list only the days with take-up (no gap check),
    and a day without a row had none. Dates must be ISO and strictly increasing; values
    numbers in USD bn within the plausible range.
    """
    from glassledger.schemas import read, read_raw
    from glassledger.schemas.liquidity import SRF_TAKEUP

    if not {"date", "srf_usd_bn"} <= set(read_raw(path).columns):
        return read_fred_csv(path, "srf")
    frame = read(path, SRF_TAKEUP)
    if frame.empty:
        raise InputError("no take-up rows", source=Path(path).name, field="srf_usd_bn")
    out = pd.Series(
        frame["srf_usd_bn"].to_numpy(float),
        index=pd.DatetimeIndex(frame.index, name="date"),
        name=SERIES["srf"].column,
    )
    return out


@lru_cache(maxsize=1)
def _sample_tga() -> pd.Series:
    return read_dts_operating_cash(sample_path(DTS_CASH_FILE))


def load_sample_tga() -> pd.Series:
    """Daily TGA closing balance (USD bn) from the shipped DTS Table I."""
    return _sample_tga().copy()


@lru_cache(maxsize=1)
def _sample_issuance() -> pd.DataFrame:
    return read_dts_public_debt(sample_path(DTS_DEBT_FILE))


def load_sample_issuance() -> pd.DataFrame:
    """Daily marketable issuance and redemptions (USD bn) from the shipped DTS Table IIIA."""
    return _sample_issuance().copy()


def load_policy_rates(index: pd.DatetimeIndex, loader: SeriesLoader = load_sample) -> pd.DataFrame:
    """The corridor on ``index`` (percent): bottom/top of the target range, IORB (IOER before
    2021-07-29), ON RRP offering rate and SRF minimum bid rate.

    Sources and splices (documented in the sample data README): IORB from the daily FRED
    series where present, else the FOMC change table (which holds IOER before 2021-07-29);
    top of range from DFEDTARU, extended after its last day with IORB + 0.10 (the spread
    since 2021-07-29); bottom = top - 0.25 (the range has been 25 bp wide since
    2008-12-16); ON RRP rate from the FOMC change table; the SRF rate equals the top of the
    range from the SRF's launch on 2021-07-29 and is NaN before (no standing ceiling).
    """
    iorb_table = step_daily(read_rate_changes(sample_path(IORB_CHANGES_FILE), "iorb_pct"), index)
    iorb = carried(loader("iorb"), index, 7).combine_first(iorb_table)
    top = carried(loader("range_top"), index, 7)
    last_top = loader("range_top").dropna().index.max()
    top = top.where(index <= last_top, iorb + 0.10)
    on_rrp = step_daily(read_rate_changes(sample_path(ON_RRP_CHANGES_FILE), "x"), index)
    srf = top.where(index >= SRF_LAUNCH)
    return pd.DataFrame(
        {
            "range_bottom_pct": top - 0.25,
            "range_top_pct": top,
            "iorb_pct": iorb,
            "on_rrp_rate_pct": on_rrp,
            "srf_rate_pct": srf,
        },
        index=index,
    )


#: The Standing Repo Facility was established on 2021-07-28, first operations 2021-07-29.
SRF_LAUNCH = pd.Timestamp("2021-07-29")


def carried(series: pd.Series, index: pd.DatetimeIndex, max_days: int) -> pd.Series:
    """The last observation on or before each day of ``index``, if at most ``max_days``
    calendar days old: never across a longer gap, and never past the end of the data (days
    after the last observation are NaN, whatever ``max_days``)."""
    observed = series.dropna()
    out = observed.reindex(index, method="ffill", tolerance=pd.Timedelta(days=max_days))
    if observed.empty:
        return out
    return out.where(index <= observed.index[-1])


def us_business_days(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """US business days from ``start`` to ``end`` (inclusive): weekdays that are not Federal
    Reserve holidays, from the shared calendar :mod:`glassledger.contracts.business_days`
    (the one the on-ledger reserve rules use), named ``date``."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    epoch = pd.Timestamp("1970-01-01")
    holidays = [
        epoch + pd.Timedelta(days=d)
        for year in range(first.year, last.year + 1)
        for d in business_days.fed_holidays(year)
    ]
    return pd.bdate_range(first, last, freq="C", holidays=holidays, name="date")


def next_us_business_days(start: str | pd.Timestamp, periods: int) -> pd.DatetimeIndex:
    """The first ``periods`` US business days on or after ``start``."""
    first = pd.Timestamp(start)
    days = us_business_days(first, first + pd.Timedelta(days=periods * 7 // 5 + 30))
    return days[:periods]


def published(series: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """A daily series on ``index`` as published: NaN on days without a print."""
    return series[~series.index.duplicated(keep="last")].reindex(index)


def weekly_on_days(weekly: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """A Wednesday series carried forward to the following days of ``index`` (no look-ahead
    before the Wednesday it refers to; at most 13 days; never past the last Wednesday)."""
    return carried(weekly, index, 13)


def build_panel(
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    loader: SeriesLoader = load_sample,
    tga_daily: pd.Series | None = None,
    extra: dict[str, pd.Series] | None = None,
    issuance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per US business day (:func:`us_business_days`: Federal Reserve holidays
    excluded) from ``start`` to ``end`` with every series normalised.

    Daily market series (SOFR, EFFR, ON RRP, bills, the DTS TGA) are taken as published: a day
    the market was closed (a Good Friday, a SIFMA early holiday) has no print (NaN), never the
    previous day's value, so statistics are over the days the market was open. Weekly
    Wednesday series (WALCL, WRESBAL, bank assets) are levels carried forward from their
    Wednesday (at most 13 days, over a missing week), never past the last observation; the
    policy rates are step functions in force every day.
    The TGA is the daily DTS closing balance where available (``tga_daily``, default: the
    shipped DTS table) and the weekly WTREGEN average before. ``extra`` adds user series
    (e.g. ``{"srf": srf_series}``) already in normalised units. ``issuance`` (default: the
    shipped DTS Table IIIA) adds ``net_bills_usd_bn`` and ``net_coupons_usd_bn`` (marketable
    issues minus redemptions, NaN outside the table's dates).
    """
    index = us_business_days(start, end)
    columns: dict[str, pd.Series] = {}
    for key in ("sofr", "effr", "on_rrp", "bill_3m"):
        columns[SERIES[key].column] = published(loader(key), index)
    for key in ("fed_assets", "reserves", "bank_assets"):
        columns[SERIES[key].column] = weekly_on_days(loader(key), index)
    daily_tga = load_sample_tga() if tga_daily is None else tga_daily
    tga = published(daily_tga, index)
    tga = tga.combine_first(weekly_on_days(loader("tga_weekly"), index))
    columns["tga_usd_bn"] = tga
    debt = load_sample_issuance() if issuance is None else issuance
    covered = (index >= debt.index.min()) & (index <= debt.index.max())
    flows = debt.reindex(index).fillna(0.0)
    flows[~covered] = np.nan
    columns["net_bills_usd_bn"] = flows["bills_issued_usd_bn"] - flows["bills_redeemed_usd_bn"]
    columns["net_coupons_usd_bn"] = (
        flows["coupons_issued_usd_bn"] - flows["coupons_redeemed_usd_bn"]
    )
    for name, series in (extra or {}).items():
        columns[SERIES[name].column if name in SERIES else name] = series.reindex(index)
    panel = pd.concat(
        [load_policy_rates(index, loader), pd.DataFrame(columns, index=index)], axis=1
    )
    return panel

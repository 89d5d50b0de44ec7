"""Fresh FRED data with an on-disk cache, falling back to the shipped sample offline.

A :class:`FredFetcher` is a series loader (``key -> Series``) like
:func:`glassledger.liquidity.data.load_sample`, so :func:`~glassledger.liquidity.data.build_panel`
takes either. It downloads one series at a time:

* with an API key (argument or ``FRED_API_KEY``) through ``fredapi``;
* without one from the plain CSV endpoint ``fredgraph.csv?id=<ID>`` (any URL template with
  ``{fred_id}`` works, including ``file://`` URLs).

:func:`fetch_dts` downloads Daily Treasury Statement tables from the Treasury Fiscal Data API.

Whatever the path, the download is stored in the cache as a FRED-layout CSV
(``<cache>/<FRED_ID>.csv``) and read back through :func:`read_fred_csv`, so fetched data gets
exactly the same validation as shipped data. A cached file younger than ``max_age`` is used
without a download. When the network fails, a stale cache file is used; with no cache,
:class:`FetchError` is raised (use :func:`with_sample_fallback` to fall back to the sample).
After one network failure the fetcher stops trying for the rest of its life (no timeout per
series when the machine is offline).
"""

from __future__ import annotations

import io
import os
import time
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from glassledger.errors import GlassledgerError, InputError
from glassledger.liquidity.data import SeriesLoader, load_sample, read_fred_csv, spec_for

FRED_CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={fred_id}"
FISCAL_DATA_URL = (
    "https://api.fiscaldata.treasury.gov/services/api/fiscal_service/v1/accounting/dts"
)
DTS_TABLES = ("operating_cash_balance", "public_debt_transactions")
DTS_PAGE_SIZE = 10_000


class FetchError(GlassledgerError):
    """A series could not be downloaded and no cached copy exists."""


def default_cache_dir() -> Path:
    """``$GLASSLEDGER_CACHE/liquidity``, else ``$XDG_CACHE_HOME/glassledger/liquidity``, else
    ``~/.cache/glassledger/liquidity``."""
    if root := os.environ.get("GLASSLEDGER_CACHE"):
        return Path(root) / "liquidity"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "glassledger" / "liquidity"


def download(url: str, timeout: float = 30.0) -> bytes:
    """Bytes at ``url`` (http, https or file)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _fredapi_csv(api_key: str, fred_id: str) -> bytes:
    """A series through ``fredapi``, rendered in the FRED CSV layout (missing as empty)."""
    from fredapi import Fred

    values = Fred(api_key=api_key).get_series(fred_id)
    frame = pd.DataFrame(
        {
            "observation_date": pd.DatetimeIndex(values.index).strftime("%Y-%m-%d"),
            fred_id: values.to_numpy(),
        }
    )
    return frame.to_csv(index=False, na_rep="").encode()


@dataclass
class FredFetcher:
    """Series loader that downloads from FRED into ``cache_dir`` (see module docstring).

    ``max_age_s`` is the age in seconds below which a cached file is reused (default one
    day: FRED updates daily series once a day). ``opener`` fetches a URL (replace it in
    tests or behind a proxy).
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    api_key: str | None = field(default_factory=lambda: os.environ.get("FRED_API_KEY"))
    url_template: str = FRED_CSV_URL
    max_age_s: float = 86_400.0
    opener: Callable[[str], bytes] = download
    offline: bool = field(default=False, init=False)  # set after a network failure

    def cached_path(self, key: str) -> Path:
        """Where the cached copy of series ``key`` lives."""
        return Path(self.cache_dir) / f"{spec_for(key).fred_id}.csv"

    def __call__(self, key: str) -> pd.Series:
        """Series ``key`` in its normalised unit, downloaded unless a fresh copy is cached."""
        path = self.cached_path(key)
        fresh = path.exists() and time.time() - path.stat().st_mtime < self.max_age_s
        if self.offline and not path.exists():
            raise FetchError(
                f"offline (an earlier download failed) and no cached copy of "
                f"{spec_for(key).fred_id} in {self.cache_dir}"
            )
        if not fresh and self.offline:
            warnings.warn(f"offline: using stale cache {path.name}", stacklevel=2)
        elif not fresh:
            try:
                self._refresh(key, path)
            except (OSError, ValueError) as exc:
                self.offline = self.offline or isinstance(exc, OSError)
                if not path.exists():
                    raise FetchError(
                        f"cannot download {spec_for(key).fred_id} and no cached "
                        f"copy in {self.cache_dir}: {exc}"
                    ) from exc
                warnings.warn(f"using stale cache {path.name}: {exc}", stacklevel=2)
        return read_fred_csv(path, key)

    def _refresh(self, key: str, path: Path) -> None:
        fred_id = spec_for(key).fred_id
        if self.api_key:
            body = _fredapi_csv(self.api_key, fred_id)
        else:
            body = self.opener(self.url_template.format(fred_id=fred_id))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(body)
        try:
            read_fred_csv(partial, key)
        except InputError:
            partial.unlink()
            raise
        partial.replace(path)


def fetch_dts(
    table: str,
    start: str,
    *,
    cache_dir: Path | None = None,
    base_url: str = FISCAL_DATA_URL,
    opener: Callable[[str], bytes] = download,
) -> Path:
    """Download a Daily Treasury Statement table from Treasury Fiscal Data since ``start``
    (YYYY-MM-DD) as CSV, page by page, into ``<cache>/dts_<table>.csv``; returns the path.

    Read the result with :func:`~glassledger.liquidity.data.read_dts_operating_cash` or
    :func:`~glassledger.liquidity.data.read_dts_public_debt` (API field names are mapped to
    the download's column titles). Raises FetchError when the download fails.
    """
    if table not in DTS_TABLES:
        raise InputError(
            f"unknown DTS table; choose one of {DTS_TABLES}", field="table", value=table
        )
    frames = []
    page = 1
    while True:
        url = (
            f"{base_url}/{table}?filter=record_date:gte:{start}&format=csv"
            f"&page[size]={DTS_PAGE_SIZE}&page[number]={page}"
        )
        try:
            body = opener(url)
        except OSError as exc:
            raise FetchError(f"cannot download DTS {table}: {exc}") from exc
        frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
        frames.append(frame)
        if len(frame) < DTS_PAGE_SIZE:
            break
        page += 1
    path = Path(cache_dir or default_cache_dir()) / f"dts_{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames).sort_values("record_date", kind="stable").to_csv(path, index=False)
    return path


def with_sample_fallback(loader: SeriesLoader) -> SeriesLoader:
    """A loader that tries ``loader`` and uses the shipped sample when it raises FetchError."""

    def load(key: str) -> pd.Series:
        try:
            return loader(key)
        except FetchError as exc:
            warnings.warn(f"{exc}; using the shipped sample", stacklevel=2)
            return load_sample(key)

    return load

"""The fetch path, offline: a file:// URL template and a monkeypatched fredapi."""

from __future__ import annotations

import os
import sys
import types

import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.liquidity import fetch
from glassledger.liquidity.data import sample_path


def test_csv_url_download_is_cached(tmp_path):
    source = tmp_path / "remote"
    source.mkdir()
    (source / "SOFR.csv").write_bytes(sample_path("SOFR.csv").read_bytes())
    fetcher = fetch.FredFetcher(
        cache_dir=tmp_path / "cache", api_key=None, url_template=source.as_uri() + "/{fred_id}.csv"
    )
    sofr = fetcher("sofr")
    assert sofr.loc["2019-09-17"] == 5.25
    assert fetcher.cached_path("sofr").exists()
    (source / "SOFR.csv").unlink()  # fresh cache: no download needed
    assert fetcher("SOFR").equals(sofr)


def test_stale_cache_used_when_network_fails(tmp_path):
    calls = []

    def offline(url):
        calls.append(url)
        raise OSError("network unreachable")

    fetcher = fetch.FredFetcher(cache_dir=tmp_path, api_key=None, opener=offline, max_age_s=0)
    with pytest.raises(fetch.FetchError, match="no cached copy"):
        fetcher("iorb")
    fetcher.cached_path("iorb").write_text("observation_date,IORB\n2025-01-02,4.40\n")
    with pytest.warns(UserWarning, match="stale cache"):
        iorb = fetcher("iorb")
    assert iorb.iloc[0] == 4.40 and "id=IORB" in calls[0]
    fallback = fetch.with_sample_fallback(
        fetch.FredFetcher(cache_dir=tmp_path / "none", api_key=None, opener=offline)
    )
    with pytest.warns(UserWarning, match="shipped sample"):
        assert fallback("sofr").loc["2019-09-17"] == 5.25


def test_bad_download_never_replaces_cache(tmp_path):
    fetcher = fetch.FredFetcher(
        cache_dir=tmp_path,
        api_key=None,
        max_age_s=0,
        opener=lambda url: b"DATE,WALCL\n2025-01-01,6.8\n",
    )
    with pytest.raises(fetch.FetchError, match="plausible range"):
        fetcher("fed_assets")
    assert not any(tmp_path.iterdir())


def test_fredapi_path(tmp_path, monkeypatch):
    class FakeFred:
        def __init__(self, api_key):
            assert api_key == "k"

        def get_series(self, fred_id):
            assert fred_id == "RPONTTLD"
            return pd.Series(
                [0.0, 50.35, float("nan")],
                index=pd.to_datetime(["2025-10-30", "2025-10-31", "2025-11-03"]),
            )

    monkeypatch.setitem(sys.modules, "fredapi", types.SimpleNamespace(Fred=FakeFred))
    srf = fetch.FredFetcher(cache_dir=tmp_path, api_key="k")("srf")
    assert srf.name == "srf_usd_bn" and srf.loc["2025-10-31"] == 50.35
    assert pd.isna(srf.loc["2025-11-03"])


def test_default_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSLEDGER_CACHE", str(tmp_path))
    assert fetch.default_cache_dir() == tmp_path / "liquidity"
    monkeypatch.delenv("GLASSLEDGER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", os.fspath(tmp_path))
    assert fetch.default_cache_dir() == tmp_path / "glassledger" / "liquidity"


def test_fetch_dts_from_api_layout(tmp_path):
    # Fiscal Data API field names (record_date, account_type, open_today_bal; USD millions)
    pages = {
        1: "record_date,account_type,open_today_bal\n"
        "2025-10-30,Treasury General Account (TGA) Closing Balance,1000632\n"
        "2025-10-31,Treasury General Account (TGA) Closing Balance,926328\n",
    }
    urls = []

    def opener(url):
        urls.append(url)
        return pages[int(url.rsplit("=", 1)[1])].encode()

    path = fetch.fetch_dts(
        "operating_cash_balance",
        "2025-10-30",
        cache_dir=tmp_path,
        base_url="https://example.invalid/dts",
        opener=opener,
    )
    from glassledger.liquidity.data import read_dts_operating_cash

    tga = read_dts_operating_cash(path)
    assert tga.loc["2025-10-31"] == pytest.approx(926.328)
    assert "filter=record_date:gte:2025-10-30" in urls[0] and "format=csv" in urls[0]


def test_dts_in_dollars_is_rejected(tmp_path):
    path = tmp_path / "ocb.csv"
    path.write_text(
        "record_date,account_type,open_today_bal\n"
        "2025-10-31,Treasury General Account (TGA) Closing Balance,926328000000\n"
    )
    from glassledger.liquidity.data import read_dts_operating_cash

    with pytest.raises(InputError, match="millions"):
        read_dts_operating_cash(path)


def test_fetch_dts_unknown_table_and_offline(tmp_path):
    with pytest.raises(InputError, match="unknown DTS table"):
        fetch.fetch_dts("nope", "2025-01-01", cache_dir=tmp_path)

    def offline(url):
        raise OSError("no network")

    with pytest.raises(fetch.FetchError):
        fetch.fetch_dts(
            "public_debt_transactions", "2025-01-01", cache_dir=tmp_path, opener=offline
        )


def test_one_network_failure_stops_further_downloads(tmp_path):
    calls = []

    def offline(url):
        calls.append(url)
        raise OSError("no route to host")

    fetcher = fetch.FredFetcher(cache_dir=tmp_path, api_key=None, opener=offline)
    for key in ("sofr", "effr", "iorb"):
        with pytest.raises(fetch.FetchError):
            fetcher(key)
    assert len(calls) == 1 and fetcher.offline

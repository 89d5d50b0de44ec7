"""SOFR against the corridor, the model beside the data, as plain series (for the dashboard
and the API's ``/v1/liquidity/corridor``).

Runs a scenario of :mod:`glassledger.liquidity.model` over the bundled sample data and lays the
observed SOFR and reserves beside the simulated ones on the days both exist. Rates in percent,
amounts in USD billions, dates ISO ``YYYY-MM-DD``; the fit summary in basis points.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

#: Columns served, in order (absent ones are left out).
COLUMNS = (
    "srf_rate_pct",
    "iorb_pct",
    "on_rrp_rate_pct",
    "sofr_pct",
    "data_sofr_pct",
    "reserves_usd_bn",
    "data_reserves_usd_bn",
    "srf_usd_bn",
)


def _clean(values: Any) -> list[float | None]:
    out = [None if v is None else float(v) for v in values]
    return [None if v is None or not math.isfinite(v) else round(v, 6) for v in out]


@lru_cache(maxsize=4)
def corridor_series(scenario: str = "2025", seed: int = 0) -> dict[str, Any]:
    """The daily corridor, model SOFR and data SOFR of ``scenario`` (cached per process).

    ``summary``: days with both model and data, mean and mean absolute model-minus-data SOFR
    error (bp), and the share of data days inside the corridor [ON RRP rate, SRF rate].
    """
    from glassledger.liquidity.model import build_scenario
    from glassledger.liquidity.model import simulate as run
    from glassledger.liquidity.model.scenario import sample_panel

    panel = sample_panel()
    built = build_scenario(scenario, panel=panel)
    daily = run(built, seed=seed).daily.copy()
    overlap = panel.reindex(daily.index)
    daily["data_sofr_pct"] = overlap["sofr_pct"]
    daily["data_reserves_usd_bn"] = overlap["reserves_usd_bn"]
    both = daily[["sofr_pct", "data_sofr_pct"]].dropna()
    error_bp = (both["sofr_pct"] - both["data_sofr_pct"]) * 100
    data_days = daily.dropna(subset=["data_sofr_pct"])
    inside = (
        (data_days["data_sofr_pct"] >= data_days["on_rrp_rate_pct"])
        & (data_days["data_sofr_pct"] <= data_days["srf_rate_pct"])
    ).mean()
    series: dict[str, list] = {"date": [d.strftime("%Y-%m-%d") for d in daily.index]}
    for column in COLUMNS:
        if column in daily:
            series[column] = _clean(daily[column].to_numpy())
    summary = {
        "days_compared": len(both),
        "mean_error_bp": round(float(error_bp.mean()), 2) if len(both) else None,
        "mean_abs_error_bp": round(float(error_bp.abs().mean()), 2) if len(both) else None,
        "data_inside_corridor": round(float(inside), 4) if len(data_days) else None,
    }
    return {
        "scenario": scenario,
        "description": built.description,
        "series": series,
        "summary": summary,
    }

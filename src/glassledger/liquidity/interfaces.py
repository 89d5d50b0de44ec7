"""The seam between the dollar corridor and the markets that fund at its rates.

Two protocols, and one function that puts them side by side:

:class:`RateSource`
    gives the corridor's daily rates: the ON RRP rate (floor), IORB, the SRF rate
    (ceiling, NaN before the SRF existed) and SOFR, all in **percent**, one row per business
    day, columns :data:`CORRIDOR_COLUMNS`. Implementations here: :class:`DataRateSource`
    (published data) and :class:`SimulatedRateSource` (a corridor-model run).

:class:`FundingMarket`
    a market whose overnight funding rate responds to the corridor: an off-ledger money
    market, the basket coin's reserve (bills and repo), or an on-ledger repo / lending pool.
    ``funding_rates(corridor)`` maps a corridor frame to the market's rate (percent) on the
    same dates, so a corridor shock (a SOFR spike) reaches the market through one call.
    :class:`PassThroughMarket` is the reference implementation (a spread plus a pass-through
    of SOFR); on-ledger markets implement the same method by reading their pools.

Nothing here imports the ledger: on-ledger markets depend on this module, not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pandas as pd

from glassledger.errors import InputError

CORRIDOR_COLUMNS = ("on_rrp_rate_pct", "iorb_pct", "srf_rate_pct", "sofr_pct")


@runtime_checkable
class RateSource(Protocol):
    """Daily corridor rates in percent (see module docstring)."""

    def corridor(self, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
        """Rows for business days in [start, end], columns :data:`CORRIDOR_COLUMNS`."""
        ...


@runtime_checkable
class FundingMarket(Protocol):
    """A market funding at rates driven by the corridor."""

    name: str

    def funding_rates(self, corridor: pd.DataFrame) -> pd.Series:
        """The market's overnight funding rate (percent) on ``corridor``'s dates."""
        ...


def _window(frame: pd.DataFrame, start, end, what: str) -> pd.DataFrame:
    missing = [c for c in CORRIDOR_COLUMNS if c not in frame]
    if missing:
        raise InputError(f"corridor columns missing: {missing}", source=what)
    return frame.loc[pd.Timestamp(start) : pd.Timestamp(end), list(CORRIDOR_COLUMNS)]


@dataclass(frozen=True)
class DataRateSource:
    """Corridor rates from a panel built by :func:`glassledger.liquidity.data.build_panel`."""

    panel: pd.DataFrame

    def corridor(self, start, end) -> pd.DataFrame:
        """Published corridor rates in [start, end] (percent)."""
        return _window(self.panel, start, end, "data panel")


@dataclass(frozen=True)
class SimulatedRateSource:
    """Corridor rates from a :class:`glassledger.liquidity.model.SimulationResult` frame."""

    daily: pd.DataFrame

    def corridor(self, start, end) -> pd.DataFrame:
        """Simulated corridor rates in [start, end] (percent)."""
        return _window(self.daily, start, end, "simulation")


@dataclass(frozen=True)
class PassThroughMarket:
    """Funding rate = SOFR x ``beta`` + (1 - ``beta``) x IORB + ``spread_bp`` / 100.

    ``beta`` in [0, 1] is the share of a SOFR move passed on the same day (1: a repo pool
    priced off SOFR; 0: a market anchored on IORB); ``spread_bp`` the market's premium in
    basis points (positive: dearer than the corridor).
    """

    name: str
    spread_bp: float = 0.0
    beta: float = 1.0

    def funding_rates(self, corridor: pd.DataFrame) -> pd.Series:
        """The market's rate (percent) on the corridor's dates."""
        rate = self.beta * corridor["sofr_pct"] + (1.0 - self.beta) * corridor["iorb_pct"]
        return (rate + self.spread_bp / 100.0).rename(f"{self.name}_pct")


def side_by_side(source: RateSource, markets: list[FundingMarket], start, end) -> pd.DataFrame:
    """The corridor and each market's funding rate (column ``<name>_pct``), plus each
    market's spread to SOFR in basis points (``<name>_minus_sofr_bp``)."""
    corridor = source.corridor(start, end)
    out = corridor.copy()
    for market in markets:
        rate = market.funding_rates(corridor)
        out[f"{market.name}_pct"] = rate.to_numpy()
        out[f"{market.name}_minus_sofr_bp"] = 100.0 * (rate.to_numpy() - corridor["sofr_pct"])
    return out

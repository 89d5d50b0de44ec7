"""SA-CCR rule sets as versions: each regime overrides only what differs (STYLE.md lesson 6).

* :class:`Bcbs2014` — BCBS, "The standardised approach for measuring counterparty credit risk
  exposures" (bcbs279, March 2014, revised April 2014).
* :class:`Cre52` — the Basel Framework chapter CRE52 (consolidated text). It adds the
  lambda shift of the option price and strike for negative rates (CRE52.40, FAQ 2); the
  2014 text requires ln(P/K) with positive P and K.
* :class:`Cre52Alpha1` — CRE52 with alpha = 1, a jurisdictional variant (for example the
  US rule for netting sets with commercial end users).

Any regime takes ``alpha=`` to override alpha for one run (``Cre52(alpha=1.2)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.errors import ConfigError, InputError
from glassledger.risk.saccr.supervisory import BUSINESS_DAYS_PER_YEAR


class Bcbs2014:
    """SA-CCR as published in bcbs279 (2014)."""

    name = "BCBS 2014 (bcbs279)"
    #: EAD = alpha x (RC + PFE) (bcbs279 para 128; CRE52.1).
    alpha = 1.4
    #: Floor of the PFE multiplier (CRE52.22-23).
    multiplier_floor = 0.05
    #: Floors of M and of the supervisory duration, in business days (CRE52.34, CRE52.48-49).
    maturity_floor_days = 10.0
    #: MPOR floors in business days (CRE52.50-51): cleared, bilateral daily, large/illiquid.
    mpor_floor_cleared = 5.0
    mpor_floor_bilateral = 10.0
    mpor_floor_large = 20.0
    large_netting_set_trades = 5000
    disputes_before_doubling = 2

    def __init__(self, alpha: float | None = None) -> None:
        if alpha is not None:
            if not (np.isfinite(alpha) and alpha > 0):
                raise ConfigError(f"alpha must be a positive number, got {alpha!r}")
            self.alpha = float(alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha})"

    @property
    def maturity_floor_years(self) -> float:
        """The 10-business-day floor in years (10 / 250)."""
        return self.maturity_floor_days / BUSINESS_DAYS_PER_YEAR

    def option_prices(
        self, trades: pd.DataFrame, option: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """P and K entering ln(P/K) for the option rows; both must be positive (no shift)."""
        shifted = option & (trades["lambda_shift"].to_numpy() != 0)
        _raise_first(
            trades,
            shifted,
            "lambda_shift",
            f"{self.name} has no lambda shift; use the CRE52 regime",
        )
        price = trades["underlying_price"].to_numpy()
        strike = trades["strike"].to_numpy()
        return self._positive(trades, option, price, strike)

    @staticmethod
    def _positive(
        trades: pd.DataFrame, option: np.ndarray, price: np.ndarray, strike: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        _raise_first(
            trades,
            option & ~(price > 0),
            "underlying_price",
            "option price P (plus lambda) must be > 0 for ln(P/K)",
        )
        _raise_first(
            trades,
            option & ~(strike > 0),
            "strike",
            "option strike K (plus lambda) must be > 0 for ln(P/K)",
        )
        return price, strike


class Cre52(Bcbs2014):
    """SA-CCR as consolidated in the Basel Framework, CRE52."""

    name = "Basel Framework CRE52"

    def option_prices(
        self, trades: pd.DataFrame, option: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """P + lambda and K + lambda (CRE52.40 FAQ 2: shift for negative rates)."""
        shift = trades["lambda_shift"].to_numpy()
        _raise_first(trades, option & ~(shift >= 0), "lambda_shift", "lambda must be >= 0")
        price = trades["underlying_price"].to_numpy() + shift
        strike = trades["strike"].to_numpy() + shift
        return self._positive(trades, option, price, strike)


class Cre52Alpha1(Cre52):
    """CRE52 with alpha = 1 (jurisdictional variant)."""

    name = "Basel Framework CRE52, alpha = 1"
    alpha = 1.0


REGIMES: dict[str, type[Bcbs2014]] = {
    "cre52": Cre52,
    "bcbs2014": Bcbs2014,
    "cre52-alpha1": Cre52Alpha1,
}


def regime_named(name: str, alpha: float | None = None) -> Bcbs2014:
    """The regime registered under ``name`` (see :data:`REGIMES`), optionally with ``alpha``."""
    try:
        return REGIMES[name.lower()](alpha=alpha)
    except KeyError:
        raise ConfigError(
            f"unknown SA-CCR regime {name!r}; choose from {sorted(REGIMES)}"
        ) from None


def _raise_first(trades: pd.DataFrame, bad: np.ndarray, field: str, message: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            message,
            source=trades.attrs.get("source", "trades"),
            row=trades["trade_id"].iloc[i],
            field=field,
            value=trades[field].iloc[i],
        )

"""Collateral by type: the standard supervisory haircuts of CRE22.49, scaled for SA-CCR.

Instead of haircut values in the netting-set table, collateral can be listed item by item
(:data:`COLLATERAL_COLUMNS`); each item's haircut value is added to the netting set's
``variation_margin``, ``im_received`` or ``im_posted_unsegregated`` (IM posted to a
segregated account is not part of NICA, CRE52.17, and is ignored).

* Haircut H_10 (10-business-day holding period, daily mark-to-market) from CRE22.49: debt
  securities by issuer (sovereign, other issuer, securitisation), issue rating band and
  residual maturity; main index equities and gold 20%; other listed equities 30%; cash 0%;
  plus the 8% currency-mismatch haircut Hfx of CRE22.
* Scaling to the SA-CCR horizon (CRE52.5, CRE52.10 FAQ1): margined netting sets use the
  margin period of risk, ``H = H_10 sqrt(MPOR / 10)``; unmargined ones the formula of CRE22.59,
  ``H = H_10 sqrt((N + T_M - 1) / 10)`` with T_M = 10 business days (OTC derivatives) and N
  the maturity of the longest trade of the netting set in business days, capped at 250; H
  is capped at 100%.
* Received collateral counts ``amount (1 - H)``, posted ``amount (1 + H)`` (CRE52.11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.saccr.portfolio import normalise_table
from glassledger.risk.saccr.supervisory import BUSINESS_DAYS_PER_YEAR
from glassledger.schemas.saccr import COLLATERAL

#: The declared collateral table (see :mod:`glassledger.schemas.saccr`).
COLLATERAL_COLUMNS = COLLATERAL.fields

#: CRE22.49 haircuts for debt securities, percent: (rating band, maturity band) ->
#: (sovereigns, other issuers, securitisation); maturity bands <= 1, 3, 5, 10 years, > 10.
#: None = not eligible.
DEBT_HAIRCUTS: dict[str, tuple[tuple[float | None, float | None, float | None], ...]] = {
    "AAA-AA": ((0.5, 1, 2), (2, 3, 8), (2, 4, 8), (4, 6, 16), (4, 12, 16)),
    "A-BBB": ((1, 2, 4), (3, 4, 12), (3, 6, 12), (6, 12, 24), (6, 20, 24)),
    "BB": ((15, None, None),) * 5,
}
RATINGS = tuple(DEBT_HAIRCUTS)
MATURITY_BANDS = (1.0, 3.0, 5.0, 10.0)
DEBT_TYPES = ("SOVEREIGN", "OTHER_ISSUER", "SECURITISATION")
#: CRE22.49 haircuts of the other types, percent.
OTHER_HAIRCUTS = {"CASH": 0.0, "MAIN_INDEX_EQUITY": 20.0, "GOLD": 20.0, "OTHER_EQUITY": 30.0}
FX_MISMATCH = 8.0  # Hfx of CRE22, percent (10-day holding period)
HOLDING_PERIOD_DAYS = 10.0  # T_M of OTC derivatives; H_10 is for 10 days


def ten_day_haircut(items: pd.DataFrame, source: str = "collateral") -> np.ndarray:
    """H_10 of each validated item as a decimal (before scaling), Hfx included."""
    kind = items["type"].astype(object).to_numpy()
    h = pd.Series(kind).map(OTHER_HAIRCUTS).to_numpy(dtype=float)
    debt = np.isin(kind, DEBT_TYPES)
    rating = items["rating"].astype(object).to_numpy()
    maturity = items["residual_maturity"].to_numpy()
    band = np.searchsorted(MATURITY_BANDS, maturity, side="left")
    column = pd.Series(kind).map({t: i for i, t in enumerate(DEBT_TYPES)}).fillna(0)
    table = np.array(
        [[[np.nan if x is None else x for x in cell] for cell in DEBT_HAIRCUTS[r]] for r in RATINGS]
    )
    row = pd.Series(rating).map({r: i for i, r in enumerate(RATINGS)}).fillna(0)
    debt_h = table[row.to_numpy(dtype=int), np.minimum(band, 4), column.to_numpy(dtype=int)]
    eligible = ~(debt & np.isnan(debt_h))
    if not eligible.all():
        _bad(items, int(np.flatnonzero(~eligible)[0]), "rating", "not eligible (CRE22.49)", source)
    h = np.where(debt, debt_h, h)
    return (h + np.where(items["currency_mismatch"].to_numpy(dtype=bool), FX_MISMATCH, 0)) / 100


def validate_collateral(frame: pd.DataFrame, source: str = "collateral") -> pd.DataFrame:
    """Normalised collateral table; InputError naming row and field for bad values."""
    c = normalise_table(frame, COLLATERAL, source)
    checks = [
        (~c["role"].isin(["VM", "IM"]).to_numpy(), "role", "role must be VM or IM"),
        (
            ~c["direction"].isin(["RECEIVED", "POSTED"]).to_numpy(),
            "direction",
            "direction must be RECEIVED or POSTED",
        ),
        (~(c["amount"].to_numpy() >= 0) | np.isinf(c["amount"]), "amount", "must be >= 0"),
        (
            ~c["type"].isin([*DEBT_TYPES, *OTHER_HAIRCUTS]).to_numpy(),
            "type",
            f"unknown collateral type, expected one of {[*DEBT_TYPES, *OTHER_HAIRCUTS]}",
        ),
    ]
    debt = c["type"].isin(DEBT_TYPES).to_numpy()
    checks += [
        (
            debt & ~c["rating"].isin(list(DEBT_HAIRCUTS)).to_numpy(),
            "rating",
            f"debt needs a rating band {list(DEBT_HAIRCUTS)}",
        ),
        (
            debt & ~(c["residual_maturity"].to_numpy() > 0),
            "residual_maturity",
            "debt needs its residual maturity > 0 years",
        ),
        (
            c["segregated"].to_numpy(dtype=bool)
            & ~((c["role"] == "IM") & (c["direction"] == "POSTED")).to_numpy(),
            "segregated",
            "only IM posted by the bank can be segregated",
        ),
    ]
    for bad, field, message in checks:
        if bad.any():
            _bad(c, int(np.flatnonzero(bad)[0]), field, message, source)
    return c


def collateral_amounts(
    items: pd.DataFrame,
    names: pd.Index,
    margined: np.ndarray,
    mpor_days: np.ndarray,
    longest_maturity: np.ndarray,
) -> dict[str, np.ndarray]:
    """Haircut values per netting set, keyed by the netting-set column they add to.

    ``mpor_days`` is used where ``margined``; else ``longest_maturity`` (years) gives N.
    """
    where = pd.Index(names).get_indexer(items["netting_set"].astype(object))
    if (where < 0).any():
        _bad(items, int(np.flatnonzero(where < 0)[0]), "netting_set", "unknown netting set")
    n_days = np.minimum(longest_maturity * BUSINESS_DAYS_PER_YEAR, BUSINESS_DAYS_PER_YEAR)
    horizon = np.where(
        margined, np.nan_to_num(mpor_days), n_days + HOLDING_PERIOD_DAYS - 1.0
    )  # business days
    h = ten_day_haircut(items) * np.sqrt(horizon[where] / HOLDING_PERIOD_DAYS)
    h = np.minimum(h, 1.0)
    amount = items["amount"].to_numpy()
    received = (items["direction"] == "RECEIVED").to_numpy()
    value = np.where(received, amount * (1.0 - h), amount * (1.0 + h))
    vm = (items["role"] == "VM").to_numpy()
    segregated = items["segregated"].to_numpy(dtype=bool)
    n = len(names)
    return {
        "variation_margin": np.bincount(
            where, np.where(vm, np.where(received, value, -value), 0), n
        ),
        "im_received": np.bincount(where, np.where(~vm & received, value, 0.0), n),
        "im_posted_unsegregated": np.bincount(
            where, np.where(~vm & ~received & ~segregated, value, 0.0), n
        ),
    }


def _bad(items: pd.DataFrame, i: int, field: str, message: str, source: str = "collateral"):
    raise InputError(message, source=source, row=i, field=field, value=items[field].iloc[i])

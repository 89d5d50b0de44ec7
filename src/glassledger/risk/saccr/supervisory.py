"""Supervisory parameters of SA-CCR: Basel Framework CRE52.72, Table 2.

Every figure is a decimal fraction (0.005 = 0.5 %). ``SUPERVISORY_PARAMETERS`` is the table
itself, one row per (asset class, subclass), so that users can print it and tests can check it
cell by cell against the published table.

Subclasses, as the portfolio table spells them (upper case):

* interest rate and FX: the subclass is empty;
* credit single names: the rating ``AAA`` ... ``CCC``; credit indices: ``IG`` or ``SG``;
* equity: ``SINGLE`` or ``INDEX``;
* commodity: ``ELECTRICITY``, ``OIL/GAS``, ``METALS``, ``AGRICULTURAL``, ``OTHER`` (Table 2),
  plus ``ENERGY`` for other energy commodities such as coal (energy hedging set, 18 %).
"""

from __future__ import annotations

import pandas as pd

ASSET_CLASSES: tuple[str, ...] = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY")

#: (asset class, subclass) -> (supervisory factor, correlation, supervisory option volatility).
#: Correlation is ``None`` where Table 2 says N/A (interest rate, FX).
_TABLE_2: dict[tuple[str, str], tuple[float, float | None, float]] = {
    ("IR", ""): (0.005, None, 0.50),
    ("FX", ""): (0.04, None, 0.15),
    ("CREDIT", "AAA"): (0.0038, 0.50, 1.00),
    ("CREDIT", "AA"): (0.0038, 0.50, 1.00),
    ("CREDIT", "A"): (0.0042, 0.50, 1.00),
    ("CREDIT", "BBB"): (0.0054, 0.50, 1.00),
    ("CREDIT", "BB"): (0.0106, 0.50, 1.00),
    ("CREDIT", "B"): (0.016, 0.50, 1.00),
    ("CREDIT", "CCC"): (0.06, 0.50, 1.00),
    ("CREDIT", "IG"): (0.0038, 0.80, 0.80),
    ("CREDIT", "SG"): (0.0106, 0.80, 0.80),
    ("EQUITY", "SINGLE"): (0.32, 0.50, 1.20),
    ("EQUITY", "INDEX"): (0.20, 0.80, 0.75),
    ("COMMODITY", "ELECTRICITY"): (0.40, 0.40, 1.50),
    ("COMMODITY", "OIL/GAS"): (0.18, 0.40, 0.70),
    ("COMMODITY", "ENERGY"): (0.18, 0.40, 0.70),
    ("COMMODITY", "METALS"): (0.18, 0.40, 0.70),
    ("COMMODITY", "AGRICULTURAL"): (0.18, 0.40, 0.70),
    ("COMMODITY", "OTHER"): (0.18, 0.40, 0.70),
}

#: Commodity subclass -> commodity hedging set (CRE52.45(5): energy, metals, agricultural, other).
COMMODITY_HEDGING_SET: dict[str, str] = {
    "ELECTRICITY": "ENERGY",
    "OIL/GAS": "ENERGY",
    "ENERGY": "ENERGY",
    "METALS": "METALS",
    "AGRICULTURAL": "AGRICULTURAL",
    "OTHER": "OTHER",
}

#: Multipliers of the supervisory factor for basis and volatility hedging sets (CRE52.46-47, 73).
BASIS_FACTOR = 0.5
VOLATILITY_FACTOR = 5.0

#: CRE52.57(5): correlation weights between IR maturity buckets in the offset formula.
IR_BUCKET_CORRELATION = ((1.0, 0.7, 0.3), (0.7, 1.0, 0.7), (0.3, 0.7, 1.0))
#: CRE52.57(3): upper bounds (years) of maturity buckets 1 (< 1y) and 2 (1-5y), on the end date E.
IR_BUCKET_BOUNDS = (1.0, 5.0)

#: CRE52.49 and CRE52.53: business days in a year.
BUSINESS_DAYS_PER_YEAR = 250.0


def supervisory_parameters() -> pd.DataFrame:
    """Table 2 of CRE52.72 as a DataFrame (columns: asset_class, subclass, supervisory_factor,
    correlation, option_volatility; all decimal fractions)."""
    rows = [(asset, sub, sf, rho, vol) for (asset, sub), (sf, rho, vol) in _TABLE_2.items()]
    return pd.DataFrame(
        rows,
        columns=[
            "asset_class",
            "subclass",
            "supervisory_factor",
            "correlation",
            "option_volatility",
        ],
    )


def parameter_keys() -> list[tuple[str, str]]:
    """The (asset class, subclass) pairs that Table 2 defines, in table order."""
    return list(_TABLE_2)

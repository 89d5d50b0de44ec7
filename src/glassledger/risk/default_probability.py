"""Probability of default (PD) of a rating: the grade-to-PD table.

The table is the one-year column of S&P Global Ratings' 2024 Annual Global Corporate Default
And Rating Transition Study (Table 26, issuer-weighted averages 1981-2024), kept with its
citation in ``data/sp_default_rates_2024.toml``. The study pools ``CCC+`` to ``C`` in one row
(``CCC/C``, 26.12%), which every grade from ``CCC+`` down to ``C`` reads; ``D`` (in default)
has PD 100% (Basel Framework CRE32.3: "The PD of borrowers assigned to a default grade(s) ...
is 100%").

The study prints 0.00% for ``AAA`` and ``AA+``: no rated issuer defaulted within a year. A
regulatory user floors PDs: the Basel corporate and bank floor is 0.03% (Basel II, June 2006,
para 285; Basel Framework CRE32.3 as in force from 15 Dec 2019), raised to 0.05% by the
December 2017 reforms (CRE32.4 as in force from 1 Jan 2023). Floors are an option of
:func:`pd_of_scores`, off by default so that the published figures come through unchanged.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from glassledger.errors import ConfigError
from glassledger.risk.rating_scale import GRADES, NOTCH, notch_of

BASEL_II_CORPORATE_PD_FLOOR = 0.0003
"""0.03%: Basel II para 285 / CRE32.3 (version of 15 Dec 2019), corporate and bank exposures."""
BASEL_III_CORPORATE_PD_FLOOR = 0.0005
"""0.05%: CRE32.4 (version of 1 Jan 2023, December 2017 reforms), non-sovereign exposures."""

POOLED_ROW = "CCC/C"
POOLED_GRADES = ("C", "CC", "CCC-", "CCC", "CCC+")
DEFAULT_PD = 1.0


@cache
def study() -> dict[str, Any]:
    """The default study as stored: ``source`` (citation) and ``one_year_default_rate_pct``."""
    text = (
        resources.files("glassledger.risk").joinpath("data/sp_default_rates_2024.toml").read_text()
    )
    return tomllib.loads(text)


@cache
def pd_by_notch() -> np.ndarray:
    """One-year PD (decimal) of each notch 0..21 (index = notch), read from the study."""
    rates = study()["one_year_default_rate_pct"]
    pds = np.empty(len(GRADES), dtype=float)
    pds[NOTCH["D"]] = DEFAULT_PD
    for grade in GRADES[1:]:
        row = POOLED_ROW if grade in POOLED_GRADES else grade
        pds[NOTCH[grade]] = rates[row] / 100.0
    pds.setflags(write=False)
    return pds


def pd_of_scores(scores: np.ndarray | float, *, floor: float = 0.0) -> np.ndarray:
    """One-year PD (decimal) of each rating score (0..21, see ``rating_scale``).

    The score's grade (the notch at or below it) reads the study's table; the result is then
    raised to at least ``floor`` (a decimal, e.g. :data:`BASEL_II_CORPORATE_PD_FLOOR`).
    """
    if not 0.0 <= floor < 1.0:
        raise ConfigError(f"PD floor must be a decimal in [0, 1), got {floor!r}")
    return np.maximum(pd_by_notch()[notch_of(scores)], floor)

"""The numeric rating scale shared by ratings, expected loss and governance.

A rating is a **score** on a continuous notch scale from 0 (``D``, in default) to 21
(``AAA``); higher is better. Each whole notch is one grade of the S&P long-term issuer scale::

    0 D     3 CCC-   6 B-    9 BB-   12 BBB-   15 A-   18 AA-   21 AAA
    1 C     4 CCC    7 B    10 BB    13 BBB    16 A    19 AA
    2 CC    5 CCC+   8 B+   11 BB+   14 BBB+   17 A+   20 AA+

Scores are continuous because the composite rating is a weighted average of an external and an
internal rating. A score maps to the grade of the notch at or below it (``floor``): 15.9 is
``A-``, not ``A``, so that a rating must be fully earned before the better grade applies.

The governance contract's authority lottery needs an integer credit score ``C_i`` (higher is
better, proportional to the chance of being drawn); :func:`credit_score` maps a score to
``round(1000 * score / 21)``, an integer in 0..1000 (``BBB-`` is 571, ``AAA`` is 1000, ``D`` is 0).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from glassledger.errors import InputError

GRADES: tuple[str, ...] = (
    "D",
    "C",
    "CC",
    "CCC-",
    "CCC",
    "CCC+",
    "B-",
    "B",
    "B+",
    "BB-",
    "BB",
    "BB+",
    "BBB-",
    "BBB",
    "BBB+",
    "A-",
    "A",
    "A+",
    "AA-",
    "AA",
    "AA+",
    "AAA",
)
"""Grades from worst (notch 0) to best (notch 21)."""

MIN_SCORE = 0.0
MAX_SCORE = float(len(GRADES) - 1)
NOTCH: dict[str, int] = {grade: notch for notch, grade in enumerate(GRADES)}
ALIASES: dict[str, str] = {"SD": "D", "RD": "D"}
"""Selective / restricted default count as default."""

CREDIT_SCORE_MAX = 1000
"""``credit_score`` of a ``AAA`` rating; the governance contract's ``C_i`` lies in 0..1000."""

_FLOOR_TOLERANCE = 1e-9
"""Scores within this distance below a notch count as that notch (float noise of averaging)."""


def scores_of(
    ratings: pd.Series | Iterable[object], *, source: str = "ratings", field: str = "rating"
) -> np.ndarray:
    """Scores (0..21, float) of ratings given as grade labels (``"BBB+"``) or numeric scores.

    Labels are case-insensitive; ``SD`` and ``RD`` read as ``D``. A number must lie in 0..21.
    Anything else (unknown label, missing value, out-of-range number) raises
    :class:`InputError` naming the row (the Series label, else the position) and the value.
    """
    series = ratings if isinstance(ratings, pd.Series) else pd.Series(list(ratings), dtype=object)
    text = series.astype("string").str.strip().str.upper()
    from_label = text.replace(ALIASES).map(NOTCH).astype(float)
    is_bool = series.map(lambda value: isinstance(value, bool | np.bool_))
    from_number = pd.to_numeric(series.where(~is_bool), errors="coerce").astype(float)
    scores = from_label.fillna(from_number).to_numpy(dtype=float)
    bad = ~((scores >= MIN_SCORE) & (scores <= MAX_SCORE))  # NaN is bad too
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"unknown rating; use a grade {GRADES[-1]}..{GRADES[0]} or a score 0..21",
            source=source,
            row=series.index[position],
            field=field,
            value=series.iloc[position],
        )
    return scores


def notch_of(scores: np.ndarray | float) -> np.ndarray:
    """Whole notch (0..21, int) of each score: the notch at or below it."""
    clipped = np.clip(np.asarray(scores, dtype=float), MIN_SCORE, MAX_SCORE)
    return np.floor(clipped + _FLOOR_TOLERANCE).astype(int)


def grade_of(scores: np.ndarray | float) -> np.ndarray:
    """Grade label of each score (``notch_of`` then the scale), as an object array."""
    return np.asarray(GRADES, dtype=object)[notch_of(scores)]


def credit_score(scores: np.ndarray | float) -> np.ndarray:
    """Governance credit score ``C_i = round(1000 * score / 21)`` (int64, 0..1000).

    Rounds half up, so the result is reproducible from the score alone. ``C_i`` is linear in
    the notch scale: each notch is worth 1000/21 = 47.6 points.
    """
    scaled = np.asarray(scores, dtype=float) * CREDIT_SCORE_MAX / MAX_SCORE
    return np.floor(scaled + 0.5 + _FLOOR_TOLERANCE).astype(np.int64)

"""Time parameters M, S, E and T per instrument type (CRE52.31-32, Table 1; CRE52.42-43).

All times are in years from the calculation date. ``time_periods(kind, ...)`` returns the
values to put in the ``maturity``, ``start``, ``end`` and ``exercise`` columns of the trade
table:

* M: until the latest day the contract may still be active; for a derivative physically
  exercised into another derivative, until the end of that underlying (CRE52.31(1));
* S, E: start and end of the period referenced by an IR or credit contract, taken from the
  underlying when the contract references another instrument; S is 0 once the period has
  started (CRE52.31(2)-(3), CRE52.34);
* T: latest contractual exercise date of an option (CRE52.31(4)); NaN for non-options.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from glassledger.errors import InputError


@dataclass(frozen=True)
class TimePeriods:
    """M, S, E, T in years (T is NaN for instruments that are not options)."""

    maturity: float
    start: float
    end: float
    exercise: float = math.nan


def _swap(*, end: float, start: float = 0.0) -> TimePeriods:
    """Interest rate swap or CDS, possibly forward starting."""
    return TimePeriods(end, max(start, 0.0), end)


def _fra(*, start: float, end: float, paid_at_start: bool = True) -> TimePeriods:
    """FRA: settled at the start of the period by market convention, so M = S (CRE52.32 FAQ 2);
    ``paid_at_start=False`` for payment at the end, as Table 1 assumes (M = E)."""
    return TimePeriods(start if paid_at_start else end, max(start, 0.0), end)


def _european_swaption(*, exercise: float, underlying_end: float, physical: bool) -> TimePeriods:
    return TimePeriods(underlying_end if physical else exercise, exercise, underlying_end, exercise)


def _bermudan_swaption(
    *, first_exercise: float, last_exercise: float, underlying_end: float, physical: bool = True
) -> TimePeriods:
    """S = earliest exercise, E = end of the underlying swap (CRE52.42(2)), T = latest."""
    maturity = underlying_end if physical else last_exercise
    return TimePeriods(maturity, first_exercise, underlying_end, last_exercise)


def _cap_floor(*, end: float, start: float = 0.0, last_fixing: float = math.nan) -> TimePeriods:
    """A cap or floor taken whole (Table 1); T is its last fixing. CRE52.43 allows (and the
    delta is better) caplet by caplet: S = T = start of the coupon period, E = its end."""
    return TimePeriods(end, max(start, 0.0), end, last_fixing)


def _bond_option(*, exercise: float, bond_maturity: float) -> TimePeriods:
    return TimePeriods(exercise, exercise, bond_maturity, exercise)


def _rate_future(*, expiry: float, period: float) -> TimePeriods:
    """Future on an interest rate period (e.g. 3-month Eurodollar): E = expiry + period."""
    return TimePeriods(expiry, expiry, expiry + period)


def _bond_future(*, expiry: float, bond_tenor: float) -> TimePeriods:
    return TimePeriods(expiry, expiry, expiry + bond_tenor)


def _option_on_bond_future(
    *, exercise: float, future_expiry: float, bond_tenor: float
) -> TimePeriods:
    """Exercised into the future, so M runs to the future's expiry."""
    return TimePeriods(future_expiry, future_expiry, future_expiry + bond_tenor, exercise)


KINDS = {
    "swap": _swap,
    "cds": _swap,
    "fra": _fra,
    "european_swaption": _european_swaption,
    "bermudan_swaption": _bermudan_swaption,
    "cap_floor": _cap_floor,
    "bond_option": _bond_option,
    "rate_future": _rate_future,
    "bond_future": _bond_future,
    "option_on_bond_future": _option_on_bond_future,
}


def time_periods(kind: str, **terms: float | bool) -> TimePeriods:
    """M, S, E, T of one instrument of ``kind`` (see :data:`KINDS`) from its terms in years.

    >>> time_periods("european_swaption", exercise=0.5, underlying_end=5.5, physical=False)
    TimePeriods(maturity=0.5, start=0.5, end=5.5, exercise=0.5)
    """
    try:
        build = KINDS[kind]
    except KeyError:
        raise InputError(
            f"unknown instrument kind; choose from {sorted(KINDS)}", field="kind", value=kind
        ) from None
    try:
        periods = build(**terms)
    except TypeError as exc:
        raise InputError(f"wrong terms for {kind}: {exc}", field="kind", value=kind) from None
    if not periods.end >= periods.start >= 0 or not periods.maturity > 0:
        raise InputError(f"{kind}: need 0 <= S <= E and M > 0", field="kind", value=periods)
    return periods

"""US business days (Federal Reserve holidays) in pure integer day arithmetic.

One calendar for the whole project: the on-ledger reserve rules (Rule 2a-7 daily and weekly
liquid assets, the 2014 gate limit of 10 business days in any 90-day period) and the
off-ledger liquidity package (the panel's days, the corridor model's days) both use it.

Deterministic: days are integers counted from the Unix epoch (day 0 = Thursday 1 January
1970, the ledger's ``block time // 86_400_000``); the holiday table is computed by rule from
the year, with no clock, no I/O and no table to download. Civil-date conversion is Howard
Hinnant's ``days_from_civil`` / ``civil_from_days`` (proleptic Gregorian calendar).

Holidays of the Federal Reserve System (Board of Governors, "Holidays Observed by the
Federal Reserve System"), with the rules in force since 1971 (Uniform Monday Holiday Act):

* New Year's Day (1 January), Independence Day (4 July), Veterans Day (11 November; the
  fourth Monday of October from 1971 to 1977), Christmas Day (25 December), and Juneteenth
  National Independence Day (19 June, from 2022: the Federal Reserve first closed for it in
  2022) on their dates;
* Birthday of Martin Luther King, Jr. (third Monday of January, from 1986), Washington's
  Birthday (third Monday of February), Memorial Day (last Monday of May), Labor Day (first
  Monday of September), Columbus Day (second Monday of October), Thanksgiving Day (fourth
  Thursday of November).

A fixed-date holiday falling on a Sunday is observed on the Monday after; one falling on a
Saturday is not moved: the Reserve Banks are open the Friday before. Saturdays and Sundays are
never business days. Years before 1971 use the same rules (a simplification).
"""

from __future__ import annotations

from functools import lru_cache

#: Day numbers are days since 1970-01-01, which was a Thursday (Monday = 0).
_EPOCH_WEEKDAY = 3
MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


def days_from_civil(year: int, month: int, day: int) -> int:
    """Day number (days since 1970-01-01) of a proleptic Gregorian date."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_from_days(day: int) -> tuple[int, int, int]:
    """(year, month, day of month) of a day number."""
    z = day + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    mday = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, mday


def weekday(day: int) -> int:
    """Day of the week of a day number, Monday = 0 ... Sunday = 6."""
    return (day + _EPOCH_WEEKDAY) % 7


def _nth_weekday(year: int, month: int, wday: int, n: int) -> int:
    """The ``n``-th ``wday`` (Monday = 0) of a month; ``n = -1``: the last one."""
    if n > 0:
        first = days_from_civil(year, month, 1)
        return first + (wday - weekday(first)) % 7 + 7 * (n - 1)
    last = days_from_civil(year + month // 12, month % 12 + 1, 1) - 1
    return last - (weekday(last) - wday) % 7


def _observed(day: int) -> int | None:
    """A fixed-date holiday as observed by the Federal Reserve: Sunday -> Monday, Saturday ->
    not observed (``None``)."""
    wday = weekday(day)
    if wday == SUNDAY:
        return day + 1
    return None if wday == SATURDAY else day


@lru_cache(maxsize=256)
def fed_holidays(year: int) -> tuple[int, ...]:
    """The observed Federal Reserve holidays of ``year`` as sorted day numbers."""
    fixed = [(1, 1), (7, 4), (12, 25)]
    if year >= 2022:
        fixed.append((6, 19))
    if not 1971 <= year <= 1977:
        fixed.append((11, 11))
    days = [_observed(days_from_civil(year, m, d)) for m, d in fixed]
    days += [
        _nth_weekday(year, 2, MONDAY, 3),  # Washington's Birthday
        _nth_weekday(year, 5, MONDAY, -1),  # Memorial Day
        _nth_weekday(year, 9, MONDAY, 1),  # Labor Day
        _nth_weekday(year, 10, MONDAY, 2),  # Columbus Day
        _nth_weekday(year, 11, THURSDAY, 4),  # Thanksgiving Day
    ]
    if year >= 1986:
        days.append(_nth_weekday(year, 1, MONDAY, 3))  # Martin Luther King, Jr.
    if 1971 <= year <= 1977:
        days.append(_nth_weekday(year, 10, MONDAY, 4))  # Veterans Day, 1971-1977
    return tuple(sorted(d for d in days if d is not None))


def is_business_day(day: int) -> bool:
    """True on a weekday that is not a Federal Reserve holiday."""
    if weekday(day) >= SATURDAY:
        return False
    return day not in fed_holidays(civil_from_days(day)[0])


def next_business_day(day: int) -> int:
    """``day`` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += 1
    return day


def add_business_days(day: int, n: int) -> int:
    """The ``n``-th business day after ``day`` (``n >= 1``); ``n = 0``:
    :func:`next_business_day`. From a Friday, one business day is the Monday (or Tuesday
    after a Monday holiday)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        return next_business_day(day)
    for _ in range(n):
        day = next_business_day(day + 1)
    return day


def business_days_between(start: int, end: int) -> int:
    """Number of business days ``d`` with ``start <= d < end`` (0 when ``end <= start``)."""
    return sum(1 for d in range(start, end) if is_business_day(d))


def within_business_days(today: int, target: int, n: int) -> bool:
    """True when ``target`` comes no later than ``n`` business days after ``today``
    (``target <= add_business_days(today, n)``): a maturity within ``n`` business days."""
    return target <= add_business_days(today, n)


def first_day_within(target: int, n: int) -> int:
    """The earliest day ``t`` from which ``target`` is within ``n >= 1`` business days
    (:func:`within_business_days` holds for every day from ``t`` up to ``target``). For a
    Monday maturity and ``n = 1`` that is the Friday before."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    t, seen = target - 1, 0
    while True:  # (t, target) holds `seen` business days; t - 1 would add day t
        seen += is_business_day(t)
        if seen >= n:
            return t
        t -= 1

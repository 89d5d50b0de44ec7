"""US Treasury market conventions in integer arithmetic (on and off the ledger).

One module, used by the ``treasury`` and ``repo`` contracts and by off-ledger views, so a view
never shows a price or an accrued interest the contract would not use (STYLE.md lesson 12).
Everything is exact integer (or :class:`fractions.Fraction`) arithmetic; no floats.

Units:

* **days** are integers, days since 1970-01-01 (``block time // 86_400_000``);
* **rates** (coupon, discount, investment rate) are decimals scaled by ``1e8`` (``_e8``):
  4.975% = 0.04975 = ``4_975_000``;
* **prices** are per 100 of face, scaled by ``1e8``: 98.742431 = ``9_874_243_100``;
* **amounts** (face, coupon, accrued interest, value) are minor units of the cash token.

Conventions (31 CFR Part 356, Appendix B; TreasuryDirect's bill rate definitions):

* **bills** (:func:`bill_price_e8`, :func:`bill_discount_rate_e8`,
  :func:`bill_investment_rate_e8`) are quoted on a discount basis, actual/360:
  ``P = 100 (1 - d r / 360)`` with ``r`` days to maturity; the investment rate (coupon- or
  bond-equivalent yield) is ``i = (100 - P) / P x y / r`` for ``r`` of at most half a year and
  the Appendix B quadratic (semi-annual compounding beyond the first half-year) otherwise,
  ``y`` = 365 or 366 days in the year after the settlement date;
* **notes and bonds** pay ``face x rate / 2`` on each regular half-year date whatever its
  length (App. B I.A.1); a short first period earns the regular coupon times the days from
  issue to the first coupon over the days of the (quasi-)half-year it lies in (App. B I.A.2-3,
  the daily interest decimal); accrued interest is actual/actual ICMA the same way
  (:func:`accrued_interest`). Coupon dates step back from maturity by whole half-years; a
  maturity on the last day of a month keeps every coupon on the last day of its month.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

from glassledger.contracts.business_days import civil_from_days, days_from_civil

DAY_MS = 86_400_000
E8 = 100_000_000
#: A price of 100 (par), scaled 1e8.
PAR_E8 = 100 * E8
_CUSIP_VALUES = {**{str(d): d for d in range(10)}, "*": 36, "@": 37, "#": 38}
_CUSIP_VALUES.update({chr(ord("A") + k): 10 + k for k in range(26)})


# ---------------------------------------------------------------------------- identifiers


def cusip_check_digit(base: str) -> int:
    """The check digit of an 8-character CUSIP base (the "modulus 10 double add double"
    rule of the CUSIP standard: every second character's value doubled, digits summed)."""
    if len(base) != 8 or any(c not in _CUSIP_VALUES for c in base):
        raise ValueError(f"a CUSIP base is 8 characters of 0-9, A-Z, *, @, #: {base!r}")
    total = 0
    for index, char in enumerate(base):
        value = _CUSIP_VALUES[char]
        if index % 2:
            value *= 2
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def cusip_problem(cusip: str) -> str:
    """Why ``cusip`` is not a valid 9-character CUSIP, or ``""`` when it is."""
    if len(cusip) != 9 or not cusip.isalnum() or cusip != cusip.upper():
        return f"CUSIP {cusip!r} must be 9 upper-case letters or digits"
    if not cusip[8].isdigit():
        return f"CUSIP {cusip!r}: the 9th character is a check digit"
    expected = cusip_check_digit(cusip[:8])
    if int(cusip[8]) != expected:
        return f"CUSIP {cusip!r}: check digit is {cusip[8]}, expected {expected}"
    return ""


# ---------------------------------------------------------------------------- dates


def _month_end(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def day_of(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date ``YYYY-MM-DD`` (:class:`ValueError` if not one)."""
    parts = iso.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError(f"not a YYYY-MM-DD date: {iso!r}")
    year, month, dom = (int(p) for p in parts)
    if not (1 <= month <= 12 and 1 <= dom <= _month_end(year, month)):
        raise ValueError(f"no such date: {iso!r}")
    return days_from_civil(year, month, dom)


def iso_of(day: int) -> str:
    """The ISO date of a day number."""
    year, month, dom = civil_from_days(day)
    return f"{year:04d}-{month:02d}-{dom:02d}"


def add_months(day: int, months: int, end_of_month: bool = False) -> int:
    """``day`` moved by ``months`` calendar months (clamped to the month's last day; on the
    last day when ``end_of_month``)."""
    year, month, dom = civil_from_days(day)
    serial = year * 12 + month - 1 + months
    year, month = divmod(serial, 12)
    month += 1
    last = _month_end(year, month)
    return days_from_civil(year, month, last if end_of_month else min(dom, last))


def is_month_end(day: int) -> bool:
    year, month, dom = civil_from_days(day)
    return dom == _month_end(year, month)


def year_days_after(day: int) -> int:
    """Days in the year following ``day`` (366 when it contains a 29 February), the ``y`` of
    the bill investment-rate formulas."""
    return add_months(day, 12) - day


def coupon_schedule(issue_day: int, maturity_day: int, frequency: int = 2) -> list[int]:
    """Quasi-coupon dates ``[q0, q1, ..., maturity]`` stepping back from maturity by
    ``12 / frequency`` months until ``q0 <= issue_day`` (``q0`` starts the first, possibly
    short, period; the coupons are paid on ``q1 ..``)."""
    if frequency not in (1, 2, 4, 12):
        raise ValueError(f"coupon frequency must be 1, 2, 4 or 12 a year, got {frequency}")
    if maturity_day <= issue_day:
        raise ValueError("maturity must be after the issue date")
    step = 12 // frequency
    eom = is_month_end(maturity_day)
    dates = [maturity_day]
    k = 1
    while dates[-1] > issue_day:
        dates.append(add_months(maturity_day, -step * k, eom))
        k += 1
    return dates[::-1]


# ---------------------------------------------------------------------------- coupons


def regular_coupon(face: int, rate_e8: int, frequency: int) -> int:
    """A regular coupon on ``face`` minor units: ``face x rate / frequency``, rounded down
    (App. B I.A.1: a half-year's interest whatever the half-year's length)."""
    return face * rate_e8 // (frequency * E8)


def period_fraction(schedule: list[int], issue_day: int, index: int) -> Fraction:
    """The fraction of a regular coupon earned by coupon ``index`` (1-based into
    ``schedule``): 1 for a regular period, days from issue / days in the quasi-period for a
    short first one (App. B I.A.3)."""
    start, end = schedule[index - 1], schedule[index]
    return Fraction(end - max(start, issue_day), end - start)


def coupon_amount(
    face: int, rate_e8: int, frequency: int, schedule: list[int], issue_day: int, index: int
) -> int:
    """Coupon ``index`` on ``face`` minor units, rounded down."""
    frac = period_fraction(schedule, issue_day, index)
    return face * rate_e8 * frac.numerator // (frequency * E8 * frac.denominator)


def accrued_fraction(schedule: list[int], issue_day: int, day: int) -> tuple[Fraction, int]:
    """``(fraction of a regular coupon accrued at day, index of the next coupon)``: actual
    days since the last coupon (or issue) over actual days of the quasi-period (ICMA).
    Zero before issue and on or after maturity."""
    if day <= issue_day or day >= schedule[-1]:
        return Fraction(0), 0
    for index in range(1, len(schedule)):
        if day < schedule[index]:
            start, end = schedule[index - 1], schedule[index]
            return Fraction(day - max(start, issue_day), end - start), index
    return Fraction(0), 0  # pragma: no cover - day < schedule[-1] is handled above


def accrued_interest(
    face: int, rate_e8: int, frequency: int, schedule: list[int], issue_day: int, day: int
) -> int:
    """Accrued interest on ``face`` minor units at ``day``, rounded down (actual/actual
    ICMA); 0 for a bill (``rate_e8 == 0``)."""
    frac, _ = accrued_fraction(schedule, issue_day, day)
    return face * rate_e8 * frac.numerator // (frequency * E8 * frac.denominator)


def accrued_per_100_e8(
    rate_e8: int, frequency: int, schedule: list[int], issue_day: int, day: int
) -> int:
    """Accrued interest per 100 of face, scaled 1e8, rounded down."""
    frac, _ = accrued_fraction(schedule, issue_day, day)
    return 100 * rate_e8 * frac.numerator // (frequency * frac.denominator)


# ---------------------------------------------------------------------------- bills


def _round_div(num: int, den: int) -> int:
    """``num / den`` rounded half away from zero (den > 0)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def bill_price_e8(discount_e8: int, days: int) -> int:
    """Price per 100 (scale 1e8, rounded half up) of a bill ``days`` from maturity at discount
    rate ``discount_e8``: ``100 (1 - d r / 360)``."""
    if days < 0:
        raise ValueError("days to maturity must be non-negative")
    return PAR_E8 - _round_div(100 * discount_e8 * days, 360)


def bill_discount_rate_e8(price_e8: int, days: int) -> int:
    """Discount rate (scale 1e8, rounded half up) of a bill priced ``price_e8`` per 100:
    ``(100 - P) / 100 x 360 / r``."""
    if days <= 0:
        raise ValueError("days to maturity must be positive")
    return _round_div((PAR_E8 - price_e8) * 360, 100 * days)


def bill_investment_rate_e8(price_e8: int, days: int, year_days: int = 365) -> int:
    """Investment rate (coupon-equivalent yield, scale 1e8, rounded half up) of a bill
    priced ``price_e8`` per 100, ``days`` to maturity, ``year_days`` (365 or 366) in the year
    after settlement.

    At most half a year (``2 r <= y``): ``i = (100 - P) / P x y / r``. Beyond:
    ``i = (-2r/y + 2 sqrt((r/y)^2 - (2r/y - 1)(1 - 100/P))) / (2r/y - 1)`` (31 CFR 356
    App. B), computed with integer square roots at 1e-30 precision.
    """
    if days <= 0 or price_e8 <= 0:
        raise ValueError("days to maturity and price must be positive")
    if 2 * days <= year_days:
        return _round_div((PAR_E8 - price_e8) * year_days * E8, price_e8 * days)
    scale = 10**30
    a = days * scale // year_days  # r / y
    b = scale - PAR_E8 * scale // price_e8  # 1 - 100 / P  (negative below par)
    disc = a * a - (2 * a - scale) * b  # scale^2
    root = isqrt(disc)  # scale
    num = (-2 * a + 2 * root) * E8
    return _round_div(num, 2 * a - scale)


def bill_price_from_investment_rate_e8(rate_e8: int, days: int, year_days: int = 365) -> int:
    """Inverse of :func:`bill_investment_rate_e8` for at most half a year:
    ``P = 100 / (1 + i r / y)`` (scale 1e8, rounded half up)."""
    return _round_div(PAR_E8 * year_days * E8, year_days * E8 + rate_e8 * days)


# ---------------------------------------------------------------------------- value


def full_price_e8(clean_e8: int, accrued_e8: int) -> int:
    """Full (dirty) price per 100: clean plus accrued, both scale 1e8."""
    return clean_e8 + accrued_e8


def value_of(face: int, price_e8: int) -> int:
    """Market value in minor units of ``face`` minor units at ``price_e8`` per 100, rounded
    down."""
    return face * price_e8 // PAR_E8


# ---------------------------------------------------------------------------- notes and bonds


def _price_fraction(
    rate_e8: int, frequency: int, schedule: list[int], issue_day: int, day: int, yield_e8: int
) -> Fraction:
    """Clean price per 100 as an exact fraction (see :func:`note_price_e8`)."""
    accrued, index = accrued_fraction(schedule, issue_day, day)
    if index == 0:
        raise ValueError("no coupon period contains that day (before issue or matured)")
    c = Fraction(100 * rate_e8, E8 * frequency)  # a regular coupon per 100
    first = c * period_fraction(schedule, issue_day, index)  # the next coupon (maybe short)
    start, end = schedule[index - 1], schedule[index]
    r_over_s = Fraction(end - day, end - start)
    g = Fraction(yield_e8, E8 * frequency)  # yield per period
    n = len(schedule) - 1 - index  # full periods after the next coupon
    v_n = 1 / (1 + g) ** n
    annuity = Fraction(n) if g == 0 else (1 - v_n) / g
    full = (first + c * annuity + 100 * v_n) / (1 + r_over_s * g)
    return full - c * accrued


def note_price_e8(
    rate_e8: int, frequency: int, schedule: list[int], issue_day: int, day: int, yield_e8: int
) -> int:
    """Clean price per 100 (scale 1e8, rounded half up) of a note or bond at ``day`` for the
    yield ``yield_e8`` (decimal, scale 1e8, compounded ``frequency`` times a year), by the
    yield-to-price formula of 31 CFR 356 Appendix B II as we read it::

        P = (N + C/f a_n + 100 v^n) / (1 + (r/s)(i/f)) - AI

    ``N`` the next coupon (a short first one prorated), ``C/f`` a regular coupon, ``n`` the
    full periods after the next coupon, ``v = 1/(1 + i/f)``, ``a_n = (1 - v^n)/(i/f)``, ``r``
    days to the next coupon, ``s`` days in the period, ``AI`` the accrued interest (ICMA).
    With one period left this is the money-market form ``(100 + C/f)/(1 + (r/s)(i/f)) - AI``;
    on a coupon date at a yield equal to the coupon the price is exactly 100."""
    price = _price_fraction(rate_e8, frequency, schedule, issue_day, day, yield_e8)
    return _round_div(price.numerator * E8, price.denominator)


def note_yield_e8(
    clean_e8: int, rate_e8: int, frequency: int, schedule: list[int], issue_day: int, day: int
) -> int:
    """The yield (scale 1e8) at which :func:`note_price_e8` gives ``clean_e8``: the integer
    yield whose exact price is nearest (bisection; price falls as yield rises). Yields are
    searched in (-10%, 100%)."""
    target = Fraction(clean_e8, E8)
    low, high = -10 * E8 // 100, E8  # price(low) > target > price(high) for sane inputs

    def price(y: int) -> Fraction:
        return _price_fraction(rate_e8, frequency, schedule, issue_day, day, y)

    if price(low) < target or price(high) > target:
        raise ValueError(f"price {clean_e8}e-8 implies a yield outside (-10%, 100%)")
    while high - low > 1:
        mid = (low + high) // 2
        if price(mid) >= target:
            low = mid
        else:
            high = mid
    return low if price(low) - target <= target - price(high) else high

"""Treasury conventions against published examples (fixtures cite their sources)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts import treasury_math as tm

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "treasury_examples.json").read_text())


def _e8(pct: str) -> int:
    return int(Decimal(pct) / 100 * tm.E8)


@pytest.mark.parametrize("row", FIXTURES["bill_auctions"]["rows"])
def test_bill_price_and_rates_match_published_auctions(row):
    days, year = row["days"], row["year_days"]
    price = tm.bill_price_e8(_e8(row["discount_pct"]), days)
    if "price_per_100" in row:
        places = row["round_price_places"]
        shown = Decimal(price) / tm.E8
        assert shown.quantize(Decimal(10) ** -places) == Decimal(row["price_per_100"])
    else:  # per $10,000 of face, to the cent
        per_10000 = (Decimal(price) / tm.E8 * 100).quantize(Decimal("0.01"))
        assert per_10000 == Decimal(row["price_per_10000"])
    inv = tm.bill_investment_rate_e8(price, days, year)
    assert (Decimal(inv) / tm.E8 * 100).quantize(Decimal("0.001")) == Decimal(row["investment_pct"])
    # and back: the discount rate from the price
    assert abs(tm.bill_discount_rate_e8(price, days) - _e8(row["discount_pct"])) <= 1


def test_regular_coupon_is_half_a_years_interest():
    ex = FIXTURES["semiannual_interest"]
    face = ex["face_dollars"] * 100
    assert tm.regular_coupon(face, _e8(ex["rate_pct"]), 2) == ex["coupon_dollars"] * 100


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.mark.parametrize("row", FIXTURES["half_year_days"]["rows"])
def test_half_year_lengths_match_table_1(row):
    first, second = (_MONTHS.index(m) + 1 for m in row[0].split("-"))
    for leap, mid, last in ((False, row[1], row[3]), (True, row[2], row[4])):
        # the leap year is the one whose February lies in the period
        end_year = 2024 if leap else 2025
        start_year = end_year if second > first else end_year - 1
        start = tm.day_of(f"{start_year}-{first:02d}-15")
        end = tm.day_of(f"{end_year}-{second:02d}-15")
        assert tm.coupon_schedule(start, end)[-2:] == [start, end]
        assert end - start == mid, (row[0], leap)
        last_end = tm.add_months(end, 0, end_of_month=True)
        schedule = tm.coupon_schedule(start, last_end)
        assert schedule[-1] - schedule[-2] == last, (row[0], leap, "last day")


def test_short_first_coupon_and_accrued_interest_use_actual_days():
    # $1,000 8% note dated 2026-03-02, maturing 2028-02-29 (last day of month):
    # coupons on the last days of August and February; the first period is short.
    issue, maturity = tm.day_of("2026-03-02"), tm.day_of("2028-02-29")
    schedule = tm.coupon_schedule(issue, maturity)
    assert [tm.iso_of(d) for d in schedule] == [
        "2026-02-28",
        "2026-08-31",
        "2027-02-28",
        "2027-08-31",
        "2028-02-29",
    ]
    face, rate = 1000_00, _e8("8")
    # 182 of 184 days: $40 x 182 / 184 = $39.5652 -> 3956 cents
    assert tm.coupon_amount(face, rate, 2, schedule, issue, 1) == 3956
    assert tm.coupon_amount(face, rate, 2, schedule, issue, 2) == 4000
    # accrued 30 days into the 181-day period 2026-08-31 .. 2027-02-28: $40 x 30/181
    day = tm.day_of("2026-09-30")
    assert tm.accrued_interest(face, rate, 2, schedule, issue, day) == 4000 * 30 // 181
    assert tm.accrued_interest(face, rate, 2, schedule, issue, schedule[1]) == 0


@pytest.mark.parametrize("cusip", FIXTURES["cusips"]["valid"])
def test_published_cusips_validate(cusip):
    assert tm.cusip_problem(cusip) == ""


@pytest.mark.parametrize("cusip", FIXTURES["cusips"]["invalid"])
def test_bad_cusips_say_why(cusip):
    assert "CUSIP" in tm.cusip_problem(cusip)


@given(st.integers(1, 20_000_000), st.integers(184, 364), st.sampled_from([365, 366]))
def test_long_bill_investment_rate_solves_the_compounding_equation(disc, days, year):
    """Beyond half a year the investment rate i satisfies 31 CFR 356 App. B's equation
    P (1 + (r - y/2) i / y)(1 + i / 2) = 100, to the rounding of i (1e-8)."""
    if 2 * days <= year:
        days = year // 2 + 1
    price = tm.bill_price_e8(disc, days)
    i = Decimal(tm.bill_investment_rate_e8(price, days, year)) / tm.E8
    p = Decimal(price) / tm.E8
    lhs = p * (1 + (days - Decimal(year) / 2) * i / year) * (1 + i / 2)
    assert abs(lhs - 100) < Decimal("0.000002")


@given(st.integers(0, 20_000_000), st.integers(1, 182))
def test_short_bill_rates_round_trip(disc, days):
    """Stated rounding: the price is exact to 1e-8 per 100, so the investment rate is exact
    to (y / 2r + 1/2) 1e-8, and the price back from the rounded rate to 50 r / y + 1 units."""
    price = tm.bill_price_e8(disc, days)
    inv = tm.bill_investment_rate_e8(price, days, 365)
    assert (
        abs(tm.bill_price_from_investment_rate_e8(inv, days, 365) - price) <= 2 + 50 * days // 365
    )
    # the investment rate is never below the discount rate (beyond the price's rounding)
    assert inv >= disc - (365 // (2 * days) + 1)


@given(st.dates())
def test_civil_day_numbers_agree_with_the_calendar(date):
    import datetime

    day = (date - datetime.date(1970, 1, 1)).days
    assert tm.day_of(date.isoformat()) == day
    assert tm.iso_of(day) == date.isoformat()


_NOTE = (tm.day_of("2025-11-15"), tm.day_of("2035-11-15"))


def test_note_at_par_on_a_coupon_date_yields_its_coupon():
    issue, maturity = _NOTE
    schedule = tm.coupon_schedule(issue, maturity)
    for day in schedule[1:-1]:
        assert tm.note_price_e8(4_125_000, 2, schedule, issue, day, 4_125_000) == tm.PAR_E8
        assert tm.note_yield_e8(tm.PAR_E8, 4_125_000, 2, schedule, issue, day) == 4_125_000


def test_last_period_is_the_money_market_form():
    """With one period left: P = (100 + C/2) / (1 + (r/s)(i/2)) - AI."""
    issue, maturity = tm.day_of("2025-11-15"), tm.day_of("2027-11-15")
    schedule = tm.coupon_schedule(issue, maturity)
    day = tm.day_of("2027-08-01")
    r, s = maturity - day, maturity - schedule[-2]
    i, c = Decimal("0.05"), Decimal(2)
    expected = (100 + c) / (1 + Decimal(r) / s * i / 2) - c * (s - r) / s
    got = Decimal(tm.note_price_e8(4_000_000, 2, schedule, issue, day, 5_000_000)) / tm.E8
    assert abs(got - expected) < Decimal("0.00000001")


@given(st.integers(1, 3_600), st.integers(-500_000, 15_000_000), st.integers(1, 10_000_000))
def test_note_yield_round_trips_and_price_falls_with_yield(offset, yield_e8, rate_e8):
    issue, maturity = _NOTE
    schedule = tm.coupon_schedule(issue, maturity)
    day = issue + offset
    price = tm.note_price_e8(rate_e8, 2, schedule, issue, day, yield_e8)
    assert tm.note_price_e8(rate_e8, 2, schedule, issue, day, yield_e8 + 1000) < price
    back = tm.note_yield_e8(price, rate_e8, 2, schedule, issue, day)
    # the price is rounded to 1e-8 per 100: the yield comes back within a few 1e-8
    assert abs(back - yield_e8) <= 2

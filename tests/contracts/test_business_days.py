"""The shared US business-day calendar (Federal Reserve holidays), in integer day numbers."""

from datetime import date, timedelta

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts import business_days as bd

EPOCH = date(1970, 1, 1)


def day(text: str) -> int:
    return (date.fromisoformat(text) - EPOCH).days


def test_the_2025_holidays_match_the_federal_reserve_schedule():
    # Board of Governors, "Holidays Observed by the Federal Reserve System", 2025.
    expected = [
        "2025-01-01",
        "2025-01-20",
        "2025-02-17",
        "2025-05-26",
        "2025-06-19",
        "2025-07-04",
        "2025-09-01",
        "2025-10-13",
        "2025-11-11",
        "2025-11-27",
        "2025-12-25",
    ]
    assert bd.fed_holidays(2025) == tuple(day(d) for d in expected)


def test_sunday_holidays_move_to_monday_and_saturday_ones_are_not_observed():
    assert day("2023-01-02") in bd.fed_holidays(2023)  # 1 January 2023 was a Sunday
    assert bd.is_business_day(day("2020-07-03"))  # 4 July 2020 was a Saturday: Friday open
    assert bd.is_business_day(day("2021-06-18"))  # Juneteenth observed from 2022
    assert not bd.is_business_day(day("2022-06-20"))  # 19 June 2022 was a Sunday


def test_business_day_arithmetic():
    friday = day("2019-09-13")
    assert bd.add_business_days(friday, 1) == day("2019-09-16")
    assert bd.add_business_days(friday, 5) == day("2019-09-20")
    assert bd.add_business_days(day("2025-08-29"), 1) == day("2025-09-02")  # Labor Day
    assert bd.business_days_between(day("2025-12-22"), day("2026-01-05")) == 8
    assert bd.within_business_days(friday, day("2019-09-16"), 1)
    assert not bd.within_business_days(friday, day("2019-09-17"), 1)


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)))
def test_civil_conversion_round_trips_like_the_standard_library(when):
    number = (when - EPOCH).days
    assert bd.days_from_civil(when.year, when.month, when.day) == number
    assert bd.civil_from_days(number) == (when.year, when.month, when.day)
    assert bd.weekday(number) == when.weekday()


@given(st.integers(0, 60_000), st.integers(1, 15))
def test_adding_n_business_days_passes_exactly_n_business_days(start, n):
    end = bd.add_business_days(start, n)
    assert bd.is_business_day(end)
    assert bd.business_days_between(start + 1, end + 1) == n
    rolled = bd.add_business_days(start, 0)
    assert bd.is_business_day(rolled) and bd.business_days_between(start, rolled) == 0


def test_no_sofr_is_published_on_a_federal_reserve_holiday():
    # The shipped SOFR (2018-04 to 2026) is published on US government-securities market days;
    # every Fed holiday of the calendar is a day without a print, and every print falls on a
    # Fed business day.
    from glassledger.liquidity.data import load_sample

    sofr = load_sample("sofr").dropna()
    numbers = [(d.date() - EPOCH).days for d in sofr.index]
    assert all(bd.is_business_day(n) for n in numbers)
    holidays = [h for y in range(2018, 2027) for h in bd.fed_holidays(y)]
    first, last = numbers[0], numbers[-1]
    printed = set(numbers)
    assert [h for h in holidays if first <= h <= last and h in printed] == []
    assert pd.Timestamp(EPOCH + timedelta(days=first)).year == 2018

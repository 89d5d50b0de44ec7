"""M, S, E, T per instrument type against CRE52.32 Table 1 (fixture cites the source)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from glassledger.errors import InputError
from glassledger.risk.saccr.dates import time_periods

TABLE_1 = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "saccr_cre52_table1.json").read_text()
)["rows"]


@pytest.mark.parametrize("row", TABLE_1, ids=[r["instrument"][:40] for r in TABLE_1])
def test_cre52_table_1(row):
    periods = time_periods(row["kind"], **row["terms"])
    assert (periods.maturity, periods.start, periods.end) == pytest.approx(
        (row["M"], row["S"], row["E"])
    )


def test_exercise_dates_of_options():
    """T is the latest contractual exercise date (CRE52.31(4), CRE52.42(1))."""
    assert (
        time_periods(
            "bermudan_swaption", first_exercise=1, last_exercise=9, underlying_end=10
        ).exercise
        == 9
    )
    assert (
        time_periods("option_on_bond_future", exercise=0.5, future_expiry=2, bond_tenor=20).exercise
        == 0.5
    )
    assert math.isnan(time_periods("swap", end=3).exercise)


def test_started_swap_has_zero_start_and_bad_terms_are_errors():
    assert time_periods("swap", start=-2.0, end=3.0).start == 0.0  # CRE52.34
    with pytest.raises(InputError, match="unknown instrument kind"):
        time_periods("weather_swap", end=1)
    with pytest.raises(InputError, match="wrong terms"):
        time_periods("bond_option", exercise=1)
    with pytest.raises(InputError, match="S <= E"):
        time_periods("swap", start=5, end=3)

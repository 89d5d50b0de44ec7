"""The grade-to-PD table, transcribed from S&P Global Ratings' 2024 default study."""

from __future__ import annotations

import numpy as np
import pytest

from glassledger.errors import ConfigError
from glassledger.risk.default_probability import (
    BASEL_II_CORPORATE_PD_FLOOR,
    pd_by_notch,
    pd_of_scores,
    study,
)
from glassledger.risk.rating_scale import NOTCH


def test_the_table_cites_its_source():
    source = study()["source"]
    assert source["publisher"] == "S&P Global Ratings"
    assert "2024 Annual Global Corporate Default" in source["title"]
    assert source["period"] == "1981-2024" and "Table 26" in source["table"]


@pytest.mark.parametrize(
    ("grade", "percent"),
    # S&P Global Ratings, 2024 Annual Global Corporate Default And Rating Transition Study
    # (27 March 2025), Table 26, one-year column.
    [
        ("AAA", 0.00),
        ("A", 0.05),
        ("BBB", 0.13),
        ("BBB-", 0.21),
        ("BB", 0.44),
        ("B", 2.69),
        ("B-", 5.16),
    ],
)
def test_one_year_rates_are_those_of_table_26(grade, percent):
    assert pd_by_notch()[NOTCH[grade]] == pytest.approx(percent / 100)


def test_the_pooled_ccc_row_covers_ccc_plus_down_to_c_and_default_is_certain():
    pds = pd_by_notch()
    for grade in ("CCC+", "CCC", "CCC-", "CC", "C"):
        assert pds[NOTCH[grade]] == pytest.approx(0.2612)  # Table 26, 'CCC/C' row
    assert pds[NOTCH["D"]] == 1.0  # Basel Framework CRE32.3: PD of a default grade is 100%


def test_a_worse_grade_never_has_a_lower_pd():
    assert np.all(np.diff(pd_by_notch()) <= 0)  # index = notch, higher notch = better grade


def test_the_basel_floor_lifts_only_the_pds_below_it():
    # Basel II para 285 / CRE32.3 (2019): corporate PD is the greater of the grade PD and 0.03%
    floored = pd_of_scores(np.array([21.0, 17.0, 13.0]), floor=BASEL_II_CORPORATE_PD_FLOOR)
    assert floored.tolist() == pytest.approx([0.0003, 0.0004, 0.0013])


def test_a_floor_outside_0_1_is_refused():
    with pytest.raises(ConfigError):
        pd_of_scores(13.0, floor=1.0)

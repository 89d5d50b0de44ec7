"""The 0..21 notch scale, its grades and the governance credit score C_i."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.rating_scale import GRADES, credit_score, grade_of, notch_of, scores_of

SCORES = st.floats(min_value=0.0, max_value=21.0, allow_nan=False)


def test_the_scale_runs_from_default_to_aaa_through_every_sp_notch():
    # S&P long-term issuer scale, 'AAA' down to 'CCC-', then 'CC', 'C' and 'D' (in default).
    assert GRADES[0] == "D" and GRADES[-1] == "AAA" and len(GRADES) == 22
    assert GRADES.index("BBB-") == 12 and GRADES.index("BB+") == 11  # investment grade boundary


def test_labels_and_numbers_read_as_scores():
    scores = scores_of(["AAA", " bbb- ", "SD", 3, "12.5", np.float64(7.25)])
    assert scores.tolist() == [21.0, 12.0, 0.0, 3.0, 12.5, 7.25]


@pytest.mark.parametrize("bad", ["A++", None, 21.5, -1, float("nan"), True])
def test_anything_else_is_an_input_error_naming_the_row(bad):
    ratings = pd.Series(["AA", bad], index=["alpha", "beta"])
    with pytest.raises(InputError) as caught:
        scores_of(ratings, source="ratings.csv")
    assert caught.value.row == "beta" and caught.value.field == "rating"
    assert "ratings.csv" in str(caught.value)


def test_a_score_takes_the_grade_at_or_below_it():
    assert grade_of(np.array([15.999, 16.0, 0.4, 21.0])).tolist() == ["A-", "A", "D", "AAA"]
    # averaging noise just below a notch still counts as that notch
    assert notch_of(0.3 * 13 + 0.7 * 13) == 13


def test_credit_score_endpoints_and_investment_grade_threshold():
    assert credit_score(np.array([0.0, 12.0, 21.0])).tolist() == [
        0,
        571,
        1000,
    ]  # 1000 * 12 / 21 = 571.4


@given(SCORES, SCORES)
def test_credit_score_is_an_integer_in_0_1000_and_never_ranks_a_worse_rating_higher(a, b):
    low, high = sorted((a, b))
    c_low, c_high = credit_score(np.array([low, high]))
    assert c_low.dtype == np.int64
    assert 0 <= c_low <= c_high <= 1000

"""The internal rating model's properties (issue 4, part 3), the composite, and batch replay."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from glassledger.errors import ConfigError, InputError
from glassledger.risk.rating import (
    DAYS_PER_YEAR,
    ClosedTrade,
    InternalRating,
    InternalRatingModel,
    composite_score,
    current_ratings,
    replay_trades,
)

MODEL = InternalRatingModel()
SCORE = st.floats(min_value=0.0, max_value=21.0, allow_nan=False)
AMOUNT = st.floats(min_value=0.0, max_value=1e10, allow_nan=False)
TENOR = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
RATE = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
GAP = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)


@st.composite
def trades(draw, defaulted=None) -> dict:
    return {
        "size": draw(AMOUNT),
        "tenor_years": draw(TENOR),
        "collateral_value": draw(AMOUNT),
        "guarantee_amount": draw(AMOUNT),
        "margined": draw(st.booleans()),
        "defaulted": draw(st.booleans()) if defaulted is None else defaulted,
        "recovery_rate": draw(RATE),
    }


@st.composite
def states(draw) -> InternalRating:
    """A state reached by replaying a random history from a random anchor."""
    state = InternalRating(anchor=draw(SCORE))
    time = 0.0
    for fields in draw(st.lists(trades(), max_size=6)):
        time += draw(GAP)
        state = state.after(ClosedTrade(time_years=time, **fields), MODEL)
    return state


def step(state: InternalRating, gap: float, **fields) -> tuple[float, float]:
    """Internal rating just before and just after a trade closing ``gap`` years after the state."""
    when = state.time_years + gap
    before = state.as_of(when, MODEL).score(MODEL)
    after = state.after(ClosedTrade(time_years=when, **fields), MODEL).score(MODEL)
    return before, after


@given(states(), GAP, trades(defaulted=True))
def test_a_default_never_raises_the_rating(state, gap, trade):
    before, after = step(state, gap, **trade)
    assert after <= before + 1e-9


@given(states(), GAP, trades(defaulted=False), AMOUNT, TENOR)
def test_a_larger_or_longer_completed_trade_raises_the_rating_at_least_as_much(
    state, gap, trade, more, longer
):
    before, small = step(state, gap, **trade)
    _, bigger = step(state, gap, **{**trade, "size": trade["size"] + more})
    _, long = step(state, gap, **{**trade, "tenor_years": trade["tenor_years"] + longer})
    assert small >= before - 1e-9
    assert bigger >= small - 1e-9 and long >= small - 1e-9


@given(states(), GAP, trades(defaulted=True), RATE, RATE)
def test_a_higher_recovery_rate_means_a_smaller_penalty(state, gap, trade, r1, r2):
    low, high = sorted((r1, r2))
    before, after_low = step(state, gap, **{**trade, "recovery_rate": low})
    _, after_high = step(state, gap, **{**trade, "recovery_rate": high})
    assert before - after_high <= before - after_low + 1e-9
    if high - low > 1e-6 and before > 1e-6:
        assert after_high > after_low  # strictly: the penalty falls with every point recovered


@given(states(), GAP)
def test_the_rating_stays_within_its_scale(state, gap):
    assert 0.0 <= state.score(MODEL) <= 21.0
    assert 0.0 <= state.as_of(state.time_years + gap, MODEL).score(MODEL) <= 21.0


@given(
    SCORE,
    st.lists(st.tuples(st.floats(0.0, 10.0), trades(defaulted=False)), max_size=5),
    trades(),
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
)
def test_older_trades_weigh_less(anchor, others, special, t1, t2):
    """The same trade closing earlier moves the rating at T = 10 years less, in either direction."""
    older, newer = sorted((t1, t2))
    assume(newer - older > 1e-3)

    def rating_at_10(special_time: float) -> float:
        history = sorted([*others, (special_time, special)], key=lambda item: item[0])
        state = InternalRating(anchor=anchor)
        for time, fields in history:
            state = state.after(ClosedTrade(time_years=time, **fields), MODEL)
        return state.as_of(10.0, MODEL).score(MODEL)

    without = InternalRating(anchor=anchor)
    for time, fields in sorted(others, key=lambda item: item[0]):
        without = without.after(ClosedTrade(time_years=time, **fields), MODEL)
    baseline = without.as_of(10.0, MODEL).score(MODEL)
    assert abs(rating_at_10(older) - baseline) <= abs(rating_at_10(newer) - baseline) + 1e-9


def test_a_trades_weight_halves_every_half_life():
    state = InternalRating(anchor=12.0).after(
        ClosedTrade(time_years=0.0, size=1e6, tenor_years=1.0), MODEL
    )
    later = state.as_of(MODEL.half_life_years, MODEL)
    assert later.evidence == pytest.approx(state.evidence / 2)
    assert state.evidence == pytest.approx(math.log(2.0))  # log(1 + 1e6 x 1 / 1e6), unsecured


def test_coverage_and_margining_reduce_evidence_as_documented():
    weight, outcome = MODEL.evidence(
        size=np.array([1e6, 1e6, 1e6]),
        tenor_years=np.array([1.0, 1.0, 1.0]),
        collateral_value=np.array([0.0, 5e5, 2e6]),
        guarantee_amount=np.array([0.0, 0.0, 0.0]),
        margined=np.array([False, False, True]),
        defaulted=np.array([False, False, False]),
        recovery_rate=np.zeros(3),
    )
    base = math.log(2.0)
    assert weight == pytest.approx([base, base * (0.25 + 0.75 * 0.5), base * 0.25 * 0.5])
    assert outcome.tolist() == [21.0, 21.0, 21.0]


def test_a_default_without_recovery_weighs_the_base_plus_the_multiplied_evidence():
    weight, outcome = MODEL.evidence(1e6, 1.0, 0.0, 0.0, False, True, 0.0)
    assert weight == pytest.approx(5.0 + 40.0 * math.log(2.0))
    assert outcome == 0.0


def test_model_parameters_are_checked():
    with pytest.raises(ConfigError):
        InternalRatingModel(half_life_years=0.0)
    with pytest.raises(ConfigError):
        InternalRatingModel(covered_share=1.5)
    with pytest.raises(ConfigError):
        InternalRatingModel(default_multiplier=0.0, default_base_weight=0.0)


def test_composite_is_external_alone_before_the_first_closed_trade():
    external, internal = np.array([15.0, 15.0]), np.array([3.0, 3.0])
    assert composite_score(external, internal, np.array([0, 2]), alpha=0.75).tolist() == [
        15.0,
        12.0,
    ]
    with pytest.raises(ConfigError):
        composite_score(external, internal, np.array([1, 1]), alpha=1.2)


@given(SCORE, SCORE, st.integers(1, 100), RATE)
def test_composite_lies_between_external_and_internal(external, internal, closed, alpha):
    value = float(composite_score(external, internal, closed, alpha=alpha))
    assert min(external, internal) - 1e-9 <= value <= max(external, internal) + 1e-9


# --------------------------------------------------------------------------------------------
# Batch replay
# --------------------------------------------------------------------------------------------

START = pd.Timestamp("2024-01-01")


def history_frame(rows: list[tuple[str, float, dict]]) -> pd.DataFrame:
    """Trade table from (counterparty, years after START, trade fields)."""
    records = []
    for number, (counterparty, years, fields) in enumerate(rows):
        closed_at = START + pd.Timedelta(days=years * DAYS_PER_YEAR)
        records.append(
            {
                "counterparty": counterparty,
                "trade_id": f"T{number:03d}",
                "closed_at": closed_at,
                **fields,
            }
        )
    return pd.DataFrame(records)


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.floats(0.0, 8.0), trades()),
        min_size=1,
        max_size=12,
    )
)
def test_vectorized_replay_equals_trade_by_trade_updates(rows):
    frame = history_frame(rows)
    path = replay_trades(frame, anchor=12.0)
    for counterparty, group in path.groupby("counterparty"):
        state = InternalRating(anchor=12.0)
        origin = group["closed_at"].iloc[0]
        for _, event in group.iterrows():
            fields = frame.set_index("trade_id").loc[event["trade_id"]]
            when = (event["closed_at"] - origin).total_seconds() / (DAYS_PER_YEAR * 86400)
            assert event["internal_before"] == pytest.approx(
                state.as_of(when, MODEL).score(MODEL), abs=1e-7
            )
            trade = {key: fields[key] for key in trades_keys()}
            state = state.after(ClosedTrade(time_years=when, **trade), MODEL)
            assert event["internal"] == pytest.approx(state.score(MODEL), abs=1e-7), counterparty
        assert group["closed_trades"].tolist() == list(range(1, len(group) + 1))
    assert path["composite"].between(0, 21).all() and path["credit_score"].between(0, 1000).all()


def trades_keys() -> list[str]:
    return [
        "size",
        "tenor_years",
        "collateral_value",
        "guarantee_amount",
        "margined",
        "defaulted",
        "recovery_rate",
    ]


EXTERNAL = pd.DataFrame(
    {
        "counterparty": ["A", "B", "C", "A"],
        "as_of": ["2023-12-01", "2023-12-01", "2023-12-01", "2024-12-01"],
        "rating": ["BBB", "BB+", "A", "A-"],
    }
)


def two_counterparty_history() -> pd.DataFrame:
    clean = {"size": 1e6, "tenor_years": 1.0, "defaulted": False, "recovery_rate": None}
    return history_frame(
        [
            ("A", 0.0, clean),
            ("A", 1.5, clean),
            ("B", 0.2, clean),
            ("B", 0.7, {**clean, "defaulted": True, "recovery_rate": 0.4}),
        ]
    )


def test_anchor_is_the_external_rating_at_the_first_trade_and_the_composite_uses_the_one_in_force():
    path = replay_trades(two_counterparty_history(), external=EXTERNAL, alpha=0.5).set_index(
        "trade_id"
    )
    assert (
        path.loc["T000", "anchor"] == 13.0 and path.loc["T001", "anchor"] == 13.0
    )  # BBB at first trade
    assert path.loc["T001", "external"] == 15.0  # A- posted 2024-12-01, in force at 2025-07
    assert path.loc["T001", "composite"] == pytest.approx(
        0.5 * 15.0 + 0.5 * path.loc["T001", "internal"]
    )
    assert path.loc["T003", "internal"] < path.loc["T003", "internal_before"]  # the default


def test_current_ratings_include_counterparties_known_only_externally():
    path = replay_trades(two_counterparty_history(), external=EXTERNAL)
    now = current_ratings(path, external=EXTERNAL).set_index("counterparty")
    assert (
        now.loc["C", "closed_trades"] == 0 and now.loc["C", "composite"] == 16.0
    )  # external alone
    later = current_ratings(path, external=EXTERNAL, as_of="2060-01-01").set_index("counterparty")
    # decades later the evidence is stale: the internal rating is back at its anchor
    assert later.loc["B", "internal"] == pytest.approx(11.0, abs=1e-3)
    assert later.loc["B", "internal"] > now.loc["B", "internal"]


def test_replay_errors_name_the_row_and_field():
    bad = two_counterparty_history()
    bad.loc[3, "recovery_rate"] = None
    with pytest.raises(InputError) as caught:
        replay_trades(bad, source="trades.csv")
    assert (caught.value.row, caught.value.field) == (3, "recovery_rate")

    late = EXTERNAL.assign(as_of="2030-01-01")
    with pytest.raises(InputError) as caught:
        replay_trades(two_counterparty_history(), external=late)
    assert caught.value.field == "closed_at"

    dated = two_counterparty_history().astype({"closed_at": object})
    dated.loc[2, "closed_at"] = "someday"
    with pytest.raises(InputError) as caught:
        replay_trades(dated)
    assert (caught.value.row, caught.value.field) == (2, "closed_at")

    negative = two_counterparty_history()
    negative.loc[1, "size"] = -1.0
    with pytest.raises(InputError) as caught:
        replay_trades(negative)
    assert (caught.value.row, caught.value.field) == (1, "size")


def test_a_state_cannot_go_back_in_time():
    state = InternalRating(anchor=10.0, time_years=2.0)
    with pytest.raises(InputError):
        state.as_of(1.0, MODEL)
    with pytest.raises(InputError):
        state.after(
            ClosedTrade(time_years=3.0, size=1.0, tenor_years=1.0, recovery_rate=2.0), MODEL
        )


def test_as_of_must_be_a_date_and_an_empty_history_leaves_external_ratings():
    empty = pd.DataFrame(
        {c: [] for c in ["counterparty", "trade_id", "closed_at", "size", "tenor_years"]}
    )
    path = replay_trades(empty, external=EXTERNAL)
    assert path.empty
    now = current_ratings(path, external=EXTERNAL).set_index("counterparty")
    assert now["composite"].to_dict() == {"A": 15.0, "B": 11.0, "C": 16.0}  # latest external only
    with pytest.raises(InputError) as caught:
        current_ratings(path, external=EXTERNAL, as_of="someday")
    assert caught.value.field == "as_of"


def test_a_path_row_resumes_trade_by_trade():
    """The incremental service can continue from the last path row instead of replaying."""
    history = two_counterparty_history()
    path = replay_trades(history.iloc[:2], external=EXTERNAL)  # A's two trades
    last = path.iloc[-1]
    years = (last["closed_at"] - path["closed_at"].iloc[0]).total_seconds() / (
        DAYS_PER_YEAR * 86400
    )
    state = InternalRating.resume(
        anchor=last["anchor"],
        evidence=last["evidence"],
        internal=last["internal"],
        time_years=years,
        closed_trades=int(last["closed_trades"]),
        model=MODEL,
    )
    next_trade = {"size": 3e6, "tenor_years": 2.0, "defaulted": True, "recovery_rate": 0.5}
    resumed = state.after(ClosedTrade(time_years=years + 0.5, **next_trade), MODEL)
    extended = pd.concat(
        [history.iloc[:2], history_frame([("A", 2.0, next_trade)]).assign(trade_id="T999")],
        ignore_index=True,
    )
    replayed = replay_trades(extended, external=EXTERNAL).iloc[-1]
    assert resumed.score(MODEL) == pytest.approx(replayed["internal"], abs=1e-9)
    assert resumed.closed_trades == replayed["closed_trades"] == 3

"""Transition tables: allowed events move the state; any other event is InvalidTransition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import ContractError, InvalidTransition
from glassledger.ledger.abi.lifecycle import Lifecycle

CALL = Lifecycle.of(
    "margin_call",
    initial="issued",
    rows=[("issued", "meet", "met"), ("issued", "deadline", "missed"), ("missed", "cure", "met")],
)


def test_allowed_events_move_the_record():
    record = {"state": CALL.initial}
    assert CALL.fire(record, "deadline") == "missed"
    assert CALL.fire(record, "cure") == "met"
    assert CALL.is_final("met") and not CALL.is_final("issued")
    assert CALL.events("issued") == ("meet", "deadline")


def test_an_event_not_in_the_table_is_a_typed_rejection_and_changes_nothing():
    record = {"state": "met"}
    with pytest.raises(
        InvalidTransition, match="'deadline' is not allowed in state 'met'; it is final"
    ):
        CALL.fire(record, "deadline")
    assert record == {"state": "met"}
    with pytest.raises(ContractError, match="allowed: meet, deadline"):
        CALL.next("issued", "cure")


def test_a_table_must_be_a_function():
    with pytest.raises(ValueError, match="twice"):
        Lifecycle.of("x", "a", [("a", "go", "b"), ("a", "go", "c")])


@given(st.lists(st.sampled_from(["meet", "deadline", "cure", "bogus"]), max_size=8))
def test_any_event_sequence_stays_inside_the_table(events):
    record = {"state": CALL.initial}
    for event in events:
        before = record["state"]
        if CALL.allows(before, event):
            assert CALL.fire(record, event) == CALL.table[(before, event)]
        else:
            with pytest.raises(InvalidTransition):
                CALL.fire(record, event)
            assert record["state"] == before
    assert record["state"] in CALL.states

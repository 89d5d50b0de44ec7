"""Legal Entity Identifiers in the identity contract: ISO 17442 check digits, set by the
regulator, carried into UTIs."""

from __future__ import annotations

import pytest

from glassledger.contracts.identity import lei_problem, make_record, with_check_digits
from support.otc import otc_desk, trade


@pytest.mark.parametrize(
    "lei",
    [
        "506700GE1G29325QX363",  # GLEIF's own LEI (gleif.org)
        "254900HROIFWPRGM1V77",  # as used for the US Treasury in the market day
        "5493001KJTIIGC8Y1R12",
    ],
)
def test_published_leis_pass_their_check_digits(lei):
    assert lei_problem(lei) == ""
    assert with_check_digits(lei[:18]) == lei


@pytest.mark.parametrize(
    ("lei", "why"),
    [
        ("506700GE1G29325QX364", "check digits"),  # last digit changed
        ("506700GE1G29325QX3", "20 upper-case"),
        ("506700ge1g29325qx363", "20 upper-case"),
        ("506700GE1G29325QX3AB", "2 check digits"),
    ],
)
def test_malformed_leis_are_refused(lei, why):
    assert why in lei_problem(lei)
    with pytest.raises(ValueError, match=why):
        make_record("x", ["client"], [b"\x01" * 32], lei=lei)


def test_the_regulator_sets_an_lei_and_later_trades_carry_it():
    c = otc_desk()
    lei = with_check_digits("GLASSLEDGERDEALER0")
    refused = c.call("dealer-0", "identity", "set_lei", participant="dealer-0", lei=lei)
    assert not refused.ok and refused.reason == "permission_denied"
    refused = c.call("regulator", "identity", "set_lei", participant="dealer-0", lei=lei[:-1] + "0")
    assert not refused.ok and "check digits" in refused.message
    c.ok("regulator", "identity", "set_lei", participant="dealer-0", lei=lei)
    assert c.get("identity", "p/dealer-0")["lei"] == lei
    trade(c, "S", "irs", {}, 1_000_000_00, "pay_fixed", "client-0", {"dealer-0": 4_000_000})
    assert c.get("derivative", "c/S")["uti"] == lei + "S"

"""The contagion monitor on ledger exposures: network at a height, warnings as private payloads.

Scenario: dealer-0 is owed USD 500,000 by client-0 on a USD 10m two-year swap and owes
dealer-1 USD 300,000 on a USD 1m swap. With USD 100,000 of capital each, dealer-0's
dr = EAD / capital exceeds the 5x threshold and it is flagged (D_0); its default costs
dealer-1 EAD x 45% > USD 100,000, so dealer-1 joins in round 1 (D_1). client-0, well
capitalised, is not warned.
"""

from __future__ import annotations

import pytest

from glassledger.ledger.crypto import KeyPair
from glassledger.risk.contagion.ledger_feed import (
    network_at,
    read_warnings,
    warning_args,
    warning_items,
    warnings_at,
)
from support.desk import DeskChain
from support.leak import assert_nowhere, find


def _book(dealer, ns, cp, tid, notional, mtm):
    return (
        dealer,
        "book",
        {
            "netting_set": ns,
            "counterparty": cp,
            "trade_id": tid,
            "notional": notional,
            "days": 730,
            "mtm": mtm,
        },
    )


@pytest.fixture
def desk():
    desk = DeskChain.create()
    desk.run(
        _book("dealer-0", "a", "client-0", "t1", 10_000_000_00, 500_000_00),
        _book("dealer-1", "b", "dealer-0", "t2", 1_000_000_00, 300_000_00),
    )
    desk.send(
        *[
            (
                "regulator",
                "monitor",
                "set_capital",
                {"institution": who, "amount": amount, "currency": "USD"},
            )
            for who, amount in [
                ("dealer-0", 100_000_00),
                ("dealer-1", 100_000_00),
                ("client-0", 50_000_000_00),
            ]
        ]
    )
    return desk


def test_network_reads_exposures_and_capital_at_the_height(desk):
    ledger = network_at(desk.store, desk.chain.height)
    assert ledger.missing_capital == ()
    edges = ledger.edges.set_index(["creditor", "debtor"])
    assert edges.loc[("dealer-0", "client-0"), "ead"] > 1.4 * 500_000
    assert edges.loc[("dealer-1", "dealer-0"), "ead"] > 1.4 * 300_000
    assert edges.loc[("dealer-0", "client-0"), "lgd"] == pytest.approx(0.45)
    before_capital = network_at(desk.store, 1)
    assert set(before_capital.missing_capital) == {"client-0", "dealer-0", "dealer-1"}


def test_warnings_flag_and_cascade_then_reach_only_the_warned(desk):
    height = desk.chain.height
    result = warnings_at(desk.store, height)
    assert result.flagged == ["dealer-0"]
    assert result.warned == ["dealer-0", "dealer-1"]
    args = warning_args(result, height, desk.chain.state.data)
    assert len(args["envelopes"]) == 3  # every monitored institution, warned or not
    (receipt,) = desk.send(("regulator", "monitor", "warn", args))
    assert receipt.ok, receipt.message
    mine = read_warnings(desk.store, "dealer-1", KeyPair.from_name("dealer-1"))
    assert [(w["institution"], w["warned"], w["round"]) for w in mine] == [("dealer-1", True, 1)]
    assert mine[0]["dr_bps"] == warning_items(result)[1]["dr_bps"]
    client = read_warnings(desk.store, "client-0", KeyPair.from_name("client-0"))
    assert [(w["institution"], w["warned"]) for w in client] == [("client-0", False)]
    regulator = read_warnings(desk.store, "regulator", KeyPair.from_name("regulator"))
    assert sorted((w["institution"], w["warned"]) for w in regulator) == [
        ("client-0", False),
        ("dealer-0", True),
        ("dealer-1", True),
    ]
    assert read_warnings(desk.store, "client-1", KeyPair.from_name("client-1")) == []
    (again,) = desk.send(("regulator", "monitor", "warn", args))
    assert not again.ok and "already sent" in again.message


def test_no_warning_plaintext_is_readable_by_a_copy_holder(desk):
    """Issue 9 section 5: names, dr_bps and reasons used to be in the transaction, the
    events and the state. Now every byte a non-recipient holds is searched for them."""
    height = desk.chain.height
    result = warnings_at(desk.store, height)
    items = warning_items(result)
    reasons = [item["reason"] for item in items]
    assert all(len(r) > 8 for r in reasons)
    desk.send(("regulator", "monitor", "warn", warning_args(result, height, desk.chain.state.data)))
    assert_nowhere(desk, *reasons)
    # positive control: the same search finds what is public
    assert find(desk, "Dealer 1")  # a legal name in the identity state


def test_sealing_only_to_the_warned_is_refused(desk):
    """It would tell every copy holder who was warned, from the recipients' names."""
    height = desk.chain.height
    result = warnings_at(desk.store, height)
    args = warning_args(result, height, desk.chain.state.data)
    warned_only = {"height": height, "envelopes": args["envelopes"][1:]}
    (receipt,) = desk.send(("regulator", "monitor", "warn", warned_only))
    assert not receipt.ok and "one envelope per monitored institution" in receipt.message
    public = {"height": height, "envelopes": [{"ciphertext": b"x", "keys": {"dealer-0": b""}}]}
    (receipt,) = desk.send(("regulator", "monitor", "warn", public))
    assert not receipt.ok and "sealed to one institution and the regulator" in receipt.message


def test_only_the_regulator_warns(desk):
    (receipt,) = desk.send(("dealer-1", "monitor", "warn", {"height": 1, "warnings": []}))
    assert receipt.reason == "permission_denied"


def test_contagion_command_on_a_node_home(tmp_path):
    """`glassledger risk contagion --home`: a fresh chain has no exposures to cascade."""
    from typer.testing import CliRunner

    from glassledger.cli import app

    runner = CliRunner()
    home = str(tmp_path / "net")
    assert runner.invoke(app, ["init", "--home", home]).exit_code == 0
    out = runner.invoke(app, ["risk", "contagion", "--home", home, "--alert", "5"])
    assert out.exit_code == 0, out.output
    assert "ledger exposures at height 0: 0 institutions" in out.output
    both = runner.invoke(app, ["risk", "contagion", "x.csv", "--home", home, "--alert", "5"])
    assert both.exit_code != 0

"""The one settlement path: legs move all or none; who may pay what."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.contracts.identity import Identity
from glassledger.contracts.token import Token
from glassledger.ledger.abi import Context, Contract, Registry, method
from glassledger.ledger.abi.settlement import Instruction, net, settle


class Desk(Contract):
    """Test contract: settles whatever legs it is given."""

    name = "desk"

    @method("client", "dealer")
    def run(self, ctx: Context, legs: list[dict[str, Any]]) -> None:
        settle(ctx, [Instruction(**leg) for leg in legs], reference="test")


def _send(dev, who, legs):
    return dev.commit([dev.tx(who, "desk", "run", legs=legs)])[0]


@pytest.fixture
def desk_dev(make_dev):
    return make_dev(registry=Registry([Identity(), Token(), Desk()]))


def test_dvp_moves_both_legs_or_neither(desk_dev):
    dev = desk_dev
    cash = {"symbol": "USD", "payer": "client-0", "payee": "client-1", "amount": 500}
    ok = _send(dev, "client-0", [cash])
    assert ok.ok, ok.message
    assert dev.balance("client-1") == 1_000_000_00 + 500
    # second leg: client-1 pays from its own balance though it did not sign -> all rejected
    stolen = {"symbol": "USD", "payer": "client-1", "payee": "client-0", "amount": 100}
    before = (dev.balance("client-0"), dev.balance("client-1"))
    bad = _send(dev, "client-0", [cash, stolen])
    assert not bad.ok and "did not sign" in bad.message
    assert (dev.balance("client-0"), dev.balance("client-1")) == before


def test_escrow_legs_lock_and_pay_out(desk_dev):
    dev = desk_dev
    into = {
        "symbol": "USD",
        "payer": "client-0",
        "payee": "client-0",
        "amount": 700,
        "to_lock": "m1",
    }
    assert _send(dev, "client-0", [into]).ok
    assert dev.get("token", "l/m1") == {
        "symbol": "USD",
        "holder": "client-0",
        "amount": 700,
        "owner": "desk",
    }
    out = {
        "symbol": "USD",
        "payer": "client-0",
        "payee": "client-2",
        "amount": 300,
        "from_lock": "m1",
    }
    assert _send(dev, "client-1", [out]).ok  # anyone's call: the lock is the desk's escrow
    assert dev.get("token", "l/m1")["amount"] == 400
    too_much = dict(out, amount=401)
    assert not _send(dev, "client-1", [too_much]).ok


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("abc"), st.integers(1, 50)), max_size=12
    )
)
def test_net_preserves_every_partys_net_position(legs):
    instructions = [Instruction("USD", p, q, a) for p, q, a in legs if p != q]

    def position(items):
        out: dict[str, int] = {}
        for leg in items:
            out[leg.payer] = out.get(leg.payer, 0) - leg.amount
            out[leg.payee] = out.get(leg.payee, 0) + leg.amount
        return {k: v for k, v in out.items() if v}

    netted = net(instructions)
    assert position(netted) == position(instructions)
    assert len(netted) <= 3

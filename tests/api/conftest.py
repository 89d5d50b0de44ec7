"""An API over a desk chain (the one harness): a regulator, dealers, clients and a member
bank; trades booked dealer-0 <-> client-0 and dealer-1 <-> client-1; transfers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from glassledger.api.app import create_app
from glassledger.api.ledger import LedgerView
from glassledger.api.limits import RateLimiter
from glassledger.client import Client
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import decode_transaction
from support.desk import DeskChain

#: API role -> a participant holding it in the devnet.
WHO = {"regulator": "regulator", "dealer": "dealer-0", "client": "client-0", "member": "bank"}
#: Someone else of the same role (for "own" checks).
OTHER = {"dealer": "dealer-1", "client": "client-1", "member": "client-1", "regulator": "client-1"}


def book(ns, dealer, client, trade, notional, mtm=0):
    args = {"netting_set": ns, "counterparty": client, "trade_id": trade, "notional": notional}
    return (dealer, "book", {**args, "days": 365, "mtm": mtm})


@pytest.fixture
def desk() -> DeskChain:
    desk = DeskChain.create()
    desk.run(book("ns0", "dealer-0", "client-0", "t0", 5_000_000_00, 40_000_00))
    desk.run(book("ns1", "dealer-1", "client-1", "t1", 2_000_000_00, -10_000_00))
    desk.send(("client-0", "token", "transfer", {"symbol": "USD", "to": "client-1", "amount": 7}))
    desk.send(("client-1", "token", "transfer", {"symbol": "USD", "to": "client-2", "amount": 9}))
    return desk


def make_app(desk: DeskChain, **options):
    view = LedgerView(desk.store, lambda raw: desk.commit([decode_transaction(raw)]))
    options.setdefault("stream_max_s", 0.5)
    options.setdefault("poll_s", 0.01)
    return create_app(view, **options)


@pytest.fixture
def app(desk):
    return make_app(desk)


@pytest.fixture
def http(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def as_(http):
    """``as_(participant)``: a signed API client for that participant."""

    def make(participant: str) -> Client:
        return Client("http://testserver", KeyPair.from_name(participant), participant, http=http)

    return make


__all__ = ["OTHER", "WHO", "RateLimiter", "book", "make_app"]

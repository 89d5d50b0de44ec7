"""The permission matrix, exhaustively: every role against every endpoint and object."""

from __future__ import annotations

import re

import pytest

from api.conftest import OTHER, WHO
from glassledger.api import permissions as perms
from glassledger.api.auth import sign_request
from glassledger.ledger.crypto import KeyPair

ROLES = list(WHO)


@pytest.fixture
def world(desk):
    """Every participant of the table signs one committed transaction."""
    desk.send(("bank", "token", "mint", {"symbol": "USD", "to": "client-1", "amount": 1}))
    desk.send(
        (
            "regulator",
            "identity",
            "set_roles",
            {"participant": "client-3", "roles": ["client"]},
        )
    )
    return desk


def _tx_of(desk, participant: str) -> str:
    key = KeyPair.from_name(participant).public
    for height in range(desk.height, 0, -1):
        block = desk.store.get_block(height)
        for signed, receipt in zip(block.txs, desk.store.get_receipts(height), strict=True):
            if signed.tx.sender == key:
                return receipt.tx_hash.hex()
    raise AssertionError(f"{participant} signed nothing")


def _status(http, participant: str, target: str) -> tuple[int, dict]:
    response = http.get(target, headers=sign_request(KeyPair.from_name(participant), "GET", target))
    return response.status_code, response.json()


def _netting_set_of(participant: str) -> str:
    return {"dealer-0": "ns0", "client-0": "ns0", "dealer-1": "ns1", "client-1": "ns1"}.get(
        participant, ""
    )


#: endpoint -> (target for the caller's own object, target for someone else's), as functions
#: of (desk, me, other); None where the endpoint has no per-object form.
def _targets(desk, me: str, other: str) -> dict[str, tuple[str, str | None]]:
    mine_ns, their_ns = _netting_set_of(me) or "ns0", _netting_set_of(other) or "ns1"
    return {
        "status": ("/v1/status", None),
        "authorities": ("/v1/authorities", None),
        "blocks": ("/v1/blocks", None),
        "consensus": ("/v1/consensus", None),
        "liquidity_corridor": ("/v1/liquidity/corridor", None),
        "participant": (f"/v1/participants/{me}", f"/v1/participants/{other}"),
        "balances": (f"/v1/participants/{me}/balances", f"/v1/participants/{other}/balances"),
        "transaction": (
            f"/v1/transactions/{_tx_of(desk, me)}",
            f"/v1/transactions/{_tx_of(desk, other)}",
        ),
        "netting_set": (f"/v1/netting-sets/{mine_ns}", f"/v1/netting-sets/{their_ns}"),
        "state": (f"/v1/state/token/b/USD/{me}", f"/v1/state/token/b/USD/{other}"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_per_object_endpoints_follow_the_matrix(world, http, role):
    me, other = WHO[role], OTHER[role]
    for endpoint, (mine, theirs) in _targets(world, me, other).items():
        scope = perms.scope(endpoint, role)
        status, body = _status(http, me, mine)
        if endpoint == "netting_set" and not _netting_set_of(me) and scope == "own":
            assert status == 403, (endpoint, role, body)  # a party to no netting set
            continue
        assert status == (403 if scope == "none" else 200), (endpoint, role, body)
        if theirs is None:
            continue
        status, body = _status(http, me, theirs)
        expected = {"all": 200, "public": 200, "own": 403, "none": 403}[scope]
        assert status == expected, (endpoint, role, theirs, body)


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_what_the_role_may_see(world, http, role):
    me = WHO[role]
    key = KeyPair.from_name(me).public.hex()
    scope = perms.scope("transactions", role)
    _, page = _status(http, me, "/v1/transactions?limit=1000")
    senders = {item["sender"] for item in page["items"]}
    assert senders == ({key} if scope == "own" else senders) and senders
    if scope == "all":
        assert len(senders) >= 4
    _, page = _status(http, me, "/v1/events?limit=1000")
    for item in page["items"]:
        owners = set(item["visible_to"]) | {
            item["data"][f] for f in perms.PARTY_FIELDS if isinstance(item["data"].get(f), str)
        }
        assert perms.scope("events", role) == "all" or me in owners, item
    _, page = _status(http, me, "/v1/netting-sets")
    ids = {ns["id"] for ns in page["items"]}
    assert ids == ({"ns0", "ns1"} if role == "regulator" else {_netting_set_of(me)} - {""})
    status, page = _status(http, me, "/v1/risk/exposures")
    if perms.scope("risk_exposures", role) == "none":
        assert status == 403
    else:
        parties = {r["party"] for r in page["items"]} | {r["counterparty"] for r in page["items"]}
        assert role == "regulator" or parties <= {me, OTHER.get(me, ""), "dealer-0", "client-0"}
        assert role == "regulator" or all(
            me in (r["party"], r["counterparty"]) for r in page["items"]
        )
    status, _ = _status(http, me, "/v1/risk/contagion")
    assert status == (200 if perms.scope("risk_contagion", role) == "all" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_blocks_show_others_transactions_by_hash_only(world, http, role):
    me = WHO[role]
    _, block = _status(http, me, "/v1/blocks/1")  # dealer-0 booked ns0 in block 1
    (tx,) = block["transactions"]
    shown = "args" in tx
    assert shown == (role == "regulator" or me == "dealer-0")


def test_submission_must_be_signed_by_the_caller(world, as_):
    from glassledger.client import ApiRefused
    from glassledger.ledger.tx import Transaction

    api = as_("client-0")
    other = KeyPair.from_name("client-1")
    tx = Transaction(world.genesis.chain_id, other.public, 50, "token", "transfer", {})
    with pytest.raises(ApiRefused) as refused:
        api.request("POST", "/v1/transactions", body={"tx": tx.sign(other).encode().hex()})
    assert refused.value.status == 403 and refused.value.reason == "not_owner"


def test_every_route_is_in_the_matrix(app):
    routes = {r.path for r in app.routes if getattr(r, "path", "").startswith("/v1/")}
    names = {
        "/v1/status": "status",
        "/v1/authorities": "authorities",
        "/v1/blocks": "blocks",
        "/v1/blocks/{height}": "block",
        "/v1/transactions": "transactions",
        "/v1/transactions/{tx_hash}": "transaction",
        "/v1/events": "events",
        "/v1/stream": "stream",
        "/v1/participants/{participant}": "participant",
        "/v1/participants/{participant}/balances": "balances",
        "/v1/netting-sets": "netting_sets",
        "/v1/netting-sets/{netting_set}": "netting_set",
        "/v1/state/{contract}/{key}": "state",
        "/v1/risk/exposures": "risk_exposures",
        "/v1/risk/ratings": "risk_ratings",
        "/v1/risk/contagion": "risk_contagion",
        "/v1/funding/positions": "funding_positions",
        "/v1/basket": "basket",
        "/v1/funding/market": "funding_market",
        "/v1/funding/concentration": "funding_concentration",
        "/v1/consensus": "consensus",
        "/v1/liquidity/corridor": "liquidity_corridor",
    }
    routes = {re.sub(r":path}", "}", r) for r in routes}
    assert routes == set(names), routes ^ set(names)
    assert set(names.values()) | {"submit"} == set(perms.MATRIX)
    for route in app.routes:
        if getattr(route, "path", "").startswith("/v1/"):
            assert "Access:" in (route.description or ""), route.path

"""Signed requests: replay, staleness, tampering, unknown/revoked keys, suspension."""

from __future__ import annotations

import time

import pytest

from glassledger.api.auth import sign_request
from glassledger.client import ApiRefused
from glassledger.ledger.crypto import KeyPair

KEYS = KeyPair.from_name("client-0")


def _get(http, target: str, headers: dict) -> tuple[int, dict]:
    response = http.get(target, headers=headers)
    return response.status_code, response.json()


def test_a_signed_request_is_answered_and_says_who_you_are(http):
    status, body = _get(http, "/v1/status", sign_request(KEYS, "GET", "/v1/status"))
    assert status == 200 and body["participant"] == "client-0" and body["role"] == "client"


def test_a_replayed_request_is_refused(http):
    headers = sign_request(KEYS, "GET", "/v1/status")
    assert _get(http, "/v1/status", headers)[0] == 200
    status, body = _get(http, "/v1/status", headers)
    assert status == 401 and body["error"]["reason"] == "replayed_nonce"


def test_a_stale_timestamp_is_refused(http):
    old = time.time_ns() // 1_000_000 - 120_000
    status, body = _get(http, "/v1/status", sign_request(KEYS, "GET", "/v1/status", b"", old))
    assert status == 401 and body["error"]["reason"] == "stale_timestamp"


def test_a_tampered_body_or_query_is_refused(http):
    signed_body = b'{"tx": "00", "wait_s": 1}'
    headers = sign_request(KEYS, "POST", "/v1/transactions", signed_body)
    headers["Content-Type"] = "application/json"
    response = http.post("/v1/transactions", content=b'{"tx": "01", "wait_s": 1}', headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "bad_signature"
    headers = sign_request(KEYS, "GET", "/v1/events?limit=1")
    status, body = _get(http, "/v1/events?limit=2", headers)
    assert status == 401 and body["error"]["reason"] == "bad_signature"


def test_missing_or_malformed_headers_are_refused(http):
    status, body = _get(http, "/v1/status", {})
    assert status == 401 and body["error"]["reason"] == "malformed_auth"
    headers = sign_request(KEYS, "GET", "/v1/status") | {"X-GL-Key": "zz"}
    assert _get(http, "/v1/status", headers)[1]["error"]["reason"] == "malformed_auth"


def test_an_unknown_key_is_refused(http):
    stranger = KeyPair.from_name("stranger")
    status, body = _get(http, "/v1/status", sign_request(stranger, "GET", "/v1/status"))
    assert status == 401 and body["error"]["reason"] == "unknown_key"


def test_a_revoked_key_and_a_suspended_participant_are_refused(desk, as_):
    spare = KeyPair.from_name("client-0-spare")
    desk.ok("regulator", "identity", "add_key", participant="client-0", key=spare.public)
    desk.ok("regulator", "identity", "revoke_key", participant="client-0", key=KEYS.public)
    with pytest.raises(ApiRefused) as refused:
        as_("client-0").status()
    assert refused.value.status == 401 and refused.value.reason == "revoked_key"
    desk.ok("regulator", "identity", "set_active", participant="client-1", active=False)
    with pytest.raises(ApiRefused) as refused:
        as_("client-1").status()
    assert refused.value.reason == "suspended"

"""Signed requests: participants authenticate with their Ed25519 ledger keys.

No passwords, no shared secrets, no sessions. Every request carries four headers:

* ``X-GL-Key``: the participant's registered public key (64 hex characters);
* ``X-GL-Timestamp``: milliseconds since the Unix epoch when the request was signed;
* ``X-GL-Nonce``: 16 to 64 hex characters, never reused by that key within the window;
* ``X-GL-Signature``: the key's Ed25519 signature (hex) over the canonical request, under the
  domain ``glassledger/api/v1``::

      METHOD \\n PATH?QUERY \\n sha256(body) hex \\n TIMESTAMP \\n NONCE

The server refuses, each with its own reason: a missing or malformed header
(``malformed_auth``), a timestamp more than :data:`SKEW_MS` from its clock
(``stale_timestamp``), a nonce already seen for that key within the window
(``replayed_nonce``), a signature that does not match — any change to method, path, query or
body after signing (``bad_signature``), a key the identity contract does not know
(``unknown_key``), a key the regulator revoked (``revoked_key``), a suspended participant
(``suspended``).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from glassledger.ledger.crypto import KeyPair, sha256, verify

DOMAIN = b"glassledger/api/v1"
SKEW_MS = 30_000
HEADERS = ("x-gl-key", "x-gl-timestamp", "x-gl-nonce", "x-gl-signature")


class AuthError(Exception):
    """A request whose authentication failed; ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def canonical_request(
    method: str, target: str, body: bytes, timestamp_ms: int, nonce: str
) -> bytes:
    """The bytes a request signature covers (``target``: path plus ``?query`` if any)."""
    return "\n".join(
        [method.upper(), target, sha256(body).hex(), str(timestamp_ms), nonce]
    ).encode()


def sign_request(
    keys: KeyPair,
    method: str,
    target: str,
    body: bytes = b"",
    timestamp_ms: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The authentication headers of a request signed by ``keys``."""
    timestamp_ms = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
    nonce = secrets.token_hex(16) if nonce is None else nonce
    payload = canonical_request(method, target, body, timestamp_ms, nonce)
    return {
        "X-GL-Key": keys.public.hex(),
        "X-GL-Timestamp": str(timestamp_ms),
        "X-GL-Nonce": nonce,
        "X-GL-Signature": keys.sign(DOMAIN, payload).hex(),
    }


@dataclass(frozen=True)
class SignedHeaders:
    key: bytes
    timestamp_ms: int
    nonce: str
    signature: bytes


def parse_headers(headers: dict[str, str]) -> SignedHeaders:
    missing = [h for h in HEADERS if h not in headers]
    if missing:
        raise AuthError("malformed_auth", f"missing header(s) {', '.join(missing)}")
    try:
        key = bytes.fromhex(headers["x-gl-key"])
        signature = bytes.fromhex(headers["x-gl-signature"])
        timestamp = int(headers["x-gl-timestamp"])
    except ValueError as exc:
        raise AuthError("malformed_auth", f"malformed authentication header: {exc}") from None
    nonce = headers["x-gl-nonce"]
    if len(key) != 32 or len(signature) != 64:
        raise AuthError("malformed_auth", "X-GL-Key is 32 bytes and X-GL-Signature 64, in hex")
    if not (16 <= len(nonce) <= 64) or any(c not in "0123456789abcdef" for c in nonce):
        raise AuthError("malformed_auth", "X-GL-Nonce must be 16 to 64 lowercase hex characters")
    return SignedHeaders(key, timestamp, nonce, signature)


class NonceBook:
    """Nonces seen per key within the timestamp window (thread-safe)."""

    def __init__(self, window_ms: int = 2 * SKEW_MS) -> None:
        self.window_ms = window_ms
        self._seen: dict[bytes, dict[str, int]] = {}
        self._lock = threading.Lock()

    def claim(self, key: bytes, nonce: str, now_ms: int) -> bool:
        """Record ``nonce`` for ``key``; False if it was already used in the window."""
        with self._lock:
            book = self._seen.setdefault(key, {})
            if len(book) > 1_000:
                for old in [n for n, t in book.items() if t < now_ms - self.window_ms]:
                    del book[old]
            if nonce in book and book[nonce] >= now_ms - self.window_ms:
                return False
            book[nonce] = now_ms
            return True


def check_signature(
    signed: SignedHeaders,
    method: str,
    target: str,
    body: bytes,
    nonces: NonceBook,
    now_ms: int | None = None,
) -> None:
    """Raise :class:`AuthError` unless the request is fresh, unreplayed and signed."""
    now_ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if abs(now_ms - signed.timestamp_ms) > SKEW_MS:
        raise AuthError(
            "stale_timestamp",
            f"request signed {abs(now_ms - signed.timestamp_ms) / 1000:.1f} s from the "
            f"server's clock (limit {SKEW_MS / 1000:.0f} s): sign it again",
        )
    payload = canonical_request(method, target, body, signed.timestamp_ms, signed.nonce)
    if not verify(signed.key, DOMAIN, payload, signed.signature):
        raise AuthError(
            "bad_signature",
            "the signature does not cover this request (method, path, query, body hash, "
            "timestamp, nonce): it was altered after signing or signed with another key",
        )
    if not nonces.claim(signed.key, signed.nonce, now_ms):
        raise AuthError("replayed_nonce", "this nonce was already used: sign a fresh request")

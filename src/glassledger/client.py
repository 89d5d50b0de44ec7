"""Python client of the glassledger HTTP API: signs every request with your key and returns
views as pandas DataFrames.

::

    from glassledger.client import Client
    from glassledger.ledger.crypto import load_key

    _, keys = load_key("net/keys/client-0.json")
    api = Client("http://127.0.0.1:8000", keys)
    api.status()                                  # chain, head, your role, next nonce
    api.balances()                                # your balances (DataFrame)
    api.submit("token", "transfer", {"symbol": "USD", "to": "client-1", "amount": 100})
    for event in api.stream(start_height=0): ...  # server-sent events, resumable

Private payloads addressed to you (sealed quotes, warnings) come back as envelopes;
:meth:`Client.open` decrypts them here, with your key, never on the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pandas as pd

from glassledger.api.auth import sign_request
from glassledger.errors import ConfigError, GlassledgerError
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import Envelope, open_envelope
from glassledger.ledger.tx import Transaction


class ApiRefused(GlassledgerError):
    """The API refused a request: ``status``, ``reason`` and the server's message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"HTTP {status} {reason}: {message}")
        self.status, self.reason, self.message = status, reason, message


class Client:
    """A participant's session with an API (``http``: an ``httpx.Client``; tests pass a
    FastAPI ``TestClient``)."""

    def __init__(
        self,
        base_url: str,
        keys: KeyPair,
        participant: str = "",
        http: httpx.Client | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"API address {base_url!r}: write http://HOST:PORT or https://...")
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.http = http or httpx.Client(timeout=timeout_s)
        self._participant = participant

    # ------------------------------------------------------------------ plumbing

    def request(self, method: str, path: str, params: dict | None = None, body: Any = None):
        """Send a signed request; the decoded JSON, or :class:`ApiRefused`."""
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        target = path + (f"?{query}" if query else "")
        content = b"" if body is None else json.dumps(body).encode()
        headers = sign_request(self.keys, method, target, content)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method, self.base_url + target, content=content, headers=headers
            )
        except httpx.HTTPError as exc:  # connection refused, timeout, bad URL
            raise ConfigError(f"cannot reach the API at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise ApiRefused(response.status_code, error["reason"], error["message"])
            except (ValueError, KeyError):
                raise ApiRefused(response.status_code, "http", response.text[:200]) from None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params)

    def pages(self, path: str, max_items: int = 100_000, **params: Any) -> list[dict]:
        """Every item of a paginated list (following ``next_cursor``)."""
        items: list[dict] = []
        cursor = None
        while len(items) < max_items:
            page = self.get(path, cursor=cursor, **params)
            items += page["items"]
            cursor = page.get("next_cursor")
            if cursor is None:
                break
        return items[:max_items]

    # ------------------------------------------------------------------ ledger

    def status(self) -> dict[str, Any]:
        return self.get("/v1/status")

    @property
    def participant(self) -> str:
        if not self._participant:
            self._participant = self.status()["participant"]
        return self._participant

    def blocks(self, limit: int = 20) -> pd.DataFrame:
        return pd.DataFrame(self.get("/v1/blocks", limit=limit)["items"])

    def transactions(self, **filters: Any) -> pd.DataFrame:
        return pd.DataFrame(self.pages("/v1/transactions", **filters))

    def events(self, **filters: Any) -> pd.DataFrame:
        """Events you may see (filters: contract, name, netting_set, start_height)."""
        return pd.DataFrame(self.pages("/v1/events", **filters))

    def submit(
        self,
        contract: str,
        method: str,
        args: dict[str, Any],
        nonce: int | None = None,
        wait_s: float = 10.0,
    ) -> dict[str, Any]:
        """Sign ``contract.method(args)`` here and submit it; the receipt (or ``pending``)."""
        status = self.status()
        nonce = status["next_nonce"] if nonce is None else nonce
        tx = Transaction(status["chain_id"], self.keys.public, nonce, contract, method, args)
        signed = tx.sign(self.keys)
        return self.request(
            "POST", "/v1/transactions", body={"tx": signed.encode().hex(), "wait_s": wait_s}
        )

    def stream(
        self, start_height: int | None = None, last_event_id: str | None = None
    ) -> Iterator[dict]:
        """Server-sent events you may see, from ``start_height`` or after ``last_event_id``
        (``height:seq``); each item has its ``cursor`` for resuming."""
        query = urlencode({"start_height": start_height} if start_height is not None else {})
        target = "/v1/stream" + (f"?{query}" if query else "")
        headers = sign_request(self.keys, "GET", target)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        with self.http.stream("GET", self.base_url + target, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                error = response.json()["error"]
                raise ApiRefused(response.status_code, error["reason"], error["message"])
            for line in response.iter_lines():
                if line.startswith("data: "):
                    yield json.loads(line[6:])

    # ------------------------------------------------------------------ views

    def participant_record(self, participant: str | None = None) -> dict[str, Any]:
        return self.get(f"/v1/participants/{participant or self.participant}")

    def balances(self, participant: str | None = None, height: int | None = None) -> pd.DataFrame:
        """Free and locked balances by symbol (minor units)."""
        found = self.get(
            f"/v1/participants/{participant or self.participant}/balances", height=height
        )
        symbols = sorted(set(found["free"]) | set(found["locked"]))
        return pd.DataFrame(
            {
                "symbol": symbols,
                "free": [found["free"].get(s, 0) for s in symbols],
                "locked": [found["locked"].get(s, 0) for s in symbols],
            }
        )

    def netting_sets(self, height: int | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.pages("/v1/netting-sets", height=height))

    def state(self, contract: str, key: str, height: int | None = None) -> dict[str, Any]:
        return self.get(f"/v1/state/{contract}/{key}", height=height)

    def exposures(self, height: int | None = None) -> pd.DataFrame:
        """SA-CCR EAD and expected loss per directed netting set."""
        return pd.DataFrame(self.get("/v1/risk/exposures", height=height)["items"])

    def contagion(self, height: int | None = None) -> dict[str, Any]:
        return self.get("/v1/risk/contagion", height=height)

    # ------------------------------------------------------------------ private payloads

    def open(self, envelope: dict[str, Any] | Envelope) -> bytes:
        """Decrypt a private payload addressed to you, locally, with your key."""
        if not isinstance(envelope, Envelope):
            envelope = Envelope(
                bytes.fromhex(envelope["ciphertext"]),
                {k: bytes.fromhex(v) for k, v in envelope["keys"].items()},
            )
        return open_envelope(envelope, self.participant, self.keys)

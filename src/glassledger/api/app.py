"""The FastAPI application (see docs/api.md for the guide, /openapi.json for the schema).

Every endpoint authenticates the caller by its signed request (:mod:`glassledger.api.auth`),
rate-limits it per key, and applies the permission matrix (:mod:`glassledger.api.permissions`)
to what it returns. Lists are paginated (``limit`` up to 1,000 and an opaque ``cursor``).
Amounts are integers in minor units; hashes and keys hex; times ms since the Unix epoch.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from glassledger import __version__
from glassledger.api import permissions as perms
from glassledger.api.auth import AuthError, NonceBook, check_signature, parse_headers
from glassledger.api.errors import COMMON, ApiError, body
from glassledger.api.ledger import LedgerView, LocatedEvent
from glassledger.api.limits import DEFAULT_PAGE, MAX_BODY, MAX_PAGE, RateLimiter
from glassledger.errors import DecodeError, GlassledgerError
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.codec import to_jsonable
from glassledger.ledger.tx import MAX_TX_SIZE, decode_transaction

MAX_SCAN_BLOCKS = 10_000
MAX_WAIT_S = 30.0


@dataclass(frozen=True)
class Caller:
    """The authenticated participant of a request."""

    participant: str
    role: str
    key: bytes

    @property
    def is_regulator(self) -> bool:
        return self.role == "regulator"


class Page(BaseModel):
    """A page of a list: ``items`` and the ``next_cursor`` to pass for the next page
    (``null`` at the end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


class Submission(BaseModel):
    """A signed transaction: its canonical bytes (msgpack, as ``glassledger tx`` signs) in
    hex, and how long to wait for its receipt (seconds, 0 to 30)."""

    tx: str = Field(max_length=2 * MAX_TX_SIZE, pattern="^[0-9a-fA-F]*$")
    wait_s: float = Field(default=10.0, ge=0.0, le=MAX_WAIT_S)


class SubmitResult(BaseModel):
    hash: str
    status: str = Field(description="`committed` (see `ok`) or `pending` (no receipt yet)")
    height: int | None = None
    ok: bool | None = None
    reason: str = ""
    message: str = ""


async def authenticate(request: Request) -> Caller:
    """Check the signed request (see :mod:`glassledger.api.auth`) and resolve its caller."""
    view: LedgerView = request.app.state.view
    limiter: RateLimiter = request.app.state.limiter
    nonces: NonceBook = request.app.state.nonces
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "body_too_large", f"request bodies are limited to {MAX_BODY} bytes")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        signed = parse_headers({k.lower(): v for k, v in request.headers.items()})
        wait = limiter.allow(signed.key)
        if wait:
            raise ApiError(429, "rate_limited", f"too many requests: retry in {wait:.3f} s")
        check_signature(signed, request.method, target, raw, nonces)
    except AuthError as exc:
        raise ApiError(401, exc.reason, exc.message) from None
    view.follow()
    if signed.key in view.revoked:
        raise ApiError(401, "revoked_key", "this key was revoked by the regulator")
    found = view.participant_of(signed.key)
    if found is None:
        raise ApiError(401, "unknown_key", "no participant holds this key on the ledger")
    participant, record = found
    if not record.get("active", True):
        raise ApiError(401, "suspended", f"participant {participant!r} is suspended")
    return Caller(participant, perms.api_role(record["roles"]), signed.key)


CallerDep = Annotated[Caller, Depends(authenticate)]


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(pattern="^[0-9]{1,18}$", description="`next_cursor` of the previous page."),
]
PairCursor = Annotated[
    str | None,
    Query(pattern="^[0-9]{1,18}:[0-9]{1,9}$", description="`next_cursor` of the previous page."),
]
Height = Annotated[int | None, Query(ge=0, description="Block height (default: the head).")]


def create_app(
    view: LedgerView,
    limiter: RateLimiter | None = None,
    stream_max_s: float | None = None,
    poll_s: float = 0.1,
) -> FastAPI:
    """The API over ``view``. ``stream_max_s`` bounds each event stream (None: until the
    client disconnects); ``poll_s`` is how often streams look for new blocks."""
    limiter = limiter or RateLimiter()
    nonces = NonceBook()
    app = FastAPI(
        title="glassledger API",
        version=__version__,
        description=__doc__,
        openapi_tags=[{"name": "ledger"}, {"name": "views"}, {"name": "risk"}],
    )
    app.state.view = view
    app.state.limiter = limiter
    app.state.nonces = nonces

    # ------------------------------------------------------------------ errors

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = (
            {"Retry-After": str(math.ceil(float(exc.message.split()[-2])))}
            if (exc.status == 429)
            else None
        )
        return JSONResponse(body(exc.status, exc.reason, exc.message), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(body(422, "invalid_parameter", f"{where}: {first['msg']}"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = {404: "no_such_endpoint", 405: "method_not_allowed"}.get(exc.status_code, "http")
        status = exc.status_code if exc.status_code in (400, 404, 413) else 400
        if exc.status_code == 404:
            status = 404
        return JSONResponse(body(status, reason, str(exc.detail)), status)

    @app.exception_handler(GlassledgerError)
    async def ledger_error(_: Request, exc: GlassledgerError) -> JSONResponse:
        return JSONResponse(body(400, type(exc).__name__, str(exc)), 400)

    @app.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            body(500, "bug", f"internal error ({type(exc).__name__}); this is a bug: report it"),
            500,
        )

    @app.middleware("http")
    async def limit_size(request: Request, call_next: Callable) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return JSONResponse(
                body(413, "body_too_large", f"request bodies are limited to {MAX_BODY} bytes"), 413
            )
        return await call_next(request)

    # ------------------------------------------------------------------ auth

    def allowed(endpoint: str, caller: Caller) -> str:
        scope = perms.scope(endpoint, caller.role)
        if scope == "none":
            raise ApiError(403, "forbidden", f"{endpoint}: not available to the {caller.role} role")
        return scope

    def own_participant(endpoint: str, caller: Caller, participant: str) -> None:
        if allowed(endpoint, caller) == "own" and participant != caller.participant:
            raise ApiError(
                403, "not_owner", f"{endpoint}: only your own records ({caller.participant})"
            )

    def height_or_head(height: int | None) -> int:
        head = view.follow()
        if height is None:
            return head
        if height > head:
            raise ApiError(404, "no_such_height", f"no block at height {height} (head {head})")
        return height

    def doc(endpoint: str) -> dict[str, Any]:
        return {"description": perms.describe(endpoint), "responses": COMMON}

    # ------------------------------------------------------------------ ledger

    @app.get("/v1/status", tags=["ledger"], **doc("status"))
    def status(caller: CallerDep) -> dict[str, Any]:
        """The chain, its head, who you are and your next transaction nonce (one above the
        last committed; transactions still in flight are not counted)."""
        head = view.store.get_block(view.height).header
        raw = view.head_state().get(b"sys/nonce/" + caller.key)
        return {
            "chain_id": view.chain_id,
            "height": view.height,
            "time_ms": head.timestamp_ms,
            "participant": caller.participant,
            "role": caller.role,
            "next_nonce": 0 if raw is None else int.from_bytes(raw, "big") + 1,
        }

    @app.get("/v1/authorities", tags=["ledger"], **doc("authorities"))
    def authorities(caller: CallerDep, height: Height = None) -> dict[str, Any]:
        """The authorities that sign block ``height`` (default: the next block)."""
        h = height_or_head(height)
        target = h + 1 if height is None else h
        state = view.state_at(h)
        rows = [
            {"participant": who, "key": key.hex()} for who, key in authorities_at(state, target)
        ]
        return {"height": target, "authorities": rows}

    @app.get("/v1/blocks", tags=["ledger"], **doc("blocks"))
    def blocks(caller: CallerDep, limit: Limit = 20, cursor: Cursor = None) -> Page:
        """Block headers, newest first."""
        head = view.follow()
        top = head if cursor is None else min(_int_cursor(cursor), head)
        items = []
        for h in range(top, max(top - limit, -1), -1):
            block = view.store.get_block(h)
            header = block.header
            items.append(
                {
                    "height": h,
                    "hash": block.hash.hex(),
                    "time_ms": header.timestamp_ms,
                    "proposer": header.proposer.hex(),
                    "tx_count": len(block.txs),
                    "state_root": header.state_root.hex(),
                }
            )
        nxt = top - limit
        return Page(items=items, next_cursor=str(nxt) if nxt >= 0 else None)

    @app.get("/v1/blocks/{height}", tags=["ledger"], **doc("block"))
    def block(caller: CallerDep, height: Annotated[int, Path(ge=0)]) -> dict[str, Any]:
        """A block: header, certificate, and its transactions (others' only by hash)."""
        h = height_or_head(height)
        scope = allowed("block", caller)
        found = view.store.get_block(h)
        receipts = view.store.get_receipts(h)
        txs = []
        for signed, receipt in zip(found.txs, receipts, strict=True):
            if scope == "all" or signed.tx.sender == caller.key:
                txs.append(_tx_json(signed, receipt, caller, scope))
            else:
                txs.append({"hash": receipt.tx_hash.hex()})
        return {
            "header": to_jsonable(found.header),
            "hash": found.hash.hex(),
            "certificate": to_jsonable(view.store.get_certificate(h)),
            "transactions": txs,
        }

    @app.get("/v1/transactions", tags=["ledger"], **doc("transactions"))
    def transactions(
        caller: CallerDep,
        contract: Annotated[str | None, Query(max_length=64)] = None,
        start_height: Height = None,
        limit: Limit = DEFAULT_PAGE,
        cursor: PairCursor = None,
    ) -> Page:
        """Transactions in ledger order (yours only, unless you are the regulator)."""
        scope = allowed("transactions", caller)
        head = view.follow()
        height, index = (start_height or 0, 0) if cursor is None else _pair_cursor(cursor)
        items: list[dict[str, Any]] = []
        scanned = 0
        while height <= head and len(items) < limit and scanned < MAX_SCAN_BLOCKS:
            found = view.store.get_block(height)
            receipts = view.store.get_receipts(height)
            for i in range(index, len(found.txs)):
                signed = found.txs[i]
                mine = scope == "all" or signed.tx.sender == caller.key
                if mine and (contract is None or signed.tx.contract == contract):
                    items.append(
                        {"height": height, "index": i}
                        | _tx_json(signed, receipts[i], caller, scope)
                    )
                    if len(items) == limit:
                        nxt = f"{height}:{i + 1}"
                        return Page(items=items, next_cursor=nxt)
            height, index, scanned = height + 1, 0, scanned + 1
        return Page(items=items, next_cursor=f"{height}:0" if height <= head else None)

    @app.get("/v1/transactions/{tx_hash}", tags=["ledger"], **doc("transaction"))
    def transaction(
        caller: CallerDep, tx_hash: Annotated[str, Path(pattern="^[0-9a-f]{64}$")]
    ) -> dict[str, Any]:
        """A transaction and its receipt."""
        scope = allowed("transaction", caller)
        found = view.transaction(bytes.fromhex(tx_hash))
        if found is None:
            raise ApiError(404, "no_such_transaction", f"no committed transaction {tx_hash}")
        where, signed, receipt = found
        if scope == "own" and signed.tx.sender != caller.key:
            raise ApiError(403, "not_owner", "transaction: only transactions you signed")
        return {"height": where.height, "index": where.index} | _tx_json(
            signed, receipt, caller, scope
        )

    @app.post("/v1/transactions", tags=["ledger"], **doc("submit"))
    def submit(caller: CallerDep, submission: Submission) -> SubmitResult:
        """Submit a transaction you signed and wait for its receipt."""
        try:
            signed = decode_transaction(bytes.fromhex(submission.tx))
        except (DecodeError, ValueError) as exc:
            raise ApiError(422, "malformed_tx", f"not a signed transaction: {exc}") from None
        if signed.tx.sender != caller.key:
            raise ApiError(403, "not_owner", "submit: the transaction must be signed by your key")
        if not signed.signature_valid():
            raise ApiError(422, "bad_signature", "the transaction's signature is not its sender's")
        if signed.tx.chain_id != view.chain_id:
            raise ApiError(422, "wrong_chain", f"this API serves chain {view.chain_id!r}")
        try:
            receipt = view.submit_and_wait(signed, submission.wait_s)
        except ValueError as exc:
            raise ApiError(400, "refused", str(exc)) from None
        if receipt is None:
            return SubmitResult(hash=signed.hash.hex(), status="pending")
        where = view.tx_index[signed.hash]
        return SubmitResult(
            hash=signed.hash.hex(),
            status="committed",
            height=where.height,
            ok=receipt.ok,
            reason=receipt.reason,
            message=receipt.message,
        )

    def visible(caller: Caller, scope: str, located: LocatedEvent) -> bool:
        return scope == "all" or caller.participant in perms.event_owners(located.event)

    def event_json(located: LocatedEvent) -> dict[str, Any]:
        e = located.event
        return {
            "cursor": located.cursor,
            "height": located.height,
            "tx_index": located.tx_index,
            "contract": e.contract,
            "name": e.name,
            "data": to_jsonable(e.data),
            "visible_to": list(e.visible_to),
        }

    @app.get("/v1/events", tags=["ledger"], **doc("events"))
    def events(
        caller: CallerDep,
        contract: Annotated[str | None, Query(max_length=64)] = None,
        name: Annotated[str | None, Query(max_length=64)] = None,
        netting_set: Annotated[str | None, Query(max_length=128)] = None,
        start_height: Height = None,
        limit: Limit = DEFAULT_PAGE,
        cursor: PairCursor = None,
    ) -> Page:
        """Events in ledger order (those you own, unless you are the regulator)."""
        scope = allowed("events", caller)
        head = view.follow()
        start, after = (start_height or 0, -1) if cursor is None else _pair_cursor(cursor)
        stop = min(head + 1, start + MAX_SCAN_BLOCKS)
        items = []
        for located in view.events(start, stop):
            if located.height == start and located.seq < after:
                continue
            e = located.event
            if contract is not None and e.contract != contract:
                continue
            if name is not None and e.name != name:
                continue
            if netting_set is not None and e.data.get("netting_set") != netting_set:
                continue
            if not visible(caller, scope, located):
                continue
            items.append(event_json(located))
            if len(items) == limit:
                return Page(items=items, next_cursor=f"{located.height}:{located.seq + 1}")
        return Page(items=items, next_cursor=f"{stop}:0" if stop <= head else None)

    @app.get(
        "/v1/stream",
        tags=["ledger"],
        response_class=StreamingResponse,
        description=perms.describe("stream")
        + ". Server-sent events from `start_height` (or after the `Last-Event-ID` header, "
        "`height:seq`): one `id`/`event`/`data` record per event you may see; a comment "
        "line every 15 s keeps idle connections open. Reconnect with the last id and nothing "
        "is missed.",
        responses={200: {"content": {"text/event-stream": {}}}, **COMMON},
    )
    async def stream(request: Request, caller: CallerDep, start_height: Height = None):
        scope = allowed("stream", caller)
        last = request.headers.get("last-event-id")
        if last is not None:
            height, after = _pair_cursor(last)
            after += 1
        else:
            height, after = (view.follow() + 1 if start_height is None else start_height), 0

        async def records() -> AsyncIterator[str]:
            nonlocal height, after
            began = time.monotonic()
            beat = began
            while stream_max_s is None or time.monotonic() - began < stream_max_s:
                if await request.is_disconnected():
                    return
                head = view.follow()
                while height <= head:
                    for located in view.events(height, height + 1):
                        if located.seq < after or not visible(caller, scope, located):
                            continue
                        data = json.dumps(event_json(located), separators=(",", ":"))
                        kind = f"{located.event.contract}.{located.event.name}"
                        yield f"id: {located.cursor}\nevent: {kind}\ndata: {data}\n\n"
                    height, after = height + 1, 0
                if time.monotonic() - beat > 15:
                    beat = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(poll_s)

        return StreamingResponse(records(), media_type="text/event-stream")

    # ------------------------------------------------------------------ views

    @app.get("/v1/participants/{participant}", tags=["views"], **doc("participant"))
    def participant(
        caller: CallerDep, participant: Annotated[str, Path(max_length=64)], height: Height = None
    ) -> dict[str, Any]:
        """A participant's identity record."""
        own_participant("participant", caller, participant)
        record = view.value("identity", f"p/{participant}", height_or_head(height))
        if record is None:
            raise ApiError(404, "no_such_participant", f"no participant {participant!r}")
        return to_jsonable(record)

    @app.get("/v1/participants/{participant}/balances", tags=["views"], **doc("balances"))
    def balances(
        caller: CallerDep, participant: Annotated[str, Path(max_length=64)], height: Height = None
    ) -> dict[str, Any]:
        """Free balances by token symbol (minor units) and escrowed (locked) amounts."""
        own_participant("balances", caller, participant)
        h = height_or_head(height)
        free = {}
        for key, amount in view.scan("token", "b/", h):
            symbol, _, holder = key[2:].partition("/")
            if holder == participant:
                free[symbol] = amount
        locked: dict[str, int] = {}
        for _, lock in view.scan("token", "l/", h):
            if lock["holder"] == participant:
                locked[lock["symbol"]] = locked.get(lock["symbol"], 0) + lock["amount"]
        return {"participant": participant, "height": h, "free": free, "locked": locked}

    def netting_sets_of(caller: Caller, scope: str, h: int) -> list[dict[str, Any]]:
        out = []
        for _, record in view.scan("trades", "ns/", h):
            if scope == "all" or caller.participant in perms.netting_set_owners(record):
                out.append(to_jsonable(record))
        return out

    @app.get("/v1/netting-sets", tags=["views"], **doc("netting_sets"))
    def netting_sets(
        caller: CallerDep, height: Height = None, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
    ) -> Page:
        """Netting sets of the trades register (yours, unless you are the regulator)."""
        rows = netting_sets_of(caller, allowed("netting_sets", caller), height_or_head(height))
        start = 0 if cursor is None else _int_cursor(cursor)
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return Page(items=page, next_cursor=str(start + limit) if more else None)

    @app.get("/v1/netting-sets/{netting_set}", tags=["views"], **doc("netting_set"))
    def netting_set(
        caller: CallerDep, netting_set: Annotated[str, Path(max_length=128)], height: Height = None
    ) -> dict[str, Any]:
        """A netting set and its open trades."""
        h = height_or_head(height)
        record = view.value("trades", f"ns/{netting_set}", h)
        if record is None:
            raise ApiError(404, "no_such_netting_set", f"no netting set {netting_set!r}")
        scope = allowed("netting_set", caller)
        if scope == "own" and caller.participant not in perms.netting_set_owners(record):
            raise ApiError(403, "not_owner", "netting_set: only netting sets you are party to")
        trades = [
            to_jsonable(view.value("trades", f"tr/{key.rsplit('/', 1)[1]}", h))
            for key, _ in view.scan("trades", f"open/{netting_set}/", h)
        ]
        return {"netting_set": to_jsonable(record), "open_trades": trades}

    @app.get("/v1/state/{contract}/{key:path}", tags=["views"], **doc("state"))
    def state(
        caller: CallerDep,
        contract: Annotated[str, Path(max_length=64, pattern="^[a-z_]+$")],
        key: Annotated[str, Path(max_length=256)],
        height: Height = None,
    ) -> dict[str, Any]:
        """A state value at a height with its light-client proof bundle (header, certificate
        and Merkle proof: check it with `glassledger.ledger.verify.check_bundle`)."""
        from glassledger.ledger import codec
        from glassledger.ledger.verify import bundle

        h = height_or_head(height)
        if allowed("state", caller) == "own" and not _owns_key(view, caller, contract, key, h):
            raise ApiError(403, "not_owner", f"state: {contract}/{key} is not yours")
        proven = bundle(view.store, f"{contract}/{key}".encode(), h)
        return {
            "height": h,
            "contract": contract,
            "key": key,
            "value": to_jsonable(view.value(contract, key, h)),
            "proof": codec.encode(proven).hex(),
        }

    # ------------------------------------------------------------------ risk

    risk_cache: dict[tuple[str, int], Any] = {}

    def cached(kind: str, h: int, compute: Callable[[], Any]) -> Any:
        if (kind, h) not in risk_cache:
            if len(risk_cache) > 32:
                risk_cache.clear()
            risk_cache[(kind, h)] = compute()
        return risk_cache[(kind, h)]

    @app.get("/v1/risk/exposures", tags=["risk"], **doc("risk_exposures"))
    def risk_exposures(caller: CallerDep, height: Height = None) -> Page:
        """SA-CCR exposure (RC, PFE, EAD) and expected loss (PD, LGD, EL) per directed netting
        set at a height: ``party`` is exposed to ``counterparty`` (amounts in the netting
        set's currency, major units)."""
        from glassledger.risk.service import risk_at

        scope = allowed("risk_exposures", caller)
        h = height_or_head(height)
        frame = cached("exposures", h, lambda: risk_at(view.store, h))
        if scope == "own":
            frame = frame[
                (frame["party"] == caller.participant)
                | (frame["counterparty"] == caller.participant)
            ]
        return Page(items=_records(frame))

    @app.get("/v1/risk/ratings", tags=["risk"], **doc("risk_ratings"))
    def risk_ratings(caller: CallerDep, height: Height = None) -> Page:
        """Credit rating inputs per counterparty at a height: PD and the rating the
        expected-loss model used (from the exposure rows)."""
        from glassledger.risk.service import risk_at

        scope = allowed("risk_ratings", caller)
        h = height_or_head(height)
        frame = cached("exposures", h, lambda: risk_at(view.store, h))
        columns = [c for c in ("counterparty", "rating", "pd") if c in frame.columns]
        rated = frame[columns].drop_duplicates("counterparty")
        if scope == "own":
            rated = rated[rated["counterparty"] == caller.participant]
        return Page(items=_records(rated))

    @app.get("/v1/risk/contagion", tags=["risk"], **doc("risk_contagion"))
    def risk_contagion(caller: CallerDep, height: Height = None) -> dict[str, Any]:
        """The exposure network at a height and seed 003's early warning: dr_j per
        institution and the cascade rounds D_k (regulator only)."""
        from glassledger.risk.contagion.ledger_feed import network_at
        from glassledger.risk.contagion.warning import early_warning

        allowed("risk_contagion", caller)
        h = height_or_head(height)
        ledger = cached("network", h, lambda: network_at(view.store, h))
        warning = early_warning(ledger.network, ledger.threshold)
        return {
            "height": h,
            "threshold": ledger.threshold,
            "edges": _records(ledger.edges),
            "missing_capital": list(ledger.missing_capital),
            "warnings": _records(warning.table()),
            "dr": {str(k): _finite(v) for k, v in warning.dr.items()},
        }

    # ------------------------------------------------------------------ funding

    def funding_snapshot(h: int) -> Any:
        from glassledger.funding.snapshot import parse

        header = view.store.get_block(h).header
        return cached("funding", h, lambda: parse(view.state_at(h), h, header.timestamp_ms))

    @app.get("/v1/funding/positions", tags=["views"], **doc("funding_positions"))
    def funding_positions(caller: CallerDep, height: Height = None) -> Page:
        """Per participant: cash, securities, posted collateral, lent, borrowed, leverage,
        repo margin excess, pool health factor, open margin calls (USD cents)."""
        from glassledger.funding.views import participants

        scope = allowed("funding_positions", caller)
        frame = participants(funding_snapshot(height_or_head(height)))
        if scope == "own":
            frame = frame[frame["participant"] == caller.participant]
        return Page(items=_records(frame))

    @app.get("/v1/funding/market", tags=["views"], **doc("funding_market"))
    def funding_market(caller: CallerDep, height: Height = None) -> dict[str, Any]:
        """Market data: the on-ledger overnight repo rate per day (SOFR method), pool
        markets (utilization, rates) and standing-facility take-up."""
        from glassledger.funding.views import facility_take_up, ledger_sofr, pool_markets

        allowed("funding_market", caller)
        h = height_or_head(height)
        snap = funding_snapshot(h)
        return {
            "height": h,
            "sofr": _records(ledger_sofr(snap)),
            "pools": _records(pool_markets(snap)),
            "facilities": _records(facility_take_up(snap)),
        }

    @app.get("/v1/basket", tags=["views"], **doc("basket"))
    def basket(caller: CallerDep, height: Height = None) -> dict[str, Any]:
        """The basket coin at a height (market data): the three rates (USD per coin:
        theoretical, intrinsic, market), per-currency coverage and both adequacy flags, the
        issuer's balance sheet (USD) and the reserve's yield (bps). 404 when the chain runs
        no basket coin."""
        from glassledger.contracts.basket_book import e18_to_minor, snapshot

        allowed("basket", caller)
        h = height_or_head(height)
        state = view.state_at(h)
        if state.get(b"basket/config") is None:
            raise ApiError(404, "no_basket", "this chain runs no basket coin")
        try:
            s = snapshot(state.get)
        except LookupError as exc:
            raise ApiError(404, "no_basket", f"the basket coin is not set up: {exc}") from None
        book, check = s.book, s.adequacy
        return {
            "height": h,
            "coin": book.config["coin"],
            "outstanding": book.outstanding / 10 ** book.config["coin_decimals"],
            "rates": {
                name: None if rate is None else float(rate)
                for name, rate in (
                    ("theoretical", s.theoretical),
                    ("intrinsic", s.intrinsic),
                    ("market", s.market),
                )
            },
            "coverage_bps": {k: check.coverage_bps(k) for k in book.currencies},
            "per_currency_adequate": check.per_currency,
            "overall_adequate": check.overall,
            "balance_sheet_usd_cents": {
                "assets": e18_to_minor(s.sheet.assets_e18),
                "liabilities": e18_to_minor(s.sheet.liabilities_e18),
                "equity": e18_to_minor(s.sheet.equity_e18),
            },
            "reserve_yield_bps": s.yield_bps,
        }

    @app.get("/v1/funding/concentration", tags=["views"], **doc("funding_concentration"))
    def funding_concentration(caller: CallerDep, height: Height = None) -> Page:
        """Top-N shares and Herfindahl index of lenders, borrowers, dealers and collateral."""
        from glassledger.funding.views import concentration

        allowed("funding_concentration", caller)
        return Page(items=_records(concentration(funding_snapshot(height_or_head(height)))))

    # ------------------------------------------------------------------ consensus, liquidity

    @app.get("/v1/consensus", tags=["ledger"], **doc("consensus"))
    def consensus(caller: CallerDep, limit: Limit = 100) -> dict[str, Any]:
        """Consensus at the head: the authorities signing the next block, the last ``limit``
        rounds (height, deciding round, commit seals, proposer), blocks per proposer, the
        governance contract's current draw and its election events (public)."""
        allowed("consensus", caller)
        head = view.follow()
        state = view.state_at(head)
        names = {key: who for who, key in authorities_at(state, head + 1)}
        rounds, proposers = [], {}
        for h in range(head, max(head - limit, 0), -1):
            block = view.store.get_block(h)
            cert = view.store.get_certificate(h)
            who = names.get(block.header.proposer)
            if who is None:  # an authority of an earlier set
                found = view.participant_of(block.header.proposer)
                who = found[0] if found else block.header.proposer.hex()[:16]
            proposers[who] = proposers.get(who, 0) + 1
            rounds.append(
                {"height": h, "round": cert.round, "seals": len(cert.seals), "proposer": who}
            )
        draws = [
            event_json(located)
            for located in view.events(max(head - MAX_SCAN_BLOCKS, 0), head + 1)
            if located.event.contract == "governance"
        ][-limit:]
        return {
            "height": head,
            "authorities": [{"participant": who, "key": key.hex()} for key, who in names.items()],
            "rounds": rounds,
            "proposers": proposers,
            "draw": to_jsonable(view.value("governance", "draw", head)),
            "draws": draws,
        }

    @app.get("/v1/liquidity/corridor", tags=["views"], **doc("liquidity_corridor"))
    def liquidity_corridor(
        caller: CallerDep,
        scenario: Annotated[
            str, Query(pattern="^(2025|sept-2019)$", description="A replay scenario.")
        ] = "2025",
    ) -> dict[str, Any]:
        """SOFR against the corridor (ON RRP rate, IORB, SRF rate), the model's SOFR beside
        the data's, and reserves (percent, USD bn; dates ISO), with the fit in bp
        (``glassledger.liquidity``; public market data, no ledger state)."""
        from glassledger.liquidity.corridor import corridor_series

        allowed("liquidity_corridor", caller)
        return corridor_series(scenario)

    from glassledger.web import mount_dashboard

    mount_dashboard(app)
    return app


# ---------------------------------------------------------------------- helpers


def _tx_json(signed: Any, receipt: Any, caller: Caller, scope: str) -> dict[str, Any]:
    tx = signed.tx
    return {
        "hash": receipt.tx_hash.hex(),
        "sender": tx.sender.hex(),
        "nonce": tx.nonce,
        "contract": tx.contract,
        "method": tx.method,
        "args": to_jsonable(tx.args),
        "ok": receipt.ok,
        "reason": receipt.reason,
        "message": receipt.message,
        "events": [
            {"contract": e.contract, "name": e.name, "data": to_jsonable(e.data)}
            for e in receipt.events
            if scope == "all" or caller.participant in perms.event_owners(e)
        ],
    }


def _int_cursor(cursor: str) -> int:
    if not cursor.isdigit():
        raise ApiError(422, "bad_cursor", "cursor: pass the next_cursor of the previous page")
    return int(cursor)


def _pair_cursor(cursor: str) -> tuple[int, int]:
    first, sep, second = cursor.partition(":")
    if not (sep and first.isdigit() and second.isdigit()):
        raise ApiError(422, "bad_cursor", "cursor: pass the next_cursor of the previous page")
    return int(first), int(second)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _finite(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _owns_key(view: LedgerView, caller: Caller, contract: str, key: str, h: int) -> bool:
    who = caller.participant
    if contract == "token" and key.startswith("b/"):
        return key.rsplit("/", 1)[-1] == who
    if contract == "identity":
        return key == f"p/{who}"
    if contract == "trades" and key.startswith(("ns/", "tr/")):
        record = view.value("trades", key, h)
        if record is None:
            return False
        if key.startswith("tr/"):
            record = view.value("trades", f"ns/{record['netting_set']}", h) or {}
        return who in perms.netting_set_owners(record)
    return False

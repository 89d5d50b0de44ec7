"""HTTP API: signed reads against raw FastAPI, submission through the API against direct
submission, and event-stream latency from commit to client.

Run: ``.venv/bin/python benchmarks/api_throughput.py [--requests 2000] [--txs 200]``

Set-up: the API tests' desk chain (devnet, trades booked, transfers) behind ``create_app`` in
uvicorn on 127.0.0.1 (one worker, a thread of this process); one keep-alive HTTP client
(httpx) sending requests one after another. The rate limiter is opened wide so that it does
not cap the figure.

Measured in the same run:

1. **reads**: signed, authenticated ``GET /v1/status`` (the client signs each request with
   Ed25519; the server checks timestamp, signature and nonce, resolves the key to its
   participant and applies the matrix) against a trivial unauthenticated route added to the
   same app (``GET /bench/ping``, ``async``, returning ``{}``): the raw FastAPI + uvicorn
   request rate. The server runs in its own process here (forked), so that the client's
   signing and the server do not share an interpreter lock;
2. **submission**: token transfers signed by client-0, each committed in its own block,
   through ``POST /v1/transactions`` (waiting for the receipt) against the same commits made
   directly on the chain (``ClockedChain.commit``);
3. **stream latency**: a client follows ``/v1/stream``; each of ``--events`` transfers is
   committed and the time from the end of the commit to the client holding the event is
   recorded (median, p95), at the server's default poll interval (0.1 s) and at 0.01 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from glassledger.api.app import create_app
from glassledger.api.auth import sign_request
from glassledger.api.ledger import LedgerView
from glassledger.api.limits import RateLimiter
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import decode_transaction
from support.desk import DeskChain

WIDE_OPEN = RateLimiter(rate=1e9, burst=1e9)


def desk_chain() -> DeskChain:
    desk = DeskChain.create()
    args = {"netting_set": "ns0", "counterparty": "client-0", "trade_id": "t0"}
    desk.run(("dealer-0", "book", {**args, "notional": 5_000_000_00, "days": 365, "mtm": 0}))
    return desk


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


def stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


def rate(n: int, call) -> float:
    for _ in range(min(50, n)):  # warm-up
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def _read_server(port: int) -> None:
    """The server process of the read benchmark (its own interpreter: no shared GIL)."""
    app = create_app(LedgerView(desk_chain().store), limiter=WIDE_OPEN)

    @app.get("/bench/ping", include_in_schema=False)
    async def ping() -> dict:
        return {}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def reads(requests: int) -> tuple[float, float, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_read_server, args=(port,))
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/bench/ping")
            break
        except httpx.TransportError:
            time.sleep(0.05)
    keys = KeyPair.from_name("client-0")
    try:
        with httpx.Client(base_url=base) as http:

            def raw() -> None:
                assert http.get("/bench/ping").status_code == 200

            def signed() -> None:
                headers = sign_request(keys, "GET", "/v1/status")
                assert http.get("/v1/status", headers=headers).status_code == 200

            raw_rate = rate(requests, raw)
            signed_rate = rate(requests, signed)
            sign_rate = rate(requests, lambda: sign_request(keys, "GET", "/v1/status"))
    finally:
        process.terminate()
        process.join()
    return raw_rate, signed_rate, sign_rate


def transfer(desk: DeskChain, nonce: int):
    args = {"symbol": "USD", "to": "client-1", "amount": 1}
    from glassledger.ledger.tx import Transaction

    keys = KeyPair.from_name("client-0")
    tx = Transaction(desk.genesis.chain_id, keys.public, nonce, "token", "transfer", args)
    return tx.sign(keys)


def next_nonce(desk: DeskChain) -> int:
    raw = desk.store.state_at(desk.height).get(b"sys/nonce/" + KeyPair.from_name("client-0").public)
    return 0 if raw is None else int.from_bytes(raw, "big") + 1


def submission(txs: int) -> tuple[float, float]:
    desk = desk_chain()
    first = next_nonce(desk)
    start = time.perf_counter()
    for i in range(txs):
        (receipt,) = desk.commit([transfer(desk, first + i)])
        assert receipt.ok, receipt
    direct = txs / (time.perf_counter() - start)

    desk = desk_chain()
    view = LedgerView(desk.store, lambda raw: desk.commit([decode_transaction(raw)]))
    base, server, thread = serve(create_app(view, limiter=WIDE_OPEN))
    keys = KeyPair.from_name("client-0")
    first = next_nonce(desk)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            start = time.perf_counter()
            for i in range(txs):
                body = httpx.Request(
                    "POST", "/", json={"tx": transfer(desk, first + i).encode().hex()}
                ).content
                headers = sign_request(keys, "POST", "/v1/transactions", body)
                headers["content-type"] = "application/json"
                got = http.post("/v1/transactions", content=body, headers=headers).json()
                assert got["status"] == "committed" and got["ok"], got
            via_api = txs / (time.perf_counter() - start)
    finally:
        stop(server, thread)
    return direct, via_api


def stream_latency(events: int, poll_s: float) -> list[float]:
    desk = desk_chain()
    view = LedgerView(desk.store)
    base, server, thread = serve(create_app(view, limiter=WIDE_OPEN, poll_s=poll_s))
    keys = KeyPair.from_name("client-0")
    arrived: dict[int, float] = {}
    ready = threading.Event()

    def listen() -> None:
        target = f"/v1/stream?start_height={desk.height + 1}"
        headers = sign_request(keys, "GET", target)
        with (
            httpx.Client(base_url=base, timeout=None) as http,
            http.stream("GET", target, headers=headers) as r,
        ):
            ready.set()
            for line in r.iter_lines():
                if line.startswith("id: "):
                    arrived[int(line[4:].split(":")[0])] = time.perf_counter()
                    if len(arrived) >= events:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.2)
    committed: dict[int, float] = {}
    first = next_nonce(desk)
    try:
        for i in range(events):
            desk.commit([transfer(desk, first + i)])
            committed[desk.height] = time.perf_counter()
            deadline = time.perf_counter() + 5
            while desk.height not in arrived and time.perf_counter() < deadline:
                time.sleep(0.0005)
            time.sleep(poll_s * (i % 7) / 7)  # spread commits over the poll phase
        listener.join(timeout=10)
    finally:
        stop(server, thread)
    return [arrived[h] - committed[h] for h in committed if h in arrived]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--txs", type=int, default=200)
    parser.add_argument("--events", type=int, default=50)
    opts = parser.parse_args()

    raw_rate, signed_rate, sign_rate = reads(opts.requests)
    print(f"raw FastAPI route (GET /bench/ping):     {raw_rate:8.0f} requests/s")
    print(f"signed, authenticated GET /v1/status:   {signed_rate:8.0f} requests/s")
    print(f"  ratio signed / raw:                   {signed_rate / raw_rate:8.2f}")
    print(f"  (client-side signing alone:           {sign_rate:8.0f} signatures/s)")

    direct, via_api = submission(opts.txs)
    print(f"direct submission (commit per tx):      {direct:8.0f} tx/s")
    print(f"through POST /v1/transactions (wait):   {via_api:8.0f} tx/s")
    print(f"  ratio API / direct:                   {via_api / direct:8.2f}")

    for poll in (0.1, 0.01):
        lat = sorted(stream_latency(opts.events, poll))
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        print(
            f"stream latency, commit -> client (poll {poll:.2f} s): median "
            f"{1000 * statistics.median(lat):6.1f} ms, p95 {1000 * p95:6.1f} ms "
            f"({len(lat)} events)"
        )


if __name__ == "__main__":
    main()

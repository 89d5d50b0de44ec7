"""``glassledger serve``: the HTTP API (and dashboard) of a node home."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from glassledger.errors import ConfigError, GlassledgerError
from glassledger.options import (
    DEFAULT_HOME,
    HomeOption,
    KeyHomeOption,
    address,
    host,
    participant,
    refuse,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

console = Console()


def serve(
    home: HomeOption = DEFAULT_HOME,
    host: Annotated[str, typer.Option(parser=host, help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Listen port.")] = 8000,
    node: Annotated[
        str | None,
        typer.Option(
            parser=address,
            help="Submit through this networked node (host:port) instead of the inbox.",
        ),
    ] = None,
    rate: Annotated[float, typer.Option(min=0.1, help="Requests per second per key.")] = 200.0,
) -> None:
    """Serve the API over a home's chain: signed requests, role-based views, event stream,
    OpenAPI schema at /docs. Transactions go to the home's inbox (run `glassledger node`
    beside it) or, with --node, to a networked node."""
    import uvicorn

    try:
        app = home_app(home, node, rate)
    except GlassledgerError as exc:
        refuse(exc)
    can_listen(host, port)
    console.print(f"glassledger API on http://{host}:{port} (OpenAPI: /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def can_listen(host: str, port: int) -> None:
    """Refuse (ConfigError, exit 1) an address the server could not listen on - a host that
    does not resolve or is not this machine's, a port in use or not allowed - before
    starting, instead of uvicorn's own exit code 3."""
    import socket

    try:
        socket.create_server((host, port)).close()
    except OSError as error:
        reason = (error.strerror or str(error)).split(" (while attempting")[0]
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen there ({reason.lower()}); give "
            "another --port, or a --host that is an address of this machine"
        ) from None


def home_app(home: Path, node: str | None = None, rate: float = 200.0) -> FastAPI:
    """The API app (and the dashboard under ``/dashboard/``) over the chain of node home
    ``home``, read-only; submissions go to the home's inbox, or to the networked node
    ``node`` (host:port); ``rate`` requests per second per key."""
    from glassledger.api.app import create_app
    from glassledger.api.ledger import LedgerView, inbox_submitter, network_submitter
    from glassledger.api.limits import RateLimiter
    from glassledger.ledger.sqlite_store import SQLiteStore
    from glassledger.node.home import Home

    h = Home(home)
    h.open_chain().store.close()  # creates the store from genesis on first use
    store = SQLiteStore.open(h.store, readonly=True)
    if node is None:
        submitter = inbox_submitter(h.inbox)
    else:
        from glassledger.contracts.registry import standard_registry
        from glassledger.node.genesis import build_genesis

        genesis = h.load_genesis()
        genesis_hash = build_genesis(genesis, standard_registry())[0].hash
        submitter = network_submitter(node, genesis.chain_id, genesis_hash)
    return create_app(LedgerView(store, submitter), RateLimiter(rate, 2 * rate))


def query(
    path: Annotated[str, typer.Argument(help="API path, e.g. /v1/funding/positions.")],
    node: Annotated[
        str,
        typer.Option("--node", parser=address, help="API base URL, e.g. http://127.0.0.1:8000."),
    ],
    participant: Annotated[
        str, typer.Option("--as", parser=participant, help="Participant whose key signs.")
    ],
    home: KeyHomeOption = DEFAULT_HOME,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Query parameter NAME=VALUE (repeat).")
    ] = None,
) -> None:
    """Query a remote node's HTTP API as a participant (signed with its key) and print JSON."""
    import json

    from glassledger.client import ApiRefused, Client
    from glassledger.node.home import Home

    params = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            refuse(f"--param {item!r}: write NAME=VALUE")
        params[name] = value
    try:
        client = Client(node, Home(home).load_keys(participant), participant)
        found = client.get(path if path.startswith("/") else "/" + path, **params)
    except (GlassledgerError, ApiRefused) as exc:
        refuse(exc)
    console.print_json(json.dumps(found))

"""The valuation agent: read the ledger at a height, value every live derivative with
:mod:`glassledger.pricing.valuation`, and post the marks as signed
``oracle.post_batch(kind="mark", scale=0, observed_ms=<block time of that height>)``
transactions (chunked at the oracle's batch limit), like any participant with the oracle role.

Every input comes from the ledger state at the valuation height: the ``derivative`` records
(``derivative/c/<id>``) and the oracle points in force (``oracle/v/<kind>/<key>``) of kinds
``rate`` (index and currency keys), ``fx``, ``price``, ``vol`` (key = an option's
``underlying``), ``hazard`` and ``recovery`` (key = a CDS reference; without a recovery
point the ISDA standard 40% is used). So a mark is reproducible: :func:`points` on
``state_at(h)`` and the block time of ``h`` (the marks' ``observed_ms``) gives it again.

A JSON market file (``{"rates": {"USD": 0.05}, "vols": {"price:ACME": 0.2}, "hazards":
{"FIRM B": 0.02}, "recoveries": {"FIRM B": 0.4}}``, decimals per year) is only a seed: the
agent first posts its numbers as oracle points (scale 8, :func:`seed_calls`), then values
from the ledger that holds them.

Two ways to reach the ledger: a node home (embedded: the home's head is read from its store
and the posts are queued to its inbox; the seed is laid over the state read, as the ledger
will hold it once the queued seed posts commit before the marks) and a networked node
(``--node ADDRESS``: the state is read with the client protocol's ``StateRequest``, the seed
is committed first, the marks are submitted and their receipts awaited).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassledger.contracts.oracle import DEFAULT_MAX_AGE_MS, MAX_KEY_LENGTH
from glassledger.errors import ConfigError, InputError
from glassledger.ledger import codec
from glassledger.ledger.execution import PARAMS_KEY, load_params
from glassledger.pricing.valuation import Market, mark_points

BATCH = 50_000
#: Decimal scale of the seed points the agent posts (vols, hazards, recoveries, rates).
SEED_SCALE = 8
#: The state the agent reads: derivative records, the oracle's points in force and the chain
#: parameters (``oracle_max_age_ms``).
PREFIXES = (b"derivative/c/", b"oracle/v/", PARAMS_KEY)
#: Market file section -> oracle kind.
SECTIONS = {"rates": "rate", "vols": "vol", "hazards": "hazard", "recoveries": "recovery"}
#: Market file section -> (lowest, highest, the rule in words), decimals per year.
BOUNDS = {
    "rates": (-1.0, 10.0, "a decimal rate in [-1, 10]"),
    "vols": (0.0, 10.0, "a positive decimal volatility, at most 10 (1000%)"),
    "hazards": (0.0, 10.0, "a decimal hazard rate in [0, 10]"),
    "recoveries": (0.0, 1.0, "a decimal recovery rate in [0, 1]"),
}

Call = tuple[str, str, dict[str, Any]]


def records(state: Mapping[bytes, bytes]) -> list[dict[str, Any]]:
    """Every ``derivative`` trade record ``c/<id>`` in ``state``."""
    return [
        codec.decode(raw, dict[str, Any])
        for key, raw in sorted(state.items())
        if key.startswith(b"derivative/c/")
    ]


def market(state: Mapping[bytes, bytes], now_ms: int | None = None) -> Market:
    """The oracle's points in force in ``state`` as a :class:`Market`; with ``now_ms``, only
    those a contract would read at that block time (see :func:`stale_inputs`)."""
    out = Market()
    targets = {
        "rate": out.rates,
        "fx": out.fx,
        "price": out.prices,
        "vol": out.vols,
        "hazard": out.hazards,
        "recovery": out.recoveries,
    }
    stale = {} if now_ms is None else stale_inputs(state, now_ms)
    for key, raw in state.items():
        if not key.startswith(b"oracle/v/"):
            continue
        kind, _, name = key[len(b"oracle/v/") :].decode().partition("/")
        target = targets.get(kind)
        if target is not None and (kind, name) not in stale:
            point = codec.decode(raw, dict[str, Any])
            target[name] = point["value"] / 10 ** point["scale"]
    return out


def stale_inputs(state: Mapping[bytes, bytes], now_ms: int) -> dict[tuple[str, str], str]:
    """``(kind, key) -> why`` for the oracle points in ``state`` observed more than the chain
    parameter ``oracle_max_age_ms`` (default 1 day) before ``now_ms``: stale for the
    contracts (``oracle.observation``), so not inputs of a mark either."""
    limit = load_params(state).get("oracle_max_age_ms", DEFAULT_MAX_AGE_MS)
    out = {}
    for key, value in state.items():
        if key.startswith(b"oracle/v/"):
            kind, _, name = key[len(b"oracle/v/") :].decode().partition("/")
            age = now_ms - codec.decode(value, dict[str, Any])["observed_ms"]
            if age > limit:
                out[(kind, name)] = f"stale: oracle {kind} {name!r} is {age} ms old, limit {limit}"
    return out


def load_market_file(path: str | Path | None) -> dict[str, dict[str, float]]:
    """The seed in a market file: ``{section: {key: decimal}}``; a bad file, section or value
    is an :class:`InputError` naming the file and the field."""
    if path is None:
        return {}
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the market file: {exc}", source=path.name) from None
    if not isinstance(data, dict):
        raise InputError("a market file is a JSON object", source=path.name)
    for section, values in data.items():
        if section not in SECTIONS:
            raise InputError(
                f"unknown section; choose from {sorted(SECTIONS)}", source=path.name, field=section
            )
        if not isinstance(values, dict):
            raise InputError("not an object of key: number", source=path.name, field=section)
        for name, value in values.items():
            field = f"{section}.{name}"
            if not 0 < len(name) <= MAX_KEY_LENGTH or not name.isprintable():
                raise InputError(
                    f"a key is 1 to {MAX_KEY_LENGTH} printable characters",
                    source=path.name,
                    field=field,
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError("not a number", source=path.name, field=field, value=value)
            low, high, bound = BOUNDS[section]
            if not (math.isfinite(value) and low <= value <= high) or (
                section == "vols" and value * 10**SEED_SCALE < 0.5
            ):
                raise InputError(f"must be {bound}", source=path.name, field=field, value=value)
    return data


def seed_calls(seed: Mapping[str, Mapping[str, float]], observed_ms: int) -> list[Call]:
    """One ``oracle.post_batch`` per market file section, values at :data:`SEED_SCALE`."""
    out = []
    for section, kind in SECTIONS.items():
        values = seed.get(section, {})
        if values:
            pts = [[name, round(v * 10**SEED_SCALE)] for name, v in sorted(values.items())]
            args = {"kind": kind, "points": pts, "scale": SEED_SCALE, "observed_ms": observed_ms}
            out.append(("oracle", "post_batch", args))
    return out


def with_seed(
    state: Mapping[bytes, bytes], calls: list[Call], participant: str, height: int
) -> dict[bytes, bytes]:
    """``state`` with the oracle points ``calls`` post laid over it (as they will be stored)."""
    out = dict(state)
    for _, _, args in calls:
        for name, value in args["points"]:
            record = {
                "value": value,
                "scale": args["scale"],
                "observed_ms": args["observed_ms"],
                "source": participant,
                "height": height,
            }
            out[f"oracle/v/{args['kind']}/{name}".encode()] = codec.encode(record)
    return out


def points(state: Mapping[bytes, bytes], now_ms: int) -> list[list[Any]]:
    """The marks ``[[trade_id, minor units], ...]`` of every live trade in ``state`` valued
    at block time ``now_ms``; a trade whose inputs are missing or stale is an InputError
    naming it."""
    mkt = market(state, now_ms)
    stale = {name: why for (_, name), why in stale_inputs(state, now_ms).items()}
    live = [c for c in records(state) if c["state"] in ("live", "fixed")]
    out = []
    for c in live:
        try:
            out.extend(mark_points([c], mkt, now_ms))
        except KeyError as exc:
            name = exc.args[0]
            why = stale.get(name, f"no oracle input {name!r} on the ledger")
            raise InputError(
                f"{why}: cannot value the trade (post it, or seed it with --market)",
                row=c["id"],
                field="market",
            ) from None
    return out


def mark_calls(marks: list[list[Any]], observed_ms: int) -> list[Call]:
    return [
        (
            "oracle",
            "post_batch",
            {
                "kind": "mark",
                "points": marks[i : i + BATCH],
                "scale": 0,
                "observed_ms": observed_ms,
            },
        )
        for i in range(0, len(marks), BATCH)
    ]


@dataclass
class Round:
    """One valuation: the height read, its block time, the marks posted."""

    height: int
    time_ms: int
    marks: list[list[Any]]


def run_once(home, participant: str, seed: Mapping[str, Any] | None = None) -> Round:
    """Value the home's head state and queue the seed (if any) and the marks to its inbox,
    signed by ``participant`` (which needs the oracle role)."""
    from glassledger.ledger.sqlite_store import SQLiteStore
    from glassledger.node.submit import queue_call

    home.load_genesis()  # a clear error when ``home`` is not a glassledger home
    keys = home.load_keys(participant)
    if not home.store.exists():
        home.open_chain().store.close()  # first use: create the store from genesis
    store = SQLiteStore.open(home.store, readonly=True)
    try:
        height = store.head_height()
        state: dict[bytes, bytes] = {}
        for prefix in PREFIXES:
            state.update(store.scan_at(prefix, height))
        now_ms = store.get_header(height).timestamp_ms
    finally:
        store.close()
    seeds = seed_calls(seed or {}, now_ms)
    state = with_seed(state, seeds, participant, height + 1)
    marks = points(state, now_ms)
    for contract, method, args in seeds + mark_calls(marks, now_ms):
        queue_call(home, keys, contract, method, args)
    return Round(height, now_ms, marks)


def _check(receipts, what: str) -> None:
    """Every receipt is a success; else a :class:`ConfigError` saying which post failed."""
    for r in receipts:
        if r.height < 0 and r.reason == "pending":
            raise ConfigError(f"no receipt yet for the {what} post {r.tx_hash.hex()}")
        if not r.ok:
            raise ConfigError(f"the {what} post was rejected: {r.reason}: {r.message}")


async def node_round(client, keys, seed: Mapping[str, Any] | None, wait_s: float) -> Round:
    """One valuation against a networked node: commit the seed (if any), read the state at
    the head, value, submit the marks and wait for their receipts."""
    from glassledger.node.client import submit_calls

    if seed:
        head = await client.read_state(keys, [])
        _check(await submit_calls(client, keys, seed_calls(seed, head.time_ms), wait_s), "seed")
    reply = await client.read_state(keys, list(PREFIXES))
    marks = points(dict(reply.items), reply.time_ms)
    if marks:
        _check(await submit_calls(client, keys, mark_calls(marks, reply.time_ms), wait_s), "marks")
    return Round(reply.height, reply.time_ms, marks)


def run_on_node(
    home, address: str, participant: str, seed: Mapping[str, Any] | None, wait_s: float = 30.0
) -> Round:
    """:func:`node_round` on the node at ``address`` of the network whose genesis and keys
    ``home`` holds."""
    from glassledger.node.client import NodeClient
    from glassledger.node.network import chain_identity

    home.load_genesis()
    keys = home.load_keys(participant)
    chain_id, genesis_hash = chain_identity(home.path)

    async def go() -> Round:
        async with NodeClient(address, chain_id, genesis_hash, name="valuation-agent") as client:
            return await node_round(client, keys, seed, wait_s)

    return asyncio.run(go())

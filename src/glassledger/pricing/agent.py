"""The valuation agent: read the ledger at a height, value every live derivative with
:mod:`glassledger.pricing.valuation`, and post the marks as one signed
``oracle.post_batch(kind="mark", scale=0)`` (chunked at the oracle's batch limit), like any
participant with the oracle role.

Market inputs: the oracle's ``rate`` (index and currency keys), ``fx`` and ``price`` points
at the height; volatilities, hazard rates and recovery are not oracle kinds, so they come
from a JSON market file ``{"vols": {"price:ACME": 0.2}, "hazards": {"FIRM B": 0.02},
"recovery": 0.4, "rates": {...}}`` (its rates override the oracle's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glassledger.errors import InputError
from glassledger.ledger import codec
from glassledger.pricing.valuation import Market, mark_points

BATCH = 50_000


def records(state: Mapping[bytes, bytes]) -> list[dict[str, Any]]:
    """Every ``derivative`` trade record ``c/<id>`` in ``state``."""
    return [
        codec.decode(raw, dict[str, Any])
        for key, raw in sorted(state.items())
        if key.startswith(b"derivative/c/")
    ]


def market(state: Mapping[bytes, bytes], extra: dict[str, Any] | None = None) -> Market:
    """The oracle's rates, FX rates and prices in ``state`` plus ``extra`` (a market file)."""
    out = Market()
    for key, raw in state.items():
        if not key.startswith(b"oracle/v/"):
            continue
        kind, _, name = key[len(b"oracle/v/") :].decode().partition("/")
        point = codec.decode(raw, dict[str, Any])
        value = point["value"] / 10 ** point["scale"]
        target = {"rate": out.rates, "fx": out.fx, "price": out.prices}.get(kind)
        if target is not None:
            target[name] = value
    extra = extra or {}
    out.rates.update(extra.get("rates", {}))
    out.vols.update(extra.get("vols", {}))
    out.hazards.update(extra.get("hazards", {}))
    out.recovery = float(extra.get("recovery", out.recovery))
    return out


def load_market_file(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the market file: {exc}", source=path.name) from None
    for section in ("rates", "vols", "hazards"):
        for name, value in data.get(section, {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    "not a number", source=path.name, field=f"{section}.{name}", value=value
                )
    return data


def points(
    state: Mapping[bytes, bytes], now_ms: int, extra: dict[str, Any] | None = None
) -> list[list[Any]]:
    """The marks ``[[trade_id, minor units], ...]`` of every live trade in ``state``; a
    trade whose market inputs are missing is an InputError naming it."""
    mkt = market(state, extra)
    live = [c for c in records(state) if c["state"] in ("live", "fixed")]
    out = []
    for c in live:
        try:
            out.extend(mark_points([c], mkt, now_ms))
        except KeyError as exc:
            raise InputError(
                f"no market input {exc} to value the trade", row=c["id"], field="market"
            ) from None
    return out


def run_once(home, participant: str, extra: dict[str, Any] | None = None) -> int:
    """Value the home's head state and queue the marks to its inbox, signed by
    ``participant`` (which needs the oracle role). Returns the number of marks."""
    from glassledger.ledger.sqlite_store import SQLiteStore
    from glassledger.node.submit import queue_call

    store = SQLiteStore.open(home.store, readonly=True)
    try:
        height = store.head_height()
        state = store.state_at(height)
        now_ms = store.get_header(height).timestamp_ms
    finally:
        store.close()
    marks = points(state, now_ms, extra)
    keys = home.load_keys(participant)
    for i in range(0, len(marks), BATCH):
        queue_call(
            home,
            keys,
            "oracle",
            "post_batch",
            {"kind": "mark", "points": marks[i : i + BATCH], "scale": 0, "observed_ms": now_ms},
        )
    return len(marks)

"""Read and write CDM JSON with the typed model; bad input is an :class:`InputError`
naming the JSON path (``field``) and the trade (``row``) when it can be found, never a
traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from glassledger.cdm.model import BusinessEvent, Trade, TradeState
from glassledger.errors import InputError

T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_ENCODER = msgspec.json.Encoder()


def _trade_id(raw: Any) -> str | None:
    """Best-effort UTI/trade id of a raw (undecoded) CDM object, for error messages."""
    try:
        trade = raw.get("trade", raw)
        return str(trade["tradeIdentifier"][0]["assignedIdentifier"][0]["identifier"]["value"])
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _error(exc: msgspec.ValidationError, source: str, raw: Any, prefix: str = "") -> InputError:
    match = _AT.match(str(exc))
    message = match.group("message") if match else str(exc)
    path = (match.group("path") or "").lstrip(".") if match else ""
    field = ".".join(p for p in (prefix, path) if p) or None
    return InputError(f"bad CDM: {message}", source=source, row=_trade_id(raw), field=field)


def convert(raw: Any, kind: type[T], *, source: str = "CDM", prefix: str = "") -> T:
    """A decoded JSON object (dict) as the CDM type ``kind``; InputError otherwise."""
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        raise _error(exc, source, raw, prefix) from None


def decode(data: bytes | str, kind: type[T], *, source: str = "CDM") -> T:
    """CDM JSON text as ``kind`` (TradeState, Trade, BusinessEvent, or a list of them)."""
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raw = None
        raise _error(exc, source, raw) from None
    except msgspec.DecodeError as exc:
        raise InputError(f"not JSON: {exc}", source=source) from None


def encode(value: Any) -> bytes:
    """CDM JSON of a model value (compact; absent optional fields omitted)."""
    return _ENCODER.encode(value)


def to_builtins(value: Any) -> Any:
    """The model value as plain JSON-ready Python (dicts, lists, str, float...)."""
    return msgspec.to_builtins(value)


def read_trade_state(data: bytes | str, *, source: str = "CDM") -> TradeState:
    """One CDM TradeState; a bare Trade object is accepted and wrapped."""
    raw = _raw(data, source)
    if isinstance(raw, dict) and "trade" in raw:
        return convert(raw, TradeState, source=source)
    return TradeState(trade=convert(raw, Trade, source=source))


def read_trade_states(data: bytes | str, *, source: str = "CDM") -> list[TradeState]:
    """A JSON list of TradeStates (or Trades), or a single one."""
    raw = _raw(data, source)
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, dict) and "trade" in item:
            out.append(convert(item, TradeState, source=source))
        else:
            out.append(TradeState(trade=convert(item, Trade, source=source)))
    return out


def read_business_event(data: bytes | str, *, source: str = "CDM") -> BusinessEvent:
    return decode(data, BusinessEvent, source=source)


def load(path: str | Path) -> list[TradeState]:
    """TradeStates from a CDM JSON file (one or a list)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read CDM JSON: {exc}", source=path.name) from None
    return read_trade_states(data, source=path.name)


def _raw(data: bytes | str, source: str) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InputError(f"not JSON: {exc}", source=source) from None

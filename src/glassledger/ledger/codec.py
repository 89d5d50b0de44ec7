"""Canonical, deterministic binary encoding (MessagePack through msgspec).

Structures are ``msgspec.Struct`` types declared ``array_like``: they encode as arrays in their
declared field order, so the bytes never depend on field names or dict ordering. Free-form maps
(transaction arguments, event data) are encoded with their keys sorted. Decoding is strict:
the bytes must be exactly the canonical encoding of the decoded value (re-encoding reproduces
them), below a size limit, and free of floats, so that two nodes can never disagree about what
a transaction says.

Values allowed in free-form maps: ``None``, ``bool``, ``int`` (64-bit signed or unsigned),
``str``, ``bytes``, lists of values, and maps with ``str`` keys. No floats: amounts are integers
in minor units, rates in basis points or parts per million.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from glassledger.errors import DecodeError

T = TypeVar("T")

#: Default maximum size of one encoded object, in bytes.
MAX_ENCODED_SIZE = 1 << 20
#: Maximum nesting depth of free-form values.
MAX_DEPTH = 16

_ENCODER = msgspec.msgpack.Encoder(order="sorted")
_DECODERS: dict[Any, msgspec.msgpack.Decoder] = {}


def encode(value: Any) -> bytes:
    """The canonical bytes of ``value``."""
    return _ENCODER.encode(value)


def decode(data: bytes, type_: type[T], *, max_size: int = MAX_ENCODED_SIZE) -> T:
    """Decode canonical bytes into ``type_``; raise :class:`DecodeError` for anything else.

    Never raises any other exception for malformed input, whatever the bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_size:
        raise DecodeError(f"encoded size {len(data)} exceeds the limit of {max_size} bytes")
    decoder = _DECODERS.get(type_)
    if decoder is None:
        decoder = _DECODERS[type_] = msgspec.msgpack.Decoder(type_)
    try:
        value = decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DecodeError(f"not a valid {getattr(type_, '__name__', type_)}: {exc}") from exc
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        raise DecodeError(f"undecodable bytes: {type(exc).__name__}") from exc
    check_value(value)
    if encode(value) != bytes(data):
        raise DecodeError("bytes are not in canonical form (re-encoding differs)")
    return value


#: Exact types that need no check (a float is never among them).
_PLAIN = frozenset({int, str, bytes, bool, type(None)})


def check_value(value: Any, depth: int = 0) -> None:
    """Raise :class:`DecodeError` if ``value`` holds a float, a non-string map key, or nests
    deeper than :data:`MAX_DEPTH`. (Plain items of a container or fields of a struct are not
    recursed into while the depth allows them: the result is the same, the walk much
    shorter.)"""
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, float):
        raise DecodeError("floats are not allowed on the ledger: use integers in minor units")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise DecodeError(f"map keys must be strings, got {type(key).__name__}")
            if type(item) not in _PLAIN or depth >= MAX_DEPTH:
                check_value(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            if type(item) not in _PLAIN or depth >= MAX_DEPTH:
                check_value(item, depth + 1)
    elif isinstance(value, msgspec.Struct):
        for field in value.__struct_fields__:
            item = getattr(value, field)
            if type(item) not in _PLAIN or depth >= MAX_DEPTH:
                check_value(item, depth + 1)


def to_jsonable(value: Any) -> Any:
    """A decoded value (or a struct) as JSON-ready data: bytes as hex strings, structs as
    maps of their fields, tuples as lists (for printing, indexing and APIs)."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {k: to_jsonable(v) for k, v in value.items()}
    if kind is bytes:
        return value.hex()
    if isinstance(value, msgspec.Struct):
        return {f: to_jsonable(getattr(value, f)) for f in value.__struct_fields__}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


_JSON_SCALARS = frozenset({int, str, bool, type(None)})
_JSON_ENCODER = msgspec.json.Encoder(order="sorted")


def to_json(value: Any) -> str:
    """:func:`to_jsonable` as compact JSON text with sorted keys."""
    return _JSON_ENCODER.encode(to_jsonable(value)).decode()

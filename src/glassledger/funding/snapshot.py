"""The funding market's state at one height, parsed once into plain tables.

One pass over the committed state (``store.state_at(height)``) sorts every key of the
``token``, ``oracle``, ``treasury``, ``repo``, ``pool`` and ``facility`` namespaces into
dictionaries; the views (:mod:`glassledger.funding.views`) are then vectorized over them.
Amounts stay integers in minor units; prices are the contracts' own (per 100 of face, scale
1e8, full price = oracle clean price + accrued interest, as :func:`contracts.treasury.
full_price_e8` computes on the ledger).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from glassledger.contracts import treasury as tsy
from glassledger.contracts.pool import read_market
from glassledger.errors import DecodeError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode

DAY_MS = 86_400_000
PAR_E8 = 10_000_000_000


@dataclass
class Snapshot:
    """Parsed funding state at ``height`` (block time ``time_ms``)."""

    height: int
    time_ms: int
    balances: dict[tuple[str, str], int] = field(default_factory=dict)  # (symbol, holder)
    locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)  # oracle price points
    rates: dict[str, dict[str, Any]] = field(default_factory=dict)  # oracle rate points
    securities: dict[str, dict[str, Any]] = field(default_factory=dict)  # CUSIP -> record
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    haircuts: dict[str, int] = field(default_factory=dict)  # symbol -> haircut bps
    pool_raw: dict[str, Any] = field(default_factory=dict)  # pool namespace
    facility_ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    facility_open: set[str] = field(default_factory=set)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _price_cache: dict[tuple[str, str], int | None] = field(default_factory=dict, repr=False)

    @property
    def day(self) -> int:
        return self.time_ms // DAY_MS

    # ------------------------------------------------------------------ prices

    def full_price_e8(self, symbol: str, cash_symbol: str = "USD") -> int | None:
        """Full price per 100 (scale 1e8) of a security, par for cash, None if unpriced
        (computed once per symbol: accrued interest is exact rational arithmetic)."""
        key = (symbol, cash_symbol)
        if key not in self._price_cache:
            self._price_cache[key] = self._full_price_e8(symbol, cash_symbol)
        return self._price_cache[key]

    def _full_price_e8(self, symbol: str, cash_symbol: str) -> int | None:
        if symbol == cash_symbol or (symbol in self.tokens and symbol not in self.securities):
            return PAR_E8 if symbol == cash_symbol else None
        sec = self.securities.get(symbol)
        if sec is None:
            return None
        if self.day >= sec["maturity_day"]:
            return PAR_E8 if sec.get("state") == "matured" else 0
        point = self.prices.get(tsy.price_key(symbol))
        if point is None:
            return None
        clean = (
            point["value"] * 10 ** (8 - point["scale"])
            if point["scale"] <= 8
            else (point["value"] // 10 ** (point["scale"] - 8))
        )
        return clean + tsy.accrued_e8(sec, self.day)

    def value(self, symbol: str, amount: int, cash_symbol: str = "USD") -> int:
        """Market value of ``amount`` minor units of ``symbol`` in cash minor units (0 when
        unpriced)."""
        price = self.full_price_e8(symbol, cash_symbol)
        return 0 if price is None else amount * price // PAR_E8

    # ------------------------------------------------------------------ pool

    def pool_get(self, key: str) -> Any:
        return self.pool_raw.get(key)

    def pool_markets(self) -> dict[str, dict[str, Any]]:
        names = [k[2:] for k in self.pool_raw if k.startswith("m/")]
        return {name: read_market(self.pool_get, name) for name in sorted(names)}


def _decode(raw: bytes) -> Any:
    try:
        return decode(raw, Any)
    except DecodeError:
        return None


def parse(state: Mapping[bytes, bytes], height: int, time_ms: int) -> Snapshot:
    """Sort the funding keys of ``state`` into a :class:`Snapshot`."""
    snap = Snapshot(height, time_ms)
    pool: dict[str, Any] = {}
    for raw_key, raw in state.items():
        contract, _, key_bytes = raw_key.partition(b"/")
        if contract not in _WANTED:
            continue
        key = key_bytes.decode(errors="replace")
        if contract == b"token":
            if key.startswith("b/"):
                symbol, _, holder = key[2:].partition("/")
                snap.balances[(symbol, holder)] = _decode(raw)
            elif key.startswith("l/"):
                snap.locks[key[2:]] = _decode(raw)
            elif key.startswith("t/"):
                snap.tokens[key[2:]] = _decode(raw)
        elif contract == b"oracle":
            if key.startswith("v/price/"):
                snap.prices[key[8:]] = _decode(raw)
            elif key.startswith("v/rate/"):
                snap.rates[key[7:]] = _decode(raw)
        elif contract == b"treasury" and key.startswith("s/"):
            snap.securities[key[2:]] = _decode(raw)
        elif contract == b"repo":
            if key.startswith("r/"):
                snap.repos[key[2:]] = _decode(raw)
            elif key.startswith("elig/"):
                pool.setdefault("__elig__", {})[key[5:]] = _decode(raw)
            elif key.startswith("class/"):
                pool.setdefault("__class__", {})[key[6:]] = _decode(raw)
        elif contract == b"pool":
            pool[key] = _decode(raw)
        elif contract == b"facility":
            if key.startswith("op/"):
                snap.facility_ops[key[3:]] = _decode(raw)
            elif key.startswith("open/"):
                snap.facility_open.add(key[5:])
            elif key == "cfg":
                pool["__facility_cfg__"] = _decode(raw)
    classes = pool.pop("__class__", {})
    for symbol, name in pool.pop("__elig__", {}).items():
        snap.haircuts[symbol] = classes.get(name, {}).get("haircut_bps", 0)
    snap.facility_cfg = pool.pop("__facility_cfg__", {})  # type: ignore[attr-defined]
    snap.pool_raw = pool
    return snap


_WANTED = {b"token", b"oracle", b"treasury", b"repo", b"pool", b"facility"}


def snapshot_at(store: BlockStore, height: int | None = None) -> Snapshot:
    """The funding snapshot after block ``height`` (default: the head)."""
    height = store.head_height() if height is None else height
    header = store.get_block(height).header
    return parse(store.state_at(height), height, header.timestamp_ms)


def by_holder(snap: Snapshot) -> dict[str, dict[str, int]]:
    """``{holder: {symbol: free balance}}``."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for (symbol, holder), amount in snap.balances.items():
        out[holder][symbol] = amount
    return out

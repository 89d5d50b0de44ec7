"""``oracle``: trusted outside data (prices, rates, FX, ratings, marks, vols, hazard rates,
recoveries) posted as signed transactions.

Seed 003 gives the regulator node the duty to "provide outside data as a node with public
credibility"; glassledger lets any participant with the ``oracle`` role post (the regulator
holds that role in the default genesis), and only such participants (or the regulator).

A data point is ``(kind, key, value, scale, observed_ms)``:

* ``kind``: ``price`` (a price in the quote currency, e.g. key ``UST-912828YK0`` or ``SPX``),
  ``rate`` (a decimal interest rate, e.g. ``SOFR``), ``fx`` (units of quote currency per unit
  of base, key ``<base>/<quote>`` such as ``USD/CNY``), ``rating`` (a credit score, key = the
  participant id), ``mark`` (a derivative trade's mark-to-market, key = the trade id of the
  ``derivative`` contract, value = MtM in minor units of its netting-set currency from party
  A's side, any sign, ``scale`` 0; posted by the valuation agent). Marks are not stored per
  key here: thousands arrive per valuation, and the ``derivative`` contract that margins on
  them keeps each open trade's last mark (``ns/<netting set>`` ``marks``) and the ``trades``
  register its copy; the oracle keeps the block's batch in ``touched/mark`` and the
  observation time of the latest marks (``last/mark``; marks never go back in time);
  ``vol`` (an annualised volatility as a decimal, positive, key = the ``underlying`` of a
  ``derivative`` option, e.g. ``price:ACME`` or ``fx:EUR/USD``), ``hazard`` (a flat default
  hazard rate per year as a decimal, non-negative, key = a CDS ``reference`` entity) and
  ``recovery`` (the recovery rate of that reference as a decimal in [0, 1]): the inputs the
  valuation agent reads besides rates, FX and prices, so its marks are reproducible from the
  ledger;
* ``value``: an integer (positive for prices, FX and vols, non-negative for ratings and
  hazard rates, between 0 and ``10**scale`` for recoveries, any sign for rates) meaning
  ``value / 10**scale`` units. A price of 101.25 with ``scale`` 8 is ``10_125_000_000``; a
  rate of 5.33% (0.0533) in basis points is ``533`` with ``scale`` 4; a rating score is
  usually ``scale`` 0; the valuation agent posts vols, hazard rates and recoveries at
  ``scale`` 8 (20% = ``20_000_000``);
* ``observed_ms``: when the data was observed (ms since the Unix epoch), never after the block
  time and never older than the value already in force for that key.

The value in force at block time is the latest posted one. Contracts read it with
:func:`observation` or :func:`value`, which raise :class:`ContractError` ("stale") when it is
absent or older than ``max_age_ms`` (default: chain parameter ``oracle_max_age_ms``) at the
block time; the transaction that needed it is then rejected and its sender sees why.

Many points of one kind go in one transaction with :meth:`Oracle.post_batch` (a valuation
agent marking thousands of trades). Every post records the keys touched in the block under
``touched/<kind>`` (``{"height", "points": [[key, value], ...]}``, in posting order) so a
contract's ``end_block`` (the derivative contract's margining) finds exactly the points
posted in this block, with their values, without a scan.

State layout: ``v/<kind>/<key>`` -> ``{"value", "scale", "observed_ms", "source", "height"}``;
``touched/<kind>`` -> ``{"height": int, "points": [[str, int], ...]}``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from glassledger.errors import ContractError
from glassledger.ledger.abi import Context, Contract, method

NAME = "oracle"
KINDS = frozenset({"price", "rate", "fx", "rating", "mark", "vol", "hazard", "recovery"})
#: Most points one ``post_batch`` carries.
MAX_BATCH = 50_000
POSITIVE_KINDS = frozenset({"price", "fx", "vol"})
MAX_SCALE = 18
MAX_KEY_LENGTH = 64
DEFAULT_MAX_AGE_MS = 86_400_000


class Observation(msgspec.Struct, frozen=True):
    """A data point in force: ``value / 10**scale`` units, observed at ``observed_ms`` by the
    oracle participant ``source``, posted in block ``height``."""

    value: int
    scale: int
    observed_ms: int
    source: str
    height: int


def point_key(kind: str, key: str) -> str:
    return f"v/{kind}/{key}"


def observation(ctx: Context, kind: str, key: str, max_age_ms: int | None = None) -> Observation:
    """The ``kind``/``key`` data point in force at the block time of ``ctx``.

    Raises :class:`ContractError` ("stale") when there is none or when it was observed more
    than ``max_age_ms`` milliseconds before the block time (default: chain parameter
    ``oracle_max_age_ms``).
    """
    limit = (
        ctx.params.get("oracle_max_age_ms", DEFAULT_MAX_AGE_MS)
        if max_age_ms is None
        else max_age_ms
    )
    record = ctx.read(NAME, point_key(kind, key))
    if record is None:
        raise ContractError(f"stale: no oracle {kind} for {key!r} has been posted")
    point = msgspec.convert(record, Observation)
    age = ctx.time_ms - point.observed_ms
    if age > limit:
        raise ContractError(
            f"stale: oracle {kind} for {key!r} is {age} ms old at block time, limit {limit} ms"
        )
    return point


def value(ctx: Context, kind: str, key: str, scale: int, max_age_ms: int | None = None) -> int:
    """The value in force, as an integer in ``10**-scale`` units (exact: a point posted with
    more decimals than ``scale`` asks for must have zeros in the digits dropped, otherwise
    :class:`ContractError`). Staleness as in :func:`observation`."""
    point = observation(ctx, kind, key, max_age_ms)
    if scale >= point.scale:
        return point.value * 10 ** (scale - point.scale)
    factor = 10 ** (point.scale - scale)
    if point.value % factor:
        raise ContractError(
            f"oracle {kind} for {key!r} is {point.value}e-{point.scale}: not exact at scale {scale}"
        )
    return point.value // factor


class Oracle(Contract):
    """Data points posted by oracle participants; see the module docstring."""

    name = NAME

    @method("oracle", "regulator")
    def post(
        self, ctx: Context, kind: str, key: str, value: int, scale: int, observed_ms: int
    ) -> None:
        """Post the value of ``kind``/``key`` observed at ``observed_ms`` (ms since the Unix
        epoch): ``value / 10**scale`` units (see the module docstring for each kind's unit)."""
        self._post(ctx, kind, key, value, scale, observed_ms)
        ctx.emit("posted", kind=kind, key=key, value=value, scale=scale, observed_ms=observed_ms)
        self._touch(ctx, kind, [[key, value]])

    @method("oracle", "regulator")
    def post_batch(
        self, ctx: Context, kind: str, points: list[list[Any]], scale: int, observed_ms: int
    ) -> None:
        """Post many points of one ``kind`` observed at ``observed_ms``: ``points`` is
        ``[[key, value], ...]`` (each as in :meth:`post`); one ``posted_batch`` event."""
        ctx.require(0 < len(points) <= MAX_BATCH, f"a batch holds 1..{MAX_BATCH} points")
        for point in points:
            ctx.require(
                len(point) == 2 and type(point[0]) is str and type(point[1]) is int,
                f"each point is [key, int value], got {point!r}",
            )
        if kind == "mark":  # one check of the shared fields, then only the keys
            self._post(ctx, kind, points[0][0], points[0][1], scale, observed_ms)
            for key, _ in points:
                ctx.require(
                    0 < len(key) <= MAX_KEY_LENGTH and key.isprintable(),
                    f"key must be 1..{MAX_KEY_LENGTH} printable characters, got {key!r}",
                )
        else:
            for key, point_value in points:
                self._post(ctx, kind, key, point_value, scale, observed_ms)
        ctx.require(
            len({point[0] for point in points}) == len(points), "a batch names each key once"
        )
        ctx.emit("posted_batch", kind=kind, count=len(points), scale=scale, observed_ms=observed_ms)
        self._touch(ctx, kind, points)

    @staticmethod
    def _touch(ctx: Context, kind: str, points: list[list[Any]]) -> None:
        touched = ctx.get(f"touched/{kind}")
        if touched is None or touched["height"] != ctx.height:
            touched = {"height": ctx.height, "points": []}
        touched["points"] += points
        ctx.put(f"touched/{kind}", touched)

    @staticmethod
    def _post(ctx: Context, kind: str, key: str, value: int, scale: int, observed_ms: int) -> None:
        ctx.require(kind in KINDS, f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        ctx.require(
            0 < len(key) <= MAX_KEY_LENGTH and key.isprintable(),
            f"key must be 1..{MAX_KEY_LENGTH} printable characters, got {key!r}",
        )
        ctx.require(0 <= scale <= MAX_SCALE, f"scale must be in [0, {MAX_SCALE}], got {scale}")
        ctx.require(kind not in POSITIVE_KINDS or value > 0, f"a {kind} is positive, got {value}")
        ctx.require(
            kind not in ("rating", "hazard") or value >= 0, f"a {kind} is non-negative, got {value}"
        )
        ctx.require(
            kind != "recovery" or 0 <= value <= 10**scale,
            f"a recovery is in [0, 1], got {value}e-{scale}",
        )
        ctx.require(kind != "mark" or scale == 0, "a mark is in minor units: scale 0")
        ctx.require(
            observed_ms <= ctx.time_ms,
            f"observation time {observed_ms} is after the block time {ctx.time_ms}",
        )
        if kind == "mark":  # held by the derivative contract, not here (see the module doc)
            last = ctx.get("last/mark", 0)
            ctx.require(
                observed_ms >= last,
                f"mark observation time {observed_ms} is before the last marks' ({last})",
            )
            ctx.put("last/mark", observed_ms)
            return
        previous = ctx.get(point_key(kind, key))
        ctx.require(
            previous is None or observed_ms > previous["observed_ms"],
            f"observation time {observed_ms} is not after the value in force "
            f"({previous and previous['observed_ms']})",
        )
        record = {
            "value": value,
            "scale": scale,
            "observed_ms": observed_ms,
            "source": ctx.caller,
            "height": ctx.height,
        }
        ctx.put(point_key(kind, key), record)

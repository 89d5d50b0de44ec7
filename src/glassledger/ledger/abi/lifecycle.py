"""Lifecycles as transition tables (STYLE.md lesson 1).

A repo, a margin call, a request for quote, a derivative contract and a default each move
through a small explicit table of ``(state, event) -> next state``. :class:`Lifecycle` holds
the table; :meth:`Lifecycle.fire` moves a record (a plain dict kept in contract state, with a
``"state"`` field) and raises :class:`~glassledger.errors.InvalidTransition` for any event the
table does not list, so an unexpected event is a typed rejection, never a silent no-op. The
table is data: documentation, the dashboard and tests read it through :meth:`rows`.

Example::

    MARGIN_CALL = Lifecycle.of(
        "margin_call",
        initial="issued",
        rows=[
            ("issued", "meet", "met"),
            ("issued", "deadline", "missed"),
        ],
    )
    call = {"state": MARGIN_CALL.initial}
    MARGIN_CALL.fire(call, "meet")        # call["state"] == "met"
    MARGIN_CALL.fire(call, "deadline")    # InvalidTransition: "met" is final

States with no outgoing event are final (:meth:`is_final`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from glassledger.errors import InvalidTransition

STATE_FIELD = "state"


@dataclass(frozen=True)
class Lifecycle:
    """A named finite-state machine: ``table[(state, event)] = next state``."""

    name: str
    initial: str
    table: Mapping[tuple[str, str], str]
    _events: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        events: dict[str, list[str]] = {}
        for state, event in self.table:
            events.setdefault(state, []).append(event)
        reachable = {self.initial, *self.table.values()}
        if self.initial not in events and len(reachable) > 1:
            raise ValueError(f"{self.name}: initial state {self.initial!r} has no event")
        object.__setattr__(self, "_events", {s: tuple(e) for s, e in events.items()})

    @classmethod
    def of(cls, name: str, initial: str, rows: Iterable[tuple[str, str, str]]) -> Lifecycle:
        """Build from ``(state, event, next state)`` rows; a repeated ``(state, event)`` is an
        error (the table must be a function)."""
        table: dict[tuple[str, str], str] = {}
        for state, event, target in rows:
            if (state, event) in table:
                raise ValueError(f"{name}: ({state!r}, {event!r}) appears twice")
            table[(state, event)] = target
        return cls(name, initial, table)

    @property
    def states(self) -> frozenset[str]:
        return frozenset({self.initial, *(s for s, _ in self.table), *self.table.values()})

    def events(self, state: str) -> tuple[str, ...]:
        """The events allowed in ``state`` (empty for a final state)."""
        return self._events.get(state, ())

    def is_final(self, state: str) -> bool:
        return not self.events(state)

    def allows(self, state: str, event: str) -> bool:
        return (state, event) in self.table

    def next(self, state: str, event: str) -> str:
        """The state ``event`` leads to from ``state``; :class:`InvalidTransition` otherwise."""
        target = self.table.get((state, event))
        if target is None:
            raise InvalidTransition(self.name, state, event, self.events(state))
        return target

    def fire(self, record: dict[str, Any], event: str) -> str:
        """Move ``record[STATE_FIELD]`` by ``event`` and return the new state (the record is
        changed only when the event is allowed)."""
        record[STATE_FIELD] = self.next(record[STATE_FIELD], event)
        return record[STATE_FIELD]

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as ``(state, event, next state)`` rows, in declaration order."""
        return [(state, event, target) for (state, event), target in self.table.items()]

"""The one declared schema of a scenario file (YAML), and where the shipped ones are.

A scenario names its ``kind`` (which stress runner drives the agents), its ``seed`` (the
default seed of a run; ``--seed`` overrides it), the participants beside the devnet's (id,
roles, the capital the monitor records for them in USD cents), initial balances (minor
units), chain parameters (deadlines in ms) and the monitor's alert threshold (basis points
of ``dr = exposure / capital``). Unknown fields are refused; a bad file is one error line
naming the file and the field (:class:`~glassledger.errors.InputError`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec
import yaml

from glassledger.errors import InputError

KINDS = ("dealer_default",)


class Participant(msgspec.Struct, forbid_unknown_fields=True):
    """A participant added to the devnet's; ``capital`` in USD cents (0: not monitored)."""

    id: str
    roles: list[str]
    legal_name: str = ""
    capital: int = 0


class Balance(msgspec.Struct, forbid_unknown_fields=True):
    """An initial balance: ``amount`` minor units of ``symbol`` minted to ``owner``."""

    symbol: str
    owner: str
    amount: int


class Monitor(msgspec.Struct, forbid_unknown_fields=True):
    """The regulator's monitor: alert threshold (bps of dr) and capital (USD cents) of the
    devnet participants that are monitored (participants added above carry their own)."""

    threshold_bps: int = 50_000
    capital: dict[str, int] = {}


class Scenario(msgspec.Struct, forbid_unknown_fields=True):
    """A scenario file (module docstring)."""

    name: str
    kind: Literal["dealer_default"]
    seed_source: str
    description: str = ""
    seed: int = 0
    #: block 0's time, ms since the epoch (UTC)
    start_ms: int = 1_780_000_000_000
    #: simulated time between blocks (ms)
    step_ms: int = 100
    dealers: list[str] = msgspec.field(
        default_factory=lambda: ["dealer-0", "dealer-1", "dealer-2", "dealer-3"]
    )
    client: str = "client-0"
    guarantor: str = "guarantor"
    cash_issuer: str = "bank"
    participants: list[Participant] = []
    balances: list[Balance] = []
    params: dict[str, int] = {}
    monitor: Monitor = msgspec.field(default_factory=Monitor)


def load_scenario(source: str | Path) -> tuple[Scenario, str]:
    """The scenario in file ``source`` or shipped under name ``source``, and its text."""
    path = Path(source)
    if not path.exists():
        shipped = resources.files("glassledger.sim") / "scenarios" / f"{source}.yaml"
        if not shipped.is_file():
            raise InputError(
                f"{source}: no such scenario file, and no shipped scenario of that name "
                f"(shipped: {', '.join(shipped_names())})"
            )
        text, where = shipped.read_text(), f"{source}.yaml (shipped)"
    else:
        text, where = path.read_text(), str(path)
    return parse_scenario(text, where), text


def parse_scenario(text: str, where: str = "<scenario>") -> Scenario:
    """Parse and validate scenario YAML; errors name ``where`` and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise InputError(
            f"{where}{line}: not valid YAML ({getattr(error, 'problem', error)})"
        ) from None
    try:
        return msgspec.convert(data, Scenario)
    except msgspec.ValidationError as error:
        raise InputError(f"{where}: {error}") from None


def shipped_names() -> list[str]:
    """Names of the scenarios shipped with glassledger."""
    folder = resources.files("glassledger.sim") / "scenarios"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )

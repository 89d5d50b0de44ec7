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

KINDS = ("dealer_default", "basket_attack", "repo_squeeze", "market_structure")


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


SHOCK_KINDS = ("price", "rate", "miss_call", "redemption_wave", "mark")


class Shock(msgspec.Struct, forbid_unknown_fields=True):
    """A scripted shock at step ``step`` of the scenario's runner (a round of the basket
    attack, a business day of the repo squeeze, a round of the dealer-default stress):

    * ``price``: the oracle price of ``target`` (a price key, or a name the runner defines,
      e.g. ``reserve_securities``) moves by ``bps`` basis points (negative: falls);
    * ``rate``: the oracle rate ``target`` (e.g. ``USD.SOFR``) moves by ``bps`` from this step
      on, or follows ``path`` (basis points added, one value per step from ``step``);
    * ``miss_call``: participant ``target`` does not meet its margin calls from this step;
    * ``redemption_wave``: holders of ``share_bps`` of the coins outstanding redeem at once,
      whatever their own decision rule says;
    * ``mark``: the valuation agent marks trade ``target`` at ``amount`` minor units of its
      currency, the value to the netting set's dealer (positive: the client owes it).
    """

    kind: Literal["price", "rate", "miss_call", "redemption_wave", "mark"]
    step: int
    target: str = ""
    bps: int = 0
    path: list[int] = []
    share_bps: int = 0
    amount: int = 0

    def __post_init__(self) -> None:
        if self.step < 0:
            raise ValueError("a shock's step must be >= 0")
        if self.kind in ("price", "rate", "miss_call", "mark") and not self.target:
            raise ValueError(f"a {self.kind} shock names its target")
        if self.kind == "price" and not self.bps:
            raise ValueError("a price shock moves the price by bps != 0")
        if self.kind == "redemption_wave" and not 0 < self.share_bps <= 10_000:
            raise ValueError("a redemption wave redeems share_bps in (0, 10000]")


class Attack(msgspec.Struct, forbid_unknown_fields=True):
    """The speculative attack on the basket coin (seed 004): holders, the reserve's
    liquidity, the fire-sale impact function, fees and gates, the holders' decision rule
    (docs/scenarios.md)."""

    holders: int = 20
    #: creation units (1,000 coins each) each holder creates at the start
    units_per_holder: int = 20
    #: share of each currency's reserve kept on deposit (liquid); the rest is commercial
    #: paper the manager must sell before maturity to pay redemptions beyond deposits
    liquid_share_bps: int = 3_000
    security_days: int = 60
    #: market depth per currency, as a share of that currency's reserve at the start: selling
    #: this much moves the price by ``impact_bps``
    depth_bps: int = 2_000
    impact_bps: int = 300
    impact_law: Literal["linear", "sqrt"] = "sqrt"
    #: the holders' cost of running (the convenience of the coin lost; Morris-Shin's cost t)
    run_cost_bps: int = 25
    #: std. dev. of each holder's private noise on the reserve's value (global games)
    signal_noise_bps: int = 30
    #: discretionary liquidity fee the manager sets while the rule set permits one
    liquidity_fee_bps: int = 200
    #: business days of a gate the manager imposes when permitted (0: never gates)
    gate_days: int = 0
    #: weekly liquid share below which the manager gates (when ``gate_days`` > 0)
    gate_below_bps: int = 1_000
    rounds: int = 10
    rules: str = "2a7-2014"

    def __post_init__(self) -> None:
        if self.holders < 1 or self.units_per_holder < 1 or self.rounds < 1:
            raise ValueError("holders, units_per_holder and rounds are >= 1")
        if not 0 <= self.liquid_share_bps <= 10_000:
            raise ValueError("liquid_share_bps must be in [0, 10000]")
        if self.depth_bps <= 0 or not 0 <= self.impact_bps < 10_000:
            raise ValueError("depth_bps > 0 and impact_bps in [0, 10000)")


class Squeeze(msgspec.Struct, forbid_unknown_fields=True):
    """The repo squeeze (seed 001): which corridor-model run drives it, the window of
    business days played on the ledger and the sizes (USD cents) of the on-ledger market."""

    corridor: Literal["sept-2019", "2025", "quarter-end"] = "quarter-end"
    start: str = "2026-06-24"
    end: str = "2026-07-03"
    #: the money fund's pool deposit follows the model's money-fund repo lending, scaled so
    #: that the first day's lending is this deposit
    fund_deposit: int = 30_000_000_00
    #: each of three dealers borrows this share of the fund's deposit at the start
    borrow_share_bps: int = 2_500
    #: collateral price moves by this many bps per bp of SOFR above its first-day level
    #: (a note's duration effect under cash scarcity: dealers sell inventory)
    price_bps_per_bp: int = 3
    repo_cash: int = 10_000_000_00
    #: a dealer bids this over the SRF minimum bid rate, and refinances there when the
    #: pool costs more than its bid
    srf_bid_spread_bps: int = 0

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("start is after end")


class Structure(msgspec.Struct, forbid_unknown_fields=True):
    """The market-structure comparison (seed 000): the same shock through a dealer market
    and the on-ledger pool with its facility (docs/scenarios.md). Amounts in USD cents,
    rates in basis points a year."""

    #: dealers between lenders and borrowers, and each one's balance-sheet limit (the most
    #: cash it lends to borrowers by reverse repo)
    dealers: int = 4
    balance_sheet_limit: int = 15_000_000_00
    #: the dealer's spread over its marginal funding cost: ``spread_bps`` plus
    #: ``slope_bps`` x (utilization of its balance sheet)^2
    spread_bps: int = 5
    slope_bps: int = 100
    #: core cash lenders (money funds), each with this much cash to lend
    lenders: int = 4
    lender_cash: int = 15_000_000_00
    #: sideline cash holders: one per hurdle (the least rate, bp a year, each lends at)
    hurdles_bps: list[int] = msgspec.field(default_factory=lambda: [400, 420, 440, 470])
    sideline_cash: int = 5_000_000_00
    #: borrowers (relative-value funds), each needing this much funding before the shock,
    #: paying at most SOFR + ``max_spread_bps``
    borrowers: int = 6
    borrower_need: int = 7_500_000_00
    max_spread_bps: int = 150
    #: the shock, from round ``shock_round``: core lenders withdraw ``withdraw_bps`` of their
    #: cash, borrowers need ``demand_bps`` more
    withdraw_bps: int = 2_000
    demand_bps: int = 3_000
    shock_round: int = 2
    rounds: int = 8
    sofr_bps: int = 430
    srf_spread_bps: int = 20
    #: on-ledger borrowers may bid at the standing repo facility (open participation)
    facility_open: bool = True
    #: fire sale of the notes of borrowers still short at the end: price impact
    #: ``impact_bps`` x g(sold / depth), g square-root or linear (as the basket attack)
    depth: int = 20_000_000_00
    impact_bps: int = 500
    impact_law: Literal["linear", "sqrt"] = "sqrt"

    def __post_init__(self) -> None:
        if min(self.dealers, self.lenders, self.borrowers, self.rounds) < 1:
            raise ValueError("dealers, lenders, borrowers and rounds are >= 1")
        if not 1 <= self.shock_round < self.rounds:
            raise ValueError("shock_round must be in [1, rounds): round 0 builds the markets")
        if not 0 <= self.withdraw_bps <= 10_000 or self.demand_bps < 0:
            raise ValueError("withdraw_bps in [0, 10000], demand_bps >= 0")
        if min(self.balance_sheet_limit, self.lender_cash, self.borrower_need, self.depth) <= 0:
            raise ValueError("limits, cash, needs and depth are positive")


class Scenario(msgspec.Struct, forbid_unknown_fields=True):
    """A scenario file (module docstring)."""

    name: str
    kind: Literal["dealer_default", "basket_attack", "repo_squeeze", "market_structure"]
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
    shocks: list[Shock] = []
    attack: Attack = msgspec.field(default_factory=Attack)
    squeeze: Squeeze = msgspec.field(default_factory=Squeeze)
    structure: Structure = msgspec.field(default_factory=Structure)

    def shocks_at(self, step: int, kind: str | None = None) -> list[Shock]:
        """The scripted shocks of step ``step`` (of ``kind`` if given), in file order."""
        return [s for s in self.shocks if s.step == step and kind in (None, s.kind)]


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

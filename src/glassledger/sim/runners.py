"""Stress-scenario runners: each drives the agents of one scenario kind through a
:class:`~glassledger.sim.engine.Recorder` and returns its key figures.

**Dealer default** (seed 003). The funding and derivatives market day
(:mod:`glassledger.sim.market_day`) opens its positions: repos, a pool loan and an RFQ'd swap
and option under a guarantee line. Then :func:`default_stress`: the regulator records each
monitored institution's capital and the alert threshold in the ``monitor`` contract, and
the scenario's ``shocks`` are played round by round (:func:`glassledger.sim.market_day.stress`:
the Treasuries fall, the marks move, the parties a ``miss_call`` names let their calls
lapse). Each time the clock is about to run past a margin deadline, the regulator first runs
seed 003's early warning on the ledger's exposure network at the head
(:func:`glassledger.risk.contagion.ledger_feed.warnings_at`) and publishes the sealed
warnings (``monitor.warn``). The figures say who was warned at which height, who defaulted
at which height, whether each warning came before the default, and the losses and claims.
The demo runs :func:`default_stress` on its own market day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glassledger.risk.contagion.ledger_feed import sealed_warning_args, warning_items, warnings_at
from glassledger.sim.attack import basket_attack
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import (
    DerivativesDay,
    FundingDay,
    Ledger,
    check_shocks,
    derivatives_day,
    funding_day,
    must,
    stress,
)
from glassledger.sim.scenario import Scenario
from glassledger.sim.squeeze import repo_squeeze
from glassledger.sim.structure import market_structure


def _monitor_setup(ledger: Ledger, scenario: Scenario) -> dict[str, int]:
    capital = dict(scenario.monitor.capital)
    capital.update({p.id: p.capital for p in scenario.participants if p.capital})
    calls = [
        (
            "regulator",
            "monitor",
            "set_capital",
            {"institution": who, "amount": amount, "currency": "USD"},
        )
        for who, amount in sorted(capital.items())
    ]
    calls.append(
        ("regulator", "monitor", "set_threshold", {"threshold_bps": scenario.monitor.threshold_bps})
    )
    must(ledger, calls, "monitor capital and threshold")
    return capital


def dealer_default(ledger: Recorder, scenario: Scenario) -> dict[str, Any]:
    """The dealer-default scenario (module docstring); returns its key figures."""
    check_shocks(scenario.shocks, f"{scenario.name}: shocks")
    funding = funding_day(ledger, scenario.cash_issuer, scenario.dealers)
    derivatives = derivatives_day(
        ledger, scenario.cash_issuer, scenario.dealers, scenario.client, scenario.guarantor
    )
    return default_stress(ledger, scenario, funding, derivatives)


def default_stress(
    ledger: Ledger,
    scenario: Scenario,
    funding: FundingDay,
    derivatives: DerivativesDay,
    on_round: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The dealer-default stress on the positions of a market day (the scenario's second
    half, and the demo's stress event on its own chain): the regulator sets the monitor's
    capital and threshold, the scenario's ``shocks`` are played
    (:func:`glassledger.sim.market_day.stress`) with the monitor publishing its sealed
    warnings before each deadline; returns the key figures. ``on_round(done, total)``
    after each round of shocks."""
    capital = _monitor_setup(ledger, scenario)
    analyses: list[dict[str, Any]] = []

    def monitor() -> None:
        height = ledger.store.head_height()
        result = warnings_at(ledger.store, height)
        items = warning_items(result)
        state = ledger.store.state_at(height)
        must(
            ledger,
            [("regulator", "monitor", "warn", sealed_warning_args(items, height, state))],
            "publishing warnings",
        )
        cascade = result.cascade.defaults_by_round()
        analyses.append(
            {
                "analysis_height": height,
                "published_height": ledger.store.head_height(),
                "warned": [i["institution"] for i in items],
                "items": items,
                "cascade": {int(k): sorted(map(str, v)) for k, v in cascade.items()},
            }
        )

    shocked = stress(
        ledger, scenario.shocks, funding, derivatives, before_deadline=monitor, on_round=on_round
    )
    defaults: list[dict[str, Any]] = []
    since = shocked.start_height + 1
    for record in ledger.store.events(since, contract="repo", name="default"):
        d = record.event.data
        defaults.append(
            {
                "defaulter": d["defaulter"],
                "height": record.height,
                "what": f"repo {d['repo_id']}",
                "creditor": d["counterparty"],
                "loss": int(d["claim"]),
                "claim": int(shocked.claims.get(d["repo_id"], 0)),
                "guarantee_paid": 0,
            }
        )
    for record in ledger.store.events(since, contract="derivative", name="early_termination"):
        d = record.event.data
        defaults.append(
            {
                "defaulter": d["defaulter"],
                "height": record.height,
                "what": "derivatives close-out (netted)",
                "creditor": "",
                "loss": int(d["loss"]),
                "claim": int(d["close_out_amount"]) - int(d["paid"]) - int(d["guarantee_paid"]),
                "guarantee_paid": int(d["guarantee_paid"]),
                "close_out_amount": int(d["close_out_amount"]),
                "paid": int(d["paid"]),
            }
        )
    for row in defaults:
        warned_at = [a["published_height"] for a in analyses if row["defaulter"] in a["warned"]]
        row["first_warning_height"] = min(warned_at) if warned_at else None
        row["warned_before"] = bool(warned_at) and min(warned_at) < row["height"]
    return {
        "capital": capital,
        "analyses": analyses,
        "defaults": defaults,
        "repo_margin_calls": shocked.margin_calls,
        "pool_liquidations": shocked.liquidations,
        "swap_quotes": derivatives.quotes,
        "swap_winner": derivatives.winner,
        "total_loss": sum(r["loss"] for r in defaults),
        "guarantee_paid": sum(r["guarantee_paid"] for r in defaults),
        "defaulters_warned_before": sorted(
            {r["defaulter"] for r in defaults if r["warned_before"]}
        ),
        "defaulters_not_warned_before": sorted(
            {r["defaulter"] for r in defaults if not r["warned_before"]}
        ),
    }


dealer_default.blocks = 30  # type: ignore[attr-defined]  # progress-bar total (about)

RUNNERS = {
    "dealer_default": dealer_default,
    "basket_attack": basket_attack,
    "repo_squeeze": repo_squeeze,
    "market_structure": market_structure,
}

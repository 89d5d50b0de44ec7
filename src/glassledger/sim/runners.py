"""Stress-scenario runners: each drives the agents of one scenario kind through a
:class:`~glassledger.sim.engine.Recorder` and returns its key figures.

**Dealer default** (seed 003). The regulator records each monitored institution's capital
and the alert threshold in the ``monitor`` contract. The funding and derivatives market day
(:mod:`glassledger.sim.market_day`) then runs: repos, a pool loan and an RFQ'd swap and
option under a guarantee line; the Treasuries fall and the marks move. Each time the clock is
about to run past a margin deadline, the regulator first runs seed 003's early warning on the
ledger's exposure network at the head (:func:`glassledger.risk.contagion.ledger_feed.warnings_at`)
and publishes the sealed warnings (``monitor.warn``). Then dealer-1 misses its repo margin
call (default: the money fund keeps the collateral, records a claim) and the client misses
its variation-margin call (default: close-out netting, the guarantee is called). The figures
say who was warned at which height, who defaulted at which height, whether each warning came
before the default, and the losses and claims.
"""

from __future__ import annotations

from typing import Any

from glassledger.risk.contagion.ledger_feed import sealed_warning_args, warning_items, warnings_at
from glassledger.sim.attack import basket_attack
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import derivatives_day, funding_day, ledger_get, must
from glassledger.sim.scenario import Scenario
from glassledger.sim.squeeze import repo_squeeze
from glassledger.sim.structure import market_structure


def _monitor_setup(ledger: Recorder, scenario: Scenario) -> dict[str, int]:
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
    capital = _monitor_setup(ledger, scenario)
    analyses: list[dict[str, Any]] = []

    def monitor(rec: Recorder) -> None:
        height = rec.chain.height
        result = warnings_at(rec.store, height)
        items = warning_items(result)
        state = rec.store.state_at(height)
        must(
            rec,
            [("regulator", "monitor", "warn", sealed_warning_args(items, height, state))],
            "publishing warnings",
        )
        cascade = result.cascade.defaults_by_round()
        analyses.append(
            {
                "analysis_height": height,
                "published_height": rec.chain.height,
                "warned": [i["institution"] for i in items],
                "items": items,
                "cascade": {int(k): sorted(map(str, v)) for k, v in cascade.items()},
            }
        )

    ledger.before_wait.append(monitor)
    funding = funding_day(ledger, scenario.cash_issuer, scenario.dealers)
    derivatives = derivatives_day(
        ledger, scenario.cash_issuer, scenario.dealers, scenario.client, scenario.guarantor
    )
    ledger.before_wait.remove(monitor)

    defaults: list[dict[str, Any]] = []
    for record in ledger.store.events(0, contract="repo", name="default"):
        d = record.event.data
        claim = ledger_get(ledger, "repo", f"claim/{d['repo_id']}") or {}
        defaults.append(
            {
                "defaulter": d["defaulter"],
                "height": record.height,
                "what": f"repo {d['repo_id']}",
                "creditor": d["counterparty"],
                "loss": int(d["claim"]),
                "claim": int(claim.get("amount", 0)),
                "guarantee_paid": 0,
            }
        )
    for record in ledger.store.events(0, contract="derivative", name="early_termination"):
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
        "repo_margin_calls": funding.margin_calls,
        "pool_liquidations": funding.liquidations,
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


dealer_default.blocks = 40  # type: ignore[attr-defined]  # progress-bar total (about)

RUNNERS = {
    "dealer_default": dealer_default,
    "basket_attack": basket_attack,
    "repo_squeeze": repo_squeeze,
    "market_structure": market_structure,
}

"""Benchmark: replaying closed-trade histories into rating paths (risk.rating.replay_trades).

Claim (issue 4, part 3): the batch replay is vectorized across counterparties; 1,000,000 closed
trades of 10,000 counterparties replay into a full rating path (internal, external, composite,
grade, credit score, PD per trade) in a few seconds.

Baseline: the trade-by-trade update the ledger service applies on each closing event
(``InternalRating.after``, one Python call per trade), timed on ``--baseline-trades`` trades and
scaled linearly (its cost is proportional to the number of trades). Both run in this process;
the script checks that they agree on the subset and prints the times and the ratio.

Run: ``python benchmarks/rating_replay.py`` (defaults: 1,000,000 trades, 10,000 counterparties).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from glassledger.risk.rating import (
    DAYS_PER_YEAR,
    ClosedTrade,
    InternalRating,
    InternalRatingModel,
    replay_trades,
)

GRADES = ["A", "BBB+", "BBB", "BBB-", "BB+", "BB", "B"]


def synthetic_history(
    trades: int, counterparties: int, seed: int = 11
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random closed trades over 10 years and one external rating per counterparty."""
    rng = np.random.default_rng(seed)
    names = np.array([f"CP{i:05d}" for i in range(counterparties)])
    defaulted = rng.random(trades) < 0.01
    history = pd.DataFrame(
        {
            "counterparty": names[rng.integers(0, counterparties, trades)],
            "trade_id": np.char.add("T", np.arange(trades).astype(str)),
            "closed_at": pd.Timestamp("2016-01-01")
            + pd.to_timedelta(rng.integers(0, 3653 * 24, trades), unit="h"),
            "size": rng.lognormal(np.log(5e6), 1.0, trades),
            "tenor_years": rng.choice([0.25, 0.5, 1.0, 2.0, 5.0, 10.0], trades),
            "collateral_value": np.where(
                rng.random(trades) < 0.4, rng.uniform(0, 5e6, trades), 0.0
            ),
            "guarantee_amount": np.where(
                rng.random(trades) < 0.1, rng.uniform(0, 5e6, trades), 0.0
            ),
            "margined": rng.random(trades) < 0.5,
            "defaulted": defaulted,
            "recovery_rate": np.where(defaulted, rng.uniform(0, 1, trades), np.nan),
        }
    )
    external = pd.DataFrame(
        {"counterparty": names, "as_of": "2015-12-31", "rating": rng.choice(GRADES, counterparties)}
    )
    return history, external


def trade_by_trade(
    history: pd.DataFrame, anchors: pd.Series, model: InternalRatingModel
) -> dict[str, float]:
    """Final internal rating per counterparty by one ``InternalRating.after`` call per trade."""
    ordered = history.sort_values(["counterparty", "closed_at", "trade_id"], kind="stable")
    states: dict[str, InternalRating] = {}
    origins: dict[str, pd.Timestamp] = {}
    for row in ordered.itertuples(index=False):
        origin = origins.setdefault(row.counterparty, row.closed_at)
        state = states.get(row.counterparty) or InternalRating(anchor=anchors[row.counterparty])
        years = (row.closed_at - origin).total_seconds() / (DAYS_PER_YEAR * 86400.0)
        trade = ClosedTrade(
            years,
            row.size,
            row.tenor_years,
            row.collateral_value,
            row.guarantee_amount,
            bool(row.margined),
            bool(row.defaulted),
            0.0 if np.isnan(row.recovery_rate) else row.recovery_rate,
        )
        states[row.counterparty] = state.after(trade, model)
    return {name: state.score(model) for name, state in states.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--counterparties", type=int, default=10_000)
    parser.add_argument("--baseline-trades", type=int, default=20_000)
    args = parser.parse_args()
    model = InternalRatingModel()

    history, external = synthetic_history(args.trades, args.counterparties)
    started = time.perf_counter()
    path = replay_trades(history, external=external, model=model)
    vectorized = time.perf_counter() - started

    subset = history[
        history["counterparty"].isin(
            history["counterparty"].unique()[
                : max(1, args.counterparties * args.baseline_trades // args.trades)
            ]
        )
    ]
    sub_path = replay_trades(subset, external=external, model=model)
    anchors = sub_path.groupby("counterparty")["anchor"].first()
    started = time.perf_counter()
    loop_final = trade_by_trade(subset, anchors, model)
    loop = time.perf_counter() - started
    loop_scaled = loop * len(history) / len(subset)

    vector_final = sub_path.groupby("counterparty")["internal"].last()
    worst = max(abs(vector_final[name] - value) for name, value in loop_final.items())
    print(
        f"trades {len(history):,} of {history['counterparty'].nunique():,} counterparties"
        f" -> path rows {len(path):,}"
    )
    print(f"vectorized replay_trades: {vectorized:.2f} s")
    print(
        f"baseline InternalRating.after loop: {loop:.2f} s on {len(subset):,} trades,"
        f" scaled to all: {loop_scaled:.1f} s"
    )
    print(f"ratio (baseline / vectorized): {loop_scaled / vectorized:.1f}x")
    print(
        f"agreement on the subset: max |difference| of final internal ratings {worst:.2e} notches"
    )


if __name__ == "__main__":
    main()

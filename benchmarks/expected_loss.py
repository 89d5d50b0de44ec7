"""Benchmark: expected loss per netting set (risk.expected_loss.expected_loss).

Claim (issue 4, part 2): EL is vectorized; 1,000,000 netting sets of 10,000 counterparties, with
collateral, currency mismatches and guarantees, are valued in a few seconds.

Baseline: the same formulas applied row by row in Python (one PD lookup, one E*/LGD*/EL
computation per netting set), timed on ``--baseline-rows`` rows and scaled linearly. Both run in
this process; the script checks that they agree on the subset and prints the ratio.

Run: ``python benchmarks/expected_loss.py`` (defaults: 1,000,000 netting sets).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from glassledger.risk.default_probability import pd_by_notch
from glassledger.risk.expected_loss import FX_MISMATCH_HAIRCUT, SENIORITY_LGD, expected_loss
from glassledger.risk.rating_scale import GRADES, NOTCH


def synthetic_book(
    rows: int, counterparties: int, seed: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random netting sets and ratings (guarantors are counterparties too)."""
    rng = np.random.default_rng(seed)
    names = np.array([f"CP{i:05d}" for i in range(counterparties)])
    ead = rng.lognormal(np.log(1e6), 1.5, rows)
    guaranteed = rng.random(rows) < 0.1
    exposures = pd.DataFrame(
        {
            "counterparty": names[rng.integers(0, counterparties, rows)],
            "netting_set": np.char.add("NS", np.arange(rows).astype(str)),
            "ead": ead,
            "seniority": rng.choice(["senior", "subordinated"], rows, p=[0.9, 0.1]),
            "collateral_value": np.where(
                rng.random(rows) < 0.3, ead * rng.uniform(0, 1.2, rows), 0.0
            ),
            "collateral_haircut": rng.choice([0.0, 0.02, 0.04, 0.15, 0.25], rows),
            "fx_mismatch": rng.random(rows) < 0.2,
            "guarantee_amount": np.where(guaranteed, ead * rng.uniform(0, 1, rows), 0.0),
            "guarantor": np.where(guaranteed, names[rng.integers(0, counterparties, rows)], None),
        }
    )
    ratings = pd.DataFrame(
        {"counterparty": names, "rating": rng.choice(GRADES[1:], counterparties)}
    )
    return exposures, ratings


def row_by_row(exposures: pd.DataFrame, ratings: pd.DataFrame) -> list[float]:
    """The same EL, one netting set at a time."""
    table = pd_by_notch()
    pd_of = {row.counterparty: table[NOTCH[row.rating]] for row in ratings.itertuples()}
    losses = []
    for row in exposures.itertuples(index=False):
        hfx = FX_MISMATCH_HAIRCUT if row.fx_mismatch else 0.0
        e_star = max(0.0, row.ead - row.collateral_value * (1 - row.collateral_haircut - hfx))
        lgd = SENIORITY_LGD[row.seniority] * (e_star / row.ead if row.ead > 0 else 1.0)
        obligor = pd_of[row.counterparty]
        named = isinstance(row.guarantor, str)
        covered = min(row.guarantee_amount, row.ead) if named else 0.0
        substitute = min(pd_of[row.guarantor], obligor) if named else obligor
        losses.append(lgd * (obligor * (row.ead - covered) + substitute * covered))
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--counterparties", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    args = parser.parse_args()
    exposures, ratings = synthetic_book(args.rows, args.counterparties)

    started = time.perf_counter()
    result = expected_loss(exposures, ratings)
    vectorized = time.perf_counter() - started

    subset = exposures.head(args.baseline_rows)
    started = time.perf_counter()
    loop = row_by_row(subset, ratings)
    baseline = time.perf_counter() - started
    scaled = baseline * len(exposures) / len(subset)

    worst = np.max(np.abs(result["el"].to_numpy()[: len(subset)] - np.array(loop)))
    print(f"netting sets {len(exposures):,}, counterparties {args.counterparties:,}")
    print(f"vectorized expected_loss: {vectorized:.2f} s (total EL {result['el'].sum():,.0f})")
    print(
        f"baseline row-by-row: {baseline:.2f} s on {len(subset):,} rows,"
        f" scaled to all: {scaled:.1f} s"
    )
    print(f"ratio (baseline / vectorized): {scaled / vectorized:.1f}x")
    print(f"agreement on the subset: max |difference| of EL {worst:.2e} currency units")


if __name__ == "__main__":
    main()

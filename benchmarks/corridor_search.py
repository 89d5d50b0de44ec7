"""Search the post-2020 calibration of the corridor model on in-sample data only.

Random search over the ranges of :data:`RANGES`, then a local search around the best point,
minimising :func:`glassledger.liquidity.model.fit.in_sample_loss` on 2025 January-August.
The held-out months (September-December 2025) are not looked at. One process, bounded by
``--seconds``; prints the best values found (to be copied into ``params.POST_2020``).

    .venv/bin/python benchmarks/corridor_search.py --seconds 300
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from glassledger.liquidity.data import load_reported_srf
from glassledger.liquidity.model import build_scenario, simulate
from glassledger.liquidity.model.fit import in_sample_loss
from glassledger.liquidity.model.params import POST_2020, ModelParams
from glassledger.liquidity.model.scenario import sample_panel

#: (low, high) of each searched post-2020 value.
RANGES: dict[str, tuple[float, float]] = {
    "satiation_pct": (12.5, 15.0),
    "floor_mean_pct": (9.0, 13.0),
    "bank_cost_bp": (0.0, 6.0),
    "slope_bp": (1.0, 8.0),
    "foreign_bank_share": (0.2, 0.8),
    "month_end_bank_cut": (0.0, 0.4),
    "quarter_end_bank_cut": (0.1, 0.8),
    "month_end_dealer_cut": (0.0, 0.15),
    "quarter_end_dealer_cut": (0.05, 0.5),
    "mmf_lo_max_bp": (0.5, 8.0),
    "mmf_width_max_bp": (1.1, 8.0),
    "mmf_growth": (0.0, 0.12),
    "dealer_takedown": (0.0, 0.3),
    "dealer_half_life_days": (1.0, 8.0),
    "month_start_cut_share": (0.0, 1.0),
    "tga_same_day_share": (0.0, 0.5),
    "rv_new_capital_share": (0.0, 1.0),
    "srf_tail_bp": (0.0, 10.0),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--random-share", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fix", nargs="*", default=[], help="name=value held fixed")
    parser.add_argument("--start", nargs="*", default=[], help="name=value to start from")
    args = parser.parse_args()
    fixed = {k: float(v) for k, v in (f.split("=") for f in args.fix)}
    panel = sample_panel()
    reported = load_reported_srf()
    scenario = build_scenario("2025", panel=panel)
    names = [n for n in RANGES if n not in fixed]
    lo = np.array([RANGES[n][0] for n in names])
    hi = np.array([RANGES[n][1] for n in names])

    def loss(x: np.ndarray) -> float:
        values = dict(zip(names, x, strict=True)) | fixed
        if values["floor_mean_pct"] >= values["satiation_pct"] - 0.5:
            return np.inf
        params = ModelParams().with_(**{**POST_2020, **values})
        return in_sample_loss(simulate(scenario, params=params).daily, panel, reported)

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    first = POST_2020 | {k: float(v) for k, v in (f.split("=") for f in args.start)}
    best_x = np.clip(np.array([first.get(n, getattr(ModelParams(), n)) for n in names]), lo, hi)
    best = loss(best_x)
    print(f"start loss {best:.3f}")
    trials = 0
    while time.perf_counter() - start < args.seconds:
        trials += 1
        if time.perf_counter() - start < args.random_share * args.seconds:
            x = rng.uniform(lo, hi)
        else:
            x = np.clip(best_x + rng.normal(0.0, 0.05, len(names)) * (hi - lo), lo, hi)
        value = loss(x)
        if value < best:
            best, best_x = value, x
            print(f"{time.perf_counter() - start:6.0f} s trial {trials}: loss {best:.3f}")
    print(f"{trials} trials; best in-sample loss {best:.3f}")
    for n, v in zip(names, best_x, strict=True):
        print(f'    "{n}": {v:.3g},')


if __name__ == "__main__":
    main()

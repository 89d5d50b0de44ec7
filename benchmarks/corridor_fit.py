"""Benchmark: how well the corridor model fits 2019 and 2025, in-sample and held out.

For each period of :data:`glassledger.liquidity.model.fit.PERIODS` (2025 January-August
in-sample, September-December held out; 2019 July-13 September in-sample, 16 September-
December held out) it prints days with SOFR above IORB (model against data, and their ratio),
the RMSE of SOFR - IORB in bp, the reported 2025 SRF take-up dates hit and missed, and the
height of the 17 September 2019 spike. Goal (issue 15): days above IORB within 25 % of the
data, and at least 5 of the reported take-up dates.

Baseline, measured in the same run: the previous calibration (the first issue-15 pass,
``scenario.previous_calibration``: relative-value funds buy coupons only within spare leverage
room, the SRF lends only once SOFR reaches its rate, the first pass's post-2020 values), run
through the same replays.

    .venv/bin/python benchmarks/corridor_fit.py
"""

from __future__ import annotations

import time

from glassledger.liquidity.data import load_reported_srf
from glassledger.liquidity.model import build_scenario, simulate
from glassledger.liquidity.model.fit import fit_report, spike_height
from glassledger.liquidity.model.scenario import previous_calibration, sample_panel


def run(panel, reported, previous: bool, label: str) -> dict:
    start = time.perf_counter()
    runs = {}
    for name in ("sept-2019", "2025"):
        scenario = build_scenario(name, panel=panel)
        runs[name] = simulate(previous_calibration(scenario) if previous else scenario).daily
    elapsed = time.perf_counter() - start
    fits = fit_report(runs["sept-2019"], runs["2025"], panel, reported)
    model, data, peak = spike_height(runs["sept-2019"], panel)
    print(f"\n== {label} ({elapsed:.1f} s for both replays)")
    print(
        f"{'period':16} {'days':>5} {'above IORB model/data':>22} {'ratio':>6} "
        f"{'RMSE bp':>8}  SRF take-up dates"
    )
    for f in fits:
        srf = ""
        if f.srf_hits or f.srf_misses:
            hit = ", ".join(str(d.date()) for d in f.srf_hits) or "-"
            miss = ", ".join(str(d.date()) for d in f.srf_misses) or "-"
            total = len(f.srf_hits) + len(f.srf_misses)
            srf = f"{len(f.srf_hits)}/{total} hit: {hit}; missed: {miss}"
        print(
            f"{f.name:16} {f.days:5d} {f.model_days_above:>11d} / {f.data_days_above:<8d} "
            f"{f.days_above_ratio:6.2f} {f.rmse_bp:8.1f}  {srf}"
        )
    year = [f for f in fits if f.name.startswith("2025")]
    above = sum(f.model_days_above for f in year)
    data_above = sum(f.data_days_above for f in year)
    hits = sum(len(f.srf_hits) for f in year)
    dates = sum(len(f.srf_hits) + len(f.srf_misses) for f in year)
    within = abs(above / data_above - 1.0) <= 0.25
    print(
        f"2025 whole year: SOFR above IORB on {above} model days against {data_above} "
        f"({above / data_above:.2f}x; goal within 25 %: {'PASS' if within else 'FAIL'}); "
        f"SRF take-up on {hits} of {dates} reported dates (goal >= 5: "
        f"{'PASS' if hits >= 5 else 'FAIL'})"
    )
    print(
        f"2019 spike: SOFR - IOER on 2019-09-17 model {model:+.0f} bp, data {data:+.0f} bp "
        f"({model / data:.0%} of the height); model peak on {peak.date()}"
    )
    return {"above": above, "data_above": data_above, "hits": hits, "spike": model}


def main() -> None:
    panel = sample_panel()
    reported = load_reported_srf()
    base = run(panel, reported, True, "baseline: previous calibration")
    new = run(panel, reported, False, "current calibration")
    print(
        f"\nratio model/data days above IORB in 2025: {new['above'] / new['data_above']:.2f} "
        f"(baseline {base['above'] / base['data_above']:.2f}); take-up dates hit "
        f"{new['hits']} (baseline {base['hits']}); 2019 spike {new['spike']:+.0f} bp "
        f"(baseline {base['spike']:+.0f} bp)"
    )


if __name__ == "__main__":
    main()
